// Regression: a get or a put-back that found the queue grown by another thread (or another Queue
// object on the same memory) re-makes its views of the data area under the queue's lock
// (`#remap`). An allocation that failed there threw with the lock still held by a live thread:
// every later put and get of the queue waited for good. Now both release the lock before the
// error reaches the caller. The failure is forced by making `DataView` throw for one call, the
// last view `#remap` makes; every wait here is bounded.
import assert from "node:assert/strict";
import { type Codec, Queue, structuredCodec } from "../../mod.ts";
import { LOCK } from "../../src/queue/header.ts";
import { lockedTest } from "../helpers.ts";

/** Runs `f` with the global `DataView` constructor throwing; restores it whatever happens. */
function withFailingViews<T>(f: () => T): T {
  const g = globalThis as { DataView: DataViewConstructor };
  const original = g.DataView;
  g.DataView = function () {
    throw new RangeError("view allocation failed (forced)");
  } as unknown as DataViewConstructor;
  try {
    return f();
  } finally {
    g.DataView = original;
  }
}

/** The lock word of a queue made here (its buffer starts with the queue). */
function lockWord(queue: Queue<unknown>): number {
  return Atomics.load(new Int32Array(queue.handle.buffer as SharedArrayBuffer, 0, 1), LOCK);
}

/** Grows `queue`'s data area through another object on the same memory; returns that object. */
function growThroughAnother(queue: Queue<unknown>): Queue<unknown> {
  const other = Queue.from(queue.handle);
  const before = queue.capacityBytes;
  for (let i = 0; other.capacityBytes === before; i++) {
    other.putNowait({ fill: i, pad: "x".repeat(16) });
  }
  return other;
}

lockedTest(
  "Queue: a get whose re-made views fail to allocate releases the lock and keeps the item",
  () => {
    const queue = new Queue<unknown>(0, { capacityBytes: 64, maxCapacityBytes: 4096 });
    queue.putNowait("first");
    const other = growThroughAnother(queue);
    assert.throws(() => withFailingViews(() => queue.getNowait()), /view allocation failed/);
    assert.equal(lockWord(queue), 0, "the lock was released");
    // Nothing was taken: the next get (views made now) returns the first item.
    assert.equal(queue.getNowait(), "first");
    assert.equal(other.qsize(), queue.qsize());
  },
);

lockedTest("Queue: a put-back whose re-made views fail to allocate releases the lock", () => {
  // The decode grows the queue through another object, then fails; the put-back finds the new
  // capacity and re-makes its views, which fail too.
  const box: { queue?: Queue<unknown>; other?: Queue<unknown>; fail: boolean } = { fail: false };
  const codec: Codec<unknown> = {
    encode: (item) => structuredCodec.encode(item),
    decode(bytes) {
      if (!box.fail) return structuredCodec.decode(bytes);
      box.fail = false;
      box.other = growThroughAnother(box.queue!);
      const g = globalThis as { DataView: DataViewConstructor };
      const original = g.DataView;
      g.DataView = function () {
        g.DataView = original; // one failure only
        throw new RangeError("view allocation failed (forced)");
      } as unknown as DataViewConstructor;
      throw new Error("decode failed on purpose");
    },
  };
  const queue = new Queue<unknown>(0, { capacityBytes: 64, maxCapacityBytes: 4096, codec });
  box.queue = queue;
  queue.putNowait("first");
  box.fail = true;
  // The allocation's error, not the decode's: the item could not be stored back.
  assert.throws(() => queue.getNowait(), /view allocation failed/);
  assert.equal(lockWord(queue), 0, "the lock was released");
  // The item the put-back could not store is dropped and counted done (as after
  // shutdown({ immediate })), so every unfinished item is one still stored: join() can end.
  const other = box.other!;
  assert.equal(other.unfinishedTasks, other.qsize());
  other.putNowait("after");
  const left: unknown[] = [];
  while (other.qsize() > 0) left.push(other.getNowait());
  assert.equal(left.at(-1), "after");
  assert.ok(!left.includes("first"), "the dropped item is not delivered");
});
