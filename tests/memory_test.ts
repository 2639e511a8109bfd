/**
 * Memory (issue 10): 1,000,000 async acquire/release cycles of a Lock and 100,000 aborted waits
 * (Lock, Semaphore, Event, Queue) leave the heap flat. `tests/memory/heap_main.ts` runs in a
 * child process of the runtime running this test, with GC exposed, and reports the heap after a
 * full GC before and after each batch (after a warm-up batch, so JIT code and inline caches are
 * already there).
 *
 * Bound: {@link MAX_GROWTH} bytes per batch, i.e. 2 bytes per acquire/release cycle or 80 bytes
 * per aborted wait: a leak of one small object per operation (a closure, a Promise, a waitAsync
 * record: 16+ bytes) passes it. Warm-up noise measured on Node 24: under 0.2 MiB.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("./memory/heap_main.ts", import.meta.url));
/** Largest heap growth allowed per batch, in bytes. */
const MAX_GROWTH = 2 * 1024 * 1024;

interface Measurement {
  what: string;
  ops: number;
  before: number;
  after: number;
  growth: number;
  ms: number;
}

function runHeapMain(): Promise<Measurement[]> {
  const g = globalThis as { Deno?: unknown; Bun?: unknown };
  const exec = (globalThis as unknown as { process: { execPath: string } }).process.execPath;
  const args = g.Deno !== undefined
    ? ["run", "-A", "--no-check", "--v8-flags=--expose-gc", MAIN]
    : g.Bun !== undefined
    ? [MAIN]
    : ["--expose-gc", MAIN];
  return new Promise((resolve, reject) => {
    execFile(exec, args, { timeout: 240_000 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`heap_main failed: ${error.message}\n${stdout}\n${stderr}`));
        return;
      }
      const lines = String(stdout).split("\n").filter((line) => line.startsWith("{"));
      resolve(lines.map((line) => JSON.parse(line) as Measurement));
    });
  });
}

test("memory: 1,000,000 async acquire/release cycles and 100,000 aborted waits leave the heap flat", async () => {
  const measurements = await runHeapMain();
  for (const m of measurements) {
    console.log(
      `memory: ${m.what} x${m.ops}: heap ${m.before} -> ${m.after} bytes ` +
        `(${m.growth >= 0 ? "+" : ""}${m.growth}), ${m.ms.toFixed(0)} ms`,
    );
  }
  assert.deepEqual(measurements.map((m) => [m.what, m.ops]), [
    ["lock acquire/release", 1_000_000],
    ["aborted lock.acquire", 25_000],
    ["aborted semaphore.acquire", 25_000],
    ["aborted event.wait", 25_000],
    ["aborted queue.get", 25_000],
  ]);
  for (const m of measurements) {
    assert.ok(
      m.growth < MAX_GROWTH,
      `${m.what} x${m.ops} grew the heap by ${m.growth} bytes (bound ${MAX_GROWTH})`,
    );
  }
});
