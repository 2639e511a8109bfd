// Regression: a Redis Queue get that gave up (timeout, abort) after the server had delivered it an
// item hands the item back with the UNGET script once the reply comes. UNGET checked only that
// the entry was still pending, under any consumer: when the reply came late (past the lease) and
// another consumer had claimed the item meanwhile (XAUTOCLAIM: it is that consumer's now), UNGET
// added a copy at the tail and acknowledged the original, so the item was delivered twice, and
// the claimer's taskDone() finished nothing (join() waited on the copy). UNGET now hands back
// only an item pending under the getter's own consumer.
import assert from "node:assert/strict";
import { Queue, QueueEmptyError } from "../../redis.ts";
import { connect, redisTest, until, withServer } from "../redis/helpers.ts";

/**
 * A client whose UNGET scripts (the only Queue script with two keys) are held until `release()`:
 * the reply of a given-up get's script arrived, and its UNGET is slow to reach the server.
 */
function holdingUngets(client: Awaited<ReturnType<typeof connect>>) {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const replies: Promise<unknown>[] = [];
  const proxy = new Proxy(client, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (prop === "sendCommand") {
        return (args: string[]) => {
          if ((args[0] === "EVALSHA" || args[0] === "EVAL") && args[2] === "2") {
            const reply = held.then(() => target.sendCommand(args));
            replies.push(reply);
            return reply;
          }
          return target.sendCommand(args);
        };
      }
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { proxy, replies, release };
}

for (const finished of [false, true]) {
  redisTest(
    `redis Queue: a given-up get's late UNGET leaves an item another consumer claimed${
      finished ? " and finished" : ""
    }: delivered once`,
    async () => {
      await withServer(async (server, c) => {
        const admin = await connect(server.url);
        const qc = await connect(server.url);
        try {
          const name = finished ? "ungf" : "ungc";
          const stream = `threadkit:{${name}}:stream`;
          const { proxy, replies, release } = holdingUngets(qc);
          const late = new Queue<number>(proxy, name, { lease: 60_000 });
          // Claims items idle 400 ms.
          const other = new Queue<number>(c, name, { lease: 400 });
          await other.put(1);
          // The server holds the get's script back past its timeout (and reply grace), or past
          // its abort: the get gives up, the script then takes item 1 for `late`, and the UNGET
          // its reply triggers is held.
          await admin.sendCommand(["CLIENT", "PAUSE", "600", "WRITE"]);
          if (finished) {
            const ac = new AbortController();
            const given = late.get({ signal: ac.signal });
            setTimeout(() => ac.abort(new Error("stop")), 50);
            await assert.rejects(given, /stop/);
          } else {
            await assert.rejects(late.get({ timeout: 50 }), QueueEmptyError);
          }
          await until(() => replies.length === 1, 5_000, "the UNGET");
          // Its lease ran out: another consumer claims it (and, in one case, finishes it).
          assert.equal(await other.get({ timeout: 5_000 }), 1);
          if (finished) {
            await other.taskDone();
            assert.equal(await other.join({ timeout: 1_000 }), true);
          }
          release();
          // Run (its EVALSHA may fail NOSCRIPT first: the EVAL after it passes here too).
          await until(
            async () => (await Promise.allSettled(replies)).some((r) => r.status === "fulfilled"),
            5_000,
            "the UNGET's reply",
          );
          // Not handed back: still `other`'s (or gone), no copy to take.
          await assert.rejects(other.get({ timeout: 600 }), QueueEmptyError, "delivered once");
          if (!finished) {
            assert.equal(await c.xLen(stream), 1);
            await other.taskDone();
          }
          assert.equal(await other.join({ timeout: 1_000 }), true, "finished once");
          assert.equal(await c.xLen(stream), 0);
        } finally {
          await qc.close().catch(() => {});
          await admin.close().catch(() => {});
        }
      });
    },
  );
}
