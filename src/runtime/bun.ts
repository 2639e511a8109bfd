/**
 * Bun's adapter: Web Workers.
 *
 * Why (measured here, median of 10 starts of a trivial worker): Bun's Web Worker starts in
 * 4.3 ms, its `node:worker_threads` Worker in 8.6 ms (other runs here: ~2 ms vs ~22 ms). Bun's
 * Web Worker has what threads need: `unref()`/`ref()` (Bun extension) and a `close` event with an
 * exit code.
 *
 * Quirks handled:
 * - Bun reports an unhandled rejection in a worker as exit code 0 (Node: 1). The bootstrap
 *   catches uncaught errors and rejections itself and reports them through the state word and
 *   the result port, so the exit code is never what tells a failure.
 * - A `node:worker_threads` port's `close` event fires in Bun as soon as its other end is
 *   transferred, while the worker still runs (measured): this adapter never listens to it and
 *   takes the worker's `close` event as the end.
 * - Inside Bun's Web Worker there is no `self.close()` and no `WorkerGlobalScope`, but
 *   `node:worker_threads`' `parentPort` and `process` work: the worker side is Node's, plus:
 * - Under `bun test`, a worker's `process.on("uncaughtException" | "unhandledRejection")`
 *   listeners are not called (measured); the global `error` event is (a rejection arrives as an
 *   `error` event too), but `preventDefault()` does not stop the parent's `error` event nor the
 *   worker's end. The worker side listens to both; the first to fire reports the error (with its
 *   stack and cause) through the result port before the worker ends.
 *
 * @module
 */

import type * as WorkerThreads from "node:worker_threads";
import type { Runtime, WorkerSide } from "./types.ts";
import { forwardErrors, onScopeCrash } from "./web_worker.ts";
import {
  drain,
  nodeIsMainThread,
  nodeTimer,
  nodeWorkerSide,
  refableWorker,
  resolveFromCwd,
  workerThreads,
} from "./worker_threads.ts";

/** Bun's Web Worker, with its extensions. */
interface BunWorker extends Worker {
  ref(): void;
  unref(): void;
}

/** Bun's MessagePort (Node's), with `ref`/`unref`. */
type BunPort = MessagePort & { ref(): void; unref(): void };

const startBunWorker: Runtime["start"] = (bootstrap, start, options, events) => {
  const wt = workerThreads();
  const { port1, port2 } = new MessageChannel() as unknown as {
    port1: BunPort;
    port2: MessagePort;
  };
  const worker = new Worker(bootstrap, { type: "module", name: options.name }) as BunWorker;
  port1.onmessage = (event) => events.message(event.data);
  worker.addEventListener("close", (event) => {
    drain(wt, port1 as unknown as WorkerThreads.MessagePort, events);
    port1.close();
    const code = (event as unknown as { code?: unknown }).code;
    events.exit(typeof code === "number" ? code : undefined);
  }, { once: true });
  forwardErrors(worker, events);
  worker.postMessage({ ...start, port: port2 }, [port2]);
  return refableWorker(wt, worker, port1, options.daemon);
};

/** Node's worker side, plus the global error events that `bun test` uses instead (see above). */
function bunWorkerSide(): WorkerSide {
  const side = nodeWorkerSide();
  return {
    ...side,
    onCrash(fn) {
      side.onCrash(fn);
      onScopeCrash(fn);
    },
  };
}

/** Bun: Web Workers. */
export const bunRuntime: Runtime = {
  name: "bun",
  terminateInterrupts: true,
  start: startBunWorker,
  workerSide: bunWorkerSide,
  isMainThread: nodeIsMainThread,
  resolveModule: resolveFromCwd,
  setTimer: nodeTimer,
};
