// Regression: a wait whose wake subscription the server refused (a Redis Queue get of a user
// with no pub/sub channel: NOPERM) left the subscriber connection (the client's duplicate) open
// for good: only the last unsubscribe scheduled its idle close, and a refused channel never got
// one. Once the server went away, that connection's reconnect loop kept the process from exiting.
// A refused subscription now schedules the same idle close.
import assert from "node:assert/strict";
import { Queue } from "../../redis.ts";
import { connectWithoutChannels, redisTest, until, withServer } from "../redis/helpers.ts";

redisTest(
  "redis: the subscriber connection of a refused subscription is closed once idle",
  async () => {
    await withServer(async (server, c) => {
      const qc = await connectWithoutChannels(server.url, c, "nochan");
      const connections = async () =>
        String(await c.sendCommand(["CLIENT", "LIST"])).split("\n")
          .filter((line) => line.includes(" user=nochan ")).length;
      try {
        await assert.rejects(new Queue(qc, "refused").get({ timeout: 5_000 }), /NOPERM/);
        assert.equal(await connections(), 2, "the client and its subscriber connection");
        // IDLE_CLOSE_MS (5 s) after the refusal, with room for a loaded machine.
        await until(async () => await connections() === 1, 10_000, "the idle close");
      } finally {
        await qc.close().catch(() => {});
      }
    });
  },
);
