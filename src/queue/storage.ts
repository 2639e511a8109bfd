/**
 * The storage disciplines of the queues: the record formats of the data area and the order items
 * come out in. Each is an object behind one {@link Storage} interface (`room`, `store`, `peek`,
 * `remove`, `clear`); a queue makes one at construction and calls it with LOCK held.
 *
 * Records (`header.ts` has the areas and the slots):
 * - FIFO ring ({@link Ring}): `[int32 length][bytes, padded to 4]` at HEAD..TAIL, wrapping; a
 *   length of -1 (or HEAD reaching CAPACITY) means "continue at 0". Empty ⇒ HEAD = TAIL = 0;
 *   COUNT > 0 and HEAD = TAIL ⇒ full.
 * - LIFO stack ({@link Stack}): `[bytes, padded to 4][int32 length]` from 0 up to TAIL; pop reads
 *   the length below TAIL.
 * - Priority arena ({@link Heap}): `[int32 length][bytes, padded]` appended at TAIL; the heap
 *   holds `(offset, length, order)` + priority; freed records are reclaimed when the arena is
 *   compacted (only when an item would not fit at TAIL but fits in the free bytes).
 *
 * Every method runs with LOCK held; COUNT is the caller's (it counts after `store` and before
 * `remove` returns), so a discipline reads COUNT as "items stored before this call".
 *
 * @module
 */

import {
  type Areas,
  COUNT,
  FIFO,
  HEAD,
  LIFO,
  LIVE,
  ORDER,
  pad4,
  recordSize,
  TAIL,
} from "./header.ts";

/** Options of `PriorityQueue.put*`. */
export interface PriorityOptions {
  /** Lower numbers come out first; FIFO among equal priorities. Default 0. */
  priority?: number | undefined;
}

/**
 * One storage discipline of one queue (all methods with LOCK held).
 *
 * A get is two steps, `peek` then `remove`, so that it can decode the item between them and
 * take nothing when the codec throws (as Python's `get` leaves the item when `_get` fails).
 */
export interface Storage {
  /** Where a record of `size` bytes goes now, or -1 when there is no room. */
  room(size: number, count: number): number;
  /** Stores `bytes` at `at` (from `room`) with `priority`. */
  store(bytes: Uint8Array, at: number, priority: number): void;
  /** The next record's bytes, copied into the thread's scratch; removes nothing (COUNT > 0). */
  peek(): Uint8Array;
  /** Removes the record `peek` just returned (COUNT > 0, LOCK held since that `peek`). */
  remove(): void;
  /** Resets the storage of an empty queue. */
  clear(): void;
  /**
   * Re-lays the records after the data area grew from `oldCapacity` bytes to its new size (its
   * bytes are already at their new place; COUNT and the slots are as before the growth).
   */
  grown(oldCapacity: number): void;
  /** The priority a put asks for (0 where the discipline has none). @throws on a bad one */
  priorityOf(options: PriorityOptions | undefined): number;
}

/** Record length marking "wrap to 0" in the FIFO ring. */
const WRAP = -1;

/** Per-thread scratch for records read out of a queue (decoded before the next get). */
let readScratch = new Uint8Array(256);

/** Copies `length` bytes at `start` of `u8` into the thread's scratch, grown as needed. */
function copyOut(u8: Uint8Array, start: number, length: number): Uint8Array {
  if (readScratch.length < length) {
    let size = readScratch.length;
    while (size < length) size *= 2;
    readScratch = new Uint8Array(size);
  }
  const bytes = readScratch.subarray(0, length);
  bytes.set(u8.subarray(start, start + length));
  return bytes;
}

/** What every discipline holds: the header and the data area; no priorities, one reset. */
abstract class Records implements Storage {
  protected readonly i32: Int32Array;
  protected readonly u8: Uint8Array;
  protected readonly dv: DataView;

  constructor(i32: Int32Array, areas: Areas) {
    this.i32 = i32;
    this.u8 = areas.u8;
    this.dv = areas.dv;
  }

  abstract room(size: number, count: number): number;
  abstract store(bytes: Uint8Array, at: number, priority: number): void;
  abstract peek(): Uint8Array;
  abstract remove(): void;

  priorityOf(_options: PriorityOptions | undefined): number {
    return 0;
  }

  clear(): void {
    const i32 = this.i32;
    i32[HEAD] = 0;
    i32[TAIL] = 0;
    i32[LIVE] = 0;
  }

  /** A stack and an arena only gain room past TAIL: nothing to move. */
  grown(_oldCapacity: number): void {}
}

/** FIFO: a ring of length-prefixed records from HEAD to TAIL. */
class Ring extends Records {
  room(size: number, count: number): number {
    if (count === 0) return size <= this.u8.length ? 0 : -1; // larger: the queue must grow first
    const i32 = this.i32;
    const head = i32[HEAD]!;
    const tail = i32[TAIL]!;
    if (tail > head) {
      if (size <= this.u8.length - tail) return tail;
      return size <= head ? 0 : -1; // wraps to 0, leaving a WRAP mark at tail
    }
    return size <= head - tail ? tail : -1; // wrapped (tail <= head); equal means full
  }

  store(bytes: Uint8Array, at: number): void {
    const i32 = this.i32;
    const tail = i32[TAIL]!;
    if (at !== tail && tail + 4 <= this.u8.length) this.dv.setInt32(tail, WRAP, true);
    this.dv.setInt32(at, bytes.length, true);
    this.u8.set(bytes, at + 4);
    i32[TAIL] = at + recordSize(bytes.length);
  }

  /** Where the oldest record starts: HEAD, or 0 when HEAD marks (or is too near) the end. */
  #head(): number {
    const head = this.i32[HEAD]!;
    return head + 4 > this.u8.length || this.dv.getInt32(head, true) === WRAP ? 0 : head;
  }

  /** Where the record the last `peek` copied ends (`remove` runs under the same LOCK hold). */
  #peekedEnd = 0;

  peek(): Uint8Array {
    const head = this.#head();
    const length = this.dv.getInt32(head, true);
    this.#peekedEnd = head + recordSize(length);
    return copyOut(this.u8, head + 4, length);
  }

  remove(): void {
    this.i32[HEAD] = this.#peekedEnd;
  }

  /**
   * Unwrapped (HEAD < TAIL, or empty), the new bytes extend the free run after TAIL: nothing
   * moves. Wrapped (COUNT > 0 and TAIL <= HEAD; equal is full), the records read HEAD..old end,
   * then 0..TAIL: the part from HEAD to the old end (with its WRAP mark, or the < 4 byte slack
   * that stands for one) moves to the new end, so HEAD..end, then 0..TAIL reads the same records
   * in the same order and the new bytes join the free run TAIL..HEAD.
   */
  override grown(oldCapacity: number): void {
    const i32 = this.i32;
    const head = i32[HEAD]!;
    if (Atomics.load(i32, COUNT) === 0 || i32[TAIL]! > head) return;
    const shift = this.u8.length - oldCapacity;
    this.u8.copyWithin(head + shift, head, oldCapacity);
    i32[HEAD] = head + shift;
  }
}

/** LIFO: records stacked from 0 to TAIL, each with its length on top. */
class Stack extends Records {
  room(size: number): number {
    const tail = this.i32[TAIL]!;
    return tail + size <= this.u8.length ? tail : -1;
  }

  store(bytes: Uint8Array, at: number): void {
    this.u8.set(bytes, at);
    this.dv.setInt32(at + pad4(bytes.length), bytes.length, true);
    this.i32[TAIL] = at + recordSize(bytes.length);
  }

  peek(): Uint8Array {
    const tail = this.i32[TAIL]!;
    const length = this.dv.getInt32(tail - 4, true);
    return copyOut(this.u8, tail - 4 - pad4(length), length);
  }

  remove(): void {
    const tail = this.i32[TAIL]!;
    this.i32[TAIL] = tail - recordSize(this.dv.getInt32(tail - 4, true));
  }
}

/** Priority: records appended to an arena, ordered by a binary heap of (priority, order). */
class Heap extends Records {
  readonly #prio: Float64Array;
  /** Heap entries: [offset, length, order] × N. */
  readonly #heap: Int32Array;

  constructor(i32: Int32Array, areas: Areas) {
    super(i32, areas);
    this.#prio = areas.prio;
    this.#heap = areas.heap;
  }

  override priorityOf(options: PriorityOptions | undefined): number {
    const priority = options?.priority ?? 0;
    if (typeof priority !== "number") {
      throw new TypeError(
        `Cannot put to priorityqueue: priority must be a number, got ${typeof priority}`,
      );
    }
    if (Number.isNaN(priority)) {
      throw new RangeError("Cannot put to priorityqueue: priority must not be NaN");
    }
    return priority;
  }

  room(size: number, count: number): number {
    if (count >= this.#prio.length) return -1;
    const i32 = this.i32;
    const capacity = this.u8.length;
    if (i32[TAIL]! + size <= capacity) return i32[TAIL]!;
    if (i32[LIVE]! + size > capacity) return -1;
    this.#compact(count);
    return i32[TAIL]!;
  }

  store(bytes: Uint8Array, at: number, priority: number): void {
    const i32 = this.i32;
    const size = recordSize(bytes.length);
    this.dv.setInt32(at, bytes.length, true);
    this.u8.set(bytes, at + 4);
    i32[TAIL] = at + size;
    i32[LIVE] = i32[LIVE]! + size;
    const order = i32[ORDER]!;
    i32[ORDER] = (order + 1) | 0;
    this.#push(at, bytes.length, order, priority);
  }

  peek(): Uint8Array {
    return copyOut(this.u8, this.#heap[0]! + 4, this.#heap[1]!);
  }

  remove(): void {
    const i32 = this.i32;
    const offset = this.#heap[0]!;
    const size = recordSize(this.#heap[1]!);
    i32[LIVE] = i32[LIVE]! - size;
    if (offset + size === i32[TAIL]!) i32[TAIL] = offset;
    this.#pop();
  }

  /** Whether heap entry `a` comes out before `b`. */
  #before(a: number, b: number): boolean {
    const pa = this.#prio[a]!;
    const pb = this.#prio[b]!;
    if (pa !== pb) return pa < pb;
    return ((this.#heap[a * 3 + 2]! - this.#heap[b * 3 + 2]!) | 0) < 0;
  }

  #swap(a: number, b: number): void {
    const heap = this.#heap;
    const prio = this.#prio;
    const p = prio[a]!;
    prio[a] = prio[b]!;
    prio[b] = p;
    for (let k = 0; k < 3; k++) {
      const x = heap[a * 3 + k]!;
      heap[a * 3 + k] = heap[b * 3 + k]!;
      heap[b * 3 + k] = x;
    }
  }

  #push(offset: number, length: number, order: number, priority: number): void {
    let i = Atomics.load(this.i32, COUNT);
    this.#heap[i * 3] = offset;
    this.#heap[i * 3 + 1] = length;
    this.#heap[i * 3 + 2] = order;
    this.#prio[i] = priority;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(i, parent)) break;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #pop(): void {
    const last = Atomics.load(this.i32, COUNT) - 1;
    if (last > 0) this.#swap(0, last);
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= last) break;
      const right = left + 1;
      const child = right < last && this.#before(right, left) ? right : left;
      if (!this.#before(child, i)) break;
      this.#swap(child, i);
      i = child;
    }
  }

  /** Moves the live records of the arena to its start. */
  #compact(count: number): void {
    const heap = this.#heap;
    const entries = Array.from({ length: count }, (_, i) => i).sort((a, b) =>
      heap[a * 3]! - heap[b * 3]!
    );
    let write = 0;
    for (const e of entries) {
      const offset = heap[e * 3]!;
      const size = recordSize(heap[e * 3 + 1]!);
      if (offset !== write) this.u8.copyWithin(write, offset, offset + size);
      heap[e * 3] = write;
      write += size;
    }
    this.i32[TAIL] = write;
  }
}

/** The storage of a queue of `discipline` over header `i32` and `areas`. */
export function storageFor(discipline: number, i32: Int32Array, areas: Areas): Storage {
  if (discipline === FIFO) return new Ring(i32, areas);
  if (discipline === LIFO) return new Stack(i32, areas);
  return new Heap(i32, areas);
}
