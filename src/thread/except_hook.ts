/**
 * The except hook: what happens to the errors of threads that nobody joins
 * (`setExceptHook()`, as Python's `threading.excepthook`).
 *
 * @module
 */

import type { Thread } from "./thread.ts";

/** What an except hook is called with. */
export interface ExceptHookArgs {
  /** The thrown value, rebuilt in this thread (stack and `cause` kept). */
  readonly error: unknown;
  /** The thread that threw it. */
  readonly thread: Thread;
}

/** A function that handles the errors of threads nobody joins. */
export type ExceptHook = (args: ExceptHookArgs) => void;

function defaultExceptHook({ error, thread }: ExceptHookArgs): void {
  console.error(`Exception in thread ${thread.name} (ident ${thread.ident}):`);
  console.error(error);
}

let exceptHook: ExceptHook = defaultExceptHook;

/** Calls the except hook for `thread`'s `error`; never throws. */
export function callExceptHook(error: unknown, thread: Thread): void {
  try {
    exceptHook({ error, thread });
  } catch (hookError) {
    // Never let a hook crash the parent; say what happened, as Python does.
    try {
      console.error("Exception in the thread except hook:");
      console.error(hookError);
    } catch {
      // Nothing left to report to.
    }
  }
}

/**
 * Sets the function called with the errors of threads that nobody is joining when they end (as
 * Python's `threading.excepthook`). The default prints `Exception in thread <name> (ident N):`
 * and the error (stack, cause) to stderr, and never ends the process.
 *
 * A thread's error goes to the hook when it arrives while no `join()`/`joinSync()` of that thread
 * is pending; a later `join()` still rejects with it. Errors the hook throws are printed.
 *
 * @param hook The new hook; `undefined` or `null` restores the default.
 * @returns The previous hook (to restore it later).
 * @throws {TypeError} `hook` is not a function, `undefined` or `null`.
 *
 * @example Collect the errors of unjoined threads
 * ```ts ignore
 * import { setExceptHook, Thread } from "@threadkit/threadkit";
 *
 * const errors: unknown[] = [];
 * const previous = setExceptHook(({ error }) => errors.push(error));
 * new Thread(new URL("./may_throw.ts", import.meta.url)).start();
 * // ... later
 * setExceptHook(previous);
 * ```
 */
export function setExceptHook(hook?: ExceptHook | null): ExceptHook {
  if (hook !== undefined && hook !== null && typeof hook !== "function") {
    throw new TypeError(`Cannot set the except hook: expected a function, got ${typeof hook}`);
  }
  const previous = exceptHook;
  exceptHook = hook ?? defaultExceptHook;
  return previous;
}
