/**
 * The options of `new Thread()` and `new Timer()` and their checks, the default thread names,
 * and what a `Timer` hands its `Thread` (its delay, for its cancel).
 *
 * @module
 */

import { typeOf } from "./spawn.ts";

/** Options of `new Thread(module, options)` and `new Timer(ms, module, options)`. */
export interface ThreadOptions {
  /**
   * Arguments for the export, passed positionally. Primitives (`Lock`, `Event`, ...) and their
   * handles are revived into live primitives in the thread, also inside arrays, plain objects,
   * Maps and Sets; everything else must survive structured clone. Default `[]`.
   */
  args?: readonly unknown[] | undefined;
  /** The thread's name; default `Thread-N (module)`. Stored for other threads cut to 31 chars. */
  name?: string | undefined;
  /**
   * A daemon thread does not keep the process alive: the process may end while it runs, which
   * ends it. Default: the daemon flag of the calling thread (`false` on the main thread).
   */
  daemon?: boolean | undefined;
  /** The export to call; default `"default"`. */
  export?: string | undefined;
}

/** Default-name counter of this thread. */
let counter = 0;

/**
 * What a `Timer` hands its `Thread` at construction (under {@link TIMER} in the options): its
 * delay; the thread fills in `cancel`, the Timer's one way to its pending start.
 */
export interface TimerControl {
  readonly delay: number;
  cancel: () => boolean;
}

/** The options key of a {@link TimerControl} (module-internal: not exported by `mod.ts`). */
export const TIMER: unique symbol = Symbol("threadkit.timer");

/** The checked options. @throws {TypeError} bad ones. */
export function optionsOf(options: unknown): ThreadOptions {
  if (options === undefined) return {};
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`Cannot create thread: options must be an object, got ${typeOf(options)}`);
  }
  const o = options as ThreadOptions;
  if (o.args !== undefined && !Array.isArray(o.args)) {
    throw new TypeError(`Cannot create thread: args must be an array, got ${typeOf(o.args)}`);
  }
  if (o.name !== undefined && typeof o.name !== "string") {
    throw new TypeError(`Cannot create thread: name must be a string, got ${typeOf(o.name)}`);
  }
  if (o.daemon !== undefined && typeof o.daemon !== "boolean") {
    throw new TypeError(`Cannot create thread: daemon must be a boolean, got ${typeOf(o.daemon)}`);
  }
  if (o.export !== undefined && (typeof o.export !== "string" || o.export === "")) {
    throw new TypeError(
      `Cannot create thread: export must be a non-empty string, got ${typeOf(o.export)}`,
    );
  }
  return o;
}

/** `Thread-N (file[:export])`, N counting the threads this thread named. */
export function defaultName(url: string, exportName: string): string {
  const file = url.replace(/[?#].*$/, "").split("/").pop() || url;
  return `Thread-${++counter} (${file}${exportName === "default" ? "" : `:${exportName}`})`;
}
