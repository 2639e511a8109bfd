/**
 * Barrier probe: `barrier.cycle-N`'s case (N workers meet at one Barrier, cycle after cycle,
 * `waitSync`) for each tree given, with and without a timeout, beside the raw generation-word
 * floor (`floor.barrier-cycle-N`); the variants' groups of workers alternate round by round in
 * one process. Not part of `npm run bench`.
 *
 * ```sh
 * <runtime> bench/probes/barrier_ab.ts <treeA>/mod.ts [<treeB>/mod.ts …] [--parties 4] [--rounds 15] [--cycles 2000]
 * ```
 * Prints each variant's median µs a cycle and its median ratio to the floor's in the same round.
 *
 * @module
 */
import process from "node:process";
import { Worker } from "node:worker_threads";

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const at = args.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(args[at + 1]);
  args.splice(at, 2);
  return value;
};
const parties = option("--parties", 4);
const rounds = option("--rounds", 15);
const cycles = option("--cycles", 2000);
const trees = args.map((tree) => tree.startsWith("/") ? tree : `${process.cwd()}/${tree}`);
const WORKER = new URL("./barrier_ab_worker.ts", import.meta.url);

interface Variant {
  name: string;
  workers: Worker[];
  times: number[];
  ratios: number[];
}

async function start(name: string, data: (i: number) => object): Promise<Variant> {
  const workers = Array.from(
    { length: parties },
    (_, i) => new Worker(WORKER, { workerData: { parties, ...data(i) } }),
  );
  await Promise.all(workers.map((w) => new Promise((resolve) => w.once("message", resolve))));
  return { name, workers, times: [], ratios: [] };
}

const raw = new SharedArrayBuffer(8);
const variants: Variant[] = [await start("floor", () => ({ raw }))];
for (const [t, mod] of trees.entries()) {
  const M = await import(mod);
  for (const timeout of [60_000, undefined]) {
    const handle = new M.Barrier(parties).handle;
    variants.push(
      await start(`tree ${t} ${timeout === undefined ? "no timeout" : "timeout"}`, () => ({
        mod,
        handle,
        timeout,
      })),
    );
  }
}

const run = (v: Variant) =>
  Promise.all(v.workers.map((w) =>
    new Promise<number>((resolve) => {
      w.once("message", resolve);
      w.postMessage(cycles);
    })
  )).then((elapsed) => Math.max(...elapsed) * 1000 / cycles);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? variants : [...variants].reverse();
  const got = new Map<Variant, number>();
  for (const v of order) got.set(v, await run(v));
  const floor = got.get(variants[0]!)!;
  for (const v of variants) {
    v.times.push(got.get(v)!);
    v.ratios.push(got.get(v)! / floor);
  }
}
for (const v of variants) {
  console.log(
    `${v.name.padEnd(24)} ${median(v.times).toFixed(2).padStart(8)} µs a cycle, ÷ floor ${
      median(v.ratios).toFixed(3)
    }`,
  );
}
for (const v of variants) for (const w of v.workers) w.terminate();
