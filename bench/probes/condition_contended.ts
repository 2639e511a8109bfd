/**
 * What a Condition's lock costs as a contended mutex (issue 9: `Condition.acquireSync` watches
 * the word before it sleeps, where `Lock.acquireSync` sleeps at once). K workers each run
 * `cond.acquireSync(); x++; cond.notify(); cond.release()` N times (a notify with no waiter, as
 * a producer's with idle consumers); every worker times its own loop after a warm-up, and the
 * figure is ns per increment over the slowest worker. The library copies given alternate run by
 * run (ROUNDS each); the median per copy is printed with every run's figure.
 *
 *   node bench/probes/condition_contended.ts K <before>/mod.ts ./mod.ts   (N=1000000 by default)
 *   deno run -A bench/probes/condition_contended.ts …   bun bench/probes/condition_contended.ts …
 *
 * @module
 */

import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";

const g = globalThis as any;
/** Increments per worker and run. */
const N = Number(g.Deno?.env.get("N") ?? g.process?.env.N ?? 1_000_000);
/** Runs per copy. */
const ROUNDS = 5;

interface Input {
  lib: string;
  cond: unknown;
  x: SharedArrayBuffer;
}

async function worker(input: Input): Promise<void> {
  const lib = await import(input.lib);
  const cond = lib.Condition.from(input.cond);
  const x = new Int32Array(input.x);
  const bounded = { timeout: 10_000 };
  const step = () => {
    if (!cond.acquireSync(bounded)) throw new Error("condition_contended: lock stalled");
    x[0]!++;
    cond.notify();
    cond.release();
  };
  for (let i = 0; i < 2000; i++) step();
  const t0 = performance.now();
  for (let i = 0; i < N; i++) step();
  parentPort!.postMessage(performance.now() - t0);
}

async function main(): Promise<void> {
  const args: string[] = g.Deno?.args ?? g.process.argv.slice(2);
  const cwd: string = g.Deno?.cwd() ?? g.process.cwd();
  const k = Number(args[0]);
  if (!(k >= 1) || args.length < 2) throw new Error("usage: condition_contended.ts K lib...");
  const libs = args.slice(1).map((a) => new URL(a, `file://${cwd}/`).href);
  const figures: number[][] = libs.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (let li = 0; li < libs.length; li++) {
      const lib = await import(libs[li]!);
      const cond = new lib.Condition(new lib.Lock()).handle;
      const x = new SharedArrayBuffer(4);
      const workers = Array.from(
        { length: k },
        () => new Worker(new URL(import.meta.url), { workerData: { lib: libs[li], cond, x } }),
      );
      const times = await Promise.all(
        workers.map((w) =>
          new Promise<number>((resolve, reject) => {
            w.on("message", resolve);
            w.on("error", reject);
          })
        ),
      );
      await Promise.all(workers.map((w) => w.terminate()));
      if (new Int32Array(x)[0] !== k * (N + 2000)) throw new Error("lost increments");
      figures[li]!.push(Math.max(...times) * 1e6 / (k * N));
    }
  }
  const median = (a: number[]) => a.slice().sort((p, q) => p - q)[a.length >> 1]!;
  args.slice(1).forEach((name, i) => {
    const f = figures[i]!;
    console.log(
      `K=${k} ${name}: median ${median(f).toFixed(0)} ns an increment [${
        f.map((v) => v.toFixed(0)).join(", ")
      }]`,
    );
  });
}

if (isMainThread) await main();
else await worker(workerData as Input);
