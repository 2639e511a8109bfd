// Redis Queue paths no other test reaches (issue 12): a failed ACK_TAKE, a failed wake
// subscription, a blocking connection that cannot connect, and a renewal that meets an item
// another consumer claimed. Each fault comes from the server itself (a CLIENT PAUSE'd script
// whose connection is killed, an ACL without channels, `maxclients`, a lease that ran out); each
// test asserts the outcome a caller sees: nothing lost or delivered twice, a clear error in time,
// a later call that works. (UNGET of an item no longer the getter's:
// tests/regressions/redis_queue_unget_duplicates_item_claimed_by_another_consumer_test.ts.)
import assert from "node:assert/strict";
import { Lock, Queue, QueueEmptyError, QueueShutDownError } from "../../redis.ts";
import { connect, connectWithoutChannels, redisTest, sleep, until, withServer } from "./helpers.ts";

type Client = Awaited<ReturnType<typeof connect>>;

/** The XPENDING entries of a queue's stream: [id, consumer, idle ms, deliveries]. */
async function pendingOf(c: Client, stream: string): Promise<[string, string, number, number][]> {
  const reply = await c.sendCommand(["XPENDING", stream, "g", "-", "+", "10"]) as unknown[][];
  return reply.map((e) => [String(e[0]), String(e[1]), Number(e[2]), Number(e[3])]);
}

/** The `CLIENT LIST` line of the connection `id`. */
async function clientLine(admin: Client, id: string): Promise<string> {
  return String(await admin.sendCommand(["CLIENT", "LIST", "ID", id]));
}

redisTest(
  "redis Queue: an ACK_TAKE lost with its connection fails the get with a clear error, and its acknowledgement is sent again: the item is finished once",
  async () => {
    await withServer(async (server, c) => {
      const admin = await connect(server.url);
      const qc = await connect(server.url);
      try {
        const stream = "threadkit:{ackfail}:stream";
        const q = new Queue<number>(qc, "ackfail", { lease: 1_000 });
        await q.put(1);
        await q.put(2);
        assert.equal(await q.get({ timeout: 2_000 }), 1, "taken by the GET script");
        const id = String(await qc.sendCommand(["CLIENT", "ID"]));
        // The server holds the next get's ACK_TAKE script back (a write), and the connection it
        // came on is killed meanwhile: the script never runs, its reply never comes.
        await admin.sendCommand(["CLIENT", "PAUSE", "10000", "WRITE"]);
        let failed: unknown;
        const t0 = performance.now();
        try {
          await q.taskDone();
          // taskDone() left the acknowledgement for this get, which sends it with ACK_TAKE.
          const next = q.get({ timeout: 5_000 });
          next.catch(() => {});
          await until(
            async () => /flags=\S*b/.test(await clientLine(admin, id)),
            5_000,
            "the ACK_TAKE held by the pause",
          );
          assert.match(await clientLine(admin, id), /cmd=evalsha/);
          await admin.sendCommand(["CLIENT", "KILL", "ID", id]);
          failed = await next.then(() => undefined, (error) => error);
        } finally {
          await admin.sendCommand(["CLIENT", "UNPAUSE"]);
        }
        assert.ok(failed instanceof Error && !(failed instanceof QueueEmptyError), String(failed));
        assert.match(failed.message, /^Cannot get from queue "ackfail": the Redis command failed/);
        assert.ok(performance.now() - t0 < 4_000, "at once, not at the get's deadline");
        // Not applied: item 1 is still pending (the client reconnects by itself).
        assert.deepEqual((await pendingOf(admin, stream)).map((p) => p[1]), [q.holderId]);
        // The next get sends the acknowledgement again (with its own take of item 2).
        assert.equal(await q.get({ timeout: 2_000 }), 2);
        await q.taskDone();
        assert.equal(await q.join({ timeout: 5_000 }), true, "both acknowledged");
        assert.equal(await admin.xLen(stream), 0, "deleted: never delivered again");
        // Past the lease, another consumer finds nothing to claim.
        await sleep(1_100);
        await assert.rejects(
          new Queue<number>(c, "ackfail", { lease: 1_000 }).get({ timeout: 500 }),
          QueueEmptyError,
        );
      } finally {
        await qc.close().catch(() => {});
        await admin.close().catch(() => {});
      }
    });
  },
);

redisTest(
  "redis Queue: a wake subscription the server refuses fails the get at once with its error, and a later get subscribes afresh",
  async () => {
    await withServer(async (server, c) => {
      // A user with every command and key but no pub/sub channel: SSUBSCRIBE gets NOPERM.
      const qc = await connectWithoutChannels(server.url, c, "nochan");
      try {
        const wake = "threadkit:{nosub}:wake";
        const q = new Queue<number>(qc, "nosub", { lease: 60_000 });
        const t0 = performance.now();
        await assert.rejects(
          q.get({ timeout: 5_000 }),
          /Cannot subscribe to the wake channel .*NOPERM/,
        );
        assert.ok(performance.now() - t0 < 2_000, "at once, not at the get's deadline");
        // The refused watch is dropped: the next get (within LINGER_MS, when a watch would still
        // be reused) subscribes again, and refused again fails again.
        await assert.rejects(
          q.get({ timeout: 5_000 }),
          /Cannot subscribe to the wake channel .*NOPERM/,
        );
        await c.sendCommand(["ACL", "SETUSER", "nochan", "allchannels"]);
        // Now allowed: the get waits on a confirmed subscription, which a shutdown's message
        // reaches (lease 60 s: no periodic re-check before the test ends).
        const waiting = q.get({ timeout: 10_000 });
        waiting.catch(() => {});
        await until(
          async () =>
            Number((await c.sendCommand(["PUBSUB", "SHARDNUMSUB", wake]) as unknown[])[1]) === 1,
          5_000,
          "the new subscription",
        );
        const t1 = performance.now();
        await new Queue(c, "nosub", { lease: 60_000 }).shutdown();
        await assert.rejects(waiting, QueueShutDownError);
        assert.ok(performance.now() - t1 < 2_000, "woken by the message");
      } finally {
        await qc.close().catch(() => {});
      }
    });
  },
);

redisTest(
  "redis Queue: a subscription that cannot connect ends the get with QueueEmptyError at its deadline, and a get after it connects works",
  async () => {
    await withServer(async (server, c) => {
      const admin = await connect(server.url);
      try {
        const q = new Queue<number>(c, "nosubconn", { lease: 60_000 });
        // No connection more: the subscriber's duplicate of `c` retries until this is raised.
        await admin.sendCommand(["CONFIG", "SET", "maxclients", "2"]);
        let t0 = performance.now();
        try {
          await assert.rejects(q.get({ timeout: 400 }), QueueEmptyError);
          assert.ok(performance.now() - t0 < 1_400, `ended in time`);
        } finally {
          await admin.sendCommand(["CONFIG", "SET", "maxclients", "10000"]);
        }
        await new Queue<number>(c, "nosubconn").put(7);
        assert.equal(await q.get({ timeout: 5_000 }), 7);
        await q.taskDone();
        // And the watch works: a shutdown's message ends a waiting get.
        const waiting = q.get({ timeout: 10_000 });
        waiting.catch(() => {});
        await sleep(200);
        t0 = performance.now();
        await new Queue(c, "nosubconn").shutdown();
        await assert.rejects(waiting, QueueShutDownError);
        assert.ok(performance.now() - t0 < 2_000, "woken by the message");
        assert.equal(await q.join({ timeout: 1_000 }), true);
      } finally {
        await admin.close().catch(() => {});
      }
    });
  },
);

redisTest(
  "redis Queue: a blocking connection that cannot connect ends the get at its deadline, and the item its late read takes is put back",
  async () => {
    await withServer(async (server, c) => {
      const admin = await connect(server.url);
      try {
        const stream = "threadkit:{noblock}:stream";
        const q = new Queue<number>(c, "noblock", { lease: 60_000 });
        await q.put(0);
        // Taken by the GET script: the watch is subscribed (its connection open), and no
        // blocking connection is open yet.
        assert.equal(await q.get({ timeout: 2_000 }), 0);
        await q.taskDone();
        const info = String(await admin.sendCommand(["INFO", "clients"]));
        const open = Number(/connected_clients:(\d+)/.exec(info)![1]);
        await admin.sendCommand(["CONFIG", "SET", "maxclients", String(open)]);
        let raised = false;
        try {
          // The get's blocking read needs a new connection, whose connect retries.
          const t0 = performance.now();
          await assert.rejects(q.get({ timeout: 400 }), QueueEmptyError);
          assert.ok(performance.now() - t0 < 1_400, "ended at its deadline");
          // An item comes while the read's connection still tries to connect.
          await new Queue<number>(c, "noblock").put(1);
          const [id] = (await admin.sendCommand(["XRANGE", stream, "-", "+"]) as string[][])[0]!;
          await admin.sendCommand(["CONFIG", "SET", "maxclients", "10000"]);
          raised = true;
          // The connection connects and the given-up read is sent late: it takes item 1, whose
          // reply goes to the get's undo (UNGET: back at the tail under a new id).
          await until(
            async () => String(await admin.sendCommand(["CLIENT", "LIST"])).includes("cmd=xread"),
            10_000,
            "the late read",
          );
          await until(
            async () => {
              const entries = await admin.sendCommand(["XRANGE", stream, "-", "+"]) as string[][];
              return entries.length === 1 && entries[0]![0] !== id &&
                (await pendingOf(admin, stream)).length === 0;
            },
            5_000,
            "the item put back",
          );
        } finally {
          if (!raised) await admin.sendCommand(["CONFIG", "SET", "maxclients", "10000"]);
        }
        const other = new Queue<number>(c, "noblock", { lease: 60_000 });
        assert.equal(await other.get({ timeout: 2_000 }), 1, "not lost");
        await other.taskDone();
        assert.equal(await other.join({ timeout: 1_000 }), true);
        await assert.rejects(q.get({ timeout: 300 }), QueueEmptyError, "delivered once");
      } finally {
        await admin.close().catch(() => {});
      }
    });
  },
);

redisTest(
  "redis Queue: an item another consumer claimed after its lease ran out is not renewed back by its first taker, and is finished once",
  async () => {
    await withServer(async (_server, c) => {
      const stream = "threadkit:{steal}:stream";
      // `first` renews every 1.5 s, so its item sits idle past 900 ms between renewals; `other`
      // and `third` claim items idle 900 ms and renew theirs every 300 ms.
      const first = new Queue<number>(c, "steal", { lease: 4_500 });
      const other = new Queue<number>(c, "steal", { lease: 900 });
      const third = new Queue<number>(c, "steal", { lease: 900 });
      await first.put(1);
      assert.equal(await first.get({ timeout: 2_000 }), 1);
      assert.equal(await other.get({ timeout: 6_000 }), 1, "claimed between two renewals");
      assert.deepEqual((await pendingOf(c, stream)).map((p) => p[1]), [other.holderId]);
      // `first` still counts the item as its own and renews (at least twice while this waits):
      // had it claimed the item back, `other`'s renewal would skip it, and `third` would claim
      // it once idle 900 ms.
      await assert.rejects(third.get({ timeout: 3_500 }), QueueEmptyError, "not delivered again");
      const pending = await pendingOf(c, stream);
      assert.deepEqual(pending.map((p) => [p[1], p[3]]), [[other.holderId, 2]], "still other's");
      await other.taskDone();
      assert.equal(await other.join({ timeout: 1_000 }), true);
      // The first taker's late taskDone finds it acknowledged: nothing changes.
      await first.taskDone();
      assert.equal(await first.join({ timeout: 1_000 }), true);
      assert.equal(await c.xLen(stream), 0);
    });
  },
);

redisTest(
  "redis Lock: a wait whose wake subscription the server refuses says so, naming the channel",
  async () => {
    await withServer(async (server, c) => {
      const lc = await connectWithoutChannels(server.url, c, "nochan2");
      try {
        const holder = new Lock(c, "refused-lock");
        await holder.acquire();
        await assert.rejects(
          new Lock(lc, "refused-lock").acquire({ timeout: 5_000 }),
          /Cannot subscribe to the wake channel threadkit:\{refused-lock\}:\S+ \(a wait needs it\): NOPERM/,
        );
        await holder.release();
      } finally {
        await lc.close().catch(() => {});
      }
    });
  },
);
