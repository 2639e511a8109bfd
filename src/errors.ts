/**
 * The error classes threadkit throws for states a caller may want to catch.
 *
 * Bad arguments are reported with the built-in `TypeError` and `RangeError`; these classes are for
 * conditions of the shared state: a release without ownership, a timeout, a broken barrier, an
 * empty, full or shut-down queue, an owner that died while holding a lock.
 *
 * @module
 */

import { brand } from "./internal/brand.ts";

/**
 * Thrown when a thread releases, waits on or notifies a primitive it does not hold, and when an
 * unlocked `Lock` is released.
 *
 * @example Releasing an unlocked lock
 * ```ts
 * import { Lock, NotOwnedError } from "@threadkit/threadkit";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => new Lock().release(), NotOwnedError);
 * ```
 */
export class NotOwnedError extends Error {
  static {
    brand(this, "NotOwnedError");
  }
  /** Always `"NotOwnedError"`. */
  override name = "NotOwnedError";
}

/**
 * Thrown by waits that have no boolean result (`holdSync`, `hold`, `Thread.join`, `Once`) when
 * their `timeout` runs out. Boolean waits (`acquireSync`, `Event.waitSync`, ...) return `false`
 * instead.
 *
 * @example A guard that cannot be had in time
 * ```ts
 * import { Lock, TimeoutError } from "@threadkit/threadkit";
 * import assert from "node:assert/strict";
 *
 * const lock = new Lock();
 * lock.acquireSync();
 * assert.throws(() => lock.holdSync({ timeout: 0 }), TimeoutError);
 * ```
 */
export class TimeoutError extends Error {
  static {
    brand(this, "TimeoutError");
  }
  /** Always `"TimeoutError"`. */
  override name = "TimeoutError";
}

/** Thrown to every waiter of a `Barrier` that was broken by a timeout, `abort()`, `reset()` or a throwing action. */
export class BrokenBarrierError extends Error {
  static {
    brand(this, "BrokenBarrierError");
  }
  /** Always `"BrokenBarrierError"`. */
  override name = "BrokenBarrierError";
}

/** Thrown by `getNowait()`, and by `get` when its timeout runs out. */
export class QueueEmptyError extends Error {
  static {
    brand(this, "QueueEmptyError");
  }
  /** Always `"QueueEmptyError"`. */
  override name = "QueueEmptyError";
}

/** Thrown by `putNowait()`, and by `put` when its timeout runs out. */
export class QueueFullError extends Error {
  static {
    brand(this, "QueueFullError");
  }
  /** Always `"QueueFullError"`. */
  override name = "QueueFullError";
}

/** Thrown by `put` after `shutdown()`, and by `get` once a shut-down queue is drained. */
export class QueueShutDownError extends Error {
  static {
    brand(this, "QueueShutDownError");
  }
  /** Always `"QueueShutDownError"`. */
  override name = "QueueShutDownError";
}

/**
 * Thrown to the thread that acquires a `Lock`, `RLock` or `Semaphore` permit whose previous holder
 * ended without releasing it (POSIX `EOWNERDEAD`).
 *
 * The acquirer **holds** the lock (or permit) when it catches this error: the data the lock
 * protects may be half-updated, so repair or discard it, then release as usual.
 */
export class OwnerDiedError extends Error {
  static {
    brand(this, "OwnerDiedError");
  }
  /** Always `"OwnerDiedError"`. */
  override name = "OwnerDiedError";
  /** The ident of the thread that died holding the primitive. */
  readonly ownerIdent: number;
  /**
   * Creates the error (threadkit does, for the acquirer that took the primitive over).
   *
   * @param message What happened, naming the primitive and the dead owner.
   * @param ownerIdent The ident of the thread that died holding it.
   */
  constructor(message: string, ownerIdent: number) {
    super(message);
    this.ownerIdent = ownerIdent;
  }
}

/** One thread of a deadlock cycle: who it is, and what it waits for, held by whom. */
export interface DeadlockEdge {
  /** The waiting thread's ident. */
  readonly ident: number;
  /** Its name, if it has one (a threadkit `Thread`'s name). */
  readonly threadName: string | undefined;
  /** What it waits for, e.g. `lock "orders"` (`lock` when the lock has no name). */
  readonly waitsFor: string;
  /** The ident of the thread holding that: the next thread of the cycle. */
  readonly heldBy: number;
}

/**
 * Thrown by a blocking lock acquire that would close a cycle of threads each waiting for a lock
 * the next one holds, while deadlock detection is on (`enableDeadlockDetection()`).
 *
 * Only the thread whose wait closes the cycle gets it; it holds nothing more than before the
 * call, and the others keep waiting. Release what it holds (unwinding with `using` guards does)
 * and the next thread of the cycle proceeds. `cycle` lists the threads in wait order, the one
 * that caught the error first.
 *
 * @example Reading the cycle
 * ```ts ignore
 * import { DeadlockError } from "@threadkit/threadkit";
 *
 * try {
 *   using _b = orders.holdSync();
 * } catch (error) {
 *   if (!(error instanceof DeadlockError)) throw error;
 *   for (const edge of error.cycle) console.log(edge.ident, edge.waitsFor, edge.heldBy);
 * }
 * ```
 */
export class DeadlockError extends Error {
  static {
    brand(this, "DeadlockError");
  }
  /** Always `"DeadlockError"`. */
  override name = "DeadlockError";
  /** The threads of the cycle, in wait order, starting with the thread that got this error. */
  readonly cycle: readonly DeadlockEdge[];
  /**
   * Creates the error (threadkit does, for the thread that would close the cycle).
   *
   * @param message The cycle in words, naming threads and locks.
   * @param cycle The threads of the cycle, in wait order.
   */
  constructor(message: string, cycle: readonly DeadlockEdge[]) {
    super(message);
    this.cycle = Object.freeze(cycle.map((edge) => Object.freeze({ ...edge })));
  }
}
