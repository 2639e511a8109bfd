/**
 * Thread start→join (P6): the baseline, measured now so that the Thread's row is one case added
 * here when `src/thread.ts` lands (compare with `platform.worker-start`).
 *
 * `platform.worker-start`: start a worker of the runtime's own kind running an empty module and
 * wait until it has ended (Node: its "exit" event) or, for Web Workers, which report no exit on
 * Deno, until it has run (its one message) and then terminate it. One after another.
 *
 * @module
 */

import { RUNTIME } from "./harness/env.ts";
import { StallError } from "./harness/control.ts";
import type { Case } from "./harness/types.ts";

const EMPTY = new URL("./fixtures/empty_worker.ts", import.meta.url);
const WebWorker: any = (globalThis as any).Worker;
const STALL_MS = 30_000;

/** Starts one worker and resolves when it has ended (or run, on Web Workers). */
async function startAndJoin(): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stall = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new StallError(`platform.worker-start: a worker did not end within ${STALL_MS / 1000} s`),
        ),
      STALL_MS,
    );
  });
  try {
    if (RUNTIME === "node") {
      const { Worker } = await import("node:worker_threads");
      const worker = new Worker(EMPTY);
      await Promise.race([
        new Promise<void>((resolve, reject) => {
          worker.once("exit", () => resolve());
          worker.once("error", reject);
        }),
        stall,
      ]);
      return;
    }
    const worker = new WebWorker(EMPTY.href, { type: "module" });
    await Promise.race([
      new Promise<void>((resolve, reject) => {
        worker.onmessage = () => resolve();
        worker.onerror = (event: any) => {
          event.preventDefault?.();
          reject(new Error(`platform.worker-start: ${event.message}`));
        };
      }),
      stall,
    ]);
    worker.terminate();
  } finally {
    clearTimeout(timer);
  }
}

export const cases: Case[] = [
  {
    kind: "main",
    name: "platform.worker-start",
    title: "start a raw worker (empty module) and wait until it has ended, one after another",
    role: "platform",
    group: "startup",
    unit: "ns/thread",
    minIterations: 1,
    maxIterations: 2_000,
    setup() {
      return Promise.resolve({
        async run(n: number) {
          for (let i = 0; i < n; i++) await startAndJoin();
        },
        close: () => Promise.resolve(),
      });
    },
  },
];
