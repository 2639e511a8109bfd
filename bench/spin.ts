/**
 * The spin-limit experiment (not part of `npm run bench`): the Lock's algorithm with spin bounds
 * 0 … 4000 (`SPIN_LIMIT` in src/internal/lock_word.ts is 40), measured on
 * - a hand-off ping-pong between two workers,
 * - 2 workers incrementing under one lock (one per CPU on this 2-CPU machine),
 * - 4 and 8 workers (oversubscribed),
 * - 2 and 4 workers with ~0.5 µs of local work between acquisitions,
 * with the spin bounds of one scenario measured round-robin, so they share the same noise.
 *
 *   node bench/spin.ts [--quick | --full | --smoke] [--runtimes node,deno,bun | current]
 *
 * Writes `bench/results/spin.json` and `spin.md`: per runtime and scenario, the median time of
 * each bound, the best bound, and how each compares with the best (1.00× = as fast).
 *
 * @module
 */

import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { formatFiles, runScript } from "./harness/children.ts";
import { RUNTIME, RUNTIME_VERSION } from "./harness/env.ts";
import { type Found, measureGroup } from "./harness/measure.ts";
import { ns } from "./harness/report.ts";
import { type Measured, type Plan, PLANS, type RuntimeName } from "./harness/types.ts";
import { cases, SPINS } from "./spin_cases.ts";

const g = globalThis as any;
const argv: string[] = RUNTIME === "deno" ? g.Deno.args : g.process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
function option(name: string): string | undefined {
  const at = argv.indexOf(`--${name}`);
  if (at >= 0 && argv[at + 1] !== undefined && !argv[at + 1]!.startsWith("--")) return argv[at + 1];
  return argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}
const exit = (code: number): never => {
  if (RUNTIME === "deno") g.Deno.exit(code);
  g.process.exit(code);
  throw new Error("unreachable");
};
const mode: Plan["mode"] = flag("smoke") ? "smoke" : flag("quick") ? "quick" : "full";
const plan = PLANS[mode];
const log = (line: string) => console.error(line);

interface SpinReport {
  runtime: RuntimeName;
  version: string;
  cases: Measured[];
}

/** Child: measure every scenario on this runtime and write the figures to `--out`. */
async function child(out: string): Promise<never> {
  const module = new URL("./spin_cases.ts", import.meta.url).href;
  const groups = new Map<string, Found[]>();
  for (const c of cases) groups.set(c.group, [...(groups.get(c.group) ?? []), { case: c, module }]);
  const measured: Measured[] = [];
  for (const [group, found] of groups) {
    log(`[${RUNTIME}] spin: ${group}`);
    measured.push(...await measureGroup(found, plan, (line) => log(`[${RUNTIME}] ${line}`)));
  }
  writeFileSync(
    out,
    JSON.stringify(
      { runtime: RUNTIME, version: RUNTIME_VERSION, cases: measured } satisfies SpinReport,
    ),
  );
  return exit(0);
}

const childOut = option("child");
if (childOut !== undefined) await child(childOut);

const asked = option("runtimes") ?? "node,deno,bun";
const runtimes = (asked === "current" ? [RUNTIME] : asked.split(",")) as RuntimeName[];
const scratch = join(tmpdir(), `threadkit-spin-${g.process?.pid ?? Date.now()}`);
mkdirSync(scratch, { recursive: true });
const reports: SpinReport[] = [];
const notes: string[] = [];
const script = fileURLToPath(new URL("./spin.ts", import.meta.url));
const deadline = { smoke: 60_000, quick: 300_000, full: 1_200_000 }[mode];
for (const runtime of runtimes) {
  log(`\n▶ spin experiment on ${runtime} (${mode})`);
  const out = join(scratch, `${runtime}.json`);
  const result = await runScript<SpinReport>(
    runtime,
    script,
    [`--${mode}`, "--child", out],
    out,
    deadline,
  );
  if (typeof result === "string") notes.push(result);
  else reports.push(result);
}
rmSync(scratch, { recursive: true, force: true });

/** Scenario of a case name `spin-40.contended-4-work` → `contended-4-work`. */
const scenarioOf = (name: string) => name.slice(name.indexOf(".") + 1);
const spinOf = (name: string) => Number(name.slice(5, name.indexOf(".")));

const lines: string[] = [
  "# Spin-limit experiment",
  "",
  `\`${RUNTIME} bench/spin.ts ${argv.join(" ")}\` (${mode} mode), ${
    new Date().toISOString()
  }. The Lock's own slow path ` +
  "(`lockSlow`) with each spin bound; time per round trip (ping-pong) or per increment (contended), median of the " +
  "runs; in brackets the ratio to the best bound of that scenario on that runtime (1.00× = best). " +
  "On this machine 2 workers = one per CPU; 4 and 8 = oversubscribed. `-work`: ~0.5 µs of local work between acquisitions.",
  "",
];
const summary: {
  runtime: string;
  scenario: string;
  best: number;
  current: number;
  ratio40: number;
}[] = [];
for (const r of reports) {
  const scenarios = [...new Set(r.cases.map((c) => scenarioOf(c.name)))];
  lines.push(
    `## ${r.runtime} ${r.version}`,
    "",
    `| spin | ${scenarios.join(" | ")} |`,
    `|---|${scenarios.map(() => "---").join("|")}|`,
  );
  const best = new Map<string, Measured>();
  for (const s of scenarios) {
    const ok = r.cases.filter((c) => scenarioOf(c.name) === s && Number.isFinite(c.median));
    if (ok.length > 0) best.set(s, ok.reduce((a, b) => (b.median < a.median ? b : a)));
  }
  for (const spin of SPINS) {
    const cells = scenarios.map((s) => {
      const c = r.cases.find((x) => x.name === `spin-${spin}.${s}`);
      if (c === undefined || !Number.isFinite(c.median)) {
        return c?.error !== undefined ? `failed: ${c.error}` : "—";
      }
      const b = best.get(s)!;
      const mark = b.name === c.name ? " **best**" : "";
      return `${ns(c.median)} (${(c.median / b.median).toFixed(2)}×)${mark}`;
    });
    lines.push(`| ${spin}${spin === 40 ? " (SPIN_LIMIT)" : ""} | ${cells.join(" | ")} |`);
  }
  lines.push("");
  for (const [s, b] of best) {
    const current = r.cases.find((x) => x.name === `spin-40.${s}`);
    summary.push({
      runtime: r.runtime,
      scenario: s,
      best: spinOf(b.name),
      current: 40,
      ratio40: current ? current.median / b.median : NaN,
    });
  }
}
lines.push(
  "## Best bound per scenario",
  "",
  "| runtime | scenario | best spin | SPIN_LIMIT=40 vs best |",
  "|---|---|---|---|",
);
for (const s of summary) {
  lines.push(`| ${s.runtime} | ${s.scenario} | ${s.best} | ${s.ratio40.toFixed(2)}× |`);
}
lines.push("");

/**
 * One noisy scenario can crown any bound, so the verdict is a geometric mean: for each bound, the
 * mean over scenarios (and runtimes) of its time ÷ the best bound's time there. 1.00× = best
 * everywhere. "2 workers" = one per CPU (pingpong, contended-2, contended-2-work); "oversubscribed"
 * = more workers than CPUs (contended-4, contended-8, contended-4-work).
 */
const CLASSES: Record<string, (scenario: string) => boolean> = {
  "2 workers (one per CPU)": (sc) => sc === "pingpong" || sc.startsWith("contended-2"),
  "oversubscribed (4 and 8 workers)": (sc) =>
    sc.startsWith("contended-4") || sc.startsWith("contended-8"),
};
const verdict: { runtime: string; class: string; spin: number; geomean: number }[] = [];
for (const [name, member] of Object.entries(CLASSES)) {
  for (const r of [...reports.map((x) => x.runtime as string), "all"]) {
    const mine = reports.filter((x) => r === "all" || x.runtime === r);
    for (const spin of SPINS) {
      const logs: number[] = [];
      for (const rep of mine) {
        for (const sc of new Set(rep.cases.map((c) => scenarioOf(c.name)))) {
          if (!member(sc)) continue;
          const all = rep.cases.filter((c) =>
            scenarioOf(c.name) === sc && Number.isFinite(c.median)
          );
          const c = all.find((x) => spinOf(x.name) === spin);
          if (c === undefined || all.length === 0) continue;
          logs.push(Math.log(c.median / Math.min(...all.map((x) => x.median))));
        }
      }
      if (logs.length > 0) {
        verdict.push({
          runtime: r,
          class: name,
          spin,
          geomean: Math.exp(logs.reduce((a, b) => a + b, 0) / logs.length),
        });
      }
    }
  }
}
const runtimesAndAll = [...reports.map((x) => x.runtime as string), "all"];
lines.push(
  "## Verdict: geometric mean of (time ÷ best bound's time) over the scenarios",
  "",
  `| class | spin | ${runtimesAndAll.join(" | ")} |`,
  `|---|---|${runtimesAndAll.map(() => "---").join("|")}|`,
);
for (const name of Object.keys(CLASSES)) {
  for (const spin of SPINS) {
    const cells = runtimesAndAll.map((r) => {
      const v = verdict.find((x) => x.runtime === r && x.class === name && x.spin === spin);
      const best = Math.min(
        ...verdict.filter((x) => x.runtime === r && x.class === name).map((x) => x.geomean),
      );
      return v === undefined
        ? "—"
        : `${v.geomean.toFixed(2)}×${v.geomean === best ? " **best**" : ""}`;
    });
    lines.push(`| ${name} | ${spin}${spin === 40 ? " (SPIN_LIMIT)" : ""} | ${cells.join(" | ")} |`);
  }
}
lines.push("");
if (notes.length > 0) lines.push("## Not measured", "", ...notes.map((n) => `- ${n}`), "");

const outDir = option("out") ?? fileURLToPath(new URL("./results/", import.meta.url));
mkdirSync(outDir, { recursive: true });
writeFileSync(
  join(outDir, "spin.json"),
  JSON.stringify(
    { mode, generatedAt: new Date().toISOString(), reports, summary, verdict, notes },
    null,
    2,
  ) + "\n",
);
writeFileSync(join(outDir, "spin.md"), lines.join("\n"));
formatFiles([join(outDir, "spin.json"), join(outDir, "spin.md")]);
console.log(lines.join("\n"));
exit(notes.length > 0 ? 1 : 0);
