/**
 * Regression (found by the random-kill suite in CI, `tests/faults_test.ts`, seed 1330192417): a
 * party killed after its arrival completed the cycle (ACTION set) and before it released the
 * cycle wedged the barrier. Its waiters wait for a running action whatever their timeout, so
 * they waited for a thread that was gone: "2 surviving parties are still inside the barrier 1400
 * ms after the kill (the barrier timeout is 400 ms)". A kill inside a long action did it every
 * time. Now the last arrival names itself beside the word (ACTOR, CYCLE, STAMP), and whoever
 * finds a cycle's ACTION held by an ended thread moves the cycle on for it: a cycle whose action
 * had not returned breaks (as if the action threw), one that only lacked its release is released.
 * A thread found ended that still runs (Deno's terminate cannot stop a busy thread) then finds
 * its cycle taken and leaves the barrier alone.
 *
 * The first test kills a real thread inside its action. The others set the state a thread that
 * died at a given step leaves behind (white-box: the slot layout of `src/barrier.ts`), with the
 * ident of a thread that has ended, or mark a running actor ended as such a terminate does.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { Barrier, BrokenBarrierError, Thread } from "../../mod.ts";
import { LIFE_ENDED, setLife } from "../../src/internal/ident.ts";
import { settleWithin, until } from "../helpers.ts";

const FIXTURE = new URL("../fixtures/barrier_actor_ops.ts", import.meta.url);

// The layout of src/barrier.ts.
const WORD = 0;
const GEN = 1;
const SEQ = 2;
const ACTOR = 16;
const STAMP = 17;
const CYCLE = 18;
const ACTION = 1 << 16;
const COUNT = 0xffff;
const TAG_SHIFT = 19;
const RUNNING = 1;
const RELEASING = 2;

function slotsOf(barrier: Barrier): Int32Array {
  const { buffer, byteOffset } = barrier.handle;
  return new Int32Array(buffer, byteOffset, Barrier.byteLength / 4);
}

/** The ident of a thread that has ended. */
async function endedIdent(): Promise<number> {
  const thread = new Thread<number>(FIXTURE, { export: "nothing" });
  thread.start();
  await thread.join({ timeout: 20_000 });
  return thread.ident;
}

/**
 * Leaves `barrier` as thread `actor` leaves it when it dies at `phase` of its last arrival: its
 * arrival CAS (ACTION) made, itself named, and at RELEASING the cycle's GEN moved if `genMoved`.
 */
function actorDiedIn(barrier: Barrier, actor: number, phase: number, genMoved = false): void {
  const i32 = slotsOf(barrier);
  const w = Atomics.load(i32, WORD);
  assert.equal((w & COUNT) + 1, barrier.parties, "the crafted arrival is the last one");
  assert.equal(Atomics.compareExchange(i32, WORD, w, w | ACTION), w);
  Atomics.store(i32, ACTOR, actor);
  Atomics.store(i32, CYCLE, Atomics.load(i32, GEN));
  Atomics.store(i32, STAMP, ((w >>> TAG_SHIFT) << 2) | phase);
  if (genMoved) Atomics.add(i32, GEN, 1);
}

/**
 * Releases a wedged cycle by hand (the steps its dead actor did not take), so that a failing test
 * leaves no wait pending: the process would not end.
 */
function releaseByHand(barrier: Barrier): void {
  const i32 = slotsOf(barrier);
  const w = Atomics.load(i32, WORD);
  if ((w & ACTION) === 0) return;
  Atomics.add(i32, GEN, 1);
  Atomics.store(i32, WORD, ((w >>> TAG_SHIFT) + 1) << TAG_SHIFT);
  Atomics.add(i32, SEQ, 1);
  Atomics.notify(i32, SEQ);
}

/**
 * A thread that arrives last at `barrier` and spins in its action until let go (`letGo()`), then
 * throws from it if `throwAfter`. `started()` resolves once the action runs; `over()` once the
 * wait is over (it reads the flag, as a thread marked ended cannot be joined for its end).
 */
function actor(barrier: Barrier, throwAfter = false) {
  const flags = new Int32Array(new SharedArrayBuffer(12));
  const thread = new Thread<string>(FIXTURE, {
    export: "actUntilLetGo",
    args: [barrier, flags, throwAfter],
  });
  return {
    thread,
    started: () => until(() => Atomics.load(flags, 0) === 1, "the action started", 20_000),
    letGo: () => Atomics.store(flags, 1, 1),
    over: () => until(() => Atomics.load(flags, 2) === 1, "the actor's wait ended", 20_000),
  };
}

/** The TAG of `barrier`'s state word. */
function tagOf(barrier: Barrier): number {
  return Atomics.load(slotsOf(barrier), WORD) >>> TAG_SHIFT;
}

/**
 * A `Barrier(3)` whose last arrival, a thread, is killed inside its action (Deno: marked ended,
 * it spins on until let go) beside two untimed waiters: a sync one in another thread (`waiter`,
 * whose result is how its wait ended) and an async one of this thread (`untimed`, resolving with
 * its error). Then `check`; the barrier is let go after it either way.
 */
async function killedBesideUntimedWaiters(
  check: (at: {
    barrier: Barrier;
    waiter: Thread<string>;
    untimed: Promise<unknown>;
  }) => Promise<void>,
): Promise<Barrier> {
  const barrier = new Barrier(3);
  const waiter = new Thread<string>(FIXTURE, { export: "waitUntimed", args: [barrier] });
  const { thread, started, letGo } = actor(barrier);
  thread.join().catch(() => {}); // terminated below
  const stop = new AbortController();
  try {
    const untimed = barrier.wait({ signal: stop.signal }).then(() => "passed", (e) => e);
    waiter.start();
    await until(() => barrier.nWaiting === 2, "both waiters arrived", 20_000);
    thread.start();
    await started();
    await thread.terminate().catch(() => {}); // Deno: marked ended, it spins on
    await check({ barrier, waiter, untimed });
  } finally {
    stop.abort();
    letGo();
    releaseByHand(barrier);
    if (waiter.isAlive()) await waiter.terminate();
  }
  return barrier;
}

test("Barrier: a thread killed inside the action breaks its cycle; waiters and arrivals leave", async () => {
  const barrier = await killedBesideUntimedWaiters(async ({ barrier, waiter, untimed }) => {
    // A later arrival waits out the running action: it finds the actor gone and breaks the cycle.
    const t0 = performance.now();
    const late = await settleWithin(barrier.wait({ timeout: 250 }), 5000);
    assert.match(late, /^rejected .*broken/i, `the late arrival: ${late}`);
    assert.ok(performance.now() - t0 < 4000);
    assert.ok((await settleWithin(untimed, 5000)).startsWith("resolved BrokenBarrierError"));
    assert.equal(await waiter.join({ timeout: 5000 }), "BrokenBarrierError");
    assert.equal(barrier.broken, true);
  });
  // Reset, the barrier serves a full cycle again.
  barrier.reset();
  assert.equal(barrier.broken, false);
  const all = await Promise.all([0, 1, 2].map(() => barrier.wait({ timeout: 5000 })));
  assert.deepEqual(all.sort(), [0, 1, 2]);
});

test("Barrier: a waiter's timeout counts while a dead thread holds its cycle's action", async () => {
  const barrier = new Barrier(2);
  const dead = await endedIdent();
  const waiting = barrier.wait({ timeout: 300 });
  try {
    await until(() => barrier.nWaiting === 1, "the waiter arrived");
    const t0 = performance.now();
    actorDiedIn(barrier, dead, RUNNING);
    const outcome = await settleWithin(waiting, 3000);
    assert.match(outcome, /^rejected .*broken/i, `the waiter: ${outcome}`);
    const elapsed = performance.now() - t0;
    assert.ok(elapsed < 2000, `it left after ${elapsed.toFixed(0)} ms`);
    assert.equal(barrier.broken, true);
    assert.equal(barrier.nWaiting, 0);
  } finally {
    releaseByHand(barrier);
  }
  await assert.rejects(barrier.wait({ timeout: 1000 }), BrokenBarrierError);
});

test("Barrier: reset() breaks the cycle of a dead action runner; its untimed waiters leave", async () => {
  const barrier = new Barrier(2);
  const dead = await endedIdent();
  const stop = new AbortController();
  const waiting = barrier.wait({ signal: stop.signal });
  try {
    await until(() => barrier.nWaiting === 1, "the waiter arrived");
    actorDiedIn(barrier, dead, RUNNING);
    barrier.reset();
    const outcome = await settleWithin(waiting, 3000);
    assert.match(outcome, /^rejected .*broken/i, `the waiter: ${outcome}`);
  } finally {
    stop.abort();
    releaseByHand(barrier);
  }
  // The waiter's leaving ended the reset: the barrier is whole.
  assert.equal(barrier.broken, false);
  const pair = await Promise.all([
    barrier.wait({ timeout: 5000 }),
    barrier.wait({ timeout: 5000 }),
  ]);
  assert.deepEqual(pair.sort(), [0, 1]);
});

for (const genMoved of [false, true]) {
  const when = genMoved ? "after" : "before";
  test(`Barrier: the next arrival releases a cycle whose action runner died ${when} moving GEN`, async () => {
    const barrier = new Barrier(2);
    const dead = await endedIdent();
    const stop = new AbortController();
    const waiting = barrier.wait({ signal: stop.signal });
    try {
      await until(() => barrier.nWaiting === 1, "the waiter arrived");
      actorDiedIn(barrier, dead, RELEASING, genMoved);
      // The next cycle's first arrival finds the action's runner gone after its action.
      const next = barrier.wait({ timeout: 5000 });
      assert.equal(await settleWithin(waiting, 3000), "resolved 0", "the completed cycle passes");
      assert.equal(await settleWithin(barrier.wait({ timeout: 5000 }), 3000), "resolved 1");
      assert.equal(await next, 0);
      assert.equal(barrier.broken, false);
    } finally {
      stop.abort();
      releaseByHand(barrier);
    }
  });
}

test("Barrier: an action runner found ended that still runs finds its cycle taken and leaves the barrier alone", async () => {
  const barrier = new Barrier(2);
  const { thread, started, letGo } = actor(barrier);
  const stop = new AbortController();
  try {
    const first = barrier.wait({ signal: stop.signal });
    await until(() => barrier.nWaiting === 1, "this thread's waiter arrived");
    thread.start();
    await started();
    // As a terminate that cannot stop the thread does: marked ended, it runs on.
    setLife(thread.ident, LIFE_ENDED);
    await assert.rejects(barrier.wait({ timeout: 2000 }), BrokenBarrierError);
    assert.match(await settleWithin(first, 3000), /^rejected .*broken/i);
    barrier.reset();
    // A new cycle fills; then the old actor's action returns.
    const gen = Atomics.load(slotsOf(barrier), GEN);
    const waiting = barrier.wait({ timeout: 10_000, signal: stop.signal });
    await until(() => barrier.nWaiting === 1, "the new cycle's waiter arrived");
    letGo();
    assert.equal(await thread.join({ timeout: 20_000 }), "BrokenBarrierError");
    // It moved neither GEN nor the word: the new cycle's waiter still waits, and passes with
    // the next arrival.
    assert.equal(Atomics.load(slotsOf(barrier), GEN), gen);
    assert.equal(await settleWithin(waiting, 100), "pending");
    assert.equal(barrier.nWaiting, 1);
    assert.equal(await barrier.wait({ timeout: 5000 }), 1);
    assert.equal(await waiting, 0);
  } finally {
    stop.abort();
    letGo();
    releaseByHand(barrier);
  }
});

/**
 * Takes the cycle of a zombie actor (marked ended, still in its action) and breaks it, then runs
 * the barrier through released cycles until its TAG (13 bits) is the zombie's again: what a zombie
 * stuck in its action for ~8192 cycles (~80 ms at 10 µs a cycle) finds when it comes back.
 */
async function zombieThenWrap(barrier: Barrier, throwAfter: boolean, signal: AbortSignal) {
  const zombie = actor(barrier, throwAfter);
  const first = barrier.wait({ signal });
  await until(() => barrier.nWaiting === 1, "the waiter arrived");
  zombie.thread.start();
  await zombie.started();
  const tag = tagOf(barrier);
  setLife(zombie.thread.ident, LIFE_ENDED);
  await assert.rejects(barrier.wait({ timeout: 2000 }), BrokenBarrierError);
  await assert.rejects(first, BrokenBarrierError);
  barrier.reset();
  while (tagOf(barrier) !== tag) {
    await Promise.all([barrier.wait({ timeout: 5000 }), barrier.wait({ timeout: 5000 })]);
  }
  return { zombie, tag };
}

/**
 * A zombie (see {@link zombieThenWrap}) back at the TAG of a live actor's cycle: this thread's
 * waiter of that cycle (`waiting`) has arrived and the live actor runs its action; then `check`.
 */
async function zombieBesideLiveActor(
  throwAfter: boolean,
  check: (at: {
    barrier: Barrier;
    tag: number;
    zombie: ReturnType<typeof actor>;
    live: ReturnType<typeof actor>;
    waiting: Promise<number>;
  }) => Promise<void>,
): Promise<void> {
  const barrier = new Barrier(2);
  const stop = new AbortController();
  const { zombie, tag } = await zombieThenWrap(barrier, throwAfter, stop.signal);
  const live = actor(barrier);
  try {
    const waiting = barrier.wait({ signal: stop.signal });
    await until(() => barrier.nWaiting === 1, "the new cycle's waiter arrived");
    live.thread.start();
    await live.started();
    await check({ barrier, tag, zombie, live, waiting });
  } finally {
    stop.abort();
    zombie.letGo();
    live.letGo();
    releaseByHand(barrier);
  }
}

test("Barrier: a zombie actor back after TAG wrapped does not release a live actor's cycle mid-action", async () => {
  await zombieBesideLiveActor(false, async ({ barrier, tag, zombie, live, waiting }) => {
    assert.equal(Atomics.load(slotsOf(barrier), STAMP), (tag << 2) | RUNNING, "the same TAG");
    zombie.letGo();
    assert.equal(await zombie.thread.join({ timeout: 20_000 }), "BrokenBarrierError");
    assert.equal(await settleWithin(waiting, 300), "pending", "released mid-action");
    live.letGo();
    assert.equal(await live.thread.join({ timeout: 20_000 }), "passed as 1");
    assert.equal(await waiting, 0);
  });
});

test("Barrier: a zombie actor whose action throws after TAG wrapped leaves a live cycle alone", async () => {
  await zombieBesideLiveActor(true, async ({ barrier, zombie, live, waiting }) => {
    zombie.letGo();
    await zombie.over();
    live.letGo();
    await live.over();
    // Both ended before this thread's waiter looks (as a descheduled waiter would).
    assert.equal(await live.thread.join({ timeout: 20_000 }), "passed as 1");
    assert.equal(await zombie.thread.join({ timeout: 20_000 }), "RangeError");
    assert.equal(await waiting, 0);
    assert.equal(barrier.broken, false);
    const pair = await Promise.all([
      barrier.wait({ timeout: 5000 }),
      barrier.wait({ timeout: 5000 }),
    ]);
    assert.deepEqual(pair.sort(), [0, 1]);
  });
});

test("Barrier: untimed waiters asleep when the actor is killed in its action leave with nobody else about", async () => {
  // Nobody arrives, resets or aborts: the waiters' own polls find the actor gone.
  await killedBesideUntimedWaiters(async ({ waiter, untimed }) => {
    assert.ok((await settleWithin(untimed, 3000)).startsWith("resolved BrokenBarrierError"));
    assert.equal(await waiter.join({ timeout: 3000 }), "BrokenBarrierError");
  });
});
