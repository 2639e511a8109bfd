/**
 * The line of one thread's async acquires of one `Lock` or `Semaphore` object
 * (`acquireInLine`, `src/internal/line.ts`): only its head parks, the calls that wait are served
 * in call order, and a call that times out or is aborted in the line leaves it without holding
 * up the others. Before the line, each pending acquire parked a `waitAsync` of its own, and
 * every release woke them all (so N tasks of one thread handing a lock on cost O(N) a hand-off).
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { Lock, Semaphore } from "../mod.ts";
import { pendingAsyncWaits } from "../src/internal/futex.ts";
import { slotsOf } from "./fixtures/checks.ts";
import { spawn, until } from "./helpers.ts";

interface Acquirable {
  acquire(options?: { timeout?: number; signal?: AbortSignal }): Promise<boolean>;
  acquireSync(options?: { timeout?: number }): boolean;
  release(): void;
  readonly handle: { buffer: ArrayBufferLike; byteOffset: number };
}

const kinds: [string, () => Acquirable][] = [
  ["Lock", () => new Lock()],
  ["Semaphore(1)", () => new Semaphore(1)],
];

/** `n` acquires of `p`, each releasing once it has noted its index in `order`. */
function acquireAll(p: Acquirable, n: number, order: number[], timeout = 20_000) {
  return Array.from({ length: n }, (_, i) =>
    p.acquire({ timeout }).then((ok) => {
      assert.equal(ok, true, `acquire ${i}`);
      order.push(i);
      p.release();
    }));
}

for (const [kind, make] of kinds) {
  test(`${kind}: a thread's 200 pending acquires park one waitAsync between them, and are served in call order`, async () => {
    const p = make();
    p.acquireSync();
    const order: number[] = [];
    const all = acquireAll(p, 200, order);
    assert.equal(pendingAsyncWaits(), 1, "only the head of the line parks");
    p.release();
    await Promise.all(all);
    assert.deepEqual(order, Array.from({ length: 200 }, (_, i) => i));
    await until(() => pendingAsyncWaits() === 0, "no wait pending", 5_000);
  });

  test(`${kind}: released by another thread, this thread's waiting acquires follow in call order`, async () => {
    const p = make();
    const ctl = new SharedArrayBuffer(16);
    const ctl32 = new Int32Array(ctl);
    const holder = spawn("holdUntil", { handle: p.handle, ctl, holding: 0, releaseWhen: 1 });
    await until(() => Atomics.load(ctl32, 0) === 1, "the worker holds it", 10_000);
    const order: number[] = [];
    const all = acquireAll(p, 30, order);
    assert.equal(pendingAsyncWaits(), 1, "only the head of the line parks");
    Atomics.store(ctl32, 1, 1);
    Atomics.notify(ctl32, 1);
    await holder.result;
    await Promise.all(all);
    assert.deepEqual(order, Array.from({ length: 30 }, (_, i) => i));
  });

  test(`${kind}: a call that times out in the line resolves false; the calls around it go on`, async () => {
    const p = make();
    p.acquireSync();
    const head = p.acquire({ timeout: 20_000 });
    const late = p.acquire({ timeout: 30 });
    const third = p.acquire({ timeout: 20_000 });
    assert.equal(await late, false);
    p.release();
    assert.equal(await head, true);
    p.release();
    assert.equal(await third, true);
    p.release();
    await until(() => pendingAsyncWaits() === 0, "no wait pending", 5_000);
  });

  test(`${kind}: a call aborted in the line rejects with the reason; the calls around it go on`, async () => {
    const p = make();
    p.acquireSync();
    const head = p.acquire({ timeout: 20_000 });
    const controller = new AbortController();
    const aborted = p.acquire({ timeout: 20_000, signal: controller.signal });
    const third = p.acquire({ timeout: 20_000 });
    const reason = new Error("no longer wanted");
    controller.abort(reason);
    await assert.rejects(aborted, (error) => error === reason);
    p.release();
    assert.equal(await head, true);
    p.release();
    assert.equal(await third, true);
    p.release();
  });

  test(`${kind}: when the head of the line times out, the next call parks and gets it`, async () => {
    const p = make();
    p.acquireSync();
    const head = p.acquire({ timeout: 30 });
    const next = p.acquire({ timeout: 20_000 });
    assert.equal(await head, false);
    await until(() => pendingAsyncWaits() === 1, "the next call parked", 5_000);
    p.release();
    assert.equal(await next, true);
    p.release();
  });

  test(`${kind}: a later acquire of the thread waits behind its earlier ones, even when it finds the lock free`, async () => {
    const p = make();
    p.acquireSync();
    const order: string[] = [];
    const head = p.acquire({ timeout: 20_000 }).then((ok) => {
      order.push(`head ${ok}`);
      p.release();
    });
    p.release(); // free now; the head's wake is a microtask away
    const later = p.acquire({ timeout: 20_000 }).then((ok) => {
      order.push(`later ${ok}`);
      p.release();
    });
    await Promise.all([head, later]);
    assert.deepEqual(order, ["head true", "later true"]);
  });

  test(`${kind}: a zero timeout only tries, even behind waiting acquires of this thread`, async () => {
    const p = make();
    p.acquireSync();
    const head = p.acquire({ timeout: 20_000 });
    assert.equal(await p.acquire({ timeout: 0 }), false);
    p.release();
    assert.equal(await head, true);
    p.release();
  });
}

test("Lock: the async-waiter count is back to 0 once a line of 50 is through", async () => {
  const lock = new Lock();
  const slots = slotsOf(lock.handle as never, 2);
  lock.acquireSync();
  const order: number[] = [];
  const all = acquireAll(lock, 50, order);
  assert.ok(Atomics.load(slots, 1) <= 1, `one registration counted, not ${slots[1]}`);
  lock.release();
  await Promise.all(all);
  await until(() => Atomics.load(slots, 1) === 0, "every registration uncounted", 5_000);
  assert.equal(lock.locked, false);
});
