import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { Event } from "../src/event.ts";
import { Latch } from "../src/latch.ts";
import { Lock } from "../src/lock.ts";
import { Queue } from "../src/queue/mod.ts";
import { SLOTS, ThreadPool } from "../src/pool/mod.ts";

/** Every wait in these tests gives up after this long, so a bug fails instead of hanging. */
const WAIT_MS = 20_000;

const OPS = new URL("./fixtures/pool_ops.ts", import.meta.url);
const PROCESS_MAIN = new URL("./fixtures/pool_main.ts", import.meta.url);

/** `promise`, or a rejection naming `what` after `ms`. */
function within<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The rejection of `promise` (fails if it fulfils), bounded. */
async function rejection(promise: Promise<unknown>, what: string): Promise<unknown> {
  return await within(
    promise.then(
      (value) => {
        throw new assert.AssertionError({ message: `${what}: expected a rejection, got ${value}` });
      },
      (error: unknown) => error,
    ),
    what,
  );
}

/** Waits (async, bounded) until `event` is set. */
async function waitFor(event: Event, what: string): Promise<void> {
  assert.equal(await event.wait({ timeout: WAIT_MS }), true, `timed out waiting until ${what}`);
}

/** Runs `tests/fixtures/pool_main.ts <mode>` with the runtime running these tests. */
function runMain(
  mode: string,
): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const g = globalThis as { Deno?: unknown };
  const exec = (globalThis as unknown as { process: { execPath: string } }).process.execPath;
  const script = decodeURIComponent(PROCESS_MAIN.pathname);
  const args = g.Deno !== undefined ? ["run", "-A", script, mode] : [script, mode];
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    execFile(exec, args, { timeout: WAIT_MS }, (error, stdout, stderr) => {
      const ms = performance.now() - t0;
      if (error && (error as { killed?: boolean }).killed) {
        reject(
          new Error(
            `${mode}: child process did not end within ${WAIT_MS} ms\n${stdout}\n${stderr}`,
          ),
        );
        return;
      }
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr), ms });
    });
  });
}

test("ThreadPool: 10,000 tiny tasks complete with correct results", async () => {
  await using pool = new ThreadPool(OPS, { size: 2 });
  const n = 10_000;
  const pending: Promise<number>[] = [];
  for (let i = 0; i < n; i++) pending.push(pool.submit<number>([i]));
  const results = await within(Promise.all(pending), "10,000 tasks");
  for (let i = 0; i < n; i++) assert.equal(results[i], i + 1);
});

test("ThreadPool: a task runs while the submitting thread blocks (dispatch needs no event loop)", async () => {
  await using pool = new ThreadPool(OPS, { size: 1 });
  for (let round = 0; round < 2; round++) { // a fresh pool (worker starting), then a warm one
    const done = new Event();
    const task = pool.submit([{ then: done, value: round }], { export: "gated" });
    assert.equal(done.waitSync({ timeout: WAIT_MS }), true, "the task ran while we blocked");
    assert.equal(await within(task, "gated"), round * 10);
  }
});

test("ThreadPool: workers never wait for their results to be read (more than the ring holds, while we block)", async () => {
  await using pool = new ThreadPool(OPS, { size: 2 });
  const count = 300; // 300 results of 2 KB: more than the 256 KB result ring
  const latch = new Latch(count);
  const tasks = Array.from(
    { length: count },
    () => pool.submit<string>([latch, 2048], { export: "countDownThenReturn" }),
  );
  assert.equal(latch.waitSync({ timeout: WAIT_MS }), true, "every task ran while we blocked");
  const results = await within(Promise.all(tasks), "results");
  assert.ok(results.every((r) => r.length === 2048));
});

test("ThreadPool: export selection, async exports, and a missing or non-function export", async () => {
  await using pool = new ThreadPool(OPS, { size: 1, name: "exports" });
  assert.equal(pool.size, 1);
  assert.equal(pool.name, "exports");
  assert.equal(await within(pool.submit([41]), "default"), 42);
  assert.equal(await within(pool.submit([6, 7], { export: "multiply" }), "multiply"), 42);
  assert.equal(await within(pool.submit([21], { export: "doubleLater" }), "async"), 42);
  const missing = await rejection(pool.submit([], { export: "nope" }), "missing export");
  assert.ok(missing instanceof TypeError);
  assert.match((missing as Error).message, /no function export "nope"/);
  const notFn = await rejection(pool.submit([], { export: "notAFunction" }), "non-function");
  assert.match((notFn as Error).message, /\(it is number\)/);
  const who = await within(pool.submit<{ name: string }>([], { export: "whoAmI" }), "whoAmI");
  assert.equal(who.name, "exports_0");
});

test("ThreadPool: a task's error rejects that task only, with name, message, stack and cause; the worker stays", async () => {
  await using pool = new ThreadPool(OPS, { size: 1 });
  const before = await within(pool.submit<{ ident: number }>([], { export: "whoAmI" }), "who");
  const sync = await rejection(pool.submit(["bad input"], { export: "throws" }), "throws");
  assert.ok(sync instanceof TypeError, `got ${sync}`);
  assert.equal((sync as Error).message, "bad input");
  assert.match((sync as Error).stack ?? "", /pool_ops\.ts/);
  const cause = (sync as Error).cause as Error;
  assert.ok(cause instanceof RangeError);
  assert.equal(cause.message, "root cause");
  const async = await rejection(pool.submit([], { export: "rejects" }), "rejects") as Error & {
    code?: string;
  };
  assert.equal(async.name, "CustomError");
  assert.equal(async.message, "custom failure");
  assert.equal(async.code, "E_CUSTOM");
  const after = await within(pool.submit<{ ident: number }>([], { export: "whoAmI" }), "who");
  assert.equal(after.ident, before.ident, "the same worker ran the tasks after the errors");
  const clone = await rejection(pool.submit([], { export: "returnsFunction" }), "uncloneable");
  assert.ok(clone instanceof TypeError);
});

test("ThreadPool: map yields results in input order, or in completion order when unordered", async () => {
  await using pool = new ThreadPool(OPS, { size: 2 });
  const ordered: number[] = [];
  for await (const y of pool.map<number, number>([1, 2, 3, 4, 5], { export: "doubleLater" })) {
    ordered.push(y);
  }
  assert.deepEqual(ordered, [2, 4, 6, 8, 10]);

  // Item 0 cannot finish before it is released. Unordered: item 1's result comes first, and we
  // release item 0 on seeing it. Ordered: item 1 releases item 0 as it finishes, and item 0's
  // result still comes first.
  {
    const release = new Event();
    const seen: number[] = [];
    const items = [{ release, value: 1 }, { value: 2 }];
    for await (const y of pool.map<unknown, number>(items, { export: "gated", ordered: false })) {
      seen.push(y);
      release.set();
    }
    assert.deepEqual(seen, [20, 10]);
  }
  {
    const release = new Event();
    const seen: number[] = [];
    const items = [{ release, value: 1 }, { then: release, value: 2 }];
    for await (const y of pool.map<unknown, number>(items, { export: "gated" })) seen.push(y);
    assert.deepEqual(seen, [10, 20]);
  }
});

test("ThreadPool: map reads its input lazily, with at most 2 × size tasks in flight", async () => {
  await using pool = new ThreadPool(OPS, { size: 2 });
  let pulled = 0;
  function* numbers(): Generator<number> {
    for (let i = 0; i < 200; i++) {
      pulled++;
      yield i;
    }
  }
  let received = 0;
  for await (const y of pool.map<number, number>(numbers(), { ordered: false })) {
    received++;
    assert.ok(y >= 1 && y <= 200);
    assert.ok(pulled - received <= 2 * pool.size, `${pulled} pulled, ${received} received`);
  }
  assert.equal(received, 200);

  // Leaving early stops reading and cancels what has not started.
  pulled = 0;
  for await (const _ of pool.map(numbers())) break;
  assert.ok(pulled <= 2 * pool.size + 1, `${pulled} pulled`);
  // A failing task ends the iteration with its error.
  const failing = (async () => {
    for await (const _ of pool.map(["x"], { export: "throws" })) { /* nothing */ }
  })();
  assert.ok(await rejection(failing, "map of a failing task") instanceof TypeError);
});

test("ThreadPool: a task that ends its worker (process.exit, uncaught async error) rejects; the pool replaces it and finishes the rest", async () => {
  await using pool = new ThreadPool(OPS, { size: 2 });
  const first = await within(pool.submit<{ ident: number }>([], { export: "whoAmI" }), "who");
  const others: Promise<number>[] = [];
  for (let i = 0; i < 50; i++) others.push(pool.submit<number>([i]));
  const exited = pool.submit([7], { export: "exits" });
  for (let i = 50; i < 100; i++) others.push(pool.submit<number>([i]));
  const crashed = pool.submit(["stray boom"], { export: "crashesAsync" });
  for (let i = 100; i < 150; i++) others.push(pool.submit<number>([i]));

  const exitError = await rejection(exited, "process.exit task") as Error;
  assert.match(exitError.message, /exited with code 7 while it ran the task/);
  const crashError = await rejection(crashed, "crashing task") as Error;
  assert.equal(crashError.message, "stray boom");
  assert.match(crashError.stack ?? "", /pool_ops\.ts/);
  const results = await within(Promise.all(others), "the other tasks");
  results.forEach((value, i) => assert.equal(value, i + 1));
  // Workers were replaced: new idents run tasks now.
  const idents = new Set<number>();
  for (let i = 0; i < 4; i++) {
    idents.add(
      (await within(pool.submit<{ ident: number }>([], { export: "whoAmI" }), "who")).ident,
    );
  }
  assert.ok(![...idents].every((ident) => ident === first.ident));
});

test("ThreadPool: an aborted task that has not started never runs (shared counter)", async () => {
  await using pool = new ThreadPool(OPS, { size: 1 });
  const started = new Event();
  const release = new Event();
  const blocker = pool.submit([started, release, "done"], { export: "block" });
  await waitFor(started, "the blocking task runs");

  // Queued behind the blocker: some in the shared queue, some (past SLOTS) waiting in this thread.
  const count = SLOTS + 200;
  const flags = new Int32Array(new SharedArrayBuffer(4 * (count + 1)));
  const controllers: AbortController[] = [];
  const tasks: Promise<unknown>[] = [];
  for (let i = 1; i <= count; i++) {
    const controller = new AbortController();
    controllers.push(controller);
    tasks.push(pool.submit([flags, i], { export: "mark", signal: controller.signal }));
  }
  const aborted = new Set([1, 2, 500, SLOTS - 1, SLOTS + 1, SLOTS + 100, count]);
  const reason = new Error("not needed any more");
  for (const i of aborted) controllers[i - 1]!.abort(reason);
  // An already-aborted signal rejects at once.
  const pre = AbortSignal.abort(new Error("too late"));
  const never = pool.submit([flags, 0], { export: "mark", signal: pre });
  assert.equal(((await rejection(never, "pre-aborted")) as Error).message, "too late");

  for (const i of aborted) assert.equal(await rejection(tasks[i - 1]!, `task ${i}`), reason);
  release.set();
  assert.equal(await within(blocker, "blocker"), "done");
  for (let i = 1; i <= count; i++) {
    if (!aborted.has(i)) assert.equal(await within(tasks[i - 1]!, `task ${i}`), i);
  }
  for (const i of aborted) assert.equal(Atomics.load(flags, i), 0, `aborted task ${i} ran`);
  assert.equal(Atomics.load(flags, 0), count - aborted.size, "tasks that ran");
});

test("ThreadPool: aborting a running task rejects it with the reason; its worker is terminated and replaced", async () => {
  await using pool = new ThreadPool(OPS, { size: 1 });
  const first = await within(pool.submit<{ ident: number }>([], { export: "whoAmI" }), "who");
  const started = new Event();
  const release = new Event();
  const controller = new AbortController();
  const running = pool.submit([started, release, "never"], {
    export: "block",
    signal: controller.signal,
  });
  await waitFor(started, "the task runs");
  const reason = new Error("stop it");
  controller.abort(reason);
  assert.equal(await rejection(running, "aborted running task"), reason);
  // The replacement takes the next tasks (the old worker is gone, or, on Deno, ends once the
  // blocked task returns).
  const next = await within(pool.submit<{ ident: number }>([], { export: "whoAmI" }), "who");
  assert.notEqual(next.ident, first.ident);
  assert.equal(await within(pool.submit([1]), "after abort"), 2);
  release.set();
});

test("ThreadPool: close() waits for running and queued tasks; later submits reject", async () => {
  const pool = new ThreadPool(OPS, { size: 2 });
  const tasks = Array.from(
    { length: 20 },
    (_, i) => pool.submit<number>([5, i], { export: "sleepThenReturn" }),
  );
  await within(pool.close(), "close");
  assert.deepEqual(
    await within(Promise.all(tasks), "tasks"),
    Array.from({ length: 20 }, (_, i) => i),
  );
  const late = await rejection(pool.submit([1]), "submit after close");
  assert.match((late as Error).message, /is closed/);
  assert.throws(() => pool.map([1]), /is closed/);
  await within(pool.close(), "second close"); // idempotent
});

test("ThreadPool: close({ cancelPending }) cancels queued tasks (they never run) and waits for running ones", async () => {
  const pool = new ThreadPool(OPS, { size: 1 });
  const started = new Event();
  const release = new Event();
  const running = pool.submit([started, release, "finished"], { export: "block" });
  await waitFor(started, "the task runs");
  const flags = new Int32Array(new SharedArrayBuffer(4 * 11));
  const queued = Array.from(
    { length: 10 },
    (_, i) => pool.submit([flags, i + 1], { export: "mark" }),
  );
  const closing = pool.close({ cancelPending: true });
  for (const task of queued) {
    const error = await rejection(task, "cancelled task") as DOMException;
    assert.equal(error.name, "AbortError");
  }
  release.set();
  await within(closing, "close");
  assert.equal(await within(running, "running task"), "finished");
  assert.equal(Atomics.load(flags, 0), 0, "a cancelled task ran");
  assert.ok(await rejection(pool.submit([1]), "submit after close") instanceof Error);
});

test("ThreadPool: args carry a Lock and a Queue (and results carry primitives back)", async () => {
  await using pool = new ThreadPool(OPS, { size: 2 });
  // Both workers exist before the primitives are first sent: they learn of the primitives'
  // buffers from their ports, not from their start messages.
  const who = await within(
    Promise.all([1, 2, 3, 4].map(() => pool.submit<{ ident: number }>([], { export: "whoAmI" }))),
    "warm-up",
  );
  assert.ok(who.length === 4);
  const lock = new Lock();
  const queue = new Queue<string>();
  lock.acquireSync();
  // The task blocks on our lock: its put comes only after we release.
  const task = pool.submit([{ lock, queue }, "from task"], { export: "useLockAndQueue" });
  assert.equal(queue.empty(), true);
  lock.release();
  assert.equal(await within(task, "lock and queue task"), true);
  assert.equal(await queue.get({ timeout: WAIT_MS }), "from task");
  assert.equal(lock.locked, false);
  // Many tasks with the same primitives, then a primitive as a result.
  await within(
    Promise.all(
      Array.from(
        { length: 100 },
        (_, i) => pool.submit([{ lock, queue }, `n${i}`], { export: "useLockAndQueue" }),
      ),
    ),
    "100 tasks",
  );
  assert.equal(queue.qsize(), 100);
  const back = await within(pool.submit<Lock>([lock], { export: "echo" }), "echo");
  assert.ok(back instanceof Lock);
  assert.equal(back.tryAcquire(), true);
  assert.equal(lock.locked, true, "the returned lock is the same shared memory");
  lock.release();
});

test("ThreadPool: arguments larger than the shared ring still travel", async () => {
  await using pool = new ThreadPool(OPS, { size: 1 });
  const values = new Float64Array(200_000).fill(0.5); // 1.6 MB
  assert.equal(await within(pool.submit([values], { export: "sum" }), "large args"), 100_000);
});

test("ThreadPool: bad arguments are TypeError/RangeError", async () => {
  assert.throws(() => new ThreadPool(42 as unknown as string), TypeError);
  assert.throws(() => new ThreadPool(OPS, { size: 0 }), RangeError);
  assert.throws(() => new ThreadPool(OPS, { size: 1.5 }), RangeError);
  assert.throws(() => new ThreadPool(OPS, { size: "2" as unknown as number }), TypeError);
  const pool = new ThreadPool(OPS);
  assert.ok(pool.size >= 1);
  await assert.rejects(pool.submit(5 as unknown as unknown[]), TypeError);
  await assert.rejects(pool.submit([], { export: "" }), TypeError);
  await assert.rejects(pool.submit([], { signal: {} as AbortSignal }), TypeError);
  await assert.rejects(pool.submit([() => 1]), TypeError);
  assert.throws(() => pool.map(5 as unknown as number[]), TypeError);
  assert.throws(() => pool.map([], { ordered: 1 as unknown as boolean }), TypeError);
  await assert.rejects(pool.close({ cancelPending: "yes" as unknown as boolean }), TypeError);
  await within(pool.close(), "close");
});

test("ThreadPool: keeps the process alive while tasks are pending, and not when idle or closed", async () => {
  const [forgotten, pending, closed] = await Promise.all([
    runMain("forgotten"),
    runMain("pending"),
    runMain("closed"),
  ]);
  assert.equal(forgotten.code, 0, forgotten.stderr);
  assert.match(forgotten.stdout, /result 42/);
  assert.equal(pending.code, 0, pending.stderr);
  assert.match(pending.stdout, /main done\nresult late/);
  assert.equal(closed.code, 0, closed.stderr);
  assert.match(closed.stdout, /closed \[ 2, 3, 4 \]|closed 2,3,4|closed \[2, 3, 4\]/);
});
