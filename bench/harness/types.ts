/**
 * The one interface every benchmark file uses, for threadkit and for each baseline alike.
 *
 * A benchmark file is `bench/<name>_bench.ts` and exports `cases: Case[]`. The runner finds the
 * files itself, so a new row is one new file. Three kinds of case:
 * - `micro`: an in-thread function measured by mitata (ns per operation);
 * - `threads`: a body that runs in N workers of our own harness, started together, timed by the
 *   parent (ns per iteration, or per operation with `opsPerIteration`);
 * - `main`: an async function on the runner's thread, timed by the harness (ns per iteration),
 *   for things that start workers themselves (pools, thread start-up).
 *
 * Cases of one `group` are measured round-robin (run 1 of each, then run 2 of each, ...), so a
 * subject and its baseline share the same minutes of a noisy machine. Every ratio compares two
 * cases of the same run on the same runtime.
 *
 * @module
 */

/** The runtimes the suite runs on. */
export type RuntimeName = "node" | "deno" | "bun";

/** What a case stands for in the report. */
export type Role = "subject" | "floor" | "platform" | "peer";

/** A target: `ratio <= max` is met, anything else is missed. */
export interface Target {
  /** Target id from the issue, e.g. `"P1"`. */
  id: string;
  /** The largest ratio (case / baseline, lower is better) that meets it. */
  max: number;
  /** The target as people say it, e.g. `"≤ 1.3× the CAS+store floor"`. */
  text: string;
}

/** "Report this case beside that one": one row of the report per comparison. */
export interface Comparison {
  /** Name of the baseline case (same runtime, same run). */
  baseline: string;
  /** Optional target on the ratio. */
  target?: Target;
  /** The issue item a comparison without a number belongs to, e.g. `"P4"`. */
  tag?: string;
  /**
   * Runtimes the comparison is made on (default: every runtime the case runs on); elsewhere the
   * case gets a row of its own figure only. For baselines that exist on some runtimes only.
   */
  runtimes?: RuntimeName[];
}

interface CaseBase {
  /** Unique dotted name, e.g. `"lock.sync-release"`. */
  name: string;
  /** What is measured, for people. */
  title: string;
  role: Role;
  /** Cases of a group run round-robin; groups run in the order of `GROUP_ORDER`. */
  group: string;
  /** The unit of the figure, e.g. `"ns/op"`; lower is always better. */
  unit: string;
  /** Runtimes this case runs on (default: all). */
  runtimes?: RuntimeName[];
  /** Returns a reason to skip on this runtime, or `undefined` to run. */
  skip?: () => string | undefined;
  /** Rows of the report: this case beside a baseline. */
  compare?: Comparison[];
}

/** An in-thread microbenchmark, measured with mitata. */
export interface MicroCase extends CaseBase {
  kind: "micro";
  /** Operations one call of the measured function performs (the figure is per operation). */
  opsPerCall: number;
  /** Prepares state and returns the function to measure (sync or async). */
  setup: () => (() => unknown) | Promise<() => unknown>;
}

/** What a worker runs: one call per run, with that run's iteration count. */
export type Body = (iterations: number) => void | Promise<void>;

/** What a worker's body is told besides its input. */
export interface BodyContext {
  /** This worker's index, 0 .. workers-1. */
  index: number;
  workers: number;
  /** Every wait in a body is bounded by this many ms (see `control.ts`). */
  stallMs: number;
  /** `"<case> worker <index>"`, for error messages. */
  label: string;
}

/** What the parent gives each worker: data, plus objects to transfer (ports). */
export interface WorkerInit {
  input: unknown;
  transfer?: Transferable[];
}

/** A cross-thread benchmark: `workers` workers run `body` together, timed by the parent. */
export interface ThreadsCase extends CaseBase {
  kind: "threads";
  /** How many workers run the body. */
  workers: number;
  /** Operations per iteration of one worker (default 1): the figure is ns / (iterations × this). */
  opsPerIteration?: number;
  /** Smallest and largest iterations per run; calibration picks between them. */
  minIterations?: number;
  maxIterations?: number;
  /** Parent side: creates shared state; returns each worker's init (index 0 .. workers-1). */
  setup: () => WorkerInit[] | Promise<WorkerInit[]>;
  /** Worker side: builds the body of one worker from its input (imports peers lazily). */
  body: (input: any, ctx: BodyContext) => Body | Promise<Body>;
  /** Parent side, after each run: throws if the shared state is wrong (e.g. a lost increment). */
  verify?: (totalIterationsPerWorker: number) => void;
}

/** An async benchmark on the runner's own thread (pools, thread start-up). */
export interface MainCase extends CaseBase {
  kind: "main";
  minIterations?: number;
  maxIterations?: number;
  /** Starts what the case needs; `run(n)` does n iterations; `close()` ends it. */
  setup: () => Promise<{ run: (iterations: number) => Promise<void>; close: () => Promise<void> }>;
}

export type Case = MicroCase | ThreadsCase | MainCase;

/** Group order in a run; groups not listed run last, in the order found. */
export const GROUP_ORDER = [
  // First, on a fresh process: on Deno 2.9, once the main thread has used navigator.locks, a
  // new Web Worker that closes itself is never seen to run (measured here; a Deno issue).
  "startup",
  "uncontended",
  "uncontended-async",
  "handoff",
  "contended-2",
  "contended-4",
  "contended-8",
  "barrier-2",
  "barrier-4",
  "throughput",
  "pool",
];

/** How hard to measure. */
export interface Plan {
  mode: "smoke" | "quick" | "full";
  /** Measured runs per case (after calibration and one warm-up run). */
  runs: number;
  /** Wall time one run of a threads/main case should take, in ms. */
  runMs: number;
  /** mitata's minimum CPU time per measurement, in ms. */
  microMs: number;
  /** Longest any single wait of the harness may take, in ms, before it fails the case. */
  stallMs: number;
}

export const PLANS: Record<Plan["mode"], Plan> = {
  smoke: { mode: "smoke", runs: 1, runMs: 3, microMs: 2, stallMs: 8_000 },
  quick: { mode: "quick", runs: 5, runMs: 40, microMs: 40, stallMs: 30_000 },
  full: { mode: "full", runs: 11, runMs: 200, microMs: 250, stallMs: 60_000 },
};

/** One measured case on one runtime: what a runtime process reports. */
export interface Measured {
  name: string;
  title: string;
  role: Role;
  group: string;
  kind: Case["kind"];
  unit: string;
  /** One figure per run. */
  samples: number[];
  median: number;
  min: number;
  max: number;
  runs: number;
  /** Iterations per run (threads/main) after calibration. */
  iterations?: number;
  workers?: number;
  compare: Comparison[];
  /** Set instead of figures when the case could not run here. */
  skipped?: string;
  error?: string;
}

/** What one runtime process writes. */
export interface RuntimeReport {
  runtime: RuntimeName;
  version: string;
  mode: Plan["mode"];
  startedAt: string;
  seconds: number;
  cases: Measured[];
}
