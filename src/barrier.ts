/**
 * `Barrier`: a cyclic rendezvous of a fixed number of parties, as Python's `threading.Barrier`.
 *
 * Layout: Int32Array, 4-byte slots, byteOffset % 4 === 0
 * | slot | name    | meaning                                                            |
 * | 0    | LOCK    | internal lock word (see `internal/lock_word.ts`)                   |
 * | 1    | ASYNC   | async waiters registered on LOCK                                   |
 * | 2    | STATE   | FILLING 0, DRAINING 1, DRAINING_BROKEN 2, RESETTING -1, BROKEN -2  |
 * | 3    | COUNT   | threads inside `wait` (arrived, or leaving a drained/broken cycle) |
 * | 4    | SEQ     | bumped on every STATE change; waiters sleep on it                  |
 * | 5    | PARTIES | the number of parties, fixed                                       |
 * Invariant: STATE, COUNT and SEQ change only with LOCK held; a waiter reads SEQ with LOCK held
 * before it releases LOCK to sleep, so no state change is missed (`internal/seq_wait.ts`).
 *
 * State machine (CPython's): arrivals enter only while FILLING (they wait out DRAINING and
 * RESETTING); the last arrival runs the action and moves to DRAINING; the last thread to leave a
 * DRAINING or RESETTING cycle moves back to FILLING. A timeout, `abort()` or a throwing action
 * moves to BROKEN; `reset()` moves a barrier with waiters to RESETTING (they get
 * `BrokenBarrierError`) and an empty one to FILLING. Because a cycle drains before the next one
 * fills, every waiter sees the outcome of its own cycle. That includes `abort()` during DRAINING
 * (unlike CPython, whose draining waiters then raise): it moves to DRAINING_BROKEN, whose waiters
 * still pass and whose last one to leave moves to BROKEN; `reset()` moves it back to DRAINING.
 * Unlike CPython, an arrival's timeout also runs while it waits out DRAINING or RESETTING: a
 * party that died before leaving never ends its cycle, and the arrival then breaks the barrier
 * (DRAINING → DRAINING_BROKEN) instead of hanging. Such a barrier stays broken: `reset()` cannot
 * count the dead party out; create a new one.
 *
 * @module
 */

import { BrokenBarrierError } from "./errors.ts";
import {
  type Aborted,
  assertCanBlock,
  deadlineAfter,
  now,
  type Parker,
  runAsync,
  runSync,
  wakeAll,
} from "./internal/futex.ts";
import { currentIdent } from "./internal/ident.ts";
import { openedHandle, opening, ownOptions, placeOrOpen } from "./internal/construct.ts";
import { type Handle, open, type PlacementOptions, slots } from "./internal/layout.ts";
import { lockBriefly, unlock } from "./internal/lock_word.ts";
import {
  ms,
  rejectSignal,
  signalOf,
  type SyncWaitOptions,
  timeoutOf,
  type WaitOptions,
} from "./internal/options.ts";
import { SeqWait } from "./internal/seq_wait.ts";
import { brand } from "./internal/brand.ts";

/** Slot of the internal lock word. */
const LOCK = 0;
/** Slot of the barrier state. */
const STATE = 2;
/** Slot of the number of threads inside `wait`. */
const COUNT = 3;
/** Slot of the state-change sequence. */
const SEQ = 4;
/** Slot of the party count. */
const PARTIES = 5;
/** Slots and bytes a Barrier takes. */
const SLOTS = 6;
const BYTES = SLOTS * 4;

/** Arrivals are admitted. */
const FILLING = 0;
/** The cycle completed; its waiters are leaving. */
const DRAINING = 1;
/** The cycle completed, then `abort()`: its waiters pass; the last to leave moves to BROKEN. */
const DRAINING_BROKEN = 2;
/** `reset()` with waiters; they are leaving with `BrokenBarrierError`. */
const RESETTING = -1;
/** Broken until `reset()`. */
const BROKEN = -2;

/** Options of `new Barrier`. */
export interface BarrierOptions extends PlacementOptions {
  /** Runs once per cycle, in the last thread to arrive, before any waiter is released. */
  action?: (() => void) | undefined;
  /** Default timeout of every `wait`, in ms (default `Infinity`). */
  timeout?: number | undefined;
}

/** Options of one `wait`: a timeout, a signal (async only) and this thread's action. */
export interface BarrierWaitOptions extends WaitOptions {
  /** This thread's action, run if it arrives last (overrides the constructor's). */
  action?: (() => void) | undefined;
}

/** Options of one `waitSync`. */
export interface BarrierWaitSyncOptions extends SyncWaitOptions {
  /** This thread's action, run if it arrives last (overrides the constructor's). */
  action?: (() => void) | undefined;
}

function brokenError(): BrokenBarrierError {
  return new BrokenBarrierError(
    "Cannot pass barrier: it is broken (timeout, abort(), reset() or a throwing action)",
  );
}

/** Sets STATE and wakes every sleeper (LOCK held). */
function setState(i32: Int32Array, state: number): void {
  Atomics.store(i32, STATE, state);
  Atomics.add(i32, SEQ, 1);
  wakeAll(i32, SEQ);
}

/**
 * A barrier for `parties` threads (or async tasks): each `wait` blocks until all have arrived,
 * then all continue. It is cyclic: it can be used again right after.
 *
 * - `wait` returns the arrival index, `0..parties-1`, unique within a cycle.
 * - The action (the constructor's, or the last arrival's own `action` option) runs once per
 *   cycle in the last arrival, before anyone is released. If it throws, the barrier breaks and
 *   that arrival rethrows the action's error.
 * - A timeout, `abort()`, a `reset()` while threads wait, an aborted `signal`, or a throwing
 *   action **break** the barrier: every waiter gets `BrokenBarrierError` (an aborted waiter gets
 *   `signal.reason`), and so does every later `wait` until `reset()`.
 *   An arrival cannot be taken back, so an abort breaks the barrier rather than leaving it as it
 *   was (unlike the other primitives).
 * - No spurious wake-ups surface.
 *
 * Happens-before: everything each party did before its `wait` synchronizes before the return of
 * every `wait` of that cycle.
 *
 * Sharing: `Barrier.from(barrier.handle)` in any thread (an `action` does not cross threads;
 * pass it to `wait` where needed).
 *
 * @example Two tasks meet
 * ```ts
 * import { Barrier } from "@threadkit/threadkit";
 * import assert from "node:assert/strict";
 *
 * const barrier = new Barrier(2);
 * const indexes = await Promise.all([barrier.wait({ timeout: 1000 }), barrier.wait({ timeout: 1000 })]);
 * assert.deepEqual(indexes.sort(), [0, 1]);
 * ```
 */
export class Barrier {
  static {
    brand(this, "Barrier");
  }
  /** Bytes a Barrier takes inside a caller's buffer. */
  static readonly byteLength: number = BYTES;

  /** A structured-clone-safe description; `Barrier.from(handle)` rebuilds it. */
  readonly handle: Handle;
  readonly #i32: Int32Array;
  readonly #action: (() => void) | undefined;
  readonly #timeout: number;

  /**
   * Creates a barrier for `parties` threads.
   *
   * @throws {RangeError} `parties` is not an integer ≥ 1; bad `timeout`; bad placement.
   * @throws {TypeError} `action` is not a function; bad placement.
   */
  constructor(parties: number, options?: BarrierOptions) {
    const fresh = openedHandle(options) === undefined;
    if (typeof parties !== "number") {
      throw new TypeError(`Cannot create Barrier: parties must be a number, got ${typeof parties}`);
    }
    if (fresh && (!Number.isInteger(parties) || parties < 1 || parties > 2 ** 30)) {
      throw new RangeError(
        `Cannot create Barrier: parties must be an integer from 1 to 2^30, got ${parties}`,
      );
    }
    // From `Barrier.from`, this thread's action and timeout travel inside the opening token.
    const own = ownOptions(options);
    const action = own?.action;
    if (action !== undefined && typeof action !== "function") {
      throw new TypeError("Cannot create Barrier: action must be a function");
    }
    this.#action = action;
    this.#timeout = timeoutOf(own, "create Barrier");
    this.handle = placeOrOpen("Barrier", BYTES, options);
    this.#i32 = slots(this.handle, SLOTS);
    if (fresh) {
      Atomics.store(this.#i32, PARTIES, parties);
    }
  }

  /**
   * Rebuilds a barrier from its handle, optionally with this thread's default action/timeout.
   *
   * @throws {TypeError} `handle` is not the handle of a `Barrier`.
   */
  static from(handle: Handle, options?: Pick<BarrierOptions, "action" | "timeout">): Barrier {
    const opened = open(handle, "Barrier", BYTES);
    return new Barrier(Atomics.load(slots(opened, SLOTS), PARTIES), opening(opened, options));
  }

  /** The number of parties. */
  get parties(): number {
    return Atomics.load(this.#i32, PARTIES);
  }

  /** Threads currently waiting in a filling cycle (a snapshot). */
  get nWaiting(): number {
    return Atomics.load(this.#i32, STATE) === FILLING ? Atomics.load(this.#i32, COUNT) : 0;
  }

  /** Whether the barrier is broken. */
  get broken(): boolean {
    const state = Atomics.load(this.#i32, STATE);
    return state === BROKEN || state === DRAINING_BROKEN;
  }

  #options(
    options: BarrierWaitOptions | undefined,
    what: string,
  ): { deadline: number; action: (() => void) | undefined } {
    // Validate first: non-object options are a TypeError, never a silent default timeout.
    const given = timeoutOf(options, what);
    const timeout = options?.timeout === undefined ? this.#timeout : given;
    const action = options?.action ?? this.#action;
    if (action !== undefined && typeof action !== "function") {
      throw new TypeError(`Cannot ${what}: action must be a function`);
    }
    return { deadline: deadlineAfter(timeout), action };
  }

  /** The slow path of both waits. */
  *#waitSlow(deadline: number, action: (() => void) | undefined): Parker<number> {
    const i32 = this.#i32;
    const me2 = currentIdent() << 1;
    // Sleeps on SEQ under LOCK; records an abort thrown in at any yield in `waiter.aborted`.
    const waiter = new SeqWait(i32, LOCK, SEQ, -1, me2);
    yield* waiter.lock();
    let arrived = false;
    try {
      // Enter: wait out a draining or resetting cycle. CPython waits here without a timeout,
      // since leaving takes a moment; but a party that died (or stalls) before leaving never
      // ends the cycle, so our timeout counts here too. Running out breaks the barrier as any
      // timeout does, without failing the completed cycle: DRAINING → DRAINING_BROKEN, whose
      // leavers still pass (a RESETTING cycle's leavers get BrokenBarrierError anyway).
      for (;;) {
        const state = Atomics.load(i32, STATE);
        if (state !== DRAINING && state !== DRAINING_BROKEN && state !== RESETTING) break;
        if (waiter.aborted !== undefined) throw waiter.aborted.reason; // not arrived: no undo
        if (deadline !== Infinity && now() >= deadline) {
          if (state === DRAINING) setState(i32, DRAINING_BROKEN);
          throw brokenError(); // not arrived: nothing to undo
        }
        yield* waiter.sleep(deadline);
      }
      if (waiter.aborted !== undefined) throw waiter.aborted.reason;
      if (Atomics.load(i32, STATE) === BROKEN) throw brokenError();
      const index = Atomics.add(i32, COUNT, 1);
      arrived = true;
      if (index + 1 === Atomics.load(i32, PARTIES)) {
        // Last arrival: run the action, then release the cycle.
        try {
          action?.();
        } catch (error) {
          setState(i32, BROKEN);
          throw error;
        }
        setState(i32, DRAINING);
        return index;
      }
      // Wait until the cycle is released or broken, or our time is out.
      for (;;) {
        const state = Atomics.load(i32, STATE);
        if (state === DRAINING || state === DRAINING_BROKEN) return index;
        if (state === BROKEN || state === RESETTING) throw brokenError();
        if (waiter.expired(deadline)) {
          // Aborted (during the last sleep) or timed out: break the barrier for everyone.
          setState(i32, BROKEN);
          const by = waiter.aborted as Aborted | undefined;
          throw by !== undefined ? by.reason : brokenError();
        }
        yield* waiter.sleep(deadline);
      }
    } finally {
      // Leave; the last to leave a drained or reset cycle opens the next one (or, after an
      // abort() while it drained, breaks the barrier).
      if (arrived && Atomics.sub(i32, COUNT, 1) === 1) {
        const state = Atomics.load(i32, STATE);
        if (state === DRAINING || state === RESETTING) setState(i32, FILLING);
        else if (state === DRAINING_BROKEN) setState(i32, BROKEN);
      }
      unlock(i32, LOCK, me2);
    }
  }

  /**
   * Blocks until all parties have arrived.
   *
   * @returns This thread's arrival index, `0..parties-1`.
   * @throws {BrokenBarrierError} The barrier is or became broken (timeout, abort, reset, action).
   * @throws {TypeError} Blocking is not allowed on this thread; bad options.
   */
  waitSync(options?: BarrierWaitSyncOptions): number {
    rejectSignal(options, "wait at barrier", "barrier.wait()");
    const { deadline, action } = this.#options(options, "wait at barrier");
    assertCanBlock("barrier.wait()");
    return runSync(this.#waitSlow(deadline, action));
  }

  /**
   * Waits without blocking until all parties have arrived.
   *
   * @returns A promise of this task's arrival index.
   * @throws {BrokenBarrierError} (rejects) The barrier is or became broken.
   */
  wait(options?: BarrierWaitOptions): Promise<number> {
    try {
      const { deadline, action } = this.#options(options, "wait at barrier");
      const signal = signalOf(options, "wait at barrier");
      if (signal?.aborted === true) return Promise.reject(signal.reason);
      return runAsync(this.#waitSlow(deadline, action), signal, "throw");
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Runs `fn` with the internal lock held (short, never waits on other primitives). */
  #locked(fn: (i32: Int32Array) => void): void {
    const i32 = this.#i32;
    const me2 = currentIdent() << 1;
    lockBriefly(i32, LOCK, me2);
    try {
      fn(i32);
    } finally {
      unlock(i32, LOCK, me2);
    }
  }

  /**
   * Returns the barrier to its empty state. Threads waiting on it get `BrokenBarrierError`.
   */
  reset(): void {
    this.#locked((i32) => {
      const count = Atomics.load(i32, COUNT);
      const state = Atomics.load(i32, STATE);
      if (count > 0) {
        // Waiters leave with BrokenBarrierError; the last one to leave opens the next cycle.
        if (state === FILLING || state === BROKEN) setState(i32, RESETTING);
        // A completed cycle drains as usual; a pending break is cancelled.
        else if (state === DRAINING_BROKEN) setState(i32, DRAINING);
      } else {
        setState(i32, FILLING);
      }
    });
  }

  /**
   * Breaks the barrier: current and future waiters get `BrokenBarrierError` until `reset()`.
   * The waiters of a cycle that has already completed still pass.
   */
  abort(): void {
    this.#locked((i32) => {
      // A completed cycle that is still draining keeps its outcome: break after it.
      const state = Atomics.load(i32, STATE);
      setState(i32, state === DRAINING || state === DRAINING_BROKEN ? DRAINING_BROKEN : BROKEN);
    });
  }

  /** @internal For messages. */
  toString(): string {
    return `Barrier(${this.parties}, ${this.nWaiting} waiting${
      this.broken ? ", broken" : ""
    }, timeout ${ms(this.#timeout)})`;
  }
}
