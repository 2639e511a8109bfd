/**
 * `Event`: a flag threads wait for, as Python's `threading.Event`.
 *
 * Layout: Int32Array, 4-byte slots, byteOffset % 4 === 0
 * | slot | name | meaning                                       |
 * | 0    | FLAG | 1 set, 0 clear                                |
 * | 1    | GEN  | bumped by every `set()` of a clear flag (wraps) |
 * Invariant: `set()` writes FLAG before GEN and wakes all after; a waiter reads GEN before FLAG
 * and sleeps only while GEN is unchanged. So a waiter that saw FLAG clear sees GEN move (or is
 * woken), and a waiter woken by `set()` returns `true` even if `clear()` follows at once.
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
  wakeAll,
} from "./internal/futex.ts";
import { type Handle, open, place, type PlacementOptions, slots } from "./internal/layout.ts";
import {
  rejectSignal,
  signalOf,
  type SyncWaitOptions,
  timeoutOf,
  type WaitOptions,
} from "./internal/options.ts";

/** Slot of the flag. */
const FLAG = 0;
/** Slot of the set generation. */
const GEN = 1;
/** Bytes an `Event` takes. */
const BYTES = 8;

let opening: Handle | undefined;

/** The slow path: sleep until a `set()` moves GEN past `gen` or the deadline. */
function* waitSlow(i32: Int32Array, gen: number, deadline: number): Parker<boolean> {
  const park: Park = { i32, index: GEN, expected: gen, deadline, asyncCount: -1 };
  for (;;) {
    if (Atomics.load(i32, GEN) !== gen || Atomics.load(i32, FLAG) === 1) return true;
    if (deadline !== Infinity && now() >= deadline) return false;
    // "ok" / "not-equal": a set() (or spurious) — the loop re-checks. "timed-out": the deadline.
    yield park;
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
  /** Bytes an `Event` takes inside a caller's buffer. */
  static readonly byteLength: number = BYTES;

  /** A structured-clone-safe description; `Event.from(handle)` rebuilds it. */
  readonly handle: Handle;
  readonly #i32: Int32Array;

  /** Creates a clear event. @throws {TypeError|RangeError} bad placement. */
  constructor(options?: PlacementOptions) {
    const handle = opening;
    opening = undefined;
    this.handle = handle ?? place("Event", BYTES, options);
    this.#i32 = slots(this.handle, 2);
    if (handle === undefined) this.#i32.fill(0);
  }

  /** Rebuilds an event from its handle. @throws {TypeError} not the handle of an `Event`. */
  static from(handle: Handle): Event {
    opening = open(handle, "Event", BYTES);
    return new Event();
  }

  /** Whether the flag is set (a snapshot). */
  isSet(): boolean {
    return Atomics.load(this.#i32, FLAG) === 1;
  }

  /** Sets the flag and wakes every waiter. */
  set(): void {
    const i32 = this.#i32;
    // Raise FLAG; only the call that raised it bumps GEN and wakes (see the invariant).
    if (Atomics.exchange(i32, FLAG, 1) === 0) {
      Atomics.add(i32, GEN, 1);
      wakeAll(i32, GEN);
    }
  }

  /** Clears the flag; later waits wait for the next `set()`. */
  clear(): void {
    Atomics.store(this.#i32, FLAG, 0);
  }

  /**
   * Blocks until the flag is set or `timeout` runs out.
   *
   * @returns `true` if the flag was set (or a `set()` happened while waiting), `false` on timeout.
   * @throws {TypeError} Blocking is not allowed on this thread; bad options.
   * @throws {RangeError} `timeout` is negative or `NaN`.
   */
  waitSync(options?: SyncWaitOptions): boolean {
    const timeout = timeoutOf(options, "wait for event");
    rejectSignal(options, "wait for event", "event.wait()");
    assertCanBlock("event.wait()");
    const i32 = this.#i32;
    const gen = Atomics.load(i32, GEN);
    if (Atomics.load(i32, FLAG) === 1) return true;
    if (timeout === 0) return false;
    return runSync(waitSlow(i32, gen, deadlineAfter(timeout)));
  }

  /**
   * Waits without blocking until the flag is set, `timeout` runs out or `signal` aborts.
   *
   * @returns A promise of `true` once set, `false` on timeout.
   */
  wait(options?: WaitOptions): Promise<boolean> {
    let timeout: number;
    let signal: AbortSignal | undefined;
    try {
      timeout = timeoutOf(options, "wait for event");
      signal = signalOf(options, "wait for event");
    } catch (error) {
      return Promise.reject(error);
    }
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    const i32 = this.#i32;
    const gen = Atomics.load(i32, GEN);
    if (Atomics.load(i32, FLAG) === 1) return Promise.resolve(true);
    if (timeout === 0) return Promise.resolve(false);
    return runAsync(waitSlow(i32, gen, deadlineAfter(timeout)), signal);
  }
}
