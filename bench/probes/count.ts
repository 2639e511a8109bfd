/**
 * Probe: per-round-trip counts of waitAsync calls, notifies and timers (see `count_cases.ts`).
 *
 *   node bench/probes/count.ts   (deno run -A …, bun …)
 *
 * @module
 */

import { RUNTIME } from "../harness/env.ts";
import { type Found, measureGroup } from "../harness/measure.ts";
import type { Case } from "../harness/types.ts";

const module = new URL("./count_cases.ts", import.meta.url).href;
const { cases } = await import(module) as { cases: Case[] };
const found: Found[] = cases.map((c) => ({ case: c, module }));
await measureGroup(
  found,
  { mode: "quick", runs: 1, runMs: 50, microMs: 40, stallMs: 20_000 },
  (l) => {
    if (l.includes("✗")) console.error(l);
  },
);
await new Promise((r) => setTimeout(r, 1000));
const g = globalThis as any;
if (RUNTIME === "deno") g.Deno.exit(0);
else g.process.exit(0);
