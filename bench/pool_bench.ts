/**
 * ThreadPool task throughput (P5): the baselines, measured now so that the ThreadPool's row is
 * one case added here when `src/pool.ts` lands (compare with `peer.piscina` and `peer.tinypool`).
 *
 * Both pools run on Node only, with 2 threads (one per CPU here), and get n tiny tasks
 * (`fixtures/pool_task.ts`, x => x + 1) submitted at once; the figure is wall time per task.
 *
 * @module
 */

import type { Case, MainCase } from "./harness/types.ts";

const TASK = new URL("./fixtures/pool_task.ts", import.meta.url);
const THREADS = 2;

/** A pool case: `make` starts the pool, `run` submits one task, `close` ends the pool. */
function poolCase(
  name: string,
  title: string,
  start: () => Promise<{ run: (x: number) => Promise<unknown>; close: () => Promise<unknown> }>,
): MainCase {
  return {
    kind: "main",
    name,
    title,
    role: "peer",
    group: "pool",
    unit: "ns/task",
    runtimes: ["node"],
    minIterations: 64,
    maxIterations: 200_000,
    async setup() {
      const pool = await start();
      return {
        async run(n) {
          const pending = new Array<Promise<unknown>>(n);
          for (let i = 0; i < n; i++) pending[i] = pool.run(i);
          const results = await Promise.all(pending);
          if (results[n - 1] !== n) {
            throw new Error(`${name}: task returned ${results[n - 1]}, expected ${n}`);
          }
        },
        close: async () => {
          await pool.close();
        },
      };
    },
  };
}

export const cases: Case[] = [
  poolCase(
    "peer.piscina",
    `piscina, ${THREADS} threads: n tiny tasks submitted at once`,
    async () => {
      const { Piscina } = await import("piscina");
      const pool = new Piscina({ filename: TASK.href, minThreads: THREADS, maxThreads: THREADS });
      return { run: (x) => pool.run(x), close: () => pool.destroy() };
    },
  ),
  poolCase(
    "peer.tinypool",
    `tinypool, ${THREADS} threads: n tiny tasks submitted at once`,
    async () => {
      const { Tinypool } = await import("tinypool");
      const pool = new Tinypool({ filename: TASK.href, minThreads: THREADS, maxThreads: THREADS });
      return { run: (x) => pool.run(x), close: () => pool.destroy() };
    },
  ),
];
