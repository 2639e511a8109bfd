/**
 * The sleeps of threads: blocking on a thread's state word while it runs (`joinSync`), and a
 * plain timed sleep for waits that have no word to watch.
 *
 * @module
 */

import { now, type Park, type Parker } from "../internal/futex.ts";
import { RUNNING, STATE } from "../runtime/state_word.ts";

/** A slot nobody ever changes: sleeping on it is a plain timed sleep. Made on first use. */
let sleeper: Int32Array | undefined;

/** Sleeps while the thread's state is RUNNING; `false` once `deadline` passes. */
export function* whileRunning(state: Int32Array, deadline: number): Parker<boolean> {
  const park: Park = { i32: state, index: STATE, expected: RUNNING, deadline, asyncCount: -1 };
  for (;;) {
    if (Atomics.load(state, STATE) !== RUNNING) return true;
    if (deadline !== Infinity && now() >= deadline) return false;
    // "ok"/"not-equal": the state moved (or a spurious wake): re-check. "timed-out": the loop ends.
    yield park;
  }
}

/** Sleeps until `until` (a `now()` time). */
export function* sleepUntil(until: number): Parker<void> {
  sleeper ??= new Int32Array(new SharedArrayBuffer(4));
  const park: Park = { i32: sleeper, index: 0, expected: 0, deadline: until, asyncCount: -1 };
  while (now() < until) yield park;
}
