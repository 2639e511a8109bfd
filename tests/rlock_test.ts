import { test } from "node:test";
import assert from "node:assert/strict";
import { Lock, NotOwnedError, RLock, TimeoutError } from "../mod.ts";
import { pendingAsyncWaits } from "../src/internal/futex.ts";
import { currentIdent } from "../src/internal/ident.ts";
import { runAll, sleep, spawn, until } from "./helpers.ts";
import {
  assertMessageStyle,
  assertTimedOut,
  ctlBlock,
  signal,
  slotsOf,
  timed,
} from "./fixtures/checks.ts";

type CallResult = { ok: true; value: unknown } | { ok: false; name: string; message: string };
type Called = { results: CallResult[]; props: Record<string, unknown>; ident: number };

/** Runs `calls` on the RLock in a fresh worker. */
function callIn(rlock: RLock, calls: { method: string; args?: unknown[] }[], props: string[] = []) {
  return spawn<Called>("call", { handle: rlock.handle, calls, props }).result;
}

test("RLock: re-entry depth across sync, async and try acquires", async () => {
  const rlock = new RLock();
  assert.equal(rlock.owned, false);
  assert.equal(rlock.acquireSync(), true);
  assert.equal(await rlock.acquire(), true);
  assert.equal(rlock.tryAcquire(), true);
  assert.equal(rlock.acquireSync({ timeout: 0 }), true, "the owner re-enters even with timeout 0");
  assert.equal(slotsOf(rlock.handle, 3)[2], 4, "depth 4");
  for (let depth = 4; depth > 1; depth--) {
    rlock.release();
    assert.equal(rlock.locked, true, `still held at depth ${depth - 1}`);
    assert.equal(rlock.owned, true);
  }
  // Held once: another thread cannot take it.
  const other = await callIn(rlock, [{ method: "tryAcquire" }], ["owned", "locked"]);
  assert.deepEqual(other.results, [{ ok: true, value: false }]);
  assert.deepEqual(other.props, { owned: false, locked: true });
  rlock.release();
  assert.equal(rlock.locked, false);
  assert.equal(rlock.owned, false);
  assert.throws(() => rlock.release(), (e: unknown) => {
    assert.ok(e instanceof NotOwnedError);
    assert.equal(e.message, "Cannot release rlock: it is not locked");
    return true;
  });
  // Free again for others.
  const after = await callIn(rlock, [{ method: "tryAcquire" }, { method: "release" }]);
  assert.deepEqual(after.results, [{ ok: true, value: true }, { ok: true, value: undefined }]);
});

test("RLock: release by a non-owner worker throws NotOwnedError and changes nothing", async () => {
  const rlock = new RLock();
  rlock.acquireSync();
  rlock.acquireSync();
  const me = currentIdent();
  const before = Array.from(slotsOf(rlock.handle, 3));
  const r = await callIn(rlock, [{ method: "release" }], ["owned", "locked"]);
  const [result] = r.results;
  assert.ok(result !== undefined && !result.ok);
  assert.equal(result.name, "NotOwnedError");
  assert.equal(result.message, `Cannot release rlock: held by thread ${me}, not by this thread`);
  assertMessageStyle(result.message);
  assert.deepEqual(r.props, { owned: false, locked: true });
  assert.deepEqual(Array.from(slotsOf(rlock.handle, 3)), before, "state untouched");
  // Still ours, at depth 2.
  rlock.release();
  assert.equal(rlock.owned, true);
  rlock.release();
  assert.equal(rlock.locked, false);
});

test("RLock: held by a worker, this thread's release throws and the worker keeps it", async () => {
  const rlock = new RLock();
  const ctl = ctlBlock();
  const holder = spawn<number>("holdUntil", {
    handle: rlock.handle,
    ctl: ctl.buffer,
    holding: 0,
    releaseWhen: 1,
  });
  await until(() => Atomics.load(ctl.i32, 0) === 1, "the worker holds the rlock");
  assert.equal(rlock.locked, true);
  assert.equal(rlock.owned, false);
  assert.throws(() => rlock.release(), NotOwnedError);
  assert.equal(rlock.tryAcquire(), false);
  assert.equal(rlock.acquireSync({ timeout: 0 }), false);
  const t = await timed(() => rlock.acquire({ timeout: 50 }));
  assert.equal(t.value, false);
  assertTimedOut(t.elapsed, 50, "rlock.acquire");
  assert.throws(() => rlock.holdSync({ timeout: 10 }), (e: unknown) => {
    assert.ok(e instanceof TimeoutError);
    assert.match(e.message, /^Cannot acquire rlock: timed out after 10 ms; held by thread \d+$/);
    return true;
  });
  signal(ctl.i32, 1);
  const holderIdent = await holder.result;
  assert.notEqual(holderIdent, currentIdent());
  // The timeouts left it usable.
  assert.equal(rlock.acquireSync({ timeout: 1000 }), true);
  assert.equal(rlock.owned, true);
  rlock.release();
});

test("RLock: a timed-out acquire in a worker returns false after ~the timeout", async () => {
  const rlock = new RLock();
  rlock.acquireSync();
  for (const mode of ["sync", "async"] as const) {
    const r = await spawn<{ acquired: boolean; elapsed: number }>("acquireTimed", {
      handle: rlock.handle,
      mode,
      timeout: 50,
    }).result;
    assert.equal(r.acquired, false);
    assertTimedOut(r.elapsed, 50, mode);
  }
  assert.equal(rlock.owned, true);
  assert.equal(slotsOf(rlock.handle, 3)[2], 1, "depth untouched by the failed attempts");
  rlock.release();
  const r = await spawn<{ acquired: boolean }>("acquireTimed", {
    handle: rlock.handle,
    mode: "async",
    timeout: 1000,
  }).result;
  assert.equal(r.acquired, true);
});

test("RLock: async tasks on one thread share its ownership (documented)", async () => {
  const rlock = new RLock();
  const [a, b] = await Promise.all([rlock.acquire(), rlock.acquire()]);
  assert.equal(a && b, true);
  assert.equal(slotsOf(rlock.handle, 3)[2], 2);
  rlock.release();
  rlock.release();
  assert.equal(rlock.locked, false);
});

test("RLock: sync and async waiters mixed across 3 workers all get it, one thread at a time", async () => {
  const rlock = new RLock();
  const ctl = ctlBlock();
  rlock.acquireSync();
  rlock.acquireSync();
  const running = [
    spawn<boolean[]>("contend", {
      handle: rlock.handle,
      ctl: ctl.buffer,
      mode: "sync",
      timeout: 20_000,
    }),
    spawn<boolean[]>("contend", {
      handle: rlock.handle,
      ctl: ctl.buffer,
      mode: "async",
      tasks: 1,
      timeout: 20_000,
    }),
    spawn<boolean[]>("contend", {
      handle: rlock.handle,
      ctl: ctl.buffer,
      mode: "sync",
      timeout: 20_000,
    }),
  ];
  await until(() => Atomics.load(ctl.i32, 0) === 3, "all 3 waiters started");
  await sleep(20);
  rlock.release();
  await sleep(10);
  assert.equal(Atomics.load(ctl.i32, 1), 0, "nobody acquired while we held it once more");
  rlock.release();
  const results = (await Promise.all(running.map((r) => r.result))).flat();
  assert.deepEqual(results, [true, true, true]);
  assert.equal(Atomics.load(ctl.i32, 3), 1, "one holder at a time");
  assert.equal(rlock.locked, false);
});

test("RLock: 8 workers x 10,000 nested (depth 2) increments, exact total", async () => {
  const rlock = new RLock();
  const counter = new SharedArrayBuffer(4);
  const modes = ["sync", "async", "mixed", "sync", "async", "mixed", "sync", "async"];
  await runAll(
    "rlockNestedIncrements",
    8,
    (i) => ({ handle: rlock.handle, counter, iterations: 10_000, mode: modes[i] }),
  );
  assert.equal(new Int32Array(counter)[0], 80_000);
  assert.equal(rlock.locked, false);
});

test("RLock: holdSync/hold guards with `using`, nested, release one level each", async () => {
  const rlock = new RLock();
  {
    using _outer = rlock.holdSync();
    {
      using _inner = await rlock.hold();
      assert.equal(slotsOf(rlock.handle, 3)[2], 2);
    }
    assert.equal(rlock.owned, true);
    assert.equal(slotsOf(rlock.handle, 3)[2], 1);
  }
  assert.equal(rlock.locked, false);
  const g = rlock.holdSync();
  g.release();
  g.release(); // a no-op, not a NotOwnedError
  assert.equal(rlock.locked, false);
});

test("RLock: abort mid-wait leaves it untouched; a follow-up acquire gets depth 1", async () => {
  const rlock = new RLock();
  const ctl = ctlBlock();
  const holder = spawn("holdUntil", {
    handle: rlock.handle,
    ctl: ctl.buffer,
    holding: 0,
    releaseWhen: 1,
  });
  await until(() => Atomics.load(ctl.i32, 0) === 1, "the worker holds the rlock");
  const controller = new AbortController();
  const pending = rlock.acquire({ signal: controller.signal, timeout: 20_000 });
  await sleep(10);
  const reason = new RangeError("abort reason");
  controller.abort(reason);
  await assert.rejects(pending, (e) => e === reason);
  assert.equal(pendingAsyncWaits(), 0);
  assert.equal(rlock.locked, true);
  assert.equal(rlock.owned, false);
  signal(ctl.i32, 1);
  await holder.result;
  await until(() => !rlock.locked, "the worker released it");
  assert.equal(rlock.tryAcquire(), true);
  assert.equal(slotsOf(rlock.handle, 3)[2], 1, "depth 1: the aborted call left no level behind");
  rlock.release();
  assert.equal(rlock.locked, false);
});

test("RLock: an already-aborted signal rejects at once, even when free or owned", async () => {
  const rlock = new RLock();
  const reason = new Error("no");
  const signal = AbortSignal.abort(reason);
  await assert.rejects(rlock.acquire({ signal }), (e) => e === reason);
  assert.equal(rlock.locked, false);
  rlock.acquireSync();
  await assert.rejects(rlock.acquire({ signal }), (e) => e === reason);
  await assert.rejects(rlock.hold({ signal }), (e) => e === reason);
  assert.equal(slotsOf(rlock.handle, 3)[2], 1, "no level was added");
  rlock.release();
  assert.equal(rlock.locked, false);
});

test("RLock: the handle survives postMessage; from() in the worker sees it held and cannot release it", async () => {
  const rlock = new RLock();
  rlock.acquireSync();
  const running = spawn<Record<string, unknown>[]>("receiveHandles", null);
  running.worker.postMessage({ handles: [rlock.handle], action: "act" });
  assert.deepEqual(await running.result, [{
    kind: "RLock",
    locked: true,
    tried: false,
    released: "NotOwnedError",
  }]);
  assert.equal(rlock.owned, true);
  rlock.release();
  assert.throws(() => RLock.from(new Lock().handle), TypeError);
});
