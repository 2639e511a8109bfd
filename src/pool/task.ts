/**
 * A `ThreadPool`'s tasks as the pool holds them, and the options of the pool's methods with
 * their checks (the messages say which method refused what).
 *
 * @module
 */

import { hardwareConcurrency } from "../runtime/mod.ts";
import { typeOf } from "../thread/spawn.ts";
import { PLAIN } from "./protocol.ts";

/** Options of `new ThreadPool(module, options)`. */
export interface ThreadPoolOptions {
  /**
   * The most workers the pool runs at once; they are started as tasks need them and reused.
   * Default: the hardware concurrency (`navigator.hardwareConcurrency`, 1 where unknown).
   */
  size?: number | undefined;
  /** The pool's name, also the prefix of its workers' names (`<name>_0`, ...). */
  name?: string | undefined;
}

/** Options of `submit()`. */
export interface PoolSubmitOptions {
  /** The export to call; default `"default"`. */
  export?: string | undefined;
  /**
   * Cancels the task: before it starts it never runs; while it runs, its worker is terminated
   * (and replaced). Either way the promise rejects with `signal.reason`.
   */
  signal?: AbortSignal | undefined;
}

/** Options of `map()`. */
export interface PoolMapOptions {
  /** The export to call; default `"default"`. */
  export?: string | undefined;
  /** Yield results in input order (default `true`) or as tasks complete (`false`). */
  ordered?: boolean | undefined;
}

/** Options of `close()`. */
export interface PoolCloseOptions {
  /**
   * Cancel the tasks that have not started: their promises reject with an `AbortError`
   * `DOMException`. Running tasks always finish. Default `false`.
   */
  cancelPending?: boolean | undefined;
}

/** A task as the pool holds it. */
export class Task {
  /** Its slot while a record of it is in the queues, else -1. */
  slot = -1;
  /** Waiting in this thread for a slot. */
  inBacklog = false;
  /** Settled (its record may still be in the queues). */
  done = false;
  /** What the record carries: the args, wired, or a reference to their bytes. */
  value: unknown;
  mode = PLAIN;
  /**
   * Buffers the record refers to, kept alive (and so registered) as long as the task is: until
   * its slot comes back, so that none is forgotten before a worker has revived the args.
   */
  buffers: SharedArrayBuffer[] | undefined;
  /** A registered buffer of the task's own (its args' bytes), forgotten with its slot. */
  ownBuffer: number | undefined;
  cleanup: (() => void) | undefined;
  readonly exportName: string;
  readonly settle: (ok: boolean, value: unknown) => void;

  constructor(
    exportName: string,
    args: readonly unknown[],
    settle: (ok: boolean, value: unknown) => void,
  ) {
    this.exportName = exportName;
    this.value = args;
    this.settle = settle;
  }
}

/** The default pool size: the hardware concurrency, 1 where unknown. */
export function defaultSize(): number {
  return hardwareConcurrency();
}

/** The export named in `options` (default `"default"`). @throws {TypeError} a bad one. */
export function exportOf(options: unknown, what: string): string {
  if (options === undefined) return "default";
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`Cannot ${what}: options must be an object, got ${typeOf(options)}`);
  }
  const name = (options as { export?: unknown }).export;
  if (name === undefined) return "default";
  if (typeof name !== "string" || name === "") {
    throw new TypeError(
      `Cannot ${what}: export must be a non-empty string, got ${typeOf(name)}`,
    );
  }
  return name;
}

/** The checked options of `new ThreadPool()`. @throws {TypeError|RangeError} bad ones. */
export function poolOptionsOf(
  options: unknown,
): { size: number | undefined; name: string | undefined } {
  if (options !== undefined && (typeof options !== "object" || options === null)) {
    throw new TypeError(
      `Cannot create thread pool: options must be an object, got ${typeOf(options)}`,
    );
  }
  const o = options as ThreadPoolOptions | undefined;
  const size = o?.size;
  if (size !== undefined && typeof size !== "number") {
    throw new TypeError(`Cannot create thread pool: size must be a number, got ${typeOf(size)}`);
  }
  if (size !== undefined && (!Number.isInteger(size) || size < 1 || size > 2 ** 16)) {
    throw new RangeError(
      `Cannot create thread pool: size must be an integer from 1 to 65536, got ${size}`,
    );
  }
  const name = o?.name;
  if (name !== undefined && typeof name !== "string") {
    throw new TypeError(`Cannot create thread pool: name must be a string, got ${typeOf(name)}`);
  }
  return { size, name };
}

/** The checked `signal` of `submit()`'s options. @throws {TypeError} not an AbortSignal. */
export function signalOf(options: PoolSubmitOptions | undefined): AbortSignal | undefined {
  const signal = options?.signal;
  if (
    signal !== undefined &&
    (typeof signal !== "object" || signal === null ||
      typeof (signal as AbortSignal).aborted !== "boolean" ||
      typeof (signal as AbortSignal).addEventListener !== "function")
  ) {
    throw new TypeError(
      `Cannot submit task: signal must be an AbortSignal, got ${typeOf(signal)}`,
    );
  }
  return signal;
}

/** The checked `ordered` of `map()`'s options. @throws {TypeError} not a boolean. */
export function orderedOf(options: PoolMapOptions | undefined): boolean {
  const ordered = options?.ordered ?? true;
  if (typeof ordered !== "boolean") {
    throw new TypeError(`Cannot map: ordered must be a boolean, got ${typeOf(ordered)}`);
  }
  return ordered;
}

/** How `map()` opens its items. @throws {TypeError} `iterable` is not (async) iterable. */
export function openerOf<T>(
  iterable: Iterable<T> | AsyncIterable<T>,
): () => Iterator<T> | AsyncIterator<T> {
  const source = iterable as Partial<Iterable<T> & AsyncIterable<T>> | null | undefined;
  if (typeof source?.[Symbol.asyncIterator] === "function") {
    return () => source[Symbol.asyncIterator]!();
  }
  if (typeof source?.[Symbol.iterator] === "function") return () => source[Symbol.iterator]!();
  throw new TypeError(`Cannot map: expected an iterable, got ${typeOf(iterable)}`);
}

/** The checked `cancelPending` of `close()`'s options. @throws {TypeError} bad options. */
export function cancelPendingOf(options: unknown): boolean {
  if (options !== undefined && (typeof options !== "object" || options === null)) {
    throw new TypeError(
      `Cannot close thread pool: options must be an object, got ${typeOf(options)}`,
    );
  }
  const cancel = (options as PoolCloseOptions | undefined)?.cancelPending ?? false;
  if (typeof cancel !== "boolean") {
    throw new TypeError(
      `Cannot close thread pool: cancelPending must be a boolean, got ${typeOf(cancel)}`,
    );
  }
  return cancel;
}
