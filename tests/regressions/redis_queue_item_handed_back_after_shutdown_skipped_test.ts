// Regression: an item a given-up Redis Queue get had taken after the queue was shut down (its
// UNGET cannot XADD it back once shut down, so it stays pending under "threadkit:returned") was
// skipped by the next get when the GET script's claim scan (XAUTOCLAIM from the stored cursor)
// had moved past it: that get threw QueueShutDownError while the item was still there to take.
// The GET script now takes such an item before it says "shut down and drained".
import assert from "node:assert/strict";
import { Queue, QueueShutDownError } from "../../redis.ts";
import { connect, redisTest, sleep, untilHandedBack, withServer } from "../redis/helpers.ts";

redisTest(
  "redis Queue: an item handed back after shutdown is delivered before QueueShutDownError, even past the claim cursor",
  async () => {
    await withServer(async (server, c) => {
      const admin = await connect(server.url);
      try {
        const stream = "threadkit:{cur}:stream";
        const q = new Queue<number>(c, "cur");
        for (let i = 0; i < 22; i++) await q.put(i);
        // A live consumer holds items 0..20 (pending, not idle): the claim scan walks past them.
        await c.sendCommand([
          "XREADGROUP",
          "GROUP",
          "g",
          "live",
          "COUNT",
          "21",
          "STREAMS",
          stream,
          ">",
        ]);
        await new Queue(c, "cur").shutdown();
        // The take of item 21 is given up (aborted while the server holds its script back).
        await admin.sendCommand(["CLIENT", "PAUSE", "500", "WRITE"]);
        const ac = new AbortController();
        const given = q.get({ signal: ac.signal });
        await sleep(50);
        ac.abort(new Error("stop"));
        await assert.rejects(given, /stop/);
        await untilHandedBack(admin, stream);
        const other = new Queue<number>(c, "cur");
        assert.equal(await other.get({ timeout: 2_000 }), 21, "not lost, not skipped");
        await other.taskDone();
        await assert.rejects(other.get({ timeout: 2_000 }), QueueShutDownError);
      } finally {
        await admin.close().catch(() => {});
      }
    });
  },
);
