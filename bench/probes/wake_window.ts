/**
 * Probe (issue 9, A1): how fast an async waiter wakes as a function of *when* the wake comes,
 * counted from its registration. Worker A registers an untimed `Atomics.waitAsync` (then, in the
 * nudged rows, the futex layer's nudge: a self-notified wait on a private slot) and raises a
 * flag; worker B, spinning, sees the flag, spins `d` µs more and notifies. A reads its clock in
 * the first reaction to the wait; the wake's latency is (settle − registration) − d, on A's
 * clock alone (the flag's trip, ~0.1–0.3 µs, is in it). A registers its next wait at once, as a
 * ping-pong side does; delays are interleaved, the median per delay and mode is printed.
 *
 *   node bench/probes/wake_window.ts [--samples 300] [--delays 0,1,2,3,4,6,8,10,12,16,24,40]
 *   deno run -A bench/probes/wake_window.ts …   bun bench/probes/wake_window.ts …
 *
 * @module
 */

import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";

const g = globalThis as any;
const rt = g.Bun !== undefined ? "bun" : g.Deno !== undefined ? "deno" : "node";

/** Control: 0 the flag (round k raised by A), 1 B's delay in ns for this round, 2 done. */
interface Input {
  role: "a" | "b";
  ctl: SharedArrayBuffer;
  slot: SharedArrayBuffer;
  plan: Int32Array;
  nudged: Uint8Array;
}

/** Nudges per registration: 0 (plain), 1 (the futex layer's), 2 and 3 (each one, settled, nudges again). */
const MODES = [0, 1, 2, 3];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

if (isMainThread) {
  const args: string[] = rt === "deno" ? g.Deno.args : g.process.argv.slice(2);
  const opt = (name: string, dflt: string) => {
    const at = args.indexOf(`--${name}`);
    return at >= 0 ? args[at + 1]! : dflt;
  };
  const samples = Number(opt("samples", "300"));
  const delays = opt("delays", "0,1,2,3,4,5,6,8,10,12,16,24,40").split(",").map(Number);
  // The plan: every (delay, mode) pair `samples` times, shuffled.
  const pairs: [number, number][] = [];
  for (let s = 0; s < samples; s++) {
    for (const d of delays) for (const m of MODES) pairs.push([d, m]);
  }
  for (let k = pairs.length - 1; k > 0; k--) {
    const j = Math.floor(Math.random() * (k + 1));
    [pairs[k], pairs[j]] = [pairs[j]!, pairs[k]!];
  }
  const plan = new Int32Array(pairs.map(([d]) => d * 1000));
  const nudged = new Uint8Array(pairs.map(([, m]) => m));
  const ctl = new SharedArrayBuffer(16);
  const slot = new SharedArrayBuffer(4);
  const start = (role: "a" | "b") =>
    new Worker(new URL(import.meta.url), { workerData: { role, ctl, slot, plan, nudged } });
  const b = start("b");
  const a = start("a");
  const got = await new Promise<Float64Array>((resolve) => a.once("message", resolve));
  const by = new Map<string, number[]>();
  for (let k = 0; k < pairs.length; k++) {
    const [d, m] = pairs[k]!;
    const key = `${d}/${m}`;
    if (!by.has(key)) by.set(key, []);
    by.get(key)!.push(got[k]! * 1000 - d);
  }
  console.log(`${rt}: wake latency (µs, median of ${samples}) by delay after registration`);
  console.log(`delay µs | nudges 0, 1, 2, 3: median latency (share > 8 µs)`);
  for (const d of delays) {
    const slow = (xs: number[]) => (100 * xs.filter((x) => x > 8).length / xs.length).toFixed(0);
    const cells = MODES.map((m) => {
      const xs = by.get(`${d}/${m}`)!;
      return `${median(xs).toFixed(1).padStart(5)} (${slow(xs).padStart(3)}%)`;
    });
    console.log(`${String(d).padStart(8)} | ${cells.join("  ")}`);
  }
  a.terminate();
  b.terminate();
} else {
  const { role, plan, nudged } = workerData as Input;
  const ctl = new Int32Array((workerData as Input).ctl);
  const slot = new Int32Array((workerData as Input).slot);
  const now = performance.now.bind(performance);
  if (role === "b") {
    for (let k = 1; k <= plan.length; k++) {
      while (Atomics.load(ctl, 0) !== k);
      const t0 = now();
      const until = t0 + plan[k - 1]! / 1e6;
      while (now() < until);
      Atomics.store(slot, 0, k);
      Atomics.notify(slot, 0);
    }
  } else {
    const nudgeSlot = new Int32Array(new SharedArrayBuffer(4));
    const out = new Float64Array(plan.length);
    const keep = setInterval(() => {}, 1 << 30);
    for (let k = 1; k <= plan.length; k++) {
      const r = Atomics.waitAsync(slot, 0, k - 1);
      const t0 = now();
      let left = nudged[k - 1]!;
      const nudge = () => {
        if (left-- <= 0) return;
        const n = Atomics.waitAsync(nudgeSlot, 0, 0);
        Atomics.notify(nudgeSlot, 0);
        if (left > 0 && n.async) n.value.then(nudge);
      };
      nudge();
      Atomics.store(ctl, 0, k);
      if (!r.async) throw new Error("probe: B ran ahead");
      await r.value;
      out[k - 1] = now() - t0;
    }
    clearInterval(keep);
    parentPort!.postMessage(out);
  }
}
