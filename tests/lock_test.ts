import { test } from "node:test";
import assert from "node:assert/strict";
import {
  BoundedSemaphore,
  Condition,
  enableDeadlockDetection,
  Event,
  Lock,
  NotOwnedError,
  RLock,
  Semaphore,
  TimeoutError,
} from "../mod.ts";
import { pendingAsyncWaits, setSyncSpin } from "../src/internal/futex.ts";
import { runtime } from "../src/runtime/mod.ts";
import { currentIdent } from "../src/internal/ident.ts";
import { runAll, sleep, spawn, until, waitsOn, whileHeldElsewhere } from "./helpers.ts";
import {
  assertMessageStyle,
  assertTimedOut,
  ctlBlock,
  signal,
  slotsOf,
  timed,
} from "./fixtures/checks.ts";

test("Lock: 8 workers x 100,000 increments, sync and async mixed, exact total", async () => {
  for (const kind of ["Lock", "RLock"] as const) {
    const lock = kind === "Lock" ? new Lock() : new RLock();
    const counter = new SharedArrayBuffer(4);
    const modes = ["sync", "async", "mixed", "sync", "async", "mixed", "sync", "mixed"];
    await runAll(
      "lockedIncrements",
      8,
      (i) => ({ kind, handle: lock.handle, counter, iterations: 100_000, mode: modes[i] }),
    );
    assert.equal(new Int32Array(counter)[0], 800_000, kind);
    assert.equal(lock.locked, false);
  }
});

test("Lock: 8 workers x 4 concurrent async tasks, 50,000 increments per worker, exact total", async () => {
  for (const kind of ["Lock", "RLock"] as const) {
    const lock = kind === "Lock" ? new Lock() : new RLock();
    const counter = new SharedArrayBuffer(4);
    await runAll(
      "lockedIncrements",
      8,
      () => ({ kind, handle: lock.handle, counter, iterations: 50_000, mode: "async", tasks: 4 }),
    );
    assert.equal(new Int32Array(counter)[0], 400_000, kind);
    assert.equal(lock.locked, false, kind);
    assert.equal(await lock.acquire({ timeout: 0 }), true, `${kind} is usable afterwards`);
    lock.release();
  }
});

test("Lock: tryAcquire from another thread is false while held; another thread may release", async () => {
  const lock = new Lock();
  lock.acquireSync();
  assert.equal(await spawn("tryAcquire", { kind: "Lock", handle: lock.handle }).result, false);
  assert.equal(await spawn("release", { kind: "Lock", handle: lock.handle }).result, "ok");
  assert.equal(lock.locked, false);
  assert.throws(() => lock.release(), NotOwnedError);
});

test("Lock: a lock taken in a worker is released by this thread, then is free everywhere", async () => {
  const lock = new Lock();
  const r = await spawn<{ results: { ok: boolean; value?: unknown }[] }>("call", {
    handle: lock.handle,
    calls: [{ method: "acquireSync" }],
  }).result;
  assert.deepEqual(r.results, [{ ok: true, value: true }]);
  assert.equal(lock.locked, true);
  assert.equal(lock.tryAcquire(), false);
  lock.release(); // Python's rule: any thread may release a Lock
  assert.equal(lock.locked, false);
  assert.equal(await spawn("tryAcquire", { kind: "Lock", handle: lock.handle }).result, true);
});

test("Lock: a release by a third thread wakes a waiter parked in another", async () => {
  const lock = new Lock();
  lock.acquireSync();
  const started = new SharedArrayBuffer(4);
  const waiter = spawn<{ acquired: boolean }>("acquireTimed", {
    handle: lock.handle,
    mode: "sync",
    timeout: 20_000,
    started,
  });
  await until(() => Atomics.load(new Int32Array(started), 0) === 1, "the waiter started");
  await until(() => (slotsOf(lock.handle, 1)[0]! & 1) === 1, "the waiter set PARKED");
  const r = await spawn<{ results: unknown[] }>("call", {
    handle: lock.handle,
    calls: [{ method: "release" }],
  }).result;
  assert.deepEqual(r.results, [{ ok: true, value: undefined }]);
  assert.equal((await waiter.result).acquired, true);
  assert.equal(lock.locked, false);
});

test("Lock: a failed try leaves no trace in the lock word", async () => {
  const lock = new Lock();
  lock.acquireSync();
  const word = slotsOf(lock.handle, 2);
  const held = word[0];
  assert.equal(lock.tryAcquire(), false);
  assert.equal(lock.acquireSync({ timeout: 0 }), false);
  assert.equal(await lock.acquire({ timeout: 0 }), false);
  const r = await spawn<{ results: unknown[] }>("call", {
    handle: lock.handle,
    calls: [{ method: "tryAcquire" }, { method: "acquireSync", args: [{ timeout: 0 }] }],
  }).result;
  assert.deepEqual(r.results, [{ ok: true, value: false }, { ok: true, value: false }]);
  assert.deepEqual(Array.from(word), [held, 0], "no PARKED bit, no async waiter counted");
  lock.release();
  assert.deepEqual(Array.from(word), [0, 0]);
});

test("Identity: every thread gets its own ident, recorded as the owner", async () => {
  const lock = new Lock();
  const results = await runAll<{ ident: number; results: unknown[] }>("call", 4, () => ({
    handle: lock.handle,
    calls: [],
  }));
  const idents = [currentIdent(), ...results.map((r) => r.ident)];
  assert.equal(new Set(idents).size, 5, `idents ${idents}`);
  for (const id of idents) assert.ok(Number.isInteger(id) && id > 0 && id < 2 ** 30);
  lock.acquireSync();
  assert.equal(slotsOf(lock.handle, 1)[0]! >>> 1, currentIdent());
  lock.release();
});

test("Lock: acquire, tryAcquire, locked and release on one thread", async () => {
  const lock = new Lock();
  assert.equal(lock.locked, false);
  assert.equal(lock.acquireSync(), true);
  assert.equal(lock.locked, true);
  assert.equal(lock.tryAcquire(), false);
  assert.equal(lock.acquireSync({ timeout: 0 }), false);
  assert.equal(await lock.acquire({ timeout: 0 }), false);
  assert.equal(lock.locked, true);
  lock.release();
  assert.equal(lock.locked, false);
  assert.equal(lock.tryAcquire(), true);
  lock.release();
  assert.equal(await lock.acquire(), true);
  assert.equal(lock.locked, true);
  lock.release();
  assert.throws(() => lock.release(), NotOwnedError);
  assert.equal(lock.locked, false);
});

test("Lock: an async acquire waits for a release by the same thread", async () => {
  const lock = new Lock();
  lock.acquireSync();
  let settled = false;
  const pending = lock.acquire({ timeout: 10_000 }).then((v) => {
    settled = true;
    return v;
  });
  await sleep(20);
  assert.equal(settled, false, "acquire resolved while the lock was held");
  lock.release();
  assert.equal(await pending, true);
  assert.equal(lock.locked, true);
  lock.release();
  assert.equal(pendingAsyncWaits(), 0);
});

test("Lock: not re-entrant — the holder's own timed acquire times out", async () => {
  const lock = new Lock();
  lock.acquireSync();
  const sync = await timed(() => lock.acquireSync({ timeout: 50 }));
  assert.equal(sync.value, false);
  assertTimedOut(sync.elapsed, 50, "acquireSync");
  const async_ = await timed(() => lock.acquire({ timeout: 50 }));
  assert.equal(async_.value, false);
  assertTimedOut(async_.elapsed, 50, "acquire");
  lock.release();
  assert.equal(lock.locked, false);
});

test("Lock: a timed-out acquire returns false after ~the timeout and leaves the lock usable", async () => {
  const lock = new Lock();
  lock.acquireSync();
  for (const mode of ["sync", "async"] as const) {
    const r = await spawn<{ acquired: boolean; elapsed: number }>("acquireTimed", {
      handle: lock.handle,
      mode,
      timeout: 50,
    }).result;
    assert.equal(r.acquired, false, mode);
    assertTimedOut(r.elapsed, 50, `worker ${mode}`);
    assert.equal(lock.locked, true, `${mode}: the lock is still held by its holder`);
  }
  lock.release();
  assert.equal(lock.locked, false);
  // Usable after the timeouts: from this thread and from another one.
  assert.equal(lock.tryAcquire(), true);
  lock.release();
  const r = await spawn<{ acquired: boolean }>("acquireTimed", {
    handle: lock.handle,
    mode: "sync",
    timeout: 1000,
  }).result;
  assert.equal(r.acquired, true);
  assert.equal(lock.locked, false);
});

test("Lock: sync and async waiters mixed across 4 workers all get it, one at a time", async () => {
  const lock = new Lock();
  const ctl = ctlBlock();
  lock.acquireSync();
  const plan = [
    { mode: "sync" },
    { mode: "async", tasks: 3 },
    { mode: "sync" },
    { mode: "async", tasks: 2 },
  ];
  const running = plan.map((p) =>
    spawn<boolean[]>("contend", { handle: lock.handle, ctl: ctl.buffer, timeout: 20_000, ...p })
  );
  await until(() => Atomics.load(ctl.i32, 0) === 7, "all 7 waiters started");
  await sleep(20); // let them park (the test is correct whether or not they have)
  assert.equal(Atomics.load(ctl.i32, 1), 0, "nobody acquired while the lock was held");
  lock.release();
  const results = (await Promise.all(running.map((r) => r.result))).flat();
  assert.deepEqual(results, Array(7).fill(true));
  assert.equal(Atomics.load(ctl.i32, 1), 7);
  assert.equal(Atomics.load(ctl.i32, 3), 1, "mutual exclusion: at most one holder at a time");
  assert.equal(lock.locked, false);
});

test("Lock: holdSync/hold guards with `using` release at the end of the block, also on throw", async () => {
  const lock = new Lock();
  {
    using _guard = lock.holdSync();
    assert.equal(lock.locked, true);
  }
  assert.equal(lock.locked, false);
  {
    using _guard = await lock.hold({ timeout: 1000 });
    assert.equal(lock.locked, true);
  }
  assert.equal(lock.locked, false);
  assert.throws(() => {
    using _guard = lock.holdSync({ timeout: 1000 });
    throw new SyntaxError("boom");
  }, SyntaxError);
  assert.equal(lock.locked, false, "released when the block throws");
  // And without `using`: release() and [Symbol.dispose]() both work.
  const g = lock.holdSync();
  g[Symbol.dispose]();
  assert.equal(lock.locked, false);
});

test("Lock: holdSync/hold time out with a TimeoutError naming the holder", async () => {
  const lock = new Lock();
  lock.acquireSync();
  const me = currentIdent();
  let error: unknown;
  const t = await timed(() => {
    try {
      lock.holdSync({ timeout: 50 });
    } catch (e) {
      error = e;
    }
  });
  assert.ok(error instanceof TimeoutError, `got ${error}`);
  assert.equal(error.name, "TimeoutError");
  assert.match(error.message, new RegExp(`timed out after 50 ms; held by thread ${me}\\b`));
  assertMessageStyle(error.message);
  assertTimedOut(t.elapsed, 50, "holdSync");
  await assert.rejects(lock.hold({ timeout: 30 }), (e: unknown) => {
    assert.ok(e instanceof TimeoutError);
    assert.match(e.message, new RegExp(`held by thread ${me}\\b`));
    return true;
  });
  assert.equal(lock.locked, true, "a timed-out hold leaves the lock to its holder");
  lock.release();

  // Held by a worker: the message names the worker's ident.
  const ctl = ctlBlock();
  const holder = spawn<number>("holdUntil", {
    handle: lock.handle,
    ctl: ctl.buffer,
    holding: 0,
    releaseWhen: 1,
  });
  await until(() => Atomics.load(ctl.i32, 0) === 1, "the worker holds the lock");
  let message = "";
  try {
    lock.holdSync({ timeout: 10 });
  } catch (e) {
    message = (e as Error).message;
  }
  signal(ctl.i32, 1);
  const workerIdent = await holder.result;
  assert.notEqual(workerIdent, me);
  assert.match(message, new RegExp(`held by thread ${workerIdent}\\b`));
});

test("Lock: a guard released twice releases once", async () => {
  const lock = new Lock();
  const guard = lock.holdSync();
  guard.release();
  assert.equal(lock.locked, false);
  guard.release(); // no NotOwnedError: a no-op
  // Someone else takes the lock: a stale guard must not release it.
  const r = await spawn<{ results: unknown[] }>("call", {
    handle: lock.handle,
    calls: [{ method: "acquireSync" }],
  }).result;
  assert.deepEqual(r.results, [{ ok: true, value: true }]);
  guard.release();
  guard[Symbol.dispose]();
  assert.equal(lock.locked, true, "the other thread still holds it");
  lock.release();
  const async_ = await lock.hold();
  async_[Symbol.dispose]();
  async_.release();
  assert.equal(lock.locked, false);
});

test("Lock: the handle is plain data; it survives structuredClone and postMessage, and from() works there", async () => {
  const lock = new Lock();
  const h = lock.handle;
  assert.equal(h.kind, "Lock");
  assert.ok(h.buffer instanceof SharedArrayBuffer);
  assert.equal(h.byteOffset, 0);
  assert.equal(Object.getPrototypeOf(h), Object.prototype);
  const clone = structuredClone(h);
  const again = Lock.from(clone);
  assert.equal(again.tryAcquire(), true);
  assert.equal(lock.locked, true, "the clone is a view of the same lock");
  const running = spawn<{ locked: boolean; tried: boolean; released: string }[]>(
    "receiveHandles",
    null,
  );
  running.worker.postMessage({ handles: [lock.handle], action: "act" });
  const [seen] = await running.result;
  assert.deepEqual(seen, { kind: "Lock", locked: true, tried: false, released: "ok" });
  assert.equal(lock.locked, false, "the worker released it through its rebuilt view");
});

test("Lock: abort mid-wait rejects with signal.reason and leaves the lock as if never asked", async () => {
  const lock = new Lock();
  const ctl = ctlBlock();
  const holder = spawn("holdUntil", {
    handle: lock.handle,
    ctl: ctl.buffer,
    holding: 0,
    releaseWhen: 1,
  });
  await until(() => Atomics.load(ctl.i32, 0) === 1, "the worker holds the lock");
  const started = new SharedArrayBuffer(4);
  const waiter = spawn<{ acquired: boolean }>("acquireTimed", {
    handle: lock.handle,
    mode: "sync",
    timeout: 20_000,
    started,
  });
  await until(() => Atomics.load(new Int32Array(started), 0) === 1, "the sync waiter started");

  const controller = new AbortController();
  const reason = new Error("changed my mind");
  const pending = lock.acquire({ signal: controller.signal });
  assert.equal(pendingAsyncWaits(), 1);
  await sleep(10);
  controller.abort(reason);
  await assert.rejects(pending, (e) => e === reason);
  assert.equal(pendingAsyncWaits(), 0, "no keep-alive reference leaked");
  assert.equal(lock.locked, true, "still held by the worker");
  assert.equal(lock.tryAcquire(), false);

  signal(ctl.i32, 1);
  await holder.result;
  assert.equal((await waiter.result).acquired, true, "the other waiter still got the lock");
  await until(() => !lock.locked, "the lock is free");
  assert.equal(lock.tryAcquire(), true, "a follow-up acquire succeeds");
  lock.release();
});

test("Lock: an already-aborted signal rejects at once, even when the lock is free", async () => {
  const lock = new Lock();
  const reason = new Error("too late");
  const signal = AbortSignal.abort(reason);
  await assert.rejects(lock.acquire({ signal }), (e) => e === reason);
  await assert.rejects(lock.acquire({ signal, timeout: 0 }), (e) => e === reason);
  await assert.rejects(lock.hold({ signal }), (e) => e === reason);
  assert.equal(lock.locked, false);
  assert.equal(pendingAsyncWaits(), 0);
  // The default reason (an AbortError DOMException) is passed through too.
  const plain = AbortSignal.abort();
  await assert.rejects(lock.acquire({ signal: plain }), (e) => e === plain.reason);
  assert.equal(lock.locked, false);
});

test("Lock: a huge finite timeout waits (it is not mistaken for an elapsed one)", async () => {
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
  const pending = lock.acquire({ timeout: 1e12 });
  signal(ctl.i32, 1);
  assert.equal(await pending, true);
  lock.release();
  await holder.result;
  const r = await spawn<{ acquired: boolean }>("acquireTimed", {
    handle: lock.handle,
    mode: "sync",
    timeout: Number.MAX_VALUE,
  }).result;
  assert.equal(r.acquired, true);
});

test("Placement: Lock, RLock, Semaphore, BoundedSemaphore and Event side by side in one buffer", async () => {
  const CANARY = 0x5a5a5a5a;
  const layout = [
    ["Lock", Lock.byteLength],
    ["RLock", RLock.byteLength],
    ["Semaphore", Semaphore.byteLength],
    ["BoundedSemaphore", BoundedSemaphore.byteLength],
    ["Event", Event.byteLength],
    ["Lock", Lock.byteLength],
  ] as const;
  // A 4-byte canary before each primitive and one after the last.
  const total = layout.reduce((n, [, bytes]) => n + 4 + bytes, 4);
  const buffer = new SharedArrayBuffer(total);
  const all = new Int32Array(buffer);
  all.fill(CANARY);
  const offsets: number[] = [];
  let at = 4;
  for (const [, bytes] of layout) {
    offsets.push(at);
    at += bytes + 4;
  }
  const lock = new Lock({ buffer, byteOffset: offsets[0]! });
  const rlock = new RLock({ buffer, byteOffset: offsets[1]! });
  const sem = new Semaphore(2, { buffer, byteOffset: offsets[2]! });
  const bsem = new BoundedSemaphore(1, { buffer, byteOffset: offsets[3]! });
  const event = new Event({ buffer, byteOffset: offsets[4]! });
  const lock2 = new Lock({ buffer, byteOffset: offsets[5]! });
  assert.equal(lock.handle.buffer, buffer);
  assert.equal(event.handle.byteOffset, offsets[4]);

  lock.acquireSync();
  rlock.acquireSync();
  rlock.acquireSync();
  assert.equal(sem.tryAcquire(), true);
  assert.equal(bsem.tryAcquire(), true);
  event.set();
  assert.equal(lock2.locked, false, "a neighbour's acquire does not leak into lock2");
  assert.equal(lock2.tryAcquire(), true);
  assert.equal(
    lock.locked && rlock.owned && sem.value === 1 && bsem.value === 0 && event.isSet(),
    true,
  );

  // Canaries are intact and the slots hold what they should.
  for (const offset of [...offsets.map((o) => o - 4), total - 4]) {
    assert.equal(all[offset / 4], CANARY, `canary at byte ${offset}`);
  }
  // Another thread sees each one at its offset.
  const running = spawn<Record<string, unknown>[]>("receiveHandles", null);
  running.worker.postMessage({
    handles: [lock.handle, rlock.handle, sem.handle, bsem.handle, event.handle, lock2.handle],
  });
  assert.deepEqual(await running.result, [
    { kind: "Lock", locked: true, tried: false, released: "no" },
    { kind: "RLock", locked: true, tried: false, released: "no" },
    { kind: "Semaphore", value: 1 },
    { kind: "BoundedSemaphore", value: 0 },
    { kind: "Event", isSet: true },
    { kind: "Lock", locked: true, tried: false, released: "no" },
  ]);
  lock.release();
  assert.equal(lock2.locked, true, "releasing lock leaves lock2 held");
  lock2.release();
  rlock.release();
  rlock.release();
  sem.release();
  bsem.release();
  event.clear();
  assert.deepEqual(
    [lock.locked, rlock.locked, sem.value, bsem.value, event.isSet(), lock2.locked],
    [false, false, 2, 1, false, false],
  );
  for (const offset of [...offsets.map((o) => o - 4), total - 4]) {
    assert.equal(all[offset / 4], CANARY, `canary at byte ${offset}`);
  }
});

test("Lock: used as a signal, a blocked acquireSync watches the word before sleeping; used as a mutex, it sleeps", async () => {
  const acquire = (lock: Lock) =>
    waitsOn(lock.handle.buffer, () => lock.acquireSync({ timeout: 10_000 }));
  setSyncSpin(2_000_000); // a long watch: the release ends it (fresh credit)
  try {
    // A signal: this thread holds the lock and acquires it again; a worker releases it. Every
    // round ends in the watch, without Atomics.wait (the credit keeps paying: each wait ended).
    const signal = new Lock();
    signal.acquireSync();
    const ctl = new Int32Array(new SharedArrayBuffer(4));
    const rounds = 4;
    const releaser = spawn("releaseRounds", { handle: signal.handle, rounds, ctl: ctl.buffer });
    for (let k = 1; k <= rounds; k++) {
      Atomics.store(ctl, 0, k);
      Atomics.notify(ctl, 0);
      assert.deepEqual(acquire(signal), { value: true, waits: 0 }, `round ${k}: never slept`);
    }
    await releaser.result;
    signal.release();

    // A mutex: a worker holds it and releases it itself (once this thread has announced its
    // wait): the wait sleeps at once.
    const mutex = new Lock();
    const started = new SharedArrayBuffer(4);
    const holder = spawn("releaseWhenWaited", {
      handle: mutex.handle,
      acquireFirst: true,
      started,
    });
    await until(() => Atomics.load(new Int32Array(started), 0) === 1, "the worker holds it");
    const waited = acquire(mutex);
    await holder.result;
    assert.equal(waited.value, true);
    assert.ok(waited.waits >= 1, "slept at once");
    mutex.release();
  } finally {
    setSyncSpin(runtime.syncSpinMicros);
  }
});

test("Condition: a blocked acquireSync or holdSync watches the lock word before sleeping (a Lock or RLock held by another thread)", async () => {
  // Another thread holds the lock and releases it once this thread's wait has set PARKED on the
  // word (which a slow path does before it watches or sleeps). Through the Condition the wait
  // watches the word (the spin, made long here, sees the release): no Atomics.wait. A wait that
  // sleeps at once calls Atomics.wait, even if the release then comes first ("not-equal"). The
  // same Lock acquired directly is a mutex wait and sleeps at once (the test above, its second
  // case). Both slow paths: the plain loop, and the generator deadlock detection watches.
  setSyncSpin(2_000_000); // a long watch: the release ends it (fresh credit)
  try {
    for (const detection of [false, true]) {
      enableDeadlockDetection(detection);
      for (const lock of [new Lock(), new RLock()]) {
        const what = `${lock.handle.kind}, deadlock detection ${detection ? "on" : "off"}`;
        const cond = new Condition(lock);
        const viaAcquire = await whileHeldElsewhere(
          lock,
          () => cond.acquireSync({ timeout: 10_000 }),
        );
        assert.deepEqual(viaAcquire, { value: true, waits: 0 }, `${what}: acquireSync`);
        cond.release();
        const viaHold = await whileHeldElsewhere(lock, () => {
          using _guard = cond.holdSync({ timeout: 10_000 });
          return lock.locked;
        });
        assert.deepEqual(viaHold, { value: true, waits: 0 }, `${what}: holdSync`);
        assert.equal(lock.locked, false, `${what}: the guard released it`);
      }
    }
  } finally {
    enableDeadlockDetection(false);
    setSyncSpin(runtime.syncSpinMicros);
  }
});
