import assert from "node:assert/strict";
import {
  Barrier,
  BoundedSemaphore,
  BrokenBarrierError,
  Event,
  Latch,
  NotOwnedError,
  OwnerDiedError,
  RLock,
  RWLock,
  Semaphore,
  TimeoutError,
} from "../../redis.ts";
import { redisTest, spawnChild, withServer } from "./helpers.ts";

redisTest(
  "redis primitives across processes: Semaphore(3) x 6, Event x 3, Barrier(3), Latch, RWLock",
  async () => {
    await withServer(async (server, c) => {
      const url = server.url;
      // Six processes: all take Semaphore(3) permits; the first three then also count down a
      // Latch(3), pass a Barrier(3) three times, mix RWLock reads and writes, and wait for an Event.
      const children = Array.from({ length: 6 }, (_, i) => {
        const steps: Array<{ op: string; input: Record<string, unknown> }> = [
          {
            op: "semaphoreWorker",
            input: {
              name: "sem",
              value: 3,
              rounds: 12,
              inside: "inside",
              max: "max",
              start: "semstart",
              parties: 6,
            },
          },
        ];
        if (i < 3) {
          steps.push(
            { op: "latchParty", input: { name: "latch", count: 3 } },
            { op: "barrierParty", input: { name: "bar", parties: 3, timeout: 30_000, cycles: 3 } },
            {
              op: "rwWorker",
              input: { name: "rw", rounds: 12, flag: "wflag", readers: "nreaders" },
            },
            { op: "eventWaiter", input: { name: "ev", timeout: 30_000 } },
          );
        }
        return spawnChild<unknown[]>("multi", { url, steps });
      });
      await Promise.all(children.slice(0, 3).map((w) => w.event("waiting")));
      await new Promise((resolve) => setTimeout(resolve, 200));
      await new Event(c, "ev").set();
      const results = await Promise.all(children.map((child) => child.result));

      assert.ok(Number(await c.get("max")) <= 3, `max inside ${await c.get("max")}`);
      assert.ok(Number(await c.get("max")) >= 2, "permits were used concurrently");
      assert.equal(await new Semaphore(c, "sem", 3).value(), 3);
      const three = results.slice(0, 3);
      assert.deepEqual(three.map((r) => r[1]), [true, true, true], "latch");
      for (let cycle = 0; cycle < 3; cycle++) {
        assert.deepEqual(
          three.map((r) => (r[2] as number[])[cycle]).sort(),
          [0, 1, 2],
          `barrier cycle ${cycle}`,
        );
      }
      assert.deepEqual(three.map((r) => r[3]), [0, 0, 0], "RWLock violations");
      assert.deepEqual(three.map((r) => r[4]), [true, true, true], "event");
    });
  },
);

redisTest("redis Barrier: a timeout breaks it for the other parties; reset; action", async () => {
  await withServer(async (server, c) => {
    const url = server.url;
    // Two of three parties arrive; one has a short timeout and breaks the cycle for the other.
    const patient = spawnChild<unknown[]>("barrierParty", {
      url,
      name: "b",
      parties: 3,
      timeout: 20_000,
      cycles: 1,
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const b = new Barrier(c, "b", 3);
    const t0 = performance.now();
    await assert.rejects(b.wait({ timeout: 300 }), BrokenBarrierError);
    assert.ok(performance.now() - t0 < 5_000);
    assert.deepEqual(await patient.result, ["BrokenBarrierError"]);
    assert.equal(await b.broken(), true);
    await assert.rejects(b.wait({ timeout: 100 }), BrokenBarrierError);
    await b.reset();
    assert.equal(await b.broken(), false);
    let ran = 0;
    const b2 = new Barrier(c, "b", 3, { action: () => void ran++ });
    const results = await Promise.all([
      b2.wait({ timeout: 5_000 }),
      b2.wait({ timeout: 5_000 }),
      b2.wait({ timeout: 5_000 }),
    ]);
    assert.deepEqual(results.sort(), [0, 1, 2]);
    assert.equal(ran, 1);
    // A throwing action: its arrival rejects with its error, the others are broken.
    const b3 = new Barrier(c, "b3", 2, {
      action: () => {
        throw new Error("boom");
      },
    });
    const outcomes = await Promise.allSettled([
      b3.wait({ timeout: 5_000 }),
      b3.wait({ timeout: 5_000 }),
    ]);
    const reasons = outcomes.map((o) =>
      o.status === "rejected" ? (o.reason as Error).message : "ok"
    ).sort();
    assert.equal(reasons.length, 2);
    assert.ok(reasons.includes("boom"));
    assert.ok(outcomes.every((o) => o.status === "rejected"));
    // An aborted waiter breaks the cycle too.
    const b4 = new Barrier(c, "b4", 2);
    await assert.rejects(b4.wait({ signal: AbortSignal.timeout(100) }));
    assert.equal(await b4.broken(), true);
    await assert.rejects(new Barrier(c, "b4", 5).wait(), RangeError);
    assert.equal(await b.nWaiting(), 0);
  });
});

redisTest(
  "redis Semaphore, BoundedSemaphore, RLock, Event, Latch, RWLock in one process",
  async () => {
    await withServer(async (_server, c) => {
      const s = new Semaphore(c, "s", 2);
      const other = new Semaphore(c, "s", 2);
      assert.equal(await s.tryAcquire(), true);
      assert.equal(await s.tryAcquire(), true);
      assert.equal(await other.tryAcquire(), false);
      assert.equal(await other.acquire({ timeout: 50 }), false);
      assert.equal(await s.value(), 0);
      await assert.rejects(other.release(), NotOwnedError);
      const pending = other.acquire({ timeout: 5_000 });
      await s.release();
      assert.equal(await pending, true);
      await s.release();
      await other.release();
      assert.equal(await s.value(), 2);
      await assert.rejects(s.release(2), NotOwnedError);
      await assert.rejects(new Semaphore(c, "s", 5).acquire(), RangeError);
      const bounded = new BoundedSemaphore(c, "bs", 1);
      await assert.rejects(bounded.release(), RangeError);
      {
        await using _g = await bounded.hold();
        assert.equal(await bounded.value(), 0);
      }
      assert.equal(await bounded.value(), 1);
      // A dead permit holder: its lease runs out and the next acquirer is told.
      // A long lease: a renewal landing between the edit below and the heir's acquire would
      // re-score the holder alive (seen with a 100 ms lease under load).
      const dying = new Semaphore(c, "ds", 1, { lease: 60_000 });
      await dying.acquire();
      await c.zAdd("threadkit:{ds}:holders", {
        score: 0,
        value: (await c.zRange("threadkit:{ds}:holders", 0, 0))[0]!,
      });
      const heir = new Semaphore(c, "ds", 1);
      await assert.rejects(heir.acquire({ timeout: 1_000 }), OwnerDiedError);
      assert.equal(heir.held, 1);

      const r = new RLock(c, "r");
      assert.equal(await r.acquire(), true);
      assert.equal(await r.acquire(), true);
      assert.equal(r.owned, true);
      assert.equal(await new RLock(c, "r").tryAcquire(), false);
      await r.release();
      assert.equal(await r.locked(), true);
      await r.release();
      assert.equal(await r.locked(), false);
      await assert.rejects(r.release(), NotOwnedError);
      await assert.rejects(
        new RLock(c, "r").hold({ timeout: 0 }).then(async (g) => {
          await g.release();
          throw new TimeoutError("free");
        }),
        TimeoutError,
      );

      const e = new Event(c, "e");
      assert.equal(await e.isSet(), false);
      assert.equal(await e.wait({ timeout: 30 }), false);
      const waiting = e.wait({ timeout: 5_000 });
      await new Promise((resolve) => setTimeout(resolve, 50));
      await e.set();
      await e.clear();
      assert.equal(await waiting, true, "a waiter a set() reached returns true even after clear()");
      assert.equal(await e.isSet(), false);

      const l = new Latch(c, "l", 2);
      assert.equal(await l.wait({ timeout: 0 }), false);
      await l.countDown();
      assert.equal(await l.count(), 1);
      await l.countDown(5);
      assert.equal(await l.count(), 0);
      assert.equal(await l.wait({ timeout: 0 }), true);

      const rw = new RWLock(c, "rw");
      const r1 = await rw.read();
      const r2 = await rw.read();
      assert.equal(await rw.readers(), 2);
      assert.equal(await rw.tryWrite(), undefined);
      const writing = rw.write({ timeout: 5_000 });
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(await rw.tryRead(), undefined, "a waiting writer keeps new readers out");
      await r1.release();
      await r2.release();
      const w = await writing;
      assert.equal(typeof w.fence, "number");
      assert.equal(await rw.writeLocked(), true);
      await w.release();
      await assert.rejects(
        rw.write({ timeout: 0 }).then((g) => g.release()).then(() => rw.read({ timeout: 10 })).then(
          (g) => g.release(),
        ).then(() => {
          throw new Error("ok");
        }),
        /ok/,
      );
    });
  },
);
