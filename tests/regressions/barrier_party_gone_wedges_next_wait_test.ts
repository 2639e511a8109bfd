/**
 * Regression (found by the random-kill suite, `tests/faults_test.ts`): a party killed after its
 * cycle completed but before it left the barrier never ended the DRAINING cycle, and every later
 * `wait` waited for that cycle to drain with no timeout: the barrier was wedged and its waiters
 * hung forever, their timeouts ignored. Now the arrival's timeout counts while it waits out a
 * draining cycle; running out breaks the barrier (BrokenBarrierError), while the parties of the
 * completed cycle still pass. Here the gone party is one whose thread is stuck in a blocking
 * wait, so that it can be let go at the end.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { Barrier, BrokenBarrierError, Event, Thread } from "../../mod.ts";

const FIXTURE = new URL("../fixtures/barrier_stall_ops.ts", import.meta.url);

test("Barrier: a party that never leaves a completed cycle does not wedge the next wait", async () => {
  const barrier = new Barrier(2);
  const resume = new Event();
  const stalled = new Thread<number>(FIXTURE, {
    export: "arriveThenStall",
    args: [barrier, resume],
  });
  stalled.start();
  try {
    const deadline = performance.now() + 20_000;
    while (barrier.nWaiting !== 1) {
      assert.ok(performance.now() < deadline, "the thread never arrived at the barrier");
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    // Completes the cycle; the other party cannot leave it.
    assert.equal(await barrier.wait({ timeout: 5000 }), 1);
    const t0 = performance.now();
    const next = barrier.wait({ timeout: 200 }).then(() => "passed", (error) => error);
    const outcome = await Promise.race([
      next,
      new Promise((resolve) => setTimeout(() => resolve("still waiting after 3 s"), 3000)),
    ]);
    assert.ok(outcome instanceof BrokenBarrierError, `the next wait ended as ${String(outcome)}`);
    const elapsed = performance.now() - t0;
    assert.ok(elapsed >= 190 && elapsed < 2000, `it broke after ${elapsed.toFixed(0)} ms`);
    assert.equal(barrier.broken, true);
  } finally {
    resume.set();
  }
  // The completed cycle's party still passes; as the last to leave, it leaves the barrier broken.
  assert.equal(await stalled.join({ timeout: 20_000 }), 0);
  assert.equal(barrier.broken, true);
  assert.throws(() => barrier.waitSync({ timeout: 1000 }), BrokenBarrierError);
  barrier.reset();
  assert.equal(barrier.broken, false);
  const other = barrier.wait({ timeout: 5000 });
  assert.equal(barrier.waitSync({ timeout: 5000 }), 1);
  assert.equal(await other, 0);
});
