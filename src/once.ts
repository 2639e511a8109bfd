/**
 * `Once`: run an initialisation exactly once across every thread that shares it, as Go's
 * `sync.Once` and C++'s `std::call_once`.
 *
 * Layout: Int32Array, 4-byte slots, byteOffset % 4 === 0
 * | slot | name  | meaning                                               |
 * | 0    | STATE | 0 NOT_RUN, 1 DONE, otherwise RUNNING: runner ident << 1 |
 *
 * State table of STATE (`o` = the runner's ident):
 * | value | state   | who moves it on                                                     |
 * | 0     | NOT_RUN | a caller: CAS 0 → o<<1, then it runs its function                    |
 * | o<<1  | RUNNING | the runner: 1 when its function returned (or its promise fulfilled), 0 when it threw (or rejected); a waiter: o<<1 → its own ident << 1 once thread o has ended |
 * | 1     | DONE    | nobody: final                                                       |
 *
 * There is no FAILED state: a run that throws is a run that did not happen (see "Failure" on
 * the class). Invariant: every change away from RUNNING is followed by a wake of every waiter of
 * STATE, and a waiter sleeps only while STATE holds the RUNNING value it read.
 *
 * @module
 */

import { TimeoutError } from "./errors.ts";
import {
  deadlineAfter,
  type Park,
  type Parker,
  runAsync,
  runSync,
  wakeAll,
} from "./internal/futex.ts";
import { currentIdent, describeThread, LIFE_ALIVE, LIFE_ENDED, lifeOf } from "./internal/ident.ts";
import { opening, placeOrOpen } from "./internal/construct.ts";
import { asyncEntry, signalIn, syncEntry, timeoutIn } from "./internal/entry.ts";
import { type Handle, open, type PlacementOptions, slots } from "./internal/layout.ts";
import { clockFor, parkUntil } from "./internal/lock_word.ts";
import { ms, type SyncWaitOptions, type WaitOptions } from "./internal/options.ts";
import { brand } from "./internal/brand.ts";

/** Slot of the state word. */
const STATE = 0;
/** Bytes a `Once` takes. */
const BYTES = 4;
/** STATE: nobody has completed a run, and nobody runs. */
const NOT_RUN = 0;
/** STATE: a run completed. */
const DONE = 1;

/** What `runSync` / `run` do. */
const WHAT = "run once";

/** The slow path's outcome: this caller claimed the run, or another caller completed it. */
type Outcome = "claimed" | "done";

/**
 * The slow path of both forms: wait while another caller runs; claim the run when it is free
 * again (the runner threw, or its thread ended). Throws `TimeoutError` once `timeout` has run
 * out; `sync` refuses to wait for a run of this very thread, which could never end.
 */
function* waitSlow(i32: Int32Array, me2: number, timeout: number, sync: boolean): Parker<Outcome> {
  // A zero timeout looks once and never sleeps.
  const deadline = timeout === 0 ? -Infinity : deadlineAfter(timeout);
  const park: Park = { i32, index: STATE, expected: 0, deadline, asyncCount: -1 };
  let state = Atomics.load(i32, STATE);
  for (;;) {
    if (state === DONE) return "done";
    // Not run (or the last runner threw): claim it.
    if (state === NOT_RUN) {
      state = Atomics.compareExchange(i32, STATE, NOT_RUN, me2);
      if (state === NOT_RUN) return "claimed";
      continue;
    }
    // Running in a thread that has ended: its run will never finish; take it over.
    const runner = state >>> 1;
    const life = lifeOf(runner);
    if (life === LIFE_ENDED) {
      const seen = Atomics.compareExchange(i32, STATE, state, me2);
      if (seen === state) return "claimed";
      state = seen;
      continue;
    }
    // Running elsewhere: give up if our time is out (a zero timeout only looks).
    const t = clockFor(deadline, life === LIFE_ALIVE);
    if (t >= deadline) {
      throw new TimeoutError(
        `Cannot ${WHAT}: timed out after ${ms(timeout)}; ${describeThread(runner)} is running it`,
      );
    }
    // Running on this thread: a blocking wait would stop the run it waits for.
    if (sync && state === me2) {
      throw new Error(
        `Cannot ${WHAT}: this thread is running it, so the wait could never end (a recursive call, or runSync while run() is pending)`,
      );
    }
    // Sleep while the same run goes on; poll a watched runner's liveness. "ok": the run ended
    // (or spurious) — look again. "not-equal": it ended before we slept — look again.
    // "timed-out": our deadline or a liveness poll — the loop decides.
    park.expected = state;
    park.deadline = parkUntil(deadline, life === LIFE_ALIVE, t);
    yield park;
    state = Atomics.load(i32, STATE);
  }
}

/** Ends a run: DONE on success, NOT_RUN on failure (the next caller runs); wakes every waiter. */
function finish(i32: Int32Array, succeeded: boolean): void {
  Atomics.store(i32, STATE, succeeded ? DONE : NOT_RUN);
  wakeAll(i32, STATE);
}

function isThenable(value: unknown): boolean {
  return (typeof value === "object" || typeof value === "function") && value !== null &&
    typeof (value as { then?: unknown }).then === "function";
}

/**
 * Runs a function exactly once across every thread that shares this `Once`: the first caller
 * runs its own function, concurrent callers wait until it has finished, later callers return at
 * once.
 *
 * - Each thread passes its own function (functions do not cross threads); the first caller's is
 *   the one that runs. Results do not cross threads either: `runSync`/`run` return `true` to the
 *   caller whose function ran to completion and `false` to every other caller, once it has.
 * - `run(fn)` accepts async functions: the run lasts until the returned promise settles.
 *   `runSync(fn)` needs a synchronous `fn` (a returned promise is a `TypeError`).
 * - **Failure**: if the function throws (or its promise rejects), that caller gets the error and
 *   the `Once` returns to "not run": the next caller (a waiting one, or a later one) runs its own
 *   function. So `done` means "completed", and every caller either sees a completed run or its
 *   own function's error — an error object cannot cross threads, so there is nothing truthful to
 *   tell the waiters of other threads instead (Go marks a panicking run done; C++'s
 *   `std::call_once` retries, as here).
 * - If the runner is a threadkit thread that ends during the run (terminated, or exited), the
 *   first waiter to see it takes the run over within ~100 ms.
 * - `timeout` bounds only the wait for another caller's run; a caller that runs its function runs
 *   it to completion. A timed-out wait throws `TimeoutError`; an aborted `signal` rejects with
 *   its reason. Neither changes the `Once`.
 * - A `runSync` on the thread that is running the function (a recursive call, or `runSync` while
 *   this thread's `run()` is pending) would block for ever; it throws an `Error` instead.
 * - Spurious wake-ups never surface.
 *
 * Happens-before: the completion of the run synchronizes before the return of every call that
 * returns `false`, and before every read of `done` that returns `true`.
 *
 * Sharing: `Once.from(once.handle)` in any thread.
 *
 * @example Initialise once
 * ```ts
 * import { Once } from "@threadkit/threadkit";
 * import assert from "node:assert/strict";
 *
 * const once = new Once();
 * let runs = 0;
 * assert.equal(once.runSync(() => runs++), true);
 * assert.equal(once.runSync(() => runs++), false);
 * assert.equal(await once.run(async () => runs++), false);
 * assert.equal(runs, 1);
 * assert.equal(once.done, true);
 * ```
 */
export class Once {
  static {
    brand(this, "Once");
  }
  /** Bytes a `Once` takes inside a caller's buffer (see {@link PlacementOptions}). */
  static readonly byteLength: number = BYTES;

  /** A structured-clone-safe description; `Once.from(handle)` rebuilds it. */
  readonly handle: Handle;
  readonly #i32: Int32Array;

  /**
   * Creates a `Once` that has not run, in a new SharedArrayBuffer or at `byteOffset` in `buffer`.
   *
   * @throws {TypeError} `buffer` is not a SharedArrayBuffer.
   * @throws {RangeError} `byteOffset` is negative, not a multiple of 4, or leaves no room.
   */
  constructor(options?: PlacementOptions) {
    this.handle = placeOrOpen("Once", BYTES, options);
    this.#i32 = slots(this.handle, 1);
  }

  /**
   * Rebuilds a `Once` from its handle, in any thread.
   *
   * @throws {TypeError} `handle` is not the handle of a `Once`.
   */
  static from(handle: Handle): Once {
    return new Once(opening(open(handle, "Once", BYTES)));
  }

  /** Whether a run has completed (a snapshot; `true` for good once it is). */
  get done(): boolean {
    return Atomics.load(this.#i32, STATE) === DONE;
  }

  /**
   * Runs `fn` if no run has completed and none is going on; otherwise blocks until the run going
   * on has finished, and runs `fn` if that one failed.
   *
   * @param fn A synchronous function; its result is ignored.
   * @param options `timeout` in ms for the wait for another caller's run (default `Infinity`).
   * @returns `true` if this call ran `fn` to completion, `false` if another call did.
   * @throws {unknown} What `fn` threw (the `Once` is then "not run" again).
   * @throws {TimeoutError} Another caller's run did not finish within `timeout`.
   * @throws {TypeError} `fn` is not a function or returned a promise; blocking is not allowed on
   *   this thread; bad options.
   * @throws {RangeError} `timeout` is negative or `NaN`.
   * @throws {Error} This thread is running it already (the wait could never end).
   */
  runSync(fn: () => unknown, options?: SyncWaitOptions): boolean {
    if (typeof fn !== "function") throw fnError(fn);
    const timeout = syncEntry(options, WHAT, "once.run()");
    const i32 = this.#i32;
    // Fast path: done already.
    if (Atomics.load(i32, STATE) === DONE) return false;
    const me2 = currentIdent() << 1;
    const outcome = Atomics.compareExchange(i32, STATE, NOT_RUN, me2) === NOT_RUN
      ? "claimed"
      : runSync(waitSlow(i32, me2, timeout, true));
    if (outcome === "done") return false;
    let succeeded = false;
    try {
      const result = fn();
      if (isThenable(result)) {
        throw new TypeError(
          `Cannot ${WHAT}: fn returned a promise, which runSync cannot wait for; use once.run(fn)`,
        );
      }
      succeeded = true;
    } finally {
      finish(i32, succeeded);
    }
    return true;
  }

  /**
   * Runs `fn` if no run has completed and none is going on; otherwise waits, without blocking
   * the thread, until the run going on has finished, and runs `fn` if that one failed.
   *
   * @param fn A function, sync or async; the run lasts until its promise settles.
   * @param options `timeout` in ms for the wait for another caller's run (default `Infinity`);
   *   `signal` to abort that wait (it cannot stop `fn` once this call runs it).
   * @returns A promise of `true` if this call ran `fn` to completion, `false` if another did.
   * @throws {unknown} (rejects) What `fn` threw or rejected with (the `Once` is "not run" again).
   * @throws {TimeoutError} (rejects) Another caller's run did not finish within `timeout`.
   * @throws {TypeError|RangeError} (rejects) `fn` is not a function; bad options.
   */
  run(fn: () => unknown, options?: WaitOptions): Promise<boolean> {
    if (typeof fn !== "function") return Promise.reject(fnError(fn));
    // Bad options reject; so does an aborted signal, even when nothing would have to wait.
    const entry = asyncEntry(options, WHAT);
    if (entry instanceof Promise) return entry;
    const i32 = this.#i32;
    if (Atomics.load(i32, STATE) === DONE) return Promise.resolve(false);
    const me2 = currentIdent() << 1;
    if (Atomics.compareExchange(i32, STATE, NOT_RUN, me2) === NOT_RUN) return runClaimed(i32, fn);
    return runAsync(waitSlow(i32, me2, timeoutIn(entry), false), signalIn(entry)).then((outcome) =>
      outcome === "done" ? false : runClaimed(i32, fn)
    );
  }
}

/** Runs `fn` for a claimed run and ends it when its promise settles. */
async function runClaimed(i32: Int32Array, fn: () => unknown): Promise<boolean> {
  let succeeded = false;
  try {
    await fn();
    succeeded = true;
  } finally {
    finish(i32, succeeded);
  }
  return true;
}

/** The error for an `fn` that is not a function. */
function fnError(fn: unknown): TypeError {
  return new TypeError(
    `Cannot ${WHAT}: fn must be a function, got ${fn === null ? "null" : typeof fn}`,
  );
}
