/**
 * Local waits (`src/internal/futex.ts`, "Local waits"): the head of a `Lock`'s line of async
 * acquires that finds the word held by its own thread waits for that thread's release with no
 * slow path: nothing written to the word (no PARKED), no generator, no registration.
 *
 * What would catch the hazards:
 * - the word exactly `me2` while it waits (a slow path sets PARKED), and registrations counted;
 * - the thread's own sync acquire right after the release goes ahead (the word is freed at every
 *   release), and the local wait then waits for the next release;
 * - releases that do not come through `Lock.release` of the object that waits: another object of
 *   the same lock, a `Condition`'s wait, and another thread (seen at the turn's end);
 * - a starving waiter of another thread: the release hands it the word, and the local wait goes
 *   to the slow path instead of taking it;
 * - abort and timeout while it waits, and two tasks handing a `Lock` back and forth for ever in
 *   microtasks (the turn's self-wake budget still lets a timer run);
 * - the same for an `RWLock`'s write lock held by this thread: counted as a waiting writer (so
 *   readers stay behind it: writer preference, found by review) but no wake of the writers at
 *   the release; a starving writer of another thread (S) takes it over.
 * - a call of the line whose deadline passed before its turn came (the thread busy, the line's
 *   timer not run): it ends in microtasks, not at the turn's end.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Condition, Lock, RWLock, Semaphore } from "../mod.ts";
import {
  freshLocalParks,
  localParkCounts,
  localWaitsAt,
  pendingAsyncWaits,
} from "../src/internal/futex.ts";
import { currentIdent } from "../src/internal/ident.ts";
import { HANDOFF, OWNER_POLL_MS, PARKED, STARVING } from "../src/internal/lock_word.ts";
import { countingRegistrations, slotsOf, timerFiresDuring } from "./fixtures/checks.ts";
import { spawn, until } from "./helpers.ts";

/** Lets microtasks run (never a macrotask) until `done()`, at most `max` of them. */
async function microtasksUntil(done: () => boolean, what: string, max = 200): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (done()) return;
    await null;
  }
  assert.fail(`${what}: not within ${max} microtasks`);
}

/**
 * A fresh Lock held by this thread (through a task's acquire), with a second async acquire
 * (`options`) at the head of the object's line, waiting locally: the word is this thread's,
 * without PARKED.
 */
async function aLocalWait(options: { timeout?: number; signal?: AbortSignal } = {}) {
  freshLocalParks();
  const lock = new Lock();
  const word = slotsOf(lock.handle, 2);
  const me2 = currentIdent() << 1;
  lock.acquireSync();
  const first = lock.acquire({ timeout: 10_000 }); // holds the line, waits locally itself
  const waiting = lock.acquire({ timeout: 10_000, ...options }); // behind it in the line
  lock.release(); // to the first, in a microtask
  assert.equal(await first, true);
  // The line serves the second in a microtask: the word is held by this thread (the first).
  await microtasksUntil(() => localParkCounts().parked === 1, "the second waits locally");
  // (PARKED would be set had the first waited in the slow path, and taken the word with it.)
  assert.equal(Atomics.load(word, 0) & ~PARKED, me2, "held by this thread");
  let settled = false;
  waiting.then(() => settled = true, () => settled = true);
  return { lock, word, me2, waiting, settled: () => settled };
}

test("local waits: the head of the line waits with no slow path and takes the word at this thread's release", async () => {
  let lock!: Lock;
  let word!: Int32Array;
  const calls = await countingRegistrations(async () => {
    const w = await aLocalWait();
    lock = w.lock;
    word = w.word;
    lock.release();
    assert.equal(Atomics.load(word, 0), 0, "the release frees the word");
    assert.equal(await w.waiting, true);
    assert.equal(Atomics.load(word, 0), w.me2, "taken by the fast path's CAS");
    // Once more, now that no slow path has touched the word: a third call waits locally
    // behind it, and nothing is written to the word for it.
    const third = lock.acquire({ timeout: 10_000 });
    await microtasksUntil(() => localParkCounts().parked === 1, "the third waits locally");
    assert.equal(Atomics.load(word, 0), w.me2, "no PARKED: the release stays one CAS");
    lock.release();
    assert.equal(await third, true);
  });
  assert.equal(calls, 0, "no waitAsync registration");
  lock.release();
  assert.equal(localParkCounts().parked, 0);
  assert.equal(pendingAsyncWaits(), 0);
  assert.equal(word[1], 0, "no async waiter counted");
});

test("local waits: this thread's sync acquire right after the release goes ahead; the wait takes the next release", async () => {
  const { lock, word, me2, waiting, settled } = await aLocalWait();
  lock.release();
  assert.equal(lock.acquireSync({ timeout: 0 }), true, "the sync form goes ahead");
  assert.equal(lock.tryAcquire(), false, "held");
  await microtasksUntil(() => localParkCounts().parked === 1, "waiting locally again");
  assert.equal(settled(), false, "still waiting");
  assert.equal(Atomics.load(word, 0), me2, "the word untouched by it");
  lock.release();
  assert.equal(await waiting, true);
  assert.throws(() => {
    lock.release();
    lock.release();
  }, { name: "NotOwnedError" });
  assert.equal(Atomics.load(word, 0), 0);
  assert.equal(pendingAsyncWaits(), 0);
});

test("local waits: a release through another object of the lock, or a Condition's wait, reaches it in microtasks", async () => {
  {
    const { lock, waiting } = await aLocalWait();
    Lock.from(lock.handle).release();
    await microtasksUntil(() => lock.locked, "taken");
    assert.equal(await waiting, true);
    lock.release();
  }
  {
    const { lock, waiting } = await aLocalWait();
    const cond = new Condition(lock);
    // The holder waits on the condition: its release of the word must reach the local wait.
    const waitingOnCond = cond.wait({ timeout: 10_000 });
    assert.equal(await waiting, true, "the local wait got the lock the condition released");
    cond.notify();
    lock.release();
    assert.equal(await waitingOnCond, true);
    lock.release();
    assert.equal(lock.locked, false);
  }
  assert.equal(pendingAsyncWaits(), 0);
});

test("local waits: a release by another thread is seen at the turn's end, not at the liveness poll", async () => {
  for (let attempt = 0; attempt < 3; attempt++) {
    const { lock, word, waiting } = await aLocalWait({ timeout: 20_000 });
    const flags = new Int32Array(new SharedArrayBuffer(12)); // told, released, ready
    const worker = spawn<string>("releaseWhenTold", {
      handle: lock.handle,
      flags: flags.buffer,
      timeout: 20_000,
    });
    // `until` polls with timers: the local wait reaches a turn's end meanwhile, is handed to
    // the slow path and parks there for real, which is also what the release must wake.
    await until(() => Atomics.load(flags, 2) === 1, "the worker is ready", 20_000);
    Atomics.store(flags, 0, 1);
    Atomics.notify(flags, 0);
    assert.notEqual(Atomics.wait(flags, 1, 0, 20_000), "timed-out", "the worker released");
    const t0 = performance.now();
    assert.equal(await waiting, true);
    const ms = performance.now() - t0;
    assert.equal(await worker.result, "ok");
    lock.release();
    assert.equal(Atomics.load(word, 0), 0);
    if (ms < OWNER_POLL_MS / 2) break;
    if (attempt === 2) assert.fail(`acquired ${ms.toFixed(1)} ms after the release, 3 times`);
  }
  assert.equal(pendingAsyncWaits(), 0);
});

test("local waits: a starving waiter of another thread is handed the word; the local wait goes to the slow path", async () => {
  const { lock, word, me2, waiting, settled } = await aLocalWait();
  // As a starving sleeper of another thread announces itself (one that then never runs: the
  // hand-off is taken by whoever starves next).
  Atomics.or(word, 0, STARVING | PARKED);
  const t0 = performance.now();
  lock.release();
  assert.equal(Atomics.load(word, 0), HANDOFF, "released into the hand-off state");
  // The local wait's try fails (not free) and the word is not this thread's: the slow path,
  // where it takes the hand-off only once it starves itself.
  // Registered by the slow path; or, on a loaded machine, already starved there and taken (more
  // than 1 ms between its first park and the registration): taken as the slow path takes it
  // (below), never by the local wait, which writes `me2` and cannot take a HANDOFF word.
  await microtasksUntil(() => word[1] === 1 || settled(), "registered by the slow path");
  if (!settled()) assert.equal(lock.tryAcquire(), false, "reserved");
  assert.equal(await waiting, true);
  assert.ok(performance.now() - t0 >= 0.9, "taken once it starved (STARVE_AFTER_MS)");
  assert.equal(Atomics.load(word, 0), me2 | PARKED, "taken as a slow-path waiter takes it");
  lock.release();
  assert.equal(Atomics.load(word, 0), 0);
  assert.equal(pendingAsyncWaits(), 0);
});

test("local waits: an abort rejects with its reason and the line goes on; a timeout ends it as the slow path's", async () => {
  {
    const controller = new AbortController();
    const { lock, word, me2, waiting } = await aLocalWait({ signal: controller.signal });
    const next = lock.acquire({ timeout: 10_000 }); // behind it in the line
    const reason = new Error("stop");
    controller.abort(reason);
    await assert.rejects(waiting, (error) => error === reason);
    assert.equal(Atomics.load(word, 0), me2, "the word untouched");
    await microtasksUntil(() => localParkCounts().parked === 1, "the next waits locally");
    lock.release();
    assert.equal(await next, true, "the next call in line gets it");
    lock.release();
  }
  {
    const { lock, word, waiting } = await aLocalWait({ timeout: 30 });
    const t0 = performance.now();
    assert.equal(await waiting, false, "timed out (never released)");
    assert.ok(performance.now() - t0 >= 20);
    assert.equal(localParkCounts().parked, 0);
    lock.release();
    assert.equal(Atomics.load(word, 0), 0);
    await until(() => word[1] === 0 && pendingAsyncWaits() === 0, "all settled", 5_000);
  }
});

test("local waits: two tasks handing a Lock back and forth for ever still let a timer run", async () => {
  const lock = new Lock();
  let rounds = 0;
  const firedAt = await timerFiresDuring(async (running) => {
    const task = async () => {
      while (running()) {
        if (!await lock.acquire({ timeout: 10_000 })) throw new Error("timed out");
        rounds++;
        await null; // the other task asks meanwhile: a hand-off each round
        lock.release();
      }
    };
    await Promise.all([task(), task()]);
  });
  assert.ok(firedAt < 1_500, `the 50 ms timer fired at ${firedAt.toFixed(0)} ms`);
  assert.ok(rounds > 100, `${rounds} rounds`);
  assert.equal(lock.locked, false);
  await until(() => pendingAsyncWaits() === 0, "nothing pending", 5_000);
});

test("local waits: a signal-like object that runs the listener and then throws ends the wait once", async () => {
  // Found by review: the constructor's catch ended the wait a second time after the listener's
  // abort had ended it (the keep-alive count went to -1, the line was handed on twice).
  const lock = new Lock();
  lock.acquireSync();
  const before = pendingAsyncWaits();
  let listener: (() => void) | undefined;
  const signal = {
    get aborted() {
      if (listener !== undefined) {
        const f = listener;
        listener = undefined;
        f(); // the wait ends here (an abort)...
        throw new Error("getter"); // ...and then the object throws
      }
      return false;
    },
    addEventListener(_type: string, f: () => void) {
      listener = f;
    },
    removeEventListener() {},
  } as unknown as AbortSignal;
  await assert.rejects(lock.acquire({ timeout: 10_000, signal }));
  assert.equal(pendingAsyncWaits(), before, "the keep-alive count is back where it was");
  assert.equal(localParkCounts().parked, 0);
  // The line was handed on once: two calls now are served in call order.
  const order: number[] = [];
  const p2 = lock.acquire({ timeout: 10_000 }).then((ok) => {
    order.push(2);
    return ok;
  });
  const p3 = lock.acquire({ timeout: 10_000 }).then((ok) => {
    order.push(3);
    return ok;
  });
  lock.release();
  assert.equal(await p2, true);
  lock.release();
  assert.equal(await p3, true);
  lock.release();
  assert.deepEqual(order, [2, 3]);
  assert.equal(pendingAsyncWaits(), before);
});

test("local waits: woken past the turn's budget while a sync acquire re-takes the word each turn, it still ends at its deadline", async () => {
  // Found by review: a local wait watches no clock, and at each turn's end it waited locally
  // again (this thread held the word again), so its 20 ms timeout never ended it (pending at
  // 500 ms); handed to the slow path at the turn's end, it ends as a slow-path wait does.
  const busy = new Lock(); // two tasks spend the self-wake budget on it every turn
  const lock = new Lock();
  lock.acquireSync();
  let stop = false;
  const t0 = performance.now();
  const bounded = () => stop || performance.now() - t0 > 3_000;
  const spend = async () => {
    while (!bounded()) {
      if (!await busy.acquire({ timeout: 10_000 })) throw new Error("busy timed out");
      const until = performance.now() + 0.03;
      while (performance.now() < until) { /* work */ }
      await null;
      busy.release();
    }
  };
  let waiting: Promise<boolean> | undefined;
  let settledAt = -1;
  // A timer loop that releases `lock` and takes it back at once (sync) each turn: the sync form
  // goes ahead of the waiting acquire, unless the lock was handed to it (it starved, in the
  // slow path) or it took it.
  let held = true;
  const loop = new Promise<void>((resolve) => {
    const tick = () => {
      if (held) lock.release();
      held = false;
      if (bounded()) return resolve();
      held = lock.acquireSync({ timeout: 0 });
      if (waiting === undefined && held) {
        waiting = lock.acquire({ timeout: 20 });
        waiting.then(() => {
          settledAt = performance.now() - t0;
          stop = true;
        });
        // Released and taken back in the same step: the wait is woken (past the budget the
        // tasks above spent, marked for the turn's end) and finds the word held again.
        lock.release();
        held = lock.acquireSync({ timeout: 0 });
      }
      setTimeout(tick, 0);
    };
    setTimeout(tick, 0);
  });
  await Promise.all([spend(), spend(), loop]);
  assert.ok(waiting !== undefined);
  const ok = await waiting;
  assert.ok(settledAt >= 0 && settledAt < 2_000, `settled at ${settledAt.toFixed(0)} ms`);
  if (ok) lock.release();
  assert.equal(lock.locked, false);
  assert.equal(busy.locked, false);
  await until(() => pendingAsyncWaits() === 0, "nothing pending", 5_000);
});

test("local waits: a first acquire handed over to the slow path still settles before the next call in line", async () => {
  // Found by review: the slow path it handed over to handed the line on from its own end, before
  // the wait's promise settled, so the next call's reactions ran first ("Settle order", line.ts).
  const lock = new Lock();
  lock.acquireSync();
  const controller = new AbortController();
  const order: string[] = [];
  const first = lock.acquire({ timeout: 10_000, signal: controller.signal }).then(
    () => order.push("first acquired"),
    () => order.push("first aborted"),
  );
  const second = lock.acquire({ timeout: 10_000 }).then((ok) => order.push(`second ${ok}`));
  // A turn's end: the first, never woken, hands over to the slow path (registered).
  await new Promise((resolve) => setTimeout(resolve, 5));
  lock.release();
  controller.abort(new Error("stop"));
  await Promise.all([first, second]);
  assert.deepEqual(order, ["first aborted", "second true"]);
  lock.release();
  assert.equal(lock.locked, false);
  await until(() => pendingAsyncWaits() === 0, "nothing pending", 5_000);
});

/**
 * A fresh `Semaphore(1)` whose object has taken a permit and given one back through its async
 * acquires (the hint its local waits need: `HeldHere` in src/semaphore.ts), holding the only
 * permit through one, with a second async acquire waiting locally.
 */
async function aSemaphoreLocalWait(options: { timeout?: number } = {}) {
  freshLocalParks();
  const sem = new Semaphore(1);
  const slots = slotsOf(sem.handle, 6); // VALUE, WAITERS, ASYNC, BOUND, STARVE, SASYNC
  assert.equal(await sem.acquire({ timeout: 10_000 }), true);
  sem.release();
  assert.equal(await sem.acquire({ timeout: 10_000 }), true);
  const waiting = sem.acquire({ timeout: 10_000, ...options });
  assert.equal(localParkCounts().parked, 1, "waits locally");
  assert.deepEqual([slots[0], slots[1], slots[2]], [0, 0, 0], "no permit, no WAITING, no waiter");
  return { sem, slots, waiting };
}

test("local waits: a Semaphore(1) shared by tasks of one thread hands its permit on with no slow path", async () => {
  let sem!: Semaphore;
  let slots!: Int32Array;
  const calls = await countingRegistrations(async () => {
    const w = await aSemaphoreLocalWait();
    sem = w.sem;
    slots = w.slots;
    sem.release();
    assert.equal(await w.waiting, true);
    assert.equal(slots[0], 0, "taken: no permit, no WAITING bit");
    sem.release();
    // Tasks taking turns: every hand-off local.
    await Promise.all(Array.from({ length: 10 }, async () => {
      for (let i = 0; i < 20; i++) {
        assert.equal(await sem.acquire({ timeout: 10_000 }), true);
        await null;
        sem.release();
      }
    }));
  });
  assert.equal(calls, 0, "no waitAsync registration");
  assert.deepEqual([slots[0], slots[1], slots[2]], [2, 0, 0], "one permit back, nobody waiting");
  assert.equal(localParkCounts().parked, 0);
  assert.equal(pendingAsyncWaits(), 0);
});

test("local waits: a Semaphore's permit taken first by this thread's sync acquire; the wait takes the next one", async () => {
  const { sem, slots, waiting } = await aSemaphoreLocalWait();
  let settled = false;
  waiting.then(() => settled = true);
  sem.release();
  assert.equal(sem.acquireSync({ timeout: 0 }), true, "the sync form goes ahead");
  await microtasksUntil(() => slots[1] === 1 || settled, "on to the slow path");
  assert.equal(settled, false, "still waiting");
  sem.release();
  assert.equal(await waiting, true);
  sem.release();
  assert.equal(slots[0], 2, "one permit, nobody waiting");
  await until(() => pendingAsyncWaits() === 0 && slots[2] === 0, "nothing pending", 5_000);
});

test("local waits: a Semaphore's permit released by another thread is seen at the turn's end; the hint is withdrawn", async () => {
  const { sem, slots, waiting } = await aSemaphoreLocalWait({ timeout: 20_000 });
  const flags = new Int32Array(new SharedArrayBuffer(12)); // told, released, ready
  const worker = spawn<string>("releaseWhenTold", {
    handle: sem.handle,
    flags: flags.buffer,
    timeout: 20_000,
    semaphore: true,
  });
  await until(() => Atomics.load(flags, 2) === 1, "the worker is ready", 20_000);
  Atomics.store(flags, 0, 1);
  Atomics.notify(flags, 0);
  assert.equal(await waiting, true);
  assert.equal(await worker.result, "ok");
  // The turn's end found it unwoken: the next acquire of this object goes to the slow path.
  const next = sem.acquire({ timeout: 20 });
  assert.equal(localParkCounts().parked, 0, "no local wait: the hint was withdrawn");
  assert.equal(await next, false);
  sem.release();
  sem.release();
  assert.equal(slots[0], 4, "two permits back (the worker's release added one)");
  await until(() => pendingAsyncWaits() === 0 && slots[2] === 0, "nothing pending", 5_000);
});

test("local waits: guards of a Semaphore(2) shared by tasks are attributed to the thread at every grant", async () => {
  // `hold()` attributes each permit to its thread (HELD) in the step that takes it, so that a
  // thread that ends holding guards gives them back (owner death): on the local path too.
  const sem = new Semaphore(2);
  const slots = slotsOf(sem.handle, 9); // VALUE … ; HOLDER 0 at 7, its HELD at 8
  let grants = 0;
  let local = 0;
  await Promise.all(Array.from({ length: 6 }, async () => {
    for (let i = 0; i < 20; i++) {
      const guard = await sem.hold({ timeout: 10_000 });
      grants++;
      local = Math.max(local, localParkCounts().parked);
      assert.equal(slots[8], 2 - (slots[0]! >> 1), "every permit taken is attributed");
      await null;
      guard.release();
    }
  }));
  assert.equal(grants, 120);
  assert.ok(local > 0, "some waited locally");
  assert.deepEqual([slots[0], slots[1], slots[8]], [4, 0, 0], "two permits back, none held");
  assert.equal(pendingAsyncWaits(), 0);
});

test("local waits: a Semaphore's acquire does not wait locally while a waiter of another thread starves", async () => {
  freshLocalParks();
  const sem = new Semaphore(1);
  const slots = slotsOf(sem.handle, 6);
  assert.equal(await sem.acquire({ timeout: 10_000 }), true);
  sem.release();
  assert.equal(await sem.acquire({ timeout: 10_000 }), true); // the hint: held, given back
  // As a starving waiter of another thread counts itself in STARVE (`starving << 16`): a
  // release would hand it the permit, so the acquire must wait in the slow path.
  Atomics.store(slots, 4, 1 << 16);
  const waiting = sem.acquire({ timeout: 30 });
  assert.equal(slots[1], 1, "counted in WAITERS: the slow path");
  assert.equal(await waiting, false);
  Atomics.store(slots, 4, 0); // the pretend waiter is gone
  sem.release();
  assert.deepEqual([slots[0], slots[1], slots[2]], [2, 0, 0]);
  await until(() => pendingAsyncWaits() === 0, "nothing pending", 5_000);
});

// RWLock's write lock (STATE: bits 0-15 readers, 16 WRITER, 17-30 writers waiting, 31 STARVING).
const RW_STATE = 0;
const RW_RWAIT = 1;
const RW_RSEQ = 2;
const RW_WSEQ = 3;
const RW_WASYNC = 4;
const RW_OWNER = 5;
const WRITER = 1 << 16;
const WAITING_ONE = 1 << 17;

/**
 * A fresh RWLock write-held by this thread (`writeSync`), with an async `write()` waiting for
 * it locally: counted in `w`, as a slow-path writer, but parked locally.
 */
async function anRWLocalWait(options: { timeout?: number; signal?: AbortSignal } = {}) {
  freshLocalParks();
  const rw = new RWLock();
  const slots = slotsOf(rw.handle, 7);
  const holder = rw.writeSync();
  const waiting = rw.write({ timeout: 10_000, ...options });
  let settled = false;
  waiting.then(() => settled = true, () => settled = true);
  await microtasksUntil(() => localParkCounts().parked === 1 || settled, "waits locally");
  return { rw, slots, holder, waiting, settled: () => settled };
}

test("local waits: an RWLock write waiting for this thread's write release is counted but wakes no writer", async () => {
  let slots!: Int32Array;
  const calls = await countingRegistrations(async () => {
    const w = await anRWLocalWait();
    slots = w.slots;
    assert.equal(Atomics.load(slots, RW_STATE), WRITER | WAITING_ONE, "counted in w");
    assert.equal(w.rw.describe().waiters, 1, "describe() counts it once");
    w.holder.release();
    const guard = await w.waiting;
    assert.equal(Atomics.load(slots, RW_STATE), WRITER, "taken: W set and w left in one CAS");
    assert.equal(Atomics.load(slots, RW_OWNER), currentIdent(), "owned by this thread");
    assert.equal(
      Atomics.load(slots, RW_WSEQ),
      0,
      "no wake of the writers: only a local one waited",
    );
    // Tasks taking turns on the write lock: every hand-off local.
    const order: number[] = [];
    const tasks = Array.from({ length: 8 }, async (_, k) => {
      for (let i = 0; i < 10; i++) {
        using _g = await w.rw.write({ timeout: 10_000 });
        order.push(k);
        await null;
      }
    });
    guard.release();
    await Promise.all(tasks);
    assert.equal(order.length, 80);
  });
  assert.equal(calls, 0, "no waitAsync registration");
  assert.equal(Atomics.load(slots, RW_STATE), 0, "free, nobody counted");
  assert.equal(Atomics.load(slots, RW_WSEQ), 0, "no writer was ever woken");
  assert.equal(localParkCounts().parked, 0);
  assert.equal(pendingAsyncWaits(), 0);
});

test("local waits: an RWLock's tryWrite or writeSync right after the release goes ahead; the local write takes the next release", async () => {
  for (const form of ["tryWrite", "writeSync"] as const) {
    const { rw, slots, holder, waiting, settled } = await anRWLocalWait();
    holder.release();
    const again = form === "tryWrite" ? rw.tryWrite() : rw.writeSync({ timeout: 1_000 });
    assert.ok(again !== undefined, `${form} goes ahead`);
    await microtasksUntil(() => localParkCounts().parked === 1, "waiting locally again");
    assert.equal(settled(), false, "still waiting");
    assert.equal(Atomics.load(slots, RW_STATE), WRITER | WAITING_ONE, "still counted");
    again.release();
    (await waiting).release();
    assert.equal(Atomics.load(slots, RW_STATE), 0);
  }
  assert.equal(pendingAsyncWaits(), 0);
});

test("local waits: readers stay behind an RWLock write waiting locally (writer preference)", async () => {
  // Found by review: uncounted, the local write let in a reader between the release and its
  // retry (a tryRead, a read() called or woken then), and a task that wrote, released and then
  // held a read while the other task's write waited made that write time out.
  {
    const { rw, holder, waiting } = await anRWLocalWait();
    holder.release();
    const r = rw.tryRead();
    r?.release();
    (await waiting).release();
    assert.equal(r, undefined, "tryRead() right after the release enters ahead of the write");
  }
  for (const readCalled of ["after the release", "while the write waits"]) {
    const { rw, slots, holder, waiting } = await anRWLocalWait();
    const order: string[] = [];
    const wrote = waiting.then((g) => {
      order.push("write");
      g.release();
    });
    let read: Promise<void> | undefined;
    const callRead = () =>
      read = rw.read({ timeout: 10_000 }).then((g) => {
        order.push("read");
        g.release();
      });
    if (readCalled === "while the write waits") {
      callRead();
      await microtasksUntil(() => slots[RW_RWAIT] === 1, "the read waits");
    }
    const rseq = Atomics.load(slots, RW_RSEQ);
    holder.release();
    assert.equal(Atomics.load(slots, RW_RSEQ), rseq, "the release woke no reader");
    if (readCalled === "after the release") callRead();
    await Promise.all([wrote, read]);
    assert.deepEqual(order, ["write", "read"], `a read called ${readCalled}`);
  }
  {
    // A task writes, releases, then reads and holds the read until the other task has written:
    // its read waits behind that write, which must not time out.
    const rw = new RWLock();
    const a = await rw.write({ timeout: 10_000 });
    const b = rw.write({ timeout: 500 }).then((g) => {
      g.release();
      return "wrote";
    }, (error: Error) => error.name);
    await microtasksUntil(() => localParkCounts().parked === 1, "b waits locally");
    a.release();
    const readA = rw.read({ timeout: 10_000 });
    assert.equal(await b, "wrote");
    (await readA).release();
    assert.equal(Atomics.load(slotsOf(rw.handle, 1), 0), 0);
  }
  assert.equal(pendingAsyncWaits(), 0);
});

test("local waits: an RWLock write does not wait locally while a writer of another thread starves, and hands over when one starts to", async () => {
  {
    // S set (and its writer counted) before the call: the slow path, counted in `w`.
    freshLocalParks();
    const rw = new RWLock();
    const slots = slotsOf(rw.handle, 7);
    const holder = rw.writeSync();
    Atomics.add(slots, RW_STATE, WAITING_ONE | STARVING); // a starving sleeper of another thread
    const waiting = rw.write({ timeout: 30 });
    await microtasksUntil(
      () => (Atomics.load(slots, RW_STATE) & ~STARVING) === (WRITER | 2 * WAITING_ONE),
      "counted as a waiting writer",
    );
    assert.equal(localWaitsAt(slots, RW_STATE), 0, "not a local wait (the slow path)");
    await assert.rejects(waiting, { name: "TimeoutError" });
    // The pretend writer is gone (S too: the timed-out writer, starving by then, may have taken
    // it along as it left, as a writer that parked finding S set does).
    Atomics.sub(slots, RW_STATE, WAITING_ONE);
    Atomics.and(slots, RW_STATE, ~STARVING);
    holder.release();
    assert.equal(Atomics.load(slots, RW_STATE), 0);
    await until(() => slots[RW_WASYNC] === 0 && pendingAsyncWaits() === 0, "settled", 5_000);
  }
  {
    // S set while it waits locally: the release leaves the lock reserved and wakes the writers
    // (a starving one is counted); the local write cannot take it and goes to the slow path,
    // still counted, where it takes it only once it starves itself.
    const { slots, holder, waiting } = await anRWLocalWait();
    Atomics.add(slots, RW_STATE, WAITING_ONE | STARVING);
    const t0 = performance.now();
    holder.release();
    assert.equal(Atomics.load(slots, RW_STATE), 2 * WAITING_ONE | STARVING, "reserved");
    assert.equal(Atomics.load(slots, RW_WSEQ), 1, "the writers woken (a hand-off)");
    const guard = await waiting;
    assert.ok(performance.now() - t0 >= 0.9, "taken once it starved (STARVE_AFTER_MS)");
    // Taken as a starving slow-path writer takes it: S cleared, its own count gone.
    assert.equal(Atomics.load(slots, RW_STATE), WRITER | WAITING_ONE);
    Atomics.sub(slots, RW_STATE, WAITING_ONE);
    guard.release();
    assert.equal(Atomics.load(slots, RW_STATE), 0);
    await until(() => slots[RW_WASYNC] === 0 && pendingAsyncWaits() === 0, "settled", 5_000);
  }
});

test("local waits: an RWLock local write ends by abort or timeout leaving the lock as it was", async () => {
  {
    const controller = new AbortController();
    const { rw, slots, holder, waiting } = await anRWLocalWait({ signal: controller.signal });
    const next = rw.write({ timeout: 10_000 }); // behind it in the line
    const reason = new Error("stop");
    controller.abort(reason);
    await assert.rejects(waiting, (error) => error === reason);
    await microtasksUntil(() => localParkCounts().parked === 1, "the next waits locally");
    assert.equal(Atomics.load(slots, RW_STATE), WRITER | WAITING_ONE, "the next counted, alone");
    holder.release();
    (await next).release();
    assert.equal(Atomics.load(slots, RW_STATE), 0);
  }
  {
    // Aborted while readers wait behind it, the lock write-held: the release lets them in.
    const controller = new AbortController();
    const { rw, slots, holder, waiting } = await anRWLocalWait({ signal: controller.signal });
    const read = rw.read({ timeout: 10_000 });
    await microtasksUntil(() => slots[RW_RWAIT] === 1, "the read waits");
    controller.abort(new Error("stop"));
    await assert.rejects(waiting);
    assert.equal(Atomics.load(slots, RW_STATE), WRITER, "no writer left counted");
    holder.release();
    (await read).release();
    assert.equal(Atomics.load(slots, RW_STATE), 0);
  }
  {
    const { slots, holder, waiting } = await anRWLocalWait({ timeout: 30 });
    const t0 = performance.now();
    await assert.rejects(waiting, { name: "TimeoutError" });
    assert.ok(performance.now() - t0 >= 20);
    assert.equal(localParkCounts().parked, 0);
    assert.equal(Atomics.load(slots, RW_STATE), WRITER, "no writer left counted");
    holder.release();
    assert.equal(Atomics.load(slots, RW_STATE), 0);
    await until(() => slots[RW_WASYNC] === 0 && pendingAsyncWaits() === 0, "settled", 5_000);
  }
});

/** Runs no task and no microtask for `ms` milliseconds (a timer due meanwhile waits). */
function blockFor(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // busy: the thread's deadline timer cannot run
  }
}

test("local waits: a call whose deadline passed while it waited in the line ends in microtasks, not at the turn's end", async () => {
  // The line goes on to the late call (its deadline timer not run yet: the thread was busy)
  // while the word is held by this thread: it must not wait locally for a release that comes
  // too late anyway, nor until the turn's end hands it to the slow path (found at the end of
  // the last session: it waited the turn out, then resolved false).
  const settles = async (wait: Promise<unknown>, what: string) => {
    let outcome: unknown = "pending";
    wait.then((value) => outcome = value, (error) => outcome = error);
    await microtasksUntil(() => outcome !== "pending", what);
    return outcome;
  };
  {
    freshLocalParks();
    const lock = new Lock();
    lock.acquireSync();
    const first = lock.acquire({ timeout: 10_000 }); // holds the line, waits locally
    const late = lock.acquire({ timeout: 20 }); // behind it in the line
    blockFor(40);
    lock.release(); // to the first, in a microtask; then the line goes on to the late call
    assert.equal(await first, true);
    assert.equal(await settles(late, "the late Lock acquire"), false);
    assert.equal(localParkCounts().parked, 0);
    lock.release();
  }
  {
    freshLocalParks();
    const semaphore = new Semaphore(1);
    semaphore.acquireSync();
    const first = semaphore.acquire({ timeout: 10_000 });
    const late = semaphore.acquire({ timeout: 20 });
    blockFor(40);
    semaphore.release();
    assert.equal(await first, true);
    assert.equal(await settles(late, "the late Semaphore acquire"), false);
    assert.equal(localParkCounts().parked, 0);
    semaphore.release();
  }
  {
    freshLocalParks();
    const rw = new RWLock();
    const holder = rw.writeSync();
    const first = rw.write({ timeout: 10_000 });
    const late = rw.write({ timeout: 20 });
    blockFor(40);
    holder.release();
    const guard = await first;
    const outcome = await settles(late, "the late RWLock write");
    assert.ok(outcome instanceof Error && outcome.name === "TimeoutError", String(outcome));
    assert.equal(localParkCounts().parked, 0);
    guard.release();
    assert.equal(Atomics.load(slotsOf(rw.handle, 4), RW_STATE), 0, "no writer left counted");
  }
  await until(() => pendingAsyncWaits() === 0, "all settled", 5_000);
});
