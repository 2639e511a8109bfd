// Regression: a get whose codec's decode() threw lost the item. The record had already left the
// storage (and COUNT) when decode() ran, so qsize() dropped, UNFINISHED still counted the item,
// and join() never returned. Python leaves the item in the queue when `_get` fails; so do we now:
// a get decodes the record before it commits the take, and a decode that throws takes nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { type Codec, LifoQueue, PriorityQueue, Queue, structuredCodec } from "../../mod.ts";

/** structuredCodec, whose decode() throws while `failing.on` is true. */
function flaky(): { codec: Codec<unknown>; failing: { on: boolean } } {
  const failing = { on: false };
  const codec: Codec<unknown> = {
    encode: (item) => structuredCodec.encode(item),
    decode: (bytes) => {
      if (failing.on) throw new Error("decode failed on purpose");
      return structuredCodec.decode(bytes);
    },
  };
  return { codec, failing };
}

const kinds = [
  { name: "Queue", make: (codec: Codec<unknown>) => new Queue(0, { codec }), order: [1, 2, 3] },
  {
    name: "LifoQueue",
    make: (codec: Codec<unknown>) => new LifoQueue(0, { codec }),
    order: [3, 2, 1],
  },
  {
    name: "PriorityQueue",
    make: (codec: Codec<unknown>) => new PriorityQueue(0, { codec }),
    order: [1, 2, 3],
  },
];

for (const { name, make, order } of kinds) {
  test(`${name}: a get whose decode throws leaves the item in place, counts unchanged`, async () => {
    const { codec, failing } = flaky();
    const queue = make(codec);
    for (const n of [1, 2, 3]) queue.putNowait(n);
    failing.on = true;
    assert.throws(() => queue.getNowait(), /decode failed on purpose/);
    assert.throws(() => queue.getSync({ timeout: 1000 }), /decode failed on purpose/);
    await assert.rejects(queue.get({ timeout: 1000 }), /decode failed on purpose/);
    assert.equal(queue.qsize(), 3);
    assert.equal(queue.empty(), false);
    failing.on = false;
    // The same items come back, in the discipline's order: none was lost or moved.
    const got = [queue.getNowait(), queue.getSync({ timeout: 1000 }), await queue.get()];
    assert.deepEqual(got, order);
    assert.equal(queue.qsize(), 0);
    // Three puts, three taskDone()s: join() returns (it hung before the fix).
    for (let i = 0; i < 3; i++) queue.taskDone();
    await queue.join({ timeout: 1000 });
    assert.throws(() => queue.taskDone(), RangeError);
  });
}

test("a failed decode in a waiting getter leaves the item for the next get", async () => {
  const { codec, failing } = flaky();
  const queue = new Queue(0, { codec });
  failing.on = true;
  const waiting = queue.get({ timeout: 5000 });
  queue.putNowait("kept");
  await assert.rejects(waiting, /decode failed on purpose/);
  assert.equal(queue.qsize(), 1);
  failing.on = false;
  assert.equal(queue.getNowait(), "kept");
  queue.taskDone();
  await queue.join({ timeout: 1000 });
});
