import { test } from "node:test";
import assert from "node:assert/strict";
import { Event } from "../mod.ts";
import { pendingAsyncWaits } from "../src/internal/futex.ts";
import { sleep, spawn, until } from "./helpers.ts";
import { assertTimedOut, snapshot, timed } from "./fixtures/checks.ts";

type Waits = boolean[];

/** Starts waiters: one sync waiter per "sync" entry, `tasks` async waits per "async" entry. */
function startWaiters(
  event: Event,
  plan: { mode: "sync" | "async"; tasks?: number }[],
  timeout: number,
) {
  const started = new SharedArrayBuffer(4);
  const running = plan.map((p) =>
    spawn<Waits>("eventWaitMany", { handle: event.handle, timeout, started, ...p })
  );
  const total = plan.reduce((n, p) => n + (p.mode === "sync" ? 1 : p.tasks ?? 1), 0);
  return {
    running,
    total,
    started: () => Atomics.load(new Int32Array(started), 0),
    results: async () => (await Promise.all(running.map((r) => r.result))).flat(),
  };
}

test("Event: isSet, set and clear, each idempotent", () => {
  const event = new Event();
  assert.equal(event.isSet(), false);
  event.set();
  assert.equal(event.isSet(), true);
  event.set();
  assert.equal(event.isSet(), true);
  event.clear();
  assert.equal(event.isSet(), false);
  event.clear();
  assert.equal(event.isSet(), false);
});

test("Event: waits return true at once when set, false at once with timeout 0 when clear", async () => {
  const event = new Event();
  assert.equal(event.waitSync({ timeout: 0 }), false);
  assert.equal(await event.wait({ timeout: 0 }), false);
  event.set();
  assert.equal(event.waitSync(), true);
  assert.equal(event.waitSync({ timeout: 0 }), true);
  assert.equal(await event.wait(), true);
  assert.equal(await event.wait({ timeout: 0 }), true);
  assert.equal(pendingAsyncWaits(), 0);
});

test("Event: a timed-out wait returns false after ~the timeout, here and in workers", async () => {
  const event = new Event();
  const sync = await timed(() => event.waitSync({ timeout: 50 }));
  assert.equal(sync.value, false);
  assertTimedOut(sync.elapsed, 50, "waitSync");
  const async_ = await timed(() => event.wait({ timeout: 50 }));
  assert.equal(async_.value, false);
  assertTimedOut(async_.elapsed, 50, "wait");
  const w = startWaiters(event, [{ mode: "sync" }, { mode: "async", tasks: 2 }], 50);
  const t = await timed(() => w.results());
  assert.deepEqual(t.value, [false, false, false]);
  assert.equal(event.isSet(), false);
});

test("Event: set() wakes every waiter, sync and async across 4 workers, twice", async () => {
  const event = new Event();
  for (const round of [1, 2]) {
    const w = startWaiters(event, [
      { mode: "sync" },
      { mode: "async", tasks: 3 },
      { mode: "sync" },
      { mode: "async", tasks: 2 },
    ], 20_000);
    await until(() => w.started() === w.total, `round ${round}: all waiters started`);
    await sleep(20);
    event.set();
    assert.deepEqual(await w.results(), Array(w.total).fill(true), `round ${round}`);
    // CPython's _check_notify runs again after an explicit set() + clear().
    event.set();
    event.clear();
  }
});

test("Event: a waiter woken by set() returns true even if clear() follows at once", async () => {
  const event = new Event();
  // Parked waiters: sync ones (waitSync) and async ones (wait) in 4 workers.
  const w = startWaiters(event, [
    { mode: "sync" },
    { mode: "async", tasks: 3 },
    { mode: "sync" },
    { mode: "async", tasks: 2 },
  ], 20_000);
  await until(() => w.started() === w.total, "all waiters started");
  await sleep(30); // most likely all parked; if one is not yet, the next round covers it
  let done = false;
  const results = w.results().finally(() => done = true);
  // "Started" is not "asleep": repeat set();clear() until every waiter has returned. The flag is
  // set only for the instant between the two calls, so a waiter that re-checked the flag after
  // waking (instead of the set generation) would sleep on and time out.
  let rounds = 0;
  while (!done) {
    event.set();
    event.clear();
    rounds++;
    await sleep(20);
  }
  assert.deepEqual(await results, Array(w.total).fill(true));
  assert.equal(event.isSet(), false);
  assert.ok(rounds < 100, `took ${rounds} set/clear rounds`);
});

test("Event: set in a worker ends a wait here, async and sync", async () => {
  const event = new Event();
  const pending = event.wait({ timeout: 20_000 });
  const setter = spawn("call", { handle: event.handle, calls: [{ method: "set" }] });
  assert.equal(await pending, true);
  await setter.result;
  event.clear();
  const setter2 = spawn("call", { handle: event.handle, calls: [{ method: "set" }] });
  assert.equal(event.waitSync({ timeout: 20_000 }), true);
  await setter2.result;
  assert.equal(event.isSet(), true);
});

test("Event: abort mid-wait rejects with signal.reason and leaves the flag as it was", async () => {
  const event = new Event();
  const controller = new AbortController();
  const before = snapshot(event.handle, 2);
  const pending = event.wait({ signal: controller.signal });
  const other = event.wait({ timeout: 20_000 });
  await sleep(5);
  const reason = new Error("abort");
  controller.abort(reason);
  await assert.rejects(pending, (e) => e === reason);
  assert.deepEqual(snapshot(event.handle, 2), before, "flag and generation untouched");
  assert.equal(event.isSet(), false);
  assert.equal(await event.wait({ timeout: 0 }), false);
  // The other waiter is still waiting, and a set() still ends it.
  event.set();
  assert.equal(await other, true);
  assert.equal(pendingAsyncWaits(), 0);
});

test("Event: an already-aborted signal rejects at once, even when set", async () => {
  const event = new Event();
  event.set();
  const reason = new Error("pre-aborted");
  await assert.rejects(event.wait({ signal: AbortSignal.abort(reason) }), (e) => e === reason);
  assert.equal(event.isSet(), true);
  event.clear();
  await assert.rejects(
    event.wait({ signal: AbortSignal.abort(reason), timeout: 0 }),
    (e) => e === reason,
  );
  assert.equal(event.isSet(), false);
});

test("Event: the handle survives postMessage; from() in the worker shares the flag", async () => {
  const event = new Event();
  const running = spawn<Record<string, unknown>[]>("receiveHandles", null);
  const waiting = event.wait({ timeout: 20_000 });
  running.worker.postMessage({ handles: [event.handle], action: "act" });
  assert.deepEqual(await running.result, [{ kind: "Event", isSet: false }]);
  assert.equal(await waiting, true);
  assert.equal(event.isSet(), true);
  assert.ok(Event.from(structuredClone(event.handle)).isSet());
});
