/**
 * Hand-off within a thread (`src/internal/lock_word.ts`, "Hand-off within a thread"): a release
 * of a `Lock` by the thread that holds it, while an async acquire of the same object waits for it
 * parked locally, hands the word to that acquire instead of freeing it. The word never changes
 * (the thread still holds it), no `Atomics.notify` is sent, and the acquire has settled when
 * `release()` returns.
 *
 * What would catch the hazards:
 * - notifies counted per hand-off (the release before this sent one each: its word carried
 *   PARKED, set by the waiting acquire);
 * - an abort of the acquire right after the release that handed it the lock: it must not reject
 *   while the lock stays held for nobody (the hand-off settles the acquire before `release()`
 *   returns, so the abort finds it done);
 * - another thread waiting for the lock while this thread's tasks keep handing it round: it must
 *   still get it (the releases free the word at least once a STARVE_AFTER_MS, and once it marks
 *   the word STARVING every release hands it over).
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { Lock } from "../mod.ts";
import { freshLocalParks, localParkCounts, pendingAsyncWaits } from "../src/internal/futex.ts";
import { PARKED } from "../src/internal/lock_word.ts";
import { currentIdent } from "../src/internal/ident.ts";
import { slotsOf } from "./fixtures/checks.ts";
import { notifiesOn, spawn, until } from "./helpers.ts";

test("hand-off: a release by this thread hands the Lock to its waiting acquire, with no notify", async () => {
  freshLocalParks();
  const lock = new Lock();
  const slots = slotsOf(lock.handle, 2);
  lock.acquireSync();
  const next = lock.acquire({ timeout: 10_000 });
  assert.equal(localParkCounts().parked, 1, "parked locally");
  assert.equal(slots[0], (currentIdent() << 1) | PARKED, "held by this thread, PARKED set");
  let settled = false;
  void next.then(() => settled = true);
  const notifies = notifiesOn(slots.buffer, () => lock.release());
  assert.equal(notifies, 0, "no Atomics.notify");
  assert.equal(lock.locked, true, "still held: handed over, not freed");
  assert.equal(localParkCounts().parked, 0, "the acquire left its park");
  assert.equal(await next, true);
  assert.equal(settled, true);
  lock.release(); // the handed-over hold is an ordinary one
  assert.equal(slots[0], 0, "free, no PARKED left");
  assert.equal(pendingAsyncWaits(), 0);
});

test("hand-off: tasks of one thread taking turns send a notify for at most a few hand-offs", async () => {
  freshLocalParks();
  const lock = new Lock();
  const slots = slotsOf(lock.handle, 2);
  const tasks = 20;
  const loops = 50;
  const served: number[] = [];
  // Count the notifies on the lock's buffer over the whole run (the wrapper stays in place
  // while the tasks await).
  const original = Atomics.notify;
  let notifies = 0;
  (Atomics as { notify: typeof Atomics.notify }).notify = (i32, index, count) => {
    if (i32.buffer === slots.buffer) notifies++;
    return original(i32 as Int32Array, index, count);
  };
  try {
    await Promise.all(Array.from({ length: tasks }, async (_, t) => {
      for (let i = 0; i < loops; i++) {
        assert.equal(await lock.acquire({ timeout: 20_000 }), true);
        served.push(t);
        await null;
        lock.release();
      }
    }));
  } finally {
    (Atomics as { notify: typeof Atomics.notify }).notify = original;
  }
  assert.equal(served.length, tasks * loops);
  for (let k = tasks; k < served.length; k++) {
    assert.equal(served[k], served[k - tasks], `turn ${k} served in call order`);
  }
  // Before: one a hand-off (1,000). Now a release frees the word only past the turn's
  // self-wake budget (64), at the end of a STARVE_AFTER_MS streak, and at the last release.
  assert.ok(notifies <= served.length / 4, `${notifies} notifies for ${served.length} hand-offs`);
  assert.equal(slots[0], 0, "free, no PARKED left");
  assert.equal(slots[1], 0, "no async waiter counted");
  assert.equal(localParkCounts().parked, 0);
  assert.equal(pendingAsyncWaits(), 0);
});

test("hand-off: an abort right after the release that handed the lock over finds the acquire settled", async () => {
  freshLocalParks();
  const lock = new Lock();
  const slots = slotsOf(lock.handle, 2);
  lock.acquireSync();
  const controller = new AbortController();
  const next = lock.acquire({ signal: controller.signal, timeout: 10_000 });
  assert.equal(localParkCounts().parked, 1, "parked locally");
  lock.release();
  controller.abort(new Error("too late"));
  assert.equal(await next, true, "acquired: the abort came after the hand-off");
  assert.equal(lock.locked, true);
  lock.release();
  assert.equal(slots[0], 0);
  // And an abort before the release: the acquire rejects, the release frees the word.
  lock.acquireSync();
  const other = new AbortController();
  const aborted = lock.acquire({ signal: other.signal, timeout: 10_000 });
  const reason = new Error("stop");
  other.abort(reason);
  await assert.rejects(aborted, (error) => error === reason);
  lock.release();
  assert.equal(lock.locked, false);
  assert.equal(pendingAsyncWaits(), 0);
});

test("hand-off: a release by another task while the head waits behind a held lock of another object of the same lock", async () => {
  freshLocalParks();
  const a = new Lock();
  const b = Lock.from(a.handle); // the same lock, another object: its own line and head
  a.acquireSync();
  const viaB = b.acquire({ timeout: 10_000 });
  assert.equal(localParkCounts().parked, 1, "parked locally");
  a.release(); // a's line has no head: an ordinary release, which wakes b's park
  assert.equal(await viaB, true);
  assert.equal(a.locked, true);
  b.release();
  assert.equal(a.locked, false);
  assert.equal(pendingAsyncWaits(), 0);
});

test("hand-off: another thread waiting for the lock gets it while this thread's tasks keep handing it round", async () => {
  freshLocalParks();
  const lock = new Lock();
  const flags = new Int32Array(new SharedArrayBuffer(8)); // told, done
  const worker = spawn<number>("acquireWhenTold", {
    handle: lock.handle,
    flags: flags.buffer,
    timeout: 20_000,
  });
  let stop = false;
  let turns = 0;
  const tasks = Array.from({ length: 4 }, async () => {
    while (!stop) {
      assert.equal(await lock.acquire({ timeout: 20_000 }), true);
      turns++;
      if (turns === 200) {
        // The tasks are handing the lock round: let the worker ask for it.
        Atomics.store(flags, 0, 1);
        Atomics.notify(flags, 0);
      }
      await null;
      lock.release();
    }
  });
  try {
    await until(() => Atomics.load(flags, 1) === 1, "the worker acquired the lock", 20_000);
  } finally {
    stop = true;
    await Promise.all(tasks);
  }
  const waited = await worker.result;
  assert.ok(waited >= 0, `the worker's acquireSync timed out (${waited})`);
  assert.ok(turns > 200, `${turns} turns: the tasks kept handing the lock round`);
  assert.equal(lock.locked, false);
  assert.equal(pendingAsyncWaits(), 0);
});
