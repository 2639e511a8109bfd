/**
 * An `RLock`'s async tasks on one thread share the thread's ownership, also when they *wait*:
 * once one of this thread's waiting acquires has taken the lock from another thread, the others
 * of this thread are in it too (they re-enter, as a call made then would), instead of waiting
 * for their own thread's release (which, where the holder awaits them, never comes).
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { Event, RLock, Thread } from "../mod.ts";
import { pendingAsyncWaits } from "../src/internal/futex.ts";
import { settleWithin, sleep, spawn, until } from "./helpers.ts";

const OPS = new URL("./fixtures/thread_ops.ts", import.meta.url);

/** A worker holds `rlock` until `ctl[1]` is set; resolves once it holds it. */
async function heldByAWorker(rlock: RLock) {
  const ctl = new SharedArrayBuffer(16);
  const ctl32 = new Int32Array(ctl);
  const holder = spawn("holdUntil", { handle: rlock.handle, ctl, holding: 0, releaseWhen: 1 });
  await until(() => Atomics.load(ctl32, 0) === 1, "the worker holds it", 10_000);
  return {
    release: () => {
      Atomics.store(ctl32, 1, 1);
      Atomics.notify(ctl32, 1);
    },
    done: holder.result,
  };
}

test("RLock: this thread's waiting acquires all enter once one of them has taken it from another thread", async () => {
  const rlock = new RLock();
  const holder = await heldByAWorker(rlock);
  const n = 20;
  const entered: number[] = [];
  const all = Array.from({ length: n }, (_, i) =>
    rlock.acquire({ timeout: 10_000 }).then((ok) => {
      assert.equal(ok, true, `acquire ${i}`);
      entered.push(i);
    }));
  holder.release();
  await holder.done;
  // Nobody of this thread releases before all have entered: each waiting call re-enters.
  assert.equal(await settleWithin(Promise.all(all).then(() => "all"), 5_000), "resolved all");
  assert.equal(entered.length, n);
  for (let i = 0; i < n; i++) rlock.release();
  assert.equal(rlock.locked, false);
  await until(() => pendingAsyncWaits() === 0, "no wait pending", 5_000);
});

test("RLock: a task that holds it and awaits another task's acquire (made while a worker held it) does not wait on itself", async () => {
  const rlock = new RLock();
  const holder = await heldByAWorker(rlock);
  const first = rlock.acquire({ timeout: 10_000 });
  const second = rlock.acquire({ timeout: 10_000 });
  holder.release();
  await holder.done;
  assert.equal(await first, true);
  // The first task holds it and waits for the second before it releases.
  assert.equal(await settleWithin(second, 3_000), "resolved true");
  assert.equal(await second, true);
  rlock.release();
  rlock.release();
  assert.equal(rlock.locked, false);
});

test("RLock: a waiting acquire enters once this thread's acquireSync has taken it from another thread", async () => {
  const rlock = new RLock();
  const holder = await heldByAWorker(rlock);
  const waiting = rlock.acquire({ timeout: 10_000 });
  holder.release();
  // Blocks this thread until the worker has released; the async acquire's park is still there.
  assert.equal(rlock.acquireSync({ timeout: 10_000 }), true);
  await holder.done;
  assert.equal(await settleWithin(waiting, 3_000), "resolved true");
  rlock.release();
  assert.equal(rlock.locked, true, "the async acquire holds a level of its own");
  rlock.release();
  assert.equal(rlock.locked, false);
  await until(() => pendingAsyncWaits() === 0, "no wait pending", 5_000);
});

test("RLock: this thread's waiting acquires still time out while another thread holds it", async () => {
  const rlock = new RLock();
  const holder = await heldByAWorker(rlock);
  const outcomes = await Promise.all([
    rlock.acquire({ timeout: 50 }),
    rlock.acquire({ timeout: 80 }),
  ]);
  assert.deepEqual(outcomes, [false, false]);
  holder.release();
  await holder.done;
  assert.equal(rlock.locked, false);
  await until(() => pendingAsyncWaits() === 0, "no wait pending", 5_000);
});

test("RLock: when a waiting task takes it over from a dead owner, the others of its thread enter at once", async () => {
  const rlock = new RLock();
  const acquired = new Event();
  const release = new Event();
  const holder = new Thread(OPS, {
    export: "holdLockThen",
    args: [rlock, acquired, release, "return"],
  });
  holder.start();
  assert.equal(await acquired.wait({ timeout: 10_000 }), true);
  const settled: string[] = [];
  const waits: Promise<unknown>[] = [];
  for (let i = 0; i < 2; i++) {
    waits.push(
      rlock.acquire({ timeout: 10_000 }).then(
        (ok) => settled[i] = `entered ${ok}`,
        (error: unknown) => settled[i] = (error as Error).name,
      ),
    );
    // Apart, so that their liveness polls do not share a firing of the thread's deadline timer.
    if (i === 0) await sleep(50);
  }
  await holder.terminate(); // it ends holding the lock
  // Each waiter notices the death at its own liveness poll (every OWNER_POLL_MS, 100 ms); the
  // first takes the lock over, and the other must not wait for its own poll (a takeover wakes
  // nobody: what ends the other's park at once is the first's leaving, whose wake of the slot,
  // sent to end its own registration there, reaches this thread's parks in a microtask).
  await Promise.race(waits);
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual([...settled].sort(), ["OwnerDiedError", "entered true"]);
  rlock.release();
  rlock.release();
  assert.equal(rlock.locked, false);
});
