/**
 * Turns the runtime reports into the three result files: `latest.json` (machine-readable rows),
 * `latest.md` (the tables) and `latest.svg` (a hand-written chart of the target ratios).
 *
 * A row is one benchmark on one runtime beside one baseline of the same run: ratio = benchmark
 * median / baseline median, lower is better. Baselines (floors, platform, peers) get a row of
 * their own with no baseline. A target is met when ratio ≤ its max; every target row is marked
 * met or missed, and a row whose benchmark or baseline did not run says so.
 *
 * @module
 */

import type { Reference } from "./reference.ts";
import type { Measured, RuntimeName, RuntimeReport, Target } from "./types.ts";

/** One line of `latest.json`. */
export interface Row {
  runtime: RuntimeName;
  runtimeVersion: string;
  benchmark: string;
  title: string;
  role: string;
  group: string;
  unit: string;
  median: number | null;
  min: number | null;
  max: number | null;
  runs: number;
  samples: number[];
  iterations?: number;
  workers?: number;
  baseline: string | null;
  baselineMedian: number | null;
  ratio: number | null;
  target: Target | null;
  /** The issue item of a comparison without a target, e.g. `"P4"`. */
  tag: string | null;
  status: "met" | "missed" | "not run" | null;
  note?: string;
}

/** A runtime that was asked for, and what became of it. */
export interface RuntimeStatus {
  runtime: RuntimeName;
  version: string | null;
  ok: boolean;
  seconds: number | null;
  note?: string;
}

export interface Report {
  schema: 1;
  generatedAt: string;
  mode: string;
  machine: {
    cpus: number;
    platform: string;
    arch: string;
    model: string;
    /** 1/5/15-minute load averages: other work on the machine while this ran. */
    loadAverage: { atStart: number[]; atEnd: number[] };
  };
  command: string;
  ratio: string;
  runtimes: RuntimeStatus[];
  rows: Row[];
  references: Reference[];
  pending: string[];
}

const finite = (x: number) => (Number.isFinite(x) ? x : null);

/** Rows of one runtime's report. */
export function rowsOf(report: RuntimeReport): Row[] {
  const byName = new Map(report.cases.map((c) => [c.name, c]));
  const rows: Row[] = [];
  const base = (c: Measured) => ({
    runtime: report.runtime,
    runtimeVersion: report.version,
    benchmark: c.name,
    title: c.title,
    role: c.role,
    group: c.group,
    unit: c.unit,
    median: finite(c.median),
    min: finite(c.min),
    max: finite(c.max),
    runs: c.runs,
    samples: c.samples,
    ...(c.iterations !== undefined ? { iterations: c.iterations } : {}),
    ...(c.workers !== undefined ? { workers: c.workers } : {}),
  });
  const why = (c: Measured | undefined, name: string) =>
    c === undefined
      ? `${name} was not measured`
      : c.skipped !== undefined
      ? `${name} skipped: ${c.skipped}`
      : c.error !== undefined
      ? `${name} failed: ${c.error}`
      : undefined;
  for (const c of report.cases) {
    const compare = c.compare.filter((cmp) =>
      cmp.runtimes === undefined || cmp.runtimes.includes(report.runtime)
    );
    if (compare.length === 0) {
      const note = why(c, c.name);
      rows.push({
        ...base(c),
        baseline: null,
        baselineMedian: null,
        ratio: null,
        target: null,
        tag: null,
        status: null,
        ...(note !== undefined ? { note } : {}),
      });
      continue;
    }
    for (const cmp of compare) {
      const b = byName.get(cmp.baseline);
      const note = why(c, c.name) ?? why(b, cmp.baseline);
      const ratio = note === undefined && b !== undefined ? c.median / b.median : NaN;
      rows.push({
        ...base(c),
        baseline: cmp.baseline,
        baselineMedian: b !== undefined ? finite(b.median) : null,
        ratio: finite(ratio),
        target: cmp.target ?? null,
        tag: cmp.target?.id ?? cmp.tag ?? null,
        status: cmp.target === undefined
          ? null
          : Number.isFinite(ratio)
          ? (ratio <= cmp.target.max ? "met" : "missed")
          : "not run",
        ...(note !== undefined ? { note } : {}),
      });
    }
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Markdown

/** A figure in ns, in a readable unit: `12.3 ns`, `4.56 µs`. */
export function ns(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return "—";
  if (x >= 1e6) return `${(x / 1e6).toPrecision(3)} ms`;
  if (x >= 1e3) return `${(x / 1e3).toPrecision(3)} µs`;
  return `${x.toPrecision(3)} ns`;
}

/** `1.08×` with enough digits to tell 0.05 from 0.2. */
export function times(r: number | null): string {
  if (r === null || !Number.isFinite(r)) return "—";
  return `${r < 0.1 ? r.toPrecision(2) : r.toFixed(2)}×`;
}

/** A row whose case or baseline skipped itself as not applicable here (its note says why). */
function isNotApplicable(row: Row): boolean {
  return row.note?.includes(" skipped: n/a") === true;
}

const MARK = { met: "✅ met", missed: "❌ missed", "not run": "⚪ not run" } as const;

interface Pair {
  benchmark: string;
  baseline: string;
  target: Target | null;
  tag: string | null;
}

/** Distinct benchmark/baseline pairs across runtimes, in first-seen order. */
function pairs(rows: Row[], withTarget: boolean): Pair[] {
  const seen = new Map<string, Pair>();
  for (const r of rows) {
    if (r.baseline === null || (r.target !== null) !== withTarget) continue;
    const key = `${r.benchmark} ${r.baseline}`;
    if (!seen.has(key)) {
      seen.set(key, { benchmark: r.benchmark, baseline: r.baseline, target: r.target, tag: r.tag });
    }
  }
  const list = [...seen.values()];
  if (withTarget) list.sort((a, b) => a.target!.id.localeCompare(b.target!.id));
  return list;
}

function cell(
  rows: Row[],
  runtime: RuntimeName,
  benchmark: string,
  baseline: string | null,
): Row | undefined {
  return rows.find((r) =>
    r.runtime === runtime && r.benchmark === benchmark && r.baseline === baseline
  );
}

function ratioCell(row: Row | undefined): string {
  if (row === undefined) return "—";
  if (row.ratio === null) {
    // A case that cannot exist on this runtime (e.g. V8's natives on Bun) says n/a, not "not run".
    if (isNotApplicable(row)) return "n/a";
    return row.status === "not run" ? MARK["not run"] : "—";
  }
  const mark = row.status === "met" || row.status === "missed" ? ` ${MARK[row.status]}` : "";
  return `${times(row.ratio)}${mark}`;
}

/** A target as people say it, with the ratio that meets it when the wording does not say. */
export function goal(target: Target): string {
  return target.text.startsWith("≤") ? target.text : `${target.text} (ratio ≤ ${target.max})`;
}

/** The tables of `latest.md`. */
export function markdown(report: Report): string {
  const ok = report.runtimes;
  const names = ok.map((r) => r.runtime);
  const head = ok.map((r) => `${r.runtime} ${r.version ?? "(missing)"}`);
  const lines: string[] = [];
  const table = (header: string[], body: string[][]) => {
    lines.push(`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`);
    for (const row of body) lines.push(`| ${row.join(" | ")} |`);
    lines.push("");
  };

  lines.push(
    "# threadkit benchmarks",
    "",
    `Generated ${report.generatedAt} by \`${report.command}\` (${report.mode} mode) on ${report.machine.cpus} CPUs ` +
      `(${report.machine.model}, ${report.machine.platform}/${report.machine.arch}).`,
    "",
    `Load average (1/5/15 min) at start ${
      report.machine.loadAverage.atStart.join(" / ")
    }, at end ` +
      `${
        report.machine.loadAverage.atEnd.join(" / ")
      }: anything above 0 is other work sharing the CPUs.`,
    "",
    `${report.ratio} Figures are medians of the runs; the machine is shared and noisy (±30–50% between ` +
      "batches), so only ratios from the same run mean anything.",
    "",
  );
  for (const r of ok) {
    if (!r.ok) lines.push(`- **${r.runtime}: not measured** — ${r.note ?? "unknown error"}`);
  }
  if (ok.some((r) => !r.ok)) lines.push("");

  lines.push("## Targets", "");
  const targetRows = pairs(report.rows, true).map((p) => [
    p.target!.id,
    `\`${p.benchmark}\``,
    `\`${p.baseline}\``,
    goal(p.target!),
    ...names.map((n) => ratioCell(cell(report.rows, n, p.benchmark, p.baseline))),
  ]);
  table(["Target", "Benchmark", "Baseline", "Goal", ...head], targetRows);
  const absent = pairs(report.rows, true).some((p) =>
    names.some((n) => cell(report.rows, n, p.benchmark, p.baseline) === undefined)
  );
  if (absent) {
    lines.push(
      "— : that comparison is not made on that runtime (its baseline runs on the others only, " +
        "or is n/a there: the reason is in All figures).",
      "",
    );
  }
  if (report.rows.some((r) => r.benchmark.startsWith("harmony."))) {
    lines.push(
      "N1–N3 (`harmony.*` = threadkit's own case, `peer.v8-*` = V8's native `Atomics.Mutex` / " +
        "`Atomics.Condition`) come from a separate process per runtime started with the V8 flag " +
        "(`node --harmony-struct`, `deno run --v8-flags=--harmony-struct`; Bun has none); every " +
        "other row comes from a process without it (`bench/v8_struct_suite.ts`).",
      "",
    );
  }
  const counts = names.map((n) => {
    const rs = report.rows.filter((r) =>
      r.runtime === n && r.target !== null && !isNotApplicable(r)
    );
    const met = rs.filter((r) => r.status === "met").length;
    return `${n}: ${met}/${rs.length} met`;
  });
  lines.push(`Summary: ${counts.join("; ")}.`, "");

  lines.push("## Other comparisons (no target)", "");
  table(
    ["Issue", "Benchmark", "Baseline", ...head],
    pairs(report.rows, false).map((p) => [
      p.tag ?? "",
      `\`${p.benchmark}\``,
      `\`${p.baseline}\``,
      ...names.map((n) => ratioCell(cell(report.rows, n, p.benchmark, p.baseline))),
    ]),
  );

  lines.push("## All figures", "", "Median (min – max) over the runs; lower is better.", "");
  const benchmarks = [...new Map(report.rows.map((r) => [r.benchmark, r])).values()];
  table(
    ["Benchmark", "Role", "Unit", ...head],
    benchmarks.map((b) => [
      `\`${b.benchmark}\` ${b.title}`,
      b.role,
      b.unit.replace(/^ns/, ""),
      ...names.map((n) => {
        const r = report.rows.find((x) => x.runtime === n && x.benchmark === b.benchmark);
        if (r === undefined) return "—";
        if (r.median === null) {
          return r.note !== undefined ? `— (${r.note.replace(/\|/g, "/")})` : "—";
        }
        return `${ns(r.median)} (${ns(r.min)} – ${ns(r.max)}), ${r.runs} runs`;
      }),
    ]),
  );

  lines.push("## Reference figures (not gating)", "");
  table(
    [
      "Figure",
      "Tool",
      "Median",
      "Min – max",
      "Runs",
      "Read beside",
      ...head.map((h) => `${h}: that benchmark`),
    ],
    report.references.map((f) => [
      `\`${f.name}\` ${f.title}`,
      f.tool,
      f.skipped !== undefined
        ? `skipped: ${f.skipped}`
        : `${ns(f.median)}${f.unit.replace(/^ns/, "")}`,
      f.skipped !== undefined ? "—" : `${ns(f.min)} – ${ns(f.max)}`,
      String(f.runs),
      f.besides ? `\`${f.besides}\`` : "—",
      ...names.map((n) =>
        ns(report.rows.find((x) => x.runtime === n && x.benchmark === f.besides)?.median ?? null)
      ),
    ]),
  );

  if (report.pending.length > 0) {
    lines.push("## Pending", "", ...report.pending.map((p) => `- ${p}`), "");
  }
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------
// SVG

const COLORS: Record<RuntimeName, string> = { node: "#3c873a", deno: "#4a5568", bun: "#d8589c" };

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(
    /"/g,
    "&quot;",
  );
}

/** A hand-written horizontal bar chart of every target ratio, log scale, per runtime. */
export function svg(report: Report): string {
  const names = report.runtimes.filter((r) => r.ok).map((r) => r.runtime);
  const list = pairs(report.rows, true);
  const ratios = report.rows.filter((r) => r.target !== null && r.ratio !== null).map((r) =>
    r.ratio!
  );
  const limits = list.map((p) => p.target!.max);
  const lo = Math.max(
    1e-3,
    Math.min(0.1, ...ratios.map((r) => r / 1.5), ...limits.map((l) => l / 2)),
  );
  const hi = Math.min(1e3, Math.max(2, ...ratios.map((r) => r * 1.5), ...limits.map((l) => l * 2)));
  const [loDecade, hiDecade] = [Math.floor(Math.log10(lo)), Math.ceil(Math.log10(hi))];

  // Room for the longest label at ~6.6 px per character of the 12 px font.
  const labelW = Math.max(
    300,
    ...list.map((p) =>
      16 + 6.6 * Math.max(
          `${p.target!.id} ${p.benchmark}`.length,
          `vs ${p.baseline} (goal ≤ ${p.target!.max}×)`.length,
        )
    ),
  );
  const plotW = 560;
  const barH = 9;
  const rowH = Math.max(Math.max(names.length, 1) * (barH + 2) + 12, 40);
  const top = 58;
  const width = labelW + plotW + 110;
  const height = top + list.length * rowH + 40;
  const x = (r: number) => labelW + ((Math.log10(r) - loDecade) / (hiDecade - loDecade)) * plotW;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="12" y="20" font-size="15" font-weight="600">threadkit: time ratio to baseline, same run (lower is better; log scale)</text>`,
    `<text x="12" y="38" fill="#555">${
      escape(
        `${report.mode} run, ${
          report.generatedAt.slice(0, 10)
        }, ${report.machine.cpus} CPUs. Red tick: target limit; grey line: 1× (as fast as the baseline).`,
      )
    }</text>`,
  );
  // Legend.
  names.forEach((n, i) => {
    const v = report.runtimes.find((r) => r.runtime === n)!.version;
    out.push(
      `<rect x="${labelW + i * 130}" y="${top - 14}" width="10" height="10" fill="${COLORS[n]}"/>`,
      `<text x="${labelW + i * 130 + 14}" y="${top - 5}">${escape(`${n} ${v}`)}</text>`,
    );
  });
  // Grid: decades, plus their 2× and 5× lines (labelled only when there is room).
  const labelAll = hiDecade - loDecade <= 3;
  for (let d = loDecade; d <= hiDecade; d++) {
    for (const m of [1, 2, 5]) {
      const r = m * 10 ** d;
      if (r < 10 ** loDecade || r > 10 ** hiDecade) continue;
      const gx = x(r).toFixed(1);
      out.push(
        `<line x1="${gx}" y1="${top}" x2="${gx}" y2="${height - 30}" stroke="${
          r === 1 ? "#888" : "#e5e5e5"
        }" stroke-width="${r === 1 ? 1.5 : 1}"/>`,
      );
      if (m !== 1 && !labelAll) continue;
      out.push(
        `<text x="${gx}" y="${height - 16}" text-anchor="middle" fill="#555">${
          r >= 1 ? r : Number(r.toPrecision(1))
        }×</text>`,
      );
    }
  }
  list.forEach((p, i) => {
    const y0 = top + i * rowH + 6;
    out.push(
      `<text x="${labelW - 8}" y="${y0 + 9}" text-anchor="end" font-weight="600">${
        escape(`${p.target!.id} ${p.benchmark}`)
      }</text>`,
      `<text x="${labelW - 8}" y="${y0 + 23}" text-anchor="end" fill="#555">${
        escape(`vs ${p.baseline} (goal ≤ ${p.target!.max}×)`)
      }</text>`,
    );
    const labels: string[] = [];
    names.forEach((n, j) => {
      const row = cell(report.rows, n, p.benchmark, p.baseline);
      const by = y0 + j * (barH + 2);
      if (row?.ratio == null) {
        // No row: the comparison is not made on this runtime (its baseline runs elsewhere only).
        const why = row === undefined ? "no baseline on this runtime" : "not run";
        out.push(
          `<text x="${labelW + 4}" y="${by + barH - 1}" fill="#999" font-size="10">${
            escape(`${n}: ${why}`)
          }</text>`,
        );
        return;
      }
      const bx = x(10 ** loDecade);
      const w = Math.max(1, x(Math.min(row.ratio, 10 ** hiDecade)) - bx);
      out.push(
        `<rect x="${bx.toFixed(1)}" y="${by}" width="${w.toFixed(1)}" height="${barH}" fill="${
          COLORS[n]
        }"/>`,
      );
      const mark = row.status === "met" ? "✓" : "✗";
      // A white halo keeps the figure readable where it crosses the grid or the target tick.
      labels.push(
        `<text x="${(bx + w + 4).toFixed(1)}" y="${by + barH - 1}" font-size="10" fill="${
          row.status === "met" ? "#1a7f37" : "#cf222e"
        }" stroke="#ffffff" stroke-width="3" paint-order="stroke">${
          escape(`${times(row.ratio)} ${mark}`)
        }</text>`,
      );
    });
    // The target tick over the bars, then the figures over everything.
    const tx = x(p.target!.max).toFixed(1);
    out.push(
      `<line x1="${tx}" y1="${y0 - 3}" x2="${tx}" y2="${
        y0 + names.length * (barH + 2) + 1
      }" stroke="#d62728" stroke-width="2"/>`,
      ...labels,
    );
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}
