/**
 * What a parent and the threads it starts say to each other: the per-thread *state word*, the
 * start message, the result message, and how errors cross (name, message, stack, `cause` and
 * own properties kept).
 *
 * ## The state word
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
 * same everywhere: no result unless it was posted before the call.
 *
 * @module
 */

import {
  BrokenBarrierError,
  NotOwnedError,
  OwnerDiedError,
  QueueEmptyError,
  QueueFullError,
  QueueShutDownError,
  TimeoutError,
} from "../errors.ts";
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

/** The message that starts a thread (the parent's `start()` → the bootstrap). */
export interface StartMessage {
  /** Marks the message. */
  readonly threadkit: "start";
  /** The process's thread registry, adopted before anything draws an ident. */
  readonly registry: SharedArrayBuffer;
  /** The thread's state word buffer. */
  readonly state: SharedArrayBuffer;
  /** The ident the parent drew for the thread. */
  readonly ident: number;
  /** The thread's name. */
  readonly name: string;
  /** Whether the thread is a daemon (its own threads inherit it). */
  readonly daemon: boolean;
  /** The URL of the module to run. */
  readonly module: string;
  /** The name of the export to call. */
  readonly export: string;
  /** The arguments, primitives replaced by their handles (`toWire`). */
  readonly args: readonly unknown[];
  /** Where to post the result: added by the runtime adapter. */
  readonly port?: MessagePort;
}

/** The message that ends a thread's run (bootstrap → parent), posted on the start port. */
export type ResultMessage =
  | { readonly threadkit: "result"; readonly ok: true; readonly value: unknown }
  | { readonly threadkit: "result"; readonly ok: false; readonly error: ErrorRecord };

/** Whether `data` is a result message. */
export function isResultMessage(data: unknown): data is ResultMessage {
  return typeof data === "object" && data !== null &&
    (data as { threadkit?: unknown }).threadkit === "result";
}

/** An error (or any thrown value) as it crosses threads. */
export type ErrorRecord =
  | {
    /** An `Error` (or an object that looks like one). */
    readonly kind: "error";
    readonly name: string;
    readonly message: string;
    readonly stack: string | undefined;
    /** Whether the error had a `cause` (which may be `undefined`). */
    readonly hasCause: boolean;
    readonly cause: ErrorRecord | undefined;
    /** `AggregateError.errors`. */
    readonly errors: readonly ErrorRecord[] | undefined;
    /** Other own enumerable properties that survive structured clone (`code`, `ownerIdent`). */
    readonly props: Readonly<Record<string, unknown>>;
  }
  | {
    /** Any other thrown value, structured-cloned (or its `String()` when it cannot be). */
    readonly kind: "value";
    readonly value: unknown;
  };

/** Causes nested deeper than this are cut (a cyclic `cause` chain would never end). */
const MAX_CAUSE_DEPTH = 16;

function cloneable(value: unknown): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: structuredClone(value) };
  } catch {
    return { ok: false };
  }
}

function looksLikeError(value: unknown): value is Error {
  if (value instanceof Error) return true;
  return typeof value === "object" && value !== null &&
    typeof (value as Error).message === "string" &&
    typeof (value as Error).name === "string" && typeof (value as Error).stack === "string";
}

/**
 * Encodes a thrown value for the trip to the parent. `toWire` replaces primitives in properties
 * and values by their handles. Never throws.
 */
export function encodeError(
  thrown: unknown,
  toWire: (value: unknown) => unknown,
  depth = 0,
): ErrorRecord {
  try {
    if (!looksLikeError(thrown)) {
      const copy = cloneable(toWire(thrown));
      return { kind: "value", value: copy.ok ? copy.value : String(thrown) };
    }
    const hasCause = depth < MAX_CAUSE_DEPTH && Object.hasOwn(thrown, "cause");
    const errors = (thrown as { errors?: unknown }).errors;
    const props: Record<string, unknown> = {};
    for (const key of Object.keys(thrown)) {
      if (
        key === "name" || key === "message" || key === "stack" || key === "cause" ||
        key === "errors"
      ) {
        continue;
      }
      const copy = cloneable(toWire((thrown as unknown as Record<string, unknown>)[key]));
      if (copy.ok) props[key] = copy.value;
    }
    return {
      kind: "error",
      name: String(thrown.name),
      message: String(thrown.message),
      stack: typeof thrown.stack === "string" ? thrown.stack : undefined,
      hasCause,
      cause: hasCause ? encodeError(thrown.cause, toWire, depth + 1) : undefined,
      errors: Array.isArray(errors) && depth < MAX_CAUSE_DEPTH
        ? errors.map((e) => encodeError(e, toWire, depth + 1))
        : undefined,
      props,
    };
  } catch (error) {
    // A getter that throws, a Proxy: report what we can rather than lose the thread's end.
    return { kind: "value", value: `Unreadable error (${String(error)})` };
  }
}

/** Classes an error record is rebuilt as, by name; other names become an `Error` with that name. */
const ERROR_CLASSES: Record<string, { prototype: Error }> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
  AggregateError,
  NotOwnedError,
  TimeoutError,
  BrokenBarrierError,
  QueueEmptyError,
  QueueFullError,
  QueueShutDownError,
  OwnerDiedError,
};

/**
 * Rebuilds a thrown value from its record: an instance of the built-in or threadkit error class
 * of the same name (else `Error`), with the original name, message, stack, `cause`, `errors` and
 * cloneable own properties. `revive` turns handles in values and properties into primitives.
 */
export function decodeError(record: ErrorRecord, revive: (value: unknown) => unknown): unknown {
  if (record.kind === "value") return revive(record.value);
  const error = new Error(record.message);
  const cls = Object.hasOwn(ERROR_CLASSES, record.name) ? ERROR_CLASSES[record.name] : undefined;
  if (cls !== undefined && cls !== Error) Object.setPrototypeOf(error, cls.prototype);
  if (error.name !== record.name) {
    Object.defineProperty(error, "name", {
      value: record.name,
      writable: true,
      configurable: true,
    });
  }
  Object.defineProperty(error, "stack", {
    value: record.stack ?? `${record.name}: ${record.message}`,
    writable: true,
    configurable: true,
  });
  if (record.hasCause) {
    Object.defineProperty(error, "cause", {
      value: record.cause === undefined ? undefined : decodeError(record.cause, revive),
      writable: true,
      configurable: true,
    });
  }
  if (record.errors !== undefined) {
    Object.defineProperty(error, "errors", {
      value: record.errors.map((e) => decodeError(e, revive)),
      writable: true,
      configurable: true,
    });
  }
  for (const [key, value] of Object.entries(record.props)) {
    (error as unknown as Record<string, unknown>)[key] = revive(value);
  }
  return error;
}
