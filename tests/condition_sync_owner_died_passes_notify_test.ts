/**
 * A sync `Condition.waitSync` that was notified, but whose re-acquire finds the lock's holder
 * killed (`OwnerDiedError` from the plain-loop driver's `runSync(reacquire)`), hands its
 * notification to the next waiter before it throws: with a `Lock` (the lock word's slow path) and
 * an `RLock` (its restore path). Two sync waiters; the notifier calls `notify(1)` and is
 * terminated while it holds the lock. Every wait is bounded.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Condition, Lock, RLock, Thread } from "../mod.ts";
import { until } from "./helpers.ts";
import { spinningNotifier } from "./condition_helpers.ts";

const FIXTURE = new URL("./fixtures/cond_dead_ops.ts", import.meta.url);
const START_MS = 20_000;
const PASS_MS = 5000;
const flag = () => new Int32Array(new SharedArrayBuffer(4));

async function waiter(cond: Condition, name: string): Promise<Thread<boolean>> {
  const f = flag();
  const t = new Thread<boolean>(FIXTURE, {
    export: "waitOnce",
    args: [cond, f, 60_000, true],
    name,
  });
  t.start();
  await until(() => Atomics.load(f, 0) === 1, `${name} about to wait`, START_MS);
  assert.equal(await cond.acquire({ timeout: START_MS }), true);
  cond.release();
  return t;
}

for (const [kind, make] of [["Lock", () => new Lock()], ["RLock", () => new RLock()]] as const) {
  test(`Condition over a ${kind}: a sync waiter whose re-acquire throws OwnerDiedError passes its notify on`, async () => {
    const cond = new Condition(make());
    const w1 = await waiter(cond, "w1");
    const w2 = await waiter(cond, "w2");
    const notified = flag();
    const stop = flag();
    const n = spinningNotifier(cond, notified, stop, 60_000);
    try {
      await until(() => Atomics.load(notified, 0) === 1, "notified", START_MS);
      await n.terminate().catch(() => {});
      await assert.rejects(w1.join({ timeout: START_MS }), (e: Error) => {
        assert.equal(e.name, "OwnerDiedError", `${e.name}: ${e.message}`);
        return true;
      });
      const t0 = performance.now();
      assert.equal(await w2.join({ timeout: PASS_MS }), true, "w2 got the passed-on notify");
      assert.ok(performance.now() - t0 < PASS_MS);
      assert.equal(cond.describe().waiters, 0);
    } finally {
      Atomics.store(stop, 0, 1);
      await w1.terminate().catch(() => {});
      await w2.terminate().catch(() => {});
    }
  });
}
