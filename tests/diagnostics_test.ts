/**
 * Diagnostics: primitive names, `describe()`, names in timeout errors, and the deadlock detector
 * (`enableDeadlockDetection`), across real threads on every runtime. Every wait is bounded.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Barrier,
  BoundedSemaphore,
  Condition,
  currentThread,
  enableDeadlockDetection,
  Event,
  Lock,
  RLock,
  RWLock,
  Semaphore,
  Thread,
} from "../mod.ts";
import { until } from "./helpers.ts";
import type { Outcome } from "./fixtures/diagnostics_ops.ts";

const OPS = new URL("./fixtures/diagnostics_ops.ts", import.meta.url);
/** Bound of every wait inside the fixtures. */
const WAIT_MS = 20_000;
/** Bound of every join. */
const JOIN_MS = 60_000;

function thread<R>(exportName: string, name: string, args: unknown[]) {
  // R is a result type here; in generic code TypeScript cannot tell, so the options go untyped.
  const t = new Thread<R>(OPS, { export: exportName, args, name } as never);
  t.start();
  return t;
}

/** Two named threads take two locks in opposite order; returns both outcomes. */
async function oppositeOrder(make: (name: string) => Lock | RLock): Promise<Outcome[]> {
  const a = make("accounts");
  const b = make("orders");
  const barrier = new Barrier(2);
  const one = thread<Outcome>("opposite", "worker-1", [a, b, barrier, WAIT_MS]);
  const two = thread<Outcome>("opposite", "worker-2", [b, a, barrier, WAIT_MS]);
  return await Promise.all([one.join({ timeout: JOIN_MS }), two.join({ timeout: JOIN_MS })]);
}

function assertOneDeadlock(outcomes: Outcome[], noun: string): void {
  const deadlocks = outcomes.filter((o) => o.outcome === "deadlock");
  assert.equal(
    deadlocks.length,
    1,
    `exactly one thread gets DeadlockError: ${JSON.stringify(outcomes)}`,
  );
  assert.equal(outcomes.filter((o) => o.outcome === "acquired").length, 1, "the other proceeds");
  const { message, cycle } = deadlocks[0]!;
  for (const part of ['"worker-1"', '"worker-2"', `${noun} "accounts"`, `${noun} "orders"`]) {
    assert.ok(message!.includes(part), `the message names ${part}: ${message}`);
  }
  assert.match(
    message!,
    new RegExp(
      `^Cannot acquire ${noun} "(accounts|orders)": it would deadlock: thread \\d+ "worker-\\d"`,
    ),
  );
  assert.equal(cycle!.length, 2);
  const [first, second] = cycle!;
  assert.equal(first!.heldBy, second!.ident, "each waits for a lock the next holds");
  assert.equal(second!.heldBy, first!.ident, "the last waits for one the first holds");
  assert.deepEqual(
    cycle!.map((e) => e.threadName).sort(),
    ["worker-1", "worker-2"],
  );
  assert.deepEqual(
    cycle!.map((e) => e.waitsFor).sort(),
    [`${noun} "accounts"`, `${noun} "orders"`],
  );
}

test("deadlock detection: two threads taking two Locks in opposite order, one gets DeadlockError", async () => {
  enableDeadlockDetection();
  try {
    assertOneDeadlock(await oppositeOrder((name) => new Lock({ name })), "lock");
  } finally {
    enableDeadlockDetection(false);
  }
});

test("deadlock detection: the same with RLocks", async () => {
  enableDeadlockDetection();
  try {
    assertOneDeadlock(await oppositeOrder((name) => new RLock({ name })), "rlock");
  } finally {
    enableDeadlockDetection(false);
  }
});

test("deadlock detection: a cycle of three threads is reported once, and the others proceed", async () => {
  enableDeadlockDetection();
  try {
    const locks = ["a", "b", "c"].map((name) => new Lock({ name }));
    const barrier = new Barrier(3);
    const threads = [0, 1, 2].map((k) =>
      thread<Outcome>("opposite", `ring-${k}`, [locks[k], locks[(k + 1) % 3], barrier, WAIT_MS])
    );
    const outcomes = await Promise.all(threads.map((t) => t.join({ timeout: JOIN_MS })));
    const deadlocks = outcomes.filter((o) => o.outcome === "deadlock");
    assert.equal(deadlocks.length, 1, JSON.stringify(outcomes));
    const { cycle, message } = deadlocks[0]!;
    assert.equal(cycle!.length, 3, message!);
    for (let k = 0; k < 3; k++) assert.equal(cycle![k]!.heldBy, cycle![(k + 1) % 3]!.ident);
    assert.deepEqual(cycle!.map((e) => e.threadName).sort(), ["ring-0", "ring-1", "ring-2"]);
    for (const name of ['lock "a"', 'lock "b"', 'lock "c"', ", which waits for "]) {
      assert.ok(message!.includes(name), `${name} in ${message}`);
    }
  } finally {
    enableDeadlockDetection(false);
  }
});

test("deadlock detection: an edge that only looks stale is re-published, and the cycle found", async () => {
  enableDeadlockDetection();
  try {
    const [l1, l2, l3] = ["one", "two", "three"].map((name) => new Lock({ name }));
    const [held1, held2, go] = [new Event(), new Event(), new Event()];
    const w1 = thread<Outcome>("releaseThenCycle", "w1", [l1, l3, l2, held1, go, WAIT_MS]);
    await until(() => held1.isSet(), "w1 holds one and three");
    // w2 holds two and sleeps on one (held by w1); w3 sleeps on three (held by w1).
    const w2 = thread<Outcome>("holdThenWait", "w2", [l2, l1, held2, WAIT_MS]);
    const w3 = thread<boolean>("takeOnce", "w3", [l3!, WAIT_MS]);
    await until(() => held2.isSet() && l1!.describe().waiters > 0, "w2 sleeps on one");
    await until(() => l3!.describe().waiters > 0, "w3 sleeps on three");
    // w1 releases three (bumping its epoch: w2's edge to w1 now looks stale), then waits for two.
    go.set();
    const outcomes = await Promise.all([
      w1.join({ timeout: JOIN_MS }),
      w2.join({ timeout: JOIN_MS }),
    ]);
    assert.equal(await w3.join({ timeout: JOIN_MS }), true);
    const deadlocks = outcomes.filter((o) => o.outcome === "deadlock");
    assert.equal(deadlocks.length, 1, JSON.stringify(outcomes));
    const { message } = deadlocks[0]!;
    console.log(`stale-edge test: ${message}`); // w2 throws when its re-check found the cycle
    for (const part of ['"w1"', '"w2"', 'lock "one"', 'lock "two"']) {
      assert.ok(message!.includes(part), `${part} in ${message}`);
    }
  } finally {
    enableDeadlockDetection(false);
  }
});

test("deadlock detection: locks always taken in one order never report a deadlock (seeded)", async () => {
  const seed = Number(process.env.SEED ?? Date.now() % 1_000_000);
  console.log(`diagnostics ordered-locking seed: ${seed} (SEED=${seed} to replay)`);
  enableDeadlockDetection();
  try {
    const locks = Array.from({ length: 3 }, (_, i) => new Lock({ name: `l${i}` }));
    const rounds = 300;
    const threads = [0, 1, 2].map((k) =>
      thread<number>("ordered", `ordered-${k}`, [locks, seed + k, rounds, WAIT_MS])
    );
    const done = await Promise.all(threads.map((t) => t.join({ timeout: JOIN_MS })));
    assert.deepEqual(done, [rounds, rounds, rounds], `seed ${seed}`);
  } finally {
    enableDeadlockDetection(false);
  }
});

test("names: every primitive takes a name, carried in its handle to other threads", async () => {
  const lock = new Lock({ name: "orders" });
  assert.equal(lock.handle.name, "orders");
  assert.equal(Lock.from(lock.handle).describe().name, "orders");
  assert.equal(new Lock().describe().name, undefined);
  assert.throws(() => new Lock({ name: 5 as unknown as string }), {
    name: "TypeError",
    message: "Cannot create Lock: name must be a string, got number",
  });
  for (const make of [() => new Event({ name: "n" }), () => new Barrier(2, { name: "n" })]) {
    assert.equal(make().handle.name, "n");
  }
  // A named Thread sees the name of a lock revived from its arguments, and holds it.
  const seen = thread<string>("describeHeld", "holder", [lock, WAIT_MS]);
  assert.equal(await seen.join({ timeout: JOIN_MS }), 'lock "orders": held by thread');
});

test("describe(): Lock and RLock report holder (ident and thread name), depth and waiters", async () => {
  const lock = new Lock({ name: "orders" });
  assert.deepEqual(
    { ...lock.describe() },
    {
      kind: "Lock",
      name: "orders",
      holders: [],
      waiters: 0,
      text: 'lock "orders": not held by a known thread',
    },
  );
  lock.acquireSync();
  const me = currentThread();
  assert.deepEqual(lock.describe().holders, [{ ident: me.ident, name: me.name, count: 1 }]);
  // An async waiter of this thread shows as a waiter.
  const pending = lock.acquire({ timeout: WAIT_MS });
  assert.equal(lock.describe().waiters, 1);
  assert.match(lock.describe().text, /^lock "orders": held by thread \d+ "MainThread", 1 waiting$/);
  lock.release();
  assert.equal(await pending, true);
  lock.release();

  const rlock = new RLock({ name: "cache" });
  rlock.acquireSync();
  rlock.acquireSync();
  assert.deepEqual(rlock.describe().holders, [{ ident: me.ident, name: me.name, count: 2 }]);
  assert.equal(rlock.describe().kind, "RLock");
  rlock.release();
  rlock.release();
  assert.deepEqual(rlock.describe().holders, []);
});

test("describe(): Semaphore, RWLock and Condition", () => {
  const sem = new BoundedSemaphore(3, { name: "slots" });
  const g = sem.holdSync();
  assert.equal(sem.acquireSync(), true); // unguarded: anonymous
  const d = sem.describe();
  assert.equal(d.kind, "BoundedSemaphore");
  assert.equal(d.value, 1);
  assert.deepEqual(d.holders.map((h) => h.count), [1]);
  assert.match(d.text, /^semaphore "slots": held by thread \d+ "MainThread", 1 permit free$/);
  g.release();
  sem.release();

  const rw = new RWLock({ name: "config" });
  {
    using _w = rw.writeSync();
    assert.deepEqual(rw.describe().holders.map((h) => h.ident), [currentThread().ident]);
    assert.equal(rw.describe().value, 0);
  }
  {
    using _r = rw.readSync();
    assert.equal(rw.describe().value, 1);
    assert.deepEqual(rw.describe().holders, []);
  }

  const cond = new Condition(new Lock({ name: "inner" }), { name: "ready" });
  assert.equal(cond.describe().name, "ready");
  assert.deepEqual(cond.describe().holders, []);
  using _g = cond.holdSync();
  assert.equal(cond.describe().holders.length, 1);
  assert.equal(cond.describe().waiters, 0);
  assert.equal(cond.waitSync({ timeout: 1 }), false);
  assert.equal(cond.describe().waiters, 0, "a timed-out wait is not counted");
});

test("timeout errors name the primitive and its holder", async () => {
  const lock = new Lock({ name: "orders" });
  const holder = thread<void>("holdUntilReleased", "worker-1", [lock, WAIT_MS]);
  await until(() => lock.locked, "the worker holds the lock");
  assert.throws(() => lock.holdSync({ timeout: 50 }), {
    name: "TimeoutError",
    message: /^Cannot acquire lock "orders": timed out after 50 ms; held by thread \d+ "worker-1"$/,
  });
  lock.release(); // a Lock may be released by any thread: lets the worker finish
  await holder.join({ timeout: JOIN_MS });

  const rlock = new RLock({ name: "cache" });
  const sem = new Semaphore(0, { name: "slots" });
  const rw = new RWLock({ name: "config" });
  using _r = rw.readSync();
  rlock.acquireSync();
  const other = thread<string[]>("timeouts", "worker-2", [rlock, sem, rw]);
  const messages = await other.join({ timeout: JOIN_MS });
  rlock.release();
  assert.match(
    messages[0]!,
    /^Cannot acquire rlock "cache": timed out after 10 ms; held by thread \d+$/,
  );
  assert.match(
    messages[1]!,
    /^Cannot acquire semaphore "slots": timed out after 10 ms; no permit was released$/,
  );
  assert.match(
    messages[2]!,
    /^Cannot lock rwlock "config" for writing: timed out after 10 ms; held by 1 reader$/,
  );
});
