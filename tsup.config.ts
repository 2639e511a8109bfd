import type { Plugin } from "esbuild";
import { defineConfig } from "tsup";

/**
 * dist/ for npm consumers: ESM + CJS + .d.ts, built from the same sources JSR publishes.
 *
 * | file                    | what                                                            |
 * | dist/mod.js             | ESM entry (`import "threadkit"`)                                |
 * | dist/bootstrap.js       | the module every worker starts on (both formats use it): one    |
 * |                         | self-contained ESM file, bundled apart (no shared chunks)       |
 * | dist/bootstrap_shared.js| ESM entry the bootstrap loads on demand (revival, pool runner)  |
 * | dist/chunk-*.js         | code shared by the ESM entries (esbuild splitting)              |
 * | dist/mod.cjs            | CJS entry (`require("threadkit")`), one self-contained bundle   |
 * | dist/mod.d.ts, .d.cts   | types                                                           |
 * | dist/redis.js, .cjs     | `threadkit/redis` (ESM shares the core's chunk; CJS requires     |
 * |                         | `./mod.cjs`), types in dist/redis.d.ts, .d.cts                   |
 *
 * - The bootstrap is a file of its own; `bootstrapUrl()` (`src/thread/spawn.ts`) resolves
 *   `THREADKIT_BOOTSTRAP`, defined here as `"./bootstrap.js"`, against its module's URL: the
 *   shared chunk (ESM) or `mod.cjs` (CJS), both in dist/. Unbuilt, it stays `./bootstrap.ts`.
 * - The bootstrap is bundled apart, into one file with only what a thread needs until its export
 *   settles (`BOOTSTRAP_BUNDLE`, after the ESM build, into the same directory): a worker starts
 *   on one ~20 KB module instead of the bootstrap and the shared chunks it used to import (~45 KB
 *   over three modules). What it needs only sometimes (reviving primitives in a thread's
 *   arguments, a pool worker's runner) is `bootstrap_shared.js`, an entry of the ESM build, which
 *   it imports from `THREADKIT_BOOTSTRAP_SHARED` resolved against its own URL. So, in a thread's
 *   worker, the revived arguments come from the chunks that the user's `import "threadkit"`
 *   (`mod.js`) loads: instances of the classes the user imports. The bootstrap's own copy of the
 *   little it bundles (identity, the runtime's worker side, the state word) keeps its state on
 *   `globalThis` (`internal/ident.ts`, `thread/self.ts`, `internal/futex.ts`), so a thread's
 *   identity and its non-daemon children are the same in both copies, as they are for a CJS
 *   module's second copy below. Measurement: `src/bootstrap.ts`, "Start-up cost".
 * - The CJS build points at the same ESM bootstrap rather than a `bootstrap.cjs`: the bootstrap
 *   loads the thread module with `import()`, so an ESM thread module that imports threadkit then
 *   shares the bootstrap's copy; a CJS thread module that requires threadkit gets a second copy
 *   (`mod.cjs`) in that worker, which shares the thread's identity and children through
 *   `globalThis` (see `internal/ident.ts`, `thread/self.ts`). tsup's CJS splitting cannot be
 *   used: it rewrites the bootstrap's `import(module)` into `require(module)`.
 * - `import.meta.url` in CJS: defined as a getter over `__filename`, through `node:url`'s
 *   `pathToFileURL` (correct for paths with `#`, `%`, spaces), read only when a Thread starts;
 *   tsup's own shim builds `file:${__filename}`, which breaks on such paths.
 * - `threadkit/redis` reaches the core only through `mod.ts`. In ESM, splitting puts what both
 *   entries use in shared chunks; in CJS, a plugin turns that import into `require("./mod.cjs")`,
 *   so both subpaths share one copy of the core and its error classes (`instanceof` holds).
 * - The runners' dynamic `import("../kinds.ts")` stays lazy: a chunk of its own in ESM,
 *   an inlined lazy initializer in CJS.
 */
const BOOTSTRAP = "./bootstrap.js";
const BOOTSTRAP_SHARED = "./bootstrap_shared.js";
const DEFINES = {
  THREADKIT_BOOTSTRAP: JSON.stringify(BOOTSTRAP),
  THREADKIT_BOOTSTRAP_SHARED: JSON.stringify(BOOTSTRAP_SHARED),
};

const CJS_IMPORT_META = [
  // First, so that the bundle stays strict code (esbuild's own directive follows the banner).
  '"use strict";',
  "var __threadkit_import_meta = { get url() {",
  '  var url = globalThis.process && globalThis.process.getBuiltinModule && globalThis.process.getBuiltinModule("node:url");',
  '  return url ? url.pathToFileURL(__filename).href : new URL("file:" + __filename).href;',
  "} };",
].join("\n");

/** CJS: `threadkit/redis`'s imports of the core's `mod.ts` become `require("./mod.cjs")`. */
const CJS_CORE_EXTERNAL: Plugin = {
  name: "threadkit-redis-core-external",
  setup(build) {
    if (build.initialOptions.format !== "cjs") return;
    build.onResolve(
      { filter: /\/mod\.ts$/ },
      (args) =>
        /[\\/]src[\\/]redis[\\/]/.test(args.importer)
          ? { path: "./mod.cjs", external: true }
          : undefined,
    );
  },
};

/**
 * ESM: once the main build is written, bundles `src/bootstrap.ts` alone into `bootstrap.js` in
 * the same directory — every static import inlined and tree-shaken, no splitting — with its
 * source map. Its dynamic import of `bootstrap_shared.js` is computed at run time, so esbuild
 * leaves it alone.
 */
const BOOTSTRAP_BUNDLE: Plugin = {
  name: "threadkit-bootstrap-bundle",
  setup(build) {
    if (build.initialOptions.format !== "esm") return;
    build.onEnd(async (result) => {
      if (result.errors.length > 0) return;
      const bundled = await build.esbuild.build({
        entryPoints: { bootstrap: "src/bootstrap.ts" },
        outdir: build.initialOptions.outdir,
        bundle: true,
        splitting: false,
        format: "esm",
        platform: "neutral",
        target: build.initialOptions.target,
        sourcemap: build.initialOptions.sourcemap,
        define: DEFINES,
        logLevel: "silent",
      });
      result.errors.push(...bundled.errors);
      result.warnings.push(...bundled.warnings);
    });
  },
};

export default defineConfig({
  entry: { mod: "mod.ts", redis: "redis.ts", bootstrap_shared: "src/bootstrap_shared.ts" },
  format: ["esm", "cjs"],
  // The reference gives consumers without @types/node (or lib ESNext.Disposable) the
  // Disposable types that `using` guards need (checked by tests/examples_test.ts).
  dts: {
    entry: { mod: "mod.ts", redis: "redis.ts" },
    banner: '/// <reference lib="esnext.disposable" />',
  },
  clean: true,
  target: "es2022",
  platform: "neutral",
  // tsup's default: splitting for ESM, none for CJS.
  sourcemap: true,
  esbuildPlugins: [CJS_CORE_EXTERNAL, BOOTSTRAP_BUNDLE],
  define: DEFINES,
  banner: ({ format }) => (format === "cjs" ? { js: CJS_IMPORT_META } : {}),
  esbuildOptions(options, { format }) {
    if (format === "cjs") {
      // The CJS entries (no bootstrap.cjs, no bootstrap_shared.cjs): threads start on the ESM
      // bootstrap (see above).
      options.entryPoints = { mod: "mod.ts", redis: "redis.ts" };
      options.define = { ...options.define, "import.meta.url": "__threadkit_import_meta.url" };
    }
  },
});
