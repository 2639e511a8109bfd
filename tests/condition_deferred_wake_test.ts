/**
 * `Condition.notify` defers its wakes to the release of the lock (issue 9, "Deferred wake" in
 * `src/condition.ts`): the waiter it admits is woken by the release, into a free lock, instead of
 * at notify time, into the held one. These tests pin the paths the owed wake travels:
 *
 * - every way of releasing the lock does the wake, synchronously, inside the release call:
 *   `cond.release()`, `cond.lock.release()`, another `Lock` object of the same lock, the guards
 *   of `hold()`/`holdSync()`, an RLock's outermost release (not an inner one); the notify itself
 *   does none (white box: the main thread's `Atomics.notify` calls on the condition's memory are
 *   counted);
 * - a notifier killed after `notify`, before its release (spinning: it never parks, whose flush
 *   would do the wake, nor ends its job), cannot do the wake: the waiter finds
 *   its admission by its poll (every OWNER_POLL_MS) and gets the lock with `OwnerDiedError`, well
 *   before its own timeout.
 *
 * Every wait is bounded; a lost wake fails a test instead of hanging it.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { Condition, Lock, RLock, Thread } from "../mod.ts";
import { notifiesOn, until } from "./helpers.ts";
import { spinningNotifier } from "./condition_helpers.ts";

const FIXTURE = new URL("./fixtures/cond_dead_ops.ts", import.meta.url);
/** Thread start-up on a loaded machine. */
const START_MS = 20_000;
/** How soon the waiter of a killed notifier must wake (its poll is 100 ms; its timeout 60 s). */
const WAKE_MS = 5000;

function flag(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4));
}

/** Starts a thread that waits once on `cond` (sync), and returns once it is inside `wait()`. */
async function waiter(cond: Condition, timeout: number): Promise<Thread<boolean>> {
  const flagged = flag();
  const t = new Thread<boolean>(FIXTURE, {
    export: "waitOnce",
    args: [cond, flagged, timeout, true],
    name: "waiter",
  });
  t.start();
  await until(() => Atomics.load(flagged, 0) === 1, "the waiter is about to wait", START_MS);
  // It holds the lock from raising its flag until `wait` released it: its ticket is out.
  assert.equal(await cond.acquire({ timeout: START_MS }), true, "the waiter released the lock");
  cond.release();
  return t;
}

const paths: {
  name: string;
  lock: () => Lock | RLock;
  hold: (cond: Condition) => Promise<() => void>;
}[] = [
  {
    name: "cond.release()",
    lock: () => new Lock(),
    hold: async (cond) => {
      assert.equal(await cond.acquire({ timeout: START_MS }), true);
      return () => cond.release();
    },
  },
  {
    name: "cond.lock.release()",
    lock: () => new Lock(),
    hold: async (cond) => {
      assert.equal(await cond.lock.acquire({ timeout: START_MS }), true);
      return () => cond.lock.release();
    },
  },
  {
    // The owed wakes are the thread's, not the lock object's: any release of the word by this
    // thread does them.
    name: "another Lock object of the same lock (Lock.from(handle).release())",
    lock: () => new Lock(),
    hold: async (cond) => {
      assert.equal(await cond.acquire({ timeout: START_MS }), true);
      const other = Lock.from(cond.lock.handle);
      return () => other.release();
    },
  },
  {
    name: "the guard of await cond.hold()",
    lock: () => new Lock(),
    hold: async (cond) => {
      const guard = await cond.hold({ timeout: START_MS });
      return () => guard[Symbol.dispose]();
    },
  },
  {
    name: "the guard of cond.holdSync() (RLock)",
    lock: () => new RLock(),
    hold: (cond) => {
      const guard = cond.holdSync({ timeout: START_MS });
      return Promise.resolve(() => guard[Symbol.dispose]());
    },
  },
  {
    name: "the outer release of an RLock held twice",
    lock: () => new RLock(),
    hold: (cond) => {
      assert.equal(cond.acquireSync({ timeout: START_MS }), true);
      assert.equal(cond.acquireSync({ timeout: START_MS }), true);
      return Promise.resolve(() => {
        // The inner release keeps the lock held: the wake stays owed.
        const n = notifiesOn(cond.handle.buffer, () => cond.release());
        assert.equal(n, 0, "the inner release of the RLock woke nobody");
        cond.release();
      });
    },
  },
];

for (const path of paths) {
  test(`Condition: the wake a notify owes is done by ${path.name}`, async () => {
    const cond = new Condition(path.lock());
    const t = await waiter(cond, 60_000);
    try {
      const release = await path.hold(cond);
      const atNotify = notifiesOn(cond.handle.buffer, () => cond.notify(1));
      assert.equal(atNotify, 0, "notify with the lock held defers its wake");
      const atRelease = notifiesOn(cond.handle.buffer, release);
      assert.equal(atRelease, 1, "the release wakes the waiter's slot");
      assert.equal(await t.join({ timeout: START_MS }), true, "the waiter was notified");
    } finally {
      await t.terminate();
    }
  });
}

test("Condition: a notifier killed before its release leaves no waiter asleep (OwnerDiedError)", async () => {
  const cond = new Condition(new Lock());
  const w = await waiter(cond, 60_000);
  const notified = flag();
  const stop = flag();
  const n = spinningNotifier(cond, notified, stop, 60_000);
  try {
    await until(() => Atomics.load(notified, 0) === 1, "the notifier notified", START_MS);
    // Deno cannot interrupt running code: its terminate() rejects, with the thread marked ended.
    await n.terminate().catch(() => {});
    assert.equal(n.isAlive(), false, "the notifier's end is recorded");
    const t0 = performance.now();
    await assert.rejects(w.join({ timeout: START_MS }), (error: Error) => {
      assert.equal(error.name, "OwnerDiedError", `${error.name}: ${error.message}`);
      return true;
    });
    const ms = performance.now() - t0;
    assert.ok(ms < WAKE_MS, `the waiter woke ${ms.toFixed(0)} ms after the notifier died`);
  } finally {
    Atomics.store(stop, 0, 1);
    await w.terminate();
  }
});
