/**
 * `Timer`, as Python's `threading.Timer`: a {@link Thread} whose worker starts after a delay.
 * It hands `Thread` its delay at construction and gets back its cancel (`TimerControl`).
 *
 * @module
 */

import { typeOf } from "./spawn.ts";
import { type ThreadOptions, TIMER, type TimerControl } from "./options.ts";
import { Thread } from "./thread.ts";
import type { DefaultExport, ThreadOptionsParam } from "./module_types.ts";
import { brand } from "../internal/brand.ts";

/**
 * A thread that starts after a delay, as Python's `threading.Timer`; {@link Timer.cancel}
 * stops it while it waits.
 *
 * - `start()` starts the wait (the ident is drawn at once, and the timer counts as alive);
 *   after `ms` the worker is started as a {@link Thread}'s would be.
 * - `cancel()` during the wait ends it: it never runs, `join()` resolves to `undefined`. After
 *   the wait, `cancel()` does nothing (Python's rule).
 * - A daemon Timer's wait does not keep the process alive either.
 * - `joinSync()` during the wait sleeps until the delay is over and starts the worker itself.
 *
 * Happens-before, sharing and wakeups: as {@link Thread}.
 *
 * @example Run something in a second, unless cancelled
 * ```ts ignore
 * import { Timer } from "@threadkit/threadkit";
 *
 * const t = new Timer(1000, new URL("./remind.ts", import.meta.url), { args: ["tea"] });
 * t.start();
 * if (teaIsReady) t.cancel();
 * await t.join();
 * ```
 */
// deno-lint-ignore no-explicit-any
export class Timer<M = any, E = DefaultExport<M>> extends Thread<M, E> {
  static {
    brand(this, "Timer");
  }
  /** The delay in milliseconds. */
  readonly interval: number;

  /**
   * Creates a timer that runs `module`'s export `ms` milliseconds after `start()`.
   *
   * @throws {TypeError} `ms` is not a number; bad module or options (as {@link Thread}).
   * @throws {RangeError} `ms` is negative, `NaN` or infinite.
   */
  constructor(ms: number, module: URL | string, ...[options]: ThreadOptionsParam<M, E>) {
    if (typeof ms !== "number") {
      throw new TypeError(`Cannot create timer: ms must be a number, got ${typeOf(ms)}`);
    }
    if (!Number.isFinite(ms) || ms < 0) {
      throw new RangeError(
        `Cannot create timer: ms must be a finite non-negative number, got ${ms}`,
      );
    }
    const control: TimerControl = { delay: ms, cancel: () => false };
    // Bad options go to Thread as they are, which says what is wrong with them.
    const withControl = typeof options === "object" && options !== null
      ? { ...options as ThreadOptions, [TIMER]: control } as ThreadOptions
      : options;
    super(module, ...[withControl] as ThreadOptionsParam<M, E>);
    this.interval = ms;
    this.#control = control;
  }

  readonly #control: TimerControl;
  #cancelled = false;

  /** Starts the wait; the worker starts after {@link Timer.interval} ms. @throws {RangeError} started before. */
  override start(): void {
    super.start();
    // Cancelled before start (Python's rule): it ends at once without running.
    if (this.#cancelled) this.#control.cancel();
  }

  /**
   * Stops the timer if it is still waiting: its export never runs and `join()` resolves to
   * `undefined`. Before `start()`, it makes the coming start end at once the same way. Does
   * nothing once the worker has started.
   *
   * @returns Whether this call cancelled the run.
   */
  cancel(): boolean {
    if (this.ident === 0) {
      this.#cancelled = true;
      return true;
    }
    return this.#control.cancel();
  }
}
