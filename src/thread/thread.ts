/**
 * `Thread`, as Python's `threading.Thread`, on workers.
 *
 * A thread runs one export of a module in a worker of its own, started on threadkit's bootstrap
 * (`src/bootstrap.ts`, then `runner.ts`), which revives the primitives in its arguments, calls
 * the export and reports the outcome. Each thread has a shared *state word*
 * (`runtime/state_word.ts`) that says RUNNING until the export settles or the worker ends; it is
 * the one signal of a thread's end that every runtime gives truthfully, and what `joinSync()`
 * blocks on. A `Timer` (`timer.ts`) is a thread whose launch waits for a delay: it hands this
 * class its delay at construction ({@link TimerControl}) and gets back its cancel.
 *
 * @module
 */

import { TimeoutError } from "../errors.ts";
import { assertCanBlock, deadlineAfter, now, runSync } from "../internal/futex.ts";
import { LIFE_ENDED, setLife } from "../internal/ident.ts";
import {
  ms,
  rejectSignal,
  signalOf,
  type SyncWaitOptions,
  timeoutOf,
  type WaitOptions,
} from "../internal/options.ts";
import { assertSharedMemory } from "../internal/layout.ts";
import { revive, toWire } from "../internal/revive.ts";
import { runtime, type StartedWorker, type TimerHandle } from "../runtime/mod.ts";
import {
  EXITED,
  KILL,
  RETURNED,
  RUNNING,
  settleState,
  STATE,
  STATE_BYTES,
  THREW,
} from "../runtime/state_word.ts";
import { callExceptHook } from "./except_hook.ts";
import type { DefaultExport, ResultOf, ThreadOptionsParam } from "./module_types.ts";
import { defaultName, optionsOf, TIMER, type TimerControl } from "./options.ts";
import { decodeError, isResultMessage, type ResultMessage, type StartMessage } from "./protocol.ts";
import { startedHere } from "./registry.ts";
import { sleepUntil, whileRunning } from "./waits.ts";
import { holdThreadFor, threadSelf } from "./self.ts";
import {
  draw,
  endedHow,
  launch,
  markExited,
  moduleUrl,
  type Spawned,
  spawnFields,
  TERMINATE_GRACE_MS,
  unclonableArg,
} from "./spawn.ts";
import { brand } from "../internal/brand.ts";

type Outcome = { readonly ok: true; readonly value: unknown } | {
  readonly ok: false;
  readonly error: unknown;
};

export { TERMINATE_GRACE_MS };

/** Longest delay one runtime timer takes (2^31-1 ms); longer Timer delays re-arm. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A thread of execution: one export of a module, run in a worker of its own, as Python's
 * `threading.Thread` runs one function.
 *
 * - `start()` starts it (once); `join()` / `joinSync()` wait for it and give the export's return
 *   value, or throw the error it threw (name, message, stack and `cause` kept; threadkit's and
 *   the built-in error classes are rebuilt as such).
 * - The export is called with the revived `args` and may be async. The thread ends when the
 *   export settles, as a Python thread ends when its target returns: callbacks and timers still
 *   pending in the worker are dropped (await what you start). It first waits for the non-daemon
 *   threads it started itself.
 * - An uncaught error or unhandled rejection anywhere in the thread before its export settles
 *   ends the thread with that error, on every runtime alike.
 * - A thread that ends without releasing a `Lock`/`RLock` it holds (it returns, throws, calls
 *   `process.exit`, or is terminated) hands it to the next acquirer with `OwnerDiedError`.
 * - `daemon` threads do not keep the process alive; errors of threads nobody joins go to the
 *   except hook ({@link setExceptHook}).
 *
 * Happens-before: everything the thread did before its export settled synchronizes before the
 * `join()`/`joinSync()` that returns its outcome; `start()` synchronizes before the export runs.
 *
 * Sharing: a `Thread` object belongs to the thread that created it (it holds the worker); other
 * threads see it through `enumerate()` and `currentThread()`. Pass primitives, not threads.
 *
 * Module strings: absolute URLs are used as they are; paths (`"/abs/x.ts"`, `"./x.ts"`) resolve
 * against the current working directory (server runtimes) or the document's base URL (browsers),
 * like `node ./x.ts`. A `URL` — `new URL("./x.ts", import.meta.url)` — is the portable form. On
 * Node, a `.ts` thread module must be an ES module (`"type": "module"` or `.mts`).
 *
 * Wakeups: `joinSync` re-checks the state word after every wake; spurious wakes never surface.
 *
 * Types: give the module's type, `new Thread<typeof import("./sum.ts")>(url, { args })`, and
 * `args` is checked against the default export's parameters and `join()` gives its (awaited)
 * return type; name another export as the second type argument, `new Thread<typeof
 * import("./work.ts"), "square">(url, { export: "square", args: [3] })`. The older
 * `new Thread<number>(...)` (the result type only) and an untyped `new Thread(...)` still work
 * (see `module_types.ts` for how the two readings are told apart).
 *
 * @example Run an export in a thread and get its result
 * ```ts ignore
 * // sum.ts
 * import type { Lock } from "@threadkit/threadkit";
 * export default function sum(lock: Lock, numbers: number[]): number {
 *   using _ = lock.holdSync();
 *   return numbers.reduce((a, b) => a + b, 0);
 * }
 *
 * // main.ts
 * import { Lock, Thread } from "@threadkit/threadkit";
 * const t = new Thread<number>(new URL("./sum.ts", import.meta.url), {
 *   args: [new Lock(), [1, 2, 3]],
 *   name: "summer",
 * });
 * t.start();
 * console.log(await t.join({ timeout: 5000 })); // 6
 * ```
 */
// deno-lint-ignore no-explicit-any
export class Thread<M = any, E = DefaultExport<M>> {
  static {
    brand(this, "Thread");
  }
  /** The thread's name. */
  readonly name: string;
  /** Whether the thread is a daemon: it does not keep the process alive. */
  readonly daemon: boolean;
  readonly #module: string;
  readonly #export: string;
  readonly #args: unknown;
  readonly #state: Int32Array;
  #ident = 0;
  #spawned: Spawned | undefined;
  #started = false;
  #worker: StartedWorker | undefined;
  /** A Timer's pending start. */
  #pending: { timer: TimerHandle; due: number } | undefined;
  #outcome: Outcome | undefined;
  /** An error the runtime reported about the worker, used if it ends without a result. */
  #crash: { error: unknown } | undefined;
  #terminating = false;
  #exited = false;
  /** Pending join()/joinSync() calls. */
  #joiners = 0;
  readonly #waiters = new Set<() => void>();
  /** Pending terminate() calls: called once the worker is gone, or with an error (abandoned). */
  readonly #exitWaiters = new Set<(stuck?: Error) => void>();
  /** Deno: the timer after which a terminate() stops waiting for the worker's end. */
  #grace: TimerHandle | undefined;
  readonly #done: Promise<void>;
  #resolveDone!: () => void;
  /** A Timer's delay: the launch waits for it. */
  readonly #delay: number | undefined;

  /**
   * Creates a thread that will run `module`'s export `options.export` (default `"default"`) with
   * `options.args`. Nothing runs until {@link Thread.start}.
   *
   * @param module The module to run: a `URL` (portable), or an absolute URL or path string.
   * @param options `args`, `name`, `daemon`, `export`.
   * @throws {TypeError} `module` is not a URL or a resolvable string (a path to a missing file:
   *   the message says how it was resolved); bad options.
   */
  constructor(module: URL | string, ...[options]: ThreadOptionsParam<M, E>) {
    assertSharedMemory("Thread");
    this.#state = new Int32Array(new SharedArrayBuffer(STATE_BYTES));
    const o = optionsOf(options);
    this.#module = moduleUrl(module, "thread");
    this.#export = o.export ?? "default";
    this.#args = toWire(o.args ?? []);
    this.name = o.name ?? defaultName(this.#module, this.#export);
    this.daemon = o.daemon ?? threadSelf()?.daemon ?? false;
    this.#done = new Promise<void>((resolve) => this.#resolveDone = resolve);
    const timer = (options as { [TIMER]?: TimerControl } | undefined)?.[TIMER];
    this.#delay = timer?.delay;
    if (timer !== undefined) timer.cancel = () => this.#cancel();
  }

  /**
   * The thread's ident, a positive int32 unique among the threads of the process; known as soon
   * as `start()` returns (`0` before).
   */
  get ident(): number {
    return this.#ident;
  }

  /**
   * Starts the thread. The ident is drawn and the worker created at once; the export runs once
   * the worker has loaded the module (a few to tens of ms, see `runtime/mod.ts`).
   *
   * @throws {RangeError} The thread was started before.
   * @throws {TypeError} `args` cannot be cloned (the message names the argument's index and
   *   type); the thread is then not started.
   * @throws {Error} The runtime refused to create the worker; the thread has then ended with
   *   this error (`join()` rejects with it).
   */
  start(): void {
    if (this.#started) {
      throw new RangeError(`Cannot start ${this.#describe()}: a thread can only be started once`);
    }
    try {
      structuredClone(this.#args);
    } catch (error) {
      throw new TypeError(
        `Cannot start ${this.#describe()}: ${unclonableArg(this.#args)} cannot be cloned: ${
          (error as Error)?.message ?? error
        }`,
        { cause: error },
      );
    }
    this.#started = true;
    this.#spawned = draw(this.name, this.#state);
    this.#ident = this.#spawned.ident;
    startedHere.set(this.#ident, this);
    if (!this.daemon) holdThreadFor(this.#done);
    if (this.#delay !== undefined) {
      this.#schedule(this.#delay);
      return;
    }
    const failure = this.#launch(false);
    if (failure !== undefined) throw failure.error;
  }

  /**
   * Creates the worker and posts the start message. If the runtime refuses (a bad URL scheme, a
   * page's CSP), the thread ends with that error, which is returned; `report` sends it to the
   * except hook too (a Timer's launch, which no caller sees).
   */
  #launch(report = true): { error: unknown } | undefined {
    try {
      const message: StartMessage = {
        threadkit: "start",
        ...spawnFields(this.#spawned!, this.#module, this.daemon),
        export: this.#export,
        args: this.#args as unknown[],
      };
      this.#worker = launch(
        message,
        {
          message: (data) => {
            if (isResultMessage(data)) this.#onResult(data);
          },
          error: (error) => {
            this.#crash ??= { error };
          },
          exit: (code) => this.#onExit(code),
        },
      );
      if (this.daemon && this.#joiners > 0) this.#worker.ref();
      return undefined;
    } catch (error) {
      settleState(this.#state, THREW);
      this.#end({ ok: false, error }, report);
      this.#exited = true;
      return { error };
    }
  }

  /** Timer: starts the worker after `delay` ms (re-arming past the runtime's timer range). */
  #schedule(delay: number): void {
    const due = now() + delay;
    const arm = (first: boolean) => {
      const left = due - now();
      // The first arming always goes through the runtime's timer, so that a Timer never starts
      // its worker inside start() (cancel() right after start() always wins).
      if (first || left > 0) {
        const timer = runtime.setTimer(
          () => arm(false),
          Math.min(Math.max(Math.ceil(left), 0), MAX_TIMER_MS),
        );
        this.#pending = { timer, due };
        if (this.daemon && this.#joiners === 0) timer.unref();
        return;
      }
      this.#pending = undefined;
      this.#launch();
    };
    arm(true);
  }

  /** Timer: cancels a pending start; the thread ends as if its export returned `undefined`. */
  #cancel(): boolean {
    const pending = this.#pending;
    if (pending === undefined) return false;
    pending.timer.clear();
    this.#pending = undefined;
    settleState(this.#state, RETURNED);
    this.#end({ ok: true, value: undefined }, false);
    this.#exited = true;
    return true;
  }

  #onResult(message: ResultMessage): void {
    if (this.#outcome !== undefined) return;
    let outcome: Outcome;
    try {
      outcome = message.ok
        ? { ok: true, value: revive(message.value) }
        : { ok: false, error: decodeError(message.error, revive) };
    } catch (error) {
      outcome = { ok: false, error };
    }
    // The bootstrap moves the state too, after posting; the first CAS wins, the value is the same.
    settleState(this.#state, outcome.ok ? RETURNED : THREW);
    this.#end(outcome, !message.ok);
  }

  #onExit(code: number | undefined): void {
    this.#grace?.clear();
    this.#grace = undefined;
    if (this.#exited) return;
    this.#exited = true;
    this.#worker = undefined;
    markExited(this.#spawned!, code);
    if (this.#outcome === undefined) {
      if (this.#crash !== undefined && !this.#terminating) {
        this.#end({ ok: false, error: this.#crash.error }, true);
      } else {
        const how = this.#terminating ? "was terminated" : endedHow(this.#state, code, "exited");
        this.#end({
          ok: false,
          error: new Error(`${capitalize(this.#describe())} ${how} before its export settled`),
        }, false);
      }
    }
    for (const wake of this.#exitWaiters) wake();
    this.#exitWaiters.clear();
  }

  /** Records the outcome (once), marks the thread ended and wakes the joiners. */
  #end(outcome: Outcome, thrownByThread: boolean): void {
    if (this.#outcome !== undefined) return;
    this.#outcome = outcome;
    setLife(this.#ident, LIFE_ENDED);
    startedHere.delete(this.#ident);
    // Decide before waking: woken joiners stop counting themselves.
    const unjoined = this.#joiners === 0;
    this.#resolveDone();
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
    if (!outcome.ok && thrownByThread && unjoined) {
      callExceptHook(outcome.error, this as unknown as Thread);
    }
  }

  #describe(): string {
    return this.#ident === 0
      ? `thread ${JSON.stringify(this.name)}`
      : `thread ${this.#ident} ${JSON.stringify(this.name)}`;
  }

  #result(): ResultOf<M, E> {
    const outcome = this.#outcome!;
    if (outcome.ok) return outcome.value as ResultOf<M, E>;
    throw outcome.error;
  }

  #timedOut(timeout: number): TimeoutError {
    return new TimeoutError(
      `Cannot join ${this.#describe()}: timed out after ${ms(timeout)}; it is still running`,
    );
  }

  /** Keeps a daemon thread's worker (or pending Timer start) ref'd while someone joins it. */
  #joinStarted(): void {
    if (this.#joiners++ === 0 && this.daemon) {
      this.#worker?.ref();
      this.#pending?.timer.ref();
    }
  }

  #joinEnded(): void {
    if (--this.#joiners === 0 && this.daemon) {
      this.#worker?.unref();
      this.#pending?.timer.unref();
    }
  }

  /**
   * Whether the thread is alive: from `start()` until its export settles or its worker ends (a
   * Timer is alive while it waits). Reads the shared state word, so it is right even while this
   * thread has not yet run the event that reports the end.
   */
  isAlive(): boolean {
    return this.#started && this.#outcome === undefined &&
      Atomics.load(this.#state, STATE) === RUNNING;
  }

  /**
   * Waits, without blocking, until the thread has ended, and gives its outcome. The thread keeps
   * running when the wait times out or is aborted.
   *
   * @param options `timeout` in ms (`0` checks once; default `Infinity`), `signal` to abort.
   * @returns A promise of the export's return value (revived primitives included).
   * @throws {Error} (rejects) What the thread threw, rebuilt here (name, message, stack, cause),
   *   or an `Error` saying the thread was terminated or exited before its export settled.
   * @throws {TimeoutError} (rejects) `timeout` ran out.
   * @throws {RangeError} (rejects) The thread was not started.
   * @throws {TypeError|RangeError} (rejects) Bad options.
   *
   * @example
   * ```ts ignore
   * const t = new Thread<string>(new URL("./hello.ts", import.meta.url), { args: ["world"] });
   * t.start();
   * console.log(await t.join({ timeout: 1000 }));
   * ```
   */
  join(options?: WaitOptions): Promise<ResultOf<M, E>> {
    let timeout: number;
    let signal: AbortSignal | undefined;
    try {
      timeout = timeoutOf(options, "join thread");
      signal = signalOf(options, "join thread");
      if (!this.#started) {
        throw new RangeError(`Cannot join ${this.#describe()}: it has not been started`);
      }
    } catch (error) {
      return Promise.reject(error);
    }
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    if (this.#outcome !== undefined) return this.#settled();
    if (timeout === 0) return Promise.reject(this.#timedOut(0));
    this.#joinStarted();
    return new Promise<ResultOf<M, E>>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const cleanup = () => {
        this.#waiters.delete(onDone);
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.#joinEnded();
      };
      const onDone = () => {
        cleanup();
        this.#settled().then(resolve, reject);
      };
      const onAbort = () => {
        cleanup();
        reject(signal!.reason);
      };
      this.#waiters.add(onDone);
      signal?.addEventListener("abort", onAbort, { once: true });
      if (timeout !== Infinity) {
        timer = setTimeout(() => {
          cleanup();
          reject(this.#timedOut(timeout));
        }, Math.min(timeout, MAX_TIMER_MS));
      }
    });
  }

  #settled(): Promise<ResultOf<M, E>> {
    try {
      return Promise.resolve(this.#result());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Blocks the calling thread until the thread has ended, and gives its outcome. Where blocking
   * is forbidden (a browser's main thread) it throws; use {@link Thread.join}.
   *
   * Blocks on the shared state word, so it returns as soon as the thread's export settles even
   * though this thread runs no events meanwhile. A thread ended from outside (`terminate()`, a
   * crash of the worker) is seen only when this thread runs its events: `await terminate()`
   * before joining it.
   *
   * @param options `timeout` in ms (`0` checks once; default `Infinity`).
   * @returns The export's return value.
   * @throws {Error} What the thread threw (as {@link Thread.join}).
   * @throws {TimeoutError} `timeout` ran out; the thread keeps running.
   * @throws {RangeError} The thread was not started; `timeout` is negative or `NaN`.
   * @throws {TypeError} Blocking is not allowed here; this runtime cannot receive the result
   *   without its event loop (browsers: use `join()`); bad options.
   *
   * @example
   * ```ts ignore
   * const t = new Thread<number>(new URL("./work.ts", import.meta.url));
   * t.start();
   * const result = t.joinSync({ timeout: 5000 });
   * ```
   */
  joinSync(options?: SyncWaitOptions): ResultOf<M, E> {
    const timeout = timeoutOf(options, "join thread");
    rejectSignal(options, "join thread", "thread.join()");
    assertCanBlock("thread.join()");
    if (!this.#started) {
      throw new RangeError(`Cannot join ${this.#describe()}: it has not been started`);
    }
    if (this.#outcome !== undefined) return this.#result();
    const deadline = deadlineAfter(timeout);
    this.#joiners++;
    try {
      // A Timer that has not started its worker: its runtime timer cannot fire while we block,
      // so sleep until it is due and start the worker from here.
      const pending = this.#pending;
      if (pending !== undefined) {
        runSync(sleepUntil(Math.min(pending.due, deadline)));
        if (now() < pending.due) throw this.#timedOut(timeout);
        pending.timer.clear();
        this.#pending = undefined;
        this.#launch();
        if (this.#outcome !== undefined) return this.#result();
      }
      if (!runSync(whileRunning(this.#state, deadline))) throw this.#timedOut(timeout);
      this.#collect(deadline);
      return this.#result();
    } finally {
      this.#joiners--;
    }
  }

  /** joinSync: the state has left RUNNING; take the outcome without the event loop. */
  #collect(deadline: number): void {
    const state = Atomics.load(this.#state, STATE);
    if (state === EXITED) {
      // Written by the thread's exit hook (an exit call), or by our exit event, already handled.
      if (this.#outcome === undefined) this.#onExit(undefined);
      return;
    }
    // RETURNED / THREW: the result was posted before the state moved, so it is queued on the
    // port (unless our event loop already took it).
    const worker = this.#worker;
    // The queue is filled by the poster itself, but give a slow runtime a few ms, bounded.
    const patience = Math.min(deadline, now() + 1000);
    while (this.#outcome === undefined) {
      const received = worker?.receiveSync();
      if (received === null) {
        throw new TypeError(
          `Cannot join ${this.#describe()} synchronously: this runtime delivers its result only to the event loop; use thread.join()`,
        );
      }
      if (received !== undefined) {
        if (isResultMessage(received.message)) this.#onResult(received.message);
        continue;
      }
      if (worker === undefined || now() >= patience) {
        throw new Error(`Cannot join ${this.#describe()}: it ended but its result did not arrive`);
      }
      runSync(sleepUntil(now() + 1));
    }
  }

  /**
   * Ends the thread from outside. What it held counts as owner death: the next acquirer of a
   * `Lock`/`RLock` it held gets `OwnerDiedError`. A later `join()` rejects with an `Error` saying
   * it was terminated, unless its result was posted before this call. A thread whose export has
   * already settled is ending by itself: this waits for that. A Timer that has not started yet is
   * cancelled instead. Does nothing to a thread that was not started or has ended.
   *
   * Node, Bun and browsers stop the worker wherever it is, even inside a blocking wait. **Deno**
   * does not interrupt running code nor `Atomics.wait`: the worker ends once its current task is
   * done. So on Deno, threadkit's own `*Sync` waits in a thread sleep in slices of 20 ms and end
   * the thread between two slices once it is terminated: such a thread ends within ~20 ms plus
   * the time to end a worker. A thread that is running code, or blocked in a raw `Atomics.wait`
   * of its own, ends only when that returns; if it has not ended within 2 s
   * ({@link TERMINATE_GRACE_MS}), the thread is marked ended all the same (`isAlive()` is false,
   * `join()` rejects, a `Lock` it holds passes on with `OwnerDiedError`) and the promise rejects
   * saying that its worker runs on (and, being a Web Worker, keeps the process alive) until that
   * code returns. Either way its result is discarded.
   *
   * @returns A promise that resolves once the worker is gone.
   * @throws {Error} (rejects, Deno only) The worker did not end within 2 s; the thread is marked
   *   ended regardless.
   *
   * @example
   * ```ts ignore
   * const t = new Thread(new URL("./forever.ts", import.meta.url));
   * t.start();
   * await t.terminate();
   * console.log(t.isAlive()); // false
   * ```
   */
  terminate(): Promise<void> {
    if (!this.#started || this.#exited) return Promise.resolve();
    if (this.#pending !== undefined) {
      this.#cancel();
      return Promise.resolve();
    }
    const worker = this.#worker;
    if (worker === undefined) return Promise.resolve();
    const gone = new Promise<void>((resolve, reject) => {
      this.#exitWaiters.add((stuck) => stuck === undefined ? resolve() : reject(stuck));
    });
    // Keep the process alive until the exit is seen, even for a daemon thread.
    worker.ref();
    // A thread whose export has settled is ending by itself (after its own non-daemon threads):
    // wait for that rather than race it (Deno loses track of workers killed while exiting).
    if (Atomics.load(this.#state, STATE) === RUNNING) {
      this.#terminating = true;
      // For runtimes that end a worker only between tasks (Deno): its bootstrap then posts no
      // result, so that a terminated thread has none on every runtime; threadkit's sync waits in
      // the thread read it between slices and end the thread (`runner.ts`).
      Atomics.store(this.#state, KILL, 1);
      worker.terminate();
      if (!runtime.terminateInterrupts && this.#grace === undefined) {
        this.#grace = runtime.setTimer(() => this.#abandon(), TERMINATE_GRACE_MS);
      }
    }
    return gone;
  }

  /**
   * The worker did not end within {@link TERMINATE_GRACE_MS} of `terminate()` (Deno: it runs code
   * or sits in a raw `Atomics.wait`, neither of which Deno interrupts). Ends the thread as far as
   * threadkit can: marks it ended (a lock it holds passes on with `OwnerDiedError`), settles its
   * joiners, and rejects the pending `terminate()` calls saying the worker still runs.
   */
  #abandon(): void {
    this.#grace = undefined;
    if (this.#exited) return;
    this.#exited = true;
    markExited(this.#spawned!, undefined);
    // A daemon's worker goes back to keeping nothing alive (terminate() ref'd it).
    if (this.daemon) this.#worker?.unref();
    const stuck = `its worker did not end within ${TERMINATE_GRACE_MS} ms: it is running code or ` +
      `blocked in a raw Atomics.wait, which ${runtime.name} cannot interrupt, and runs on until ` +
      `that returns`;
    this.#end({
      ok: false,
      error: new Error(
        `${capitalize(this.#describe())} was terminated before its export ` +
          `settled, but ${stuck}`,
      ),
    }, false);
    const error = new Error(
      `Cannot terminate ${this.#describe()} fully: ${stuck}. The thread is marked ended (locks ` +
        `it holds pass on with OwnerDiedError)`,
    );
    for (const wake of this.#exitWaiters) wake(error);
    this.#exitWaiters.clear();
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
