/**
 * Probe (issue 9, P4 objects on Bun): which regime a 1 → 1 stream of small objects settles in,
 * through a `Queue` (its SPSC lane) and through the lane's floor (`queue_lane_cases.ts`,
 * `objectsLane`), each in two fresh workers per round, round-robin. The consumer samples the
 * ring's fill (WRITE − READ, bytes) every 256 items and the probe prints, beside ns an item, how
 * the samples fall: near empty (< 512 bytes, ~10 items), low (< 8 KiB), mid (< 48 KiB), near full
 * (the ring holds 64 KiB). Not part of `npm run bench`.
 *
 * ```sh
 * bun bench/probes/queue_lane_regime.ts [--rounds 9] [--items 100000]   (node …, deno run -A …)
 * ```
 * `BURN_PUT=k` / `BURN_GET=k`: each put (get) first spends k steps of a dependent square-root
 * chain (~12 ns a step here), to slow one side on purpose.
 *
 * Found (2026-12-04 21:29-21:31, Bun, 2 CPUs, load 0.5-1.9, five runs of 9 rounds; README,
 * Benchmarks, P4): in four runs the Queue took 517-549 ns an item with its consumer near empty
 * in a median 39-49% of the samples, the floor 369-437 ns, near empty 2-12% (mostly mid); in the
 * first both took ~500 ns, both often near empty. One thread, the Queue's consumer is the faster
 * side (put 135-148 ns, get 104; the floor's put 91-119, get 165: `/tmp` scratch probes), so it
 * catches its producer up and takes items as they land (counted in a scratch copy, its getSync
 * found the lane empty 0.09-0.17 times an item, the floor's 0.002), and every item's lines and
 * WRITE then cross between the CPUs as they are written. `BURN_GET=20` (a get 240 ns dearer):
 * the floor's ring filled (near full 92%) and it slowed to 626 ns, its consumer's pace; the
 * Queue stayed at 538 ns (near empty 23%): its producer, not its consumer, sets that pace when
 * both run, though one put alone costs it only ~30 ns more than the floor's. On Node and Deno the
 * Queue's consumer sat near empty in 73-84% of the samples (Node 597-676 ns, Deno 256-552: runs
 * differ by 2×). Tried there and dropped: the lane's records written with `set` (one copy) instead
 * of the byte loop (`storage.ts`, `writeRecord`; a scratch switch), two runs each, loop → set:
 * Bun 536 / 475 → 526 / 484 ns, Node 604 / 626 → 676 / 597, Deno 552 / 256 → 500 / 261, within
 * the spread between runs.
 *
 * @module
 */
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import process from "node:process";
import { takeOption } from "./args.ts";
import { Queue } from "../../mod.ts";
import { objectsLane } from "./queue_lane_cases.ts";

/** Header slots read by the consumer's samples: the lane's WRITE and READ (`src/queue/header.ts`), the floor's. */
const QUEUE_WRITE = 48, QUEUE_READ = 43;
const FLOOR_WRITE = 16, FLOOR_READ = 32;
/** Positions are byte counts below 2^28 (the lane) or 2^29 (the floor): both fit this mask. */
const POSITION = (1 << 28) - 1;
/** Batches each worker runs; the first WARM are not timed or sampled. */
const BATCHES = 8, WARM = 3;
const BUCKETS = ["empty", "low", "mid", "full"];

type Kind = "queue" | "floor";

interface Start {
  role: "put" | "get";
  kind: Kind;
  // deno-lint-ignore no-explicit-any
  shared: any;
  items: number;
}

if (isMainThread) {
  const args = process.argv.slice(2);
  const rounds = takeOption(args, "--rounds", 9);
  const items = takeOption(args, "--items", 100_000);
  const kinds: Kind[] = ["queue", "floor"];
  const ns: Record<Kind, number[]> = { queue: [], floor: [] };
  const shares: Record<Kind, number[][]> = { queue: [], floor: [] };
  for (let round = 0; round < rounds; round++) {
    for (const kind of kinds) {
      const shared = kind === "floor" ? objectsLane.setup() : new Queue().handle;
      const workers = (["put", "get"] as const).map((role) =>
        new Worker(new URL(import.meta.url), { workerData: { role, kind, shared, items } })
      );
      const next = () =>
        Promise.all(workers.map((w) =>
          new Promise<unknown>((resolve, reject) => {
            w.once("message", resolve);
            w.once("error", reject);
          })
        ));
      await next(); // both ready
      for (const w of workers) w.postMessage("go");
      const [, got] = await next() as [unknown, { ns: number; share: number[] }];
      ns[kind].push(got.ns);
      shares[kind].push(got.share);
      await Promise.all(workers.map((w) => w.terminate()));
    }
  }
  const median = (v: number[]) => [...v].sort((x, y) => x - y)[v.length >> 1]!;
  console.log(`${rounds} rounds × ${items} items a batch; consumer's median batch, ns an item`);
  for (const kind of kinds) {
    const fill = shares[kind].map((s) => s.map((x) => `${x}`.padStart(3)).join(" "));
    console.log(
      `${kind.padEnd(6)} median ${median(ns[kind]).toFixed(0)} ns; rounds ${
        ns[kind].map((x) => x.toFixed(0)).join(" ")
      }`,
    );
    console.log(`       fill % (${BUCKETS.join(" / ")}) by round: ${fill.join(" | ")}`);
  }
} else {
  const { role, kind, shared, items } = workerData as Start;
  const env = (name: string) => Number(process.env[name] ?? 0);
  const burnSteps = role === "put" ? env("BURN_PUT") : env("BURN_GET");
  let sink = 0;
  const burn = () => {
    for (let k = 0; k < burnSteps; k++) sink += Math.sqrt(k + sink);
  };
  const bounded = { timeout: 60_000 };
  let put: (item: unknown) => void;
  let get: () => { id: number };
  let header: Int32Array;
  if (kind === "floor") {
    const ends = objectsLane.open(shared, 60_000);
    put = (item) => ends.putSync(item);
    get = () => ends.getSync() as { id: number };
    header = new Int32Array(shared, 0, 64);
  } else {
    const queue = Queue.from<{ id: number }>(shared);
    put = (item) => queue.putSync(item as { id: number }, bounded);
    get = () => queue.getSync(bounded);
    header = new Int32Array(shared.buffer, shared.byteOffset, 64);
  }
  const [write, read] = kind === "floor" ? [FLOOR_WRITE, FLOOR_READ] : [QUEUE_WRITE, QUEUE_READ];
  parentPort!.postMessage("ready");
  await new Promise((resolve) => parentPort!.once("message", resolve));
  const times: number[] = [];
  const counts = [0, 0, 0, 0];
  let next = 0;
  for (let batch = 0; batch < BATCHES; batch++) {
    const t0 = performance.now();
    if (role === "put") {
      for (let i = 0; i < items; i++, next++) {
        burn();
        put({ id: next, kind: "tick", value: next * 0.5 });
      }
    } else {
      for (let i = 0; i < items; i++, next++) {
        burn();
        if (get().id !== next) throw new Error(`${kind}: item out of order at ${next}`);
        if ((i & 255) === 0 && batch >= WARM) {
          const fill = (Atomics.load(header, write) - Atomics.load(header, read)) & POSITION;
          counts[fill < 512 ? 0 : fill < 8192 ? 1 : fill < 49152 ? 2 : 3]!++;
        }
      }
    }
    times.push((performance.now() - t0) * 1e6 / items);
  }
  const timed = times.slice(WARM).sort((x, y) => x - y);
  const total = counts.reduce((x, y) => x + y, 0);
  parentPort!.postMessage({
    ns: timed[timed.length >> 1],
    share: counts.map((c) => Math.round(100 * c / Math.max(1, total))),
  });
  void sink;
}
