/**
 * Server-side cost of the Lock scripts: µs per acquire + release pair from INFO commandstats,
 * the previous ACQUIRE (GET last, then SET last) beside the current one (SET last ... GET) and the
 * floor (SET NX PX + scripted release), in alternating rounds against one redis-server:
 *
 *   redis-server --port 7391 --save "" --appendonly no &
 *   node bench/redis/lock_script_cost.ts redis://127.0.0.1:7391
 *
 * @module
 */
import { createClient } from "redis";
import { ACQUIRE, RELEASE } from "../../src/redis/lock.ts";
const c = await createClient({ url: process.argv[2]! }).on("error", () => {}).connect();
const OLD = ACQUIRE.replace(
  `local fence = redis.call('INCR', KEYS[3])
local record = fence .. ' ' .. ARGV[2]
redis.call('SET', KEYS[2], record, 'PX', ARGV[3])
local died = redis.call('SET', KEYS[4], record, 'GET')`,
  `local died = redis.call('GET', KEYS[4])
local fence = redis.call('INCR', KEYS[3])
local record = fence .. ' ' .. ARGV[2]
redis.call('SET', KEYS[2], record, 'PX', ARGV[3])
redis.call('SET', KEYS[4], record)`,
);
console.log("old differs:", OLD !== ACQUIRE);
const FLOOR =
  "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";
const sha = async (s: string) => String(await c.sendCommand(["SCRIPT", "LOAD", s]));
const [osha, nsha, rsha, fsha] = [
  await sha(OLD),
  await sha(ACQUIRE),
  await sha(RELEASE),
  await sha(FLOOR),
];
const k = "threadkit:{ac}";
const n = 2000;
const usec = async () => {
  const info = String(await c.sendCommand(["INFO", "commandstats"]));
  let t = 0;
  for (const m of info.matchAll(/cmdstat_(evalsha|set):calls=\d+,usec=(\d+)/g)) t += Number(m[2]);
  return t;
};
const res: Record<string, number[]> = { old: [], new: [], floor: [] };
for (let round = 0; round < 5; round++) {
  for (const [name, s] of [["old", osha], ["new", nsha], ["floor", ""]] as const) {
    await c.sendCommand(["CONFIG", "RESETSTAT"]);
    for (let i = 0; i < n; i++) {
      if (name === "floor") {
        await c.sendCommand(["SET", "fl", "v", "NX", "PX", "30000"]);
        await c.sendCommand(["EVALSHA", fsha, "1", "fl", "v"]);
        continue;
      }
      const r = await c.sendCommand([
        "EVALSHA",
        s,
        "4",
        `${k}:kind`,
        `${k}:owner`,
        `${k}:fence`,
        `${k}:last`,
        "Lock",
        "h:1",
        "30000",
      ]) as [number, number];
      await c.sendCommand([
        "EVALSHA",
        rsha,
        "2",
        `${k}:owner`,
        `${k}:last`,
        `${r[1]} h:1`,
        `${k}:wake`,
      ]);
    }
    res[name]!.push(await usec() / n);
  }
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
console.log(
  "server µs per acquire+release (median of 5 rounds):",
  Object.entries(res).map(([k, v]) =>
    `${k} ${med(v).toFixed(2)} [${v.map((x) => x.toFixed(1)).join(" ")}]`
  ).join("; "),
);
await c.close();
process.exit(0);
