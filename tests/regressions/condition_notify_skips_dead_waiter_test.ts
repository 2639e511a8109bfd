/**
 * Regression (issue 10, found by the random-kill suite, `tests/faults_test.ts`): a `Condition`
 * waiter whose thread was terminated inside `wait()` kept its ticket, so a `notify(1)` could be
 * spent on that dead ticket while a live waiter behind it slept on (until its own timeout, or for
 * ever). `notify(n)` now skips the tickets of waiters whose thread has ended, as it skips those of
 * waiters that timed out.
 *
 * Deterministic: waiter A (a threadkit `Thread`, so its end is recorded) takes its ticket and is
 * inside `wait()` once the main thread can take the lock after A raised its flag; A is then
 * terminated and its end is visible (`isAlive()` false) before waiter B takes a ticket behind it.
 * `notify(1)` must reach B. Both of A's wait forms: async, and sync (on Deno a sync wait ends
 * between two 20 ms slices once terminated). Last, a white-box case: a window full of killed
 * waiters' tickets does not refuse the next wait.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { Condition, Lock, Thread } from "../../mod.ts";
import { until } from "../helpers.ts";
import { drawIdentFor, LIFE_ENDED, setLife } from "../../src/internal/ident.ts";

const FIXTURE = new URL("../fixtures/cond_dead_ops.ts", import.meta.url);
/** Thread start-up on a loaded machine (Node strips the types of each new worker's modules). */
const START_MS = 20_000;
/** How soon B must wake after the notify. */
const WAKE_MS = 2000;

function flag(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4));
}

/** Returns once `thread` has raised `flag` and released `cond`'s lock inside `wait()`. */
async function inWait(cond: Condition, flagged: Int32Array, name: string): Promise<void> {
  await until(() => Atomics.load(flagged, 0) === 1, `${name} is about to wait`, START_MS);
  // The waiter holds the lock from raising its flag until `wait` has taken its ticket and
  // released it: once we get the lock, its ticket is outstanding.
  assert.equal(await cond.acquire({ timeout: START_MS }), true, `${name} released the lock`);
  cond.release();
}

for (const sync of [false, true]) {
  test(`Condition: notify(1) skips a waiter terminated inside ${sync ? "waitSync" : "wait"}() and wakes the live one`, async () => {
    const cond = new Condition(new Lock());
    const flagA = flag();
    const a = new Thread<boolean>(FIXTURE, {
      export: "waitOnce",
      args: [cond, flagA, 60_000, sync],
      name: "waiter-a",
    });
    a.start();
    a.join().catch(() => {}); // it is terminated: its join rejects
    await inWait(cond, flagA, "A");
    assert.equal(cond.describe().waiters, 1, "A's ticket is outstanding");
    await a.terminate();
    assert.equal(a.isAlive(), false, "A's end is recorded");

    const flagB = flag();
    // B gives up well after WAKE_MS, so a lost notify fails the test instead of hanging it.
    const b = new Thread<boolean>(FIXTURE, {
      export: "waitOnce",
      args: [cond, flagB, 3 * WAKE_MS, false],
      name: "waiter-b",
    });
    b.start();
    try {
      await inWait(cond, flagB, "B");
      assert.equal(await cond.acquire({ timeout: START_MS }), true);
      const t0 = performance.now();
      cond.notify(1);
      cond.release();
      const notified = await b.join({ timeout: START_MS });
      const ms = performance.now() - t0;
      assert.equal(
        notified,
        true,
        `B was not notified (woke after ${ms.toFixed(0)} ms): the notify went to A's dead ticket`,
      );
      assert.ok(ms < WAKE_MS, `B woke ${ms.toFixed(0)} ms after the notify`);
      // Nothing is left waiting: A's ticket was passed over, B's admitted.
      assert.equal(cond.describe().waiters, 0);
    } finally {
      await b.terminate();
    }
  });
}

test("Condition: a window full of killed waiters' tickets takes the next wait", () => {
  const cond = new Condition(new Lock());
  assert.equal(Condition.byteLength, 4232);
  // The layout (src/condition.ts): NEXT, ADMIT, 32 WAKE slots, then OWNER[ticket mod 1024].
  const i32 = new Int32Array(cond.handle.buffer, cond.handle.byteOffset, 4232 / 4);
  const [NEXT, OWNER, WINDOW] = [0, 34, 1024];
  const dead = drawIdentFor();
  setLife(dead, LIFE_ENDED);
  for (let t = 0; t < WINDOW; t++) Atomics.store(i32, OWNER + t, dead);
  Atomics.store(i32, NEXT, WINDOW); // 1024 outstanding tickets, all of a thread that ended
  assert.equal(cond.describe().waiters, 0, "a killed waiter is not counted");
  assert.equal(cond.acquireSync({ timeout: 1000 }), true);
  try {
    // The ticket is taken (no RangeError): the dead tickets at the head are passed first.
    assert.equal(cond.waitSync({ timeout: 0 }), false);
    assert.equal(Atomics.load(i32, 1), WINDOW + 1, "ADMIT passed them and the timed-out ticket");
  } finally {
    cond.release();
  }
});
