import assert from "node:assert/strict";
import { Lock, Queue, QueueEmptyError, QueueFullError, QueueShutDownError } from "../../redis.ts";
import { connect, redisTest, spawnChild, until, untilHandedBack, withServer } from "./helpers.ts";

redisTest(
  "redis Queue: 2 producer and 2 consumer processes, structured items each delivered exactly once",
  async () => {
    await withServer(async (server, c) => {
      const url = server.url;
      const perProducer = 60;
      const consumers = [0, 1].map(() =>
        spawnChild<number[]>("consumer", { url, name: "q", maxsize: 8 })
      );
      const producers = [0, 1].map((i) =>
        spawnChild("producer", {
          url,
          name: "q",
          from: i * perProducer,
          count: perProducer,
          maxsize: 8,
        })
      );
      await Promise.all(producers.map((p) => p.result));
      const q = new Queue(c, "q", { maxsize: 8 });
      assert.equal(await q.join({ timeout: 30_000 }), true);
      await q.shutdown();
      const seen = (await Promise.all(consumers.map((child) => child.result))).flat();
      assert.equal(seen.length, 2 * perProducer, "no item delivered twice or lost");
      assert.deepEqual(
        [...seen].sort((a, b) => a - b),
        Array.from({ length: 2 * perProducer }, (_, i) => i),
      );
      assert.equal(await q.qsize(), 0);
    });
  },
);

redisTest(
  "redis Queue: a consumer SIGKILLed before taskDone -> its item is delivered to another",
  async () => {
    await withServer(async (server, c) => {
      const lease = 800;
      const q = new Queue<{ n: number }>(c, "crash", { lease });
      await q.put({ n: 7 });
      await q.put({ n: 8 });
      const victim = spawnChild("takeAndHang", { url: server.url, name: "crash", lease });
      assert.equal(await victim.event("took"), 7);
      victim.kill("SIGKILL");
      const t0 = performance.now();
      const first = await q.get({ timeout: 5_000 });
      const second = await q.get({ timeout: 5_000 });
      const got = [first.n, second.n].sort();
      assert.deepEqual(got, [7, 8], "the dead consumer's item came back");
      assert.ok(performance.now() - t0 < lease + 2_000);
      await q.taskDone();
      await q.taskDone();
      assert.equal(await q.join({ timeout: 1_000 }), true);
      await assert.rejects(q.getNowait(), QueueEmptyError);
    });
  },
);

redisTest(
  "redis Queue: maxsize, nowait errors, taskDone/join, shutdown, codec errors",
  async () => {
    await withServer(async (_server, c) => {
      const q = new Queue<unknown>(c, "b", { maxsize: 2 });
      await assert.rejects(q.getNowait(), QueueEmptyError);
      await assert.rejects(q.get({ timeout: 50 }), QueueEmptyError);
      await q.putNowait(1);
      await q.put(new Map([[1n, new Date(0)]]));
      assert.equal(await q.full(), true);
      await assert.rejects(q.putNowait(3), QueueFullError);
      await assert.rejects(q.put(3, { timeout: 50 }), QueueFullError);
      // A blocked put proceeds once a get makes room.
      const putting = q.put(3, { timeout: 5_000 });
      assert.equal(await q.get(), 1);
      await putting;
      assert.equal(await q.qsize(), 2);
      // Functions cannot be encoded: TypeError, nothing written.
      await assert.rejects(q.putNowait(() => 1), TypeError);
      assert.equal(await q.qsize(), 2);
      const m = await q.get() as Map<bigint, Date>;
      assert.ok(m instanceof Map && m.get(1n) instanceof Date);
      assert.equal(await q.get(), 3);
      assert.equal(await q.join({ timeout: 50 }), false, "three items taken, none done");
      const joining = q.join({ timeout: 5_000 });
      await q.taskDone();
      await q.taskDone();
      await q.taskDone();
      await assert.rejects(q.taskDone(), RangeError);
      assert.equal(await joining, true);
      // Abort leaves nothing taken.
      await q.put("x");
      const ac = new AbortController();
      ac.abort(new Error("stop"));
      await assert.rejects(q.get({ signal: ac.signal }), /stop/);
      assert.equal(await q.qsize(), 1);
      // Shutdown: puts fail, gets drain then fail; a blocked get is woken.
      const other = new Queue<unknown>(c, "b", { maxsize: 2 });
      await other.shutdown();
      await assert.rejects(q.put(1), QueueShutDownError);
      assert.equal(await q.get(), "x");
      await q.taskDone();
      await assert.rejects(q.get(), QueueShutDownError);
      // Immediate shutdown discards waiting items and wakes a blocked get.
      const im = new Queue<number>(c, "im");
      await im.put(1);
      await im.put(2);
      const taken = await im.get();
      assert.equal(taken, 1);
      const blocked = new Queue<number>(c, "im2");
      const waitingGet = blocked.get({ timeout: 10_000 });
      await new Promise((resolve) => setTimeout(resolve, 50));
      await blocked.shutdown({ immediate: true });
      await assert.rejects(waitingGet, QueueShutDownError);
      await im.shutdown({ immediate: true });
      assert.equal(await im.qsize(), 0);
      await im.taskDone();
      assert.equal(await im.join({ timeout: 1_000 }), true);
      // Async iteration drains until shutdown.
      const it = new Queue<number>(c, "it");
      for (let i = 0; i < 5; i++) await it.put(i);
      await it.shutdown();
      const drained: number[] = [];
      for await (const item of it) {
        drained.push(item);
        await it.taskDone();
      }
      assert.deepEqual(drained, [0, 1, 2, 3, 4]);
      await it.destroy();
      assert.deepEqual(await c.keys("threadkit:{it}:*"), []);
    });
  },
);

redisTest(
  "redis Queue: a get blocked in the server (XREADGROUP BLOCK) ends at once on abort, timeout and shutdown",
  async () => {
    await withServer(async (_server, c) => {
      // lease 60 s: the get's own re-check comes only every 20 s, so each end below must come
      // from the unblock, not from a re-check.
      const q = new Queue<number>(c, "blk", { lease: 60_000 });
      await assert.rejects(q.getNowait(), QueueEmptyError);
      assert.deepEqual(await c.keys("threadkit:{blk}:*"), [], "getNowait writes nothing");
      const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
      const ac = new AbortController();
      let t0 = performance.now();
      const aborted = q.get({ signal: ac.signal });
      await sleep(100);
      ac.abort(new Error("stop"));
      await assert.rejects(aborted, /stop/);
      assert.ok(performance.now() - t0 < 1_000, "abort ends the blocked read");
      // The aborted read took nothing: the next item goes to the next get.
      await q.put(1);
      assert.equal(await q.get({ timeout: 2_000 }), 1);
      await q.taskDone();
      assert.equal(await q.qsize(), 0);
      t0 = performance.now();
      await assert.rejects(q.get({ timeout: 200 }), QueueEmptyError);
      assert.ok(performance.now() - t0 < 1_500, "the timeout ends the blocked read");
      // Shutdown by another object: its message unblocks the read, which then sees it.
      const waiting = q.get();
      await sleep(100);
      t0 = performance.now();
      await new Queue(c, "blk", { lease: 60_000 }).shutdown();
      await assert.rejects(waiting, QueueShutDownError);
      assert.ok(performance.now() - t0 < 1_000, `shutdown ended the blocked read`);
      assert.equal(await q.join({ timeout: 1_000 }), true);
    });
  },
);

/** Names of the consumers of a queue's group (RESP2 arrays or RESP3 maps). */
async function consumersOf(c: Awaited<ReturnType<typeof connect>>, name: string) {
  const reply = await c.sendCommand([
    "XINFO",
    "CONSUMERS",
    `threadkit:{${name}}:stream`,
    "g",
  ]) as unknown[];
  return reply.map((e) =>
    String(
      Array.isArray(e)
        ? e[e.indexOf("name") + 1]
        : e instanceof Map
        ? e.get("name")
        : (e as { name: string }).name,
    )
  ).sort();
}

redisTest(
  "redis Queue: an unbounded queue's plain-XADD puts are refused after shutdown, recreate the queue after destroy, and count for join",
  async () => {
    await withServer(async (_server, c) => {
      const q = new Queue<number>(c, "fast");
      await q.put(1); // the PUT script: checks, creates the group
      await c.sendCommand(["CONFIG", "RESETSTAT"]);
      await q.put(2);
      await q.put(3);
      const stats = String(await c.sendCommand(["INFO", "commandstats"]));
      assert.match(stats, /cmdstat_xadd:calls=2,/);
      assert.doesNotMatch(stats, /cmdstat_evalsha/, "the later puts run no script");
      assert.equal(await q.qsize(), 3);
      assert.equal(await q.join({ timeout: 50 }), false);
      const joining = q.join({ timeout: 5_000 });
      for (const want of [1, 2, 3]) {
        assert.equal(await q.get({ timeout: 2_000 }), want);
        await q.taskDone();
      }
      assert.equal(await joining, true, "the last acknowledgement wakes join");
      assert.equal(await q.join({ timeout: 1_000 }), true);
      // Shutdown by another object: the plain XADD is refused by the server.
      await q.put(4);
      await new Queue(c, "fast").shutdown();
      await assert.rejects(q.put(5), QueueShutDownError);
      assert.equal(await q.get({ timeout: 2_000 }), 4, "items put before shutdown drain");
      await q.taskDone();
      await assert.rejects(q.get({ timeout: 2_000 }), QueueShutDownError);
      // After destroy the primed object's put finds no stream and runs the script again.
      await q.destroy();
      const again = new Queue<number>(c, "fast");
      await again.put(6);
      await again.put(7);
      assert.equal(await c.get("threadkit:{fast}:kind"), "Queue");
      assert.equal(await q.get({ timeout: 2_000 }), 6);
      await q.taskDone();
      // ... and the script refuses another kind living under the name by then (`again` is
      // primed: its put tries the plain XADD first, which finds no stream).
      await q.destroy();
      await c.set("threadkit:{fast}:kind", "Lock");
      await assert.rejects(again.put(8), TypeError);
      assert.equal(await c.exists("threadkit:{fast}:stream"), 0, "nothing written");
    });
  },
);

redisTest(
  "redis Queue: consumers that stopped reading with nothing pending leave the group, one with items pending stays until they are claimed",
  async () => {
    await withServer(async (_server, c) => {
      const lease = 300;
      const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
      const q = new Queue<number>(c, "sweep", { lease });
      for (const n of [0, 1, 2]) await q.put(n);
      const stream = "threadkit:{sweep}:stream";
      // "ghost" takes item 0 and dies (never acknowledges, never renews); "idle1" never reads.
      await c.sendCommand([
        "XREADGROUP",
        "GROUP",
        "g",
        "ghost",
        "COUNT",
        "1",
        "STREAMS",
        stream,
        ">",
      ]);
      await c.sendCommand(["XGROUP", "CREATECONSUMER", stream, "g", "idle1"]);
      // A Queue object that took an item, acknowledged it, and stopped.
      const old = new Queue<number>(c, "sweep", { lease });
      assert.equal(await old.get({ timeout: 2_000 }), 1);
      await old.taskDone();
      assert.deepEqual(await consumersOf(c, "sweep"), [old.holderId, "ghost", "idle1"].sort());
      await sleep(lease * 1.5);
      // q's get sweeps: idle1 and old go; ghost has an item pending and stays; then q claims it.
      assert.equal(await q.get({ timeout: 2_000 }), 0, "the dead consumer's item is redelivered");
      assert.deepEqual(await consumersOf(c, "sweep"), ["ghost", q.holderId].sort());
      await q.taskDone();
      await sleep(lease * 1.5);
      assert.equal(await q.get({ timeout: 2_000 }), 2);
      assert.deepEqual(await consumersOf(c, "sweep"), [q.holderId], "ghost left once it had none");
      await q.taskDone();
      assert.equal(await q.join({ timeout: 1_000 }), true);
      // A removed consumer that reads again is simply created again.
      await q.put(3);
      assert.equal(await old.get({ timeout: 2_000 }), 3);
      await old.taskDone();
      assert.equal(await old.join({ timeout: 1_000 }), true);
    });
  },
);

/** SLOWLOG entries (everything, with `slowlog-log-slower-than 0`): args and client address. */
async function slowlogOf(c: Awaited<ReturnType<typeof connect>>) {
  const reply = await c.sendCommand(["SLOWLOG", "GET", "-1"]) as unknown[][];
  return reply.map((e) => ({ args: (e[3] as unknown[]).map(String), addr: String(e[4]) }))
    .reverse();
}

redisTest(
  "redis Queue: a caught-up consumer's acknowledgement rides ahead of its blocking read on the read's connection, join sees it, it is never delivered again, and a script cache without it still acknowledges",
  async () => {
    await withServer(async (_server, c) => {
      const lease = 1_500;
      const stream = "threadkit:{ahead}:stream";
      const consumer = new Queue<number>(c, "ahead", { lease });
      const producer = new Queue<number>(c, "ahead", { lease });
      const first = consumer.get({ timeout: 5_000 }); // checks, then blocks
      await new Promise((resolve) => setTimeout(resolve, 100));
      await producer.put(1);
      assert.equal(await first, 1, "woken by the put: caught up");
      // The server has not seen the ACK script yet: the pipelined EVALSHA fails (NOSCRIPT), and
      // the acknowledgement is sent again through the client.
      await consumer.taskDone();
      const second = consumer.get({ timeout: 5_000 });
      assert.equal(await producer.join({ timeout: 2_000 }), true, "acknowledged after NOSCRIPT");
      await producer.put(2);
      assert.equal(await second, 2);
      await c.sendCommand(["CONFIG", "SET", "slowlog-max-len", "10000"]);
      await c.sendCommand(["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
      await c.sendCommand(["SLOWLOG", "RESET"]);
      await consumer.taskDone();
      const third = consumer.get({ timeout: 5_000 });
      // The acknowledgement is applied while the get blocks.
      assert.equal(await producer.join({ timeout: 2_000 }), true);
      // Past the lease (the blocked get's periodic GET script runs XAUTOCLAIM): not redelivered.
      await new Promise((resolve) => setTimeout(resolve, lease + 300));
      await producer.put(3);
      assert.equal(await third, 3, "the acknowledged item is not delivered again");
      await c.sendCommand(["CONFIG", "SET", "slowlog-log-slower-than", "10000"]);
      const log = await slowlogOf(c);
      // ACK: EVALSHA sha 1 stream room id (ACK_TAKE and the GET script have more arguments).
      const acks = log.filter((e) =>
        e.args[0] === "EVALSHA" && e.args[2] === "1" && e.args[3] === stream &&
        e.args.length === 6
      );
      assert.equal(acks.length, 1, JSON.stringify(log));
      const read = log.find((e) =>
        e.args[0] === "XREADGROUP" && e.args.includes("BLOCK") && e.addr === acks[0]!.addr
      );
      assert.ok(read !== undefined, `the ack went on a read's connection: ${JSON.stringify(log)}`);
      assert.equal(
        log.filter((e) => e.args[0] === "EVALSHA" && e.args[2] === "1" && e.args.length === 8)
          .length,
        0,
        "no ACK_TAKE",
      );
      // Items waiting: the pipelined read returns at once (with the ACK's reply), so the get
      // after it goes back to ACK_TAKE (one script, no blocking read).
      await producer.put(4);
      await producer.put(5);
      await c.sendCommand(["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
      await c.sendCommand(["SLOWLOG", "RESET"]);
      await consumer.taskDone();
      assert.equal(await consumer.get({ timeout: 5_000 }), 4);
      await consumer.taskDone();
      assert.equal(await consumer.get({ timeout: 5_000 }), 5);
      await c.sendCommand(["CONFIG", "SET", "slowlog-log-slower-than", "10000"]);
      const log2 = await slowlogOf(c);
      assert.equal(
        log2.filter((e) => e.args[0] === "EVALSHA" && e.args[2] === "1" && e.args.length === 8)
          .length,
        1,
        `then ACK_TAKE: ${JSON.stringify(log2)}`,
      );
      await consumer.taskDone();
      const fourth = consumer.get({ timeout: 5_000 });
      await producer.shutdown();
      await assert.rejects(fourth, QueueShutDownError);
      assert.equal(await producer.join({ timeout: 2_000 }), true);
      assert.equal(await producer.qsize(), 0);
    });
  },
);

redisTest(
  "redis Queue: a bounded queue destroyed and opened again under its name holds the new maxsize, with no stale count",
  async () => {
    await withServer(async (_server, c) => {
      const old = new Queue<number>(c, "rb", { maxsize: 2 });
      await old.put(1);
      await old.put(2);
      assert.equal(await old.get({ timeout: 2_000 }), 1, "taken, not acknowledged");
      await new Queue(c, "rb", { maxsize: 2 }).destroy();
      assert.deepEqual(await c.keys("threadkit:{rb}:*"), []);
      const fresh = new Queue<number>(c, "rb", { maxsize: 3 });
      assert.equal(await fresh.qsize(), 0, "no item of the destroyed queue counts");
      assert.equal(await fresh.join({ timeout: 50 }), true, "nothing unfinished");
      for (let i = 10; i < 13; i++) await fresh.putNowait(i);
      await assert.rejects(fresh.putNowait(13), QueueFullError);
      assert.equal(await fresh.full(), true);
      // The old object: its acknowledgement of the destroyed queue's item changes nothing, and
      // its maxsize is refused now that the name holds another.
      await old.taskDone();
      await assert.rejects(old.qsize(), RangeError);
      await assert.rejects(old.putNowait(3), RangeError);
      await assert.rejects(old.get({ timeout: 100 }), RangeError);
      await assert.rejects(old.empty(), RangeError);
      // The async iterator ends on shutdown only: other errors reach the loop.
      await assert.rejects(async () => {
        for await (const _ of old) assert.fail("nothing to take");
      }, RangeError);
      assert.equal(await fresh.empty(), false);
      assert.equal(await fresh.qsize(), 3);
      assert.equal(await fresh.join({ timeout: 50 }), false);
      const consumer = new Queue<number>(c, "rb", { maxsize: 3 });
      for (const want of [10, 11, 12]) {
        assert.equal(await consumer.get({ timeout: 2_000 }), want);
        await consumer.taskDone();
      }
      assert.equal(await fresh.join({ timeout: 2_000 }), true);
      // A blocked put sees the new maxsize: room for exactly one more at maxsize 1.
      await fresh.destroy();
      const one = new Queue<number>(c, "rb", { maxsize: 1 });
      await one.put(20);
      await assert.rejects(one.put(21, { timeout: 100 }), QueueFullError);
      assert.equal(await one.qsize(), 1);
    });
  },
);

redisTest(
  "redis Queue: an item a timed-out get took after shutdown is handed back and delivered, then QueueShutDownError",
  async () => {
    await withServer(async (server, c) => {
      const admin = await connect(server.url);
      try {
        const stream = "threadkit:{ug}:stream";
        const q = new Queue<number>(c, "ug");
        await q.put(1);
        await q.put(2);
        await new Queue(c, "ug").shutdown();
        // The server holds the get's script back past the get's timeout (and its reply grace):
        // the get gives up, and the item the script then takes is handed back (UNGET), which
        // cannot XADD it once shut down: it waits under "threadkit:returned".
        await admin.sendCommand(["CLIENT", "PAUSE", "700", "WRITE"]);
        await assert.rejects(q.get({ timeout: 50 }), QueueEmptyError);
        await untilHandedBack(admin, stream);
        assert.equal(await q.qsize(), 1, "the handed-back item is not counted, as API.md says");
        assert.equal(await q.join({ timeout: 50 }), false, "it is unfinished");
        const t0 = performance.now();
        assert.equal(await q.get({ timeout: 2_000 }), 1, "delivered again, first");
        assert.equal(await q.get({ timeout: 2_000 }), 2);
        await assert.rejects(q.get({ timeout: 5_000 }), QueueShutDownError);
        assert.ok(performance.now() - t0 < 2_000, "at once, not after a timeout");
        await q.taskDone();
        await q.taskDone();
        assert.equal(await q.join({ timeout: 1_000 }), true);
        assert.equal(await c.xLen(stream), 0);
      } finally {
        await admin.close().catch(() => {});
      }
    });
  },
);

redisTest(
  "redis Queue: an item a timed-out get took is put back at the tail, delivered once, and counted",
  async () => {
    await withServer(async (server, c) => {
      const admin = await connect(server.url);
      try {
        const q = new Queue<number>(c, "back");
        await q.put(1);
        await q.put(2);
        // The server holds the get's script back past its timeout: the get gives up, and the
        // item the script then takes goes back to the queue (UNGET: XADD at the tail, then XACK +
        // XDEL of the taken entry).
        await admin.sendCommand(["CLIENT", "PAUSE", "700", "WRITE"]);
        await assert.rejects(q.get({ timeout: 50 }), QueueEmptyError);
        await until(async () => (await q.qsize()) === 2, 5_000, "the item put back");
        assert.equal(await c.xLen("threadkit:{back}:stream"), 2, "no copy left behind");
        assert.equal(await q.get({ timeout: 2_000 }), 2);
        assert.equal(await q.get({ timeout: 2_000 }), 1, "at the tail");
        await q.taskDone();
        await q.taskDone();
        assert.equal(await q.join({ timeout: 1_000 }), true);
        await assert.rejects(q.getNowait(), QueueEmptyError);
      } finally {
        await admin.close().catch(() => {});
      }
    });
  },
);

redisTest(
  "redis Queue: an immediate shutdown discards more items than one pass of its loop takes (250), bounded and not",
  async () => {
    await withServer(async (_server, c) => {
      for (const maxsize of [0, 300]) {
        const name = `imm${maxsize}`;
        const q = new Queue<number>(c, name, { maxsize });
        for (let i = 0; i < 250; i++) await q.putNowait(i);
        // One taken and not acknowledged: not discarded, still unfinished until taskDone().
        assert.equal(await q.get(), 0);
        assert.equal(await q.qsize(), 249);
        await q.shutdown({ immediate: true });
        assert.equal(await q.qsize(), 0, `maxsize ${maxsize}: every waiting item discarded`);
        await assert.rejects(q.getNowait(), QueueShutDownError);
        await assert.rejects(q.putNowait(1), QueueShutDownError);
        assert.equal(await q.join({ timeout: 50 }), false, "the taken item is unfinished");
        await q.taskDone();
        assert.equal(await q.join({ timeout: 1_000 }), true);
      }
    });
  },
);

redisTest(
  "redis Queue: a get with a shorter lease than the items already held renews them all at its pace",
  async () => {
    await withServer(async (_server, c) => {
      const a = new Queue<number>(c, "renew", { lease: 5_000 });
      // b claims items idle for its own lease, 900 ms, and checks every 300 ms.
      const b = new Queue<number>(c, "renew", { lease: 900 });
      await a.put(1);
      await a.put(2);
      assert.equal(await a.get(), 1); // lease 5 s: renewed every ~1.7 s
      assert.equal(await a.get({ lease: 900 }), 2); // lease 900 ms: renewal every ~300 ms now
      // Had the renewal kept the 5 s lease's pace, both items would sit idle past 900 ms and `b`
      // would claim them; renewed every ~300 ms, neither is.
      await assert.rejects(b.get({ timeout: 2_500 }), QueueEmptyError);
      await a.taskDone();
      await a.taskDone();
      assert.equal(await a.join({ timeout: 1_000 }), true);
    });
  },
);

redisTest(
  "redis Queue: put and get arm no client command timer; a call with no deadline of its own keeps the client's",
  async () => {
    await withServer(async (_server, c) => {
      const q = new Queue<{ n: number }>(c, "timers");
      const lock = new Lock(c, "timers-lock");
      // Warm up: the first put and get run their scripts and open the connections they keep.
      await q.put({ n: -1 });
      await q.get({ timeout: 5_000 });
      await q.taskDone();
      const original = AbortSignal.timeout;
      let armed = 0;
      AbortSignal.timeout = (ms: number) => {
        armed++;
        return original.call(AbortSignal, ms);
      };
      let queueArmed: number;
      let releaseArmed: number;
      try {
        for (let i = 0; i < 20; i++) await q.put({ n: i });
        for (let i = 0; i < 20; i++) {
          assert.equal((await q.get({ timeout: 5_000 })).n, i);
          await q.taskDone();
        }
        // Blocking reads: the consumer caught up, a put from another tick wakes it.
        for (let i = 20; i < 25; i++) {
          const got = q.get({ timeout: 5_000 });
          setTimeout(() => void q.put({ n: i }), 5);
          assert.equal((await got).n, i);
          await q.taskDone();
        }
        queueArmed = armed;
        await lock.acquire({ timeout: 5_000 });
        armed = 0;
        await lock.release();
        releaseArmed = armed;
      } finally {
        AbortSignal.timeout = original;
      }
      assert.equal(await q.join({ timeout: 5_000 }), true);
      // node-redis 6 arms an AbortSignal.timeout (its 5 s command timeout) per command it sends
      // with the client's options: the hot path of put and get sends none that way.
      assert.equal(queueArmed, 0, `${queueArmed} client command timers armed by put/get`);
      assert.ok(releaseArmed > 0, "release() still goes with the client's command timeout");
    });
  },
);

redisTest(
  "redis Queue: a put to an unbounded queue that gets no reply by its deadline says so, not 'full'",
  async () => {
    await withServer(async (server, c) => {
      const admin = await connect(server.url);
      try {
        const q = new Queue<number>(c, "noreply");
        await q.put(1); // primed: the next put is a plain XADD
        // The server holds every write command back past the put's timeout and reply grace.
        await admin.sendCommand(["CLIENT", "PAUSE", "1000", "WRITE"]);
        const t0 = performance.now();
        await assert.rejects(
          q.put(2, { timeout: 100 }),
          (error: unknown) =>
            error instanceof Error && !(error instanceof QueueFullError) &&
            /no reply from Redis within 250 ms/.test(error.message),
        );
        assert.ok(performance.now() - t0 < 900, "within its deadline and grace, not the pause");
        // Once the server answers, the item is there ("may still be added"): nothing lost.
        assert.equal(await q.get({ timeout: 5_000 }), 1);
        assert.equal(await q.get({ timeout: 5_000 }), 2);
      } finally {
        await admin.close().catch(() => {});
      }
    });
  },
);
