/**
 * The SPSC lane of a FIFO Queue (`src/queue/lane.ts`): while one thread puts and one gets, items
 * go through the ring without the queue's lock; anything else revokes the lane for good and the
 * locked paths carry on with the items where the lane left them. Every wait here is bounded.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { float64Codec, LifoQueue, PriorityQueue, Queue, Thread } from "../mod.ts";
import {
  CONSUMER,
  DONE,
  GET_WAITS,
  GETS,
  LANE_OFF,
  LANE_ON,
  MODE,
  PUT_WAITS,
  PUTS,
  WRITE,
} from "../src/queue/header.ts";
import { BUSY, lanePuts, MAX_LANE_MAXSIZE, setLanes } from "../src/queue/lane.ts";
import { pendingAsyncWaits } from "../src/internal/futex.ts";
import { chargeLaneWait, laneWaitLeft } from "../src/queue/base.ts";
import { until } from "./helpers.ts";
import type { Tagged } from "./fixtures/queue_lane_ops.ts";

const FIXTURE = new URL("./fixtures/queue_lane_ops.ts", import.meta.url);

/** The queue's header slots. */
function header(queue: Queue<unknown>): Int32Array {
  return new Int32Array(queue.handle.buffer, queue.handle.byteOffset, 64);
}

const mode = (queue: Queue<unknown>): number => Atomics.load(header(queue), MODE);

/** Runs `exports` of the fixture in a new thread with `args`; returns its result (bounded). */
async function run(name: string, ...args: unknown[]): Promise<unknown> {
  const thread = new Thread<unknown>(FIXTURE, { export: name, args });
  thread.start();
  try {
    return await thread.join({ timeout: 60_000 });
  } finally {
    if (thread.isAlive()) await thread.terminate();
  }
}

/** Starts `name` in a new thread; the caller joins it. */
function start(name: string, ...args: unknown[]): Thread<unknown> {
  const thread = new Thread<unknown>(FIXTURE, { export: name, args });
  thread.start();
  return thread;
}

const inOrder = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);

test("lane: which queues start in lane mode", () => {
  assert.equal(mode(new Queue()), LANE_ON, "the default queue (64 KiB)");
  assert.equal(mode(new Queue(0, { capacityBytes: 1024 })), LANE_ON, "a power of two");
  assert.equal(mode(new Queue(0, { capacityBytes: 1000 })), LANE_OFF, "not a power of two");
  assert.equal(mode(new Queue(5)), LANE_ON, "a maxsize");
  assert.equal(mode(new Queue(MAX_LANE_MAXSIZE)), LANE_ON, "the largest maxsize a lane takes");
  // The default bytes of a larger maxsize, 64 an item, are rounded up to a power of two for it.
  const odd = new Queue(5000);
  assert.equal(mode(odd), LANE_ON, "a maxsize whose 64 bytes an item are not a power of two");
  assert.equal(odd.capacityBytes, 512 * 1024);
  assert.equal(new LifoQueue(5000).capacityBytes, 5000 * 64, "other queues keep 64 bytes an item");
  assert.equal(
    mode(new Queue(MAX_LANE_MAXSIZE * 2, { capacityBytes: 1 << 16 })),
    LANE_OFF,
    "a larger maxsize",
  );
  assert.equal(mode(new PriorityQueue() as Queue<unknown>), LANE_OFF, "a PriorityQueue");
});

test("lane: with a maxsize, one thread: the bound, full(), the errors, and laps of the ring", async () => {
  const queue = new Queue<unknown>(3, { capacityBytes: 256 });
  for (const item of [1, 2, 3]) queue.putNowait(item);
  assert.equal(queue.full(), true);
  assert.equal(queue.qsize(), 3);
  assert.throws(() => queue.putNowait(4), { name: "QueueFullError", message: /maxsize 3/ });
  assert.throws(() => queue.putSync(4, { timeout: 5 }), { name: "QueueFullError" });
  await assert.rejects(queue.put(4, { timeout: 5 }), { name: "QueueFullError" });
  assert.equal(Atomics.load(header(queue), PUT_WAITS), 0);
  assert.equal(queue.getNowait(), 1);
  assert.equal(queue.full(), false);
  queue.putNowait(4);
  // An async put at the bound waits in the lane; a get of the same thread lets it in.
  const waiting = queue.put(5, { timeout: 10_000 });
  assert.equal(Atomics.load(header(queue), PUT_WAITS), 1);
  assert.equal(await queue.get({ timeout: 1000 }), 2);
  await waiting;
  assert.deepEqual([queue.getNowait(), queue.getNowait(), queue.getNowait()], [3, 4, 5]);
  assert.equal(queue.empty(), true);
  // Laps of the 256-byte ring with records of 8-56 bytes: the bound follows READ across wraps.
  let next = 0;
  let got = 0;
  for (let lap = 0; lap < 400; lap++) {
    while (!queue.full()) queue.putNowait("z".repeat((next++ * 5) % 40));
    assert.equal(queue.qsize(), 3);
    assert.throws(() => queue.putNowait("z"), { name: "QueueFullError", message: /maxsize 3/ });
    for (let k = lap % 3; k >= 0; k--) {
      assert.equal(queue.getNowait(), "z".repeat((got++ * 5) % 40));
    }
  }
  while (!queue.empty()) assert.equal(queue.getNowait(), "z".repeat((got++ * 5) % 40));
  assert.equal(got, next);
  assert.equal(mode(queue), LANE_ON);
  // The bytes bound still applies: 64 bytes hold one 40-byte record.
  const small = new Queue<string>(5, { capacityBytes: 64, maxCapacityBytes: 64 });
  small.putNowait("y".repeat(40));
  assert.throws(() => small.putNowait("y".repeat(40)), {
    name: "QueueFullError",
    message: /fill its bytes/,
  });
  assert.equal(mode(small), LANE_ON);
});

test("lane: with a maxsize, a record got more than 2^28 bytes behind WRITE counts as got (no false full)", () => {
  // 2^19-byte records through a 2^20-byte ring, one queued: after 512 more puts the record put
  // maxsize (513) puts back ended 2^28 bytes behind WRITE, which positions mod 2^28 cannot tell
  // from WRITE itself.
  const record = new Uint8Array((1 << 19) - 4);
  const codec = { encode: (_: number) => record, decode: (bytes: Uint8Array) => bytes.length };
  const queue = new Queue<number>(513, { capacityBytes: 1 << 20, codec });
  queue.putNowait(0);
  for (let i = 1; i < 1100; i++) {
    queue.putNowait(i);
    assert.equal(queue.getNowait(), record.length);
  }
  assert.equal(queue.qsize(), 1);
  assert.equal(mode(queue), LANE_ON);
});

test("lane: with a maxsize, a second queue object of the producer's thread revokes it", () => {
  const queue = new Queue<number>(4);
  queue.putNowait(1);
  const again = Queue.from<number>(queue.handle);
  again.putNowait(2);
  assert.equal(mode(queue), LANE_OFF);
  queue.putNowait(3);
  assert.deepEqual([again.getNowait(), queue.getNowait(), again.getNowait()], [1, 2, 3]);
  for (let k = 0; k < 4; k++) queue.putNowait(k);
  assert.throws(() => again.putNowait(9), { name: "QueueFullError", message: /maxsize 4/ });
});

test("lane: one thread: FIFO, the snapshots, taskDone and join, the nowait errors", async () => {
  const queue = new Queue<unknown>(0, { capacityBytes: 256 });
  assert.equal(queue.empty(), true);
  const items = [1, "two", { three: 3 }, [4], null, undefined, "x".repeat(100)];
  for (const item of items) queue.putNowait(item);
  assert.equal(queue.qsize(), items.length);
  assert.equal(queue.empty(), false);
  assert.equal(queue.unfinishedTasks, items.length);
  assert.deepEqual([queue.getNowait(), queue.getSync(), await queue.get()], items.slice(0, 3));
  assert.equal(queue.qsize(), items.length - 3);
  for (let k = 0; k < 3; k++) queue.taskDone();
  assert.equal(queue.unfinishedTasks, items.length - 3);
  assert.throws(() => queue.joinSync({ timeout: 10 }), { name: "TimeoutError" });
  const rest = [];
  while (!queue.empty()) rest.push(queue.getNowait());
  assert.deepEqual(rest, items.slice(3));
  assert.throws(() => queue.getNowait(), { name: "QueueEmptyError", message: /it is empty/ });
  assert.throws(() => queue.getSync({ timeout: 5 }), { name: "QueueEmptyError" });
  await assert.rejects(queue.get({ timeout: 5 }), { name: "QueueEmptyError" });
  for (let k = 3; k < items.length; k++) queue.taskDone();
  queue.joinSync({ timeout: 1000 });
  await queue.join({ timeout: 1000 });
  assert.throws(() => queue.taskDone(), RangeError);
  // Full: 256 bytes and no growth.
  let n = 0;
  assert.throws(() => {
    for (;; n++) queue.putNowait("y".repeat(20));
  }, { name: "QueueFullError", message: /capacityBytes 256 is its limit/ });
  assert.equal(queue.full(), true);
  assert.equal(queue.qsize(), n);
  assert.throws(() => queue.putSync("z", { timeout: 5 }), { name: "QueueFullError" });
  await assert.rejects(queue.put("z", { timeout: 5 }), { name: "QueueFullError" });
  for (let k = 0; k < n; k++) assert.equal(queue.getNowait(), "y".repeat(20));
  assert.equal(queue.full(), false);
  assert.equal(mode(queue), LANE_ON, "no revoke on the way");
  assert.equal(Atomics.load(header(queue), GET_WAITS), 0);
  assert.equal(Atomics.load(header(queue), PUT_WAITS), 0);
});

for (const maxsize of [0, 4]) {
  test(`lane: its counts wrap past 2^31 puts (a long stream) and stay exact${maxsize ? ", with the maxsize bound" : ""}`, () => {
    const queue = new Queue<number>(maxsize);
    const h = header(queue);
    // As if 2^31 - 3 items had streamed through, each got and marked done (PUTS, GETS and DONE
    // are int32 words: the next puts wrap them to negative numbers).
    for (const slot of [PUTS, GETS, DONE]) Atomics.store(h, slot, 2 ** 31 - 3);
    for (let i = 0; i < 4; i++) queue.putNowait(i);
    assert.ok(Atomics.load(h, PUTS) < 0, "PUTS wrapped");
    assert.equal(queue.qsize(), 4);
    assert.equal(queue.unfinishedTasks, 4);
    assert.equal(queue.full(), maxsize === 4);
    if (maxsize === 4) {
      assert.throws(() => queue.putNowait(9), { name: "QueueFullError", message: /maxsize 4/ });
    }
    assert.deepEqual([queue.getNowait(), queue.getNowait()], [0, 1]);
    queue.putNowait(4);
    assert.equal(queue.qsize(), 3);
    queue.taskDone();
    queue.taskDone();
    assert.equal(queue.unfinishedTasks, 3);
    queue.shutdown(); // revokes: UNFINISHED and COUNT from the lane's counts
    assert.equal(mode(queue), LANE_OFF);
    assert.equal(queue.qsize(), 3);
    assert.equal(queue.unfinishedTasks, 3);
    assert.deepEqual([queue.getNowait(), queue.getNowait(), queue.getNowait()], [2, 3, 4]);
    for (let k = 0; k < 3; k++) queue.taskDone();
    assert.throws(() => queue.taskDone(), RangeError);
    queue.joinSync({ timeout: 1000 });
  });
}

test("lane: a decode that throws leaves the item next; a get nested in a decode takes the one after", () => {
  let failOnce = true;
  let nest = false;
  const queue: Queue<number> = new Queue<number>(0, {
    codec: {
      encode: (n: number) => float64Codec.encode(n),
      decode(bytes: Uint8Array): number {
        const n = float64Codec.decode(bytes);
        if (failOnce) {
          failOnce = false;
          throw new Error("undecodable, once");
        }
        if (nest) {
          nest = false;
          inner.push(queue.getNowait());
        }
        return n;
      },
    },
  });
  const inner: number[] = [];
  for (const n of [1, 2, 3]) queue.putNowait(n);
  assert.throws(() => queue.getNowait(), /undecodable, once/);
  assert.equal(queue.qsize(), 3);
  nest = true;
  // The outer get decodes 1, its nested get takes 1; the outer's publish fails, it takes 2.
  assert.equal(queue.getNowait(), 2);
  assert.deepEqual(inner, [1]);
  assert.equal(queue.getNowait(), 3);
  assert.equal(queue.qsize(), 0);
  assert.equal(mode(queue), LANE_ON);
});

/** A codec of int32 numbers in records of `size` bytes (the rest zeros): big records, few puts. */
function paddedCodec(size: number) {
  const bytes = new Uint8Array(size - 4); // a record is its 4-byte length and these
  const view = new DataView(bytes.buffer);
  return {
    encode(n: number): Uint8Array {
      view.setInt32(0, n, true);
      return bytes;
    },
    decode: (b: Uint8Array): number => new DataView(b.buffer, b.byteOffset).getInt32(0, true),
  };
}

test("lane: a queue object of the producer's thread idle while another put 2^28 bytes does not overwrite an unread record", () => {
  const size = 1 << 20; // two records fill the lane; 256 puts move WRITE 2^28 bytes (a lap)
  const codec = paddedCodec(size);
  const a = new Queue<number>(0, { capacityBytes: 2 * size, codec }); // cannot grow
  const b = Queue.from<number>(a.handle, { codec });
  b.putNowait(-1); // b saw READ at 0
  assert.equal(a.getNowait(), -1);
  for (let i = 1; i <= 254; i++) {
    a.putNowait(i);
    assert.equal(a.getNowait(), i);
  }
  a.putNowait(255);
  a.putNowait(256); // full, and WRITE is 2^28 bytes past where b last saw READ
  assert.throws(() => a.putNowait(0), { name: "QueueFullError" });
  assert.throws(() => b.putNowait(999), { name: "QueueFullError" }, "b finds it full too");
  assert.deepEqual([a.getNowait(), a.getNowait()], [255, 256]);
  assert.equal(a.qsize(), 0);
  assert.equal(mode(a), LANE_ON);
});

test("lane: a queue object of the consumer's thread idle while another got 2^28 bytes finds the lane empty", () => {
  const size = 1 << 20;
  const codec = paddedCodec(size);
  const a = new Queue<number>(0, { capacityBytes: 2 * size, codec });
  const b = Queue.from<number>(a.handle, { codec });
  a.putNowait(0);
  a.putNowait(1);
  assert.equal(b.getNowait(), 0); // b saw WRITE 2 records ahead of its READ
  assert.equal(a.getNowait(), 1);
  for (let i = 2; i <= 256; i++) {
    a.putNowait(i);
    assert.equal(a.getNowait(), i);
  }
  // READ and WRITE are now 2^28 bytes past where b saw them: b's view, mod 2^28, has a record.
  assert.throws(() => b.getNowait(), { name: "QueueEmptyError" });
  a.putNowait(7);
  assert.equal(b.getNowait(), 7);
  assert.equal(a.qsize(), 0);
  assert.equal(mode(a), LANE_ON);
});

test("lane: gets nested in a decode that take past the WRITE the outer get saw leave it the next item, not bytes past WRITE", () => {
  // One thread, two objects: the outer get (a) saw WRITE at the end of item 0; its decode puts
  // item 1 and gets twice through b (items 0 and 1). The outer's publish then fails, and READ is
  // past the WRITE it saw: it must look again (empty), not read a record there.
  const inner: number[] = [];
  const { a } = decodeOnce((b) => {
    b.putNowait(1);
    inner.push(b.getNowait(), b.getNowait());
  });
  a.putNowait(0);
  assert.throws(() => a.getNowait(), { name: "QueueEmptyError" });
  assert.deepEqual(inner, [0, 1]);
  assert.equal(a.qsize(), 0);
  a.putNowait(2);
  assert.equal(a.getNowait(), 2);
  assert.equal(mode(a), LANE_ON);
});

for (const lane of [true, false]) {
  test(`a woken async get whose decode aborts its own signal gets the item, once (${lane ? "lane" : "locked"})`, async () => {
    // The decode runs inside the get's slow path, resumed by the put's wake: an abort from there
    // re-entered the running slow path ("Generator is already running"): the item was taken, the
    // get rejected with that TypeError, and the wait's keep-alive was released twice.
    setLanes(lane);
    try {
      const controller = new AbortController();
      const queue = new Queue<number>(0, {
        codec: {
          encode: (n: number) => float64Codec.encode(n),
          decode(bytes: Uint8Array): number {
            const n = float64Codec.decode(bytes);
            if (n === 7) controller.abort(new Error("aborted by the decode"));
            return n;
          },
        },
      });
      assert.equal(mode(queue), lane ? LANE_ON : LANE_OFF);
      const other = new Queue<number>(); // another wait of this thread, pending throughout
      const otherGot = other.get({ timeout: 20_000 });
      const before = pendingAsyncWaits();
      const got = queue.get({ signal: controller.signal, timeout: 20_000 });
      if (lane) assert.equal(Atomics.load(header(queue), GET_WAITS), 1, "it sleeps in the lane");
      queue.putNowait(7);
      assert.equal(await got, 7, "the abort came after the get had its item");
      assert.equal(queue.qsize(), 0);
      assert.equal(pendingAsyncWaits(), before, "the get's keep-alive released once");
      other.putNowait(1);
      assert.equal(await otherGot, 1);
      assert.equal(pendingAsyncWaits(), before - 1);
    } finally {
      setLanes(true);
    }
  });
}

/**
 * A queue `a` of numbers and a second object `b` of it in this thread, whose codec's first decode
 * runs `first(b)` (a get nested in that decode).
 */
function decodeOnce(first: (b: Queue<number>) => void) {
  let nest = true;
  const codec = {
    encode: (n: number) => float64Codec.encode(n),
    decode(bytes: Uint8Array): number {
      const n = float64Codec.decode(bytes);
      if (nest) {
        nest = false;
        first(b);
      }
      return n;
    },
  };
  const a = new Queue<number>(0, { codec });
  const b = Queue.from<number>(a.handle, { codec });
  return { a, b };
}

/**
 * `decodeOnce` whose first decode aborts `controller` and gets the very item being decoded
 * (into `inner`) through `b`: the outer get then finds the lane empty, aborted.
 */
function abortingDecode() {
  const controller = new AbortController();
  const inner: number[] = [];
  const { a } = decodeOnce((b) => {
    controller.abort(new Error("aborted by the decode"));
    inner.push(b.getNowait());
  });
  return { controller, inner, a };
}

test("lane: an abort from a decode takes effect at the get's next park when a nested get took the item", async () => {
  const { controller, inner, a } = abortingDecode();
  const before = pendingAsyncWaits();
  const got = a.get({ signal: controller.signal, timeout: 20_000 });
  assert.equal(Atomics.load(header(a), GET_WAITS), 1, "it sleeps in the lane");
  a.putNowait(7);
  await assert.rejects(got, /aborted by the decode/);
  assert.deepEqual(inner, [7]);
  assert.equal(a.qsize(), 0);
  assert.equal(Atomics.load(header(a), GET_WAITS), 0, "uncounted");
  assert.equal(pendingAsyncWaits(), before);
  assert.equal(mode(a), LANE_ON);
});

test("lane: an abort from the decode of an async get's first try, a nested get taking the item, rejects the get", async () => {
  // The decode runs in get()'s fast path, before the wait exists: its listener was added to a
  // signal already aborted (which never fires it), and the get took the next item put instead.
  const { controller, inner, a } = abortingDecode();
  a.putNowait(7);
  const got = a.get({ signal: controller.signal, timeout: 20_000 });
  await assert.rejects(got, /aborted by the decode/);
  assert.deepEqual(inner, [7]);
  a.putNowait(8); // not the aborted get's
  assert.equal(a.getNowait(), 8);
  assert.equal(Atomics.load(header(a), GET_WAITS), 0);
});

test("lane: a copy out that throws leaves the item, and the lane runs on", () => {
  const queue = new Queue<string>();
  const long = "x".repeat(200); // copied out through `subarray`
  queue.putNowait(long);
  const subarray = Uint8Array.prototype.subarray;
  Uint8Array.prototype.subarray = function (this: Uint8Array, start?: number, end?: number) {
    if (this.buffer === queue.handle.buffer) throw new Error("copy refused");
    return subarray.call(this, start, end);
  } as typeof subarray;
  try {
    assert.throws(() => queue.getSync({ timeout: 2_000 }), /copy refused/);
    // The throw lent nothing: the next get copies into the thread's scratch (through the
    // patched `subarray`) again. Before, the scratch stayed marked lent and every later get of
    // this thread took a fresh copy instead (which let a later test's refusal go unseen).
    assert.throws(() => queue.getSync({ timeout: 2_000 }), /copy refused/);
  } finally {
    Uint8Array.prototype.subarray = subarray;
  }
  assert.equal(queue.qsize(), 1, "the item stays");
  assert.equal(queue.getSync({ timeout: 2_000 }), long);
  assert.equal(mode(queue), LANE_ON);
});

test("lane: an aborted get and a timed-out put leave no waiter counted", async () => {
  const queue = new Queue<number>(0, { codec: float64Codec, capacityBytes: 16 });
  const controller = new AbortController();
  const got = queue.get({ signal: controller.signal });
  assert.equal(Atomics.load(header(queue), GET_WAITS), 1);
  controller.abort(new Error("stop"));
  await assert.rejects(got, /stop/);
  assert.equal(Atomics.load(header(queue), GET_WAITS), 0);
  queue.putNowait(1);
  assert.throws(() => queue.putNowait(2), { name: "QueueFullError" }, "16 bytes: one record");
  const put = queue.put(2, { timeout: 20 });
  assert.equal(Atomics.load(header(queue), PUT_WAITS), 1);
  await assert.rejects(put, { name: "QueueFullError" });
  assert.equal(Atomics.load(header(queue), PUT_WAITS), 0);
  assert.equal(queue.getNowait(), 1);
  queue.putNowait(3);
  assert.equal(await queue.get({ timeout: 100 }), 3);
  assert.equal(mode(queue), LANE_ON);
});

for (const async of [false, true]) {
  test(`lane: two threads through a 256-byte lane, both sides blocking (${async ? "async" : "sync"})`, async () => {
    const queue = new Queue<Tagged>(0, { capacityBytes: 256 });
    const n = 3000;
    const consumer = start("consume", queue, n, async, true);
    const producer = start("produce", queue, "p", n, 40, async);
    assert.equal(await producer.join({ timeout: 60_000 }), n);
    const seen = await consumer.join({ timeout: 60_000 });
    assert.deepEqual(seen, { p: inOrder(n) });
    assert.equal(mode(queue), LANE_ON, "one producer, one consumer: no revoke");
    assert.equal(queue.qsize(), 0);
    assert.equal(queue.unfinishedTasks, 0);
    await queue.join({ timeout: 1000 });
  });
}

for (const async of [false, true]) {
  test(`lane: with a maxsize, two threads stream at the bound and never past it (${async ? "async" : "sync"})`, async () => {
    for (const maxsize of [1, 2, 7]) {
      const queue = new Queue<Tagged>(maxsize, { capacityBytes: 1024 });
      const n = 1500;
      const consumer = start("consumeBounded", queue, n, maxsize, async);
      const producer = start("produce", queue, "p", n, 30, async);
      assert.equal(await producer.join({ timeout: 60_000 }), n);
      assert.equal(await consumer.join({ timeout: 60_000 }), maxsize, "the producer reached it");
      assert.equal(mode(queue), LANE_ON, `maxsize ${maxsize}: one producer, one consumer`);
      assert.equal(queue.qsize(), 0);
      assert.equal(Atomics.load(header(queue), PUT_WAITS), 0);
    }
  });
}

test("lane: a one-record lane hands over at every item, and no wake-up is lost (none waits out the 100 ms poll)", async () => {
  // 16 bytes hold one float64 record: each side waits for the other at nearly every item, and
  // parks once its watch runs out. A lost wake-up costs that side the liveness poll (100 ms):
  // 400 items stay far under the bound below unless wake-ups are lost.
  const queue = new Queue<number>(0, {
    codec: float64Codec,
    capacityBytes: 16,
    maxCapacityBytes: 16,
  });
  const n = 400;
  const t0 = performance.now();
  const consumer = start("consumeNumbers", queue, n);
  assert.equal(await run("produceNumbers", queue, n), n);
  assert.equal(await consumer.join({ timeout: 60_000 }), n);
  const ms = performance.now() - t0;
  assert.ok(ms < 8000, `${ms.toFixed(0)} ms for ${n} hand-offs`);
  assert.equal(mode(queue), LANE_ON);
});

test("lane: numbers (float64Codec) through a 64-byte lane that wraps at every lap", async () => {
  const queue = new Queue<number>(0, { codec: float64Codec, capacityBytes: 64 });
  const n = 20_000;
  const consumer = start("consumeNumbers", queue, n);
  assert.equal(await run("produceNumbers", queue, n), n);
  assert.equal(await consumer.join({ timeout: 60_000 }), n);
  assert.equal(mode(queue), LANE_ON);
  assert.equal(Atomics.load(header(queue), PUTS), n);
});

for (const async of [false, true]) {
  test(`lane: a third thread's put revokes it mid-stream: every item once, each producer's in order (${async ? "async" : "sync"})`, async () => {
    for (const capacityBytes of [256, 65536]) {
      const queue = new Queue<Tagged>(0, { capacityBytes });
      const n = 2000;
      const m = 300;
      const consumer = start("consume", queue, n + m, async);
      const producer = start("produce", queue, "p", n, 30, async);
      // The third thread starts while the stream runs (the lane may be anywhere: full, empty,
      // a side asleep), and its first put revokes.
      await until(() => Atomics.load(header(queue), PUTS) >= n / 4, "the stream runs");
      const third = start("produce", queue, "t", m, 30, async);
      assert.equal(await third.join({ timeout: 60_000 }), m);
      assert.equal(await producer.join({ timeout: 60_000 }), n);
      const seen = await consumer.join({ timeout: 60_000 });
      assert.deepEqual(seen, { p: inOrder(n), t: inOrder(m) });
      assert.equal(mode(queue), LANE_OFF);
      assert.equal(queue.qsize(), 0);
      assert.equal(queue.unfinishedTasks, n + m);
    }
  });
}

for (const async of [false, true]) {
  test(`lane: a consumer asleep in the lane is re-routed by the revoke and gets the next item (${async ? "get()" : "getSync()"})`, async () => {
    const queue = new Queue<Tagged>();
    const consumer = start("getMany", queue, 2, async);
    queue.putNowait({ from: "main", i: 1, pad: "" }); // main claims the producer side
    await until(() => Atomics.load(header(queue), GET_WAITS) === 1, "the consumer waits again");
    assert.equal(mode(queue), LANE_ON);
    await run("produce", queue, "other", 1, 0, false); // a second producer: revokes
    assert.deepEqual(await consumer.join({ timeout: 20_000 }), [1, 0]);
    assert.equal(mode(queue), LANE_OFF);
  });
}

test("lane: a producer waiting for room is re-routed by shutdown and gets QueueShutDownError", async () => {
  const queue = new Queue<Tagged>(0, { capacityBytes: 128 });
  const producer = start("produce", queue, "p", 1000, 20, false);
  await until(() => Atomics.load(header(queue), PUT_WAITS) === 1, "the producer waits for room");
  const stored = queue.qsize();
  queue.shutdown();
  await assert.rejects(producer.join({ timeout: 20_000 }), { name: "QueueShutDownError" });
  assert.equal(mode(queue), LANE_OFF);
  let n = 0;
  while (!queue.empty()) {
    assert.equal((queue.getNowait() as Tagged).i, n++);
  }
  assert.equal(n, stored);
  assert.throws(() => queue.getNowait(), { name: "QueueShutDownError" });
});

for (const async of [false, true]) {
  test(`lane: shutdown mid-stream: the consumer drains every item put, then ends (${async ? "async" : "sync"})`, async () => {
    const queue = new Queue<Tagged>(0, { capacityBytes: 1024 });
    const consumer = start("drainUntilShutDown", queue, async);
    const producer = new Thread<unknown>(FIXTURE, {
      export: "produce",
      args: [queue, "p", 1_000_000, 10, async],
    });
    producer.start();
    await until(() => Atomics.load(header(queue), PUTS) >= 500, "the stream runs");
    queue.shutdown();
    await assert.rejects(producer.join({ timeout: 20_000 }), { name: "QueueShutDownError" });
    const puts = Atomics.load(header(queue), PUTS);
    assert.equal(await consumer.join({ timeout: 20_000 }), puts, "every item put, got once");
    assert.equal(queue.unfinishedTasks, puts);
  });
}

test("lane: it grows while no consumer has claimed it; once one has, a put that must grow leaves it", async () => {
  const queue = new Queue<number>(0, {
    codec: float64Codec,
    capacityBytes: 64,
    maxCapacityBytes: 1 << 20,
  });
  // A producer ahead of any consumer (one that has not started yet): the lane grows.
  for (let i = 0; i < 1000; i++) queue.putNowait(i);
  assert.equal(mode(queue), LANE_ON);
  assert.equal(queue.capacityBytes, 16384, "doubled, a power of two, to hold 12,000 bytes");
  assert.equal(queue.qsize(), 1000);
  for (let i = 0; i < 1000; i++) assert.equal(queue.getNowait(), i);
  // This thread is its consumer now: the lane cannot grow, so a put with no room leaves it.
  for (let i = 0; i < 2000; i++) queue.putNowait(i);
  assert.equal(mode(queue), LANE_OFF);
  assert.ok(queue.capacityBytes >= 24000);
  for (let i = 0; i < 2000; i++) assert.equal(queue.getNowait(), i);

  // Up to the largest power of two within maxCapacityBytes; past it, the locked path grows.
  const capped = new Queue<number>(0, {
    codec: float64Codec,
    capacityBytes: 64,
    maxCapacityBytes: 1000,
  });
  for (let i = 0; i < 80; i++) capped.putNowait(i); // 960 bytes
  assert.equal(mode(capped), LANE_OFF);
  assert.equal(capped.capacityBytes, 1000);
  for (let i = 0; i < 80; i++) assert.equal(capped.getNowait(), i);

  // Across threads: a producer that starts before its consumer's thread has booted.
  const grows = new Queue<number>(0, {
    codec: float64Codec,
    capacityBytes: 64,
    maxCapacityBytes: 1 << 20,
  });
  assert.equal(await run("produceNumbers", grows, 20_000), 20_000);
  assert.equal(mode(grows), LANE_ON, "it grew instead");
  assert.equal(await run("consumeNumbers", grows, 20_000), 20_000);
  assert.equal(mode(grows), LANE_ON);
});

test("lane: a consumer's claim waits while its producer grows the lane (CONSUMER held at GROWING)", async () => {
  const queue = new Queue<number>(0, { codec: float64Codec, capacityBytes: 64 });
  for (let i = 0; i < 3; i++) queue.putNowait(i); // this thread claims the producer side
  const h = header(queue);
  Atomics.store(h, CONSUMER, -1); // as the producer's growth holds it (a live producer: this thread)
  const flag = new SharedArrayBuffer(4);
  const consumer = start("flagThenGet", queue, flag, 4);
  // "not-equal" when the flag was set before this wait began: both mean the consumer started.
  const started = Atomics.wait(new Int32Array(flag), 0, 0, 20_000);
  assert.notEqual(started, "timed-out", "the consumer starts");
  // It is inside its first get, whose claim waits: it takes nothing while GROWING stands.
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(Atomics.load(h, GETS), 0);
  assert.equal(Atomics.load(h, CONSUMER), -1);
  assert.equal(mode(queue), LANE_ON, "not revoked: the producer is alive");
  assert.equal(queue.qsize(), 3);
  Atomics.store(h, CONSUMER, 0); // the growth ends (`Lane.grown`)
  queue.putNowait(3);
  assert.deepEqual(await consumer.join({ timeout: 20_000 }), [0, 1, 2, 3]);
  assert.equal(Atomics.load(h, CONSUMER), consumer.ident, "then it claimed the lane");
  assert.equal(mode(queue), LANE_ON);
});

test("lane: a producer that dies growing the lane (CONSUMER left at GROWING): the consumer's claim revokes, nothing lost", async () => {
  const queue = new Queue<number>(0, {
    codec: float64Codec,
    capacityBytes: 64,
    maxCapacityBytes: 1 << 16,
  });
  const producer = start("dieGrowingLane", queue);
  await assert.rejects(producer.join({ timeout: 20_000 }), /exited/);
  const h = header(queue);
  assert.equal(Atomics.load(h, CONSUMER), -1, "it died holding the consumer side");
  const puts = Atomics.load(h, PUTS);
  assert.ok(puts >= 4, `${puts} puts before the growth`);
  // In a thread of its own, so that a claim that waited for the dead producer fails the join.
  assert.equal(await run("consumeNumbers", queue, puts), puts, "0 .. puts - 1, in order");
  assert.equal(mode(queue), LANE_OFF);
  assert.equal(queue.qsize(), 0);
  queue.putNowait(7); // the locked paths carry on
  assert.equal(queue.getNowait(), 7);
});

test("lane: the published puts do not count a put that began between the loads of WRITE and PUTS", () => {
  const queue = new Queue<number>(0, { codec: float64Codec });
  queue.putNowait(1);
  const h = header(queue);
  const w = Atomics.load(h, WRITE);
  const load = Atomics.load;
  let step = 0;
  // Just after the first load of WRITE, a put begins: BUSY (with PUTS's parity before it, odd)
  // and PUTS + 1, nothing published.
  (Atomics as { load: typeof load }).load = ((ta: Int32Array, at: number) => {
    const value = load(ta, at);
    if (ta === h && at === WRITE && step++ === 0) {
      Atomics.store(h, WRITE, w | BUSY | (1 << 29));
      Atomics.store(h, PUTS, 2);
    }
    return value;
  }) as typeof load;
  let puts: number;
  try {
    puts = lanePuts(h);
  } finally {
    (Atomics as { load: typeof load }).load = load;
    Atomics.store(h, PUTS, 1);
    Atomics.store(h, WRITE, w);
  }
  assert.equal(puts, 1, "one put published");
  assert.equal(queue.getNowait(), 1);
});

test("lane: a consumer killed between taking the last item and counting it leaves the snapshots at empty", async () => {
  const queue = new Queue<number>(1, { codec: float64Codec });
  queue.putNowait(1);
  const consumer = start("dieAfterTaking", queue);
  await assert.rejects(consumer.join({ timeout: 20_000 }), /exited/);
  const h = header(queue);
  assert.equal(Atomics.load(h, GETS), 0, "it died before counting the get");
  assert.equal(mode(queue), LANE_ON);
  assert.deepEqual(
    { qsize: queue.qsize(), empty: queue.empty(), full: queue.full() },
    { qsize: 0, empty: true, full: false },
  );
  queue.putNowait(2); // the bound is by READ: room for one
  assert.equal(queue.qsize(), 1);
  assert.equal(queue.getNowait(), 2); // another thread's get: the lane is revoked, recounted
  assert.equal(mode(queue), LANE_OFF);
  assert.equal(queue.qsize(), 0);
});

for (const maxsize of [0, 4]) {
  test(`lane: growing before a consumer claims it makes room for the records already in, too${maxsize ? " (maxsize)" : ""}`, () => {
    const queue = new Queue<string>(maxsize, { capacityBytes: 64, maxCapacityBytes: 4096 });
    queue.putNowait("a".repeat(40));
    // 100 more bytes do not fit in 128 beside the first record's: the growth goes to 256.
    queue.putNowait("b".repeat(100));
    assert.equal(mode(queue), LANE_ON, "grown in the lane, not revoked");
    assert.ok(queue.capacityBytes >= 256, `${queue.capacityBytes} bytes`);
    assert.deepEqual([queue.getNowait(), queue.getNowait()], ["a".repeat(40), "b".repeat(100)]);
  });
}

test("lane: a blocking put to a full lane that may grow waits for a live consumer (up to 20 ms), then grows", async () => {
  const queue = new Queue<number>(0, {
    codec: float64Codec,
    capacityBytes: 64,
    maxCapacityBytes: 1 << 20,
  });
  const flag = new SharedArrayBuffer(4);
  const consumer = start("getThenHold", queue, flag, 1);
  try {
    queue.putSync(-1);
    await until(() => queue.qsize() === 0, "the consumer took the first item");
    for (let i = 0; i < 5; i++) queue.putSync(i); // 5 records of 12 bytes: the lane is full
    assert.equal(mode(queue), LANE_ON);
    const t0 = performance.now();
    queue.putSync(5, { timeout: 10_000 }); // waits for the consumer (alive, not getting)...
    const waited = performance.now() - t0;
    // A few puts and no waits before: the allowance is its floor, 20 ms (LANE_STALL_MS).
    assert.ok(waited >= 15, `it waited ${waited.toFixed(2)} ms for room first`);
    assert.equal(mode(queue), LANE_OFF, "...then left the lane");
    assert.ok(queue.capacityBytes > 64, "and grew");
    for (let i = 0; i <= 5; i++) assert.equal(queue.getNowait(), i);
  } finally {
    Atomics.store(new Int32Array(flag), 0, 1);
    Atomics.notify(new Int32Array(flag), 0);
    await consumer.join({ timeout: 20_000 });
  }
});

test("lane: the put wait allowance: 10 µs a recent put or 20 ms, less the recent waits, at most 20 ms; recent decays, past PUTS's wrap too", () => {
  // PUTS at the object's first wait: 0; near the wrap; past it (a thread that made 2^31 + 5).
  for (const start of [0, 2 ** 31 - 100, -(2 ** 31) + 5]) {
    const waits = { since: 0, waited: 0, charged: 0 };
    const at = (n: number) => (start + n) | 0; // PUTS, an int32 word, n puts on
    laneWaitLeft(waits, at(0));
    assert.equal(laneWaitLeft(waits, at(10)), 20, "few puts: 20 ms in all");
    waits.waited = 15;
    const five = laneWaitLeft(waits, at(20)); // 20 ms (or 10 µs × ~2,000 kept puts), less 15
    assert.ok(five >= 5 && five < 6, `${five}`);
    assert.ok(laneWaitLeft(waits, at(3000)) > 14, "3,000 puts: 30 ms, less 15");
    waits.waited = 40;
    assert.ok(laneWaitLeft(waits, at(3000)) <= 0, "a slow consumer: grow now");
    // 100,000 puts later (across the wrap for the second start): the waits have decayed.
    const left = laneWaitLeft(waits, at(103_000));
    assert.ok(left > 19, `${left} ms left after 100,000 puts without waiting`);
    assert.ok(waits.waited < 1);
  }
});

test("lane: puts waiting at once (async, one thread) charge their common wait once", () => {
  const waits = { since: 0, waited: 0, charged: 0 };
  chargeLaneWait(waits, 100, 103); // three puts waiting through one 3 ms stall
  chargeLaneWait(waits, 100, 103);
  chargeLaneWait(waits, 101, 103);
  assert.equal(waits.waited, 3);
  chargeLaneWait(waits, 102, 105); // overlapping: only its last 2 ms are new
  assert.equal(waits.waited, 5);
  chargeLaneWait(waits, 110, 111);
  assert.equal(waits.waited, 6);
});

test("lane: a slow consumer does not hold a burst's blocking puts back: the queue grows (unbounded means unbounded)", async () => {
  // The consumer takes ~2 ms an item. Kept in the lane, 2,000 puts into a ring of ~680 records
  // would wait for it at every put past the ring, ~2.6 s; a queue that may grow must grow instead.
  const n = 2_000;
  const queue = new Queue<number>(0, {
    codec: float64Codec,
    capacityBytes: 8192,
    maxCapacityBytes: 1 << 20,
  });
  const flag = new SharedArrayBuffer(4);
  const consumer = start("slowThenFast", queue, flag, n, 2);
  try {
    queue.putSync(0);
    await until(() => queue.qsize() === 0, "the consumer took the first item");
    const t0 = performance.now();
    for (let i = 1; i < n; i++) queue.putSync(i, { timeout: 20_000 });
    const took = performance.now() - t0;
    assert.equal(mode(queue), LANE_OFF, "the queue left the lane to grow");
    assert.ok(took < 1_000, `the burst took ${took.toFixed(0)} ms (held back by the consumer)`);
  } finally {
    Atomics.store(new Int32Array(flag), 0, 1);
    Atomics.notify(new Int32Array(flag), 0);
    assert.deepEqual(await consumer.join({ timeout: 30_000 }), inOrder(n), "every item, in order");
  }
});

for (const where of ["copy", "publish"] as const) {
  test(`lane: a producer killed inside its record write (BUSY set, in the ${where}) is taken over`, async () => {
    const queue = new Queue<Tagged>();
    const n = 5;
    const dying = start("dieInsideLanePut", queue, n, where);
    await assert.rejects(dying.join({ timeout: 20_000 }), /exited/);
    // The published items are there; the dead put is not, and is not counted.
    assert.equal(queue.unfinishedTasks, n);
    assert.equal(queue.qsize(), n);
    const got = [];
    for (let k = 0; k < n; k++) got.push((queue.getNowait() as Tagged).i);
    assert.deepEqual(got, inOrder(n));
    assert.throws(() => queue.getNowait(), { name: "QueueEmptyError" });
    // Main's put: another producer, so it revokes, taking BUSY over from the dead thread.
    queue.putNowait({ from: "main", i: 0, pad: "" });
    assert.equal(mode(queue), LANE_OFF);
    assert.equal(queue.unfinishedTasks, n + 1, "PUTS exact across the takeover");
    assert.equal((queue.getNowait() as Tagged).from, "main");
    for (let k = 0; k <= n; k++) queue.taskDone();
    await queue.join({ timeout: 1000 });
    assert.throws(() => queue.taskDone(), RangeError);
  });
}

test("lane: random kills of its producer or consumer lose nothing published and duplicate nothing", async () => {
  const n = 200_000;
  for (let round = 0; round < 8; round++) {
    const killProducer = round % 2 === 0;
    const queue = new Queue<number>(0, { codec: float64Codec, capacityBytes: 4096 });
    const log = new SharedArrayBuffer(4 * (n + 1));
    const l = new Int32Array(log);
    const consumer = start("consumeLogged", queue, log);
    const producer = start("produceNumbers", queue, n);
    await until(() => Atomics.load(l, 0) > 0, "the stream runs");
    await new Promise((resolve) => setTimeout(resolve, (round * 7) % 20));
    const victim = killProducer ? producer : consumer;
    await victim.terminate();
    const got = Array.from(l.subarray(1, 1 + Atomics.load(l, 0)));
    if (killProducer) {
      // Main leaves the lane (taking a busy mark over from the dead producer); the consumer
      // drains what was published, then sees the shutdown.
      queue.shutdown();
      const total = (await consumer.join({ timeout: 20_000 })) as number;
      const all = Array.from(l.subarray(1, 1 + total));
      assert.deepEqual(all, inOrder(total), `round ${round}: a prefix, in order, once each`);
      assert.equal(queue.unfinishedTasks, total, "every published put counted, no other");
    } else {
      // Main takes the rest (leaving the lane) while the producer finishes.
      const rest: number[] = [];
      while (
        rest[rest.length - 1] !== n - 1 && (got.length === 0 || got[got.length - 1] !== n - 1)
      ) {
        rest.push(await queue.get({ timeout: 20_000 }));
      }
      assert.equal(await producer.join({ timeout: 60_000 }), n);
      assert.equal(queue.qsize(), 0);
      const first = rest.length === 0 ? n : rest[0]!;
      assert.deepEqual(got, inOrder(got.length), `round ${round}: the consumer's, in order`);
      assert.deepEqual(rest, inOrder(rest.length, first), "the rest, in order");
      // At most the one item the consumer had taken but not yet logged is missing.
      assert.ok(first - got.length <= 1, `round ${round}: ${first - got.length} items lost`);
    }
    assert.equal(mode(queue), LANE_OFF);
  }
});
