/**
 * `Queue`, `LifoQueue`, `PriorityQueue`, `SimpleQueue`: multi-producer multi-consumer queues in
 * shared memory, as Python's `queue` module (3.13, with `shutdown`).
 *
 * This module owns the public classes only: each picks a storage discipline (`storage.ts`) and a
 * name, and inherits everything else from `QueueBase` (`base.ts`); the memory layout is in
 * `header.ts`.
 *
 * @module
 */

import type { Codec } from "../codec/mod.ts";
import type { SyncWaitOptions, WaitOptions } from "../internal/options.ts";
import { opening } from "../internal/construct.ts";
import type { Handle } from "../internal/layout.ts";
import { QueueBase } from "./base.ts";
import { FIFO, geometry, LIFO, openQueue, PRIORITY, type QueueOptions } from "./header.ts";
import type { PriorityOptions } from "./storage.ts";
import { brand } from "../internal/brand.ts";

export { DEFAULT_CAPACITY_BYTES, DEFAULT_MAX_CAPACITY_BYTES, type QueueOptions } from "./header.ts";
export { QueueBase, type ShutdownOptions } from "./base.ts";
export type { PriorityOptions } from "./storage.ts";

/**
 * A first-in, first-out queue in shared memory, for any number of producer and consumer threads.
 *
 * - `maxsize` bounds the items (0: unbounded, as in Python, up to the byte limit); puts wait
 *   while it is full, gets while it is empty. Its bytes start at `capacityBytes` (by default
 *   64 KiB, or 64 bytes per item of a larger `maxsize`, rounded up to a power of two) and grow on demand up to `maxCapacityBytes` (256 MiB by default; a queue placed in a
 *   caller's `buffer`, or given `capacityBytes` alone, does not grow). Sync (`putSync`/`getSync`), async (`put`/`get`, with `signal`) and
 *   non-waiting (`putNowait`/`getNowait`) forms mix freely across threads.
 * - Items are copied in as bytes by a codec (structured-clone semantics by default; see
 *   `structuredCodec`, `float64Codec`). A put is all-or-nothing: an item that cannot be encoded
 *   (`TypeError`) or can never fit (`RangeError`) writes nothing; a timed-out or aborted put or
 *   get loses and duplicates nothing. A get whose codec's `decode` throws takes nothing: the item
 *   goes back in front, next in line, and the error reaches the caller (as Python's `get` when
 *   `_get` fails). `decode` runs outside the queue's internal lock (it may use the queue); while
 *   it runs, its item is counted by `unfinishedTasks` but not by `qsize()`, and its room stays
 *   taken.
 * - `taskDone()`/`join()` count processed items; `shutdown()` ends it (Python 3.13).
 * - FIFO per producer and overall; not fair among competing getters.
 *
 * Happens-before: a `put` synchronizes before the `get` that returns its item.
 *
 * Sharing: `Queue.from(queue.handle)` in any thread (pass `{ codec }` again if you used one).
 *
 * @example Producer and consumer
 * ```ts
 * import { Queue } from "@threadkit/threadkit";
 * import assert from "node:assert/strict";
 *
 * const queue = new Queue<{ id: number }>(10);
 * await queue.put({ id: 1 });
 * queue.putNowait({ id: 2 });
 * assert.deepEqual(queue.getSync(), { id: 1 });
 * assert.deepEqual(await queue.get(), { id: 2 });
 * assert.equal(queue.empty(), true);
 * ```
 */
export class Queue<T = unknown> extends QueueBase<T> {
  static {
    brand(this, "Queue");
  }
  /**
   * Bytes a queue with these options takes inside a caller's buffer (8-byte aligned).
   *
   * @throws {RangeError|TypeError} The options are invalid.
   */
  static byteLength(maxsize = 0, options?: { capacityBytes?: number }): number {
    return geometry("Queue", FIFO, maxsize, options?.capacityBytes).byteLength;
  }

  /**
   * Creates an empty FIFO queue.
   *
   * @param maxsize Item limit; 0 (default) for none beyond `capacityBytes`.
   * @throws {RangeError} `maxsize` or `capacityBytes` out of range; bad placement.
   * @throws {TypeError} Bad option types; `buffer` not a SharedArrayBuffer.
   */
  constructor(maxsize = 0, options?: QueueOptions<T>) {
    super("Queue", FIFO, maxsize, options);
  }

  /** Rebuilds a queue from its handle. @throws {TypeError} not the handle of a `Queue`. */
  static from<T = unknown>(handle: Handle, options?: { codec?: Codec<T> }): Queue<T> {
    return new Queue<T>(0, opening(openQueue(handle, "Queue", FIFO), options));
  }
}

/**
 * A last-in, first-out queue (a stack) in shared memory; otherwise as {@link Queue}.
 *
 * @example
 * ```ts
 * import { LifoQueue } from "@threadkit/threadkit";
 * import assert from "node:assert/strict";
 *
 * const stack = new LifoQueue<number>();
 * stack.putNowait(1);
 * stack.putNowait(2);
 * assert.equal(stack.getNowait(), 2);
 * ```
 */
export class LifoQueue<T = unknown> extends QueueBase<T> {
  static {
    brand(this, "LifoQueue");
  }
  /** Bytes a LifoQueue with these options takes inside a caller's buffer. */
  static byteLength(maxsize = 0, options?: { capacityBytes?: number }): number {
    return geometry("LifoQueue", LIFO, maxsize, options?.capacityBytes).byteLength;
  }

  /** Creates an empty LIFO queue (see {@link Queue}). */
  constructor(maxsize = 0, options?: QueueOptions<T>) {
    super("LifoQueue", LIFO, maxsize, options);
  }

  /** Rebuilds a LIFO queue from its handle. */
  static from<T = unknown>(handle: Handle, options?: { codec?: Codec<T> }): LifoQueue<T> {
    return new LifoQueue<T>(0, opening(openQueue(handle, "LifoQueue", LIFO), options));
  }
}

/**
 * A priority queue in shared memory: `get` returns the item with the lowest `priority` number,
 * FIFO among equal priorities; otherwise as {@link Queue}.
 *
 * @example
 * ```ts
 * import { PriorityQueue } from "@threadkit/threadkit";
 * import assert from "node:assert/strict";
 *
 * const tasks = new PriorityQueue<string>();
 * tasks.putNowait("later", { priority: 5 });
 * tasks.putNowait("now", { priority: 1 });
 * assert.equal(tasks.getNowait(), "now");
 * ```
 */
export class PriorityQueue<T = unknown> extends QueueBase<T, PriorityOptions> {
  static {
    brand(this, "PriorityQueue");
  }
  /** Bytes a PriorityQueue with these options takes inside a caller's buffer. */
  static byteLength(maxsize = 0, options?: { capacityBytes?: number }): number {
    return geometry("PriorityQueue", PRIORITY, maxsize, options?.capacityBytes).byteLength;
  }

  /** Creates an empty priority queue (see {@link Queue}). */
  constructor(maxsize = 0, options?: QueueOptions<T>) {
    super("PriorityQueue", PRIORITY, maxsize, options);
  }

  /** Rebuilds a priority queue from its handle. */
  static from<T = unknown>(handle: Handle, options?: { codec?: Codec<T> }): PriorityQueue<T> {
    return new PriorityQueue<T>(0, opening(openQueue(handle, "PriorityQueue", PRIORITY), options));
  }
}

/** Options of the {@link SimpleQueue} constructor. */
export interface SimpleQueueOptions<T> {
  /** How items become bytes (default `structuredCodec`). */
  codec?: Codec<T> | undefined;
  /** How far its bytes may grow (default 256 MiB); puts wait only when they reach it. */
  maxCapacityBytes?: number | undefined;
}

/** The FIFO queue a {@link SimpleQueue} keeps its items in. */
class SimpleStore<T> extends QueueBase<T> {
  constructor(options: SimpleQueueOptions<T> | undefined) {
    super("SimpleQueue", FIFO, 0, options);
  }
}

/**
 * An unbounded first-in, first-out queue in shared memory, as Python's `queue.SimpleQueue`: no
 * item limit, no `taskDone`/`join`. Its bytes grow on demand (up to `maxCapacityBytes`, 256 MiB
 * by default), so a put never waits for room before that (but for a blocking put that finds the
 * SPSC lane full while its consumer keeps up: up to 20 ms, see `Queue`'s known limits in the
 * README; `putNowait` grows at once).
 *
 * Happens-before: a `put` synchronizes before the `get` that returns its item.
 *
 * Sharing: `SimpleQueue.from(queue.handle)` in any thread (pass `{ codec }` again if you used one).
 *
 * @example
 * ```ts
 * import { SimpleQueue } from "@threadkit/threadkit";
 * import assert from "node:assert/strict";
 *
 * const queue = new SimpleQueue<string>();
 * queue.putNowait("a");
 * await queue.put("b");
 * assert.equal(queue.qsize(), 2);
 * assert.equal(queue.getNowait(), "a");
 * assert.equal(await queue.get({ timeout: 100 }), "b");
 * assert.equal(queue.empty(), true);
 * ```
 */
export class SimpleQueue<T = unknown> {
  static {
    brand(this, "SimpleQueue");
  }
  /** A structured-clone-safe description; `SimpleQueue.from(handle)` rebuilds the queue. */
  readonly handle: Handle;
  readonly #queue: SimpleStore<T>;

  /**
   * Creates an empty queue in a SharedArrayBuffer of its own.
   *
   * @throws {RangeError} `maxCapacityBytes` out of range. @throws {TypeError} Bad options.
   */
  constructor(options?: SimpleQueueOptions<T>) {
    this.#queue = new SimpleStore(options);
    this.handle = this.#queue.handle;
  }

  /** Rebuilds a queue from its handle. @throws {TypeError} not the handle of a `SimpleQueue`. */
  static from<T = unknown>(handle: Handle, options?: { codec?: Codec<T> }): SimpleQueue<T> {
    return new SimpleQueue<T>(opening(openQueue(handle, "SimpleQueue", FIFO), options));
  }

  /** Items in the queue now (a snapshot). */
  qsize(): number {
    return this.#queue.qsize();
  }

  /** Whether the queue is empty now (a snapshot). */
  empty(): boolean {
    return this.#queue.empty();
  }

  /**
   * Puts `item` now.
   *
   * @throws {QueueFullError} Its bytes are at `maxCapacityBytes`.
   * @throws {TypeError} The item cannot be encoded. @throws {RangeError} It can never fit.
   */
  putNowait(item: T): void {
    this.#queue.putNowait(item);
  }

  /** Puts `item` (blocking only while its bytes are at `maxCapacityBytes`). */
  putSync(item: T, options?: SyncWaitOptions): void {
    this.#queue.putSync(item, options);
  }

  /** Puts `item` (waiting only while its bytes are at `maxCapacityBytes`). */
  put(item: T, options?: WaitOptions): Promise<void> {
    return this.#queue.put(item, options);
  }

  /** Removes and returns an item if one is there now. @throws {QueueEmptyError} It is empty. */
  getNowait(): T {
    return this.#queue.getNowait();
  }

  /** Removes and returns an item, blocking while the queue is empty. */
  getSync(options?: SyncWaitOptions): T {
    return this.#queue.getSync(options);
  }

  /** Removes and returns an item, waiting without blocking while the queue is empty. */
  get(options?: WaitOptions): Promise<T> {
    return this.#queue.get(options);
  }
}
