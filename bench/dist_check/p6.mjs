// P6 for npm consumers, on Node: Thread start→join from the built dist/ (plain .mjs modules, no
// type stripping) beside a raw node:worker_threads worker's start → first message → exit, the
// two alternating run by run in one process. Run: `npm run build && node bench/dist_check/p6.mjs`.
// The main benchmark (`npm run bench`) measures the unbuilt .ts sources, where every new worker
// also type-strips threadkit's bootstrap; this script isolates that cost.
import { Worker } from "node:worker_threads";
import { Thread } from "../../dist/mod.js";

const RUNS = Number(process.argv[2] ?? 7);
const PER_RUN = Number(process.argv[3] ?? 15);
const RAW = new URL("./raw_worker.mjs", import.meta.url);
const TASK = new URL("./task.mjs", import.meta.url);

function bounded(promise, what) {
  let timer;
  const stall = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within 30 s`)), 30_000);
  });
  return Promise.race([promise, stall]).finally(() => clearTimeout(timer));
}

async function raw() {
  const worker = new Worker(RAW);
  let value;
  await bounded(
    new Promise((resolve, reject) => {
      worker.once("message", (data) => (value = data));
      worker.once("exit", resolve);
      worker.once("error", reject);
    }),
    "raw worker",
  );
  if (value !== 42) throw new Error(`raw worker posted ${value}`);
}

async function thread(i) {
  const t = new Thread(TASK, { args: [i] });
  t.start();
  const value = await t.join({ timeout: 30_000 });
  if (value !== i + 1) throw new Error(`thread returned ${value}`);
}

async function timeOf(fn) {
  const t0 = performance.now();
  for (let i = 0; i < PER_RUN; i++) await fn(i);
  return (performance.now() - t0) / PER_RUN;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
await raw();
await thread(0); // warm-up
const raws = [];
const threads = [];
for (let r = 0; r < RUNS; r++) {
  raws.push(await timeOf(raw));
  threads.push(await timeOf(thread));
}
const a = median(threads);
const b = median(raws);
console.log(`Node ${process.version}, ${RUNS} runs x ${PER_RUN} starts, medians:`);
console.log(`  thread.start-join (dist)          ${a.toFixed(1)} ms`);
console.log(`  raw worker start → message → exit ${b.toFixed(1)} ms`);
console.log(`  ratio ${(a / b).toFixed(2)}x (P6 target ≤ 1.1x)`);
