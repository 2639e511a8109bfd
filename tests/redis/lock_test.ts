import assert from "node:assert/strict";
import {
  LeaseOwnerDiedError,
  Lock,
  NotOwnedError,
  OwnerDiedError,
  TimeoutError,
} from "../../redis.ts";
import { connect, redisTest, spawnChild, withServer } from "./helpers.ts";

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

redisTest(
  "redis Lock: 4 processes x 100 read-modify-write increments, exact total, fences increase",
  async () => {
    await withServer(async (server, c) => {
      const children = Array.from({ length: 4 }, () =>
        spawnChild("lockIncrements", {
          url: server.url,
          name: "counter",
          iterations: 100,
          counter: "count",
          fences: "fences",
        }));
      await Promise.all(children.map((child) => child.result));
      assert.equal(await c.get("count"), "400");
      const fences = (await c.lRange("fences", 0, -1)).map(Number);
      assert.equal(fences.length, 400);
      for (let i = 1; i < fences.length; i++) assert.ok(fences[i]! > fences[i - 1]!, `fence ${i}`);
      assert.equal(await new Lock(c, "counter").locked(), false);
    });
  },
);

redisTest("redis Lock: tryAcquire, timeout, AbortSignal, NotOwnedError, guards", async () => {
  await withServer(async (_server, c) => {
    const a = new Lock(c, "l");
    const b = new Lock(c, "l");
    assert.equal(await a.tryAcquire(), true);
    assert.equal(typeof a.fence, "number");
    assert.equal(await a.locked(), true);
    assert.equal(await b.tryAcquire(), false);
    const t0 = performance.now();
    assert.equal(await b.acquire({ timeout: 100 }), false);
    assert.ok(performance.now() - t0 >= 95);
    await assert.rejects(b.release(), NotOwnedError);
    await assert.rejects(b.hold({ timeout: 20 }), TimeoutError);
    // Abort: rejects with the reason, and leaves nothing behind.
    const ac = new AbortController();
    const pending = b.acquire({ signal: ac.signal });
    setTimeout(() => ac.abort(new Error("stop")), 30);
    await assert.rejects(pending, /stop/);
    await assert.rejects(b.acquire({ signal: AbortSignal.abort(new Error("early")) }), /early/);
    const fenceA = a.fence!;
    await a.release();
    await assert.rejects(a.release(), NotOwnedError);
    assert.equal(await a.locked(), false);
    {
      await using guard = await b.hold({ timeout: 1_000 });
      assert.ok(guard.fence! > fenceA);
      assert.equal(await a.tryAcquire(), false);
    }
    assert.equal(await a.tryAcquire(), true);
    await a.release();
    // An already aborted signal rejects even when the lock is free.
    await assert.rejects(a.acquire({ signal: AbortSignal.abort() }));
    assert.equal(await a.locked(), false);
    await a.destroy();
    assert.deepEqual((await c.keys("threadkit:{l}:*")).sort(), ["threadkit:{l}:fence"]);
  });
});

redisTest(
  "redis Lock: holder SIGKILLed -> waiter gets it with OwnerDiedError within lease + 1 s",
  async () => {
    await withServer(async (server) => {
      const lease = 1_500;
      const holder = spawnChild("holdForever", { url: server.url, name: "dead", lease });
      const held = await holder.event("acquired") as { fence: number; holderId: string };
      const waiter = spawnChild<{ acquired: boolean; at: number; ownerDied: any; fence: number }>(
        "acquireOnce",
        { url: server.url, name: "dead", lease, timeout: 20_000 },
      );
      await waiter.event("waiting");
      const killedAt = Date.now();
      holder.kill("SIGKILL");
      const got = await waiter.result;
      assert.equal(got.acquired, true);
      assert.ok(got.ownerDied !== null, "OwnerDiedError expected");
      assert.equal(got.ownerDied.holderId, held.holderId);
      assert.equal(got.ownerDied.fence, held.fence);
      assert.match(got.ownerDied.message, /lease run out/);
      assert.ok(got.fence > held.fence);
      assert.ok(got.at - killedAt <= lease + 1_000, `took ${got.at - killedAt} ms`);
    });
  },
);

redisTest("redis Lock: a live holder keeping it 3x its lease is never overtaken", async () => {
  await withServer(async (server) => {
    const lease = 600;
    const holder = spawnChild<{ fence: number }>("holdFor", {
      url: server.url,
      name: "live",
      lease,
      ms: 3 * lease,
    });
    await holder.event("acquired");
    const start = Date.now();
    const waiter = spawnChild<{ acquired: boolean; at: number; ownerDied: unknown }>(
      "acquireOnce",
      { url: server.url, name: "live", lease, timeout: 20_000 },
    );
    const [, got] = await Promise.all([holder.result, waiter.result]);
    assert.equal(got.acquired, true);
    assert.equal(got.ownerDied, null);
    assert.ok(got.at - start >= 3 * lease - 200, `overtaken after ${got.at - start} ms`);
  });
});

redisTest("redis Lock: OwnerDiedError in process, the lock is then held", async () => {
  await withServer(async (_server, c) => {
    // Leases long enough that no renewal timer decides anything here: b's 100 ms lease once ran
    // out in CI (its renewal every 33 ms came late under load, so b.release() found it gone).
    const a = new Lock(c, "od", { lease: 10_000 });
    const b = new Lock(c, "od", { lease: 10_000 });
    // A few released grants first: the error names the dead holder's own fence, not a neighbour's.
    for (let i = 0; i < 3; i++) {
      await a.acquire();
      await a.release();
    }
    await a.acquire();
    const deadFence = a.fence!;
    // Simulate a dead holder: stop a's renewals by deleting nothing but waiting out the lease
    // after dropping its renewal timer through destroy of its in-process state is not possible,
    // so take the lease away on the server side.
    await c.pExpire("threadkit:{od}:owner", 1);
    const error = await b.acquire({ timeout: 2_000 }).then(() => undefined, (e) => e);
    assert.ok(error instanceof OwnerDiedError);
    assert.ok(error instanceof LeaseOwnerDiedError);
    assert.equal(error.holderId, a.holderId);
    assert.equal(error.fence, deadFence);
    assert.equal(b.fence, deadFence + 1);
    assert.equal(await b.locked(), true);
    await assert.rejects(a.release(), NotOwnedError);
    await b.release();
  });
});

redisTest("redis Lock: prompt hand-off, median wake within 100 ms of the release", async () => {
  await withServer(async (server, c) => {
    const rounds = 7;
    const lock = new Lock(c, "handoff");
    const waiter = spawnChild<number[]>("handoffWaiter", {
      url: server.url,
      name: "handoff",
      rounds,
    });
    const delays: number[] = [];
    for (let i = 0; i < rounds; i++) {
      assert.equal(await lock.acquire({ timeout: 10_000 }), true);
      const parentFence = lock.fence!;
      // The waiter starts its next round only once this process holds the lock again.
      if (i > 0) waiter.send("next");
      await waiter.event(`waiting${i}`);
      // Let the waiter subscribe and sleep (it retries once after subscribing).
      await new Promise((resolve) => setTimeout(resolve, 150));
      const releasedAt = Date.now();
      await lock.release();
      const acquired = await waiter.event(`acquired${i}`) as { at: number; fence: number };
      assert.ok(
        acquired.fence > parentFence,
        `round ${i}: fence ${acquired.fence} <= ${parentFence}`,
      );
      delays.push(acquired.at - releasedAt);
    }
    waiter.send("next");
    await waiter.result;
    console.log(`redis Lock hand-off delays (ms): ${delays.join(", ")}; median ${median(delays)}`);
    assert.ok(median(delays) <= 100, `median hand-off ${median(delays)} ms`);
  });
});

redisTest("redis Lock: an idle blocked waiter sends about one command per lease/3", async () => {
  await withServer(async (server, c) => {
    const lease = 600;
    const holder = new Lock(c, "idle", { lease });
    await holder.acquire();
    const waiterClient = await connect(server.url);
    try {
      let commands = 0;
      const send = waiterClient.sendCommand.bind(waiterClient);
      (waiterClient as unknown as { sendCommand: typeof send }).sendCommand =
        ((...args: Parameters<typeof send>) => {
          commands++;
          return send(...args);
        }) as typeof send;
      const waiter = new Lock(waiterClient, "idle", { lease });
      const waited = 1_500;
      assert.equal(await waiter.acquire({ timeout: waited }), false);
      // Two attempts around the subscription, then one re-check per lease/3 (200 ms).
      const expected = 2 + waited / (lease / 3);
      assert.ok(commands <= expected + 2, `${commands} commands in ${waited} ms`);
      assert.ok(commands >= 3, `${commands} commands: it re-checks`);
    } finally {
      await waiterClient.close();
      await holder.release();
    }
  });
});

redisTest(
  "redis Lock: a hold is renewed with the lock's own lease and with a per-call lease; release stops it",
  async () => {
    await withServer(async (_server, c) => {
      const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
      const other = new Lock(c, "renewed", { lease: 60_000 });
      // The lock's own lease (its object's restartable renewal countdown), two holds in a row.
      const own = new Lock(c, "renewed", { lease: 400 });
      for (let hold = 0; hold < 2; hold++) {
        assert.equal(await own.acquire(), true);
        const fence = own.fence;
        await sleep(1_200);
        assert.equal(await other.tryAcquire(), false, `hold ${hold} renewed past 3 leases`);
        assert.equal(own.fence, fence);
        await own.release();
      }
      // A per-call lease other than the lock's (a renewal of its own).
      const percall = new Lock(c, "renewed", { lease: 60_000 });
      assert.equal(await percall.acquire({ lease: 400 }), true);
      await sleep(1_200);
      assert.equal(await other.tryAcquire(), false, "per-call lease renewed");
      await percall.release();
      // Released: nothing renews it any more (a fresh acquire gets it at once).
      assert.equal(await other.tryAcquire(), true);
      await other.release();
      // A hold whose renewal stopped because the object released is not extended later.
      assert.equal(await own.acquire(), true);
      await own.release();
      await sleep(600);
      assert.equal(await c.exists("threadkit:{renewed}:owner"), 0);
    });
  },
);
