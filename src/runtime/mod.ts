/**
 * The runtime layer's one internal interface: start a worker on threadkit's bootstrap, post the
 * start message, observe its result, errors and end, terminate it, ref/unref it; plus the few
 * other things that differ per runtime (is this the main thread, timers that may be unref'd,
 * resolving a module string). `src/runtime/` is the only place in threadkit that knows which
 * runtime it runs on; this module picks the adapter once, at load.
 *
 * ## Choice of worker per runtime
 * Measured on this machine (2 CPUs shared with other jobs, load average ~4; Node 24.21, Deno
 * 2.9.5, Bun 1.4.5), median of 15 sequential starts. "Raw": `new Worker` of a trivial `.ts`
 * module to its first message. "Thread": `new Thread(url).start()` to `await join()` through
 * the real bootstrap, of a plain JS module / of a module that imports threadkit.
 * | runtime | raw Web Worker | raw worker_threads | Thread (plain / threadkit) | chosen          |
 * | Node    | —              | 41 ms              | 54 / 77 ms                 | worker_threads  |
 * | Deno    | 9.2 ms         | 24 ms              | 12 / 14 ms (Web Worker)    | Web Worker      |
 * | Deno    |                |                    | 26 / 28 ms (worker_threads)| daemon threads  |
 * | Bun     | 3.8 ms         | 10 ms              | 6.7 / 9.4 ms               | Web Worker      |
 * On a quieter machine the raw figures were Node 34, Deno 7.4 / 21, Bun 4.3 / 8.6 ms. Node's
 * extra cost per thread is mostly type stripping of the `.ts` modules each worker loads (the
 * bootstrap loads the primitives' modules only when the arguments hold primitives).
 *
 * ## How each adapter learns that a worker ended
 * Every thread has a shared *state word* (`protocol.ts`) that its bootstrap writes when the
 * export settles or the thread calls an exit function, and that the parent writes on the exit
 * events it does get. The events per mechanism:
 * - node:worker_threads on Node and Bun: `exit` with a code, always, once the worker is gone.
 * - Deno Web Worker: no exit or close event at all, for a natural end, `self.close()`,
 *   `process.exit()` or `terminate()` alike. But a `node:worker_threads` `MessagePort` whose
 *   other end was transferred into the worker emits `close` once the worker is gone, whatever
 *   ended it (measured: natural end, close, exit, uncaught error, unhandled rejection,
 *   terminate) — so the Deno adapter carries the result port from `node:worker_threads`.
 * - Deno, either worker: `terminate()` does not interrupt running code or a blocking wait (the
 *   worker ends after its current task), and `node:worker_threads`' `exit` fires at once anyway,
 *   while the worker still runs; see `deno.ts` for how the end is told apart.
 * - Bun Web Worker: a `close` event with a code (Bun extension). Bun reports an unhandled
 *   rejection as code 0 (Node: 1); the bootstrap catches rejections itself, so the code is never
 *   the signal.
 * - Browser: no exit event. The bootstrap reports everything it can; a worker killed from outside
 *   (terminate) is reported by the adapter itself.
 *
 * @module
 */

import { setThreadRecord, threadRecord } from "../internal/ident.ts";
import type { StartMessage } from "./protocol.ts";
import { browserRuntime } from "./browser.ts";
import { bunRuntime } from "./bun.ts";
import { denoRuntime } from "./deno.ts";
import { nodeRuntime } from "./node.ts";

/** What the parent hears from a started worker. */
export interface WorkerEvents {
  /** A message the bootstrap posted on the result port. */
  message(data: unknown): void;
  /** An error the runtime reported about the worker (its bootstrap failed to load, ...). */
  error(error: unknown): void;
  /**
   * The worker is gone; `code` where the runtime reports one. Called once, after every message
   * the worker posted has been delivered to {@link WorkerEvents.message}.
   */
  exit(code: number | undefined): void;
}

/** How to start a worker. */
export interface StartOptions {
  /** The thread's name (for debuggers and runtime tools). */
  readonly name: string;
  /** A daemon worker does not keep the process alive. */
  readonly daemon: boolean;
}

/** A started worker, as the parent holds it. */
export interface StartedWorker {
  /** Asks the runtime to end the worker; {@link WorkerEvents.exit} follows once it has. */
  terminate(): void;
  /** Makes the worker keep the process alive (while someone joins a daemon thread). */
  ref(): void;
  /** Lets the process end while the worker runs (daemon threads). */
  unref(): void;
  /**
   * Takes the next message queued on the result port without waiting, or `undefined` when none
   * is queued; `null` where the runtime cannot receive synchronously (browsers).
   */
  receiveSync(): { message: unknown } | undefined | null;
  /**
   * Posts `message` on the result port, to the worker (a ThreadPool's worker receives it with
   * `receiveMessageOnPort`; threads ignore it).
   */
  post(message: unknown): void;
}

/** The worker's side: what the bootstrap needs from the runtime it runs in. */
export interface WorkerSide {
  /** Calls `fn` once, with the first message from the parent (the start message). */
  onStart(fn: (data: unknown) => void): void;
  /**
   * Calls `fn` for an uncaught error or an unhandled rejection, and keeps the runtime from
   * handling it its own way (so every runtime ends the thread the same way: the bootstrap's).
   */
  onCrash(fn: (error: unknown) => void): void;
  /** Calls `fn` when the thread is ending through an exit call (`process.exit`, `Deno.exit`). */
  onExit(fn: (code: number | undefined) => void): void;
  /** Ends this thread. */
  exit(code: number): void;
}

/** A timer that may stop keeping the process alive. */
export interface TimerHandle {
  /** Cancels the timer. */
  clear(): void;
  /** The timer keeps the process alive (the default). */
  ref(): void;
  /** The timer does not keep the process alive. */
  unref(): void;
}

/** One runtime's adapter. */
export interface Runtime {
  /** Which runtime this is. */
  readonly name: "node" | "deno" | "bun" | "browser";
  /**
   * Starts a worker on `bootstrap`, posts `start` to it (adding the result port), and reports
   * through `events`.
   */
  start(
    bootstrap: URL,
    start: StartMessage,
    options: StartOptions,
    events: WorkerEvents,
  ): StartedWorker;
  /** The worker side, for the bootstrap. */
  workerSide(): WorkerSide;
  /** Whether the calling thread is the process's main thread (a browser page's is). */
  isMainThread(): boolean;
  /**
   * The URL of a module given as a string: absolute URLs as they are; paths (`/x.ts`, `./x.ts`,
   * `../x.ts`) against the current working directory (server runtimes) or the document's base
   * URL (browsers), as `node ./x.ts` or `new Worker("./x.js")` would.
   *
   * @throws {TypeError} A bare specifier (`"pkg/x"`), which has no meaning without an importer.
   */
  resolveModule(specifier: string): string;
  /** Calls `fn` after `ms` (clamped to the runtime's timer range by the caller). */
  setTimer(fn: () => void, ms: number): TimerHandle;
}

function detect(): Runtime {
  const g = globalThis as {
    Deno?: unknown;
    Bun?: unknown;
    process?: { versions?: { node?: string } };
  };
  // Deno and Bun both define `process.versions.node`: test them first.
  if (typeof g.Deno === "object" && g.Deno !== null) return denoRuntime;
  if (typeof g.Bun === "object" && g.Bun !== null) return bunRuntime;
  if (typeof g.process?.versions?.node === "string") return nodeRuntime;
  return browserRuntime;
}

/** The adapter of the runtime this code runs on. */
export const runtime: Runtime = detect();

/**
 * The bootstrap's file relative to this module once bundled: set by the npm build
 * (`tsup.config.ts`, esbuild `define`), where this module and the bootstrap entry both land in
 * `dist/`. Absent when the sources run unbuilt.
 */
declare const THREADKIT_BOOTSTRAP: string | undefined;

let bootstrap: URL | undefined;

/**
 * The bootstrap every thread starts on, relative to this file; a bundle that moves files must
 * emit `bootstrap` as an entry of its own and keep this URL pointing at it (define
 * `THREADKIT_BOOTSTRAP`). Computed on first use, so that a build without `import.meta.url`
 * (CommonJS) can still load threadkit.
 */
export function bootstrapUrl(): URL {
  return bootstrap ??= new URL(
    typeof THREADKIT_BOOTSTRAP === "string" ? THREADKIT_BOOTSTRAP : "./bootstrap.ts",
    import.meta.url,
  );
}

// ---------------------------------------------------------------------------------------------
// This thread, as its bootstrap set it up

/** A thread started by threadkit, as it knows itself. */
export interface SelfInfo {
  readonly ident: number;
  readonly name: string;
  readonly daemon: boolean;
}

/**
 * Records this thread's identity (the bootstrap, before it imports the user's module). Kept with
 * the ident on `globalThis` (see `internal/ident.ts`), so every copy of threadkit in the thread
 * sees it.
 */
export function setThreadSelf(info: SelfInfo): void {
  setThreadRecord(info);
}

/** This thread's identity if threadkit started it, else `undefined`. */
export function threadSelf(): SelfInfo | undefined {
  return threadRecord() as SelfInfo | undefined;
}

// ---------------------------------------------------------------------------------------------
// Non-daemon children of this thread

/**
 * Kept on `globalThis` like the thread's identity, so that every copy of threadkit in a thread
 * (the bootstrap's and a second one the user's module imports, e.g. `dist/mod.cjs`) holds the
 * thread for the same children.
 */
const CHILDREN_KEY = Symbol.for("threadkit.children.v1");
const threadGlobals = globalThis as Record<symbol, unknown>;
const children = (threadGlobals[CHILDREN_KEY] ??= new Set()) as Set<Promise<unknown>>;

/**
 * Keeps this thread (if threadkit started it) from ending before `done` settles: a non-daemon
 * thread started from a thread. (The main thread needs none of this: the runtime keeps the
 * process alive while a ref'd worker runs.)
 */
export function holdThreadFor(done: Promise<unknown>): void {
  children.add(done);
  const drop = () => children.delete(done);
  done.then(drop, drop);
}

/** Resolves once every promise given to {@link holdThreadFor} has settled. */
export async function childrenSettled(): Promise<void> {
  while (children.size > 0) await Promise.allSettled([...children]);
}
