/**
 * The fairness experiment (issue 10; not part of `npm run bench`): 8 workers saturate one
 * primitive, each acquiring and releasing in a loop with a short critical section, and record
 * how long every acquire waited. Reported per copy of the library: p50, p99 and max wait, and
 * throughput (acquisitions per ms) as a ratio to the first copy's, measured in the same run with
 * the copies alternating round by round, so they share the machine's noise.
 *
 *   node bench/fairness.ts [--before /tmp/before/mod.ts] [--rounds 4] [--ms 1500] [--workers 8]
 *                          [--kinds lock,semaphore,rwlock,rwlock-writer] [--out bench/results/fairness.md]
 *
 * `--before` names an older copy of the library (`git archive <commit> mod.ts src package.json |
 * tar -x -C /tmp/before`), measured beside this tree; a comma-separated list names several, each
 * row then named by the copy's folder, throughput relative to the first. Kinds: `lock`
 * (Lock.acquireSync), `semaphore` (Semaphore(1).acquireSync), `rwlock` (RWLock.writeSync: every
 * worker a writer), `rwlock-writer` (one worker writes with writeSync while the others read with
 * readSync in the same loop: only the writer's waits are recorded, so its rows are one writer's
 * wait under a stream of readers).
 *
 * @module
 */

import { writeFileSync } from "node:fs";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { RUNTIME, RUNTIME_VERSION } from "./harness/env.ts";

type Kind = "lock" | "semaphore" | "rwlock" | "rwlock-writer";

interface Job {
  lib: string;
  kind: Kind;
  handle: unknown;
  ctl: SharedArrayBuffer;
  ms: number;
  workers: number;
  /** This worker's index (0..workers-1); in `rwlock-writer`, worker 0 is the writer. */
  index: number;
}

/** Control slots: workers ready, go, acquisitions so far (counted inside the critical section). */
const READY = 0;
const GO = 1;
const COUNT = 2;

/**
 * Spins ~`us` microseconds (the critical section). Returns the longest gap between two of its
 * clock reads: time the OS did not run this thread, the floor under every wait measured here.
 */
function busy(us: number): number {
  let last = performance.now();
  const end = last + us / 1000;
  let gap = 0;
  while (last < end) {
    const t = performance.now();
    if (t - last > gap) gap = t - last;
    last = t;
  }
  return gap;
}

async function workerMain(job: Job): Promise<void> {
  const lib = await import(job.lib);
  const ctl = new Int32Array(job.ctl);
  const stallMs = 30_000;
  let enter: () => void;
  let leave: () => void;
  if (job.kind === "lock") {
    const lock = lib.Lock.from(job.handle);
    enter = () => {
      if (!lock.acquireSync({ timeout: stallMs })) throw new Error("lock stalled");
    };
    leave = () => lock.release();
  } else if (job.kind === "semaphore") {
    const sem = lib.Semaphore.from(job.handle);
    enter = () => {
      if (!sem.acquireSync({ timeout: stallMs })) throw new Error("semaphore stalled");
    };
    leave = () => sem.release();
  } else {
    const rw = lib.RWLock.from(job.handle);
    let guard: { release(): void } | undefined;
    const reader = job.kind === "rwlock-writer" && job.index !== 0;
    enter = reader
      ? () => {
        guard = rw.readSync({ timeout: stallMs });
      }
      : () => {
        guard = rw.writeSync({ timeout: stallMs });
      };
    leave = () => guard!.release();
  }
  // Readers of `rwlock-writer` load the lock; only the writer's waits are recorded.
  const records = job.kind !== "rwlock-writer" || job.index === 0;
  // Per acquisition: the wait in ms, then how many acquisitions others made meanwhile (overtakes).
  const waits: number[] = [];
  let stall = 0;
  Atomics.add(ctl, READY, 1);
  Atomics.notify(ctl, READY);
  Atomics.wait(ctl, GO, 0, stallMs);
  const end = performance.now() + job.ms;
  let t = performance.now();
  while (t < end) {
    const seen = Atomics.load(ctl, COUNT);
    enter();
    const got = performance.now();
    const count = Atomics.add(ctl, COUNT, 1);
    if (records) waits.push(got - t, count - seen);
    const gap = busy(1); // the critical section
    if (gap > stall) stall = gap;
    leave();
    t = performance.now();
  }
  waits.push(stall);
  parentPort!.postMessage(waits);
}

function runOnce(lib: string, kind: Kind, ms: number, workers: number): Promise<number[][]> {
  return import(lib).then((m) => {
    const handle = kind === "lock"
      ? new m.Lock().handle
      : kind === "semaphore"
      ? new m.Semaphore(1).handle
      : new m.RWLock().handle;
    const ctl = new SharedArrayBuffer(12);
    const i32 = new Int32Array(ctl);
    const all = Array.from({ length: workers }, (_, index) => {
      const job: Job = { lib, kind, handle, ctl, ms, workers, index };
      const w = new Worker(new URL(import.meta.url), { workerData: job });
      return new Promise<number[]>((resolve, reject) => {
        w.on("message", (waits: number[]) => {
          resolve(waits);
          void w.terminate();
        });
        w.on("error", reject);
      });
    });
    const give = performance.now() + 30_000;
    const start = (): Promise<unknown> | undefined => {
      if (Atomics.load(i32, READY) < workers) {
        if (performance.now() > give) throw new Error("workers never got ready");
        return new Promise((r) => setTimeout(r, 5)).then(start);
      }
      Atomics.store(i32, GO, 1);
      Atomics.notify(i32, GO);
      return undefined;
    };
    return Promise.resolve(start()).then(() => Promise.all(all));
  });
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function main(): Promise<void> {
  const g = globalThis as any;
  const argv: string[] = RUNTIME === "deno" ? g.Deno.args : g.process.argv.slice(2);
  const option = (name: string, fallback: string) => {
    const at = argv.indexOf(`--${name}`);
    return at >= 0 && argv[at + 1] !== undefined ? argv[at + 1]! : fallback;
  };
  const rounds = Number(option("rounds", "4"));
  const ms = Number(option("ms", "1500"));
  const workers = Number(option("workers", "8"));
  const kinds = option("kinds", "lock,semaphore,rwlock,rwlock-writer").split(",") as Kind[];
  const out = option("out", "");
  const copies: [string, string][] = [];
  // `--before a/mod.ts,b/mod.ts`: several older copies, each named by its folder.
  const before = option("before", "").split(",").filter((b) => b !== "");
  for (const b of before) {
    const name = before.length === 1 ? "before" : b.split("/").at(-2) ?? b;
    copies.push([name, new URL(b, `file://${g.process?.cwd?.() ?? g.Deno.cwd()}/`).href]);
  }
  copies.push(["after", new URL("../mod.ts", import.meta.url).href]);
  const lines = [
    `# Fairness: ${workers} workers saturating one primitive (${RUNTIME} ${RUNTIME_VERSION})`,
    "",
    `\`node bench/fairness.ts ${
      argv.join(" ")
    }\`; ${rounds} rounds of ${ms} ms per copy, copies alternating.`,
    "Waits in ms over every acquisition of every round; *overtaken*: acquisitions by others during",
    "one wait; *OS stall max*: the longest a worker was seen descheduled inside its critical section",
    "(the scheduler's floor under any wait); throughput relative to the first copy.",
    "",
    "| kind | copy | acquisitions | p50 | p99 | p99.9 | max | max per round | OS stall max | overtaken p99 / p99.9 / max | throughput |",
    "| ---- | ---- | -----------: | --: | --: | ----: | --: | ------------- | -----------: | --------------------------- | ---------: |",
  ];
  for (const kind of kinds) {
    const waits = new Map<string, number[]>();
    const maxes = new Map<string, number[]>();
    const overtakes = new Map<string, number[]>();
    const stalls = new Map<string, number>();
    for (let r = 0; r < rounds; r++) {
      // Each round starts with the next copy, so every copy runs in every position.
      const k = r % copies.length;
      for (const [name, lib] of [...copies.slice(k), ...copies.slice(0, k)]) {
        const reports = await runOnce(lib, kind, ms, workers);
        const stall = Math.max(...reports.map((r) => r.pop()!));
        stalls.set(name, Math.max(stalls.get(name) ?? 0, stall));
        const pairs = reports.flat();
        const got = pairs.filter((_, i) => i % 2 === 0);
        const passed = pairs.filter((_, i) => i % 2 === 1);
        const list = waits.get(name) ?? [];
        for (const w of got) list.push(w);
        waits.set(name, list);
        const over = overtakes.get(name) ?? [];
        for (const o of passed) over.push(o);
        overtakes.set(name, over);
        maxes.set(name, [...(maxes.get(name) ?? []), got.reduce((a, b) => Math.max(a, b), 0)]);
      }
    }
    let base = 0;
    for (const [name] of copies) {
      const sorted = Float64Array.from(waits.get(name)!).sort();
      const over = Float64Array.from(overtakes.get(name)!).sort();
      const perMs = sorted.length / (rounds * ms);
      if (base === 0) base = perMs;
      const f = (x: number) => x.toFixed(3);
      lines.push(
        `| ${kind} | ${name} | ${sorted.length} | ${f(quantile(sorted, 0.5))} | ${
          f(quantile(sorted, 0.99))
        } | ${f(quantile(sorted, 0.999))} | ${f(sorted[sorted.length - 1]!)} | ${
          maxes.get(name)!.map((x) => x.toFixed(1)).join(", ")
        } | ${f(stalls.get(name)!)} | ${quantile(over, 0.99)} / ${quantile(over, 0.999)} / ${
          over[over.length - 1]
        } | ${(perMs / base).toFixed(2)}× |`,
      );
    }
    console.log(lines.slice(-copies.length).join("\n"));
  }
  const text = lines.join("\n") + "\n";
  console.log(text);
  if (out !== "") writeFileSync(out, text);
}

if (isMainThread) await main();
else await workerMain(workerData as Job);
