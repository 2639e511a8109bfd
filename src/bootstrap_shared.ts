/**
 * What a worker's bootstrap (`src/bootstrap.ts`) loads only when it needs it, from the copy of
 * threadkit that the thread's own module shares: reviving the primitives in a thread's arguments,
 * and a pool worker's runner (a thread that needs neither never loads this module).
 *
 * Why a module of its own: the npm build bundles the bootstrap into one self-contained file
 * (`dist/bootstrap.js`, `tsup.config.ts`) so that a Thread's worker starts on one small module,
 * and emits this one as an entry of the ESM build, whose chunks `import "threadkit"` also loads.
 * So the primitives revived here (and every class a pool worker uses) are the same objects as
 * those the user's module imports, as they were when the whole bootstrap shared those chunks.
 * The bootstrap reaches this module by a URL it computes (`THREADKIT_BOOTSTRAP_SHARED`), never a
 * literal `import("…")`, which a bundler would inline and Bun loads with its importer.
 *
 * @module
 */

import { revive } from "./internal/revive.ts";
export { runPoolWorker } from "./pool/runner.ts";

/** Revives the primitives in a thread's arguments (which hold at least one handle). */
export async function reviveArgs(args: readonly unknown[]): Promise<unknown[]> {
  (await import("./kinds.ts")).registerBuiltinKinds();
  return revive(args) as unknown[];
}
