/**
 * Regression (README "Known limits", issue 9's review of the queue journal): a thread that dies
 * in the middle of a PriorityQueue's heap sift broke the queue. A put or get of a PriorityQueue
 * moves heap entries along one path of the heap; the undo journal restored the header's counts
 * but not the entries, so after a put's death one item was lost and the dead put's item took its
 * place, and after a get's death the heap was out of order (and its item was still there).
 *
 * The test ends a worker at each step of the sift (the storage's test hook, `setSiftHook`, runs
 * `process.exit` there, inside the queue's lock), then takes the lock over from the main thread.
 * The fix (`src/queue/storage.ts`, `Heap`): the sift moves a hole whose place is in the journal;
 * a put's sift is undone by moving the hole back, a get's is finished (a redo: the dead getter
 * took its item with it, as a consumer that dies while it decodes does).
 *
 * Compaction too: a put that finds no room at the arena's end moves every record down
 * (`copyWithin`, the source and destination overlapping) and rewrites its entry; a death inside
 * left a record half copied over its own source, and its entry pointing at the bytes overwritten.
 * Now the records move in chunks no longer than the distance they move, with the progress in the
 * journal, and a taker finishes the compaction.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { float64Codec, PriorityQueue, Thread } from "../../mod.ts";
import { JOURNAL, LOCK } from "../../src/queue/header.ts";
import { drain } from "../helpers.ts";
import { setSiftHook } from "../../src/queue/storage.ts";

const FIXTURE = new URL("../fixtures/queue_dying_put_ops.ts", import.meta.url);

/** 15 items (a full heap of four levels), priorities 10..24, put in a scrambled order. */
const PRIORITIES = [17, 12, 23, 10, 20, 15, 24, 11, 19, 14, 22, 13, 18, 16, 21];

function filled(kind: "f64" | "structured"): {
  queue: PriorityQueue<unknown>;
  item: (priority: number) => unknown;
} {
  const queue = kind === "f64"
    ? new PriorityQueue<unknown>(0, { codec: float64Codec })
    : new PriorityQueue<unknown>();
  const item = (priority: number) => kind === "f64" ? priority * 1.5 : `item ${priority}`;
  for (const p of PRIORITIES) queue.putNowait(item(p), { priority: p });
  return { queue, item };
}

async function dieAt(
  queue: PriorityQueue<unknown>,
  op: "put" | "get",
  step: number,
  item: unknown,
  priority: number,
): Promise<void> {
  const thread = new Thread(FIXTURE, {
    export: "dieInsideSift",
    args: [queue, op, step, item, priority],
  });
  thread.start();
  await assert.rejects(thread.join({ timeout: 20_000 }), /exited/);
  const header = new Int32Array(queue.handle.buffer, queue.handle.byteOffset, LOCK + 1);
  assert.equal(Atomics.load(header, LOCK) >>> 1, thread.ident, "it died holding the lock");
}

/** Goes on working: puts and gets in priority order, with ties in put order. */
function goesOn(queue: PriorityQueue<unknown>, item: (priority: number) => unknown): void {
  const ps = [5, 3, 9, 3, 1, 7];
  ps.forEach((p, k) => queue.putNowait(k === 3 ? item(p + 0.25) : item(p), { priority: p }));
  const sorted = ps.map((p, k) => ({ p, k })).sort((a, b) => a.p - b.p || a.k - b.k);
  assert.deepEqual(drain(queue), sorted.map(({ p, k }) => k === 3 ? item(p + 0.25) : item(p)));
}

for (const kind of ["f64", "structured"] as const) {
  // The new item (priority 0) climbs from place 15 to the root: four moves.
  for (let step = 0; step < 4; step++) {
    test(`PriorityQueue (${kind}): a put whose thread dies at step ${step} of its sift is undone`, async () => {
      const { queue, item } = filled(kind);
      await dieAt(queue, "put", step, item(0), 0);
      // Taken over by the next operation (here a put, through the lock's takeover).
      queue.putNowait(item(30), { priority: 30 });
      const header = new Int32Array(queue.handle.buffer, queue.handle.byteOffset, JOURNAL + 1);
      assert.equal(header[JOURNAL], 0, "the journal is closed");
      assert.equal(queue.qsize(), 16);
      assert.equal(queue.unfinishedTasks, 16);
      const expected = [...PRIORITIES].sort((a, b) => a - b).map(item);
      assert.deepEqual(drain(queue), [...expected, item(30)]);
      goesOn(queue, item);
    });
  }
  // The last item (priority 21) sinks from the root after the get took priority 10.
  for (let step = 0; step < 3; step++) {
    test(`PriorityQueue (${kind}): a get whose thread dies at step ${step} of its sift is finished`, async () => {
      const { queue, item } = filled(kind);
      await dieAt(queue, "get", step, undefined, 0);
      // Taken over by a blocking get (the slow path's lock), as the put's test takes it by a put.
      assert.equal(queue.getSync({ timeout: 10_000 }), item(11));
      assert.equal(queue.qsize(), 13, "the dead get took its item (priority 10) with it");
      const expected = [...PRIORITIES].sort((a, b) => a - b).slice(2).map(item);
      assert.deepEqual(drain(queue), expected);
      assert.equal(queue.unfinishedTasks, 15);
      goesOn(queue, item);
    });
  }
}

test("PriorityQueue: a taker that dies inside the repair of a dead put's sift leaves it to the next", async () => {
  const { queue, item } = filled("structured");
  await dieAt(queue, "put", 2, item(0), 0);
  // The second thread takes the lock over and dies at the second (last) step of undoing that
  // sift, after its copy and before it records the hole: repeating the undo from the hole
  // recorded before the first step would copy a restored entry over its parent.
  await dieAt(queue, "put", 1, item(1), 1);
  queue.putNowait(item(30), { priority: 30 });
  assert.equal(queue.qsize(), 16);
  const expected = [...PRIORITIES].sort((a, b) => a - b).map(item);
  assert.deepEqual(drain(queue), [...expected, item(30)]);
  goesOn(queue, item);
});

test("PriorityQueue: a taker that dies while it finishes a dead get's sift leaves it to the next", async () => {
  const { queue, item } = filled("f64");
  await dieAt(queue, "get", 0, undefined, 0);
  // The second thread dies at its first sift step: finishing the first get's (or, if that had
  // no step left, in its own get, which is then made too). Either way one or two items are gone.
  await dieAt(queue, "get", 0, undefined, 0);
  const rest = drain(queue);
  const sorted = [...PRIORITIES].sort((a, b) => a - b).map(item);
  assert.ok(rest.length === 13 || rest.length === 14, `${rest.length} items left`);
  assert.deepEqual(rest, sorted.slice(15 - rest.length), "the rest, in order, each once");
  goesOn(queue, item);
});

test("PriorityQueue: an error thrown inside a put's sift undoes the put and releases the lock", () => {
  const { queue, item } = filled("structured");
  setSiftHook((step) => {
    if (step === 2) throw new Error("thrown inside the sift");
  });
  try {
    assert.throws(() => queue.putNowait(item(0), { priority: 0 }), /thrown inside the sift/);
  } finally {
    setSiftHook(undefined);
  }
  const header = new Int32Array(queue.handle.buffer, queue.handle.byteOffset, JOURNAL + 1);
  assert.equal(Atomics.load(header, LOCK), 0, "the lock is free");
  assert.equal(header[JOURNAL], 0);
  assert.equal(queue.qsize(), 15);
  assert.deepEqual(drain(queue), [...PRIORITIES].sort((a, b) => a - b).map(item));
  goesOn(queue, item);
});

/**
 * A PriorityQueue of strings (1 KiB, no growth) whose arena is full to its end, with a 56-byte
 * hole at its start (two items got): a put that finds no room at TAIL compacts the arena, moving
 * every record down by 56 bytes, the 112-byte ones in two chunks (25 steps in all).
 */
function fragmented(): { queue: PriorityQueue<string>; items: string[] } {
  const queue = new PriorityQueue<string>(0, { capacityBytes: 1024 });
  const fill = (make: (i: number) => string, first: number): string[] => {
    const put: string[] = [];
    for (let i = 0;; i++) {
      try {
        queue.putNowait(make(i), { priority: first + i });
      } catch (error) {
        if ((error as Error).name === "QueueFullError") return put;
        throw error;
      }
      put.push(make(i));
    }
  };
  queue.putNowait("h".repeat(20) + "0", { priority: 0 });
  queue.putNowait("h".repeat(20) + "1", { priority: 1 });
  const items = [...fill((i) => "x".repeat(100) + i, 10), ...fill((i) => "t" + i, 50)];
  queue.getNowait();
  queue.getNowait();
  return { queue, items };
}

test("PriorityQueue: the compaction of a full arena takes the steps this test kills at", () => {
  const { queue, items } = fragmented();
  assert.deepEqual([items.length, queue.qsize()], [17, 17]);
  let steps = 0;
  setSiftHook(() => steps++);
  try {
    queue.putNowait("n".repeat(30), { priority: 99 });
  } finally {
    setSiftHook(undefined);
  }
  assert.equal(steps, 25, "a compaction of 25 chunk copies");
  assert.deepEqual(drain(queue), [...items, "n".repeat(30)]);
});

// Every step: a death after the second chunk of a 112-byte record (odd steps up to 15) had
// overwritten the first half of its source.
for (let step = 0; step < 25; step++) {
  test(`PriorityQueue: a put whose thread dies at step ${step} of compacting the arena leaves it to be finished`, async () => {
    const { queue, items } = fragmented();
    await dieAt(queue as PriorityQueue<unknown>, "put", step, "d".repeat(30), 98);
    // Taken over by the next put: the compaction is finished, then that put is made.
    queue.putNowait("n".repeat(30), { priority: 99 });
    const header = new Int32Array(queue.handle.buffer, queue.handle.byteOffset, JOURNAL + 1);
    assert.equal(header[JOURNAL], 0, "the journal is closed");
    assert.deepEqual(
      drain(queue),
      [...items, "n".repeat(30)],
      "every record whole, once, in order",
    );
  });
}

test("PriorityQueue: an error thrown inside a compaction finishes it and releases the lock", () => {
  const { queue, items } = fragmented();
  let thrown = false;
  setSiftHook((step) => {
    if (step === 3 && !thrown) {
      thrown = true;
      throw new Error("thrown inside the compaction");
    }
  });
  try {
    assert.throws(
      () => queue.putNowait("n".repeat(30), { priority: 99 }),
      /thrown inside the compaction/,
    );
  } finally {
    setSiftHook(undefined);
  }
  const header = new Int32Array(queue.handle.buffer, queue.handle.byteOffset, JOURNAL + 1);
  assert.equal(Atomics.load(header, LOCK), 0, "the lock is free");
  assert.equal(header[JOURNAL], 0, "the compaction was finished");
  queue.putNowait("m".repeat(30), { priority: 99 });
  assert.deepEqual(drain(queue), [...items, "m".repeat(30)]);
});
