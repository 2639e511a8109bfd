/**
 * A PriorityQueue's heap survives its owner's death at every write (`src/queue/storage.ts`,
 * `Heap`; header.ts, "Owner death"): a put, a get (the float64Codec path and the general one)
 * and a put-back, killed before each of their writes, are repaired by `undo` (journal.ts) into
 * the queue as before the operation (a get from its SIFT_DOWN_ROOT on: as after it), and an
 * arena compaction (a put's `room`, a put-back's `beforePutBack`) killed before each of its
 * writes, each `copyWithin` included, is finished by the taker's redo, and by a second taker's
 * when the first dies inside its redo too. After each repair: the same items (priority, insertion
 * order, length), every record byte-exact where its entry says, in heap order, no two records
 * overlapping, none past TAIL, LIVE their bytes, and the journal closed.
 *
 * Why Proxies: a worker ended by `terminate()` (or a pool's abort) stops between any two
 * JavaScript statements, so a death is modelled as a throw before the next write to the queue's
 * memory: every store to an element of the header, the priorities, the heap entries or the data
 * area, and every call of a writing builtin (`copyWithin`, `set`, `fill`, a DataView's `set*`),
 * which runs to its end once started and so counts as one write. The storage is built over
 * Proxies of plain views that count the writes and throw at the chosen one; the repair then runs
 * over the memory as the death left it (first dying too, at each of its own writes, and after a
 * sample of those deaths, a second repair at each of its writes: all of them would take minutes).
 * Randomness is seeded (`random`, tests/faults/shared.ts): every run tries the same deaths.
 *
 * The same deaths in real threads, at chosen steps of the sifts and of a compaction:
 * tests/regressions/priority_queue_owner_killed_inside_a_sift_test.ts.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  COUNT,
  HEADER_SLOTS,
  HEAP_PUT_BACK_SAVES,
  HELD,
  HELD_BYTES,
  JOURNAL,
  JOURNAL_SAVED,
  LIVE,
  ORDER,
  PRIORITY,
  recordSize,
  SIFT_DOWN,
  SIFT_DOWN_ROOT,
  SIFT_HOLE,
  TAIL,
  UNFINISHED,
} from "../src/queue/header.ts";
import { close, open, openGet, openPut, type Sifts, undo } from "../src/queue/journal.ts";
import { giveBack, type Storage, storageFor } from "../src/queue/storage.ts";
import { random } from "./faults/shared.ts";
import { attempt, dying, made, refused, writes } from "./dying_views.ts";

// ---------------------------------------------------------------------------------------------
// A PriorityQueue's memory, outside a queue

/** The views of one queue: header, priorities, heap entries, data area (plain, never shared). */
interface Mem {
  i32: Int32Array;
  prio: Float64Array;
  heap: Int32Array;
  u8: Uint8Array;
}

function fresh(entries: number, capacity: number): Mem {
  return {
    i32: new Int32Array(HEADER_SLOTS),
    prio: new Float64Array(entries),
    heap: new Int32Array(3 * entries),
    u8: new Uint8Array(capacity),
  };
}

function clone(m: Mem): Mem {
  return { i32: m.i32.slice(), prio: m.prio.slice(), heap: m.heap.slice(), u8: m.u8.slice() };
}

/**
 * A `Heap` over `m` (its views dying ones when `die`), with the header it writes. `storageFor`
 * returns the `Storage` interface; a PRIORITY storage is a `Heap`, which implements `Sifts` too
 * (the queue casts it the same way, `QueueBase#repairQueue`).
 */
function storage(m: Mem, die: boolean): { i32: Int32Array; s: Storage & Sifts } {
  const dv = new DataView(m.u8.buffer);
  const i32 = die ? dying(m.i32) : m.i32;
  const areas = die
    ? { prio: dying(m.prio), heap: dying(m.heap), u8: dying(m.u8), dv: dying(dv) }
    : { prio: m.prio, heap: m.heap, u8: m.u8, dv };
  return { i32, s: storageFor(PRIORITY, i32, areas) as Storage & Sifts };
}

/**
 * The bytes of the item put `order`-th, `length` long: its record is checked byte for byte.
 * Each byte below 0x80, so 8 of them never read as a NaN (whose bytes a float64 store may not
 * keep): `storeFloat64` of `asFloat64(order)` writes these bytes.
 */
function itemBytes(order: number, length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => itemByte(order, i));
}

const itemByte = (order: number, i: number) => (order * 31 + i * 7 + 1) & 0x7f;

const asFloat64 = (order: number) => new DataView(itemBytes(order, 8).buffer).getFloat64(0, true);

/** An item a get took and holds (decoding it), for a put-back. */
interface Held {
  priority: number;
  order: number;
  bytes: Uint8Array;
}

/**
 * `QueueBase`'s put under LOCK (`#tryPut`, `#tryPutFloat64`): room (which may compact), journal,
 * record and sift, count. False when there is no room.
 */
function put(m: Mem, priority: number, length: number, die: boolean, f64 = false): boolean {
  const { i32, s } = storage(m, die);
  const order = i32[ORDER]!;
  const at = s.room(recordSize(length), i32[COUNT]!, i32[HELD_BYTES]!, i32[HELD]!);
  if (at < 0) return false;
  openPut(i32);
  if (f64 && length === 8) s.storeFloat64(asFloat64(order), at, priority);
  else s.store(itemBytes(order, length), at, priority);
  i32[COUNT] = i32[COUNT]! + 1;
  i32[UNFINISHED] = i32[UNFINISHED]! + 1;
  close(i32);
  return true;
}

/**
 * `QueueBase`'s get under LOCK (`#tryGet`): with `f64`, float64Codec's path (`takeFloat64`, no
 * hold) when the front record is 8 bytes; else `take` and the item held. Returns what it took.
 */
function get(m: Mem, die: boolean, f64: boolean): Held {
  const { i32, s } = storage(m, die);
  openGet(i32);
  if (f64) {
    const order = m.heap[2]!;
    const priority = m.prio[0]!;
    const value = s.takeFloat64();
    if (value !== undefined) {
      const count = i32[COUNT]! - 1;
      i32[COUNT] = count;
      if (count === 0) s.clear();
      s.settle();
      close(i32);
      assert.equal(value, asFloat64(order), "takeFloat64 read the front record");
      return { priority, order, bytes: itemBytes(order, 8) };
    }
  }
  const bytes = s.take().slice(); // a copy (outside `withScratchLent`, take lends a scratch)
  const taken = { priority: s.takenPriority, order: s.takenOrder, bytes };
  i32[HELD_BYTES] = i32[HELD_BYTES]! + recordSize(bytes.length);
  i32[HELD] = i32[HELD]! + 1;
  const count = i32[COUNT]! - 1;
  i32[COUNT] = count;
  if (count === 0) s.clear();
  s.settle();
  close(i32);
  return taken;
}

/** A held item's room given up (its decode succeeded): `#release` and a put's fold in one. */
function release(m: Mem, held: Held): void {
  m.i32[HELD_BYTES] = m.i32[HELD_BYTES]! - recordSize(held.bytes.length);
  m.i32[HELD] = m.i32[HELD]! - 1;
}

/** `QueueBase#putBack` under LOCK: compaction if need be, journal, hold given back, record. */
function putBack(m: Mem, held: Held, die: boolean): void {
  const { i32, s } = storage(m, die);
  const size = recordSize(held.bytes.length);
  s.beforePutBack(size, i32[COUNT]!);
  open(i32, HEAP_PUT_BACK_SAVES);
  i32[HELD_BYTES] = i32[HELD_BYTES]! - size;
  i32[HELD] = i32[HELD]! - 1;
  s.putBack(held.bytes, held.priority, held.order, i32[COUNT]!);
  i32[COUNT] = i32[COUNT]! + 1;
  close(i32);
}

/**
 * Runs `fn` with this thread's read scratch lent (storage.ts, `copyOut`), so that every `take`
 * in it copies to a new array: a death inside `take`, after its copy, would leave the scratch
 * lent (to a get that never gives it back) for the rest of the process, the other test files Bun
 * runs in it included.
 */
function withScratchLent(fn: () => void): void {
  const m = fresh(1, 16);
  put(m, 0, 1, false);
  const loan = storage(m, false).s.take();
  try {
    fn();
  } finally {
    giveBack(loan);
  }
}

/** What a thread that takes LOCK over does first (`QueueBase#repairQueue`). */
function repair(m: Mem, die: boolean): void {
  const { i32, s } = storage(m, die);
  undo(i32, s);
}

/**
 * Checks the queue in `m` (journal closed, heap order, records byte-exact, no overlap, none past
 * TAIL, LIVE their bytes) and returns its items, sorted, as `priority/order/length`.
 */
function contents(m: Mem): string {
  const { i32, prio, heap, u8 } = m;
  assert.equal(i32[JOURNAL], 0, "journal closed");
  const count = i32[COUNT]!;
  const dv = new DataView(u8.buffer);
  const items: string[] = [];
  const spans: [number, number][] = [];
  let live = 0;
  for (let i = 0; i < count; i++) {
    const offset = heap[i * 3]!, length = heap[i * 3 + 1]!, order = heap[i * 3 + 2]!;
    assert.ok(offset >= 0 && offset + recordSize(length) <= u8.length, `entry ${i} in the arena`);
    assert.equal(dv.getInt32(offset, true), length, `entry ${i}: the length word at ${offset}`);
    for (let b = 0; b < length; b++) {
      if (u8[offset + 4 + b] !== itemByte(order, b)) {
        assert.fail(`entry ${i} (order ${order}): byte ${b}`);
      }
    }
    if (i > 0) {
      const parent = (i - 1) >> 1;
      const first = prio[parent]! < prio[i]! ||
        (prio[parent] === prio[i] && ((heap[parent * 3 + 2]! - order) | 0) < 0);
      assert.ok(first, `heap order: entry ${parent} before its child ${i}`);
    }
    spans.push([offset, offset + recordSize(length)]);
    live += recordSize(length);
    items.push(`${prio[i]}/${order}/${length}`);
  }
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) {
    assert.ok(
      spans[i]![0] >= spans[i - 1]![1],
      `records at ${spans[i - 1]![0]}, ${spans[i]![0]} overlap`,
    );
  }
  if (spans.length > 0) assert.ok(spans.at(-1)![1] <= i32[TAIL]!, "no record past TAIL");
  assert.equal(i32[LIVE], live, "LIVE counts the records' bytes");
  return items.sort().join(",");
}

// ---------------------------------------------------------------------------------------------
// Trials

interface Trial {
  label: string;
  /** The queue before the operation (journal closed). */
  base: Mem;
  /** The operation, its views dying ones when `die`. */
  op: (m: Mem, die: boolean) => void;
  /** The contents a repair must leave, given the memory as the death left it. */
  expected: (dead: Mem) => string;
  /** Also checked after each repair (given the memory as the death left it too). */
  extra?: (repaired: Mem, dead: Mem) => void;
  /**
   * About how many deaths in the first repair are followed by deaths at every write of a second
   * one (none if absent): the deaths of an operation of w writes and of its repairs are ~w³.
   */
  twice?: number;
}

/** How many deaths a trial tried (of the operation, of a repair, of a second repair). */
interface Tally {
  deaths: number;
  redoDeaths: number;
  secondRedoDeaths: number;
  /** Deaths just before a `copyWithin`, or just after one (before its progress is recorded). */
  copyDeaths: number;
}

const tally = (): Tally => ({ deaths: 0, redoDeaths: 0, secondRedoDeaths: 0, copyDeaths: 0 });

/**
 * Kills `t.op` before each of its writes in turn (until it runs to its end); after each death,
 * repairs, killing the repair before each of its writes too (and, where `t.twice` says, the
 * second repair after it), then repairs to the end and checks the queue.
 */
function trial(t: Trial, count: Tally): void {
  let stride = Infinity; // deaths in a second repair after every stride-th death in the first
  if (t.twice !== undefined) {
    attempt(Infinity, () => t.op(clone(t.base), true));
    stride = Math.max(1, Math.ceil((writes * writes) / 2 / t.twice));
  }
  let redoDeaths = 0;
  for (let k = 0;; k++) {
    const dead = clone(t.base);
    if (!attempt(k, () => t.op(dead, true))) return;
    count.deaths++;
    if (refused === "copyWithin" || made === "copyWithin") count.copyDeaths++;
    const want = t.expected(dead);
    const finish = (m: Mem, where: string) => {
      repair(m, false);
      try {
        assert.equal(contents(m), want, "the queue's items");
        t.extra?.(m, dead);
      } catch (error) {
        throw new Error(`${t.label}, death before write ${k}${where}: ${String(error)}`, {
          cause: error,
        });
      }
    };
    for (let j = 0;; j++) {
      const redo = clone(dead);
      if (!attempt(j, () => repair(redo, true))) {
        finish(redo, j === 0 ? "" : ", its repair run to the end");
        break;
      }
      count.redoDeaths++;
      if (++redoDeaths % stride !== 0) {
        finish(redo, `, the repair dead before its write ${j}`);
        continue;
      }
      for (let j2 = 0;; j2++) {
        const again = clone(redo);
        const died = attempt(j2, () => repair(again, true));
        if (died) count.secondRedoDeaths++;
        finish(
          again,
          `, the repair dead before its write ${j}, the second before ${died ? j2 : "-"}`,
        );
        if (!died) break;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Sifts

/** The item a get must take: the least (priority, insertion order) of `m`'s, as `contents`. */
function front(m: Mem): string {
  let best = 0;
  for (let i = 1; i < m.i32[COUNT]!; i++) {
    const p = m.prio[i]!, q = m.prio[best]!;
    if (p < q || (p === q && ((m.heap[i * 3 + 2]! - m.heap[best * 3 + 2]!) | 0) < 0)) best = i;
  }
  return `${m.prio[best]}/${m.heap[best * 3 + 2]}/${m.heap[best * 3 + 1]}`;
}

/** Deaths at every write of a second repair after about this many deaths in a first one. */
const SIFT_TWICE = 200;

test("a heap's put, get and put-back killed before any write are repaired, the repair killed too", () =>
  withScratchLent(() => {
    const rnd = random(0x5eed);
    const count = tally();
    let madeGets = 0;
    for (let round = 0; round < 30; round++) {
      const m = fresh(64, 1 << 12);
      const length = () => (rnd() < 0.6 ? 8 : Math.floor(rnd() * 17));
      for (let n = 1 + Math.floor(rnd() * 30); n > 0; n--) {
        put(m, Math.floor(rnd() * 8), length(), false, rnd() < 0.5);
      }
      // Items held by gets decoding them (HELD_BYTES is the last slot a get's journal saves, the
      // slot SIFT_HOLE shares), and stale junk in the saved slots, as earlier operations leave.
      for (let h = Math.floor(rnd() * 3); h > 0 && m.i32[COUNT]! > 1; h--) get(m, false, false);
      for (let s = JOURNAL_SAVED; s <= SIFT_HOLE; s++) m.i32[s] = Math.floor(rnd() * 40) - 2;
      const before = contents(m);
      const at = `round ${round}, ${m.i32[COUNT]} items`;

      const priority = Math.floor(rnd() * 9) - 1;
      const len = length();
      const f64Put = rnd() < 0.5;
      trial({
        label: `put(priority ${priority}, ${len} bytes${f64Put ? ", storeFloat64" : ""}), ${at}`,
        base: m,
        op: (x, die) => assert.ok(put(x, priority, len, die, f64Put)),
        expected: () => before, // undone
        twice: SIFT_TWICE,
      }, count);

      for (const f64 of [true, false]) {
        const after = clone(m);
        const taken = get(after, false, f64);
        assert.equal(`${taken.priority}/${taken.order}/${taken.bytes.length}`, front(m));
        const afterItems = contents(after);
        trial({
          label: `get(${f64 ? "takeFloat64" : "take"}), ${at}`,
          base: m,
          op: (x, die) => void get(x, die, f64),
          // From SIFT_DOWN_ROOT on the get is made (a taker finishes its sift); before, undone.
          expected: (dead) => {
            if ((dead.i32[JOURNAL]! & (SIFT_DOWN_ROOT | SIFT_DOWN)) === 0) return before;
            madeGets++;
            return afterItems;
          },
          twice: SIFT_TWICE,
        }, count);
      }

      const mid = clone(m);
      const held = get(mid, false, false);
      const midItems = contents(mid);
      trial({
        label: `putBack, ${at}`,
        base: mid,
        op: (x, die) => putBack(x, held, die),
        expected: () => midItems, // undone: the item still held
        twice: SIFT_TWICE,
      }, count);
    }
    // Each kind of death happened (a guard against trials that stopped trying).
    assert.ok(count.deaths > 2000, `deaths ${count.deaths}`);
    assert.ok(count.redoDeaths > 10_000, `deaths in a repair ${count.redoDeaths}`);
    assert.ok(
      count.secondRedoDeaths > 10_000,
      `deaths in a second repair ${count.secondRedoDeaths}`,
    );
    assert.ok(madeGets > 200, `gets made before their death ${madeGets}`);
  }));

// ---------------------------------------------------------------------------------------------
// Compaction

const ENTRIES = 16;
const CAPACITY = 256;

/**
 * An arena of `CAPACITY` bytes filled up to its end by puts, with holes left by gets, one item
 * held by a get (if any left) and junk in the saved slots. Some records are long, so that a
 * compaction moves some by less than their length (in chunks).
 */
function arena(rnd: () => number): { m: Mem; held: Held | undefined } {
  const m = fresh(ENTRIES, CAPACITY);
  const fits = (len: number) =>
    m.i32[COUNT]! + m.i32[HELD]! < ENTRIES - 2 && m.i32[TAIL]! + recordSize(len) <= CAPACITY;
  for (let it = 0; it < 60; it++) {
    if (rnd() < 0.65) {
      const len = Math.floor(rnd() * (rnd() < 0.25 ? 60 : 16));
      if (fits(len)) put(m, Math.floor(rnd() * 6), len, false);
    } else if (m.i32[COUNT]! > 0) release(m, get(m, false, false));
  }
  for (let t = 0; t < 40; t++) {
    const len = Math.floor(rnd() * 12);
    if (fits(len)) put(m, Math.floor(rnd() * 6), len, false);
  }
  for (let t = Math.floor(rnd() * 3); t > 0 && m.i32[COUNT]! > 2; t--) {
    release(m, get(m, false, false));
  }
  const held = m.i32[COUNT]! > 1 ? get(m, false, false) : undefined;
  for (let s = JOURNAL_SAVED; s <= SIFT_HOLE; s++) m.i32[s] = Math.floor(rnd() * 40) - 2;
  return { m, held };
}

/** Whether compacting `m` moves some record by less than its length (so in chunks). */
function chunked(m: Mem): boolean {
  const entries = Array.from({ length: m.i32[COUNT]! }, (_, i) => i);
  entries.sort((a, b) => m.heap[a * 3]! - m.heap[b * 3]!);
  let write = 0;
  for (const e of entries) {
    const gap = m.heap[e * 3]! - write, size = recordSize(m.heap[e * 3 + 1]!);
    if (gap > 0 && gap < size) return true;
    write += size;
  }
  return false;
}

/**
 * Checks for a trial over `base`, where the operation compacts first: a compaction begun (its
 * journal open, or closed with TAIL moved) is finished before anything else, the records
 * packed from 0; one not begun left TAIL as it was.
 */
function packed(base: Mem): (repaired: Mem, dead: Mem) => void {
  const tail = base.i32[TAIL]!;
  return (repaired, dead) => {
    if (dead.i32[JOURNAL] !== 0 || dead.i32[TAIL] !== tail) {
      assert.equal(repaired.i32[TAIL], repaired.i32[LIVE], "compacted: TAIL = LIVE");
    } else assert.equal(repaired.i32[TAIL], tail, "not compacted: TAIL as it was");
  };
}

/**
 * Deaths at every write of a second redo after about this many deaths in a first one (after each
 * of them: minutes; an operation of w writes has ~w³ such deaths).
 */
const TWICE = 150;

/** The guards of a compaction test: enough compactions, chunks, deaths at copies. */
function enough(count: Tally, compactions: number, inChunks: number): void {
  assert.ok(compactions >= 12, `compactions ${compactions}`);
  assert.ok(inChunks >= 3, `compactions moving a record in chunks ${inChunks}`);
  assert.ok(count.copyDeaths >= 100, `deaths at a copyWithin ${count.copyDeaths}`);
  assert.ok(count.redoDeaths >= 10_000, `deaths in a redo ${count.redoDeaths}`);
  assert.ok(count.secondRedoDeaths >= 10_000, `deaths in a second redo ${count.secondRedoDeaths}`);
}

test("a put's arena compaction killed before any write, copyWithin too, is finished by a taker, and by a second one", () =>
  withScratchLent(() => {
    const rnd = random(0xc0ffee);
    const count = tally();
    let compactions = 0, inChunks = 0;
    for (let round = 0; round < 24; round++) {
      const { m } = arena(rnd);
      // A record just too long for the room past TAIL, which fits once the arena is compacted.
      const len = Math.max(0, CAPACITY - m.i32[TAIL]! - 3) + Math.floor(rnd() * 16);
      const size = recordSize(len);
      if (m.i32[LIVE]! + m.i32[HELD_BYTES]! + size > CAPACITY) continue;
      compactions++;
      if (chunked(m)) inChunks++;
      const before = contents(m);
      const priority = Math.floor(rnd() * 6);
      trial({
        label: `put(${len} bytes), round ${round}, ${m.i32[COUNT]} items, TAIL ${m.i32[TAIL]}`,
        base: m,
        op: (x, die) => assert.ok(put(x, priority, len, die)),
        expected: () => before, // the compaction finished (or not begun), the put undone
        extra: packed(m),
        twice: TWICE,
      }, count);
    }
    enough(count, compactions, inChunks);
  }));

test("a put-back's arena compaction killed before any write, copyWithin too, is finished by a taker, and by a second one", () =>
  withScratchLent(() => {
    const rnd = random(0xbac4);
    const count = tally();
    let compactions = 0, inChunks = 0;
    for (let round = 0; round < 24; round++) {
      const { m, held } = arena(rnd);
      if (held === undefined) continue;
      // A put fills the room past TAIL (if any is left), so the put-back compacts.
      const free = CAPACITY - m.i32[TAIL]!;
      if (free >= 4) put(m, Math.floor(rnd() * 6), free - 4, false);
      if (m.i32[TAIL]! + recordSize(held.bytes.length) <= CAPACITY) continue;
      compactions++;
      if (chunked(m)) inChunks++;
      const before = contents(m);
      trial({
        label: `putBack(${held.bytes.length} bytes), round ${round}, ${m.i32[COUNT]} items`,
        base: m,
        op: (x, die) => putBack(x, held, die),
        expected: () => before, // the compaction finished (or not begun), the put-back undone
        extra: packed(m),
        twice: TWICE,
      }, count);
    }
    enough(count, compactions, inChunks);
  }));
