/**
 * This thread, as its bootstrap set it up: its identity (`threadSelf()`), and the non-daemon
 * threads it started, which it waits for before it ends. Both are kept on `globalThis` (the
 * identity through `internal/ident.ts`), so that every copy of threadkit loaded in one thread
 * (the bootstrap's and a second one the user's module imports, e.g. `dist/mod.cjs`) sees them.
 *
 * @module
 */

import { setThreadRecord, threadRecord } from "../internal/ident.ts";

/** A thread started by threadkit, as it knows itself. */
export interface SelfInfo {
  readonly ident: number;
  readonly name: string;
  readonly daemon: boolean;
}

/** Records this thread's identity (the bootstrap, before it imports the user's module). */
export function setThreadSelf(info: SelfInfo): void {
  setThreadRecord(info);
}

/** This thread's identity if threadkit started it, else `undefined`. */
export function threadSelf(): SelfInfo | undefined {
  return threadRecord() as SelfInfo | undefined;
}

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
