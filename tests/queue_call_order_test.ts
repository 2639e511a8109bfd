/**
 * Call order of one thread's async queue calls (`src/internal/line.ts`): pending `put()`s land
 * in the order they were called, pending `get()`s are handed the items in the order they were
 * called, on the lane and the locked paths alike; a call that leaves early (aborted, timed out)
 * does not hold up the ones behind it. Every wait here is bounded.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { PriorityQueue, Queue, QueueFullError, structuredCodec, Thread } from "../mod.ts";
import { setLanes } from "../src/queue/lane.ts";
import { pendingAsyncWaits } from "../src/internal/futex.ts";
import { fillWithSmallItems } from "./helpers.ts";

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

/** `promise`, or a rejection if it has not settled within `ms` (a bug fails, not hangs). */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not settled within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Puts "claim" and waits (bounded) until the consumer thread took it: it holds the lane. */
async function claimedByConsumer(queue: Queue<string>): Promise<void> {
  queue.putSync("claim", { timeout: 30_000 });
  for (let t = 0; queue.qsize() !== 0; t++) {
    assert.ok(t < 3000, "the consumer took its item");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

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
    await late; // its deadline came while it waited in line: it rejects there
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

test("a put whose timeout runs out in line gets QueueFullError there; the head still lands", async () => {
  const queue = new Queue<number>(1);
  queue.putNowait(0);
  const head = queue.put(1, { timeout: 30_000 }); // cannot time out first
  const late = queue.put(2, { timeout: 10 });
  await assert.rejects(late, (error: Error) => {
    assert.ok(error instanceof QueueFullError);
    assert.match(error.message, /earlier puts go first/);
    return true;
  });
  assert.equal(queue.getNowait(), 0);
  await head;
  assert.equal(queue.getNowait(), 1);
  assert.equal(queue.qsize(), 0);
});

test("a get whose timeout runs out in line never takes the item the head waits for", async () => {
  // Before: its last try, out of turn, took the item in 9-10 of 10 runs (Node, Deno, Bun).
  for (const [kind, make] of kinds) {
    for (let run = 0; run < 5; run++) {
      const queue = make(0);
      const head = queue.get({ timeout: 30_000 });
      const timer = setTimeout(() => queue.putNowait(1), 20); // about when the next one gives up
      const late = queue.get({ timeout: 20 });
      await assert.rejects(late, { name: "QueueEmptyError" }, kind);
      assert.equal(await head, 1, kind);
      clearTimeout(timer);
      assert.equal(queue.qsize(), 0, kind);
    }
  }
  assert.equal(pendingAsyncWaits(), 0);
});

test("calls settle in call order: each one's reactions run before the next one's", async () => {
  // B's turn ends in its slow path, C's on its fast path at once: B settled a hop after C before.
  for (const [kind, make] of kinds) {
    for (const what of ["get", "put"] as const) {
      const queue = make(what === "put" ? 2 : 0);
      const order: string[] = [];
      const note = (name: string, p: Promise<unknown>) => p.then(() => order.push(name));
      if (what === "get") {
        const a = note("A", queue.get({ timeout: 30_000 })); // holds the line: empty
        const b = note("B", queue.get({ timeout: 30_000 }));
        const c = note("C", queue.get({ timeout: 30_000 }));
        queue.putNowait(1);
        await a; // B's turn: empty, it waits
        await new Promise((resolve) => setTimeout(resolve, 20));
        queue.putNowait(2); // wakes B (a task later)
        queue.putNowait(3); // there already when C's turn comes
        await Promise.all([b, c]);
      } else {
        queue.putNowait(0);
        queue.putNowait(0);
        const a = note("A", queue.put(1, { timeout: 30_000 })); // holds the line: full
        const b = note("B", queue.put(2, { timeout: 30_000 }));
        const c = note("C", queue.put(3, { timeout: 30_000 }));
        queue.getNowait();
        await a; // B's turn: full, it waits
        await new Promise((resolve) => setTimeout(resolve, 20));
        queue.getNowait();
        queue.getNowait(); // room for both: B in its wake, C at once in its turn
        await Promise.all([b, c]);
      }
      assert.deepEqual(order, ["A", "B", "C"], `${kind}: ${what}`);
    }
  }
});

test("a put behind others whose encode aborts its own signal rejects with the abort at once", async () => {
  const controller = new AbortController();
  const codec = {
    encode(value: number): Uint8Array {
      if (value === 2) controller.abort(new Error("aborted by its encode"));
      return structuredCodec.encode(value);
    },
    decode: (bytes: Uint8Array): number => structuredCodec.decode(bytes) as number,
  };
  const queue = new Queue<number>(1, { codec });
  queue.putNowait(0);
  const head = queue.put(1, { timeout: 30_000 });
  const began = performance.now();
  await assert.rejects(
    queue.put(2, { signal: controller.signal, timeout: 30_000 }),
    /aborted by its encode/,
  );
  assert.ok(performance.now() - began < 10_000, "at once, not at its turn or its timeout");
  assert.equal(queue.getNowait(), 0);
  await head;
  assert.equal(queue.getNowait(), 1);
});

test("a put made by an item's encode, on the same object, goes ahead of the put that encodes", async () => {
  // The outer put found the line free, and its encode's put (which has to wait) took it: the
  // outer one goes behind that put instead of holding the line too.
  const box: { queue?: Queue<string> } = {};
  const codec = {
    encode(value: string): Uint8Array {
      if (value === "outer") void box.queue!.put("nested", { timeout: 30_000 });
      return structuredCodec.encode(value);
    },
    decode: (bytes: Uint8Array): string => structuredCodec.decode(bytes) as string,
  };
  const queue = box.queue = new Queue<string>(1, { codec });
  queue.putNowait("first");
  const outer = queue.put("outer", { timeout: 30_000 });
  const after = queue.put("after", { timeout: 30_000 });
  const got: string[] = [];
  for (let k = 0; k < 4; k++) got.push(await queue.get({ timeout: 30_000 }));
  await Promise.all([outer, after]);
  assert.deepEqual(got, ["first", "nested", "outer", "after"]);
});

test("in a queue bounded by its bytes, a thread's small put waits behind its own large one", async () => {
  // Another object's (another producer's) small put goes in past it: queue_putter_wakes_test.ts.
  const queue = new Queue<string>(0, { capacityBytes: 64, maxCapacityBytes: 64 });
  const fillers = fillWithSmallItems(queue);
  const large = queue.put("L".repeat(40), { timeout: 10_000 });
  const small = queue.put("s", { timeout: 10_000 });
  const got: string[] = [];
  while (got.length < fillers.length + 2) got.push(await queue.get({ timeout: 10_000 }));
  await Promise.all([large, small]);
  assert.deepEqual(got, [...fillers, "L".repeat(40), "s"]);
});

test("a put that times out in line on a queue that may grow still settles, when it cannot", async () => {
  // The head waits in a full lane (its consumer alive and idle) when the next put's deadline
  // comes, so that put keeps its place, the queue still able to grow; then the puts ahead grow it
  // to maxCapacityBytes, and the next head (no timeout) waits for good. The put behind kept its
  // place for good before (its deadline dropped): it must settle, here as QueueFullError.
  const queue = new Queue<string>(0, { capacityBytes: 4096, maxCapacityBytes: 8192 });
  const flag = new SharedArrayBuffer(4);
  const consumer = start("takeOneThenIdle", queue, flag);
  try {
    await claimedByConsumer(queue);
    const big = "x".repeat(900);
    const ahead = Array.from({ length: 12 }, () => queue.put(big).catch((e: Error) => e.name));
    await assert.rejects(within(queue.put("X", { timeout: 5 }), 20_000), {
      name: "QueueFullError",
    });
    queue.shutdown({ immediate: true });
    assert.deepEqual(new Set(await Promise.all(ahead)), new Set([undefined, "QueueShutDownError"]));
  } finally {
    Atomics.store(new Int32Array(flag), 0, 1);
    Atomics.notify(new Int32Array(flag), 0);
    assert.equal(await consumer, "claim");
  }
});

test("a put whose encode ends the call holding the line still gets its turn", async () => {
  // The put saw the line held, then its encode aborted the holder, which freed the line: it
  // waited in a free line, for good (or until its timeout, with room in the queue).
  const holder = new AbortController();
  const codec = {
    encode(value: string): Uint8Array {
      if (value === "ends the holder") holder.abort(new Error("aborted by the next put's encode"));
      return structuredCodec.encode(value);
    },
    decode: (bytes: Uint8Array): string => structuredCodec.decode(bytes) as string,
  };
  const queue = new Queue<string>(1, { codec });
  queue.putNowait("first");
  const head = queue.put("head", { signal: holder.signal });
  const put = queue.put("ends the holder", { timeout: 30_000 });
  await assert.rejects(head, /aborted by the next put's encode/);
  assert.equal(queue.getNowait(), "first");
  await within(put, 20_000);
  assert.equal(queue.getNowait(), "ends the holder");
  await queue.put("later", { timeout: 30_000 });
  assert.equal(queue.getNowait(), "later");
});

test("a call aborted after the call ahead of it ended, before its turn ran, does nothing", async () => {
  // The reactions of the call ahead run before the next call's turn (a microtask after): an
  // abort there came after the waiter's listener was gone, and the put stored, the get took.
  const puts = new Queue<number>(3);
  for (let i = 0; i < 3; i++) puts.putNowait(0);
  const putSignal = new AbortController();
  const head = puts.put(1, { timeout: 30_000 });
  const ahead = puts.put(2, { timeout: 30_000 });
  void ahead.then(() => putSignal.abort(new Error("cancelled after the put ahead")));
  const cancelled = puts.put(3, { signal: putSignal.signal, timeout: 30_000 });
  for (let i = 0; i < 3; i++) puts.getNowait();
  await Promise.all([head, ahead]);
  await assert.rejects(cancelled, /cancelled after the put ahead/);
  assert.deepEqual([puts.getNowait(), puts.getNowait()], [1, 2]);
  assert.equal(puts.qsize(), 0, "the aborted put stored nothing");

  const gets = new Queue<number>(0);
  const getSignal = new AbortController();
  const first = gets.get({ timeout: 30_000 });
  const second = gets.get({ timeout: 30_000 });
  void second.then(() => getSignal.abort(new Error("cancelled after the get ahead")));
  const third = gets.get({ signal: getSignal.signal, timeout: 30_000 });
  for (let i = 1; i <= 3; i++) gets.putNowait(i);
  assert.deepEqual([await first, await second], [1, 2]);
  await assert.rejects(third, /cancelled after the get ahead/);
  assert.equal(gets.getNowait(), 3, "the aborted get took nothing");
  assert.equal(pendingAsyncWaits(), 0);
});

test("a put that times out in line on a queue that may grow never goes in ahead of earlier puts", async () => {
  // The heads wait in the full lane (their consumer alive and idle), then grow the queue. X's
  // timeout runs out meanwhile; it used to make one try out of turn 20 ms later, and when that
  // came in the same firing of the deadline timer as a head's growth (the event loop busy a few
  // ms at the wrong moment, as here) X found the room and went in ahead: 8 of 8 runs.
  for (let run = 0; run < 3; run++) {
    const queue = new Queue<string>(0, { capacityBytes: 4096, maxCapacityBytes: 1 << 20 });
    const flag = new SharedArrayBuffer(4);
    const n = 12;
    const consumer = start("takeOneIdleThenDrain", queue, flag, n + 1);
    try {
      await claimedByConsumer(queue);
      const big = "x".repeat(900);
      const ahead = inOrder(n).map((i) => queue.put(`A${i}:${big}`, { timeout: 30_000 }));
      const x = queue.put("X", { timeout: 1 });
      const busy = setTimeout(() => {
        const end = performance.now() + 18;
        while (performance.now() < end) { /* the event loop busy from ~12 ms to ~30 ms */ }
      }, 12);
      await within(Promise.all([...ahead, x]), 20_000);
      clearTimeout(busy);
    } finally {
      Atomics.store(new Int32Array(flag), 0, 1);
      Atomics.notify(new Int32Array(flag), 0);
    }
    const got = (await consumer as string[]).map((item) => item.split(":")[0]);
    assert.deepEqual(got, [...inOrder(n).map((i) => `A${i}`), "X"], `run ${run}`);
  }
});

test("a signal-like object whose getters throw neither strands the call nor holds the line", async () => {
  // `signalOf` takes any object with a boolean `aborted` and `addEventListener`.
  let armed = false;
  const signal = {
    get aborted(): boolean {
      if (armed) throw new Error("aborted getter threw");
      return false;
    },
    get reason(): unknown {
      throw new Error("reason getter threw");
    },
    addEventListener() {},
    removeEventListener() {},
  } as unknown as AbortSignal;
  const queue = new Queue<number>(1);
  queue.putNowait(0);
  const head = queue.put(1, { timeout: 30_000 });
  const odd = queue.put(2, { signal, timeout: 30_000 });
  armed = true; // read at its turn: treated as aborted, with what the getter threw
  assert.equal(queue.getNowait(), 0);
  await head;
  await assert.rejects(within(odd, 20_000), /getter threw/);
  assert.equal(queue.getNowait(), 1);
  await within(queue.put(3, { timeout: 30_000 }), 20_000); // the line went on
  assert.equal(queue.getNowait(), 3);
});
