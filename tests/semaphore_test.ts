import { test } from "node:test";
import assert from "node:assert/strict";
import { BoundedSemaphore, OwnerDiedError, Semaphore, TimeoutError } from "../mod.ts";
import { pendingAsyncWaits } from "../src/internal/futex.ts";
import {
  currentIdent,
  drawIdentFor,
  LIFE_ALIVE,
  LIFE_ENDED,
  setLife,
} from "../src/internal/ident.ts";
import { runAll, sleep, spawn, until } from "./helpers.ts";
import { assertMessageStyle, assertTimedOut, ctlBlock, slotsOf, timed } from "./fixtures/checks.ts";

/** The WAITERS slot: threads/tasks inside the slow path. */
const WAITERS = 1;
/** The VALUE slot (`permits << 1 | WAITING`) and its waiting bit. */
const VALUE = 0;
const WAITING = 1;
/** The ASYNC slot: async waits registered on VALUE. */
const ASYNC = 2;
/** The CLAIMED slot (one bit per claimed holder entry) and the holder entries (HOLDER, HELD). */
const CLAIMED = 6;
const HOLDERS = 7;
const HOLDER_ENTRIES = 32;

test("Semaphore: the default value is 1; acquire, tryAcquire, value and release", async () => {
  const sem = new Semaphore();
  assert.equal(sem.value, 1);
  assert.equal(sem.tryAcquire(), true);
  assert.equal(sem.value, 0);
  assert.equal(sem.tryAcquire(), false);
  assert.equal(sem.acquireSync({ timeout: 0 }), false);
  assert.equal(await sem.acquire({ timeout: 0 }), false);
  sem.release();
  assert.equal(sem.value, 1);
  assert.equal(sem.acquireSync(), true);
  sem.release();
  assert.equal(await sem.acquire(), true);
  assert.equal(sem.value, 0);
  // Unbounded: releasing beyond the initial value is allowed (CPython's test_release_unacquired).
  sem.release();
  sem.release();
  assert.equal(sem.value, 2);
  sem.release(5);
  assert.equal(sem.value, 7);
  const zero = new Semaphore(0);
  assert.equal(zero.value, 0);
  assert.equal(zero.tryAcquire(), false);
});

test("Semaphore: a timed-out acquire returns false after ~the timeout, takes nothing, leaves it usable", async () => {
  const sem = new Semaphore(2);
  assert.equal(sem.acquireSync({ timeout: 5 }), true);
  assert.equal(await sem.acquire({ timeout: 5 }), true);
  for (const mode of ["sync", "async"] as const) {
    const t = await timed(() =>
      mode === "sync" ? sem.acquireSync({ timeout: 50 }) : sem.acquire({ timeout: 50 })
    );
    assert.equal(t.value, false, mode);
    assertTimedOut(t.elapsed, 50, mode);
    const r = await spawn<{ acquired: boolean; elapsed: number }>("acquireTimed", {
      handle: sem.handle,
      mode,
      timeout: 50,
    }).result;
    assert.equal(r.acquired, false);
    assertTimedOut(r.elapsed, 50, `worker ${mode}`);
  }
  assert.equal(sem.value, 0);
  assert.equal(slotsOf(sem.handle, 4)[WAITERS], 0, "no waiter count leaked by the timeouts");
  sem.release();
  assert.equal(sem.tryAcquire(), true);
  sem.release(2);
  assert.equal(sem.value, 2);
});

test("Semaphore: release(n) wakes n waiters, sync and async across 4 workers", async () => {
  const sem = new Semaphore(0);
  const ctl = ctlBlock();
  const modes = ["sync", "async", "sync", "async"] as const;
  const running = modes.map((mode) =>
    spawn<boolean>("acquireAndKeep", { handle: sem.handle, ctl: ctl.buffer, mode, timeout: 20_000 })
  );
  await until(() => Atomics.load(ctl.i32, 0) === 4, "all 4 waiters started");
  await until(() => slotsOf(sem.handle, 4)[WAITERS] === 4, "all 4 in the slow path");
  await sleep(10);
  assert.equal(Atomics.load(ctl.i32, 1), 0);
  sem.release(3);
  await until(() => Atomics.load(ctl.i32, 1) === 3, "3 waiters acquired");
  await sleep(30); // a 4th success would need a permit from nowhere; give it a chance to show
  assert.equal(Atomics.load(ctl.i32, 1), 3, "exactly 3 woke for 3 permits");
  assert.equal(sem.value, 0);
  sem.release();
  const results = await Promise.all(running.map((r) => r.result));
  assert.deepEqual(results, [true, true, true, true]);
  assert.equal(sem.value, 0);
  assert.equal(slotsOf(sem.handle, 4)[WAITERS], 0);
});

test("Semaphore: contended acquire in phases (CPython's test_acquire_contended)", async () => {
  const sem = new Semaphore(7);
  assert.equal(sem.tryAcquire(), true);
  const ctl = ctlBlock();
  // 9 workers each want one permit: 6 get one at once, 3 wait.
  const running = Array.from(
    { length: 9 },
    (_, i) =>
      spawn<boolean>("acquireAndKeep", {
        handle: sem.handle,
        ctl: ctl.buffer,
        mode: i % 2 ? "async" : "sync",
        timeout: 20_000,
      }),
  );
  await until(() => Atomics.load(ctl.i32, 1) === 6, "6 acquired");
  await until(() => Atomics.load(ctl.i32, 0) === 9, "all started");
  assert.equal(sem.value, 0);
  assert.equal(Atomics.load(ctl.i32, 1), 6, "no more than the 6 permits were taken");
  sem.release(2);
  await until(() => Atomics.load(ctl.i32, 1) === 8, "8 acquired");
  assert.equal(sem.value, 0);
  sem.release();
  assert.deepEqual(await Promise.all(running.map((r) => r.result)), Array(9).fill(true));
  assert.equal(sem.value, 0);
  assert.equal(sem.tryAcquire(), false);
});

test("Semaphore(3): never more than 3 inside at once, 8 workers, sync and async mixed", async () => {
  const sem = new Semaphore(3);
  const stats = new SharedArrayBuffer(12);
  const modes = ["sync", "async", "mixed", "sync", "async", "mixed", "sync", "mixed"];
  await runAll(
    "semaphoreRounds",
    8,
    (i) => ({ handle: sem.handle, stats, iterations: 5_000, mode: modes[i] }),
  );
  const [inside, maxInside, total] = new Int32Array(stats);
  assert.equal(inside, 0);
  assert.ok(maxInside! >= 1 && maxInside! <= 3, `max inside was ${maxInside}`);
  assert.equal(total, 40_000);
  assert.equal(sem.value, 3);
  assert.equal(slotsOf(sem.handle, 4)[WAITERS], 0);
});

test("Semaphore: sync and async waiters mixed across 4 workers with 2 permits", async () => {
  const sem = new Semaphore(2);
  const ctl = ctlBlock();
  assert.equal(sem.tryAcquire(), true);
  assert.equal(sem.tryAcquire(), true);
  const running = [
    spawn<boolean[]>("contend", {
      handle: sem.handle,
      ctl: ctl.buffer,
      mode: "sync",
      timeout: 20_000,
    }),
    spawn<boolean[]>("contend", {
      handle: sem.handle,
      ctl: ctl.buffer,
      mode: "async",
      tasks: 3,
      timeout: 20_000,
    }),
    spawn<boolean[]>("contend", {
      handle: sem.handle,
      ctl: ctl.buffer,
      mode: "sync",
      timeout: 20_000,
    }),
    spawn<boolean[]>("contend", {
      handle: sem.handle,
      ctl: ctl.buffer,
      mode: "async",
      tasks: 2,
      timeout: 20_000,
    }),
  ];
  await until(() => Atomics.load(ctl.i32, 0) === 7, "all 7 waiters started");
  assert.equal(Atomics.load(ctl.i32, 1), 0);
  sem.release(2);
  const results = (await Promise.all(running.map((r) => r.result))).flat();
  assert.deepEqual(results, Array(7).fill(true));
  assert.ok(Atomics.load(ctl.i32, 3) <= 2, "never more than 2 inside");
  assert.equal(sem.value, 2);
});

test("BoundedSemaphore: over-release throws RangeError and leaves the count", async () => {
  const sem = new BoundedSemaphore(2);
  assert.equal(sem.value, 2);
  assert.throws(() => sem.release(), (e: unknown) => {
    assert.ok(e instanceof RangeError);
    assert.equal(
      e.message,
      "Cannot release bounded semaphore: 2 + 1 permits would pass its initial value 2",
    );
    assertMessageStyle(e.message);
    return true;
  });
  assert.equal(sem.value, 2);
  assert.equal(sem.tryAcquire(), true);
  assert.throws(() => sem.release(2), RangeError);
  assert.equal(sem.value, 1, "a failed release(2) adds nothing");
  sem.release();
  assert.equal(sem.value, 2);
  assert.throws(() => sem.release(), RangeError);
  assert.equal(sem.value, 2);
  // From another thread, through its handle.
  const r = await spawn<
    { results: { ok: boolean; name?: string }[]; props: Record<string, unknown> }
  >("call", {
    handle: sem.handle,
    calls: [{ method: "release" }, { method: "acquireSync" }, { method: "release" }],
    props: ["value"],
  }).result;
  assert.deepEqual(r.results.map((x) => x.ok ? "ok" : x.name), ["RangeError", "ok", "ok"]);
  assert.deepEqual(r.props, { value: 2 });
  assert.equal(sem.value, 2);
  assert.ok(BoundedSemaphore.from(sem.handle) instanceof BoundedSemaphore);
  assert.throws(() => Semaphore.from(sem.handle), TypeError);
  assert.throws(() => BoundedSemaphore.from(new Semaphore().handle), TypeError);
  // Default value 1.
  const one = new BoundedSemaphore();
  assert.equal(one.value, 1);
  assert.throws(() => one.release(), RangeError);
});

test("Semaphore: waiters set the waiting bit; the last one out clears it (releases are one CAS again)", async () => {
  const sem = new Semaphore(0);
  const slots = slotsOf(sem.handle, 4);
  assert.equal(slots[VALUE]! & WAITING, 0, "nobody waits: no bit");
  const first = sem.acquire({ timeout: 10_000 });
  // Another object of it: this thread's acquires of one object wait in line, one in the slow path.
  const second = Semaphore.from(sem.handle).acquire({ timeout: 10_000 });
  await until(() => slots[WAITERS] === 2, "both wait");
  assert.equal(slots[VALUE], WAITING, "no permit, the bit set");
  // A release that finds the bit wakes: one waiter takes the permit, the other still waits, so
  // the one out is not the last and leaves the bit.
  sem.release();
  await until(() => slots[WAITERS] === 1, "one took the permit");
  assert.equal(slots[VALUE], WAITING, "one still waits: the bit stays");
  sem.release();
  assert.deepEqual(await Promise.all([first, second]), [true, true]);
  assert.equal(slots[WAITERS], 0);
  assert.equal(slots[VALUE], 0, "the last one out cleared the bit");
  // With the bit clear, a release is the fast path and wakes nobody; the count is right.
  sem.release();
  assert.equal(sem.value, 1);
  assert.equal(slots[VALUE], 2);
  assert.equal(sem.tryAcquire(), true);
  // A waiter that leaves by timeout or abort is the last one out too.
  assert.equal(await sem.acquire({ timeout: 20 }), false);
  assert.equal(slots[VALUE], 0, "cleared after a timeout");
  const abort = new AbortController();
  const aborted = sem.acquire({ signal: abort.signal });
  await until(() => slots[WAITERS] === 1, "it waits");
  assert.equal(slots[VALUE], WAITING);
  abort.abort(new Error("stop"));
  await assert.rejects(aborted, /stop/);
  assert.equal(slots[VALUE], 0, "cleared after an abort");
  await until(
    () => slots[ASYNC] === 0,
    "its physical wait settled by the last one out's wake",
    2_000,
  );
  sem.release();
  assert.equal(sem.value, 1);
});

test("Semaphore: release past 2^30-1 throws RangeError and leaves the count", () => {
  const sem = new Semaphore(2 ** 30 - 2);
  sem.release();
  assert.equal(sem.value, 2 ** 30 - 1);
  assert.throws(
    () => sem.release(),
    /^RangeError: Cannot release semaphore: 1073741823 \+ 1 permits would pass 2\^30-1$/,
  );
  assert.equal(sem.value, 2 ** 30 - 1);
  assert.throws(() => sem.release(2), RangeError);
  assert.equal(sem.value, 2 ** 30 - 1);
  // The count beside the waiting bit (one bit of VALUE) takes every value up to 2^30-1.
  assert.equal(sem.tryAcquire(), true);
  assert.equal(sem.value, 2 ** 30 - 2);
  const top = new Semaphore(2 ** 30 - 1);
  assert.equal(top.value, 2 ** 30 - 1);
  assert.throws(
    () => new Semaphore(2 ** 30),
    /^RangeError: Cannot create Semaphore: value must be an integer from 0 to 2\^30-1, got 1073741824$/,
  );
  assert.throws(() => new BoundedSemaphore(2 ** 30), RangeError);
  assert.equal(new BoundedSemaphore(2 ** 30 - 1).initialValue, 2 ** 30 - 1);
});

test("Semaphore: holdSync/hold guards with `using`; a guard releases once; TimeoutError", async () => {
  const sem = new Semaphore(2);
  {
    using _a = sem.holdSync();
    using _b = await sem.hold();
    assert.equal(sem.value, 0);
    const t = await timed(() => assert.throws(() => sem.holdSync({ timeout: 50 }), TimeoutError));
    assertTimedOut(t.elapsed, 50, "holdSync");
    await assert.rejects(sem.hold({ timeout: 10 }), (e: unknown) => {
      assert.ok(e instanceof TimeoutError);
      assert.match(e.message, /^Cannot acquire semaphore: timed out after 10 ms/);
      assertMessageStyle(e.message);
      return true;
    });
  }
  assert.equal(sem.value, 2);
  const g = sem.holdSync();
  g.release();
  g.release();
  g[Symbol.dispose]();
  assert.equal(sem.value, 2, "a second release adds no permit");
  const bounded = new BoundedSemaphore(1);
  const bg = bounded.holdSync();
  bg.release();
  bg.release(); // would be an over-release if it were not a no-op
  assert.equal(bounded.value, 1);
});

test("Semaphore: CLAIMED marks every holder entry a guard claimed; a reclaim unmarks and frees it", async () => {
  // The slow path looks for dead holders only in the entries CLAIMED marks (issue 9), so an
  // entry that can hold permits must never be unmarked (the CLAIMED invariant, semaphore.ts).
  const sem = new Semaphore(2);
  const slots = slotsOf(sem.handle, HOLDERS + 2 * HOLDER_ENTRIES);
  assert.equal(slots[CLAIMED], 0, "no guard yet: nothing claimed");
  assert.equal(sem.acquireSync(), true);
  sem.release();
  assert.equal(slots[CLAIMED], 0, "acquire/release claim nothing");
  const g = sem.holdSync();
  const mine = slots[CLAIMED]!;
  assert.equal(mine & (mine - 1), 0, "one entry claimed");
  const k = 31 - Math.clz32(mine);
  assert.equal(slots[HOLDERS + 2 * k], currentIdent(), "the marked entry is ours");
  assert.equal(slots[HOLDERS + 2 * k + 1], 1, "our permit is attributed there");
  g.release();
  assert.equal(slots[CLAIMED], mine, "the entry stays claimed by its live thread");
  // Entry 31 (the sign bit) claimed by a thread that ended holding two permits.
  const dead = drawIdentFor();
  setLife(dead, LIFE_ALIVE);
  setLife(dead, LIFE_ENDED);
  const at = HOLDERS + 2 * 31;
  Atomics.store(slots, at, dead);
  Atomics.store(slots, at + 1, 2);
  Atomics.or(slots, CLAIMED, 1 << 31);
  assert.equal(sem.acquireSync(), true);
  assert.equal(sem.acquireSync(), true);
  assert.throws(() => sem.acquireSync({ timeout: 5000 }), (e: unknown) => {
    assert.ok(e instanceof OwnerDiedError);
    assert.equal(e.ownerIdent, dead);
    return true;
  });
  assert.equal(sem.value, 1, "of the two reclaimed, one kept, one back");
  assert.equal(slots[CLAIMED], mine, "the dead holder's entry is unmarked, ours kept");
  assert.equal(slots[at], 0, "and freed");
  assert.equal(slots[at + 1], 0);
  sem.release(3);
  assert.equal(sem.value, 4);
  // A guard of an async hold takes its permit in the slow path, attributed in our marked entry.
  for (let i = 0; i < 4; i++) assert.equal(sem.tryAcquire(), true);
  const pending = sem.hold({ timeout: 5000 });
  sem.release();
  const h = await pending;
  assert.equal(slots[HOLDERS + 2 * k + 1], 1);
  h.release();
  assert.equal(slots[HOLDERS + 2 * k + 1], 0);
  assert.equal(slots[CLAIMED], mine);
});

test("Semaphore: abort mid-wait takes no permit and leaks no waiter count", async () => {
  const sem = new Semaphore(0);
  const controller = new AbortController();
  const pending = sem.acquire({ signal: controller.signal });
  assert.equal(slotsOf(sem.handle, 4)[WAITERS], 1);
  // A sync waiter in a worker, to show that the abort did not take its wake-up.
  const ctl = ctlBlock();
  const waiter = spawn<boolean>("acquireAndKeep", {
    handle: sem.handle,
    ctl: ctl.buffer,
    mode: "sync",
    timeout: 20_000,
  });
  await until(() => slotsOf(sem.handle, 4)[WAITERS] === 2, "the worker waits too");
  const reason = new Error("stop");
  controller.abort(reason);
  await assert.rejects(pending, (e) => e === reason);
  assert.equal(slotsOf(sem.handle, 4)[WAITERS], 1, "the aborted waiter uncounted itself");
  assert.equal(pendingAsyncWaits(), 0);
  assert.equal(sem.value, 0);
  sem.release();
  assert.equal(await waiter.result, true, "the worker got the permit");
  assert.equal(sem.value, 0, "the aborted call took nothing");
  sem.release();
  assert.equal(sem.value, 1);
  assert.equal(await sem.acquire({ timeout: 100 }), true);
  assert.equal(slotsOf(sem.handle, 4)[WAITERS], 0);
});

test("Semaphore: an already-aborted signal rejects at once, even with permits free", async () => {
  const sem = new Semaphore(3);
  const reason = new Error("aborted before");
  await assert.rejects(sem.acquire({ signal: AbortSignal.abort(reason) }), (e) => e === reason);
  await assert.rejects(sem.hold({ signal: AbortSignal.abort(reason) }), (e) => e === reason);
  assert.equal(sem.value, 3);
  assert.equal(slotsOf(sem.handle, 4)[WAITERS], 0);
});

test("Semaphore: the handle survives postMessage; from() in the worker shares the count", async () => {
  const sem = new Semaphore(4);
  assert.equal(sem.tryAcquire(), true);
  const running = spawn<Record<string, unknown>[]>("receiveHandles", null);
  running.worker.postMessage({ handles: [sem.handle], action: "act" });
  assert.deepEqual(await running.result, [{ kind: "Semaphore", value: 3 }]);
  assert.equal(sem.value, 4, "the worker's release is seen here");
});
