/**
 * The line of one thread's async acquires of one `Lock` or `Semaphore` object
 * (`acquireBehind`, `src/internal/line.ts`): only its head parks, the calls that wait are served
 * in call order, and a call that times out or is aborted in the line leaves it without holding
 * up the others. Before the line, each pending acquire parked a `waitAsync` of its own, and
 * every release woke them all (so N tasks of one thread handing a lock on cost O(N) a hand-off).
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { Lock, NotOwnedError, Semaphore } from "../mod.ts";
import { pendingAsyncWaits } from "../src/internal/futex.ts";
import { slotsOf } from "./fixtures/checks.ts";
import { settleWithin, spawn, until } from "./helpers.ts";

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

/** A signal-like object (`signalOf` takes one) over an EventTarget, with `aborted` as given. */
function signalLike(aborted: () => boolean, addEventListener?: () => void): AbortSignal {
  const target = new EventTarget();
  return {
    get aborted() {
      return aborted();
    },
    addEventListener: addEventListener ?? target.addEventListener.bind(target),
    removeEventListener: target.removeEventListener.bind(target),
  } as unknown as AbortSignal;
}

test("Semaphore: the head of the line settles before the call behind it, served in the same release", async () => {
  // The head's outcome used to reach its promise through a `.then` after its wait, a hop after
  // its `done()` let the next call take the second permit and settle at once.
  const sem = new Semaphore(0);
  const order: string[] = [];
  const a = sem.acquire({ timeout: 20_000 }).then((ok) => order.push(`A ${ok}`));
  const b = sem.acquire({ timeout: 20_000 }).then((ok) => order.push(`B ${ok}`));
  sem.release(2);
  await Promise.all([a, b]);
  assert.deepEqual(order, ["A true", "B true"]);
});

for (const [kind, make] of kinds) {
  test(`${kind}: a call whose signal-like object refuses its listener rejects and leaves nothing in the line`, async () => {
    const p = make();
    p.acquireSync();
    const refuse = () => {
      throw new Error("listener refused");
    };
    // Behind a waiting call: it used to stay in the line and take the lock at its turn.
    const head = p.acquire({ timeout: 20_000 });
    const behind = p.acquire({ timeout: 20_000, signal: signalLike(() => false, refuse) });
    assert.equal(await settleWithin(behind, 2_000), "rejected listener refused");
    p.release();
    assert.equal(await head, true);
    p.release();
    // As the head: it threw out of acquire() and held the line for good.
    p.acquireSync();
    const first = p.acquire({ timeout: 20_000, signal: signalLike(() => false, refuse) });
    assert.equal(await settleWithin(first, 2_000), "rejected listener refused");
    p.release();
    assert.equal(await settleWithin(p.acquire({ timeout: 2_000 }), 5_000), "resolved true");
    p.release();
    assert.equal(pendingAsyncWaits(), 0);
  });

  test(`${kind}: a head whose signal's aborted getter throws rejects with that error, and the line goes on`, async () => {
    const p = make();
    p.acquireSync();
    let reads = 0;
    const signal = signalLike(() => {
      if (++reads >= 3) throw new Error("aborted getter threw"); // after validation
      return false;
    });
    const head = p.acquire({ timeout: 20_000, signal });
    assert.equal(await settleWithin(head, 2_000), "rejected aborted getter threw");
    p.release();
    assert.equal(await settleWithin(p.acquire({ timeout: 2_000 }), 5_000), "resolved true");
    p.release();
    assert.equal(pendingAsyncWaits(), 0);
  });

  test(`${kind}: a head aborted through a signal whose reason getter throws rejects with that error, and the line goes on`, async () => {
    const p = make();
    p.acquireSync();
    const controller = new AbortController();
    Object.defineProperty(controller.signal, "reason", {
      get() {
        throw new Error("reason getter threw");
      },
    });
    const head = p.acquire({ signal: controller.signal });
    controller.abort();
    assert.equal(await settleWithin(head, 2_000), "rejected reason getter threw");
    p.release();
    assert.equal(await settleWithin(p.acquire({ timeout: 2_000 }), 5_000), "resolved true");
    p.release();
    assert.equal(pendingAsyncWaits(), 0);
  });

  test(`${kind}: describe() counts this thread's acquires waiting in the line`, async () => {
    const p = make() as Acquirable & { describe(): { waiters: number } };
    p.acquireSync();
    const order: number[] = [];
    const all = acquireAll(p, 10, order);
    assert.equal(p.describe().waiters, 10);
    p.release();
    await Promise.all(all);
    // (A Lock's count includes registrations not yet settled: self-woken ones settle a task later.)
    await until(() => p.describe().waiters === 0, "nobody counted", 5_000);
  });
}

for (const [name, make] of kinds) {
  // A release that handed the word straight to the waiting async acquire (kept held for it)
  // made the thread's own sync acquire right after it wait for itself for ever (a try failed);
  // the release frees it, and the sync forms go ahead of the line (tried, then reverted:
  // 2026-12-05, a6b210d).
  test(`${name}: right after a release, the thread's own sync acquire goes ahead of its waiting async one`, async () => {
    const p = make();
    p.acquireSync();
    const waiting = p.acquire({ timeout: 10_000 });
    p.release();
    assert.equal(p.acquireSync({ timeout: 2_000 }), true, "taken at once, not waited for");
    p.release();
    assert.equal(await settleWithin(waiting, 10_000), "resolved true");
    p.release();
    assert.equal(pendingAsyncWaits(), 0);
  });
}

test("Lock: a second release right after the one that let a waiting async acquire in throws NotOwnedError", async () => {
  const lock = new Lock();
  lock.acquireSync();
  const waiting = lock.acquire({ timeout: 10_000 });
  lock.release();
  assert.throws(() => lock.release(), NotOwnedError, "the lock is free until the acquire takes it");
  assert.equal(await settleWithin(waiting, 10_000), "resolved true");
  assert.equal(lock.locked, true);
  lock.release();
  assert.equal(pendingAsyncWaits(), 0);
});
