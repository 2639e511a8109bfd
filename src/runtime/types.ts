/**
 * The runtime layer's interfaces: how the parent starts a worker on threadkit's bootstrap and
 * hears from it, what the bootstrap needs from the runtime it runs in, and the few other things
 * that differ per runtime. Each adapter (`node.ts`, `deno.ts`, `bun.ts`, `browser.ts`)
 * implements {@link Runtime}; `mod.ts` picks one.
 *
 * @module
 */

/**
 * The start message a worker is sent, as the runtime layer sees it: any object with the
 * worker's state word buffer (`state_word.ts`), which some adapters read to tell its end. The
 * adapter adds the result port as `port`.
 */
export interface StartPayload {
  /** The worker's state word buffer. */
  readonly state: SharedArrayBuffer;
}

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
   * {@link WorkerSide.receiveSync}; threads ignore it).
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
  /**
   * Takes the next message queued on `port` (the result port, from the parent) without waiting,
   * or `undefined` when none is queued; `null` where the runtime cannot receive synchronously
   * (browsers: the message then arrives as a `message` event on the port).
   */
  receiveSync(port: MessagePort): { message: unknown } | undefined | null;
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
   * Whether {@link StartedWorker.terminate} ends a worker that is running code or blocked in
   * `Atomics.wait`. `false` (Deno): the worker ends only after its current task, so threadkit's
   * own sync waits in a thread (and in a pool worker while it runs a task) sleep in slices and
   * read the terminate request between them (`thread/runner.ts`, `pool/runner.ts`), and the
   * parent stops waiting for the end after a grace period.
   */
  readonly terminateInterrupts: boolean;
  /**
   * Whether async waits take one more turn of the event loop before it sleeps
   * (`setAsyncNudge` in `internal/futex.ts`, which has the measurements): on where it measured
   * faster (Node, Bun, browsers; not Deno).
   */
  readonly nudgeAsyncWaits: boolean;
  /**
   * How long an async park spins on its slot before it registers, in µs (`setAsyncSpin` in
   * `internal/futex.ts`, which has the measurements); 0: never.
   */
  readonly asyncSpinMicros: number;
  /**
   * How long a sync park spins on its slot before `Atomics.wait`, in µs (`setSyncSpin` in
   * `internal/futex.ts`); 0: never.
   */
  readonly syncSpinMicros: number;
  /**
   * Posts a task to this thread's event loop, to run after the current task and its microtasks
   * (`setTaskPoster` in `internal/futex.ts`: the end-of-turn check of local parks).
   */
  postTask(task: () => void): void;
  /**
   * Starts a worker on `bootstrap`, posts `start` to it (adding the result port), and reports
   * through `events`.
   */
  start(
    bootstrap: URL,
    start: StartPayload,
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
   * @throws {TypeError} A bare specifier (`"pkg/x"`), which has no meaning without an importer;
   *   on server runtimes, a path to a file that does not exist (the message says how it was
   *   resolved and how to resolve it against the caller's module instead).
   */
  resolveModule(specifier: string): string;
  /** Calls `fn` after `ms` (clamped to the runtime's timer range by the caller). */
  setTimer(fn: () => void, ms: number): TimerHandle;
}
