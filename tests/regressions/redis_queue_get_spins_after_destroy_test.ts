// Regression: destroy() publishes on the wake channel, and the watch took any message for a
// shutdown: it set a flag that never reset and made every later try of the object's gets a run of
// the GET script. The queue was not shut down, so the script answered "empty" and the get ran it
// again at once: ~9,000 scripts a second while one get waited on an empty queue after a destroy.
// A message now makes only the next try a check; only the script's own report of a shutdown
// makes every later try one.
import assert from "node:assert/strict";
import { Queue } from "../../redis.ts";
import { redisTest, sleep, withServer } from "../redis/helpers.ts";

async function scriptCalls(c: { sendCommand(args: string[]): Promise<unknown> }): Promise<number> {
  const info = String(await c.sendCommand(["INFO", "commandstats"]));
  const calls = (name: string) =>
    Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
  return calls("evalsha") + calls("eval");
}

redisTest(
  "redis Queue: a get waiting across destroy() does not run its GET script in a loop",
  async () => {
    await withServer(async (_server, c) => {
      const q = new Queue<number>(c, "spin");
      await q.put(1);
      assert.equal(await q.get(), 1);
      await q.taskDone();
      const waiting = q.get({ timeout: 4_000 });
      waiting.catch(() => {});
      await sleep(100);
      await new Queue(c, "spin").destroy();
      // Over one second of waiting after the destroy: a check every lease/3 (10 s) at most, plus
      // the one the message asks for; a loop ran thousands.
      await sleep(100);
      const before = await scriptCalls(c);
      await sleep(1_000);
      const ran = await scriptCalls(c) - before;
      assert.ok(ran < 20, `the GET script ran ${ran} times in 1 s while one get waited`);
      // And the get still takes the re-created queue's item.
      await new Queue<number>(c, "spin").put(7);
      assert.equal(await waiting, 7);
      await q.taskDone();
    });
  },
);
