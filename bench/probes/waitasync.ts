/**
 * Probe: the async hand-off variants of `waitasync_cases.ts` beside `floor.waitasync`,
 * `floor.wait-notify`, `platform.postmessage-rt` and `lock.pingpong-async`, all in one
 * round-robin group, printing each median as a ratio to `floor.waitasync` and to postMessage.
 *
 *   node bench/probes/waitasync.ts [--runs 7] [--run-ms 100] [--filter a,b]
 *   deno run -A bench/probes/waitasync.ts
 *   bun bench/probes/waitasync.ts
 *
 * @module
 */

import { loadavg } from "node:os";
import { RUNTIME, RUNTIME_VERSION } from "../harness/env.ts";
import { type Found, measureGroup } from "../harness/measure.ts";
import type { Case } from "../harness/types.ts";

const g = globalThis as any;
const argv: string[] = RUNTIME === "deno" ? g.Deno.args : g.process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const at = argv.indexOf(`--${name}`);
  return at >= 0 ? argv[at + 1]! : dflt;
};
const runs = Number(opt("runs", "7"));
const runMs = Number(opt("run-ms", "100"));
const filter = opt("filter", "").split(",").filter((s) => s !== "");

const found: Found[] = [];
for (
  const file of [
    "../floors_bench.ts",
    "../platform_bench.ts",
    "../lock_bench.ts",
    "../async_handoff_bench.ts",
    "./waitasync_cases.ts",
  ]
) {
  const module = new URL(file, import.meta.url).href;
  const mod = await import(module) as { cases: Case[] };
  for (const c of mod.cases) {
    if (c.kind !== "threads" || !/handoff/.test(c.group)) continue;
    if (c.name === "platform.postmessage-oneway") continue;
    const base = ["floor.waitasync", "platform.postmessage-rt"].includes(c.name);
    if (filter.length > 0 && !base && !filter.some((f) => c.name.includes(f))) continue;
    found.push({ case: c, module });
  }
}
const load0 = loadavg();
const results = await measureGroup(
  found,
  { mode: "quick", runs, runMs, microMs: 40, stallMs: Number(opt("stall-ms", "20000")) },
  (line) => console.error(line),
);
const by = new Map(results.map((r) => [r.name, r.median]));
const fa = by.get("floor.waitasync")!;
const pm = by.get("platform.postmessage-rt")!;
console.log(
  `${RUNTIME} ${RUNTIME_VERSION}; load ${load0.map((l) => l.toFixed(2)).join("/")} → ${
    loadavg().map((l) => l.toFixed(2)).join("/")
  }; ${runs} runs × ${runMs} ms, round-robin`,
);
for (const r of results) {
  console.log(
    `${r.name.padEnd(28)} ${(r.median / 1000).toFixed(2).padStart(7)} µs  ${
      (r.median / fa).toFixed(2).padStart(6)
    }× waitasync  ${(r.median / pm).toFixed(2).padStart(6)}× postMessage${
      r.error ? "  " + r.error : ""
    }`,
  );
}
if (RUNTIME === "deno") g.Deno.exit(0);
else g.process.exit(0);
