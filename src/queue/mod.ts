/**
 * `Queue`, `LifoQueue`, `PriorityQueue`: bounded multi-producer multi-consumer queues in shared
 * memory, as Python's `queue` module (3.13, with `shutdown`).
 *
 * This module owns the public classes only: each picks a storage discipline (`storage.ts`) and a
 * name, and inherits everything else from `QueueBase` (`base.ts`); the memory layout is in
 * `header.ts`.
 *
 * @module
 */

import type { Codec } from "../codec/mod.ts";
import type { Handle } from "../internal/layout.ts";
import { QueueBase } from "./base.ts";
import { FIFO, geometry, LIFO, openQueue, PRIORITY, type QueueOptions } from "./header.ts";
import type { PriorityOptions } from "./storage.ts";
import { brand } from "../internal/brand.ts";

export { DEFAULT_CAPACITY_BYTES, type QueueOptions } from "./header.ts";
export { QueueBase, type ShutdownOptions } from "./base.ts";
export type { PriorityOptions } from "./storage.ts";

/** Set by `from` for the constructor it calls. */
let opening: Handle | undefined;

function takeOpening(): Handle | undefined {
  const handle = opening;
  opening = undefined;
  return handle;
}

/**
 * A first-in, first-out queue in shared memory, for any number of producer and consumer threads.
 *
 * - `maxsize` bounds the items (0: only `capacityBytes` bounds it); puts wait while it is full,
 *   gets while it is empty. Sync (`putSync`/`getSync`), async (`put`/`get`, with `signal`) and
 *   non-waiting (`putNowait`/`getNowait`) forms mix freely across threads.
 * - Items are copied in as bytes by a codec (structured-clone semantics by default; see
 *   `structuredCodec`, `float64Codec`). A put is all-or-nothing: an item that cannot be encoded
 *   (`TypeError`) or can never fit (`RangeError`) writes nothing; a timed-out or aborted put or
 *   get loses and duplicates nothing.
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
    super("Queue", FIFO, takeOpening(), maxsize, options);
  }

  /** Rebuilds a queue from its handle. @throws {TypeError} not the handle of a `Queue`. */
  static from<T = unknown>(handle: Handle, options?: { codec?: Codec<T> }): Queue<T> {
    opening = openQueue(handle, "Queue", FIFO);
    return new Queue<T>(0, options);
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
    super("LifoQueue", LIFO, takeOpening(), maxsize, options);
  }

  /** Rebuilds a LIFO queue from its handle. */
  static from<T = unknown>(handle: Handle, options?: { codec?: Codec<T> }): LifoQueue<T> {
    opening = openQueue(handle, "LifoQueue", LIFO);
    return new LifoQueue<T>(0, options);
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
    super("PriorityQueue", PRIORITY, takeOpening(), maxsize, options);
  }

  /** Rebuilds a priority queue from its handle. */
  static from<T = unknown>(handle: Handle, options?: { codec?: Codec<T> }): PriorityQueue<T> {
    opening = openQueue(handle, "PriorityQueue", PRIORITY);
    return new PriorityQueue<T>(0, options);
  }
}
