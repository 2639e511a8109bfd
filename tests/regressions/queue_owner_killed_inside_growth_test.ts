/**
 * Regression (README "Known limits"): a thread that died while it grew a queue's bytes broke the
 * queue. A put that finds no room grows the buffer, then moves bytes to their places for the new
 * capacity with `copyWithin` (a FIFO ring's wrapped part to the new end; a PriorityQueue's data
 * area and heap entries outward, past its longer arrays of priorities), then stores the new HEAD,
 * HEAP_CAP and CAPACITY. A death between those writes left CAPACITY naming the old layout over
 * bytes already moved (their source overwritten where the move overlapped it), or the new
 * CAPACITY over a HEAD not yet moved: items lost, repeated or read from the wrong bytes.
 *
 * The test ends a worker (`process.exit` in the storage's test hook, inside the queue's lock) at
 * each step of a growth, then goes on from the main thread, whose next operation takes the lock
 * over: every item put before is there, once, in order; the dead put's item is not (a growth
 * runs before its put's own journal opens, so that put never happened); the queue goes on.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { float64Codec, LifoQueue, PriorityQueue, Queue, Thread } from "../../mod.ts";
import { CAPACITY, GROWING, HEAD, JOURNAL, LOCK, TAIL } from "../../src/queue/header.ts";
import { setSiftHook } from "../../src/queue/storage.ts";
import { drain } from "../helpers.ts";

const FIXTURE = new URL("../fixtures/queue_dying_put_ops.ts", import.meta.url);

type AnyQueue = Queue<number> | PriorityQueue<number> | LifoQueue<number>;

interface Case {
  /** A queue one put short of growing, and the items it holds in the order they were put. */
  make(): { queue: AnyQueue; held: number[] };
  /** The items a drain returns after `items` were put in this order (the queue's discipline). */
  order(items: number[]): number[];
}

const fifo = (maxCapacityBytes: number): Case => ({
  // 128 bytes hold ten 12-byte records. Ten puts, four gets, four puts: the ring is wrapped
  // (the records at 48..120, then 0..48) and full; growing moves 48..128 to the new end.
  make() {
    const queue = new Queue<number>(0, {
      codec: float64Codec,
      capacityBytes: 128,
      maxCapacityBytes,
    });
    for (let i = 0; i < 10; i++) queue.putNowait(i);
    for (let i = 0; i < 4; i++) {
      assert.equal(queue.getNowait(), i);
      queue.taskDone();
    }
    for (let i = 10; i < 14; i++) queue.putNowait(i);
    return { queue, held: [4, 5, 6, 7, 8, 9, 10, 11, 12, 13] };
  },
  order: (items) => items,
});

// 120 bytes hold ten records exactly: the ring fills to its end (no WRAP mark), wraps to 0, and
// is read up to its end, so HEAD = TAIL = 120, the old capacity: the part to move is empty and
// HEAD goes to the new end (reads on at 0).
const headAtEnd: Case = {
  make() {
    const queue = new Queue<number>(0, {
      codec: float64Codec,
      capacityBytes: 120,
      maxCapacityBytes: 1024,
    });
    for (let i = 0; i < 10; i++) queue.putNowait(i);
    assert.equal(queue.getNowait(), 0);
    queue.putNowait(10);
    for (let i = 1; i < 10; i++) assert.equal(queue.getNowait(), i);
    for (let i = 11; i < 20; i++) queue.putNowait(i);
    for (let i = 0; i < 10; i++) queue.taskDone();
    const h = header(queue);
    assert.deepEqual([h[HEAD], h[TAIL]], [120, 120], "HEAD and TAIL at the old end");
    return { queue, held: [10, 11, 12, 13, 14, 15, 16, 17, 18, 19] };
  },
  order: (items) => items,
};

const priority = (maxCapacityBytes: number): Case => ({
  // Priority = the item: a drain returns them sorted. Growing moves the data area and the heap
  // entries outward (the arrays of priorities and entries grow with capacity).
  make() {
    const queue = new PriorityQueue<number>(0, {
      codec: float64Codec,
      capacityBytes: 128,
      maxCapacityBytes,
    });
    const items = [17, 12, 23, 10, 20, 15, 24, 11, 19, 14];
    for (const item of items) queue.putNowait(item, { priority: item });
    return { queue, held: items };
  },
  order: (items) => [...items].sort((a, b) => a - b),
});

const lifo: Case = {
  // Nothing moves in a stack's growth: only the sizes are stored.
  make() {
    const queue = new LifoQueue<number>(0, {
      codec: float64Codec,
      capacityBytes: 128,
      maxCapacityBytes: 1024,
    });
    for (let i = 0; i < 10; i++) queue.putNowait(i);
    return { queue, held: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] };
  },
  order: (items) => [...items].reverse(),
};

const CASES: Record<string, Case> = {
  "Queue (the wrapped part moves in one chunk)": fifo(1024),
  "Queue (capped growth: the wrapped part moves in chunks)": fifo(148),
  "Queue (HEAD and TAIL at the old end)": headAtEnd,
  "PriorityQueue (data and heap move)": priority(1024),
  "PriorityQueue (capped growth: in chunks)": priority(148),
  "LifoQueue (nothing moves)": lifo,
};

const NEW = 99;

/** The steps a growth takes here: the put that grows, run in this thread with the hook counting. */
function stepsOf(c: Case): number {
  const { queue } = c.make();
  let steps = 0;
  setSiftHook(() => steps++);
  try {
    queue.putNowait(NEW, { priority: NEW });
  } finally {
    setSiftHook(undefined);
  }
  assert.ok(capacityOf(queue) > 128, "the put grew the queue");
  return steps;
}

function header(queue: AnyQueue): Int32Array {
  return new Int32Array(queue.handle.buffer, queue.handle.byteOffset, 32);
}

function capacityOf(queue: AnyQueue): number {
  return Atomics.load(header(queue), CAPACITY);
}

/** A worker that puts to `queue` and ends itself at step `step` of a growth, holding the lock. */
async function dieAt(queue: AnyQueue, step: number, item: number): Promise<void> {
  const thread = new Thread(FIXTURE, {
    export: "dieInsideGrowth",
    args: [queue, step, item, item],
  });
  thread.start();
  await assert.rejects(thread.join({ timeout: 20_000 }), /exited/);
  assert.equal(Atomics.load(header(queue), LOCK) >>> 1, thread.ident, "it died holding the lock");
}

/** Every held item once, in order, and the queue goes on (it fills again, in order). */
function intact(c: Case, queue: AnyQueue, held: number[]): void {
  // The next put takes the lock over from the dead thread (and finishes its growth).
  queue.putNowait(50, { priority: 50 });
  assert.equal(header(queue)[JOURNAL], 0, "the journal is closed");
  assert.ok(capacityOf(queue) > 128, "the growth was finished");
  assert.equal(queue.qsize(), held.length + 1);
  assert.equal(queue.unfinishedTasks, held.length + 1, "the dead put is not counted");
  assert.deepEqual(drain(queue), c.order([...held, 50]));
  const more = [60, 3, 61, 62, 1, 63, 64, 65, 66, 67, 68];
  for (const item of more) queue.putNowait(item, { priority: item });
  assert.deepEqual(drain(queue), c.order(more));
}

for (const [name, c] of Object.entries(CASES)) {
  const steps = stepsOf(c);
  test(`${name}: a growth takes steps to kill at`, () => {
    assert.ok(steps >= 3, `${steps} steps`);
  });
  for (let step = 0; step < steps; step++) {
    test(`${name}: a put whose thread dies at step ${step} of its growth leaves the queue whole`, async () => {
      const { queue, held } = c.make();
      await dieAt(queue, step, NEW);
      intact(c, queue, held);
    });
  }
}

test("Queue: a taker that dies while it finishes a dead growth leaves it to the next", async () => {
  const c = CASES["Queue (capped growth: the wrapped part moves in chunks)"]!;
  const { queue, held } = c.make();
  // Steps: 0 grown, 1 opened, then per chunk one before its copy and one after. The first thread
  // dies after its second chunk's copy, before recording it; the second after the first copy of
  // its redo (the same chunk again).
  await dieAt(queue, 5, NEW);
  assert.equal(header(queue)[JOURNAL], GROWING);
  await dieAt(queue, 1, NEW + 1);
  assert.equal(header(queue)[JOURNAL], GROWING, "it died before the growth was made");
  intact(c, queue, held);
});

test("PriorityQueue: a taker that dies while it finishes a dead growth leaves it to the next", async () => {
  const c = CASES["PriorityQueue (capped growth: in chunks)"]!;
  const { queue, held } = c.make();
  await dieAt(queue, 5, NEW); // after its second chunk's copy (see the Queue's test)
  assert.equal(header(queue)[JOURNAL], GROWING);
  await dieAt(queue, 3, NEW + 1); // after the second copy of its redo
  assert.equal(header(queue)[JOURNAL], GROWING, "it died before the growth was made");
  intact(c, queue, held);
});

for (const [name, c] of Object.entries(CASES)) {
  test(`${name}: an error thrown inside a growth reaches the put, and the queue is whole`, () => {
    const { queue, held } = c.make();
    let thrown = false; // once: the repair that finishes the growth runs the same steps
    setSiftHook((step) => {
      if (step === 2 && !thrown) {
        thrown = true;
        throw new Error("thrown inside the growth");
      }
    });
    try {
      assert.throws(() => queue.putNowait(NEW, { priority: NEW }), /thrown inside the growth/);
    } finally {
      setSiftHook(undefined);
    }
    assert.equal(Atomics.load(header(queue), LOCK), 0, "the lock is released");
    intact(c, queue, held);
  });
}

for (const step of [3, 4, 7]) {
  test(`PriorityQueue: a taker whose views are two growths old finishes a dead growth (step ${step})`, async () => {
    const queue = new PriorityQueue<number>(0, {
      codec: float64Codec,
      capacityBytes: 128,
      maxCapacityBytes: 4096,
    });
    // Another opening of the queue grows it 128 -> 256 and fills it to the brink; `queue` keeps
    // its views for 128 bytes, then takes over a growth 256 -> 512 that a worker died inside:
    // the redo must take the layout from the journal (GROW_FROM), not from the taker's views.
    const other = PriorityQueue.from<number>(queue.handle, { codec: float64Codec });
    const items: number[] = [];
    for (let i = 0, p = 1000; i < 21; i++) {
      p = (p * 7919) % 10007;
      items.push(p);
      other.putNowait(p, { priority: p });
    }
    assert.equal(capacityOf(queue), 256);
    await dieAt(queue, step, NEW);
    assert.equal(header(queue)[JOURNAL], GROWING);
    queue.putNowait(5, { priority: 5 });
    assert.equal(header(queue)[JOURNAL], 0);
    assert.equal(capacityOf(queue), 512);
    assert.deepEqual(drain(queue), [...items, 5].sort((a, b) => a - b));
  });
}
