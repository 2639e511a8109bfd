/**
 * Bounded waits (issue 10): a waiter that has waited past `STARVE_AFTER_MS` is handed the lock
 * word instead of racing bargers for it. See "Fairness" in `src/internal/lock_word.ts`.
 *
 * The race tests pit waiters against hammers that re-take the lock the instant they release it
 * (pure barging starves such a waiter for as long as the hammers run); the state tests drive the
 * word through its hand-off states on one thread, deterministically. `RWLock`'s writers have the
 * same hand-off (bit 31 of its STATE; "Fairness" in `src/rwlock.ts`): its state tests and seeded
 * stress are at the end. Its writer race test passed on the barging RWLock too (two hammers did
 * not starve the waiter there, whose wake-up usually beat the hammers' slow-path retries), so the
 * state tests are what fail without the hand-off.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  BoundedSemaphore,
  Condition,
  type Guard,
  Lock,
  NotOwnedError,
  RLock,
  RWLock,
  Semaphore,
} from "../mod.ts";
import { currentIdent } from "../src/internal/ident.ts";
import {
  HANDOFF,
  lockBriefly,
  PARKED,
  STARVE_AFTER_MS,
  STARVING,
  unlock,
} from "../src/internal/lock_word.ts";
import { sleep, spawn, until } from "./helpers.ts";
import { slotsOf } from "./fixtures/checks.ts";

const FAIR_OPS = new URL("./fixtures/fair_ops.ts", import.meta.url);
const STOP = 0;
/** Control slot of the hammers' rounds, which the waiter op waits for (fixtures/fair_ops.ts). */
const ROUNDS_SLOT = 1;
/** Semaphore slots (src/semaphore.ts): slow-path waiters, the hand-off word. */
const WAITERS = 1;
const STARVE = 4;
/** One starving waiter in STARVE (`starving << 16 | handed`). */
const ONE_STARVING = 1 << 16;
/** Semaphore's VALUE slot (`permits << 1 | WAITING`) and its waiting bit. */
const VALUE = 0;
const WAITING = 1;

/**
 * Makes a Semaphore's slots say what a starving sleeper's would (one that then dies: nobody takes
 * what is handed to it): counted in WAITERS, WAITING set in VALUE, counted in STARVE.
 */
function announceStarving(slots: Int32Array): void {
  Atomics.add(slots, WAITERS, 1);
  Atomics.or(slots, VALUE, WAITING);
  Atomics.store(slots, STARVE, ONE_STARVING);
}

/** Takes the dead announcer of {@link announceStarving} out of the slots again. */
function forgetStarving(slots: Int32Array): void {
  Atomics.store(slots, STARVE, 0);
  Atomics.sub(slots, WAITERS, 1);
  Atomics.and(slots, VALUE, ~WAITING);
}
/** RWLock slots and STATE bits (src/rwlock.ts): S is the lock word's STARVING bit. */
const RW_STATE = 0;
const RW_WAIT = 1;
const RW_WSEQ = 3;
const RW_BARGE = 6;
const RW_WRITER = 1 << 16;
const RW_WAITING_ONE = 1 << 17;

for (const kind of ["Lock", "RLock", "Semaphore", "RWLock"] as const) {
  for (const mode of ["sync", "async"] as const) {
    // RWLock: hammers and waiter all take the write lock (writers among themselves).
    test(`${kind}: two hammers that re-take it at once cannot starve a ${mode} waiter`, async () => {
      const lock = kind === "Lock"
        ? new Lock()
        : kind === "RLock"
        ? new RLock()
        : kind === "Semaphore"
        ? new Semaphore(1)
        : new RWLock();
      const ctl = new SharedArrayBuffer(8);
      const hammers = [0, 1].map(() =>
        spawn<number>("hammer", { kind, handle: lock.handle, ctl, holdUs: 50 }, 30_000, FAIR_OPS)
      );
      // Pure barging: the waiter wakes after each release to find the word taken again, for as
      // long as the hammers run (20 s); with the hand-off it gets the word within a few releases
      // of passing the threshold. The 5 s bound leaves room for a machine shared with others.
      const waiter = spawn<{ acquired: boolean; waited: number }>(
        "waiter",
        { kind, handle: lock.handle, ctl, mode, after: 200, timeout: 5000 },
        30_000,
        FAIR_OPS,
      );
      let outcome: { acquired: boolean; waited: number };
      try {
        outcome = await waiter.result;
      } finally {
        Atomics.store(new Int32Array(ctl), STOP, 1);
        await Promise.all(hammers.map((h) => h.result));
      }
      console.log(`${kind} ${mode} waiter: waited ${outcome.waited.toFixed(2)} ms`);
      assert.equal(outcome.acquired, true, "the waiter got the lock before its timeout");
      if (lock instanceof Semaphore) {
        assert.equal(lock.value, 1, "every permit is back");
        assert.equal(slotsOf(lock.handle, 6)[STARVE], 0, "nobody left counted as starving");
      } else if (lock instanceof RWLock) {
        assert.equal(slotsOf(lock.handle, 1)[RW_STATE], 0, "free, nobody counted, no S left");
      } else assert.equal(lock.locked, false);
    });
  }
}

test("Lock: a release that sees STARVING hands the word off; bargers, tries and releases cannot take it", async () => {
  const lock = new Lock();
  const word = slotsOf(lock.handle, 2);
  const me2 = currentIdent() << 1;
  lock.acquireSync();
  Atomics.or(word, 0, STARVING | PARKED); // as a starving sleeper announces itself
  assert.equal(lock._owner(), currentIdent(), "the owner field ignores STARVING");
  lock.release();
  assert.equal(Atomics.load(word, 0), HANDOFF, "released into the hand-off state");
  assert.equal(lock.locked, true, "reserved for a starving waiter");
  assert.equal(lock._owner(), 0, "a handed-off word has no owner");
  assert.equal(lock.tryAcquire(), false, "tryAcquire does not steal it");
  assert.equal(lock.acquireSync({ timeout: 0 }), false, "a zero timeout does not steal it");
  assert.equal(await lock.acquire({ timeout: 0 }), false);
  assert.throws(() => lock.release(), NotOwnedError, "nobody holds it");
  assert.equal(Atomics.load(word, 0), HANDOFF, "all of that left it untouched");
  // Its starving waiter gone (a death), any waiter takes it once it has waited past the bound.
  const t0 = performance.now();
  assert.equal(lock.acquireSync({ timeout: 5000 }), true);
  const waited = performance.now() - t0;
  assert.ok(waited >= STARVE_AFTER_MS * 0.9, `took it only once starving (${waited} ms)`);
  assert.equal(Atomics.load(word, 0), me2 | PARKED, "taken with PARKED, STARVING cleared");
  lock.release();
  assert.equal(Atomics.load(word, 0), 0);
});

test("RLock: its owner releases a word marked STARVING into the hand-off, depth intact", () => {
  const rlock = new RLock();
  const word = slotsOf(rlock.handle, 3);
  rlock.acquireSync();
  rlock.acquireSync();
  Atomics.or(word, 0, STARVING | PARKED);
  assert.equal(rlock.owned, true, "ownership ignores STARVING");
  assert.equal(rlock.tryAcquire(), true, "the owner re-enters");
  rlock.release();
  rlock.release();
  assert.equal(rlock.owned, true);
  rlock.release();
  assert.equal(Atomics.load(word, 0), HANDOFF);
  assert.equal(rlock.owned, false);
  assert.throws(() => rlock.release(), NotOwnedError);
});

test("Lock: a starving waiter that times out takes its STARVING mark with it", async () => {
  const lock = new Lock();
  const word = slotsOf(lock.handle, 2);
  const me2 = currentIdent() << 1;
  lock.acquireSync();
  const waiting = lock.acquire({ timeout: 400 });
  await until(() => (Atomics.load(word, 0) & STARVING) !== 0, "the waiter announces it starves");
  assert.equal(await waiting, false);
  assert.equal(Atomics.load(word, 0), me2 | PARKED, "PARKED stays, STARVING is gone");
  lock.release();
  assert.equal(Atomics.load(word, 0), 0, "no hand-off to a waiter that left");
});

test("Lock: a starving waiter aborted before the release takes its STARVING mark with it", async () => {
  const lock = new Lock();
  const word = slotsOf(lock.handle, 2);
  const me2 = currentIdent() << 1;
  lock.acquireSync();
  const abort = new AbortController();
  const waiting = lock.acquire({ signal: abort.signal, timeout: 20_000 });
  await until(() => (Atomics.load(word, 0) & STARVING) !== 0, "the waiter announces it starves");
  abort.abort(new Error("stop"));
  await assert.rejects(waiting, /stop/);
  assert.equal(Atomics.load(word, 0), me2 | PARKED);
  lock.release();
  assert.equal(Atomics.load(word, 0), 0);
});

test("Lock: a starving waiter aborted after the hand-off passes the word on, never drops it", async () => {
  const lock = new Lock();
  const word = slotsOf(lock.handle, 2);
  lock.acquireSync();
  const abort = new AbortController();
  const waiting = lock.acquire({ signal: abort.signal, timeout: 20_000 });
  await until(() => (Atomics.load(word, 0) & STARVING) !== 0, "the waiter announces it starves");
  lock.release();
  assert.equal(Atomics.load(word, 0), HANDOFF, "handed off to the waiter");
  // The waiter has not run since (its wake-up is still queued): abort it now.
  abort.abort(new Error("stop"));
  await assert.rejects(waiting, /stop/);
  assert.equal(Atomics.load(word, 0), 0, "the aborted waiter freed the word it was handed");
  assert.equal(lock.tryAcquire(), true);
  lock.release();
});

test("Condition over a Lock: a starving waiter handed the word while the notifier held it", async () => {
  const lock = new Lock();
  const cond = new Condition(lock);
  const word = slotsOf(lock.handle, 2);
  lock.acquireSync();
  const waiting = (async () => {
    await lock.acquire();
    const woke = cond.wait({ timeout: 5000 });
    return woke;
  })();
  await until(() => (Atomics.load(word, 0) & STARVING) !== 0, "the waiter announces it starves");
  lock.release(); // handed off to the async acquire, which then waits on the condition
  await until(() => Atomics.load(word, 0) === 0, "the waiter released it inside cond.wait");
  lock.acquireSync();
  cond.notify();
  lock.release();
  assert.equal(await waiting, true);
  assert.equal(lock._owner(), currentIdent(), "the condition wait re-acquired");
  lock.release();
  assert.equal(Atomics.load(word, 0) & ~PARKED, 0);
});

test("lockBriefly (queues, barriers): a HANDOFF word nobody takes is taken once the caller starves", () => {
  const i32 = new Int32Array(new SharedArrayBuffer(8));
  const me2 = currentIdent() << 1;
  Atomics.store(i32, 0, HANDOFF);
  const t0 = performance.now();
  lockBriefly(i32, 0, me2);
  assert.ok(performance.now() - t0 >= STARVE_AFTER_MS * 0.9, "not before it starved");
  assert.equal(Atomics.load(i32, 0), me2 | PARKED);
  assert.equal(unlock(i32, 0, me2), true);
  assert.equal(Atomics.load(i32, 0), 0);
});

test("Semaphore: a release that finds a starving waiter hands it the permit; fast paths, tries and non-starving waiters cannot take it", async () => {
  const sem = new Semaphore(0);
  const slots = slotsOf(sem.handle, 6);
  // As a starving sleeper announces itself (one that then dies: nobody takes the hand-off).
  announceStarving(slots);
  sem.release();
  assert.equal(Atomics.load(slots, STARVE), ONE_STARVING | 1, "handed: s = 1, h = 1");
  assert.equal(sem.value, 0, "not in VALUE");
  assert.equal(sem.tryAcquire(), false, "tryAcquire does not take it");
  assert.equal(sem.acquireSync({ timeout: 0 }), false, "nor a zero timeout");
  assert.equal(await sem.acquire({ timeout: 0 }), false);
  // h = s: a second release goes to VALUE, and anyone takes that.
  sem.release();
  assert.equal(sem.value, 1);
  assert.equal(sem.tryAcquire(), true);
  // A waiter takes the handed permit once it starves itself (s = 2, h = 1 → s = 1, h = 0).
  const t0 = performance.now();
  assert.equal(sem.acquireSync({ timeout: 5000 }), true);
  const waited = performance.now() - t0;
  assert.ok(waited >= STARVE_AFTER_MS * 0.9, `took it only once starving (${waited} ms)`);
  assert.equal(Atomics.load(slots, STARVE), ONE_STARVING, "only the dead announcer is left");
  assert.equal(Atomics.load(slots, WAITERS), 1, "only the dead announcer is left");
  assert.equal(Atomics.load(slots, VALUE) & WAITING, WAITING, "it is not the last out");
  forgetStarving(slots);
});

for (const mode of ["sync", "async"] as const) {
  test(`Semaphore: a ${mode} sleeper that parked while nobody starved takes a permit handed to a starving waiter that then died`, async () => {
    // The sleeper parks on VALUE with no starve timer (nobody starved when it looked). A
    // starving waiter that counts itself after that look and dies is handed the next release's
    // permit, which raises no VALUE and so wakes nobody on it: the sleeper must still get it,
    // by its liveness poll (OWNER_POLL_MS), not at its timeout.
    const sem = new Semaphore(0);
    const slots = slotsOf(sem.handle, 6);
    const ctl = new SharedArrayBuffer(8);
    Atomics.store(new Int32Array(ctl), ROUNDS_SLOT, 1); // the waiter op starts at once
    const waiter = spawn<{ acquired: boolean; waited: number }>(
      "waiter",
      { kind: "Semaphore", handle: sem.handle, ctl, mode, after: 1, timeout: 10_000 },
      30_000,
      FAIR_OPS,
    );
    await until(() => Atomics.load(slots, WAITERS) === 1, "the sleeper is in the slow path");
    await sleep(50); // asleep on VALUE by now (if not, it sees the starving waiter: also right)
    // As a starving sleeper announces itself (counted beside the sleeper), then dies.
    Atomics.add(slots, WAITERS, 1);
    Atomics.add(slots, STARVE, ONE_STARVING);
    sem.release();
    assert.equal(Atomics.load(slots, STARVE) & 0xffff, 1, "handed to a starving waiter");
    const outcome = await waiter.result;
    console.log(
      `Semaphore ${mode} sleeper: took the handed permit after ${outcome.waited.toFixed(1)} ms`,
    );
    assert.equal(outcome.acquired, true, "the sleeper took the permit before its timeout");
    assert.ok(outcome.waited < 5_000, `within a few liveness polls (${outcome.waited} ms)`);
    // It released the permit again, which went to the dead announcer (still lacking one).
    assert.equal(Atomics.load(slots, STARVE), ONE_STARVING | 1);
    assert.equal(Atomics.load(slots, WAITERS), 1, "only the dead announcer is left");
    Atomics.store(slots, STARVE, ONE_STARVING);
    forgetStarving(slots);
  });
}

test("Semaphore: a sleeper that parked alone (no starve timer) is woken when another waiter starts the hand-off, and starves in turn", async () => {
  // In the hand-off mode releases go to STARVE and wake nobody on VALUE: a sleeper there without
  // its starve timer would sleep through it until its liveness poll (100 ms), overtaken by every
  // barger meanwhile (bench/fairness.ts saw a 100 ms wait). The first waiter to starve wakes it.
  const sem = new Semaphore(0);
  const slots = slotsOf(sem.handle, 6);
  const ctl = new SharedArrayBuffer(8);
  const go = new Int32Array(ctl);
  // Both sync, in workers started up front (a start takes ~250 ms here, longer than the poll);
  // each starts its acquire once ROUNDS reaches its `after`. (An async second waiter would not
  // do: switching from VALUE to STARVE, it wakes VALUE's sleepers as it leaves its registration.)
  const waiter = (after: number) =>
    spawn<{ acquired: boolean; waited: number }>(
      "waiter",
      { kind: "Semaphore", handle: sem.handle, ctl, mode: "sync", after, timeout: 10_000 },
      30_000,
      FAIR_OPS,
    );
  const sleeper = waiter(1);
  const second = waiter(2);
  await sleep(1_000);
  Atomics.store(go, ROUNDS_SLOT, 1);
  await until(() => Atomics.load(slots, WAITERS) === 1, "the sleeper is in the slow path");
  await sleep(20); // asleep on VALUE, alone: no starve timer
  // The second parks with its timer (another waiter is there) and starves 1 ms later.
  const t0 = performance.now();
  Atomics.store(go, ROUNDS_SLOT, 2);
  await until(() => Atomics.load(slots, STARVE) >>> 16 === 2, "both starve");
  const late = performance.now() - t0;
  console.log(`both starved ${late.toFixed(1)} ms after the second waiter began`);
  // By its poll the sleeper would starve ~80 ms after t0 (100 ms after it parked).
  assert.ok(late < 50, `woken at the start of the hand-off, not by its poll (${late} ms)`);
  sem.release(2);
  const outcomes = await Promise.all([sleeper.result, second.result]);
  assert.deepEqual(outcomes.map((o) => o.acquired), [true, true]);
  assert.equal(Atomics.load(slots, STARVE), 0, "nobody left counted as starving");
  assert.equal(Atomics.load(slots, WAITERS), 0);
  assert.equal(sem.value, 2, "both released theirs");
});

test("BoundedSemaphore: the hand-off keeps the ceiling; a handed permit is not counted in value", () => {
  const sem = new BoundedSemaphore(1);
  const slots = slotsOf(sem.handle, 6);
  assert.equal(sem.tryAcquire(), true);
  announceStarving(slots);
  sem.release();
  assert.equal(Atomics.load(slots, STARVE), ONE_STARVING | 1);
  assert.equal(sem.value, 0);
  assert.equal(sem.initialValue, 1);
  forgetStarving(slots);
});

for (const leave of ["times out", "is aborted"] as const) {
  test(`Semaphore: a starving waiter that ${leave} before the release leaves no mark; the permit goes to VALUE`, async () => {
    const sem = new Semaphore(0);
    const slots = slotsOf(sem.handle, 6);
    const abort = new AbortController();
    const waiting = leave === "times out"
      ? sem.acquire({ timeout: 300 })
      : sem.acquire({ signal: abort.signal, timeout: 20_000 });
    await until(() => Atomics.load(slots, STARVE) === ONE_STARVING, "the waiter starves");
    if (leave === "times out") assert.equal(await waiting, false);
    else {
      abort.abort(new Error("stop"));
      await assert.rejects(waiting, /stop/);
    }
    assert.equal(Atomics.load(slots, STARVE), 0, "uncounted");
    sem.release();
    assert.equal(sem.value, 1, "not handed to a waiter that left");
    assert.equal(Atomics.load(slots, WAITERS), 0);
  });
}

test("Semaphore: a starving waiter aborted after the hand-off returns the permit, never drops it", async () => {
  const sem = new Semaphore(0);
  const slots = slotsOf(sem.handle, 6);
  const abort = new AbortController();
  const waiting = sem.acquire({ signal: abort.signal, timeout: 20_000 });
  await until(() => Atomics.load(slots, STARVE) === ONE_STARVING, "the waiter starves");
  sem.release();
  assert.equal(Atomics.load(slots, STARVE), ONE_STARVING | 1, "handed to the waiter");
  // The waiter has not run since (its wake-up is still queued): abort it now.
  abort.abort(new Error("stop"));
  await assert.rejects(waiting, /stop/);
  assert.equal(Atomics.load(slots, STARVE), 0, "uncounted, with the handed permit");
  assert.equal(sem.value, 1, "the permit is back in VALUE");
  assert.equal(sem.tryAcquire(), true);
  assert.equal(Atomics.load(slots, WAITERS), 0);
  await until(() => Atomics.load(slots, 5) === 0, "the aborted physical wait on STARVE is settled");
});

test("Semaphore: seeded stress across 4 workers — waiters starve, time out and are aborted as permits are handed; the count stays exact", async () => {
  const seed = Number(
    (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env
      .THREADKIT_SEED ?? Math.floor(Math.random() * 2 ** 31),
  );
  const permits = 2;
  const sem = new Semaphore(permits);
  const slots = slotsOf(sem.handle, 6);
  const stats = new SharedArrayBuffer(20);
  // Sample the hand-off word meanwhile, to show that the run reached the hand-off mode.
  let sawStarving = 0;
  let sawHanded = 0;
  const sampler = setInterval(() => {
    const word = Atomics.load(slots, STARVE);
    if (word >>> 16 !== 0) sawStarving++;
    if ((word & 0xffff) !== 0) sawHanded++;
  }, 1);
  try {
    await Promise.all(
      [0, 1, 2, 3].map((i) =>
        spawn<boolean>(
          "semStress",
          { handle: sem.handle, stats, seed: seed + i, ms: 1500, permits },
          30_000,
          FAIR_OPS,
        ).result
      ),
    );
    clearInterval(sampler);
    const [inside, maxInside, taken, timedOut, aborted] = new Int32Array(stats);
    console.log(
      `seed ${seed}: ${taken} acquisitions, ${timedOut} timeouts, ${aborted} aborts, max inside ${maxInside}; samples with a starving waiter ${sawStarving}, with a handed permit ${sawHanded}`,
    );
    assert.equal(inside, 0);
    assert.equal(sem.value, permits, "no permit lost or invented");
    assert.equal(Atomics.load(slots, STARVE), 0, "nobody left counted as starving, nothing handed");
    assert.equal(Atomics.load(slots, WAITERS), 0);
    assert.ok(taken! > 0);
  } catch (error) {
    clearInterval(sampler);
    console.log(`semaphore stress failed with seed ${seed} (THREADKIT_SEED=${seed} to repeat)`);
    throw error;
  }
});

for (const mode of ["sync", "async"] as const) {
  test(`RWLock: three workers reading in a tight loop cannot starve a ${mode} writer`, async () => {
    const rw = new RWLock();
    const ctl = new SharedArrayBuffer(8);
    // Three readers whose read sections overlap: without writer preference the lock is never
    // free of readers while they run (20 s), so a writer would wait that long.
    const readers = [0, 1, 2].map(() =>
      spawn<number>("readHammer", { handle: rw.handle, ctl, holdUs: 50 }, 30_000, FAIR_OPS)
    );
    const writer = spawn<{ acquired: boolean; waited: number }>(
      "waiter",
      { kind: "RWLock", handle: rw.handle, ctl, mode, after: 300, timeout: 5000 },
      30_000,
      FAIR_OPS,
    );
    let outcome: { acquired: boolean; waited: number };
    let rounds: number[];
    try {
      outcome = await writer.result;
    } finally {
      Atomics.store(new Int32Array(ctl), STOP, 1);
      rounds = await Promise.all(readers.map((r) => r.result));
    }
    console.log(
      `RWLock ${mode} writer: waited ${outcome.waited.toFixed(2)} ms; reader rounds ${rounds}`,
    );
    assert.equal(outcome.acquired, true, "the writer got the lock before its timeout");
    assert.equal(rw.writeLocked, false);
    assert.equal(rw.readers, 0);
  });
}

/** The raw STATE word of an RWLock, and a check that it is back to free with nobody counted. */
function rwState(rw: RWLock): Int32Array {
  return slotsOf(rw.handle, 7);
}
/** Waits until a writer of the RWLock whose slots these are has set S (it starves). */
function writerStarves(slots: Int32Array): Promise<void> {
  return until(() => (Atomics.load(slots, RW_STATE) & STARVING) !== 0, "the writer starves");
}

/**
 * A fresh RWLock that this thread holds for writing, with an abortable async `write()` of this
 * thread waiting until it starved (S set); the lock is still held.
 */
async function anAbortableWriterStarves(): Promise<{
  rw: RWLock;
  slots: Int32Array;
  held: Guard;
  abort: AbortController;
  starving: Promise<Guard>;
}> {
  const rw = new RWLock();
  const slots = rwState(rw);
  const held = rw.writeSync();
  const abort = new AbortController();
  const starving = rw.write({ signal: abort.signal, timeout: 20_000 });
  await writerStarves(slots);
  return { rw, slots, held, abort, starving };
}

/**
 * A fresh RWLock that this thread wrote, with an async `write()` of this thread waiting until it
 * starved. `release()` releases it: the lock is left reserved for that writer, whose wake-up is
 * a microtask away (a self-wake, `futex.ts`): the caller looks in the same synchronous step.
 */
async function handedToAStarvingWriter(): Promise<{
  rw: RWLock;
  slots: Int32Array;
  waiting: Promise<Guard>;
  release: () => void;
}> {
  const rw = new RWLock();
  const slots = rwState(rw);
  const held = rw.writeSync();
  const waiting = rw.write({ timeout: 5000 });
  await writerStarves(slots);
  return { rw, slots, waiting, release: () => held.release() };
}

function rwIdle(rw: RWLock): void {
  const slots = rwState(rw);
  assert.equal(Atomics.load(slots, RW_STATE), 0, "free, no writer counted, no S");
  assert.equal(Atomics.load(slots, RW_WAIT), 0, "no reader counted");
  assert.equal(Atomics.load(slots, RW_BARGE), 0);
}

test("RWLock: a writer's release that finds S leaves the lock reserved; writeSync, tryWrite, zero timeouts and readers cannot take it", async () => {
  const rw = new RWLock();
  const slots = rwState(rw);
  const guard = rw.writeSync();
  // As a starving writer announces itself (one that then dies: nobody takes the hand-off).
  Atomics.or(slots, RW_STATE, STARVING | RW_WAITING_ONE);
  guard.release();
  assert.equal(Atomics.load(slots, RW_STATE), STARVING | RW_WAITING_ONE, "free, S kept: reserved");
  assert.equal(rw.writeLocked, false, "nobody holds it");
  assert.equal(rw.tryWrite(), undefined, "tryWrite does not take it");
  assert.throws(() => rw.writeSync({ timeout: 0 }), /starving writer/, "nor a zero timeout");
  await assert.rejects(rw.write({ timeout: 0 }), { name: "TimeoutError" });
  assert.equal(rw.tryRead(), undefined, "a writer is counted: readers wait");
  assert.match(rw.describe().text, /0 readers/);
  assert.equal(Atomics.load(slots, RW_STATE), STARVING | RW_WAITING_ONE, "all of that left it");
  // Its starving writer gone, any writer takes it once it has waited past the bound itself.
  const t0 = performance.now();
  const taken = rw.writeSync({ timeout: 5000 });
  const waited = performance.now() - t0;
  assert.ok(waited >= STARVE_AFTER_MS * 0.9, `took it only once starving (${waited} ms)`);
  assert.equal(Atomics.load(slots, RW_STATE), RW_WRITER | RW_WAITING_ONE, "S cleared, w-1");
  taken.release();
  assert.equal(Atomics.load(slots, RW_STATE), RW_WAITING_ONE, "plain release: the mark is gone");
  Atomics.sub(slots, RW_STATE, RW_WAITING_ONE); // the dead announcer
  rwIdle(rw);
});

test("RWLock: the last reader out leaves the lock reserved for a starving writer", () => {
  const rw = new RWLock();
  const slots = rwState(rw);
  const a = rw.readSync();
  const b = rw.readSync();
  Atomics.or(slots, RW_STATE, STARVING | RW_WAITING_ONE);
  a.release();
  b.release();
  assert.equal(Atomics.load(slots, RW_STATE), STARVING | RW_WAITING_ONE);
  assert.equal(rw.tryWrite(), undefined);
  Atomics.and(slots, RW_STATE, 0);
  rwIdle(rw);
});

test("RWLock: a starving async writer is handed the lock by a releasing writer, ahead of tryWrite", async () => {
  const { rw, slots, waiting, release } = await handedToAStarvingWriter();
  release();
  assert.equal(Atomics.load(slots, RW_STATE), STARVING | RW_WAITING_ONE, "handed to it");
  // The waiter has not run since (its wake-up is still queued): a barger cannot take it.
  assert.equal(rw.tryWrite(), undefined);
  const guard = await waiting;
  assert.equal(Atomics.load(slots, RW_STATE), RW_WRITER, "taken: S and its count cleared");
  guard.release();
  rwIdle(rw);
});

for (const leave of ["times out", "is aborted"] as const) {
  test(`RWLock: a starving writer that ${leave} before the release takes its S mark with it`, async () => {
    const rw = new RWLock();
    const slots = rwState(rw);
    const held = rw.writeSync();
    const abort = new AbortController();
    const waiting = leave === "times out"
      ? rw.write({ timeout: 300 })
      : rw.write({ signal: abort.signal, timeout: 20_000 });
    await writerStarves(slots);
    if (leave === "times out") await assert.rejects(waiting, { name: "TimeoutError" });
    else {
      abort.abort(new Error("stop"));
      await assert.rejects(waiting, /stop/);
    }
    assert.equal(Atomics.load(slots, RW_STATE), RW_WRITER, "uncounted, S gone");
    held.release();
    rwIdle(rw);
  });
}

test("RWLock: a writer that finds it starves only at the wake its timeout ends leaves another starving writer's S alone", async () => {
  // A writer judges whether it starves at a wake, and announces it (sets S, or parks finding it
  // set) only at its next park. One whose 1 ms timeout ends at the wake where it first judges
  // itself starving never announced: S on the word is another writer's, and it must neither
  // clear it nor wake the writers as a starving leaver does (the lock word's `starves` /
  // `starving` split; before it, the RWLock's leaver cleared S and bumped WSEQ here).
  const { rw, slots, held, abort, starving } = await anAbortableWriterStarves();
  const seq = Atomics.load(slots, RW_WSEQ);
  // A timeout of 1 ms (STARVE_AFTER_MS) ends no later than the writer would first starve (it
  // first parks after the call began), so it times out on the turn that judges, whenever its
  // timer fires. Repeated: the old leaver judged it starved whenever the timer fired late.
  for (let i = 0; i < 12; i++) {
    await assert.rejects(RWLock.from(rw.handle).write({ timeout: STARVE_AFTER_MS }), {
      name: "TimeoutError",
    });
    assert.equal(
      Atomics.load(slots, RW_STATE),
      RW_WRITER | RW_WAITING_ONE | STARVING,
      `attempt ${i}: S kept, the leaver uncounted`,
    );
    assert.equal(Atomics.load(slots, RW_WSEQ), seq, `attempt ${i}: no writer woken`);
  }
  held.release();
  const guard = await starving;
  assert.equal(Atomics.load(slots, RW_STATE), RW_WRITER, "handed to the starving writer");
  guard.release();
  abort.abort();
  rwIdle(rw);
});

test("RWLock: a starving writer aborted after the hand-off passes the lock on: to a waiting writer, then to the readers", async () => {
  const { rw, slots, held, abort, starving } = await anAbortableWriterStarves();
  // Through another object of the lock: a second write through `rw` would wait in this thread's
  // line of writes behind the starving one, not counted on the word (`rwlock.ts`, `write`).
  const next = RWLock.from(rw.handle).write({ timeout: 5000 });
  const reader = rw.read({ timeout: 5000 });
  await until(
    () =>
      (Atomics.load(slots, RW_STATE) >>> 17 & 0x3fff) === 2 && Atomics.load(slots, RW_WAIT) === 1,
    "a second writer and a reader wait",
  );
  held.release();
  assert.equal(Atomics.load(slots, RW_STATE), STARVING | 2 * RW_WAITING_ONE, "handed off");
  // The starving writer has not run since: abort it now. It clears S and passes the lock on.
  abort.abort(new Error("stop"));
  await assert.rejects(starving, /stop/);
  const w = await next;
  assert.equal(Atomics.load(slots, RW_STATE) & ~STARVING, RW_WRITER, "the other writer has it");
  w.release();
  const r = await reader;
  assert.equal(rw.readers, 1, "then the reader, once no writer waits");
  r.release();
  rwIdle(rw);
});

test("RWLock: a starving writer aborted after the hand-off, nobody else waiting, frees it for the readers", async () => {
  const { rw, slots, held, abort, starving } = await anAbortableWriterStarves();
  const reader = rw.read({ timeout: 5000 });
  await until(() => Atomics.load(slots, RW_WAIT) === 1, "a reader waits");
  held.release();
  assert.equal(Atomics.load(slots, RW_STATE), STARVING | RW_WAITING_ONE);
  abort.abort(new Error("stop"));
  await assert.rejects(starving, /stop/);
  const r = await reader;
  assert.equal(Atomics.load(slots, RW_STATE), 1, "one reader, no S, nobody counted");
  r.release();
  const free = rw.tryWrite();
  assert.ok(free !== undefined, "free for anyone");
  free.release();
  rwIdle(rw);
});

test("RWLock: sync and async on one thread: a readSync of the thread whose own async write was handed the lock is not held back by S", async () => {
  const { rw, slots, waiting, release } = await handedToAStarvingWriter();
  release();
  assert.equal(Atomics.load(slots, RW_STATE), STARVING | RW_WAITING_ONE);
  // Blocking this thread on S would stop the very writer S is reserved for.
  const t0 = performance.now();
  const r = rw.readSync({ timeout: 2000 });
  assert.ok(performance.now() - t0 < 1000, "at once, not after a timeout");
  r.release();
  const guard = await waiting;
  assert.equal(rw.writeLocked, true);
  guard.release();
  rwIdle(rw);
});

test("RWLock: sync and async on one thread: a writeSync of the thread whose own async write was handed the lock takes it once it starves itself", async () => {
  const { rw, slots, waiting, release } = await handedToAStarvingWriter();
  release();
  assert.equal(Atomics.load(slots, RW_STATE), STARVING | RW_WAITING_ONE);
  // The async writer cannot run while this thread blocks: any starving writer may take it.
  const t0 = performance.now();
  const mine = rw.writeSync({ timeout: 2000 });
  const waited = performance.now() - t0;
  assert.ok(waited >= STARVE_AFTER_MS * 0.9 && waited < 1000, `once starving (${waited} ms)`);
  assert.equal(Atomics.load(slots, RW_STATE), RW_WRITER | RW_WAITING_ONE, "S cleared by the taker");
  mine.release();
  const guard = await waiting;
  guard.release();
  rwIdle(rw);
});

test("RWLock: seeded stress across 4 workers — writers starve, time out and are aborted as the lock is handed; readers and writers exclude each other; the counts end at zero", async () => {
  const seed = Number(
    (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env
      .THREADKIT_SEED ?? Math.floor(Math.random() * 2 ** 31),
  );
  const rw = new RWLock();
  const slots = rwState(rw);
  const stats = new SharedArrayBuffer(32);
  // Sample STATE meanwhile, to show that the run reached the hand-off mode.
  let sawStarving = 0;
  let sawReserved = 0;
  const sampler = setInterval(() => {
    const state = Atomics.load(slots, RW_STATE);
    if ((state & STARVING) !== 0) {
      sawStarving++;
      if ((state & (RW_WRITER | 0xffff)) === 0) sawReserved++;
    }
  }, 1);
  try {
    await Promise.all(
      [0, 1, 2, 3].map((i) =>
        spawn<boolean>(
          "rwStress",
          { handle: rw.handle, stats, seed: seed + i, ms: 1500 },
          30_000,
          FAIR_OPS,
        ).result
      ),
    );
    clearInterval(sampler);
    const [writers, readers, wrote, read, timedOut, aborted] = new Int32Array(stats);
    console.log(
      `seed ${seed}: ${wrote} writes, ${read} reads, ${timedOut} timeouts, ${aborted} aborts; samples with S ${sawStarving}, reserved ${sawReserved}`,
    );
    assert.equal(writers, 0);
    assert.equal(readers, 0);
    rwIdle(rw);
    assert.ok(wrote! > 0 && read! > 0);
  } catch (error) {
    clearInterval(sampler);
    console.log(`rwlock stress failed with seed ${seed} (THREADKIT_SEED=${seed} to repeat)`);
    throw error;
  }
});
