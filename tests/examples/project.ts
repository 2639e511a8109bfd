/**
 * What `examples_test.ts` runs the examples in, built the way a user gets threadkit:
 *
 * - an npm project: `npm run build`, `npm pack` into a temp dir, then `npm install <tarball>
 *   --offline` into a fresh temp project (threadkit has no dependencies, so no network is used),
 *   with every example folder copied beside its `node_modules/`; Node and Bun run them there;
 * - a Deno project: the examples copied into another temp dir whose `deno.json` maps `threadkit`
 *   and `@threadkit/threadkit` to this repository's `mod.ts` (what JSR serves).
 *
 * Plus `run()`, which runs one command to its exit within a bound, and `findNode20()`.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** The repository's root, `examples/` and its `node_modules/.bin/`. */
export const ROOT: string = fileURLToPath(new URL("../../", import.meta.url));
export const EXAMPLES: string = join(ROOT, "examples");
export const BIN: string = join(ROOT, "node_modules", ".bin");

/** How a command ended. */
export interface RunResult {
  /** The exit code, `null` when a signal ended it (the bound included). */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** `true` when it was still running after the bound and was killed. */
  readonly timedOut: boolean;
  readonly ms: number;
}

/** Options of `run()`. */
export interface RunOptions {
  readonly cwd: string;
  /** Kill it (SIGKILL) after this long. */
  readonly timeoutMs: number;
  readonly env?: Record<string, string | undefined>;
}

/**
 * The environment of every command: this process's, less `NODE_TEST_CONTEXT` (set by
 * `node --test`: an example that imported `node:test` would report to this runner) and
 * `NODE_OPTIONS` (an example runs as a user's plain `node main.ts` does).
 */
function childEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...process.env, ...extra })) {
    if (value !== undefined && key !== "NODE_TEST_CONTEXT" && key !== "NODE_OPTIONS") {
      env[key] = value;
    }
  }
  return env;
}

/** Runs `command args` in `cwd` to its exit, or kills it after `timeoutMs`. Never rejects. */
export function run(
  command: string,
  args: readonly string[],
  options: RunOptions,
): Promise<RunResult> {
  const started = performance.now();
  return new Promise<RunResult>((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: childEnv(options.env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => stdout += chunk);
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => stderr += chunk);
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, options.timeoutMs);
    const done = (code: number | null) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut, ms: performance.now() - started });
    };
    child.once("error", (error) => {
      stderr += String(error);
      done(null);
    });
    child.once("close", (code) => done(code));
  });
}

/** Throws with the command's output unless it exited with 0. */
export function check(what: string, result: RunResult): RunResult {
  if (result.code !== 0) {
    const how = result.timedOut ? "did not finish in time" : `exited with ${result.code}`;
    throw new Error(`${what} ${how}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
  return result;
}

/** The projects the examples run in; `close()` removes them. */
export interface ExampleProjects {
  /** The npm project: `node_modules/threadkit` from the tarball, one folder per example. */
  readonly npm: string;
  /** The Deno project: `deno.json` mapping threadkit to `mod.ts`, one folder per example. */
  readonly deno: string;
  /** The tarball's file name. */
  readonly tarball: string;
  close(): Promise<void>;
}

/**
 * Builds, packs and installs threadkit, then copies the examples into both projects.
 * `npm run build` rewrites this repository's `dist/` (as `npm run test:dist` does).
 */
export async function prepareProjects(timeoutMs: number): Promise<ExampleProjects> {
  const deadline = Date.now() + timeoutMs;
  const left = () => Math.max(1, deadline - Date.now());
  const dir = await mkdtemp(join(tmpdir(), "threadkit-examples-"));
  try {
    const npm = join(dir, "npm-project");
    const deno = join(dir, "deno-project");
    const pack = join(dir, "pack");
    await Promise.all([mkdir(npm), mkdir(deno), mkdir(pack)]);

    check("npm run build", await run("npm", ["run", "build"], { cwd: ROOT, timeoutMs: left() }));
    const packed = check(
      "npm pack",
      await run("npm", ["pack", "--json", "--pack-destination", pack], {
        cwd: ROOT,
        timeoutMs: left(),
      }),
    );
    const tarball = (JSON.parse(packed.stdout) as { filename: string }[])[0]?.filename;
    if (tarball === undefined) throw new Error(`npm pack named no tarball: ${packed.stdout}`);

    await writeFile(
      join(npm, "package.json"),
      JSON.stringify({ name: "threadkit-examples", private: true }),
    );
    check(
      "npm install (offline) of the tarball",
      await run(
        "npm",
        [
          "install",
          join(pack, tarball),
          "--offline",
          "--no-audit",
          "--no-fund",
          "--ignore-scripts",
        ],
        { cwd: npm, timeoutMs: left() },
      ),
    );
    // @types/node for the type-check of the Node example (the others are checked without it).
    await mkdir(join(npm, "node_modules", "@types"));
    await symlink(
      join(ROOT, "node_modules", "@types", "node"),
      join(npm, "node_modules", "@types", "node"),
      "dir",
    );

    const mod = pathToFileURL(join(ROOT, "mod.ts")).href;
    await writeFile(
      join(deno, "deno.json"),
      JSON.stringify({ imports: { "threadkit": mod, "@threadkit/threadkit": mod } }, null, 2),
    );
    for (const entry of await readdir(EXAMPLES, { withFileTypes: true })) {
      const from = join(EXAMPLES, entry.name);
      await cp(from, join(npm, entry.name), { recursive: true });
      // Deno reads a package.json's dependencies; the Deno project has only its deno.json.
      await cp(from, join(deno, entry.name), {
        recursive: true,
        filter: (path) => !path.endsWith("package.json"),
      });
    }
    return { npm, deno, tarball, close: () => rm(dir, { recursive: true, force: true }) };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * The machine's own Node 20 (`/usr/local/bin/node` or `/usr/bin/node`, what
 * `env PATH=/usr/local/bin:/usr/bin:/bin node` runs), or a reason why there is none.
 */
export async function findNode20(): Promise<{ path: string; version: string } | string> {
  for (const path of ["/usr/local/bin/node", "/usr/bin/node"]) {
    if (!existsSync(path)) continue;
    const result = await run(path, ["--version"], { cwd: ROOT, timeoutMs: 10_000 });
    const version = result.stdout.trim();
    if (result.code === 0 && version.startsWith("v20.")) return { path, version };
  }
  return "no Node 20 at /usr/local/bin/node or /usr/bin/node";
}
