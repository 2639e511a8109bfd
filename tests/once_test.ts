import { test } from "node:test";
import assert from "node:assert/strict";
import { Lock, TimeoutError } from "../mod.ts";
import { Once } from "../src/once.ts";
import { pendingAsyncWaits } from "../src/internal/futex.ts";
import {
  currentIdent,
  LIFE_ALIVE,
  LIFE_ENDED,
  MAX_TRACKED,
  setLife,
} from "../src/internal/ident.ts";
import { runAll, spawn, until } from "./helpers.ts";
import {
  assertMessageStyle,
  assertTimedOut,
  ctlBlock,
  signal,
  slotsOf,
  timed,
} from "./fixtures/checks.ts";

const OPS = new URL("./fixtures/extra_ops.ts", import.meta.url);

/** The state word (see the layout table in src/once.ts). */
function stateOf(once: Once): number {
  return Atomics.load(slotsOf(once.handle, 1), 0);
}

type Called = {
  ok: boolean;
  ran?: boolean;
  sawFinished?: boolean;
  name?: string;
  message?: string;
  elapsed: number;
};

/** ctl slots of `onceRun`: 0 started, 1 runs, 2 finished, 3 let the runner finish. */
const STARTED = 0;
const RUNS = 1;
const FINISHED = 2;
const GO = 3;

function runIn(once: Once, ctl: SharedArrayBuffer, input: Record<string, unknown>) {
  return spawn<Called[]>(
    "onceRun",
    { handle: once.handle, ctl, started: STARTED, runs: RUNS, finished: FINISHED, ...input },
    30_000,
    OPS,
  );
}

/** A promise with its resolve/reject, to hold an async run open. */
function gate() {
  let open!: () => void;
  let fail!: (e: unknown) => void;
  const promise = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

test("Once: the first call runs its function, later calls return false without running theirs", async () => {
  const once = new Once();
  assert.equal(Once.byteLength, 4);
  assert.equal(once.done, false);
  const calls: string[] = [];
  assert.equal(once.runSync(() => calls.push("first")), true);
  assert.equal(once.done, true);
  assert.equal(once.runSync(() => calls.push("second")), false);
  assert.equal(await once.run(() => calls.push("third")), false);
  assert.equal(
    await once.run(async () => {
      await null;
      calls.push("fourth");
    }),
    false,
  );
  assert.equal(once.runSync(() => calls.push("fifth"), { timeout: 0 }), false);
  assert.deepEqual(calls, ["first"]);
  // run() first, with an async function.
  const other = new Once();
  assert.equal(
    await other.run(async () => {
      await null;
      calls.push("async");
    }),
    true,
  );
  assert.equal(other.done, true);
  assert.equal(other.runSync(() => calls.push("never")), false);
  assert.deepEqual(calls, ["first", "async"]);
  assert.equal(pendingAsyncWaits(), 0);
});

test("Once: an async run holds until its promise settles; others wait, then return false", async () => {
  const once = new Once();
  const g = gate();
  let ran = 0;
  const first = once.run(async () => {
    ran++;
    await g.promise;
  });
  assert.equal(once.done, false);
  const second = once.run(() => ran++, { timeout: 10_000 });
  // A worker's waits time out while the run goes on, and change nothing.
  const ctl = ctlBlock();
  const [sync] = await runIn(once, ctl.buffer, { mode: "sync", timeout: 50 }).result;
  assert.equal(sync!.ok, false);
  assert.equal(sync!.name, "TimeoutError");
  assert.match(
    sync!.message!,
    /^Cannot run once: timed out after 50 ms; thread \d+ is running it$/,
  );
  assertMessageStyle(sync!.message!);
  assertTimedOut(sync!.elapsed, 50, "worker runSync");
  const [async_] = await runIn(once, ctl.buffer, { mode: "async", timeout: 50 }).result;
  assert.equal(async_!.name, "TimeoutError");
  assertTimedOut(async_!.elapsed, 50, "worker run");
  assert.equal(stateOf(once), currentIdent() << 1, "still running here");
  // And here, with timeout 0.
  assert.throws(() => once.runSync(() => ran++, { timeout: 0 }), TimeoutError);
  assert.throws(() => once.runSync(() => ran++, { timeout: 10 }), /this thread is running it/);
  await assert.rejects(once.run(() => ran++, { timeout: 0 }), TimeoutError);
  const t = await timed(() => assert.rejects(once.run(() => ran++, { timeout: 50 }), TimeoutError));
  assertTimedOut(t.elapsed, 50, "run");
  const t0 = performance.now();
  g.open();
  assert.equal(await first, true);
  assert.equal(await second, false);
  assert.ok(performance.now() - t0 < 2_000, "the waiter was woken by the end of the run");
  assert.equal(ran, 1);
  assert.equal(once.done, true);
  assert.equal(pendingAsyncWaits(), 0);
});

test("Once: a function that throws returns the Once to 'not run'; the next caller runs", async () => {
  const once = new Once();
  const boom = new Error("boom");
  assert.throws(() =>
    once.runSync(() => {
      throw boom;
    }), (e) => e === boom);
  assert.equal(once.done, false);
  assert.equal(stateOf(once), 0);
  await assert.rejects(
    once.run(async () => {
      await null;
      throw boom;
    }),
    (e) => e === boom,
  );
  await assert.rejects(
    once.run(() => {
      throw boom;
    }),
    (e) => e === boom,
  );
  assert.equal(stateOf(once), 0);
  // A waiter of a failing run becomes the runner.
  const g = gate();
  const failing = once.run(() => g.promise);
  let ranSecond = false;
  const second = once.run(() => {
    ranSecond = true;
  });
  g.fail(boom);
  await assert.rejects(failing, (e) => e === boom);
  assert.equal(await second, true);
  assert.equal(ranSecond, true);
  assert.equal(once.done, true);
  // runSync refuses an async function: it cannot wait for it.
  const strict = new Once();
  assert.throws(() => strict.runSync(async () => {}), (e: unknown) => {
    assert.ok(e instanceof TypeError);
    assert.match(e.message, /use once\.run\(fn\)/);
    return true;
  });
  assert.equal(strict.done, false);
  assert.equal(strict.runSync(() => {}), true);
});

test("Once: 6 workers race, sync and async: exactly one runs; every other call returns after it", async () => {
  const once = new Once();
  const ctl = ctlBlock();
  const plans = [
    { mode: "sync" },
    { mode: "async", tasks: 3 },
    { mode: "sync" },
    { mode: "async", tasks: 2 },
    { mode: "sync" },
    { mode: "async", tasks: 2 },
  ];
  const results = (await runAll<Called[]>(
    "onceRun",
    6,
    (i) => ({
      handle: once.handle,
      ctl: ctl.buffer,
      started: STARTED,
      runs: RUNS,
      finished: FINISHED,
      timeout: 20_000,
      busyMs: 30,
      ...plans[i],
    }),
    30_000,
    OPS,
  )).flat();
  assert.equal(results.length, 10);
  assert.ok(results.every((r) => r.ok), JSON.stringify(results));
  assert.equal(results.filter((r) => r.ran).length, 1, "exactly one call ran its function");
  assert.equal(Atomics.load(ctl.i32, RUNS), 1, "the function ran once");
  for (const r of results.filter((r) => !r.ran)) {
    assert.equal(r.sawFinished, true, "a call that returned false saw the run's effects");
    assert.ok(r.elapsed < 5_000, `woken by the end of the run, not its timeout (${r.elapsed})`);
  }
  assert.equal(once.done, true);
  assert.equal(once.runSync(() => assert.fail("ran twice")), false);
});

test("Once: a failing runner in one worker hands the run to a waiter in another", async () => {
  const once = new Once();
  const ctl = ctlBlock();
  const runner = runIn(once, ctl.buffer, { mode: "sync", holdUntil: GO, fail: true });
  await until(() => Atomics.load(ctl.i32, RUNS) === 1, "the runner runs");
  const waiters = [
    runIn(once, ctl.buffer, { mode: "sync", timeout: 20_000 }),
    runIn(once, ctl.buffer, { mode: "async", tasks: 2, timeout: 20_000 }),
  ];
  // The waiters here too: one async wait on this thread.
  let ranHere = false;
  const here = once.run(() => {
    ranHere = true;
    Atomics.store(ctl.i32, FINISHED, 1);
  }, { timeout: 20_000 });
  await until(() => Atomics.load(ctl.i32, STARTED) === 4, "the waiters wait");
  assert.equal(once.done, false);
  signal(ctl.i32, GO);
  const [failed] = await runner.result;
  assert.equal(failed!.ok, false);
  assert.match(failed!.message!, /^runner \d+ failed$/);
  const others = [...(await Promise.all(waiters.map((w) => w.result))).flat(), {
    ok: true,
    ran: await here,
    sawFinished: true,
    elapsed: 0,
  }];
  assert.ok(others.every((r) => r.ok), JSON.stringify(others));
  assert.equal(others.filter((r) => r.ran).length, 1, "exactly one waiter ran after the failure");
  assert.equal(
    Atomics.load(ctl.i32, RUNS) + (ranHere ? 1 : 0),
    2,
    "two runs: the failed one, then one",
  );
  assert.ok(others.every((r) => r.ran || r.sawFinished));
  assert.equal(once.done, true);
});

test("Once: an aborted run() rejects with the reason and leaves the run going on", async () => {
  const once = new Once();
  const ctl = ctlBlock();
  const runner = runIn(once, ctl.buffer, { mode: "async", holdUntil: GO });
  await until(() => Atomics.load(ctl.i32, RUNS) === 1, "the worker runs");
  const before = stateOf(once);
  const controller = new AbortController();
  const pending = once.run(() => assert.fail("must not run"), { signal: controller.signal });
  const reason = new Error("stop");
  controller.abort(reason);
  await assert.rejects(pending, (e) => e === reason);
  assert.equal(stateOf(once), before);
  assert.equal(pendingAsyncWaits(), 0);
  const already = new Error("aborted before");
  await assert.rejects(
    once.run(() => assert.fail("must not run"), { signal: AbortSignal.abort(already) }),
    (e) => e === already,
  );
  assert.equal(stateOf(once), before);
  signal(ctl.i32, GO);
  const [r] = await runner.result;
  assert.equal(r!.ran, true);
  assert.equal(once.done, true);
  // Aborted before anything ran: rejects even when the run would be ours.
  const fresh = new Once();
  await assert.rejects(
    fresh.run(() => {}, { signal: AbortSignal.abort(already) }),
    (e) => e === already,
  );
  assert.equal(fresh.done, false);
  assert.equal(stateOf(fresh), 0);
});

test("Once: runSync on the thread that is running it throws instead of deadlocking", async () => {
  const once = new Once();
  assert.equal(
    once.runSync(() => {
      assert.throws(() => once.runSync(() => {}), (e: unknown) => {
        assert.ok(e instanceof Error);
        assert.match(e.message, /this thread is running it, so the wait could never end/);
        assertMessageStyle(e.message);
        return true;
      });
    }),
    true,
  );
  assert.equal(once.done, true);
  // runSync while this thread's run() is pending.
  const other = new Once();
  const g = gate();
  const pending = other.run(() => g.promise);
  assert.throws(() => other.runSync(() => {}), /could never end/);
  g.open();
  assert.equal(await pending, true);
});

test("Once: a runner thread that ends during its run: a waiter takes the run over", async () => {
  const once = new Once();
  const ctl = ctlBlock();
  const doomed = spawn(
    "onceRunForever",
    { handle: once.handle, ctl: ctl.buffer, identAt: 0 },
    30_000,
    OPS,
  );
  doomed.result.catch(() => {}); // terminated below
  await until(() => Atomics.load(ctl.i32, 0) !== 0, "the worker runs");
  const ident = Atomics.load(ctl.i32, 0);
  assert.equal(stateOf(once), ident << 1);
  if (ident >= MAX_TRACKED) {
    // Only idents below MAX_TRACKED have a liveness slot (a long shared test process).
    await doomed.worker.terminate();
    return;
  }
  // What the runtime layer does for threads it watches.
  setLife(ident, LIFE_ALIVE);
  let ran = false;
  const waiting = once.run(() => {
    ran = true;
  }, { timeout: 10_000 });
  await doomed.worker.terminate();
  const t0 = performance.now();
  setLife(ident, LIFE_ENDED);
  assert.equal(await waiting, true, "the waiter took the run over");
  assert.ok(performance.now() - t0 < 2_000);
  assert.equal(ran, true);
  assert.equal(once.done, true);
});

test("Once: bad input throws (or rejects) and changes nothing", async () => {
  const once = new Once();
  for (const fn of [undefined, null, 1, "f", {}]) {
    assert.throws(() => once.runSync(fn as never), TypeError);
    await assert.rejects(once.run(fn as never), TypeError);
  }
  const noop = () => {};
  const checks: [() => unknown, typeof TypeError | typeof RangeError][] = [
    [() => once.runSync(noop, { timeout: -1 }), RangeError],
    [() => once.runSync(noop, { timeout: NaN }), RangeError],
    [() => once.runSync(noop, { timeout: "1" as unknown as number }), TypeError],
    [() => once.runSync(noop, 1 as unknown as { timeout: number }), TypeError],
    [
      () =>
        once.runSync(noop, { signal: new AbortController().signal } as unknown as {
          timeout: number;
        }),
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
      [() => once.run(noop, { timeout: -5 }), RangeError],
      [() => once.run(noop, { timeout: "5" as unknown as number }), TypeError],
      [() => once.run(noop, { signal: "x" as unknown as AbortSignal }), TypeError],
      [() => once.run(noop, null as unknown as { timeout: number }), TypeError],
    ] as const
  ) {
    const p = call();
    assert.ok(p instanceof Promise);
    await assert.rejects(p, error);
  }
  assert.equal(stateOf(once), 0, "no bad call claimed the run");
  assert.equal(once.done, false);
  assert.throws(
    () => new Once({ buffer: new ArrayBuffer(4) as unknown as SharedArrayBuffer }),
    TypeError,
  );
  assert.throws(() => new Once({ buffer: new SharedArrayBuffer(8), byteOffset: 6 }), RangeError);
  assert.throws(() => new Once({ buffer: new SharedArrayBuffer(8), byteOffset: 8 }), RangeError);
  assert.throws(() => Once.from(new Lock().handle), TypeError);
  assert.throws(() => Lock.from(once.handle), TypeError);
  assert.throws(
    () => Once.from({ ...once.handle, buffer: new ArrayBuffer(4) } as never),
    TypeError,
  );
  assert.throws(() => Once.from(42 as never), TypeError);
});

test("Once: placement in a caller's buffer; from() shares the state, here and in a worker", async () => {
  const buffer = new SharedArrayBuffer(8);
  const a = new Once({ buffer, byteOffset: 0 });
  const b = new Once({ buffer, byteOffset: 4 });
  const ctl = ctlBlock();
  const [r] = await runIn(a, ctl.buffer, { mode: "sync" }).result;
  assert.equal(r!.ran, true);
  assert.equal(a.done, true, "the worker's run is seen here");
  assert.equal(Once.from(structuredClone(a.handle)).done, true);
  assert.equal(b.done, false, "the neighbour is untouched");
  assert.equal(b.runSync(() => {}), true);
  const [again] = await runIn(a, ctl.buffer, { mode: "async" }).result;
  assert.deepEqual([again!.ok, again!.ran], [true, false]);
  assert.equal(Atomics.load(ctl.i32, RUNS), 1);
});
