/**
 * Diagnostics: primitive names, `describe()`, names in timeout errors, and the deadlock detector
 * (`enableDeadlockDetection`), across real threads on every runtime. Every wait is bounded.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { Barrier, enableDeadlockDetection, Lock, RLock, Thread } from "../mod.ts";
import type { Outcome } from "./fixtures/diagnostics_ops.ts";

const OPS = new URL("./fixtures/diagnostics_ops.ts", import.meta.url);
/** Bound of every wait inside the fixtures. */
const WAIT_MS = 20_000;
/** Bound of every join. */
const JOIN_MS = 60_000;

function thread<R>(exportName: string, name: string, args: unknown[]): Thread<R> {
  const t = new Thread<R>(OPS, { export: exportName, args, name });
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
