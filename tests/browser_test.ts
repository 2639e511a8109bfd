/**
 * threadkit in a browser (Chromium, headless, driven by playwright-core): a cross-origin-isolated
 * page shares a Lock and a Queue with a Thread (a module Web Worker started on the bootstrap) and
 * with a raw module Worker; a page without COOP/COEP gets an error that names both headers. See
 * `browser/runner.ts` for the build, server and browser, `browser/scenario.js` for the pages.
 *
 * Runs under Node only (the browser is what is tested; Deno and Bun skip with a reason). Chromium
 * is `/usr/bin/chromium` (Debian's package) or `$THREADKIT_CHROMIUM`; when it is missing the test
 * skips with a message, and fails when `$CI` is set.
 *
 * @module
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";

/** Bound of the whole browser run (build, server, browser, both pages). */
const RUN_MS = 45_000;

const g = globalThis as {
  Deno?: unknown;
  Bun?: unknown;
  process?: { env: Record<string, string | undefined> };
};
const host = g.Deno !== undefined ? "Deno" : g.Bun !== undefined ? "Bun" : "Node";
const env = g.process?.env ?? {};
const chromiumPath = env.THREADKIT_CHROMIUM ?? "/usr/bin/chromium";
const inCI = env.CI !== undefined && env.CI !== "" && env.CI !== "false" && env.CI !== "0";
const haveChromium = existsSync(chromiumPath);
const missing = `Chromium not found at ${chromiumPath}: install Debian's package ` +
  `(apt-get install -y chromium) or set THREADKIT_CHROMIUM to a Chromium binary`;

function skipReason(): string | false {
  if (host !== "Node") {
    return `the browser test drives Chromium from Node (npm run test:node); ${host} skips it`;
  }
  if (!haveChromium && !inCI) return `${missing} (with CI set, this fails instead of skipping)`;
  return false;
}

const ATOMICS_MAIN = "Atomics.wait is not allowed here";
const HEADERS = [
  "Cross-Origin-Opener-Policy: same-origin",
  "Cross-Origin-Embedder-Policy: require-corp",
];

test(
  "browser: threadkit in Chromium",
  { skip: skipReason(), timeout: RUN_MS + 10_000 },
  async (t) => {
    if (!haveChromium) assert.fail(`${missing} (CI is set, so the browser test must run)`);
    const { runBrowserScenarios } = await import("./browser/runner.ts");
    const run = await runBrowserScenarios({ executablePath: chromiumPath, timeoutMs: RUN_MS });
    const iso = run.isolated;
    const plain = run.plain;
    const context = `\nChromium ${run.version}\nconsole:\n  ${run.console.join("\n  ")}`;

    await t.test("the isolated page is cross-origin isolated", () => {
      assert.equal(iso.crossOriginIsolated, true, context);
      assert.deepEqual(iso.main, { name: "MainThread", ident: iso.main.ident, isMain: true });
    });

    await t.test("*Sync on the page's main thread throws a TypeError naming the async form", () => {
      assert.equal(iso.acquireAsync, true, "await lock.acquire() on the main thread");
      for (
        const [key, form] of [
          ["acquireSyncError", "lock.acquire()"],
          ["acquireSyncTryError", "lock.acquire()"],
          ["getSyncError", "queue.get()"],
          ["joinSyncError", "thread.join()"],
        ] as const
      ) {
        const error = iso[key];
        assert.ok(error, `${key}: the call returned instead of throwing`);
        assert.equal(error.name, "TypeError", `${key}: ${error.message}`);
        assert.equal(error.isTypeError, true);
        assert.ok(error.message.includes(form), `${key} names ${form}: ${error.message}`);
        assert.ok(error.message.includes(ATOMICS_MAIN), `${key} says why: ${error.message}`);
      }
    });

    await t.test("a Thread shares the Lock and Queue and returns through join()", () => {
      assert.equal(iso.emptyWhileHeld, true, "the thread waited for the page's lock");
      assert.equal(iso.aliveWhileHeld, true);
      assert.deepEqual(
        iso.items,
        [0, 1, 2, 3, 4].map((i) => ({ i, square: i * i, text: `é ${"x".repeat(i)}` })),
      );
      const result = iso.result;
      assert.equal(result.acquired, true);
      assert.equal(result.sameClasses, true, "one copy of threadkit in the thread's worker");
      assert.deepEqual(result.me, {
        name: "browser-thread",
        ident: iso.threadIdent,
        isMain: false,
      });
      assert.notEqual(iso.threadIdent, iso.main.ident);
      assert.equal(result.isolated, true);
      assert.equal(result.mapCount, 5, "a Map crossed back through join()");
      assert.equal(result.big, String(2n ** 70n), "a bigint crossed back through join()");
      assert.equal(iso.aliveAfterJoin, false);
      assert.equal(iso.lockedAfterJoin, false);
    });

    await t.test("a Thread's error rejects join() with its class and message", () => {
      assert.deepEqual(iso.joinError, {
        name: "RangeError",
        message: "thrown in a browser thread",
        isTypeError: false,
        isRangeError: true,
      });
    });

    await t.test("a raw module Worker opens the handles it was posted", () => {
      assert.equal(iso.rawEmptyWhileHeld, true, "the raw worker waited for the page's lock");
      assert.equal(iso.rawReply.acquired, true);
      assert.deepEqual(iso.rawItem, { from: "raw worker", ident: iso.rawReply.ident });
      const idents = [iso.main.ident, iso.threadIdent, iso.rawReply.ident];
      assert.equal(new Set(idents).size, 3, `idents are unique: ${idents}`);
      assert.equal(iso.lockedAtEnd, false);
    });

    await t.test("a ThreadPool's tasks share a Lock and Int32Arrays with the page, also ones registered later", () => {
      for (const pool of [iso.pool, iso.poolLater]) {
        assert.equal(pool?.error, undefined, `the tasks failed: ${pool?.error?.message}`);
        assert.equal(pool.counter, 15, "every task added to the page's counter");
        assert.equal(pool.sameClasses, true);
        assert.equal(pool.shared, true, "the Int32Array arrived as the same shared memory");
        // Running totals, in whatever order the tasks ran: distinct, the last is the sum.
        assert.equal(new Set(pool.totals).size, 5, `totals: ${pool.totals}`);
        assert.equal(pool.totals[4], 15);
      }
    });

    await t.test("a page that is not cross-origin isolated gets an error naming both headers", () => {
      assert.equal(plain.crossOriginIsolated, false);
      assert.equal(plain.sharedArrayBuffer, "undefined");
      assert.equal(
        plain.importError,
        null,
        `importing threadkit works: ${plain.importError?.message}`,
      );
      for (const key of ["lockError", "queueError", "eventError", "threadError"]) {
        const error = plain[key];
        assert.ok(error, `${key}: the constructor returned instead of throwing`);
        assert.equal(error.name, "TypeError", `${key}: ${error.message}`);
        assert.ok(error.message.includes("SharedArrayBuffer"), error.message);
        assert.ok(error.message.includes("not cross-origin isolated"), error.message);
        for (const header of HEADERS) assert.ok(error.message.includes(header), error.message);
      }
    });
  },
);
