// Regression: a get waiting across destroy() re-creates the unbounded stream (its GET script
// creates the stream and group of a queue nothing was put to yet, and stores no maxsize). When
// the name was then opened again with a maxsize (whose items live under their own key), a put of
// an unbounded object primed before the destroy (a plain XADD to the stream it knew) succeeded
// into that stream: the put resolved on a full maxsize-1 queue and its item went where no getter
// of the new queue looks. The first write of a queue (PUT, SHUTDOWN) now deletes the other
// maxsize kind's stream when it is empty (which ends reads blocked on it) and refuses the name
// (RangeError) when it holds items.
import assert from "node:assert/strict";
import { Queue } from "../../redis.ts";
import { redisTest, sleep, withServer } from "../redis/helpers.ts";

redisTest(
  "redis Queue: a get waiting across destroy() cannot reopen the maxsize bypass",
  async () => {
    await withServer(async (_server, c) => {
      const putter = new Queue<number>(c, "bp");
      const getter = new Queue<number>(c, "bp");
      await putter.put(1); // primes `putter`: its next put is a plain XADD
      assert.equal(await getter.get(), 1);
      await getter.taskDone();
      const waiting = getter.get({ timeout: 4_000 });
      const settled = waiting.then((v) => `value ${v}`, (e: Error) => e);
      await sleep(100);
      await new Queue(c, "bp").destroy();
      // Until the waiting get has re-created the unbounded stream (bounded wait).
      const until = performance.now() + 3_000;
      while (Number(await c.sendCommand(["EXISTS", "threadkit:{bp}:stream"])) === 0) {
        assert.ok(performance.now() < until, "the waiting get never re-created its stream");
        await sleep(10);
      }
      const bounded = new Queue<number>(c, "bp", { maxsize: 1 });
      await bounded.put(10); // full now
      await assert.rejects(putter.put(2), RangeError);
      assert.equal(await bounded.qsize(), 1);
      const outcome = await settled;
      assert.ok(outcome instanceof RangeError, `the waiting get: ${outcome}`);
      assert.equal(await bounded.get({ timeout: 1_000 }), 10);
      await bounded.taskDone();
      // An item in the unbounded stream (no kind key stored: a get created the stream, then a
      // primed put added to it) keeps a bounded queue from opening the name, and stays there.
      const p2 = new Queue<number>(c, "bq");
      await p2.put(1); // primes p2
      assert.equal(await p2.get(), 1);
      await p2.taskDone();
      await new Queue(c, "bq").destroy();
      await assert.rejects(new Queue<number>(c, "bq").get({ timeout: 200 })); // creates the stream
      await p2.put(2); // the plain XADD: into the stream the get created
      await assert.rejects(new Queue<number>(c, "bq", { maxsize: 3 }).put(1), RangeError);
      assert.equal(await p2.get({ timeout: 1_000 }), 2);
      await p2.taskDone();
    });
  },
);
