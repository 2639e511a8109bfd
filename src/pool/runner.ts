/**
 * A `ThreadPool`'s worker: the loop that runs tasks, once the bootstrap (`src/bootstrap.ts`) has
 * set the worker's identity. It imports the user's module once and loops: take a task record
 * from the shared task queue (`getSync`, blocking while idle), claim it, call the export
 * (awaiting it when it returns a thenable), and put the result record on the shared result
 * queue (`protocol.ts` has the records and the claim word's state table).
 *
 * Buffer registrations come on the worker's port. Where the runtime can read a port
 * synchronously (`WorkerSide.receiveSync`: Node, Deno, Bun) the worker reads it whenever EPOCH
 * has moved and whenever an argument refers to a buffer it does not know yet. In a browser it
 * cannot: registrations then arrive as `message` events, and a task whose buffer is not known
 * yet yields to the event loop until it is.
 *
 * Ending an aborted task's worker: the pool takes the task back (TAKEN → FREE), sets KILL in
 * this worker's state word and terminates it. Where `terminate()` cannot interrupt code nor
 * `Atomics.wait` (Deno), this worker ends itself instead: at the finish (its claim is gone), or,
 * while the task sits in a threadkit sync wait, between two slices of that wait. Sync waits are
 * sliced (at most `SYNC_SLICE_MS`, 20 ms, each) from the claim to the finish only: KILL is set
 * only while this worker's claim is TAKEN, so the idle wait for the next task is one whole
 * `Atomics.wait` (close() ends it with the queue's shutdown), not a wake-up every slice. Bound:
 * an aborted task blocked in a threadkit sync wait ends its worker within one slice plus the time
 * to end a worker; then its locks pass on with `OwnerDiedError` within the owner poll
 * (`OWNER_POLL_MS`, 100 ms). A task running code or sitting in a raw `Atomics.wait` ends it only
 * when that returns (the pool marks it ended after `TERMINATE_GRACE_MS`, `workers.ts`).
 *
 * @module
 */

import { QueueFullError, QueueShutDownError } from "../errors.ts";
import { clearSyncGuard, now, runSync, setSyncGuard } from "../internal/futex.ts";
import { LIFE_ENDED, setLife } from "../internal/ident.ts";
import { revive, toWire } from "../internal/revive.ts";
import { Queue } from "../queue/mod.ts";
import { runtime, type WorkerSide } from "../runtime/mod.ts";
import {
  EXITED,
  KILL,
  NO_CODE,
  RETURNED,
  settleState,
  SYNC_SLICE_MS,
  THREW,
} from "../runtime/state_word.ts";
import { encodeError } from "../thread/protocol.ts";
import { childrenSettled } from "../thread/self.ts";
import { sleepUntil } from "../thread/waits.ts";
import {
  BUFFER_REF,
  type BufferMessage,
  type BufferRef,
  BYTES,
  CLAIMS,
  doneBy,
  EPOCH,
  ERR,
  LOADED,
  OK,
  PLAIN,
  type PoolCrashMessage,
  type PoolResultMessage,
  type PoolStartMessage,
  QUEUED,
  recordCodec,
  type ResultRecord,
  SKIP,
  takenBy,
  type TaskRecord,
  unwire,
} from "./protocol.ts";

/** How long a worker waits for a buffer registration that should already be on its port. */
const BUFFER_PATIENCE_MS = 5000;

/** Whether a start message carries a pool worker's own fields. */
function isPoolStart(data: unknown): data is PoolStartMessage & { port: MessagePort } {
  const d = data as Partial<PoolStartMessage>;
  return d.control instanceof SharedArrayBuffer && typeof d.seq === "number" &&
    Array.isArray(d.buffers) && typeof d.epoch === "number";
}

/** Thrown while reviving arguments that refer to a buffer not registered here yet. */
class MissingBuffer extends Error {
  readonly id: number;
  constructor(id: number) {
    super(`Shared buffer ${id} is not registered yet`);
    this.id = id;
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === "object" || typeof value === "function") && value !== null &&
    typeof (value as { then?: unknown }).then === "function";
}

/**
 * Runs a pool worker: called by the bootstrap with the `"pool"` start message, identity already
 * set (as a daemon: threads a task starts are daemons by default, since an idle pool worker
 * keeps nothing alive). Returns when the task queue is shut down and drained (the worker then
 * ends), or never (the worker ended).
 */
export async function runPoolWorker(data: unknown, side: WorkerSide): Promise<void> {
  if (!isPoolStart(data)) {
    side.exit(70);
    return;
  }
  const state = new Int32Array(data.state);
  const control = new Int32Array(data.control);
  const port = data.port;

  let ended = false;
  const end = (to: number, code: number = NO_CODE) => {
    ended = true;
    setLife(data.ident, LIFE_ENDED);
    settleState(state, to, code);
  };
  // An uncaught error or unhandled rejection (a task's stray callback): the worker ends; the
  // pool fails the task it was running with this error and starts another worker.
  side.onCrash((error) => {
    if (ended) return;
    try {
      const message: PoolCrashMessage = {
        threadkit: "pool-crash",
        error: encodeError(error, toWire),
      };
      port.postMessage(message);
    } catch {
      // The pool reports the end without the error.
    }
    end(THREW);
    side.exit(1);
  });
  // An exit call in a task: the worker is gone; the pool sees the end.
  side.onExit((code) => {
    if (!ended) end(EXITED, code ?? NO_CODE);
  });
  /** Whether sync waits are sliced while a task runs (see the module doc). */
  const sliced = !runtime.terminateInterrupts;
  /** The check between two slices: ends this worker once the pool has killed it. */
  const endIfKilled = (): void => {
    if (Atomics.load(state, KILL) === 0) return;
    end(EXITED, 1);
    side.exit(1);
    // Not reached where exiting stops the worker at once (Deno); elsewhere, unwind the wait.
    throw new Error(`Worker ${data.ident} ${JSON.stringify(data.name)} was terminated`);
  };

  // Buffers this worker knows, by id.
  const buffers = new Map<number, SharedArrayBuffer>(data.buffers);
  let epoch = data.epoch;
  const onNews = (message: Partial<BufferMessage> | null): void => {
    if (message?.threadkit !== "pool-buffers") return;
    for (const [id, buffer] of message.add ?? []) buffers.set(id, buffer);
    for (const id of message.forget ?? []) buffers.delete(id);
  };
  // A runtime that cannot read the port synchronously (browsers) delivers the news as events.
  const first = side.receiveSync(port);
  const canReceiveSync = first !== null;
  if (first !== null && first !== undefined) onNews(first.message as Partial<BufferMessage>);
  if (!canReceiveSync) port.onmessage = (event) => onNews(event.data);
  const readPort = (): void => {
    epoch = Atomics.load(control, EPOCH);
    for (;;) {
      const received = side.receiveSync(port);
      if (received === undefined || received === null) return;
      onNews(received.message as Partial<BufferMessage> | null);
    }
  };
  const bufferOf = (id: number): SharedArrayBuffer => {
    const buffer = buffers.get(id);
    if (buffer === undefined) throw new MissingBuffer(id);
    return buffer;
  };
  const decode = (args: unknown, mode: number): [number, unknown] => {
    if (mode === BYTES) {
      const ref = args as BufferRef;
      const bytes = new Uint8Array(bufferOf(ref[BUFFER_REF]), 0, ref.length ?? 0);
      [mode, args] = recordCodec.decode(bytes) as [number, unknown];
    }
    return [mode, args];
  };
  let kindsRegistered = false;
  const argsOf = async (args: unknown, mode: number): Promise<unknown> => {
    const deadline = now() + BUFFER_PATIENCE_MS;
    for (;;) {
      if (Atomics.load(control, EPOCH) !== epoch) readPort();
      let missing: MissingBuffer;
      try {
        const [plainMode, plain] = decode(args, mode);
        if (plainMode === PLAIN) return plain;
        if (!kindsRegistered) {
          (await import("../kinds.ts")).registerBuiltinKinds();
          kindsRegistered = true;
        }
        return revive(unwire(plain, bufferOf));
      } catch (error) {
        if (!(error instanceof MissingBuffer)) throw error;
        missing = error;
      }
      // The pool posts a registration before it puts the task: it is on its way.
      if (now() > deadline) {
        throw new Error(
          `Cannot revive the task's arguments: shared buffer ${missing.id} never arrived`,
        );
      }
      if (canReceiveSync) {
        readPort();
        if (!buffers.has(missing.id)) runSync(sleepUntil(now() + 1));
      } else await new Promise((resolve) => setTimeout(resolve, 1));
    }
  };

  const tasks = Queue.from<TaskRecord>(data.tasks, { codec: recordCodec });
  const results = Queue.from<ResultRecord>(data.results, { codec: recordCodec });
  const taken = takenBy(data.seq);
  const done = doneBy(data.seq);

  /** Puts a result record on the result queue, or posts it (see {@link PoolResultMessage}). */
  const deliver = (slot: number, kind: number, value?: unknown): void => {
    const payload = kind === ERR ? encodeError(value, toWire) : value;
    try {
      results.putNowait([slot, kind, payload]);
      return;
    } catch (error) {
      // QueueFullError: not read for a while; TypeError: shared memory or an uncloneable
      // value; RangeError: larger than the ring.
      if (
        !(error instanceof QueueFullError || error instanceof TypeError ||
          error instanceof RangeError)
      ) throw error;
    }
    let failure: unknown;
    try {
      const message: PoolResultMessage = {
        threadkit: "pool-result",
        slot,
        kind,
        value: kind === OK ? toWire(payload) : payload,
      };
      port.postMessage(message);
      return;
    } catch (error) {
      failure = error;
    }
    if (kind === ERR) throw failure; // an error record always clones: not reached
    // The value cannot be cloned at all (a function, a class with private state, ...).
    deliver(
      slot,
      ERR,
      new TypeError(
        `Cannot return the result of the task: ${(failure as Error)?.message ?? String(failure)}`,
      ),
    );
  };

  let mod: Record<string, unknown> | undefined;
  let loadError: unknown;
  try {
    mod = await import(data.module) as Record<string, unknown>;
  } catch (error) {
    // Every task this worker takes fails with it (the pool never waits on a worker that
    // cannot run anything).
    loadError = error;
  }
  Atomics.store(state, LOADED, 1);

  for (;;) {
    // Registry news (buffers to know or forget), in time for the next task.
    if (Atomics.load(control, EPOCH) !== epoch) readPort();
    let record: TaskRecord;
    try {
      record = tasks.getSync();
    } catch (error) {
      if (error instanceof QueueShutDownError) break;
      throw error;
    }
    const [slot, exportName, args, mode] = record;
    // Claim the task, unless the pool cancelled it first.
    if (Atomics.compareExchange(control, CLAIMS + slot, QUEUED, taken) !== QUEUED) {
      deliver(slot, SKIP);
      continue;
    }
    // Claimed: from here to the finish the pool may kill this worker (KILL is stored only after
    // its TAKEN → FREE), so a sync wait of the task reads KILL between slices.
    if (sliced) setSyncGuard(SYNC_SLICE_MS, endIfKilled);
    let ok = true;
    let value: unknown;
    try {
      if (mod === undefined) throw loadError;
      const fn = mod[exportName];
      if (typeof fn !== "function") {
        throw new TypeError(
          `Cannot run task: module ${data.module} has no function export ${
            JSON.stringify(exportName)
          }` + (exportName in mod ? ` (it is ${typeof fn})` : ""),
        );
      }
      const list = (mode === PLAIN ? args : await argsOf(args, mode)) as unknown[];
      value = fn(...list);
      if (isThenable(value)) value = await value;
    } catch (error) {
      ok = false;
      value = error;
    }
    // Nothing below blocks: the finish fails at once if the pool killed this worker meanwhile.
    if (sliced) clearSyncGuard();
    if (ended) return;
    // Finish, unless the pool killed this worker first (abort of a running task): it has
    // rejected the task and replaced the worker; on a runtime whose terminate() waits for the
    // current task (Deno), this is where the worker stops.
    if (Atomics.compareExchange(control, CLAIMS + slot, taken, done) !== taken) {
      end(EXITED, 1);
      side.exit(1);
      return;
    }
    deliver(slot, ok ? OK : ERR, value);
  }
  // The pool is closing: let the non-daemon threads that tasks started finish, then end.
  await childrenSettled();
  end(RETURNED);
  side.exit(0);
}
