/**
 * The growth of a queue's bytes, under a redo journal of its own (`header.ts`, "Growth" and
 * "Owner death").
 *
 * A queue in its own growable `SharedArrayBuffer` grows when a put finds no room: the buffer
 * first (`growBuffer`), then its bytes move to their places for the new CAPACITY. Three moves,
 * each toward the end of the buffer, each maybe over its own source:
 * - a PriorityQueue's data area, pushed out by the longer arrays of priorities and heap entries;
 * - its heap entries, pushed out by the longer array of priorities (the priorities stay);
 * - a FIFO ring's wrapped part (the records from HEAD to the old end, read before those from 0
 *   to TAIL) to the new end, so the new bytes join the free run between TAIL and HEAD.
 *
 * A thread may die anywhere in this (`terminate()` on Node and Bun), and a move that overlaps its
 * source cannot simply be started again: its first bytes may already be over the source's last.
 * So the growth keeps its state in the journal (JOURNAL = GROWING, the GROW_* slots), and every
 * move copies from its end down, in chunks no longer than the distance it moves: a chunk writes
 * only bytes at or past the end of the part still to move, so the part still to move is intact
 * whenever its length is recorded. After each chunk the bytes left are recorded; a thread that
 * takes LOCK over and finds GROWING redoes from there (the chunk in flight is copied again, from
 * the same intact source) and finishes: HEAD, HEAP_CAP, CAPACITY, then the journal closed.
 *
 * Cost: a growth at least doubles the bytes, so each move's distance is at least its length and
 * it is one `copyWithin`, as before the journal. Only a growth capped by `maxCapacityBytes` just
 * above the size reached moves a long part by a short distance, in many chunks: the arena
 * compaction's chunks measured 10.3 ms for 1 MiB moved by 4 bytes (0.33 ms whole).
 *
 * ```ts
 * import { float64Codec, Queue } from "../../mod.ts";
 * const queue = new Queue<number>(0, {
 *   codec: float64Codec, // a 12-byte record per number
 *   capacityBytes: 64,
 *   maxCapacityBytes: 4096,
 * });
 * for (let i = 0; i < 4; i++) queue.putNowait(i);
 * queue.getNowait(); // the ring now starts at byte 12
 * for (let i = 4; i < 100; i++) queue.putNowait(i); // wraps, then grows 64 → … → 2048 bytes
 * for (let i = 1; i < 100; i++) if (queue.getNowait() !== i) throw new Error("out of order");
 * if (queue.capacityBytes !== 2048) throw new Error(`grew to ${queue.capacityBytes}`);
 * ```
 *
 * @module
 */

import {
  CAPACITY,
  type Geometry,
  GROW_FROM,
  GROW_HEAD,
  GROW_LEFT_DATA,
  GROW_LEFT_HEAP,
  GROW_LEFT_RING,
  GROW_TO,
  GROWING,
  grownGeometry,
  HEAD,
  HEAP_CAP,
  JOURNAL,
  offsetsOf,
} from "./header.ts";
import { moveUp, testStep } from "./storage.ts";

/**
 * Opens the journal of a growth from geometry `from` to `to` of the queue at `byteOffset` of its
 * buffer (LOCK held,
 * no journal open, the buffer already long enough: `growBuffer`). `ringHead`: a FIFO ring's HEAD
 * when its wrapped part must move (`Storage.wrappedHead`), else -1. Every GROW_* slot is written
 * before JOURNAL: a taker that finds GROWING finds them all (a death before leaves the journal
 * closed and the layout as it was, in a longer buffer).
 */
export function openGrowth(
  i32: Int32Array,
  byteOffset: number,
  from: Geometry,
  to: Geometry,
  ringHead: number,
): void {
  const a = offsetsOf(byteOffset, from);
  const b = offsetsOf(byteOffset, to);
  i32[GROW_FROM] = from.capacity;
  i32[GROW_TO] = to.capacity;
  i32[GROW_HEAD] = ringHead;
  i32[GROW_LEFT_DATA] = b.data !== a.data ? from.capacity : 0;
  i32[GROW_LEFT_HEAP] = b.heap !== a.heap ? from.heapCap * 12 : 0;
  i32[GROW_LEFT_RING] = ringHead >= 0 ? from.capacity - ringHead : 0;
  i32[JOURNAL] = GROWING; // last: from here a taker finishes the growth
}

/**
 * Makes the growth whose journal is open (GROWING) from where it stands: the growth just opened,
 * or one a dead thread left (LOCK taken over). `bytes`: the whole buffer, already long enough;
 * the queue's header at `byteOffset` of it. `base`: any geometry of this queue (for its
 * maxsize and maxCapacity), `discipline` its DISCIPLINE. The caller re-makes its views after.
 * `firstStep`: the number of its first call of the test hook.
 */
export function finishGrowth(
  i32: Int32Array,
  bytes: Uint8Array,
  byteOffset: number,
  base: Geometry,
  discipline: number,
  firstStep = 0,
): void {
  const from = grownGeometry(base, discipline, i32[GROW_FROM]!);
  const to = grownGeometry(base, discipline, i32[GROW_TO]!);
  const a = offsetsOf(byteOffset, from);
  const b = offsetsOf(byteOffset, to);
  let step = firstStep; // the test hook's step numbers (a growth's own continue its opening's)
  // Data first: it is the farthest out, so its new place overlaps no area still to move.
  step = moveUp(bytes, i32, GROW_LEFT_DATA, a.data, b.data, step);
  step = moveUp(bytes, i32, GROW_LEFT_HEAP, a.heap, b.heap, step);
  const head = i32[GROW_HEAD]!;
  if (head >= 0) {
    // The ring's wrapped part, already in the data area's new place, to the new end.
    const shift = to.capacity - from.capacity;
    step = moveUp(bytes, i32, GROW_LEFT_RING, b.data + head, b.data + head + shift, step);
    // From GROW_HEAD, not from HEAD: a redo after this write must not move it twice.
    i32[HEAD] = head + shift;
    testStep(step++);
  }
  // The sizes last but the close: while the journal says GROWING a taker finishes the growth
  // from GROW_FROM and GROW_TO, so their order matters to no one; after it, they name the new
  // layout, every byte in place. Plain stores, as every write under LOCK: a thread reads them
  // with LOCK held (the unlock's CAS orders them before), or as a snapshot (an aligned int32
  // store never tears).
  i32[HEAP_CAP] = to.heapCap;
  testStep(step++);
  i32[CAPACITY] = to.capacity;
  testStep(step++);
  i32[JOURNAL] = 0;
}
