/**
 * Measures the cases of one group round-robin: every case is prepared and calibrated (which
 * warms it up), then run 1 of every case, run 2 of every case, and so on, so that a subject and
 * its baseline share the same minutes of a noisy machine.
 *
 * - micro cases: one mitata `measure` per run; the figure is its p50 per operation.
 * - threads cases: the workers of the case, started once, run in lock-step through the control
 *   block; the parent times each run from GO to the last DONE.
 * - main cases: `run(n)` timed on this thread.
 *
 * Every wait is bounded by the plan's `stallMs`; a case that stalls or throws is reported with
 * its error and the group goes on without it.
 *
 * @module
 */

import { measure as mitata } from "mitata";
import { CONTROL_SLOTS, DONE, FAIL, GO, ITER, QUIT, READY, waitUntil } from "./control.ts";
import { median, RUNTIME, sleep, startWorker } from "./env.ts";
import type { HarnessWorker } from "./env.ts";
import type { Case, MainCase, Measured, MicroCase, Plan, ThreadsCase } from "./types.ts";

const WORKER_URL = new URL("./worker.ts", import.meta.url);

/** A case ready to be run again and again. */
interface Prepared {
  /** One run: its figure in the case's unit. */
  run(): Promise<number>;
  close(): Promise<void>;
  iterations?: number;
}

/** How a case is reported while it runs, e.g. by the CLI. */
export type Progress = (line: string) => void;

/** Calibrates `timed(n)` (returns ms) to about `runMs` per run; returns the iteration count. */
async function calibrate(
  timed: (n: number) => Promise<number>,
  runMs: number,
  min: number,
  max: number,
): Promise<number> {
  let n = min;
  for (let round = 0; round < 16; round++) {
    const ms = await timed(n);
    if (ms >= runMs * 0.6 || n >= max) {
      n = Math.round(n * runMs / Math.max(ms, 1e-3));
      break;
    }
    n = Math.ceil(n * Math.min(100, Math.max(2, runMs / Math.max(ms, 1e-3))));
    n = Math.min(n, max);
  }
  n = Math.max(min, Math.min(max, n));
  // Warm-up at the final size, discarded.
  await timed(n);
  return n;
}

async function prepareMicro(c: MicroCase, plan: Plan): Promise<Prepared> {
  const fn = await c.setup();
  const options = plan.mode === "smoke"
    ? {
      gc: false as const,
      min_cpu_time: plan.microMs * 1e6,
      min_samples: 2,
      batch_samples: 64,
      warmup_samples: 1,
    }
    : { gc: false as const, min_cpu_time: plan.microMs * 1e6, min_samples: 8, batch_samples: 1024 };
  const once = async () => (await mitata(fn, options)).p50 / c.opsPerCall;
  await once(); // warm-up
  return { run: once, close: () => Promise.resolve() };
}

async function prepareMain(c: MainCase, plan: Plan): Promise<Prepared> {
  const it = await c.setup();
  const timed = async (n: number) => {
    const t0 = performance.now();
    await it.run(n);
    return performance.now() - t0;
  };
  try {
    const n = await calibrate(timed, plan.runMs, c.minIterations ?? 1, c.maxIterations ?? 1e6);
    return { run: async () => (await timed(n)) * 1e6 / n, close: () => it.close(), iterations: n };
  } catch (error) {
    await it.close();
    throw error;
  }
}

async function prepareThreads(c: ThreadsCase, plan: Plan, module: string): Promise<Prepared> {
  const W = c.workers;
  const control = new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * 4));
  const inits = await c.setup();
  if (inits.length !== W) {
    throw new Error(`${c.name}: setup returned ${inits.length} inits for ${W} workers`);
  }
  const workers: HarnessWorker[] = [];
  let failure: Error | undefined;
  const fail = (error: Error) => {
    failure ??= error;
    Atomics.store(control, FAIL, 1);
    Atomics.notify(control, DONE);
    Atomics.notify(control, READY);
  };
  const close = async () => {
    Atomics.store(control, QUIT, 1);
    Atomics.notify(control, GO);
    await Promise.all(workers.map((w) => w.terminate()));
  };
  /** Throws the worker's own error if one failed, after letting its message arrive. */
  const check = async (what: string, error?: unknown) => {
    if (Atomics.load(control, FAIL) === 0 && error === undefined) return;
    for (let i = 0; i < 40 && failure === undefined; i++) await sleep(25);
    throw failure ?? (error instanceof Error ? error : new Error(`${c.name}: ${what} failed`));
  };

  try {
    for (let i = 0; i < W; i++) {
      const label = `${c.name} worker ${i}`;
      const worker = await startWorker(WORKER_URL, label);
      workers.push(worker);
      worker.onMessage((m) => {
        if (m?.type === "error") {
          const error = new Error(`${label}: ${m.name}: ${m.message}`);
          error.stack = `${error.message}\n${m.stack ?? ""}`;
          fail(error);
        }
      });
      worker.onFailure((error) => fail(new Error(`${label}: ${error.message}`)));
      const { input, transfer } = inits[i]!;
      worker.post({
        module,
        name: c.name,
        ctx: { index: i, workers: W, stallMs: plan.stallMs, label },
        input,
        control: control.buffer,
      }, transfer);
    }
    // Let the workers start (their start-up needs this thread's event loop on some runtimes).
    const startDeadline = performance.now() + plan.stallMs;
    while (Atomics.load(control, READY) < W) {
      await check("start-up");
      if (performance.now() > startDeadline) {
        throw new Error(
          `${c.name}: only ${Atomics.load(control, READY)} of ${W} workers started within ${
            plan.stallMs / 1000
          } s`,
        );
      }
      await sleep(1);
    }

    let run = 0;
    let total = 0;
    const timed = async (n: number) => {
      run++;
      const ready = W * run;
      const what = `${c.name} run ${run} (${n} iterations × ${W} workers)`;
      try {
        waitUntil(
          control,
          READY,
          () => Atomics.load(control, READY) >= ready,
          `${what}: start line`,
          plan.stallMs,
          () => Atomics.load(control, FAIL) === 1,
        );
        await check(what);
        Atomics.store(control, ITER, n);
        const t0 = performance.now();
        Atomics.store(control, GO, run);
        Atomics.notify(control, GO);
        waitUntil(
          control,
          DONE,
          () => Atomics.load(control, DONE) >= ready,
          what,
          plan.stallMs,
          () => Atomics.load(control, FAIL) === 1,
        );
        const ms = performance.now() - t0;
        await check(what);
        total += n;
        c.verify?.(total);
        return ms;
      } catch (error) {
        await check(what, error);
        throw error;
      }
    };
    const n = await calibrate(timed, plan.runMs, c.minIterations ?? 4, c.maxIterations ?? 1e7);
    const ops = c.opsPerIteration ?? 1;
    return { run: async () => (await timed(n)) * 1e6 / (n * ops), close, iterations: n };
  } catch (error) {
    await close();
    throw error;
  }
}

/** A case found in a benchmark file, with the file it came from. */
export interface Found {
  case: Case;
  module: string;
}

/** Why `c` does not run on this runtime, or `undefined`. */
export function skipReason(c: Case): string | undefined {
  if (c.runtimes !== undefined && !c.runtimes.includes(RUNTIME)) return `not run on ${RUNTIME}`;
  return c.skip?.();
}

/** Measures one group round-robin and returns one result per case. */
export async function measureGroup(
  found: Found[],
  plan: Plan,
  progress: Progress,
): Promise<Measured[]> {
  const results = new Map<string, Measured>();
  const live: { c: Case; prepared: Prepared; result: Measured }[] = [];
  for (const { case: c, module } of found) {
    const result: Measured = {
      name: c.name,
      title: c.title,
      role: c.role,
      group: c.group,
      kind: c.kind,
      unit: c.unit,
      samples: [],
      median: NaN,
      min: NaN,
      max: NaN,
      runs: 0,
      compare: c.compare ?? [],
    };
    if (c.kind === "threads") result.workers = c.workers;
    results.set(c.name, result);
    const skipped = skipReason(c);
    if (skipped !== undefined) {
      result.skipped = skipped;
      continue;
    }
    try {
      const prepared = c.kind === "micro"
        ? await prepareMicro(c, plan)
        : c.kind === "main"
        ? await prepareMain(c, plan)
        : await prepareThreads(c, plan, module);
      if (prepared.iterations !== undefined) result.iterations = prepared.iterations;
      live.push({ c, prepared, result });
    } catch (error) {
      result.error = describe(error);
      progress(`  ✗ ${c.name}: ${result.error}`);
    }
  }

  for (let r = 0; r < plan.runs; r++) {
    for (const entry of live) {
      if (entry.result.error !== undefined) continue;
      try {
        entry.result.samples.push(await entry.prepared.run());
      } catch (error) {
        entry.result.error = describe(error);
        progress(`  ✗ ${entry.c.name}: ${entry.result.error}`);
        await entry.prepared.close().catch(() => {});
      }
    }
  }

  for (const { prepared, result } of live) {
    if (result.error === undefined) await prepared.close().catch(() => {});
    const s = result.samples;
    if (s.length > 0 && result.error === undefined) {
      result.runs = s.length;
      result.median = median(s);
      result.min = Math.min(...s);
      result.max = Math.max(...s);
      progress(
        `  ${result.name.padEnd(34)} ${formatFigure(result.median, result.unit).padStart(16)}  (${
          formatFigure(result.min, result.unit)
        } – ${formatFigure(result.max, result.unit)}, ${s.length} runs)`,
      );
    }
  }
  for (const result of results.values()) {
    if (result.skipped !== undefined) progress(`  – ${result.name}: skipped (${result.skipped})`);
  }
  return [...results.values()];
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `12.3 ns/op`, `4.56 µs/round trip`: a figure in ns shown in a readable unit. */
export function formatFigure(ns: number, unit: string): string {
  if (!Number.isFinite(ns)) return "—";
  const per = unit.startsWith("ns") ? unit.slice(2) : ` ${unit}`;
  if (ns >= 1e6) return `${(ns / 1e6).toPrecision(3)} ms${per}`;
  if (ns >= 1e3) return `${(ns / 1e3).toPrecision(3)} µs${per}`;
  return `${ns.toPrecision(3)} ns${per}`;
}
