// Regression: a Redis Queue object whose first get came after the queue was shut down never got
// the shutdown message (its watch subscribed later), so once its GET script had taken an item its
// later gets went to the blocking read (or ACK_TAKE), which cannot see a shutdown: the get after
// the last item waited lease/3 (10 s by default) and, with a shorter timeout, threw
// QueueEmptyError instead of QueueShutDownError (API.md: a get on a shut-down queue drains, then
// throws QueueShutDownError). The GET script's reply now says "shut down" with the item, and the
// object's later gets run the script, which reports the drained queue at once.
import assert from "node:assert/strict";
import { Queue, QueueShutDownError } from "../../redis.ts";
import { redisTest, withServer } from "../redis/helpers.ts";

redisTest(
  "redis Queue: a get after the last item of a queue shut down before the first get throws QueueShutDownError at once",
  async () => {
    await withServer(async (_server, c) => {
      const q = new Queue<number>(c, "dr");
      for (let i = 0; i < 3; i++) await q.put(i);
      await new Queue(c, "dr").shutdown();
      const drained: number[] = [];
      for (let i = 0; i < 3; i++) {
        drained.push(await q.get({ timeout: 3_000 }));
        await q.taskDone();
      }
      assert.deepEqual(drained, [0, 1, 2]);
      const t0 = performance.now();
      await assert.rejects(q.get({ timeout: 3_000 }), QueueShutDownError);
      assert.ok(performance.now() - t0 < 1_500, `at once, not after the timeout`);
      // With no timeout: not after lease/3 either.
      const t1 = performance.now();
      await assert.rejects(q.get(), QueueShutDownError);
      assert.ok(performance.now() - t1 < 1_500);
      assert.equal(await q.join({ timeout: 1_000 }), true);
    });
  },
);
