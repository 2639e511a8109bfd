/**
 * Condition ping-pong between two workers, two copies of the library side by side (issue 10: the
 * tickets record their waiter's ident and `notify` asks its liveness). The workers run
 * `condition.pingpong`'s body (`bench/condition_bench.ts`: turn under the lock, `notify()`,
 * `waitSync` until the turn is back) in batches, alternating the copies batch by batch (ROUNDS
 * rounds of BATCH round trips each), and worker 0 times every batch. The figures are the fastest
 * batch and the median batch per copy, and their after ÷ before ratios: a loaded machine inflates
 * a median far more than a minimum (`bench/runtime.ts --mode quick --filter condition` gave
 * 30–305 µs for one case in three runs at load 23).
 *
 * The raw floor (`floor.wait-notify`'s body: one slot, store + notify, wait while it is ours) runs
 * as a third copy in the same rotation, so each copy's ratio to the floor comes from the same run.
 *
 * Also, in the main thread: `acquireSync(); waitSync({ timeout: 0 }); release()` (a ticket taken
 * and cancelled: the waiter's own bookkeeping), fastest of ROUNDS batches per copy, alternating.
 *
 *   node bench/probes/condition_pingpong.ts /tmp/before/mod.ts ./mod.ts
 *   deno run -A bench/probes/condition_pingpong.ts …   bun bench/probes/condition_pingpong.ts …
 *
 * The before copy: `git archive <commit> mod.ts src package.json | tar -x -C /tmp/before`.
 *
 * @module
 */

import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";

const g = globalThis as any;
/** Round trips per batch. */
const BATCH = 500;
/** Batches per copy. */
const ROUNDS = 60;
/** Bound of every wait (a stall fails the probe instead of hanging it). */
const STALL_MS = 10_000;

interface Input {
  libs: [string, string];
  conds: [unknown, unknown];
  turns: [SharedArrayBuffer, SharedArrayBuffer, SharedArrayBuffer];
  index: number;
}

async function worker(input: Input): Promise<void> {
  const libs = await Promise.all(input.libs.map((url) => import(url)));
  const conds = libs.map((lib, k) => lib.Condition.from(input.conds[k]));
  const turns = input.turns.map((sab) => new Int32Array(sab));
  const mine = input.index;
  const theirs = 1 - mine;
  const bounded = { timeout: STALL_MS };
  const waitTurn = (cond: any, turn: Int32Array, want: number) => {
    while (turn[0] !== want) {
      if (!cond.waitSync(bounded)) {
        throw new Error(`worker ${mine}: no notify within ${STALL_MS} ms`);
      }
    }
  };
  const batch = (cond: any, turn: Int32Array) => {
    for (let i = 0; i < BATCH; i++) {
      if (!cond.acquireSync(bounded)) throw new Error(`worker ${mine}: lock stalled`);
      if (mine === 1) waitTurn(cond, turn, 1);
      turn[0] = theirs;
      cond.notify();
      if (mine === 0) waitTurn(cond, turn, 0);
      cond.release();
    }
  };
  // The floor (`floor.wait-notify`'s body): one slot, store + notify, wait while it is ours.
  const floor = (slot: Int32Array) => {
    for (let i = 0; i < BATCH; i++) {
      if (mine === 1) waitWhile(slot, 0);
      Atomics.store(slot, 0, theirs);
      Atomics.notify(slot, 0, 1);
      if (mine === 0) waitWhile(slot, 1);
    }
  };
  const waitWhile = (slot: Int32Array, value: number) => {
    while (Atomics.load(slot, 0) === value) {
      if (Atomics.wait(slot, 0, value, STALL_MS) === "timed-out") {
        throw new Error(`worker ${mine}: floor stalled`);
      }
    }
  };
  const orders = [[0, 1, 2], [1, 2, 0], [2, 0, 1], [1, 0, 2], [0, 2, 1], [2, 1, 0]];
  const times: number[][] = [[], [], []];
  for (let round = 0; round < ROUNDS + 3; round++) {
    // Rotate the order every round, so no copy always runs right after another.
    for (const k of orders[round % orders.length]!) {
      const t = performance.now();
      if (k === 2) floor(turns[2]!);
      else batch(conds[k], turns[k]!);
      const us = (performance.now() - t) * 1000 / BATCH;
      if (round >= 3) times[k]!.push(us); // 3 warm-up rounds
    }
  }
  parentPort!.postMessage(times);
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[s.length >> 1]!;
}

async function main(): Promise<void> {
  const args: string[] = g.Deno?.args ?? g.process.argv.slice(2);
  const cwd: string = g.Deno?.cwd() ?? g.process.cwd();
  const urls = [0, 1].map((k) => new URL(args[k]!, `file://${cwd}/`).href) as [string, string];
  const libs = await Promise.all(urls.map((url) => import(url)));

  // The waiter's own bookkeeping, one thread: a ticket taken and cancelled.
  const N = 20_000;
  const locals = libs.map((lib) => new lib.Condition(new lib.Lock()));
  const best = [Infinity, Infinity];
  for (let round = 0; round < 100; round++) {
    for (const k of round % 2 === 0 ? [0, 1] : [1, 0]) {
      const cond = locals[k];
      const t = performance.now();
      for (let i = 0; i < N; i++) {
        cond.acquireSync();
        cond.waitSync({ timeout: 0 });
        cond.release();
      }
      best[k] = Math.min(best[k]!, (performance.now() - t) * 1e6 / N);
    }
  }
  console.log(
    `wait(0) cycle: before ${best[0]!.toFixed(1)} ns, after ${best[1]!.toFixed(1)} ns ` +
      `(fastest of 100 batches of ${N}): after/before ${(best[1]! / best[0]!).toFixed(3)}`,
  );

  const conds = libs.map((lib) => new lib.Condition(new lib.Lock()).handle) as [unknown, unknown];
  const turns: [SharedArrayBuffer, SharedArrayBuffer, SharedArrayBuffer] = [
    new SharedArrayBuffer(4),
    new SharedArrayBuffer(4),
    new SharedArrayBuffer(4),
  ];
  const here = new URL(import.meta.url);
  const workers = [0, 1].map((index) =>
    new Worker(here, { workerData: { libs: urls, conds, turns, index } satisfies Input })
  );
  const results = workers.map((w) =>
    new Promise<number[][]>((resolve, reject) => {
      w.on("message", resolve);
      w.on("error", reject);
    })
  );
  const [times] = await Promise.all(results);
  await Promise.all(workers.map((w) => w.terminate()));
  const [b, a, f] = times!;
  const minB = Math.min(...b!), minA = Math.min(...a!), minF = Math.min(...f!);
  const medB = median(b!), medA = median(a!), medF = median(f!);
  console.log(
    `pingpong (µs/round trip, ${ROUNDS} batches of ${BATCH} per copy, alternating): ` +
      `fastest before ${minB.toFixed(2)} after ${minA.toFixed(2)} → ${(minA / minB).toFixed(3)}; ` +
      `median before ${medB.toFixed(2)} after ${medA.toFixed(2)} → ${(medA / medB).toFixed(3)}`,
  );
  console.log(
    `floor.wait-notify (same run, alternating): fastest ${minF.toFixed(2)}, median ` +
      `${medF.toFixed(2)}; ÷ floor, median: before ${(medB / medF).toFixed(3)}, after ` +
      `${(medA / medF).toFixed(3)}; fastest: before ${(minB / minF).toFixed(3)}, after ` +
      `${(minA / minF).toFixed(3)}`,
  );
}

if (isMainThread) await main();
else await worker(workerData as Input);
