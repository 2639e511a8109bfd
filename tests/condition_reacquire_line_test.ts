/**
 * A Condition over a `Lock`: the async waits of one thread that a `notifyAll()` lets go re-acquire
 * the lock through the Lock object's line of async acquires (`src/internal/line.ts`), one parked
 * `waitAsync` between them, instead of each parking its own on the lock word, where every
 * release woke them all and all but one registered again: O(N) registrations a hand-off.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { Condition, Lock } from "../mod.ts";
import { pendingAsyncWaits } from "../src/internal/futex.ts";
import { settleWithin, until } from "./helpers.ts";

/** Counts `Atomics.waitAsync` calls while `run` is pending. */
async function waitAsyncCalls(run: () => Promise<unknown>): Promise<number> {
  const original = Atomics.waitAsync;
  let calls = 0;
  Atomics.waitAsync = ((...args: Parameters<typeof Atomics.waitAsync>) => {
    calls++;
    return original(...args);
  }) as typeof Atomics.waitAsync;
  try {
    await run();
  } finally {
    Atomics.waitAsync = original;
  }
  return calls;
}

/** `n` tasks of this thread wait on `cond`; resolves once all of them wait, with their ends. */
async function waiters(cond: Condition, n: number, order: number[]) {
  let waiting = 0;
  const tasks = Array.from({ length: n }, async (_, i) => {
    assert.equal(await cond.acquire({ timeout: 20_000 }), true);
    waiting++;
    const notified = await cond.wait({ timeout: 20_000 });
    order.push(i);
    await null; // holds the lock across a turn of the others
    cond.release();
    return notified;
  });
  await until(() => waiting === n && pendingAsyncWaits() === n, "all wait", 10_000);
  return tasks;
}

test("Condition over a Lock: 100 waits of one thread let go by notifyAll re-acquire with O(N) waitAsync calls, not O(N^2)", async () => {
  const lock = new Lock();
  const cond = new Condition(lock);
  const order: number[] = [];
  const tasks = await waiters(cond, 100, order);
  const calls = await waitAsyncCalls(async () => {
    await cond.acquire();
    cond.notifyAll();
    cond.release();
    assert.equal(
      await settleWithin(Promise.all(tasks).then((r) => r.every(Boolean)), 20_000),
      "resolved true",
    );
  });
  assert.equal(order.length, 100);
  assert.ok(calls <= 300, `${calls} waitAsync calls for 100 re-acquires`);
  await until(() => pendingAsyncWaits() === 0, "no wait pending", 5_000);
  assert.equal(lock.locked, false);
});

test("Condition over a Lock: a wait aborted while it re-acquires in line rejects with the reason, holding nothing, and the others go on", async () => {
  const lock = new Lock();
  const cond = new Condition(lock);
  const controller = new AbortController();
  let waiting = 0;
  const wait = async (signal?: AbortSignal) => {
    await cond.acquire();
    waiting++;
    try {
      return await cond.wait({ timeout: 20_000, signal });
    } finally {
      cond.release();
    }
  };
  const first = wait();
  const aborted = wait(controller.signal);
  const third = wait();
  await until(() => waiting === 3, "all wait", 10_000);
  await cond.acquire();
  cond.notifyAll();
  // The three re-acquire behind this hold; one is aborted meanwhile.
  controller.abort(new Error("no longer wanted"));
  cond.release();
  assert.equal(await first, true);
  await assert.rejects(aborted, /no longer wanted/);
  assert.equal(await third, true);
  assert.equal(lock.locked, false);
});
