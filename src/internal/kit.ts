/**
 * The primitive kit: the three shapes every primitive file shares, written once.
 *
 * - **Construction**: `placeOrOpen` gives a constructor its handle, either placed afresh (slots
 *   zeroed) or, when `X.from` called it with an `opening(handle)` token, the handle `from` opened.
 *   The token travels in the constructor's own `options` argument, so nothing is left in a
 *   module variable between `from` and the constructor (a throwing getter or a re-entrant
 *   `from` cannot leave a stale handle behind), and `from` can call any constructor, a
 *   subclass's included.
 * - **Entry prologues**: `syncEntry` / `asyncEntry` validate a wait's options, in the order and
 *   with the messages every primitive used before, and return the timeout (and signal).
 * - **Owner poll**: `clockFor` / `parkUntil` let a waiter that sleeps on a word held by a live,
 *   watched thread wake every `OWNER_POLL_MS` to read its liveness, and skip the clock entirely
 *   when there is no deadline and nobody to watch.
 *
 * A primitive file then reads: layout table, fast path, slow-path generator, thin class whose
 * methods are `prologue → fast path → runSync/runAsync(slow path)`.
 *
 * @module
 */

import { assertCanBlock, now } from "./futex.ts";
import { type Handle, place, type PlacementOptions } from "./layout.ts";
import { rejectSignal, signalOf, timeoutOf, type WaitOptions } from "./options.ts";

// --- Construction ---------------------------------------------------------------------------

/** What `from` hands its constructor: the opened handle and the caller's own options. */
interface Opened {
  readonly handle: Handle;
  readonly own: unknown;
}

/**
 * Tokens made by {@link opening}, mapped to what they carry. A token is a fresh frozen object
 * that only `from` ever holds, so user options can never be mistaken for one, and looking one up
 * runs no user code (no getter or proxy trap is touched, unlike a symbol-keyed property).
 */
const openings = new WeakMap<object, Opened>();

/**
 * A token for `X.from` to pass as the `options` of X's constructor: the constructor then adopts
 * `handle` (already checked with `open`) instead of placing new slots. `own` are options the
 * caller of `from` gave for this thread only (a Barrier's action, a queue's codec); the
 * constructor reads them with {@link ownOptions}.
 */
export function opening<O = PlacementOptions>(handle: Handle, own?: O): O {
  const token = Object.freeze({});
  openings.set(token, { handle, own });
  return token as O;
}

/** The handle an {@link opening} token carries, or `undefined` for ordinary options. */
export function openedHandle(options: unknown): Handle | undefined {
  return typeof options === "object" && options !== null
    ? openings.get(options)?.handle
    : undefined;
}

/** The options the caller gave: the `own` options of an {@link opening} token, else `options`. */
export function ownOptions<O>(options: O): O {
  if (typeof options !== "object" || options === null) return options;
  const opened = openings.get(options);
  return opened === undefined ? options : opened.own as O;
}

/**
 * The handle of a primitive being constructed, from `place`'s arguments (`kind, byteLength,
 * options, align?, extras?`): the handle an {@link opening} token in `options` carries, or a new
 * placement (validated by `place`, with its messages) whose `byteLength` bytes are zeroed, so the
 * constructor only stores its non-zero initial values.
 */
export function placeOrOpen(...placement: Parameters<typeof place>): Handle {
  const [, byteLength, options] = placement;
  const opened = openedHandle(options);
  if (opened !== undefined) return opened;
  const handle = place(...placement);
  new Uint8Array(handle.buffer, handle.byteOffset, byteLength).fill(0);
  return handle;
}

// --- Entry prologues ------------------------------------------------------------------------

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
  return entry.signal.aborted ? Promise.reject(entry.signal.reason) : entry;
}

// --- Deadlines and the owner poll ----------------------------------------------------------

/** Whether `deadline` (from `deadlineAfter`) has passed; never reads the clock for `Infinity`. */
export function expired(deadline: number): boolean {
  return deadline !== Infinity && now() >= deadline;
}

/** Milliseconds left until `deadline` (`Infinity` for none; ≤ 0 once it has passed). */
export function remaining(deadline: number): number {
  return deadline === Infinity ? Infinity : deadline - now();
}

/**
 * How often a waiter re-reads the liveness of the live, watched thread it waits for (the owner
 * of a lock word, the runner of a Once, the holder of semaphore permits), in ms. An ended thread
 * is marked by the runtime layer without a wake, so this bounds how long its waiters sleep on.
 */
export const OWNER_POLL_MS = 100;

/**
 * The time to judge `deadline` by: `now()`, or `0` when it is not needed (no deadline, and no
 * watched thread to poll), which keeps the clock off the untimed path.
 */
export function clockFor(deadline: number, watched: boolean): number {
  return deadline === Infinity && !watched ? 0 : now();
}

/**
 * The deadline of the next park taken at time `t` (from {@link clockFor}): `deadline`, or sooner
 * while a watched thread lives, to poll its liveness. A poll wakes as "timed-out"; the waiter's
 * loop then looks again and decides.
 */
export function parkUntil(deadline: number, watched: boolean, t: number): number {
  return watched ? Math.min(deadline, t + OWNER_POLL_MS) : deadline;
}
