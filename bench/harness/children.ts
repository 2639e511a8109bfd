/**
 * Starting a script on another runtime (`node`, `deno run -A`, `bun`) as a child process with a
 * deadline, streaming its stderr (progress) through, and reading the JSON file it writes.
 *
 * @module
 */

import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { RUNTIME } from "./env.ts";
import type { RuntimeName } from "./types.ts";

const g = globalThis as any;
const repo = fileURLToPath(new URL("../../", import.meta.url));

/** The executable of `runtime`: this process for the current one, else node_modules/.bin, else PATH. */
export function executable(runtime: RuntimeName): string | undefined {
  if (runtime === RUNTIME) return RUNTIME === "deno" ? g.Deno.execPath() : g.process.execPath;
  const dirs = [
    join(repo, "node_modules", ".bin"),
    ...(g.process?.env?.PATH ?? "").split(delimiter),
  ];
  for (const dir of dirs) {
    if (dir && existsSync(join(dir, runtime))) return join(dir, runtime);
  }
  return undefined;
}

/**
 * The runtime options that turn on V8's shared structs (`Atomics.Mutex`, `Atomics.Condition`),
 * for `bench/v8_struct_suite.ts` only; `[]` where there is no such flag (Bun runs
 * JavaScriptCore). Both spellings checked on Node 24.21 and Deno 2.9.5.
 */
export const STRUCT_FLAGS: Record<RuntimeName, string[]> = {
  node: ["--harmony-struct"],
  deno: ["--v8-flags=--harmony-struct"],
  bun: [],
};

/**
 * Runs `script` (a path) with `args` on `runtime`, which must write JSON to `out`. Resolves with
 * the parsed JSON, or with a string saying why there is none (not found, failed, too slow).
 * `runtimeFlags` go to the runtime itself (before the script; after `run` on Deno).
 */
export function runScript<T>(
  runtime: RuntimeName,
  script: string,
  args: string[],
  out: string,
  deadlineMs: number,
  runtimeFlags: string[] = [],
): Promise<T | string> {
  const exe = executable(runtime);
  if (exe === undefined) return Promise.resolve(`${runtime} not found (node_modules/.bin or PATH)`);
  const argv = [
    ...(runtime === "deno" ? ["run", "-A", ...runtimeFlags, script] : [...runtimeFlags, script]),
    ...args,
  ];
  const env = { ...g.process.env };
  delete env.NODE_TEST_CONTEXT; // a node:test parent must not turn the child into a test reporter
  return new Promise((resolve) => {
    const child = spawn(exe, argv, { cwd: repo, env, stdio: ["ignore", "ignore", "pipe"] });
    let tail = "";
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (chunk: string) => {
      g.process.stderr.write(chunk);
      tail = (tail + chunk).slice(-2000);
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      resolve(`${runtime} did not finish within ${deadlineMs / 1000} s and was stopped`);
    }, deadlineMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      resolve(`${runtime} could not start: ${error.message}`);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code !== 0 || !existsSync(out)) {
        const last = tail.trim().split("\n").slice(-3).join(" / ");
        const how = code !== null ? `with code ${code}` : `on signal ${signal}`;
        resolve(`${runtime} exited ${how}: ${last}`);
        return;
      }
      try {
        resolve(JSON.parse(readFileSync(out, "utf8")) as T);
      } catch (error) {
        resolve(`${runtime} wrote an unreadable report: ${(error as Error).message}`);
      }
    });
  });
}

/**
 * Builds threadkit's ESM dist (the npm build's JavaScript, `tsup.config.ts`, without types or
 * CJS) into `dir`, with tsup on Node. Returns `undefined` on success, else why it failed.
 */
export function buildDist(dir: string): string | undefined {
  const node = executable("node");
  if (node === undefined) return "node not found";
  const cli = join(repo, "node_modules", "tsup", "dist", "cli-default.js");
  const result = spawnSync(node, [cli, "--no-dts", "--format", "esm", "--out-dir", dir], {
    cwd: repo,
    encoding: "utf8",
    timeout: 120_000,
  });
  if (result.status === 0 && existsSync(join(dir, "bootstrap.js"))) return undefined;
  return `tsup exited with ${result.status ?? result.signal}: ${
    (result.stderr ?? "").trim().split("\n").slice(-3).join(" / ")
  }`;
}

/**
 * Formats generated files with the repository's own formatter (`deno fmt`, configured in
 * deno.json), so that `deno fmt --check` stays clean after every benchmark run. Files outside
 * the formatter's include list, or a missing deno, are left as they are.
 */
export function formatFiles(files: string[]): void {
  const deno = executable("deno");
  if (deno === undefined) return;
  // The repo's config by name: found from the cwd alone, it does not reach files outside the
  // repo (`--out /tmp/x`), which were then formatted at deno's default width.
  const config = join(repo, "deno.json");
  spawnSync(deno, ["fmt", "--quiet", "--config", config, ...files], {
    cwd: repo,
    stdio: "ignore",
    timeout: 60_000,
  });
}
