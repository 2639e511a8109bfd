/**
 * What a parent and the threads it starts say to each other besides the state word
 * (`runtime/state_word.ts`): the start message, the result message, and how errors cross
 * (name, message, stack, `cause` and own properties kept; threadkit's and the built-in error
 * classes rebuilt as such).
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

/**
 * What every worker threadkit starts is sent first (the parent → the bootstrap): who it is, its
 * state word, and the module it runs. A thread's ({@link StartMessage}) and a pool worker's
 * (`pool/protocol.ts`) add their own fields.
 */
export interface SpawnMessage {
  /** Marks the message, and says which runner takes it: a thread's or a pool worker's. */
  readonly threadkit: "start" | "pool";
  /** The process's thread registry, adopted before anything draws an ident. */
  readonly registry: SharedArrayBuffer;
  /** The worker's state word buffer (`runtime/state_word.ts`). */
  readonly state: SharedArrayBuffer;
  /** The ident the parent drew for the worker. */
  readonly ident: number;
  /** The worker's name. */
  readonly name: string;
  /** Whether the worker is a daemon (the threads it starts inherit it). */
  readonly daemon: boolean;
  /** The URL of the module to run. */
  readonly module: string;
  /** Where to post results: added by the runtime adapter. */
  readonly port?: MessagePort;
}

/** Whether `data` is a {@link SpawnMessage} with its port. */
export function isSpawnMessage(data: unknown): data is SpawnMessage & { port: MessagePort } {
  const d = data as Partial<SpawnMessage> | null;
  return typeof d === "object" && d !== null &&
    (d.threadkit === "start" || d.threadkit === "pool") &&
    d.state instanceof SharedArrayBuffer && typeof d.ident === "number" &&
    typeof d.name === "string" && typeof d.daemon === "boolean" &&
    typeof d.module === "string" && typeof d.port === "object" && d.port !== null;
}

/** The message that starts a thread (the parent's `start()` → the bootstrap). */
export interface StartMessage extends SpawnMessage {
  readonly threadkit: "start";
  /** The name of the export to call. */
  readonly export: string;
  /** The arguments, primitives replaced by their handles (`toWire`). */
  readonly args: readonly unknown[];
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
