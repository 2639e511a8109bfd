/**
 * Call order of one thread's async queue calls (`src/internal/line.ts`): pending `put()`s land
 * in the order they were called, pending `get()`s are handed the items in the order they were
 * called, on the lane and the locked paths alike; a call that leaves early (aborted, timed out)
 * does not hold up the ones behind it. Every wait here is bounded.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { PriorityQueue, Queue, QueueFullError, Thread } from "../mod.ts";
import { setLanes } from "../src/queue/lane.ts";
import { pendingAsyncWaits } from "../src/internal/futex.ts";

const FIXTURE = new URL("./fixtures/queue_order_ops.ts", import.meta.url);

/** Runs `name` of the fixture in a new thread; the caller awaits the result (bounded). */
function start(name: string, ...args: unknown[]): Promise<unknown> {
  const thread = new Thread<unknown>(FIXTURE, { export: name, args });
  thread.start();
  return thread.join({ timeout: 60_000 }).finally(async () => {
    if (thread.isAlive()) await thread.terminate();
  });
}

const inOrder = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** The kinds of queue the order must hold on: the lane's path, the locked one, a heap's. */
const kinds: [string, (maxsize: number) => Queue<number>][] = [
  ["Queue (lane)", (maxsize) => new Queue<number>(maxsize)],
  ["Queue (locked)", (maxsize) => {
    setLanes(false);
    try {
      return new Queue<number>(maxsize);
    } finally {
      setLanes(true);
    }
  }],
  ["PriorityQueue (equal priorities)", (maxsize) => new PriorityQueue<number>(maxsize)],
];

for (const [kind, make] of kinds) {
  test(`${kind}: a thread's pending put()s land in call order`, async () => {
    // Before the line: 19-20 of 20 runs out of order (maxsize 1 and 2, Node and Bun).
    const n = 40;
    for (const [maxsize, micros] of [[1, 0], [2, 100], [2, 1000]] as const) {
      const queue = make(maxsize);
      const got = start("takeSlowly", queue, n, micros);
      const puts = inOrder(n).map((i) => queue.put(i, { timeout: 30_000 }));
      await Promise.all(puts);
      assert.deepEqual(await got, inOrder(n), `maxsize ${maxsize}, ${micros} µs between gets`);
    }
    assert.equal(pendingAsyncWaits(), 0);
  });

  test(`${kind}: a thread's pending get()s are served in call order`, async () => {
    // Before the line: 13-15 of 15 runs served out of order (Node and Bun).
    const n = 40;
    for (const [maxsize, micros] of [[0, 0], [4, 100], [0, 1000]] as const) {
      const queue = make(maxsize);
      const flag = new SharedArrayBuffer(4);
      const put = start("putSlowly", queue, flag, n, micros);
      const got: number[] = [];
      const gets = inOrder(n).map((k) =>
        queue.get({ timeout: 30_000 }).then((item) => {
          got[k] = item;
        })
      );
      Atomics.store(new Int32Array(flag), 0, 1);
      Atomics.notify(new Int32Array(flag), 0);
      await Promise.all(gets);
      assert.equal(await put, n);
      assert.deepEqual(got, inOrder(n), `maxsize ${maxsize}, ${micros} µs between puts`);
    }
    assert.equal(pendingAsyncWaits(), 0);
  });
}

test("a put that leaves the line early (aborted, timed out) does not hold up the rest", async () => {
  for (const [kind, make] of kinds) {
    const queue = make(1);
    queue.putNowait(0);
    const controller = new AbortController();
    const settled: string[] = [];
    const note = (name: string, p: Promise<void>) =>
      p.then(() => settled.push(`${name} in`), (e: Error) => settled.push(`${name} ${e.name}`));
    const first = note("1", queue.put(1, { timeout: 30_000 }));
    const aborted = note("2", queue.put(2, { signal: controller.signal, timeout: 30_000 }));
    const late = note("3", queue.put(3, { timeout: 5 }));
    const last = note("4", queue.put(4, { timeout: 30_000 }));
    controller.abort();
    await aborted;
    await late; // its deadline came while it waited: one last try, the queue still full
    assert.deepEqual(settled, ["2 AbortError", "3 QueueFullError"], kind);
    const got: number[] = [];
    for (let k = 0; k < 3; k++) got.push(await queue.get({ timeout: 30_000 }));
    await Promise.all([first, last]);
    assert.deepEqual(got, [0, 1, 4], kind);
    assert.deepEqual(settled.slice(2), ["1 in", "4 in"], kind);
    assert.equal(queue.qsize(), 0, kind);
  }
  assert.equal(pendingAsyncWaits(), 0);
});

test("a get that leaves the line early does not take an item; the rest are served in order", async () => {
  for (const [kind, make] of kinds) {
    const queue = make(0);
    const controller = new AbortController();
    const first = queue.get({ timeout: 30_000 });
    const aborted = queue.get({ signal: controller.signal, timeout: 30_000 });
    const late = queue.get({ timeout: 5 });
    const last = queue.get({ timeout: 30_000 });
    controller.abort();
    await assert.rejects(aborted, { name: "AbortError" }, kind);
    await assert.rejects(late, { name: "QueueEmptyError" }, kind);
    queue.putNowait(1);
    queue.putNowait(2);
    assert.deepEqual(await Promise.all([first, last]), [1, 2], kind);
    assert.equal(queue.qsize(), 0, kind);
  }
  assert.equal(pendingAsyncWaits(), 0);
});

test("a put behind others keeps the item as it was at the call", async () => {
  const queue = new Queue<{ n: number }>(1);
  queue.putNowait({ n: 0 });
  const item = { n: 1 };
  const head = queue.put({ n: -1 }, { timeout: 30_000 });
  const behind = queue.put(item, { timeout: 30_000 });
  item.n = 99; // after the call: the queue holds what the call saw
  assert.deepEqual(queue.getNowait(), { n: 0 });
  await head;
  assert.deepEqual(await queue.get({ timeout: 30_000 }), { n: -1 });
  await behind;
  assert.deepEqual(await queue.get({ timeout: 30_000 }), { n: 1 });
});

test("a put behind others to a shut-down queue rejects, and so do the rest", async () => {
  const queue = new Queue<number>(1);
  queue.putNowait(0);
  const puts = [1, 2, 3].map((i) => queue.put(i, { timeout: 30_000 }));
  queue.shutdown();
  for (const put of puts) await assert.rejects(put, { name: "QueueShutDownError" });
  assert.equal(queue.getNowait(), 0);
  assert.equal(pendingAsyncWaits(), 0);
});

test("QueueFullError is what a put late in line gets on a full bounded queue", async () => {
  const queue = new Queue<number>(1);
  queue.putNowait(0);
  const head = queue.put(1, { timeout: 20 });
  const late = queue.put(2, { timeout: 10 });
  await assert.rejects(late, QueueFullError);
  await assert.rejects(head, QueueFullError);
  assert.equal(queue.getNowait(), 0);
  assert.equal(queue.qsize(), 0);
});

test("in a queue bounded by its bytes, a thread's small put waits behind its own large one", async () => {
  // Another object's (another producer's) small put goes in past it: queue_putter_wakes_test.ts.
  const queue = new Queue<string>(0, { capacityBytes: 64, maxCapacityBytes: 64 });
  const fillers: string[] = [];
  for (let i = 0; i < 64; i++) {
    try {
      queue.putNowait(`f${i}`); // records of 8 bytes
    } catch {
      break;
    }
    fillers.push(`f${i}`);
  }
  const large = queue.put("L".repeat(40), { timeout: 10_000 });
  const small = queue.put("s", { timeout: 10_000 });
  const got: string[] = [];
  while (got.length < fillers.length + 2) got.push(await queue.get({ timeout: 10_000 }));
  await Promise.all([large, small]);
  assert.deepEqual(got, [...fillers, "L".repeat(40), "s"]);
});
