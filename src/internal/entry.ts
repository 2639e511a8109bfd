/**
 * The entry of every wait: `syncEntry` / `asyncEntry` validate its options, in the order and with
 * the messages every primitive has always used, and return the timeout (and signal); `expired` /
 * `remaining` judge its deadline. A primitive method then reads `entry → fast path →
 * runSync/runAsync(slow path)`:
 *
 * ```ts ignore
 * acquire(options?: WaitOptions): Promise<boolean> {
 *   const entry = asyncEntry(options, "acquire lock"); // bad options or an aborted signal reject
 *   if (entry instanceof Promise) return entry;
 *   if (Atomics.compareExchange(i32, STATE, 0, me2) === 0) return Promise.resolve(true);
 *   return runAsync(slow(deadlineAfter(timeoutIn(entry))), signalIn(entry));
 * }
 * ```
 *
 * @module
 */

import { assertCanBlock, now } from "./futex.ts";
import { rejectSignal, signalOf, timeoutOf, type WaitOptions } from "./options.ts";

/**
 * The prologue of every blocking form: validates `options` (`what` names the call in messages),
 * refuses a `signal` (naming `asyncForm`, the form that takes one) and a thread that may not
 * block. Returns the timeout in ms. Allocates nothing.
 *
 * @throws {TypeError} Bad options; a signal; blocking is not allowed on this thread.
 * @throws {RangeError} `timeout` is negative or `NaN`.
 */
export function syncEntry(options: unknown, what: string, asyncForm: string): number {
  const timeout = timeoutOf(options, what);
  rejectSignal(options, what, asyncForm);
  assertCanBlock(asyncForm);
  return timeout;
}

/**
 * The validated options of an async form: the timeout alone when no signal was given (a number,
 * so the common call allocates nothing), or the timeout with its signal. Read it with
 * {@link timeoutIn} and {@link signalIn}.
 */
export type AsyncEntry = number | { readonly timeout: number; readonly signal: AbortSignal };

/** The timeout of an {@link AsyncEntry}, in ms. */
export function timeoutIn(entry: AsyncEntry): number {
  return typeof entry === "number" ? entry : entry.timeout;
}

/** The signal of an {@link AsyncEntry}, if one was given. */
export function signalIn(entry: AsyncEntry): AbortSignal | undefined {
  return typeof entry === "number" ? undefined : entry.signal;
}

/**
 * Validates the options of an async form without throwing: returns its {@link AsyncEntry}, or a
 * promise rejected with the validation error. For a form with checks of its own between the
 * options and the abort check (Condition's ownership); others use {@link asyncEntry}.
 */
export function asyncOptions(
  options: WaitOptions | undefined,
  what: string,
): AsyncEntry | Promise<never> {
  if (options === undefined) return Infinity;
  try {
    const timeout = timeoutOf(options, what);
    const signal = signalOf(options, what);
    return signal === undefined ? timeout : { timeout, signal };
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * The prologue of every async form: {@link asyncOptions}, then a signal that is aborted already
 * rejects with its reason, even when the call would not have to wait (as Web Locks do).
 */
export function asyncEntry(
  options: WaitOptions | undefined,
  what: string,
): AsyncEntry | Promise<never> {
  const entry = asyncOptions(options, what);
  if (typeof entry === "number" || entry instanceof Promise) return entry;
  try {
    return entry.signal.aborted ? Promise.reject(entry.signal.reason) : entry;
  } catch (error) {
    return Promise.reject(error); // a signal-like object's getter: rejects, as bad options do
  }
}

/** Whether `deadline` (from `deadlineAfter`) has passed; never reads the clock for `Infinity`. */
export function expired(deadline: number): boolean {
  return deadline !== Infinity && now() >= deadline;
}

/** Milliseconds left until `deadline` (`Infinity` for none; ≤ 0 once it has passed). */
export function remaining(deadline: number): number {
  return deadline === Infinity ? Infinity : deadline - now();
}
