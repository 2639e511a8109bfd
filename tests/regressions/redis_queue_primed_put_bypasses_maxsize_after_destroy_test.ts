// Regression: an unbounded Redis Queue object whose puts had gone to the plain `XADD ... NOMKSTREAM`
// (primed) kept adding to the stream after another process destroyed the queue and opened it again
// with a maxsize: its XADD found the new queue's stream (same key) and went around the PUT script,
// so the new maxsize did not hold (qsize 2 with maxsize 1) and the other maxsize was not refused.
// Bounded and unbounded queues now keep their items under different stream keys: the primed XADD
// finds no stream and the PUT script refuses the other maxsize (RangeError), as for any object.
import assert from "node:assert/strict";
import { Queue, QueueFullError } from "../../redis.ts";
import { redisTest, withServer } from "../redis/helpers.ts";

redisTest(
  "redis Queue: a primed unbounded object's put after destroy and re-creation with a maxsize is refused, the new maxsize holds",
  async () => {
    await withServer(async (_server, c) => {
      const a = new Queue<number>(c, "re");
      await a.put(1); // the PUT script
      await a.put(2); // primed: a plain XADD
      await new Queue(c, "re").destroy();
      const b = new Queue<number>(c, "re", { maxsize: 1 });
      await b.put(10);
      await assert.rejects(b.putNowait(11), QueueFullError);
      await assert.rejects(a.putNowait(3), RangeError, "the other maxsize is refused");
      await assert.rejects(a.put(3, { timeout: 100 }), RangeError);
      assert.equal(await b.qsize(), 1, "the new maxsize holds");
      assert.equal(await b.get({ timeout: 2_000 }), 10);
      await b.taskDone();
      assert.equal(await b.join({ timeout: 1_000 }), true);
      // destroy() by either kind of object deletes both streams.
      await a.destroy();
      assert.deepEqual(await c.keys("threadkit:{re}:*"), []);
    });
  },
);
