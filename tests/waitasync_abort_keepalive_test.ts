/**
 * Keep-alive with `Atomics.waitAsync` (not the polling fallback): the thread's one keep-alive
 * timer is ref'd while an async wait is pending and unref'd once none is, so an aborted wait keeps
 * nothing alive, and a later wait is still kept alive until it ends (`fixtures/
 * waitasync_abort_main.ts`).
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { runFixture } from "./fixtures/checks.ts";

test("an aborted waitAsync keeps the process alive no longer; a later pending wait still does", async () => {
  const t0 = performance.now();
  const { code, stdout, stderr } = await runFixture("waitasync_abort_main.ts", 8_000);
  const elapsed = performance.now() - t0;
  assert.equal(stdout.trim(), "stop stop pending 2->0 timed-out true", `stderr: ${stderr}`);
  assert.equal(
    code,
    0,
    `the script did not exit by itself (killed after ${elapsed.toFixed(0)} ms)`,
  );
});
