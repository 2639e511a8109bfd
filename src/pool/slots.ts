/**
 * A `ThreadPool`'s task slots and their claim words (`protocol.ts` has the claim state table):
 * which slots are free, which task each used slot's record belongs to, and the pool's side of
 * every claim move — QUEUED before the put, QUEUED → CANCELLED, TAKEN(w) → FREE to kill, FREE
 * once the record was read or its worker ended.
 *
 * Invariant: only the pool writes FREE, and a slot goes back on the free list only once its
 * claim is FREE, so a slot is reused only after its record was read or its worker ended.
 *
 * @module
 */

import {
  CANCELLED,
  CLAIMS,
  doneBy,
  FIRST_WORKER_CLAIM,
  FREE,
  QUEUED,
  takenBy,
} from "./protocol.ts";
import type { Task } from "./task.ts";

/** Tasks that may be in the shared queues at once (more wait in the submitting thread). */
export const SLOTS = 1024;

/** The slots of one pool. */
export class Slots {
  /** EPOCH + CLAIM[s] (see `protocol.ts`), shared with the workers. */
  readonly control: Int32Array = new Int32Array(new SharedArrayBuffer((CLAIMS + SLOTS) * 4));
  /** Free slots (a stack). */
  readonly #free: number[] = [];
  /** The task each used slot's record belongs to (kept after it settles, until it is read). */
  readonly #tasks: (Task | undefined)[] = new Array(SLOTS);
  /** Which slots are in use (a record of theirs is in the queues or a worker holds it). */
  readonly #inUse = new Uint8Array(SLOTS);
  /** Slots in use. */
  #used = 0;
  /** Forgets a task's own buffer when its slot comes back. */
  readonly #forget: (id: number) => void;

  constructor(forget: (id: number) => void) {
    this.#forget = forget;
    for (let s = SLOTS - 1; s >= 0; s--) this.#free.push(s);
  }

  /** Slots in use. */
  get used(): number {
    return this.#used;
  }

  /** The task whose record uses `slot`, if any. */
  taskOf(slot: number): Task | undefined {
    return this.#tasks[slot];
  }

  /** The tasks whose records use a slot. */
  tasks(): Task[] {
    return this.#tasks.filter((task) => task !== undefined);
  }

  /** Takes a free slot and marks it QUEUED (before its record is put), or `undefined`. */
  open(): number | undefined {
    const slot = this.#free.pop();
    if (slot !== undefined) Atomics.store(this.control, CLAIMS + slot, QUEUED);
    return slot;
  }

  /** Gives back a slot {@link Slots.open} gave whose record could not be put. */
  abandon(slot: number): void {
    Atomics.store(this.control, CLAIMS + slot, FREE);
    this.#free.push(slot);
  }

  /** Records that `task`'s record was put in `slot`. */
  bind(slot: number, task: Task): void {
    task.slot = slot;
    this.#tasks[slot] = task;
    this.#inUse[slot] = 1;
    this.#used++;
  }

  /** Marks a slot free (its record has been read, or its worker ended or was killed). */
  release(slot: number): void {
    Atomics.store(this.control, CLAIMS + slot, FREE);
    this.#reuse(slot);
  }

  /** Returns a slot whose claim is already FREE to the free list. */
  #reuse(slot: number): void {
    if (this.#inUse[slot] === 0) return;
    this.#inUse[slot] = 0;
    const task = this.#tasks[slot];
    if (task !== undefined) {
      if (task.ownBuffer !== undefined) this.#forget(task.ownBuffer);
      task.slot = -1;
      task.buffers = undefined;
    }
    this.#tasks[slot] = undefined;
    this.#free.push(slot);
    this.#used--;
  }

  /** QUEUED → CANCELLED: the worker that takes the record skips it. Whether this call did. */
  cancelQueued(slot: number): boolean {
    return Atomics.compareExchange(this.control, CLAIMS + slot, QUEUED, CANCELLED) === QUEUED;
  }

  /**
   * Cancels `task`'s record: a queued one is skipped by the worker that takes it; a running one,
   * when `kill`, is taken back (TAKEN(w) → FREE, so that w can never report it) and w's
   * sequence number is returned for the pool to kill it. A finishing one (its result is on the
   * way, and will be dropped), or a running one not killed, is left as it is.
   */
  cancel(task: Task, kill: boolean): number | undefined {
    if (task.slot < 0) return undefined;
    const claims = this.control;
    const at = CLAIMS + task.slot;
    for (;;) {
      const claim = Atomics.load(claims, at);
      if (claim === QUEUED) {
        if (this.cancelQueued(task.slot)) return undefined;
        continue;
      }
      if (kill && claim >= FIRST_WORKER_CLAIM && (claim & 1) === 0) {
        if (Atomics.compareExchange(claims, at, claim, FREE) !== claim) continue;
        this.#reuse(task.slot);
        return (claim - FIRST_WORKER_CLAIM) >> 1;
      }
      return undefined;
    }
  }

  /** The slots worker `seq` holds: it runs their task or is posting its result. */
  heldBy(seq: number): number[] {
    const taken = takenBy(seq);
    const done = doneBy(seq);
    const held: number[] = [];
    for (let slot = 0; slot < SLOTS; slot++) {
      const claim = Atomics.load(this.control, CLAIMS + slot);
      if (claim === taken || claim === done) held.push(slot);
    }
    return held;
  }

  /** Frees every slot still claimed (the workers have all ended: nobody will report on them). */
  releaseAll(): void {
    for (let slot = 0; slot < SLOTS; slot++) {
      if (Atomics.load(this.control, CLAIMS + slot) !== FREE) this.release(slot);
    }
  }
}
