import { test } from "node:test";
import assert from "node:assert/strict";
import { Lock } from "../mod.ts";
import { Latch } from "../src/latch.ts";
import { pendingAsyncWaits } from "../src/internal/futex.ts";
import { spawn, until } from "./helpers.ts";
import { assertMessageStyle, assertTimedOut, ctlBlock, signal, timed } from "./fixtures/checks.ts";

const OPS = new URL("./fixtures/extra_ops.ts", import.meta.url);

type Waited = { ok: boolean; count: number; elapsed: number }[];

/** Starts latch waiters in workers: one sync waiter per "sync" entry, `tasks` async per "async". */
function startWaiters(
  latch: Latch,
  plan: { mode: "sync" | "async"; tasks?: number }[],
  timeout: number,
) {
  const ctl = ctlBlock();
  const running = plan.map((p) =>
    spawn<Waited>(
      "latchWait",
      { handle: latch.handle, timeout, ctl: ctl.buffer, started: 0, ...p },
      30_000,
      OPS,
    )
  );
  const total = plan.reduce((n, p) => n + (p.mode === "sync" ? 1 : p.tasks ?? 1), 0);
  return {
    total,
    started: () => Atomics.load(ctl.i32, 0),
    results: async () => (await Promise.all(running.map((r) => r.result))).flat(),
  };
}

test("Latch: count, countDown(n), waits at zero; a zero latch is open from the start", async () => {
  const latch = new Latch(3);
  assert.equal(Latch.byteLength, 4);
  assert.equal(latch.count, 3);
  assert.equal(latch.waitSync({ timeout: 0 }), false);
  assert.equal(await latch.wait({ timeout: 0 }), false);
  latch.countDown();
  assert.equal(latch.count, 2);
  latch.countDown(2);
  assert.equal(latch.count, 0);
  assert.equal(latch.waitSync(), true);
  assert.equal(latch.waitSync({ timeout: 0 }), true);
  assert.equal(await latch.wait(), true);
  assert.equal(await latch.wait({ timeout: 0 }), true);
  const open = new Latch(0);
  assert.equal(open.count, 0);
  assert.equal(open.waitSync(), true);
  assert.equal(await open.wait(), true);
  assert.equal(pendingAsyncWaits(), 0);
});

test("Latch: counting down past zero throws RangeError and leaves the count", () => {
  const latch = new Latch(2);
  assert.throws(() => latch.countDown(3), (e: unknown) => {
    assert.ok(e instanceof RangeError);
    assert.equal(
      e.message,
      "Cannot count down latch by 3: its count is 2, and it may not go below zero",
    );
    assertMessageStyle(e.message);
    return true;
  });
  assert.equal(latch.count, 2);
  latch.countDown(2);
  assert.throws(() => latch.countDown(), RangeError);
  assert.equal(latch.count, 0);
  assert.equal(latch.waitSync({ timeout: 0 }), true, "still open");
});

test("Latch: a timed-out wait returns false after ~the timeout and changes nothing", async () => {
  const latch = new Latch(1);
  const sync = await timed(() => latch.waitSync({ timeout: 50 }));
  assert.equal(sync.value, false);
  assertTimedOut(sync.elapsed, 50, "waitSync");
  const async_ = await timed(() => latch.wait({ timeout: 50 }));
  assert.equal(async_.value, false);
  assertTimedOut(async_.elapsed, 50, "wait");
  const w = startWaiters(latch, [{ mode: "sync" }, { mode: "async", tasks: 2 }], 50);
  for (const r of await w.results()) {
    assert.equal(r.ok, false);
    assertTimedOut(r.elapsed, 50, "worker wait");
  }
  assert.equal(latch.count, 1);
  assert.equal(pendingAsyncWaits(), 0);
  latch.countDown();
  assert.equal(latch.waitSync({ timeout: 0 }), true);
});

test("Latch: the last count-down wakes every waiter, sync and async, across workers", async () => {
  const latch = new Latch(3);
  const w = startWaiters(
    latch,
    [{ mode: "sync" }, { mode: "async", tasks: 3 }, { mode: "sync" }, { mode: "async", tasks: 2 }],
    20_000,
  );
  const here = latch.wait({ timeout: 20_000 });
  await until(() => w.started() === w.total, "all waiters started");
  // Three workers count down once each, at the same signal.
  const ctl = ctlBlock();
  const counters = [0, 1, 2].map(() =>
    spawn<{ results: string[]; count: number }>(
      "latchCountDown",
      { handle: latch.handle, times: 1, ctl: ctl.buffer, go: 0, done: 1 },
      30_000,
      OPS,
    )
  );
  signal(ctl.i32, 0);
  for (const c of counters) assert.deepEqual((await c.result).results, ["ok"]);
  const results = await w.results();
  assert.equal(results.length, 7);
  for (const r of results) {
    assert.equal(r.ok, true);
    assert.equal(r.count, 0, "a waiter that returns true sees the count at zero");
    assert.ok(r.elapsed < 8_000, `woken at zero, not by its timeout (${r.elapsed.toFixed(0)} ms)`);
  }
  assert.equal(await here, true);
  assert.equal(latch.count, 0);
  assert.equal(pendingAsyncWaits(), 0);
});

test("Latch: this thread's pending async wait and its blocked waitSync both open; over-counting in a worker", async () => {
  // This thread has an async wait pending and then blocks in waitSync; a worker opens the latch.
  const latch = new Latch(2);
  const first = latch.wait({ timeout: 20_000 });
  const ctl = ctlBlock();
  const counter = spawn<{ results: string[]; count: number }>(
    "latchCountDown",
    { handle: latch.handle, times: 2, ctl: ctl.buffer, go: 0, done: 1 },
    30_000,
    OPS,
  );
  signal(ctl.i32, 0);
  const t = await timed(() => latch.waitSync({ timeout: 10_000 }));
  assert.equal(t.value, true);
  assert.ok(t.elapsed < 5_000);
  assert.equal(await first, true);
  assert.deepEqual(await counter.result, { results: ["ok", "ok"], count: 0 });
  // Over-counting from a worker is refused there and leaves the count.
  const more = new Latch(1);
  const r = await spawn<{ results: string[]; count: number }>(
    "latchCountDown",
    { handle: more.handle, times: 2, n: 1 },
    30_000,
    OPS,
  ).result;
  assert.deepEqual(r, { results: ["ok", "RangeError"], count: 0 });
});

test("Latch: an aborted wait rejects with the reason and changes nothing", async () => {
  const latch = new Latch(1);
  const controller = new AbortController();
  const pending = latch.wait({ signal: controller.signal });
  const other = latch.wait({ timeout: 10_000 });
  const reason = new Error("stop");
  controller.abort(reason);
  await assert.rejects(pending, (e) => e === reason);
  assert.equal(latch.count, 1);
  latch.countDown();
  assert.equal(await other, true, "the other waiter still gets the opening");
  const already = new Error("aborted before");
  await assert.rejects(latch.wait({ signal: AbortSignal.abort(already) }), (e) => e === already);
  assert.equal(pendingAsyncWaits(), 0);
});

test("Latch: bad input throws (or rejects) and changes nothing", async () => {
  for (const count of [-1, 1.5, NaN, Infinity, 2 ** 31]) {
    assert.throws(() => new Latch(count), RangeError, String(count));
  }
  for (const count of ["3", undefined, null, {}]) {
    assert.throws(() => new Latch(count as unknown as number), TypeError, String(count));
  }
  assert.equal(new Latch(2 ** 31 - 1).count, 2 ** 31 - 1);
  const latch = new Latch(2);
  const checks: [() => unknown, typeof TypeError | typeof RangeError][] = [
    [() => latch.countDown(0), RangeError],
    [() => latch.countDown(-1), RangeError],
    [() => latch.countDown(1.5), RangeError],
    [() => latch.countDown(NaN), RangeError],
    [() => latch.countDown("1" as unknown as number), TypeError],
    [() => latch.waitSync({ timeout: -1 }), RangeError],
    [() => latch.waitSync({ timeout: NaN }), RangeError],
    [() => latch.waitSync({ timeout: "5" as unknown as number }), TypeError],
    [() => latch.waitSync(3 as unknown as { timeout: number }), TypeError],
    [
      () =>
        latch.waitSync({ signal: new AbortController().signal } as unknown as { timeout: number }),
      TypeError,
    ],
  ];
  for (const [call, error] of checks) {
    assert.throws(call, (e: unknown) => {
      assert.ok(e instanceof error, `${e} is a ${error.name}`);
      assertMessageStyle((e as Error).message);
      return true;
    });
  }
  for (
    const [call, error] of [
      [() => latch.wait({ timeout: -1 }), RangeError],
      [() => latch.wait({ timeout: "1" as unknown as number }), TypeError],
      [() => latch.wait({ signal: {} as AbortSignal }), TypeError],
      [() => latch.wait(null as unknown as { timeout: number }), TypeError],
    ] as const
  ) {
    const p = call();
    assert.ok(p instanceof Promise);
    await assert.rejects(p, error);
  }
  assert.equal(latch.count, 2);
  // Placement and handles.
  assert.throws(
    () => new Latch(1, { buffer: new ArrayBuffer(4) as unknown as SharedArrayBuffer }),
    TypeError,
  );
  assert.throws(
    () => new Latch(1, { buffer: new SharedArrayBuffer(8), byteOffset: 2 }),
    RangeError,
  );
  assert.throws(
    () => new Latch(1, { buffer: new SharedArrayBuffer(8), byteOffset: 8 }),
    RangeError,
  );
  assert.throws(() => Latch.from(new Lock().handle), TypeError);
  assert.throws(() => Lock.from(latch.handle), TypeError);
  assert.throws(
    () => Latch.from({ ...latch.handle, buffer: new ArrayBuffer(4) } as never),
    TypeError,
  );
  assert.throws(() => Latch.from(undefined as never), TypeError);
});

test("Latch: placement in a caller's buffer; from() keeps the count, here and in a worker", async () => {
  const buffer = new SharedArrayBuffer(12);
  const a = new Latch(2, { buffer, byteOffset: 4 });
  const b = new Latch(5, { buffer, byteOffset: 8 });
  assert.equal(a.count, 2);
  assert.equal(b.count, 5);
  const again = Latch.from(structuredClone(a.handle));
  assert.equal(again.count, 2, "from() does not reset the count");
  again.countDown();
  assert.equal(a.count, 1);
  const r = await spawn<{ results: string[]; count: number }>(
    "latchCountDown",
    { handle: a.handle, times: 1 },
    30_000,
    OPS,
  ).result;
  assert.deepEqual(r, { results: ["ok"], count: 0 });
  assert.equal(a.waitSync({ timeout: 0 }), true);
  assert.equal(b.count, 5, "the neighbour is untouched");
});
