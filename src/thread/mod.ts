/**
 * Threads: `Thread` (`thread.ts`), `Timer` (`timer.ts`), the process's threads
 * (`registry.ts`) and the except hook (`except_hook.ts`). Built on `runtime/`; `spawn.ts` and
 * the worker's `runner.ts` are shared with `pool/`.
 *
 * @module
 */

export { type ExceptHook, type ExceptHookArgs, setExceptHook } from "./except_hook.ts";
export { activeCount, currentThread, enumerate, type ThreadInfo } from "./registry.ts";
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
} from "./module_types.ts";
export type { ThreadOptions } from "./options.ts";
export { Thread } from "./thread.ts";
export { Timer } from "./timer.ts";
