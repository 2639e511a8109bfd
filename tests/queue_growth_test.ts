// Queues that grow (issue 11): a queue in its own buffer starts at capacityBytes and grows its
// bytes on demand up to maxCapacityBytes; QueueFullError names the bound that was hit and full()
// agrees with putNowait; SimpleQueue; unfinishedTasks.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  DEFAULT_CAPACITY_BYTES,
  DEFAULT_MAX_CAPACITY_BYTES,
  LifoQueue,
  PriorityQueue,
  Queue,
  QueueEmptyError,
  QueueFullError,
  SimpleQueue,
} from "../mod.ts";
import { runAll } from "./helpers.ts";

const QUEUE_OPS = new URL("./fixtures/queue_ops.ts", import.meta.url);

/** A string of `n` chars, different for each `i`. */
const big = (i: number, n: number) => `${i}:`.padEnd(n, String.fromCharCode(97 + (i % 26)));

test("Queue(0) takes 10 MB of items without capacityBytes and gives them back equal", () => {
  const queue = new Queue<string>(0);
  assert.equal(queue.capacityBytes, DEFAULT_CAPACITY_BYTES);
  assert.equal(queue.maxCapacityBytes, DEFAULT_MAX_CAPACITY_BYTES);
  for (let i = 0; i < 100; i++) queue.putNowait(big(i, 100_000));
  assert.equal(queue.qsize(), 100);
  assert.ok(queue.capacityBytes >= 100 * 100_000, `grew to ${queue.capacityBytes}`);
  assert.equal(queue.full(), false);
  for (let i = 0; i < 100; i++) assert.equal(queue.getNowait(), big(i, 100_000));
  assert.equal(queue.unfinishedTasks, 100);
});

test("the issue's repro: a Queue(10) of two 40 KB strings grows instead of failing", () => {
  const queue = new Queue<string>(10);
  queue.putNowait("x".repeat(40_000));
  assert.equal(queue.full(), false);
  queue.putNowait("y".repeat(40_000));
  assert.equal(queue.qsize(), 2);
  assert.equal(queue.getNowait(), "x".repeat(40_000));
  assert.equal(queue.getNowait(), "y".repeat(40_000));
});

test("a queue that cannot grow names the byte bound with numbers; full() agrees", () => {
  // capacityBytes alone: fixed, as before.
  const fixed = new Queue<string>(10, { capacityBytes: 65_536 });
  assert.equal(fixed.maxCapacityBytes, 65_536);
  fixed.putNowait("x".repeat(40_000));
  // full() is false (a small item fits), so the error must say why this one does not.
  assert.equal(fixed.full(), false);
  assert.throws(
    () => fixed.putNowait("y".repeat(40_000)),
    (error: Error) =>
      error instanceof QueueFullError && /no room for \d+ more/.test(error.message) &&
      /capacityBytes 65536 is its limit/.test(error.message),
  );
  fixed.putNowait("small");
  // The item bound names itself too.
  const items = new Queue<number>(1);
  items.putNowait(1);
  assert.equal(items.full(), true);
  assert.throws(() => items.putNowait(2), /it is full \(1 items, maxsize 1\)/);
  // Bytes full with small items: putNowait fails only when full() says so.
  const tiny = new Queue<number>(0, { capacityBytes: 64 });
  let stored = 0;
  for (;;) {
    const full = tiny.full();
    try {
      tiny.putNowait(stored);
    } catch (error) {
      assert.ok(error instanceof QueueFullError);
      assert.equal(full, true, "full() was false, yet a small item did not fit");
      break;
    }
    stored++;
  }
  assert.ok(stored > 0);
  assert.equal(tiny.full(), true);
  assert.equal(tiny.getNowait(), 0);
  tiny.putNowait(stored); // the room the get left is used again
  for (let i = 1; i <= stored; i++) assert.equal(tiny.getNowait(), i);
  assert.equal(tiny.full(), false);
});

test("growth stops at maxCapacityBytes; RangeError for an item that can never fit", () => {
  const queue = new Queue<string>(0, { capacityBytes: 64, maxCapacityBytes: 1024 });
  assert.throws(() => queue.putNowait("z".repeat(2000)), RangeError);
  let n = 0;
  assert.throws(() => {
    for (;; n++) queue.putNowait(big(n, 100));
  }, /could not grow to its maxCapacityBytes 1024|capacityBytes 1024 is its limit/);
  assert.equal(queue.capacityBytes, 1024);
  assert.ok(n >= 8, `stored ${n}`);
  for (let i = 0; i < n; i++) assert.equal(queue.getNowait(), big(i, 100));
});

test("a queue in a caller's buffer cannot grow; maxCapacityBytes with a buffer is refused", () => {
  const buffer = new SharedArrayBuffer(Queue.byteLength(0, { capacityBytes: 128 }));
  const queue = new Queue<string>(0, { buffer, capacityBytes: 128 });
  assert.equal(queue.maxCapacityBytes, 128);
  assert.throws(() => new Queue(0, { buffer, maxCapacityBytes: 4096 }), RangeError);
  assert.throws(() => new Queue(0, { capacityBytes: 4096, maxCapacityBytes: 1024 }), RangeError);
  assert.throws(() => new Queue(0, { maxCapacityBytes: 8 }), RangeError);
  assert.throws(() => new Queue(0, { maxCapacityBytes: "1" as never }), TypeError);
});

/** Mulberry32: a small seeded generator. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

for (const kind of ["Queue", "LifoQueue", "PriorityQueue"] as const) {
  test(`${kind}: growth while wrapped or fragmented keeps every item and the order (seeded)`, () => {
    const seed = Number(process.env.SEED ?? Date.now() % 1_000_000);
    console.log(`${kind} growth seed ${seed} (rerun with SEED=${seed})`);
    const random = rng(seed);
    const options = { capacityBytes: 64, maxCapacityBytes: 1 << 20 };
    const queue = kind === "Queue"
      ? new Queue<string>(0, options)
      : kind === "LifoQueue"
      ? new LifoQueue<string>(0, options)
      : new PriorityQueue<string>(0, options);
    // The model: what must come out next, in the discipline's order.
    let model: { item: string; priority: number; order: number }[] = [];
    let order = 0;
    for (let step = 0; step < 3000; step++) {
      if (model.length > 0 && random() < 0.45) {
        let at = 0;
        if (kind === "LifoQueue") at = model.length - 1;
        if (kind === "PriorityQueue") {
          for (let i = 1; i < model.length; i++) {
            const a = model[i]!;
            const b = model[at]!;
            if (a.priority < b.priority || (a.priority === b.priority && a.order < b.order)) at = i;
          }
        }
        const want = model[at]!;
        model = model.filter((_, i) => i !== at);
        assert.equal(queue.getNowait(), want.item, `step ${step}, seed ${seed}`);
      } else {
        const item = big(step, 1 + Math.floor(random() * random() * 300));
        const priority = Math.floor(random() * 4);
        if (queue instanceof PriorityQueue) queue.putNowait(item, { priority });
        else queue.putNowait(item);
        model.push({ item, priority, order: order++ });
      }
      assert.equal(queue.qsize(), model.length);
    }
    assert.ok(queue.capacityBytes > 64, `grew to ${queue.capacityBytes}`);
  });
}

for (const kind of ["Queue", "LifoQueue", "PriorityQueue"] as const) {
  test(`${kind}: 2 producers x 2 consumers in workers while it grows from 64 bytes`, async () => {
    const producers = 2;
    const count = kind === "Queue" ? 5000 : 2000;
    const options = { capacityBytes: 64, maxCapacityBytes: 1 << 22 };
    const queue = kind === "Queue"
      ? new Queue(0, options)
      : kind === "LifoQueue"
      ? new LifoQueue(0, options)
      : new PriorityQueue(0, options);
    const seen = new SharedArrayBuffer(producers * count * 4);
    const ordered = kind === "Queue";
    const consuming = runAll<number>(
      "consume",
      2,
      () => ({ handle: queue.handle, seen, producers, count, ordered }),
      120_000,
      QUEUE_OPS,
    );
    consuming.catch(() => queue.shutdown({ immediate: true }));
    await runAll(
      "produce",
      producers,
      (p) => ({ handle: queue.handle, p, count }),
      120_000,
      QUEUE_OPS,
    );
    queue.shutdown();
    const taken = await consuming;
    assert.equal(taken.reduce((a, b) => a + b, 0), producers * count, "every item taken once");
    assert.ok(new Int32Array(seen).every((mark) => mark === 1), "each item delivered once");
    assert.ok(queue.capacityBytes > 64, `grew to ${queue.capacityBytes}`);
  });
}

test("unfinishedTasks counts puts not yet marked done", async () => {
  const queue = new Queue<number>();
  assert.equal(queue.unfinishedTasks, 0);
  queue.putNowait(1);
  queue.putNowait(2);
  queue.getNowait();
  assert.equal(queue.unfinishedTasks, 2);
  queue.taskDone();
  assert.equal(queue.unfinishedTasks, 1);
  queue.taskDone();
  assert.equal(queue.unfinishedTasks, 0);
  await queue.join({ timeout: 1000 });
});

test("SimpleQueue: unbounded FIFO, grows, from(handle), no taskDone or join", async () => {
  const queue = new SimpleQueue<string>();
  for (let i = 0; i < 20; i++) queue.putNowait(big(i, 10_000));
  await queue.put("last");
  queue.putSync("after", { timeout: 100 });
  assert.equal(queue.qsize(), 22);
  const again = SimpleQueue.from<string>(queue.handle);
  for (let i = 0; i < 20; i++) assert.equal(again.getNowait(), big(i, 10_000));
  assert.equal(await again.get({ timeout: 100 }), "last");
  assert.equal(queue.getSync({ timeout: 100 }), "after");
  assert.equal(queue.empty(), true);
  assert.throws(() => queue.getNowait(), QueueEmptyError);
  assert.equal("taskDone" in queue, false);
  assert.equal("join" in queue, false);
  assert.throws(() => Queue.from(queue.handle), TypeError);
});
