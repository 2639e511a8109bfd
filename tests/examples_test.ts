/**
 * The examples in `examples/` run as users run them, and the README's Quick start is those files.
 *
 * - Node and Bun run each example against the packed npm tarball installed into a temp project
 *   (`examples/project.ts`): Node 24 (this process's Node: `.ts` through type stripping, `.mjs`,
 *   `.cjs`), the machine's Node 20 (`.mjs`, `.cjs`: no type stripping, no `using`) and Bun.
 * - Deno runs them against this repository's `mod.ts` (a `deno.json` import map), with only
 *   `--allow-read`, which is what the README tells Deno users to pass.
 * - Chromium opens `examples/browser/` served by its own `serve.mjs` (the COOP/COEP headers).
 * - Every run must exit by itself with code 0 within `RUN_MS` and print exactly its line.
 * - `tsc` (strict, target ES2022) type-checks the `.ts` examples against the tarball's `.d.ts`
 *   with `examples/tsconfig.json`, the Node one with `@types/node` and the others without it;
 *   `deno check` checks the Deno example.
 * - Every README code block preceded by `<!-- examples/<path> -->` equals that file.
 *
 * Runs under Node only: it drives every runtime itself, so Deno and Bun skip it.
 *
 * @module
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  BIN,
  check,
  type ExampleProjects,
  EXAMPLES,
  findNode20,
  prepareProjects,
  ROOT,
  run,
} from "./examples/project.ts";

/** Bound of one example's run (start to exit). */
const RUN_MS = 60_000;
/** Bound of the build, pack and install. */
const SETUP_MS = 120_000;
/** Bound of the browser example (server, Chromium, page). */
const BROWSER_MS = 45_000;

const g = globalThis as { Deno?: unknown; Bun?: unknown };
const host = g.Deno !== undefined ? "Deno" : g.Bun !== undefined ? "Bun" : "Node";
const inCI = ["", "0", "false", undefined].includes(process.env.CI) === false;
const chromiumPath = process.env.THREADKIT_CHROMIUM ?? "/usr/bin/chromium";

/** What each example prints when it worked: the whole of its stdout, one line. */
const EXPECTED: Record<string, string | RegExp> = {
  "node-esm": "node-esm: 2 workers added 1..1000 = 500500",
  "node-cjs": "node-cjs: 4 threads, 2 slots, returned 1 4 9 16",
  "node20": "node20: 1 4 9 16 25 36 49 64 81 100; logged 10, sum 385",
  "deno": "deno: the worker sent 10 squares, sum 285",
  "bun": "bun: 2 workers counted to 200000 under one Lock",
  "threads-and-pool": "threads-and-pool: thread 42, submit 100, map 1 4 9 16",
  "pipeline": "pipeline: 2 consumers counted 497 words in 100 lines",
  // The speed-up itself depends on the machine's load: only its form is checked.
  "pool-speedup":
    /^pool-speedup: 78498 and 78498 primes below 1000000; 1 thread \d+ ms, pool of \d+ \d+ ms \(\d+\.\d\dx\)$/,
  "browser": "browser: thread 0 summed 1..1000 = 500500; thread 1 summed 1..2000 = 2001000",
};

type Runtime = "node24" | "node20" | "bun" | "deno";

/** Which example entry runs on which runtime. */
const RUNS: readonly { example: string; entry: string; runtimes: readonly Runtime[] }[] = [
  { example: "node-esm", entry: "main.ts", runtimes: ["node24", "bun"] },
  { example: "node-cjs", entry: "main.cjs", runtimes: ["node24", "node20", "bun"] },
  { example: "node20", entry: "main.mjs", runtimes: ["node24", "node20", "bun"] },
  { example: "deno", entry: "main.ts", runtimes: ["deno"] },
  { example: "bun", entry: "main.ts", runtimes: ["bun", "deno"] },
  { example: "threads-and-pool", entry: "main.ts", runtimes: ["node24", "bun", "deno"] },
  { example: "pipeline", entry: "main.ts", runtimes: ["node24", "bun", "deno"] },
  { example: "pool-speedup", entry: "main.ts", runtimes: ["node24", "bun", "deno"] },
];

/** The files the README's Quick start must show, each equal to the file. */
const README_FILES = [
  "node-esm/package.json",
  "node-esm/main.ts",
  "node-esm/worker.ts",
  "tsconfig.json",
  "node20/main.mjs",
  "node20/work.mjs",
  "deno/main.ts",
  "deno/worker.ts",
  "threads-and-pool/main.ts",
  "threads-and-pool/work.ts",
  "browser/index.html",
  "browser/main.js",
  "browser/work.js",
];

function assertPrinted(name: string, stdout: string) {
  const expected = EXPECTED[name];
  const printed = stdout.trim();
  if (expected instanceof RegExp) assert.match(printed, expected);
  else assert.equal(printed, expected);
}

/** `<!-- examples/<path> -->` followed by a fenced block: path → the block's text. */
function readmeBlocks(readme: string): Map<string, string> {
  const blocks = new Map<string, string>();
  const pattern = /^<!-- examples\/(\S+) -->\n\n?```[a-z]*\n([\s\S]*?)^```$/gm;
  for (const match of readme.matchAll(pattern)) {
    const [, path = "", text = ""] = match;
    assert.ok(!blocks.has(path), `the README shows examples/${path} twice`);
    blocks.set(path, text);
  }
  return blocks;
}

test("examples: every folder of examples/ is run by this test", async () => {
  const run = new Set([...RUNS.map((r) => r.example), "browser"]);
  for (const entry of await readdir(EXAMPLES, { withFileTypes: true })) {
    if (entry.isDirectory()) assert.ok(run.has(entry.name), `examples/${entry.name} is not run`);
  }
});

test("README: each block tagged with an example's path is that file", async () => {
  const blocks = readmeBlocks(await readFile(join(ROOT, "README.md"), "utf8"));
  for (const path of README_FILES) assert.ok(blocks.has(path), `the README shows ${path}`);
  for (const [path, text] of blocks) {
    const file = await readFile(join(EXAMPLES, path), "utf8").catch(() => undefined);
    assert.ok(file !== undefined, `the README shows examples/${path}, which does not exist`);
    assert.equal(text, file, `the README's examples/${path} differs from the file`);
  }
});

test(
  "examples: every example runs to its exit on each runtime, from the npm tarball or mod.ts",
  {
    skip: host === "Node"
      ? false
      : `the examples test runs Node, Deno, Bun and Chromium from Node (npm run test:node); ${host} skips it`,
    timeout: SETUP_MS + 4 * RUN_MS + BROWSER_MS,
  },
  async (t) => {
    const node20 = await findNode20();
    let projects: ExampleProjects | undefined;
    try {
      projects = await prepareProjects(SETUP_MS);
      const { npm, deno } = projects;
      const commands: Record<Runtime, (entry: string) => [string, string[]] | string> = {
        node24: (entry) => [process.execPath, [entry]],
        node20: (entry) => typeof node20 === "string" ? node20 : [node20.path, [entry]],
        bun: (entry) => [join(BIN, "bun"), [entry]],
        deno: (entry) => [join(BIN, "deno"), ["run", "--allow-read", entry]],
      };

      await t.test("runs", { concurrency: 2 }, async (t) => {
        const runs = RUNS.flatMap(({ example, entry, runtimes }) =>
          runtimes.map((runtime) => {
            const command = commands[runtime](entry);
            const skip = typeof command === "string" && !inCI ? command : false;
            return t.test(`${example}/${entry} on ${runtime}`, { skip }, async () => {
              if (typeof command === "string") assert.fail(`${command} (CI is set)`);
              const cwd = join(runtime === "deno" ? deno : npm, example);
              const result = await run(command[0], command[1], { cwd, timeoutMs: RUN_MS });
              const context = `\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
              assert.equal(
                result.timedOut,
                false,
                `${example} did not exit by itself within ${RUN_MS} ms${context}`,
              );
              assert.equal(result.code, 0, `${example} exited with ${result.code}${context}`);
              assertPrinted(example, result.stdout);
              const speedup = EXPECTED[example] instanceof RegExp
                ? `: ${result.stdout.trim()}`
                : "";
              t.diagnostic(`${example} on ${runtime}: ${result.ms.toFixed(0)} ms${speedup}`);
            });
          })
        );
        await Promise.all(runs);
      });

      // Type checks, side by side: tsc (twice) and deno check.
      await t.test("types", { concurrency: 3 }, async (t) => {
        // Without @types/node, without skipLibCheck and with the default lib of target ES2022:
        // the tarball's .d.ts brings the Disposable types itself (its lib reference).
        await writeJson(join(npm, "tsconfig.web.json"), {
          extends: "./tsconfig.json",
          compilerOptions: { types: [] },
          include: ["bun", "threads-and-pool", "pipeline", "pool-speedup"],
        });
        // With @types/node (skipLibCheck: its own .d.ts files are not what is tested here).
        await writeJson(join(npm, "tsconfig.node.json"), {
          extends: "./tsconfig.json",
          compilerOptions: { types: ["node"], skipLibCheck: true },
          include: ["node-esm"],
        });
        const tsc = join(BIN, "tsc");
        await Promise.all([
          ...["tsconfig.web.json", "tsconfig.node.json"].map((config) =>
            t.test(`tsc -p ${config}: the examples type-check against the tarball's .d.ts`, async () => {
              check(
                `tsc -p ${config}`,
                await run(tsc, ["-p", config], { cwd: npm, timeoutMs: RUN_MS }),
              );
            })
          ),
          t.test("deno check: the Deno example type-checks against mod.ts", async () => {
            const args = ["check", "deno/main.ts", "deno/worker.ts"];
            check(
              "deno check",
              await run(join(BIN, "deno"), args, { cwd: deno, timeoutMs: RUN_MS }),
            );
          }),
        ]);
      });

      const browserSkip = existsSync(chromiumPath) || inCI
        ? false
        : `Chromium not found at ${chromiumPath}: install Debian's package or set THREADKIT_CHROMIUM`;
      await t.test(
        "browser: the page runs its Threads in Chromium",
        { skip: browserSkip },
        async (t) => {
          const { runBrowserExample } = await import("./examples/browser.ts");
          const page = await runBrowserExample(npm, chromiumPath, BROWSER_MS);
          t.diagnostic(`Chromium ${page.version}`);
          const context = `\nconsole:\n  ${page.console.join("\n  ")}`;
          assert.equal(page.crossOriginIsolated, true, `serve.mjs sends COOP and COEP${context}`);
          assert.equal(page.output, EXPECTED["browser"], context);
        },
      );
    } finally {
      await projects?.close();
    }
  },
);

function writeJson(path: string, value: unknown): Promise<void> {
  return writeFile(path, JSON.stringify(value, null, 2));
}
