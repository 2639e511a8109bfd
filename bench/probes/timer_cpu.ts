/**
 * Probe: the CPU an otherwise idle thread spends per timer firing, for chains of 1, 2, 5, 20 and
 * 100 ms timers (200 ms each), and with only an untimed `Atomics.waitAsync` pending. What a
 * deadline timer firing costs a waiting thread (see `armDeadlines` in `src/internal/futex.ts`).
 *
 *   node bench/probes/timer_cpu.ts   (deno run -A …, bun …)
 *
 * @module
 */

import process from "node:process";

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
for (const ms of [1, 2, 5, 20, 100]) {
  const c0 = cpu();
  const t0 = performance.now();
  let n = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      if (++n >= Math.round(200 / ms)) resolve();
      else setTimeout(tick, ms);
    };
    setTimeout(tick, ms);
  });
  const wall = performance.now() - t0;
  const c = cpu() - c0;
  console.log(
    `${ms} ms timers ×${n}: wall ${wall.toFixed(0)} ms, cpu ${c.toFixed(1)} ms, ${
      (1000 * c / n).toFixed(0)
    } µs per firing`,
  );
}
const i32 = new Int32Array(new SharedArrayBuffer(4));
const c0 = cpu();
Atomics.waitAsync(i32, 0, 0);
await new Promise((r) => setTimeout(r, 200));
console.log(`200 ms idle with an untimed waitAsync pending: cpu ${(cpu() - c0).toFixed(1)} ms`);
process.exit(0);
