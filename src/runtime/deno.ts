/**
 * Deno's adapter: Web Workers (`type: "module"`), except for daemon threads, which use
 * `node:worker_threads`. Either way, the end of a worker is learnt from its result port.
 *
 * Why (measured here, median of 10 starts of a trivial worker): a Web Worker starts in 7.4 ms,
 * a `node:worker_threads` Worker in 21 ms. Deno's quirks, each handled here:
 * - Its Web Worker fires no exit or close event at all — not for a natural end, `self.close()`,
 *   `process.exit()` nor `terminate()`. But a `node:worker_threads` `MessagePort` whose other end
 *   was transferred into the worker (and is still referenced there) emits `close` in the parent
 *   once that worker is gone, however it ended (measured for natural end, close, exit, uncaught
 *   error, unhandled rejection, terminate). It comes after the port's last message. So every
 *   Deno thread carries its result port from `node:worker_threads`, and that port's `close` is
 *   the exit event.
 * - A Web Worker cannot be unref'd (no `unref()`; a running one keeps the process alive), so a
 *   daemon thread cannot be one: daemon threads take the 3× slower `node:worker_threads` Worker,
 *   which has `unref()`.
 * - `terminate()` does not interrupt running code, nor a blocking `Atomics.wait`: the worker
 *   finishes its current task (microtasks included) and only then ends (measured: a 5 s busy
 *   loop and a 3 s wait both ran to their end). Meanwhile `node:worker_threads`' `exit` event
 *   fires at once, while the worker still runs — so it is not taken as the end here (the port's
 *   `close` is, which comes at the real end). The bootstrap sees the parent's KILL request when
 *   its export settles and then reports nothing (see `state_word.ts`); threadkit's sync waits in
 *   the thread (or in a pool worker's running task) read it between 20 ms slices and end the
 *   worker there (`terminateInterrupts: false`; `thread/runner.ts`, `pool/runner.ts`), and
 *   `Thread.terminate()` gives up on a worker that has not ended 2 s later (a raw
 *   `Atomics.wait`, busy code).
 * - An `error` event the parent does not `preventDefault()` ends the whole Deno process. The
 *   bootstrap handles its errors itself; the parent still prevents every `error` event (a
 *   bootstrap that fails to load) and reports it.
 *
 * @module
 */

import type * as WorkerThreads from "node:worker_threads";
import { RUNNING, STATE } from "./state_word.ts";
import type { Runtime, TimerHandle, WorkerSide } from "./types.ts";
import { forwardErrors, inWebWorker, webWorkerSide } from "./web_worker.ts";
import {
  drain,
  lazyWorkerThreads,
  nodeIsMainThread,
  nodeWorkerSide,
  receiveOn,
  refableWorker,
  resolveFromCwd,
  workerThreads,
} from "./worker_threads.ts";

interface DenoTimers {
  refTimer(id: number): void;
  unrefTimer(id: number): void;
}

/** How often a terminated daemon worker's state is read until it ends (Deno quirk, below). */
const EXIT_POLL_MS = 20;

function deno(): DenoTimers {
  return (globalThis as unknown as { Deno: DenoTimers }).Deno;
}

const startDenoWorker: Runtime["start"] = (bootstrap, start, options, events) => {
  const wt = workerThreads();
  const { port1, port2 } = new wt.MessageChannel();
  port1.on("message", (data: unknown) => events.message(data));
  let ended = false;
  const exit = () => {
    if (ended) return;
    ended = true;
    events.exit(undefined);
  };
  // The exit event (see above). Deno's port emits it from the receive loop that delivers its
  // messages, after the last one; the port is closed by then.
  port1.once("close", exit);
  const message = { ...start, port: port2 };
  const transfer = [port2 as unknown as Transferable];

  if (options.daemon) {
    const worker = new wt.Worker(bootstrap, { name: options.name });
    worker.on("error", (error: unknown) => events.error(error));
    // Quirk: when terminate() races with the worker's own process.exit(), the port's `close`
    // never comes (measured: 1 run in ~7), while `exit` does. And `exit` alone is no end signal
    // (it fires at terminate() while the worker still runs). But the bootstrap writes a final
    // state before every exit of its own: `exit` with a final state is a true end; `exit` with
    // RUNNING is a terminate() that will take effect after the current task, when the port's
    // `close` comes or the bootstrap writes the state (polled: the parent cannot wait on it
    // without blocking).
    const state = new Int32Array(start.state);
    let poll: ReturnType<typeof setInterval> | undefined;
    const end = () => {
      clearInterval(poll);
      if (ended) return;
      // Deliver what the worker posted before its end (its result), then stop the port.
      drain(wt, port1, events);
      port1.close();
      exit();
    };
    worker.once("exit", () => {
      if (Atomics.load(state, STATE) !== RUNNING) end();
      else {
        poll = setInterval(() => Atomics.load(state, STATE) !== RUNNING && end(), EXIT_POLL_MS);
        // A daemon keeps nothing alive; a pending terminate() holds the (ref'd) port instead.
        deno().unrefTimer(poll as unknown as number);
      }
    });
    worker.postMessage(message, transfer as unknown as WorkerThreads.Transferable[]);
    return refableWorker(wt, worker, port1, true);
  }

  const worker = new Worker(bootstrap, { type: "module", name: options.name });
  // Quirk: not prevented, an `error` event would end the whole Deno process.
  forwardErrors(worker, events);
  worker.postMessage(message, transfer);
  return {
    terminate: () => worker.terminate(),
    // A Web Worker is always ref'd; daemon threads never get here.
    ref() {},
    unref() {},
    receiveSync: () => receiveOn(wt, port1),
    post: (message) => port1.postMessage(message),
  };
};

/**
 * The worker side in a Deno Web Worker: its result port comes from `node:worker_threads`, so
 * it can be read synchronously even there.
 */
function denoWebWorkerSide(): WorkerSide {
  // `node:worker_threads` is loaded on first use (only a pool worker reads a port synchronously),
  // as on Bun: loading it cost a fresh Deno worker 14–15 ms here, more than half of a raw
  // worker's whole start → end. Thread start → join of a dist/ build ÷ a raw worker's start →
  // message → end, same run: 1.71× loading it at once → 1.03× (`deno run -A
  // bench/probes/thread_start.ts --dist <lazy build> --before <eager build> --runs 5 --per 4`,
  // load average ~4). An earlier try (issue 9) saw the owner-death latency tests of
  // thread_test.ts (≤ 250 ms) fail in 4 of 10 filtered runs under load average ~20 against 0 of
  // 10 eager, cause not found; this time `deno test --filter "owner death"` passed 6 of 6 runs
  // lazy, and 5 of 5 both ways alternated with two busy-loop processes on the 2 CPUs.
  const wt = lazyWorkerThreads();
  return { ...webWorkerSide(), receiveSync: (port: MessagePort) => receiveOn(wt(), port) };
}

/** Deno: Web Workers, `node:worker_threads` for daemon threads. */
export const denoRuntime: Runtime = {
  name: "deno",
  terminateInterrupts: false,
  nudgeAsyncWaits: false,
  asyncSpinMicros: 16,
  syncSpinMicros: 16,
  postTask: (task) => void setImmediate(task),
  start: startDenoWorker,
  // The bootstrap of a daemon thread runs in a node:worker_threads Worker, which is no Web
  // Worker scope (its `parentPort` carries the start message).
  workerSide: () => inWebWorker() ? denoWebWorkerSide() : nodeWorkerSide(),
  isMainThread: nodeIsMainThread,
  resolveModule: resolveFromCwd,
  setTimer(fn, ms): TimerHandle {
    // Deno's setTimeout returns a number; ref/unref go through Deno.refTimer/unrefTimer.
    const id = setTimeout(fn, ms) as unknown as number;
    return {
      clear: () => clearTimeout(id),
      ref: () => deno().refTimer(id),
      unref: () => deno().unrefTimer(id),
    };
  },
};
