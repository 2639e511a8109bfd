import assert from "node:assert/strict";
import { Lock, OwnerDiedError } from "../../redis.ts";
import { fencedWrite } from "./fixtures/fenced.ts";
import { connect, redisTest, sleep, spawnChild, startRedis, until } from "./helpers.ts";

interface LockStats {
  accepted: number;
  rejected: number;
  timeouts: number;
  errors: number;
  ownerDied: number;
  notOwned: number;
  worstOverrun: number;
  messages: string[];
}

redisTest(
  "redis faults: server paused 2 s, then restarted: no lock held twice, no item lost, no wait hangs",
  async () => {
    // AOF with fsync always: a restart must keep what was acknowledged (fence counters, items).
    const server = await startRedis({ persistent: true });
    const c = await connect(server.url);
    try {
      const url = server.url;
      const lease = 1_000;
      const timeout = 3_000;
      const ms = 9_000;
      const lockers = [0, 1].map(() =>
        spawnChild<LockStats>("fencedIncrements", {
          url,
          name: "fl",
          counter: "fcount",
          lease,
          ms,
          timeout,
        }, 60_000)
      );
      const items = 60;
      const producer = spawnChild<number>("faultProducer", {
        url,
        name: "fq",
        from: 0,
        count: items,
        lease,
      }, 60_000);
      const consumers = [0, 1].map(() =>
        spawnChild<{ seen: number[]; errors: number }>(
          "faultConsumer",
          { url, name: "fq", lease },
          60_000,
        )
      );
      await Promise.all(lockers.map((l) => l.event("ready")));
      await sleep(1_500);
      server.pause();
      await sleep(2_000);
      server.resume();
      await sleep(1_500);
      await server.restart();
      const lockStats = await Promise.all(lockers.map((l) => l.result));
      const retries = await producer.result;
      // Wait until every item was acknowledged, then shut the queue down.
      const fault = await connect(url);
      try {
        await until(
          async () => {
            // Every stream entry is waiting or taken-not-acknowledged (the unfinished count):
            // none left.
            return (await fault.exists("threadkit:{fq}:stream")) === 1 &&
              (await fault.xLen("threadkit:{fq}:stream")) === 0;
          },
          30_000,
          "every item acknowledged",
          100,
        );
        await fault.sendCommand(["HSET", "threadkit:{fq}:meta", "shutdown", "1"]);
        await fault.sendCommand(["SPUBLISH", "threadkit:{fq}:wake", "s"]);
        const consumed = await Promise.all(consumers.map((cc) => cc.result));
        const seen = new Set(consumed.flatMap((r) => r.seen));
        const missing = Array.from({ length: items }, (_, i) => i).filter((i) => !seen.has(i));
        assert.deepEqual(missing, [], "no item lost");
        // Server-side truth (a reply lost in the restart leaves the client unsure): no
        // interleaved read-modify-write, one increment per applied write, fences increasing.
        assert.equal(await fault.get("fcount:violation"), null, "two holders interleaved");
        const log = (await fault.lRange("fcount:log", 0, -1)).map(Number);
        assert.equal(Number(await fault.get("fcount")), log.length, "one increment per write");
        for (let i = 1; i < log.length; i++) {
          assert.ok(log[i]! > log[i - 1]!, `fence order at ${i}`);
        }
        const accepted = lockStats.reduce((sum, s) => sum + s.accepted, 0);
        assert.ok(accepted > 10 && accepted <= log.length, `accepted ${accepted} of ${log.length}`);
        for (const s of lockStats) {
          assert.ok(s.worstOverrun < 1_500, `a wait overran its timeout by ${s.worstOverrun} ms`);
        }
        console.log(
          `faults: lock ${JSON.stringify(lockStats)}; producer retries ${retries}; consumers ${
            JSON.stringify(consumed.map((r) => ({ n: r.seen.length, errors: r.errors })))
          }`,
        );
      } finally {
        await fault.close().catch(() => {});
      }
    } finally {
      await c.close().catch(() => {});
      await server.stop();
    }
  },
);

redisTest(
  "redis fencing: a holder paused (SIGSTOP) past its lease is refused by the fence, release -> NotOwnedError",
  async () => {
    const server = await startRedis();
    const c = await connect(server.url);
    try {
      const lease = 500;
      const paused = spawnChild<{ accepted: boolean; release: string }>(
        "holdThenFencedWrite",
        { url: server.url, name: "fz", counter: "fzc", lease },
      );
      const oldFence = await paused.event("acquired") as number;
      paused.kill("SIGSTOP");
      try {
        const lock = new Lock(c, "fz", { lease });
        const error = await lock.acquire({ timeout: 5_000 }).then(() => undefined, (e) => e);
        assert.ok(error instanceof OwnerDiedError, "the paused holder counts as dead");
        assert.ok(lock.fence! > oldFence);
        assert.equal(await fencedWrite(c, "fzc", 42, lock.fence!), true);
        await lock.release();
      } finally {
        paused.kill("SIGCONT");
      }
      paused.send("go");
      assert.deepEqual(await paused.result, { accepted: false, release: "NotOwnedError" });
      assert.equal(await c.get("fzc"), "42");
    } finally {
      await c.close().catch(() => {});
      await server.stop();
    }
  },
);
