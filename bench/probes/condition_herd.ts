/**
 * Probe: N async tasks of ONE thread wait on one Condition over a `Lock`, a `notifyAll()` lets
 * them all go, and each re-acquires the lock, holds it across a turn and releases it: µs a task
 * from the notify to the last release, for each tree given, round-robin in one process. Not part
 * of `npm run bench`.
 *
 * ```sh
 * <runtime> bench/probes/condition_herd.ts <treeA>/mod.ts [<treeB>/mod.ts …] [--tasks 100] [--rounds 7]
 * ```
 *
 * Measured (2026-12-04): the figures are at `Lock._acquireRestoreAsync` (`src/lock.ts`).
 *
 * @module
 */
import process from "node:process";
import { takeOption } from "./args.ts";

const args = process.argv.slice(2);
const tasks = takeOption(args, "--tasks", 100);
const rounds = takeOption(args, "--rounds", 7);
const trees = args.map((tree) => tree.startsWith("/") ? tree : `${process.cwd()}/${tree}`);
if (trees.length === 0) throw new Error("usage: condition_herd.ts <tree>/mod.ts [...]");

// deno-lint-ignore no-explicit-any
async function run(M: any): Promise<number> {
  const cond = new M.Condition(new M.Lock());
  let waiting = 0;
  const all = Array.from({ length: tasks }, async () => {
    if (!await cond.acquire({ timeout: 60_000 })) throw new Error("timed out");
    waiting++;
    await cond.wait({ timeout: 60_000 });
    await null;
    cond.release();
  });
  while (waiting < tasks) await new Promise((resolve) => setTimeout(resolve, 1));
  // Every task has released the lock inside its wait once `waiting` counts it, but the last
  // ones may not sleep yet: wait for the lock to be free.
  await cond.acquire({ timeout: 60_000 });
  const t0 = performance.now();
  cond.notifyAll();
  cond.release();
  await Promise.all(all);
  return (performance.now() - t0) * 1000 / tasks;
}

// deno-lint-ignore no-explicit-any
const mods: any[] = [];
for (const tree of trees) mods.push(await import(tree));
const times: number[][] = mods.map(() => []);
for (let round = 0; round < rounds; round++) {
  for (let k = 0; k < mods.length; k++) {
    const m = (k + round) % mods.length; // rotate the order round by round
    times[m]!.push(await run(mods[m]));
  }
}
const median = (v: number[]) => [...v].sort((x, y) => x - y)[v.length >> 1]!;
console.log(
  `${tasks} tasks, ${rounds} rounds; median µs a task from notifyAll to the last release`,
);
for (let k = 0; k < mods.length; k++) {
  console.log(`tree ${k} ${median(times[k]!).toFixed(2).padStart(10)}`);
}
