/**
 * Validation of the options every wait takes: `{ timeout?, signal? }`.
 *
 * @module
 */

/** Options of every wait. */
export interface WaitOptions {
  /** Milliseconds to wait; `0` tries once; default `Infinity`. */
  timeout?: number | undefined;
  /** Async forms only: abort the wait, rejecting with `signal.reason`. */
  signal?: AbortSignal | undefined;
}

/** Options of the synchronous (blocking) waits. */
export interface SyncWaitOptions {
  /** Milliseconds to wait; `0` tries once; default `Infinity`. */
  timeout?: number | undefined;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "number") return String(value);
  return typeof value;
}

/**
 * The timeout of `options` (default `Infinity`). Throws `TypeError` for a non-object or a
 * non-number timeout, `RangeError` for `NaN` or a negative one; `what` names the call.
 */
export function timeoutOf(options: unknown, what: string): number {
  if (options === undefined) return Infinity;
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`Cannot ${what}: options must be an object, got ${describe(options)}`);
  }
  const timeout = (options as WaitOptions).timeout;
  if (timeout === undefined) return Infinity;
  if (typeof timeout !== "number") {
    throw new TypeError(`Cannot ${what}: timeout must be a number, got ${describe(timeout)}`);
  }
  if (Number.isNaN(timeout) || timeout < 0) {
    throw new RangeError(
      `Cannot ${what}: timeout must be a non-negative number of milliseconds, got ${timeout}`,
    );
  }
  return timeout;
}

/** The signal of `options`, validated; `undefined` when absent. */
export function signalOf(options: unknown, what: string): AbortSignal | undefined {
  if (options === undefined) return undefined;
  const signal = (options as WaitOptions).signal;
  if (signal === undefined) return undefined;
  if (
    typeof signal !== "object" || signal === null ||
    typeof (signal as AbortSignal).aborted !== "boolean" ||
    typeof (signal as AbortSignal).addEventListener !== "function"
  ) {
    throw new TypeError(`Cannot ${what}: signal must be an AbortSignal, got ${describe(signal)}`);
  }
  return signal;
}

/** Throws when a sync form is given a `signal`, which it could never observe while blocked. */
export function rejectSignal(options: unknown, what: string, asyncForm: string): void {
  if (options !== undefined && (options as WaitOptions | null)?.signal !== undefined) {
    throw new TypeError(`Cannot ${what}: signal is only supported by the async form ${asyncForm}`);
  }
}

/** `1 ms`, `50 ms`: for messages. */
export function ms(timeout: number): string {
  return `${timeout} ms`;
}
