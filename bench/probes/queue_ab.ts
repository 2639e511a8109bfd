/**
 * Queue A/B probe (issue 9): the oneway case (one worker putSync()s, another getSync()s) on two
 * source trees, round-robin in one process, so a change is measured against its base in the same
 * minutes of a noisy machine. Not part of `npm run bench`.
 *
 * ```sh
 * AB_A=/work/main/mod.ts AB_B=$PWD/mod.ts node bench/probes/queue_ab.ts 41 10000 40000
 * ```
 * `AB_MAXSIZE=64` runs both with a bounded queue. Arguments: rounds, objects per run, numbers per run. Prints the median of the per-round ratios
 * B/A with its quartiles, and the median ns/item of each.
 *
 * @module
 */
// A/B: the same oneway Queue case on two trees, round-robin in one process.
import { Worker } from "node:worker_threads";
const trees = {
  main: process.env.AB_A ?? new URL("../../mod.ts", import.meta.url).pathname,
  tree: process.env.AB_B ?? new URL("../../mod.ts", import.meta.url).pathname,
};
const rounds = Number(process.argv[2] ?? 15);
const N = { objects: Number(process.argv[3] ?? 20000), numbers: Number(process.argv[4] ?? 50000) };
/** AB_MAXSIZE=n bounds both trees' queues (default 0: unbounded, the bench case). */
const maxsize = Number(process.env.AB_MAXSIZE ?? 0);
type Pair = { workers: Worker[]; run(n: number): Promise<number>; lane(): string };
function once(w: Worker, what: string): Promise<void> {
  return new Promise((res) => {
    const on = (m: unknown) => {
      if (m === what) {
        w.off("message", on);
        res();
      }
    };
    w.on("message", on);
  });
}
async function pair(path: string, numbers: boolean): Promise<Pair> {
  const mod = await import(path);
  const q = numbers ? new mod.Queue(maxsize, { codec: mod.float64Codec }) : new mod.Queue(maxsize);
  const modUrl = new URL(`file://${path}`).href;
  const workers = ["put", "get"].map((role) =>
    new Worker(new URL("./queue_ab_worker.ts", import.meta.url), {
      workerData: { modUrl, handle: q.handle, role, numbers },
    })
  );
  await Promise.all(workers.map((w) => once(w, "ready")));
  return {
    workers,
    // Slot 26 is MODE in a tree with the SPSC lane (src/queue/lane.ts), unused (0) before it.
    lane: () =>
      Atomics.load(new Int32Array(q.handle.buffer, q.handle.byteOffset, 27), 26) === 1
        ? "on"
        : "off",
    async run(n) {
      const t0 = performance.now();
      const done = workers.map((w) => once(w, "done"));
      for (const w of workers) w.postMessage(n);
      await Promise.all(done);
      return ((performance.now() - t0) * 1e6) / n; // ns/item
    },
  };
}
const rt = typeof (globalThis as any).Bun !== "undefined"
  ? "bun"
  : typeof (globalThis as any).Deno !== "undefined"
  ? "deno"
  : "node";
for (const kind of ["objects", "numbers"] as const) {
  const numbers = kind === "numbers";
  const a = await pair(trees.main, numbers);
  const b = await pair(trees.tree, numbers);
  await a.run(N[kind] / 4);
  await b.run(N[kind] / 4); // warm-up
  const ratios: number[] = [];
  const ta: number[] = [];
  const tb: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let x: number, y: number;
    if (r % 2 === 0) {
      x = await a.run(N[kind]);
      y = await b.run(N[kind]);
    } else {
      y = await b.run(N[kind]);
      x = await a.run(N[kind]);
    }
    ta.push(x);
    tb.push(y);
    ratios.push(y / x);
  }
  const med = (v: number[]) => [...v].sort((p, q) => p - q)[Math.floor(v.length / 2)]!;
  const s = [...ratios].sort((p, q) => p - q);
  console.log(
    `${rt} ${kind}: tree/main median ${med(ratios).toFixed(3)} (q1 ${
      s[Math.floor(s.length / 4)]!.toFixed(3)
    }, q3 ${s[Math.floor(3 * s.length / 4)]!.toFixed(3)}); median ns/item main ${
      med(ta).toFixed(0)
    } tree ${med(tb).toFixed(0)}; ratio of medians ${
      (med(tb) / med(ta)).toFixed(3)
    }; lane at the end: main ${a.lane()}, tree ${b.lane()}`,
  );
  for (const w of [...a.workers, ...b.workers]) w.postMessage(-1), await w.terminate();
}
