/**
 * The memory of a queue: its header slots, the areas after the header, and the sizes a queue is
 * created with. `Queue`, `LifoQueue` and `PriorityQueue` share this layout; the storage
 * disciplines (`storage.ts`) give the data area its record format.
 *
 * Layout (byteOffset % 8 === 0):
 * ```
 * +--------------------+-----------------------+--------------------------+---------------------+
 * | header: 64 x int32 | priorities: N x f64   | heap: N x 3 x int32      | data: CAPACITY bytes |
 * | (256 bytes)        | (PriorityQueue only)  | (PriorityQueue only)     | (multiple of 4)      |
 * +--------------------+-----------------------+--------------------------+---------------------+
 * ```
 * The data area of a FIFO queue is a ring of records (`storage.ts` has the record formats):
 * ```
 *   0        HEAD                      TAIL               CAPACITY
 *   | free   | len | item | len | item | free             |     HEAD < TAIL
 *   | len | item | free   | len | item | len | item | -1  |     wrapped: TAIL <= HEAD
 *                  TAIL   HEAD                       WRAP mark: continue at 0
 * ```
 * Header slots (int32 each; all but the seq slots, the waiter counts and RELEASED/RELEASED_BYTES
 * change only with LOCK held). HEAD, TAIL, LIVE, ORDER and the journal are read and written only
 * with LOCK held, with plain accesses (the lock word's CASes order them); so are HELD and
 * HELD_BYTES, but for a snapshot read of HELD_BYTES in `full()`. The others are also read outside
 * the lock (snapshots, fast paths), with Atomics; the put and get fast paths read SHUTDOWN, COUNT,
 * MAXSIZE and CAPACITY plain under LOCK (they too change only with LOCK held), and count COUNT
 * and UNFINISHED with plain writes under LOCK (`QueueBase`'s `#count` for puts, `#tryGet`'s
 * decrement of COUNT for gets; the rarer paths that change them, also under LOCK, use Atomics):
 * | slot  | name            | meaning                                                          |
 * | 0     | LOCK            | internal lock word (`internal/lock_word.ts`)                     |
 * | 1     | LOCK_ASYNC      | async waiters registered on LOCK                                 |
 * | 2     | COUNT           | items stored                                                     |
 * | 3     | UNFINISHED      | items put and not yet `taskDone()`                               |
 * | 4     | HEAD            | FIFO: byte offset of the oldest record                           |
 * | 5     | TAIL            | FIFO: next write; LIFO: top of stack; priority: end of the arena |
 * | 6     | LIVE            | FIFO, priority: bytes of the records stored                      |
 * | 7     | HELD            | bound on items gets hold (maxsize or priority queues, else 0)    |
 * | 8     | HELD_BYTES      | bound on the record bytes gets hold                              |
 * | 9     | JOURNAL         | undo journal: 0 closed, else the set of JOURNALED slots saved    |
 * | 10-15 | JOURNAL_SAVED   | the saved slots' values, packed in JOURNALED order              |
 * | 15    | SIFT_HOLE       | a heap's sift: its hole (JOURNAL's SIFT_* flags say which sift)  |
 * | 10-12 | COMPACT_*       | a heap's compaction (JOURNAL = COMPACTING): entry, done, write   |
 * | 10-15 | GROW_*          | a growth (JOURNAL = GROWING): capacities, HEAD, bytes left ×3    |
 * | 10-13 | SHIFT_*         | a ring's shift for a put-back (JOURNAL = SHIFTING)               |
 * | 10-13 | FOLD_*          | a fold of RELEASED into HELD (JOURNAL = FOLDING): the four saved |
 * | 16    | SHUTDOWN        | 0 open, 1 shut down, 2 shut down immediately                     |
 * | 17    | MAXSIZE         | item limit; 0 = bounded by CAPACITY only                         |
 * | 18    | CAPACITY        | bytes of the data area                                           |
 * | 19    | MAX_CAPACITY    | bytes the data area may grow to (= CAPACITY when it cannot grow) |
 * | 20    | DISCIPLINE      | 1 FIFO ring, 2 LIFO stack, 3 priority heap                        |
 * | 21    | HEAP_CAP        | N: heap entries (PriorityQueue), else 0                          |
 * | 22    | NOT_EMPTY       | seq, bumped when an item arrives and getters wait                |
 * | 23    | NOT_EMPTY_ASYNC | async waiters registered on NOT_EMPTY                            |
 * | 24    | GETTERS         | getters waiting                                                  |
 * | 25    | WOKEN           | 1: a getter wake was sent and no counted getter has looked since |
 * | 26    | MODE            | lane: LANE_ON while it may run, LANE_OFF once revoked (`lane.ts`) |
 * | 27    | PRODUCER        | lane: ident of its producer (the first thread to put), or 0      |
 * | 28    | CONSUMER        | lane: ident of its consumer (the first thread to get), or 0      |
 * | 29    | PUT_WAITS       | lane: puts of the producer waiting for room                      |
 * | 30    | GET_WAITS       | lane: gets of the consumer waiting for an item                   |
 * | 31    | (unused)        | keeps the next line's writers off this one                       |
 * | 32    | RELEASED        | items gets stopped holding, ever (only grows; HELD less FOLDED)  |
 * | 33    | RELEASED_BYTES  | their record bytes, ever (only grows)                            |
 * | 34    | NOT_FULL        | seq, bumped when room appears and putters wait                   |
 * | 35    | NOT_FULL_ASYNC  | async waiters registered on NOT_FULL                             |
 * | 36    | PUTTERS         | putters waiting                                                  |
 * | 37    | ALL_DONE        | seq, bumped when UNFINISHED reaches 0                            |
 * | 38    | JOINERS         | joiners waiting                                                  |
 * | 39    | ORDER           | priority: insertion counter (FIFO among equal priorities)        |
 * | 40    | FOLDED          | how much of RELEASED a fold took off HELD (LOCK held)            |
 * | 41    | FOLDED_BYTES    | how much of RELEASED_BYTES a fold took off HELD_BYTES            |
 * | 42    | PUT_WOKEN       | 1: a putter wake was sent and no counted putter has looked since |
 * | 43    | READ            | lane: read position (bytes mod 2^28), REVOKED bit                |
 * | 44    | GETS            | lane: gets made (for `qsize`)                                    |
 * | 45    | DONE            | lane: `taskDone()` calls (LOCK held)                             |
 * | 46    | GET_LOOKED      | lane: the WRITE position a waiting get's last look read          |
 * | 47    | (unused)        |                                                                  |
 * | 48    | WRITE           | lane: write position (bytes mod 2^28), BUSY, PARITY, REVOKED     |
 * | 49    | PUTS            | lane: puts made, counted before each publish                     |
 * | 50    | PUT_LOOKED      | lane: the READ position a waiting put's last look read           |
 * | 51-63 | (unused)        | keeps the first records (or priorities) off the lane's lines     |
 *
 * Cache lines (a queue in its own buffer starts a line), cut by who writes them:
 * - slots 0-15, the lock holder's line: everything a put or a get writes under LOCK, the undo
 *   journal included, so an operation dirties one line that its LOCK CAS has just brought in.
 * - slots 16-31, read by every operation and written rarely (shutdown, growth, a getter that
 *   starts or stops waiting, a put that wakes one): in every CPU's cache at once while the queue
 *   streams.
 * - slots 32-39, written without LOCK by gets giving room up (RELEASED), and by waiting putters
 *   and the gets that wake them, so a consumer that gives room up does not take a line a producer
 *   reads on every put. PUT_WOKEN (42) too: the putters and the gets that wake them write it,
 *   and a release reads it beside PUTTERS.
 *   PriorityQueue's ORDER is here rather than on the read-mostly line: only its puts write it;
 *   so are FOLDED and FOLDED_BYTES (40-41), which only a fold writes, right after it read
 *   RELEASED on this line: a fold of a bounded queue at its bound dirties no line it did not
 *   already take (on the read-mostly line, 16-31, every fold would take that line from every
 *   reader).
 * - In lane mode (`lane.ts`) LOCK's line and RELEASED's stay idle: the lane's consumer writes
 *   READ and GETS on the 32-47 line, its producer WRITE and PUTS on the 48-63 line, and both read
 *   MODE, the claims and the waiter counts on the read-mostly line. The lane's first floor kept
 *   each waiter flag on its sleeper's position line, and every item cost the other side a line
 *   move (`bench/README.md`, "Design: an SPSC lane").
 * Measured: the journal on a line of its own (slots 32-41 then) cost two-worker streams 1.3-2.3x
 * (`queue.oneway`, `queue.oneway-f64`, `queue.mpmc-4x4`, Node, interleaved full-mode runs); on
 * the lock holder's line about 1.1x, and this cut without the journal nothing (`journal.ts`,
 * `openPut`, has the figures).
 *
 * Held items (a get decodes outside LOCK): with LOCK held a get takes the record out, copying its
 * bytes, and moves its room from the stored to the held counts (COUNT -1, HELD +1, HELD_BYTES
 * + its record size); it releases LOCK and decodes. Then either it gives the room up, without
 * LOCK, by adding to RELEASED and RELEASED_BYTES, or, when decode threw, it re-takes LOCK and
 * puts the record back in front (HELD and HELD_BYTES back down, the record stored again, in one
 * hold). A put counts HELD_BYTES (and HELD) as used room; when that leaves no room, it folds the
 * released counts into them (LOCK held: what RELEASED grew by since FOLDED, subtracted, and
 * FOLDED moved up to it) and looks again.
 * Invariant: the bounds HELD >= items held now, HELD_BYTES >= their bytes (the difference is
 * what RELEASED grew by since FOLDED); COUNT + HELD <= maxsize (maxsize > 0); stored bytes +
 * HELD_BYTES <= CAPACITY; for PriorityQueue COUNT + HELD <= HEAP_CAP. So a put-back always finds
 * room, whatever puts, gets and growth ran meanwhile.
 *
 * Owner death (the undo journal). A thread can end at any step of a critical section: on Node
 * and Bun, `Thread.terminate()` (and a pool's abort) stops a worker's JavaScript wherever it
 * runs, and the next thread to want LOCK takes it over from the dead owner (`lock_word.ts`). A
 * put or get changes several slots (a FIFO put: TAIL, LIVE, COUNT, UNFINISHED), so a death
 * between two of them left the others to read records that were not there or miss ones that
 * were: items delivered twice, lost, or a record decoded from the wrong bytes
 * (tests/regressions/queue_owner_killed_inside_a_put_corrupts_the_ring_test.ts). So every
 * operation under LOCK that changes slots of {@link JOURNALED} first copies the ones it may
 * change to JOURNAL_SAVED (packed, in JOURNALED order: at most six, see {@link JOURNAL_ROOM})
 * and then sets JOURNAL to the set it saved (PUT_SAVES, GET_SAVES, or a set of its own), and sets
 * it back to 0 after its last change, before it releases LOCK (`journal.ts`); whoever holds LOCK
 * and finds JOURNAL open therefore took it over from a thread that died inside such an operation,
 * and writes the saved slots back (then closes the journal, last: a taker killed while restoring
 * leaves it open for the next). The operation is undone: a put never happened, a get's item is in
 * the queue again.
 * Invariant: between the opening and the closing of the journal, an operation writes record
 * bytes only outside the records the saved slots describe (past TAIL, before HEAD, the WRAP
 * mark at TAIL), so writing the saved slots back restores a queue that reads as before. ORDER is
 * not saved: a put undone after taking an insertion number leaves a gap in the numbering, which
 * orders the same. A FIFO put-back that finds no room in front of HEAD first moves the records
 * from HEAD to the end of the data area, under a redo journal of its own (SHIFTING; `Ring`'s
 * `beforePutBack`), as a growth does. The fold of released room into the bounds (a put's, before
 * its journal opens) is undone too, under a journal of its own (FOLDING): RELEASED only grows and
 * FOLDED records how much of it the bounds took, so a fold undone leaves the releases to the next
 * fold. It was an exchange of RELEASED with 0, then the write of HELD: a death between the two lost
 * the releases, and a queue with a maxsize could stay full for good. Cost of the journal: four to
 * six saved slots and two marks per put or get, on the line the operation already holds
 * (measured at `journal.ts`'s `openPut`).
 * PriorityQueue's heap entries: a put or get moves entries along one path of the heap, more
 * writes than six slots can save, so its sift moves a hole and keeps the hole's place in the
 * journal (SIFT_HOLE, flags SIFT_UP / SIFT_DOWN_ROOT / SIFT_DOWN in JOURNAL). A put's sift up is
 * undone with the put: the hole goes back down its path, each step putting back the entry that
 * had moved (`Heap.undoSiftUp`). A get's sift down runs last, after every other change of the
 * get, and starts by replacing the save set with SIFT_DOWN_ROOT in one write: from there the get
 * is made, and a taker finishes the sift (`Heap.redoSiftDown`; the dead getter took its item with
 * it, as a consumer that dies while it decodes does). Every step of either is idempotent: it
 * copies an entry, then records the hole's new place, and a step repeated after a death between
 * the two copies the same entry again
 * (tests/regressions/priority_queue_owner_killed_inside_a_sift_test.ts). Its arena compaction
 * (whenever a record does not fit at TAIL but fits in the arena: a put, `full()`, a timed-out
 * putter's last look, growth's, or a put-back) runs before the operation's journal opens,
 * with a journal of its own (COMPACTING): it moves records, never changes what the queue holds,
 * so a taker finishes it (`Heap.redoCompaction`).
 *
 * Growth (a queue in its own growable SharedArrayBuffer, MAX_CAPACITY > CAPACITY): with LOCK
 * held, a put that finds no room grows the buffer, then moves bytes to their places for the new
 * CAPACITY (data first, it moves farthest; then the heap entries; the priorities stay; then a
 * FIFO ring's wrapped part, HEAD to the old end, to the new end, and HEAD with it), and stores
 * HEAP_CAP and CAPACITY last (`growth.ts`). It runs before the put's journal opens, with a redo
 * journal of its own (GROWING): the two capacities, the ring's HEAD before the move, and per move
 * the bytes not yet moved. Each move goes from its end down in chunks no longer than the distance
 * it moves, so no chunk writes a byte another chunk has still to read, and records what is left
 * after each chunk: a taker redoes the chunk it finds recorded (the same bytes again) and
 * finishes the growth (tests/regressions/queue_owner_killed_inside_growth_test.ts). Every
 * thread holds its own fixed-length views, so each compares CAPACITY with the one its views were
 * made for, under LOCK, before it touches the areas, and re-makes them when it changed.
 * Invariant: CAPACITY changes only with LOCK held, and names the layout in memory whenever the
 * journal is not GROWING (a growth stores it last but closing the journal).
 *
 * @module
 */

import type { Codec } from "../codec/mod.ts";
import { type Handle, open, type PlacementOptions } from "../internal/layout.ts";

/** Options of the queue constructors. */
export interface QueueOptions<T> extends PlacementOptions {
  /**
   * Bytes for stored items at the start (default: 64 KiB, or 64 × maxsize if larger). Given
   * alone, it is also the limit: the queue does not grow.
   */
  capacityBytes?: number | undefined;
  /**
   * How far the item bytes may grow when a put finds no room (default: 256 MiB when
   * `capacityBytes` is not given, else `capacityBytes`). A queue placed in a caller's `buffer`
   * cannot grow.
   */
  maxCapacityBytes?: number | undefined;
  /** How items become bytes (default `structuredCodec`; `float64Codec` for numbers only). */
  codec?: Codec<T> | undefined;
}

/** Slot of the internal lock word. */
export const LOCK = 0;
/** Slot of the storage discipline (FIFO, LIFO or PRIORITY). */
export const DISCIPLINE = 20;
/** Slot of the item limit. */
export const MAXSIZE = 17;
/** Slot of the data area's size in bytes. */
export const CAPACITY = 18;
/** Slot of the number of heap entries. */
export const HEAP_CAP = 21;
/** Slot of the number of items stored. */
export const COUNT = 2;
/** Slot of the number of items put and not yet marked done. */
export const UNFINISHED = 3;
/** Slot of the shutdown state (OPEN, SHUT, SHUT_IMMEDIATE). */
export const SHUTDOWN = 16;
/** Slot of the FIFO ring's oldest record. */
export const HEAD = 4;
/** Slot of the next write (ring), the top (stack) or the end of the arena (heap). */
export const TAIL = 5;
/** Slot of the bytes of the stored records (FIFO ring and priority arena). */
export const LIVE = 6;
/** Slot of the priority insertion counter. */
export const ORDER = 39;
/** Seq slot getters sleep on. */
export const NOT_EMPTY = 22;
/** Slot counting async waiters on NOT_EMPTY. */
export const NOT_EMPTY_ASYNC = 23;
/** Slot of the number of getters waiting. */
export const GETTERS = 24;
/**
 * Slot of the getter wake in flight (LOCK held): 1 from a wake of a getter (a put's, a put-back's
 * or a getter's pass-on) until a counted getter holds LOCK after it (`QueueBase`, "Waking
 * getters").
 */
export const WOKEN = 25;
/** Seq slot putters sleep on. */
export const NOT_FULL = 34;
/** Slot counting async waiters on NOT_FULL. */
export const NOT_FULL_ASYNC = 35;
/** Slot of the number of putters waiting. */
export const PUTTERS = 36;
/** Seq slot joiners sleep on. */
export const ALL_DONE = 37;
/** Slot of the number of joiners waiting. */
export const JOINERS = 38;
/** Slot of the bytes the data area may grow to. */
export const MAX_CAPACITY = 19;
/** Slot of the bound on the items taken by gets that are still decoding them. */
export const HELD = 7;
/** Slot of the bound on the record bytes of the items gets hold. */
export const HELD_BYTES = 8;
/** Slot counting the items gets stopped holding, ever (only grows, wrapping; without LOCK). */
export const RELEASED = 32;
/** Slot counting the record bytes gets stopped holding, ever (only grows, wrapping). */
export const RELEASED_BYTES = 33;
/** Slot: the RELEASED the last fold took off HELD (LOCK held); HELD is exact less the rest. */
export const FOLDED = 40;
/** Slot: the RELEASED_BYTES the last fold took off HELD_BYTES (LOCK held). */
export const FOLDED_BYTES = 41;
/**
 * Slot of the putter wake in flight: 1 from a wake of a putter (a get's, a release's, a
 * discarding put-back's, a successful putter's pass-on, a timed-out putter's leave) until a
 * counted putter holds LOCK after it (`QueueBase`, "Waking putters"). Written with LOCK held, by Atomics.store: a release reads it without LOCK. On the
 * RELEASED line, with PUTTERS.
 */
export const PUT_WOKEN = 42;

// The SPSC lane's slots (`lane.ts` has the protocol). Read-mostly line: MODE, the claims and the
// waiter counts; the consumer's line (in lane mode nobody else writes 32-47): READ, GETS, DONE;
// the producer's line, of its own: WRITE, PUTS.
/** Slot of the lane's mode: LANE_ON while the lane may run, LANE_OFF once revoked (or never). */
export const MODE = 26;
/** Slot of the lane's producer: the ident of the first thread to put, or 0. */
export const PRODUCER = 27;
/** Slot of the lane's consumer: the ident of the first thread to get, or 0. */
export const CONSUMER = 28;
/** Slot counting the lane producer's puts waiting for room (one thread's, sync or async). */
export const PUT_WAITS = 29;
/** Slot counting the lane consumer's gets waiting for an item. */
export const GET_WAITS = 30;
/** Slot of the lane's read position (bytes mod 2^28) and its REVOKED bit. */
export const READ = 43;
/** Slot counting the lane's gets (for `qsize`). */
export const GETS = 44;
/** Slot counting `taskDone()` calls while in lane mode (LOCK held). */
export const DONE = 45;
/**
 * Slot of the WRITE position the lane consumer's last look read before it parked (its line: the
 * consumer writes it, the producer reads it while GET_WAITS is set).
 */
export const GET_LOOKED = 46;
/** Slot of the lane's write position (bytes mod 2^28) and its BUSY, PARITY and REVOKED bits. */
export const WRITE = 48;
/** Slot counting the lane's puts (the producer's, before each publish). */
export const PUTS = 49;
/** Slot of the READ position the lane producer's last look read before it parked. */
export const PUT_LOOKED = 50;
/**
 * Slot of the undo journal (see "Owner death" above): 0 closed; open, the set of slots saved
 * (bit k: `JOURNALED[k]`). On the lock holder's line with what it saves.
 */
export const JOURNAL = 9;
/** First of the journal's saved slots: the set's slots as they were, in JOURNALED order. */
export const JOURNAL_SAVED = 10;
/** How many slots JOURNAL_SAVED has: no set may name more (tests/queue_journal_test.ts). */
export const JOURNAL_ROOM = 6;
/**
 * Where a heap's sift keeps its hole (see "Owner death"): the last saved slot, so a save set
 * open during a sift (a heap's put, or put-back) names at most five slots.
 */
export const SIFT_HOLE: number = JOURNAL_SAVED + JOURNAL_ROOM - 1;
/** JOURNAL flag, beside a put's save set: its sift up is under way, the hole at SIFT_HOLE. */
export const SIFT_UP: number = 1 << 8;
/** JOURNAL value: a get is made and its sift down under way, the hole at the root. */
export const SIFT_DOWN_ROOT: number = 1 << 9;
/** JOURNAL value: a get is made and its sift down under way, the hole at SIFT_HOLE. */
export const SIFT_DOWN: number = 1 << 10;
/**
 * JOURNAL value: a PriorityQueue's arena compaction is under way (it runs with no other
 * operation's journal open); its state in COMPACT_ENTRY, COMPACT_DONE and COMPACT_WRITE.
 */
export const COMPACTING: number = 1 << 11;
/** During a compaction: the heap entry whose record is moving (-1: none yet). */
export const COMPACT_ENTRY: number = JOURNAL_SAVED;
/** During a compaction: how many bytes of that record are copied. */
export const COMPACT_DONE: number = JOURNAL_SAVED + 1;
/** During a compaction: where that record goes, the end of the records moved before it. */
export const COMPACT_WRITE: number = JOURNAL_SAVED + 2;
/**
 * JOURNAL value: a growth of the queue's bytes is under way (with no other operation's journal
 * open; `growth.ts`); its state in the GROW_* slots.
 */
export const GROWING: number = 1 << 12;
/** During a growth: the CAPACITY it grows from (the layout CAPACITY names until the end). */
export const GROW_FROM: number = JOURNAL_SAVED;
/** During a growth: the CAPACITY it grows to. */
export const GROW_TO: number = JOURNAL_SAVED + 1;
/** During a growth: a FIFO ring's HEAD before it moves with the wrapped part (-1: no move). */
export const GROW_HEAD: number = JOURNAL_SAVED + 2;
/** During a growth: the bytes of the data area (a PriorityQueue's) not yet moved. */
export const GROW_LEFT_DATA: number = JOURNAL_SAVED + 3;
/** During a growth: the bytes of the heap entries not yet moved. */
export const GROW_LEFT_HEAP: number = JOURNAL_SAVED + 4;
/** During a growth: the bytes of a FIFO ring's wrapped part not yet moved. */
export const GROW_LEFT_RING: number = JOURNAL_SAVED + 5;
/**
 * JOURNAL value: a FIFO ring's records are moving to the end of its data area to make room for
 * a put-back in front of them (with no other journal open: `Storage.beforePutBack`); its state
 * in the SHIFT_* slots.
 */
export const SHIFTING: number = 1 << 13;
/** During a shift: HEAD before it, where the run of records that moves starts. */
export const SHIFT_HEAD: number = JOURNAL_SAVED;
/** During a shift: how far the run moves up. */
export const SHIFT_BY: number = JOURNAL_SAVED + 1;
/** During a shift: TAIL after it (the end of the data area, when unwrapped), or -1: unchanged. */
export const SHIFT_TAIL: number = JOURNAL_SAVED + 2;
/** During a shift: the bytes of the run not yet moved. */
export const SHIFT_LEFT: number = JOURNAL_SAVED + 3;
/**
 * JOURNAL value: a fold of the released room into the bounds is under way (before a put's own
 * journal opens); HELD, HELD_BYTES, FOLDED and FOLDED_BYTES as they were in the FOLD_* slots.
 */
export const FOLDING: number = 1 << 14;
/** During a fold: HELD before it. */
export const FOLD_HELD: number = JOURNAL_SAVED;
/** During a fold: HELD_BYTES before it. */
export const FOLD_HELD_BYTES: number = JOURNAL_SAVED + 1;
/** During a fold: FOLDED before it. */
export const FOLD_FOLDED: number = JOURNAL_SAVED + 2;
/** During a fold: FOLDED_BYTES before it. */
export const FOLD_FOLDED_BYTES: number = JOURNAL_SAVED + 3;
/** The JOURNAL bits that name saved slots (one per {@link JOURNALED} slot). */
export const SAVE_BITS: number = 0xff;
/**
 * The slots an operation under LOCK may change, saved when it opens the journal and written back
 * by a thread that takes LOCK over from an owner that died with it open.
 */
export const JOURNALED: readonly number[] = [
  COUNT,
  UNFINISHED,
  HEAD,
  TAIL,
  LIVE,
  HELD,
  HELD_BYTES,
  SHUTDOWN,
];
/** The JOURNAL value that saves `slots` (each one of {@link JOURNALED}): bit k for `JOURNALED[k]`. */
function saving(...slots: number[]): number {
  let set = 0;
  for (const slot of slots) set |= 1 << JOURNALED.indexOf(slot);
  return set;
}
/** JOURNAL of a put: what `store` and the count change. */
export const PUT_SAVES: number = saving(COUNT, UNFINISHED, TAIL, LIVE);
/** JOURNAL of a get: what `take` (its `clear` too), the hold and the count change. */
export const GET_SAVES: number = saving(COUNT, HEAD, TAIL, LIVE, HELD, HELD_BYTES);
/** JOURNAL of a put-back into a queue shut down at once: the hold and UNFINISHED. */
export const DROP_SAVES: number = saving(UNFINISHED, HELD, HELD_BYTES);
/** JOURNAL of a put-back: the hold, the record stored again and COUNT. */
export const PUT_BACK_SAVES: number = saving(COUNT, HEAD, TAIL, LIVE, HELD, HELD_BYTES);
/** JOURNAL of a PriorityQueue's put-back: as PUT_BACK_SAVES but HEAD (a heap's is always 0). */
export const HEAP_PUT_BACK_SAVES: number = saving(COUNT, TAIL, LIVE, HELD, HELD_BYTES);
/**
 * The JOURNAL a put-back of `discipline` opens: a heap's sifts, so its set must leave SIFT_HOLE
 * free (tests/queue_journal_test.ts).
 */
export function putBackSaves(discipline: number): number {
  return discipline === PRIORITY ? HEAP_PUT_BACK_SAVES : PUT_BACK_SAVES;
}
/** JOURNAL of `shutdown()`: SHUTDOWN and, when immediate, what discarding every item changes. */
export const SHUTDOWN_SAVES: number = saving(COUNT, UNFINISHED, HEAD, TAIL, LIVE, SHUTDOWN);
/**
 * Header size in int32 slots: four whole cache lines (so what follows is 8-aligned, and the
 * first records a streaming ring writes at offset 0 are not on the line gets write RELEASED to);
 * the fourth is the lane producer's (`lane.ts`).
 */
export const HEADER_SLOTS = 64;
/** Header size in bytes. */
export const HEADER_BYTES = HEADER_SLOTS * 4;

/** MODE: the lane is revoked, or never ran: the locked paths only. */
export const LANE_OFF = 0;
/** MODE: a producer and a consumer may move items through the lane (`lane.ts`). */
export const LANE_ON = 1;

/** DISCIPLINE: first in, first out (a ring). */
export const FIFO = 1;
/** DISCIPLINE: last in, first out (a stack). */
export const LIFO = 2;
/** DISCIPLINE: lowest priority first (a heap over an arena). */
export const PRIORITY = 3;

/** SHUTDOWN: puts and gets work. */
export const OPEN = 0;
/** SHUTDOWN: puts throw; gets drain, then throw. */
export const SHUT = 1;
/** SHUTDOWN: items discarded; puts and gets throw. */
export const SHUT_IMMEDIATE = 2;

/**
 * Data bytes when `capacityBytes` is not given: 64 KiB, or 64 bytes per item of `maxsize`; for a
 * FIFO queue with a maxsize up to MAX_LANE_MAXSIZE, that rounded up to a power of two, so that
 * the queue runs in the SPSC lane (`lane.ts`, `laneFits`): `Queue(5000)` had 320,000 bytes and no
 * lane, and now has 512 KiB and the lane.
 */
export const DEFAULT_CAPACITY_BYTES = 64 * 1024;

/**
 * The largest `maxsize` a lane runs with: its producer keeps the end positions of its last
 * maxsize records (`Lane.put`), 8 bytes each, in its own thread (512 KiB at this bound).
 * Measured (2026-12-03, load ~2.5): two workers streaming through a bounded queue, this lane ÷
 * the locked path (the tree before, 13c62cd), each order once, medians of 41 round-robin ratios,
 * `AB_MAXSIZE=m AB_A=<13c62cd>/mod.ts bench/probes/queue_ab.ts 41 10000 40000`: maxsize 8,
 * numbers 0.21-0.43 and objects 0.32-0.60 on Node, Deno and Bun; maxsize 64, numbers 0.30-0.48
 * and objects 0.46-0.72; maxsize 1024, Node and Deno numbers 0.45-0.62 and objects 0.74-0.87, Bun
 * numbers 0.88-1.43 and objects 0.64-1.08 (its noise, as for the unbounded lane there).
 */
export const MAX_LANE_MAXSIZE = 2 ** 16;
/** How far the data area of a queue in its own buffer grows by default: 256 MiB. */
export const DEFAULT_MAX_CAPACITY_BYTES = 256 * 1024 * 1024;
/** The smallest record (length word + a 1-byte item, padded): bounds the heap entries needed. */
const MIN_RECORD = 8;

/** `n` rounded up to a multiple of 4. */
export const pad4 = (n: number): number => (n + 3) & ~3;

/** Bytes a record of `length` item bytes takes (length word + bytes padded to 4). */
export const recordSize = (length: number): number => 4 + pad4(length);

/** The sizes of a queue. */
export interface Geometry {
  /** Item limit (0: bytes only). */
  maxsize: number;
  /** Bytes of the data area now. */
  capacity: number;
  /** Bytes the data area may grow to (= capacity when it cannot grow). */
  maxCapacity: number;
  /** Heap entries (PriorityQueue), else 0. */
  heapCap: number;
  /** Bytes of the whole queue now, a multiple of 8. */
  byteLength: number;
  /** Bytes of the whole queue at `maxCapacity`. */
  maxByteLength: number;
}

/** Checks a byte count given as `name`: an integer from 16 to 2^30. */
function bytesOption(kind: string, name: string, value: unknown): number {
  if (typeof value !== "number") {
    throw new TypeError(`Cannot create ${kind}: ${name} must be a number, got ${typeof value}`);
  }
  if (!Number.isInteger(value) || value < 16 || value > 2 ** 30) {
    throw new RangeError(
      `Cannot create ${kind}: ${name} must be an integer from 16 to 2^30, got ${value}`,
    );
  }
  return pad4(value);
}

/** The data bytes of a queue created without `capacityBytes` (see DEFAULT_CAPACITY_BYTES). */
function defaultCapacity(discipline: number, maxsize: number): number {
  const bytes = Math.max(DEFAULT_CAPACITY_BYTES, Math.min(maxsize * 64, 2 ** 30));
  if (discipline === FIFO && maxsize <= MAX_LANE_MAXSIZE) return 2 ** Math.ceil(Math.log2(bytes));
  return pad4(bytes);
}

/**
 * Checks the sizes of a `kind` queue and computes its geometry. `growable`: the queue gets its
 * own buffer, so it may grow (`maxCapacityBytes`, by default when `capacityBytes` is not given).
 */
export function geometry(
  kind: string,
  discipline: number,
  maxsize: unknown,
  capacityBytes: unknown,
  maxCapacityBytes?: unknown,
  growable = false,
): Geometry {
  if (typeof maxsize !== "number") {
    throw new TypeError(`Cannot create ${kind}: maxsize must be a number, got ${typeof maxsize}`);
  }
  if (!Number.isInteger(maxsize) || maxsize < 0 || maxsize > 2 ** 30) {
    throw new RangeError(
      `Cannot create ${kind}: maxsize must be an integer from 0 to 2^30, got ${maxsize}`,
    );
  }
  let capacity = capacityBytes === undefined
    ? defaultCapacity(discipline, maxsize)
    : bytesOption(kind, "capacityBytes", capacityBytes);
  let maxCapacity = capacity;
  if (maxCapacityBytes !== undefined) {
    maxCapacity = bytesOption(kind, "maxCapacityBytes", maxCapacityBytes);
    if (!growable && maxCapacity > capacity) {
      throw new RangeError(
        `Cannot create ${kind}: maxCapacityBytes needs the queue's own buffer; a queue placed in a caller's buffer cannot grow`,
      );
    }
    if (capacityBytes === undefined) capacity = Math.min(capacity, maxCapacity);
    else if (maxCapacity < capacity) {
      throw new RangeError(
        `Cannot create ${kind}: maxCapacityBytes (${maxCapacity}) is less than capacityBytes (${capacity})`,
      );
    }
  } else if (growable && capacityBytes === undefined) {
    maxCapacity = Math.max(capacity, DEFAULT_MAX_CAPACITY_BYTES);
  }
  const heapCap = heapCapOf(discipline, maxsize, capacity);
  return {
    maxsize,
    capacity,
    maxCapacity,
    heapCap,
    byteLength: layoutBytes(heapCap, capacity),
    maxByteLength: layoutBytes(heapCapOf(discipline, maxsize, maxCapacity), maxCapacity),
  };
}

/** The heap entries of a queue: one per item of maxsize, or per smallest record of capacity. */
function heapCapOf(discipline: number, maxsize: number, capacity: number): number {
  if (discipline !== PRIORITY) return 0;
  return maxsize > 0 ? maxsize : Math.floor(capacity / MIN_RECORD);
}

/** Bytes of header + priorities + heap entries + data, rounded up to 8. */
function layoutBytes(heapCap: number, capacity: number): number {
  return Math.ceil((HEADER_BYTES + heapCap * 8 + heapBytes(heapCap) + capacity) / 8) * 8;
}

/** The geometry stored in the header of an existing queue. */
export function geometryOf(handle: Handle, kind: string, discipline: number): Geometry {
  const header = new Int32Array(handle.buffer, handle.byteOffset, HEADER_SLOTS);
  return resized(
    geometry(kind, discipline, Atomics.load(header, MAXSIZE), Atomics.load(header, CAPACITY)),
    discipline,
    Math.max(Atomics.load(header, CAPACITY), Atomics.load(header, MAX_CAPACITY)),
  );
}

/** `g` with `maxCapacity`, the rest unchanged. */
function resized(g: Geometry, discipline: number, maxCapacity: number): Geometry {
  return {
    ...g,
    maxCapacity,
    maxByteLength: layoutBytes(heapCapOf(discipline, g.maxsize, maxCapacity), maxCapacity),
  };
}

/** The geometry of `g` grown to `capacity` bytes of data (≤ g.maxCapacity). */
export function grownGeometry(g: Geometry, discipline: number, capacity: number): Geometry {
  const heapCap = heapCapOf(discipline, g.maxsize, capacity);
  return { ...g, capacity, heapCap, byteLength: layoutBytes(heapCap, capacity) };
}

/** Validates the handle of a `kind` queue for `from`: placement, then the stored sizes. */
export function openQueue(handle: Handle, kind: string, discipline: number): Handle {
  const opened = open(handle, kind, HEADER_BYTES, 8);
  const g = geometryOf(opened, kind, discipline);
  if (opened.byteOffset + g.byteLength > opened.buffer.byteLength) {
    throw new RangeError(`Cannot open ${kind}: the handle's buffer is too small for it`);
  }
  return opened;
}

/**
 * Writes the header of a new queue (before any other thread can see it). `lane`: it starts in
 * lane mode (`lane.ts`, `laneFits`).
 */
export function writeHeader(i32: Int32Array, discipline: number, g: Geometry, lane: boolean): void {
  i32.fill(0);
  Atomics.store(i32, MODE, lane ? LANE_ON : LANE_OFF);
  Atomics.store(i32, DISCIPLINE, discipline);
  Atomics.store(i32, MAXSIZE, g.maxsize);
  Atomics.store(i32, CAPACITY, g.capacity);
  Atomics.store(i32, MAX_CAPACITY, g.maxCapacity);
  Atomics.store(i32, HEAP_CAP, g.heapCap);
}

/** Bytes of the heap entries, rounded to 8. */
function heapBytes(heapCap: number): number {
  return Math.ceil((heapCap * 12) / 8) * 8;
}

/** Views of the areas after the header, made once per queue object. */
export interface Areas {
  /** Priorities of the heap entries. */
  prio: Float64Array;
  /** Heap entries: [offset, length, order] × N. */
  heap: Int32Array;
  /** The data area. */
  u8: Uint8Array;
  /** The data area as a DataView (record lengths). */
  dv: DataView;
}

/** Where the heap entries and the data area of a queue of geometry `g` start in its buffer. */
export function offsetsOf(byteOffset: number, g: Geometry): { heap: number; data: number } {
  const heap = byteOffset + HEADER_BYTES + g.heapCap * 8;
  return { heap, data: heap + heapBytes(g.heapCap) };
}

/** The views of the areas of a queue of geometry `g` at `handle`. */
export function areasOf(handle: Handle, g: Geometry): Areas {
  const { buffer, byteOffset } = handle;
  const at = offsetsOf(byteOffset, g);
  return {
    prio: new Float64Array(buffer, byteOffset + HEADER_BYTES, g.heapCap),
    heap: new Int32Array(buffer, at.heap, g.heapCap * 3),
    u8: new Uint8Array(buffer, at.data, g.capacity),
    dv: new DataView(buffer, at.data, g.capacity),
  };
}

/**
 * Makes the buffer of the queue at `handle` long enough for geometry `to` (LOCK held; nothing
 * moves yet: `growth.ts` moves the areas). Returns false, changing nothing, when the runtime
 * refuses the memory. A thread that dies after it leaves a longer buffer and the same layout.
 */
export function growBuffer(handle: Handle, to: Geometry): boolean {
  const buffer = handle.buffer;
  const need = handle.byteOffset + to.byteLength;
  if (buffer.byteLength >= need) return true; // grown before by a grower that died
  try {
    buffer.grow(need);
    return true;
  } catch {
    return false; // out of memory (or not growable): the put reports the byte bound
  }
}
