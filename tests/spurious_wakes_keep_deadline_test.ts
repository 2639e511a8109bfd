/**
 * A wait woken again and again without cause still times out on time (issue 9).
 *
 * `Condition.#waitSlow` and Event's `waitSlow` read the clock only after a park that ended
 * "timed-out": after "ok" or "not-equal" they park again with the deadline they had, relying on
 * the drivers to end a park whose deadline has passed as "timed-out" without sleeping. These tests
 * pin that: while the waiter waits, this thread keeps waking its slot (`Atomics.notify` on the
 * primitive's memory, with no state change: spurious wake-ups), and the wait must still end with
 * `false` soon after its timeout, sync (in a worker) and async (here). A wait that never read the
 * clock again would loop until the test's bound.
 *
 * Every wait is bounded; a wait that never times out fails a test instead of hanging it.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { Condition, Event, Lock, Thread } from "../mod.ts";
import { spawn, until } from "./helpers.ts";

const COND_FIXTURE = new URL("./fixtures/cond_dead_ops.ts", import.meta.url);
/** The waits' timeout. */
const TIMEOUT_MS = 300;
/** How late past its timeout a wait may end on a loaded machine (a broken one never ends). */
const LATE_MS = 10_000;
/** Thread start-up on a loaded machine. */
const START_MS = 20_000;

/** Wakes every slot of `buffer` every millisecond until the returned stop is called. */
function spuriousWakes(buffer: SharedArrayBuffer): () => void {
  const i32 = new Int32Array(buffer);
  const timer = setInterval(() => {
    for (let k = 0; k < i32.length; k++) Atomics.notify(i32, k);
  }, 1);
  return () => clearInterval(timer);
}

test("Event: a sync wait woken spuriously and repeatedly still times out", async () => {
  const event = new Event();
  const started = new SharedArrayBuffer(4);
  const running = spawn<boolean>(
    "eventWait",
    { handle: event.handle, mode: "sync", timeout: TIMEOUT_MS, started },
    START_MS + LATE_MS,
  );
  await until(() => Atomics.load(new Int32Array(started), 0) === 1, "the waiter started", START_MS);
  const stop = spuriousWakes(event.handle.buffer);
  try {
    assert.equal(await running.result, false, "the wait timed out");
  } finally {
    stop();
  }
});

test("Event: an async wait woken spuriously and repeatedly still times out", async () => {
  const event = new Event();
  const stop = spuriousWakes(event.handle.buffer);
  try {
    const t0 = performance.now();
    assert.equal(await event.wait({ timeout: TIMEOUT_MS }), false, "the wait timed out");
    const ms = performance.now() - t0;
    assert.ok(ms < TIMEOUT_MS + LATE_MS, `the wait ended after ${ms.toFixed(0)} ms`);
  } finally {
    stop();
  }
});

test("Condition: a sync wait woken spuriously and repeatedly still times out", async () => {
  const cond = new Condition(new Lock());
  const flagged = new Int32Array(new SharedArrayBuffer(4));
  const t = new Thread<boolean>(COND_FIXTURE, {
    export: "waitOnce",
    args: [cond, flagged, TIMEOUT_MS, true],
    name: "waiter",
  });
  t.start();
  try {
    await until(() => Atomics.load(flagged, 0) === 1, "the waiter is about to wait", START_MS);
    const stop = spuriousWakes(cond.handle.buffer);
    try {
      assert.equal(await t.join({ timeout: LATE_MS }), false, "the wait timed out");
    } finally {
      stop();
    }
  } finally {
    await t.terminate();
  }
});

test("Condition: an async wait woken spuriously and repeatedly still times out", async () => {
  const cond = new Condition(new Lock());
  const stop = spuriousWakes(cond.handle.buffer);
  try {
    assert.equal(await cond.acquire({ timeout: START_MS }), true);
    const t0 = performance.now();
    try {
      assert.equal(await cond.wait({ timeout: TIMEOUT_MS }), false, "the wait timed out");
    } finally {
      cond.release();
    }
    const ms = performance.now() - t0;
    assert.ok(ms < TIMEOUT_MS + LATE_MS, `the wait ended after ${ms.toFixed(0)} ms`);
  } finally {
    stop();
  }
});
