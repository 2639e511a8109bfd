/**
 * Counts what one `condition.pingpong` round trip does (issue 9, the Condition hand-off): every
 * `Atomics.wait` (by word and result) and `Atomics.notify` (by word and how many it woke) in the
 * two workers, per round trip, for each library copy given. The words are told apart by the
 * length of the view: the Condition's slots (1058) or its Lock's (2).
 *
 *   node bench/probes/condition_count.ts /tmp/before/mod.ts ./mod.ts
 *   deno run -A bench/probes/condition_count.ts …   bun bench/probes/condition_count.ts …
 *
 * The floor does one wait and one notify per worker per round trip.
 *
 * @module
 */

import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";

const g = globalThis as any;
/** Round trips counted per copy (after a warm-up of the same length). */
const N = 20_000;
/** Bound of every wait (a stall fails the probe instead of hanging it). */
const STALL_MS = 10_000;

interface Input {
  lib: string;
  cond: unknown;
  turn: SharedArrayBuffer;
  index: number;
}

const counts: Record<string, number> = {};
const bump = (k: string) => (counts[k] = (counts[k] ?? 0) + 1);
const word = (i32: Int32Array) => (i32.length === 2 ? "lock" : "cond");

function instrument(): void {
  const A = Atomics as any;
  const wait = A.wait.bind(Atomics);
  A.wait = (i32: Int32Array, index: number, value: number, timeout?: number) => {
    const r = wait(i32, index, value, timeout);
    bump(`wait ${word(i32)} ${r}`);
    return r;
  };
  const notify = A.notify.bind(Atomics);
  A.notify = (i32: Int32Array, index: number, n?: number) => {
    const woke = notify(i32, index, n);
    bump(`notify ${word(i32)} woke ${woke}`);
    return woke;
  };
}

async function worker(input: Input): Promise<void> {
  const lib = await import(input.lib);
  const spinUs = (g.Deno?.env.get("SYNC_SPIN_US") ?? g.process?.env.SYNC_SPIN_US) as
    | string
    | undefined;
  const futex = await import(new URL("./src/internal/futex.ts", input.lib).href);
  if (spinUs !== undefined) futex.setSyncSpin(Number(spinUs));
  const cond = lib.Condition.from(input.cond);
  const turn = new Int32Array(input.turn);
  const mine = input.index;
  const theirs = 1 - mine;
  const bounded = { timeout: STALL_MS };
  const waitTurn = (want: number) => {
    while (turn[0] !== want) {
      if (!cond.waitSync(bounded)) throw new Error(`worker ${mine}: no notify`);
    }
  };
  const run = (n: number) => {
    for (let i = 0; i < n; i++) {
      if (!cond.acquireSync(bounded)) throw new Error(`worker ${mine}: lock stalled`);
      if (mine === 1) waitTurn(1);
      turn[0] = theirs;
      cond.notify();
      if (mine === 0) waitTurn(0);
      cond.release();
    }
  };
  instrument();
  run(N);
  for (const k of Object.keys(counts)) delete counts[k];
  const s0 = futex.spinCounts();
  const t0 = performance.now();
  run(N);
  counts["µs"] = (performance.now() - t0) * 1000;
  const s1 = futex.spinCounts();
  counts["spins begun"] = s1.begun - s0.begun;
  counts["spins hit"] = s1.hit - s0.hit;
  parentPort!.postMessage({ ...counts });
}

async function main(): Promise<void> {
  const args: string[] = g.Deno?.args ?? g.process.argv.slice(2);
  const cwd: string = g.Deno?.cwd() ?? g.process.cwd();
  for (const arg of args) {
    const url = new URL(arg, `file://${cwd}/`).href;
    const lib = await import(url);
    const cond = new lib.Condition(new lib.Lock()).handle;
    const turn = new SharedArrayBuffer(4);
    const here = new URL(import.meta.url);
    const workers = [0, 1].map((index) =>
      new Worker(here, { workerData: { lib: url, cond, turn, index } satisfies Input })
    );
    const results = await Promise.all(
      workers.map((w) =>
        new Promise<Record<string, number>>((resolve, reject) => {
          w.on("message", resolve);
          w.on("error", reject);
        })
      ),
    );
    await Promise.all(workers.map((w) => w.terminate()));
    console.log(`${arg} (per round trip, ${N} round trips):`);
    results.forEach((c, k) => {
      const keys = Object.keys(c).sort();
      const per = (re: RegExp) => keys.filter((x) => re.test(x)).reduce((s, x) => s + c[x]!, 0) / N;
      console.log(
        `  w${k}: waits ${per(/^wait/).toFixed(3)} (cond ${per(/^wait cond/).toFixed(3)}, lock ${
          per(/^wait lock/).toFixed(3)
        }), notifies ${per(/^notify/).toFixed(3)} (cond ${per(/^notify cond/).toFixed(3)}, lock ${
          per(/^notify lock/).toFixed(3)
        })`,
      );
      console.log(`      ${keys.map((x) => `${x} ${(c[x]! / N).toFixed(3)}`).join(", ")}`);
    });
  }
}

if (isMainThread) await main();
else await worker(workerData as Input);
