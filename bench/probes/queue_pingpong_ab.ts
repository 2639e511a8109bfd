/**
 * Queue A/B probe: `queue.pingpong-async`'s case (one worker `putNowait`s a number into one
 * Queue and `await get()`s the answer from another; the other worker answers) on two source
 * trees, their pairs of workers alternating round by round in one process. Not part of
 * `npm run bench`.
 *
 * ```sh
 * AB_A=<before>/mod.ts AB_B=$PWD/mod.ts node bench/probes/queue_pingpong_ab.ts [rounds=21] [round trips=3000]
 * ```
 * Prints the median of the per-round ratios B/A and each tree's median µs a round trip. The
 * tree run second in a round tends to be faster: run both orders and take the geometric mean.
 *
 * @module
 */
import process from "node:process";
import { Worker } from "node:worker_threads";

const trees = [process.env.AB_A, process.env.AB_B].map((tree) => {
  const path = tree ?? new URL("../../mod.ts", import.meta.url).pathname;
  return path.startsWith("/") ? path : `${process.cwd()}/${path}`;
});
const rounds = Number(process.argv[2] ?? 21);
const n = Number(process.argv[3] ?? 3000);
const WORKER = new URL("./queue_pingpong_ab_worker.ts", import.meta.url);

const pairs: Worker[][] = [];
for (const mod of trees) {
  const M = await import(mod);
  const ping = new M.Queue(0, { codec: M.float64Codec });
  const pong = new M.Queue(0, { codec: M.float64Codec });
  const workers = [true, false].map((first) =>
    new Worker(WORKER, { workerData: { mod, ping: ping.handle, pong: pong.handle, first } })
  );
  await Promise.all(workers.map((w) => new Promise((resolve) => w.once("message", resolve))));
  pairs.push(workers);
}
const run = (workers: Worker[]) =>
  Promise.all(workers.map((w) =>
    new Promise<number>((resolve) => {
      w.once("message", resolve);
      w.postMessage(n);
    })
  )).then((times) => times[0]!);
const ratios: number[] = [], a: number[] = [], b: number[] = [];
for (let round = 0; round < rounds; round++) {
  const t: number[] = [];
  for (const k of round % 2 === 0 ? [0, 1] : [1, 0]) t[k] = await run(pairs[k]!);
  a.push(t[0]!);
  b.push(t[1]!);
  ratios.push(t[1]! / t[0]!);
}
const median = (v: number[]) => [...v].sort((x, y) => x - y)[v.length >> 1]!;
console.log(
  `B/A median ${median(ratios).toFixed(3)}; µs a round trip A ${median(a).toFixed(2)} B ${
    median(b).toFixed(2)
  }`,
);
for (const workers of pairs) for (const w of workers) await w.terminate();
