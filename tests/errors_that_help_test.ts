/**
 * Errors that help (issue 11): each names what went wrong and how to fix it.
 * - `X.from` accepts the structured clone of the primitive itself (a posted Lock arrives as
 *   `{ handle }`), and otherwise says to pass the primitive's `.handle`;
 * - a module path that does not resolve to a file says how it was resolved (against the current
 *   directory) and how to resolve it against one's own module instead;
 * - args that cannot be cloned are named by index and type (Bun's own message, "The object can
 *   not be cloned", names neither).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Barrier,
  Condition,
  Event,
  Lock,
  Queue,
  RLock,
  Semaphore,
  Thread,
  ThreadPool,
} from "../mod.ts";

const OPS = new URL("./fixtures/thread_ops.ts", import.meta.url);

test("X.from accepts a posted primitive (its structured clone) as well as its handle", async () => {
  const lock = new Lock();
  const posted = structuredClone(lock) as unknown;
  // What arrives: the public `handle`, nothing of the private state.
  assert.deepEqual(Object.keys(posted as object), ["handle"]);
  const opened = Lock.from(posted as never);
  assert.equal(opened.tryAcquire(), true);
  assert.equal(lock.locked, true);
  lock.release();
  // Through a real port too, and for primitives with nested handles.
  const { port1, port2 } = new MessageChannel();
  const cond = new Condition(new Lock());
  const queue = new Queue<number>();
  const arrived = new Promise<unknown>((resolve) => port2.onmessage = (e) => resolve(e.data));
  port1.postMessage({ cond, queue, rlock: new RLock(), sem: new Semaphore(2), ev: new Event() });
  const data = await arrived as Record<string, unknown>;
  port1.close();
  port2.close();
  const c = Condition.from(data.cond as never);
  assert.equal(c.lock instanceof Lock, true);
  const q = Queue.from(data.queue as never);
  q.putNowait(7);
  assert.equal(queue.getNowait(), 7);
  RLock.from(data.rlock as never);
  assert.equal(Semaphore.from(data.sem as never).acquireSync({ timeout: 0 }), true);
  Event.from(data.ev as never);
  // A primitive of another kind is still refused, saying so.
  assert.throws(
    () => Barrier.from(data.ev as never),
    /Cannot open Barrier: the handle is of a Event/,
  );
});

test("X.from of something that is no handle says to pass the primitive's .handle", () => {
  for (const bad of [{}, { handle: 1 }, "lock", null]) {
    assert.throws(
      () => Lock.from(bad as never),
      (e: Error) =>
        e instanceof TypeError &&
        /^Cannot open Lock: expected a threadkit handle \(a primitive's `\.handle`\), got /.test(
          e.message,
        ),
    );
  }
});

test("a relative module path that does not exist says it was resolved against the current directory", () => {
  for (const make of [(m: string) => new Thread(m), (m: string) => new ThreadPool(m)]) {
    assert.throws(
      () => make("./no/such/work.ts"),
      (e: Error) =>
        e instanceof TypeError &&
        e.message.includes(`"./no/such/work.ts"`) &&
        e.message.includes("resolved against the current directory") &&
        e.message.includes('new URL("./no/such/work.ts", import.meta.url)'),
    );
  }
  assert.throws(() => new Thread("/no/such/work.ts"), /the file .*work\.ts does not exist/);
  // A path that exists resolves (against the current directory) as before.
  const here = decodeURIComponent(OPS.pathname);
  new Thread(here);
});

test("args that cannot be cloned are named by index and type", async () => {
  const t = new Thread(OPS, { export: "echo", args: [1, () => 1] });
  assert.throws(() => t.start(), (e: Error) => {
    assert.ok(e instanceof TypeError);
    assert.match(
      e.message,
      /^Cannot start thread "[^"]+": argument 1 \(a function\) cannot be cloned: /,
    );
    return true;
  });
  assert.equal(t.isAlive(), false);
  const t2 = new Thread(OPS, { export: "echo", args: [{ ok: 1 }, 2, Symbol("s")] });
  assert.throws(() => t2.start(), /argument 2 \(a symbol\) cannot be cloned/);
  const pool = new ThreadPool(OPS, { size: 1 });
  try {
    await assert.rejects(
      pool.submit(["x", { f: () => 1 }], { export: "echo" }),
      /^TypeError: Cannot submit task: argument 1 \(a plain object\) cannot be cloned: /,
    );
  } finally {
    await pool.close();
  }
});
