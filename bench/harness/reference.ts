/**
 * Reference figures printed beside the benchmarks, never gating: CPython's `threading.Lock` and
 * `queue.Queue` (timeit), and C (pthread mutex, raw futex ping-pong) compiled on the spot with
 * `cc` into a temporary directory. A missing tool is reported as skipped, with a note.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { median } from "./env.ts";
import type { Plan } from "./types.ts";

/** One reference figure, or why it is missing. */
export interface Reference {
  name: string;
  title: string;
  tool: string;
  unit: string;
  samples: number[];
  median: number;
  min: number;
  max: number;
  runs: number;
  /** The benchmark case to read it beside. */
  besides: string;
  skipped?: string;
}

const TITLES: Record<string, { title: string; besides: string }> = {
  "python.lock": {
    title: "CPython threading.Lock acquire() + release()",
    besides: "lock.sync-release",
  },
  "python.queue": {
    title: "CPython queue.Queue put() + get(), one thread",
    besides: "queue.oneway",
  },
  "c.cas-store": { title: "C11 atomic CAS + store, seq_cst", besides: "floor.cas-store" },
  "c.pthread-mutex": {
    title: "C pthread_mutex_lock + unlock, uncontended",
    besides: "lock.sync-release",
  },
  "c.futex-pingpong": {
    title: "C futex ping-pong between two threads",
    besides: "floor.wait-notify",
  },
  "c.mutex-contended-2": {
    title: "C 2 threads increment under one pthread mutex",
    besides: "lock.contended-2",
  },
  "c.mutex-contended-4": {
    title: "C 4 threads increment under one pthread mutex",
    besides: "lock.contended-4",
  },
  "c.mutex-contended-8": {
    title: "C 8 threads increment under one pthread mutex",
    besides: "lock.contended-8",
  },
};

function figure(name: string, tool: string, unit: string, samples: number[]): Reference {
  const info = TITLES[name] ?? { title: name, besides: "" };
  return {
    name,
    title: info.title,
    tool,
    unit,
    samples,
    median: median(samples),
    min: Math.min(...samples),
    max: Math.max(...samples),
    runs: samples.length,
    besides: info.besides,
  };
}

function skipped(names: string[], tool: string, unit: string, why: string): Reference[] {
  return names.map((name) => ({
    ...figure(name, tool, unit, [NaN]),
    samples: [],
    runs: 0,
    skipped: why,
  }));
}

/** Where `command` runs from, or `undefined` if it does not run. */
function version(command: string, args: string[]): string | undefined {
  const result = spawnSync(command, args, { encoding: "utf8", timeout: 10_000 });
  if (result.error !== undefined || result.status !== 0) return undefined;
  return (result.stdout || result.stderr).trim().split("\n")[0];
}

const PYTHON = `
import json, queue, sys, threading, timeit
runs, number = int(sys.argv[1]), int(sys.argv[2])
lock = threading.Lock()
q = queue.Queue()
for name, stmt, env in (
    ("python.lock", "acquire(); release()", {"acquire": lock.acquire, "release": lock.release}),
    ("python.queue", "put(1); get()", {"put": q.put, "get": q.get}),
):
    timeit.timeit(stmt, globals=env, number=number)  # warm-up
    times = timeit.repeat(stmt, globals=env, number=number, repeat=runs)
    print(json.dumps({"name": name, "samples": [t * 1e9 / number for t in times]}))
`;

/** Measures the CPython figures, or reports them skipped. */
function python(plan: Plan, log: (line: string) => void): Reference[] {
  const names = ["python.lock", "python.queue"];
  const v = version("python3", ["--version"]);
  if (v === undefined) return skipped(names, "python3", "ns/op", "python3 not found");
  const number = plan.mode === "smoke" ? 2_000 : plan.mode === "quick" ? 200_000 : 1_000_000;
  const result = spawnSync("python3", ["-c", PYTHON, String(plan.runs), String(number)], {
    encoding: "utf8",
    timeout: 120_000,
  });
  if (result.status !== 0) {
    return skipped(
      names,
      v,
      "ns/op",
      `python3 failed: ${(result.stderr || String(result.error)).trim()}`,
    );
  }
  log(`reference: ${v}`);
  return result.stdout.trim().split("\n").map((line) => {
    const { name, samples } = JSON.parse(line);
    return figure(name, v, "ns/op", samples);
  });
}

/** Compiles and runs `reference/reference.c`, or reports its figures skipped. */
function c(plan: Plan, log: (line: string) => void): Reference[] {
  const names = Object.keys(TITLES).filter((n) => n.startsWith("c."));
  const v = version("cc", ["--version"]);
  if (v === undefined) return skipped(names, "cc", "ns", "cc not found");
  const dir = mkdtempSync(join(tmpdir(), "threadkit-bench-c-"));
  try {
    const source = fileURLToPath(new URL("../reference/reference.c", import.meta.url));
    const binary = join(dir, "reference");
    const built = spawnSync("cc", ["-O2", "-pthread", "-o", binary, source], {
      encoding: "utf8",
      timeout: 120_000,
    });
    if (built.status !== 0) {
      return skipped(names, v, "ns", `cc failed: ${(built.stderr || String(built.error)).trim()}`);
    }
    const scale = plan.mode === "smoke" ? 0.005 : plan.mode === "quick" ? 0.25 : 1;
    const ran = spawnSync(binary, [String(plan.runs), String(scale)], {
      encoding: "utf8",
      timeout: 300_000,
    });
    if (ran.status !== 0) {
      return skipped(
        names,
        v,
        "ns",
        `reference program failed: ${(ran.stderr || String(ran.error)).trim()}`,
      );
    }
    log(`reference: ${v}`);
    return ran.stdout.trim().split("\n").map((line) => {
      const { name, unit, samples } = JSON.parse(line);
      return figure(name, `cc -O2 (${v})`, unit, samples);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every reference figure, measured one after the other on an otherwise idle machine. */
export function references(plan: Plan, log: (line: string) => void): Reference[] {
  return [...python(plan, log), ...c(plan, log)];
}
