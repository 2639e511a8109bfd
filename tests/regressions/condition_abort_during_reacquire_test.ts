/**
 * Regression: an async `Condition.wait` whose signal aborts while it is re-acquiring an RLock
 * that another task of the same thread holds. The abort was thrown into the RLock's re-acquire,
 * whose clean-up saw the lock "owned" (by this thread, through the other task) and overwrote
 * that holder's recursion depth with the waiter's saved one: the holder's release then left the
 * lock held, and the aborted waiter never got it back (its promise never settled).
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { Condition, NotOwnedError, type RLock } from "../../mod.ts";
import { until } from "../helpers.ts";

test("Condition: abort while re-acquiring an RLock held by another task of this thread", async () => {
  const cond = new Condition();
  const rlock = cond.lock as RLock;
  // The RLock's lock word (see src/rlock.ts): slot 0 = owner << 1 | PARKED.
  const word = new Int32Array(rlock.handle.buffer, rlock.handle.byteOffset, 1);
  const controller = new AbortController();
  const reason = new Error("stop waiting");

  // Task A: holds the lock 3 deep and waits.
  for (let i = 0; i < 3; i++) assert.equal(cond.acquireSync({ timeout: 1000 }), true);
  const waiting = cond.wait({ signal: controller.signal, timeout: 5000 }).then(
    (value) => ({ value, owned: rlock.owned }),
    (error: unknown) => ({ error, owned: rlock.owned }),
  );
  // Task B (same thread): takes the lock once and notifies A, which wakes and parks on the
  // lock word (it sets PARKED) because B holds it.
  assert.equal(cond.acquireSync({ timeout: 1000 }), true);
  cond.notify();
  await until(() => (Atomics.load(word, 0) & 1) === 1, "A parks on the lock word", 5000);
  controller.abort(reason);
  cond.release(); // B's only release: the lock must be free for A now.

  const timedOut = Symbol("timed out");
  const outcome = await Promise.race([
    waiting,
    new Promise<typeof timedOut>((resolve) => setTimeout(() => resolve(timedOut), 3000)),
  ]);
  if (outcome === timedOut) {
    // Unstick the waiter so the process can end, then fail.
    while (rlock.owned) rlock.release();
    await waiting;
    while (rlock.owned) rlock.release();
    assert.fail("the aborted waiter never re-acquired the lock after B released it");
  }
  assert.equal("error" in outcome && outcome.error, reason);
  assert.equal(outcome.owned, true, "the lock is held again when the wait rejects");
  // A's depth (3) is restored: three releases, then NotOwnedError.
  rlock.release();
  rlock.release();
  rlock.release();
  assert.throws(() => rlock.release(), NotOwnedError);
  assert.equal(rlock.locked, false);
});
