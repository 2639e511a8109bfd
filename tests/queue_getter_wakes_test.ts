// One getter wake in flight at a time (src/queue/base.ts, "Waking getters"; header slot WOKEN):
// a put that finds getters counted wakes one only when no wake is already on its way, and the
// woken getter wakes the next, after it releases the lock, when it finds more items than its own.
// These tests count this thread's Atomics.notify calls on the queue's buffer, so they see a wake
// that is missing or spare without depending on timing: a missing wake would otherwise show only
// as a getter sleeping until the 100 ms poll (`seq_wait.ts`, "Poll"), which a timing test could
// not tell from a busy machine. models/queue.pml (THREE_PUTS, PUTBACK_WAKE) checks the protocol
// with sleeping getters on other threads.
import assert from "node:assert/strict";
import { type Codec, float64Codec, Queue, structuredCodec } from "../mod.ts";
import { GETTERS, LOCK, NOT_EMPTY, WOKEN } from "../src/queue/header.ts";
import { lockedTest, notifiesOn, slotWakes } from "./helpers.ts";

/** The queue's header slots (a queue made here starts its buffer). */
function header(queue: Queue<unknown>): Int32Array {
  return new Int32Array(queue.handle.buffer as SharedArrayBuffer, queue.handle.byteOffset, 48);
}

/** This thread's notifies of NOT_EMPTY while `f` runs, and those sent with LOCK held. */
function notEmptyWakes(
  h: Int32Array,
  f: () => unknown,
): Promise<{ wakes: number; locked: number }> {
  return slotWakes(h, NOT_EMPTY, LOCK, f);
}

for (const codec of [float64Codec, structuredCodec] as Codec<number>[]) {
  const name = codec === float64Codec ? "float64Codec" : "structuredCodec";

  lockedTest(
    `Queue (${name}): a burst of puts wakes a waiting getter once, not once per put`,
    async () => {
      const queue = new Queue<number>(0, { codec });
      const h = header(queue as Queue<unknown>);
      const got = queue.get({ timeout: 10_000 });
      assert.equal(Atomics.load(h, GETTERS), 1, "the get is waiting, counted");
      // Before WOKEN, each of these 100 puts bumped NOT_EMPTY and notified: 100 wakes.
      const wakes = notifiesOn(queue.handle.buffer, () => {
        for (let i = 0; i < 100; i++) queue.putNowait(i);
      });
      assert.equal(wakes, 1);
      assert.equal(h[WOKEN], 1, "a wake is in flight");
      assert.equal(await got, 0);
      assert.equal(h[WOKEN], 0, "the woken getter took it up");
      for (let i = 1; i < 100; i++) assert.equal(queue.getNowait(), i);
      assert.equal(Atomics.load(h, GETTERS), 0);
    },
  );

  lockedTest(
    `Queue (${name}): a woken getter that finds more items wakes the next getter`,
    async () => {
      const queue = new Queue<number>(0, { codec });
      const h = header(queue as Queue<unknown>);
      // Three getters on their own objects: one object's gets wait one at a time (`line.ts`).
      const gets = [0, 1, 2].map(() =>
        Queue.from<number>(queue.handle, { codec }).get({ timeout: 10_000 })
      );
      assert.equal(Atomics.load(h, GETTERS), 3);
      let got: number[] = [];
      // One wake for the three puts; then each getter that finds more than its own item and
      // other getters counted passes a wake on (the first finds 3 items, the second 2).
      const burst = notifiesOn(queue.handle.buffer, () => {
        for (let i = 0; i < 3; i++) queue.putNowait(i);
      });
      const passed = await notEmptyWakes(h, async () => {
        got = await Promise.all(gets);
      });
      assert.equal(burst, 1);
      assert.equal(passed.wakes, 2);
      assert.equal(passed.locked, 0, "each pass-on wake is sent after LOCK is released");
      assert.deepEqual([...got].sort(), [0, 1, 2]);
      assert.equal(queue.qsize(), 0);
      assert.equal(h[WOKEN], 0);
      assert.equal(Atomics.load(h, GETTERS), 0);
    },
  );

  lockedTest(
    `Queue (${name}): a woken getter that finds only its own item wakes no other`,
    async () => {
      const queue = new Queue<number>(0, { codec });
      const h = header(queue as Queue<unknown>);
      const gets = [0, 1].map(() =>
        Queue.from<number>(queue.handle, { codec }).get({ timeout: 10_000 })
      );
      queue.putNowait(1);
      // The put's wake reaches both async getters (one notify wakes every async waiter); the one
      // that takes the item sees no item past its own, so it passes nothing on.
      const { wakes } = await notEmptyWakes(h, () => Promise.race(gets));
      assert.equal(wakes, 0, "no spare pass-on for one item");
      queue.putNowait(2);
      assert.deepEqual((await Promise.all(gets)).sort(), [1, 2]);
      assert.equal(h[WOKEN], 0);
    },
  );
}

lockedTest(
  "Queue: a put-back wakes a getter that counted itself while the item was held",
  async () => {
    // A getter takes the only item (fast path, not counted) and its decode throws; meanwhile
    // another get counted itself and sleeps (here: a get the decode starts, so the order is
    // fixed). The put-back must wake it: WOKEN is 0, and no other put may come.
    const box: { queue?: Queue<number>; inner?: Promise<number>; fail: boolean } = { fail: false };
    const codec: Codec<number> = {
      encode: (value) => float64Codec.encode(value),
      decode(bytes) {
        if (box.fail) {
          box.fail = false;
          box.inner = box.queue!.get({ timeout: 10_000 }); // counts itself, clears WOKEN, sleeps
          throw new Error("decode failed");
        }
        return float64Codec.decode(bytes);
      },
    };
    const queue = new Queue<number>(0, { codec });
    box.queue = queue;
    const h = header(queue as Queue<unknown>);
    queue.putNowait(7);
    box.fail = true;
    let counted = -1;
    const { wakes } = await notEmptyWakes(h, () => {
      assert.throws(() => queue.getNowait(), /decode failed/);
      // Looked at before the wake reaches it (a self-wake is a microtask away).
      counted = Atomics.load(h, GETTERS);
    });
    assert.equal(counted, 1, "the inner get waited, counted");
    assert.equal(wakes, 1, "the put-back woke it");
    assert.equal(await box.inner, 7);
  },
);

lockedTest(
  "Queue: a wake sent while the only counted getter is leaving does not silence the next getter",
  async () => {
    // A counted getter's decode puts (user code runs after the get released the lock, while the
    // getter is still counted): that put wakes nobody and leaves WOKEN at 1 after the getter has
    // gone. A getter that then counts itself clears it, so the next put wakes it at once. Without
    // that clear, the put skipped its wake and the getter slept until its poll.
    const box: { queue?: Queue<number> } = {};
    let putFromDecode = false;
    const codec: Codec<number> = {
      encode: (value) => float64Codec.encode(value),
      decode(bytes) {
        const value = float64Codec.decode(bytes);
        if (putFromDecode) {
          putFromDecode = false;
          box.queue!.putNowait(value + 1000);
        }
        return value;
      },
    };
    const queue = new Queue<number>(0, { codec });
    box.queue = queue;
    const h = header(queue as Queue<unknown>);
    const first = queue.get({ timeout: 10_000 });
    assert.equal(Atomics.load(h, GETTERS), 1);
    putFromDecode = true;
    queue.putNowait(1);
    assert.equal(await first, 1);
    assert.equal(h[WOKEN], 1, "the decode's put woke nobody: the wake is left in flight");
    assert.equal(Atomics.load(h, GETTERS), 0);
    assert.equal(queue.getNowait(), 1001);
    const second = queue.get({ timeout: 10_000 });
    assert.equal(h[WOKEN], 0, "counting itself, the getter cleared the stale wake");
    const wakes = notifiesOn(queue.handle.buffer, () => queue.putNowait(2));
    assert.equal(wakes, 1, "the put woke the new getter");
    assert.equal(await second, 2);
  },
);
