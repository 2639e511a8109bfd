/**
 * ThreadPool task throughput (P5): `pool.tiny-tasks` beside `peer.piscina` and `peer.tinypool`.
 *
 * Every pool has 2 threads (one per CPU here) and gets n tiny tasks (`fixtures/pool_task.ts`,
 * x => x + 1) submitted at once, after a warm-up that has every thread started; the figure is
 * wall time per task. The peers run on Node only, so P5 is a Node target; threadkit's pool runs
 * on every runtime (its Deno and Bun figures have no baseline).
 *
 * @module
 */

import { ThreadPool } from "../mod.ts";
import type { Case, MainCase, RuntimeName } from "./harness/types.ts";

const TASK = new URL("./fixtures/pool_task.ts", import.meta.url);
const THREADS = 2;

/** A pool case: `make` starts the pool, `run` submits one task, `close` ends the pool. */
function poolCase(
  name: string,
  title: string,
  start: () => Promise<{ run: (x: number) => Promise<unknown>; close: () => Promise<unknown> }>,
  subject?: { runtimes: RuntimeName[]; compare: MainCase["compare"] },
): MainCase {
  return {
    kind: "main",
    name,
    title,
    role: subject === undefined ? "peer" : "subject",
    group: "pool",
    unit: "ns/task",
    runtimes: subject?.runtimes ?? ["node"],
    ...(subject?.compare !== undefined ? { compare: subject.compare } : {}),
    minIterations: 64,
    maxIterations: 200_000,
    async setup() {
      const pool = await start();
      // Warm up: every pool has all its threads started and ready before calibration, so the
      // figure is steady-state throughput (not worker start-up, which thread.* measures).
      await Promise.all(Array.from({ length: 8 * THREADS }, (_, i) => pool.run(i)));
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

/** P5: at least the throughput of each peer pool, i.e. at most its time per task. */
const P5_PISCINA = { id: "P5", max: 1, text: "≥ piscina's trivial-task throughput" };
const P5_TINYPOOL = { id: "P5", max: 1, text: "≥ tinypool's trivial-task throughput" };

export const cases: Case[] = [
  poolCase(
    "pool.tiny-tasks",
    `ThreadPool, ${THREADS} threads: n tiny tasks submitted at once`,
    () => {
      const pool = new ThreadPool(TASK, { size: THREADS });
      return Promise.resolve({ run: (x) => pool.submit([x]), close: () => pool.close() });
    },
    {
      runtimes: ["node", "deno", "bun"],
      compare: [
        { baseline: "peer.piscina", target: P5_PISCINA, runtimes: ["node"] },
        { baseline: "peer.tinypool", target: P5_TINYPOOL, runtimes: ["node"] },
      ],
    },
  ),
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
