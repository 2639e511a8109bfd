/**
 * What the harness needs to know about the runtime it runs on, and how it starts workers there.
 *
 * Workers are each runtime's own kind: `node:worker_threads` on Node, the Web `Worker` on Deno
 * and Bun (Deno's starts ~3× faster than its `worker_threads`; Bun's in ~2 ms). The platform
 * baselines (postMessage) are thereby the fastest each runtime offers.
 *
 * @module
 */

import type { RuntimeName } from "./types.ts";

const g = globalThis as any;

/** The runtime this code runs on. */
export const RUNTIME: RuntimeName = g.Deno !== undefined
  ? "deno"
  : g.Bun !== undefined
  ? "bun"
  : "node";

/** Its version, e.g. `"24.21.0"`. */
export const RUNTIME_VERSION: string = RUNTIME === "deno"
  ? g.Deno.version.deno
  : RUNTIME === "bun"
  ? g.Bun.version
  : g.process.versions.node;

/**
 * The Web Worker constructor as the runtime gave it, captured before any peer library is
 * imported (multithreading replaces `globalThis.Worker` on Node with its own wrapper).
 */
const WebWorker: any = g.Worker;

/** The parent's handle on a worker of the harness. */
export interface HarnessWorker {
  post(message: unknown, transfer?: Transferable[]): void;
  /** Called with every message the worker posts. */
  onMessage(listener: (message: any) => void): void;
  /** Called once if the worker dies of an uncaught error or exits early. */
  onFailure(listener: (error: Error) => void): void;
  terminate(): Promise<void>;
}

/** Starts a worker running the module at `url`, in this runtime's own kind of worker. */
export async function startWorker(url: URL, name: string): Promise<HarnessWorker> {
  if (RUNTIME === "node") {
    const { Worker } = await import("node:worker_threads");
    const worker = new Worker(url, { name });
    let ended = false;
    return {
      post: (message, transfer) => worker.postMessage(message, transfer as any),
      onMessage: (listener) => worker.on("message", listener),
      onFailure: (listener) => {
        worker.on(
          "error",
          (error) => listener(error instanceof Error ? error : new Error(String(error))),
        );
        worker.on("exit", (code) => {
          if (!ended) listener(new Error(`worker ${name} exited with code ${code}`));
        });
      },
      terminate: async () => {
        ended = true;
        await worker.terminate();
      },
    };
  }
  const worker = new WebWorker(url.href, { type: "module", name });
  return {
    post: (message, transfer) => worker.postMessage(message, transfer ?? []),
    onMessage: (listener) =>
      worker.addEventListener("message", (event: MessageEvent) => listener(event.data)),
    onFailure: (listener) => {
      worker.addEventListener("error", (event: any) => {
        // Deno ends the whole process on an unhandled worker error unless it is prevented.
        event.preventDefault?.();
        listener(
          event.error instanceof Error
            ? event.error
            : new Error(`worker ${name}: ${event.message}`),
        );
      });
      worker.addEventListener(
        "messageerror",
        () => listener(new Error(`worker ${name}: message could not be read`)),
      );
    },
    terminate: () => {
      worker.terminate();
      return Promise.resolve();
    },
  };
}

/** The worker side: the parent's port, in this runtime's own kind of worker. */
export async function parentChannel(): Promise<{
  post(message: unknown): void;
  onMessage(listener: (message: any) => void): void;
  close(): void;
}> {
  if (RUNTIME === "node") {
    const { parentPort } = await import("node:worker_threads");
    if (parentPort === null) throw new Error("bench worker: not running in a worker");
    return {
      post: (message) => parentPort.postMessage(message),
      onMessage: (listener) => parentPort.on("message", listener),
      close: () => parentPort.close(),
    };
  }
  const self = g.self;
  return {
    post: (message) => self.postMessage(message),
    onMessage: (listener) =>
      self.addEventListener("message", (event: MessageEvent) => listener(event.data)),
    close: () => self.close(),
  };
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** This process's command-line arguments (after the script), on every runtime. */
export const ARGV: readonly string[] = RUNTIME === "deno" ? g.Deno.args : g.process.argv.slice(2);

/** The value after `--name` in {@link ARGV}, or `undefined` (probes' `--runs 7` style options). */
export function option(name: string): string | undefined {
  const at = ARGV.indexOf(`--${name}`);
  return at >= 0 ? ARGV[at + 1] : undefined;
}
