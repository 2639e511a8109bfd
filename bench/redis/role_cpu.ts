/**
 * CPU per item of each role of a Redis queue, in isolation: one producer process puts ITEMS items
 * into an empty queue (no consumer running), then one consumer process takes them all from the
 * filled queue (no producer running). Threadkit's Queue and raw LPUSH/BRPOP alternate, ROUNDS
 * times, on one private redis-server; the CPU (user + system, /proc, Linux) of the client process
 * and of the server over each phase, per item. Separates where a queue's per-item cost is
 * (producer or consumer, client or server) from the 4 → 4 benchmark's scheduling. With PROF=DIR
 * the child processes run with `--cpu-prof --cpu-prof-dir=DIR` (a profile per process at exit).
 *
 *   node bench/redis/role_cpu.ts [ROUNDS=3] [ITEMS=20000]
 *   node bench/redis/role_cpu.ts ROUNDS ITEMS --paced   # consumer running, a put per ~1 ms
 *   node bench/redis/role_cpu.ts ROUNDS ITEMS [--paced] --old OLD_TREE   # OLD's Queue beside
 *
 * `--old OLD_TREE` adds OLD_TREE's Queue (its bench/redis/child.ts, e.g. `git archive` of another
 * commit with a node_modules symlink) as a third variant, round-robin with this tree's and raw.
 *
 * `--paced`: the consumer runs while the producer puts one item per ~1 ms, so it has caught up
 * and blocks for every item (the path of a consumer that keeps pace, as in the 4 → 4 rows);
 * the producer's and consumer's CPU are then taken over the same span.
 *
 * @module
 */

import { startBenchServer } from "./server.ts";
import { BenchChild, cpuOf, sleepsOf } from "./processes.ts";

const ROUNDS = Number(process.argv[2] ?? 3);
const ITEMS = Number(process.argv[3] ?? 20_000);
const PACED = process.argv.includes("--paced");
const oldAt = process.argv.indexOf("--old");
const OLD = oldAt === -1 ? undefined : process.argv[oldAt + 1];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const redis = await startBenchServer("threadkit-role-cpu");
await sleep(300);
/** With PROF=DIR, each child writes a CPU profile into DIR when it exits. */
const PROF_FLAGS = process.env.PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.PROF}`] : [];
const childOf = (file?: string) => new BenchChild(redis.url, { file, flags: PROF_FLAGS });
const sets: Record<string, { producer: BenchChild; consumer: BenchChild; impl: string }> = {
  threadkit: {
    producer: childOf(),
    consumer: childOf(),
    impl: "threadkit",
  },
};
if (OLD !== undefined) {
  const oldFile = `${OLD}/bench/redis/child.ts`;
  sets.old = {
    producer: childOf(oldFile),
    consumer: childOf(oldFile),
    impl: "threadkit",
  };
}
sets.raw = { ...sets.threadkit!, impl: "raw" };
const all = Object.values(sets).flatMap((v) => [v.producer, v.consumer]);
await Promise.all([...new Set(all)].map((child) => child.next()));
const server = redis.process.pid!;
const rows: Record<string, number[]> = {};
let serial = 0;
try {
  for (let round = -1; round < ROUNDS; round++) {
    for (const [variant, { producer, consumer, impl }] of Object.entries(sets)) {
      const name = `role-${variant}-${serial++}`;
      const count = round < 0 ? ITEMS / 4 : ITEMS;
      if (PACED) {
        consumer.send({ cmd: "consume", impl, name });
        await consumer.next();
        const s0 = cpuOf(server);
        const p0 = cpuOf(producer.process.pid!);
        const c0 = cpuOf(consumer.process.pid!);
        const w0 = sleepsOf(consumer.process.pid!);
        producer.send({ cmd: "produce", impl, name, from: 0, count, gapMs: 1 });
        await producer.result();
        producer.send({ cmd: "produce", impl, name, from: -1, count: 1 });
        await producer.result();
        const done = await consumer.result();
        if (done.count !== count) throw new Error(`${impl}: ${done.count} of ${count}`);
        if (round < 0) continue;
        // Wake-ups of the consumer per item (voluntary context switches).
        (rows[`${variant} get sleeps`] ??= []).push(
          (sleepsOf(consumer.process.pid!) - w0) / count,
        );
        for (
          const [k, v] of Object.entries({
            "put client": cpuOf(producer.process.pid!) - p0,
            "get client": cpuOf(consumer.process.pid!) - c0,
            "server": cpuOf(server) - s0,
          })
        ) (rows[`${variant} ${k}`] ??= []).push(v / count);
        continue;
      }
      let s0 = cpuOf(server);
      let c0 = cpuOf(producer.process.pid!);
      producer.send({ cmd: "produce", impl, name, from: 0, count });
      await producer.result();
      const put = { client: cpuOf(producer.process.pid!) - c0, server: cpuOf(server) - s0 };
      producer.send({ cmd: "produce", impl, name, from: -1, count: 1 });
      await producer.result();
      s0 = cpuOf(server);
      c0 = cpuOf(consumer.process.pid!);
      consumer.send({ cmd: "consume", impl, name });
      await consumer.next();
      const done = await consumer.result();
      if (done.count !== count) throw new Error(`${impl}: ${done.count} of ${count}`);
      const get = { client: cpuOf(consumer.process.pid!) - c0, server: cpuOf(server) - s0 };
      if (round < 0) continue;
      for (
        const [k, v] of Object.entries({
          "put client": put.client,
          "put server": put.server,
          "get client": get.client,
          "get server": get.server,
        })
      ) (rows[`${variant} ${k}`] ??= []).push(v / count);
    }
  }
  const med = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;
  for (const [k, v] of Object.entries(rows)) {
    console.log(
      `${k.padEnd(24)} ${k.endsWith("sleeps") ? "per item" : "µs/item"} median ${
        med(v).toFixed(2)
      } (${v.map((x) => x.toFixed(2)).join(", ")})`,
    );
  }
} finally {
  const children = [...new Set(all)];
  for (const child of children) child.send({ cmd: "exit" });
  await sleep(1500);
  for (const child of children) child.process.kill("SIGKILL");
  redis.stop();
}
process.exit(0);
