/**
 * A/B of the Redis Lock's uncontended acquire + release against another tree of threadkit, side
 * by side in one process: old Lock, new Lock, `raw` (the new Lock's own two script calls sent
 * straight through `sendCommand`: the same server work and bytes without the library's client
 * code) and the floor (SET NX PX + a scripted release) in alternating batches against one private
 * redis-server. Prints the medians over batches of the wall time and of this process's CPU time
 * per pair, their ratios to the floor, and the quartiles of the per-batch wall ratios (the
 * spread). new − raw is the library's client cost per pair; raw − floor is what the scripts cost
 * beyond the floor's commands (server time and bytes).
 *
 *   node bench/redis/lock_ab.ts /tmp/old [ROUNDS=200] [PAIRS=25]
 *
 * Small batches (25 pairs, a few ms) and many rounds: a noisy moment of a shared machine then
 * hits one batch of each variant alike, and the medians drop it. (Batches of 400–2,000 pairs, as
 * before, gave per-run ratios of 0.93–2.23 for the same code in one process.)
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
import { ACQUIRE, RELEASE as LOCK_RELEASE } from "../../src/redis/lock.ts";

const [oldTree, roundsArg, pairsArg] = process.argv.slice(2);
if (oldTree === undefined) throw new Error("usage: lock_ab.ts OLD_TREE [ROUNDS] [PAIRS]");
const ROUNDS = Number(roundsArg ?? 200);
const PAIRS = Number(pairsArg ?? 25);
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
  const acquireSha = String(await client.sendCommand(["SCRIPT", "LOAD", ACQUIRE]));
  const releaseSha = String(await client.sendCommand(["SCRIPT", "LOAD", LOCK_RELEASE]));
  const raw = "threadkit:{ab:raw}";
  const holderId = locks.new.holderId;
  let attempts = 0;
  const pair = {
    old: async () => {
      await locks.old.acquire();
      await locks.old.release();
    },
    new: async () => {
      await locks.new.acquire();
      await locks.new.release();
    },
    raw: async () => {
      const record = `${++attempts} ${holderId}`;
      const keys = [`${raw}:kind`, `${raw}:owner`, `${raw}:fence`, `${raw}:last`];
      await client.sendCommand(["EVALSHA", acquireSha, "4", ...keys, "Lock", record, "30000"]);
      await client.sendCommand([
        "EVALSHA",
        releaseSha,
        "2",
        `${raw}:owner`,
        `${raw}:last`,
        record,
        `${raw}:wake`,
      ]);
    },
    floor: async () => {
      await client.sendCommand(["SET", "ab:floor", "v", "NX", "PX", "30000"]);
      await client.sendCommand(["EVALSHA", sha, "1", "ab:floor", "v"]);
    },
  };
  const variants = ["old", "new", "raw", "floor"] as const;
  const wall: Record<string, number[]> = { old: [], new: [], raw: [], floor: [] };
  const cpu: Record<string, number[]> = { old: [], new: [], raw: [], floor: [] };
  // Warm-up (JIT, script cache): not recorded.
  for (const v of variants) for (let i = 0; i < 400; i++) await pair[v]();
  for (let round = 0; round < ROUNDS; round++) {
    for (const v of variants) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < PAIRS; i++) await pair[v]();
      const t = (performance.now() - t0) * 1e3 / PAIRS;
      const u = process.cpuUsage(c0);
      wall[v]!.push(t);
      cpu[v]!.push((u.user + u.system) / PAIRS);
    }
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  for (const [what, xs] of [["wall", wall], ["cpu", cpu]] as const) {
    const f = med(xs.floor!);
    console.log(
      `${what} µs/pair (median of ${ROUNDS} batches of ${PAIRS}): floor ${f.toFixed(1)}; ` +
        (["old", "new", "raw"] as const).map((v) =>
          `${v} ${med(xs[v]!).toFixed(1)} (×${(med(xs[v]!) / f).toFixed(3)})`
        ).join("; "),
    );
  }
  // Per-batch wall ratios to the floor: median and quartiles (the spread).
  const quartiles = (v: "old" | "new" | "raw") => {
    const r = wall[v]!.map((x, i) => x / wall.floor![i]!).sort((a, b) => a - b);
    const at = (q: number) => r[Math.floor(q * (r.length - 1))]!.toFixed(3);
    return `${v} ${at(0.5)} [${at(0.25)}–${at(0.75)}]`;
  };
  console.log(
    `per-batch wall ratio to the floor, median [quartiles]: ${
      (["old", "new", "raw"] as const).map(quartiles).join("; ")
    }`,
  );
} finally {
  await c?.close().catch(() => {});
  redisServer.stop();
}
process.exit(0);
