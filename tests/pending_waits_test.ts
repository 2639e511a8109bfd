import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Lock } from "../mod.ts";
import {
  describePendingWaits,
  pendingAsyncWaits,
  trackPendingWaits,
} from "../src/internal/futex.ts";
import { runtime } from "../src/runtime/mod.ts";

/** The end-of-file check is Node's: Deno and Bun end their test runs regardless. */
const nodeOnly = {
  skip: runtime.name === "node"
    ? false
    : "the check is Node's (Deno and Bun end their test runs regardless)",
};

test("describePendingWaits names each pending async wait of this thread, and none once settled", async () => {
  trackPendingWaits();
  // Both baselines: on Bun every file runs in one process, and a wait of an earlier file may
  // still be settling (counted, and listed only if it began after tracking began).
  const before = pendingAsyncWaits();
  const listed = describePendingWaits().length;
  const lock = new Lock();
  lock.acquireSync();
  const waiting = lock.acquire({ timeout: 10_000 });
  assert.equal(pendingAsyncWaits(), before + 1);
  const lines = describePendingWaits();
  assert.equal(lines.length, listed + 1);
  assert.match(
    lines.at(-1)!,
    /^an async wait .*slot at byte 0 of a \d+-byte buffer.*; a deadline$/,
  );
  lock.release();
  assert.equal(await waiting, true);
  lock.release();
  // (Not `=== before`: an earlier file's wait may have settled since.)
  assert.ok(pendingAsyncWaits() <= before, "ours is no longer counted");
  assert.equal(describePendingWaits().length, listed, "nor listed");
});

/** Runs `fixture` (in `tests/fixtures/`) under `node --test` with the end-of-file check. */
function runUnderNodeTest(
  fixture: string,
  env: Record<string, string> = {},
): Promise<{ code: number | null; out: string; elapsed: number }> {
  const hook = fileURLToPath(new URL("./pending_waits.ts", import.meta.url));
  const file = fileURLToPath(new URL(`./fixtures/${fixture}`, import.meta.url));
  // Not a subtest of this run: without this, the child runs no file.
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env };
  delete childEnv.NODE_TEST_CONTEXT;
  const t0 = performance.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--test", "--test-reporter=tap", "--import", hook, file],
      { timeout: 60_000, killSignal: "SIGKILL", env: childEnv },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : null;
        resolve({ code, out: String(stdout) + String(stderr), elapsed: performance.now() - t0 });
      },
    );
  });
}

test(
  "node --test: a file that leaves a timer open fails, naming it, instead of never exiting",
  nodeOnly,
  async () => {
    const result = await runUnderNodeTest("leaves_timer_open.ts", { TK_EXIT_GRACE_MS: "1000" });
    assert.equal(result.code, 1, `exit code ${result.code}: ${result.out}`);
    assert.match(result.out, /leaves_timer_open\.ts: the process is still alive 1000 ms after/);
    assert.match(result.out, /open: \[.*"Timeout"/);
    assert.ok(result.elapsed < 30_000, `ended after ${result.elapsed.toFixed(0)} ms`);
  },
);

test(
  "node --test: a file that leaves a wait pending fails, naming it, instead of never exiting",
  nodeOnly,
  async () => {
    const result = await runUnderNodeTest("leaves_wait_pending.ts");
    assert.equal(result.code, 1, `exit code ${result.code}: ${result.out}`);
    assert.match(result.out, /1 async wait\(s\) of the main thread still pending/);
    assert.match(result.out, /leaves_wait_pending\.ts ended/);
    assert.match(
      result.out,
      /an async wait (parked locally|registered with waitAsync) on the slot/,
    );
    assert.ok(result.elapsed < 30_000, `ended after ${result.elapsed.toFixed(0)} ms`);
  },
);
