/**
 * A `ThreadPool`'s registry of the shared buffers its tasks carry (`protocol.ts`, "Shared memory
 * in arguments"): each buffer gets an id, is announced once to every worker and given to workers
 * started later, and is forgotten by all once the pool's own reference to it has been collected.
 * Also the forms a task record moves through when the plain one cannot hold its arguments.
 *
 * @module
 */

import {
  BUFFER_REF,
  type BufferMessage,
  BYTES,
  PLAIN,
  recordCodec,
  wire,
  WIRED,
} from "./protocol.ts";
import type { Task } from "./task.ts";

/** Registry entries: `[id, buffer]`. */
export type Registered = [number, SharedArrayBuffer][];

/** The registry of one pool. */
export class BufferRegistry {
  readonly #ids = new WeakMap<SharedArrayBuffer, number>();
  readonly #buffers = new Map<number, WeakRef<SharedArrayBuffer>>();
  #nextId = 0;
  #forgetting: number[] = [];
  readonly #finalizer = new FinalizationRegistry<number>((id) => this.forget(id));
  readonly #post: (message: BufferMessage) => void;

  /**
   * @param post Posts registry news to every live worker, then bumps EPOCH so that they read it.
   */
  constructor(post: (message: BufferMessage) => void) {
    this.#post = post;
  }

  /** The id of `buffer`, registering it (into `added`) the first time; `task` keeps it alive. */
  register(task: Task, buffer: SharedArrayBuffer, added: Registered): number {
    (task.buffers ??= []).push(buffer);
    let id = this.#ids.get(buffer);
    if (id === undefined) {
      id = ++this.#nextId;
      this.#ids.set(buffer, id);
      this.#buffers.set(id, new WeakRef(buffer));
      this.#finalizer.register(buffer, id);
      added.push([id, buffer]);
    }
    return id;
  }

  /** Forgets a buffer: now for new workers, at the next announcement for running ones. */
  forget(id: number): void {
    if (!this.#buffers.delete(id)) return;
    if (this.#forgetting.push(id) === 1) {
      queueMicrotask(() => {
        const ids = this.#forgetting;
        this.#forgetting = [];
        this.announce([], ids);
      });
    }
  }

  /** Posts registry news to every worker (nothing when there is none). */
  announce(add: Registered, forget: number[]): void {
    if (add.length === 0 && forget.length === 0) return;
    this.#post({ threadkit: "pool-buffers", add, forget });
  }

  /** The buffers registered and still alive, for a worker being started. */
  known(): Registered {
    const buffers: Registered = [];
    for (const [id, ref] of this.#buffers) {
      const buffer = ref.deref();
      if (buffer !== undefined) buffers.push([id, buffer]);
    }
    return buffers;
  }

  /**
   * After a put of `task`'s record failed with `error`: moves the record to the next form that
   * can hold the args (wired, then bytes in a buffer of their own). Returns whether there is one
   * to try.
   */
  prepare(task: Task, error: unknown): boolean {
    if (error instanceof TypeError && task.mode === PLAIN) {
      // Shared memory (or something no form can hold: the next put says so).
      const added: Registered = [];
      task.value = wire(task.value, (buffer) => this.register(task, buffer, added));
      task.mode = WIRED;
      this.announce(added, []);
      return true;
    }
    if (error instanceof RangeError && task.mode !== BYTES) {
      const bytes = recordCodec.encode([task.mode, task.value]);
      const buffer = new SharedArrayBuffer(bytes.length);
      new Uint8Array(buffer).set(bytes);
      const added: Registered = [];
      const id = this.register(task, buffer, added);
      task.ownBuffer = id;
      task.value = { [BUFFER_REF]: id, length: bytes.length };
      task.mode = BYTES;
      this.announce(added, []);
      return true;
    }
    return false;
  }
}
