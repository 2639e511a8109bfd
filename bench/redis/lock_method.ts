/**
 * How the section measures R1 (`redis.lock.uncontended` vs `redis.floor.setnx-release`): the
 * same Lock and floor, in one process against one private redis-server, timed two ways per
 * repeat:
 * - block: 2,000 lock pairs, then 2,000 floor pairs, five times; the ratio of the medians (the
 *   section's method before this probe);
 * - batch: 200 alternating batches of 50 pairs of each; the ratio of the sums and the median of
 *   the per-batch ratios.
 *
 *   node bench/redis/lock_method.ts [REPEATS=3]
 *
 * On a shared machine a block (~0.2 s) is shorter than the load's swings but longer than a burst,
 * so one variant's block catches what the other's misses; a batch (a few ms) is hit alike.
 *
 * @module
 */

import { createClient } from "redis";
import { Lock } from "../../redis.ts";
import { startBenchServer } from "./server.ts";

const REPEATS = Number(process.argv[2] ?? 3);
const server = await startBenchServer("threadkit-lock-method");
let client: Awaited<ReturnType<typeof connect>> | undefined;
async function connect() {
  for (let i = 0;; i++) {
    try {
      return await createClient({ url: server.url, socket: { reconnectStrategy: false } })
        .on("error", () => {}).connect();
    } catch (error) {
      if (i > 200) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}
try {
  client = await connect();
  const c = client;
  const lock = new Lock(c, "bench:uncontended");
  const RELEASE =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";
  const sha = String(await c.sendCommand(["SCRIPT", "LOAD", RELEASE]));
  const now = () => Number(process.hrtime.bigint());
  const lockPairs = async (n: number) => {
    for (let i = 0; i < n; i++) {
      await lock.acquire();
      await lock.release();
    }
  };
  const floorPairs = async (n: number) => {
    for (let i = 0; i < n; i++) {
      await c.sendCommand(["SET", "bench:floor", "v", "NX", "PX", "30000"]);
      await c.sendCommand(["EVALSHA", sha, "1", "bench:floor", "v"]);
    }
  };
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  await lockPairs(2_000);
  await floorPairs(2_000);
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    const blockLock: number[] = [];
    const blockFloor: number[] = [];
    for (let r = 0; r < 5; r++) {
      let t0 = now();
      await lockPairs(2_000);
      blockLock.push((now() - t0) / 2_000);
      t0 = now();
      await floorPairs(2_000);
      blockFloor.push((now() - t0) / 2_000);
    }
    let sumLock = 0;
    let sumFloor = 0;
    const ratios: number[] = [];
    for (let r = 0; r < 200; r++) {
      let t0 = now();
      await lockPairs(50);
      const a = now() - t0;
      t0 = now();
      await floorPairs(50);
      const b = now() - t0;
      sumLock += a;
      sumFloor += b;
      ratios.push(a / b);
    }
    console.log(
      `block: ratio of medians ${(med(blockLock) / med(blockFloor)).toFixed(3)} (per block ${
        blockLock.map((x, i) => (x / blockFloor[i]!).toFixed(2)).join(" ")
      }) | batch: ratio of sums ${(sumLock / sumFloor).toFixed(3)}, median of batch ratios ${
        med(ratios).toFixed(3)
      }`,
    );
  }
} finally {
  await client?.close().catch(() => {});
  server.stop();
}
process.exit(0);
