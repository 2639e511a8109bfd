/**
 * The storage disciplines of the queues: the record formats of the data area and the order items
 * come out in. Each is an object behind one {@link Storage} interface (`room`, `store`, `take`,
 * `putBack`, `clear`); a queue makes one at construction and calls it with LOCK held.
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
 * Every method runs with LOCK held; COUNT is the caller's (it counts after `store`/`putBack` and
 * after `take` returns), so a discipline reads COUNT as "items stored before this call".
 *
 * Held room (`header.ts`): a get takes the record out (`take`), decodes it outside LOCK, and puts
 * it back in front (`putBack`) when decode throws. Until then its room stays reserved: `room`
 * is given the held bytes (and items) and counts them as used, so a put-back always fits.
 *
 * @module
 */

import {
  type Areas,
  COMPACT_DONE,
  COMPACT_ENTRY,
  COMPACT_WRITE,
  COMPACTING,
  COUNT,
  FIFO,
  HEAD,
  JOURNAL,
  LIFO,
  LIVE,
  ORDER,
  pad4,
  recordSize,
  SHIFT_BY,
  SHIFT_HEAD,
  SHIFT_LEFT,
  SHIFT_TAIL,
  SHIFTING,
  SIFT_DOWN,
  SIFT_DOWN_ROOT,
  SIFT_HOLE,
  SIFT_UP,
  TAIL,
} from "./header.ts";
import type { Sifts } from "./journal.ts";

/** Options of `PriorityQueue.put*`. */
export interface PriorityOptions {
  /** Lower numbers come out first; FIFO among equal priorities. Default 0. */
  priority?: number | undefined;
}

/**
 * One storage discipline of one queue (all methods with LOCK held).
 *
 * A get is `take` (with LOCK), decode (without), and, only when the codec throws, `putBack`
 * (with LOCK again), so the item stays in the queue as Python's `get` leaves it when `_get` fails.
 */
export interface Storage {
  /**
   * Where a record of `size` bytes goes now, or -1 when there is no room once `held` bytes
   * (and `heldItems` heap entries) stay reserved for the records gets are decoding.
   */
  room(size: number, count: number, held: number, heldItems: number): number;
  /** Stores `bytes` at `at` (from `room`) with `priority`. */
  store(bytes: Uint8Array, at: number, priority: number): void;
  /**
   * Removes the next record (COUNT > 0) and returns its bytes, copied out into a scratch lent to
   * the caller until `giveBack`. Sets `takenPriority` and `takenOrder` for a `putBack`.
   */
  take(): Uint8Array;
  /** The priority of the record the last `take` removed (0 where the discipline has none). */
  takenPriority: number;
  /** The insertion order of the record the last `take` removed (priority only). */
  takenOrder: number;
  /**
   * Puts a record `take` removed back in front, as the next one out (COUNT items stored now, its
   * room held since the take, so it fits).
   */
  putBack(bytes: Uint8Array, priority: number, order: number, count: number): void;
  /**
   * `float64Codec` queues: when the next record is 8 bytes, removes it and returns it read as a
   * little-endian float64 (what `float64Codec.decode` returns); else `undefined`, nothing changed.
   */
  takeFloat64(): number | undefined;
  /**
   * `float64Codec` queues: stores `value` at `at` (from `room(12, …)`) as the record
   * `float64Codec.encode(value)` would give (8 bytes, little-endian), without the codec's call.
   */
  storeFloat64(value: number, at: number, priority: number): void;
  /**
   * Ends a get (COUNT and every other slot already the get's, LOCK held, journal open): what the
   * discipline left for last. A heap's sift down, journaled as a redo (header.ts, "Owner death");
   * nothing for the others.
   */
  settle(): void;
  /**
   * Before a put-back of a `size`-byte record opens its journal (LOCK held, COUNT items stored):
   * what must not run inside that journal. A heap compacts its arena here if the record would
   * not fit at TAIL (a compaction keeps a journal of its own); nothing for the others.
   */
  beforePutBack(size: number, count: number): void;
  /**
   * Finishes the move of the records a dead owner left under way (JOURNAL = SHIFTING: a FIFO
   * ring's `beforePutBack`); the others never start one.
   */
  finishShift(): void;
  /** Resets the storage of an empty queue. */
  clear(): void;
  /**
   * Before a growth (LOCK held): HEAD when the records are wrapped (a FIFO ring whose records run
   * from HEAD to the end, then from 0 to TAIL), so the part from HEAD to the end must move to the
   * new end (`growth.ts`); else -1: the new bytes join the free run past TAIL where they are.
   */
  wrappedHead(): number;
  /** The priority a put asks for (0 where the discipline has none). @throws on a bad one */
  priorityOf(options: PriorityOptions | undefined): number;
}

/** Record length marking "wrap to 0" in the FIFO ring (and the SPSC lane, `lane.ts`). */
export const WRAP = -1;

/** Per-thread scratch for records taken out of a queue, lent to one get at a time. */
let readScratch = new Uint8Array(256);
/** Whether a get holds `readScratch` (its decode may run a nested get: that one gets a copy). */
let lent = false;
/** The view on `readScratch` lent out last. */
let lentView: Uint8Array | undefined;
/** Records up to this many bytes skip `subarray`/`set` (`copyOut`, `writeRecord`). */
const SHORT = 64;
/**
 * `scratchViews[n]` is `readScratch.subarray(0, n)` (n ≤ {@link SHORT}), made once per length and
 * scratch: a queue of one kind of item repeats a few lengths.
 */
let scratchViews: (Uint8Array | undefined)[] = new Array(SHORT + 1).fill(undefined);
/** `readScratch` as 32-bit words (short records are copied a word at a time where aligned). */
let scratchWords = new Int32Array(readScratch.buffer);

/**
 * Copies `length` bytes at `start` of `u8` into the thread's scratch (or, if lent, a new array).
 * A short record is copied a word at a time (`words`: the data area as Int32Array; records
 * start 4-aligned) into a view made once per length: `subarray` and `set` were 21% of the CPU
 * samples of a put + get of `{ id, kind, value }` on Bun (`bun:jsc` `profile`), and made two
 * views per get. Measured (2026-12-01, 2 CPUs at load 3-6), median of the round-robin ratios of
 * one-thread putNowait + getNowait of that object, `AB_A=<tree before>/mod.ts npx bun
 * bench/probes/queue_ab_single.ts 15` (and node, deno run -A): these short paths with byte
 * loops (here and in `writeRecord`) vs `subarray` + `set`: Bun 0.84 and 0.80, Node 0.83 and
 * 0.84, Deno 0.85; then words vs bytes here (21 rounds): Bun 0.90, Node 0.92, Deno 0.97.
 * Numbers (float64Codec) 0.88-1.06 across runs, within noise.
 */
export function copyOut(
  u8: Uint8Array,
  words: Int32Array | undefined,
  start: number,
  length: number,
): Uint8Array {
  if (lent) return u8.slice(start, start + length);
  // `lent` is set once the copy is made: a copy that throws (an allocation, a patched prototype
  // in a test) left it set before, and every later get of the thread then copied into a fresh
  // array (found by `tests/queue_lane_test.ts` running before `tests/queue_test.ts` on Bun).
  if (length <= SHORT) {
    const view = scratchViews[length] ?? (scratchViews[length] = readScratch.subarray(0, length));
    if (words !== undefined && (start & 3) === 0) {
      // Whole words, the record's padding included (it is in the record, and in the scratch).
      const from = start >> 2, w = (length + 3) >> 2, to = scratchWords;
      for (let i = 0; i < w; i++) to[i] = words[from + i]!;
    } else {
      for (let i = 0; i < length; i++) view[i] = u8[start + i]!;
    }
    lent = true;
    lentView = view;
    return view;
  }
  if (readScratch.length < length) {
    let size = readScratch.length;
    while (size < length) size *= 2;
    readScratch = new Uint8Array(size);
    scratchViews = new Array(SHORT + 1).fill(undefined);
    scratchWords = new Int32Array(readScratch.buffer);
  }
  const bytes = readScratch.subarray(0, length);
  bytes.set(u8.subarray(start, start + length));
  lent = true;
  lentView = bytes;
  return bytes;
}

/** A private 8-byte scratch for `storeFloat64`: the float's bytes, as bytes and as two words. */
const f64Buffer = new ArrayBuffer(8);
const f64Bytes = new Uint8Array(f64Buffer);
const f64View = new DataView(f64Buffer);
const f64Words = new Int32Array(f64Buffer);
/** The length word of an 8-byte record (bytes 8, 0, 0, 0) read as a word in this CPU's order. */
const LENGTH_8 = new Int32Array(Uint8Array.of(8, 0, 0, 0).buffer)[0]!;

/**
 * Writes a record of `bytes` at `at` of a data area (`u8`, `dv` over the same bytes): its length
 * word, then the bytes. The FIFO ring's and the SPSC lane's (`lane.ts`) one writer. `n`: the
 * length, read once by a caller that must run no user code here (a `length` getter of a
 * Uint8Array subclass is user code; indexed reads and `set` from a typed array are not).
 */
export function writeRecord(
  u8: Uint8Array,
  dv: DataView,
  at: number,
  bytes: Uint8Array,
  n: number = bytes.length,
): void {
  // Short records byte by byte, the length too (little-endian, as `dv.getInt32(…, true)` reads
  // it): `DataView.setInt32` and `set` on the ring's SharedArrayBuffer are calls into the
  // runtime on Bun (`bun:jsc` `profile` of a put + get, 10% of the samples). Measured with
  // `copyOut` (see there). Words here too (the codec's scratch viewed as Int32Array, cached
  // per buffer) lost: objects Bun 0.85, Node 0.89, Deno 0.91 vs before, numbers 1.09 and 1.18
  // on Bun and Node (the buffer check on every 8-byte record), same probe and run length.
  if (n <= SHORT) {
    u8[at] = n;
    u8[at + 1] = 0;
    u8[at + 2] = 0;
    u8[at + 3] = 0;
    const p = at + 4;
    for (let i = 0; i < n; i++) u8[p + i] = bytes[i]!;
    return;
  }
  dv.setInt32(at, n, true);
  u8.set(bytes, at + 4);
}

/** The int32 length word at `at` of a data area (little-endian; byte loads, see `writeRecord`). */
export function lengthAt(u8: Uint8Array, at: number): number {
  return u8[at]! | (u8[at + 1]! << 8) | (u8[at + 2]! << 16) | (u8[at + 3]! << 24);
}

/**
 * Writes `float64Codec`'s record of `value` (12 bytes) at `at` (4-aligned) of a data area seen
 * as words: the length word and the float's bytes are moved as words, so the bytes land as
 * `writeRecord` would put them on any CPU.
 */
export function writeFloat64Record(words: Int32Array, at: number, value: number): void {
  f64View.setFloat64(0, value, true);
  const w = at >> 2;
  words[w] = LENGTH_8;
  words[w + 1] = f64Words[0]!;
  words[w + 2] = f64Words[1]!;
}

/** Reads the float64 of an 8-byte record at `at` (4-aligned), as `writeFloat64Record` wrote it. */
export function readFloat64Record(words: Int32Array, at: number): number {
  const w = at >> 2;
  f64Words[0] = words[w + 1]!;
  f64Words[1] = words[w + 2]!;
  return f64View.getFloat64(0, true);
}

/** Ends the loan of bytes a `take` returned (after their decode, and any put-back). */
export function giveBack(bytes: Uint8Array): void {
  if (bytes === lentView) {
    lent = false;
    lentView = undefined;
  }
}

/** What every discipline holds: the header and the data area; no priorities, one reset. */
abstract class Records implements Storage {
  protected readonly i32: Int32Array;
  protected readonly u8: Uint8Array;
  protected readonly dv: DataView;
  /** The data area as 32-bit words, where it starts 4-aligned (it does: `header.ts`). */
  protected readonly words: Int32Array | undefined;

  takenPriority = 0;
  takenOrder = 0;

  constructor(i32: Int32Array, areas: Areas) {
    this.i32 = i32;
    const u8 = areas.u8;
    this.u8 = u8;
    this.dv = areas.dv;
    this.words = (u8.byteOffset & 3) === 0
      ? new Int32Array(u8.buffer, u8.byteOffset, u8.length >> 2)
      : undefined;
  }

  abstract room(size: number, count: number, held: number, heldItems: number): number;
  abstract store(bytes: Uint8Array, at: number, priority: number): void;
  abstract take(): Uint8Array;
  abstract putBack(bytes: Uint8Array, priority: number, order: number, count: number): void;
  abstract takeFloat64(): number | undefined;

  priorityOf(_options: PriorityOptions | undefined): number {
    return 0;
  }

  /** The record through `store` (the FIFO ring writes its words itself). */
  storeFloat64(value: number, at: number, priority: number): void {
    f64View.setFloat64(0, value, true);
    this.store(f64Bytes, at, priority);
  }

  settle(): void {}

  beforePutBack(_size: number, _count: number): void {}

  finishShift(): void {
    throw new Error("threadkit: internal: only a FIFO ring shifts its records");
  }

  clear(): void {
    const i32 = this.i32;
    i32[HEAD] = 0;
    i32[TAIL] = 0;
    i32[LIVE] = 0;
  }

  /** A stack and an arena only gain room past TAIL: nothing to move. */
  wrappedHead(): number {
    return -1;
  }
}

/** FIFO: a ring of length-prefixed records from HEAD to TAIL; LIVE counts their bytes. */
class Ring extends Records {
  room(size: number, count: number, held: number): number {
    const i32 = this.i32;
    // Held records must fit back (`beforePutBack` makes room in front): stored + held + new <=
    // capacity.
    if (i32[LIVE]! + held + size > this.u8.length) return -1; // the queue may grow first
    if (count === 0) return 0;
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
    this.#write(at, bytes);
    i32[TAIL] = at + recordSize(bytes.length);
    i32[LIVE] = i32[LIVE]! + recordSize(bytes.length);
  }

  /**
   * `store` of `float64Codec`'s record of `value`, three words at once: the length word and the
   * float's bytes are moved as words, so the bytes land as `#write` would put them on any CPU.
   * With the queue's `#tryPutFloat64` it replaces encode (a call, its `instanceof` check) and
   * the byte loop of `#write` for the f64 queues the bench measures; see there for the figures.
   */
  override storeFloat64(value: number, at: number, priority: number): void {
    const words = this.words;
    if (words === undefined) return super.storeFloat64(value, at, priority);
    const i32 = this.i32;
    const tail = i32[TAIL]!;
    if (at !== tail && tail + 4 <= this.u8.length) this.dv.setInt32(tail, WRAP, true);
    writeFloat64Record(words, at, value);
    i32[TAIL] = at + 12;
    i32[LIVE] = i32[LIVE]! + 12;
  }

  #write(at: number, bytes: Uint8Array): void {
    writeRecord(this.u8, this.dv, at, bytes);
  }

  /** The int32 length word at `at` (little-endian; byte loads, see `writeRecord`). */
  #length(at: number): number {
    return lengthAt(this.u8, at);
  }

  /** Where a record read at `at` starts: `at`, or 0 when `at` marks (or is too near) the end. */
  #start(at: number): number {
    return at + 4 > this.u8.length || this.#length(at) === WRAP ? 0 : at;
  }

  take(): Uint8Array {
    const i32 = this.i32;
    const head = this.#start(i32[HEAD]!);
    const length = this.#length(head);
    i32[HEAD] = head + recordSize(length);
    i32[LIVE] = i32[LIVE]! - recordSize(length);
    return copyOut(this.u8, this.words, head + 4, length);
  }

  takeFloat64(): number | undefined {
    const i32 = this.i32;
    const head = this.#start(i32[HEAD]!);
    if (this.dv.getInt32(head, true) !== 8) return undefined;
    i32[HEAD] = head + 12;
    i32[LIVE] = i32[LIVE]! - 12;
    return this.dv.getFloat64(head + 4, true);
  }

  /**
   * Makes room in front of HEAD for a put-back of `size` bytes when the free run there is too
   * short (unwrapped: 0..HEAD; wrapped: TAIL..HEAD): the run of records from HEAD (to TAIL, or,
   * wrapped, to the end mark) moves up to the end of the data area, so the free run in front of
   * it is all the free bytes, and stored + held <= capacity (the put-back's own room is still
   * held) makes them enough. Rare: only a failed decode pays it, and only when puts filled the
   * room its record left (after a get that emptied the queue reset it to 0, say). A redo journal
   * of its own (SHIFTING, before the put-back's opens): a taker finishes it (`finishShift`).
   * Was: the whole ring re-packed from 0 through a copy in this thread's memory, which a death
   * after the copy-back left half-described (README known limit; tests/regressions/
   * queue_owner_killed_inside_a_put_back_test.ts).
   */
  override beforePutBack(size: number, count: number): void {
    if (count === 0) return; // `putBack` starts the ring again at 0
    const i32 = this.i32;
    const head = i32[HEAD]!;
    const tail = i32[TAIL]!;
    const wrapped = tail <= head;
    const front = wrapped ? head - tail : head; // the free run in front of HEAD
    if (size <= front) return;
    const end = wrapped ? this.#runEnd(head) : tail;
    const by = this.u8.length - end;
    if (by < size - front) {
      throw new Error("threadkit: internal: no room for a put-back (stored + held > capacity)");
    }
    // Every SHIFT_* slot before JOURNAL: a taker that finds SHIFTING finds them all (a death
    // before leaves the journal closed and the ring as it was).
    i32[SHIFT_HEAD] = head;
    i32[SHIFT_BY] = by;
    i32[SHIFT_TAIL] = wrapped ? -1 : this.u8.length; // unwrapped, the records end at the end
    i32[SHIFT_LEFT] = end - head;
    i32[JOURNAL] = SHIFTING;
    this.finishShift();
  }

  /** Where the run of records from `at` ends: at the WRAP mark, or the < 4 bytes before the end. */
  #runEnd(at: number): number {
    const length = this.u8.length;
    while (at + 4 <= length) {
      const n = this.#length(at);
      if (n === WRAP) break;
      at += recordSize(n);
    }
    return Math.min(at, length);
  }

  /**
   * Makes the shift whose journal is open: the run's bytes not yet moved (SHIFT_LEFT, from the
   * end down, `moveUp`), then HEAD and TAIL from the saved values (a redo after these writes
   * writes the same), then the journal closed.
   */
  override finishShift(): void {
    const i32 = this.i32;
    const head = i32[SHIFT_HEAD]!;
    const by = i32[SHIFT_BY]!;
    let step = moveUp(this.u8, i32, SHIFT_LEFT, head, head + by, 0);
    i32[HEAD] = head + by;
    testStep(step++);
    const tail = i32[SHIFT_TAIL]!;
    if (tail >= 0) i32[TAIL] = tail;
    testStep(step++);
    i32[JOURNAL] = 0;
  }

  /**
   * In front of HEAD (`beforePutBack` made the room): unwrapped, 0..HEAD; wrapped, TAIL..HEAD.
   * Into an empty queue, at 0.
   */
  putBack(bytes: Uint8Array, _priority: number, _order: number, count: number): void {
    const i32 = this.i32;
    const size = recordSize(bytes.length);
    if (count === 0) {
      this.clear();
      this.#write(0, bytes);
      i32[TAIL] = size;
      i32[LIVE] = size;
      return;
    }
    const head = i32[HEAD]!;
    const tail = i32[TAIL]!;
    if (size > (tail > head ? head : head - tail)) {
      throw new Error("threadkit: internal: a put-back without room in front (beforePutBack)");
    }
    // A HEAD at a WRAP mark (or the < 4 byte slack) still reads on at 0 after this record.
    this.#write(head - size, bytes);
    i32[HEAD] = head - size;
    i32[LIVE] = i32[LIVE]! + size;
  }

  /**
   * Unwrapped (HEAD < TAIL, or empty), the new bytes extend the free run after TAIL: nothing
   * moves. Wrapped (COUNT > 0 and TAIL <= HEAD; equal is full), the records read HEAD..old end,
   * then 0..TAIL: the part from HEAD to the old end (with its WRAP mark, or the < 4 byte slack
   * that stands for one) moves to the new end, so HEAD..end, then 0..TAIL reads the same records
   * in the same order and the new bytes join the free run TAIL..HEAD.
   */
  override wrappedHead(): number {
    const i32 = this.i32;
    const head = i32[HEAD]!;
    return Atomics.load(i32, COUNT) > 0 && i32[TAIL]! <= head ? head : -1;
  }
}

/** LIFO: records stacked from 0 to TAIL, each with its length on top. */
class Stack extends Records {
  room(size: number, _count: number, held: number): number {
    const tail = this.i32[TAIL]!;
    return tail + held + size <= this.u8.length ? tail : -1; // held records go back on top
  }

  store(bytes: Uint8Array, at: number): void {
    this.u8.set(bytes, at);
    this.dv.setInt32(at + pad4(bytes.length), bytes.length, true);
    this.i32[TAIL] = at + recordSize(bytes.length);
  }

  take(): Uint8Array {
    const tail = this.i32[TAIL]!;
    const length = this.dv.getInt32(tail - 4, true);
    this.i32[TAIL] = tail - recordSize(length);
    return copyOut(this.u8, this.words, tail - 4 - pad4(length), length);
  }

  takeFloat64(): number | undefined {
    const tail = this.i32[TAIL]!;
    if (this.dv.getInt32(tail - 4, true) !== 8) return undefined;
    this.i32[TAIL] = tail - 12;
    return this.dv.getFloat64(tail - 12, true);
  }

  /** On top again (above any item put meanwhile: the next get takes it first). */
  putBack(bytes: Uint8Array): void {
    this.store(bytes, this.i32[TAIL]!);
  }
}

/**
 * Test hook: called at each step of a heap's sift, of its repair, of an arena compaction and of
 * a growth, after the step's copy and before its progress is recorded (a test ends its thread
 * there).
 */
let siftStep: ((step: number) => void) | undefined;

/** Calls the test hook (a growth's steps, `growth.ts`). */
export function testStep(step: number): void {
  siftStep?.(step);
}

/** Sets (or, with `undefined`, clears) the test hook called at each step of a heap's sift. */
export function setSiftHook(hook: ((step: number) => void) | undefined): void {
  siftStep = hook;
}

/**
 * Moves the `left` bytes (recorded at slot `leftSlot`) of a region from `src` up to `dst`
 * (`dst` > `src`), from its end down, in chunks no longer than the distance: a chunk writes at or
 * past `dst + left - chunk` >= `src + left`, never below the part still to move, so after a death
 * the recorded `left` names bytes still intact at `src`. Returns the next test step.
 */
export function moveUp(
  bytes: Uint8Array,
  i32: Int32Array,
  leftSlot: number,
  src: number,
  dst: number,
  step: number,
): number {
  const distance = dst - src;
  if (distance <= 0 && i32[leftSlot]! > 0) throw new Error("threadkit: internal: a move up by 0");
  for (let left = i32[leftSlot]!; left > 0;) {
    const chunk = Math.min(left, distance);
    testStep(step++);
    bytes.copyWithin(dst + left - chunk, src + left - chunk, src + left);
    testStep(step++);
    left -= chunk;
    i32[leftSlot] = left; // after the copy: a death before this write repeats the same chunk
  }
  return step;
}

/**
 * Test hook: called at each step of a fold of released room into the bounds (`QueueBase`'s `#fold`,
 * from `#findRoom` or, after a put, `#roomLeft`).
 */
let foldHook: ((step: number) => void) | undefined;

/** Calls the fold's test hook. */
export function foldStep(step: number): void {
  foldHook?.(step);
}

/** Sets (or, with `undefined`, clears) the test hook called at each step of a fold. */
export function setFoldHook(hook: ((step: number) => void) | undefined): void {
  foldHook = hook;
}

/** Priority: records appended to an arena, ordered by a binary heap of (priority, order). */
class Heap extends Records implements Sifts {
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

  room(size: number, count: number, held: number, heldItems: number): number {
    if (count + heldItems >= this.#prio.length) return -1;
    const i32 = this.i32;
    const capacity = this.u8.length;
    if (i32[LIVE]! + held + size > capacity) return -1;
    if (i32[TAIL]! + size <= capacity) return i32[TAIL]!;
    this.#compact(count);
    return i32[TAIL]!;
  }

  store(bytes: Uint8Array, at: number, priority: number): void {
    const order = this.i32[ORDER]!;
    this.i32[ORDER] = (order + 1) | 0;
    this.#place(bytes, at, priority, order);
  }

  #place(bytes: Uint8Array, at: number, priority: number, order: number): void {
    const i32 = this.i32;
    const size = recordSize(bytes.length);
    this.dv.setInt32(at, bytes.length, true);
    this.u8.set(bytes, at + 4);
    i32[TAIL] = at + size;
    i32[LIVE] = i32[LIVE]! + size;
    this.#push(at, bytes.length, order, priority);
  }

  take(): Uint8Array {
    const i32 = this.i32;
    const offset = this.#heap[0]!;
    const length = this.#heap[1]!;
    const size = recordSize(length);
    this.takenPriority = this.#prio[0]!;
    this.takenOrder = this.#heap[2]!;
    const bytes = copyOut(this.u8, this.words, offset + 4, length);
    i32[LIVE] = i32[LIVE]! - size;
    if (offset + size === i32[TAIL]!) i32[TAIL] = offset;
    // The root's entry leaves the heap at `settle`, the get's last step.
    return bytes;
  }

  takeFloat64(): number | undefined {
    if (this.#heap[1] !== 8) return undefined;
    const offset = this.#heap[0]!;
    const value = this.dv.getFloat64(offset + 4, true);
    const i32 = this.i32;
    i32[LIVE] = i32[LIVE]! - 12;
    if (offset + 12 === i32[TAIL]!) i32[TAIL] = offset;
    return value;
  }

  /** Compacts the arena when the record would not fit at TAIL (see `Storage.beforePutBack`). */
  override beforePutBack(size: number, count: number): void {
    if (this.i32[TAIL]! + size > this.u8.length) this.#compact(count);
  }

  /** With its own priority and insertion order: it comes out exactly where it was. */
  putBack(bytes: Uint8Array, priority: number, order: number, count: number): void {
    // Its room and heap entry were held: with nothing held back, there is room.
    this.#place(bytes, this.room(recordSize(bytes.length), count, 0, 0), priority, order);
  }

  /** Whether heap entry `a` comes out before `b`. */
  #before(a: number, b: number): boolean {
    return this.#precedes(this.#prio[a]!, this.#heap[a * 3 + 2]!, b);
  }

  /** Whether an entry of `priority` and insertion `order` comes out before heap entry `b`. */
  #precedes(priority: number, order: number, b: number): boolean {
    const pb = this.#prio[b]!;
    if (priority !== pb) return priority < pb;
    return ((order - this.#heap[b * 3 + 2]!) | 0) < 0;
  }

  /** Copies heap entry `from` over entry `to`. */
  #copy(from: number, to: number): void {
    const heap = this.#heap;
    this.#prio[to] = this.#prio[from]!;
    heap[to * 3] = heap[from * 3]!;
    heap[to * 3 + 1] = heap[from * 3 + 1]!;
    heap[to * 3 + 2] = heap[from * 3 + 2]!;
  }

  /**
   * Adds an entry at place COUNT and sifts it up, journaled (header.ts, "Owner death"): the hole
   * starts at COUNT and moves up while the new entry comes out before the hole's parent, each
   * step copying the parent down into the hole, then recording the parent as the hole in
   * SIFT_HOLE. Invariant while SIFT_UP is set, hole h (SIFT_HOLE): every place on the path from
   * COUNT up to h, h excluded, holds its parent's entry from before the put; h and every place
   * above it hold their own (h, after the last step, the new entry, perhaps half written). So
   * {@link undoSiftUp} puts every moved entry back by moving the hole down again.
   *
   * Cost of the hole-based, journaled sifts vs the swaps before them (which no death could be
   * repaired from), one thread, putNowait at a scrambled priority + getNowait on a PriorityQueue of
   * numbers holding 1,023 items, median of 21 round-robin rounds (`AB_KINDS=priority
   * AB_A=<before>/mod.ts AB_B=<after>/mod.ts bench/probes/queue_ab_single.ts 21`, 2026-12-02
   * ~13:05 UTC): after ÷ before Node 1.06 (and 0.97 with the trees swapped), Deno 0.88, Bun
   * 0.73: a hole moves one entry a step where a swap wrote two; the journal adds one write a step.
   */
  #push(offset: number, length: number, order: number, priority: number): void {
    const i32 = this.i32;
    let hole = i32[COUNT]!; // LOCK held: plain
    i32[SIFT_HOLE] = hole;
    i32[JOURNAL] = i32[JOURNAL]! | SIFT_UP; // after SIFT_HOLE: the flag names a hole
    let step = 0;
    while (hole > 0) {
      const parent = (hole - 1) >> 1;
      if (!this.#precedes(priority, order, parent)) break;
      this.#copy(parent, hole);
      siftStep?.(step++);
      i32[SIFT_HOLE] = parent; // a death before this repeats the copy above: the same entry
      hole = parent;
    }
    const heap = this.#heap;
    heap[hole * 3] = offset;
    heap[hole * 3 + 1] = length;
    heap[hole * 3 + 2] = order;
    this.#prio[hole] = priority;
  }

  /** Undoes a put's sift up (see {@link #push}): moves the hole back down to `start`. */
  undoSiftUp(start: number): void {
    const i32 = this.i32;
    let hole = i32[SIFT_HOLE]!;
    let step = 0;
    while (hole !== start) {
      // The child of the hole on the path up from `start`: it holds the hole's own entry.
      // A hole off that path (a journal the invariant says cannot be) fails loudly rather than
      // spinning here with LOCK held.
      let child = start;
      while (((child - 1) >> 1) !== hole) {
        if (child <= 0) {
          throw new Error(
            `Cannot repair the priority queue: its journal's hole ${hole} is not on the path up from ${start}`,
          );
        }
        child = (child - 1) >> 1;
      }
      this.#copy(child, hole);
      siftStep?.(step++);
      i32[SIFT_HOLE] = child;
      hole = child;
    }
  }

  /**
   * A get's last step: the root's entry (taken) leaves the heap, the last one (at place COUNT,
   * which the get has already counted down) sinks from the root. The first write makes the get
   * final: JOURNAL drops the get's save set for SIFT_DOWN_ROOT, and a taker finishes the sift
   * ({@link redoSiftDown}) instead of undoing the get.
   */
  override settle(): void {
    const i32 = this.i32;
    const last = i32[COUNT]!;
    if (last === 0) return; // the root was the last entry
    i32[JOURNAL] = SIFT_DOWN_ROOT;
    this.#siftDown(0, last);
  }

  /** Finishes a get's sift down from `hole` (a taker's redo). */
  redoSiftDown(hole: number): void {
    this.#siftDown(hole, this.i32[COUNT]!);
  }

  /**
   * Sinks the entry at `last` from `hole`: while a child of the hole comes out before it, copies
   * that child up into the hole, then records the child as the hole (SIFT_HOLE, SIFT_DOWN);
   * finally copies the entry at `last` into the hole. Places below `last` only are written, so
   * the sinking entry stays where it is until that copy. Invariant while SIFT_DOWN is set, hole
   * h: every place on the path from the root down to h, h excluded, holds the entry its child on
   * the path held, so carrying on from h (the same choices, from the same children) completes
   * the sift; a step repeated after a death between its copy and its record copies the same
   * child again.
   */
  #siftDown(hole: number, last: number): void {
    const i32 = this.i32;
    let step = 0;
    for (;;) {
      const left = 2 * hole + 1;
      if (left >= last) break;
      const right = left + 1;
      const child = right < last && this.#before(right, left) ? right : left;
      if (!this.#before(child, last)) break;
      this.#copy(child, hole);
      siftStep?.(step++);
      i32[SIFT_HOLE] = child;
      i32[JOURNAL] = SIFT_DOWN; // after SIFT_HOLE: from the first step on, the hole is there
      hole = child;
    }
    this.#copy(last, hole);
  }

  /**
   * Moves the live records of the arena to its start (LOCK held, journal closed), journaled as a
   * redo (header.ts, "Owner death"): a compaction changes where records are, never what the
   * queue holds, so a taker finishes it ({@link redoCompaction}). The records move in the order
   * of their offsets, each down to COMPACT_WRITE, in chunks no longer than the distance it
   * moves: a chunk's copy never overwrites the source of itself or of a later chunk, so a chunk
   * copied again after a death copies the same bytes. Journal: COMPACT_ENTRY the entry moving,
   * COMPACT_DONE its bytes copied, COMPACT_WRITE where it goes (and the end of every record
   * moved before it). An entry's offset is rewritten after its last chunk; a redo skips the
   * entries already below COMPACT_WRITE (sorted by offset, the order is the same).
   * Cost: one `copyWithin` per record that moves at least its own length (the usual case: the
   * holes are records got), else one per chunk: a 1 MiB record moved by 4 bytes took 10.3 ms in
   * 262,144 chunks, by 16 bytes 9.0 ms, against 0.33 ms for one `copyWithin` (Node, 2026-12-02,
   * `/tmp` loop of the same copies and journal stores). A single overlapping copy cannot be
   * redone: a death after it but before its record would copy from bytes it overwrote.
   */
  #compact(count: number): void {
    const i32 = this.i32;
    // Its slots are the saved slots: never inside an operation's journal (see beforePutBack).
    if (i32[JOURNAL] !== 0) throw new Error("Cannot compact a priority queue inside its journal");
    i32[COMPACT_WRITE] = 0;
    i32[COMPACT_ENTRY] = -1;
    i32[COMPACT_DONE] = 0;
    i32[JOURNAL] = COMPACTING; // after the slots it names
    this.#compactOn(count);
  }

  /** Finishes a compaction a dead owner began (a taker's redo; COUNT as it was then). */
  redoCompaction(): void {
    this.#compactOn(this.i32[COUNT]!);
  }

  #compactOn(count: number): void {
    const i32 = this.i32;
    const heap = this.#heap;
    const entries = Array.from({ length: count }, (_, i) => i).sort((a, b) =>
      heap[a * 3]! - heap[b * 3]!
    );
    let step = 0;
    for (const e of entries) {
      const offset = heap[e * 3]!;
      const write = i32[COMPACT_WRITE]!;
      if (offset < write) continue; // moved before a death: in place below COMPACT_WRITE
      const size = recordSize(heap[e * 3 + 1]!);
      let done = i32[COMPACT_ENTRY] === e ? i32[COMPACT_DONE]! : 0;
      if (done === 0) {
        i32[COMPACT_DONE] = 0;
        i32[COMPACT_ENTRY] = e; // after DONE: a death between starts this entry afresh
      }
      const gap = offset - write;
      while (gap > 0 && done < size) {
        const chunk = Math.min(gap, size - done);
        this.u8.copyWithin(write + done, offset + done, offset + done + chunk);
        siftStep?.(step++);
        done += chunk;
        i32[COMPACT_DONE] = done;
      }
      heap[e * 3] = write;
      i32[COMPACT_WRITE] = write + size; // after the offset: a redo finds it at COMPACT_WRITE
    }
    i32[TAIL] = i32[COMPACT_WRITE]!;
    i32[JOURNAL] = 0;
  }
}

/** The storage of a queue of `discipline` over header `i32` and `areas`. */
export function storageFor(discipline: number, i32: Int32Array, areas: Areas): Storage {
  if (discipline === FIFO) return new Ring(i32, areas);
  if (discipline === LIFO) return new Stack(i32, areas);
  return new Heap(i32, areas);
}
