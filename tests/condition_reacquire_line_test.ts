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
import { spinningNotifier } from "./condition_helpers.ts";

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

/** A pause for the waits to move on (their outcome does not depend on it). */
const tick = () => new Promise((r) => setTimeout(r, 20));

function waiter(
  cond: Condition,
  counter: { n: number },
  options: { timeout: number; signal?: AbortSignal },
) {
  return (async () => {
    await cond.acquire();
    counter.n++;
    try {
      return await cond.wait(options);
    } finally {
      cond.release();
    }
  })();
}

test("Condition over a Lock: a wait notified, then aborted while it re-acquires at the head of the line, rejects and passes the notification on", async () => {
  const cond = new Condition(new Lock());
  const c = { n: 0 };
  const ac = new AbortController();
  const a = waiter(cond, c, { timeout: 20_000, signal: ac.signal });
  const b = waiter(cond, c, { timeout: 20_000 });
  const d = waiter(cond, c, { timeout: 1_500 });
  await until(() => c.n === 3 && pendingAsyncWaits() === 3, "all wait", 10_000);
  await cond.acquire();
  cond.notify(1);
  await tick(); // A wakes, re-acquires behind our hold
  assert.equal(cond.lock.describe().waiters >= 1, true);
  ac.abort(new Error("gone"));
  cond.release();
  assert.equal(await settleWithin(a, 5_000), "rejected gone");
  assert.equal(await settleWithin(b, 5_000), "resolved true");
  assert.equal(await settleWithin(d, 5_000), "resolved false");
  assert.equal(cond.lock.locked, false);
});

test("Condition over a Lock: a wait notified, then aborted while it re-acquires behind a user acquire in the line, rejects and passes the notification on", async () => {
  const lock = new Lock();
  const cond = new Condition(lock);
  const c = { n: 0 };
  const ac = new AbortController();
  const a = waiter(cond, c, { timeout: 20_000, signal: ac.signal });
  const b = waiter(cond, c, { timeout: 20_000 });
  await until(() => c.n === 2 && pendingAsyncWaits() === 2, "all wait", 10_000);
  await cond.acquire();
  const user = lock.acquire(); // head of the line, parks
  cond.notify(1);
  await tick();
  ac.abort(new Error("gone"));
  cond.release();
  assert.equal(await settleWithin(user, 5_000), "resolved true");
  lock.release();
  assert.equal(await settleWithin(a, 5_000), "rejected gone");
  assert.equal(await settleWithin(b, 5_000), "resolved true");
  assert.equal(lock.locked, false);
});

test("Condition over a Lock: re-acquires in its line and acquires of the same thread through another Lock object all get through", async () => {
  const lock = new Lock();
  const other = Lock.from(lock.handle);
  const cond = new Condition(lock);
  const c = { n: 0 };
  const ws = Array.from({ length: 20 }, () => waiter(cond, c, { timeout: 20_000 }));
  await until(() => c.n === 20, "all wait", 10_000);
  await other.acquire();
  cond.notifyAll();
  const users = Array.from({ length: 10 }, async () => {
    assert.equal(await other.acquire({ timeout: 10_000 }), true);
    await null;
    other.release();
  });
  other.release();
  assert.equal(
    await settleWithin(Promise.all([...ws, ...users]).then(() => "ok"), 10_000),
    "resolved ok",
  );
  assert.equal(lock.locked, false);
});

test("Condition over a Lock: a wait whose signal-like object refuses its listener rejects holding the lock, with no ticket left", async () => {
  const refusing = {
    aborted: false,
    addEventListener() {
      throw new Error("listener refused");
    },
  } as unknown as AbortSignal;
  const cond = new Condition(new Lock());
  await cond.acquire();
  const waited = cond.wait({ timeout: 10_000, signal: refusing });
  assert.equal(await settleWithin(waited, 5_000), "rejected listener refused");
  assert.equal(cond.lock.locked, true);
  cond.release();
  assert.equal(cond.describe().waiters, 0);
});

test("Condition over a Lock: a wait whose re-acquire in line meets a dead owner rejects with OwnerDiedError and passes its notification on", async () => {
  const cond = new Condition(new Lock());
  const c = { n: 0 };
  const a = waiter(cond, c, { timeout: 30_000 });
  const b = waiter(cond, c, { timeout: 30_000 });
  await until(() => c.n === 2 && pendingAsyncWaits() === 2, "all wait", 10_000);
  const notified = new Int32Array(new SharedArrayBuffer(4));
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const n = spinningNotifier(cond, notified, stop, 60_000);
  try {
    await until(() => Atomics.load(notified, 0) === 1, "notified", 20_000);
    await n.terminate().catch(() => {});
    const ra = await settleWithin(a, 10_000);
    assert.match(String(ra), /rejected .*ended without releasing/);
    assert.equal(await settleWithin(b, 5_000), "resolved true");
  } finally {
    Atomics.store(stop, 0, 1);
  }
});
