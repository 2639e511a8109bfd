/**
 * Barrier probe: `barrier.cycle-N`'s case (N workers meet at one Barrier, cycle after cycle,
 * `waitSync`) for each tree given, beside the raw generation-word floor of
 * `floor.barrier-cycle-N`. Every variant runs on the SAME `parties` workers (each worker hosts
 * the floor, a second floor (an A/A control) and every tree's barrier with and without a
 * timeout; `--no-untimed 1`: with a timeout only, since the two forms share a module instance,
 * and so its JIT feedback, in a worker), the variants' order is rotated round by round (every
 * variant takes every position equally often), and each timed stretch starts right after an
 * untimed warm-up cycle of its own barrier (so the workers start together, not staggered by
 * message delivery). `PEER=1` adds multithreading's Barrier. Prints medians and quartiles of the
 * per-round ratios. Not part of `npm run bench`.
 *
 * ```sh
 * <runtime> bench/probes/barrier_ab.ts <treeA>/mod.ts [<treeB>/mod.ts …] [--parties 4] [--rounds 20] [--cycles 1000] [--no-untimed 1]
 * ```
 *
 * @module
 */
import process from "node:process";
import { takeOption } from "./args.ts";
import { Worker } from "node:worker_threads";

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => takeOption(args, name, fallback);
const parties = option("--parties", 4);
const rounds = option("--rounds", 20);
const cycles = option("--cycles", 1000);
const noTimeout = option("--no-untimed", 0);
const trees = args.map((tree) => tree.startsWith("/") ? tree : `${process.cwd()}/${tree}`);
const WORKER = new URL("./barrier_ab_worker.ts", import.meta.url);

interface Spec {
  name: string;
  raw?: SharedArrayBuffer;
  mod?: string;
  handle?: unknown;
  timeout?: number | undefined;
  mode?: string | undefined;
}
const floors = (process.env.FLOORS ?? "").split(",").filter(Boolean);
const specs: Spec[] = [
  { name: "floor", raw: new SharedArrayBuffer(8) },
  { name: "floor'", raw: new SharedArrayBuffer(8) },
  ...floors.map((mode) => ({ name: `floor-${mode}`, raw: new SharedArrayBuffer(16), mode })),
];
if (process.env.PEER === "1") {
  // multithreading's Barrier state as its constructor writes it (bench/barrier_bench.ts).
  const state = new Int32Array(new SharedArrayBuffer(16));
  state.set([0, parties, parties, 0]);
  specs.push({ name: "peer (mt)", raw: state.buffer as SharedArrayBuffer, mode: "peer" });
}
const firstTree = specs.length;
for (const [t, mod] of trees.entries()) {
  const M = await import(mod);
  for (const timeout of noTimeout ? [60_000] : [60_000, undefined]) {
    specs.push({
      name: `tree ${t} ${timeout === undefined ? "untimed" : "timeout"}`,
      mod,
      handle: new M.Barrier(parties).handle,
      timeout,
    });
  }
}
const workers = Array.from(
  { length: parties },
  () => new Worker(WORKER, { workerData: { parties, specs } }),
);
await Promise.all(workers.map((w) => new Promise((resolve) => w.once("message", resolve))));

const run = (v: number) =>
  Promise.all(workers.map((w) =>
    new Promise<number>((resolve) => {
      w.once("message", (m) => {
        if (typeof m === "number") return resolve(m);
        for (const k of ["ok", "ne", "vol", "invol"]) (stats[v]![k] ??= []).push(m[k]);
        resolve(m.t);
      });
      w.postMessage({ v, n: cycles });
    })
  )).then((elapsed) => Math.max(...elapsed) * 1000 / cycles);
const stats: Record<string, number[]>[] = specs.map(() => ({}));

const times: number[][] = specs.map(() => []);
const ratios: number[][] = specs.map(() => []);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const q = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.round(p * (xs.length - 1))]!;
// Warm-up round, discarded.
for (let v = 0; v < specs.length; v++) await run(v);
for (let r = 0; r < rounds; r++) {
  // Rotate the order; reverse every other full rotation.
  const k = specs.length;
  let order = Array.from({ length: k }, (_, i) => (i + r) % k);
  if (Math.floor(r / k) % 2 === 1) order = order.reverse();
  const got: number[] = [];
  for (const v of order) got[v] = await run(v);
  for (let v = 0; v < k; v++) {
    times[v]!.push(got[v]!);
    ratios[v]!.push(got[v]! / got[0]!);
  }
}
const out: Record<string, number> = {};
for (const [v, s] of specs.entries()) {
  out[s.name] = median(ratios[v]!);
  console.log(
    `${s.name.padEnd(20)} ${median(times[v]!).toFixed(2).padStart(8)} µs/cycle  ÷floor med ${
      median(ratios[v]!).toFixed(3)
    }  IQR ${q(ratios[v]!, 0.25).toFixed(3)}-${q(ratios[v]!, 0.75).toFixed(3)}`,
  );
}
// Pairwise tree-vs-tree (tree 1 ÷ tree 0, same round), when two trees.
if (trees.length >= 2) {
  const step = noTimeout ? 1 : 2;
  for (let o = 0; o < step; o++) {
    for (let t = 1; t < trees.length; t++) {
      const a = firstTree + o, b = firstTree + t * step + o;
      const rr = times[b]!.map((x, i) => x / times[a]![i]!);
      console.log(
        `${specs[b]!.name} ÷ ${specs[a]!.name}: med ${median(rr).toFixed(3)} IQR ${
          q(rr, 0.25).toFixed(3)
        }-${q(rr, 0.75).toFixed(3)}`,
      );
    }
  }
}
for (const [v, s] of specs.entries()) {
  if (stats[v]!.ok === undefined) continue;
  console.log(
    `${s.name.padEnd(20)} per worker-cycle: ` +
      ["ok", "ne", "vol", "invol"].map((k) => `${k} ${median(stats[v]![k]!).toFixed(3)}`).join(
        "  ",
      ),
  );
}
const peerAt = specs.findIndex((s) => s.mode === "peer");
if (peerAt >= 0) {
  for (let v = firstTree; v < specs.length; v++) {
    const rr = times[v]!.map((x, i) => x / times[peerAt]![i]!);
    console.log(
      `${specs[v]!.name} ÷ peer: med ${median(rr).toFixed(3)} IQR ${q(rr, 0.25).toFixed(3)}-${
        q(rr, 0.75).toFixed(3)
      }`,
    );
  }
}
console.log("JSON " + JSON.stringify(out));
for (const w of workers) w.terminate();
