/**
 * A process of the Redis benchmark (`bench/redis/section.ts`): reads JSON commands, one per line,
 * on stdin and answers each with one JSON line on stdout. Node only (process.hrtime is the
 * system-wide monotonic clock, so times compare across processes).
 *
 * Commands: `produce` / `consume` (a queue implementation: threadkit, BullMQ or raw lists),
 * `handoff` (wait for a lock the driver holds: threadkit or redlock), `echo` (pub/sub floor).
 */

import { createInterface } from "node:readline";
import { createClient } from "redis";
import { Lock, Queue } from "../../redis.ts";
import { redlockOf } from "./peers.ts";

const url = process.argv[2]!;
const client = await createClient({ url }).on("error", () => {}).connect();
const now = () => Number(process.hrtime.bigint());
const reply = (value: unknown) => process.stdout.write(JSON.stringify(value) + "\n");

type Command = Record<string, any>;

async function produce({ impl, name, from, count, gapMs }: Command): Promise<unknown> {
  // `gapMs`: a pause after each put, so that a consumer has caught up and blocks for each item.
  const gap = typeof gapMs === "number" && gapMs > 0
    ? () => new Promise((resolve) => setTimeout(resolve, gapMs))
    : undefined;
  if (impl === "threadkit") {
    const q = new Queue(client, name);
    for (let i = from; i < from + count; i++) {
      await q.put({ n: i });
      if (gap !== undefined) await gap();
    }
  } else if (impl === "bullmq") {
    const { bullQueue } = await import("./peers.ts");
    const q = await bullQueue(client, name);
    for (let i = from; i < from + count; i++) {
      await q.add("j", { n: i }, { removeOnComplete: true, removeOnFail: true });
    }
  } else {
    for (let i = from; i < from + count; i++) {
      await client.lPush(name, String(i));
      if (gap !== undefined) await gap();
    }
  }
  return { done: true };
}

/** Consumes until a sentinel (n = -1); returns how many real items and when the last came. */
async function consume({ impl, name }: Command): Promise<unknown> {
  let count = 0;
  let last = 0;
  if (impl === "threadkit") {
    const q = new Queue<{ n: number }>(client, name);
    reply({ started: true });
    for (;;) {
      const item = await q.get({ timeout: 60_000 });
      await q.taskDone();
      if (item.n < 0) break;
      count++;
      last = now();
    }
  } else if (impl === "bullmq") {
    const { bullWorker } = await import("./peers.ts");
    await bullWorker(client, name, () => reply({ started: true }), (data: { n: number }) => {
      if (data.n < 0) return true;
      count++;
      last = now();
      return false;
    });
  } else {
    const blocking = client.duplicate();
    await blocking.connect();
    reply({ started: true });
    for (;;) {
      const popped = await blocking.brPop(name, 60);
      if (popped === null) throw new Error("raw consumer: nothing within 60 s");
      if (popped.element === "-1") break;
      count++;
      last = now();
    }
    await blocking.close();
  }
  return { count, last };
}

/** Waits for the lock the driver holds; reports the monotonic time it got it, then releases. */
async function handoff({ impl, name, emitWaiting }: Command): Promise<unknown> {
  if (impl === "threadkit") {
    const lock = new Lock(client, name);
    if (emitWaiting) reply({ waiting: true });
    await lock.acquire({ timeout: 30_000 });
    const at = now();
    await lock.release();
    return { at };
  }
  const redlock = redlockOf(client);
  if (emitWaiting) reply({ waiting: true });
  const lock = await redlock.lock(name, 10_000);
  const at = now();
  await lock.unlock();
  return { at };
}

/** Subscribes to `name`:ping and answers each message on `name`:pong. */
async function echo({ name }: Command): Promise<unknown> {
  const sub = client.duplicate();
  await sub.connect();
  await sub.subscribe(`${name}:ping`, (message) => {
    void client.publish(`${name}:pong`, message);
  });
  return { subscribed: true };
}

const handlers: Record<string, (c: Command) => Promise<unknown>> = {
  produce,
  consume,
  handoff,
  echo,
};
reply({ ready: true });
for await (const line of createInterface({ input: process.stdin })) {
  const command = JSON.parse(line) as Command;
  if (command.cmd === "exit") break;
  try {
    reply({ ok: true, value: await handlers[command.cmd]!(command) });
  } catch (error) {
    reply({ ok: false, error: String((error as Error).stack ?? error) });
  }
}
await client.close().catch(() => {});
process.exit(0);
