/**
 * Node's adapter: threads are `node:worker_threads` Workers. Also the building blocks that Deno
 * (its daemon threads) and Bun (its worker side) share, since both provide `node:worker_threads`.
 *
 * Built-in modules are reached through `process.getBuiltinModule` (Node ≥ 20.16, Deno 2, Bun),
 * never a static `import`, so that this file loads in a browser and in a CommonJS bundle.
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
import type { StartMessage } from "./protocol.ts";
import type {
  Runtime,
  StartedWorker,
  StartOptions,
  TimerHandle,
  WorkerEvents,
  WorkerSide,
} from "./mod.ts";

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
    const received = wt.receiveMessageOnPort(port as WorkerThreads.MessagePort);
    if (received === undefined) return;
    events.message(received.message);
  }
}

/** Starts `bootstrap` in a `node:worker_threads` Worker (Node; Deno's daemon threads). */
export function startNodeWorker(
  bootstrap: URL,
  start: StartMessage,
  options: StartOptions,
  events: WorkerEvents,
): StartedWorker {
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
  const started: StartedWorker = {
    terminate: () => void worker.terminate(),
    ref() {
      worker.ref();
      port1.ref();
    },
    unref() {
      worker.unref();
      port1.unref();
    },
    receiveSync: () => wt.receiveMessageOnPort(port1),
    post: (message) => port1.postMessage(message),
  };
  if (options.daemon) started.unref();
  return started;
}

/** The worker side in a `node:worker_threads` Worker (Node, Deno; Bun's Web Worker too). */
export function nodeWorkerSide(): WorkerSide {
  const wt = workerThreads();
  const proc = nodeProcess();
  return {
    onStart(fn) {
      wt.parentPort!.once("message", fn);
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

/** Absolute URLs as they are; `/`, `./`, `../` paths against the working directory. */
export function resolveFromCwd(specifier: string): string {
  if (/^[A-Za-z]:[\\/]/.test(specifier) || /^(\.{1,2}[\\/]|[\\/])/.test(specifier)) {
    const path = builtin<typeof import("node:path")>("node:path");
    const url = builtin<typeof import("node:url")>("node:url");
    return url.pathToFileURL(path.resolve(nodeProcess().cwd(), specifier)).href;
  }
  if (URL.canParse(specifier)) return specifier;
  throw new TypeError(
    `Cannot resolve thread module ${JSON.stringify(specifier)}: give a URL ` +
      `(new URL("./x.ts", import.meta.url)) or a path starting with "/", "./" or "../"`,
  );
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

/** Node: `node:worker_threads` (the only worker it has). */
export const nodeRuntime: Runtime = {
  name: "node",
  start: startNodeWorker,
  workerSide: nodeWorkerSide,
  isMainThread: nodeIsMainThread,
  resolveModule: resolveFromCwd,
  setTimer: nodeTimer,
};
