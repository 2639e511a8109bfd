/**
 * Condition across real workers (issue 3, item 1), after CPython's `ConditionTests`.
 *
 * Knowing that a waiter *waits*: a waiter counts itself READY with the lock held and keeps the
 * lock until `wait()` releases it, so once READY reached `n` and the notifier then acquires the
 * lock, all `n` are inside `wait()`. No test sleeps for correctness; every wait is bounded.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { Barrier, Condition, Event, Lock, NotOwnedError, RLock, Semaphore } from "../mod.ts";
import { spawn, until } from "./helpers.ts";
import { COND_OPS, LOG, LOG_N, PHASE, READY, ROUNDS, SH_SLOTS, TURN } from "./fixtures/cond_ops.ts";

/** Worker ops give up after this; helpers after HELPER_MS (both far above the expected times). */
const WAIT_MS = 10_000;
const HELPER_MS = 15_000;

type Mode = "sync" | "async" | "alternate";

function run<T>(op: string, input: unknown) {
  return spawn<T>(op, input, HELPER_MS, COND_OPS);
}

function shared(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(SH_SLOTS * 4));
}

/** The log as `round.phase.notified` strings, in lock order. */
function log(sh: Int32Array): string[] {
  const out: string[] = [];
  const n = Atomics.load(sh, LOG_N);
  for (let i = 0; i < n; i++) {
    const e = Atomics.load(sh, LOG + i);
    out.push(`r${Math.floor(e / 100)} p${Math.floor(e / 10) % 10} ${e % 10 === 1}`);
  }
  return out;
}

function times(n: number, entry: string): string[] {
  return Array.from({ length: n }, () => entry);
}

/** Acquires the condition's lock from this (main) thread, bounded. */
async function hold(cond: Condition): Promise<void> {
  assert.equal(await cond.acquire({ timeout: WAIT_MS }), true, "main acquires the lock");
}

/**
 * CPython's `_check_notify`: 5 waiters wait twice each. notify(3) wakes exactly 3 (phase 1);
 * notify(5) wakes the 2 still in their first wait and the 3 now in their second (phase 2);
 * notifyAll wakes the last 2 (phase 3). Waiters log `(round, phase, notified)` with the lock held.
 */
async function checkNotify(cond: Condition, modes: Mode[]): Promise<void> {
  const sh = shared();
  const N = modes.length;
  const waiters = modes.map((mode) =>
    run("condWaiter", { handle: cond.handle, sh: sh.buffer, rounds: 2, mode, timeout: WAIT_MS })
  );
  await until(() => Atomics.load(sh, READY) >= N, `${N} waiters ready`);
  await hold(cond); // every waiter is inside wait() now
  Atomics.store(sh, READY, 0);
  assert.deepEqual(log(sh), []);
  cond.notify(3);
  Atomics.store(sh, PHASE, 1);
  cond.release();

  await until(() => Atomics.load(sh, LOG_N) >= 3, "3 waiters woke");
  await until(() => Atomics.load(sh, READY) >= 3, "the 3 woken waiters wait again");
  await hold(cond);
  Atomics.store(sh, READY, 0);
  assert.deepEqual(log(sh), times(3, "r1 p1 true"), "notify(3) woke exactly 3");
  cond.notify(5);
  Atomics.store(sh, PHASE, 2);
  cond.release();

  await until(() => Atomics.load(sh, LOG_N) >= N + 3, "5 more waiters woke");
  await until(() => Atomics.load(sh, READY) >= N - 3, "the last 2 wait again");
  await hold(cond);
  const phase2 = log(sh).slice(3).sort();
  assert.deepEqual(phase2, [...times(N - 3, "r1 p2 true"), ...times(3, "r2 p2 true")]);
  cond.notifyAll();
  Atomics.store(sh, PHASE, 3);
  cond.release();

  await until(() => Atomics.load(sh, LOG_N) >= 2 * N, "the last 2 woke");
  assert.deepEqual(log(sh).slice(N + 3), times(N - 3, "r2 p3 true"));
  const results = await Promise.all(waiters.map((w) => w.result));
  assert.equal(results.flat().length, 2 * N);
  assert.equal(cond.lock.locked, false);
}

test("Condition: CPython's notify test with 5 workers (sync and async waits), RLock and Lock, twice", async () => {
  for (const lock of [new RLock(), new Lock()]) {
    const cond = new Condition(lock);
    await checkNotify(cond, ["sync", "async", "sync", "async", "alternate"]);
    // A second time on the same condition, to check its state is still right.
    await checkNotify(cond, ["async", "sync", "alternate", "sync", "async"]);
  }
});

test("Condition: notify(3) of 5 wakes 3; notify(5) wakes the other 2, not later waiters; notifyAll wakes 5 new ones", async () => {
  const cond = new Condition();
  const sh = shared();
  const modes: Mode[] = ["sync", "async", "sync", "async", "sync"];
  const start = (mode: Mode) =>
    run("condWaiter", { handle: cond.handle, sh: sh.buffer, rounds: 1, mode, timeout: WAIT_MS });

  const first = modes.map(start);
  await until(() => Atomics.load(sh, READY) >= 5, "5 waiters ready");
  await hold(cond);
  Atomics.store(sh, READY, 0);
  Atomics.store(sh, PHASE, 1);
  cond.notify(3);
  cond.release();
  await until(() => Atomics.load(sh, LOG_N) >= 3, "3 waiters woke");
  await hold(cond);
  assert.deepEqual(log(sh), times(3, "r1 p1 true"));

  Atomics.store(sh, PHASE, 2);
  cond.notify(5); // only 2 wait: 2 wake, and nothing is kept for later waiters
  assert.equal(cond.waitSync({ timeout: 0 }), false, "a later waiter is not notified");
  assert.equal(await cond.wait({ timeout: 0 }), false, "a later async waiter is not notified");
  cond.release();
  await until(() => Atomics.load(sh, LOG_N) >= 5, "the other 2 woke");
  assert.deepEqual(log(sh).slice(3), times(2, "r1 p2 true"));
  assert.equal((await Promise.all(first.map((w) => w.result))).flat().length, 5);

  const second = modes.map(start);
  await until(() => Atomics.load(sh, READY) >= 5, "5 new waiters ready");
  await hold(cond);
  assert.equal(Atomics.load(sh, LOG_N), 5, "no new waiter returned before notifyAll");
  Atomics.store(sh, PHASE, 3);
  cond.notifyAll();
  cond.release();
  await until(() => Atomics.load(sh, LOG_N) >= 10, "all 5 new waiters woke");
  assert.deepEqual(log(sh).slice(5), times(5, "r1 p3 true"));
  assert.equal((await Promise.all(second.map((w) => w.result))).flat().length, 5);
});

test("Condition: a timed-out wait returns false after about the timeout, the lock held again", async () => {
  for (const lock of [new RLock(), new Lock()]) {
    const cond = new Condition(lock);
    // In this thread, both forms.
    for (const mode of ["sync", "async"] as const) {
      await hold(cond);
      const start = performance.now();
      const notified = mode === "sync"
        ? cond.waitSync({ timeout: 50 })
        : await cond.wait({ timeout: 50 });
      const elapsed = performance.now() - start;
      assert.equal(notified, false);
      assert.ok(elapsed >= 45 && elapsed < 2000, `${mode} wait took ${elapsed} ms`);
      if (lock instanceof RLock) assert.equal(lock.owned, true);
      assert.equal(lock.locked, true);
      cond.release();
      assert.equal(lock.locked, false);
    }
    // In 5 workers at once (CPython's test_timeout).
    const modes = ["sync", "async", "sync", "async", "sync"] as const;
    const results = await Promise.all(
      modes.map((mode) =>
        run<{ notified: boolean; elapsed: number; heldAfter: boolean }>("condTimedWait", {
          handle: cond.handle,
          mode,
          timeout: 50,
        }).result
      ),
    );
    for (const r of results) {
      assert.equal(r.notified, false);
      assert.equal(r.heldAfter, true);
      assert.ok(r.elapsed >= 45 && r.elapsed < 2000, `worker wait took ${r.elapsed} ms`);
    }
    assert.equal(lock.locked, false);
  }
});

test("Condition: waitFor returns the predicate's value: the truthy one, or the last falsy one on timeout", async () => {
  const cond = new Condition();
  await hold(cond);
  // Already true: returned at once.
  assert.equal(cond.waitForSync(() => "ready", { timeout: 0 }), "ready");
  assert.equal(await cond.waitFor(() => 42, { timeout: 0 }), 42);
  // Never true: the last falsy value, after about the timeout.
  for (const mode of ["sync", "async"] as const) {
    let calls = 0;
    const predicate = () => (++calls === 1 ? null : 0);
    const start = performance.now();
    const value = mode === "sync"
      ? cond.waitForSync(predicate, { timeout: 50 })
      : await cond.waitFor(predicate, { timeout: 50 });
    const elapsed = performance.now() - start;
    assert.equal(value, 0, `${mode}: the last value, not the first`);
    assert.ok(calls >= 2);
    assert.ok(elapsed >= 45 && elapsed < 2000, `${mode} waitFor took ${elapsed} ms`);
    assert.equal((cond.lock as RLock).owned, true);
  }
  cond.release();

  // A worker bumps STATE 4 times, notifying each time; waiters in workers wait for 4.
  for (const mode of ["sync", "async"] as const) {
    const sh = shared();
    const waiter = run<{ value: unknown; elapsed: number }>("condWaitFor", {
      handle: cond.handle,
      sh: sh.buffer,
      target: 4,
      mode,
      timeout: WAIT_MS,
    });
    await until(() => Atomics.load(sh, READY) >= 1, "the waiter is ready");
    await run("condBump", { handle: cond.handle, sh: sh.buffer, times: 4, timeout: WAIT_MS })
      .result;
    assert.equal((await waiter.result).value, "reached 4");
  }
  // CPython's test_waitfor_timeout: 3 bumps, never 4: false after about the timeout.
  for (const mode of ["sync", "async"] as const) {
    const sh = shared();
    const waiter = run<{ value: unknown; elapsed: number }>("condWaitFor", {
      handle: cond.handle,
      sh: sh.buffer,
      target: 4,
      mode,
      timeout: 100,
    });
    await until(() => Atomics.load(sh, READY) >= 1, "the waiter is ready");
    await run("condBump", { handle: cond.handle, sh: sh.buffer, times: 3, timeout: WAIT_MS })
      .result;
    const { value, elapsed } = await waiter.result;
    assert.equal(value, false);
    assert.ok(elapsed >= 95 && elapsed < 2000, `${mode} waitFor took ${elapsed} ms`);
  }
  assert.equal(cond.lock.locked, false);
});

test("Condition: wait and notify without the lock throw NotOwnedError, here and in a worker", async () => {
  for (const lock of [new RLock(), new Lock()]) {
    const cond = new Condition(lock);
    // Nobody holds it.
    assert.throws(() => cond.waitSync({ timeout: 10 }), NotOwnedError);
    await assert.rejects(cond.wait({ timeout: 10 }), NotOwnedError);
    assert.throws(() => cond.notify(), NotOwnedError);
    assert.throws(() => cond.notifyAll(), NotOwnedError);
    assert.throws(() => cond.waitForSync(() => false, { timeout: 10 }), NotOwnedError);
    await assert.rejects(cond.waitFor(() => false, { timeout: 10 }), NotOwnedError);
    assert.equal(lock.locked, false);
    // Held by this thread: a worker that does not hold it may not wait or notify (not even on
    // a plain Lock, which any thread may release).
    await hold(cond);
    const names = await run<string[]>("condNotOwned", { handle: cond.handle }).result;
    assert.deepEqual(names, times(5, "NotOwnedError"));
    assert.equal(lock.locked, true);
    if (lock instanceof RLock) assert.equal(lock.owned, true);
    cond.notify(); // still ours: fine
    cond.release();
    assert.equal(lock.locked, false);
  }
});

test("Condition: an RLock held 3 deep is fully released during the wait and restored after", async () => {
  for (const mode of ["sync", "async"] as const) {
    const cond = new Condition(new RLock());
    const sh = shared();
    const waiter = run<{
      notified: boolean;
      owned: boolean;
      releases: string[];
      lockedAfter: boolean;
    }>("condDepthWaiter", { handle: cond.handle, sh: sh.buffer, mode, timeout: WAIT_MS });
    await until(() => Atomics.load(sh, READY) >= 1, "the waiter holds the lock 3 deep");
    // Another worker can take the lock while the waiter waits, and notifies it.
    const acquired = await run<boolean>("condAcquireNotify", {
      handle: cond.handle,
      timeout: WAIT_MS,
    }).result;
    assert.equal(acquired, true, "another worker acquired the lock during the wait");
    const r = await waiter.result;
    assert.equal(r.notified, true);
    assert.equal(r.owned, true);
    assert.deepEqual(r.releases, ["ok", "ok", "ok", "NotOwnedError"], mode);
    assert.equal(r.lockedAfter, false);
  }
  // The same in this thread: depth 3 before, depth 3 after a timed-out wait.
  const cond = new Condition();
  for (let i = 0; i < 3; i++) await hold(cond);
  assert.equal(
    await run<boolean>("condAcquireNotify", { handle: cond.handle, timeout: 0 }).result,
    false,
    "held: another worker cannot take it",
  );
  const waiting = cond.wait({ timeout: WAIT_MS });
  assert.equal(cond.lock.locked, false, "wait() released every level at once");
  assert.equal(
    await run<boolean>("condAcquireNotify", { handle: cond.handle, timeout: WAIT_MS }).result,
    true,
  );
  assert.equal(await waiting, true);
  cond.release();
  cond.release();
  cond.release();
  assert.throws(() => cond.release(), NotOwnedError);
});

test("Condition: no lost wakeup: a 2,000-round ping-pong between two workers finishes", async () => {
  const pairs: [Mode, Mode][] = [["sync", "async"], ["alternate", "alternate"]];
  for (const [mode0, mode1] of pairs) {
    for (const lock of [new RLock(), new Lock()]) {
      const cond = new Condition(lock);
      const sh = shared();
      const rounds = 2_000;
      const input = { handle: cond.handle, sh: sh.buffer, rounds, timeout: 5_000 };
      const players = [
        run<number>("condPingPong", { ...input, me: 0, mode: mode0 }),
        run<number>("condPingPong", { ...input, me: 1, mode: mode1 }),
      ];
      assert.deepEqual(await Promise.all(players.map((p) => p.result)), [rounds, rounds]);
      assert.equal(Atomics.load(sh, ROUNDS), 2 * rounds);
      assert.equal(Atomics.load(sh, TURN), 0);
      assert.equal(lock.locked, false);
    }
  }
});

test("Condition: an aborted async wait rejects with signal.reason, the lock held again", async () => {
  for (const lock of [new RLock(), new Lock()]) {
    const cond = new Condition(lock);
    await hold(cond);
    if (lock instanceof RLock) await hold(cond); // depth 2
    const controller = new AbortController();
    const reason = new Error("stop");
    const outcome = cond.wait({ timeout: WAIT_MS, signal: controller.signal }).then(
      () => ({ error: undefined as unknown, held: false }),
      (error: unknown) => ({ error, held: lock instanceof RLock ? lock.owned : lock.locked }),
    );
    assert.equal(lock.locked, false, "released while waiting");
    controller.abort(reason);
    const { error, held } = await outcome;
    assert.equal(error, reason);
    assert.equal(held, true, "the lock is held again when the wait rejects");
    if (lock instanceof RLock) {
      lock.release();
      lock.release();
      assert.throws(() => lock.release(), NotOwnedError);
    } else {
      lock.release();
    }
    assert.equal(lock.locked, false);

    // An already-aborted signal rejects at once and leaves the lock held.
    await hold(cond);
    const aborted = AbortSignal.abort("early");
    await assert.rejects(cond.wait({ signal: aborted }), (e) => e === "early");
    await assert.rejects(cond.waitFor(() => false, { signal: aborted }), (e) => e === "early");
    assert.equal(lock.locked, true);
    cond.release();
  }
});

test("Condition: a notification taken by a waiter that is then aborted passes to the next waiter", async () => {
  const cond = new Condition();
  const sh = shared();
  const controller = new AbortController();
  const reason = new Error("aborted after being notified");

  // A (this thread, async) takes ticket 0; B (a worker, sync) ticket 1.
  await hold(cond);
  const a = cond.wait({ timeout: WAIT_MS, signal: controller.signal }).then(
    () => ({ error: undefined as unknown, owned: false }),
    (error: unknown) => ({ error, owned: (cond.lock as RLock).owned }),
  );
  const b = run<{ notified: boolean; phase: number }[]>("condWaiter", {
    handle: cond.handle,
    sh: sh.buffer,
    rounds: 1,
    mode: "sync",
    timeout: WAIT_MS,
  });
  await until(() => Atomics.load(sh, READY) >= 1, "B is ready");
  await hold(cond); // B is inside wait()
  Atomics.store(sh, PHASE, 1);
  cond.notify(1); // A's ticket is admitted...
  controller.abort(reason); // ...and A is aborted before it can return
  cond.release();
  const { error, owned } = await a;
  assert.equal(error, reason);
  assert.equal(owned, true);
  cond.release(); // A's hold, re-taken for the rejection
  // B got the notification A could not use.
  assert.deepEqual(await b.result, [{ round: 1, phase: 1, notified: true }]);
  assert.equal(cond.lock.locked, false);
});

test("Condition: an aborted waiter that was not notified does not absorb a later notify", async () => {
  const cond = new Condition(new Lock());
  const sh = shared();
  const controller = new AbortController();
  await hold(cond);
  const a = cond.wait({ timeout: WAIT_MS, signal: controller.signal });
  const b = run<{ notified: boolean }[]>("condWaiter", {
    handle: cond.handle,
    sh: sh.buffer,
    rounds: 1,
    mode: "async",
    timeout: WAIT_MS,
  });
  await until(() => Atomics.load(sh, READY) >= 1, "B is ready");
  controller.abort("bye");
  await assert.rejects(a, (e) => e === "bye");
  assert.equal(cond.lock.locked, true, "A holds the lock again");
  Atomics.store(sh, PHASE, 1);
  cond.notify(1); // A's ticket (older) is cancelled: this goes to B
  cond.release();
  assert.deepEqual(await b.result, [{ round: 1, phase: 1, notified: true }]);
});

test("Condition.from(handle) in a worker rebuilds the same lock, of the same kind", async () => {
  for (const lock of [new RLock(), new Lock()]) {
    const cond = new Condition(lock);
    const kind = lock instanceof RLock ? "RLock" : "Lock";
    type Seen = {
      lockKind: string;
      handleKind: string;
      lockHandleKind: string;
      locked: boolean;
      tookIt: boolean;
    };
    await hold(cond);
    const held = await run<Seen>("condInspect", { handle: cond.handle }).result;
    assert.deepEqual(held, {
      lockKind: kind,
      handleKind: "Condition",
      lockHandleKind: kind,
      locked: true,
      tookIt: false,
    });
    cond.release();
    const free = await run<Seen>("condInspect", { handle: cond.handle }).result;
    assert.equal(free.locked, false);
    assert.equal(free.tookIt, true);
    assert.equal(lock.locked, false);
  }
  // Condition.from in this thread too, and of a wrong kind.
  const cond = new Condition(new Lock());
  assert.ok(Condition.from(cond.handle).lock instanceof Lock);
  assert.throws(() => Condition.from(new Lock().handle), TypeError);
});

test("Condition: bad arguments throw TypeError/RangeError and change nothing", async () => {
  for (const bad of [{}, null, 1, "lock", new Semaphore(), new Event(), new Barrier(1)]) {
    assert.throws(() => new Condition(bad as never), TypeError, String(bad));
  }
  assert.ok(new Condition(undefined).lock instanceof RLock, "undefined: a new RLock");
  const cond = new Condition();
  await hold(cond);
  assert.throws(() => cond.notify(-1), RangeError);
  assert.throws(() => cond.notify(1.5), RangeError);
  assert.throws(() => cond.notify(Number.NaN), RangeError);
  assert.throws(() => cond.notify("1" as never), TypeError);
  cond.notify(0);
  assert.throws(() => cond.waitSync({ timeout: -1 }), RangeError);
  assert.throws(() => cond.waitSync({ timeout: Number.NaN }), RangeError);
  assert.throws(() => cond.waitSync({ timeout: "5" as never }), TypeError);
  assert.throws(() => cond.waitSync(5 as never), TypeError);
  assert.throws(
    () => cond.waitSync({ signal: new AbortController().signal } as never),
    TypeError,
  );
  await assert.rejects(cond.wait({ timeout: -1 }), RangeError);
  await assert.rejects(cond.wait({ signal: "no" as never }), TypeError);
  // The lock is still held once, by this thread, and the condition still works.
  assert.equal((cond.lock as RLock).owned, true);
  assert.equal(cond.waitSync({ timeout: 0 }), false);
  cond.release();
  assert.equal(cond.lock.locked, false);
});
