/**
 * Regression: every async park handed its timeout to `Atomics.waitAsync`, and the runtime
 * schedules a timer for each such wait that fires once its time comes, even for a wait notified
 * long before. The Lock and Semaphore slow paths park for at most 1 ms (`STARVE_AFTER_MS`), so an
 * async ping-pong left one timer per wait firing 1 ms later on each thread: Bun's async Lock and
 * Semaphore hand-offs measured 2.0-2.4× the raw `waitAsync` floor (Event, parking 20 s, 1.0×),
 * Node's 1.2-1.5× (issue 9, `bench/probes/waitasync.ts`, rows `probe.raw-1ms`).
 *
 * The futex layer now registers every physical wait without a timeout and keeps the deadlines on
 * one timer per thread. This test counts: timed async parks, each woken by this thread well
 * before its deadline, must pass no timeout to `Atomics.waitAsync` and arm the deadline timer
 * only a few times, not once per park.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { Lock } from "../../mod.ts";
import { deadlineAfter, type Parker, runAsync } from "../../src/internal/futex.ts";

const PARKS = 50;

function* parkOnce(i32: Int32Array, deadline: number): Parker<string> {
  return yield { i32, index: 0, expected: 0, deadline, asyncCount: 1 };
}

test("timed async parks pass no timeout to waitAsync and share one deadline timer", async () => {
  const A = Atomics as unknown as { waitAsync: (...args: unknown[]) => unknown };
  const g = globalThis as unknown as { setTimeout: (...args: unknown[]) => unknown };
  const waitAsync = A.waitAsync;
  const setTimeout = g.setTimeout;
  const timeouts: unknown[] = [];
  let timers = 0;
  A.waitAsync = (...args: unknown[]) => {
    timeouts.push(args[3]);
    return waitAsync.apply(Atomics, args);
  };
  g.setTimeout = (...args: unknown[]) => {
    timers++;
    return setTimeout.apply(globalThis, args);
  };
  try {
    const i32 = new Int32Array(new SharedArrayBuffer(8));
    for (let i = 0; i < PARKS; i++) {
      const pending = runAsync(parkOnce(i32, deadlineAfter(1_000)), undefined);
      Atomics.notify(i32, 0);
      assert.equal(await pending, "ok");
    }
    // The Lock's slow path parks until its 1 ms starve mark: the case that was measured.
    const ping = new Lock();
    for (let i = 0; i < PARKS; i++) {
      ping.acquireSync();
      const acquired = ping.acquire({ timeout: 1_000 });
      ping.release();
      assert.equal(await acquired, true);
      ping.release();
    }
  } finally {
    A.waitAsync = waitAsync;
    g.setTimeout = setTimeout;
  }
  assert.ok(timeouts.length >= PARKS, `every park registered a wait (${timeouts.length})`);
  assert.deepEqual(
    timeouts.filter((t) => t !== undefined),
    [],
    "no physical wait carries a timeout",
  );
  assert.ok(timers <= 8, `the deadline timer was armed ${timers} times for ${2 * PARKS} parks`);
});
