/**
 * threadkit: Python's `threading`, `queue` and `concurrent.futures` for JavaScript workers.
 *
 * Locks, semaphores, events and queues live in a `SharedArrayBuffer` and work across worker
 * threads on Node, Deno, Bun and cross-origin-isolated browsers. Every wait has a blocking form
 * (`acquireSync`) and a Promise form (`acquire`), with timeouts, and with `AbortSignal` on the
 * Promise form. Every primitive crosses a plain `postMessage` as its `handle`.
 *
 * @example A lock shared with a worker
 * ```ts ignore
 * import { Lock } from "@threadkit/threadkit";
 *
 * const lock = new Lock();
 * worker.postMessage(lock.handle); // in the worker: const lock = Lock.from(handle)
 * using _guard = lock.holdSync();
 * ```
 *
 * @module
 */

export { Lock } from "./src/lock.ts";
export { RLock } from "./src/rlock.ts";
export { BoundedSemaphore, Semaphore } from "./src/semaphore.ts";
export { Event } from "./src/event.ts";
export { Condition } from "./src/condition.ts";
export { RWLock } from "./src/rwlock.ts";
export { Latch } from "./src/latch.ts";
export { Once } from "./src/once.ts";
export {
  DEFAULT_CAPACITY_BYTES,
  DEFAULT_MAX_CAPACITY_BYTES,
  LifoQueue,
  type PriorityOptions,
  PriorityQueue,
  Queue,
  type QueueBase,
  type QueueOptions,
  type ShutdownOptions,
  SimpleQueue,
  type SimpleQueueOptions,
} from "./src/queue/mod.ts";
export { type Codec, float64Codec, structuredCodec } from "./src/codec/mod.ts";
export {
  Barrier,
  type BarrierOptions,
  type BarrierWaitOptions,
  type BarrierWaitSyncOptions,
} from "./src/barrier.ts";
export {
  BrokenBarrierError,
  type DeadlockEdge,
  DeadlockError,
  NotOwnedError,
  OwnerDiedError,
  QueueEmptyError,
  QueueFullError,
  QueueShutDownError,
  TimeoutError,
} from "./src/errors.ts";
export type {
  ArgsOf,
  DefaultExport,
  DefaultPick,
  ExportArgs,
  ExportName,
  ExportOf,
  IsModule,
  MapItem,
  MapResult,
  PoolArgs,
  PoolExport,
  PoolPick,
  PoolResult,
  ResultOf,
  ThreadOptionsFor,
  ThreadOptionsParam,
} from "./src/thread/mod.ts";
export {
  activeCount,
  currentThread,
  enumerate,
  type ExceptHook,
  type ExceptHookArgs,
  setExceptHook,
  Thread,
  type ThreadInfo,
  type ThreadOptions,
  Timer,
} from "./src/thread/mod.ts";
export {
  type PoolCloseOptions,
  type PoolMapOptions,
  type PoolSubmitOptions,
  ThreadPool,
  type ThreadPoolOptions,
} from "./src/pool/mod.ts";
export {
  type Description,
  enableDeadlockDetection,
  type Holder,
} from "./src/internal/diagnostics.ts";
export type { Guard } from "./src/internal/guard.ts";
export type { Handle, PlacementOptions } from "./src/internal/layout.ts";
export type { SyncWaitOptions, WaitOptions } from "./src/internal/options.ts";
