/**
 * threadkit/redis: the same async API as the core, over a Redis server (7.0+) or cluster, for
 * processes and machines that share no memory.
 *
 * Pass a connected client of the official `redis` package (node-redis, an optional peer
 * dependency) and a name: every process that opens the same name on the same server shares the
 * primitive. Holds carry leases renewed in the background; a process that dies holding a lock
 * loses it when its lease runs out, and the next acquirer gets an `OwnerDiedError`. Locks hand
 * out fencing tokens. Queue items travel through the core's structured codec.
 *
 * @example A lock shared by processes
 * ```ts ignore
 * import { createClient } from "redis";
 * import { Lock } from "@threadkit/threadkit/redis";
 *
 * const client = await createClient().connect();
 * const lock = new Lock(client, "orders:42");
 * await using guard = await lock.hold();
 * ```
 *
 * @module
 */

export { Lock, type LockOptions } from "./src/redis/lock.ts";
export { RLock } from "./src/redis/rlock.ts";
export { BoundedSemaphore, Semaphore, type SemaphoreOptions } from "./src/redis/semaphore.ts";
export { Event } from "./src/redis/event.ts";
export { Latch } from "./src/redis/latch.ts";
export { Barrier, type BarrierOptions, type BarrierWaitOptions } from "./src/redis/barrier.ts";
export { RWLock, type RWLockOptions } from "./src/redis/rwlock.ts";
export { Queue, type RedisQueueOptions, type RedisShutdownOptions } from "./src/redis/queue.ts";
export {
  BrokenBarrierError,
  DEFAULT_LEASE_MS,
  LeaseOwnerDiedError,
  NotOwnedError,
  OwnerDiedError,
  QueueEmptyError,
  QueueFullError,
  QueueShutDownError,
  RedisGuard,
  type RedisHoldOptions,
  type RedisWaitOptions,
  TimeoutError,
} from "./src/redis/internal.ts";
