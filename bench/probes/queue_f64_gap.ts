/**
 * Probe (issue 9): where `queue.oneway-f64` (threadkit's Queue with float64Codec, one worker
 * putSync()s numbers, another getSync()s them) loses to ringbuf.js's SPSC ring. Every variant
 * of `queue_f64_cases.ts` streams the same numbers through its own pair of workers; the
 * variants run round-robin in one process (the first of each round rotates), so every ratio
 * is a same-run ratio. Then the same variants one-threaded (put + get pairs on the main thread:
 * the path cost without cache-line traffic). Not part of `npm run bench`.
 *
 * ```sh
 * node bench/probes/queue_f64_gap.ts [rounds=15] [items per run=100000] [all|variant,...] [one|two]
 * deno run -A bench/probes/queue_f64_gap.ts ...;  bun bench/probes/queue_f64_gap.ts ...
 * ```
 * Columns: median ns/item over the rounds; the median of the per-round ratios to ringbuf.js
 * (Int32Array, the bench's peer row) and to the Queue row, with quartiles; per item, the
 * `Atomics.wait` calls that slept on slot 0 (the Queue's lock word) and on other slots (seq
 * slots), and the `Atomics.notify` calls (the workers wrap both).
 *
 * ## Results (2026-12-01, Queue as of 1f3eebd; 2 vCPUs shared with other helpers)
 *
 * One thread, `… 15 100000 all one`, 12:11-12:13 UTC, load 19-21; median of the per-round ratios
 * to the Queue row (node / deno / bun), and the share of the Queue's put + get each step adds:
 * | variant                                   | ÷ queue            | share added      |
 * | ----------------------------------------- | ------------------ | ---------------- |
 * | ringbuf-i32 (the bench's peer)             | 0.45 / 0.46 / 0.57 |                  |
 * | spsc: lock-free SPSC, float64 slots        | 0.27 / 0.30 / 0.24 |                  |
 * | locked: lock CAS + plain ring + unlock CAS | 0.30 / 0.24 / 0.18 | lock ≈ 0 vs spsc |
 * | locked+loads: + the Queue's Atomics.loads  | 0.61 / 0.62 / 0.52 | 0.31 / 0.38 / 0.34 |
 * | locked+counts: + COUNT±1, UNFINISHED+1 RMWs | 0.65 / 0.79 / 0.70 | 0.04 / 0.17 / 0.18 |
 * | locked+tk: + record framing (length word)  | 0.66 / 0.72 / 0.57 | ≈ 0 (noise)      |
 * | locked+codec: + encode, u8.set copy        | 0.89 / 0.90 / 0.59 | 0.23 / 0.18 / 0.02 |
 * | queue: + API wrapper (options, ident, …)   | 1.00               | 0.11 / 0.10 / 0.41 |
 * | vyukov: lock-free MPMC ring                | 0.42 / 0.43 / 0.35 |                  |
 * | vyukov+tk: + UNFINISHED add, state loads   | 0.52 / 0.51 / 0.56 |                  |
 * The same run at load ~4 (11:59, `… 9 20000`, without the loads/codec rows) gave the same
 * picture: queue ÷ ringbuf-i32 1.99 / 1.88 / 1.24, locked+tk ÷ queue 0.74 / 0.78 / 0.58,
 * locked ÷ queue 0.33 / 0.33 / 0.19. Why the loads weigh: an `Atomics.load` costs ~21 ns on all
 * three runtimes here (a plain read ~3 ns, an `Atomics.add`/`compareExchange` 21-37 ns; a loop
 * of 1e7), and the Queue's put + get did 9 loads, 3 RMWs and 4 lock CASes; ringbuf.js's push +
 * pop does 4 loads and 2 stores, but through its generic array API.
 *
 * Two workers, `… 9 20000`, 11:59 UTC, load ~3.8; ÷ ringbuf-i32 (q1-q3), node / deno / bun:
 * | variant       | node             | deno             | bun              |
 * | ------------- | ---------------- | ---------------- | ---------------- |
 * | queue         | 0.80 (0.63-1.12) | 0.64 (0.46-1.01) | 1.05 (0.58-1.33) |
 * | queue-spin    | 0.69 (0.63-0.97) | 0.70 (0.68-0.87) | 1.14 (0.69-1.58) |
 * | locked        | 0.95 (0.82-1.05) | 0.86 (0.65-1.16) | 0.35 (0.31-0.92) |
 * | locked+tk     | 1.64 (1.45-2.34) | 1.68 (1.17-2.33) | 1.47 (1.22-2.35) |
 * | spsc          | 1.73 (1.43-1.85) | 1.12 (0.96-1.53) | 0.92 (0.60-1.05) |
 * | vyukov        | 0.33 (0.25-0.52) | 0.70 (0.60-0.75) | 0.30 (0.10-0.57) |
 * | vyukov+tk     | 0.82 (0.60-0.97) | 0.77 (0.51-1.01) | 0.86 (0.59-1.05) |
 * | vyukov+sleep  | 0.73 (0.64-0.91) | 1.16 (0.73-1.54) | 0.58 (0.47-1.25) |
 * The Queue's getter went to its slow path (GETTERS, seq, notify) 0.42 / 0.21 / 0.17 times per
 * item (notifies/item; it almost never slept: 0.000-0.006 waits). At load 20-35 (12:14, node,
 * `… 11 50000`) the polled rows lose their CPU: ringbuf-i32 16 µs/item, the Queue 0.07× of it.
 * So on this box the two-worker ratio follows the load more than the code: the 3.25 / 2.37 /
 * 1.51× of the last full bench (quiet machine, ringbuf 103 ns/item on Node) did not reproduce
 * here, and no variant — the lock-free MPMC ring with the Queue's counts included
 * (`vyukov+tk`: 1.14 / 1.04 / 1.00× the Queue's time, same run) — shows the ≥ 1.5× two-worker
 * win issue 9's step 2 asked for. What one thread shows clearly is that the lock is not the
 * cost: the Atomics loads, RMWs, the encode + copy and the wrapper are; `bench/README.md`
 * ("Queue numbers vs ringbuf.js") has the design of the lock-free path and what to do first.
 *
 * After the locked path was slimmed (2026-12-02 ~00:10 UTC, load ~3; prefixes made once, f64
 * records written in place, COUNT/UNFINISHED plain under LOCK), `… 15 100000
 * queue,ringbuf-i32,locked+tk one`, queue ÷ ringbuf-i32 node / deno / bun: 1.22 / 1.12 / 0.90
 * (the tree before, run right after: 1.80 / 1.69 / 1.39); locked+tk ÷ queue 1.23 / 1.37 / 1.44.
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import { type Ends, variants } from "./queue_f64_cases.ts";

const rounds = Number(process.argv[2] ?? 15);
const N = Number(process.argv[3] ?? 100_000);
const all = await variants();
const names = process.argv[4] !== undefined && process.argv[4] !== "all"
  ? process.argv[4].split(",")
  : Object.keys(all);
/** Which tables: "two" (workers), "one" (one thread) or both (default). */
const only = process.argv[5];
const rt = typeof (globalThis as any).Bun !== "undefined"
  ? "bun"
  : typeof (globalThis as any).Deno !== "undefined"
  ? "deno"
  : "node";

type Counts = { lock: number; seq: number; notify: number };
type Msg = { ready?: true; done?: true } & Partial<Counts>;
function next(w: Worker, key: "ready" | "done"): Promise<Msg> {
  return new Promise((res, rej) => {
    const on = (m: Msg) => {
      if (m[key]) {
        w.off("message", on);
        w.off("error", rej);
        res(m);
      }
    };
    w.on("message", on);
    w.on("error", rej);
  });
}

interface Pair {
  workers: Worker[];
  run(n: number): Promise<{ ns: number; counts: Counts }>;
}
async function pair(name: string): Promise<Pair> {
  const shared = await all[name]!.setup();
  const workers = ["put", "get"].map((role) =>
    new Worker(new URL("./queue_f64_gap_worker.ts", import.meta.url), {
      workerData: { name, shared, role },
    })
  );
  await Promise.all(workers.map((w) => next(w, "ready")));
  const before: Counts = { lock: 0, seq: 0, notify: 0 };
  return {
    workers,
    async run(n) {
      const t0 = performance.now();
      const done = workers.map((w) => next(w, "done"));
      for (const w of workers) w.postMessage(n);
      const msgs = await Promise.all(done);
      const ns = ((performance.now() - t0) * 1e6) / n;
      const counts: Counts = { lock: 0, seq: 0, notify: 0 };
      for (const k of ["lock", "seq", "notify"] as const) {
        const total = msgs.reduce((s, m) => s + (m[k] ?? 0), 0); // cumulative per worker
        counts[k] = (total - before[k]) / n;
        before[k] = total;
      }
      return { ns, counts };
    },
  };
}

const med = (v: number[]) => [...v].sort((p, q) => p - q)[Math.floor(v.length / 2)]!;
const q1 = (v: number[]) => [...v].sort((p, q) => p - q)[Math.floor(v.length / 4)]!;
const q3 = (v: number[]) => [...v].sort((p, q) => p - q)[Math.floor((3 * v.length) / 4)]!;

// Two workers, round-robin.
if (only !== "one") await twoWorkers();
async function twoWorkers(): Promise<void> {
  const pairs: Record<string, Pair> = {};
  for (const name of names) pairs[name] = await pair(name);
  for (const name of names) await pairs[name]!.run(N / 4); // warm-up
  const ns: Record<string, number[]> = {};
  const counts: Record<string, Counts[]> = {};
  for (const name of names) (ns[name] = []), (counts[name] = []);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + r) % names.length]!;
      const got = await pairs[name]!.run(N);
      ns[name]!.push(got.ns);
      counts[name]!.push(got.counts);
    }
  }
  for (const p of Object.values(pairs)) for (const w of p.workers) await w.terminate();

  const ratio = (name: string, base: string) => {
    if (ns[base] === undefined) return "-";
    const r = ns[name]!.map((x, i) => x / ns[base]![i]!);
    return `${med(r).toFixed(2)} (${q1(r).toFixed(2)}-${q3(r).toFixed(2)})`;
  };
  console.log(`## ${rt}: two workers, ${N} numbers per run, ${rounds} rounds round-robin`);
  console.log(
    "| variant | ns/item | ÷ ringbuf-i32 (q1-q3) | ÷ queue (q1-q3) | per item: lock sleeps, seq sleeps, notifies |",
  );
  console.log("|---|---|---|---|---|");
  for (const name of names) {
    console.log(
      `| ${name}: ${all[name]!.text} | ${med(ns[name]!).toFixed(0)} | ${
        ratio(name, "ringbuf-i32")
      } | ${ratio(name, "queue")} | ${
        (["lock", "seq", "notify"] as const).map((k) =>
          med(counts[name]!.map((c) => c[k])).toFixed(3)
        ).join(", ")
      } |`,
    );
  }
}

// One thread: put + get pairs, round-robin.
if (only !== "two") await oneThread();
async function oneThread(): Promise<void> {
  const M = N * 2;
  const one: Record<string, Ends> = {};
  for (const name of names) one[name] = await all[name]!.open(await all[name]!.setup());
  const run1 = (e: Ends, n: number) => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      if (e.putSync !== undefined) e.putSync(i);
      else if (!e.put(i)) throw new Error("put failed");
      const got = e.getSync !== undefined ? e.getSync() : (e.get(), e.out);
      if (got !== i) throw new Error(`got ${got}, expected ${i}`);
    }
    return ((performance.now() - t0) * 1e6) / n;
  };
  const ns1: Record<string, number[]> = {};
  for (const name of names) (ns1[name] = []), run1(one[name]!, M / 4);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + r) % names.length]!;
      ns1[name]!.push(run1(one[name]!, M));
    }
  }
  console.log(`\n## ${rt}: one thread, put + get pairs, ${M} per run, ${rounds} rounds`);
  console.log("| variant | ns/pair | ÷ ringbuf-i32 | ÷ queue |");
  console.log("|---|---|---|---|");
  for (const name of names) {
    const r = (base: string) =>
      ns1[base] === undefined ? "-" : med(ns1[name]!.map((x, i) => x / ns1[base]![i]!)).toFixed(2);
    console.log(
      `| ${name} | ${med(ns1[name]!).toFixed(1)} | ${r("ringbuf-i32")} | ${r("queue")} |`,
    );
  }
}
const g = globalThis as any;
if (rt === "deno") g.Deno.exit(0);
else g.process.exit(0);
