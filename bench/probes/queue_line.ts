/**
 * Probe (call order, `src/internal/line.ts`): what a thread's burst of un-awaited `put()`s costs,
 * on two or more source trees, round-robin in one process (the first of each round rotates).
 * Not part of `npm run bench`.
 *
 * ```sh
 * node bench/probes/queue_line.ts <before>/mod.ts ./mod.ts [rounds=7] [puts=5000]
 * deno run -A bench/probes/queue_line.ts ...;  bun bench/probes/queue_line.ts ...
 * ```
 * Cases: `worker maxsize M`: this thread calls `put(i, { timeout: 30 s })` `puts` times without
 * awaiting, into a Queue(M) a worker drains with `getSync`; the time until every put has settled
 * and the worker has got them all. `one thread`: a Queue(16) filled, `puts` pending puts, then
 * this thread `await get()`s everything (every get frees the room one pending put takes). Prints
 * the median ms (µs an item for one thread) of each tree.
 *
 * @module
 */
import process from "node:process";
import { Worker } from "node:worker_threads";

const args = process.argv.slice(2);
/** Module paths, made absolute (the worker and `import` resolve them from here otherwise). */
const trees = args.filter((a) => a.endsWith(".ts")).map((a) =>
  a.startsWith("/") ? a : `${process.cwd()}/${a}`
);
const [rounds = 7, N = 5000] = args.filter((a) => !a.endsWith(".ts")).map(Number);
const WORKER = new URL("./queue_line_worker.ts", import.meta.url);
const results = new Map<string, number[]>();
const record = (key: string, value: number) => {
  const list = results.get(key) ?? [];
  list.push(value);
  results.set(key, list);
};

function once(worker: Worker, what: string): Promise<void> {
  return new Promise((resolve) => {
    const on = (m: unknown) => {
      if (m !== what) return;
      worker.off("message", on);
      resolve();
    };
    worker.on("message", on);
  });
}

for (let round = 0; round < rounds; round++) {
  const order = trees.map((_, k) => trees[(k + round) % trees.length]!);
  for (const tree of order) {
    const M = await import(tree);
    for (const maxsize of [16, 1000]) {
      const queue = new M.Queue(maxsize);
      const worker = new Worker(WORKER, { workerData: { mod: tree, queue: queue.handle } });
      await once(worker, "ready");
      const t0 = performance.now();
      const got = once(worker, "done");
      worker.postMessage(N);
      const puts = [];
      for (let i = 0; i < N; i++) puts.push(queue.put(i, { timeout: 30_000 }));
      await Promise.all(puts);
      await got;
      record(`${tree}\tworker maxsize ${maxsize} (ms)`, performance.now() - t0);
      await worker.terminate();
    }
    const queue = new M.Queue(16);
    for (let i = 0; i < 16; i++) queue.putNowait(-1);
    const t0 = performance.now();
    const puts = [];
    for (let i = 0; i < N; i++) puts.push(queue.put(i, { timeout: 30_000 }));
    for (let i = 0; i < N + 16; i++) await queue.get({ timeout: 30_000 });
    await Promise.all(puts);
    record(`${tree}\tone thread (µs an item)`, (performance.now() - t0) * 1000 / N);
  }
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;
for (const [key, list] of [...results].sort()) console.log(`${key}\t${median(list).toFixed(2)}`);
