/**
 * `ThreadPool` (`pool.ts`), built on the threads' spawn (`thread/spawn.ts`) and the shared
 * queues; its worker's loop is `runner.ts`.
 *
 * @module
 */

export {
  type PoolCloseOptions,
  type PoolMapOptions,
  type PoolSubmitOptions,
  SLOTS,
  ThreadPool,
  type ThreadPoolOptions,
} from "./pool.ts";
