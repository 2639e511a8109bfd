/**
 * Regression (README "Known limits"): a thread that died while it folded released room into a
 * queue's bounds could leave a bounded queue full for good. A get of a queue with a `maxsize`
 * holds its item's place (HELD) while it decodes, and gives it up without the lock (RELEASED); a
 * put that finds the bound reached folds RELEASED into HELD under the lock. The fold took RELEASED
 * with an exchange and then wrote HELD: a death between the two lost the releases, HELD kept
 * counting places no get held, and with `maxsize` of them the queue was full forever.
 *
 * The test holds and releases every place of a `Queue(4)` (four gets), then ends a worker at each
 * step of the fold its put makes (`process.exit` in the storage's test hook, inside the lock):
 * the queue takes four items again, in order. Now RELEASED only grows, a fold records what it
 * took in FOLDED, and the fold's writes are under a journal of their own (FOLDING) that the next
 * thread undoes (`src/queue/base.ts`, `#findRoom`).
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { Queue, Thread } from "../../mod.ts";
import { JOURNAL, LOCK } from "../../src/queue/header.ts";
import { setLanes } from "../../src/queue/lane.ts";
import { setFoldHook } from "../../src/queue/storage.ts";
import { drain } from "../helpers.ts";

const FIXTURE = new URL("../fixtures/queue_dying_put_ops.ts", import.meta.url);

/**
 * A Queue(4) whose four places were held by gets and released: its next put folds. Made without
 * the SPSC lane (`setLanes`), whose gets hold no place: the fold is the locked paths'.
 */
function released(): Queue<unknown> {
  // Objects take the general get path, which holds the place while it decodes.
  setLanes(false);
  let queue: Queue<unknown>;
  try {
    queue = new Queue<unknown>(4);
  } finally {
    setLanes(true);
  }
  for (let i = 0; i < 4; i++) queue.putNowait({ i });
  for (let i = 0; i < 4; i++) assert.deepEqual(queue.getNowait(), { i });
  return queue;
}

function header(queue: Queue<unknown>): Int32Array {
  return new Int32Array(queue.handle.buffer, queue.handle.byteOffset, 40);
}

const steps = (() => {
  const queue = released();
  let n = 0;
  setFoldHook(() => n++);
  try {
    queue.putNowait({ i: 99 });
  } finally {
    setFoldHook(undefined);
  }
  return n;
})();

test("Queue(4): a put after four held-and-released gets folds (steps to kill at)", () => {
  assert.ok(steps >= 2, `${steps} steps`);
});

for (let step = 0; step < steps; step++) {
  test(`Queue(4): a put whose thread dies at step ${step} of its fold leaves every place free`, async () => {
    const queue = released();
    const thread = new Thread(FIXTURE, {
      export: "dieInsideFold",
      args: [queue, step, 7],
    });
    thread.start();
    await assert.rejects(thread.join({ timeout: 20_000 }), /exited/);
    assert.equal(Atomics.load(header(queue), LOCK) >>> 1, thread.ident, "it died holding the lock");
    // Four places: the dead put took none of them.
    for (let i = 10; i < 14; i++) queue.putNowait({ i });
    assert.equal(header(queue)[JOURNAL], 0, "the journal is closed");
    assert.equal(queue.full(), true);
    // And no more than four: a fold that took the releases twice would let a fifth in.
    assert.throws(() => queue.putNowait({ i: 14 }), { name: "QueueFullError" });
    assert.deepEqual(drain(queue), [{ i: 10 }, { i: 11 }, { i: 12 }, { i: 13 }]);
    // And it goes on: hold and release again, fold again.
    for (let i = 20; i < 24; i++) queue.putNowait({ i });
    assert.throws(() => queue.putNowait({ i: 24 }), { name: "QueueFullError" });
    assert.deepEqual(drain(queue), [{ i: 20 }, { i: 21 }, { i: 22 }, { i: 23 }]);
  });
}
