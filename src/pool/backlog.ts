/**
 * A `ThreadPool`'s backlog: the tasks that wait in the submitting thread, in order, while every
 * slot is in use (or the ring is full), dispatched first-in first-out as slots come back.
 *
 * @module
 */

import type { Task } from "./task.ts";

/** The backlog of one pool. */
export class Backlog {
  /** The waiting tasks, in order; `#head` is the first live index. */
  #tasks: Task[] = [];
  #head = 0;
  /** Tasks in the backlog that are not settled. */
  #live = 0;

  /** Whether unsettled tasks wait (a new task then queues behind them). */
  get waiting(): boolean {
    return this.#live > 0;
  }

  /** Adds a task at the end. */
  push(task: Task): void {
    task.inBacklog = true;
    this.#tasks.push(task);
    this.#live++;
  }

  /** Counts a task out when it settles (it stays in the array until the head passes it). */
  settled(task: Task): void {
    if (task.inBacklog) this.#live--;
  }

  /** The tasks still in the backlog (settled ones included), in order. */
  pending(): Task[] {
    return this.#tasks.slice(this.#head);
  }

  /** Dispatches waiting tasks in order while `dispatch` finds room for them. */
  pump(dispatch: (task: Task) => boolean): void {
    const backlog = this.#tasks;
    while (this.#head < backlog.length) {
      const task = backlog[this.#head]!;
      if (!task.done) {
        if (!dispatch(task)) break;
        task.inBacklog = false;
        this.#live--;
      }
      backlog[this.#head++] = undefined!;
    }
    if (this.#head === backlog.length) {
      this.#tasks = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > backlog.length) {
      this.#tasks = backlog.slice(this.#head);
      this.#head = 0;
    }
  }
}
