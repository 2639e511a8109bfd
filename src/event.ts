/**
 * `Event`: a flag threads wait for, as Python's `threading.Event`.
 *
 * Layout: Int32Array, 4-byte slots, byteOffset % 4 === 0
 * | slot | name  | meaning                                                       |
 * | 0    | STATE | `generation << 1 \| FLAG`; the generation counts `set()`s (wraps) |
 * | 1    | —     | reserved (keeps the 8-byte size of earlier versions)          |
 *
 * State table (g = generation):
 * | STATE       | meaning   | `set()`                       | `clear()`      |
 * | g << 1      | clear     | CAS → (g+1) << 1 \| 1, wake all | nothing        |
 * | g << 1 \| 1 | set       | nothing                       | CAS → g << 1   |
 *
 * Invariant: the flag and the generation change together, in one CAS, so a wait can never see
 * the flag of one `set()` and the generation bump of the same `set()` separately (with two slots,
 * a waiter could see the flag, return, `clear()`, wait again, and be woken by the late bump of
 * the `set()` it had already seen). A waiter sleeps only on a clear STATE it read, so every
 * `set()` after that read changes STATE and wakes it; it returns `true` once the generation
 * moved, even if `clear()` followed at once (Python's rule).
 *
 * @module
 */

import {
  deadlineAfter,
  type Park,
  type Parker,
  runAsync,
  runSync,
  wakeAll,
} from "./internal/futex.ts";
import { opening, placeOrOpen } from "./internal/construct.ts";
import { asyncEntry, expired, signalIn, syncEntry, timeoutIn } from "./internal/entry.ts";
import { type Handle, open, type PlacementOptions, slots } from "./internal/layout.ts";
import type { SyncWaitOptions, WaitOptions } from "./internal/options.ts";
import { brand } from "./internal/brand.ts";

/** Slot of the flag and generation. */
const STATE = 0;
/** Bit 0 of STATE: the flag. */
const FLAG = 1;
/** Bytes an `Event` takes. */
const BYTES = 8;

/**
 * The slow path: sleep until a `set()` moves STATE past `seen` (a clear state the caller read) or
 * `timeout` (ms, > 0) runs out.
 *
 * The clock is read for the deadline (not at all for `Infinity`) and then only after a park that
 * timed out; the first park needs no re-read of STATE: the sleep itself compares STATE with
 * `seen` ("not-equal" if a `set()` came since). A park whose deadline has passed ends as
 * "timed-out" in the drivers without sleeping, so "ok" and "not-equal" need no look at the clock.
 * Per parked wait: one clock read here (was three: `deadlineAfter`, `expired` before the park and
 * again after it) and one in the driver. `taskset -c 0 npx node bench/probes/semaphore_pingpong.ts
 * /tmp/cond-before/mod.ts ./mod.ts` (same-CPU regime; rows rotated in one run; three runs per
 * runtime), event-after ÷ event-before, median: Node 0.98 / 0.97 / 0.86, Deno 0.96 / 0.96 / 0.96,
 * Bun 0.97 / 0.97 / 0.99; ÷ the floor before → after: Node 1.34 / 1.31 / 1.48 → 1.31 / 1.26 /
 * 1.27, Deno 1.35 / 1.34 / 1.37 → 1.30 / 1.29 / 1.31, Bun 1.13 / 1.21 / 1.26 → 1.09 / 1.18 /
 * 1.25. Per round trip and worker (`--count`, Node): `performance.now()` 1.9 → 1.2, STATE loads
 * 4.2 → 3.6.
 */
function* waitSlow(i32: Int32Array, seen: number, timeout: number): Parker<boolean> {
  const deadline = deadlineAfter(timeout);
  const park: Park = { i32, index: STATE, expected: seen, deadline, asyncCount: -1 };
  for (;;) {
    // "ok" / "not-equal": a set() (or spurious) — re-check. "timed-out": the deadline, or an
    // early end of the sleep — re-check, then the clock.
    const result = yield park;
    // Set now, or set (and maybe cleared) since we looked: the generation moved.
    const state = Atomics.load(i32, STATE);
    if ((state & FLAG) !== 0 || (state & ~FLAG) !== seen) return true;
    if (result === "timed-out" && expired(deadline)) return false;
  }
}

/**
 * A shared flag: `set()` raises it and wakes every waiter; `clear()` lowers it; `waitSync()` /
 * `wait()` wait until it is raised.
 *
 * - A waiter woken by `set()` returns `true` even if `clear()` follows at once (Python's rule).
 * - `set()` on a set event does nothing; it never wakes a thread needlessly.
 * - Spurious wake-ups never surface.
 *
 * Happens-before: a `set()` synchronizes before every wait it ends.
 *
 * Sharing: `Event.from(event.handle)` in any thread.
 *
 * @example Signal once
 * ```ts
 * import { Event } from "@threadkit/threadkit";
 * import assert from "node:assert/strict";
 *
 * const ready = new Event();
 * const waiting = ready.wait({ timeout: 1000 });
 * ready.set();
 * assert.equal(await waiting, true);
 * assert.equal(ready.isSet(), true);
 * ```
 */
export class Event {
  static {
    brand(this, "Event");
  }
  /** Bytes an `Event` takes inside a caller's buffer. */
  static readonly byteLength: number = BYTES;

  /** A structured-clone-safe description; `Event.from(handle)` rebuilds it. */
  readonly handle: Handle;
  readonly #i32: Int32Array;

  /** Creates a clear event. @throws {TypeError|RangeError} bad placement. */
  constructor(options?: PlacementOptions) {
    this.handle = placeOrOpen("Event", BYTES, options);
    this.#i32 = slots(this.handle, 2);
  }

  /** Rebuilds an event from its handle. @throws {TypeError} not the handle of an `Event`. */
  static from(handle: Handle): Event {
    return new Event(opening(open(handle, "Event", BYTES)));
  }

  /** Whether the flag is set (a snapshot). */
  isSet(): boolean {
    return (Atomics.load(this.#i32, STATE) & FLAG) !== 0;
  }

  /** Sets the flag and wakes every waiter. */
  set(): void {
    const i32 = this.#i32;
    let state = Atomics.load(i32, STATE);
    for (;;) {
      if ((state & FLAG) !== 0) return; // already set: nobody sleeps on a set state
      // Raise the flag and bump the generation in one step (see the invariant).
      const seen = Atomics.compareExchange(i32, STATE, state, ((state + 2) | FLAG) | 0);
      if (seen === state) break;
      state = seen;
    }
    wakeAll(i32, STATE);
  }

  /** Clears the flag; later waits wait for the next `set()`. */
  clear(): void {
    const i32 = this.#i32;
    let state = Atomics.load(i32, STATE);
    // Lower the flag, keeping the generation (CAS: a concurrent set() must not be lost).
    while ((state & FLAG) !== 0) {
      const seen = Atomics.compareExchange(i32, STATE, state, state & ~FLAG);
      if (seen === state) return;
      state = seen;
    }
  }

  /**
   * Blocks until the flag is set or `timeout` runs out.
   *
   * @returns `true` if the flag was set (or a `set()` happened while waiting), `false` on timeout.
   * @throws {TypeError} Blocking is not allowed on this thread; bad options.
   * @throws {RangeError} `timeout` is negative or `NaN`.
   */
  waitSync(options?: SyncWaitOptions): boolean {
    const timeout = syncEntry(options, "wait for event", "event.wait()");
    const i32 = this.#i32;
    // Fast path: set already.
    const state = Atomics.load(i32, STATE);
    if ((state & FLAG) !== 0) return true;
    if (timeout === 0) return false;
    return runSync(waitSlow(i32, state, timeout));
  }

  /**
   * Waits without blocking until the flag is set, `timeout` runs out or `signal` aborts.
   *
   * @returns A promise of `true` once set, `false` on timeout.
   */
  wait(options?: WaitOptions): Promise<boolean> {
    const entry = asyncEntry(options, "wait for event");
    if (entry instanceof Promise) return entry;
    const i32 = this.#i32;
    // Fast path: set already.
    const state = Atomics.load(i32, STATE);
    if ((state & FLAG) !== 0) return Promise.resolve(true);
    const timeout = timeoutIn(entry);
    if (timeout === 0) return Promise.resolve(false);
    return runAsync(waitSlow(i32, state, timeout), signalIn(entry));
  }
}
