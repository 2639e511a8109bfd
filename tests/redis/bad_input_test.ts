import assert from "node:assert/strict";
import { createClient } from "redis";
import { Barrier, Event, Latch, Lock, Queue, RLock, RWLock, Semaphore } from "../../redis.ts";
import { connect, redisTest, startRedis } from "./helpers.ts";

redisTest("redis bad input: clear TypeError/RangeError, nothing written to Redis", async () => {
  const server = await startRedis();
  const c = await connect(server.url);
  try {
    // Existing primitives whose names others must not reuse with another kind or value.
    const queue = new Queue(c, "orders", { maxsize: 5 });
    await queue.put("item");
    const sem = new Semaphore(c, "slots", 3);
    await sem.acquire();
    const snapshot = async () => {
      const keys = (await c.keys("*")).sort();
      const types = await Promise.all(keys.map((k) => c.type(k)));
      return JSON.stringify([
        keys,
        types,
        await c.get("threadkit:{slots}:value"),
        await c.xLen("threadkit:{orders}:stream"),
      ]);
    };
    const before = await snapshot();

    const closed = await createClient({ url: server.url }).connect();
    await closed.close();
    const neverConnected = createClient({ url: server.url });

    const sync: Array<[string, () => unknown, typeof TypeError | typeof RangeError, RegExp?]> = [
      [
        "no client",
        () => new Lock(undefined, "x"),
        TypeError,
        /client must be a node-redis client/,
      ],
      ["a plain object", () => new Lock({}, "x"), TypeError],
      ["a URL string", () => new Lock("redis://localhost", "x"), TypeError],
      ["a closed client", () => new Lock(closed, "x"), TypeError, /not connected/],
      [
        "a client never connected",
        () => new Queue(neverConnected, "x"),
        TypeError,
        /not connected/,
      ],
      ["empty name", () => new Lock(c, ""), TypeError, /must not be empty/],
      [
        "non-string name",
        () => new Lock(c, 42 as unknown as string),
        TypeError,
        /name must be a string/,
      ],
      ["name with a brace", () => new Event(c, "a{b}"), TypeError, /must not contain/],
      ["lease 0", () => new Lock(c, "x", { lease: 0 }), RangeError, /lease/],
      ["lease < 0", () => new RLock(c, "x", { lease: -5 }), RangeError],
      ["lease NaN", () => new Lock(c, "x", { lease: NaN }), RangeError],
      ["lease Infinity", () => new RWLock(c, "x", { lease: Infinity }), RangeError],
      ["lease a string", () => new Lock(c, "x", { lease: "100" as unknown as number }), TypeError],
      ["options not an object", () => new Lock(c, "x", 5 as never), TypeError],
      ["maxsize < 0", () => new Queue(c, "x", { maxsize: -1 }), RangeError, /maxsize/],
      ["maxsize not an integer", () => new Queue(c, "x", { maxsize: 1.5 }), RangeError],
      ["semaphore value < 0", () => new Semaphore(c, "x", -1), RangeError],
      ["barrier parties 0", () => new Barrier(c, "x", 0), RangeError],
      [
        "barrier action not a function",
        () => new Barrier(c, "x", 2, { action: 1 as never }),
        TypeError,
      ],
      ["latch count a string", () => new Latch(c, "x", "3" as unknown as number), TypeError],
    ];
    for (const [label, fn, type, pattern] of sync) {
      assert.throws(fn, (error: unknown) => {
        assert.ok(error instanceof type, `${label}: ${error}`);
        if (pattern !== undefined) assert.match((error as Error).message, pattern, label);
        assert.doesNotMatch((error as Error).message, /\.$/, `${label}: no trailing period`);
        return true;
      }, label);
    }

    const lock = new Lock(c, "fresh");
    const asyncCases: Array<
      [string, () => Promise<unknown>, typeof TypeError | typeof RangeError, RegExp?]
    > = [
      ["timeout < 0", () => lock.acquire({ timeout: -1 }), RangeError, /timeout/],
      ["timeout NaN", () => lock.acquire({ timeout: NaN }), RangeError],
      ["timeout a string", () => lock.acquire({ timeout: "1" as unknown as number }), TypeError],
      [
        "signal not a signal",
        () => lock.acquire({ signal: {} as AbortSignal }),
        TypeError,
        /signal/,
      ],
      ["per-call lease 0", () => lock.acquire({ lease: 0 }), RangeError],
      [
        "a Lock where a Queue lives",
        () => new Lock(c, "orders").acquire(),
        TypeError,
        /already holds a Queue/,
      ],
      ["an RLock where a Queue lives", () => new RLock(c, "orders").tryAcquire(), TypeError],
      [
        "a Queue where a Semaphore lives",
        () => new Queue(c, "slots").put(1),
        TypeError,
        /Semaphore/,
      ],
      ["an Event where a Queue lives", () => new Event(c, "orders").set(), TypeError],
      ["a Latch where a Queue lives", () => new Latch(c, "orders", 1).countDown(), TypeError],
      [
        "a Barrier where a Semaphore lives",
        () => new Barrier(c, "slots", 2).wait({ timeout: 10 }),
        TypeError,
      ],
      [
        "an RWLock where a Queue lives",
        () => new RWLock(c, "orders").write({ timeout: 10 }),
        TypeError,
      ],
      [
        "a Semaphore of another value",
        () => new Semaphore(c, "slots", 4).acquire(),
        RangeError,
        /value 3/,
      ],
      [
        "a Queue of another maxsize",
        () => new Queue(c, "orders", { maxsize: 6 }).put(1),
        RangeError,
        /maxsize 5/,
      ],
      [
        "an item the codec cannot encode",
        () => new Queue(c, "orders", { maxsize: 5 }).put(Symbol("s")),
        TypeError,
      ],
      ["release n = 0", () => sem.release(0), RangeError],
      ["countDown n = -1", () => new Latch(c, "l", 1).countDown(-1), RangeError],
    ];
    for (const [label, fn, type, pattern] of asyncCases) {
      await assert.rejects(fn(), (error: unknown) => {
        assert.ok(error instanceof type, `${label}: ${error}`);
        if (pattern !== undefined) assert.match((error as Error).message, pattern, label);
        return true;
      }, label);
    }
    assert.equal(await snapshot(), before, "nothing was written to Redis");
    assert.ok(sync.length + asyncCases.length >= 15);
  } finally {
    await c.close().catch(() => {});
    await server.stop();
  }
});
