// Regression: a Redis Queue get blocked in the server (XREADGROUP ... BLOCK) when another process
// destroyed the queue failed with the server's raw "UNBLOCKED the stream key no longer exists"
// (and a get whose watch was still attached failed NOGROUP on a destroyed queue), instead of
// waiting on for an item of the queue opened again under the name. The blocking read's
// UNBLOCKED/NOGROUP now makes the get run its GET script, which creates the stream and group.
import assert from "node:assert/strict";
import { Queue } from "../../redis.ts";
import { redisTest, sleep, withServer } from "../redis/helpers.ts";

redisTest(
  "redis Queue: a get blocked across destroy() waits on and takes the re-created queue's item",
  async () => {
    await withServer(async (_server, c) => {
      for (const maxsize of [0, 2]) {
        const name = `bd${maxsize}`;
        const q = new Queue<number>(c, name, { maxsize });
        await q.put(1);
        assert.equal(await q.get(), 1);
        await q.taskDone();
        const blocked = q.get({ timeout: 5_000 });
        blocked.catch(() => {});
        await sleep(150);
        await new Queue(c, name, { maxsize }).destroy();
        await sleep(150);
        const fresh = new Queue<number>(c, name, { maxsize });
        await fresh.put(5);
        assert.equal(await blocked, 5, `maxsize ${maxsize}`);
        await q.taskDone();
        assert.equal(await fresh.join({ timeout: 1_000 }), true);
        // Destroyed while no get blocks, the watch still attached: the next get waits on too.
        await fresh.destroy();
        const next = q.get({ timeout: 5_000 });
        next.catch(() => {});
        await sleep(150);
        await fresh.put(6);
        assert.equal(await next, 6);
        await q.taskDone();
        assert.equal(await fresh.qsize(), 0);
      }
    });
  },
);
