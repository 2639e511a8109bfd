/**
 * Signal-like objects: `signalOf` accepts any object with a boolean `aborted` and an
 * `addEventListener` (a polyfill, a framework's token). One whose methods or getters throw, or
 * that has no `removeEventListener`, must end the call it was given to with an error and leave
 * the primitive as an abort would: the lock re-acquired by a Condition's wait, a Barrier broken,
 * a thread's line of acquires going on. Found by review (2026-12-03).
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { Barrier, BrokenBarrierError, Condition, Lock, Semaphore } from "../mod.ts";
import { pendingAsyncWaits } from "../src/internal/futex.ts";
import { settleWithin } from "./helpers.ts";

/** A signal-like object whose `addEventListener` throws. */
const refusing = {
  aborted: false,
  addEventListener() {
    throw new Error("listener refused");
  },
} as unknown as AbortSignal;

test("signal-like: a Condition wait whose listener is refused rejects with that error, holding the lock again", async () => {
  const cond = new Condition();
  await cond.acquire();
  const waited = cond.wait({ timeout: 10_000, signal: refusing });
  assert.equal(await settleWithin(waited, 5_000), "rejected listener refused");
  // As after an abort: the wait re-acquired the lock, and left no ticket to take a notify.
  cond.release();
  const other = (async () => {
    await cond.acquire();
    try {
      return await cond.wait({ timeout: 10_000 });
    } finally {
      cond.release();
    }
  })();
  for (let i = 0; i < 200 && pendingAsyncWaits() === 0; i++) {
    await new Promise((r) => setTimeout(r, 5));
  }
  await cond.acquire();
  cond.notify(1);
  cond.release();
  assert.equal(await settleWithin(other, 5_000), "resolved true");
});

test("signal-like: a Barrier party whose listener is refused rejects and breaks the barrier, as an abort does", async () => {
  const barrier = new Barrier(2);
  const refused = barrier.wait({ timeout: 10_000, signal: refusing });
  assert.equal(await settleWithin(refused, 5_000), "rejected listener refused");
  assert.equal(barrier.broken, true);
  await assert.rejects(barrier.wait({ timeout: 5_000 }), BrokenBarrierError);
});

for (
  const [kind, make] of [["Lock", () => new Lock()], [
    "Semaphore(1)",
    () => new Semaphore(1),
  ]] as const
) {
  test(`signal-like: ${kind}: a call in line whose signal has no removeEventListener does not wedge the line`, async () => {
    const p = make();
    p.acquireSync();
    const bare = { aborted: false, addEventListener() {} } as unknown as AbortSignal;
    const head = p.acquire({ timeout: 10_000 });
    const behind = p.acquire({ timeout: 10_000, signal: bare });
    p.release();
    // The head's done() ends the call behind's wait in line, which removes its listener: that
    // threw out of done(), the head rejected holding the lock, and the line stayed held.
    assert.equal(await settleWithin(head, 5_000), "resolved true");
    p.release();
    assert.equal(await settleWithin(behind, 5_000), "resolved true");
    p.release();
    assert.equal(await settleWithin(p.acquire({ timeout: 2_000 }), 5_000), "resolved true");
    p.release();
  });
}

test("signal-like: an aborted getter that throws on a later read makes acquire() reject, not throw", () => {
  let reads = 0;
  const flaky = {
    get aborted() {
      if (++reads === 2) throw new Error("second read");
      return false;
    },
    addEventListener() {},
    removeEventListener() {},
  } as unknown as AbortSignal;
  let returned: Promise<boolean> | undefined;
  assert.doesNotThrow(() => {
    returned = new Lock().acquire({ signal: flaky });
  });
  return assert.rejects(returned!, /second read/);
});
