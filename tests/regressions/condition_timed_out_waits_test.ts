/**
 * Regression: waits that time out (or are aborted) without being notified used to keep their
 * ticket in the Condition's window until some later `notify` passed it, so a program that waits
 * with a timeout and never notifies (polling a predicate) got `RangeError: ... already has 1024
 * waiters` on its 1024th wait, with no waiter at all.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { Condition, Lock } from "../../mod.ts";

test("Condition: more than 1024 timed-out waits in a row never exhaust the waiter window", async () => {
  for (const cond of [new Condition(), new Condition(new Lock())]) {
    assert.equal(await cond.acquire({ timeout: 1000 }), true);
    for (let i = 0; i < 1100; i++) {
      assert.equal(cond.waitSync({ timeout: 0 }), false, `sync wait ${i}`);
    }
    for (let i = 0; i < 1100; i++) {
      assert.equal(await cond.wait({ timeout: 0 }), false, `async wait ${i}`);
    }
    for (let i = 0; i < 1100; i++) {
      const controller = new AbortController();
      const waiting = cond.wait({ timeout: 1000, signal: controller.signal });
      controller.abort(i);
      await assert.rejects(waiting, (reason) => reason === i);
    }
    // Still a working condition: a notify reaches a waiter (the waiter is on this thread).
    const waiting = cond.wait({ timeout: 2000 });
    assert.equal(await cond.acquire({ timeout: 1000 }), true);
    cond.notify();
    cond.release();
    assert.equal(await waiting, true);
    cond.release();
    assert.equal(cond.lock.locked, false);
  }
});
