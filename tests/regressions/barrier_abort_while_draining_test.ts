/**
 * Regression: `abort()` right after a cycle completed, while its waiters were still leaving,
 * broke that completed cycle: a waiter that had not yet run (an async waiter whose thread was
 * busy) got `BrokenBarrierError` from a wait whose rendezvous had succeeded, while the last
 * arrival had got its index. (CPython's state machine has the same race.) A completed cycle
 * keeps its outcome; the abort breaks the barrier for everyone after it.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { Barrier, BrokenBarrierError } from "../../mod.ts";

test("Barrier: abort() while a completed cycle drains keeps that cycle's outcome", async () => {
  const barrier = new Barrier(2);
  const first = barrier.wait({ timeout: 5000 }); // parks; cannot run until we yield
  assert.equal(barrier.waitSync({ timeout: 5000 }), 1); // completes the cycle
  barrier.abort(); // before `first` has run
  assert.equal(barrier.broken, true, "broken at once for later arrivals");
  assert.equal(barrier.nWaiting, 0);
  // An arrival before the completed cycle's waiter has run sees the break (there is no drain
  // phase to wait out since the lock-free state word; before it, it waited, then saw the break).
  const next = assert.rejects(barrier.wait({ timeout: 5000 }), BrokenBarrierError);
  assert.equal(await first, 0, "the completed cycle passed");
  await next;
  assert.throws(() => barrier.waitSync({ timeout: 5000 }), BrokenBarrierError);
  assert.equal(barrier.broken, true);
  // reset() after the break, before the completed cycle's waiter ran: it still passes.
  barrier.reset();
  const again = barrier.wait({ timeout: 5000 });
  assert.equal(barrier.waitSync({ timeout: 5000 }), 1);
  barrier.abort();
  barrier.reset();
  assert.equal(barrier.broken, false);
  assert.equal(await again, 0);
  assert.equal(barrier.broken, false);
  const more = barrier.wait({ timeout: 5000 });
  assert.equal(barrier.waitSync({ timeout: 5000 }), 1);
  assert.equal(await more, 0);
});
