/**
 * Counts what one async hand-off does: `Atomics.waitAsync` calls (and how they settle),
 * `Atomics.notify` calls and timers created, per round trip, for each async ping-pong row.
 * Wraps the globals in its own workers only. Run by `count.ts`.
 *
 * @module
 */

import type { Case, ThreadsCase } from "../harness/types.ts";

const counts: Record<string, number> = {};
const bump = (k: string) => (counts[k] = (counts[k] ?? 0) + 1);

function instrument(): void {
  const A = Atomics as any;
  if (A.__counted) return;
  A.__counted = true;
  const wa = A.waitAsync.bind(Atomics);
  A.waitAsync = (...args: any[]) => {
    bump("waitAsync");
    const r = wa(...args);
    if (!r.async) bump(`waitAsync sync ${r.value}`);
    else r.value.then((v: string) => bump(`waitAsync → ${v}`));
    return r;
  };
  const notify = A.notify.bind(Atomics);
  A.notify = (...args: any[]) => {
    const n = notify(...args);
    bump(`notify woke ${n}`);
    return n;
  };
  const g = globalThis as any;
  for (const name of ["setInterval", "setTimeout", "clearInterval", "clearTimeout"]) {
    const f = g[name];
    g[name] = (...args: any[]) => {
      bump(name);
      return f(...args);
    };
  }
}

/** `c` with its body counting, reporting per round trip to stderr after each run. */
function counted(c: ThreadsCase): ThreadsCase {
  return {
    ...c,
    name: `count.${c.name}`,
    compare: [],
    async body(input, ctx) {
      instrument();
      const body = await c.body(input, ctx);
      return async (n) => {
        for (const k of Object.keys(counts)) delete counts[k];
        await body(n);
        if (ctx.index === 0 && n >= 100) {
          const per = Object.entries(counts).map(([k, v]) => `${k} ${(v / n).toFixed(2)}`);
          console.error(`${c.name} w${ctx.index} n=${n}: ${per.join(", ")}`);
        }
        if (ctx.index === 1 && n >= 100) {
          const per = Object.entries(counts).map(([k, v]) => `${k} ${(v / n).toFixed(2)}`);
          console.error(`${c.name} w${ctx.index} n=${n}: ${per.join(", ")}`);
        }
      };
    },
  };
}

const { cases: lock } = await import("../lock_bench.ts");
const { cases: asyncRows } = await import("../async_handoff_bench.ts");
const { cases: floors } = await import("../floors_bench.ts");
export const cases: Case[] = [...floors, ...lock, ...asyncRows]
  .filter((c): c is ThreadsCase => c.kind === "threads" && /async/.test(c.name))
  .map(counted);
