/**
 * What the thread start-up probes (`thread_start.ts`, `bun_start_bound.ts`) share: loading
 * `Thread` from a tsup build, a copy of a build started on the floor bootstrap, and one
 * start → join of a trivial thread module.
 *
 * @module
 */

import { copyFileSync, cpSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Thread } from "../../mod.ts";

export type ThreadClass = typeof Thread;

/** The fixtures directory (thread modules, workers, the floor bootstrap). */
export const FIXTURES = new URL("../fixtures/", import.meta.url);

/** `Thread` of the tsup build in `dir` (its `mod.js`). */
export async function loadThread(dir: string): Promise<ThreadClass> {
  return (await import(pathToFileURL(join(dir, "mod.js")).href) as { Thread: ThreadClass })
    .Thread;
}

/**
 * A copy of the build in `dir` whose bootstrap is `fixtures/floor_bootstrap.mjs`: only the steps
 * no thread library can skip (import the thread module, post its result).
 */
export function floorBuild(dir: string): string {
  const copy = join(mkdtempSync(join(tmpdir(), "threadkit-floor-")), "dist");
  cpSync(dir, copy, { recursive: true });
  copyFileSync(fileURLToPath(new URL("floor_bootstrap.mjs", FIXTURES)), join(copy, "bootstrap.js"));
  return copy;
}

/**
 * One start → join of `task` (a module returning its argument + 1) on `T`; with `awaitEnd`, then
 * also waits for the worker's end (`terminate()`).
 */
export function threadOf(
  T: ThreadClass,
  task: URL,
  { awaitEnd = false, timeout = 30_000 } = {},
): (i: number) => Promise<void> {
  return async (i: number) => {
    const t = new T<number>(task, { args: [i] });
    t.start();
    const value = await t.join({ timeout });
    if (value !== i + 1) throw new Error(`thread returned ${value}`);
    if (awaitEnd) await t.terminate();
  };
}
