import assert from "node:assert/strict";
import { Event, Lock, OwnerDiedError, Queue, QueueEmptyError, Semaphore } from "../../redis.ts";
import { REDIS_CLI, redisTest, startCluster } from "./helpers.ts";

redisTest(
  "redis Cluster (3 masters): Lock and Queue behave the same; sharded wake channels",
  async () => {
    assert.ok(REDIS_CLI !== undefined, "redis-cli is needed to create the cluster");
    const { client, stop } = await startCluster();
    try {
      // Names that land on different shards: each primitive's keys share one hash slot.
      const names = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta"];
      const shards = new Set<number>();
      for (const name of names) {
        const slot = Number(
          await client.sendCommand(undefined, true, [
            "CLUSTER",
            "KEYSLOT",
            `threadkit:{${name}}:owner`,
          ]),
        );
        shards.add(Math.floor(slot / 5462));
      }
      assert.equal(shards.size, 3, "the names cover all three shards");
      for (const name of names) {
        const a = new Lock(client, name, { lease: 2_000 });
        const b = new Lock(client, name, { lease: 2_000 });
        assert.equal(await a.tryAcquire(), true, name);
        assert.equal(await b.tryAcquire(), false, name);
        // A blocked waiter is woken by the release over the slot's sharded channel.
        const t0 = performance.now();
        const waiting = b.acquire({ timeout: 5_000 });
        await new Promise((resolve) => setTimeout(resolve, 100));
        await a.release();
        assert.equal(await waiting, true, name);
        assert.ok(performance.now() - t0 < 1_000, `${name}: woken, not by a lease re-check`);
        assert.ok(b.fence! > 1);
        await b.release();
      }
      // Owner death on a cluster.
      const dead = new Lock(client, "dead", { lease: 200 });
      await dead.acquire();
      await client.pExpire("threadkit:{dead}:owner", 1);
      await assert.rejects(new Lock(client, "dead").acquire({ timeout: 2_000 }), OwnerDiedError);

      // Queue: structured items, FIFO, blocked get woken by a put, taskDone/join.
      const q = new Queue<unknown>(client, "jobs", { maxsize: 3 });
      await assert.rejects(q.getNowait(), QueueEmptyError);
      const getting = q.get({ timeout: 5_000 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      await q.put({ at: new Date(5), n: 10n ** 30n, bytes: new Uint8Array([1, 2, 3]) });
      const item = await getting as { at: Date; n: bigint; bytes: Uint8Array };
      assert.ok(item.at instanceof Date && item.n === 10n ** 30n && item.bytes[2] === 3);
      for (let i = 0; i < 3; i++) await q.put(i);
      assert.equal(await q.full(), true);
      assert.deepEqual([await q.get(), await q.get(), await q.get()], [0, 1, 2]);
      for (let i = 0; i < 4; i++) await q.taskDone();
      assert.equal(await q.join({ timeout: 1_000 }), true);

      const s = new Semaphore(client, "sem", 2);
      assert.equal(await s.tryAcquire(), true);
      await s.release();
      const e = new Event(client, "ev");
      const w = e.wait({ timeout: 5_000 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      await e.set();
      assert.equal(await w, true);
    } finally {
      await stop();
    }
  },
);
