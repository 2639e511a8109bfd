import type { Plugin } from "esbuild";
import { defineConfig } from "tsup";

/**
 * dist/ for npm consumers: ESM + CJS + .d.ts, built from the same sources JSR publishes.
 *
 * | file                    | what                                                            |
 * | dist/mod.js             | ESM entry (`import "threadkit"`)                                |
 * | dist/bootstrap.js       | ESM entry every Thread's worker starts on (both formats use it) |
 * | dist/chunk-*.js         | code shared by the two ESM entries (esbuild splitting)          |
 * | dist/mod.cjs            | CJS entry (`require("threadkit")`), one self-contained bundle   |
 * | dist/mod.d.ts, .d.cts   | types                                                           |
 * | dist/redis.js, .cjs     | `threadkit/redis` (ESM shares the core's chunk; CJS requires     |
 * |                         | `./mod.cjs`), types in dist/redis.d.ts, .d.cts                   |
 *
 * - The bootstrap is an entry of its own; `bootstrapUrl()` (`src/thread/spawn.ts`) resolves
 *   `THREADKIT_BOOTSTRAP`, defined here as `"./bootstrap.js"`, against its module's URL: the
 *   shared chunk (ESM) or `mod.cjs` (CJS), both in dist/. Unbuilt, it stays `./bootstrap.ts`.
 * - ESM splitting: in a thread's worker, `bootstrap.js` and the user's `import "threadkit"`
 *   (`mod.js`) load the same chunk, so the worker holds one copy of threadkit: revived arguments
 *   are instances of the classes the user imports, and a thread's non-daemon children are seen
 *   by its bootstrap.
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

export default defineConfig({
  entry: { mod: "mod.ts", redis: "redis.ts", bootstrap: "src/bootstrap.ts" },
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
  esbuildPlugins: [CJS_CORE_EXTERNAL],
  define: { THREADKIT_BOOTSTRAP: JSON.stringify(BOOTSTRAP) },
  banner: ({ format }) => (format === "cjs" ? { js: CJS_IMPORT_META } : {}),
  esbuildOptions(options, { format }) {
    if (format === "cjs") {
      // The CJS entries (no bootstrap.cjs): threads start on the ESM bootstrap (see above).
      options.entryPoints = { mod: "mod.ts", redis: "redis.ts" };
      options.define = { ...options.define, "import.meta.url": "__threadkit_import_meta.url" };
    }
  },
});
