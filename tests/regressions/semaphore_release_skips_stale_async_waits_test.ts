/**
 * Regression: `Semaphore.release` never settled the physical waits left by aborted async
 * acquires.
 *
 * A pending `Atomics.waitAsync` cannot be cancelled: on abort the logical wait ends at once, and
 * the physical one stays registered (and counted in the ASYNC slot) until a wake of the slot
 * settles it — by design, "the next wake of that slot" (futex.ts). But `release()` woke only when
 * the WAITERS slot was non-zero, and aborted waiters had rightly uncounted themselves there, so
 * no release ever woke the slot: every aborted acquire leaked a registration and its promise for
 * good (50,000 aborts: ASYNC 50,000 and ~95 MB of heap on Node), and every later wake of the
 * semaphore became a wake-all.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { Semaphore } from "../../mod.ts";
import { pendingAsyncWaits } from "../../src/internal/futex.ts";
import { until } from "../helpers.ts";
import { slotsOf } from "../fixtures/checks.ts";

const WAITERS = 1;
const ASYNC = 2;

test("a release settles the physical waits of aborted async acquires", async () => {
  const sem = new Semaphore(0);
  const slots = slotsOf(sem.handle, 4);
  for (let i = 0; i < 100; i++) {
    const controller = new AbortController();
    const pending = sem.acquire({ signal: controller.signal });
    controller.abort();
    await pending.catch(() => {});
  }
  assert.equal(slots[WAITERS], 0, "aborted waiters uncount themselves at once");
  assert.equal(pendingAsyncWaits(), 0);
  sem.release();
  await until(() => slots[ASYNC] === 0, "the stale physical waits are settled", 2_000);
  assert.equal(sem.value, 1, "settling them took no permit");
  assert.equal(sem.tryAcquire(), true);
});
