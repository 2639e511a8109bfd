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
 * - Inside Bun's Web Worker there is no `self.close()` and no `WorkerGlobalScope`, but `process`
 *   works: the worker side is Node's (exit, crash and exit hooks through `process`), except that
 *   the start message is taken from the worker scope's `message` event rather than from
 *   `node:worker_threads`' `parentPort`, so that a thread never loads `node:worker_threads`
 *   (only a pool worker does, to read its port synchronously): loading it took a fresh worker
 *   3.4–4.1 ms on its own. Thread start → join of a dist/ build, ÷ a raw worker's start →
 *   message → end, same run: before 3.38× / 3.00× → after 1.16× / 1.49× (two runs of
 *   `bun bench/probes/thread_start.ts --dist /tmp/after --before /tmp/before --runs 9 --per 6`,
 *   Bun 1.4.5, 2 CPUs under load average 20–27, so the absolute figures are noise). Plus:
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

/**
 * Node's worker side, with the start message from the worker scope (see above) and the global
 * error events that `bun test` uses instead (see above).
 */
function bunWorkerSide(): WorkerSide {
  const side = nodeWorkerSide();
  return {
    ...side,
    onStart(fn) {
      const scope = globalThis as unknown as {
        addEventListener(type: "message", fn: (event: MessageEvent) => void, o: object): void;
      };
      scope.addEventListener("message", (event) => fn(event.data), { once: true });
    },
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
  nudgeAsyncWaits: true,
  asyncSpinMicros: 16,
  // Twice the others' 16 µs: a Bun thread's sleep and wake-up cost more (the raw wait/notify round
  // trip ~25 µs against a spinning pair's ~2), and a sync ping-pong whose spin ends before the
  // other side, just woken, answers falls asleep for good (the bistable regime, `setSyncSpin`).
  // Measured (2026-12-05, 2 CPUs, load 0.7-3.2, Bun 1.4.5; a copy of the tree at 16, 32 and 64 µs,
  // alternating): `node bench/run.ts --runtimes bun --filter condition.pingpong,
  // platform.postmessage-rt,floor.wait-notify,event.pingpong,semaphore.pingpong`, six runs each,
  // median ratio 16 → 32 → 64 µs: `condition.pingpong` ÷ the message round trip 0.14 → 0.10 →
  // 0.097 (16 µs missed P2's 0.2 in two of seven runs: 0.20, 0.21; 32 and 64 in none; per run
  // 0.075-0.12 at 32), `semaphore.pingpong` 0.047 → 0.029 → 0.054, `event.pingpong` 0.019 →
  // 0.023 → 0.018. `condition_pingpong.ts` (60 alternating batches, eight runs with the order
  // swapped in four): median batch 16 µs ÷ 32 µs higher in six. Rows with more workers than CPUs,
  // `--filter barrier,queue,contended,pool,floor`, four runs each, 16 → 32 µs, medians of the
  // ratios to their baselines: `barrier.cycle-4` 1.05 → 1.05, `queue.mpmc-4x4` ÷ `queue.oneway`
  // 1.34 → 1.46, `lock.contended-4` 0.051 → 0.050, `queue.oneway` 0.42 → 0.39 (floors that use
  // no threadkit code moved as much: 0.27 → 0.32); `--filter queue.mpmc-4x4,queue.oneway`, five
  // runs each, alternating: `queue.mpmc-4x4` ÷ `queue.oneway` median 1.63 → 1.40 (1.12-2.21 and
  // 1.07-2.41: bimodal at either bound).
  syncSpinMicros: 32,
  postTask: (task) => void setImmediate(task),
  start: startBunWorker,
  workerSide: bunWorkerSide,
  isMainThread: nodeIsMainThread,
  resolveModule: resolveFromCwd,
  setTimer: nodeTimer,
};
