/**
 * `Lock`: a mutual-exclusion lock in shared memory, as Python's `threading.Lock`.
 *
 * Layout: Int32Array, 4-byte slots, byteOffset % 4 === 0 (see `internal/lock_word.ts`)
 * | slot | name  | meaning                                       |
 * | 0    | STATE | 0 free; otherwise owner ident << 1 \| PARKED   |
 * | 1    | ASYNC | async waiters registered on STATE             |
 * Invariant: PARKED is set before any thread sleeps on STATE.
 *
 * ## Signal or mutex
 * Python's Lock is also its binary signal: any thread may release it, so a thread waits for
 * another by acquiring a lock it already holds (`lock.release()` in the other thread ends the
 * wait). The two uses want opposite waiters. A mutex's holder releases and soon acquires again,
 * so a waiter that watches the word takes it at every release, and two contending threads trade
 * the lock (and its cache line) at every critical section where a sleeping waiter lets the holder
 * run on (`lockSlow`'s `syncSpin` in `lock_word.ts`: `lock.contended-2` on Node 76 → 152 and
 * 56 → 216 ns an increment with a spin). A signal's releaser does not want the lock back, and a
 * waiter that sleeps pays a wake-up (tens of µs here) that a short watch saves, as a Semaphore's
 * does. A blocked `acquireSync` tells them apart by its own failed CAS, at no cost: if the word
 * names this thread, it waits for a lock it holds, which only another thread's release can end (a
 * signal), and it watches the word before each sleep (the futex layer's sync spin, up to 16 µs a
 * park, 0 in browsers, under its per-thread credit); otherwise (a mutex held by another) it sleeps
 * at once. A signal whose waiter does not hold the lock (one thread holds, a second waits, a third
 * releases) is not recognised and sleeps, as every sync Lock wait did before. Measured: see
 * `acquireSync`. An acquire through a `Condition` (`cond.acquireSync()`, `cond.holdSync()`)
 * watches in both cases: a Condition's lock is held across hand-offs, briefly
 * (`_acquireSyncWatching`; measured at `Condition.acquireSync`).
 *
 * @module
 */

import { NotOwnedError, OwnerDiedError } from "./errors.ts";
import {
  deadlineAfter,
  flushWakes,
  localWaitsAt,
  type Parker,
  releasedHere,
  runAsync,
  runSync,
  waitLocally,
} from "./internal/futex.ts";
import { type Guard, guardOrThrow } from "./internal/guard.ts";
import { currentIdent, describeThread } from "./internal/ident.ts";
import { opening, placeOrOpen } from "./internal/construct.ts";
import { asyncEntry, signalIn, syncEntry, timeoutIn } from "./internal/entry.ts";
import { type Handle, open, type PlacementOptions, slots } from "./internal/layout.ts";
import {
  lockSlow,
  lockSlowSync,
  markRelease,
  OWNER_BITS,
  ownerOf,
  PARKED,
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
import { brand } from "./internal/brand.ts";
import { acquireBehind, Line } from "./internal/line.ts";

/** Slot of the lock word. */
const STATE = 0;
/** Bytes a `Lock` takes. */
const BYTES = 8;

/** Describes the holder of a lock word, for messages. */
export function heldBy(i32: Int32Array, at: number): string {
  const owner = ownerOf(i32, at);
  return owner === 0 ? "it is free now" : `held by ${describeThread(owner)}`;
}

/** The error for an acquirer that took over the word of a dead owner. */
export function ownerDied(noun: string, owner: number): OwnerDiedError {
  return new OwnerDiedError(
    `Acquired ${noun}, but its owner ${describeThread(owner)} ended without releasing it; ` +
      `the data it protects may be inconsistent`,
    owner,
  );
}

/** Turns a slow-path outcome into a boolean, throwing `OwnerDiedError` for a dead owner. */
function* acquireSlow(
  i32: Int32Array,
  me2: number,
  deadline: number,
  spin: number,
  syncSpin = false,
  line: Line | undefined = undefined,
) {
  try {
    const outcome = yield* lockSlow(i32, STATE, me2, deadline, spin, syncSpin);
    if (typeof outcome === "number") throw ownerDied("lock", outcome);
    return outcome;
  } finally {
    line?.done(); // the head of this thread's line of async acquires (`acquire`) has ended
  }
}

/**
 * A mutual-exclusion lock that lives in shared memory and works across threads.
 *
 * - At most one holder at a time; `acquireSync()` blocks the thread, `acquire()` returns a
 *   Promise and never blocks. Sync and async waiters may mix, on any threads.
 * - Any thread may `release()` a held `Lock` (as in Python); releasing an unlocked one throws
 *   `NotOwnedError`. Use `RLock` for ownership checks and re-entry.
 * - Not re-entrant: a thread that acquires a `Lock` it holds waits for itself.
 * - Barging with a bound: a released lock goes to whichever thread gets there first, until a
 *   waiter has waited 1 ms; from then on releases hand it to such a waiter, and newcomers and
 *   `tryAcquire()` cannot take it (see "Fairness" in `internal/lock_word.ts`). Spurious
 *   wake-ups never surface to callers.
 * - Used as a signal (a thread acquires the lock it holds, to wait until another releases it), a
 *   blocked `acquireSync()` watches the lock briefly before it sleeps, as a `Semaphore`'s acquire
 *   does; waiting for a lock another thread holds, it sleeps at once, so that the holder runs on
 *   (see "Signal or mutex" in `lock.ts`).
 * - Uncontended `acquireSync()`+`release()` is one CAS each; `release()` calls `Atomics.notify`
 *   only when a thread sleeps (or for the wakes a `Condition.notify` of this thread deferred to
 *   the release).
 *
 * Happens-before: a `release()` synchronizes before the `acquire` that next obtains the lock, so
 * plain (non-atomic) writes to shared memory made while holding it are visible to the next holder.
 *
 * Sharing: post `lock.handle` to another thread (any `postMessage`) and rebuild the lock there
 * with `Lock.from(handle)`; threadkit `Thread` arguments are revived automatically.
 *
 * If a threadkit thread ends while holding the lock, the next acquirer gets the lock together
 * with an `OwnerDiedError` (within ~250 ms).
 *
 * @example Protect a shared counter
 * ```ts
 * import { Lock } from "@threadkit/threadkit";
 * import assert from "node:assert/strict";
 *
 * const lock = new Lock();
 * const counter = new Int32Array(new SharedArrayBuffer(4));
 * {
 *   using _guard = lock.holdSync();
 *   counter[0]! += 1;
 * }
 * assert.equal(lock.locked, false);
 * assert.equal(await lock.acquire({ timeout: 100 }), true);
 * assert.equal(lock.tryAcquire(), false);
 * lock.release();
 * ```
 */
export class Lock {
  static {
    brand(this, "Lock");
  }
  /** Bytes a `Lock` takes inside a caller's buffer (see {@link PlacementOptions}). */
  static readonly byteLength: number = BYTES;

  /** A structured-clone-safe description of this lock; `Lock.from(handle)` rebuilds it. */
  readonly handle: Handle;
  readonly #i32: Int32Array;
  /** This thread's async acquires of this object that wait, in call order (`line.ts`). */
  #line: Line | undefined = undefined;

  /**
   * Creates an unlocked lock, in a new SharedArrayBuffer or at `byteOffset` in `buffer`.
   *
   * @throws {TypeError} `buffer` is not a SharedArrayBuffer.
   * @throws {RangeError} `byteOffset` is negative, not a multiple of 4, or leaves no room.
   */
  constructor(options?: PlacementOptions) {
    this.handle = placeOrOpen("Lock", BYTES, options);
    this.#i32 = slots(this.handle, 2);
  }

  /**
   * Rebuilds a lock from its `handle`, in any thread.
   *
   * @throws {TypeError} `handle` is not the handle of a `Lock`.
   */
  static from(handle: Handle): Lock {
    return new Lock(opening(open(handle, "Lock", BYTES)));
  }

  /** Whether some thread holds the lock (a snapshot). */
  get locked(): boolean {
    return Atomics.load(this.#i32, STATE) !== 0;
  }

  /**
   * Takes the lock if it is free, without waiting.
   *
   * @returns `true` if this call took it.
   * @throws {OwnerDiedError} The lock was taken over from a dead owner (and is now held).
   */
  tryAcquire(): boolean {
    const me2 = currentIdent() << 1;
    if (Atomics.compareExchange(this.#i32, STATE, 0, me2) === 0) return true;
    return runSync(acquireSlow(this.#i32, me2, -Infinity, 0));
  }

  /**
   * Blocks the calling thread until it holds the lock or `timeout` runs out.
   *
   * @param options `timeout` in ms (`0` tries once; default `Infinity`).
   * @returns `true` if acquired, `false` on timeout (the lock is then untouched).
   * @throws {TypeError} Blocking is not allowed on this thread (a browser main thread); bad options.
   * @throws {RangeError} `timeout` is negative or `NaN`.
   * @throws {OwnerDiedError} Acquired from an owner that ended without releasing it.
   */
  acquireSync(options?: SyncWaitOptions): boolean {
    return this.#acquireSync(options, false);
  }

  /**
   * `acquireSync` for a `Condition`'s callers: the wait watches the word before each sleep, as a
   * signal's does (see "Signal or mutex", and `Condition.acquireSync` for why and what it
   * measured).
   *
   * @internal
   */
  _acquireSyncWatching(options?: SyncWaitOptions): boolean {
    return this.#acquireSync(options, true);
  }

  /** `holdSync` through {@link Lock._acquireSyncWatching}. @internal */
  _holdSyncWatching(options?: SyncWaitOptions): Guard {
    const acquired = this.#acquireSync(options, true);
    return guardOrThrow(acquired, () => this.release(), () => this.#timedOut(options));
  }

  #acquireSync(options: SyncWaitOptions | undefined, watching: boolean): boolean {
    const timeout = syncEntry(options, "acquire lock", "lock.acquire()");
    const i32 = this.#i32;
    const me2 = currentIdent() << 1;
    // Fast path: grab a free lock.
    const seen = Atomics.compareExchange(i32, STATE, 0, me2);
    if (seen === 0) return true;
    const deadline = deadlineAfter(timeout);
    const spin = timeout === 0 ? 0 : SPIN_LIMIT;
    // Held by this thread: a signal, whose waiter watches before sleeping (see "Signal or
    // mutex"). Measured (2026-12-02, 2 CPUs), `lock.pingpong` in full mode, two interleaved runs
    // of `node bench/run.ts --runtimes node,deno,bun --filter lock.pingpong,lock.contended,
    // lock.sync --no-reference` in the tree before and after, a round trip: Node 21.6 / 30.5 →
    // 0.77 / 0.77 µs, Deno 19.9 / 19.3 → 0.93 / 1.02, Bun 25.8 / 27.5 → 0.28 / 1.07. The
    // contended rows' waiters never hold the lock and take the path they took before
    // (`lock.contended-2` Node 129 / 116 → 125 / 170 ns, Deno 99 / 132 → 91 / 115, Bun 88 / 87
    // → 50 / 84: noise both ways), `lock.sync-release` unchanged (25.2-26.6 ns on Node).
    const signal = watching || (seen & OWNER_BITS) === me2;
    // The plain slow path (no generator), unless deadlock detection is on, which watches every
    // park of the generator form. A dead owner's word is ours now: say so.
    const outcome = detecting()
      ? runSync(watchSync(lockSlow(i32, STATE, me2, deadline, spin, signal), "lock", this.handle))
      : lockSlowSync(i32, STATE, me2, deadline, spin, signal);
    if (typeof outcome === "number") throw ownerDied("lock", outcome);
    return outcome;
  }

  /**
   * Waits, without blocking the thread, until it holds the lock, `timeout` runs out or `signal`
   * aborts.
   *
   * A thread's async acquires through this object that wait are served in the order they were
   * called (as asyncio's Lock serves its waiters), one wait at a time serving them all; a
   * later call of the same thread waits behind them even when the lock is free, while other
   * threads may barge (see the class doc). `acquireSync`, `tryAcquire` and a zero timeout do not
   * wait and go ahead. While the lock is held by this thread, the waiting call waits for its
   * release with no `waitAsync` and no slow path, and a release by another async task of the
   * thread reaches it in a microtask (`futex.ts`, "Local waits"); a release by another thread,
   * at the end of the thread's turn.
   *
   * @param options `timeout` in ms (default `Infinity`), `signal` to abort the wait.
   * @returns A promise of `true` once acquired, `false` on timeout.
   * @throws {TypeError|RangeError} (rejects) Bad options.
   * @throws {OwnerDiedError} (rejects) Acquired from an owner that ended without releasing it.
   */
  acquire(options?: WaitOptions): Promise<boolean> {
    // Bad options reject; so does an aborted signal, even when the lock is free (as Web Locks do).
    const entry = asyncEntry(options, "acquire lock");
    if (entry instanceof Promise) return entry;
    const i32 = this.#i32;
    const me2 = currentIdent() << 1;
    // Fast path: grab a free lock (barging, ahead of other threads' waiters: see "Fairness" in
    // `internal/lock_word.ts`), unless this thread's earlier acquires wait in line for it.
    const line = this.#line;
    const lineFree = line === undefined || !line.busy;
    if (lineFree && Atomics.compareExchange(i32, STATE, 0, me2) === 0) {
      return Promise.resolve(true);
    }
    const timeout = timeoutIn(entry);
    const signal = signalIn(entry);
    // A zero timeout only tries (it never parks), as `tryAcquire` does: no line.
    if (timeout === 0) return runAsync(acquireSlow(i32, me2, deadlineAfter(0), 0), signal);
    const take = () => Atomics.compareExchange(i32, STATE, 0, me2) === 0;
    // Held by this thread (another task of it, most likely) and no waiter of another thread
    // starving: the wait waits for this thread's release with no slow path (`futex.ts`, "Local
    // waits"), unless the local credit is out.
    const heldHere = () => (Atomics.load(i32, STATE) & ~PARKED) === me2;
    if (lineFree) {
      // The first acquire of this thread to wait: it holds the line until its wait ends.
      const held = this.#line ??= new Line();
      held.hold();
      const deadline = deadlineAfter(timeout);
      // Waiting locally, it hands the line on once it has settled; the slow path it may hand
      // over to then holds no line of its own (the wait settles first: `line.ts`, "Settle
      // order").
      const local = heldHere() && waitLocally({
        i32,
        index: STATE,
        take,
        heldHere,
        slow: () => runAsync(acquireSlow(i32, me2, deadline, SPIN_LIMIT), signal),
        deadline,
        signal,
        done: () => held.done(),
      });
      return local || runAsync(acquireSlow(i32, me2, deadline, SPIN_LIMIT, false, held), signal);
    }
    return acquireBehind(line, timeout, signal, take, (deadline) => {
      const slow = () => runAsync(acquireSlow(i32, me2, deadline, SPIN_LIMIT), signal);
      const local = heldHere() &&
        waitLocally({ i32, index: STATE, take, heldHere, slow, deadline, signal });
      return local || slow();
    });
  }

  /**
   * Releases the lock. Any thread may release a held `Lock`.
   *
   * @throws {NotOwnedError} The lock is not locked.
   */
  release(): void {
    if (!unlock(this.#i32, STATE, currentIdent() << 1)) {
      throw new NotOwnedError("Cannot release lock: it is not locked");
    }
    // This thread's async acquires waiting for it locally (`futex.ts`, "Local waits"; one load
    // when none waits).
    releasedHere(this.#i32, STATE);
    // The wakes a `Condition.notify` of this thread deferred to this release, now that the word
    // is free (see "Deferred wake" in `condition.ts`; nothing owed: one length check). Cost,
    // `taskset -c 0 npx <rt> bench/probes/uncontended.ts /tmp/cond-before/mod.ts ./mod.ts`,
    // acquireSync()+release(), fastest batch, before → after: Node 25.2–25.8 → 26.8–26.9 ns (two
    // runs), Deno 23.5 → 26.0 ns, Bun 19.6 → 20.2 ns; RLock Node 26.3 → 27.0–27.1, Deno 25.7 →
    // 25.7, Bun 19.8 → 20.2.
    flushWakes();
  }

  /**
   * Blocks until the lock is held and returns a guard that releases it, for
   * `using guard = lock.holdSync()`.
   *
   * @throws {TimeoutError} `timeout` ran out; the message says who holds the lock.
   */
  holdSync(options?: SyncWaitOptions): Guard {
    const acquired = this.acquireSync(options);
    return guardOrThrow(acquired, () => this.release(), () => this.#timedOut(options));
  }

  /**
   * Waits until the lock is held and resolves to a guard that releases it, for
   * `using guard = await lock.hold()`.
   *
   * @throws {TimeoutError} (rejects) `timeout` ran out.
   */
  hold(options?: WaitOptions): Promise<Guard> {
    return this.acquire(options).then((acquired) =>
      guardOrThrow(acquired, () => this.release(), () => this.#timedOut(options))
    );
  }

  #timedOut(options: WaitOptions | undefined): string {
    return `Cannot acquire ${label("lock", this.handle)}: timed out after ${
      ms(options?.timeout ?? 0)
    }; ${heldBy(this.#i32, STATE)}`;
  }

  /**
   * Who holds the lock and how many wait, with its name: a snapshot for logs and debuggers.
   *
   * @returns The holder (ident and thread name) if locked; waiters (a lower bound: the lock word
   *   keeps a bit, not a count); `text`, e.g. `lock "orders": held by thread 3 "worker-1"`.
   * @example
   * ```ts
   * import { Lock } from "@threadkit/threadkit";
   * import assert from "node:assert/strict";
   *
   * const lock = new Lock({ name: "orders" });
   * lock.acquireSync();
   * const { name, holders, waiters } = lock.describe();
   * assert.equal(name, "orders");
   * assert.equal(holders.length, 1);
   * assert.equal(waiters, 0);
   * lock.release();
   * ```
   */
  describe(): Description {
    const owner = ownerOf(this.#i32, STATE);
    return description(
      "Lock",
      "lock",
      this.handle,
      holderOf(owner),
      // With this thread's async acquires through this object waiting behind one that parks
      // (`line.ts`; another thread's are not visible here), and its local waits, which leave
      // no trace on the word (`futex.ts`, "Local waits").
      lockWordWaiters(this.#i32, STATE) + localWaitsAt(this.#i32, STATE) +
        (this.#line?.waiting ?? 0),
    );
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

  /** Releases for a Condition wait; returns the state to restore (none for a Lock). @internal */
  _releaseSave(): number {
    unlock(this.#i32, STATE, currentIdent() << 1);
    releasedHere(this.#i32, STATE); // as in `release`
    flushWakes(); // the wakes deferred to this release, as in `release`
    return 1;
  }

  /**
   * Re-acquires after a Condition wait, without timeout: takes a free lock at once and returns
   * nothing, or returns the slow path to run (no generator on the common path).
   *
   * @internal
   */
  _acquireRestore(_saved: number): Parker<boolean> | undefined {
    const me2 = currentIdent() << 1;
    if (Atomics.compareExchange(this.#i32, STATE, 0, me2) === 0) return undefined;
    return acquireSlow(this.#i32, me2, Infinity, SPIN_LIMIT, true);
  }

  /**
   * A Condition's async re-acquire, first step: takes the lock if it is free and no async acquire
   * of this thread waits in this object's line (they go first); otherwise the Condition waits in
   * that line through `acquire()`. So the waits of one thread that a `notifyAll()` lets go park
   * one `waitAsync` between them, where each parked its own on the lock word and every release
   * woke them all: 100 tasks took 8,448 `waitAsync` calls to re-acquire, now 198 on Node and
   * Bun, 99 on Deno (`tests/condition_reacquire_line_test.ts`). From the notify to the last
   * release, µs a task, before → after, same runs (`<rt> bench/probes/condition_herd.ts
   * <before>/mod.ts ./mod.ts --tasks 100 --rounds 7`, medians, 2026-12-04 05:16 UTC, quiet): Node
   * 178.1 → 16.1, Bun 90.0 → 26.7, Deno 140.0 → 15.0. A cross-thread Condition ping-pong is
   * unchanged (`probe.condition` of `bench/probes/waitasync.ts`, three runs each: Node 4.33 /
   * 4.55 / 4.00 → 4.22 / 4.43 / 3.31 µs, Deno 4.82 / 3.37 / 3.53 → 3.48 / 3.19 / 3.81).
   * @internal
   */
  _tryRestore(): boolean {
    const line = this.#line;
    if (line !== undefined && line.busy) return false;
    return Atomics.compareExchange(this.#i32, STATE, 0, currentIdent() << 1) === 0;
  }
}
