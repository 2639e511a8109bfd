/**
 * `Queue`, `LifoQueue`, `PriorityQueue`: bounded multi-producer multi-consumer queues in shared
 * memory, as Python's `queue` module (3.13, with `shutdown`).
 *
 * Items are stored as bytes (see `codec.ts`) in one SharedArrayBuffer, under one internal lock
 * word; producers and consumers in any threads, sync and async, may mix.
 *
 * Layout (byteOffset % 8 === 0):
 * ```
 * +--------------------+-----------------------+--------------------------+---------------------+
 * | header: 24 x int32 | priorities: N x f64   | heap: N x 3 x int32      | data: CAPACITY bytes |
 * | (96 bytes)         | (PriorityQueue only)  | (PriorityQueue only)     | (multiple of 4)      |
 * +--------------------+-----------------------+--------------------------+---------------------+
 * ```
 * Header slots (int32 each; all but the seq slots change only with LOCK held). HEAD, TAIL, LIVE
 * and ORDER are read and written only with LOCK held, with plain accesses (the lock word's CASes
 * order them); the others are also read outside the lock (snapshots, fast paths), with Atomics:
 * | slot | name            | meaning                                                          |
 * | 0    | LOCK            | internal lock word (`internal/lock_word.ts`)                     |
 * | 1    | LOCK_ASYNC      | async waiters registered on LOCK                                 |
 * | 2    | DISCIPLINE      | 1 FIFO ring, 2 LIFO stack, 3 priority heap                        |
 * | 3    | MAXSIZE         | item limit; 0 = bounded by CAPACITY only                         |
 * | 4    | CAPACITY        | bytes of the data area                                           |
 * | 5    | HEAP_CAP        | N: heap entries (PriorityQueue), else 0                          |
 * | 6    | COUNT           | items stored                                                     |
 * | 7    | UNFINISHED      | items put and not yet `taskDone()`                               |
 * | 8    | SHUTDOWN        | 0 open, 1 shut down, 2 shut down immediately                     |
 * | 9    | HEAD            | FIFO: byte offset of the oldest record                           |
 * | 10   | TAIL            | FIFO: next write; LIFO: top of stack; priority: end of the arena |
 * | 11   | LIVE            | priority: bytes of live records                                  |
 * | 12   | ORDER           | priority: insertion counter (FIFO among equal priorities)        |
 * | 13   | NOT_EMPTY       | seq, bumped when an item arrives and getters wait                |
 * | 14   | NOT_EMPTY_ASYNC | async waiters registered on NOT_EMPTY                            |
 * | 15   | GETTERS         | getters waiting                                                  |
 * | 16   | NOT_FULL        | seq, bumped when room appears and putters wait                   |
 * | 17   | NOT_FULL_ASYNC  | async waiters registered on NOT_FULL                             |
 * | 18   | PUTTERS         | putters waiting                                                  |
 * | 19   | ALL_DONE        | seq, bumped when UNFINISHED reaches 0                            |
 * | 20   | JOINERS         | joiners waiting                                                  |
 *
 * Records:
 * - FIFO ring: `[int32 length][bytes, padded to 4]` at HEAD..TAIL, wrapping; a length of -1 (or
 *   HEAD reaching CAPACITY) means "continue at 0". Empty ⇒ HEAD = TAIL = 0; COUNT > 0 and
 *   HEAD = TAIL ⇒ full.
 * - LIFO stack: `[bytes, padded to 4][int32 length]` from 0 up to TAIL; pop reads the length
 *   below TAIL.
 * - Priority arena: `[int32 length][bytes, padded]` appended at TAIL; the heap holds
 *   `(offset, length, order)` + priority; freed records are reclaimed when the arena is compacted
 *   (only when an item would not fit at TAIL but fits in the free bytes).
 *
 * Waiting (a condition variable per seq slot): a waiter counts itself (GETTERS, PUTTERS or
 * JOINERS), reads the seq slot, releases LOCK and sleeps while the seq is unchanged; the side that
 * changes the state bumps the seq under LOCK when the count is non-zero, and wakes after
 * releasing LOCK. Invariant: the seq is read and bumped only with LOCK held, so a change made
 * after a waiter released LOCK always moves the seq it sleeps on. A waiter that leaves without
 * using a wake (timeout, abort, shutdown) while what it waited for is there passes the wake on.
 *
 * @module
 */

import { type Codec, structuredCodec } from "./codec.ts";
import { QueueEmptyError, QueueFullError, QueueShutDownError, TimeoutError } from "./errors.ts";
import {
  Aborted,
  assertCanBlock,
  deadlineAfter,
  now,
  type Park,
  type Parker,
  runAsync,
  runSync,
  wake,
  wakeAll,
} from "./internal/futex.ts";
import { currentIdent } from "./internal/ident.ts";
import { type Handle, open, place, type PlacementOptions, slots } from "./internal/layout.ts";
import { lockBriefly, lockUninterruptible, unlock } from "./internal/lock_word.ts";
import {
  rejectSignal,
  signalOf,
  type SyncWaitOptions,
  timeoutOf,
  type WaitOptions,
} from "./internal/options.ts";

const LOCK = 0;
const DISCIPLINE = 2;
const MAXSIZE = 3;
const CAPACITY = 4;
const HEAP_CAP = 5;
const COUNT = 6;
const UNFINISHED = 7;
const SHUTDOWN = 8;
const HEAD = 9;
const TAIL = 10;
const LIVE = 11;
const ORDER = 12;
const NOT_EMPTY = 13;
const NOT_EMPTY_ASYNC = 14;
const GETTERS = 15;
const NOT_FULL = 16;
const NOT_FULL_ASYNC = 17;
const PUTTERS = 18;
const ALL_DONE = 19;
const JOINERS = 20;
/** Header size in int32 slots (a multiple of 2, so what follows is 8-aligned). */
const HEADER_SLOTS = 24;
const HEADER_BYTES = HEADER_SLOTS * 4;

/** Storage disciplines. */
const FIFO = 1;
const LIFO = 2;
const PRIORITY = 3;

/** SHUTDOWN values. */
const OPEN = 0;
const SHUT = 1;
const SHUT_IMMEDIATE = 2;

/** Record length marking "wrap to 0" in the FIFO ring. */
const WRAP = -1;

/** Data bytes when `capacityBytes` is not given: 64 KiB, or 64 bytes per item of `maxsize`. */
export const DEFAULT_CAPACITY_BYTES = 64 * 1024;
/** The smallest record (length word + a 1-byte item, padded): bounds the heap entries needed. */
const MIN_RECORD = 8;

const pad4 = (n: number): number => (n + 3) & ~3;

/** Options of the queue constructors. */
export interface QueueOptions<T> extends PlacementOptions {
  /** Bytes for stored items (default: 64 KiB, or 64 × maxsize if larger). */
  capacityBytes?: number | undefined;
  /** How items become bytes (default `structuredCodec`; `float64Codec` for numbers only). */
  codec?: Codec<T> | undefined;
}

/** Options of `PriorityQueue.put*`. */
export interface PriorityOptions {
  /** Lower numbers come out first; FIFO among equal priorities. Default 0. */
  priority?: number | undefined;
}

/** Options of `shutdown`. */
export interface ShutdownOptions {
  /** Discard stored items and wake every waiter now (default `false`: getters drain first). */
  immediate?: boolean | undefined;
}

/** The sizes a queue is created with. */
interface Geometry {
  maxsize: number;
  capacity: number;
  heapCap: number;
  byteLength: number;
}

function geometry(
  kind: string,
  discipline: number,
  maxsize: unknown,
  capacityBytes: unknown,
): Geometry {
  if (typeof maxsize !== "number") {
    throw new TypeError(`Cannot create ${kind}: maxsize must be a number, got ${typeof maxsize}`);
  }
  if (!Number.isInteger(maxsize) || maxsize < 0 || maxsize > 2 ** 30) {
    throw new RangeError(
      `Cannot create ${kind}: maxsize must be an integer from 0 to 2^30, got ${maxsize}`,
    );
  }
  let capacity: number;
  if (capacityBytes === undefined) {
    capacity = Math.max(DEFAULT_CAPACITY_BYTES, Math.min(maxsize * 64, 2 ** 30));
  } else {
    if (typeof capacityBytes !== "number") {
      throw new TypeError(
        `Cannot create ${kind}: capacityBytes must be a number, got ${typeof capacityBytes}`,
      );
    }
    if (!Number.isInteger(capacityBytes) || capacityBytes < 16 || capacityBytes > 2 ** 30) {
      throw new RangeError(
        `Cannot create ${kind}: capacityBytes must be an integer from 16 to 2^30, got ${capacityBytes}`,
      );
    }
    capacity = capacityBytes;
  }
  capacity = pad4(capacity);
  const heapCap = discipline !== PRIORITY
    ? 0
    : maxsize > 0
    ? maxsize
    : Math.floor(capacity / MIN_RECORD);
  const byteLength = HEADER_BYTES + heapCap * 8 + heapBytes(heapCap) + capacity;
  return { maxsize, capacity, heapCap, byteLength: Math.ceil(byteLength / 8) * 8 };
}

/** Bytes of the heap entries, rounded to 8. */
function heapBytes(heapCap: number): number {
  return Math.ceil((heapCap * 12) / 8) * 8;
}

/** Per-thread scratch for records read out of the ring (decoded before the next get). */
let readScratch = new Uint8Array(256);

function scratchFor(length: number): Uint8Array {
  if (readScratch.length < length) {
    let size = readScratch.length;
    while (size < length) size *= 2;
    readScratch = new Uint8Array(size);
  }
  return readScratch.subarray(0, length);
}

/**
 * What `Queue`, `LifoQueue` and `PriorityQueue` share: everything but `put*` (whose options
 * differ) and the order items come out in. Not constructed directly.
 */
export abstract class QueueBase<T> {
  /** A structured-clone-safe description; `X.from(handle)` rebuilds the queue. */
  readonly handle: Handle;
  readonly #i32: Int32Array;
  readonly #u8: Uint8Array;
  /** The data area as a DataView (record lengths), made once. */
  readonly #dv: DataView;
  readonly #prio: Float64Array;
  /** Heap entries: [offset, length, order] × N. */
  readonly #heap: Int32Array;
  readonly #codec: Codec<T>;
  readonly #discipline: number;
  readonly #kind: string;

  /** @internal */
  constructor(
    kind: string,
    discipline: number,
    opened: Handle | undefined,
    maxsize: number,
    options: QueueOptions<T> | undefined,
  ) {
    if (options !== undefined && (typeof options !== "object" || options === null)) {
      throw new TypeError(`Cannot create ${kind}: options must be an object`);
    }
    const codec = options?.codec ?? (structuredCodec as Codec<T>);
    if (typeof codec?.encode !== "function" || typeof codec?.decode !== "function") {
      throw new TypeError(`Cannot create ${kind}: codec must have encode() and decode() methods`);
    }
    this.#codec = codec;
    this.#kind = kind;
    this.#discipline = discipline;
    let g: Geometry;
    if (opened === undefined) {
      g = geometry(kind, discipline, maxsize, options?.capacityBytes);
      this.handle = place(kind, g.byteLength, options, 8);
    } else {
      const header = new Int32Array(opened.buffer, opened.byteOffset, HEADER_SLOTS);
      g = geometry(kind, discipline, Atomics.load(header, MAXSIZE), Atomics.load(header, CAPACITY));
      this.handle = opened;
    }
    const { buffer, byteOffset } = this.handle;
    this.#i32 = slots(this.handle, HEADER_SLOTS);
    let at = byteOffset + HEADER_BYTES;
    this.#prio = new Float64Array(buffer, at, g.heapCap);
    at += g.heapCap * 8;
    this.#heap = new Int32Array(buffer, at, g.heapCap * 3);
    at += heapBytes(g.heapCap);
    this.#u8 = new Uint8Array(buffer, at, g.capacity);
    this.#dv = new DataView(buffer, at, g.capacity);
    if (opened === undefined) {
      this.#i32.fill(0);
      const i32 = this.#i32;
      Atomics.store(i32, DISCIPLINE, discipline);
      Atomics.store(i32, MAXSIZE, g.maxsize);
      Atomics.store(i32, CAPACITY, g.capacity);
      Atomics.store(i32, HEAP_CAP, g.heapCap);
    } else if (Atomics.load(this.#i32, DISCIPLINE) !== discipline) {
      throw new TypeError(`Cannot open ${kind}: the memory holds a different kind of queue`);
    }
  }

  /** Validates a handle for `from`. @internal */
  static _open(handle: Handle, kind: string): Handle {
    const opened = open(handle, kind, HEADER_BYTES, 8);
    const header = new Int32Array(opened.buffer, opened.byteOffset, HEADER_SLOTS);
    const discipline = kind === "Queue" ? FIFO : kind === "LifoQueue" ? LIFO : PRIORITY;
    const g = geometry(
      kind,
      discipline,
      Atomics.load(header, MAXSIZE),
      Atomics.load(header, CAPACITY),
    );
    if (opened.byteOffset + g.byteLength > opened.buffer.byteLength) {
      throw new RangeError(`Cannot open ${kind}: the handle's buffer is too small for it`);
    }
    return opened;
  }

  // -------------------------------------------------------------------------------------------
  // Observers (snapshots, as in Python)

  /** The item limit (0: bounded by bytes only). */
  get maxsize(): number {
    return Atomics.load(this.#i32, MAXSIZE);
  }

  /** Bytes available for stored items. */
  get capacityBytes(): number {
    return Atomics.load(this.#i32, CAPACITY);
  }

  /** Items in the queue now (a snapshot). */
  qsize(): number {
    return Atomics.load(this.#i32, COUNT);
  }

  /** Whether the queue is empty now (a snapshot). */
  empty(): boolean {
    return Atomics.load(this.#i32, COUNT) === 0;
  }

  /** Whether the queue holds `maxsize` items now (a snapshot; always `false` for maxsize 0). */
  full(): boolean {
    const maxsize = Atomics.load(this.#i32, MAXSIZE);
    return maxsize > 0 && Atomics.load(this.#i32, COUNT) >= maxsize;
  }

  // -------------------------------------------------------------------------------------------
  // Storage (LOCK held)

  /** Bytes a record of `length` item bytes takes. */
  #recordSize(length: number): number {
    return 4 + pad4(length);
  }

  /** Whether a record of `size` bytes could ever fit. */
  #fitsAtAll(size: number): boolean {
    return size <= this.#u8.length;
  }

  /** Where a record of `size` bytes goes now, or -1 when there is no room (LOCK held). */
  #room(size: number): number {
    const i32 = this.#i32;
    const count = Atomics.load(i32, COUNT);
    const maxsize = Atomics.load(i32, MAXSIZE);
    if (maxsize > 0 && count >= maxsize) return -1;
    const capacity = this.#u8.length;
    const tail = i32[TAIL]!;
    switch (this.#discipline) {
      case FIFO: {
        if (count === 0) return 0;
        const head = i32[HEAD]!;
        if (tail > head) {
          if (size <= capacity - tail) return tail;
          return size <= head ? 0 : -1; // wraps to 0, leaving a WRAP mark at tail
        }
        return size <= head - tail ? tail : -1; // wrapped (tail <= head); equal means full
      }
      case LIFO:
        return tail + size <= capacity ? tail : -1;
      default: {
        if (count >= this.#heap.length / 3) return -1;
        if (tail + size <= capacity) return tail;
        const live = i32[LIVE]!;
        if (live + size > capacity) return -1;
        this.#compact();
        return i32[TAIL]!;
      }
    }
  }

  /** Stores `bytes` at `at` (from `#room`) with `priority` (LOCK held). */
  #store(bytes: Uint8Array, at: number, priority: number): void {
    const i32 = this.#i32;
    const u8 = this.#u8;
    const data = this.#dv;
    const length = bytes.length;
    const size = this.#recordSize(length);
    switch (this.#discipline) {
      case FIFO: {
        const tail = i32[TAIL]!;
        if (at !== tail && tail + 4 <= u8.length) data.setInt32(tail, WRAP, true);
        data.setInt32(at, length, true);
        u8.set(bytes, at + 4);
        i32[TAIL] = at + size;
        break;
      }
      case LIFO: {
        u8.set(bytes, at);
        data.setInt32(at + pad4(length), length, true);
        i32[TAIL] = at + size;
        break;
      }
      default: {
        data.setInt32(at, length, true);
        u8.set(bytes, at + 4);
        i32[TAIL] = at + size;
        i32[LIVE] = i32[LIVE]! + size;
        const order = i32[ORDER]!;
        i32[ORDER] = (order + 1) | 0;
        this.#heapPush(at, length, order, priority);
      }
    }
    Atomics.add(i32, COUNT, 1);
    Atomics.add(i32, UNFINISHED, 1);
  }

  /** Removes the next record and copies its bytes to the thread's scratch (LOCK held, COUNT > 0). */
  #take(): Uint8Array {
    const i32 = this.#i32;
    const u8 = this.#u8;
    const data = this.#dv;
    let bytes: Uint8Array;
    switch (this.#discipline) {
      case FIFO: {
        let head = i32[HEAD]!;
        if (head + 4 > u8.length || data.getInt32(head, true) === WRAP) head = 0;
        const length = data.getInt32(head, true);
        bytes = scratchFor(length);
        bytes.set(u8.subarray(head + 4, head + 4 + length));
        i32[HEAD] = head + this.#recordSize(length);
        break;
      }
      case LIFO: {
        const tail = i32[TAIL]!;
        const length = data.getInt32(tail - 4, true);
        const start = tail - 4 - pad4(length);
        bytes = scratchFor(length);
        bytes.set(u8.subarray(start, start + length));
        i32[TAIL] = start;
        break;
      }
      default: {
        const heap = this.#heap;
        const offset = heap[0]!;
        const length = heap[1]!;
        bytes = scratchFor(length);
        bytes.set(u8.subarray(offset + 4, offset + 4 + length));
        const size = this.#recordSize(length);
        i32[LIVE] = i32[LIVE]! - size;
        if (offset + size === i32[TAIL]!) i32[TAIL] = offset;
        this.#heapPop();
      }
    }
    if (Atomics.sub(i32, COUNT, 1) === 1) this.#clearStorage();
    return bytes;
  }

  /** Resets the storage of an empty queue (LOCK held). */
  #clearStorage(): void {
    const i32 = this.#i32;
    i32[HEAD] = 0;
    i32[TAIL] = 0;
    i32[LIVE] = 0;
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

  #heapPush(offset: number, length: number, order: number, priority: number): void {
    let i = Atomics.load(this.#i32, COUNT);
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

  #heapPop(): void {
    const last = Atomics.load(this.#i32, COUNT) - 1;
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

  /** Moves the live records of the priority arena to its start (LOCK held). */
  #compact(): void {
    const count = Atomics.load(this.#i32, COUNT);
    const heap = this.#heap;
    const entries = Array.from({ length: count }, (_, i) => i).sort((a, b) =>
      heap[a * 3]! - heap[b * 3]!
    );
    let write = 0;
    for (const e of entries) {
      const offset = heap[e * 3]!;
      const size = this.#recordSize(heap[e * 3 + 1]!);
      if (offset !== write) this.#u8.copyWithin(write, offset, offset + size);
      heap[e * 3] = write;
      write += size;
    }
    this.#i32[TAIL] = write;
  }

  // -------------------------------------------------------------------------------------------
  // Waking (seq bumped with LOCK held, wake after releasing it)

  /** Bumps `seq` if anyone counted in `waiters` waits; returns whether to wake after unlock. */
  #signal(seq: number, waiters: number): boolean {
    if (Atomics.load(this.#i32, waiters) === 0) return false;
    Atomics.add(this.#i32, seq, 1);
    return true;
  }

  #unlockAndWake(
    me2: number,
    wakeGetter: boolean,
    wakePutter: boolean,
    wakeJoiners: boolean,
  ): void {
    const i32 = this.#i32;
    unlock(i32, LOCK, me2);
    if (wakeGetter) wake(i32, NOT_EMPTY, 1, NOT_EMPTY_ASYNC);
    if (wakePutter) wake(i32, NOT_FULL, 1, NOT_FULL_ASYNC);
    if (wakeJoiners) wakeAll(i32, ALL_DONE);
  }

  // -------------------------------------------------------------------------------------------
  // put

  #encode(item: T, what: string): Uint8Array {
    const bytes = this.#codec.encode(item);
    if (!(bytes instanceof Uint8Array)) {
      throw new TypeError(`Cannot ${what}: the codec's encode() must return a Uint8Array`);
    }
    if (!this.#fitsAtAll(this.#recordSize(bytes.length))) {
      throw new RangeError(
        `Cannot ${what}: the item takes ${bytes.length} bytes and the queue holds at most ${
          this.#u8.length - 4
        } (capacityBytes ${this.#u8.length})`,
      );
    }
    return bytes;
  }

  /**
   * With LOCK held: stores and releases LOCK (true), or finds no room and keeps LOCK (false), or
   * releases LOCK and throws `QueueShutDownError`.
   */
  #tryPut(bytes: Uint8Array, priority: number, me2: number): boolean {
    const i32 = this.#i32;
    if (Atomics.load(i32, SHUTDOWN) !== OPEN) {
      unlock(i32, LOCK, me2);
      throw new QueueShutDownError(`Cannot put to ${this.#kind}: it is shut down`);
    }
    const at = this.#room(this.#recordSize(bytes.length));
    if (at < 0) return false;
    this.#store(bytes, at, priority);
    this.#unlockAndWake(me2, this.#signal(NOT_EMPTY, GETTERS), false, false);
    return true;
  }

  /** The slow path of put (runs in `"throw"` abort mode). `bytes` is the caller's own copy. */
  *#putSlow(bytes: Uint8Array, priority: number, deadline: number): Parker<void> {
    const i32 = this.#i32;
    const me2 = currentIdent() << 1;
    const abort: { by: Aborted | undefined } = { by: undefined };
    const onAbort = (a: Aborted) => {
      abort.by ??= a;
    };
    yield* lockUninterruptible(i32, LOCK, me2, onAbort);
    if (this.#tryPut(bytes, priority, me2)) return;
    const park: Park = { i32, index: NOT_FULL, expected: 0, deadline, asyncCount: NOT_FULL_ASYNC };
    Atomics.add(i32, PUTTERS, 1);
    try {
      for (;;) {
        if (abort.by !== undefined || (deadline !== Infinity && now() >= deadline)) break;
        // Sleep until room appears: read the seq, release LOCK, wait, re-take LOCK.
        park.expected = Atomics.load(i32, NOT_FULL);
        unlock(i32, LOCK, me2);
        try {
          yield park;
        } catch (error) {
          if (!(error instanceof Aborted)) throw error;
          onAbort(error);
        }
        yield* lockUninterruptible(i32, LOCK, me2, onAbort);
        if (this.#tryPut(bytes, priority, me2)) return; // throws (LOCK released) when shut down
      }
    } finally {
      Atomics.sub(i32, PUTTERS, 1);
    }
    // Timed out or aborted, LOCK held, nothing stored: leave; pass a wake for room on.
    const room = this.#room(this.#recordSize(bytes.length)) >= 0 && this.#signal(NOT_FULL, PUTTERS);
    this.#unlockAndWake(me2, false, room, false);
    if (abort.by !== undefined) throw abort.by.reason;
    throw new QueueFullError(`Cannot put to ${this.#kind}: it stayed full for the timeout`);
  }

  /** Shared by put/putSync/putNowait: validates, encodes, takes the fast path if it can. */
  #putFast(
    item: T,
    priority: number,
    what: string,
  ): { bytes: Uint8Array; me2: number } | undefined {
    const bytes = this.#encode(item, what);
    const i32 = this.#i32;
    const me2 = currentIdent() << 1;
    // Fast path: the lock is free and there is room.
    if (Atomics.compareExchange(i32, LOCK, 0, me2) === 0) {
      if (this.#tryPut(bytes, priority, me2)) return undefined;
      unlock(i32, LOCK, me2);
    }
    // The encoder's scratch is reused by the next encode on this thread: keep our own copy.
    return { bytes: bytes.slice(), me2 };
  }

  /** @internal */
  protected _putNowait(item: T, priority: number): void {
    const what = `put to ${this.#kind}`;
    const pending = this.#putFast(item, priority, what);
    if (pending === undefined) return;
    // The lock was busy or there was no room: one try under the lock, without waiting for room.
    const i32 = this.#i32;
    lockBriefly(i32, LOCK, pending.me2);
    if (this.#tryPut(pending.bytes, priority, pending.me2)) return;
    unlock(i32, LOCK, pending.me2);
    throw new QueueFullError(`Cannot ${what}: it is full`);
  }

  /** @internal */
  protected _putSync(item: T, priority: number, options: SyncWaitOptions | undefined): void {
    const what = `put to ${this.#kind}`;
    const timeout = timeoutOf(options, what);
    rejectSignal(options, what, "queue.put()");
    assertCanBlock("queue.put()");
    const pending = this.#putFast(item, priority, what);
    if (pending === undefined) return;
    runSync(this.#putSlow(pending.bytes, priority, deadlineAfter(timeout)));
  }

  /** @internal */
  protected _put(item: T, priority: number, options: WaitOptions | undefined): Promise<void> {
    try {
      const what = `put to ${this.#kind}`;
      const timeout = timeoutOf(options, what);
      const signal = signalOf(options, what);
      if (signal?.aborted === true) return Promise.reject(signal.reason);
      const pending = this.#putFast(item, priority, what);
      if (pending === undefined) return Promise.resolve();
      return runAsync(
        this.#putSlow(pending.bytes, priority, deadlineAfter(timeout)),
        signal,
        "throw",
      );
    } catch (error) {
      return Promise.reject(error);
    }
  }

  // -------------------------------------------------------------------------------------------
  // get

  /** Tries to take an item: its bytes, or undefined when empty; throws when shut down & empty. */
  #tryGet(me2: number): Uint8Array | undefined {
    const i32 = this.#i32;
    const shutdown = Atomics.load(i32, SHUTDOWN);
    if (Atomics.load(i32, COUNT) === 0 || shutdown === SHUT_IMMEDIATE) {
      if (shutdown === OPEN) return undefined;
      unlock(i32, LOCK, me2);
      throw new QueueShutDownError(`Cannot get from ${this.#kind}: it is shut down and empty`);
    }
    const bytes = this.#take();
    this.#unlockAndWake(me2, false, this.#signal(NOT_FULL, PUTTERS), false);
    return bytes;
  }

  /** The slow path of get (runs in `"throw"` abort mode). */
  *#getSlow(deadline: number): Parker<T> {
    const i32 = this.#i32;
    const me2 = currentIdent() << 1;
    const abort: { by: Aborted | undefined } = { by: undefined };
    const onAbort = (a: Aborted) => {
      abort.by ??= a;
    };
    yield* lockUninterruptible(i32, LOCK, me2, onAbort);
    let bytes = this.#tryGet(me2);
    if (bytes !== undefined) return this.#codec.decode(bytes);
    const park: Park = {
      i32,
      index: NOT_EMPTY,
      expected: 0,
      deadline,
      asyncCount: NOT_EMPTY_ASYNC,
    };
    Atomics.add(i32, GETTERS, 1);
    try {
      for (;;) {
        if (abort.by !== undefined || (deadline !== Infinity && now() >= deadline)) break;
        park.expected = Atomics.load(i32, NOT_EMPTY);
        unlock(i32, LOCK, me2);
        try {
          yield park;
        } catch (error) {
          if (!(error instanceof Aborted)) throw error;
          onAbort(error);
        }
        yield* lockUninterruptible(i32, LOCK, me2, onAbort);
        bytes = this.#tryGet(me2); // throws (LOCK released) when shut down and drained
        if (bytes !== undefined) return this.#codec.decode(bytes);
      }
    } finally {
      Atomics.sub(i32, GETTERS, 1);
    }
    // Timed out or aborted, LOCK held, nothing taken: leave; pass a wake for items on.
    const items = Atomics.load(i32, COUNT) > 0 && this.#signal(NOT_EMPTY, GETTERS);
    this.#unlockAndWake(me2, items, false, false);
    if (abort.by !== undefined) throw abort.by.reason;
    throw new QueueEmptyError(`Cannot get from ${this.#kind}: it stayed empty for the timeout`);
  }

  /** The fast path of every get: the item, or `NONE` when the slow path is needed. */
  #getFast(me2: number): T | typeof NONE {
    const i32 = this.#i32;
    if (Atomics.compareExchange(i32, LOCK, 0, me2) !== 0) return NONE;
    const bytes = this.#tryGet(me2);
    if (bytes === undefined) {
      unlock(i32, LOCK, me2);
      return NONE;
    }
    return this.#codec.decode(bytes);
  }

  /**
   * Removes and returns an item if one is there now.
   *
   * @throws {QueueEmptyError} The queue is empty.
   * @throws {QueueShutDownError} The queue is shut down and drained.
   */
  getNowait(): T {
    const me2 = currentIdent() << 1;
    const item = this.#getFast(me2);
    if (item !== NONE) return item;
    const i32 = this.#i32;
    lockBriefly(i32, LOCK, me2);
    const bytes = this.#tryGet(me2);
    if (bytes !== undefined) return this.#codec.decode(bytes);
    unlock(i32, LOCK, me2);
    throw new QueueEmptyError(`Cannot get from ${this.#kind}: it is empty`);
  }

  /**
   * Removes and returns an item, blocking while the queue is empty.
   *
   * @throws {QueueEmptyError} `timeout` ran out.
   * @throws {QueueShutDownError} The queue is shut down and drained (or shut down immediately).
   * @throws {TypeError} Blocking is not allowed on this thread; bad options.
   */
  getSync(options?: SyncWaitOptions): T {
    const what = `get from ${this.#kind}`;
    const timeout = timeoutOf(options, what);
    rejectSignal(options, what, "queue.get()");
    assertCanBlock("queue.get()");
    const me2 = currentIdent() << 1;
    const item = this.#getFast(me2);
    if (item !== NONE) return item;
    return runSync(this.#getSlow(deadlineAfter(timeout)));
  }

  /**
   * Removes and returns an item, waiting without blocking while the queue is empty. An aborted
   * or timed-out get takes nothing.
   *
   * @throws {QueueEmptyError} (rejects) `timeout` ran out.
   * @throws {QueueShutDownError} (rejects) The queue is shut down and drained.
   */
  get(options?: WaitOptions): Promise<T> {
    try {
      const what = `get from ${this.#kind}`;
      const timeout = timeoutOf(options, what);
      const signal = signalOf(options, what);
      if (signal?.aborted === true) return Promise.reject(signal.reason);
      const me2 = currentIdent() << 1;
      const item = this.#getFast(me2);
      if (item !== NONE) return Promise.resolve(item);
      return runAsync(this.#getSlow(deadlineAfter(timeout)), signal, "throw");
    } catch (error) {
      return Promise.reject(error);
    }
  }

  // -------------------------------------------------------------------------------------------
  // tasks, join, shutdown

  /**
   * Marks one item taken by `get` as processed (for `join`).
   *
   * @throws {RangeError} Called more times than items were put.
   */
  taskDone(): void {
    const i32 = this.#i32;
    const me2 = currentIdent() << 1;
    lockBriefly(i32, LOCK, me2);
    const unfinished = Atomics.load(i32, UNFINISHED);
    if (unfinished <= 0) {
      unlock(i32, LOCK, me2);
      throw new RangeError(
        `Cannot mark task done: taskDone() was called more times than items were put`,
      );
    }
    Atomics.store(i32, UNFINISHED, unfinished - 1);
    this.#unlockAndWake(me2, false, false, unfinished === 1 && this.#signal(ALL_DONE, JOINERS));
  }

  *#joinSlow(deadline: number): Parker<void> {
    const i32 = this.#i32;
    const me2 = currentIdent() << 1;
    const abort: { by: Aborted | undefined } = { by: undefined };
    const onAbort = (a: Aborted) => {
      abort.by ??= a;
    };
    yield* lockUninterruptible(i32, LOCK, me2, onAbort);
    const park: Park = { i32, index: ALL_DONE, expected: 0, deadline, asyncCount: -1 };
    Atomics.add(i32, JOINERS, 1);
    try {
      for (;;) {
        if (Atomics.load(i32, UNFINISHED) === 0) return;
        if (abort.by !== undefined) throw abort.by.reason;
        if (deadline !== Infinity && now() >= deadline) {
          const left = Atomics.load(i32, UNFINISHED);
          throw new TimeoutError(
            `Cannot join ${this.#kind}: ${left} tasks were still unfinished when the timeout ran out`,
          );
        }
        park.expected = Atomics.load(i32, ALL_DONE);
        unlock(i32, LOCK, me2);
        try {
          yield park;
        } catch (error) {
          if (!(error instanceof Aborted)) throw error;
          onAbort(error);
        }
        yield* lockUninterruptible(i32, LOCK, me2, onAbort);
      }
    } finally {
      Atomics.sub(i32, JOINERS, 1);
      unlock(i32, LOCK, me2);
    }
  }

  /**
   * Blocks until every item put has been marked with `taskDone()`.
   *
   * @throws {TimeoutError} `timeout` ran out.
   */
  joinSync(options?: SyncWaitOptions): void {
    const what = `join ${this.#kind}`;
    const timeout = timeoutOf(options, what);
    rejectSignal(options, what, "queue.join()");
    assertCanBlock("queue.join()");
    if (Atomics.load(this.#i32, UNFINISHED) === 0) return;
    runSync(this.#joinSlow(deadlineAfter(timeout)));
  }

  /**
   * Waits without blocking until every item put has been marked with `taskDone()`.
   *
   * @throws {TimeoutError} (rejects) `timeout` ran out.
   */
  join(options?: WaitOptions): Promise<void> {
    try {
      const what = `join ${this.#kind}`;
      const timeout = timeoutOf(options, what);
      const signal = signalOf(options, what);
      if (signal?.aborted === true) return Promise.reject(signal.reason);
      if (Atomics.load(this.#i32, UNFINISHED) === 0) return Promise.resolve();
      return runAsync(this.#joinSlow(deadlineAfter(timeout)), signal, "throw");
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Shuts the queue down: later puts throw `QueueShutDownError`; gets drain what is left, then
   * throw it. With `immediate`, stored items are discarded (and counted done for `join`) and
   * every waiter wakes at once. Blocked putters and (once drained) getters get
   * `QueueShutDownError`.
   */
  shutdown(options?: ShutdownOptions): void {
    const immediate = options?.immediate === true;
    const i32 = this.#i32;
    const me2 = currentIdent() << 1;
    lockBriefly(i32, LOCK, me2);
    if (Atomics.load(i32, SHUTDOWN) !== SHUT_IMMEDIATE) {
      Atomics.store(i32, SHUTDOWN, immediate ? SHUT_IMMEDIATE : SHUT);
    }
    let done = false;
    if (immediate) {
      const discarded = Atomics.exchange(i32, COUNT, 0);
      this.#clearStorage();
      const unfinished = Math.max(0, Atomics.load(i32, UNFINISHED) - discarded);
      Atomics.store(i32, UNFINISHED, unfinished);
      done = unfinished === 0;
    }
    // Everyone waiting re-checks: putters and getters throw, joiners see the new count.
    Atomics.add(i32, NOT_EMPTY, 1);
    Atomics.add(i32, NOT_FULL, 1);
    if (done) Atomics.add(i32, ALL_DONE, 1);
    unlock(i32, LOCK, me2);
    wakeAll(i32, NOT_EMPTY);
    wakeAll(i32, NOT_FULL);
    if (done) wakeAll(i32, ALL_DONE);
  }

  /** Whether `shutdown()` was called. */
  get isShutDown(): boolean {
    return Atomics.load(this.#i32, SHUTDOWN) !== OPEN;
  }

  /**
   * Yields items (async `get`) until the queue is shut down and drained.
   *
   * @example
   * ```ts ignore
   * for await (const item of queue) handle(item);
   * ```
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for (;;) {
      let item: T;
      try {
        item = await this.get();
      } catch (error) {
        if (error instanceof QueueShutDownError) return;
        throw error;
      }
      yield item;
    }
  }
}

/** Marks "no item" for the fast path of get. */
const NONE: unique symbol = Symbol("none");

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
    opening = QueueBase._open(handle, "Queue");
    return new Queue<T>(0, options);
  }

  /**
   * Puts `item`, blocking while the queue is full.
   *
   * @throws {QueueFullError} `timeout` ran out. @throws {QueueShutDownError} shut down.
   * @throws {TypeError} The item cannot be encoded. @throws {RangeError} It can never fit.
   */
  putSync(item: T, options?: SyncWaitOptions): void {
    this._putSync(item, 0, options);
  }

  /**
   * Puts `item`, waiting without blocking while the queue is full.
   *
   * @throws {QueueFullError} (rejects) `timeout` ran out. @throws {QueueShutDownError} (rejects)
   */
  put(item: T, options?: WaitOptions): Promise<void> {
    return this._put(item, 0, options);
  }

  /** Puts `item` if there is room now. @throws {QueueFullError} It is full. */
  putNowait(item: T): void {
    this._putNowait(item, 0);
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
    opening = QueueBase._open(handle, "LifoQueue");
    return new LifoQueue<T>(0, options);
  }

  /** Puts `item`, blocking while full (see {@link Queue.putSync}). */
  putSync(item: T, options?: SyncWaitOptions): void {
    this._putSync(item, 0, options);
  }

  /** Puts `item`, waiting without blocking while full (see {@link Queue.put}). */
  put(item: T, options?: WaitOptions): Promise<void> {
    return this._put(item, 0, options);
  }

  /** Puts `item` if there is room now. @throws {QueueFullError} */
  putNowait(item: T): void {
    this._putNowait(item, 0);
  }
}

function priorityOf(options: PriorityOptions | undefined): number {
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
export class PriorityQueue<T = unknown> extends QueueBase<T> {
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
    opening = QueueBase._open(handle, "PriorityQueue");
    return new PriorityQueue<T>(0, options);
  }

  /** Puts `item` with `priority` (default 0), blocking while full. */
  putSync(item: T, options?: SyncWaitOptions & PriorityOptions): void {
    const priority = priorityOf(options);
    this._putSync(item, priority, options);
  }

  /** Puts `item` with `priority` (default 0), waiting without blocking while full. */
  put(item: T, options?: WaitOptions & PriorityOptions): Promise<void> {
    try {
      const priority = priorityOf(options);
      return this._put(item, priority, options);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Puts `item` with `priority` if there is room now. @throws {QueueFullError} */
  putNowait(item: T, options?: PriorityOptions): void {
    this._putNowait(item, priorityOf(options));
  }
}
