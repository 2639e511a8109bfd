/**
 * `Latch`: a count-down latch in shared memory, as Java's `CountDownLatch`.
 *
 * Layout: Int32Array, 4-byte slots, byteOffset % 4 === 0
 * | slot | name  | meaning                                |
 * | 0    | COUNT | count-downs still to come, 0..2^31-1   |
 *
 * State table of COUNT:
 * | value | meaning                  | who moves it on                                    |
 * | n > 0 | closed; waiters sleep    | `countDown(k)`: CAS n → n-k (k ≤ n); at 0, wake all |
 * | 0     | open for good            | nobody                                             |
 *
 * Invariant: COUNT only decreases, and only the count-down that brings it to 0 wakes; a waiter
 * sleeps only while COUNT still holds the non-zero value it read, so it either sees 0 or is
 * asleep on the slot before that wake.
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
import { openedHandle, opening, placeOrOpen } from "./internal/construct.ts";
import { asyncEntry, expired, signalIn, syncEntry, timeoutIn } from "./internal/entry.ts";
import { type Handle, open, type PlacementOptions, slots } from "./internal/layout.ts";
import type { SyncWaitOptions, WaitOptions } from "./internal/options.ts";
import { brand } from "./internal/brand.ts";

/** Slot of the count. */
const COUNT = 0;
/** Bytes a `Latch` takes. */
const BYTES = 4;
/** Largest count. */
const MAX_COUNT = 2 ** 31 - 1;

/** The slow path of both waits: sleep while COUNT is non-zero, until the deadline. */
function* waitSlow(i32: Int32Array, deadline: number): Parker<boolean> {
  const park: Park = { i32, index: COUNT, expected: 0, deadline, asyncCount: -1 };
  for (;;) {
    const count = Atomics.load(i32, COUNT);
    if (count === 0) return true;
    if (expired(deadline)) return false;
    // Sleep while the count is what we saw. "ok": it reached 0 (or spurious) — look again.
    // "not-equal": a count-down came first — look again. "timed-out": the loop sees the deadline.
    park.expected = count;
    yield park;
  }
}

/**
 * A count-down latch: it starts closed with a count, `countDown()` lowers the count, and
 * `waitSync()` / `wait()` wait until it reaches zero. It opens once and for good.
 *
 * - `countDown(n)` lowers the count by `n`; past zero it throws `RangeError` and leaves the count
 *   as it was (Java's `countDown()` at zero does nothing; here it is an error, since it means a
 *   party was counted wrong).
 * - Reaching zero wakes every waiter; later waits return `true` at once. A latch created with
 *   count 0 is open from the start.
 * - Any thread may count down and any thread may wait, many times each.
 * - Spurious wake-ups never surface.
 *
 * Happens-before: every `countDown()` synchronizes before the return of each wait that returns
 * `true`.
 *
 * Sharing: `Latch.from(latch.handle)` in any thread.
 *
 * @example Wait for three tasks
 * ```ts
 * import { Latch } from "@threadkit/threadkit";
 * import assert from "node:assert/strict";
 *
 * const done = new Latch(3);
 * const waiting = done.wait({ timeout: 1000 });
 * done.countDown();
 * done.countDown(2);
 * assert.equal(await waiting, true);
 * assert.equal(done.count, 0);
 * assert.equal(done.waitSync({ timeout: 0 }), true);
 * ```
 */
export class Latch {
  static {
    brand(this, "Latch");
  }
  /** Bytes a `Latch` takes inside a caller's buffer (see {@link PlacementOptions}). */
  static readonly byteLength: number = BYTES;

  /** A structured-clone-safe description; `Latch.from(handle)` rebuilds it. */
  readonly handle: Handle;
  readonly #i32: Int32Array;

  /**
   * Creates a latch that opens after `count` count-downs.
   *
   * @param count An integer from 0 to 2^31-1.
   * @throws {TypeError} `count` is not a number; `buffer` is not a SharedArrayBuffer.
   * @throws {RangeError} `count` is negative, not an integer or above 2^31-1; bad placement.
   */
  constructor(count: number, options?: PlacementOptions) {
    const fresh = openedHandle(options) === undefined;
    if (fresh) {
      if (typeof count !== "number") {
        throw new TypeError(`Cannot create Latch: count must be a number, got ${typeof count}`);
      }
      if (!Number.isInteger(count) || count < 0 || count > MAX_COUNT) {
        throw new RangeError(
          `Cannot create Latch: count must be an integer from 0 to 2^31-1, got ${count}`,
        );
      }
    }
    this.handle = placeOrOpen("Latch", BYTES, options);
    this.#i32 = slots(this.handle, 1);
    if (fresh) Atomics.store(this.#i32, COUNT, count);
  }

  /**
   * Rebuilds a latch from its handle, in any thread.
   *
   * @throws {TypeError} `handle` is not the handle of a `Latch`.
   */
  static from(handle: Handle): Latch {
    return new Latch(0, opening(open(handle, "Latch", BYTES)));
  }

  /** Count-downs still needed to open the latch (a snapshot). */
  get count(): number {
    return Atomics.load(this.#i32, COUNT);
  }

  /**
   * Lowers the count by `n`; when it reaches zero, wakes every waiter.
   *
   * @param n Count-downs to apply, an integer ≥ 1 (default 1).
   * @throws {TypeError} `n` is not a number.
   * @throws {RangeError} `n` is not a positive integer, or larger than the count; the count is
   *   then unchanged.
   */
  countDown(n = 1): void {
    if (typeof n !== "number") {
      throw new TypeError(`Cannot count down latch: n must be a number, got ${typeof n}`);
    }
    if (!Number.isInteger(n) || n < 1) {
      throw new RangeError(`Cannot count down latch: n must be a positive integer, got ${n}`);
    }
    const i32 = this.#i32;
    // Lower COUNT by n unless that passes zero (CAS, so the check and the step are one).
    let count = Atomics.load(i32, COUNT);
    for (;;) {
      if (n > count) {
        throw new RangeError(
          `Cannot count down latch by ${n}: its count is ${count}, and it may not go below zero`,
        );
      }
      const seen = Atomics.compareExchange(i32, COUNT, count, count - n);
      if (seen === count) break;
      count = seen;
    }
    // Only the count-down that opens the latch wakes (see the invariant).
    if (count === n) wakeAll(i32, COUNT);
  }

  /**
   * Blocks until the count reaches zero or `timeout` runs out.
   *
   * @param options `timeout` in ms (`0` only looks; default `Infinity`).
   * @returns `true` once the count is zero, `false` on timeout.
   * @throws {TypeError} Blocking is not allowed on this thread; bad options.
   * @throws {RangeError} `timeout` is negative or `NaN`.
   */
  waitSync(options?: SyncWaitOptions): boolean {
    const timeout = syncEntry(options, "wait for latch", "latch.wait()");
    // Fast path: open already.
    if (Atomics.load(this.#i32, COUNT) === 0) return true;
    if (timeout === 0) return false;
    return runSync(waitSlow(this.#i32, deadlineAfter(timeout)));
  }

  /**
   * Waits without blocking until the count reaches zero, `timeout` runs out or `signal` aborts.
   *
   * @param options `timeout` in ms (default `Infinity`), `signal` to abort the wait.
   * @returns A promise of `true` once the count is zero, `false` on timeout.
   * @throws {TypeError|RangeError} (rejects) Bad options.
   */
  wait(options?: WaitOptions): Promise<boolean> {
    const entry = asyncEntry(options, "wait for latch");
    if (entry instanceof Promise) return entry;
    // Fast path: open already.
    if (Atomics.load(this.#i32, COUNT) === 0) return Promise.resolve(true);
    const timeout = timeoutIn(entry);
    if (timeout === 0) return Promise.resolve(false);
    return runAsync(waitSlow(this.#i32, deadlineAfter(timeout)), signalIn(entry));
  }
}
