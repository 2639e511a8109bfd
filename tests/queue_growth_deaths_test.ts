/**
 * A queue's growth survives its owner's death at every write (`src/queue/growth.ts`; header.ts,
 * "Growth"): the growth of a wrapped FIFO ring, of a PriorityQueue (data area and heap entries
 * moving out) and of a stack, each uncapped (every move in one chunk) and capped at a size that
 * makes the moves go in chunks, is killed before each of its writes in turn (`dying` views:
 * tests/dying_views.ts), then finished by a taker's redo, itself killed before each of its
 * writes and finished by a second taker. After each: the buffer byte for byte as after a growth
 * that nothing interrupted, or, when the death came before the journal said GROWING, the layout
 * as before (and a growth from there makes the same bytes).
 *
 * What this checks is that a death changes nothing: the growth nothing interrupted is the
 * reference. That the reference itself is right (every item there, in order, after growth) is
 * what tests/regressions/queue_owner_killed_inside_growth_test.ts checks, with the same deaths
 * in real threads at chosen steps (it fails, for one, when the heap entries move before the data
 * area, over records not yet moved, which this test cannot see).
 */

import assert from "node:assert/strict";
import { float64Codec, LifoQueue, PriorityQueue, Queue } from "../mod.ts";
import {
  FIFO,
  type Geometry,
  geometryOf,
  GROWING,
  grownGeometry,
  HEAD,
  HEADER_SLOTS,
  JOURNAL,
  JOURNAL_ROOM,
  JOURNAL_SAVED,
  LIFO,
  PRIORITY,
} from "../src/queue/header.ts";
import { finishGrowth, openGrowth } from "../src/queue/growth.ts";
import { attempt, dying, made, refused, writes } from "./dying_views.ts";
import { lockedTest } from "./helpers.ts";

/** The state of a queue one growth away, copied out of its shared buffer. */
interface Before {
  bytes: Uint8Array;
  byteOffset: number;
  discipline: number;
  from: Geometry;
  to: Geometry;
  /** `Storage.wrappedHead` of the queue (a FIFO ring's HEAD when wrapped, else -1). */
  ringHead: number;
}

/** The queue's memory as it stands, in a plain buffer long enough for the growth to `capacity`. */
function before(
  queue: Queue<number> | PriorityQueue<number> | LifoQueue<number>,
  kind: string,
  discipline: number,
  capacity: number,
  ringHead: number,
): Before {
  const { buffer, byteOffset } = queue.handle;
  const from = geometryOf(queue.handle, kind, discipline);
  const to = grownGeometry(from, discipline, capacity);
  const bytes = new Uint8Array(byteOffset + to.byteLength);
  bytes.set(new Uint8Array(buffer, 0, Math.min(buffer.byteLength, bytes.length)));
  return { bytes, byteOffset, discipline, from, to, ringHead };
}

/** A wrapped ring of 128 bytes: records at 48..120 (then the WRAP mark), then 0..48. */
function ring(capacity: number): Before {
  const queue = new Queue<number>(0, { codec: float64Codec, capacityBytes: 128 });
  for (let i = 0; i < 10; i++) queue.putNowait(i);
  for (let i = 0; i < 4; i++) queue.getNowait();
  for (let i = 10; i < 14; i++) queue.putNowait(i);
  const { buffer, byteOffset } = queue.handle;
  assert.equal(new Int32Array(buffer, byteOffset, HEADER_SLOTS)[HEAD], 48);
  return before(queue, "Queue", FIFO, capacity, 48);
}

function heap(capacity: number): Before {
  const queue = new PriorityQueue<number>(0, { codec: float64Codec, capacityBytes: 128 });
  for (const p of [17, 12, 23, 10, 20, 15, 24, 11, 19, 14]) queue.putNowait(p, { priority: p });
  return before(queue, "PriorityQueue", PRIORITY, capacity, -1);
}

function stack(capacity: number): Before {
  const queue = new LifoQueue<number>(0, { codec: float64Codec, capacityBytes: 128 });
  for (let i = 0; i < 10; i++) queue.putNowait(i);
  return before(queue, "LifoQueue", LIFO, capacity, -1);
}

/** A copy of `b`'s memory and views over it (dying ones when `die`). */
function views(bytes: Uint8Array, byteOffset: number, die: boolean) {
  const i32 = new Int32Array(bytes.buffer, byteOffset, HEADER_SLOTS);
  return die ? { i32: dying(i32), u8: dying(bytes) } : { i32, u8: bytes };
}

/** The growth as `#grow` runs it (the buffer is long enough already). */
function grow(b: Before, bytes: Uint8Array, die: boolean): void {
  const { i32, u8 } = views(bytes, b.byteOffset, die);
  openGrowth(i32, b.byteOffset, b.from, b.to, b.ringHead);
  finishGrowth(i32, u8, b.byteOffset, b.from, b.discipline);
}

/** A taker's repair of a growth left open (`#repairQueue`'s GROWING branch). */
function redo(b: Before, bytes: Uint8Array, die: boolean): void {
  const { i32, u8 } = views(bytes, b.byteOffset, die);
  finishGrowth(i32, u8, b.byteOffset, b.from, b.discipline);
}

function journal(b: Before, bytes: Uint8Array): number {
  return new Int32Array(bytes.buffer, b.byteOffset, HEADER_SLOTS)[JOURNAL]!;
}

/** `bytes` without the journal's saved slots (a growth that never opened may leave some written). */
function outsideJournal(b: Before, bytes: Uint8Array): Uint8Array {
  const copy = bytes.slice();
  const from = b.byteOffset + JOURNAL_SAVED * 4;
  copy.fill(0, from, from + JOURNAL_ROOM * 4);
  return copy;
}

interface Tally {
  deaths: number;
  redoDeaths: number;
  copies: number;
}

/** Kills the growth of `b` before each of its writes, then its redo before each of its own. */
function everyDeath(b: Before): Tally {
  const done = b.bytes.slice();
  grow(b, done, false);
  assert.equal(journal(b, done), 0);
  assert.ok(!b.bytes.every((x, k) => x === done[k]), "the growth changed the memory");
  const tally: Tally = { deaths: 0, redoDeaths: 0, copies: 0 };
  for (let at = 0;; at++) {
    const dead = b.bytes.slice();
    if (!attempt(at, () => grow(b, dead, true))) break;
    tally.deaths++;
    if (refused === "copyWithin" || made === "copyWithin") tally.copies++;
    const where = `death before write ${at} (${refused}, after ${made})`;
    if (journal(b, dead) !== GROWING) {
      // Died before the journal opened: the layout as before, and a growth from there makes
      // the same bytes (the slots it left are written again).
      assert.deepEqual(outsideJournal(b, dead), outsideJournal(b, b.bytes), where);
      grow(b, dead, false);
      assert.deepEqual(dead, done, `${where}: grown again`);
      continue;
    }
    for (let again = 0;; again++) {
      const twice = dead.slice();
      if (!attempt(again, () => redo(b, twice, true))) {
        assert.deepEqual(twice, done, `${where}, redo whole`);
        break;
      }
      tally.redoDeaths++;
      if (journal(b, twice) === GROWING) redo(b, twice, false);
      assert.deepEqual(twice, done, `${where}, redo dead before its write ${again}`);
    }
  }
  assert.ok(writes > 0);
  return tally;
}

const CASES: Record<string, () => Before> = {
  "a wrapped FIFO ring": () => ring(256),
  "a wrapped FIFO ring, capped (its wrapped part in 4 chunks)": () => ring(148),
  "a PriorityQueue": () => heap(256),
  "a PriorityQueue, capped (in chunks)": () => heap(148),
  "a stack": () => stack(256),
};

for (const [name, make] of Object.entries(CASES)) {
  lockedTest(
    `growth of ${name}: killed before each write, then its redo too: the same bytes`,
    () => {
      const b = make();
      const tally = everyDeath(b);
      assert.ok(tally.deaths >= 6, `deaths ${tally.deaths}`);
      assert.ok(tally.redoDeaths >= 4, `redo deaths ${tally.redoDeaths}`);
      if (!name.startsWith("a stack")) assert.ok(tally.copies >= 2, `copy deaths ${tally.copies}`);
      if (name.includes("capped")) {
        assert.ok(tally.copies >= 6, `a capped growth moves in chunks: ${tally.copies}`);
      }
    },
  );
}
