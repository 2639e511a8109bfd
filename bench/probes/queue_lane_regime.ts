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
 * Found (2026-12-04, Bun, 2 CPUs, load ~1.5; README, Benchmarks, P4): the two settle in different
 * regimes. The floor's consumer is the slower side (one thread: put 91-119 ns, get 165), the ring
 * runs near full (77-96% of the samples) and an item cost 360-430 ns in most rounds; the Queue's
 * consumer is the faster side (put 135-148 ns, get 104), it catches the producer up and takes the
 * items as they come (near empty in 20-65% of the samples; counted in a scratch copy, its getSync
 * found the lane empty 0.09-0.17 times an item against the floor's 0.002), and an item cost
 * 450-560 ns. Rounds of either that fell in the other regime moved with it: floor rounds near
 * empty 500-620 ns, Queue and floor rounds near full 220-320 ns. Slowing the Queue's consumer
 * (`BURN_GET=20`) did not move it to the full regime: its producer, with the consumer at its
 * heels, slowed as much. What costs a consumer at the producer's heels is the hand-over of each
 * item's lines between the CPUs, which the floor pays too when it lands there.
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
