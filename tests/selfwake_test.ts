/**
 * Self-wakes: a wake this thread sends to a slot where one of its own async waits is parked
 * ends that wait in a microtask, instead of through the runtime's `waitAsync` settlement, a task
 * that reaches this thread's event loop later (110-300 µs here). Several async tasks of one
 * thread that share a lock, a semaphore or a queue hand it to each other that way.
 *
 * Each test parks an async wait of this thread (checked: `pendingAsyncWaits()`), does the wake
 * from this same thread, and asserts that the wait settles within a bounded number of microtask
 * turns, where no task can run. It then waits for the real settlement (a timer tick later) and
 * checks that it changed nothing: the wait settled once, and the slot's async-waiter count went
 * back to 0 (each registration uncounted exactly once).
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Barrier,
  Condition,
  Event,
  Lock,
  PriorityQueue,
  Queue,
  RWLock,
  Semaphore,
} from "../mod.ts";
import { pendingAsyncWaits } from "../src/internal/futex.ts";
import { slotsOf, timerFiresDuring } from "./fixtures/checks.ts";
import { sleep, until } from "./helpers.ts";

/** Whether `promise` settles within `turns` microtask turns (no task runs meanwhile). */
async function settlesInMicrotasks(promise: Promise<unknown>, turns = 50): Promise<boolean> {
  let settled = false;
  const mark = () => {
    settled = true;
  };
  promise.then(mark, mark);
  for (let i = 0; i < turns && !settled; i++) await null;
  return settled;
}

/** After the late settlement of the real `waitAsync`: nothing pending, the count back to 0. */
async function settledOnce(asyncCount: () => number): Promise<void> {
  await until(
    () => pendingAsyncWaits() === 0 && asyncCount() === 0,
    "the registration has settled",
    5_000,
  );
  await sleep(20);
  assert.equal(pendingAsyncWaits(), 0);
  assert.equal(asyncCount(), 0);
}

test("self-wake: a Lock released by this thread goes to its parked acquire() in a microtask", async () => {
  const lock = new Lock();
  const slots = slotsOf(lock.handle, 2);
  lock.acquireSync();
  const acquired = lock.acquire({ timeout: 10_000 });
  assert.equal(pendingAsyncWaits(), 1, "the acquire parked");
  lock.release();
  assert.equal(await settlesInMicrotasks(acquired), true);
  assert.equal(await acquired, true);
  // Uncounted at the wake, not at the settlement a task later (a thread that ends first, as a
  // `Thread` returning right after such a hand-off, left the count raised for good).
  assert.equal(slots[1], 0, "uncounted at once");
  assert.equal(lock.locked, true);
  lock.release();
  await settledOnce(() => slots[1]!);
});

test("self-wake: two tasks of one thread ping-ponging still let a timer run (a bounded run of self-wakes per loop turn)", async () => {
  // Unbounded, the two tasks handed over in microtasks for ever: the timer below never fired,
  // and the registrations left behind piled up (130,000 in 1.5 s).
  const ping = new Semaphore(0);
  const pong = new Semaphore(0);
  let rounds = 0;
  const firedAt = await timerFiresDuring(async (running) => {
    const a = (async () => {
      while (running()) {
        ping.release();
        if (!await pong.acquire({ timeout: 10_000 })) throw new Error("pong timed out");
        rounds++;
      }
      ping.release(); // let the other side out
    })();
    const b = (async () => {
      while (running()) {
        if (!await ping.acquire({ timeout: 10_000 })) throw new Error("ping timed out");
        pong.release();
      }
      pong.release();
    })();
    await Promise.all([a, b]);
  });
  assert.ok(firedAt < 1_500, `the 50 ms timer fired at ${firedAt.toFixed(0)} ms`);
  assert.ok(rounds > 0);
  await until(() => pendingAsyncWaits() === 0, "nothing pending", 5_000);
  assert.equal(ping.describe().waiters + pong.describe().waiters, 0);
});

test("self-wake: a Semaphore released by this thread ends its parked acquire() in a microtask", async () => {
  const sem = new Semaphore(0);
  const acquired = sem.acquire({ timeout: 10_000 });
  assert.equal(pendingAsyncWaits(), 1, "the acquire parked");
  sem.release();
  assert.equal(await settlesInMicrotasks(acquired), true);
  assert.equal(await acquired, true);
  assert.equal(sem.value, 0);
  await settledOnce(() => pendingAsyncWaits());
});

test("self-wake: an Event set by this thread ends its parked wait() in a microtask", async () => {
  const event = new Event();
  const waited = event.wait({ timeout: 10_000 });
  assert.equal(pendingAsyncWaits(), 1, "the wait parked");
  event.set();
  assert.equal(await settlesInMicrotasks(waited), true);
  assert.equal(await waited, true);
  await settledOnce(() => pendingAsyncWaits());
});

for (const kind of ["Queue", "PriorityQueue"] as const) {
  test(`self-wake: a put by this thread ends its parked ${kind} get() in a microtask`, async () => {
    const queue = kind === "Queue" ? new Queue<number>() : new PriorityQueue<number>();
    const got = queue.get({ timeout: 10_000 });
    assert.equal(pendingAsyncWaits(), 1, "the get parked");
    queue.putNowait(7);
    assert.equal(await settlesInMicrotasks(got), true);
    assert.equal(await got, 7);
    assert.equal(queue.qsize(), 0);
    await settledOnce(() => pendingAsyncWaits());
  });
}

test("self-wake: a Condition notified by this thread ends its parked wait() in a microtask", async () => {
  const cond = new Condition();
  await cond.acquire();
  const waited = cond.wait({ timeout: 10_000 });
  assert.equal(pendingAsyncWaits(), 1, "the wait parked");
  cond.acquireSync({ timeout: 10_000 }); // the wait released the lock
  cond.notify();
  cond.release(); // the deferred wake goes out here
  assert.equal(await settlesInMicrotasks(waited), true);
  assert.equal(await waited, true);
  cond.release();
  await settledOnce(() => pendingAsyncWaits());
});

test("self-wake: an RWLock written by this thread goes to its parked write() in a microtask", async () => {
  const rw = new RWLock();
  const held = rw.writeSync();
  const writing = rw.write({ timeout: 10_000 });
  assert.equal(pendingAsyncWaits(), 1, "the write parked");
  held.release();
  assert.equal(await settlesInMicrotasks(writing), true);
  (await writing).release();
  assert.equal(rw.writeLocked, false);
  await settledOnce(() => pendingAsyncWaits());
});

test("self-wake: a Barrier's last arrival by this thread ends its other parked wait() in a microtask", async () => {
  const barrier = new Barrier(2);
  const first = barrier.wait({ timeout: 10_000 });
  assert.equal(pendingAsyncWaits(), 1, "the first wait parked");
  const last = barrier.wait({ timeout: 10_000 });
  assert.equal(await settlesInMicrotasks(first), true);
  const indexes = [await first, await last].sort();
  assert.deepEqual(indexes, [0, 1]);
  await settledOnce(() => pendingAsyncWaits());
});

test("self-wake: a wake after the wait has moved on is ignored; the real settlement resumes nothing twice", async () => {
  // Two acquires of one Lock by this thread, the second parked behind the first: the release
  // self-wakes one; the late settlements of both registrations must not resume either again.
  const lock = new Lock();
  const slots = slotsOf(lock.handle, 2);
  lock.acquireSync();
  const order: string[] = [];
  const first = lock.acquire({ timeout: 10_000 }).then((ok) => {
    order.push("first");
    return ok;
  });
  const second = lock.acquire({ timeout: 10_000 }).then((ok) => {
    order.push("second");
    return ok;
  });
  lock.release();
  assert.equal(await first, true);
  lock.release();
  assert.equal(await second, true);
  lock.release();
  assert.deepEqual(order, ["first", "second"]);
  assert.equal(lock.locked, false);
  await settledOnce(() => slots[1]!);
  assert.equal(lock.locked, false);
});
