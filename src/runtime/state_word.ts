/**
 * The per-thread *state word*: how a thread (or a pool worker) and its parent agree on its end.
 *
 * Each thread has a small SharedArrayBuffer of its own, written by its bootstrap and by its
 * parent. It is the one truthful signal of a thread's end on every runtime (Deno's Web Worker
 * reports no exit at all, Bun reports an unhandled rejection as exit code 0), and the parent can
 * block on it (`joinSync`), which no event can offer.
 *
 * Layout: Int32Array, 4-byte slots
 * | slot | name  | meaning                                                         |
 * | 0    | STATE | {@link NEW}, {@link RUNNING}, {@link RETURNED}, {@link THREW}, {@link EXITED} |
 * | 1    | CODE  | exit code when STATE is EXITED and it is known, else {@link NO_CODE} |
 * | 2    | KILL  | 1 once the parent has asked the runtime to terminate the thread         |
 *
 * State table of STATE:
 * | value    | meaning                                   | who moves it on                      |
 * | NEW      | not started                               | the parent's `start()` → RUNNING     |
 * | RUNNING  | started, its export has not settled       | the bootstrap, after posting the result → RETURNED / THREW; the bootstrap's exit hook or the parent's exit event → EXITED |
 * | RETURNED | the export returned; result posted        | nobody (final)                       |
 * | THREW    | the export (or the thread) threw; error posted | nobody (final)                  |
 * | EXITED   | the worker ended without a result (exit call, terminate, crash) | nobody (final) |
 * Invariant: every move out of RUNNING is one CAS from RUNNING, so the first writer wins and the
 * state never changes again; the writer then wakes every waiter of STATE. A result message is
 * posted *before* the CAS to RETURNED/THREW, so a parent that sees those states finds the message
 * already queued on its port.
 *
 * KILL exists for runtimes whose `terminate()` does not interrupt running code (Deno: the worker
 * ends only after its current task, microtasks included). A bootstrap that finds KILL set when
 * its export settles posts nothing and ends the thread as EXITED, so that `terminate()` means the
 * same everywhere: no result unless it was posted before the call. On such runtimes threadkit's
 * sync waits in a thread (and in a pool worker while it runs a task) also read KILL between
 * slices of their sleep and end the worker the same way (`thread/runner.ts`, `pool/runner.ts`),
 * since a blocking `Atomics.wait` is not interrupted either.
 *
 * @module
 */

import { wakeAll } from "../internal/futex.ts";

/** Slot of the thread's state. */
export const STATE = 0;
/** Slot of the exit code. */
export const CODE = 1;
/** Slot of the terminate request. */
export const KILL = 2;
/** Bytes of a state word buffer. */
export const STATE_BYTES = 12;

/** Not started. */
export const NEW = 0;
/** Started; the export has not settled. */
export const RUNNING = 1;
/** The export returned; the result message is on the port. */
export const RETURNED = 2;
/** The export or the thread threw; the error message is on the port. */
export const THREW = 3;
/** The worker ended without a result. */
export const EXITED = 4;
/** CODE when no exit code is known. */
export const NO_CODE = -(2 ** 31);

/**
 * Moves STATE from RUNNING to `to` (recording `code`), and wakes its waiters. Returns whether
 * this call made the move (false: another writer had already ended it).
 */
export function settleState(state: Int32Array, to: number, code: number = NO_CODE): boolean {
  if (Atomics.compareExchange(state, STATE, RUNNING, to) !== RUNNING) return false;
  // CODE is written after the CAS; readers of EXITED that need it read it after seeing STATE.
  Atomics.store(state, CODE, code);
  wakeAll(state, STATE);
  return true;
}

/**
 * Longest slice of a threadkit sync wait in a thread (`thread/runner.ts`) or in a pool worker
 * running a task (`pool/runner.ts`) on a runtime whose `terminate()` cannot interrupt
 * `Atomics.wait` (Deno), in ms: such a worker reads KILL between slices and ends within this
 * (plus the time to end it) of a terminate request. A slice that ends early costs one wake-up
 * and one load.
 */
export const SYNC_SLICE_MS = 20;
