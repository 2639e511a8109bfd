/**
 * The runtime layer's entry: picks the adapter of the runtime this code runs on, once, at load,
 * and re-exports the interfaces (`types.ts`): start a worker on threadkit's bootstrap, post the
 * start message, observe its result, errors and end, terminate it, ref/unref it; plus the few
 * other things that differ per runtime (is this the main thread, timers that may be unref'd,
 * resolving a module string). `src/runtime/` is the only place in threadkit that knows which
 * runtime it runs on, and knows nothing else: it imports no primitive and nothing of the
 * threads or pools built on it. At load it also tells the futex layer below it how async waits
 * behave on this runtime (`setAsyncNudge`, `setAsyncSpin`), since that layer knows no runtime.
 *
 * ## Choice of worker per runtime
 * Measured on this machine (2 CPUs shared with other jobs, load average ~4; Node 24.21, Deno
 * 2.9.5, Bun 1.4.5), median of 15 sequential starts. "Raw": `new Worker` of a trivial `.ts`
 * module to its first message. "Thread": `new Thread(url).start()` to `await join()` through
 * the real bootstrap, of a plain JS module / of a module that imports threadkit.
 * | runtime | raw Web Worker | raw worker_threads | Thread (plain / threadkit) | chosen          |
 * | Node    | —              | 41 ms              | 54 / 77 ms                 | worker_threads  |
 * | Deno    | 9.2 ms         | 24 ms              | 12 / 14 ms (Web Worker)    | Web Worker      |
 * | Deno    |                |                    | 26 / 28 ms (worker_threads)| daemon threads  |
 * | Bun     | 3.8 ms         | 10 ms              | 6.7 / 9.4 ms               | Web Worker      |
 * On a quieter machine the raw figures were Node 34, Deno 7.4 / 21, Bun 4.3 / 8.6 ms. Node's
 * extra cost per thread is mostly type stripping of the `.ts` modules each worker loads (the
 * bootstrap loads the primitives' modules only when the arguments hold primitives).
 *
 * ## How each adapter learns that a worker ended
 * Every thread has a shared *state word* (`state_word.ts`) that its bootstrap writes when the
 * export settles or the thread calls an exit function, and that the parent writes on the exit
 * events it does get. The events per mechanism:
 * - node:worker_threads on Node and Bun: `exit` with a code, always, once the worker is gone.
 * - Deno Web Worker: no exit or close event at all, for a natural end, `self.close()`,
 *   `process.exit()` or `terminate()` alike. But a `node:worker_threads` `MessagePort` whose
 *   other end was transferred into the worker emits `close` once the worker is gone, whatever
 *   ended it (measured: natural end, close, exit, uncaught error, unhandled rejection,
 *   terminate) — so the Deno adapter carries the result port from `node:worker_threads`.
 * - Deno, either worker: `terminate()` does not interrupt running code or a blocking wait (the
 *   worker ends after its current task), and `node:worker_threads`' `exit` fires at once anyway,
 *   while the worker still runs; see `deno.ts` for how the end is told apart.
 * - Bun Web Worker: a `close` event with a code (Bun extension). Bun reports an unhandled
 *   rejection as code 0 (Node: 1); the bootstrap catches rejections itself, so the code is never
 *   the signal.
 * - Browser: no exit event. The bootstrap reports everything it can; a worker killed from outside
 *   (terminate) is reported by the adapter itself.
 *
 * @module
 */

import {
  setAsyncNudge,
  setAsyncSpin,
  setSpinCpus,
  setSyncSpin,
  setTaskPoster,
} from "../internal/futex.ts";
import type { Runtime } from "./types.ts";
import { browserRuntime } from "./browser.ts";
import { bunRuntime } from "./bun.ts";
import { denoRuntime } from "./deno.ts";
import { nodeRuntime } from "./node.ts";

export type {
  Runtime,
  StartedWorker,
  StartOptions,
  StartPayload,
  TimerHandle,
  WorkerEvents,
  WorkerSide,
} from "./types.ts";

function detect(): Runtime {
  const g = globalThis as {
    Deno?: unknown;
    Bun?: unknown;
    process?: { versions?: { node?: string } };
  };
  // Deno and Bun both define `process.versions.node`: test them first.
  if (typeof g.Deno === "object" && g.Deno !== null) return denoRuntime;
  if (typeof g.Bun === "object" && g.Bun !== null) return bunRuntime;
  if (typeof g.process?.versions?.node === "string") return nodeRuntime;
  return browserRuntime;
}

/** The adapter of the runtime this code runs on. */
export const runtime: Runtime = detect();

/** The hardware concurrency (`navigator.hardwareConcurrency`, 1 where unknown). */
export function hardwareConcurrency(): number {
  const n = (globalThis as { navigator?: { hardwareConcurrency?: unknown } }).navigator
    ?.hardwareConcurrency;
  return typeof n === "number" && Number.isInteger(n) && n > 0 ? n : 1;
}

// The futex layer knows no runtime: tell it how async waits behave here (see `setAsyncNudge`,
// `setAsyncSpin`, `setTaskPoster`).
setAsyncNudge(runtime.nudgeAsyncWaits);
setTaskPoster(runtime.postTask);
setAsyncSpin(runtime.asyncSpinMicros);
setSyncSpin(runtime.syncSpinMicros);
setSpinCpus(hardwareConcurrency());
