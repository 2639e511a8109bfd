/**
 * The Web Worker pieces that browsers, Deno (its Web Workers) and Bun (its Web Workers) share:
 * the worker side in a Web Worker scope, and the parent's handling of a worker's `error` event.
 *
 * @module
 */

import type { WorkerEvents, WorkerSide } from "./types.ts";

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
 * Calls `fn` for an uncaught error or an unhandled rejection in this scope, and keeps the
 * runtime from handling it its own way.
 */
export function onScopeCrash(fn: (error: unknown) => void): void {
  const self = globalThis as unknown as {
    addEventListener?: (type: string, listener: (event: any) => void) => void;
  };
  self.addEventListener?.("error", (event: ErrorEvent) => {
    // Handled here, the error does not reach the parent's `error` event (which, not prevented
    // there, would end the whole Deno process).
    event.preventDefault();
    fn(event.error ?? new Error(event.message));
  });
  self.addEventListener?.("unhandledrejection", (event: PromiseRejectionEvent) => {
    event.preventDefault();
    fn(event.reason);
  });
}

/**
 * The worker side in a Web Worker. `onExit` hears `unload`, which Deno fires in a worker that
 * calls `Deno.exit()`/`process.exit()` (measured); browsers have no exit call. A Web Worker
 * cannot read a port synchronously: `receiveSync` says so with `null`.
 */
export function webWorkerSide(): WorkerSide {
  const self = scope();
  return {
    onStart(fn) {
      self.addEventListener("message", (event: MessageEvent) => fn(event.data), { once: true });
    },
    onCrash: onScopeCrash,
    onExit(fn) {
      self.addEventListener("unload", () => fn(undefined));
    },
    exit() {
      self.close();
    },
    receiveSync: () => null,
  };
}

/** The Web Worker's `error` event as an error value. */
export function errorOfEvent(event: ErrorEvent | Event): unknown {
  const e = event as ErrorEvent;
  if (e.error !== undefined && e.error !== null) return e.error;
  return new Error(typeof e.message === "string" && e.message !== "" ? e.message : "Worker failed");
}

/**
 * Reports a Web Worker's `error` events (its bootstrap failed to load, ...) to `events`,
 * preventing each: not prevented, one would end the whole Deno process.
 */
export function forwardErrors(worker: Worker, events: WorkerEvents): void {
  worker.addEventListener("error", (event) => {
    event.preventDefault();
    events.error(errorOfEvent(event));
  });
}
