/**
 * Probe: where a thread's start-up goes (issue 9, P6). Round-robin in one process, medians of
 * the runs, with the load average:
 *
 * 1. start → join, one thread after another: `raw-js` (a raw worker on a `.mjs` module: start →
 *    first message → end, the P6 baseline), `dist` (Thread of a tsup build), `before` (Thread
 *    of another build, e.g. of the commit before a change), `floor` (Thread of a copy of the
 *    `--dist` build whose bootstrap is `fixtures/floor_bootstrap.mjs`: only the steps no
 *    bootstrap can skip — take the start message, import the module, post the result), `ts`
 *    (Thread of the unbuilt sources); each as ms per thread and as a ratio to `raw-js`.
 * 2. inside a fresh worker, the time of one import: the bootstrap's module graph from dist and
 *    from the `.ts` sources (the difference is the transpile / type-strip cost), the task
 *    module, and `node:worker_threads` (which a worker side may load).
 *
 *   node bench/probes/thread_start.ts --dist <dir> [--before <dir>] [--runs 7] [--per 8]
 *   (deno run -A …, bun …)
 *
 * Builds: `npx tsup --no-dts --format esm --out-dir /tmp/after` (and the same from a checkout
 * of the earlier commit for `--before`).
 *
 * @module
 */

import { loadavg } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Thread } from "../../mod.ts";
import { median, option, RUNTIME, startWorker } from "../harness/env.ts";
import { startMessageExit } from "../thread_bench.ts";
import { FIXTURES, floorBuild, loadThread, threadOf } from "./thread_builds.ts";

const g = globalThis as any;
const RUNS = Number(option("runs") ?? 7);
const PER = Number(option("per") ?? 8);
const dist = option("dist");
const before = option("before");
if (dist === undefined) throw new Error("--dist <dir of a tsup build> is required");

const TASK_TS = new URL("thread_task.ts", FIXTURES);
const TASK_JS = new URL("thread_task.mjs", FIXTURES);
const RAW_JS = new URL("message_worker.mjs", FIXTURES);
const TIMER = new URL("./import_timer.mjs", import.meta.url);

const starts: Record<string, (i: number) => Promise<void>> = {
  "raw-js": () => startMessageExit(RAW_JS, "raw-js"),
  dist: threadOf(await loadThread(dist), TASK_JS),
  ...(before !== undefined ? { before: threadOf(await loadThread(before), TASK_JS) } : {}),
  floor: threadOf(await loadThread(floorBuild(dist)), TASK_JS),
  ts: threadOf(Thread, TASK_TS),
};

/** Milliseconds one fresh worker takes to import `url` (inside the worker). */
async function importTime(url: string): Promise<number> {
  const worker = await startWorker(TIMER, "import-timer");
  const { port1, port2 } = new MessageChannel();
  try {
    const ms = new Promise<number>((resolve, reject) => {
      port1.onmessage = (event) => resolve(event.data as number);
      worker.onFailure(reject);
      setTimeout(() => reject(new Error(`import of ${url} took over 30 s`)), 30_000);
    });
    worker.post({ port: port2, url }, [port2]);
    return await ms;
  } finally {
    port1.close();
  }
}
const imports: Record<string, string> = {
  "bootstrap graph, dist": pathToFileURL(join(dist, "bootstrap.js")).href,
  "bootstrap graph, .ts": new URL("../../src/bootstrap.ts", import.meta.url).href,
  "task module (.mjs)": TASK_JS.href,
  "node:worker_threads": "node:worker_threads",
};

const startMs: Record<string, number[]> = {};
const importMs: Record<string, number[]> = {};
for (const [name, fn] of Object.entries(starts)) {
  await fn(0); // warm-up
  startMs[name] = [];
}
for (const name of Object.keys(imports)) importMs[name] = [];
const load0 = loadavg();
for (let r = 0; r < RUNS; r++) {
  for (const [name, fn] of Object.entries(starts)) {
    const t0 = performance.now();
    for (let i = 0; i < PER; i++) await fn(i);
    startMs[name]!.push((performance.now() - t0) / PER);
  }
  for (const [name, url] of Object.entries(imports)) importMs[name]!.push(await importTime(url));
}
const round = (x: number) => x.toFixed(2);
console.log(
  `${RUNTIME}, ${RUNS} runs × ${PER} starts, round-robin; load average ${
    load0.map(round).join(" / ")
  } → ${loadavg().map(round).join(" / ")}`,
);
const raw = median(startMs["raw-js"]!);
for (const [name, xs] of Object.entries(startMs)) {
  console.log(
    `  start→join ${name.padEnd(8)} ${round(median(xs)).padStart(8)} ms  (${
      round(Math.min(...xs))
    } – ${round(Math.max(...xs))})  ${round(median(xs) / raw)}× raw-js`,
  );
}
for (const [name, xs] of Object.entries(importMs)) {
  console.log(
    `  import in a fresh worker: ${name.padEnd(22)} ${round(median(xs)).padStart(8)} ms  (${
      round(Math.min(...xs))
    } – ${round(Math.max(...xs))})`,
  );
}
if (RUNTIME === "deno") g.Deno.exit(0);
else g.process.exit(0);
