/**
 * The hand-off rows with each worker's own CPU time per round trip, read from Linux's
 * `/proc/thread-self/schedstat` around every run. Wall time on a loaded 2-CPU machine is mostly
 * waiting for a CPU; CPU time per round trip is what the code itself costs, and moves little with
 * the load. Run by `cpu.ts`.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import type { Case, ThreadsCase } from "../harness/types.ts";

/** This thread's CPU time so far, in ns (first field of schedstat). */
function cpuNs(): number {
  return Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0]);
}

function measured(c: ThreadsCase): ThreadsCase {
  return {
    ...c,
    name: `cpu.${c.name}`,
    compare: [],
    async body(input, ctx) {
      const body = await c.body(input, ctx);
      let cpu = 0;
      let rounds = 0;
      let last = 0;
      return async (n) => {
        // Calibration changes n; count only the runs at the final size.
        if (n !== last) cpu = rounds = 0;
        last = n;
        const t0 = cpuNs();
        await body(n);
        cpu += cpuNs() - t0;
        rounds += n;
        // The running total, one line per run; the last line of each worker is its figure.
        console.error(`CPU ${c.name} w${ctx.index} ${(cpu / rounds).toFixed(0)} ns/round trip`);
      };
    },
  };
}

const files = [
  "../floors_bench.ts",
  "../platform_bench.ts",
  "../lock_bench.ts",
  "../async_handoff_bench.ts",
  "./waitasync_cases.ts",
];
const all: Case[] = [];
for (const f of files) all.push(...(await import(f) as { cases: Case[] }).cases);
export const cases: Case[] = all
  .filter((c): c is ThreadsCase =>
    c.kind === "threads" && c.group === "handoff" && !c.name.startsWith("peer.")
  )
  .map(measured);
