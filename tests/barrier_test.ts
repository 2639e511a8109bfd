/**
 * Barrier across real workers (issue 3, item 5), after CPython's `BarrierTests`.
 *
 * Knowing that parties wait: `nWaiting` counts arrivals of the filling cycle, each made with the
 * barrier's internal lock held, so once it reads `n`, `n` parties have arrived and will see any
 * later state change. No test sleeps for correctness; every wait is bounded.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { Barrier, BrokenBarrierError, Lock } from "../mod.ts";
import { spawn, until } from "./helpers.ts";
import { B_ACTIONS, B_ARRIVED, B_SEEN, B_SLOTS, COND_OPS } from "./fixtures/cond_ops.ts";

/** Worker waits give up after this; helpers after HELPER_MS (both far above expected times). */
const WAIT_MS = 10_000;
const HELPER_MS = 15_000;

type Mode = "sync" | "async" | "alternate";
type Outcome = { index: number } | { error: string; message: string };
type Timed = Outcome & { elapsed: number; broken: boolean };

function run<T>(op: string, input: unknown) {
  return spawn<T>(op, input, HELPER_MS, COND_OPS);
}

function waitOnce(
  barrier: Barrier,
  input: {
    mode: "sync" | "async";
    timeout?: number;
    throwInAction?: string;
    afterWaiting?: number;
  },
) {
  return run<Timed>("barrierWaitOnce", { handle: barrier.handle, timeout: WAIT_MS, ...input });
}

function errorOf(outcome: Outcome): string {
  return "error" in outcome ? outcome.error : `index ${outcome.index}`;
}

/** A worker's wait broke because of something else, well before its own timeout. */
function assertBrokeEarly(outcome: Timed): void {
  assert.equal(errorOf(outcome), "BrokenBarrierError");
  assert.ok(
    outcome.elapsed < WAIT_MS / 2,
    `broke after ${outcome.elapsed} ms: by its own timeout?`,
  );
}

/** `n` parties in workers: `cycles` cycles each, checking indexes and actions per cycle. */
async function cycles(barrier: Barrier, modes: Mode[], n: number): Promise<void> {
  const parties = barrier.parties;
  const sh = new Int32Array(new SharedArrayBuffer(B_SLOTS * 4));
  const results = await Promise.all(
    modes.map((mode) =>
      run<number[]>("barrierCycles", {
        handle: barrier.handle,
        sh: sh.buffer,
        cycles: n,
        mode,
        timeout: WAIT_MS,
      }).result
    ),
  );
  for (const indexes of results) assert.equal(indexes.length, n);
  for (let c = 0; c < n; c++) {
    assert.equal(Atomics.load(sh, B_ARRIVED + c), parties, `cycle ${c}: arrivals`);
    assert.equal(Atomics.load(sh, B_ACTIONS + c), 1, `cycle ${c}: the action ran once`);
    const seen = Array.from(
      { length: parties },
      (_, i) => Atomics.load(sh, B_SEEN + c * parties + i),
    );
    assert.deepEqual(seen, Array(parties).fill(1), `cycle ${c}: each index exactly once`);
  }
  assert.equal(barrier.nWaiting, 0);
  assert.equal(barrier.broken, false);
}

test("Barrier: 5 workers x 10 cycles, sync and async mixed: indexes 0..4 once per cycle, one action per cycle", async () => {
  const barrier = new Barrier(5);
  assert.equal(barrier.parties, 5);
  await cycles(barrier, ["sync", "async", "alternate", "sync", "async"], 10);
  // The same barrier again (it is cyclic), other modes.
  await cycles(barrier, ["async", "alternate", "sync", "alternate", "async"], 3);
});

test("Barrier: nWaiting counts arrivals; the last arrival releases all; parties is fixed", async () => {
  const barrier = new Barrier(4);
  assert.equal(barrier.parties, 4);
  assert.equal(barrier.nWaiting, 0);
  const waiters = [];
  for (let i = 0; i < 3; i++) {
    waiters.push(waitOnce(barrier, { mode: i === 1 ? "async" : "sync" }));
    await until(() => barrier.nWaiting === i + 1, `${i + 1} waiting`);
  }
  assert.equal(barrier.waitSync({ timeout: WAIT_MS }), 3, "the last arrival's index");
  assert.equal(barrier.nWaiting, 0);
  const outcomes = await Promise.all(waiters.map((w) => w.result));
  assert.deepEqual(outcomes.map((o) => errorOf(o)), ["index 0", "index 1", "index 2"]);
  assert.equal(barrier.broken, false);
});

test("Barrier: this thread's async and sync waits with a worker (woken but absent)", async () => {
  // This thread's async wait arrives first, then this thread blocks in waitSync; a worker
  // arrives last. The wake must reach the blocked thread although an async waiter of the same
  // thread (which cannot run meanwhile) sleeps on the same slot.
  const barrier = new Barrier(3);
  const first = barrier.wait({ timeout: WAIT_MS });
  const last = waitOnce(barrier, { mode: "sync", afterWaiting: 2 });
  assert.equal(barrier.waitSync({ timeout: WAIT_MS }), 1);
  assert.equal(await first, 0);
  assert.equal(errorOf(await last.result), "index 2");
  // Two async parties on this thread and one sync party in a worker.
  const two = [barrier.wait({ timeout: WAIT_MS }), barrier.wait({ timeout: WAIT_MS })];
  const third = waitOnce(barrier, { mode: "sync", afterWaiting: 2 });
  assert.deepEqual(await Promise.all(two), [0, 1]);
  assert.equal(errorOf(await third.result), "index 2");
  assert.equal(barrier.broken, false);
});

test("Barrier: abort() breaks the waiters; broken until reset(); usable again after", async () => {
  const barrier = new Barrier(5);
  const waiters = (["sync", "async", "sync", "async"] as const).map((mode) =>
    waitOnce(barrier, { mode })
  );
  await until(() => barrier.nWaiting === 4, "4 waiting");
  barrier.abort();
  assert.equal(barrier.broken, true);
  for (const w of waiters) assertBrokeEarly(await w.result);
  assert.equal(barrier.broken, true);
  // Still broken: later waits fail at once.
  const start = performance.now();
  assert.throws(() => barrier.waitSync({ timeout: WAIT_MS }), BrokenBarrierError);
  await assert.rejects(barrier.wait({ timeout: WAIT_MS }), BrokenBarrierError);
  assert.ok(performance.now() - start < 1000);
  assert.equal(barrier.broken, true);
  assert.equal(barrier.nWaiting, 0);
  barrier.reset();
  assert.equal(barrier.broken, false);
  await cycles(barrier, ["sync", "async", "alternate", "sync", "async"], 2);
});

test("Barrier: CPython's test_abort: one party aborts instead of waiting again, the others break", async () => {
  const barrier = new Barrier(5);
  const modes: Mode[] = ["sync", "async", "alternate", "sync", "async"];
  const start = performance.now();
  const outcomes = await Promise.all(
    modes.map((mode) =>
      run<string>("barrierAbortScenario", {
        handle: barrier.handle,
        mode,
        aborter: 2,
        timeout: WAIT_MS,
      }).result
    ),
  );
  assert.deepEqual(outcomes.sort(), [
    "BrokenBarrierError",
    "BrokenBarrierError",
    "BrokenBarrierError",
    "BrokenBarrierError",
    "aborted",
  ]);
  assert.ok(performance.now() - start < WAIT_MS / 2, "broken by abort(), not by timeouts");
  assert.equal(barrier.broken, true);
});

test("Barrier: reset() while parties wait breaks them; the barrier is reused after", async () => {
  const barrier = new Barrier(4);
  const waiters = (["async", "sync", "async"] as const).map((mode) => waitOnce(barrier, { mode }));
  await until(() => barrier.nWaiting === 3, "3 waiting");
  barrier.reset();
  for (const w of waiters) assertBrokeEarly(await w.result);
  assert.equal(barrier.broken, false, "a reset barrier is not broken");
  assert.equal(barrier.nWaiting, 0);
  await cycles(barrier, ["sync", "async", "alternate", "async"], 2);

  // CPython's test_reset: all pass once; one party waits until the others wait again and
  // resets; their second wait breaks; then all pass again (the reset cycle drains first).
  const b5 = new Barrier(5);
  const modes: Mode[] = ["sync", "async", "alternate", "sync", "async"];
  const start = performance.now();
  const outcomes = await Promise.all(
    modes.map((mode) =>
      run<{ second: string; third: string }>("barrierResetScenario", {
        handle: b5.handle,
        mode,
        resetter: 2,
        timeout: WAIT_MS,
      }).result
    ),
  );
  assert.deepEqual(outcomes.map((o) => o.second).sort(), [
    "BrokenBarrierError",
    "BrokenBarrierError",
    "BrokenBarrierError",
    "BrokenBarrierError",
    "reset",
  ]);
  assert.deepEqual(outcomes.map((o) => o.third), Array(5).fill("passed"));
  assert.ok(performance.now() - start < WAIT_MS / 2, "broken by reset(), not by timeouts");
  assert.equal(b5.broken, false);
  assert.equal(b5.nWaiting, 0);
});

test("Barrier: a timeout breaks it for every waiter", async () => {
  const barrier = new Barrier(5);
  const patient = (["sync", "async", "sync"] as const).map((mode) => waitOnce(barrier, { mode }));
  await until(() => barrier.nWaiting === 3, "3 waiting");
  const impatient = waitOnce(barrier, { mode: "async", timeout: 100 });
  const late = await impatient.result;
  assert.equal(errorOf(late), "BrokenBarrierError");
  assert.ok(late.elapsed >= 95 && late.elapsed < 2000, `timed out after ${late.elapsed} ms`);
  for (const w of patient) assertBrokeEarly(await w.result);
  assert.equal(barrier.broken, true);
  barrier.reset();
  assert.equal(barrier.broken, false);

  // The constructor's default timeout (CPython's test_default_timeout), both forms, here.
  const b2 = new Barrier(2, { timeout: 100 });
  for (const mode of ["sync", "async"] as const) {
    const start = performance.now();
    if (mode === "sync") assert.throws(() => b2.waitSync(), BrokenBarrierError);
    else await assert.rejects(b2.wait(), BrokenBarrierError);
    const elapsed = performance.now() - start;
    assert.ok(elapsed >= 95 && elapsed < 2000, `${mode}: ${elapsed} ms`);
    assert.equal(b2.broken, true);
    b2.reset();
  }
  // timeout 0: try once.
  assert.throws(() => b2.waitSync({ timeout: 0 }), BrokenBarrierError);
  assert.equal(b2.broken, true);
});

test("Barrier: a throwing action breaks it: the last arrival gets the action's error, the others BrokenBarrierError", async () => {
  const barrier = new Barrier(3);
  const outcomes = await Promise.all(
    (["sync", "async", "sync"] as const).map((mode) =>
      waitOnce(barrier, { mode, throwInAction: "action failed" }).result
    ),
  );
  const errors = outcomes.map((o) =>
    "error" in o ? `${o.error}${o.error === "Error" ? `: ${o.message}` : ""}` : "passed"
  );
  assert.deepEqual(errors.sort(), [
    "BrokenBarrierError",
    "BrokenBarrierError",
    "Error: action failed",
  ]);
  for (const o of outcomes) assert.ok(o.elapsed < WAIT_MS / 2, `took ${o.elapsed} ms`);
  assert.equal(barrier.broken, true);

  // The constructor's action, in this thread (the last arrival here).
  const boom = new Error("boom");
  const b2 = new Barrier(2, {
    action: () => {
      throw boom;
    },
  });
  const other = waitOnce(b2, { mode: "async" });
  await until(() => b2.nWaiting === 1, "1 waiting");
  assert.throws(() => b2.waitSync({ timeout: WAIT_MS }), (e) => e === boom);
  assertBrokeEarly(await other.result);
  assert.equal(b2.broken, true);
});

test("Barrier: an aborted signal breaks the barrier and rejects with signal.reason", async () => {
  const barrier = new Barrier(3);
  const other = waitOnce(barrier, { mode: "sync" });
  const controller = new AbortController();
  const reason = new Error("no more waiting");
  const mine = barrier.wait({ timeout: WAIT_MS, signal: controller.signal });
  await until(() => barrier.nWaiting === 2, "2 waiting");
  controller.abort(reason);
  await assert.rejects(mine, (e) => e === reason);
  assert.equal(barrier.broken, true, "broken when the aborted wait rejects");
  assertBrokeEarly(await other.result);
  assert.equal(barrier.broken, true);
  barrier.reset();

  // Already aborted: rejects at once; nothing arrived, nothing broke.
  const w = waitOnce(barrier, { mode: "async" });
  await until(() => barrier.nWaiting === 1, "1 waiting");
  await assert.rejects(barrier.wait({ signal: AbortSignal.abort("early") }), (e) => e === "early");
  assert.equal(barrier.nWaiting, 1);
  assert.equal(barrier.broken, false);
  barrier.abort();
  assertBrokeEarly(await w.result);
  barrier.reset();

  // Aborted after its cycle completed: too late to matter; it resolves with its index.
  const b2 = new Barrier(2);
  const late = new AbortController();
  const waiting = b2.wait({ timeout: WAIT_MS, signal: late.signal });
  assert.equal(b2.waitSync({ timeout: WAIT_MS }), 1); // completes the cycle
  late.abort("late");
  assert.equal(await waiting, 0);
  assert.equal(b2.broken, false);
});

test("Barrier: CPython's single-party barrier passes at once, running the action each time", () => {
  let actions = 0;
  const b = new Barrier(1, { action: () => void actions++ });
  assert.equal(b.waitSync({ timeout: 0 }), 0);
  assert.equal(b.waitSync(), 0);
  assert.equal(actions, 2);
  assert.equal(b.broken, false);
});

test("Barrier: bad arguments throw TypeError/RangeError", async () => {
  for (const parties of [0, -1, 1.5, Number.NaN, Infinity, 2 ** 31]) {
    assert.throws(() => new Barrier(parties), RangeError, String(parties));
  }
  for (const parties of ["2", undefined, null, 2n, {}]) {
    assert.throws(() => new Barrier(parties as never), TypeError, String(parties));
  }
  assert.throws(() => new Barrier(2, { action: 5 as never }), TypeError);
  assert.throws(() => new Barrier(2, { timeout: -1 }), RangeError);
  assert.throws(() => new Barrier(2, { timeout: "1" as never }), TypeError);
  assert.throws(() => Barrier.from(new Lock().handle), TypeError);
  const b = new Barrier(2);
  assert.throws(() => b.waitSync({ timeout: -1 }), RangeError);
  assert.throws(() => b.waitSync({ timeout: Number.NaN }), RangeError);
  assert.throws(() => b.waitSync({ signal: new AbortController().signal } as never), TypeError);
  assert.throws(() => b.waitSync({ action: "x" as never }), TypeError);
  assert.throws(() => b.waitSync(50 as never), TypeError);
  await assert.rejects(b.wait({ timeout: -1 }), RangeError);
  await assert.rejects(b.wait({ signal: {} as never }), TypeError);
  // Nothing arrived.
  assert.equal(b.nWaiting, 0);
  assert.equal(b.broken, false);
});
