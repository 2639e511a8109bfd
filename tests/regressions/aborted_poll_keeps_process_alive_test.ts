/**
 * Regression: an aborted wait in the polling fallback kept the process alive.
 *
 * Where `Atomics.waitAsync` is missing (or with `setForcePolling(true)`), an async wait polls its
 * slot on a chain of timers. On abort the logical wait ended (the promise rejected and the
 * keep-alive reference was dropped), but the poll went on re-arming its timer until the slot
 * changed or the deadline passed — forever for a lock nobody releases — so the process never
 * exited. `fixtures/polling_abort_main.ts` aborts two such waits and must then exit at once.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { runFixture } from "../fixtures/checks.ts";

test("an aborted polling wait does not keep the process alive", async () => {
  const t0 = performance.now();
  const { code, stdout, stderr } = await runFixture("polling_abort_main.ts", 8_000);
  const elapsed = performance.now() - t0;
  assert.equal(stdout.trim(), "stop stop pending 0", `stderr: ${stderr}`);
  assert.equal(
    code,
    0,
    `the script did not exit by itself (killed after ${elapsed.toFixed(0)} ms)`,
  );
});
