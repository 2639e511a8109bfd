/**
 * Probe: CPU time per round trip of every hand-off row, per worker (see `cpu_cases.ts`), with
 * the wall-time medians beside. Linux only.
 *
 *   node bench/probes/cpu.ts [--filter async,floor] [--runs 5]   (deno run -A …, bun …)
 *
 * @module
 */

import { loadavg } from "node:os";
import { RUNTIME } from "../harness/env.ts";
import { type Found, measureGroup } from "../harness/measure.ts";
import type { Case } from "../harness/types.ts";

const g = globalThis as any;
const argv: string[] = RUNTIME === "deno" ? g.Deno.args : g.process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const at = argv.indexOf(`--${name}`);
  return at >= 0 ? argv[at + 1]! : dflt;
};
const filter = opt("filter", "").split(",").filter((s) => s !== "");
const module = new URL("./cpu_cases.ts", import.meta.url).href;
const { cases } = await import(module) as { cases: Case[] };
const found: Found[] = cases
  .filter((c) => filter.length === 0 || filter.some((f) => c.name.includes(f)))
  .map((c) => ({ case: c, module }));
console.log(`${RUNTIME}; load ${loadavg().map((l) => l.toFixed(2)).join("/")}`);
const results = await measureGroup(
  found,
  { mode: "quick", runs: Number(opt("runs", "5")), runMs: 60, microMs: 40, stallMs: 20_000 },
  (l) => {
    if (l.includes("✗")) console.error(l);
  },
);
for (const r of results) console.log(`wall ${r.name} ${(r.median / 1000).toFixed(1)} µs`);
// Let the workers' last lines reach stderr before the process ends.
await new Promise((r) => setTimeout(r, 1000));
if (RUNTIME === "deno") g.Deno.exit(0);
else g.process.exit(0);
