/**
 * Runs the browser scenarios (`scenario.js`) in Chromium and returns their summaries:
 *
 * 1. builds threadkit for browsers with esbuild into a temp dir: `mod.ts`, the thread
 *    bootstrap and what it loads on demand (`bootstrap_shared.ts`) as separate ESM entries
 *    (format esm, platform browser, shared chunks), with `THREADKIT_BOOTSTRAP` and
 *    `THREADKIT_BOOTSTRAP_SHARED` defined as the npm build defines them;
 * 2. serves it with `server.ts` (a cross-origin-isolated site and a plain one);
 * 3. drives Chromium through playwright-core: the isolated page, then the plain one.
 *
 * Every step is bounded; the browser, the server and the temp dir are gone when it returns or
 * throws. Node only (the test skips elsewhere).
 *
 * @module
 */

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { type Browser, chromium, type Page } from "playwright-core";
import { startServer } from "./server.ts";

/** What the pages reported, plus what the test needs to explain a failure. */
export interface BrowserRun {
  readonly isolated: Record<string, any>;
  readonly plain: Record<string, any>;
  /** Console messages and page errors of both pages. */
  readonly console: string[];
  /** Requests the server answered. */
  readonly requests: string[];
  readonly version: string;
}

/** How to run. */
export interface BrowserRunOptions {
  /** The Chromium binary. */
  readonly executablePath: string;
  /** Bound of the whole run; every step gets at most what is left of it. */
  readonly timeoutMs: number;
}

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const PAGES = fileURLToPath(new URL("./", import.meta.url));

/** `promise`, or a rejection naming `what` once `deadline` (a `Date.now()` time) passes. */
function bounded<T>(promise: Promise<T>, deadline: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const ms = Math.max(0, deadline - Date.now());
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Builds threadkit (of the tree at `root`, this one by default) for browsers into `outdir`. */
export async function buildLibrary(outdir: string, root: string = ROOT): Promise<void> {
  await build({
    entryPoints: {
      mod: join(root, "mod.ts"),
      bootstrap: join(root, "src/bootstrap.ts"),
      bootstrap_shared: join(root, "src/bootstrap_shared.ts"),
    },
    outdir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    sourcemap: true,
    define: {
      THREADKIT_BOOTSTRAP: JSON.stringify("./bootstrap.js"),
      THREADKIT_BOOTSTRAP_SHARED: JSON.stringify("./bootstrap_shared.js"),
    },
    logLevel: "silent",
  });
}

/** Opens `url` in a fresh context and runs `scenario.js`'s export `name` there. */
async function runPage(
  browser: Browser,
  url: string,
  name: "isolated" | "plain",
  deadline: number,
  logs: string[],
): Promise<Record<string, any>> {
  const context = await browser.newContext();
  try {
    const page: Page = await context.newPage();
    page.setDefaultTimeout(Math.max(1, deadline - Date.now()));
    page.on("console", (message) => logs.push(`[${name} ${message.type()}] ${message.text()}`));
    page.on("pageerror", (error) => logs.push(`[${name} pageerror] ${error.stack ?? error}`));
    page.on("worker", (worker) => {
      logs.push(`[${name}] worker started: ${worker.url()}`);
    });
    const response = await page.goto(url, { waitUntil: "load" });
    if (response === null || !response.ok()) {
      throw new Error(`Cannot load ${url}: HTTP ${response?.status()}`);
    }
    return await bounded(
      page.evaluate(async (fn) => {
        const scenario = await import(new URL("./scenario.js", location.href).href);
        return await scenario[fn]();
      }, name),
      deadline,
      `the ${name} page's scenario`,
    );
  } finally {
    await context.close().catch(() => {});
  }
}

/** Runs both pages; see the module doc. */
export async function runBrowserScenarios(options: BrowserRunOptions): Promise<BrowserRun> {
  const deadline = Date.now() + options.timeoutMs;
  const dir = await mkdtemp(join(tmpdir(), "threadkit-browser-"));
  const logs: string[] = [];
  let browser: Browser | undefined;
  const server = await startServer(dir, PAGES, options.timeoutMs);
  try {
    await bounded(buildLibrary(dir), deadline, "the esbuild build");
    browser = await chromium.launch({
      executablePath: options.executablePath,
      headless: true,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
      timeout: Math.max(1, deadline - Date.now()),
    });
    const version = browser.version();
    const isolated = await runPage(
      browser,
      `${server.origin}/isolated/page.html`,
      "isolated",
      deadline,
      logs,
    );
    const plain = await runPage(
      browser,
      `${server.origin}/plain/page.html`,
      "plain",
      deadline,
      logs,
    );
    return { isolated, plain, console: logs, requests: server.log, version };
  } catch (error) {
    const context = [
      `server requests:\n  ${server.log.join("\n  ")}`,
      `browser console:\n  ${logs.join("\n  ")}`,
    ].join("\n");
    throw new Error(`${(error as Error)?.message ?? error}\n${context}`, { cause: error });
  } finally {
    await browser?.close().catch(() => {});
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}
