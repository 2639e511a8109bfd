/**
 * The process's threads, as this thread sees them: `currentThread()`, `enumerate()` and
 * `activeCount()`, read from the registry all threads share (`internal/ident.ts`), plus the
 * threads this thread started (for their full names) and the recording of the main thread.
 *
 * @module
 */

import { aliveIdents, currentIdent, mainIdent, nameOf, setMainIdent } from "../internal/ident.ts";
import { runtime } from "../runtime/mod.ts";
import { threadSelf } from "./self.ts";

/** A thread as `currentThread()` and `enumerate()` describe it. */
export interface ThreadInfo {
  /** Its name (`"MainThread"` for the main thread). */
  readonly name: string;
  /** Its ident: a positive int32 unique among the threads of the process. */
  readonly ident: number;
  /** Whether it is the process's main thread. */
  readonly isMain: boolean;
}

/** Threads started by this thread and not yet ended, by ident (for full names in `enumerate`). */
export const startedHere: Map<number, { readonly name: string }> = new Map();

/** Records the main thread's ident in the registry, when called on the main thread. */
export function recordMain(): void {
  if (threadSelf() === undefined && runtime.isMainThread()) {
    const ident = currentIdent();
    if (mainIdent() !== ident) setMainIdent(ident);
  }
}

/**
 * The calling thread: its name, ident and whether it is the main thread.
 *
 * Threads started by threadkit see the name and ident their `Thread` was given; the main thread
 * is `"MainThread"`; workers that threadkit did not start are `"Dummy-<ident>"` unless a name was
 * recorded for their ident.
 *
 * @example
 * ```ts
 * import { currentThread } from "@threadkit/threadkit";
 * import assert from "node:assert/strict";
 *
 * const me = currentThread();
 * assert.equal(me.isMain, true);
 * assert.equal(me.name, "MainThread");
 * assert.ok(me.ident > 0);
 * ```
 */
export function currentThread(): ThreadInfo {
  const self = threadSelf();
  if (self !== undefined) {
    return Object.freeze({ name: self.name, ident: self.ident, isMain: false });
  }
  const ident = currentIdent();
  if (runtime.isMainThread()) {
    recordMain();
    return Object.freeze({ name: "MainThread", ident, isMain: true });
  }
  return Object.freeze({ name: nameOf(ident) ?? `Dummy-${ident}`, ident, isMain: false });
}

/**
 * The threads alive in this process: the main thread (once it has started a thread or asked for
 * its identity) and every threadkit thread from `start()` until it ends — including those that
 * other threads started. Ordered by ident.
 *
 * Reads the registry shared by all threads. Threads whose ident is 1024 or more are not tracked
 * there and are left out (as they are from owner-death detection).
 *
 * @example
 * ```ts
 * import { enumerate } from "@threadkit/threadkit";
 * import assert from "node:assert/strict";
 *
 * assert.ok(enumerate().some((t) => t.isMain));
 * ```
 */
export function enumerate(): ThreadInfo[] {
  recordMain();
  const main = mainIdent();
  const list: ThreadInfo[] = [];
  const self = threadSelf();
  const idents = aliveIdents();
  if (main !== 0 && !idents.includes(main)) idents.push(main);
  idents.sort((x, y) => x - y);
  for (const ident of idents) {
    if (ident === main) {
      list.push(Object.freeze({ name: "MainThread", ident, isMain: true }));
      continue;
    }
    const name = startedHere.get(ident)?.name ?? (self?.ident === ident ? self.name : undefined) ??
      nameOf(ident) ??
      `Thread-${ident}`;
    list.push(Object.freeze({ name, ident, isMain: false }));
  }
  return list;
}

/**
 * How many threads are alive in this process: `enumerate().length` (the main thread included).
 *
 * @example
 * ```ts
 * import { activeCount } from "@threadkit/threadkit";
 * import assert from "node:assert/strict";
 *
 * assert.ok(activeCount() >= 1);
 * ```
 */
export function activeCount(): number {
  return enumerate().length;
}
