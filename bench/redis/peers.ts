/**
 * The peers of the Redis benchmark, each with its defaults: redlock 4 (the default retry
 * settings: 10 retries, 200 ms apart, ±100 ms jitter) over a small adapter to node-redis, and
 * BullMQ 6 over its own node-redis adapter.
 */

import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

interface Client {
  sendCommand(args: string[]): Promise<unknown>;
  duplicate(): any;
}

let ignoring = false;

/**
 * Redlock 4 cleans up after each failed attempt with an unlock that finds nothing to release;
 * that unlock's rejection escapes as an unhandled rejection (bluebird), which would end the
 * process. Only those are ignored; any other unhandled rejection still ends it.
 */
function ignoreRedlockCleanup(): void {
  if (ignoring) return;
  ignoring = true;
  process.on("unhandledRejection", (reason) => {
    if (
      reason instanceof Error && reason.name === "LockError" &&
      reason.message.startsWith("Unable to fully release the lock")
    ) return;
    console.error(reason);
    process.exit(1);
  });
}

/** Redlock 4 expects a node_redis v3-style client (`evalsha(hash, args, cb)`, `eval(args, cb)`). */
export function redlockOf(client: Client): {
  lock(resource: string, ttl: number): Promise<{ unlock(): Promise<void> }>;
} {
  ignoreRedlockCleanup();
  const Redlock = require("redlock");
  const call = (args: unknown[], cb: (err: Error | null, value?: unknown) => void) => {
    client.sendCommand(args.map(String)).then((value) => cb(null, value), (error) => cb(error));
  };
  const adapter = {
    evalsha: (hash: string, args: unknown[], cb: (err: Error | null, value?: unknown) => void) =>
      call(["EVALSHA", hash, ...args], cb),
    eval: (args: unknown[], cb: (err: Error | null, value?: unknown) => void) =>
      call(["EVAL", ...args], cb),
  };
  return new Redlock([adapter]);
}

/** A BullMQ queue over node-redis. */
export async function bullQueue(client: Client, name: string): Promise<{
  add(name: string, data: unknown, opts: Record<string, unknown>): Promise<unknown>;
}> {
  const { Queue, createNodeRedisClient } = await import("bullmq");
  return new Queue(name, { connection: createNodeRedisClient(client) as any });
}

/**
 * Runs a BullMQ worker (concurrency 1, its own duplicate connection) calling `fn` per job until
 * `fn` returns true; then closes it (a closing worker fetches no next job) and resolves.
 */
export async function bullWorker(
  client: Client,
  name: string,
  started: () => void,
  fn: (data: any) => boolean,
): Promise<void> {
  const { Worker, createNodeRedisClient } = await import("bullmq");
  const connection = client.duplicate();
  connection.on("error", () => {});
  await connection.connect();
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const worker: { close(): Promise<void> } = new Worker(name, (job: { data: unknown }) => {
    if (fn(job.data)) {
      void worker.close();
      stop();
    }
    return Promise.resolve();
  }, { connection: createNodeRedisClient(connection) as any, concurrency: 1 }) as any;
  await (worker as any).waitUntilReady();
  started();
  await stopped;
  await worker.close();
  await connection.close?.();
}
