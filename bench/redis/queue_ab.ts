/**
 * A/B of the Redis Queue (and Lock) against another tree of threadkit, side by side in one run:
 * the same benchmark child processes as the Redis section (`child.ts`), one set from this tree and
 * one from `OLD` (e.g. `git archive <commit> | tar -x -C /tmp/old` and a `node_modules` symlink),
 * against one private redis-server, round-robin: old Queue, new Queue, raw LPUSH/BRPOP, for
 * 1 → 1 and 4 → 4, `ROUNDS` times. Prints per round the ns per item, the ratio to raw, and the
 * server commands per item (INFO commandstats; EVALSHA counts once plus each command it runs) and
 * the server's socket reads per item (INFO stats total_reads_processed: about the round trips,
 * as commands a client issues in one tick go in one write), and
 * the CPU time per item of the server and of the client processes (/proc, Linux), which a loaded
 * machine disturbs far less than the elapsed time.
 *
 *   node bench/redis/queue_ab.ts /tmp/old [ROUNDS=3] [ITEMS=1200]
 *
 * @module
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startBenchServer } from "./server.ts";
import { BenchChild, cpuOf, sleepsOf } from "./processes.ts";
import { createClient } from "redis";

const [oldTree, roundsArg, itemsArg] = process.argv.slice(2);
if (oldTree === undefined) throw new Error("usage: queue_ab.ts OLD_TREE [ROUNDS] [ITEMS]");
const ROUNDS = Number(roundsArg ?? 3);
const ITEMS = Number(itemsArg ?? 1_200);
const now = () => Number(process.hrtime.bigint());
/** The machine's busy and total CPU time so far (all cores, clock ticks), from /proc/stat. */
const machineOf = () => {
  const f = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(
    Number,
  );
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3]! - f[4]!, total };
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const redisServer = await startBenchServer("threadkit-queue-ab");
const server = redisServer.process;
const url = redisServer.url;
await sleep(300);
const c = await createClient({ url }).on("error", () => {}).connect();
const oldFile = join(oldTree, "bench/redis/child.ts");
const sets = {
  old: Array.from({ length: 8 }, () => new BenchChild(url, { file: oldFile, waitMs: 180_000 })),
  new: Array.from({ length: 8 }, () => new BenchChild(url, { waitMs: 180_000 })),
};
await Promise.all([...sets.old, ...sets.new].map((ch) => ch.next()));

async function commandsPerItem(items: number): Promise<string> {
  const info = String(await c.sendCommand(["INFO", "commandstats"]));
  const parts: string[] = [];
  let total = 0;
  for (const m of info.matchAll(/cmdstat_([\w|]+):calls=(\d+)/g)) {
    if (m[1] === "config" || m[1] === "info") continue;
    total += Number(m[2]);
    parts.push(`${m[1]} ${(Number(m[2]) / items).toFixed(2)}`);
  }
  // Socket reads the server processed (INFO stats, Redis >= 6): one per write a client makes
  // (commands issued in one tick go in one write), so about the round trips per item.
  const stats = String(await c.sendCommand(["INFO", "stats"]));
  const reads = Number(/total_reads_processed:(\d+)/.exec(stats)?.[1] ?? NaN);
  return `${(total / items).toFixed(2)}, socket reads ${(reads / items).toFixed(2)} (${
    parts.join(", ")
  })`;
}

let serial = 0;
const results: Record<string, number[]> = {};
try {
  for (const [p, cons] of [[1, 1], [4, 4]] as const) {
    for (let round = -1; round < ROUNDS; round++) {
      const line: string[] = [];
      const cpuLine: string[] = [];
      const times: Record<string, number> = {};
      for (const variant of ["old", "new", "raw"] as const) {
        const children = variant === "raw" ? sets.new : sets[variant];
        const impl = variant === "raw" ? "raw" : "threadkit";
        const name = `ab-${variant}-${serial++}`;
        const consumers = children.slice(0, cons);
        const producers = children.slice(cons, cons + p);
        for (const ch of consumers) ch.send({ cmd: "consume", impl, name });
        for (const ch of consumers) await ch.next();
        const per = Math.floor((round < 0 ? ITEMS / 4 : ITEMS) / p);
        await c.sendCommand(["CONFIG", "RESETSTAT"]);
        const pids = [server.pid!, ...consumers, ...producers].map((ch) =>
          typeof ch === "number" ? ch : ch.process.pid!
        );
        const cpu0 = pids.map(cpuOf);
        const sw0 = pids.map(sleepsOf);
        const m0 = machineOf();
        const t0 = now();
        producers.forEach((ch, i) =>
          ch.send({ cmd: "produce", impl, name, from: i * per, count: per })
        );
        await Promise.all(producers.map((ch) => ch.result()));
        for (let i = 0; i < cons; i++) {
          producers[0]!.send({ cmd: "produce", impl, name, from: -1, count: 1 });
          await producers[0]!.result();
        }
        const done = await Promise.all(consumers.map((ch) => ch.result()));
        const count = done.reduce((s, r) => s + r.count, 0);
        const last = Math.max(...done.map((r) => r.last));
        if (count !== per * p) throw new Error(`${variant}: ${count} of ${per * p}`);
        times[variant] = (last - t0) / count;
        const cpu = pids.map((pid, i) => cpuOf(pid) - cpu0[i]!);
        const clients = cpu.slice(1).reduce((a, b) => a + b, 0);
        const sw = pids.map((pid, i) => sleepsOf(pid) - sw0[i]!);
        const m1 = machineOf();
        const busy = (m1.busy - m0.busy) / (m1.total - m0.total);
        const swConsumers = sw.slice(1, 1 + cons).reduce((a, b) => a + b, 0);
        const swProducers = sw.slice(1 + cons).reduce((a, b) => a + b, 0);
        const consuming = cpu.slice(1, 1 + cons).reduce((a, b) => a + b, 0);
        cpuLine.push(
          `${variant} cpu µs/item server ${(cpu[0]! / count).toFixed(1)} clients ${
            (clients / count).toFixed(1)
          } (consumers ${(consuming / count).toFixed(1)}), sleeps/item consumers ${
            (swConsumers / count).toFixed(2)
          } producers ${(swProducers / count).toFixed(2)} server ${
            (sw[0]! / count).toFixed(2)
          }, machine busy ${(busy * 100).toFixed(0)}%`,
        );
        if (round >= 0) {
          (results[`${p}->${cons} ${variant} server cpu µs/item`] ??= []).push(cpu[0]! / count);
          (results[`${p}->${cons} ${variant} client cpu µs/item`] ??= []).push(clients / count);
        }
        const cmds = await commandsPerItem(count);
        if (round === 0) console.log(`  ${p}->${cons} ${variant} commands/item: ${cmds}`);
      }
      if (round < 0) continue;
      for (const v of ["old", "new"]) {
        const ratio = times[v]! / times.raw!;
        (results[`${p}->${cons} ${v}`] ??= []).push(ratio);
        line.push(`${v} ${(times[v]! / 1e3).toFixed(1)} µs ×${ratio.toFixed(2)}`);
      }
      console.log(
        `${p}->${cons} round ${round}: raw ${(times.raw! / 1e3).toFixed(1)} µs; ${
          line.join("; ")
        }\n    ${cpuLine.join("; ")}`,
      );
    }
  }
  for (const [k, v] of Object.entries(results)) {
    const s = [...v].sort((a, b) => a - b);
    console.log(
      `${k}: median ${s[s.length >> 1]!.toFixed(2)} (${v.map((x) => x.toFixed(2)).join(", ")})`,
    );
  }
} finally {
  // "exit" first, so that a child run with --cpu-prof (NODE_OPTIONS) writes its profile.
  for (const ch of [...sets.old, ...sets.new]) ch.send({ cmd: "exit" });
  await sleep(2000);
  for (const ch of [...sets.old, ...sets.new]) ch.process.kill("SIGKILL");
  await c.close().catch(() => {});
  redisServer.stop();
}
process.exit(0);
