/**
 * Probe: async tasks of ONE thread handing a primitive to each other. K tasks each loop M times
 * over `await acquire(); await null; release()` on one `Lock` (then one `Semaphore(1)`, then an
 * `RWLock`'s write lock; and an `RWLock` on which each loop writes, then reads), and a
 * producer task hands numbers to a consumer task through a `Queue(1)`; printed: µs a hand-off,
 * for each tree given, round-robin in one process, with a promise-only FIFO mutex (no shared
 * memory: what a single-threaded async mutex costs) as the floor. Not part of `npm run bench`.
 *
 * ```sh
 * node bench/probes/selfwake_tasks.ts <treeA>/mod.ts [<treeB>/mod.ts …] [--tasks 100] [--loops 20] [--rounds 7]
 * node bench/probes/selfwake_tasks.ts <treeA>/mod.ts <treeB>/mod.ts --processes 8   (deno run -A …, bun …)
 * ```
 * Trees loaded into one process bias each other (on Deno the tree imported second ran 1.2-1.5×
 * slower than the same code imported first, 2026-12-04): `--processes n` runs each tree alone in
 * a fresh process of the same runtime, n times, alternating A, B, A, B …, and prints each row's
 * median over the processes and the median of the paired ratios to the first tree. `--row Lock`
 * runs only the rows whose name contains `Lock` (and the floor), as a user's program would.
 *
 * Measured (2026-12-03): the figures are in `src/internal/futex.ts` ("Self-wakes", the Queue
 * row) and `src/internal/line.ts` (`acquireBehind`, the Lock and Semaphore rows).
 *
 * @module
 */
import process from "node:process";
import { takeOption } from "./args.ts";

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => takeOption(args, name, fallback);
const tasks = option("--tasks", 100);
const loops = option("--loops", 20);
const rounds = option("--rounds", 7);
const processes = option("--processes", 0);
const rowAt = args.indexOf("--row");
/** `--row <text>`: only the rows whose name contains it (and the floor), e.g. `Lock`. */
const only = rowAt >= 0 ? args.splice(rowAt, 2)[1]! : undefined;
const json = args.includes("--json") ? (args.splice(args.indexOf("--json"), 1), true) : false;
const trees = args.map((tree) => tree.startsWith("/") ? tree : `${process.cwd()}/${tree}`);
if (trees.length === 0) throw new Error("usage: selfwake_tasks.ts <tree>/mod.ts [...]");

interface Mutex {
  acquire(options?: { timeout?: number }): Promise<boolean>;
  release(): void;
}

/** A promise-only FIFO async mutex: the floor for a hand-off between tasks of one thread. */
class PromiseMutex implements Mutex {
  #held = false;
  #waiting: (() => void)[] = [];
  acquire(): Promise<boolean> {
    if (!this.#held) {
      this.#held = true;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => this.#waiting.push(() => resolve(true)));
  }
  release(): void {
    const next = this.#waiting.shift();
    if (next === undefined) this.#held = false;
    else next();
  }
}

/** µs a hand-off: `tasks` tasks, each `loops` times acquire, a microtask, release. */
async function mutexRun(lock: Mutex): Promise<number> {
  const t0 = performance.now();
  await Promise.all(Array.from({ length: tasks }, async () => {
    for (let i = 0; i < loops; i++) {
      if (!await lock.acquire({ timeout: 60_000 })) throw new Error("timed out");
      await null;
      lock.release();
    }
  }));
  return (performance.now() - t0) * 1000 / (tasks * loops);
}

/** µs an item: a producer task and a consumer task of this thread through a Queue(1). */
// deno-lint-ignore no-explicit-any
async function queueRun(M: any): Promise<number> {
  const queue = new M.Queue(1, { codec: M.float64Codec });
  const n = tasks * loops;
  const t0 = performance.now();
  const consumer = (async () => {
    for (let i = 0; i < n; i++) {
      if (await queue.get({ timeout: 60_000 }) !== i) throw new Error("out of order");
    }
  })();
  for (let i = 0; i < n; i++) await queue.put(i, { timeout: 60_000 });
  await consumer;
  return (performance.now() - t0) * 1000 / n;
}

/** An `RWLock`'s write lock as a {@link Mutex} (one holder at a time: its guard is kept here). */
// deno-lint-ignore no-explicit-any
function writeLock(rw: any): Mutex {
  let guard: { release(): void } | undefined;
  return {
    acquire: (options) =>
      rw.write(options).then((g: { release(): void }) => {
        guard = g;
        return true;
      }),
    release: () => guard!.release(),
  };
}

/**
 * µs a task loop on an `RWLock`: each task writes (held over a microtask), then reads (held over a
 * microtask): reads wait for this thread's writes and writes for its reads (`localHint`).
 */
// deno-lint-ignore no-explicit-any
async function mixedRun(rw: any): Promise<number> {
  const t0 = performance.now();
  await Promise.all(Array.from({ length: tasks }, async () => {
    for (let i = 0; i < loops; i++) {
      const w = await rw.write({ timeout: 60_000 });
      await null;
      w.release();
      const r = await rw.read({ timeout: 60_000 });
      await null;
      r.release();
    }
  }));
  return (performance.now() - t0) * 1000 / (tasks * loops);
}

if (processes > 0) {
  await alternate();
  process.exit(0);
}

/** `--processes`: each tree alone in fresh processes, alternating; medians and paired ratios. */
async function alternate(): Promise<void> {
  const { execFileSync } = await import("node:child_process");
  const g = globalThis as { Deno?: unknown };
  const self = new URL(import.meta.url).pathname;
  const pre = g.Deno !== undefined ? ["run", "-A"] : [];
  const rest = ["--tasks", `${tasks}`, "--loops", `${loops}`, "--rounds", `${rounds}`, "--json"];
  if (only !== undefined) rest.push("--row", only);
  const per: Record<string, number>[][] = trees.map(() => []);
  for (let p = 0; p < processes; p++) {
    for (let t = 0; t < trees.length; t++) {
      const out = execFileSync(process.execPath, [...pre, self, trees[t]!, ...rest], {
        encoding: "utf8",
      });
      per[t]!.push(JSON.parse(out.trim().split("\n").pop()!));
    }
  }
  const median = (v: number[]) => [...v].sort((x, y) => x - y)[v.length >> 1]!;
  console.log(
    `${tasks} tasks × ${loops} loops, ${rounds} rounds a process, ${processes} processes a tree`,
  );
  for (const row of Object.keys(per[0]![0]!)) {
    const cells = trees.map((_, t) => median(per[t]!.map((r) => r[row]!)).toFixed(2));
    const ratios = trees.slice(1).map((_, t) =>
      median(per[t + 1]!.map((r, p) => r[row]! / per[0]![p]![row]!)).toFixed(3)
    );
    console.log(`${row.padEnd(34)} ${cells.join("  ")}   ÷ tree 0: ${ratios.join("  ")}`);
  }
}

// deno-lint-ignore no-explicit-any
const mods: any[] = [];
for (const tree of trees) mods.push(await import(tree));
const rows: [string, (k: number) => Promise<number>][] = [
  ["promise-only mutex (floor)", () => mutexRun(new PromiseMutex())],
  ...mods.map((M, k): [string, (k: number) => Promise<number>] => [
    `Lock, tree ${k}`,
    () => mutexRun(new M.Lock()),
  ]),
  ...mods.map((M, k): [string, (k: number) => Promise<number>] => [
    `Semaphore(1), tree ${k}`,
    () => mutexRun(new M.Semaphore(1)),
  ]),
  ...mods.map((M, k): [string, (k: number) => Promise<number>] => [
    `RWLock write, tree ${k}`,
    () => mutexRun(writeLock(new M.RWLock())),
  ]),
  ...mods.map((M, k): [string, (k: number) => Promise<number>] => [
    `RWLock write + read, tree ${k}`,
    () => mixedRun(new M.RWLock()),
  ]),
  ...mods.map((M, k): [string, (k: number) => Promise<number>] => [
    `Queue(1) put → get, tree ${k}`,
    () => queueRun(M),
  ]),
];
if (only !== undefined) {
  for (let r = rows.length - 1; r > 0; r--) if (!rows[r]![0].includes(only)) rows.splice(r, 1);
}
// Warm-up: each row twice, unmeasured.
for (const row of rows) for (let k = 0; k < 2; k++) await row[1](0);
const times: number[][] = rows.map(() => []);
for (let round = 0; round < rounds; round++) {
  for (let r = 0; r < rows.length; r++) {
    const k = (r + round) % rows.length; // rotate the order round by round
    times[k]!.push(await rows[k]![1](k));
  }
}
const median = (v: number[]) => [...v].sort((x, y) => x - y)[v.length >> 1]!;
if (json) {
  const out: Record<string, number> = {};
  for (let r = 0; r < rows.length; r++) {
    out[rows[r]![0].replace(", tree 0", "")] = median(times[r]!);
  }
  console.log(JSON.stringify(out));
  process.exit(0);
}
console.log(`${tasks} tasks × ${loops} loops, ${rounds} rounds; median µs a hand-off`);
for (let r = 0; r < rows.length; r++) {
  console.log(`${rows[r]![0].padEnd(34)} ${median(times[r]!).toFixed(2).padStart(9)}`);
}
