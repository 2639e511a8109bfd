/**
 * Local parks (`src/internal/futex.ts`, "Local parks"): an async acquire of a `Lock` that this
 * thread holds waits without a `waitAsync` registration until the thread's turn ends. A release
 * by another task of the thread ends it in a microtask; a release by another thread is seen at
 * the end of the turn, where a park still pending registers for real.
 *
 * What would catch the hazards:
 * - registrations per hand-off, counted by wrapping `Atomics.waitAsync` (the tree before made
 *   two per hand-off: the wait and its nudge);
 * - more hand-offs in one turn than the turn's self-wake budget (64): a park woken past it is
 *   marked and resumed at the turn's end, and the credit holds;
 * - a release by another thread inside the turn reaches no local park: only the end-of-turn
 *   check does, at once; without it, the liveness poll (`OWNER_POLL_MS`, 100 ms) would.
 *
 * A `Semaphore` has no owner: its parks are marked local while the object that parks holds
 * permits its own acquires took (tasks of one thread sharing permits), the same tests apply. An
 * `RWLock`'s reads and writes park locally while the lock is write-held by this thread or
 * read-held by it alone (`localHint`), and a read also while the writers it waits behind are
 * this thread's: tasks of one thread mixing reads and writes.
 *
 * Since a `Lock`'s, `Semaphore`'s or `RWLock` write's async acquire that waits for its own
 * thread waits with no slow path (local waits, `tests/local_wait_test.ts`), the cases here run
 * through local waits, which sit on the same lists, credit and end-of-turn check; the slow path's
 * local park itself runs in the `Lock` case with local waits off and in the `RWLock` and
 * `Semaphore` cases again with them off.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { Event, Lock, RWLock, Semaphore } from "../mod.ts";
import {
  deferWakeAll,
  freshLocalParks,
  localParkCounts,
  now,
  type Park,
  pendingAsyncWaits,
  runAsync,
  selfWakeLooks,
  useLocalWaits,
  wake,
} from "../src/internal/futex.ts";
import { OWNER_POLL_MS } from "../src/internal/lock_word.ts";
import { countingRegistrations, slotsOf } from "./fixtures/checks.ts";
import { spawn, until } from "./helpers.ts";

/** `tasks` async tasks of this thread each take `lock` `loops` times; returns the order served. */
async function takeTurns(lock: Lock, tasks: number, loops: number): Promise<number[]> {
  const served: number[] = [];
  await Promise.all(Array.from({ length: tasks }, async (_, t) => {
    for (let i = 0; i < loops; i++) {
      assert.equal(await lock.acquire({ timeout: 20_000 }), true, "acquired");
      served.push(t);
      await null; // the holder gives the other tasks a microtask turn
      lock.release();
    }
  }));
  return served;
}

/**
 * A worker that releases `lock` when told (`tell`), started and ready; `released` waits (blocking
 * this thread, within the turn) until it has.
 */
async function releaser(lock: Lock | Semaphore) {
  const flags = new Int32Array(new SharedArrayBuffer(12)); // told, released, ready
  const worker = spawn<string>("releaseWhenTold", {
    handle: lock.handle,
    flags: flags.buffer,
    timeout: 20_000,
    semaphore: lock instanceof Semaphore,
  });
  await until(() => Atomics.load(flags, 2) === 1, "the worker is ready", 20_000);
  return {
    result: worker.result,
    tell() {
      Atomics.store(flags, 0, 1);
      Atomics.notify(flags, 0);
    },
    released() {
      assert.notEqual(Atomics.wait(flags, 1, 0, 20_000), "timed-out", "the worker released");
    },
  };
}

/**
 * One turn of this thread: `acquire()` parks locally (asserted), `worker` releases and this thread
 * waits for it, blocking; returns how long the acquire then took to resolve (ms: the end-of-turn
 * check sees the release at once, the liveness poll would take OWNER_POLL_MS).
 */
async function acquiredAfterRelease(
  acquire: () => Promise<boolean>,
  worker: Awaited<ReturnType<typeof releaser>>,
): Promise<number> {
  const acquired = acquire();
  assert.equal(localParkCounts().parked, 1, "parked locally");
  worker.tell();
  worker.released();
  const t0 = performance.now();
  assert.equal(await acquired, true);
  const ms = performance.now() - t0;
  assert.equal(await worker.result, "ok");
  return ms;
}

test("local parks: tasks of one thread take turns on a Lock with no waitAsync registration", async () => {
  freshLocalParks();
  const lock = new Lock();
  const slots = slotsOf(lock.handle, 2);
  const tasks = 20;
  const loops = 50; // 1,000 hand-offs in microtasks: past the turn's self-wakes (64-256) many times
  let served: number[] = [];
  const calls = await countingRegistrations(async () => {
    served = await takeTurns(lock, tasks, loops);
  });
  assert.equal(served.length, tasks * loops);
  // Call order: after the first round each task's next acquire queues behind the others.
  for (let k = tasks; k < served.length; k++) {
    assert.equal(served[k], served[k - tasks], `turn ${k} served in call order`);
  }
  // Before: 2 a hand-off (the wait and its nudge).
  assert.ok(calls <= 2, `${calls} waitAsync registrations for ${served.length} hand-offs`);
  assert.equal(lock.locked, false);
  assert.equal(slots[0], 0, "the word is free, no PARKED left");
  assert.equal(slots[1], 0, "no async waiter counted");
  assert.equal(localParkCounts().parked, 0);
  assert.equal(pendingAsyncWaits(), 0);
});

test("local parks: with local waits off, a Lock's slow path parks locally: turns with no registration, the word marked", async () => {
  // The slow path's local park of a Lock still runs (the local credit's probes; a wait with
  // wakes owed): with local waits off, every waiting acquire takes it.
  useLocalWaits(false);
  try {
    freshLocalParks();
    const lock = new Lock();
    const slots = slotsOf(lock.handle, 2);
    lock.acquireSync();
    const waiting = lock.acquire({ timeout: 20_000 });
    assert.equal(localParkCounts().parked, 1, "parked locally");
    assert.equal(Atomics.load(slots, 0) & 1, 1, "the slow path set PARKED");
    lock.release();
    assert.equal(await waiting, true);
    lock.release();
    let served: number[] = [];
    const calls = await countingRegistrations(async () => {
      served = await takeTurns(lock, 20, 50);
    });
    assert.equal(served.length, 1000);
    for (let k = 20; k < served.length; k++) assert.equal(served[k], served[k - 20]);
    assert.ok(calls <= 2, `${calls} waitAsync registrations for ${served.length} hand-offs`);
    assert.equal(slots[0], 0, "free, no PARKED left");
    assert.equal(slots[1], 0);
  } finally {
    useLocalWaits(true);
  }
  assert.equal(localParkCounts().parked, 0);
  assert.equal(pendingAsyncWaits(), 0);
});

for (const waits of [true, false]) {
  const mode = waits ? "local waits" : "the slow path's local parks";
  test(`local parks: tasks of one thread take turns on an RWLock's write lock with no waitAsync registration (${mode})`, () =>
    withLocalWaits(waits, async () => {
      freshLocalParks();
      const rw = new RWLock();
      const tasks = 20;
      const loops = 50;
      const served: number[] = [];
      const calls = await countingRegistrations(async () => {
        await Promise.all(Array.from({ length: tasks }, async (_, t) => {
          for (let i = 0; i < loops; i++) {
            const guard = await rw.write({ timeout: 20_000 });
            served.push(t);
            await null;
            guard.release();
          }
        }));
      });
      assert.equal(served.length, tasks * loops);
      for (let k = tasks; k < served.length; k++) {
        assert.equal(served[k], served[k - tasks], `turn ${k} served in call order`);
      }
      // Before: 2 a hand-off, as the Lock's.
      assert.ok(calls <= 2, `${calls} waitAsync registrations for ${served.length} hand-offs`);
      const free = rw.tryWrite();
      assert.ok(free !== undefined, "free again");
      free.release();
      assert.equal(localParkCounts().parked, 0);
      assert.equal(pendingAsyncWaits(), 0);
    }));
}

test("local parks: an RWLock read waiting for this thread's write lock parks locally; the release reaches it in a microtask", async () => {
  freshLocalParks();
  const rw = new RWLock();
  const rseqOf = slotsOf(rw.handle, 3);
  const tasks = 8;
  const loops = 25;
  let reads = 0;
  let writes = 0;
  const calls = await countingRegistrations(async () => {
    // Each task writes (held over a microtask: the others' reads and writes wait for it), then
    // reads (held over a microtask: the writes wait for the readers).
    await Promise.all(Array.from({ length: tasks }, async () => {
      for (let i = 0; i < loops; i++) {
        const w = await rw.write({ timeout: 20_000 });
        writes++;
        await null;
        w.release();
        const r = await rw.read({ timeout: 20_000 });
        reads++;
        await null;
        r.release();
      }
    }));
  });
  assert.equal(reads, tasks * loops);
  assert.equal(writes, tasks * loops);
  assert.ok(rseqOf[2]! > 0, "some reads waited (the readers were woken)");
  // Before: each read that waited for a write of its own thread registered a waitAsync (438
  // registrations, nudges included, for the 200 reads).
  // (At a turn's end, forced by the self-wake budget, the parks still waiting register.)
  assert.ok(calls * 3 <= reads, `${calls} waitAsync registrations for ${reads} reads`);
  assert.equal(Atomics.load(rseqOf, 0), 0, "free");
  assert.equal(rseqOf[1], 0, "no reader counted in RWAIT");
  assert.equal(localParkCounts().parked, 0);
  assert.equal(pendingAsyncWaits(), 0);
});

test("local parks: a park that times out or is aborted leaves nothing behind; the next still gets the lock", async () => {
  freshLocalParks();
  const lock = new Lock();
  const slots = slotsOf(lock.handle, 2);
  lock.acquireSync();
  const calls = await countingRegistrations(async () => {
    // Timed out while parked locally (the turn's end registers it; the timer ends it).
    assert.equal(await lock.acquire({ timeout: 20 }), false);
    assert.equal(localParkCounts().parked, 0);
    // Aborted while parked locally, within the turn.
    const controller = new AbortController();
    const aborted = lock.acquire({ signal: controller.signal, timeout: 10_000 });
    assert.equal(localParkCounts().parked, 1, "parked locally");
    const reason = new Error("stop");
    controller.abort(reason);
    await assert.rejects(aborted, (error) => error === reason);
    assert.equal(localParkCounts().parked, 0);
    // The next waiter still gets the release, in a microtask.
    const next = lock.acquire({ timeout: 10_000 });
    assert.equal(localParkCounts().parked, 1, "parked locally");
    lock.release();
    assert.equal(await next, true);
  });
  // The timed-out one registered at its turn's end (its release never came from this thread).
  assert.ok(calls <= 2, `${calls} registrations`);
  lock.release();
  assert.equal(slots[0], 0);
  await until(() => slots[1] === 0 && pendingAsyncWaits() === 0, "all settled", 5_000);
  assert.equal(localParkCounts().parked, 0);
});

test("local parks: a release by another thread within the turn is seen at the turn's end, not at the liveness poll", async () => {
  const lock = new Lock();
  const slots = slotsOf(lock.handle, 2);
  for (let attempt = 0; attempt < 3; attempt++) {
    freshLocalParks();
    lock.acquireSync(); // held by this thread: an acquire of it parks locally
    const worker = await releaser(lock);
    const ms = await acquiredAfterRelease(() => lock.acquire({ timeout: 20_000 }), worker);
    lock.release();
    assert.equal(slots[0], 0);
    // The end-of-turn check sees it at once (well under 1 ms here); the liveness poll would
    // take OWNER_POLL_MS. A loaded machine may delay a turn: up to three attempts.
    if (ms < OWNER_POLL_MS / 2) return;
    if (attempt === 2) assert.fail(`acquired ${ms.toFixed(1)} ms after the release, 3 times`);
  }
});

test("local parks: a Lock used as a signal across threads stops parking locally (the credit)", async () => {
  freshLocalParks();
  const lock = new Lock();
  for (let round = 0; round < 4; round++) {
    lock.acquireSync();
    const worker = await releaser(lock);
    const acquired = lock.acquire({ timeout: 20_000 });
    const local = localParkCounts().parked;
    // The first two parks go local and miss (the release comes from the worker, after the
    // turn): the credit (4, -2 each) is out, and the next parks register at once.
    assert.equal(local, round < 2 ? 1 : 0, `round ${round}: parked locally ${local}`);
    worker.tell();
    assert.equal(await acquired, true);
    assert.equal(await worker.result, "ok");
    lock.release();
  }
  assert.ok(localParkCounts().credit <= 0);
});

test("local parks: one pending does not make every wake scan the thread's registrations (aborts stay linear)", async () => {
  freshLocalParks();
  const event = new Event();
  const n = 2_000;
  const controllers = Array.from({ length: n }, () => new AbortController());
  const waits = controllers.map((c) =>
    event.wait({ signal: c.signal, timeout: 20_000 }).then(() => "woken", () => "aborted")
  );
  await until(() => pendingAsyncWaits() === n, "the waits are parked", 10_000);
  const lock = new Lock();
  lock.acquireSync();
  const pending = lock.acquire({ timeout: 20_000 });
  assert.equal(localParkCounts().parked, 1, "parked locally");
  const before = selfWakeLooks();
  for (const c of controllers) c.abort(new Error("stop")); // each abort wakes the Event's slot
  const looks = selfWakeLooks() - before;
  // Bounded by the turn's self-wake budget; with the local park in the same scan as the
  // registrations (found by review) every abort looked at every registration: ~n²/2.
  assert.ok(looks < 10 * n, `${looks} looks for ${n} aborts`);
  assert.deepEqual(new Set(await Promise.all(waits)), new Set(["aborted"]));
  lock.release();
  assert.equal(await pending, true);
  lock.release();
  assert.equal(localParkCounts().parked, 0);
});

test("local parks: a wake the slow path owes, on its own timed-out wait's slot, does not resume it twice", async () => {
  // A slow path whose physical wait timed out (left current, as the driver keeps it for reuse)
  // owes a wake of that slot (`deferWakeAll`, as a Condition.notify in user code), then parks
  // locally. The driver's "owed wakes first" flush self-woke the run (a queued resume of this
  // step) and then parked it locally: the resume found it parked, its slow path parked locally
  // again, and the run was counted twice (found by review). All within one turn here: the
  // release comes two microtasks later, after that stray resume.
  freshLocalParks();
  const i32 = new Int32Array(new SharedArrayBuffer(8));
  const answers: string[] = [];
  function* slow(): Generator<Park, string, string> {
    answers.push(yield { i32, index: 0, expected: 0, deadline: now() + 5, asyncCount: -1 });
    deferWakeAll(i32, 0);
    queueMicrotask(() =>
      queueMicrotask(() => {
        Atomics.store(i32, 1, 1);
        wake(i32, 1, 1, -1);
      })
    );
    for (let k = 0; k < 3; k++) {
      // Bounded: a bug fails the assertions below instead of leaving the test's process alive.
      const park = { i32, index: 1, expected: 0, deadline: now() + 5_000, asyncCount: -1 };
      answers.push(yield { ...park, local: true });
      if (Atomics.load(i32, 1) !== 0) return "done";
    }
    return "gave up";
  }
  assert.equal(await runAsync(slow(), undefined), "done");
  assert.deepEqual(answers, ["timed-out", "ok"], "resumed once, by the release");
  assert.equal(localParkCounts().parked, 0, "nothing counted once the run has ended");
  await until(() => pendingAsyncWaits() === 0, "nothing pending", 5_000);
});

/** `tasks` tasks of this thread each take a permit of `sem` `loops` times; the order served. */
async function sharePermits(sem: Semaphore, permits: number, tasks: number, loops: number) {
  const served: number[] = [];
  let inside = 0;
  await Promise.all(Array.from({ length: tasks }, async (_, t) => {
    for (let i = 0; i < loops; i++) {
      assert.equal(await sem.acquire({ timeout: 20_000 }), true, "acquired");
      inside++;
      assert.ok(inside <= permits, `${inside} tasks inside ${permits} permits`);
      served.push(t);
      // Held for 1 to 3 microtasks: with several permits, the holders release in turn.
      for (let k = (t + i) % 3; k >= 0; k--) await null;
      inside--;
      sem.release();
    }
  }));
  return served;
}

/**
 * The Semaphore cases run twice: with local waits (a `Semaphore`'s acquire of an object that
 * shares permits among its thread's tasks waits with no slow path, `tests/local_wait_test.ts`)
 * and with them off, where the slow path's local park (the hint `HeldHere` marks, and its miss
 * handling) is what runs.
 */
async function withLocalWaits(on: boolean, f: () => Promise<void>): Promise<void> {
  useLocalWaits(on);
  try {
    await f();
  } finally {
    useLocalWaits(true);
  }
}

for (const waits of [true, false]) {
  const mode = waits ? "local waits" : "the slow path's local parks";
  test(`local parks: tasks of one thread take turns on a Semaphore(1) with no waitAsync registration (${mode})`, () =>
    withLocalWaits(waits, async () => {
      freshLocalParks();
      const sem = new Semaphore(1);
      const tasks = 20;
      const loops = 50;
      let served: number[] = [];
      const calls = await countingRegistrations(async () => {
        served = await sharePermits(sem, 1, tasks, loops);
      });
      assert.equal(served.length, tasks * loops);
      // Before: 2 a hand-off (the wait and its nudge), as the Lock's were.
      assert.ok(calls <= 2, `${calls} waitAsync registrations for ${served.length} hand-offs`);
      assert.equal(sem.value, 1);
      assert.equal(sem.describe().waiters, 0);
      assert.equal(localParkCounts().parked, 0);
      assert.equal(pendingAsyncWaits(), 0);
    }));

  test(`local parks: tasks of one thread limited by a Semaphore(3) hand permits on with no registration (${mode})`, () =>
    withLocalWaits(waits, async () => {
      freshLocalParks();
      const sem = new Semaphore(3);
      let served: number[] = [];
      const calls = await countingRegistrations(async () => {
        served = await sharePermits(sem, 3, 20, 50);
      });
      assert.equal(served.length, 1_000);
      assert.ok(calls <= 2, `${calls} waitAsync registrations for ${served.length} acquires`);
      assert.equal(sem.value, 3);
      assert.equal(localParkCounts().parked, 0);
      assert.equal(pendingAsyncWaits(), 0);
    }));

  test(`local parks: a Semaphore permit released by another thread within the turn is seen at the turn's end (${mode})`, () =>
    withLocalWaits(waits, async () => {
      const sem = new Semaphore(2);
      // A permit taken and given back through `sem`: a mark of permits shared by this thread's tasks.
      assert.equal(await sem.acquire(), true);
      sem.release();
      for (let attempt = 0; attempt < 3; attempt++) {
        freshLocalParks();
        // This thread holds one permit through `sem` (its parks are marked local), the worker's
        // release brings the other back.
        assert.equal(await sem.acquire(), true);
        sem.acquireSync(); // the second permit, which the worker will return
        const worker = await releaser(sem);
        const ms = await acquiredAfterRelease(() => sem.acquire({ timeout: 20_000 }), worker);
        sem.release(2);
        assert.equal(sem.value, 2);
        if (ms < OWNER_POLL_MS / 2) return;
        if (attempt === 2) assert.fail(`acquired ${ms.toFixed(1)} ms after the release, 3 times`);
      }
    }));

  test(`local parks: a Semaphore used as a signal registers at once (holds nothing, gives nothing back) (${mode})`, () =>
    withLocalWaits(waits, async () => {
      freshLocalParks();
      const sem = new Semaphore(0); // a signal: the permits come from elsewhere
      const other = Semaphore.from(sem.handle); // "elsewhere": another object (as another thread's)
      for (let round = 0; round < 3; round++) {
        // Round 0 holds nothing through `sem`; then it holds ever more, and never gave one back.
        const acquired = sem.acquire({ timeout: 20_000 });
        assert.equal(localParkCounts().parked, 0, `round ${round}: not parked locally`);
        assert.equal(pendingAsyncWaits(), 1);
        other.release();
        assert.equal(await acquired, true);
      }
      assert.equal(sem.value, 0);
      assert.equal(localParkCounts().credit, 4, "no local park missed");
    }));

  test(`local parks: a Semaphore object whose local park missed stops marking until it gives a permit back again (${mode})`, () =>
    withLocalWaits(waits, async () => {
      freshLocalParks();
      const sem = new Semaphore(0);
      // Used as a mutex once (a permit taken and given back through `sem`): its parks are marked.
      sem.release();
      assert.equal(await sem.acquire(), true);
      sem.release();
      assert.equal(await sem.acquire(), true); // held again: the hint says "ours comes back"
      // Then as a signal: the permits come from another thread, within the turn.
      for (let round = 0; round < 3; round++) {
        const worker = await releaser(sem);
        const acquired = sem.acquire({ timeout: 20_000 });
        const local = localParkCounts().parked;
        // Round 0 parks locally and misses (its permit comes from the worker): the object stops
        // marking; before, every later park was marked too, and each cost the credit a miss.
        assert.equal(local, round === 0 ? 1 : 0, `round ${round}: parked locally ${local}`);
        worker.tell();
        worker.released();
        assert.equal(await acquired, true);
        assert.equal(await worker.result, "ok");
      }
      assert.equal(localParkCounts().credit, 2, "one miss (4 - 2)");
      sem.release(4);
      assert.equal(await sem.acquire(), true);
      sem.release();
    }));
}

test("self-wakes: one release that wakes a herd of this thread's local parks resumes them all in microtasks (one self-wake of the turn)", async () => {
  // 100 reads of this thread parked locally behind its own write lock. Charged one a park, the
  // turn's budget (64) let 64 resume in microtasks and left the rest to the turn's end; charged
  // one a wake (the runs bounded by SELF_WAKE_RUNS_PER_TURN), the release resumes all 100.
  freshLocalParks();
  const rw = new RWLock();
  const n = 100;
  const holder = rw.writeSync();
  let entered = 0;
  const reads = Array.from({ length: n }, async () => {
    const guard = await rw.read({ timeout: 20_000 });
    entered++;
    return guard;
  });
  for (let i = 0; i < 200 && localParkCounts().parked < n; i++) await null;
  assert.equal(localParkCounts().parked, n, "all parked locally");
  holder.release();
  for (let i = 0; i < 2_000 && entered < n; i++) await null; // microtasks only
  assert.equal(entered, n, "every read entered within the turn");
  for (const guard of await Promise.all(reads)) guard.release();
  assert.equal(localParkCounts().parked, 0);
  await until(() => pendingAsyncWaits() === 0, "all settled", 5_000);
});
