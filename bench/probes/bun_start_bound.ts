/**
 * Probe (Bun only): the bound of P6 on Bun, `thread.start-join-dist` ÷
 * `platform.worker-start-exit-js` (issue 9). Round-robin in one process, `--runs` runs of `--per`
 * sequential starts per row, medians of the runs, each as ms per start and as a ratio to `raw`:
 *
 * | row                | what one start is                                                    |
 * | `raw`              | the P6 baseline: a raw Web Worker on `fixtures/message_worker.mjs`,  |
 * |                    | start → first message → its `close` event (`startMessageExit`)       |
 * | `raw+import`       | the same worker also imports the thread module (`thread_task.mjs`)   |
 * |                    | dynamically and posts its result (`fixtures/import_worker.mjs`)      |
 * | `raw+start+import` | a raw worker that takes a start message (port, state word, module    |
 * |                    | URL), imports the module, posts on the port, `process.exit(0)`; the  |
 * |                    | parent waits for its `close` (`fixtures/start_import_worker.mjs`)    |
 * | `raw+20KB`         | `raw` whose module also holds ~20 KB of small functions it never     |
 * |                    | calls (the size of `dist/bootstrap.js`), generated here              |
 * | `floor`            | `Thread` of a copy of the `--dist` build whose bootstrap is          |
 * |                    | `fixtures/floor_bootstrap.mjs` (no threadkit code in the worker)      |
 * | `threadkit`        | `Thread` of the `--dist` build: start → `join()` (P6's subject)      |
 * | `threadkit+end`    | the same, then `terminate()`, which waits for the worker's `close`   |
 *
 * `--alt <dir>` adds a `threadkit-alt` row for a second build, last in the rotation. Position
 * matters: a build exiting at once after its result measured 0.89 / 0.90 / 0.94× the unchanged
 * build as `-alt`, and 1.15 / 1.05× as `threadkit` with the unchanged one as `-alt` (2026-12-01),
 * so run both orders before believing a difference.
 *
 * `join()` resolves on the result message, not on the worker's end, so in `threadkit` the next
 * thread starts while the last worker is still ending; `threadkit+end` shows what waiting costs.
 *
 *   npx tsup --no-dts --format esm --out-dir /tmp/dist
 *   bun bench/probes/bun_start_bound.ts --dist /tmp/dist [--runs 9] [--per 8] [--alt /tmp/dist2]
 *
 * @module
 */

import { mkdtempSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { median, option, RUNTIME } from "../harness/env.ts";
import { startMessageExit } from "../thread_bench.ts";
import { FIXTURES, floorBuild, loadThread, threadOf } from "./thread_builds.ts";

if (RUNTIME !== "bun") {
  throw new Error("bun_start_bound.ts measures Bun's Web Worker: run it with bun");
}
const g = globalThis as any;
const RUNS = Number(option("runs") ?? 9);
const PER = Number(option("per") ?? 8);
const dist = option("dist");
if (dist === undefined) throw new Error("--dist <dir of a tsup build> is required");

const TASK_JS = new URL("thread_task.mjs", FIXTURES);
const STALL_MS = 30_000;

/** Starts a Bun Web Worker on `url`, posts `start(port)` if given; resolves at its `close`. */
function rawStart(url: string, withStart: boolean): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const worker = new g.Worker(url, { type: "module" });
    const stall = setTimeout(() => reject(new Error(`${url}: no end within 30 s`)), STALL_MS);
    worker.onmessage = () => {};
    worker.onerror = (event: any) => {
      event.preventDefault?.();
      reject(new Error(`${url}: ${event.message}`));
    };
    worker.addEventListener("close", () => {
      clearTimeout(stall);
      resolve();
    }, { once: true });
    if (withStart) {
      const { port1, port2 } = new MessageChannel();
      port1.onmessage = () => port1.close();
      worker.postMessage({
        port: port2,
        state: new SharedArrayBuffer(12),
        module: TASK_JS.href,
      }, [port2]);
    }
  });
}

/** A scratch copy of `message_worker.mjs` behind ~20 KB of small functions it never calls. */
function paddedWorker(): string {
  const dir = mkdtempSync(join(tmpdir(), "threadkit-bun-bound-"));
  let code = "";
  for (let i = 0; code.length < 20_000; i++) {
    code += `function f${i}(a, b) { if (a > b) return a * ${i} + b; ` +
      `return [a, b, ${i}].map((x) => x + 1).join(","); }\n`;
  }
  const file = join(dir, "padded_worker.mjs");
  writeFileSync(file, `${code}globalThis.postMessage(42);\n`);
  return pathToFileURL(file).href;
}

const padded = paddedWorker();
const DistThread = await loadThread(dist);
const starts: Record<string, (i: number) => Promise<void>> = {
  "raw": () => startMessageExit(new URL("message_worker.mjs", FIXTURES), "raw"),
  "raw+import": () => rawStart(new URL("import_worker.mjs", FIXTURES).href, false),
  "raw+start+import": () => rawStart(new URL("start_import_worker.mjs", FIXTURES).href, true),
  "raw+20KB": () => rawStart(padded, false),
  "floor": threadOf(await loadThread(floorBuild(dist)), TASK_JS),
  "threadkit": threadOf(DistThread, TASK_JS),
  "threadkit+end": threadOf(DistThread, TASK_JS, { awaitEnd: true }),
};
// `--alt <dir>`: a second build (a change under test), its own row in the same rotation.
const alt = option("alt");
if (alt !== undefined) starts["threadkit-alt"] = threadOf(await loadThread(alt), TASK_JS);

const startMs: Record<string, number[]> = {};
for (const [name, fn] of Object.entries(starts)) {
  await fn(0); // warm-up
  startMs[name] = [];
}
const load0 = loadavg();
for (let r = 0; r < RUNS; r++) {
  for (const [name, fn] of Object.entries(starts)) {
    const t0 = performance.now();
    for (let i = 0; i < PER; i++) await fn(i);
    startMs[name]!.push((performance.now() - t0) / PER);
  }
}
const round = (x: number) => x.toFixed(2);
console.log(
  `bun ${g.Bun.version}, ${RUNS} runs × ${PER} starts, round-robin; load average ${
    load0.map(round).join(" / ")
  } → ${loadavg().map(round).join(" / ")}`,
);
const raw = median(startMs["raw"]!);
for (const [name, xs] of Object.entries(startMs)) {
  console.log(
    `  ${name.padEnd(17)} ${round(median(xs)).padStart(7)} ms  (${round(Math.min(...xs))} – ${
      round(Math.max(...xs))
    })  ${round(median(xs) / raw)}× raw`,
  );
}
g.process.exit(0);
