/**
 * What a `ThreadPool` (`pool.ts`) and its workers (`runner.ts`) say to each other: the shared
 * control block, the task and result records, the messages on a worker's port, and how shared
 * memory in arguments crosses.
 *
 * A pool worker starts on threadkit's bootstrap (`src/bootstrap.ts`), which hands a `"pool"`
 * start message to the pool worker's runner. The worker then imports the user's
 * module once and loops: take a task record from the shared task queue (`getSync`, blocking
 * while idle), claim it, call the export (awaiting it when it returns a thenable), and put the
 * result record on the shared result queue. One task per worker at a time; no `postMessage` per
 * task on the way in, and none on the way out unless the result cannot be stored as bytes.
 *
 * ## Control block
 * Layout: Int32Array, 4-byte slots
 * | slot      | name      | meaning                                                        |
 * | 0         | EPOCH     | bumped by the pool after it posted buffer registrations/forgets |
 * | 1 + s     | CLAIM[s]  | the state of task slot `s`, see below                           |
 *
 * State table of CLAIM[s] (w: the worker's sequence number, unique in its pool):
 * | value          | meaning                                   | who moves it on                  |
 * | FREE           | no record uses slot s                     | the pool → QUEUED (before its put) |
 * | QUEUED         | a record of slot s is in the task queue   | a worker → TAKEN(w); the pool → CANCELLED |
 * | CANCELLED      | cancelled before any worker took it       | the worker that takes the record puts a SKIP result; the pool → FREE on reading it |
 * | TAKEN(w)       | worker w runs the task                    | w → DONE(w) when it settles; the pool → FREE when it kills w (abort) or sees w end |
 * | DONE(w)        | w is posting the result                   | the pool → FREE on reading the result (or on w's end) |
 * Invariants: only the pool writes FREE, so a slot is reused only after its record was read or
 * its worker ended. A worker's claim (QUEUED → TAKEN) races the pool's cancel (QUEUED →
 * CANCELLED), and its finish (TAKEN → DONE) races the pool's kill (TAKEN → FREE); each is one
 * CAS, so exactly one side wins: a cancelled task never runs, and a killed worker never
 * reports. TAKEN(w) and DONE(w) name w, so the pool knows which worker runs a task and which
 * task a dead worker held, and a late CAS by a killed worker can never hit a reused slot.
 *
 * ## Records (both queues use `structuredCodec`)
 * - Task: `[slot, exportName, args, mode]`; mode {@link PLAIN} (args as they are),
 *   {@link WIRED} (primitives replaced by handles, shared memory by buffer references, see
 *   below), or {@link BYTES} (args too large for the ring: a buffer reference to a
 *   SharedArrayBuffer holding the record `[PLAIN | WIRED, args]`).
 * - Result: `[slot, OK, value]`, `[slot, ERR, ErrorRecord]`, `[slot, SKIP]`; `[-1, WAKE]` is the
 *   pool's own wake-up for its reader. A result the codec cannot store (shared memory in it, or
 *   too large for the ring), or that finds the ring full, is posted on the worker's port
 *   instead ({@link PoolResultMessage}): a worker never blocks on its results, so it never
 *   waits for the pool's thread (which may itself be blocked, waiting for a task).
 *
 * ## Shared memory in arguments
 * The codec copies bytes and refuses SharedArrayBuffers. So the pool keeps a registry of the
 * buffers its tasks carry: each buffer gets an id, is posted once to every worker's port
 * ({@link BufferMessage}) and is given to workers started later in their start message; a task
 * record refers to it by id ({@link BUFFER_REF}). Primitives (`Lock`, `Queue`, ...) are first
 * replaced by their handles, whose buffers are then registered the same way, and revived in the
 * worker. A worker reads its port synchronously (`WorkerSide.receiveSync`) whenever EPOCH has
 * moved, and before it revives an argument whose buffer it does not know yet; the pool posts
 * before it puts the task record, so the registration is already queued on the port. A buffer
 * is forgotten by every worker once the pool's own reference to it has been collected (a
 * `FinalizationRegistry`); a task in flight holds its buffers, so none is forgotten under it.
 *
 * @module
 */

import { type Codec, structuredCodec } from "../codec/mod.ts";
import type { Handle } from "../internal/layout.ts";
import { toWire, walk } from "../internal/revive.ts";
import type { ErrorRecord, SpawnMessage } from "../thread/protocol.ts";

// ---------------------------------------------------------------------------------------------
// Control block

/** Slot of the registry epoch. */
export const EPOCH = 0;
/** First claim slot: CLAIM[s] is at `CLAIMS + s`. */
export const CLAIMS = 1;

/** Claim: no record uses the slot. */
export const FREE = 0;
/** Claim: the record is in the task queue, not taken. */
export const QUEUED = 1;
/** Claim: cancelled by the pool before any worker took it. */
export const CANCELLED = 2;
/** Claim: worker `w` runs the task. */
export const takenBy = (w: number): number => 4 + 2 * w;
/** Claim: worker `w` has finished the task and is posting its result. */
export const doneBy = (w: number): number => 5 + 2 * w;
/** Claim values from here on name a worker: `(value - 4) >> 1`. */
export const FIRST_WORKER_CLAIM = 4;
/** Highest worker sequence number (so that every claim value fits an int32). */
export const MAX_WORKER_SEQ = 2 ** 30 - 4;

/**
 * A pool worker's state word buffer is the thread's (`runtime/state_word.ts`: STATE, CODE, KILL) plus
 * this slot: 1 once the worker has loaded the module and is ready to take tasks (a worker that
 * ends before then took none; the pool gives up after a few in a row).
 */
export const LOADED = 3;
/** Bytes of a pool worker's state word buffer. */
export const POOL_STATE_BYTES = 16;

// ---------------------------------------------------------------------------------------------
// Records

/** Task mode: the arguments as they are. */
export const PLAIN = 0;
/** Task mode: primitives as handles, shared memory as buffer references. */
export const WIRED = 1;
/** Task mode: the arguments record is in a registered SharedArrayBuffer of its own. */
export const BYTES = 2;

/** A task record: `[slot, exportName, args, mode]`. */
export type TaskRecord = readonly [number, string, unknown, number];

/** Result kind: the export returned `value`. */
export const OK = 0;
/** Result kind: the export threw; the payload is an error record. */
export const ERR = 1;
/** Result kind: the task was cancelled before it ran; the slot can be reused. */
export const SKIP = 2;
/** Result kind: the pool's wake-up of its own reader (slot -1). */
export const WAKE = 3;

/** A result record: `[slot, kind, payload?]`. */
export type ResultRecord = readonly [number, number, unknown?];

/**
 * A result record that went by the worker's port: the codec cannot store it (shared memory in
 * it, or too large for the ring), or the ring is full (a worker never waits for its results to
 * be read).
 */
export interface PoolResultMessage {
  readonly threadkit: "pool-result";
  readonly slot: number;
  /** {@link OK}, {@link ERR} or {@link SKIP}. */
  readonly kind: number;
  /** The value with primitives as handles (`toWire`), or the error record. */
  readonly value: unknown;
}

/** The uncaught error that is ending a worker (posted on its port before it ends). */
export interface PoolCrashMessage {
  readonly threadkit: "pool-crash";
  readonly error: ErrorRecord;
}

/** Registry news for a worker: buffers to know, ids to forget. */
export interface BufferMessage {
  readonly threadkit: "pool-buffers";
  readonly add: readonly (readonly [number, SharedArrayBuffer])[];
  readonly forget: readonly number[];
}

/** The key that marks a buffer reference in a wired value. */
export const BUFFER_REF = "\u0000threadkit.buffer";

/** A reference to a registered buffer, or to a view of one. */
export interface BufferRef {
  readonly [BUFFER_REF]: number;
  /** The view's constructor name (`"Int32Array"`, `"DataView"`), for a view. */
  readonly view?: string;
  readonly byteOffset?: number;
  /** Elements (bytes for a DataView). */
  readonly length?: number;
}

/** What starts a pool worker (the pool → the bootstrap → the pool worker's runner). */
export interface PoolStartMessage extends SpawnMessage {
  readonly threadkit: "pool";
  /** The worker's sequence number in its pool. */
  readonly seq: number;
  /** The pool's control block. */
  readonly control: SharedArrayBuffer;
  readonly tasks: Handle;
  readonly results: Handle;
  /** The buffers registered so far. */
  readonly buffers: readonly (readonly [number, SharedArrayBuffer])[];
  /** EPOCH when `buffers` was taken: later news comes by the port. */
  readonly epoch: number;
}

/** The codec of both queues. */
export const recordCodec: Codec<any> = structuredCodec;

// ---------------------------------------------------------------------------------------------
// Buffer references

const VIEWS: Record<
  string,
  new (buffer: SharedArrayBuffer, offset: number, length: number) => unknown
> = {};
for (
  const name of [
    "Int8Array",
    "Uint8Array",
    "Uint8ClampedArray",
    "Int16Array",
    "Uint16Array",
    "Int32Array",
    "Uint32Array",
    "Float16Array",
    "Float32Array",
    "Float64Array",
    "BigInt64Array",
    "BigUint64Array",
    "DataView",
  ]
) {
  const ctor = (globalThis as Record<string, unknown>)[name];
  if (typeof ctor === "function") VIEWS[name] = ctor as (typeof VIEWS)[string];
}

/**
 * Replaces primitives by their handles, then every SharedArrayBuffer (and view of one) by a
 * reference with the id `idOf` gives it. The result holds no shared memory.
 */
export function wire(value: unknown, idOf: (buffer: SharedArrayBuffer) => number): unknown {
  return walk(toWire(value), (x) => {
    if (x instanceof SharedArrayBuffer) return { [BUFFER_REF]: idOf(x) };
    if (ArrayBuffer.isView(x) && x.buffer instanceof SharedArrayBuffer) {
      const view = x.constructor.name;
      if (!(view in VIEWS)) return undefined;
      return {
        [BUFFER_REF]: idOf(x.buffer),
        view,
        byteOffset: x.byteOffset,
        length: x instanceof DataView ? x.byteLength : (x as unknown as { length: number }).length,
      };
    }
    return undefined;
  });
}

/** Whether `x` is a buffer reference. */
export function isBufferRef(x: object): x is BufferRef {
  return typeof (x as Record<string, unknown>)[BUFFER_REF] === "number";
}

/** Replaces buffer references by the buffers (or views) `bufferOf` finds. */
export function unwire(value: unknown, bufferOf: (id: number) => SharedArrayBuffer): unknown {
  return walk(value, (x) => {
    if (!isBufferRef(x)) return undefined;
    const buffer = bufferOf(x[BUFFER_REF]);
    if (x.view === undefined) return buffer;
    const View = VIEWS[x.view];
    if (View === undefined) throw new TypeError(`Cannot revive a ${x.view}: not in this runtime`);
    return new View(buffer, x.byteOffset ?? 0, x.length ?? 0);
  });
}
