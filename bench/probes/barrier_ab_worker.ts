/** Worker of `barrier_ab.ts`: one party of every variant. */
import process from "node:process";
import { parentPort, workerData } from "node:worker_threads";
import { readFileSync } from "node:fs";

const STATS = process.env.BARRIER_AB_STATS === "1";
const counts: Record<string, number> = { ok: 0, "not-equal": 0, "timed-out": 0 };
if (STATS) {
  const wait = Atomics.wait;
  Atomics.wait = ((...args: Parameters<typeof Atomics.wait>) => {
    const result = wait(...args);
    counts[result]!++;
    return result;
  }) as typeof Atomics.wait;
}
const ctx = () => {
  const s = readFileSync("/proc/thread-self/status", "utf8");
  return [
    Number(/^voluntary_ctxt_switches:\s*(\d+)/m.exec(s)![1]),
    Number(/^nonvoluntary_ctxt_switches:\s*(\d+)/m.exec(s)![1]),
  ];
};

const { specs, parties } = workerData as {
  parties: number;
  specs: {
    raw?: SharedArrayBuffer;
    mod?: string;
    handle?: unknown;
    timeout?: number;
    mode?: string;
  }[];
};

const clock = performance;
const now = () => clock.now();
/**
 * The floor (a raw count word and generation word), and its variants (`FLOORS=inf,clk,…`), each
 * adding one cost of threadkit's wait to it: `inf` waits with no timeout, `frac` with a
 * fractional one; `clk` keeps a deadline as threadkit does (read at entry, checked before each
 * park, the time left passed); `clkA`/`clkA3` read the clock once/three times at entry, `clkB`
 * before each park, `clkC` after the wait. The plain floor waits 60 s at most.
 */
function floorOf(raw: SharedArrayBuffer, mode = ""): (n: number) => void {
  const i32 = new Int32Array(raw);
  const entryReads = mode === "clkA" ? 1 : mode === "clkA3" ? 3 : 0;
  const parkRead = mode === "clkB";
  const wokeRead = mode === "clkC";
  const deadlined = mode === "clk";
  // `seq`: waiters sleep on a third word the release bumps after GEN (threadkit's SEQ).
  const seq = mode === "seq";
  const busyNs = mode.startsWith("busy") ? Number(mode.slice(4)) : 0;
  const fixed = mode === "inf" ? Infinity : mode === "frac" ? 59_999.123456 : 60_000;
  let sink = 0;
  return (n) => {
    for (let i = 0; i < n; i++) {
      for (let r = 0; r < entryReads; r++) sink += now();
      if (busyNs !== 0) {
        // `busyN`: N ns of work at every entry (a wait's own JS, threadkit's prologue and park).
        const until = now() + busyNs / 1e6;
        while (now() < until) sink++;
      }
      const deadline = deadlined ? now() + 60_000 : Infinity;
      const generation = Atomics.load(i32, 1);
      if (Atomics.add(i32, 0, 1) === parties - 1) {
        Atomics.store(i32, 0, 0);
        Atomics.add(i32, 1, 1);
        if (seq) {
          Atomics.add(i32, 2, 1);
          Atomics.notify(i32, 2);
        } else {
          Atomics.notify(i32, 1);
        }
        continue;
      }
      if (seq) {
        for (;;) {
          const s = Atomics.load(i32, 2);
          if (Atomics.load(i32, 1) !== generation) break;
          if (Atomics.wait(i32, 2, s, 60_000) === "timed-out") throw new Error("stalled");
        }
        continue;
      }
      while (Atomics.load(i32, 1) === generation) {
        if (parkRead) sink += now();
        let timeout = fixed;
        if (deadlined) {
          if (now() >= deadline) throw new Error("stalled");
          timeout = deadline - now();
        }
        if (Atomics.wait(i32, 1, generation, timeout) === "timed-out") throw new Error("stalled");
      }
      if (wokeRead) sink += now();
    }
    if (sink === 42) console.log("the clock reads are used");
  };
}

const cyclesOf: ((n: number) => void)[] = [];
for (const s of specs) {
  if (s.mode === "peer") {
    const mt = await import("multithreading");
    const barrier = new mt.Barrier(parties, s.raw);
    cyclesOf.push((n) => {
      for (let i = 0; i < n; i++) barrier.blockingWait();
    });
  } else if (s.raw !== undefined) {
    cyclesOf.push(floorOf(s.raw, s.mode));
  } else {
    const M = await import(s.mod!);
    // deno-lint-ignore no-explicit-any
    const barrier = M.Barrier.from(s.handle as any);
    const options = s.timeout === undefined ? undefined : { timeout: s.timeout };
    cyclesOf.push((n) => {
      for (let i = 0; i < n; i++) barrier.waitSync(options);
    });
  }
}
parentPort!.on("message", ({ v, n }: { v: number; n: number }) => {
  const cycle = cyclesOf[v]!;
  cycle(2); // untimed: everyone starts together after it
  if (!STATS) {
    const t0 = performance.now();
    cycle(n);
    parentPort!.postMessage(performance.now() - t0);
    return;
  }
  for (const k in counts) counts[k] = 0;
  const c0 = ctx();
  const t0 = performance.now();
  cycle(n);
  const t = performance.now() - t0;
  const c1 = ctx();
  parentPort!.postMessage({
    t,
    ok: counts.ok! / n,
    ne: counts["not-equal"]! / n,
    vol: (c1[0]! - c0[0]!) / n,
    invol: (c1[1]! - c0[1]!) / n,
  });
});
parentPort!.postMessage("ready");
