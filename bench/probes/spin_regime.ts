/**
 * Probe (issue 9): does an async ping-pong stay in the regime where neither side sleeps? Two
 * workers ping-pong with `await acquire()` (`--sync`: `acquireSync()`) on two Locks (or Semaphores) in runs that start the
 * way the harness starts them (both released from one raw `Atomics.wait` at once); per run,
 * worker 0 prints the round trip and both workers' spins begun / hit and their spin credit at
 * the end. The regime is bistable: when both sides spin, a round trip is ~1–3 µs; when one
 * sleeps, the other's spin misses (the sleeper's wake-up takes longer than a spin) and it sleeps
 * too. This shows which regime each run lands in and whether it leaves it.
 *
 *   node bench/probes/spin_regime.ts [--lib ./mod.ts] [--kind lock|semaphore] [--runs 20]
 *        [--rounds 2000] [--spin <µs>] [--gap <ms>] [--sync]
 *
 * @module
 */

import { isMainThread, Worker, workerData } from "node:worker_threads";

const arg = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1]! : fallback;
};

interface Input {
  index: number;
  lib: string;
  kind: string;
  ping: unknown;
  pong: unknown;
  control: SharedArrayBuffer;
  out: SharedArrayBuffer;
  runs: number;
  rounds: number;
  spin: number;
  sync: boolean;
}

// Control: [0] GO (run number), [1] READY, [2] DONE.
// Out (Float64Array): per worker w, per run r: [ms, begun, hit, credit] at (w*runs + r)*4.

if (isMainThread) {
  const libUrl = new URL(arg("lib", "./mod.ts"), `file://${process.cwd()}/`).href;
  const tk = await import(libUrl);
  const kind = arg("kind", "lock");
  const runs = Number(arg("runs", "20"));
  const rounds = Number(arg("rounds", "2000"));
  const spin = Number(arg("spin", "-1"));
  const gap = Number(arg("gap", "20"));
  let ping: any, pong: any;
  if (kind === "lock") {
    ping = new tk.Lock();
    pong = new tk.Lock();
    ping.acquireSync();
    pong.acquireSync();
  } else {
    ping = new tk.Semaphore(0);
    pong = new tk.Semaphore(0);
  }
  const control = new SharedArrayBuffer(16);
  const c = new Int32Array(control);
  const out = new SharedArrayBuffer(2 * runs * 4 * 8);
  const o = new Float64Array(out);
  const workers = [0, 1].map((index) =>
    new Worker(new URL(import.meta.url), {
      workerData: {
        index,
        lib: libUrl,
        kind,
        ping: ping.handle,
        pong: pong.handle,
        control,
        out,
        runs,
        rounds,
        spin,
        sync: process.argv.includes("--sync"),
      } satisfies Input,
    })
  );
  for (const w of workers) {
    w.on("error", (e) => {
      console.error(e);
      process.exit(1);
    });
  }
  const until = (i: number, v: number) => {
    const end = performance.now() + 10_000;
    while (Atomics.load(c, i) < v) {
      if (performance.now() > end) throw new Error(`stall at ${i} < ${v}`);
      Atomics.wait(c, i, Atomics.load(c, i), 50);
    }
  };
  for (let r = 1; r <= runs; r++) {
    until(1, 2 * r);
    // Let both workers fall asleep in their raw wait, as the harness does between runs.
    const t = performance.now();
    while (performance.now() - t < gap) { /* idle gap */ }
    Atomics.store(c, 0, r);
    Atomics.notify(c, 0);
    until(2, 2 * r);
  }
  await Promise.all(workers.map((w) => new Promise((res) => w.once("exit", res))));
  console.log(
    `${kind}, ${rounds} round trips per run, spin ${spin < 0 ? "default" : spin + " µs"}`,
  );
  const f = (x: number) => x.toFixed(x < 10 ? 2 : 1);
  for (let r = 0; r < runs; r++) {
    const w0 = (0 * runs + r) * 4, w1 = (1 * runs + r) * 4;
    console.log(
      `run ${String(r + 1).padStart(2)}: ${f((o[w0]! * 1000) / rounds).padStart(6)} µs/rt` +
        `   w0 spins ${o[w0 + 1]}/${o[w0 + 2]} hit, credit ${o[w0 + 3]}` +
        `   w1 spins ${o[w1 + 1]}/${o[w1 + 2]} hit, credit ${o[w1 + 3]}`,
    );
  }
} else {
  const input = workerData as Input;
  const tk = await import(input.lib);
  const futex = await import(input.lib.replace(/mod\.ts$/, "src/internal/futex.ts"));
  if (input.spin >= 0) (input.sync ? futex.setSyncSpin : futex.setAsyncSpin)(input.spin);
  const Kind = input.kind === "lock" ? tk.Lock : tk.Semaphore;
  const ping = Kind.from(input.ping);
  const pong = Kind.from(input.pong);
  const c = new Int32Array(input.control);
  const o = new Float64Array(input.out);
  const bounded = { timeout: 10_000 };
  for (let r = 1; r <= input.runs; r++) {
    Atomics.add(c, 1, 1);
    Atomics.notify(c, 1);
    while (Atomics.load(c, 0) < r) Atomics.wait(c, 0, r - 1, 10_000);
    const before = futex.spinCounts();
    const t0 = performance.now();
    for (let i = 0; input.sync && i < input.rounds; i++) {
      if (input.index === 0) {
        ping.release();
        if (!pong.acquireSync(bounded)) throw new Error("stall");
      } else {
        if (!ping.acquireSync(bounded)) throw new Error("stall");
        pong.release();
      }
    }
    for (let i = 0; !input.sync && i < input.rounds; i++) {
      if (input.index === 0) {
        ping.release();
        if (!(await pong.acquire(bounded))) throw new Error("stall");
      } else {
        if (!(await ping.acquire(bounded))) throw new Error("stall");
        pong.release();
      }
    }
    const t1 = performance.now();
    const after = futex.spinCounts();
    const at = (input.index * input.runs + (r - 1)) * 4;
    o[at] = t1 - t0;
    o[at + 1] = after.begun - before.begun;
    o[at + 2] = after.hit - before.hit;
    o[at + 3] = after.credit ?? NaN;
    Atomics.add(c, 2, 1);
    Atomics.notify(c, 2);
  }
}
