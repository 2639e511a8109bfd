// Regression (issue 10, leftover of item 1): on Deno a `ThreadPool` task blocked in a threadkit
// `*Sync` wait could never be ended. Aborting it rejected its promise and replaced its worker,
// but Deno's `Worker.terminate()` does not interrupt `Atomics.wait`: the old worker slept on for
// ever, still alive in the registry, so a Lock the task held never passed on with
// `OwnerDiedError` and the worker outlived the pool. `Thread` already sliced its sync waits and
// read the terminate request between slices (`thread/runner.ts`); pool workers did not. Fixed by
// slicing a pool worker's sync waits while it runs a task (`pool/runner.ts`): an aborted task's
// worker now ends within one slice (`SYNC_SLICE_MS`) plus the time to end a worker. A task in a
// raw `Atomics.wait` (or busy code), which no library can slice, has its worker marked ended
// after `TERMINATE_GRACE_MS`, as `Thread.terminate()` does, so its Locks pass on all the same.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { Event } from "../../src/event.ts";
import { Lock } from "../../src/lock.ts";
import { OwnerDiedError } from "../../src/errors.ts";
import { ThreadPool } from "../../src/pool/mod.ts";
import { TERMINATE_GRACE_MS } from "../../src/thread/thread.ts";

const OPS = new URL("../fixtures/terminate_ops.ts", import.meta.url);
const MAIN = new URL("../fixtures/pool_abort_blocked_main.ts", import.meta.url);
const isDeno = typeof (globalThis as { Deno?: unknown }).Deno === "object";
/** Every wait here gives up after this long, so that a bug fails instead of hanging. */
const START_MS = 20_000;
/**
 * From the abort to the held Lock passing on: one slice (20 ms), the worker's end, an owner poll
 * (100 ms); generous, for a loaded machine (each test prints what it measured).
 */
const END_MS = 5000;

/** How `promise` settles, or "pending" after `ms`. */
function settleWithin(promise: Promise<unknown>, ms: number): Promise<string> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<string>((resolve) => timer = setTimeout(() => resolve("pending"), ms));
  return Promise.race([
    promise.then(
      () => "resolved",
      (e: Error) => e instanceof OwnerDiedError ? "OwnerDiedError" : `rejected: ${e.message}`,
    ),
    late,
  ]).finally(() => clearTimeout(timer));
}

const blockers = [
  { export: "holdLockThenWaitForever", what: "never.waitSync()", arg: () => new Event() },
  // Not a sync wait: the worker's event loop is free, so even Deno's terminate() ends it.
  { export: "holdLockThenAwaitForever", what: "await never.wait()", arg: () => new Event() },
  {
    export: "holdLockThenAcquireForever",
    what: "other.acquireSync() on a Lock nobody releases",
    arg: () => {
      const other = new Lock();
      other.acquireSync();
      return other;
    },
  },
];

for (const blocker of blockers) {
  test(`aborting a pool task blocked in ${blocker.what} ends its worker: the Lock it held passes on`, async () => {
    const pool = new ThreadPool(OPS, { size: 1 });
    const lock = new Lock();
    const acquired = new Event();
    const controller = new AbortController();
    const task = pool.submit([lock, acquired, blocker.arg()], {
      export: blocker.export,
      signal: controller.signal,
    });
    assert.equal(await acquired.wait({ timeout: START_MS }), true);
    // A waiter that is already parked when the worker ends, and one that comes later.
    const parked = lock.acquire({ timeout: START_MS });
    const reason = new Error("stop it");
    const t0 = performance.now();
    controller.abort(reason);
    await assert.rejects(task, (e) => e === reason);
    // On Deno, within the grace period: the worker ended itself between two slices; the grace
    // timer (`pool/workers.ts`) is not what passed the Lock on.
    const bound = isDeno ? TERMINATE_GRACE_MS : END_MS;
    assert.equal(await settleWithin(parked, bound), "OwnerDiedError");
    const ms = performance.now() - t0;
    assert.equal(lock.locked, true);
    lock.release();
    assert.equal(await settleWithin(lock.acquire({ timeout: START_MS }), END_MS), "resolved");
    lock.release();
    // The replacement runs the next task; close() ends it.
    const again = new Event();
    again.set();
    const next = pool.submit([new Lock(), new Event(), again], {
      export: "holdLockThenWaitForever",
    });
    assert.equal(await settleWithin(next, START_MS), "resolved");
    assert.equal(await settleWithin(pool.close(), END_MS), "resolved");
    console.log(
      `aborted pool task blocked in ${blocker.what}: its Lock passed on in ${ms.toFixed(0)} ms`,
    );
  });
}

test("aborting a pool task blocked in a raw Atomics.wait: the Lock it held passes on (Deno: after the grace period)", async () => {
  const pool = new ThreadPool(OPS, { size: 1 });
  const lock = new Lock();
  const acquired = new Event();
  const controller = new AbortController();
  // Longer than the grace period, and ending by itself so that the worker ends in the end.
  const rawMs = TERMINATE_GRACE_MS + 3000;
  const task = pool.submit([lock, acquired, rawMs], {
    export: "holdLockThenRawWait",
    signal: controller.signal,
  });
  assert.equal(await acquired.wait({ timeout: START_MS }), true);
  const reason = new Error("stop it");
  const t0 = performance.now();
  controller.abort(reason);
  await assert.rejects(task, (e) => e === reason);
  // Node and Bun interrupt the wait; Deno cannot, and marks the worker ended after the grace.
  const bound = isDeno ? TERMINATE_GRACE_MS + END_MS : END_MS;
  assert.equal(await settleWithin(lock.acquire({ timeout: START_MS }), bound), "OwnerDiedError");
  const ms = performance.now() - t0;
  if (isDeno) assert.ok(ms >= TERMINATE_GRACE_MS - 50, `passed on after ${ms} ms`);
  lock.release();
  assert.equal(await settleWithin(pool.close(), END_MS), "resolved");
  console.log(`aborted pool task in a raw Atomics.wait: its Lock passed on in ${ms.toFixed(0)} ms`);
});

test("close() while a task is blocked in waitSync settles once the task is aborted", async () => {
  const pool = new ThreadPool(OPS, { size: 2 });
  const lock = new Lock();
  const acquired = new Event();
  const controller = new AbortController();
  const task = pool.submit([lock, acquired, new Event()], {
    export: "holdLockThenWaitForever",
    signal: controller.signal,
  });
  task.catch(() => {});
  assert.equal(await acquired.wait({ timeout: START_MS }), true);
  const closed = pool.close();
  // close() waits for running tasks (API.md): this one runs until aborted.
  assert.equal(await settleWithin(closed, 200), "pending");
  controller.abort(new Error("stop it"));
  assert.equal(await settleWithin(closed, END_MS), "resolved");
  assert.equal(await settleWithin(lock.acquire({ timeout: START_MS }), END_MS), "OwnerDiedError");
  lock.release();
});

test("close() ends idle pool workers (blocked in getSync on the task queue) promptly", async () => {
  const pool = new ThreadPool(OPS, { size: 3 });
  const released = new Event();
  released.set();
  // Three tasks in flight start three workers; they then sit idle in getSync.
  const tasks = Array.from(
    { length: 3 },
    () => pool.submit([new Lock(), new Event(), released], { export: "holdLockThenWaitForever" }),
  );
  for (const task of tasks) assert.equal(await settleWithin(task, START_MS), "resolved");
  await new Promise((resolve) => setTimeout(resolve, 100));
  const t0 = performance.now();
  assert.equal(await settleWithin(pool.close(), END_MS), "resolved");
  console.log(
    `close() of 3 idle pool workers settled in ${(performance.now() - t0).toFixed(0)} ms`,
  );
});

test("a process whose aborted pool task was blocked in waitSync ends after close()", async () => {
  const exec = (globalThis as unknown as { process: { execPath: string } }).process.execPath;
  const script = decodeURIComponent(MAIN.pathname);
  const args = (globalThis as { Deno?: unknown }).Deno !== undefined
    ? ["run", "-A", script]
    : [script];
  const t0 = performance.now();
  const outcome = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
    (resolve) => {
      execFile(exec, args, { timeout: START_MS }, (error, stdout, stderr) => {
        const killed = (error as { killed?: boolean } | null)?.killed === true;
        resolve({
          code: killed ? null : (error as { code?: number } | null)?.code ?? 0,
          stdout,
          stderr,
        });
      });
    },
  );
  assert.notEqual(outcome.code, null, `the process did not end within ${START_MS} ms`);
  assert.equal(outcome.code, 0, outcome.stderr);
  assert.match(outcome.stdout, /^closed$/m);
  console.log(`the process ended ${(performance.now() - t0).toFixed(0)} ms after it started`);
});
