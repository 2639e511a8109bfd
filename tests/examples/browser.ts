/**
 * Runs `examples/browser/` as a user would: `node browser/serve.mjs` in the npm project, then the
 * page it serves, in headless Chromium driven by playwright-core. Returns what the page wrote into
 * its `<output>`. Every step is bounded; the server and the browser are gone when it returns or
 * throws. Node only.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { chromium } from "playwright-core";

/** The page's `<output>` text, its console and the Chromium version. */
export interface BrowserExampleRun {
  readonly output: string;
  readonly crossOriginIsolated: boolean;
  readonly console: string[];
  readonly version: string;
}

/** Runs the page; `npmProject` holds `browser/` and `node_modules/threadkit`. */
export async function runBrowserExample(
  npmProject: string,
  executablePath: string,
  timeoutMs: number,
): Promise<BrowserExampleRun> {
  const deadline = Date.now() + timeoutMs;
  const left = () => Math.max(1, deadline - Date.now());
  const server = spawn(process.execPath, ["browser/serve.mjs"], {
    cwd: npmProject,
    env: { ...process.env, PORT: "0", NODE_TEST_CONTEXT: undefined },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: string[] = [];
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = "";
      const timer = setTimeout(() => reject(new Error("serve.mjs printed no address")), left());
      server.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        out += chunk;
        const match = /http:\/\/\S+/.exec(out);
        if (match) {
          clearTimeout(timer);
          resolve(match[0]);
        }
      });
      server.stderr.setEncoding("utf8").on("data", (chunk: string) => logs.push(chunk));
      server.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`serve.mjs exited with ${code}: ${logs.join("")}`));
      });
    });
    const browser = await chromium.launch({
      executablePath,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
      timeout: left(),
    });
    try {
      const page = await browser.newPage();
      page.setDefaultTimeout(left());
      page.on("console", (message) => logs.push(`[${message.type()}] ${message.text()}`));
      page.on("pageerror", (error) => logs.push(`[pageerror] ${error.stack ?? error}`));
      const response = await page.goto(url, { waitUntil: "load" });
      if (response === null || !response.ok()) {
        throw new Error(`Cannot load ${url}: HTTP ${response?.status()}`);
      }
      await page.waitForFunction(
        () => document.querySelector("#result")?.textContent?.startsWith("browser") === true,
      );
      const output = await page.evaluate(() => document.querySelector("#result")!.textContent!);
      const crossOriginIsolated = await page.evaluate(() => globalThis.crossOriginIsolated);
      return { output, crossOriginIsolated, console: logs, version: browser.version() };
    } finally {
      await browser.close().catch(() => {});
    }
  } catch (error) {
    throw new Error(`${(error as Error)?.message ?? error}\nlogs:\n  ${logs.join("\n  ")}`, {
      cause: error,
    });
  } finally {
    server.kill("SIGKILL");
  }
}
