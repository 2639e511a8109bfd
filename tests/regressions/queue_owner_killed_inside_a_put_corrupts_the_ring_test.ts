/**
 * Regression (the random-kill suite's queue trial, `tests/faults/suite.ts`: "Item 13 was
 * delivered 2 times", and a consumer's "Cannot decode record: truncated"): a thread that ended
 * inside one of the queue's critical sections left its header half written, and the next thread
 * took the queue's lock over from the dead owner and went on from there.
 *
 * On Node and Bun `Thread.terminate()` stops a worker's JavaScript wherever it runs, so a kill
 * can land between two writes of a put or a get (in the suite, about one trial in a hundred on a
 * loaded machine). A FIFO put writes TAIL, then LIVE, then COUNT and UNFINISHED. A putter killed
 * after TAIL left a record past TAIL that COUNT did not count:
 * 1. the queue holds "before" (HEAD 0, TAIL 12, COUNT 1);
 * 2. a putter stores "dead" at 12 and moves TAIL to 24, then dies holding the lock;
 * 3. the next put takes the lock over, stores "after" at 24 (COUNT 2);
 * 4. gets return "before", then read on at 12: "dead", a put that never returned; COUNT is 0,
 *    so the ring is cleared and "after" is lost.
 * A getter killed after it moved HEAD but before COUNT left COUNT one too high: gets then read
 * a stale record (an item delivered twice) or bytes that are not a record ("truncated").
 *
 * The test ends a thread at step 2 exactly: its codec returns bytes whose `length` getter ends
 * the thread (`process.exit`, which stops a worker where it stands on all three runtimes) once
 * TAIL has moved (`tests/fixtures/queue_dying_put_ops.ts`). The fix is an undo journal
 * (`src/queue/header.ts`, "Owner death"): the put is undone when the lock is taken over.
 */

import assert from "node:assert/strict";
import { float64Codec, Queue, Thread } from "../../mod.ts";
import { LOCK } from "../../src/queue/header.ts";
import { drain, lockedTest } from "../helpers.ts";

const FIXTURE = new URL("../fixtures/queue_dying_put_ops.ts", import.meta.url);

lockedTest(
  "Queue: a put whose thread dies inside the lock is undone, and the queue reads as before it",
  async () => {
    const queue = new Queue<string>();
    queue.putNowait("before");
    const thread = new Thread(FIXTURE, { export: "dieInsidePut", args: [queue, "dead"] });
    thread.start();
    await assert.rejects(thread.join({ timeout: 20_000 }), /exited/);
    const header = new Int32Array(queue.handle.buffer, queue.handle.byteOffset, LOCK + 1);
    assert.equal(
      Atomics.load(header, LOCK) >>> 1,
      thread.ident,
      "the thread died holding the queue's lock (inside the put)",
    );

    // The next put takes the lock over from the dead thread.
    queue.putNowait("after");
    assert.equal(queue.qsize(), 2);
    assert.equal(queue.unfinishedTasks, 2);
    assert.deepEqual(drain(queue), ["before", "after"]);
    assert.equal(queue.qsize(), 0);

    // And it goes on working, across a wrap of the ring too.
    for (let round = 0; round < 3; round++) {
      const items = Array.from({ length: 5 }, (_, k) => `${round}-${k}`);
      for (const item of items) queue.putNowait(item);
      assert.deepEqual(drain(queue), items);
    }
  },
);

for (const kind of ["f64", "bytes"] as const) {
  lockedTest(
    `Queue: a get whose thread dies inside the lock is undone, and its item is delivered once (${kind})`,
    async () => {
      // Records past 64 bytes take the copy out through `subarray` (the "bytes" hook).
      const items = kind === "f64"
        ? [1, 2, 3]
        : ["first", "second", "third"].map((w) => w.repeat(30));
      const queue = kind === "f64"
        ? new Queue<unknown>(0, { codec: float64Codec })
        : new Queue<unknown>();
      for (const item of items.slice(0, 2)) queue.putNowait(item);
      const thread = new Thread(FIXTURE, { export: "dieInsideGet", args: [queue, kind] });
      thread.start();
      await assert.rejects(thread.join({ timeout: 20_000 }), /exited/);
      const header = new Int32Array(queue.handle.buffer, queue.handle.byteOffset, LOCK + 1);
      assert.equal(Atomics.load(header, LOCK) >>> 1, thread.ident, "it died holding the lock");

      // Without the journal, the next get took the lock over with HEAD past the first item and
      // COUNT still 2: the second item, then a read past TAIL. Taken over here by the slow path
      // of a blocking get (the SeqWait lock), as the put's test takes it by a non-blocking put.
      assert.equal(queue.getSync({ timeout: 10_000 }), items[0]);
      assert.equal(queue.qsize(), 1);
      queue.putNowait(items[2]);
      assert.deepEqual(drain(queue), items.slice(1));
      assert.equal(queue.unfinishedTasks, 3);
    },
  );
}

lockedTest(
  "Queue: a thread that may not block (it spins for the lock) takes it over from a dead owner too",
  async () => {
    const queue = new Queue<number>(0, { codec: float64Codec });
    for (const item of [1, 2]) queue.putNowait(item);
    const dying = new Thread(FIXTURE, { export: "dieInsideGet", args: [queue, "f64"] });
    dying.start();
    await assert.rejects(dying.join({ timeout: 20_000 }), /exited/);
    // Before: the spin only took a free word, so this put spun forever (bounded here by the join).
    const putter = new Thread<number>(FIXTURE, { export: "putWithoutBlocking", args: [queue, 3] });
    putter.start();
    try {
      assert.equal(await putter.join({ timeout: 10_000 }), 3, "the get undone, the put made");
    } finally {
      await putter.terminate();
    }
    assert.deepEqual(drain(queue), [1, 2, 3]);
  },
);
