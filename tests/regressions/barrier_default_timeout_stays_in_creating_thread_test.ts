/**
 * Regression (issue 10, item 3): "Barrier's default timeout stays in the creating thread". The
 * constructor's `timeout` was kept in the Barrier object, so `new Barrier(2, { timeout: 100 })`
 * applied it only to that thread's waits; another thread's `Barrier.from(handle).wait()` waited
 * forever. CPython applies the constructor's timeout to every party's `wait()`: it now lives in
 * the barrier's shared memory. Across two real threads, sync and async; `from(handle, {timeout})`
 * still overrides it for its own thread.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { Barrier, Thread } from "../../mod.ts";
import type { Outcome } from "../fixtures/barrier_default_timeout_ops.ts";

const FIXTURE = new URL("../fixtures/barrier_default_timeout_ops.ts", import.meta.url);

/** Runs one wait in another thread; if it is still waiting after 5 s, breaks it (the bug). */
async function waitInThread(
  barrier: Barrier,
  sync: boolean,
  revived: boolean,
): Promise<Outcome> {
  // Unmarked: the thread calls `Barrier.from(handle)` itself, as in the report; the barrier
  // itself: the Thread revives it (through `from` too).
  const thread = new Thread<Outcome>(FIXTURE, {
    export: "waitWithDefault",
    args: [revived ? barrier : { unmarked: { ...barrier.handle, threadkit: 0 } }, sync],
  });
  thread.start();
  const safety = setTimeout(() => barrier.abort(), 5000);
  try {
    return await thread.join({ timeout: 20_000 });
  } finally {
    clearTimeout(safety);
  }
}

for (const [sync, revived] of [[true, false], [false, false], [true, true]] as const) {
  const form = `${revived ? "revived barrier's " : "Barrier.from(handle)."}${
    sync ? "waitSync()" : "wait()"
  }`;
  test(`Barrier: the constructor's timeout applies to another thread's ${form}`, async () => {
    const barrier = new Barrier(2, { timeout: 100 });
    const { ended, elapsed } = await waitInThread(barrier, sync, revived);
    assert.equal(ended, "BrokenBarrierError");
    assert.ok(
      elapsed >= 90 && elapsed < 4000,
      `it broke after ${elapsed.toFixed(0)} ms, not by the 100 ms default`,
    );
    assert.equal(barrier.broken, true);
  });
}

test("Barrier: the handle carries the default timeout; from(handle, {timeout}) overrides it here", async () => {
  const barrier = new Barrier(2, { timeout: 100 });
  // Rebuilt in this thread without options: the shared default applies (async, so that the
  // safety net can break a wait that has no bound).
  const safety = setTimeout(() => barrier.abort(), 5000);
  try {
    const t0 = performance.now();
    await assert.rejects(Barrier.from(barrier.handle).wait(), { name: "BrokenBarrierError" });
    const elapsed = performance.now() - t0;
    assert.ok(elapsed >= 90 && elapsed < 4000, `it broke after ${elapsed.toFixed(0)} ms`);
  } finally {
    clearTimeout(safety);
  }
  barrier.reset();
  // This thread's own default wins over the shared one.
  const t1 = performance.now();
  assert.throws(() => Barrier.from(barrier.handle, { timeout: 0 }).waitSync(), {
    name: "BrokenBarrierError",
  });
  assert.ok(performance.now() - t1 < 90);
  // An unbounded barrier stays unbounded (Infinity survives the trip through shared memory).
  assert.match(String(Barrier.from(new Barrier(2).handle)), /timeout Infinity ms\)$/);
});
