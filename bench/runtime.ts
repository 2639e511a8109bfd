/**
 * Runs every benchmark case on the runtime that runs this script (`node bench/runtime.ts`,
 * `deno run -A bench/runtime.ts`, `bun bench/runtime.ts`) and writes one JSON report.
 * `bench/run.ts` starts it once per runtime; it also runs alone:
 *
 *   node bench/runtime.ts --mode quick --out /tmp/node.json [--filter lock.,event.] [--stall-ms 5000]
 *   node --harmony-struct bench/runtime.ts --suite v8_struct --mode quick --out /tmp/node-v8.json
 *
 * Cases come from every `bench/*_bench.ts` (export `cases`); see `harness/types.ts`. With
 * `--suite <name>`, from `bench/<name>_suite.ts` only: a suite that needs its own process (the
 * V8 shared-struct peers need a V8 flag that must not touch the other rows).
 * Progress goes to stderr, one line per case.
 *
 * @module
 */

import { readdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { RUNTIME, RUNTIME_VERSION } from "./harness/env.ts";
import { type Found, measureGroup } from "./harness/measure.ts";
import {
  type Case,
  GROUP_ORDER,
  type Measured,
  type Plan,
  PLANS,
  type RuntimeReport,
} from "./harness/types.ts";

const g = globalThis as any;
const argv: string[] = RUNTIME === "deno" ? g.Deno.args : g.process.argv.slice(2);

function option(name: string): string | undefined {
  const at = argv.indexOf(`--${name}`);
  if (at >= 0) return argv[at + 1];
  return argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

const mode = (option("mode") ?? "quick") as Plan["mode"];
if (PLANS[mode] === undefined) throw new Error(`Unknown --mode ${mode}: use smoke, quick or full`);
const stall = option("stall-ms");
const plan: Plan = { ...PLANS[mode], ...(stall !== undefined ? { stallMs: Number(stall) } : {}) };
const out = option("out");
const filter = option("filter");
const suite = option("suite");
const log = (line: string) => console.error(`[${RUNTIME}] ${line}`);

/** Every case of every `*_bench.ts` beside this script, in file order. */
async function discover(): Promise<Found[]> {
  const dir = new URL("./", import.meta.url);
  const files = suite !== undefined
    ? [`${suite}_suite.ts`]
    : readdirSync(fileURLToPath(dir)).filter((f) => f.endsWith("_bench.ts")).sort();
  const found: Found[] = [];
  const names = new Set<string>();
  for (const file of files) {
    const module = new URL(file, dir).href;
    const mod = await import(module) as { cases?: Case[] };
    for (const c of mod.cases ?? []) {
      if (names.has(c.name)) throw new Error(`Duplicate benchmark case ${c.name} in ${file}`);
      names.add(c.name);
      found.push({ case: c, module });
    }
  }
  return found;
}

const started = performance.now();
const startedAt = new Date().toISOString();
let found = await discover();
if (filter !== undefined) {
  // Keep the matching cases and the baselines they are compared with.
  const parts = filter.split(",");
  const keep = new Set(
    found.filter((f) => parts.some((p) => f.case.name.includes(p))).map((f) => f.case.name),
  );
  for (const f of found) {
    if (keep.has(f.case.name)) { for (const cmp of f.case.compare ?? []) keep.add(cmp.baseline); }
  }
  found = found.filter((f) => keep.has(f.case.name));
}

const groups = new Map<string, Found[]>();
for (const f of found) {
  const list = groups.get(f.case.group) ?? [];
  list.push(f);
  groups.set(f.case.group, list);
}
const order = [...groups.keys()].sort((a, b) => rank(a) - rank(b));
function rank(group: string): number {
  const i = GROUP_ORDER.indexOf(group);
  return i < 0 ? GROUP_ORDER.length : i;
}

log(
  `${RUNTIME} ${RUNTIME_VERSION}${
    suite !== undefined ? ` (suite ${suite})` : ""
  }, ${mode} mode: ${found.length} cases in ${order.length} groups`,
);
const cases: Measured[] = [];
for (const [i, group] of order.entries()) {
  log(`group ${i + 1}/${order.length} ${group}`);
  cases.push(...await measureGroup(groups.get(group)!, plan, log));
}

const report: RuntimeReport = {
  runtime: RUNTIME,
  version: RUNTIME_VERSION,
  mode,
  startedAt,
  seconds: (performance.now() - started) / 1000,
  cases,
};
const json = JSON.stringify(report, null, 1);
if (out !== undefined) writeFileSync(out, json);
else console.log(json);
log(`done in ${report.seconds.toFixed(1)} s`);

// Workers that a peer library started (and timers it left) must not keep this process alive.
if (RUNTIME === "deno") g.Deno.exit(0);
else g.process.exit(0);
