/**
 * Regression (README "Known limits", issue 9's review): a thread that dies after its put changed
 * the queue but before it woke the sleeping getter takes that wake-up with it. The put bumps the
 * getters' seq with the queue's lock held and wakes them after releasing it, so a death between
 * the two (a few steps; `terminate()` stops a worker wherever it runs on Node and Bun) left a
 * getter without a timeout asleep on a queue that holds an item, until some later put or get
 * woke it: with no later put, forever.
 *
 * The test kills the putter exactly there: its `Atomics.notify` (the wake) ends its thread. The fix
 * (`src/internal/seq_wait.ts`, "Poll"): a queue's sleeping waiter wakes at least every
 * `OWNER_POLL_MS` (100 ms) and looks again, so the item is taken within that.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { float64Codec, Queue, Thread } from "../../mod.ts";
import { GET_WAITS, GETTERS } from "../../src/queue/header.ts";
import { lockedTest, until } from "../helpers.ts";

const FIXTURE = new URL("../fixtures/queue_dying_put_ops.ts", import.meta.url);

// In lane mode (`src/queue/lane.ts`) the putter dies at the lane's wake, and the getter waits
// counted in GET_WAITS; locked, at the seq's wake, counted in GETTERS.
for (const [mode, define] of [["lane", test], ["locked", lockedTest]] as const) {
  for (const async of [false, true]) {
    define(
      `Queue: a getter (${
        async ? "get()" : "getSync()"
      }) whose putter dies before waking it still gets the item (${mode})`,
      async () => {
        const queue = new Queue<number>(0, { codec: float64Codec });
        const header = new Int32Array(queue.handle.buffer, queue.handle.byteOffset, GET_WAITS + 1);
        const getter = new Thread(FIXTURE, { export: "getForever", args: [queue, async] });
        getter.start();
        try {
          // The getter counts itself as waiting, then sleeps (its spin lasts at most 16 µs).
          await until(
            () => Atomics.load(header, mode === "lane" ? GET_WAITS : GETTERS) === 1,
            "the getter waits",
          );
          await new Promise((resolve) => setTimeout(resolve, 50));
          const putter = new Thread(FIXTURE, { export: "dieBeforeWake", args: [queue, 42] });
          putter.start();
          await assert.rejects(putter.join({ timeout: 20_000 }), /exited/);
          assert.equal(queue.unfinishedTasks, 1, "the put was made before its thread died");
          // Without the poll the getter sleeps on: its join would time out.
          assert.equal(await getter.join({ timeout: 5_000 }), 42);
          assert.equal(queue.qsize(), 0);
        } finally {
          if (getter.isAlive()) await getter.terminate();
        }
      },
    );
  }
}

test("Queue: the poll is not the caller's timeout: a wait across several polls ends at its own deadline or its item", async () => {
  const queue = new Queue<number>(0, { codec: float64Codec });
  // A timeout of 3½ polls: each poll ends a sleep early, none ends the wait.
  let t0 = performance.now();
  assert.throws(() => queue.getSync({ timeout: 350 }), { name: "QueueEmptyError" });
  assert.ok(performance.now() - t0 >= 349, `getSync gave up after ${performance.now() - t0} ms`);
  t0 = performance.now();
  await assert.rejects(queue.get({ timeout: 350 }), { name: "QueueEmptyError" });
  assert.ok(performance.now() - t0 >= 349, `get gave up after ${performance.now() - t0} ms`);

  // An untimed async get that sleeps through polls still takes an item put later.
  const got = queue.get();
  await new Promise((resolve) => setTimeout(resolve, 250));
  queue.putNowait(7);
  assert.equal(await got, 7);
  assert.equal(queue.qsize(), 0);
});
