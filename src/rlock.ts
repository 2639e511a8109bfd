/**
 * `RLock`: a re-entrant lock in shared memory, as Python's `threading.RLock`.
 *
 * Layout: Int32Array, 4-byte slots, byteOffset % 4 === 0
 * | slot | name  | meaning                                                   |
 * | 0    | STATE | lock word: 0 free; otherwise owner ident << 1 and flags   |
 * | 1    | ASYNC | async waiters registered on STATE                         |
 * | 2    | DEPTH | how many times the owner holds it; written only by the owner |
 * Invariant: while STATE names an owner, DEPTH (as seen by that owner) is how often it holds the
 * lock, ≥ 1; every acquire that takes the word writes 1. A free word's DEPTH is stale (the last
 * release leaves it at 1) and means nothing. DEPTH is read and written with plain accesses, only
 * by the owner: the lock word's CASes order them (a release synchronizes before the next
 * acquire), and an atomic store here cost 25 ns per acquire. The one read by a thread that may
 * not own the word is `release`'s fast path, whose CAS then proves it did.
 *
 * Uncontended, acquire and the last release are one CAS each, as `Lock`'s (issue 9):
 * `node bench/probes/uncontended.ts <before>/mod.ts ./mod.ts`, `acquireSync()+release()` ÷ the
 * CAS+store floor (fastest of 300 batches, same run), before → after: Node 1.60× → 1.25×, Deno
 * 1.76× → 1.51×, Bun 2.65× → 1.94× (Lock: 1.21×, 1.40×, 2.00×).
 *
 * @module
 */

import { NotOwnedError, OwnerDiedError } from "./errors.ts";
import { deadlineAfter, flushWakes, type Parker, runAsync, runSync } from "./internal/futex.ts";
import { type Guard, guardOrThrow } from "./internal/guard.ts";
import { currentIdent } from "./internal/ident.ts";
import { opening, placeOrOpen } from "./internal/construct.ts";
import { asyncEntry, signalIn, syncEntry, timeoutIn } from "./internal/entry.ts";
import { type Handle, open, type PlacementOptions, slots } from "./internal/layout.ts";
import {
  lockSlow,
  lockSlowSync,
  markRelease,
  OURS,
  OWNER_BITS,
  ownerOf,
  SPIN_LIMIT,
  unlock,
} from "./internal/lock_word.ts";
import {
  type Description,
  description,
  detecting,
  holderOf,
  label,
  lockWordWaiters,
  watchSync,
} from "./internal/diagnostics.ts";
import { ms, type SyncWaitOptions, type WaitOptions } from "./internal/options.ts";
import { heldBy, ownerDied } from "./lock.ts";
import { brand } from "./internal/brand.ts";

/** Slot of the lock word. */
const STATE = 0;
/** Slot of the recursion depth. */
const DEPTH = 2;
/** Bytes an `RLock` takes. */
const BYTES = 12;
/** Deepest recursion allowed. */
const MAX_DEPTH = 2 ** 31 - 1;

/** After the lock word's slow path: the depth, and owner-death reporting. */
function acquired(i32: Int32Array, outcome: boolean | number): boolean {
  if (outcome === false) return false;
  // Another task of this thread took the word while this one waited (an async acquire's slow
  // path asks for this, `ours`): this call re-enters, as one made now would. The word names
  // this thread, so the depth is ours to read and write.
  if (outcome === OURS) return reentered(i32);
  // We own the word now: the depth is ours to write.
  i32[DEPTH] = 1;
  if (outcome !== true) throw ownerDied("rlock", outcome);
  return true;
}

/** One more level for this thread, which holds the word. @throws {RangeError} At MAX_DEPTH. */
function reentered(i32: Int32Array): true {
  const depth = i32[DEPTH]!;
  if (depth === MAX_DEPTH) {
    throw new RangeError("Cannot acquire rlock: maximum recursion depth reached");
  }
  i32[DEPTH] = depth + 1;
  return true;
}

/**
 * The slow path as a generator (async, deadlock detection, nested): the lock word's, then ours.
 * `shared`: the word held by this thread ends the wait with a re-entry (`acquire`, whose
 * thread's async tasks share its hold; see there).
 */
function* acquireSlow(
  i32: Int32Array,
  me2: number,
  deadline: number,
  spin: number,
  syncSpin = false,
  shared = false,
): Parker<boolean> {
  return acquired(i32, yield* lockSlow(i32, STATE, me2, deadline, spin, syncSpin, shared));
}

/** The slow path of `_acquireRestore`: the lock word's, then the depth (also on owner death). */
function* restoreSlow(i32: Int32Array, me2: number, depth: number): Parker<void> {
  try {
    yield* acquireSlow(i32, me2, Infinity, SPIN_LIMIT, true);
  } catch (error) {
    // Taken over from a dead owner: we hold it; restore the depth before reporting.
    if (error instanceof OwnerDiedError) i32[DEPTH] = depth;
    throw error;
  }
  i32[DEPTH] = depth;
}

/**
 * A re-entrant lock: the thread that holds it may acquire it again, and must release it as
 * many times.
 *
 * - Owned by a thread: only the owner may `release()` (others get `NotOwnedError`).
 * - **Async tasks on one thread share its ownership**: two `await rlock.acquire()` on the same
 *   thread both succeed at once, as two calls on one Python thread would. So do acquires that
 *   wait for another thread's hold: once one of them has the lock, the others of its thread
 *   enter with it (each one level). Use a `Lock` to exclude tasks of one thread from each other.
 * - Barging with a 1 ms bound, as `Lock`; spurious wake-ups never surface.
 *
 * Happens-before: the final `release()` synchronizes before the acquire that next obtains it.
 *
 * Sharing: `RLock.from(rlock.handle)` in any thread.
 *
 * @example Re-entry
 * ```ts
 * import { RLock } from "@threadkit/threadkit";
 * import assert from "node:assert/strict";
 *
 * const rlock = new RLock();
 * rlock.acquireSync();
 * rlock.acquireSync(); // the owner re-enters
 * assert.equal(rlock.owned, true);
 * rlock.release();
 * rlock.release();
 * assert.equal(rlock.locked, false);
 * ```
 */
export class RLock {
  static {
    brand(this, "RLock");
  }
  /** Bytes an `RLock` takes inside a caller's buffer. */
  static readonly byteLength: number = BYTES;

  /** A structured-clone-safe description; `RLock.from(handle)` rebuilds it. */
  readonly handle: Handle;
  readonly #i32: Int32Array;

  /**
   * Creates an unlocked re-entrant lock.
   *
   * @throws {TypeError} `buffer` is not a SharedArrayBuffer.
   * @throws {RangeError} `byteOffset` is negative, not a multiple of 4, or leaves no room.
   */
  constructor(options?: PlacementOptions) {
    this.handle = placeOrOpen("RLock", BYTES, options);
    this.#i32 = slots(this.handle, 3);
  }

  /**
   * Rebuilds an RLock from its handle.
   *
   * @throws {TypeError} `handle` is not the handle of an `RLock`.
   */
  static from(handle: Handle): RLock {
    return new RLock(opening(open(handle, "RLock", BYTES)));
  }

  /** Whether any thread holds it (a snapshot). */
  get locked(): boolean {
    return Atomics.load(this.#i32, STATE) !== 0;
  }

  /** Whether the calling thread holds it. */
  get owned(): boolean {
    return (Atomics.load(this.#i32, STATE) & OWNER_BITS) === currentIdent() << 1;
  }

  /** Re-enters if we own it; returns `false` if someone else does or it is free. */
  #reenter(me2: number): boolean {
    const i32 = this.#i32;
    if ((Atomics.load(i32, STATE) & OWNER_BITS) !== me2) return false;
    return reentered(i32);
  }

  /**
   * Takes the lock if it is free or already ours, without waiting.
   *
   * @throws {OwnerDiedError} Taken over from a dead owner (now held).
   */
  tryAcquire(): boolean {
    const i32 = this.#i32;
    const me2 = currentIdent() << 1;
    if (Atomics.compareExchange(i32, STATE, 0, me2) === 0) {
      i32[DEPTH] = 1;
      return true;
    }
    return this.#reenter(me2) || runSync(acquireSlow(i32, me2, -Infinity, 0));
  }

  /**
   * Blocks until the calling thread holds the lock (at once if it already does) or `timeout`
   * runs out.
   *
   * @returns `true` if acquired, `false` on timeout.
   * @throws {TypeError} Blocking is not allowed on this thread; bad options.
   * @throws {RangeError} `timeout` is negative or `NaN`.
   * @throws {OwnerDiedError} Acquired from an owner that ended without releasing it.
   */
  acquireSync(options?: SyncWaitOptions): boolean {
    return this.#acquireSync(options, false);
  }

  /** `acquireSync` for a `Condition`'s callers (see `Lock._acquireSyncWatching`). @internal */
  _acquireSyncWatching(options?: SyncWaitOptions): boolean {
    return this.#acquireSync(options, true);
  }

  /** `holdSync` through {@link RLock._acquireSyncWatching}. @internal */
  _holdSyncWatching(options?: SyncWaitOptions): Guard {
    const acquired = this.#acquireSync(options, true);
    return guardOrThrow(acquired, () => this.release(), () => this.#timedOut(options));
  }

  #acquireSync(options: SyncWaitOptions | undefined, watching: boolean): boolean {
    const timeout = syncEntry(options, "acquire rlock", "rlock.acquire()");
    const i32 = this.#i32;
    const me2 = currentIdent() << 1;
    // Fast path: grab a free lock.
    if (Atomics.compareExchange(i32, STATE, 0, me2) === 0) {
      i32[DEPTH] = 1;
      return true;
    }
    if (this.#reenter(me2)) return true;
    const deadline = deadlineAfter(timeout);
    const spin = timeout === 0 ? 0 : SPIN_LIMIT;
    // Deadlock detection watches the generator form's parks; otherwise the plain loop (see
    // `lockSlowSync`).
    if (detecting()) {
      return runSync(
        watchSync(acquireSlow(i32, me2, deadline, spin, watching), "rlock", this.handle),
      );
    }
    return acquired(i32, lockSlowSync(i32, STATE, me2, deadline, spin, watching));
  }

  /**
   * Waits without blocking until the calling thread holds the lock, `timeout` runs out or
   * `signal` aborts.
   *
   * @returns A promise of `true` once acquired, `false` on timeout.
   * @throws {OwnerDiedError} (rejects) Acquired from an owner that ended without releasing it.
   */
  acquire(options?: WaitOptions): Promise<boolean> {
    const entry = asyncEntry(options, "acquire rlock");
    if (entry instanceof Promise) return entry;
    const i32 = this.#i32;
    const me2 = currentIdent() << 1;
    // Fast path: grab a free lock.
    if (Atomics.compareExchange(i32, STATE, 0, me2) === 0) {
      i32[DEPTH] = 1;
      return Promise.resolve(true);
    }
    try {
      if (this.#reenter(me2)) return Promise.resolve(true);
    } catch (error) {
      return Promise.reject(error); // the depth would overflow
    }
    const timeout = timeoutIn(entry);
    const signal = signalIn(entry);
    const spin = timeout === 0 ? 0 : SPIN_LIMIT;
    // Shared: once another task of this thread has taken the lock while this one waits (from
    // another thread's release, which wakes them all), this one re-enters, as a call made then
    // would, instead of waiting for its own thread's release; a task holding it and awaiting this
    // one would wait for good.
    return runAsync(acquireSlow(i32, me2, deadlineAfter(timeout), spin, false, true), signal);
  }

  /**
   * Releases one level; the last release frees the lock.
   *
   * @throws {NotOwnedError} The calling thread does not hold it.
   */
  release(): void {
    const i32 = this.#i32;
    const me2 = currentIdent() << 1;
    // Fast path, the last level with nobody asleep: one CAS, as Lock's. The plain read of DEPTH
    // races with an owner's writes when we are not the owner, but then the word is not `me2` and
    // the CAS fails; when it succeeds the word was ours and so was the 1 we read. DEPTH stays 1
    // (stale, see the invariant): the next acquirer writes it before anyone reads it.
    if (i32[DEPTH] === 1 && Atomics.compareExchange(i32, STATE, me2, 0) === me2) {
      // The wakes a `Condition.notify` of this thread deferred to this release, now that the
      // word is free (see "Deferred wake" in `condition.ts`; nothing owed: one length check).
      flushWakes();
      return;
    }
    if ((Atomics.load(i32, STATE) & OWNER_BITS) !== me2) {
      throw new NotOwnedError(
        this.locked
          ? `Cannot release rlock: ${heldBy(i32, STATE)}, not by this thread`
          : "Cannot release rlock: it is not locked",
      );
    }
    const depth = i32[DEPTH]! - 1;
    i32[DEPTH] = depth;
    if (depth === 0) {
      unlock(i32, STATE, me2);
      flushWakes(); // as on the fast path
    }
  }

  /** Blocks until held; returns a guard that releases one level. @throws {TimeoutError} */
  holdSync(options?: SyncWaitOptions): Guard {
    const acquired = this.acquireSync(options);
    return guardOrThrow(acquired, () => this.release(), () => this.#timedOut(options));
  }

  /** Waits until held; resolves to a guard that releases one level. @throws {TimeoutError} */
  hold(options?: WaitOptions): Promise<Guard> {
    return this.acquire(options).then((acquired) =>
      guardOrThrow(acquired, () => this.release(), () => this.#timedOut(options))
    );
  }

  #timedOut(options: WaitOptions | undefined): string {
    return `Cannot acquire ${label("rlock", this.handle)}: timed out after ${
      ms(options?.timeout ?? 0)
    }; ${heldBy(this.#i32, STATE)}`;
  }

  /**
   * Who holds the lock (and how deep), how many wait, and its name: a snapshot. The depth is
   * the owner's to write; read from another thread it may lag by the owner's last step.
   *
   * @returns As `Lock.describe()`, with the owner's depth as its `count`.
   * @example
   * ```ts
   * import { RLock } from "@threadkit/threadkit";
   * import assert from "node:assert/strict";
   *
   * const rlock = new RLock({ name: "cache" });
   * rlock.acquireSync();
   * rlock.acquireSync();
   * assert.equal(rlock.describe().holders[0]?.count, 2);
   * rlock.release();
   * rlock.release();
   * ```
   */
  describe(): Description {
    const i32 = this.#i32;
    const owner = ownerOf(i32, STATE);
    const holders = holderOf(owner, Math.max(1, Atomics.load(i32, DEPTH)));
    return description("RLock", "rlock", this.handle, holders, lockWordWaiters(i32, STATE));
  }

  /**
   * Sets PARKED on the word if this thread holds it, so that its release flushes the wakes this
   * thread deferred: what a `Condition` of an earlier threadkit copy in this thread calls on a
   * lock of this one (this copy's Condition leaves the flush to `release`). @internal
   */
  _markRelease(): boolean {
    return markRelease(this.#i32, STATE, currentIdent() << 1);
  }

  /** The ident holding the lock, or 0 (Condition's ownership check). @internal */
  _owner(): number {
    return ownerOf(this.#i32, STATE);
  }

  /**
   * Releases every level at once for a Condition wait and returns the depth to restore. The
   * caller has checked ownership. @internal
   */
  _releaseSave(): number {
    const i32 = this.#i32;
    const depth = i32[DEPTH]!;
    i32[DEPTH] = 0;
    unlock(i32, STATE, currentIdent() << 1);
    flushWakes(); // the wakes deferred to this release, as in `release`
    return depth;
  }

  /**
   * Re-acquires after a Condition wait, without timeout, and restores the depth: takes a free
   * lock at once and returns nothing, or returns the slow path to run (no generator on the common
   * path).
   *
   * @internal
   */
  _acquireRestore(depth: number): Parker<void> | undefined {
    const i32 = this.#i32;
    const me2 = currentIdent() << 1;
    if (Atomics.compareExchange(i32, STATE, 0, me2) === 0) {
      i32[DEPTH] = depth;
      return undefined;
    }
    return restoreSlow(i32, me2, depth);
  }
}
