/**
 * The module every worker threadkit starts begins on: a `Thread`'s and a `ThreadPool`'s alike.
 * It waits for the start message, then:
 *
 * 1. adopts the parent's thread registry and takes the ident the parent drew for it, before
 *    anything in this worker can draw one, and records its identity (`currentThread()`);
 * 2. hands over to the runner the message names: a thread's (`thread/runner.ts`) or a pool
 *    worker's (`pool/runner.ts`, loaded only there).
 *
 * Liveness: the parent marks the worker LIFE_ALIVE in the registry before the worker exists
 * (`thread/spawn.ts`), not this bootstrap.
 *
 * ## Start-up cost (issue 9, P6)
 * Everything a thread needs until its export settles is imported statically here and kept small:
 * the runtime's worker side, identity, the thread runner, the state word. What only some workers
 * need — reviving primitives in a thread's arguments, a pool worker's runner — is in
 * `bootstrap_shared.ts`, loaded on demand from a URL computed at run time (`sharedGraph()`).
 * The npm build bundles this module and its static imports into one file (`dist/bootstrap.js`,
 * ~20 KB, no shared chunks; `tsup.config.ts`), and `bootstrap_shared.ts` is an entry of the ESM
 * build sharing its chunks with `import "threadkit"`: revived primitives are the user's module's
 * own classes, while the state this file's copy of threadkit keeps (identity, children, the Deno
 * sync guard, deferred wakes) lives on `globalThis`, shared with every copy.
 * Why the URL is computed: a literal `import("./pool/runner.ts")` is inlined by a bundler that does
 * not split, and Bun loads a literal dynamic import's module with its importer — measured 1.25 ms
 * of a fresh Bun worker's start.
 * Measured: Thread start → join of a dist/ build ÷ a raw worker's start → message → end, same
 * run, before (bootstrap + 2 shared chunks) → after (this one file; Deno's worker side also
 * stopped loading `node:worker_threads` at start, `runtime/deno.ts`): Node 1.10× → 1.04×, Deno
 * 1.75× → 1.03×, Bun 2.68× → 1.72× (`bench/probes/thread_start.ts --dist <after> --before
 * <before> --runs 5 --per 4` under `node`, `deno run -A`, `bun`; load average ~2). The probe's
 * `floor` row (a stand-in bootstrap that only imports the module and posts the result) in a
 * later run: Node 1.08× (dist 1.11×), Deno 1.06× (1.04×), Bun 1.10× (1.45×). So Node and Deno
 * are at the floor; on Bun loading this file costs ~1.6 ms of a ~4–5 ms raw start (a scratch
 * floor that also loaded it, unrun, measured as slow as the real one; cutting the file from 20
 * to 15 KB changed nothing measurable; later, minified to 11 KB, or to 6 KB with only Bun's
 * worker side, neither did). On Bun a raw worker that only takes a start message and imports the
 * module is already 1.17–1.21× the raw start, so P6 is beyond the platform there: see
 * `bench/probes/bun_start_bound.ts` and README, Benchmarks, P6.
 *
 * The npm build emits this file as a bundle of its own (`tsup.config.ts`); `bootstrapUrl()`
 * (`thread/spawn.ts`) finds it.
 *
 * @module
 */

import { adoptRegistry, assumeIdent } from "./internal/ident.ts";
import { runtime } from "./runtime/mod.ts";
import { isSpawnMessage, type StartMessage } from "./thread/protocol.ts";
import { isThreadStart, runThread } from "./thread/runner.ts";
import { setThreadSelf } from "./thread/self.ts";

/**
 * `bootstrap_shared.ts`'s file relative to this one once bundled: set by the npm build
 * (`tsup.config.ts`, esbuild `define`), absent when the sources run unbuilt.
 */
declare const THREADKIT_BOOTSTRAP_SHARED: string | undefined;

/** Loads `bootstrap_shared.ts` (see the module doc for why from a computed URL). */
function sharedGraph(): Promise<typeof import("./bootstrap_shared.ts")> {
  const url = new URL(
    typeof THREADKIT_BOOTSTRAP_SHARED === "string"
      ? THREADKIT_BOOTSTRAP_SHARED
      : "./bootstrap_shared.ts",
    import.meta.url,
  );
  return import(url.href);
}

const side = runtime.workerSide();

side.onStart(async (data) => {
  if (!isSpawnMessage(data)) {
    side.exit(70);
    return;
  }
  if (data.threadkit === "start" && !isThreadStart(data as StartMessage)) {
    side.exit(70);
    return;
  }
  // 1. Identity, before anything can draw an ident.
  adoptRegistry(data.registry);
  assumeIdent(data.ident);
  setThreadSelf({ ident: data.ident, name: data.name, daemon: data.daemon });
  // 2. The runner. Each holds the result port for the life of the worker (its crash hook refers
  // to it): on Deno, the parent learns of the worker's end from that port's `close`, which a
  // port that was collected never sends.
  if (data.threadkit === "pool") {
    await (await sharedGraph()).runPoolWorker(data, side);
  } else {
    await runThread(
      data as StartMessage & { port: MessagePort },
      side,
      async (args) => (await sharedGraph()).reviveArgs(args),
    );
  }
});
