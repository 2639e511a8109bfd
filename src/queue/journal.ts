/**
 * The queues' undo journal: what lets a thread that takes a queue's LOCK over from a dead owner
 * undo the operation that owner was in the middle of (`header.ts`, "Owner death", has the why
 * and the invariant; `QueueBase` opens and closes it around every change under LOCK).
 *
 * Memory (the lock holder's cache line, `header.ts`):
 * | slot  | name          | meaning                                                           |
 * | 9     | JOURNAL       | 0 closed; open: the set of `JOURNALED` slots saved (bit k = [k]), |
 * |       |               | a heap's sift flags (SIFT_UP, SIFT_DOWN_ROOT, SIFT_DOWN), or      |
 * |       |               | COMPACTING, FOLDING, GROWING or SHIFTING                          |
 * | 10-15 | JOURNAL_SAVED | the saved values, packed: the set's slots in `JOURNALED` order    |
 * | 15    | SIFT_HOLE     | a PriorityQueue's sift: where its hole is (flags in JOURNAL)      |
 * | 10-12 | COMPACT_*     | its compaction (JOURNAL = COMPACTING): entry, bytes done, write   |
 * | 10-13 | FOLD_*        | a fold of RELEASED into HELD (JOURNAL = FOLDING), undone here     |
 * | 10-15 | GROW_, SHIFT_ | a growth, a ring's shift (GROWING, SHIFTING): redone by the queue |
 *
 * Every function here runs with LOCK held and uses plain accesses: only LOCK's holder touches the
 * journal. A thread that takes LOCK over from a dead owner reads it after that owner's last step:
 * the owner's thread has ended (the runtime has joined it) before the liveness slot says so, and
 * the taker's CAS on the word comes after its read of that slot.
 *
 * @example
 * ```ts
 * import { close, openPut, undo } from "./journal.ts";
 * import { COUNT, HEADER_SLOTS, JOURNAL } from "./header.ts";
 * const i32 = new Int32Array(HEADER_SLOTS);
 * openPut(i32);
 * i32[COUNT] = 1; // … the owner dies here: the next holder of LOCK undoes the put
 * undo(i32);
 * if (i32[COUNT] !== 0 || i32[JOURNAL] !== 0) throw new Error("not undone");
 * openPut(i32);
 * i32[COUNT] = 1;
 * close(i32); // the put is made: nothing left to undo
 * undo(i32);
 * if (i32[COUNT] !== 1) throw new Error("undone after close");
 * ```
 *
 * @module
 */

import {
  COMPACTING,
  COUNT,
  FOLD_FOLDED,
  FOLD_FOLDED_BYTES,
  FOLD_HELD,
  FOLD_HELD_BYTES,
  FOLDED,
  FOLDED_BYTES,
  FOLDING,
  GET_SAVES,
  GROWING,
  HEAD,
  HELD,
  HELD_BYTES,
  JOURNAL,
  JOURNAL_SAVED,
  JOURNALED,
  LIVE,
  PUT_SAVES,
  SHIFTING,
  SIFT_DOWN,
  SIFT_DOWN_ROOT,
  SIFT_HOLE,
  SIFT_UP,
  TAIL,
  UNFINISHED,
} from "./header.ts";

/**
 * Opens the journal of a put (journal closed): saves what `store` and the count change (PUT_SAVES:
 * COUNT, UNFINISHED, TAIL, LIVE, in JOURNALED order), then marks the journal open. The saves come
 * before the mark, so an open journal always holds what it names. Written out rather than through
 * `open`: every put runs it.
 *
 * What the journal costs, measured 2026-12-02 on Node (2 CPUs, shared machine), this layout ÷ the
 * tree without a journal (c3d13aa):
 * - one thread, put + get pairs, median of 21 round-robin rounds (`AB_A=<before>/mod.ts
 *   AB_B=<after>/mod.ts AB_KINDS=numbers,numbers-sync,objects node
 *   bench/probes/queue_ab_single.ts 21`): float64Codec by putNowait/getNowait 1.12 (+21 ns a
 *   pair), by putSync/getSync 1.18 (+31 ns), objects 1.00: the saves and marks themselves.
 * - two workers (`node bench/run.ts --runtimes node --filter queue. --no-reference` in each tree,
 *   five interleaved rounds, two sessions), ratio of the medians: `queue.oneway` 1.08 / 1.12,
 *   `queue.oneway-f64` 1.15 / 1.08, `queue.mpmc-4x4` 1.24 / 0.99; the rounds of one tree spread
 *   more than that (e.g. oneway 433-692 ns without the journal). The same layout with the journal
 *   switched off: 1.02 / 0.95 / 0.93, so the re-cut lines cost nothing.
 * - the first journal, on a cache line of its own that producer and consumer both wrote (slots
 *   32-41), in the same runs: 1.35-1.99 (oneway), 1.31-2.28 (f64), 1.29-1.88 (mpmc); it was
 *   reverted for that (86a2652).
 */
export function openPut(i32: Int32Array): void {
  i32[JOURNAL_SAVED] = i32[COUNT]!;
  i32[JOURNAL_SAVED + 1] = i32[UNFINISHED]!;
  i32[JOURNAL_SAVED + 2] = i32[TAIL]!;
  i32[JOURNAL_SAVED + 3] = i32[LIVE]!;
  i32[JOURNAL] = PUT_SAVES;
}

/**
 * Opens the journal of a get, as `openPut` (GET_SAVES: COUNT, HEAD, TAIL, LIVE, HELD, HELD_BYTES).
 */
export function openGet(i32: Int32Array): void {
  i32[JOURNAL_SAVED] = i32[COUNT]!;
  i32[JOURNAL_SAVED + 1] = i32[HEAD]!;
  i32[JOURNAL_SAVED + 2] = i32[TAIL]!;
  i32[JOURNAL_SAVED + 3] = i32[LIVE]!;
  i32[JOURNAL_SAVED + 4] = i32[HELD]!;
  i32[JOURNAL_SAVED + 5] = i32[HELD_BYTES]!;
  i32[JOURNAL] = GET_SAVES;
}

/**
 * Opens the journal of a fold of released room into the bounds (`QueueBase#findRoom`): HELD,
 * HELD_BYTES, FOLDED and FOLDED_BYTES saved, JOURNAL = FOLDING last.
 */
export function openFold(i32: Int32Array): void {
  i32[FOLD_HELD] = i32[HELD]!;
  i32[FOLD_HELD_BYTES] = i32[HELD_BYTES]!;
  i32[FOLD_FOLDED] = i32[FOLDED]!;
  i32[FOLD_FOLDED_BYTES] = i32[FOLDED_BYTES]!;
  i32[JOURNAL] = FOLDING;
}

/** Opens the journal of a rarer operation (a put-back, a shutdown) saving the slots of `set`. */
export function open(i32: Int32Array, set: number): void {
  let at = JOURNAL_SAVED;
  for (let k = 0; k < JOURNALED.length; k++) {
    if ((set & (1 << k)) !== 0) i32[at++] = i32[JOURNALED[k]!]!;
  }
  i32[JOURNAL] = set;
}

/** Closes the journal after an operation's last change, before LOCK is released. */
export function close(i32: Int32Array): void {
  i32[JOURNAL] = 0;
}

/**
 * What a PriorityQueue's heap does for {@link undo} (`storage.ts`, `Heap`; see header.ts, "Owner
 * death"). Each moves the hole one step at a time, recording its place in SIFT_HOLE.
 */
export interface Sifts {
  /** Moves a put's hole from SIFT_HOLE back down to `start` (COUNT before the put). */
  undoSiftUp(start: number): void;
  /** Finishes a get's sift down from `hole` (COUNT already the get's). */
  redoSiftDown(hole: number): void;
  /** Finishes an arena compaction (it runs with no operation's journal open). */
  redoCompaction(): void;
}

/**
 * Called with LOCK just taken by a path that may have taken it over from a dead owner (every path
 * but the fast paths' CAS from 0, which finds the word released, so the journal closed). An open
 * journal means exactly that: the owner died inside an operation. Undoes it by writing the saved
 * slots back, then closes the journal; a thread killed while doing so leaves it open, and the
 * next taker writes the same values again. A heap's sift (`sifts`, a PriorityQueue's; its views
 * current) is undone with its put after the slots are back (COUNT is then where the put's hole
 * started), or, for a get, finished.
 */
export function undo(i32: Int32Array, sifts?: Sifts): void {
  const set = i32[JOURNAL]!;
  if (set === 0) return;
  if (set === GROWING || set === SHIFTING) {
    throw new Error("threadkit: internal: a growth or a shift is finished by its queue");
  }
  if (set === FOLDING) {
    // The fold undone: the releases it took are left in RELEASED for the next fold.
    i32[HELD] = i32[FOLD_HELD]!;
    i32[HELD_BYTES] = i32[FOLD_HELD_BYTES]!;
    i32[FOLDED] = i32[FOLD_FOLDED]!;
    i32[FOLDED_BYTES] = i32[FOLD_FOLDED_BYTES]!;
    i32[JOURNAL] = 0;
    return;
  }
  if (set === COMPACTING) {
    sifts!.redoCompaction(); // closes the journal itself
    return;
  }
  if ((set & (SIFT_DOWN_ROOT | SIFT_DOWN)) !== 0) {
    sifts!.redoSiftDown(set === SIFT_DOWN_ROOT ? 0 : i32[SIFT_HOLE]!);
    i32[JOURNAL] = 0;
    return;
  }
  let at = JOURNAL_SAVED;
  for (let k = 0; k < JOURNALED.length; k++) {
    if ((set & (1 << k)) !== 0) i32[JOURNALED[k]!] = i32[at++]!;
  }
  if ((set & SIFT_UP) !== 0) sifts!.undoSiftUp(i32[COUNT]!);
  i32[JOURNAL] = 0;
}
