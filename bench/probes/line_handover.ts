/**
 * Probe (issue 9, P4 on Bun): what moving one cache line between two workers costs on this
 * machine, the unit of a single-lock queue's two-worker traffic.
 *
 * - `handover`: two workers take turns on one int32 (each spins until it is its turn, then adds
 *   1): one turn moves the line once; the figure is ns per turn.
 * - `lock`: both workers run CAS-acquire, two plain writes in the same line, CAS-release, as fast
 *   as they can, concurrently; the figure is ns per critical section (both workers' together).
 *
 * ```sh
 * npx bun bench/probes/line_handover.ts [rounds]   (npx node …, npx deno run -A …)
 * ```
 *
 * @module
 */
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";

const N = 200_000;
const g = globalThis as any;
const rt = g.Bun !== undefined ? "bun" : g.Deno !== undefined ? "deno" : "node";

if (isMainThread) {
  const args: string[] = rt === "deno" ? g.Deno.args : g.process.argv.slice(2);
  const rounds = Number(args[0] ?? 3);
  const sab = new SharedArrayBuffer(256);
  const figures: Record<string, number[]> = { handover: [], lock: [] };
  for (let r = 0; r < rounds; r++) {
    for (const mode of ["handover", "lock"]) {
      new Int32Array(sab).fill(0);
      const url = new URL(import.meta.url);
      const ws = [0, 1].map((id) => new Worker(url, { workerData: { sab, id, mode } }));
      const ms = await Promise.all(
        ws.map((w) => new Promise<number>((res) => w.once("message", res))),
      );
      for (const w of ws) await w.terminate();
      figures[mode]!.push((Math.max(...ms) * 1e6) / (2 * N));
    }
  }
  const med = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;
  const show = (v: number[]) =>
    `${med(v).toFixed(0)} ns (${Math.min(...v).toFixed(0)}-${Math.max(...v).toFixed(0)})`;
  console.log(
    `${rt}: one line hand-over ${show(figures.handover!)}; contended lock + 2 writes per ` +
      `section ${show(figures.lock!)}; medians of ${rounds} rounds of ${N} per worker`,
  );
  if (rt === "deno") g.Deno.exit(0);
  else g.process.exit(0);
} else {
  const { sab, id, mode } = workerData as { sab: SharedArrayBuffer; id: number; mode: string };
  const i32 = new Int32Array(sab);
  // Start together: both count in slot 40 (another line) and spin until both have.
  Atomics.add(i32, 40, 1);
  while (Atomics.load(i32, 40) < 2);
  const t0 = performance.now();
  if (mode === "handover") {
    for (let i = 0; i < N; i++) {
      while (Atomics.load(i32, 0) % 2 !== id);
      Atomics.add(i32, 0, 1);
    }
  } else {
    const me = (id + 1) << 1;
    for (let i = 0; i < N; i++) {
      while (Atomics.compareExchange(i32, 0, 0, me) !== 0);
      i32[6] = i32[6]! + 1;
      i32[9] = i32[9]! + 1;
      Atomics.compareExchange(i32, 0, me, 0);
    }
  }
  parentPort!.postMessage(performance.now() - t0);
}
