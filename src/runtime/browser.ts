/**
 * The browser's adapter: threads are module Web Workers (`type: "module"`); it needs a
 * cross-origin-isolated page for SharedArrayBuffer. Also the Web Worker side that Deno's Web
 * Workers share.
 *
 * Browsers report no exit of a worker. The bootstrap reports every end it can see (the export
 * settled, an uncaught error); a `terminate()` is reported by this adapter itself; a worker that
 * a browser kills otherwise (out of memory) is seen through the result port's `close` event where
 * the browser has it (part of HTML since 2023), else not at all.
 *
 * @module
 */

import type { StartMessage } from "./protocol.ts";
import type {
  Runtime,
  StartedWorker,
  StartOptions,
  TimerHandle,
  WorkerEvents,
  WorkerSide,
} from "./mod.ts";

/** The global scope of a Web Worker, as the bootstrap uses it. */
interface WorkerScope {
  addEventListener(
    type: string,
    listener: (event: any) => void,
    options?: { once?: boolean },
  ): void;
  close(): void;
}

function scope(): WorkerScope {
  return globalThis as unknown as WorkerScope;
}

/** Whether this code runs in a Web Worker (a dedicated worker's global scope). */
export function inWebWorker(): boolean {
  const g = globalThis as { WorkerGlobalScope?: abstract new () => unknown };
  return typeof g.WorkerGlobalScope === "function" && globalThis instanceof g.WorkerGlobalScope;
}

/**
 * The worker side in a Web Worker. `onExit` hears `unload`, which Deno fires in a worker that
 * calls `Deno.exit()`/`process.exit()` (measured); browsers have no exit call.
 */
export function webWorkerSide(): WorkerSide {
  const self = scope();
  return {
    onStart(fn) {
      self.addEventListener("message", (event: MessageEvent) => fn(event.data), { once: true });
    },
    onCrash(fn) {
      self.addEventListener("error", (event: ErrorEvent) => {
        // Handled here, the error does not reach the parent's `error` event (which, not
        // prevented there, would end the whole Deno process).
        event.preventDefault();
        fn(event.error ?? new Error(event.message));
      });
      self.addEventListener("unhandledrejection", (event: PromiseRejectionEvent) => {
        event.preventDefault();
        fn(event.reason);
      });
    },
    onExit(fn) {
      self.addEventListener("unload", () => fn(undefined));
    },
    exit() {
      self.close();
    },
  };
}

/** The Web Worker's `error` event as an error value. */
export function errorOfEvent(event: ErrorEvent | Event): unknown {
  const e = event as ErrorEvent;
  if (e.error !== undefined && e.error !== null) return e.error;
  return new Error(typeof e.message === "string" && e.message !== "" ? e.message : "Worker failed");
}

function startBrowserWorker(
  bootstrap: URL,
  start: StartMessage,
  options: StartOptions,
  events: WorkerEvents,
): StartedWorker {
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(bootstrap, { type: "module", name: options.name });
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    port1.close();
    events.exit(undefined);
  };
  port1.onmessage = (event) => events.message(event.data);
  port1.addEventListener("close", end);
  worker.addEventListener("error", (event) => {
    event.preventDefault();
    events.error(errorOfEvent(event));
  });
  worker.postMessage({ ...start, port: port2 }, [port2]);
  return {
    terminate() {
      worker.terminate();
      // No exit event: the worker runs no more script once terminate() returns; let the
      // messages it posted before arrive, then report the end.
      setTimeout(end, 0);
    },
    ref() {},
    unref() {},
    receiveSync: () => null,
    post: (message) => port1.postMessage(message),
  };
}

/** Browsers: module Web Workers; a page stays alive anyway, so ref/unref do nothing. */
export const browserRuntime: Runtime = {
  name: "browser",
  start: startBrowserWorker,
  workerSide: webWorkerSide,
  isMainThread: () => !inWebWorker(),
  resolveModule(specifier) {
    if (/^(\.{1,2}\/|\/)/.test(specifier)) {
      const base = (globalThis as { document?: { baseURI: string } }).document?.baseURI ??
        location.href;
      return new URL(specifier, base).href;
    }
    if (URL.canParse(specifier)) return specifier;
    throw new TypeError(
      `Cannot resolve thread module ${JSON.stringify(specifier)}: give a URL ` +
        `(new URL("./x.js", import.meta.url)) or a path starting with "/", "./" or "../"`,
    );
  },
  setTimer(fn, ms): TimerHandle {
    const id = setTimeout(fn, ms);
    return { clear: () => clearTimeout(id), ref() {}, unref() {} };
  },
};
