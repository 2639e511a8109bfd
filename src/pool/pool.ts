/**
 * `ThreadPool`, as Python's `concurrent.futures.ThreadPoolExecutor`, on workers: its public
 * methods, dispatch and cancellation of tasks, and its workers' lifecycle. Around it: the records
 * and the claim word (`protocol.ts`), the worker's loop (`runner.ts`), the slot table
 * (`slots.ts`), the backlog (`backlog.ts`), the result reader (`results.ts`), the buffer registry
 * (`buffers.ts`), starting and ending a worker (`workers.ts`), `map()`'s loop (`map.ts`), tasks
 * and options (`task.ts`).
 *
 * ## Dispatch through shared memory
 * Tasks travel as byte records through two shared-memory queues (`Queue`, `structuredCodec`), not
 * as one `postMessage` each: `submit()` puts `[slot, export, args, mode]` on the *task queue*;
 * every idle worker blocks in `getSync()` on it, so the first one free takes the next task with
 * no help from this thread; it puts `[slot, OK | ERR, payload]` on the *result queue*, which one
 * async reader of this thread drains (a batch at a time, `getNowait()` while records are there,
 * one `get()` when it runs dry), settling each task's promise by its slot. The reader runs only
 * while records are due, and its pending `get()` is what keeps the process alive meanwhile.
 *
 * A *claim word* per slot (`protocol.ts` has the state table) makes cancellation and
 * crashes exact: a worker claims a record (QUEUED → TAKEN by it) before running it; the pool
 * cancels a queued task by QUEUED → CANCELLED (the worker that finds it skips it), kills a
 * running one by TAKEN → FREE (the worker can no longer report it), and, when a worker ends,
 * knows from the claim words which task it held. At most {@link SLOTS} tasks are in the queues;
 * more wait in this thread, in order, and are dispatched as slots come back.
 *
 * ## What the records cannot hold
 * Arguments are stored by the codec, which copies and refuses shared memory. Arguments that hold
 * primitives (`Lock`, `Queue`, ...) or SharedArrayBuffers (or views of them) are *wired*: the
 * primitives become handles, and each SharedArrayBuffer is posted once to every worker and
 * referred to by id (see `protocol.ts`); a `Lock` passed to a million tasks is posted once
 * per worker. Arguments too large for the ring travel in a SharedArrayBuffer of their own.
 * Results and errors that the codec cannot store go back by `postMessage`.
 *
 * @module
 */

import { QueueFullError } from "../errors.ts";
import { Queue } from "../queue/mod.ts";
import { moduleUrl, typeOf, unclonableArg } from "../thread/spawn.ts";
import { Backlog } from "./backlog.ts";
import { BufferRegistry } from "./buffers.ts";
import { mapTasks } from "./map.ts";
import {
  EPOCH,
  LOADED,
  MAX_WORKER_SEQ,
  type PoolCrashMessage,
  type PoolResultMessage,
  recordCodec,
  type ResultRecord,
  SKIP,
  type TaskRecord,
} from "./protocol.ts";
import { errorOf, outcomeOf, ResultReader } from "./results.ts";
import { Slots } from "./slots.ts";
import {
  cancelPendingOf,
  defaultSize,
  exportOf,
  openerOf,
  orderedOf,
  type PoolCloseOptions,
  type PoolMapOptions,
  poolOptionsOf,
  type PoolSubmitOptions,
  signalOf,
  Task,
  type ThreadPoolOptions,
} from "./task.ts";
import {
  deathError,
  killPoolWorker,
  type PoolWorker,
  poolWorkerExited,
  startPoolWorker,
} from "./workers.ts";
import { brand } from "../internal/brand.ts";
import type {
  DefaultPick,
  MapItem,
  MapResult,
  PoolArgs,
  PoolExport,
  PoolResult,
} from "../thread/module_types.ts";

export type { PoolCloseOptions, PoolMapOptions, PoolSubmitOptions, ThreadPoolOptions };

export { SLOTS } from "./slots.ts";

/** Bytes of each ring; larger task records travel in a buffer of their own. */
const RING_BYTES = 256 * 1024;
/** Workers in a row that end before taking a task, after which the pending tasks fail. */
const MAX_EARLY_DEATHS = 3;

let poolCounter = 0;

/**
 * A pool of worker threads that run tasks: calls of one module's exports, as Python's
 * `concurrent.futures.ThreadPoolExecutor` runs calls of functions.
 *
 * - `submit(args, { export, signal })` queues a call of the export (default `"default"`) with
 *   `args` and returns a promise of its result (the export may be async). What it throws,
 *   synchronously or by rejecting, rejects that promise with its name, message, stack and
 *   `cause` kept; the worker stays.
 * - `map(iterable, { ordered })` runs the export on every item and yields the results, in input
 *   order or as they complete, keeping at most `2 × size` tasks in flight.
 * - Workers start as tasks need them, up to `size`, and are reused. A worker that ends while it
 *   runs a task (`process.exit()`, an uncaught error thrown by a stray callback, terminated)
 *   fails that task and is replaced; the other tasks go on.
 * - Cancelling (an `AbortSignal`): a task that has not started never runs; a running task's
 *   worker is terminated and replaced.
 * - `close()` waits for the running and queued tasks (`cancelPending: true`: running only),
 *   then ends the workers; later submits reject. `await using pool = new ThreadPool(...)`
 *   closes it at the end of the scope.
 * - Dispatch needs no help from the submitting thread: a task submitted before that thread
 *   blocks (`event.waitSync()`, `lock.acquireSync()`) runs while it blocks; only its result
 *   waits for the event loop.
 * - Process lifetime: the pool keeps the process alive while it has tasks to run, and not
 *   otherwise. Idle workers do not keep it alive (unlike Python, whose interpreter joins
 *   executor threads at exit; but Python's idle workers never delay that exit either, and a
 *   forgotten pool must not hang a program that is done). A closed pool has no workers.
 *
 * Types: `new ThreadPool<typeof import("./tasks.ts")>(url)` checks each call's `args` (or
 * `map()`'s items, the export's first parameter) against the export its `export` option names
 * (inferred per call, `"default"` when none is named) and types the result as that export's
 * awaited return type; a wrong export name is an error. An untyped pool keeps the older
 * `submit<number>(...)` / `map<T, R>(...)` forms.
 *
 * Arguments must be structured-cloneable data (what `Queue` stores), plus primitives (`Lock`,
 * `Event`, `Queue`, ...) and SharedArrayBuffers or views of them anywhere in them (arrays,
 * plain objects, Maps, Sets), which arrive as the same shared memory. Results may hold the
 * same.
 *
 * Happens-before: `submit()` synchronizes before the task runs; everything the task did
 * synchronizes before its promise settles.
 *
 * Wakeups: none surface; each task's promise settles once, with its own outcome.
 *
 * Sharing: a pool belongs to the thread that created it (it holds the workers); share the work,
 * not the pool. Tasks may start threads and pools of their own.
 *
 * Each worker runs one task at a time, on its own event loop; callbacks a task leaves pending
 * run only while a later task awaits (a task ends when its export settles, as a thread does).
 * Module strings resolve as `Thread`'s do; on Node a `.ts` module must be an ES module.
 * **Deno** cannot interrupt running code nor `Atomics.wait`: the worker of an aborted running
 * task is replaced at once; while a task runs, threadkit's `*Sync` waits in it sleep in 20 ms
 * slices and end the aborted task's worker between two slices (within ~20 ms plus the time to
 * end a worker; a Lock it held then passes on with `OwnerDiedError`). A task running code, or
 * blocked in a raw `Atomics.wait`, ends its worker only when that code returns; after 2 s
 * (`TERMINATE_GRACE_MS`) the worker is marked ended all the same (a Lock it holds passes on with
 * `OwnerDiedError`), as `Thread.terminate()` does.
 *
 * @example Run tasks on a pool
 * ```ts ignore
 * // square.ts
 * export default function square(x: number): number {
 *   return x * x;
 * }
 * export async function slowSquare(x: number): Promise<number> {
 *   await new Promise((resolve) => setTimeout(resolve, 10));
 *   return x * x;
 * }
 *
 * // main.ts
 * import { ThreadPool } from "@threadkit/threadkit";
 *
 * await using pool = new ThreadPool(new URL("./square.ts", import.meta.url), { size: 4 });
 * console.log(await pool.submit([7])); // 49
 * console.log(await pool.submit([8], { export: "slowSquare" })); // 64
 * for await (const y of pool.map([1, 2, 3])) console.log(y); // 1, 4, 9
 * ```
 *
 * @example Share a lock and a counter with the tasks
 * ```ts ignore
 * // count.ts
 * import type { Lock } from "@threadkit/threadkit";
 * export default function count(lock: Lock, counter: Int32Array): number {
 *   using _ = lock.holdSync();
 *   return ++counter[0]!;
 * }
 *
 * // main.ts
 * import { Lock, ThreadPool } from "@threadkit/threadkit";
 * const lock = new Lock();
 * const counter = new Int32Array(new SharedArrayBuffer(4));
 * await using pool = new ThreadPool(new URL("./count.ts", import.meta.url));
 * await Promise.all(Array.from({ length: 100 }, () => pool.submit([lock, counter])));
 * console.log(counter[0]); // 100
 * ```
 */
// deno-lint-ignore no-explicit-any
export class ThreadPool<M = any> implements AsyncDisposable {
  static {
    brand(this, "ThreadPool");
  }
  /** The most workers the pool runs at once. */
  readonly size: number;
  /** The pool's name; its workers are `<name>_0`, `<name>_1`, ... */
  readonly name: string;
  readonly #module: string;
  readonly #tasks: Queue<TaskRecord>;
  /** The buffers tasks carry (see `protocol.ts`). */
  readonly #buffers = new BufferRegistry((message) => {
    for (const worker of this.#workers.values()) worker.started?.post(message);
    Atomics.add(this.#slots.control, EPOCH, 1);
  });
  readonly #slots = new Slots((id) => this.#buffers.forget(id));
  readonly #results: Queue<ResultRecord>;
  readonly #reader: ResultReader;
  /** Tasks waiting for a slot. */
  readonly #backlog = new Backlog();
  /** Tasks not settled. */
  #unsettled = 0;
  readonly #idleWaiters: (() => void)[] = [];
  /** Live workers (started, not ended, not killed), by sequence number. */
  readonly #workers = new Map<number, PoolWorker>();
  #seq = 0;
  #earlyDeaths = 0;
  #closed = false;
  #closing: Promise<void> | undefined;
  /** The task queue is shut down: no more workers. */
  #stopped = false;

  /**
   * Creates a pool for `module`'s exports. No worker starts until a task is submitted.
   *
   * @param module The module whose exports the tasks call: a `URL` (portable), or an absolute
   *   URL or path string (resolved as `Thread` resolves it).
   * @param options `size` (default: the hardware concurrency) and `name`.
   * @throws {TypeError} `module` is not a URL or a resolvable string; bad options.
   * @throws {RangeError} `size` is not a positive integer.
   *
   * @example
   * ```ts ignore
   * const pool = new ThreadPool(new URL("./tasks.ts", import.meta.url), { size: 2 });
   * ```
   */
  constructor(module: URL | string, options?: ThreadPoolOptions) {
    const { size, name } = poolOptionsOf(options);
    this.#module = moduleUrl(module, "thread pool");
    this.size = size ?? defaultSize();
    this.name = name ?? `ThreadPool-${++poolCounter}`;
    const ring = { capacityBytes: RING_BYTES, codec: recordCodec };
    this.#tasks = new Queue<TaskRecord>(0, ring);
    this.#results = new Queue<ResultRecord>(0, ring);
    this.#reader = new ResultReader(this.#results, {
      due: () => this.#due(),
      afterChange: () => this.#afterChange(),
      onRecord: (slot, kind, payload) => this.#settleSlot(slot, kind, payload, false),
    });
  }

  // -------------------------------------------------------------------------------------------
  // Public API

  /**
   * Queues a call of the export `options.export` (default `"default"`) with `args`, and gives
   * its result.
   *
   * @param args The arguments, passed positionally; structured-cloneable data, primitives and
   *   shared memory (see the class doc).
   * @param options `export`, and `signal` to cancel the task.
   * @returns A promise of the export's return value (awaited when it is a promise).
   * @throws {Error} (rejects) What the task threw, rebuilt here (name, message, stack, cause);
   *   an `Error` saying its worker ended while it ran; an `Error` when the pool is closed.
   * @throws {unknown} (rejects) `signal.reason` when cancelled.
   * @throws {TypeError} (rejects) `args` is not an array or cannot be cloned; bad options.
   *
   * @example
   * ```ts ignore
   * const pool = new ThreadPool(new URL("./tasks.ts", import.meta.url));
   * const sum = await pool.submit<number>([[1, 2, 3]], { export: "sum" });
   * ```
   */
  submit<const X = DefaultPick<M>>(
    args: PoolArgs<M, X>,
    options?: Omit<PoolSubmitOptions, "export"> & PoolExport<M, X>,
  ): Promise<PoolResult<M, X>> {
    type R = PoolResult<M, X>;
    let exportName: string;
    let signal: AbortSignal | undefined;
    try {
      if (!Array.isArray(args)) {
        throw new TypeError(`Cannot submit task: args must be an array, got ${typeOf(args)}`);
      }
      exportName = exportOf(options as PoolSubmitOptions | undefined, "submit task");
      signal = signalOf(options as PoolSubmitOptions | undefined);
      this.#assertOpen("submit task");
    } catch (error) {
      return Promise.reject(error);
    }
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    return new Promise<R>((resolve, reject) => {
      const task = new Task(
        exportName,
        args,
        (ok, value) => ok ? resolve(value as R) : reject(value),
      );
      if (signal !== undefined) {
        const onAbort = () => this.#cancel(task, signal.reason, true);
        signal.addEventListener("abort", onAbort, { once: true });
        task.cleanup = () => signal.removeEventListener("abort", onAbort);
      }
      this.#enqueue(task);
    });
  }

  /**
   * Runs the export on every item of `iterable` (each item is its one argument) and yields the
   * results: in input order (`ordered`, the default) or in completion order. Items are read
   * lazily and at most `2 × size` tasks are in flight, so an endless iterable is fine.
   *
   * The first task that fails ends the iteration with its error (in input order when ordered).
   * Leaving the loop early (`break`, an error) cancels the tasks that have not started; running
   * ones finish and their results are dropped. If the pool is closed during the loop, the
   * results of the tasks already submitted are yielded, then an `Error` says it closed.
   *
   * @param iterable The items (sync or async iterable).
   * @param options `export`, `ordered`.
   * @returns An async iterable of the results.
   * @throws {TypeError} `iterable` is not iterable; bad options.
   * @throws {Error} The pool is closed.
   * @throws {unknown} (when iterated) A task's error, or the iterable's.
   *
   * @example
   * ```ts ignore
   * const pool = new ThreadPool(new URL("./square.ts", import.meta.url));
   * for await (const y of pool.map([1, 2, 3])) console.log(y); // 1, 4, 9
   * for await (const y of pool.map(urls, { export: "fetchSize", ordered: false })) total += y;
   * ```
   */
  map<const X = DefaultPick<M>, R = MapResult<M, X>>(
    iterable: Iterable<MapItem<M, X>> | AsyncIterable<MapItem<M, X>>,
    options?: Omit<PoolMapOptions, "export"> & PoolExport<M, X>,
  ): AsyncIterableIterator<R> {
    type T = MapItem<M, X>;
    const exportName = exportOf(options as PoolMapOptions | undefined, "map");
    const ordered = orderedOf(options as PoolMapOptions | undefined);
    const open = openerOf(iterable);
    this.#assertOpen("map");
    return mapTasks<T, R>(
      {
        size: this.size,
        closed: () => this.#closed,
        describe: () => this.#describe(),
        enqueue: (task) => this.#enqueue(task),
        cancel: (task, reason) => this.#cancel(task, reason, false),
      },
      open,
      exportName,
      ordered,
    );
  }

  /**
   * Closes the pool: later submits reject. Waits for the running tasks and (unless
   * `cancelPending`) the queued ones, then ends the workers. Calling it again returns the same
   * promise (and with `cancelPending`, cancels what is still queued).
   *
   * @param options `cancelPending`: reject the tasks that have not started with an
   *   `AbortError` `DOMException` instead of running them.
   * @returns A promise that resolves once every worker has ended.
   * @throws {TypeError} (rejects) Bad options.
   *
   * @example
   * ```ts ignore
   * const pool = new ThreadPool(new URL("./tasks.ts", import.meta.url));
   * const results = [1, 2, 3].map((x) => pool.submit([x]));
   * await pool.close(); // the three tasks have run
   * ```
   */
  close(options?: PoolCloseOptions): Promise<void> {
    let cancelPending: boolean;
    try {
      cancelPending = cancelPendingOf(options);
    } catch (error) {
      return Promise.reject(error);
    }
    this.#closed = true;
    if (cancelPending) this.#cancelPending();
    return this.#closing ??= this.#shutdown();
  }

  /** Closes the pool (`close()`), for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // -------------------------------------------------------------------------------------------
  // Tasks

  #describe(): string {
    return `thread pool ${JSON.stringify(this.name)}`;
  }

  #assertOpen(what: string): void {
    if (this.#closed) throw new Error(`Cannot ${what}: ${this.#describe()} is closed`);
  }

  #enqueue(task: Task): void {
    this.#unsettled++;
    if (this.#backlog.waiting || !this.#dispatch(task)) this.#backlog.push(task);
    this.#ensureWorkers();
    this.#reader.read();
  }

  /**
   * Puts the task's record on the task queue. Returns false when there is no room (no slot, or
   * the ring is full); true when it was put, or when it cannot be and the task has failed.
   */
  #dispatch(task: Task): boolean {
    const slot = this.#slots.open();
    if (slot === undefined) return false;
    for (;;) {
      let failure: unknown;
      try {
        this.#tasks.putNowait([slot, task.exportName, task.value, task.mode]);
        break;
      } catch (error) {
        failure = error;
      }
      try {
        if (this.#buffers.prepare(task, failure)) continue;
      } catch (error) {
        failure = error;
      }
      this.#slots.abandon(slot);
      if (failure instanceof QueueFullError) return false;
      this.#finish(
        task,
        false,
        failure instanceof TypeError
          ? new TypeError(
            `Cannot submit task: ${unclonableArg(task.value)} cannot be cloned: ${
              (failure as Error).message
            }`,
            { cause: failure },
          )
          : failure,
      );
      return true;
    }
    this.#slots.bind(slot, task);
    return true;
  }

  /** Settles a task (once). */
  #finish(task: Task, ok: boolean, value: unknown): void {
    if (task.done) return;
    task.done = true;
    this.#backlog.settled(task);
    task.cleanup?.();
    task.cleanup = undefined;
    // Never dispatched (or no longer: its slot came back): no record refers to its own buffer.
    if (task.slot < 0 && task.ownBuffer !== undefined) this.#buffers.forget(task.ownBuffer);
    if (--this.#unsettled === 0) {
      for (const wake of this.#idleWaiters.splice(0)) wake();
    }
    task.settle(ok, value);
  }

  /**
   * Cancels a task: one that has not started never runs; a running one's worker is killed
   * (`kill`) or left to finish (its result is then dropped). Rejects it with `reason`.
   */
  #cancel(task: Task, reason: unknown, kill: boolean): void {
    if (task.done) return;
    const seq = this.#slots.cancel(task, kill);
    if (seq !== undefined) this.#kill(seq);
    this.#finish(task, false, reason);
    this.#afterChange();
  }

  #cancelPending(): void {
    const error = () =>
      new DOMException(
        `The task was cancelled: ${this.#describe()} was closed with cancelPending before it started`,
        "AbortError",
      );
    for (const task of this.#backlog.pending()) {
      if (!task.done) this.#finish(task, false, error());
    }
    for (const task of this.#slots.tasks()) {
      if (!task.done && this.#slots.cancelQueued(task.slot)) this.#finish(task, false, error());
    }
    this.#afterChange();
  }

  /**
   * Whether records are due: tasks are unsettled, or a live worker will still put a record
   * (the result of a task that was settled early, or the skip of a cancelled one). While this
   * holds, the reader waits on the result queue and so keeps the process alive.
   */
  #due(): boolean {
    return this.#unsettled > 0 || (this.#slots.used > 0 && this.#workers.size > 0);
  }

  /** After slots came back or tasks settled: dispatch waiting tasks, start or stop things. */
  #afterChange(): void {
    this.#backlog.pump((task) => !this.#stopped && this.#dispatch(task));
    this.#ensureWorkers();
    this.#reader.wakeIfIdle();
  }

  // -------------------------------------------------------------------------------------------
  // Results

  /** A result for `slot` (by the queue, or `wired` by a port): frees it, settles its task. */
  #settleSlot(slot: number, kind: number, payload: unknown, wired: boolean): void {
    const task = this.#slots.taskOf(slot);
    this.#slots.release(slot);
    if (task === undefined || task.done) return;
    const outcome = outcomeOf(kind, payload, wired);
    if (outcome !== undefined) this.#finish(task, outcome.ok, outcome.value);
  }

  #onMessage(worker: PoolWorker, data: unknown): void {
    const crash = data as Partial<PoolCrashMessage> | null;
    if (crash?.threadkit === "pool-crash") {
      worker.crash = { error: errorOf(crash.error, true) };
      return;
    }
    const message = data as Partial<PoolResultMessage> | null;
    if (message?.threadkit !== "pool-result" || typeof message.slot !== "number") return;
    this.#settleSlot(message.slot, message.kind ?? SKIP, message.value, true);
    this.#afterChange();
  }

  // -------------------------------------------------------------------------------------------
  // Workers

  /**
   * Starts workers while unsettled tasks outnumber them, up to `size`. (Records of settled
   * tasks need no worker of their own: the workers that run the others skip or finish them.)
   */
  #ensureWorkers(): void {
    if (this.#stopped) return;
    const wanted = Math.min(this.size, this.#unsettled);
    while (this.#workers.size < wanted) {
      if (!this.#startWorker()) return;
    }
  }

  #startWorker(): boolean {
    if (this.#seq >= MAX_WORKER_SEQ) {
      this.#failAll(new RangeError(`Cannot start a worker: ${this.#describe()} started too many`));
      return false;
    }
    const seq = ++this.#seq;
    const { worker, error } = startPoolWorker(
      seq,
      `${this.name}_${seq - 1}`,
      () => ({
        module: this.#module,
        control: this.#slots.control.buffer as SharedArrayBuffer,
        tasks: this.#tasks.handle,
        results: this.#results.handle,
        buffers: this.#buffers.known(),
        epoch: Atomics.load(this.#slots.control, EPOCH),
      }),
      (worker) => this.#workers.set(seq, worker),
      {
        message: (worker, data) => this.#onMessage(worker, data),
        exit: (worker, code) => this.#onExit(worker, code),
      },
    );
    if (error !== undefined) {
      this.#workers.delete(seq);
      if (this.#workers.size === 0) this.#failAll(error.error);
      return false;
    }
    if (this.#closed) worker.started?.ref();
    return true;
  }

  /** Terminates a worker whose task was cancelled while it ran; it is no longer counted. */
  #kill(seq: number): void {
    const worker = this.#workers.get(seq);
    if (worker === undefined) return;
    this.#workers.delete(seq);
    killPoolWorker(worker);
  }

  #onExit(worker: PoolWorker, code: number | undefined): void {
    if (!poolWorkerExited(worker, code)) return;
    this.#workers.delete(worker.seq);
    // Results it (or anyone) put before it ended come first.
    this.#reader.drain();
    let error: unknown;
    for (const slot of this.#slots.heldBy(worker.seq)) {
      const task = this.#slots.taskOf(slot);
      this.#slots.release(slot);
      if (task !== undefined && !task.done) {
        error ??= deathError(worker, code, this.#describe());
        this.#finish(task, false, error);
      }
    }
    if (!worker.killed && !this.#stopped) {
      if (Atomics.load(worker.state, LOADED) !== 0) this.#earlyDeaths = 0;
      else if (++this.#earlyDeaths >= MAX_EARLY_DEATHS) {
        this.#earlyDeaths = 0;
        this.#failAll(
          new Error(
            `Cannot run tasks: ${MAX_EARLY_DEATHS} workers of ${this.#describe()} in a row ended before they could take one`,
            { cause: deathError(worker, code, this.#describe(), "before it took a task") },
          ),
        );
      }
    }
    this.#afterChange();
  }

  /** Fails every task that has not started (no worker can run them). */
  #failAll(error: unknown): void {
    const tasks = this.#backlog.pending();
    tasks.push(...this.#slots.tasks());
    for (const task of tasks) this.#cancel(task, error, false);
  }

  async #shutdown(): Promise<void> {
    // Keep the process alive until the workers have ended (they are daemons otherwise).
    for (const worker of this.#workers.values()) worker.started?.ref();
    if (this.#unsettled > 0) await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
    this.#stopped = true;
    // Only cancelled tasks' records can be left: drop them, and wake every idle worker.
    this.#tasks.shutdown({ immediate: true });
    await Promise.all([...this.#workers.values()].map((worker) => worker.gone));
    // Nobody will report on the slots still in use now (cancelled tasks, dropped results).
    this.#reader.drain();
    this.#slots.releaseAll();
    this.#afterChange();
  }
}
