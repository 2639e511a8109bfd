/**
 * The line of one thread's async writes of one `RWLock` object (`write()`, through
 * `acquireBehind`, `src/internal/line.ts`): only its head parks, the writes that wait are served
 * in call order, a write that times out or is aborted in the line leaves it without holding up
 * the others, and the thread's sync reads still see its pending writes (they barge: the module
 * doc's "This thread's own waiting writer"). Before the line, each waiting write parked a
 * `waitAsync` of its own and every release woke them all.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { RWLock, TimeoutError } from "../mod.ts";
import type { Guard } from "../mod.ts";
import { pendingAsyncWaits } from "../src/internal/futex.ts";
import { settleWithin, spawn, until } from "./helpers.ts";
import { ctlBlock, signal, timed } from "./fixtures/checks.ts";

const OPS = new URL("./fixtures/extra_ops.ts", import.meta.url);

/** A worker holds `rw` (`kind`) until `release()`; resolves once it holds it. */
async function heldInWorker(rw: RWLock, kind: "read" | "write") {
  const ctl = ctlBlock();
  const running = spawn(
    "rwAcquire",
    {
      handle: rw.handle,
      kind,
      mode: "sync",
      timeout: 10_000,
      ctl: ctl.buffer,
      acquired: 0,
      releaseWhen: 1,
    },
    30_000,
    OPS,
  );
  await until(() => Atomics.load(ctl.i32, 0) === 1, `the worker holds it (${kind})`, 10_000);
  return { result: running.result, release: () => signal(ctl.i32, 1) };
}

/** `n` writes of `rw`, each releasing once it has noted its index in `order`. */
function writeAll(rw: RWLock, n: number, order: number[], timeout = 20_000) {
  return Array.from({ length: n }, (_, i) =>
    rw.write({ timeout }).then((guard) => {
      order.push(i);
      guard.release();
    }));
}

/** A write's outcome: its guard, or "timed out". */
function outcome(write: Promise<Guard>): Promise<Guard | "timed out"> {
  return write.catch((error) => {
    if (error instanceof TimeoutError) return "timed out" as const;
    throw error;
  });
}

test("RWLock: a thread's 200 pending writes park one waitAsync between them, and are served in call order", async () => {
  const rw = new RWLock();
  const held = rw.writeSync();
  const order: number[] = [];
  const all = writeAll(rw, 200, order);
  assert.equal(pendingAsyncWaits(), 1, "only the head of the line parks");
  assert.equal(rw.describe().waiters, 200, "describe() counts the writes in line");
  held.release();
  await Promise.all(all);
  assert.deepEqual(order, Array.from({ length: 200 }, (_, i) => i));
  await until(() => pendingAsyncWaits() === 0, "no wait pending", 5_000);
  assert.equal(rw.describe().waiters, 0);
});

test("RWLock: released by another thread, this thread's waiting writes follow in call order", async () => {
  const rw = new RWLock();
  const holder = await heldInWorker(rw, "write");
  const order: number[] = [];
  const all = writeAll(rw, 30, order);
  assert.equal(pendingAsyncWaits(), 1, "only the head of the line parks");
  holder.release();
  await holder.result;
  await Promise.all(all);
  assert.deepEqual(order, Array.from({ length: 30 }, (_, i) => i));
});

test("RWLock: a write that times out in the line rejects with TimeoutError; the writes around it go on", async () => {
  const rw = new RWLock();
  const held = rw.writeSync();
  const head = outcome(rw.write({ timeout: 20_000 }));
  const late = outcome(rw.write({ timeout: 30 }));
  const third = outcome(rw.write({ timeout: 20_000 }));
  assert.equal(await late, "timed out");
  held.release();
  const first = await head;
  assert.notEqual(first, "timed out");
  (first as Guard).release();
  const last = await third;
  assert.notEqual(last, "timed out");
  (last as Guard).release();
  await until(() => pendingAsyncWaits() === 0, "no wait pending", 5_000);
  assert.equal(rw.describe().value, 0);
});

test("RWLock: a write aborted in the line rejects with the reason; the writes around it go on", async () => {
  const rw = new RWLock();
  const held = rw.writeSync();
  const head = rw.write({ timeout: 20_000 });
  const controller = new AbortController();
  const aborted = rw.write({ timeout: 20_000, signal: controller.signal });
  const third = rw.write({ timeout: 20_000 });
  const reason = new Error("no longer wanted");
  controller.abort(reason);
  await assert.rejects(aborted, (error) => error === reason);
  held.release();
  (await head).release();
  (await third).release();
  await until(() => pendingAsyncWaits() === 0, "no wait pending", 5_000);
});

test("RWLock: when the head of the line times out, the next write parks and gets it", async () => {
  const rw = new RWLock();
  const held = rw.writeSync();
  const head = outcome(rw.write({ timeout: 30 }));
  const next = rw.write({ timeout: 20_000 });
  assert.equal(await head, "timed out");
  await until(() => pendingAsyncWaits() === 1, "the next write parked", 5_000);
  held.release();
  (await next).release();
});

test("RWLock: a later write of the thread waits behind its earlier ones, even when it finds the lock free", async () => {
  const rw = new RWLock();
  const held = rw.writeSync();
  const order: string[] = [];
  const head = rw.write({ timeout: 20_000 }).then((guard) => {
    order.push("head");
    guard.release();
  });
  held.release(); // free now; the head's wake is a microtask away
  const later = rw.write({ timeout: 20_000 }).then((guard) => {
    order.push("later");
    guard.release();
  });
  await Promise.all([head, later]);
  assert.deepEqual(order, ["head", "later"]);
});

test("RWLock: a zero timeout only tries, even behind waiting writes of this thread", async () => {
  const rw = new RWLock();
  const held = rw.writeSync();
  const head = rw.write({ timeout: 20_000 });
  assert.equal(await outcome(rw.write({ timeout: 0 })), "timed out");
  held.release();
  (await head).release();
});

test("RWLock: readSync of a thread whose writes wait in line is not held back by waiting writers", async () => {
  const rw = new RWLock();
  // A worker reads; this thread's three writes wait (the head counted on the word, two in line).
  const reader = await heldInWorker(rw, "read");
  const writes = [0, 1, 2].map(() => rw.write({ timeout: 20_000 }));
  const t = await timed(() => rw.readSync({ timeout: 3_000 }));
  assert.ok(t.elapsed < 1_000, `readSync waited ${t.elapsed.toFixed(0)} ms`);
  t.value.release();
  reader.release();
  await reader.result;
  for (const write of writes) (await write).release();
  assert.equal(rw.describe().value, 0);
});

test("RWLock: the async-writer registrations are all uncounted once a line of 50 is through", async () => {
  const rw = new RWLock();
  const held = rw.writeSync();
  const order: number[] = [];
  const all = writeAll(rw, 50, order);
  held.release();
  assert.equal(await settleWithin(Promise.all(all).then(() => "all"), 10_000), "resolved all");
  await until(() => pendingAsyncWaits() === 0, "no wait pending", 5_000);
  assert.equal(rw.describe().waiters, 0);
});
