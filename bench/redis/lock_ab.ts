/**
 * A/B of the Redis Lock's uncontended acquire + release against another tree of threadkit, side
 * by side in one process: old Lock, new Lock and the floor (SET NX PX + a scripted release) in
 * alternating batches against one private redis-server. Prints the medians of the wall time and
 * of this process's CPU time per pair, and their ratios to the floor.
 *
 *   node bench/redis/lock_ab.ts /tmp/old [ROUNDS=15] [PAIRS=400]
 *
 * (`/tmp/old`: e.g. `git archive <commit> | tar -x -C /tmp/old` and a `node_modules` symlink.)
 *
 * @module
 */

import { join } from "node:path";
import { startBenchServer } from "./server.ts";
import { pathToFileURL } from "node:url";
import { createClient } from "redis";
import { Lock } from "../../redis.ts";

const [oldTree, roundsArg, pairsArg] = process.argv.slice(2);
if (oldTree === undefined) throw new Error("usage: lock_ab.ts OLD_TREE [ROUNDS] [PAIRS]");
const ROUNDS = Number(roundsArg ?? 15);
const PAIRS = Number(pairsArg ?? 400);
const { Lock: OldLock } = await import(pathToFileURL(join(oldTree, "redis.ts")).href) as {
  Lock: typeof Lock;
};

const redisServer = await startBenchServer("threadkit-lock-ab");
const url = redisServer.url;
let c: Awaited<ReturnType<typeof connect>> | undefined;
async function connect() {
  for (let i = 0;; i++) {
    try {
      return await createClient({ url, socket: { reconnectStrategy: false } })
        .on("error", () => {}).connect();
    } catch (error) {
      if (i > 200) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}
try {
  c = await connect();
  const client = c;
  const RELEASE =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";
  const sha = String(await client.sendCommand(["SCRIPT", "LOAD", RELEASE]));
  const locks = { old: new OldLock(client, "ab:old"), new: new Lock(client, "ab:new") };
  const pair = {
    old: async () => {
      await locks.old.acquire();
      await locks.old.release();
    },
    new: async () => {
      await locks.new.acquire();
      await locks.new.release();
    },
    floor: async () => {
      await client.sendCommand(["SET", "ab:floor", "v", "NX", "PX", "30000"]);
      await client.sendCommand(["EVALSHA", sha, "1", "ab:floor", "v"]);
    },
  };
  const wall: Record<string, number[]> = { old: [], new: [], floor: [] };
  const cpu: Record<string, number[]> = { old: [], new: [], floor: [] };
  for (let round = -1; round < ROUNDS; round++) {
    for (const v of ["old", "new", "floor"] as const) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < PAIRS; i++) await pair[v]();
      const t = (performance.now() - t0) * 1e3 / PAIRS;
      const u = process.cpuUsage(c0);
      if (round < 0) continue;
      wall[v]!.push(t);
      cpu[v]!.push((u.user + u.system) / PAIRS);
    }
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  for (const [what, xs] of [["wall", wall], ["cpu", cpu]] as const) {
    const f = med(xs.floor!);
    console.log(
      `${what} µs/pair: floor ${f.toFixed(1)}; old ${med(xs.old!).toFixed(1)} (×${
        (med(xs.old!) / f).toFixed(2)
      }); new ${med(xs.new!).toFixed(1)} (×${(med(xs.new!) / f).toFixed(2)})`,
    );
  }
  // Per-round ratios, for the spread.
  const ratios = (v: "old" | "new") =>
    wall[v]!.map((x, i) => (x / wall.floor![i]!).toFixed(2)).join(" ");
  console.log(
    `wall ratio per round: old ${ratios("old")}\n                      new ${ratios("new")}`,
  );
} finally {
  await c?.close().catch(() => {});
  redisServer.stop();
}
process.exit(0);
