/**
 * Node's adapter: threads are `node:worker_threads` Workers (the only worker Node has), composed
 * from `worker_threads.ts`.
 *
 * Quirk (Node ≥ 22): Node strips types in a `.ts` worker file only when it is an ES module (the
 * nearest package.json says `"type": "module"`, or the file is `.mts`); in a CommonJS package, a
 * `.ts` file with `import`/`export` fails with "Cannot use import statement outside a module".
 * The bootstrap is an ES module of threadkit's own package; the user's thread module is loaded by
 * the bootstrap's `import()` and so follows Node's usual rule: write it as an ES module.
 *
 * @module
 */

import type * as WorkerThreads from "node:worker_threads";
import type { Runtime } from "./types.ts";
import {
  drain,
  nodeIsMainThread,
  nodeTimer,
  nodeWorkerSide,
  refableWorker,
  resolveFromCwd,
  workerThreads,
} from "./worker_threads.ts";

/** Starts `bootstrap` in a `node:worker_threads` Worker. */
const startNodeWorker: Runtime["start"] = (bootstrap, start, options, events) => {
  const wt = workerThreads();
  const { port1, port2 } = new wt.MessageChannel();
  const worker = new wt.Worker(bootstrap, { name: options.name });
  port1.on("message", (data: unknown) => events.message(data));
  worker.on("error", (error: unknown) => events.error(error));
  worker.once("exit", (code: number) => {
    // The port's messages and the worker's `exit` are not ordered: deliver the messages first.
    drain(wt, port1, events);
    port1.close();
    events.exit(code);
  });
  worker.postMessage({ ...start, port: port2 }, [port2 as unknown as WorkerThreads.Transferable]);
  return refableWorker(wt, worker, port1, options.daemon);
};

/** Node: `node:worker_threads`. */
export const nodeRuntime: Runtime = {
  name: "node",
  terminateInterrupts: true,
  nudgeAsyncWaits: true,
  asyncSpinMicros: 16,
  syncSpinMicros: 16,
  postTask: (task) => void setImmediate(task),
  start: startNodeWorker,
  workerSide: nodeWorkerSide,
  isMainThread: nodeIsMainThread,
  resolveModule: resolveFromCwd,
  setTimer: nodeTimer,
};
