/**
 * Probe (issue 9): how often a plain stream loses its SPSC lane (`src/queue/lane.ts`). One
 * worker putSync()s `N` small objects `{ id, kind, value }` into a default Queue (unbounded, 64
 * KiB, may grow), another getSync()s them, beside `BURN` workers that only burn CPU (the 2-CPU
 * machine oversubscribed, as a busy host is); at the end, whether the lane was revoked (MODE).
 * A blocking put to a full lane that may grow leaves the lane when its consumer does not keep up
 * (`src/queue/base.ts`, LANE_SLOW_PUT_MS); a consumer descheduled for a slice of the scheduler
 * must not count as one that does not keep up.
 *
 * ```sh
 * node bench/probes/lane_revokes.ts        (bun …, deno run -A …)
 * MOD=/tmp/before/mod.ts BURN=2 RUNS=8 N=1000000 node bench/probes/lane_revokes.ts
 * ```
 *
 * @module
 */
import process from "node:process";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";

const MOD = process.env.MOD ?? new URL("../../mod.ts", import.meta.url).href;
const N = Number(process.env.N ?? 1_000_000);
const BURN = Number(process.env.BURN ?? 1);
const RUNS = Number(process.env.RUNS ?? 6);
/** MODE, the lane's header slot (`src/queue/header.ts`), and its LANE_ON value. */
const MODE = 26, LANE_ON = 1;

if (isMainThread) {
  const { Queue } = await import(MOD);
  let revoked = 0;
  const ms: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const q = new Queue();
    const header = new Int32Array(q.handle.buffer, q.handle.byteOffset, 64);
    const stop = new Int32Array(new SharedArrayBuffer(4));
    const url = new URL(import.meta.url);
    const burners = Array.from(
      { length: BURN },
      () => new Worker(url, { workerData: { role: "burn", stop } }),
    );
    const t0 = performance.now();
    const pair = ["put", "get"].map((role) =>
      new Worker(url, { workerData: { role, handle: q.handle, mod: MOD } })
    );
    await Promise.all(
      pair.map((w) =>
        new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error("a side took over 120 s")), 120_000);
          w.once("message", (m) => (clearTimeout(timer), resolve(m)));
          w.once("error", reject);
        })
      ),
    );
    ms.push(performance.now() - t0);
    Atomics.store(stop, 0, 1);
    if (Atomics.load(header, MODE) !== LANE_ON) revoked++;
    await Promise.all([...pair, ...burners].map((w) => w.terminate()));
  }
  console.log(
    `${MOD}: the lane was revoked in ${revoked} of ${RUNS} runs of ${N} items beside ${BURN} ` +
      `CPU-bound workers; ms a run: ${ms.map((x) => x.toFixed(0)).join(" ")}`,
  );
} else if (workerData.role === "burn") {
  const stop = workerData.stop as Int32Array;
  let x = 0;
  while (Atomics.load(stop, 0) === 0) for (let i = 0; i < 1e5; i++) x += Math.sqrt(i);
  parentPort!.postMessage(x);
} else {
  const { Queue } = await import(workerData.mod);
  const q = Queue.from(workerData.handle);
  if (workerData.role === "put") {
    for (let i = 0; i < N; i++) q.putSync({ id: i, kind: "tick", value: i * 0.5 });
  } else {
    for (let i = 0; i < N; i++) {
      const item = q.getSync({ timeout: 60_000 }) as { id: number };
      if (item.id !== i) throw new Error(`got item ${item.id}, expected ${i}`);
    }
  }
  parentPort!.postMessage("done");
}
