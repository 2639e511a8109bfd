import { test } from "node:test";
import assert from "node:assert/strict";
import {
  float64Codec,
  LifoQueue,
  PriorityQueue,
  Queue,
  QueueEmptyError,
  QueueFullError,
  QueueShutDownError,
  structuredCodec,
  TimeoutError,
} from "../mod.ts";
import { LOCK, TAIL } from "../src/queue/header.ts";
import { lockedTest, runAll, spawn, until } from "./helpers.ts";

const QUEUE_OPS = new URL("./fixtures/queue_ops.ts", import.meta.url);

async function mpmc(
  kind: "Queue" | "LifoQueue" | "PriorityQueue",
  producers: number,
  consumers: number,
  count: number,
) {
  const capacityBytes = 512; // tiny: producers block often
  const queue = kind === "Queue"
    ? new Queue(0, { capacityBytes })
    : kind === "LifoQueue"
    ? new LifoQueue(0, { capacityBytes })
    : new PriorityQueue(0, { capacityBytes });
  const seen = new SharedArrayBuffer(producers * count * 4);
  const ordered = kind === "Queue";
  const consuming = runAll<number>(
    "consume",
    consumers,
    () => ({ handle: queue.handle, seen, producers, count, ordered }),
    120_000,
    QUEUE_OPS,
  );
  // If a consumer fails, shut the queue down so the others stop at once instead of timing out.
  consuming.catch(() => queue.shutdown({ immediate: true }));
  await runAll(
    "produce",
    producers,
    (p) => ({ handle: queue.handle, p, count }),
    120_000,
    QUEUE_OPS,
  );
  queue.shutdown(); // consumers drain, then see QueueShutDownError
  const taken = await consuming;
  assert.equal(taken.reduce((a, b) => a + b, 0), producers * count, "every item taken once");
  const marks = new Int32Array(seen);
  for (let i = 0; i < marks.length; i++) {
    if (marks[i] !== 1) {
      assert.fail(`item ${Math.floor(i / count)}/${i % count} delivered ${marks[i]} times`);
    }
  }
  assert.equal(queue.qsize(), 0);
}

test("Queue: 4 producers x 4 consumers x 50,000 mixed items, tiny ring: exactly once, per-producer FIFO", async () => {
  await mpmc("Queue", 4, 4, 50_000);
});

test("FIFO ring wraps correctly under single-thread churn (sequence and canaries)", () => {
  // A canary buffer around the queue: the bytes before and after must stay untouched.
  const byteLength = Queue.byteLength(0, { capacityBytes: 100 });
  const buffer = new SharedArrayBuffer(byteLength + 64);
  const canary = new Uint8Array(buffer);
  canary.fill(0xa5);
  const queue = new Queue<string>(0, { buffer, byteOffset: 32, capacityBytes: 100 });
  let put = 0;
  let got = 0;
  for (let i = 0; i < 20_000; i++) {
    try {
      queue.putNowait(`${"x".repeat(i % 17)}#${put}`);
      put++;
    } catch (error) {
      assert.ok(error instanceof QueueFullError);
      const item = queue.getNowait();
      assert.equal(item.slice(item.indexOf("#") + 1), String(got));
      got++;
    }
  }
  while (!queue.empty()) {
    const item = queue.getNowait();
    assert.equal(item.slice(item.indexOf("#") + 1), String(got++));
  }
  assert.equal(got, put);
  for (let i = 0; i < 32; i++) assert.equal(canary[i], 0xa5, `canary before, byte ${i}`);
  for (let i = 32 + byteLength; i < canary.length; i++) {
    assert.equal(canary[i], 0xa5, `canary after, byte ${i}`);
  }
});

test("records of every length 0..160 come back byte-exact, wrapped, in all disciplines, with a get nested in decode", () => {
  // Records up to 64 bytes are copied byte by byte (put) and word by word (get) through views
  // made once per length; longer ones through set(). A decode that itself gets from another
  // queue must get its own copy, not the scratch the outer get still reads.
  const pattern = (n: number, seed: number) => {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = (seed * 31 + i * 7 + (i >> 3)) & 0xff;
    return b;
  };
  const inner = new Queue<Uint8Array>(0, {
    capacityBytes: 4096,
    codec: { encode: (v) => v, decode: (b) => b.slice() },
  });
  const outerCodec = {
    // The item is [seed, length]; its record is the pattern, so the decoder can check it.
    encode: ([seed, n]: [number, number]) => pattern(n, seed),
    decode: (b: Uint8Array): [number, number] => {
      const nested = inner.getNowait(); // a get inside a get's decode
      assert.deepEqual(nested, pattern(nested.length, 7), "nested record");
      const seed = b.length === 0 ? 0 : findSeed(b);
      assert.deepEqual(b, pattern(b.length, seed), `record of ${b.length} bytes`);
      return [seed, b.length];
    },
  };
  const findSeed = (b: Uint8Array) => {
    for (let seed = 0; seed < 256; seed++) if (((seed * 31) & 0xff) === b[0]) return seed;
    throw new Error("no seed");
  };
  const queues = [
    new Queue<[number, number]>(0, { capacityBytes: 300, codec: outerCodec }),
    new LifoQueue<[number, number]>(0, { capacityBytes: 300, codec: outerCodec }),
    new PriorityQueue<[number, number]>(0, { capacityBytes: 300, codec: outerCodec }),
  ];
  for (const queue of queues) {
    for (let round = 0; round < 3; round++) {
      for (let n = 0; n <= 160; n++) {
        const seed = (n + round) & 0xff;
        inner.putNowait(pattern(n % 70, 7));
        queue.putNowait([seed, n]);
        if (n % 3 === 0) {
          // Two stored at once (and the ring wraps at other places).
          inner.putNowait(pattern((n + 5) % 70, 7));
          queue.putNowait([seed + 1, (n * 7) % 90]);
          queue.getNowait(); // checked by the decoder
        }
        queue.getNowait();
      }
      while (!queue.empty()) queue.getNowait();
    }
    assert.equal(inner.qsize(), 0);
  }
});

test("LifoQueue returns the newest first; PriorityQueue lowest first, FIFO among equals", () => {
  const lifo = new LifoQueue<number>();
  for (let i = 0; i < 100; i++) lifo.putNowait(i);
  for (let i = 99; i >= 0; i--) assert.equal(lifo.getNowait(), i);
  assert.throws(() => lifo.getNowait(), QueueEmptyError);

  const pq = new PriorityQueue<{ p: number; i: number }>(0, { capacityBytes: 65_536 });
  const items: { p: number; i: number }[] = [];
  let state = 12345;
  for (let i = 0; i < 300; i++) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    const p = state % 7 - 3;
    items.push({ p, i });
  }
  // Interleave puts and gets so the arena fragments and compacts.
  const expected = [...items].sort((a, b) => a.p - b.p || a.i - b.i);
  for (const item of items) {
    while (true) {
      try {
        pq.putNowait(item, { priority: item.p });
        break;
      } catch (error) {
        assert.ok(error instanceof QueueFullError, String(error));
        assert.fail("capacity 64 KiB should hold 300 small items");
      }
    }
  }
  const out = [];
  while (!pq.empty()) out.push(pq.getNowait());
  assert.deepEqual(out, expected);

  // Fragmentation: a tiny arena, many interleaved puts/gets; the heap order must hold.
  const small = new PriorityQueue<number>(0, { capacityBytes: 160 });
  const live: number[] = [];
  for (let i = 0; i < 5_000; i++) {
    try {
      small.putNowait(i, { priority: i % 5 });
      live.push(i);
    } catch (error) {
      assert.ok(error instanceof QueueFullError);
      const v = small.getNowait();
      const best = [...live].sort((a, b) => a % 5 - b % 5 || a - b)[0];
      assert.equal(v, best);
      live.splice(live.indexOf(v), 1);
    }
  }
});

test("LifoQueue and PriorityQueue across workers deliver every item once", async () => {
  await mpmc("LifoQueue", 2, 2, 3_000);
  await mpmc("PriorityQueue", 2, 2, 3_000);
});

test("maxsize bounds items; full/empty/qsize; put blocks until a get makes room (cross-thread)", async () => {
  const queue = new Queue<number>(2);
  queue.putNowait(1);
  queue.putNowait(2);
  assert.equal(queue.full(), true);
  assert.equal(queue.qsize(), 2);
  assert.throws(() => queue.putNowait(3), QueueFullError);
  await assert.rejects(queue.put(3, { timeout: 20 }), QueueFullError);
  const started = new SharedArrayBuffer(4);
  const putter = spawn<{ ok?: boolean }>(
    "putOne",
    { handle: queue.handle, item: 3, timeout: 10_000, started },
    20_000,
    QUEUE_OPS,
  );
  await until(() => Atomics.load(new Int32Array(started), 0) === 1, "the putter started");
  assert.equal(queue.getSync({ timeout: 1000 }), 1);
  assert.deepEqual(await putter.result, { ok: true });
  assert.equal(queue.getNowait(), 2);
  assert.equal(queue.getNowait(), 3);
  assert.equal(queue.empty(), true);
});

test("a get blocked in a worker receives an item put later; timed-out get takes nothing", async () => {
  const queue = new Queue<string>();
  const getter = spawn<{ value?: string }>(
    "getOne",
    { handle: queue.handle, timeout: 10_000 },
    20_000,
    QUEUE_OPS,
  );
  await queue.put("hello");
  assert.deepEqual(await getter.result, { value: "hello" });
  const t0 = performance.now();
  assert.throws(() => queue.getSync({ timeout: 50 }), QueueEmptyError);
  const elapsed = performance.now() - t0;
  assert.ok(elapsed >= 45 && elapsed < 2000, `timed out after ${elapsed} ms`);
  queue.putNowait("after");
  assert.equal(queue.getNowait(), "after");
});

test("abort: an aborted get or put loses and duplicates nothing", async () => {
  const queue = new Queue<number>(1);
  const controller = new AbortController();
  const pending = queue.get({ signal: controller.signal });
  controller.abort(new Error("stop"));
  await assert.rejects(pending, /stop/);
  queue.putNowait(7);
  const putController = new AbortController();
  const blockedPut = queue.put(8, { signal: putController.signal });
  putController.abort(new Error("no"));
  await assert.rejects(blockedPut, /no/);
  assert.equal(queue.qsize(), 1);
  assert.equal(queue.getNowait(), 7);
  assert.equal(queue.empty(), true);
  const already = AbortSignal.abort(new Error("already"));
  queue.putNowait(1);
  await assert.rejects(queue.get({ signal: already }), /already/);
  assert.equal(queue.qsize(), 1, "an already-aborted get takes nothing even when items are there");
});

test("taskDone/join: join returns only after every item is marked done", async () => {
  const queue = new Queue<number>();
  for (let i = 0; i < 20; i++) queue.putNowait(i);
  await assert.rejects(queue.join({ timeout: 20 }), TimeoutError);
  const workers = runAll("worker", 2, () => ({ handle: queue.handle, n: 10 }), 30_000, QUEUE_OPS);
  await queue.join({ timeout: 20_000 });
  assert.equal(queue.empty(), true);
  await workers;
  assert.throws(() => queue.taskDone(), RangeError);
  queue.joinSync({ timeout: 0 });
});

test("shutdown wakes blocked getters and putters with QueueShutDownError; gets drain first", async () => {
  const empty = new Queue<number>();
  const getters = [0, 1].map(() =>
    spawn<{ error?: string }>(
      "getOne",
      { handle: empty.handle, timeout: 20_000 },
      30_000,
      QUEUE_OPS,
    )
  );
  const full = new Queue<number>(1);
  full.putNowait(1);
  const started = new SharedArrayBuffer(4);
  const putter = spawn<{ error?: string }>(
    "putOne",
    { handle: full.handle, item: 2, timeout: 20_000, started },
    30_000,
    QUEUE_OPS,
  );
  await until(() => Atomics.load(new Int32Array(started), 0) === 1, "the putter started");
  empty.shutdown();
  full.shutdown();
  for (const g of getters) assert.deepEqual(await g.result, { error: "QueueShutDownError" });
  assert.deepEqual(await putter.result, { error: "QueueShutDownError" });
  assert.equal(full.getNowait(), 1, "a shut-down queue drains");
  assert.throws(() => full.getNowait(), QueueShutDownError);
  assert.throws(() => full.putNowait(3), QueueShutDownError);
  await assert.rejects(full.put(3), QueueShutDownError);
});

test("immediate shutdown discards items and releases join", async () => {
  const queue = new Queue<number>();
  for (let i = 0; i < 5; i++) queue.putNowait(i);
  const joining = queue.join({ timeout: 10_000 });
  queue.shutdown({ immediate: true });
  await joining;
  assert.equal(queue.qsize(), 0);
  assert.throws(() => queue.getNowait(), QueueShutDownError);
});

test("async iteration drains until shutdown", async () => {
  const queue = new Queue<number>();
  for (let i = 0; i < 5; i++) await queue.put(i);
  queue.shutdown();
  const out: number[] = [];
  for await (const item of queue) out.push(item);
  assert.deepEqual(out, [0, 1, 2, 3, 4]);
});

test("all-or-nothing puts: unencodable and oversized items write nothing", () => {
  const queue = new Queue<unknown>(0, { capacityBytes: 64 });
  queue.putNowait("first");
  assert.throws(() => queue.putNowait({ f: () => 1 }), TypeError);
  assert.throws(() => queue.putNowait(new SharedArrayBuffer(8)), /handle/);
  assert.throws(() => queue.putNowait("x".repeat(200)), RangeError);
  assert.throws(() => queue.putSync(Symbol("s")), TypeError);
  assert.equal(queue.qsize(), 1);
  assert.equal(queue.getNowait(), "first");
  assert.equal(queue.empty(), true);
});

test("float64Codec puts write the codec's own record in place: ring wrap, LIFO, priority", () => {
  // A put of a number to a float64Codec queue writes its record without calling encode; the
  // bytes must be encode's, whoever reads them (a queue opened with another codec included).
  const raw = { encode: (b: Uint8Array) => b, decode: (b: Uint8Array) => b.slice() };
  const values = [1.5, -0, NaN, Infinity, -Infinity, 5e-324, Number.MAX_VALUE, 2 ** 53 + 2, -7.25];
  const bytesOf = (v: number) => [...float64Codec.encode(v)];
  // 64 bytes hold five 12-byte records: keeping 2-3 stored, the ring wraps every few puts.
  const fifo = new Queue<number>(0, { codec: float64Codec, capacityBytes: 64 });
  const rawFifo = Queue.from<Uint8Array>(fifo.handle, { codec: raw });
  const expected: number[] = [];
  for (let i = 0; i < 40; i++) {
    const v = values[i % values.length]!;
    if (i % 5 === 4) rawFifo.putNowait(new Uint8Array(bytesOf(v))); // a record written by encode
    else fifo.putNowait(v); // in place
    expected.push(v);
    if (expected.length < 3) continue;
    const want = expected.shift()!;
    if (i % 2 === 0) assert.ok(Object.is(fifo.getNowait(), want), `item ${i}`);
    else assert.deepEqual([...rawFifo.getNowait()], bytesOf(want), `item ${i}`);
  }
  for (const want of expected) assert.ok(Object.is(fifo.getNowait(), want));
  assert.equal(fifo.qsize(), 0);

  const lifo = new LifoQueue<number>(0, { codec: float64Codec });
  const rawLifo = LifoQueue.from<Uint8Array>(lifo.handle, { codec: raw });
  for (const v of values) lifo.putNowait(v);
  for (const v of [...values].reverse()) assert.deepEqual([...rawLifo.getNowait()], bytesOf(v));

  const prio = new PriorityQueue<number>(0, { codec: float64Codec });
  const rawPrio = PriorityQueue.from<Uint8Array>(prio.handle, { codec: raw });
  values.forEach((v, i) => prio.putNowait(v, { priority: -i }));
  for (const v of [...values].reverse()) assert.deepEqual([...rawPrio.getNowait()], bytesOf(v));
  assert.equal(prio.unfinishedTasks, values.length);
});

test("float64Codec numbers mode; from(handle) with a codec; bad input", () => {
  const queue = new Queue<number>(0, { codec: float64Codec });
  queue.putNowait(1.5);
  queue.putNowait(-0);
  const again = Queue.from<number>(queue.handle, { codec: float64Codec });
  assert.equal(again.getNowait(), 1.5);
  assert.ok(Object.is(again.getNowait(), -0));
  assert.throws(() => new Queue(-1), RangeError);
  assert.throws(() => new Queue(1.5), RangeError);
  assert.throws(() => new Queue("3" as unknown as number), TypeError);
  assert.throws(() => new Queue(0, { capacityBytes: 3 }), RangeError);
  assert.throws(() => new Queue(0, { codec: {} as never }), TypeError);
  assert.throws(() => Queue.from(new LifoQueue().handle), TypeError);
  assert.throws(
    () => new Queue(0, { buffer: new SharedArrayBuffer(1024), byteOffset: 4 }),
    RangeError,
  );
  assert.throws(() => new PriorityQueue().putNowait(1, { priority: NaN }), RangeError);
  assert.throws(() => queue.getSync({ timeout: -1 }), RangeError);
  assert.equal(queue.empty(), true);
});

lockedTest(
  "Queue: a throw inside the queue's lock (a codec's bytes, a failed copy) is undone and leaves the lock free",
  () => {
    // A put: the bytes' `length` getter throws once the ring's TAIL has moved (inside the lock).
    const queue = new Queue<string>();
    queue.putNowait("before");
    const header = new Int32Array(queue.handle.buffer, queue.handle.byteOffset, TAIL + 1);
    assert.equal(LOCK, 0);
    class ThrowingBytes extends Uint8Array {
      tail = Atomics.load(header, TAIL);
      override get length(): number {
        if (Atomics.load(header, TAIL) !== this.tail) throw new Error("length refused");
        return super.length;
      }
    }
    const throwing = Queue.from<string>(queue.handle, {
      codec: {
        encode(value: string) {
          const plain = structuredCodec.encode(value);
          const bytes = new ThrowingBytes(plain.byteLength);
          bytes.set(plain);
          return bytes;
        },
        decode: (bytes: Uint8Array) => structuredCodec.decode(bytes) as string,
      },
    });
    assert.throws(() => throwing.putNowait("thrown"), /length refused/);
    // Checked first: a lock left held by this thread would make the next put wait for itself.
    assert.equal(Atomics.load(header, LOCK), 0, "the put's throw released the lock");
    queue.putSync("after", { timeout: 2_000 });
    assert.equal(queue.qsize(), 2);
    assert.equal(queue.unfinishedTasks, 2);

    // A get: copying a long record out fails (`subarray` refused) after HEAD moved.
    const long = "x".repeat(200);
    queue.putNowait(long);
    const subarray = Uint8Array.prototype.subarray;
    const get = () => queue.getSync({ timeout: 2_000 });
    assert.equal(get(), "before");
    assert.equal(get(), "after");
    Uint8Array.prototype.subarray = function (this: Uint8Array, start?: number, end?: number) {
      if (this.buffer === queue.handle.buffer) throw new Error("copy refused");
      return subarray.call(this, start, end);
    } as typeof subarray;
    try {
      assert.throws(get, /copy refused/);
    } finally {
      Uint8Array.prototype.subarray = subarray;
    }
    assert.equal(Atomics.load(header, LOCK), 0, "the get's throw released the lock");
    assert.equal(queue.qsize(), 1, "the item stays");
    assert.equal(get(), long);
    assert.equal(queue.qsize(), 0);
  },
);
