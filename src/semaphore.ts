/**
 * `Semaphore` and `BoundedSemaphore`: counting semaphores in shared memory, as Python's.
 *
 * Layout: Int32Array, 4-byte slots, byteOffset % 4 === 0
 * | slot | name    | meaning                                                        |
 * | 0    | VALUE   | permits available, 0..2^31-1                                   |
 * | 1    | WAITERS | threads/tasks inside the slow path (sync and async)            |
 * | 2    | ASYNC   | async waiters registered on VALUE (counted by the futex layer)  |
 * | 3    | BOUND   | BoundedSemaphore: the initial value, the ceiling; -1 otherwise  |
 * Invariant: a waiter is counted in WAITERS before it reads VALUE for the last time before
 * sleeping, and `release` raises VALUE before it reads WAITERS; so either the waiter sees the new
 * permits or the releaser sees the waiter and wakes it. Waiters sleep only while VALUE is 0.
 *
 * @module
 */

import {
  assertCanBlock,
  deadlineAfter,
  now,
  type Park,
  type Parker,
  runAsync,
  runSync,
  wake,
} from "./internal/futex.ts";
import { type Guard, guardOrThrow } from "./internal/guard.ts";
import { type Handle, open, place, type PlacementOptions, slots } from "./internal/layout.ts";
import {
  ms,
  rejectSignal,
  signalOf,
  type SyncWaitOptions,
  timeoutOf,
  type WaitOptions,
} from "./internal/options.ts";

/** Slot of the permit count. */
const VALUE = 0;
/** Slot of the slow-path waiter count. */
const WAITERS = 1;
/** Slot of the registered async waiter count. */
const ASYNC = 2;
/** Slot of the ceiling (bounded only). */
const BOUND = 3;
/** Bytes either semaphore takes. */
const BYTES = 16;
/** Largest permit count. */
const MAX_VALUE = 2 ** 31 - 1;

let opening: Handle | undefined;

/** Takes one permit if there is one, retrying the CAS while permits remain. */
function tryTake(i32: Int32Array): boolean {
  let value = Atomics.load(i32, VALUE);
  while (value > 0) {
    const seen = Atomics.compareExchange(i32, VALUE, value, value - 1);
    if (seen === value) return true;
    value = seen;
  }
  return false;
}

/** The slow path of every acquire: count ourselves, then take a permit or sleep while VALUE is 0. */
function* acquireSlow(i32: Int32Array, deadline: number): Parker<boolean> {
  // Count ourselves first (see the invariant): a release that misses us raised VALUE before.
  Atomics.add(i32, WAITERS, 1);
  try {
    const park: Park = { i32, index: VALUE, expected: 0, deadline, asyncCount: ASYNC };
    for (;;) {
      if (tryTake(i32)) return true;
      if (deadline !== Infinity && now() >= deadline) return false;
      // Sleep while no permits. "ok": a release (or spurious) — retry. "not-equal": a permit
      // came before we slept — retry. "timed-out": the loop sees the deadline.
      yield park;
    }
  } finally {
    // Runs on success, timeout, error and abort alike: no waiter count leaks.
    Atomics.sub(i32, WAITERS, 1);
  }
}

function checkValue(kind: string, value: unknown): number {
  if (typeof value !== "number") {
    throw new TypeError(`Cannot create ${kind}: value must be a number, got ${typeof value}`);
  }
  if (!Number.isInteger(value) || value < 0 || value > MAX_VALUE) {
    throw new RangeError(
      `Cannot create ${kind}: value must be an integer from 0 to 2^31-1, got ${value}`,
    );
  }
  return value;
}

/**
 * A counting semaphore in shared memory: `acquire` takes a permit (waiting while there are
 * none), `release(n)` returns `n`.
 *
 * - Permits are not owned: any thread may release.
 * - `release(n)` wakes at most `n` sleepers, and none when nobody waits.
 * - Not fair; spurious wake-ups never surface.
 *
 * Happens-before: a `release` synchronizes before the acquire that takes one of its permits.
 *
 * Sharing: `Semaphore.from(sem.handle)` in any thread.
 *
 * @example At most two at once
 * ```ts
 * import { Semaphore } from "@threadkit/threadkit";
 * import assert from "node:assert/strict";
 *
 * const slots = new Semaphore(2);
 * assert.equal(slots.tryAcquire(), true);
 * assert.equal(slots.tryAcquire(), true);
 * assert.equal(slots.tryAcquire(), false);
 * slots.release(2);
 * assert.equal(slots.value, 2);
 * ```
 */
export class Semaphore {
  /** Bytes a semaphore takes inside a caller's buffer. */
  static readonly byteLength: number = BYTES;

  /** A structured-clone-safe description; `Semaphore.from(handle)` rebuilds it. */
  readonly handle: Handle;
  /** @internal */
  protected readonly i32: Int32Array;

  /**
   * Creates a semaphore with `value` permits.
   *
   * @throws {RangeError} `value` is negative, not an integer, or above 2^31-1.
   * @throws {TypeError} `value` is not a number, or `buffer` is not a SharedArrayBuffer.
   */
  constructor(value = 1, options?: PlacementOptions) {
    const handle = opening;
    opening = undefined;
    // The kind follows the class hierarchy (a subclass of Semaphore is unbounded); the binding
    // of BoundedSemaphore, declared below, is initialised before any constructor runs.
    const kind = this instanceof BoundedSemaphore ? "BoundedSemaphore" : "Semaphore";
    if (handle === undefined) checkValue(kind, value);
    this.handle = handle ?? place(kind, BYTES, options);
    this.i32 = slots(this.handle, 4);
    if (handle === undefined) {
      this.i32.fill(0);
      Atomics.store(this.i32, VALUE, value);
      Atomics.store(this.i32, BOUND, kind === "Semaphore" ? -1 : value);
    }
  }

  /**
   * Rebuilds a semaphore from its handle.
   *
   * @throws {TypeError} `handle` is not the handle of a `Semaphore`.
   */
  static from(handle: Handle): Semaphore {
    opening = open(handle, "Semaphore", BYTES);
    return new Semaphore();
  }

  /** Permits available now (a snapshot). */
  get value(): number {
    return Atomics.load(this.i32, VALUE);
  }

  /** Takes a permit if one is available, without waiting. */
  tryAcquire(): boolean {
    return tryTake(this.i32);
  }

  /**
   * Blocks until a permit is taken or `timeout` runs out.
   *
   * @returns `true` if a permit was taken, `false` on timeout (nothing taken).
   * @throws {TypeError} Blocking is not allowed on this thread; bad options.
   * @throws {RangeError} `timeout` is negative or `NaN`.
   */
  acquireSync(options?: SyncWaitOptions): boolean {
    const timeout = timeoutOf(options, "acquire semaphore");
    rejectSignal(options, "acquire semaphore", "semaphore.acquire()");
    assertCanBlock("semaphore.acquire()");
    if (tryTake(this.i32)) return true;
    if (timeout === 0) return false;
    return runSync(acquireSlow(this.i32, deadlineAfter(timeout)));
  }

  /**
   * Waits without blocking until a permit is taken, `timeout` runs out or `signal` aborts
   * (an aborted wait takes nothing).
   *
   * @returns A promise of `true` once a permit is taken, `false` on timeout.
   */
  acquire(options?: WaitOptions): Promise<boolean> {
    let timeout: number;
    let signal: AbortSignal | undefined;
    try {
      timeout = timeoutOf(options, "acquire semaphore");
      signal = signalOf(options, "acquire semaphore");
    } catch (error) {
      return Promise.reject(error);
    }
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    if (tryTake(this.i32)) return Promise.resolve(true);
    if (timeout === 0) return Promise.resolve(false);
    return runAsync(acquireSlow(this.i32, deadlineAfter(timeout)), signal);
  }

  /**
   * Returns `n` permits and wakes up to `n` waiters.
   *
   * @param n Permits to return, an integer ≥ 1 (default 1).
   * @throws {RangeError} `n` is not a positive integer, or the count would pass 2^31-1 (or, for
   *   a `BoundedSemaphore`, its initial value); the count is then unchanged.
   */
  release(n = 1): void {
    if (typeof n !== "number") {
      throw new TypeError(`Cannot release semaphore: n must be a number, got ${typeof n}`);
    }
    if (!Number.isInteger(n) || n < 1) {
      throw new RangeError(`Cannot release semaphore: n must be a positive integer, got ${n}`);
    }
    const i32 = this.i32;
    const bound = Atomics.load(i32, BOUND);
    const ceiling = bound < 0 ? MAX_VALUE : bound;
    // Raise VALUE by n unless that passes the ceiling (CAS, so the check and the raise are one).
    let value = Atomics.load(i32, VALUE);
    for (;;) {
      if (value > ceiling - n) {
        throw new RangeError(
          bound < 0
            ? `Cannot release semaphore: ${value} + ${n} permits would pass 2^31-1`
            : `Cannot release bounded semaphore: ${value} + ${n} permits would pass its initial value ${bound}`,
        );
      }
      const seen = Atomics.compareExchange(i32, VALUE, value, value + n);
      if (seen === value) break;
      value = seen;
    }
    // Wake only when someone waits (see the invariant), at most n of them — or when ASYNC counts
    // physical waits still registered after their logical wait was aborted: a wake is the only
    // way to settle them (futex.ts, "Abort"), and WAITERS no longer counts them.
    if (Atomics.load(i32, WAITERS) !== 0 || Atomics.load(i32, ASYNC) !== 0) {
      wake(i32, VALUE, n, ASYNC);
    }
  }

  /** Blocks until a permit is taken; returns a guard that releases it. @throws {TimeoutError} */
  holdSync(options?: SyncWaitOptions): Guard {
    const acquired = this.acquireSync(options);
    return guardOrThrow(acquired, () => this.release(), () => this.#timedOut(options));
  }

  /** Waits until a permit is taken; resolves to a guard that releases it. @throws {TimeoutError} */
  hold(options?: WaitOptions): Promise<Guard> {
    return this.acquire(options).then((acquired) =>
      guardOrThrow(acquired, () => this.release(), () => this.#timedOut(options))
    );
  }

  #timedOut(options: WaitOptions | undefined): string {
    return `Cannot acquire semaphore: timed out after ${
      ms(options?.timeout ?? 0)
    }; no permit was released`;
  }
}

/**
 * A semaphore that may never hold more permits than it started with: a `release` past the
 * initial value throws `RangeError` and leaves the count as it was (Python's
 * `BoundedSemaphore` raises `ValueError`).
 *
 * @example Catching an over-release
 * ```ts
 * import { BoundedSemaphore } from "@threadkit/threadkit";
 * import assert from "node:assert/strict";
 *
 * const sem = new BoundedSemaphore(1);
 * assert.throws(() => sem.release(), RangeError);
 * assert.equal(sem.value, 1);
 * ```
 */
export class BoundedSemaphore extends Semaphore {
  /**
   * Rebuilds a bounded semaphore from its handle.
   *
   * @throws {TypeError} `handle` is not the handle of a `BoundedSemaphore`.
   */
  static override from(handle: Handle): BoundedSemaphore {
    opening = open(handle, "BoundedSemaphore", BYTES);
    return new BoundedSemaphore();
  }

  /** The initial value, which `release` may not exceed. */
  get initialValue(): number {
    return Atomics.load(this.i32, BOUND);
  }
}
