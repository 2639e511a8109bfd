/**
 * A `ThreadPool`'s workers as the pool holds them: starting one on the bootstrap (through
 * `thread/spawn.ts`, as a daemon: an idle worker never keeps the process alive), killing one,
 * marking one ended, and the error that fails the task a worker held when it ended.
 *
 * @module
 */

import type { Handle } from "../internal/layout.ts";
import { runtime, type StartedWorker } from "../runtime/mod.ts";
import { KILL } from "../runtime/state_word.ts";
import {
  draw,
  endedHow,
  launch,
  markExited,
  type Spawned,
  spawnFields,
  TERMINATE_GRACE_MS,
} from "../thread/spawn.ts";
import { POOL_STATE_BYTES, type PoolStartMessage } from "./protocol.ts";

/** A worker as the pool holds it. */
export interface PoolWorker extends Spawned {
  readonly seq: number;
  started: StartedWorker | undefined;
  /** The uncaught error that ended it, once reported. */
  crash: { error: unknown } | undefined;
  killed: boolean;
  exited: boolean;
  readonly gone: Promise<void>;
  resolveGone: () => void;
}

/** What a new worker is told besides who it is. */
export interface PoolWorkerPlan {
  readonly module: string;
  readonly control: SharedArrayBuffer;
  readonly tasks: Handle;
  readonly results: Handle;
  readonly buffers: readonly (readonly [number, SharedArrayBuffer])[];
  readonly epoch: number;
}

/** What the pool hears from its workers. */
export interface PoolWorkerEvents {
  message(worker: PoolWorker, data: unknown): void;
  exit(worker: PoolWorker, code: number | undefined): void;
}

/**
 * Draws and starts worker `seq` named `name`. The record is returned before the runtime is
 * asked (`register` sees it first, so that events find it); if the runtime refuses, the worker
 * is marked ended and the error is returned with it.
 */
export function startPoolWorker(
  seq: number,
  name: string,
  plan: () => PoolWorkerPlan,
  register: (worker: PoolWorker) => void,
  on: PoolWorkerEvents,
): { worker: PoolWorker; error?: { error: unknown } } {
  const spawned = draw(name, new Int32Array(new SharedArrayBuffer(POOL_STATE_BYTES)));
  let resolveGone!: () => void;
  const gone = new Promise<void>((resolve) => resolveGone = resolve);
  const worker: PoolWorker = {
    ...spawned,
    seq,
    started: undefined,
    crash: undefined,
    killed: false,
    exited: false,
    gone,
    resolveGone,
  };
  register(worker);
  const fields = plan();
  const start: PoolStartMessage = {
    threadkit: "pool",
    ...spawnFields(worker, fields.module, true),
    ...fields,
    seq,
  };
  try {
    worker.started = launch(start, {
      message: (data) => on.message(worker, data),
      error: (error) => {
        worker.crash ??= { error };
      },
      exit: (code) => on.exit(worker, code),
    });
    return { worker };
  } catch (error) {
    worker.exited = true;
    markExited(worker, undefined);
    resolveGone();
    return { worker, error: { error } };
  }
}

/**
 * Terminates a worker (whose task was cancelled while it ran).
 *
 * Where `terminate()` cannot interrupt the worker (Deno), the worker ends itself: at once if its
 * task sits in a threadkit sync wait (sliced, `runner.ts`), else when the task's code returns. A
 * worker not ended {@link TERMINATE_GRACE_MS} later (busy code, a raw `Atomics.wait`) is marked
 * ended all the same, as `Thread.terminate()` does: a Lock it holds passes on with
 * `OwnerDiedError` while its worker runs on until that code returns (it then reports nothing:
 * its claim is gone).
 */
export function killPoolWorker(worker: PoolWorker): void {
  worker.killed = true;
  // For runtimes that end a worker only after its current task (Deno); see state_word.ts.
  Atomics.store(worker.state, KILL, 1);
  worker.started?.terminate();
  worker.resolveGone();
  if (!runtime.terminateInterrupts) {
    // Unref'd: a worker the pool no longer counts must not keep the process alive. markExited
    // is idempotent (settleState moves STATE out of RUNNING once), so racing the worker's own end
    // or its exit event is harmless; its exit event then finds it ended (`poolWorkerExited`).
    runtime.setTimer(() => {
      if (!worker.exited) markExited(worker, undefined);
    }, TERMINATE_GRACE_MS).unref();
  }
}

/** Marks a worker ended (once); returns whether this call did. */
export function poolWorkerExited(worker: PoolWorker, code: number | undefined): boolean {
  if (worker.exited) return false;
  worker.exited = true;
  markExited(worker, code);
  worker.resolveGone();
  return true;
}

/** The error of a task whose worker ended `when`: the worker's own crash, else what is known. */
export function deathError(
  worker: PoolWorker,
  code: number | undefined,
  pool: string,
  when = "while it ran the task",
): unknown {
  if (worker.crash !== undefined) return worker.crash.error;
  const how = endedHow(worker.state, code, "ended");
  return new Error(
    `Worker ${worker.ident} ${JSON.stringify(worker.name)} of ${pool} ${how} ${when}`,
  );
}
