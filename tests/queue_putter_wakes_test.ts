// One putter wake in flight at a time (src/queue/base.ts, "Waking putters"; header slot
// PUT_WOKEN): a get that frees room (or a release of held room) with putters counted wakes one
// only when no putter wake is already on its way, and the woken putter wakes the next, after it
// releases the lock, when its put leaves room for another. These tests count this thread's
// Atomics.notify calls on NOT_FULL, so a missing or spare wake shows without timing (a missing
// one would otherwise show only as a putter sleeping until the 100 ms poll). models/queue.pml
// (PUT_BURST) checks the protocol with sleeping putters on other threads.
import assert from "node:assert/strict";
import { type Codec, float64Codec, Queue, structuredCodec } from "../mod.ts";
import { LOCK, NOT_FULL, PUT_WOKEN, PUTTERS } from "../src/queue/header.ts";
import { fillWithSmallItems, lockedTest, slotWakes, slotWakesSync } from "./helpers.ts";

/** The queue's header slots (a queue made here starts its buffer). */
function header(queue: Queue<unknown>): Int32Array {
  return new Int32Array(queue.handle.buffer as SharedArrayBuffer, queue.handle.byteOffset, 48);
}

/** This thread's notifies of NOT_FULL while `f` runs, and those sent with LOCK held. */
function notFullWakes(h: Int32Array, f: () => unknown): Promise<{ wakes: number; locked: number }> {
  return slotWakes(h, NOT_FULL, LOCK, f);
}

/** Resolves once every promise in `ps` has settled or `ms` passed: a bound on a test's wait. */
function settledWithin(ps: Promise<unknown>[], ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    Promise.allSettled(ps).then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

// float64Codec gets free the room under LOCK; structuredCodec gets hold it while they decode and
// give it up without LOCK (`#release`), which reads PUT_WOKEN without LOCK.
for (const codec of [float64Codec, structuredCodec] as Codec<number>[]) {
  const name = codec === float64Codec ? "float64Codec" : "structuredCodec";

  lockedTest(
    `Queue (${name}): a burst of gets wakes a waiting putter once, not once per get`,
    async () => {
      const queue = new Queue<number>(3, { codec });
      const h = header(queue as Queue<unknown>);
      for (let i = 0; i < 3; i++) queue.putNowait(i);
      const put = queue.put(3, { timeout: 10_000 });
      assert.equal(Atomics.load(h, PUTTERS), 1, "the put is waiting, counted");
      // Before PUT_WOKEN, each of these gets bumped NOT_FULL and notified: 3 wakes.
      // Counted and looked at before the woken putter runs (a self-wake: a microtask later).
      const burst = slotWakesSync(h, NOT_FULL, LOCK, () => {
        for (let i = 0; i < 3; i++) assert.equal(queue.getNowait(), i);
      });
      assert.equal(burst.wakes, 1);
      assert.equal(Atomics.load(h, PUT_WOKEN), 1, "a wake is in flight");
      await put;
      assert.equal(Atomics.load(h, PUT_WOKEN), 0, "the woken putter took it up");
      assert.equal(Atomics.load(h, PUTTERS), 0);
      assert.equal(queue.getNowait(), 3);
    },
  );

  lockedTest(`Queue (${name}): a woken putter that leaves room wakes the next putter`, async () => {
    const queue = new Queue<number>(3, { codec });
    const h = header(queue as Queue<unknown>);
    for (let i = 0; i < 3; i++) queue.putNowait(i);
    // Three putters on their own objects: one object's puts wait one at a time (`line.ts`).
    const puts = [3, 4, 5].map((v) =>
      Queue.from<number>(queue.handle, { codec }).put(v, { timeout: 10_000 })
    );
    assert.equal(Atomics.load(h, PUTTERS), 3);
    // The gets' own wakes, before the woken putters run (a self-wake: a microtask later).
    const burst = slotWakesSync(h, NOT_FULL, LOCK, () => {
      for (let i = 0; i < 3; i++) assert.equal(queue.getNowait(), i);
    });
    // One wake for the three gets; then each putter that leaves room behind with other putters
    // counted passes a wake on (the first leaves 2 places, the second 1).
    const passed = await notFullWakes(h, () => Promise.all(puts));
    assert.equal(burst.wakes, 1);
    assert.equal(passed.wakes, 2);
    assert.equal(passed.locked, 0, "each pass-on wake is sent after LOCK is released");
    assert.equal(queue.qsize(), 3);
    assert.deepEqual([0, 1, 2].map(() => queue.getNowait()).sort(), [3, 4, 5]);
    assert.equal(Atomics.load(h, PUT_WOKEN), 0);
    assert.equal(Atomics.load(h, PUTTERS), 0);
  });

  lockedTest(
    `Queue (${name}): a woken putter that takes the last place wakes no other`,
    async () => {
      const queue = new Queue<number>(2, { codec });
      const h = header(queue as Queue<unknown>);
      queue.putNowait(0);
      queue.putNowait(1);
      const puts = [2, 3].map((v) =>
        Queue.from<number>(queue.handle, { codec }).put(v, { timeout: 10_000 })
      );
      assert.equal(queue.getNowait(), 0);
      // The get's wake reaches both async putters (one notify wakes every async waiter); the one
      // that puts fills the queue, so it passes nothing on.
      const { wakes } = await notFullWakes(h, () => Promise.race(puts));
      assert.equal(wakes, 0, "no spare pass-on for one place");
      assert.equal(queue.getNowait(), 1);
      await Promise.all(puts);
      assert.deepEqual([queue.getNowait(), queue.getNowait()].sort(), [2, 3]);
      assert.equal(Atomics.load(h, PUT_WOKEN), 0);
    },
  );

  lockedTest(
    `Queue (${name}): a wake left in flight with no taker does not silence the next putter`,
    async () => {
      // A get's wake sent while the only counted putter is on its way out (its item stored, not
      // yet uncounted: another thread's, so not built here) reaches nobody and leaves PUT_WOKEN
      // at 1; so does a taker that dies before it looks. A putter that then counts itself clears
      // it, so the next get wakes it at once. Without that clear, the get skipped its wake and the
      // putter slept until its poll.
      const queue = new Queue<number>(1, { codec });
      const h = header(queue as Queue<unknown>);
      queue.putNowait(0);
      Atomics.store(h, PUT_WOKEN, 1); // the wake with no taker
      const put = queue.put(1, { timeout: 10_000 });
      assert.equal(Atomics.load(h, PUTTERS), 1);
      assert.equal(Atomics.load(h, PUT_WOKEN), 0, "counting itself, the putter cleared it");
      const { wakes } = await notFullWakes(h, () => {
        assert.equal(queue.getNowait(), 0);
      });
      assert.equal(wakes, 1, "the get woke the putter");
      await put;
      assert.equal(queue.getNowait(), 1);
    },
  );
}

lockedTest(
  "Queue: a release while a putter wake is in flight leaves it to that putter",
  async () => {
    // structuredCodec: a get holds its record's room while it decodes and gives it up without
    // LOCK. With a wake in flight, the release neither takes LOCK nor notifies; the woken putter
    // folds the released room in when it looks.
    const queue = new Queue<string>(2);
    const h = header(queue as Queue<unknown>);
    queue.putNowait("a");
    queue.putNowait("b");
    const puts = ["c", "d"].map((v) =>
      Queue.from<string>(queue.handle).put(v, { timeout: 10_000 })
    );
    let lockCases = 0;
    const original = Atomics.compareExchange;
    // The gets' own wakes, before the woken putters run (a self-wake: a microtask later).
    const { wakes } = slotWakesSync(h, NOT_FULL, LOCK, () => {
      assert.equal(queue.getNowait(), "a"); // its release wakes (PUT_WOKEN was 0)
      const counting = (i32: Int32Array, index: number, expected: number, replacement: number) => {
        if (i32.buffer === h.buffer && i32.byteOffset / 4 + index === LOCK) lockCases++;
        return original(i32, index, expected, replacement);
      };
      (Atomics as { compareExchange: unknown }).compareExchange = counting;
      try {
        assert.equal(queue.getNowait(), "b");
      } finally {
        (Atomics as { compareExchange: typeof Atomics.compareExchange }).compareExchange = original;
      }
    });
    assert.equal(wakes, 1, "one wake for both gets");
    // Its take's acquire and release CASes of the lock word; the release of its held room took
    // none (before PUT_WOKEN: two more, to bump NOT_FULL under LOCK).
    assert.equal(lockCases, 2, "the second get took LOCK once, for its take, not for its release");
    assert.equal(await settledWithin(puts, 10_000), true);
    await Promise.all(puts);
    assert.deepEqual([queue.getNowait(), queue.getNowait()].sort(), ["c", "d"]);
    assert.equal(Atomics.load(h, PUT_WOKEN), 0);
  },
);

lockedTest(
  "Queue: in a queue bounded by its bytes, a smaller item goes in past a larger one's waiting put",
  async () => {
    // Records of several sizes: a large put and a small one wait on a full queue that cannot
    // grow; a get frees room for the small one only. Whichever putter looks first (one notify
    // wakes both async putters here, so this does not decide who is woken: the next test fixes
    // the order), the small item goes in, the large put keeps waiting, and the first putter to
    // look cleared the wake. Then room for the large one wakes it.
    const queue = new Queue<string>(0, { capacityBytes: 64, maxCapacityBytes: 64 });
    const h = header(queue as Queue<unknown>);
    const fillers = fillWithSmallItems(queue); // records of 8 bytes, as the small put's
    assert.ok(fillers.length >= 2, `filled with ${fillers.length} items`);
    const large = queue.put("L".repeat(40), { timeout: 10_000 });
    // Another producer's (its own object): this object's next put would wait behind the large one.
    const small = Queue.from<string>(queue.handle).put("s", { timeout: 10_000 });
    assert.equal(Atomics.load(h, PUTTERS), 2);
    assert.equal(queue.getNowait(), fillers[0]);
    assert.equal(await settledWithin([small], 10_000), true, "the small put went in");
    await small;
    assert.equal(Atomics.load(h, PUTTERS), 1, "the large put still waits");
    assert.equal(Atomics.load(h, PUT_WOKEN), 0, "no wake left in flight");
    const rest: string[] = [];
    while (Atomics.load(h, PUTTERS) === 1 && queue.qsize() > 0) rest.push(queue.getNowait());
    assert.equal(await settledWithin([large], 10_000), true, "room for the large put woke it");
    await large;
    rest.push(...Array.from({ length: queue.qsize() }, () => queue.getNowait()));
    assert.deepEqual(rest, [...fillers.slice(1), "s", "L".repeat(40)]);
  },
);

lockedTest(
  "Queue: a woken putter whose item misses while a smaller one fits wakes one more putter, flagless",
  async () => {
    // The miss path of `#putSlow`, with its order fixed: one async putter (a large item) waits on
    // a queue that cannot grow, and a phantom count in PUTTERS stands for a second putter (another
    // thread's, asleep). A get frees room for a small record only and wakes the large putter; it
    // takes the wake (PUT_WOKEN 1 → 0), misses, and must wake one more putter for that room
    // without setting PUT_WOKEN (it goes back to sleep: a flag it set could have no taker).
    const queue = new Queue<string>(0, { capacityBytes: 64, maxCapacityBytes: 64 });
    const h = header(queue as Queue<unknown>);
    const fillers = fillWithSmallItems(queue);
    const large = queue.put("L".repeat(40), { timeout: 10_000 });
    assert.equal(Atomics.load(h, PUTTERS), 1);
    Atomics.add(h, PUTTERS, 1); // the phantom putter
    try {
      const { wakes, locked } = await notFullWakes(h, async () => {
        assert.equal(queue.getNowait(), fillers[0]); // its wake sets PUT_WOKEN
        assert.equal(Atomics.load(h, PUT_WOKEN), 1);
        // Wait (bounded) until the large putter has taken the wake and looked.
        for (let t = 0; t < 10_000 && Atomics.load(h, PUT_WOKEN) !== 0; t++) {
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
      });
      assert.equal(Atomics.load(h, PUT_WOKEN), 0, "no flag set for the pass-on");
      assert.equal(wakes, 2, "the get's wake, then the miss path's");
      assert.equal(locked, 1, "the miss path wakes with LOCK held (it sleeps next)");
    } finally {
      Atomics.sub(h, PUTTERS, 1);
    }
    assert.equal(Atomics.load(h, PUTTERS), 1, "the large put still waits");
    const rest: string[] = [];
    while (Atomics.load(h, PUTTERS) === 1 && queue.qsize() > 0) rest.push(queue.getNowait());
    await large;
    rest.push(...Array.from({ length: queue.qsize() }, () => queue.getNowait()));
    assert.deepEqual(rest, [...fillers.slice(1), "L".repeat(40)]);
  },
);
