// Regression (issue 10 item 1): `Thread.terminate()` never settled on Deno when the thread was
// blocked in a threadkit `*Sync` wait. A thread holding a Lock, then blocked in
// `never.waitSync()` on an Event nobody sets: `terminate()` was still pending after 3 s, and the
// Lock's waiters never got `OwnerDiedError` (Node and Bun were fine). Deno's `Worker.terminate()`
// does not interrupt `Atomics.wait`. Fixed by slicing threadkit's sync waits on Deno and reading
// the terminate request between slices (`thread/runner.ts`); a raw `Atomics.wait`, which no
// library can slice, is given up on after `TERMINATE_GRACE_MS`: the thread is marked ended and
// `terminate()` rejects saying so.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Event } from "../../src/event.ts";
import { Lock } from "../../src/lock.ts";
import { OwnerDiedError } from "../../src/errors.ts";
import { TERMINATE_GRACE_MS, Thread } from "../../src/thread/thread.ts";

const OPS = new URL("../fixtures/terminate_ops.ts", import.meta.url);
const isDeno = typeof (globalThis as { Deno?: unknown }).Deno === "object";
/** Every wait here gives up after this long, so that a bug fails instead of hanging. */
const START_MS = 20_000;

/** How `promise` settles, or "pending" after `ms`. */
function settleWithin(promise: Promise<unknown>, ms: number): Promise<string> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<string>((resolve) => timer = setTimeout(() => resolve("pending"), ms));
  return Promise.race([
    promise.then(() => "resolved", (e: Error) => `rejected: ${e.message}`),
    late,
  ]).finally(() => clearTimeout(timer));
}

for (const daemon of [false, true]) {
  test(`terminate() settles for a thread blocked in never.waitSync() holding a Lock (daemon: ${daemon})`, async () => {
    const lock = new Lock();
    const acquired = new Event();
    const never = new Event();
    const t = new Thread(OPS, {
      export: "holdLockThenWaitForever",
      args: [lock, acquired, never],
      daemon,
    });
    t.start();
    const joined = t.join().then(() => "resolved", (e: Error) => e.message);
    assert.equal(await acquired.wait({ timeout: START_MS }), true);
    const t0 = performance.now();
    // Well within the grace period everywhere: threadkit's own waits end on a terminate.
    assert.equal(await settleWithin(t.terminate(), TERMINATE_GRACE_MS), "resolved");
    const ms = performance.now() - t0;
    assert.equal(t.isAlive(), false);
    assert.match(await joined, /was terminated before its export settled$/);
    // The Lock passes on with OwnerDiedError, within the owner-death poll.
    await assert.rejects(lock.acquire({ timeout: 2000 }), OwnerDiedError);
    assert.equal(lock.locked, true);
    lock.release();
    console.log(`terminate() of a thread blocked in waitSync settled in ${ms.toFixed(0)} ms`);
  });
}

test("terminate() settles for a thread blocked in a raw Atomics.wait, saying what it did", async () => {
  const lock = new Lock();
  const acquired = new Event();
  // The raw wait lasts longer than the grace period, and ends by itself so the process can end.
  const rawMs = TERMINATE_GRACE_MS + 3000;
  const t = new Thread(OPS, { export: "holdLockThenRawWait", args: [lock, acquired, rawMs] });
  t.start();
  const joined = t.join().then(() => "resolved", (e: Error) => e.message);
  assert.equal(await acquired.wait({ timeout: START_MS }), true);
  const outcome = await settleWithin(t.terminate(), TERMINATE_GRACE_MS + 2000);
  assert.equal(t.isAlive(), false);
  if (isDeno) {
    // Deno cannot interrupt the wait: terminate() gives up after the grace period and says so.
    assert.match(outcome, /^rejected: Cannot terminate thread \d+ .*raw Atomics\.wait/);
    assert.match(await joined, /was terminated before its export settled, but its worker/);
  } else {
    assert.equal(outcome, "resolved");
    assert.match(await joined, /was terminated before its export settled$/);
  }
  // Either way the thread is marked ended: its Lock passes on with OwnerDiedError.
  await assert.rejects(lock.acquire({ timeout: 2000 }), OwnerDiedError);
  lock.release();
});
