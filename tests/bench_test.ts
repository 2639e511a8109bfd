/**
 * The benchmark harness still works: `bench/run.ts --smoke` on the runtime running this test
 * (1 run, tiny iteration counts, CPython/C references included where present), into a temporary
 * directory. Checks that the three result files are written and that every benchmark of the
 * issue that exists in the code has a row with either a figure or the clear message of its
 * failure (a stuck case must time out and say so, not hang or vanish), and every target row a
 * mark. No timing is asserted: the figures of a smoke run mean nothing. Exit code 1 (a case
 * failed) is accepted here; the failure itself is the business of that primitive's tests.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const g = globalThis as any;
const runtime = g.Deno !== undefined ? "deno" : g.Bun !== undefined ? "bun" : "node";
const exe: string = runtime === "deno" ? g.Deno.execPath() : g.process.execPath;
const repo = fileURLToPath(new URL("../", import.meta.url));

/** Benchmarks whose subject exists in the code: each must have a figure. */
const EXPECTED = [
  "floor.cas-store",
  "floor.wait-notify",
  "platform.postmessage-rt",
  "platform.postmessage-oneway",
  "lock.try-release",
  "lock.sync-release",
  "lock.async-release",
  "peer.async-mutex",
  "lock.pingpong",
  "event.pingpong",
  "semaphore.pingpong",
  "condition.pingpong",
  "lock.contended-2",
  "lock.contended-4",
  "lock.contended-8",
  "peer.mt-mutex.contended-2",
  "peer.mt-mutex.contended-4",
  "peer.mt-mutex.contended-8",
  "queue.oneway",
  "queue.oneway-f64",
  "queue.mpmc-4x4",
  "peer.ringbuf-spsc",
  "floor.locked-ring-objects",
  "floor.spsc-lane-objects",
  "floor.spsc-lane-f64",
  "pool.tiny-tasks",
  "thread.start-join",
  "platform.worker-start-exit",
  "platform.worker-start",
];

test("bench: --smoke on this runtime writes latest.json, latest.md and latest.svg", {
  timeout: 60_000,
}, () => {
  const out = mkdtempSync(join(tmpdir(), "threadkit-bench-test-"));
  try {
    const env = { ...g.process.env };
    delete env.NODE_TEST_CONTEXT; // the child is a benchmark, not a test file
    const args = [
      ...(runtime === "deno" ? ["run", "-A"] : []),
      join(repo, "bench", "run.ts"),
      "--smoke",
      "--runtimes",
      "current",
      "--out",
      out,
    ];
    const result = spawnSync(exe, args, { cwd: repo, env, encoding: "utf8", timeout: 50_000 });
    assert.ok(
      result.status === 0 || result.status === 1,
      `bench/run.ts --smoke failed (${
        result.status ?? result.signal
      }):\n${result.stderr}\n${result.stdout}`,
    );

    const report = JSON.parse(readFileSync(join(out, "latest.json"), "utf8"));
    assert.equal(report.mode, "smoke");
    assert.deepEqual(report.runtimes.map((r: any) => [r.runtime, r.ok]), [[runtime, true]]);
    const rows: any[] = report.rows;
    for (const row of rows) {
      assert.equal(row.runtime, runtime);
      for (
        const key of [
          "runtimeVersion",
          "benchmark",
          "unit",
          "median",
          "min",
          "max",
          "runs",
          "baseline",
          "ratio",
        ]
      ) {
        assert.ok(key in row, `row ${row.benchmark} has no ${key}`);
      }
    }
    for (const name of EXPECTED) {
      const row = rows.find((r) => r.benchmark === name);
      assert.ok(row !== undefined, `no row for ${name}`);
      const measured = Number.isFinite(row.median) && row.median > 0;
      assert.ok(
        measured || / failed: ./.test(row.note ?? ""),
        `${name} has neither a figure nor an error message: ${row.note}`,
      );
    }
    const targets = rows.filter((r) => r.target !== null);
    assert.ok(targets.length >= 12, `only ${targets.length} target rows`);
    for (const row of targets) {
      assert.ok(
        ["met", "missed", "not run"].includes(row.status),
        `${row.benchmark} vs ${row.baseline}: ${row.status}`,
      );
      if (row.status !== "not run") assert.equal(row.ratio, row.median / row.baselineMedian);
    }
    assert.ok(Array.isArray(report.references));

    const md = readFileSync(join(out, "latest.md"), "utf8");
    assert.match(md, /## Targets/);
    assert.match(md, /lock\.try-release/);
    const svg = readFileSync(join(out, "latest.svg"), "utf8");
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(svg, /<\/svg>\s*$/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test(
  "bench: the V8 shared-struct peers run in a process of their own, with the flag (n/a on Bun)",
  {
    timeout: 60_000,
  },
  () => {
    const out = mkdtempSync(join(tmpdir(), "threadkit-bench-test-"));
    try {
      const env = { ...g.process.env };
      delete env.NODE_TEST_CONTEXT;
      // N1 only (in-thread, no workers): proves the flag reaches that process and not the main one.
      const args = [
        ...(runtime === "deno" ? ["run", "-A"] : []),
        join(repo, "bench", "run.ts"),
        "--smoke",
        "--struct",
        "--runtimes",
        "current",
        "--filter",
        "harmony.lock.sync-release",
        "--out",
        out,
      ];
      const result = spawnSync(exe, args, { cwd: repo, env, encoding: "utf8", timeout: 50_000 });
      assert.equal(result.status, 0, `bench/run.ts failed:\n${result.stderr}\n${result.stdout}`);
      const rows: any[] = JSON.parse(readFileSync(join(out, "latest.json"), "utf8")).rows;
      const ours = rows.find((r) => r.benchmark === "harmony.lock.sync-release");
      const native = rows.find((r) => r.benchmark === "peer.v8-mutex.lock");
      assert.ok(ours !== undefined && native !== undefined, JSON.stringify(rows));
      if (runtime === "bun") {
        assert.match(ours.note, /skipped: n\/a on Bun/);
        assert.equal(ours.baseline, null); // no comparison where there is no native
      } else {
        assert.ok(native.median > 0, `native figure: ${JSON.stringify(native)}`);
        assert.equal(ours.baseline, "peer.v8-mutex.lock");
        assert.equal(ours.target.id, "N1");
        assert.equal(ours.ratio, ours.median / native.median);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  },
);
