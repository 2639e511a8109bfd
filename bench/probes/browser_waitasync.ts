/**
 * Probe (issue 9): does the futex layer's nudge (`setAsyncNudge` in `src/internal/futex.ts`) pay
 * in Chromium too? Two module Web Workers of a cross-origin-isolated page ping-pong, round-robin
 * over the variants in one page: raw `Atomics.waitAsync` with `timed` waits (a 20 s timeout, as
 * `floor.waitasync`), `untimed` ones (no timeout, as threadkit registers) and `nudged` ones (no
 * timeout, plus the nudge: a wait on a private word, notified at once by the same worker); and
 * threadkit's async Semaphore ping-pong (as `semaphore.pingpong-async`) built for browsers from
 * copies of this tree with the browser adapter's nudge off (`semaphore`) and on
 * (`semaphore-nudged`). Prints the median µs per round trip of each and the ratios to `timed`.
 *
 *   node bench/probes/browser_waitasync.ts [rounds=9] [round trips per run=4000]
 *
 * Found (2026-12-02, Chromium 150, load 1.7–2.9): untimed raw waits 0.78–0.89× the timed ones;
 * nudged ÷ untimed 0.59–1.05 over nine runs; the Semaphore built with the nudge ÷ without 0.98,
 * 0.97, 0.87, 0.92 (four runs). So the browser adapter turns the nudge on.
 *
 * Needs Debian's Chromium (`/usr/bin/chromium`, or `$THREADKIT_CHROMIUM`) and playwright-core.
 *
 * @module
 */

import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { buildLibrary } from "../../tests/browser/runner.ts";
import { startServer } from "../../tests/browser/server.ts";

const ROUNDS = Number(process.argv[2] ?? 9);
const N = Number(process.argv[3] ?? 4000);
const CHROMIUM = process.env.THREADKIT_CHROMIUM ?? "/usr/bin/chromium";

/** The worker: ping-pongs on slot 0 of `sab` with `variant` waits, reports ms for `n`. */
const WORKER = `
self.onmessage = async ({ data: { sab, index, variant, n, handles } }) => {
  if (variant.startsWith("semaphore")) {
    const lib = await import(variant === "semaphore" ? "./lib/mod.js" : "./nudged/mod.js");
    const ping = lib.Semaphore.from(handles.ping);
    const pong = lib.Semaphore.from(handles.pong);
    const bounded = { timeout: 20000 };
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      if (index === 0) {
        ping.release();
        if (!(await pong.acquire(bounded))) throw new Error("no wake-up in 20 s");
      } else {
        if (!(await ping.acquire(bounded))) throw new Error("no wake-up in 20 s");
        pong.release();
      }
    }
    self.postMessage(performance.now() - t0);
    return;
  }
  const i32 = new Int32Array(sab);
  const nudgeSlot = new Int32Array(new SharedArrayBuffer(4));
  const theirs = index === 0 ? 1 : 0;
  const wait = async (expected) => {
    const r = variant === "timed"
      ? Atomics.waitAsync(i32, 0, expected, 20000)
      : Atomics.waitAsync(i32, 0, expected);
    if (!r.async) return;
    if (variant === "nudged") {
      Atomics.waitAsync(nudgeSlot, 0, 0);
      Atomics.notify(nudgeSlot, 0);
    }
    if ((await r.value) === "timed-out") throw new Error("no wake-up in 20 s");
  };
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    if (index === 0) { Atomics.store(i32, 0, theirs); Atomics.notify(i32, 0, 1); }
    while (Atomics.load(i32, 0) === theirs) await wait(theirs);
    if (index === 1) { Atomics.store(i32, 0, theirs); Atomics.notify(i32, 0, 1); }
  }
  self.postMessage(performance.now() - t0);
};
`;

const PAGE =
  `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head>
<body>probe</body></html>`;

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const dir = await mkdtemp(join(tmpdir(), "threadkit-probe-"));
await writeFile(join(dir, "page.html"), PAGE);
await writeFile(join(dir, "pp_worker.js"), WORKER);
// Two builds of copies of this tree whose browser adapter sets the nudge off (`lib/`, rows
// `semaphore`) and on (`nudged/`, rows `semaphore-nudged`).
async function buildWithNudge(on: boolean, out: string): Promise<void> {
  const copy = join(dir, on ? "tree-on" : "tree-off");
  for (const part of ["mod.ts", "src", "package.json"]) {
    await cp(join(ROOT, part), join(copy, part), { recursive: true });
  }
  const adapter = join(copy, "src/runtime/browser.ts");
  const source = await readFile(adapter, "utf8");
  const setting = /nudgeAsyncWaits: (true|false)/;
  if (!setting.test(source)) throw new Error("src/runtime/browser.ts: nudgeAsyncWaits not found");
  await writeFile(adapter, source.replace(setting, `nudgeAsyncWaits: ${on}`));
  await buildLibrary(out, copy);
}
const lib = join(dir, "lib");
await buildWithNudge(false, lib);
await buildWithNudge(true, join(dir, "nudged"));
const server = await startServer(lib, dir, 10 * 60_000);
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run"],
});
try {
  const page = await (await browser.newContext()).newPage();
  page.setDefaultTimeout(10 * 60_000);
  await page.goto(`${server.origin}/isolated/`);
  const load0 = loadavg();
  const result = await page.evaluate(async ({ rounds, n }) => {
    const variants = ["timed", "untimed", "nudged", "semaphore", "semaphore-nudged"];
    const times: Record<string, number[]> = Object.fromEntries(variants.map((v) => [v, []]));
    const { Semaphore } = await import(new URL("./lib/mod.js", location.href).href);
    const once = async (variant: string, count: number) => {
      const sab = new SharedArrayBuffer(4);
      const handles = { ping: new Semaphore(0).handle, pong: new Semaphore(0).handle };
      const workers = [0, 1].map(() => new Worker("./pp_worker.js", { type: "module" }));
      const done = workers.map((w) =>
        new Promise<number>((resolve, reject) => {
          w.onmessage = (e) => resolve(e.data);
          w.onerror = (e) => reject(new Error(e.message));
        })
      );
      workers.forEach((w, index) => w.postMessage({ sab, index, variant, n: count, handles }));
      const ms = await Promise.all(done);
      workers.forEach((w) => w.terminate());
      return Math.max(...ms) * 1000 / count;
    };
    for (const v of variants) await once(v, 200); // warm-up
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < variants.length; k++) {
        const v = variants[(r + k) % variants.length]!;
        times[v]!.push(await once(v, n));
      }
    }
    return times;
  }, { rounds: ROUNDS, n: N });
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  const timed = median(result.timed!);
  console.log(
    `chromium ${browser.version()}; load ${load0.map((l) => l.toFixed(2)).join("/")} → ${
      loadavg().map((l) => l.toFixed(2)).join("/")
    }; ${ROUNDS} rounds × ${N} round trips, rotated`,
  );
  for (const [name, xs] of Object.entries(result)) {
    console.log(
      `${name.padEnd(16)} ${median(xs).toFixed(2).padStart(7)} µs  ${
        (median(xs) / timed).toFixed(2)
      }× timed  (${Math.min(...xs).toFixed(1)} – ${Math.max(...xs).toFixed(1)})`,
    );
  }
} finally {
  await browser.close();
  await server.close();
  await rm(dir, { recursive: true, force: true });
}
