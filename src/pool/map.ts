/**
 * `ThreadPool.map()`'s loop: reads the items lazily, keeps at most `2 × size` tasks in flight,
 * and yields their results in input order or as they complete.
 *
 * @module
 */

import { Task } from "./task.ts";

/** What the loop needs of its pool. */
export interface MapHost {
  /** The pool's size. */
  readonly size: number;
  /** Whether the pool is closed. */
  closed(): boolean;
  /** The pool, for messages. */
  describe(): string;
  /** Queues a task. */
  enqueue(task: Task): void;
  /** Cancels a task that has not started (a running one finishes unheard). */
  cancel(task: Task, reason: unknown): void;
}

/** Runs `exportName` on every item `open()` yields (see `ThreadPool.map`). */
export async function* mapTasks<T, R>(
  host: MapHost,
  open: () => Iterator<T> | AsyncIterator<T>,
  exportName: string,
  ordered: boolean,
): AsyncIterableIterator<R> {
  const window = 2 * host.size;
  const iterator = open();
  let exhausted = false;
  /** Tasks in flight, in input order; each settles into `outcome`. */
  const flight: { task: Task; outcome?: { ok: boolean; value: unknown } }[] = [];
  /** Settled entries in completion order (unordered mode). */
  const completed: typeof flight = [];
  let wake: (() => void) | undefined;
  /** The pool closed before every item was submitted: thrown once the submitted are out. */
  let closed: Error | undefined;
  try {
    for (;;) {
      while (!exhausted && closed === undefined && flight.length < window) {
        if (host.closed()) {
          closed = new Error(`Cannot map: ${host.describe()} was closed during the loop`);
          break;
        }
        const next = await iterator.next();
        if (next.done === true) {
          exhausted = true;
          break;
        }
        const entry: (typeof flight)[number] = {
          task: new Task(exportName, [next.value], (ok, value) => {
            entry.outcome = { ok, value };
            if (!ordered) completed.push(entry);
            wake?.();
          }),
        };
        flight.push(entry);
        host.enqueue(entry.task);
      }
      if (flight.length === 0) {
        if (closed !== undefined) throw closed;
        return;
      }
      const entry = ordered ? flight[0]! : completed[0];
      if (entry?.outcome === undefined) {
        await new Promise<void>((resolve) => wake = resolve);
        wake = undefined;
        continue;
      }
      if (ordered) flight.shift();
      else {
        completed.shift();
        flight.splice(flight.indexOf(entry), 1);
      }
      if (!entry.outcome.ok) throw entry.outcome.value;
      yield entry.outcome.value as R;
    }
  } finally {
    // Left early: the tasks that have not started never will; running ones finish unheard.
    for (const { task } of flight) {
      host.cancel(task, new DOMException("The map() loop was left", "AbortError"));
    }
    if (!exhausted) await iterator.return?.();
  }
}
