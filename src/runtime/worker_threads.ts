/**
 * The `node:worker_threads` pieces that Node, Deno (its daemon threads, its result ports) and Bun
 * (its worker side) share: reaching the built-in modules, draining a port, the started worker
 * the parent holds, the worker side, main-thread detection, path resolution and timers.
 *
 * Built-in modules are reached through `process.getBuiltinModule` (Node ≥ 20.16, Deno 2, Bun),
 * never a static `import`, so that this file loads in a browser and in a CommonJS bundle.
 *
 * @module
 */

import type * as WorkerThreads from "node:worker_threads";
import type { StartedWorker, TimerHandle, WorkerEvents, WorkerSide } from "./types.ts";

interface NodeProcess {
  getBuiltinModule?: (id: string) => unknown;
  cwd(): string;
  exit(code?: number): never;
  on(event: string, listener: (...args: any[]) => void): unknown;
}

/** The `process` global of Node, Deno and Bun. */
export function nodeProcess(): NodeProcess {
  return (globalThis as unknown as { process: NodeProcess }).process;
}

/** A built-in module, synchronously. */
export function builtin<T>(id: string): T {
  const get = nodeProcess()?.getBuiltinModule;
  if (typeof get !== "function") {
    throw new TypeError(
      `Cannot use threads here: process.getBuiltinModule is missing (Node >= 20.16 is needed)`,
    );
  }
  return get(id) as T;
}

/** `node:worker_threads`. */
export function workerThreads(): typeof WorkerThreads {
  return builtin<typeof WorkerThreads>("node:worker_threads");
}

/** Takes the next message queued on `port` without waiting, or `undefined` when none is. */
export function receiveOn(
  wt: typeof WorkerThreads,
  port: WorkerThreads.MessagePort | MessagePort,
): { message: unknown } | undefined {
  return wt.receiveMessageOnPort(port as WorkerThreads.MessagePort);
}

/**
 * Delivers every message still queued on `port` (synchronously), so that an exit is reported
 * only after the messages posted before it.
 */
export function drain(
  wt: typeof WorkerThreads,
  port: WorkerThreads.MessagePort | MessagePort,
  events: WorkerEvents,
): void {
  for (;;) {
    const received = receiveOn(wt, port);
    if (received === undefined) return;
    events.message(received.message);
  }
}

/** A worker and its result port that both have `ref`/`unref` (worker_threads; Bun's Worker). */
interface Refable {
  ref(): void;
  unref(): void;
}

/**
 * The started worker the parent holds, for a worker and result port that can be ref'd (a
 * `node:worker_threads` Worker, Bun's Web Worker): ref/unref move both, the port is read
 * synchronously through `node:worker_threads`. Unref'd at once for a daemon.
 */
export function refableWorker(
  wt: typeof WorkerThreads,
  worker: Refable & { terminate(): unknown },
  port: Refable & { postMessage(message: unknown): void },
  daemon: boolean,
): StartedWorker {
  const started: StartedWorker = {
    terminate: () => void worker.terminate(),
    ref() {
      worker.ref();
      port.ref();
    },
    unref() {
      worker.unref();
      port.unref();
    },
    receiveSync: () => receiveOn(wt, port as unknown as WorkerThreads.MessagePort),
    post: (message) => port.postMessage(message),
  };
  if (daemon) started.unref();
  return started;
}

/**
 * `node:worker_threads`, loaded on the first call only. For the worker sides of Bun and Deno,
 * whose Web Workers need it only to read a port synchronously (pool workers): loading it costs
 * a thread's start-up 3.4–4.1 ms on Bun (measured in a fresh worker, median of 11), 14–15 ms
 * on Deno (`deno.ts`).
 */
export function lazyWorkerThreads(): () => typeof WorkerThreads {
  let wt: typeof WorkerThreads | undefined;
  return () => (wt ??= workerThreads());
}

/**
 * The worker side in a `node:worker_threads` Worker (Node, Deno); Bun's Web Worker takes its
 * exit and crash hooks. `node:worker_threads` is loaded when first needed.
 */
export function nodeWorkerSide(): WorkerSide {
  const wt = lazyWorkerThreads();
  const proc = nodeProcess();
  return {
    onStart(fn) {
      wt().parentPort!.once("message", fn);
    },
    onCrash(fn) {
      // With these listeners the runtime no longer ends the thread itself; the bootstrap does.
      proc.on("uncaughtException", fn);
      proc.on("unhandledRejection", fn);
    },
    onExit(fn) {
      proc.on("exit", (code: unknown) => fn(typeof code === "number" ? code : undefined));
    },
    exit(code) {
      proc.exit(code);
    },
    receiveSync: (port) => receiveOn(wt(), port),
  };
}

/** Whether this is the main thread, for runtimes with `node:worker_threads`. */
export function nodeIsMainThread(): boolean {
  // Deno's Web Workers report `isMainThread: true` (measured): test for a worker scope first.
  const g = globalThis as { WorkerGlobalScope?: abstract new () => unknown };
  if (typeof g.WorkerGlobalScope === "function" && globalThis instanceof g.WorkerGlobalScope) {
    return false;
  }
  return workerThreads().isMainThread;
}

/**
 * Absolute URLs as they are; `/`, `./`, `../` paths against the working directory.
 *
 * @throws {TypeError} A path to a file that does not exist (checked here, where the error can
 *   say how the path was resolved, rather than in the worker); a bare specifier.
 */
export function resolveFromCwd(specifier: string): string {
  if (/^[A-Za-z]:[\\/]/.test(specifier) || /^(\.{1,2}[\\/]|[\\/])/.test(specifier)) {
    const path = builtin<typeof import("node:path")>("node:path");
    const url = builtin<typeof import("node:url")>("node:url");
    const cwd = nodeProcess().cwd();
    const file = path.resolve(cwd, specifier);
    if (missing(file)) {
      const how = /^\./.test(specifier)
        ? `resolved against the current directory (${cwd}) it is ${file}, which does not exist`
        : `the file ${file} does not exist`;
      throw new TypeError(
        `Cannot find thread module ${JSON.stringify(specifier)}: ${how}; to resolve a path ` +
          `against your own module, pass new URL(${JSON.stringify(specifier)}, import.meta.url)`,
      );
    }
    return url.pathToFileURL(file).href;
  }
  if (URL.canParse(specifier)) return specifier;
  throw new TypeError(
    `Cannot resolve thread module ${JSON.stringify(specifier)}: give a URL ` +
      `(new URL("./x.ts", import.meta.url)) or a path starting with "/", "./" or "../"`,
  );
}

/** Whether `file` certainly does not exist (false when it cannot be told, e.g. no permission). */
function missing(file: string): boolean {
  try {
    builtin<typeof import("node:fs")>("node:fs").statSync(file);
    return false;
  } catch (error) {
    return (error as { code?: unknown })?.code === "ENOENT";
  }
}

/** Timers of Node and Bun: `setTimeout` returns an object with `ref`/`unref`. */
export function nodeTimer(fn: () => void, ms: number): TimerHandle {
  const id = setTimeout(fn, ms) as unknown as { ref(): void; unref(): void };
  return {
    clear: () => clearTimeout(id as unknown as number),
    ref: () => id.ref(),
    unref: () => id.unref(),
  };
}
