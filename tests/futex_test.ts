/**
 * The futex layer (`src/internal/futex.ts`): its drivers, wake counts, keep-alive (in a main
 * script and in a worker, as child processes of the runtime running the tests), the polling
 * fallback, and the "woken but absent" case of DESIGN.md.
 *
 * Not tested here: the `TypeError` of a `*Sync` call where blocking is forbidden — that needs a
 * browser main thread.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { Barrier, Event, Lock, Semaphore } from "../mod.ts";
import {
  deadlineAfter,
  type Park,
  type Parker,
  parkSync,
  pendingAsyncWaits,
  runAsync,
  runSync,
  setAsyncNudge,
  setAsyncSpin,
  setForcePolling,
  setSyncSpin,
  spinCounts,
  spinnersFit,
  type WaitResult,
  wake,
  wakeAll,
} from "../src/internal/futex.ts";
import { runtime } from "../src/runtime/mod.ts";
import { sleep, spawn, until, waitsOn } from "./helpers.ts";
import { assertTimedOut, ctlBlock, runFixture, signal, slotsOf, timed } from "./fixtures/checks.ts";

/** A slow path that parks once on `i32[0]` and returns what the driver answered. */
function* parkOnce(
  i32: Int32Array,
  expected: number,
  deadline: number,
  asyncCount = -1,
  log?: string[],
): Parker<WaitResult> {
  const park: Park = { i32, index: 0, expected, deadline, asyncCount };
  try {
    return yield park;
  } finally {
    log?.push("finally");
  }
}

/**
 * Starts a worker that stores 1 into `buffer[0]` some 300 ms after it says it started, and
 * returns it once it has said so.
 */
async function startChanger(buffer: SharedArrayBuffer) {
  const started = new SharedArrayBuffer(4);
  const worker = spawn<number>("changeLater", {
    buffer,
    index: 0,
    value: 1,
    delayMs: 300,
    started,
  });
  await until(() => Atomics.load(new Int32Array(started), 0) === 1, "the worker started");
  return worker;
}

/**
 * Starts a worker that wakes the waiters of `buffer[0]` every `everyMs` (adding 1 to it first with
 * `change`) and returns, once it runs, the function that stops it and checks it woke at all.
 */
async function startWaker(
  buffer: SharedArrayBuffer,
  everyMs: number,
  change = false,
): Promise<() => Promise<void>> {
  const started = new SharedArrayBuffer(4);
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const worker = spawn<number>("wakeEvery", {
    buffer,
    index: 0,
    everyMs,
    change,
    started,
    stop: stop.buffer,
  });
  await until(() => Atomics.load(new Int32Array(started), 0) === 1, "the worker started");
  return async () => {
    Atomics.store(stop, 0, 1);
    Atomics.notify(stop, 0);
    assert.ok((await worker.result) > 0, "the worker woke the slot");
  };
}

/**
 * `n` sync parks on `buffer[0]` expecting 0, each with a deadline `ms` from its start: their
 * answers, and how many `Atomics.wait` calls they made.
 */
function syncParks(buffer: SharedArrayBuffer, n: number, ms: number) {
  const i32 = new Int32Array(buffer);
  return waitsOn(buffer, () => {
    const answers: WaitResult[] = [];
    for (let i = 0; i < n; i++) {
      answers.push(
        parkSync({ i32, index: 0, expected: 0, deadline: deadlineAfter(ms), asyncCount: -1 }),
      );
    }
    return answers;
  });
}

test("runSync answers not-equal, timed-out and ok", async () => {
  const buffer = new SharedArrayBuffer(8);
  const i32 = new Int32Array(buffer);
  assert.equal(runSync(parkOnce(i32, 1, Infinity)), "not-equal");
  const t = await timed(() => runSync(parkOnce(i32, 0, deadlineAfter(50))));
  assert.equal(t.value, "timed-out");
  assertTimedOut(t.elapsed, 50, "runSync");
  assert.equal(
    runSync(parkOnce(i32, 0, performance.now() - 1)),
    "timed-out",
    "a past deadline does not sleep",
  );
  const notifier = spawn<number>("notifyLater", { buffer, index: 0, value: 0, delayMs: 50 });
  // Sleep until notified (the value stays 0, so only the notify ends the wait), bounded.
  const woken = await timed(() => runSync(parkOnce(i32, 0, deadlineAfter(10_000))));
  assert.equal(woken.value, "ok");
  assert.ok(woken.elapsed < 5_000);
  assert.equal(await notifier.result, 1);
});

test("runAsync answers not-equal, timed-out and ok, and holds the keep-alive only while pending", async () => {
  const buffer = new SharedArrayBuffer(8);
  const i32 = new Int32Array(buffer);
  assert.equal(await runAsync(parkOnce(i32, 1, Infinity), undefined), "not-equal");
  const t = await timed(() => runAsync(parkOnce(i32, 0, deadlineAfter(50)), undefined));
  assert.equal(t.value, "timed-out");
  assertTimedOut(t.elapsed, 50, "runAsync");
  const pending = runAsync(parkOnce(i32, 0, deadlineAfter(10_000), 1), undefined);
  assert.equal(pendingAsyncWaits(), 1);
  assert.equal(i32[1], 1, "the async waiter counts itself in its async-waiter slot");
  const notifier = spawn<number>("notifyLater", { buffer, index: 0, value: 0, delayMs: 20 });
  assert.equal(await pending, "ok");
  assert.equal(await notifier.result, 1);
  assert.equal(pendingAsyncWaits(), 0);
  assert.equal(i32[1], 0, "uncounted once settled");
});

/** Every `Atomics.waitAsync` call made while `f` runs: its buffer, and its promise if async. */
async function registrationsOf<T>(
  f: () => Promise<T>,
): Promise<
  { value: T; calls: { buffer: ArrayBufferLike; settled: Promise<unknown> | undefined }[] }
> {
  const original = Atomics.waitAsync;
  const calls: { buffer: ArrayBufferLike; settled: Promise<unknown> | undefined }[] = [];
  (Atomics as { waitAsync: typeof Atomics.waitAsync }).waitAsync = (i32, index, value, ms) => {
    const r = original(i32 as Int32Array, index, value as number, ms);
    calls.push({ buffer: i32.buffer, settled: r.async ? r.value : undefined });
    return r;
  };
  let pending: Promise<T>;
  try {
    pending = f(); // the registrations happen synchronously, in the call
  } finally {
    (Atomics as { waitAsync: typeof Atomics.waitAsync }).waitAsync = original;
  }
  return { value: await pending, calls };
}

test("nudge: on where the runtime layer says (all but Deno), one self-woken private wait per registration", async () => {
  assert.equal(
    runtime.nudgeAsyncWaits,
    runtime.name !== "deno",
    "on Node, Bun and browsers (measured), off on Deno",
  );
  const buffer = new SharedArrayBuffer(8);
  const i32 = new Int32Array(buffer);
  try {
    for (const on of [false, true]) {
      setAsyncNudge(on);
      const { value, calls } = await registrationsOf(() => {
        const pending = runAsync(parkOnce(i32, 0, deadlineAfter(10_000), 1), undefined);
        // Woken from this thread after the registration (and the nudge, if any).
        queueMicrotask(() => wake(i32, 0, 1, 1));
        return pending;
      });
      assert.equal(value, "ok");
      assert.equal(calls[0]!.buffer, buffer, "the real wait first");
      assert.equal(calls.length, on ? 2 : 1, `nudge ${on}: ${calls.length} registrations`);
      if (on) {
        assert.notEqual(calls[1]!.buffer, buffer, "the nudge waits on its own slot");
        // Its settlement is a task, and a pending waitAsync keeps no loop alive (the wait itself
        // ended at the self-wake): wait for it on a timer.
        let nudged: unknown;
        void calls[1]!.settled!.then((result) => (nudged = result));
        await until(() => nudged !== undefined, "the nudge settled");
        assert.equal(nudged, "ok", "and is woken at once, by this thread");
      }
      assert.equal(pendingAsyncWaits(), 0);
      // The wait ended at the self-wake; its registration is uncounted when it settles.
      await until(() => i32[1] === 0, "the registration uncounted");
    }
  } finally {
    setAsyncNudge(runtime.nudgeAsyncWaits);
  }
});

test("spin: on where the runtime layer says, sync and async (16 µs on Node, Deno and Bun, sync 32 on Bun; off in browsers)", () => {
  assert.equal(runtime.asyncSpinMicros, runtime.name === "browser" ? 0 : 16);
  const sync = runtime.name === "browser" ? 0 : runtime.name === "bun" ? 32 : 16;
  assert.equal(runtime.syncSpinMicros, sync);
});

test("spin: a change made by another thread while an async park spins ends the park unregistered", async () => {
  const buffer = new SharedArrayBuffer(8);
  const i32 = new Int32Array(buffer);
  const worker = await startChanger(buffer);
  const before = spinCounts();
  setAsyncSpin(2_000_000); // up to 2 s: the worker's store ends it
  try {
    const { value, calls } = await registrationsOf(() =>
      runAsync(parkOnce(i32, 0, deadlineAfter(10_000), 1), undefined)
    );
    assert.equal(value, "not-equal", "the spin saw the change");
    assert.equal(calls.filter((c) => c.buffer === buffer).length, 0, "no waitAsync registered");
    const after = spinCounts();
    assert.equal(after.begun - before.begun, 1);
    assert.equal(after.hit - before.hit, 1);
  } finally {
    setAsyncSpin(runtime.asyncSpinMicros);
  }
  await worker.result;
  assert.equal(pendingAsyncWaits(), 0);
});

test("spin: never past the park's deadline (answers timed-out there, unregistered)", async () => {
  const buffer = new SharedArrayBuffer(8);
  const i32 = new Int32Array(buffer);
  setAsyncSpin(2_000_000); // 2 s, far past the deadlines: only they can end these spins
  try {
    const before = spinCounts();
    const { value, calls } = await registrationsOf(async () => {
      const answers: WaitResult[] = [];
      for (let i = 0; i < 3; i++) {
        answers.push(await runAsync(parkOnce(i32, 0, deadlineAfter(50), 1), undefined));
      }
      return answers;
    });
    assert.deepEqual(value, Array(3).fill("timed-out"));
    // A spin cut by the deadline is no miss: every park spun.
    assert.equal(spinCounts().begun - before.begun, 3);
    assert.equal(calls.filter((c) => c.buffer === buffer).length, 0, "no waitAsync registered");
  } finally {
    setAsyncSpin(runtime.asyncSpinMicros);
  }
});

test("spin: a thread whose spins do not pay stops spinning (one probe in 16 parks)", async () => {
  const i32 = new Int32Array(new SharedArrayBuffer(8));
  setAsyncSpin(2_000); // 2 ms; setting it starts the credit afresh
  try {
    // Nothing can change the slot while this thread spins (another task of its own ends each
    // wait): every spin ends unchanged, and this thread's own wake ends the wait (a loss).
    const before = spinCounts();
    for (let i = 0; i < 40; i++) {
      const pending = runAsync(parkOnce(i32, 0, deadlineAfter(10_000), 1), undefined);
      queueMicrotask(() => wake(i32, 0, 1, 1));
      assert.equal(await pending, "ok");
      // Ended by the self-wake: let the registration settle, so that the next park may spin (a
      // park never spins while another registration is counted on its slot).
      await until(() => i32[1] === 0, "the registration uncounted");
    }
    const after = spinCounts();
    // The fresh credit (4) falls by 2 per loss: 2 spins, then one probe per 16 parks (2 more).
    assert.equal(after.begun - before.begun, 4);
    assert.equal(after.hit - before.hit, 0);
  } finally {
    setAsyncSpin(runtime.asyncSpinMicros);
  }
  assert.equal(pendingAsyncWaits(), 0);
});

test("spin: a spin that another thread's wake outlasts costs no credit, sync or async (every park spins)", async () => {
  // A pair that once fell asleep together (one side pre-empted) must not stay asleep: a spin
  // that ended before the other thread answered is the spin-then-block cost, not a loss.
  const buffer = new SharedArrayBuffer(8);
  const i32 = new Int32Array(buffer);
  // The worker wakes the slot every 2 ms and never changes it: every spin (200 µs) ends
  // unchanged, and every wait is ended by the worker.
  const stopWaker = await startWaker(buffer, 2);
  try {
    setAsyncSpin(200);
    let before = spinCounts();
    for (let i = 0; i < 20; i++) {
      assert.equal(await runAsync(parkOnce(i32, 0, deadlineAfter(10_000), 1), undefined), "ok");
    }
    assert.equal(spinCounts().begun - before.begun, 20, "every async park spun");
    assert.equal(spinCounts().hit - before.hit, 0);
    assert.equal(pendingAsyncWaits(), 0);
    setSyncSpin(200);
    before = spinCounts();
    const { value, waits } = syncParks(buffer, 20, 10_000);
    assert.deepEqual(value, Array(20).fill("ok"));
    assert.equal(waits, 20, "each sync park slept after its spin");
    assert.equal(spinCounts().begun - before.begun, 20, "every sync park spun");
    assert.equal(spinCounts().hit - before.hit, 0);
  } finally {
    setAsyncSpin(runtime.asyncSpinMicros);
    setSyncSpin(runtime.syncSpinMicros);
    await stopWaker();
  }
});

test("spin: no spin while another async waiter is registered on the slot (it queues behind)", async () => {
  const i32 = new Int32Array(new SharedArrayBuffer(8));
  setAsyncSpin(2_000);
  try {
    i32[1] = 1; // another async waiter counted on the slot
    const before = spinCounts();
    const pending = runAsync(parkOnce(i32, 0, deadlineAfter(10_000), 1), undefined);
    assert.equal(spinCounts().begun - before.begun, 0, "no spin");
    wakeAll(i32, 0);
    assert.equal(await pending, "ok");
    await until(() => i32[1] === 1, "ours uncounted");
    assert.equal(i32[1], 1, "ours uncounted, the other's count left");
  } finally {
    setAsyncSpin(runtime.asyncSpinMicros);
  }
});

test("spin: a Barrier's waiters spin only where all of them can and leave the last arriver a CPU", async () => {
  const cpus = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator
    ?.hardwareConcurrency ?? 1;
  assert.equal(spinnersFit(cpus - 1), true);
  assert.equal(spinnersFit(cpus), false);
  for (const parties of [2, cpus + 1]) {
    const barrier = new Barrier(parties);
    const before = spinCounts();
    // parties - 1 async waits park (each spins first, or not), then the last arrives.
    const waits = Array.from({ length: parties - 1 }, () => barrier.wait({ timeout: 10_000 }));
    const spun = spinCounts().begun - before.begun;
    await barrier.wait({ timeout: 10_000 });
    assert.equal((await Promise.all(waits)).length, parties - 1);
    const fits = spinnersFit(parties - 1);
    assert.equal(spun, fits && runtime.asyncSpinMicros > 0 ? parties - 1 : 0, `${parties} parties`);
  }
});

test("sync spin: a change made by another thread while a sync park spins ends it without sleeping", async () => {
  const buffer = new SharedArrayBuffer(8);
  const i32 = new Int32Array(buffer);
  const worker = await startChanger(buffer);
  const before = spinCounts();
  setSyncSpin(2_000_000); // up to 2 s: the worker's store ends it
  try {
    const park: Park = {
      i32,
      index: 0,
      expected: 0,
      deadline: deadlineAfter(10_000),
      asyncCount: -1,
    };
    const { value, waits } = waitsOn(buffer, () => parkSync(park));
    assert.equal(value, "not-equal", "the spin saw the change");
    assert.equal(waits, 0, "no Atomics.wait");
    assert.equal(spinCounts().begun - before.begun, 1);
    assert.equal(spinCounts().hit - before.hit, 1);
  } finally {
    setSyncSpin(runtime.syncSpinMicros);
  }
  await worker.result;
});

test("sync spin: never past the park's deadline (answers timed-out there, without sleeping)", () => {
  const buffer = new SharedArrayBuffer(8);
  setSyncSpin(2_000_000); // 2 s, far past the deadlines: only they can end these spins
  try {
    const { value, waits } = syncParks(buffer, 3, 50);
    assert.deepEqual(value, Array(3).fill("timed-out"));
    assert.equal(waits, 0);
  } finally {
    setSyncSpin(runtime.syncSpinMicros);
  }
});

test("sync spin: a slow path that parks on the slot its spin saw change stops spinning (contention)", async () => {
  // Each park's spin sees the worker's change, and the slow path parks on the same slot again
  // (as a waiter does that lost the word to another): a lost hit, 2 off the credit.
  const buffer = new SharedArrayBuffer(8);
  const i32 = new Int32Array(buffer);
  const stopWaker = await startWaker(buffer, 0.2, true);
  function* parkEach(n: number): Parker<number> {
    for (let k = 0; k < n; k++) {
      const expected = Atomics.load(i32, 0);
      yield { i32, index: 0, expected, deadline: deadlineAfter(10_000), asyncCount: -1 };
    }
    return n;
  }
  try {
    setSyncSpin(2_000_000); // 2 s: the worker's next change ends every spin; resets the credit
    const before = spinCounts();
    assert.equal(runSync(parkEach(40)), 40);
    // The fresh credit (4): 2 spins, then one probe per 16 parks (2 more), every one a hit.
    assert.equal(spinCounts().begun - before.begun, 4);
    assert.equal(spinCounts().hit - before.hit, 4);
  } finally {
    setSyncSpin(runtime.syncSpinMicros);
    await stopWaker();
  }
});

test("runAsync on abort closes the slow path (finally runs) and rejects with signal.reason", async () => {
  const i32 = new Int32Array(new SharedArrayBuffer(8));
  const log: string[] = [];
  const controller = new AbortController();
  const pending = runAsync(parkOnce(i32, 0, Infinity, 1, log), controller.signal);
  assert.equal(pendingAsyncWaits(), 1);
  const reason = new Error("abort");
  controller.abort(reason);
  await assert.rejects(pending, (e) => e === reason);
  assert.deepEqual(log, ["finally"]);
  assert.equal(pendingAsyncWaits(), 0);
  // The abort woke the slot, so the physical wait settles by itself and leaves no count behind.
  await until(() => i32[1] === 0, "the stale wait settles");
  assert.equal(wakeAll(i32, 0), 0, "no stale registration is left on the slot");
});

test("runAsync: a run that ends after its park timed out leaves no registration behind", async () => {
  const i32 = new Int32Array(new SharedArrayBuffer(8));
  const t = await timed(() => runAsync(parkOnce(i32, 0, deadlineAfter(30), 1), undefined));
  assert.equal(t.value, "timed-out");
  assertTimedOut(t.elapsed, 30, "runAsync");
  assert.equal(pendingAsyncWaits(), 0);
  // The physical wait (registered without a timeout) was woken by the run as it ended.
  await until(() => i32[1] === 0, "the left wait settles and uncounts itself");
  assert.equal(wakeAll(i32, 0), 0, "no stale registration is left on the slot");
});

/** Parks on `i32[0]` until `shortMs`, then again on the same slot until woken; logs answers. */
function* parkTwice(i32: Int32Array, shortMs: number, log: string[]): Parker<string> {
  const park: Park = {
    i32,
    index: 0,
    expected: 0,
    deadline: deadlineAfter(shortMs),
    asyncCount: 1,
  };
  log.push(yield park);
  park.deadline = deadlineAfter(10_000);
  log.push(yield park);
  return "done";
}

test("runAsync: a park after a timeout on the same slot reuses the registration and is woken", async () => {
  const buffer = new SharedArrayBuffer(8);
  const i32 = new Int32Array(buffer);
  const log: string[] = [];
  const waitAsync = Atomics.waitAsync;
  let registered = 0;
  (Atomics as { waitAsync: unknown }).waitAsync = (...args: Parameters<typeof waitAsync>) => {
    if (args[0].buffer === buffer) registered++; // not a nudge's (see the nudge test)
    return waitAsync(...args);
  };
  let pending: Promise<string>;
  try {
    pending = runAsync(parkTwice(i32, 20, log), undefined);
    await until(() => log.length === 1, "the first park times out");
  } finally {
    (Atomics as { waitAsync: unknown }).waitAsync = waitAsync;
  }
  assert.deepEqual(log, ["timed-out"]);
  assert.equal(registered, 1, "the second park registered nothing new");
  assert.equal(i32[1], 1, "still counted once");
  // Only a notify ends the second park (the value stays 0).
  const notifier = spawn<number>("notifyLater", { buffer, index: 0, value: 0, delayMs: 20 });
  assert.equal(await pending, "done");
  assert.deepEqual(log, ["timed-out", "ok"]);
  assert.equal(await notifier.result, 1, "one registration was woken");
  assert.equal(i32[1], 0);
  assert.equal(pendingAsyncWaits(), 0);
});

test("runAsync: a deadline past setTimeout's range arms the deadline timer once, not every ms", async () => {
  const i32 = new Int32Array(new SharedArrayBuffer(8));
  const g = globalThis as unknown as { setTimeout: (...args: unknown[]) => unknown };
  const setTimeout = g.setTimeout;
  let timers = 0;
  g.setTimeout = (...args: unknown[]) => {
    if (args[0] !== undefined && (args[1] as number) > 2 ** 31 - 1) timers = Infinity;
    timers++;
    return setTimeout.apply(globalThis, args);
  };
  let pending: Promise<WaitResult>;
  try {
    pending = runAsync(parkOnce(i32, 0, performance.now() + 1e12, 1), undefined);
    await sleep(50);
  } finally {
    g.setTimeout = setTimeout;
  }
  Atomics.notify(i32, 0);
  assert.equal(await pending, "ok");
  // sleep() itself arms one timer; a delay past 2^31-1 ms would fire at once, again and again.
  assert.ok(timers <= 3, `armed ${timers} timers in 50 ms`);
});

test("deadlines: many timed waits, some aborted from the middle of the list, each ends at its own deadline", async () => {
  // The deadline list is an array whose entries leave by a swap with the last: waits that end
  // out of order (aborts, settles) must leave every other wait on the timer with its deadline.
  const before = pendingAsyncWaits();
  const event = new Event(); // never set: every wait ends by its timeout or its abort
  const lock = new Lock();
  lock.acquireSync(); // held: the acquires wait, the first in its slow path, the others in line
  const t0 = performance.now();
  const timeouts = Array.from({ length: 24 }, (_, i) => 40 + ((i * 37) % 24) * 10); // 40..270
  const controllers = timeouts.map(() => new AbortController());
  const waits = timeouts.flatMap((timeout, i) => {
    const signal = controllers[i]!.signal;
    return [
      { timeout, aborted: i % 3 === 1, done: event.wait({ timeout, signal }) },
      { timeout, aborted: i % 3 === 1, done: lock.acquire({ timeout, signal }) },
    ];
  });
  const ended = waits.map((w) =>
    w.done.then(
      (value) => ({ value, at: performance.now() - t0 }),
      (error) => ({ value: error, at: performance.now() - t0 }),
    )
  );
  // Abort every third pair in an order unlike the list's.
  for (const i of [22, 1, 13, 4, 19, 7, 16, 10]) controllers[i]!.abort(new Error(`stop ${i}`));
  const results = await Promise.all(ended);
  results.forEach((r, k) => {
    const w = waits[k]!;
    if (w.aborted) {
      assert.ok(r.value instanceof Error && /^stop /.test(r.value.message), `wait ${k} aborted`);
      return;
    }
    assert.equal(r.value, false, `wait ${k} timed out`);
    assert.ok(
      r.at >= w.timeout - 1,
      `wait ${k} (timeout ${w.timeout}) ended at ${r.at.toFixed(1)} ms`,
    );
    assert.ok(
      r.at < w.timeout + 2_000,
      `wait ${k} (timeout ${w.timeout}) ended at ${r.at.toFixed(1)} ms`,
    );
  });
  lock.release();
  await until(() => pendingAsyncWaits() === before, "every wait settled", 5_000);
});

test("wake wakes `count` waiters, or all of them while an async waiter is counted", async () => {
  const i32 = new Int32Array(new SharedArrayBuffer(8));
  // Uncounted async waits (asyncCount -1): wake(…, 1, -1) wakes exactly one.
  const plain = [0, 1, 2].map(() => runAsync(parkOnce(i32, 0, deadlineAfter(10_000)), undefined));
  assert.equal(wake(i32, 0, 1, -1), 1);
  assert.equal(wakeAll(i32, 0), 2);
  assert.deepEqual(await Promise.all(plain), ["ok", "ok", "ok"]);
  // Counted async waits: one is enough for a wake of 1 to wake all.
  const counted = [0, 1, 2].map(() =>
    runAsync(parkOnce(i32, 0, deadlineAfter(10_000), 1), undefined)
  );
  assert.equal(i32[1], 3);
  assert.equal(wake(i32, 0, 1, 1), 3);
  assert.deepEqual(await Promise.all(counted), ["ok", "ok", "ok"]);
  await until(() => i32[1] === 0, "every registration uncounted");
  assert.equal(pendingAsyncWaits(), 0);
});

test("keep-alive: a main script whose only pending work is an async wait completes", async () => {
  const { code, stdout, stderr } = await runFixture("keepalive_main.ts");
  assert.equal(stdout, "lock true\nevent true\nsemaphore true\n", `stderr: ${stderr}`);
  assert.equal(code, 0, stderr);
});

test("keep-alive: a worker whose only pending work is an async wait completes", async () => {
  const { code, stdout, stderr } = await runFixture("keepalive_in_worker.ts");
  assert.equal(stdout, "lock true\nevent true\nsemaphore true\nworker done\n", `stderr: ${stderr}`);
  assert.equal(code, 0, stderr);
});

test("polling fallback: async Lock, Semaphore and Event waits across threads", async () => {
  setForcePolling(true);
  try {
    const lock = new Lock();
    const ctl = ctlBlock();
    const holder = spawn("holdUntil", {
      handle: lock.handle,
      ctl: ctl.buffer,
      holding: 0,
      releaseWhen: 1,
      delayMs: 30,
    });
    await until(() => Atomics.load(ctl.i32, 0) === 1, "the worker holds the lock");
    const acquired = lock.acquire({ timeout: 10_000 });
    // A sync waiter in another worker, mixed with our polling one.
    const started = new SharedArrayBuffer(4);
    const other = spawn<{ acquired: boolean }>("acquireTimed", {
      handle: lock.handle,
      mode: "sync",
      timeout: 10_000,
      started,
    });
    await until(() => Atomics.load(new Int32Array(started), 0) === 1, "the sync waiter started");
    signal(ctl.i32, 1);
    assert.equal(await acquired, true);
    lock.release();
    assert.equal((await other.result).acquired, true);
    await holder.result;

    const sem = new Semaphore(0);
    const permit = sem.acquire({ timeout: 10_000 });
    await spawn("call", { handle: sem.handle, calls: [{ method: "release" }] }).result;
    assert.equal(await permit, true);
    assert.equal(sem.value, 0);

    const event = new Event();
    const waiting = event.wait({ timeout: 10_000 });
    await spawn("call", { handle: event.handle, calls: [{ method: "set" }, { method: "clear" }] })
      .result;
    assert.equal(await waiting, true, "set();clear() is seen by a polling waiter too");

    // Timeout and abort in polling mode.
    lock.acquireSync();
    const t = await timed(() => lock.acquire({ timeout: 50 }));
    assert.equal(t.value, false);
    assertTimedOut(t.elapsed, 50, "polling acquire");
    const controller = new AbortController();
    const aborted = lock.acquire({ signal: controller.signal });
    controller.abort("why");
    await assert.rejects(aborted, (e) => e === "why");
    assert.equal(lock.locked, true);
    lock.release();
    assert.equal(pendingAsyncWaits(), 0);
  } finally {
    setForcePolling(false);
  }
});

test("polling fallback in a worker: its async acquire gets a lock released here", async () => {
  const lock = new Lock();
  lock.acquireSync();
  const started = new SharedArrayBuffer(4);
  const running = spawn<{ acquired: boolean; pending: number }>("pollingAcquire", {
    handle: lock.handle,
    timeout: 10_000,
    started,
  });
  await until(() => Atomics.load(new Int32Array(started), 0) === 1, "the worker started waiting");
  await sleep(20);
  lock.release();
  assert.deepEqual(await running.result, { acquired: true, pending: 0 });
  assert.equal(lock.locked, false);
});

/**
 * DESIGN.md's "woken but absent": this thread has an async waiter on A and then blocks in
 * `B.acquireSync()`. Worker W2 holds B and waits (sync) on A behind our async waiter; worker W1
 * releases A. If the release woke only our absent async waiter, W2 would sleep on, never release
 * B, and we would never get B. Every wait is bounded; a failure shows as `false`.
 */
for (const kind of ["Lock", "Semaphore"] as const) {
  test(`woken but absent (${kind}): a sync waiter still gets A while this thread's async waiter cannot run`, async () => {
    const a = kind === "Lock" ? new Lock() : new Semaphore(1);
    const b = new Lock();
    // ctl: 0 W1 holds A, 1 release A, 2 W2 holds B, 3 W2 waits on A
    const ctl = ctlBlock();
    const w1 = spawn("holdUntil", {
      handle: a.handle,
      ctl: ctl.buffer,
      holding: 0,
      releaseWhen: 1,
      delayMs: 50,
    });
    await until(() => Atomics.load(ctl.i32, 0) === 1, "W1 holds A");
    // Our async waiter on A registers now, first in line.
    const ours = a.acquire({ timeout: 20_000 });
    const asyncSlot = kind === "Lock" ? 1 : 2;
    assert.equal(slotsOf(a.handle, asyncSlot + 1)[asyncSlot], 1, "our async waiter is counted");
    const w2 = spawn<{ got: boolean; elapsed: number }>("takeThenWait", {
      first: b.handle,
      second: a.handle,
      ctl: ctl.buffer,
      holdingFirst: 2,
      waitingSecond: 3,
      timeout: 5_000,
    });
    await until(() => Atomics.load(ctl.i32, 3) === 1, "W2 holds B and waits on A");
    await sleep(30); // W2 most likely asleep behind our waiter; correct either way
    // W1 releases A 50 ms from now, while we are blocked below and cannot run our async waiter.
    signal(ctl.i32, 1);
    const t0 = performance.now();
    const gotB = b.acquireSync({ timeout: 8_000 });
    const blocked = performance.now() - t0;
    assert.equal(gotB, true, `B was never released (blocked ${blocked.toFixed(0)} ms)`);
    b.release();
    const r2 = await w2.result;
    assert.equal(r2.got, true, "W2 got A although our async waiter was woken first");
    assert.ok(blocked < 4_000, `blocked ${blocked.toFixed(0)} ms`);
    await w1.result;
    // Our async waiter gets A once W2 has released it.
    assert.equal(await ours, true);
    a.release();
    if (a instanceof Lock) assert.equal(a.locked, false);
    else assert.equal(a.value, 1);
    assert.equal(pendingAsyncWaits(), 0);
  });
}
