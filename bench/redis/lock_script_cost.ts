/**
 * Server-side cost of the Lock scripts: µs per acquire + release pair from INFO commandstats,
 * the previous ACQUIRE (`last` = "fence holderId", built in Lua from one more ARGV) beside the
 * current one (`last` = the hold record as sent) and the floor (SET NX PX + scripted release),
 * in alternating rounds against one redis-server:
 *
 *   redis-server --port 7391 --save "" --appendonly no &
 *   node bench/redis/lock_script_cost.ts redis://127.0.0.1:7391
 *
 * Only top-level commands are summed (EVALSHA's time includes the commands its script runs,
 * which commandstats also lists on their own): EVALSHA for the Lock, SET + EVALSHA for the floor.
 * (The figures of the commit before this accounting, 17.6 → 15.0 µs, also summed the SETs inside
 * the scripts.)
 *
 * @module
 */
import { createClient } from "redis";
import { ACQUIRE, RELEASE } from "../../src/redis/lock.ts";
import { KIND_CHECK, KIND_SET } from "../../src/redis/internal.ts";
const c = await createClient({ url: process.argv[2]! }).on("error", () => {}).connect();
/** The ACQUIRE before this one. ARGV: kind record leaseMs holderId; `last` = "fence holderId". */
const OLD = `${KIND_CHECK}
if not redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[3]) then
  return {0, redis.call('PTTL', KEYS[2])}
end
${KIND_SET}
local fence = redis.call('INCR', KEYS[3])
return {1, fence, redis.call('SET', KEYS[4], fence .. ' ' .. ARGV[4], 'GET')}`;
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
const keys = [`${k}:kind`, `${k}:owner`, `${k}:fence`, `${k}:last`];
const n = 2000;
const usec = async (floor: boolean) => {
  const info = String(await c.sendCommand(["INFO", "commandstats"]));
  let t = 0;
  for (const m of info.matchAll(/cmdstat_(evalsha|set):calls=\d+,usec=(\d+)/g)) {
    if (m[1] === "evalsha" || floor) t += Number(m[2]);
  }
  return t;
};
const res: Record<string, number[]> = { old: [], new: [], floor: [] };
for (let round = 0; round < 9; round++) {
  for (const name of ["old", "new", "floor"] as const) {
    await c.sendCommand(["CONFIG", "RESETSTAT"]);
    for (let i = 0; i < n; i++) {
      if (name === "floor") {
        await c.sendCommand(["SET", "fl", "v", "NX", "PX", "30000"]);
        await c.sendCommand(["EVALSHA", fsha, "1", "fl", "v"]);
        continue;
      }
      const record = `${i} host:1234:abcdef:1`;
      if (name === "old") {
        await c.sendCommand([
          "EVALSHA",
          osha,
          "4",
          ...keys,
          "Lock",
          record,
          "30000",
          "host:1234:abcdef:1",
        ]);
      } else {
        await c.sendCommand(["EVALSHA", nsha, "4", ...keys, "Lock", record, "30000"]);
      }
      await c.sendCommand(["EVALSHA", rsha, "2", `${k}:owner`, `${k}:last`, record, `${k}:wake`]);
    }
    res[name]!.push(await usec(name === "floor") / n);
  }
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
console.log(
  "server µs per acquire+release (median of 9 rounds):",
  Object.entries(res).map(([k, v]) =>
    `${k} ${med(v).toFixed(2)} [${v.map((x) => x.toFixed(1)).join(" ")}]`
  ).join("; "),
);
await c.close();
process.exit(0);
