/** Worker of `barrier_ab.ts`: one party of one variant; runs `n` cycles per request. */
import process from "node:process";
import { parentPort, workerData } from "node:worker_threads";

const { mod, handle, raw, parties, timeout } = workerData as {
  mod?: string;
  handle?: unknown;
  raw?: SharedArrayBuffer;
  parties: number;
  timeout?: number;
};

// `BARRIER_AB_COUNT=1`: count this worker's Atomics.wait calls by result, printed per request.
const counts: Record<string, number> = {};
if (process.env.BARRIER_AB_COUNT === "1") {
  const wait = Atomics.wait;
  Atomics.wait = ((...args: Parameters<typeof Atomics.wait>) => {
    const result = wait(...args);
    counts[result] = (counts[result] ?? 0) + 1;
    return result;
  }) as typeof Atomics.wait;
}

let cycle: (n: number) => void;
if (raw !== undefined) {
  const i32 = new Int32Array(raw);
  cycle = (n) => {
    for (let i = 0; i < n; i++) {
      const generation = Atomics.load(i32, 1);
      if (Atomics.add(i32, 0, 1) === parties - 1) {
        Atomics.store(i32, 0, 0);
        Atomics.add(i32, 1, 1);
        Atomics.notify(i32, 1);
      } else {
        while (Atomics.load(i32, 1) === generation) {
          if (Atomics.wait(i32, 1, generation, 60_000) === "timed-out") throw new Error("stalled");
        }
      }
    }
  };
} else {
  const M = await import(mod!);
  // deno-lint-ignore no-explicit-any
  const barrier = M.Barrier.from(handle as any);
  const options = timeout === undefined ? undefined : { timeout };
  cycle = (n) => {
    for (let i = 0; i < n; i++) barrier.waitSync(options);
  };
}
parentPort!.on("message", (n: number) => {
  const t0 = performance.now();
  cycle(n);
  const elapsed = performance.now() - t0;
  if (process.env.BARRIER_AB_COUNT === "1") {
    console.log(mod === undefined ? "floor" : "tree", JSON.stringify(counts), "per", n);
    for (const key in counts) delete counts[key];
  }
  parentPort!.postMessage(elapsed);
});
parentPort!.postMessage("ready");
