/**
 * The control block through which the parent runs a group of workers in lock-step, and the one
 * bounded wait every harness wait goes through.
 *
 * Layout: Int32Array over its own SharedArrayBuffer
 * | slot | name  | meaning                                                          |
 * | 0    | GO    | the run the workers may start (1, 2, ...); written by the parent |
 * | 1    | READY | workers that reached the start line, counted over all runs       |
 * | 2    | DONE  | workers that finished their run, counted over all runs           |
 * | 3    | ITER  | iterations of the next run; written before GO                    |
 * | 4    | FAIL  | 1 once a worker failed (it also posts the error)                 |
 * | 5    | QUIT  | 1: workers leave their loop                                      |
 *
 * Run r (1-based) with W workers: each worker adds 1 to READY, sleeps until GO >= r, runs
 * ITER iterations, adds 1 to DONE. The parent waits for READY = W·r, writes ITER, sets GO = r
 * (the clock starts), waits for DONE = W·r (the clock stops).
 *
 * @module
 */

export const GO = 0;
export const READY = 1;
export const DONE = 2;
export const ITER = 3;
export const FAIL = 4;
export const QUIT = 5;
export const CONTROL_SLOTS = 6;

/** Longest single sleep of a bounded wait, so FAIL and QUIT are noticed promptly. */
const SLICE_MS = 250;

/** A wait of the harness that did not end in time: the message says which and where. */
export class StallError extends Error {
  override name = "StallError";
}

/**
 * Blocks until `done()` holds, sleeping on `i32[index]` (woken by a notify on it) in slices of
 * at most 250 ms. Throws a {@link StallError} naming `what` after `stallMs`, and stops early when
 * `abort()` holds (returning `false`). Returns `true` once `done()` holds.
 */
export function waitUntil(
  i32: Int32Array,
  index: number,
  done: () => boolean,
  what: string,
  stallMs: number,
  abort: () => boolean = () => false,
): boolean {
  const deadline = performance.now() + stallMs;
  for (;;) {
    const seen = Atomics.load(i32, index);
    if (done()) return true;
    if (abort()) return false;
    const remaining = deadline - performance.now();
    if (remaining <= 0) throw new StallError(`${what}: nothing happened for ${stallMs / 1000} s`);
    Atomics.wait(i32, index, seen, Math.min(remaining, SLICE_MS));
  }
}

/**
 * Sleeps while `i32[index] === expected`, at most `stallMs`: the bounded form of a raw
 * `Atomics.wait` for benchmark bodies. Throws a {@link StallError} naming `what` on timeout.
 */
export function waitWhile(
  i32: Int32Array,
  index: number,
  expected: number,
  what: string,
  stallMs: number,
): void {
  while (Atomics.load(i32, index) === expected) {
    if (Atomics.wait(i32, index, expected, stallMs) === "timed-out") {
      throw new StallError(`${what}: no wake-up within ${stallMs / 1000} s`);
    }
  }
}

/** Throws a {@link StallError} unless a threadkit wait with a timeout returned `true`. */
export function must(acquired: boolean, what: string, stallMs: number): void {
  if (!acquired) throw new StallError(`${what}: timed out after ${stallMs / 1000} s`);
}
