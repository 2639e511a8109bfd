/**
 * `QueueBase`: what `Queue`, `LifoQueue` and `PriorityQueue` share — construction over the header
 * (`header.ts`), put, get, `taskDone`/`join`, `shutdown` and the snapshots. The order items come
 * out in is the storage discipline's (`storage.ts`); the classes in `mod.ts` only pick one.
 *
 * Lane first: a FIFO queue that fits (`lane.ts`, `laneFits`) starts in lane mode, where its first
 * producer thread and first consumer thread move items without LOCK. Every put and get tries
 * the lane while this object holds one (`#lane`), and leaves it for the locked paths below when
 * it is revoked (`#leaveLane`); the snapshots, `taskDone` and `join` read the lane's counts
 * while MODE is LANE_ON. Measured (2026-12-03, load ~0.6), two workers streaming through a
 * default queue, this tree with lanes ÷ the same tree without (`setLanes`), each order once,
 * `AB_A=<no-lane copy>/mod.ts bench/probes/queue_ab.ts 41 20000 40000` (and A/B swapped), runs
 * where the lane was kept to the end: numbers Node 0.30-0.46, Deno 0.32-0.44, Bun 0.78-1.19;
 * objects Node 0.83-0.97, Deno 0.65-0.94, Bun 0.71-0.95.
 *
 * Items are stored as bytes (see `codec/`) in one SharedArrayBuffer, under one internal lock
 * word; producers and consumers in any threads, sync and async, may mix.
 *
 * Waiting (a condition variable per seq slot, `internal/seq_wait.ts`): a waiter counts itself
 * (GETTERS, PUTTERS or JOINERS), reads the seq slot, releases LOCK and sleeps while the seq is
 * unchanged; the side that changes the state bumps the seq under LOCK when the count is non-zero,
 * and wakes after releasing LOCK. Invariant: the seq is read and bumped only with LOCK held, so a
 * change made after a waiter released LOCK always moves the seq it sleeps on. A waiter that
 * leaves without using a wake (timeout, abort, shutdown) while what it waited for is there passes
 * the wake on.
 *
 * Waking getters: one wake in flight at a time (WOKEN, read and written with LOCK held). A put
 * (or put-back) that finds getters counted wakes one only when WOKEN is 0, and sets it to 1; a
 * counted getter sets it back to 0 each time it holds LOCK after counting itself or after a
 * sleep, and if it then sees more items than the one it takes and other getters counted, wakes
 * the next (the pass-on). Before, a getter stayed counted from its wake until it ran, and every
 * put meanwhile bumped NOT_EMPTY (on the line every put and get reads) and notified nobody: 0.74
 * notifies per item on Bun's `queue.oneway-f64` (`CODEC=f64 bun
 * bench/probes/queue_oneway_count.ts 5 40000`), 0.000 after.
 * Invariant: a getter asleep on NOT_EMPTY read the seq in the LOCK hold where it last cleared
 * WOKEN, so every wake sent after that moves the value it sleeps on. While WOKEN is 1, the getter
 * that wake reached (woken, or finding the seq moved as it parks) has yet to hold LOCK; when it
 * does, it sees the items put meanwhile and passes the wake on. A wake sent while the only
 * counted getter is on its way out (item taken, not yet uncounted) reaches no one: the next getter
 * to count itself clears it. Clearing early only costs a spare wake.
 * Thread death: a woken getter that dies before it holds LOCK, a getter that dies between
 * releasing LOCK and its pass-on wake, or a thread that dies holding LOCK after setting WOKEN (the
 * undo journal does not save it) leaves WOKEN at 1 with no wake on its way, and every later put
 * stays silent until a sleeper's poll (`seq_wait.ts`, "Poll": at most `OWNER_POLL_MS`, plus event
 * loop delay for an async sleeper) or the next getter to count itself clears it. Before, the next
 * put made up a wake lost this way; now the stall is bounded by the poll instead.
 * Checked by `models/queue.pml` (`THREE_PUTS` and `PUTBACK_WAKE`, with mutants) and
 * `tests/queue_getter_wakes_test.ts`.
 * Measured (2026-12-02, load ~1), two workers streaming (`queue_ab.ts 21 10000 40000`, each order
 * once, the order bias cancelled by the geometric mean of A/B and 1 / B/A): numbers (float64Codec)
 * 0.86 node, 0.78 deno, 0.80 bun; objects 0.92 / 0.94 / 1.0; one thread
 * (`queue_ab_single.ts 21`) 0.97-1.05, unchanged.
 *
 * Waking putters: the same, one wake in flight at a time (PUT_WOKEN). A get that frees room, a
 * release of held room, a discarding put-back or a timed-out putter wakes a counted putter only
 * when PUT_WOKEN is 0, and sets it to 1; a counted putter clears it each time it holds LOCK after
 * counting itself or after a sleep, and, when its put leaves room for another record with other
 * putters counted, wakes the next. Before, a putter stayed counted from its wake until it ran,
 * and every get meanwhile bumped NOT_FULL and notified nobody: 0.82 / 0.49 / 0.42 notifies per
 * item (bun / node / deno) on a float64Codec queue of maxsize 64 (`MAXSIZE=64 CODEC=f64
 * bench/probes/queue_oneway_count.ts 3 40000`). What differs from the getters:
 * - A release (`#release`, held room given up) reads PUT_WOKEN without LOCK, after its add to
 *   RELEASED, and skips LOCK and the wake when it is set; the putter that takes the wake clears
 *   it (Atomics.store) before its next fold reads RELEASED (all seq-cst): either that fold sees
 *   the release, or the release's read comes after the clear and finds 0 (or a later wake). A
 *   fold runs only when the bounds say no room, so the taker folds in two places: its look for
 *   room (`#findRoom`), and, after a put, `#roomLeft` before it declines to pass the wake on (a
 *   put that found room without folding would otherwise keep the skipped release's room from
 *   the next putter: `MUTANT_ROOMLEFT_NO_FOLD` in the model).
 * - Room is not one item for every record: in a queue bounded by its bytes, a woken putter's
 *   record may miss where a smaller one would fit. Such a putter wakes one more putter, without
 *   setting PUT_WOKEN (it sleeps next: a flag it set could be left with no taker, and every later
 *   release would stay silent; `models/queue.pml` found that), and the putter it reaches takes
 *   no flag, so it does not pass on again when it misses too (two putters with large records
 *   would otherwise wake each other for as long as they wait). Before, each release woke a
 *   putter; a burst now wakes one and its pass-ons: a smaller record whose putter no wake reached
 *   waits for the next release or the poll (`OWNER_POLL_MS`).
 * Thread death, as for getters: a woken putter that dies before it holds LOCK, a thread that
 * dies between setting PUT_WOKEN and its wake (a get, a release, a discarding put-back, a
 * putter's pass-on or a timed-out putter's leave), or one that dies holding LOCK after setting
 * it (the undo journal does not save it) leaves PUT_WOKEN at 1 with no wake on its way, and
 * later releases and gets stay silent until a sleeper's poll or the next putter to count itself. Checked by `models/queue.pml` (`PUT_BURST`, with mutants) and
 * `tests/queue_putter_wakes_test.ts`.
 * Measured (2026-12-02 ~21:10 UTC, load ~0.5): notifies of NOT_FULL that woke nobody, per item,
 * 0.823 → 0.003 bun, 0.494 → 0.007 node, 0.415 → 0.006 deno (the probe above). Time per item
 * did not move: two workers streaming into a queue of maxsize 64 (`AB_MAXSIZE=64
 * bench/probes/queue_ab.ts 15 10000 40000`, each order once, geometric mean of the after ÷
 * before ratios) numbers 1.03 / 1.08 / 0.94, objects 0.95 / 0.94 / 1.00 (node / bun / deno):
 * such a stream costs 0.7-2.2 µs an item against ~0.25 unbounded, not for its notifies. Nor for
 * its real sleeps (0.01-0.02 an item each side): spinning 100 or 400 µs before a sleep cut them
 * to 0.002-0.003 and made the stream slower (Node: 1,476 and 2,211 ns against 653 with the
 * default spin; `SYNC_SPIN_US=` on the probe). Its time follows the lock CASes that fail at the
 * bound (Node, by maxsize: 8 → 2,716 ns and 0.62 failed CASes an item each side, 64 → 1,249 and
 * 0.10, 1,024 → 360 and 0.004, unbounded 249 and 0.01). The gain is the futex traffic: on V8
 * (Node, Deno) a notify takes the process-wide futex lock whether or not anyone waits.
 *
 * Gets decode outside LOCK. With LOCK held a get takes the record out and holds its room
 * (`header.ts`: HELD, HELD_BYTES); it decodes after releasing LOCK, then gives the room up
 * (RELEASED, RELEASED_BYTES: Atomics on the header's second cache line, no LOCK: the common
 * path costs one hold, as before the codec-throws fix), or, when the codec threw, re-takes LOCK
 * and puts the record back in front. Putters waiting for room count themselves in PUTTERS
 * before their room check (which folds in RELEASED_BYTES, an Atomics.load, when it finds no room),
 * and a get adds to RELEASED_BYTES before it reads PUTTERS (all seq-cst): one of the two sees
 * the other, so either the putter finds the room or the get takes LOCK to bump NOT_FULL for it
 * (no wake-up lost).
 *
 * @module
 */

import { type Codec, float64Codec, structuredCodec } from "../codec/mod.ts";
import { QueueEmptyError, QueueFullError, QueueShutDownError, TimeoutError } from "../errors.ts";
import {
  type Aborted,
  assertCanBlock,
  deadlineAfter,
  now,
  type Parker,
  runAsync,
  runSync,
  wake,
  wakeAll,
  watch,
} from "../internal/futex.ts";
import { openedHandle, ownOptions } from "../internal/construct.ts";
import { currentIdent } from "../internal/ident.ts";
import { Line } from "../internal/line.ts";
import { type Handle, place, slots } from "../internal/layout.ts";
import { lockBriefly, unlock } from "../internal/lock_word.ts";
import {
  rejectSignal,
  signalOf,
  type SyncWaitOptions,
  timeoutOf,
  type WaitOptions,
} from "../internal/options.ts";
import { SeqWait } from "../internal/seq_wait.ts";
import {
  ALL_DONE,
  areasOf,
  CAPACITY,
  COUNT,
  DISCIPLINE,
  DONE,
  DROP_SAVES,
  FOLDED,
  FOLDED_BYTES,
  type Geometry,
  geometry,
  geometryOf,
  GET_WAITS,
  GETTERS,
  growBuffer,
  GROWING,
  grownGeometry,
  HEADER_SLOTS,
  HELD,
  HELD_BYTES,
  JOINERS,
  JOURNAL,
  LANE_ON,
  LOCK,
  MAXSIZE,
  MODE,
  NOT_EMPTY,
  NOT_EMPTY_ASYNC,
  NOT_FULL,
  NOT_FULL_ASYNC,
  OPEN,
  pad4,
  PRIORITY,
  PUT_WAITS,
  PUT_WOKEN,
  putBackSaves,
  PUTS,
  PUTTERS,
  type QueueOptions,
  READ,
  recordSize,
  RELEASED,
  RELEASED_BYTES,
  SHIFTING,
  SHUT,
  SHUT_IMMEDIATE,
  SHUTDOWN,
  SHUTDOWN_SAVES,
  UNFINISHED,
  WOKEN,
  WRITE,
  writeHeader,
} from "./header.ts";
import {
  EMPTY,
  Lane,
  laneFits,
  lanePuts,
  laneSize,
  MAX_LANE_CAPACITY,
  OFF,
  PUT_DONE,
  PUT_FULL,
} from "./lane.ts";
import { close, open, openFold, openGet, openPut, type Sifts, undo } from "./journal.ts";
import { finishGrowth, openGrowth } from "./growth.ts";
import { foldStep, giveBack, type Storage, storageFor, testStep } from "./storage.ts";

/** Options of `shutdown`. */
export interface ShutdownOptions {
  /** Discard stored items and wake every waiter now (default `false`: getters drain first). */
  immediate?: boolean | undefined;
}

/** The record `full()` asks room for: a small item (up to 12 bytes encoded). */
const SMALL_RECORD = 16;

/** The record of a `float64Codec` item: the length word and 8 bytes. */
const F64_RECORD = 12;
/** The record of an empty item: the least room any put needs (`#roomLeft`). */
const MIN_RECORD = 4;

/**
 * How a blocking put (`putSync`, `put`) to a full lane that may grow decides between waiting for
 * its consumer thread to make room and leaving the lane so the queue grows (a `putNowait`, or a
 * put with no consumer thread claimed, leaves at once). It waits only while the consumer keeps
 * up: while this thread's puts have recently waited under LANE_SLOW_PUT_MS a put on average,
 * counting this wait, and this one has waited under LANE_STALL_MS. A producer that runs ahead of
 * a fast consumer (the stream the lane is for) waits a few µs a put at most, with the odd wait of
 * a scheduler's slice when the consumer loses its CPU; a consumer that takes ms an item would
 * otherwise hold an unbounded queue's producer back to its own pace, which the queue's contract
 * does not allow, and which the lane could not speed up anyway (its saving is 100s of ns an
 * item). The allowance is 10 µs a recent put or 20 ms, whichever is more: without the 20 ms, a
 * stream's first fill of the ring (1,260 puts: 12.6 ms) lost its lane to one slice of the
 * scheduler. Measured (2026-12-03, `bench/probes/lane_revokes.ts`, 1,000,000 objects 1 → 1, runs
 * of 8 on Node and 8 on Bun): the rule before this one (grow once READ stayed unmoved 5 ms) left
 * the lane in 2 of 16 runs on an idle machine and in 12 and 13 of 16 beside two CPU-bound
 * workers; this one in 0 of 16 and 0 of 16 (without the 20 ms floor: 1 and 4 of 16). And a
 * consumer taking 2 ms an item held a 2,000-put burst back 2.5 s before, 27 ms now
 * (`tests/queue_lane_test.ts`, "a slow consumer does not hold a burst's blocking puts back").
 */
const LANE_SLOW_PUT_MS = 0.01;
/** See LANE_SLOW_PUT_MS: the longest one blocking put waits in a full lane that may grow. */
const LANE_STALL_MS = 20;
/** See LANE_SLOW_PUT_MS: "recently" spans the last 2048-4096 puts of this thread's lane. */
const LANE_RECENT_PUTS = 4096;

/** A producer's recent waits in a full lane that may grow (LANE_SLOW_PUT_MS). */
export interface LaneWaits {
  /** PUTS (its thread's lane puts, an int32 word) when "recently" began. */
  since: number;
  /** The ms its blocking puts waited since then. */
  waited: number;
  /** The time (`now()`) up to which waits are in `waited`: puts waiting at once count once. */
  charged: number;
}

/** Charges a wait from `began` to `end` to `waits`, but for the part already charged. */
export function chargeLaneWait(waits: LaneWaits, began: number, end: number): void {
  const from = Math.max(began, waits.charged);
  if (end > from) waits.waited += end - from;
  if (end > waits.charged) waits.charged = end;
}

/**
 * How long a blocking put may wait, from its first miss, in a full lane that may grow, PUTS being
 * `puts` (LANE_SLOW_PUT_MS): what keeps `waits` under LANE_SLOW_PUT_MS a put, or LANE_STALL_MS in
 * all, at most LANE_STALL_MS (0 or less: grow now). Once "recently" spans more than
 * LANE_RECENT_PUTS puts, it is cut to the last half of that, its waits in proportion.
 */
export function laneWaitLeft(waits: LaneWaits, puts: number): number {
  // PUTS wraps past 2^31 puts: the puts since, mod 2^32 (a signed difference went negative once
  // the word wrapped, and "recently" then never moved again: every wait counted for good).
  let recent = (puts - waits.since) >>> 0;
  if (recent > LANE_RECENT_PUTS) {
    const kept = LANE_RECENT_PUTS >> 1;
    waits.waited *= kept / recent;
    waits.since = (puts - kept) | 0;
    recent = kept;
  }
  const allowed = Math.max(LANE_STALL_MS, recent * LANE_SLOW_PUT_MS);
  return Math.min(LANE_STALL_MS, allowed - waits.waited);
}

/** What a put's fast path leaves its slow path: the record, and whether the lane had no room. */
interface PendingPut {
  bytes: Uint8Array;
  me2: number;
  lane: boolean;
}

/** Marks "no item" for the fast path of get. */
const NONE: unique symbol = Symbol("none");

/**
 * What `Queue`, `LifoQueue` and `PriorityQueue` share: everything but the order items come out
 * in. Not constructed directly.
 *
 * @typeParam T The items.
 * @typeParam P The extra options of `put*` (`PriorityOptions` for `PriorityQueue`).
 */
export abstract class QueueBase<T, P extends object = Record<never, never>> {
  /** A structured-clone-safe description; `X.from(handle)` rebuilds the queue. */
  readonly handle: Handle;
  readonly #i32: Int32Array;
  /** The discipline: where records go and which comes out next. */
  #storage: Storage;
  /** The sizes `#storage`'s views were made for (CAPACITY may have grown since: `#remap`). */
  #geometry: Geometry;
  readonly #discipline: number;
  /**
   * What every take of LOCK but a fast CAS from 0 runs (`#lockBriefly`, and each `SeqWait`'s
   * `repair`): `#repairQueue`. Made once here.
   */
  readonly #repair: (i32: Int32Array) => void;
  /** Whether gets count the items they hold in HELD (it bounds maxsize and heap entries). */
  readonly #holdItems: boolean;
  readonly #codec: Codec<T>;
  /** The codec is `float64Codec`: puts and gets write and read 8-byte records in place. */
  readonly #f64: boolean;
  readonly #kind: string;
  /**
   * `put to <kind>` and `get from <kind>`, for the messages of the put and get forms: made once
   * here, not by a template literal on every call (a string built per put and per get).
   * Measured (2026-12-01 23:30 UTC, load 2-4), after ÷ before, median of 21 round-robin rounds of
   * one-thread put + get pairs, each runtime twice (before as A, then as B), `AB_KINDS=
   * numbers-sync,numbers,objects AB_A=<before>/mod.ts AB_B=<after>/mod.ts
   * bench/probes/queue_ab_single.ts 21`: numbers by putSync/getSync node 0.99 / 0.98, deno 0.91
   * / 0.99, bun 0.90 / 0.86; by putNowait/getNowait node 0.92 / 0.93, deno 0.93 / 0.92, bun 0.94
   * / 0.98; objects 0.99 / 1.11, 0.98 / 0.96, 0.91 / 0.95 (an A/A run of one tree spreads
   * 0.89-1.06, so objects: no change seen).
   */
  readonly #putWhat: string;
  readonly #getWhat: string;
  /**
   * This object's side of the SPSC lane (`lane.ts`) while MODE may be LANE_ON; `undefined` once
   * this thread has seen the lane revoked (MODE only goes LANE_ON → LANE_OFF), or when the
   * queue never had one. Every put and get tries it first while it is set.
   */
  #lane: Lane | undefined = undefined;
  /** This object's blocking puts' recent waits in a full lane that may grow (`laneWaitLeft`). */
  readonly #laneWaits: LaneWaits = { since: 0, waited: 0, charged: 0 };
  /**
   * This object's pending async puts and gets, each served in call order (`line.ts`); made by
   * the first that has to wait. A call that finds its line busy waits its turn before it tries.
   */
  #putLine: Line | undefined = undefined;
  #getLine: Line | undefined = undefined;

  /** @internal */
  constructor(
    kind: string,
    discipline: number,
    maxsize: number,
    given: QueueOptions<T> | undefined,
  ) {
    if (given !== undefined && (typeof given !== "object" || given === null)) {
      throw new TypeError(`Cannot create ${kind}: options must be an object`);
    }
    // `X.from` passes an `opening` token: the queue it opened, and the caller's own `{ codec }`.
    const opened = openedHandle(given);
    const options = ownOptions(given);
    if (options !== undefined && (typeof options !== "object" || options === null)) {
      throw new TypeError(`Cannot open ${kind}: options must be an object`);
    }
    const codec = options?.codec ?? (structuredCodec as Codec<T>);
    if (typeof codec?.encode !== "function" || typeof codec?.decode !== "function") {
      throw new TypeError(`Cannot create ${kind}: codec must have encode() and decode() methods`);
    }
    this.#codec = codec;
    this.#f64 = codec === (float64Codec as Codec<unknown>);
    this.#kind = kind;
    this.#putWhat = `put to ${kind}`;
    this.#getWhat = `get from ${kind}`;
    let g: Geometry;
    if (opened === undefined) {
      const own = options?.buffer === undefined && (options?.byteOffset ?? 0) === 0;
      g = geometry(
        kind,
        discipline,
        maxsize,
        options?.capacityBytes,
        options?.maxCapacityBytes,
        own,
      );
      // A queue that may grow gets a growable buffer of its own (`place` checks the rest).
      const growable = own && g.maxByteLength > g.byteLength &&
        typeof SharedArrayBuffer === "function";
      const placement = growable
        ? { buffer: new SharedArrayBuffer(g.byteLength, { maxByteLength: g.maxByteLength }) }
        : options;
      this.handle = place(kind, g.byteLength, placement, 8);
    } else {
      g = geometryOf(opened, kind, discipline);
      this.handle = opened;
    }
    const i32 = slots(this.handle, HEADER_SLOTS);
    this.#i32 = i32;
    this.#geometry = g;
    this.#discipline = discipline;
    this.#repair = (i32) => this.#repairQueue(i32);
    this.#holdItems = g.maxsize > 0 || discipline === PRIORITY;
    const areas = areasOf(this.handle, g);
    this.#storage = storageFor(discipline, i32, areas);
    if (opened === undefined) writeHeader(i32, discipline, g, laneFits(discipline, g));
    else if (Atomics.load(i32, DISCIPLINE) !== discipline) {
      throw new TypeError(`Cannot open ${kind}: the memory holds a different kind of queue`);
    }
    if (Atomics.load(i32, MODE) === LANE_ON) {
      // The lane's views, at the capacity of the moment (it grows while no consumer is claimed).
      const g0 = g;
      this.#lane = new Lane(
        i32,
        (capacity) => areasOf(this.handle, grownGeometry(g0, discipline, capacity)),
      );
    }
  }

  // -------------------------------------------------------------------------------------------
  // Observers (snapshots, as in Python)

  /** The item limit (0: bounded by bytes only). */
  get maxsize(): number {
    return Atomics.load(this.#i32, MAXSIZE);
  }

  /** Bytes available for stored items now (it grows up to `maxCapacityBytes`). */
  get capacityBytes(): number {
    return Atomics.load(this.#i32, CAPACITY);
  }

  /** Bytes the stored items may grow to (`capacityBytes` when the queue cannot grow). */
  get maxCapacityBytes(): number {
    return this.#geometry.maxCapacity;
  }

  /**
   * Items put and not yet marked with `taskDone()` (a snapshot; Python's `unfinished_tasks`).
   * `join()` returns when it is 0.
   */
  get unfinishedTasks(): number {
    return this.#unfinished();
  }

  /**
   * UNFINISHED, or in lane mode its lane form: puts made less `taskDone` calls. A snapshot: a
   * revoke between the MODE load and the counts' leaves the lane's counts as they were at the
   * revoke, a value the queue had between the two loads.
   */
  #unfinished(): number {
    const i32 = this.#i32;
    if (this.#lane !== undefined && Atomics.load(i32, MODE) === LANE_ON) {
      return (lanePuts(i32) - Atomics.load(i32, DONE)) | 0; // mod 2^32: the counts wrap
    }
    return Atomics.load(i32, UNFINISHED);
  }

  /** Items in the queue now (a snapshot). */
  qsize(): number {
    const i32 = this.#i32;
    if (this.#lane !== undefined && Atomics.load(i32, MODE) === LANE_ON) {
      // PUTS - GETS: GETS moves just after a get's CAS, so it may count one item too many.
      const n = laneSize(i32);
      const maxsize = this.#geometry.maxsize;
      return maxsize > 0 && n > maxsize ? maxsize : n;
    }
    return Atomics.load(i32, COUNT);
  }

  /** Whether the queue is empty now (a snapshot). */
  empty(): boolean {
    return this.qsize() === 0;
  }

  /**
   * Whether a put would find the queue full now (a snapshot): it holds `maxsize` items, or its
   * bytes are at `maxCapacityBytes` with no room left for a small item (one that encodes to at
   * most 12 bytes). So whenever `full()` is false a small item fits; a larger item may still not
   * fit, and then `putNowait` throws a `QueueFullError` that names the byte bound and its numbers.
   * Like a put, it grows a queue that has no room for a small item and may grow.
   */
  full(): boolean {
    const i32 = this.#i32;
    const lane = this.#lane;
    if (lane !== undefined && Atomics.load(i32, MODE) === LANE_ON) {
      // A queue that may grow is not full by its bytes (a put revokes, then grows). At maxsize
      // by PUTS - GETS: for the instant between a get's CAS of READ and its count in GETS it
      // says full one item early (never the other way: a put then fits whenever this says not
      // full).
      const g = this.#geometry;
      return (g.maxsize > 0 && laneSize(i32) >= g.maxsize) ||
        (g.capacity >= g.maxCapacity && !lane.fits(SMALL_RECORD));
    }
    const maxsize = Atomics.load(i32, MAXSIZE);
    const count = Atomics.load(i32, COUNT);
    if (maxsize > 0 && count >= maxsize) return true;
    // Nothing stored and nothing held (the bound is 0): capacity >= 16, so a small item fits.
    if (count === 0 && Atomics.load(i32, HELD_BYTES) === 0) return false;
    // Held items and the byte bound: ask the storage, as a put would (growing if it can), under
    // LOCK.
    const me2 = currentIdent() << 1;
    this.#lockBriefly(me2);
    const full = this.#room(SMALL_RECORD, me2) < 0;
    unlock(i32, LOCK, me2);
    return full;
  }

  // -------------------------------------------------------------------------------------------
  // The undo journal (LOCK held; `journal.ts`, and `header.ts`, "Owner death")

  /**
   * Takes LOCK for a short critical section (`lockBriefly`), undoing a dead owner's operation.
   * Every take of LOCK here is this, a fast CAS from 0 (a released word: the journal is closed),
   * or a `SeqWait`'s, which runs the same `undo` (its `repair`).
   */
  #lockBriefly(me2: number): void {
    lockBriefly(this.#i32, LOCK, me2);
    this.#repair(this.#i32);
  }

  /**
   * Repairs what a dead owner left (LOCK just taken, maybe over from it), through views made for
   * the CAPACITY in memory: nothing when the journal is closed; a growth or a FIFO ring's shift
   * under way is finished (`growth.ts`, `Ring`'s `beforePutBack`); else the journal's `undo`,
   * with the heap for a PriorityQueue, whose sift a dead owner may have left half done
   * (header.ts, "Owner death"). It runs no user code; only an allocation failing can throw
   * inside it (a view, the geometry of a growth), and that leaves LOCK held with the journal
   * open, so the queue's operations wait: LOCK cannot be released with the journal open, as a
   * fast CAS from 0 does not look at the journal.
   */
  #repairQueue(i32: Int32Array): void {
    // A revoke a dead LOCK holder left half done (READ revoked, MODE still LANE_ON): finish it.
    const lane = this.#lane;
    if (lane !== undefined && Atomics.load(i32, MODE) === LANE_ON && lane.revoking()) {
      lane.revoke();
    }
    const journal = i32[JOURNAL]!;
    if (journal === 0) return;
    if (i32[CAPACITY] !== this.#geometry.capacity) this.#remap();
    if (journal === GROWING) return this.#finishGrowth(0);
    if (journal === SHIFTING) return this.#storage.finishShift(); // a FIFO put-back's room
    // The storage of a PRIORITY queue is a `Heap`, which implements `Sifts`.
    undo(i32, this.#discipline === PRIORITY ? this.#storage as unknown as Sifts : undefined);
  }

  // -------------------------------------------------------------------------------------------
  // Storage (LOCK held)

  /**
   * Where a record of `size` bytes goes now, or -1 when there is no room (LOCK held by `me2`).
   * Re-makes the views when another thread grew the queue, and grows it when it can and must.
   * A throw on the way (an allocation failing in a heap's compaction, or in growth) repairs and
   * releases LOCK (`#abandon`: a compaction left half done is finished) before it reaches the
   * caller: before, the lock stayed held by a live thread and every later operation waited.
   */
  #room(size: number, me2: number): number {
    try {
      return this.#findRoom(size);
    } catch (error) {
      this.#abandon(me2);
      throw error;
    }
  }

  #findRoom(size: number): number {
    const i32 = this.#i32;
    // Plain reads: COUNT, MAXSIZE and CAPACITY change only with LOCK held (see `#tryGet`).
    const count = i32[COUNT]!;
    const maxsize = i32[MAXSIZE]!;
    if (i32[CAPACITY] !== this.#geometry.capacity) this.#remap();
    // Room held by gets still decoding counts as used: their put-back must fit. The bounds may
    // count room given up since: when they leave none, fold the releases in and look again.
    let heldItems = i32[HELD]!;
    let held = i32[HELD_BYTES]!;
    if (
      (maxsize > 0 && count + heldItems >= maxsize) ||
      this.#storage.room(size, count, held, heldItems) < 0
    ) {
      this.#fold();
      heldItems = i32[HELD]!;
      held = i32[HELD_BYTES]!;
    }
    if (maxsize > 0 && count + heldItems >= maxsize) return -1;
    const at = this.#storage.room(size, count, held, heldItems);
    return at >= 0 || this.#geometry.capacity >= this.#geometry.maxCapacity
      ? at
      : this.#grow(size, count, held, heldItems);
  }

  /**
   * Fold (LOCK held): the bounds HELD and HELD_BYTES lose what gets released since the last fold.
   * RELEASED and RELEASED_BYTES only grow (gets add to them without LOCK); FOLDED and
   * FOLDED_BYTES are what the bounds took of them already. Under a journal of its own (FOLDING),
   * undone by a taker: the releases stay in RELEASED for the next fold. Was an exchange of
   * RELEASED with 0, then the write of HELD: a death between the two lost the releases, and a
   * queue with a maxsize could stay full for good
   * (tests/regressions/queue_owner_killed_inside_the_fold_test.ts).
   */
  #fold(): void {
    const i32 = this.#i32;
    openFold(i32);
    foldStep(0);
    const items = Atomics.load(i32, RELEASED);
    i32[HELD] = (i32[HELD]! - ((items - i32[FOLDED]!) | 0)) | 0; // RELEASED wraps past 2^31
    foldStep(1);
    i32[FOLDED] = items;
    foldStep(2);
    const bytes = Atomics.load(i32, RELEASED_BYTES);
    i32[HELD_BYTES] = (i32[HELD_BYTES]! - ((bytes - i32[FOLDED_BYTES]!) | 0)) | 0;
    foldStep(3);
    i32[FOLDED_BYTES] = bytes;
    foldStep(4);
    close(i32);
  }

  /**
   * Whether a record of the least size (an empty item's) fits now, folding the releases in when
   * the bounds say no (LOCK held, views current: after a `#room` of this hold). A queue that may
   * still grow has room for it; a PriorityQueue's item bound is checked, not its arena (its
   * `room` may compact): at worst a spare wake. Asked by a counted putter before it passes a wake
   * on ("Waking putters" in the module doc).
   */
  #roomLeft(): boolean {
    if (this.#fits()) return true;
    this.#fold();
    return this.#fits();
  }

  #fits(): boolean {
    const i32 = this.#i32;
    const count = i32[COUNT]!;
    const maxsize = i32[MAXSIZE]!;
    const heldItems = i32[HELD]!;
    if (maxsize > 0 && count + heldItems >= maxsize) return false;
    const { capacity, maxCapacity } = this.#geometry;
    if (capacity < maxCapacity || this.#discipline === PRIORITY) return true;
    return this.#storage.room(MIN_RECORD, count, i32[HELD_BYTES]!, heldItems) >= 0;
  }

  /** Re-makes this thread's views for the CAPACITY another thread grew the queue to (LOCK held). */
  #remap(): void {
    const g = grownGeometry(this.#geometry, this.#discipline, Atomics.load(this.#i32, CAPACITY));
    this.#geometry = g;
    this.#storage = storageFor(this.#discipline, this.#i32, areasOf(this.handle, g));
  }

  /**
   * Grows the data area to fit a record of `size` bytes, at least doubling it, up to
   * maxCapacity; returns where the record goes, or -1 (LOCK held, views current). Doubling keeps
   * the bytes moved by all growths below twice the final size.
   */
  #grow(size: number, count: number, held: number, heldItems: number): number {
    const i32 = this.#i32;
    const from = this.#geometry;
    const capacity = Math.min(
      from.maxCapacity,
      pad4(Math.max(from.capacity * 2, from.capacity + size + held)),
    );
    const to = grownGeometry(from, this.#discipline, capacity);
    if (!growBuffer(this.handle, to)) return -1;
    testStep(0);
    // A redo journal from here (`growth.ts`): a taker finishes what a death leaves.
    openGrowth(i32, this.handle.byteOffset, from, to, this.#storage.wrappedHead());
    testStep(1);
    this.#finishGrowth(2);
    return this.#storage.room(size, count, held, heldItems);
  }

  /**
   * Makes the growth whose journal is open (this thread's, or a dead one's: `#repairQueue`),
   * then re-makes this thread's views; other threads re-make theirs when they see the new
   * CAPACITY under LOCK. `firstStep`: the test hook's first step number.
   */
  #finishGrowth(firstStep: number): void {
    const { buffer, byteOffset } = this.handle;
    const bytes = new Uint8Array(buffer);
    finishGrowth(this.#i32, bytes, byteOffset, this.#geometry, this.#discipline, firstStep);
    this.#remap();
  }

  /** Why a put of `length` item bytes finds no room (LOCK held, just after `#room` said so). */
  #noRoom(length: number): string {
    const i32 = this.#i32;
    const count = Atomics.load(i32, COUNT);
    const maxsize = Atomics.load(i32, MAXSIZE);
    const held = this.#holdItems ? Atomics.load(i32, HELD) : 0;
    if (maxsize > 0 && count + held >= maxsize) {
      const reading = held > 0 ? `, ${held} more being decoded by gets` : "";
      return `it is full (${count} items${reading}, maxsize ${maxsize})`;
    }
    const { capacity, maxCapacity } = this.#geometry;
    const limit = capacity < maxCapacity
      ? `it could not grow to its maxCapacityBytes ${maxCapacity}`
      : `capacityBytes ${capacity} is its limit`;
    return `it is full: ${count} items fill its bytes, with no room for ${length} more (${limit})`;
  }

  /** Stores `bytes` at `at` (from `#room`) and counts it (LOCK held). */
  #store(bytes: Uint8Array, at: number, priority: number): void {
    this.#storage.store(bytes, at, priority);
    this.#count();
  }

  /**
   * Counts a stored item in COUNT and UNFINISHED (LOCK held), with plain writes. Both change only
   * with LOCK held (every write of them is inside a LOCK hold: put, get, put-back, taskDone,
   * shutdown), so no two writes race and the next holder reads them after the unlock CAS that
   * orders them. Readers without LOCK (`qsize`, `empty`, `full`, `unfinishedTasks`, the join
   * fast path) Atomics.load a snapshot, as before: an int32 aligned write is never torn, and a
   * thread that learns of this put through any seq-cst step after it (a get of the item, the
   * lock word, a message) reads this count or a later one. The join fast path returns on 0
   * only, which a put never writes: 0 still comes from taskDone's or shutdown's Atomics.store.
   * Was `Atomics.add`/`sub` (3 RMWs per put + get). Measured (2026-12-01 23:50 UTC, load 3-4),
   * after ÷ before, same probe and form as `#tryPutFloat64`'s (21 rounds, each runtime twice):
   * numbers by putSync/getSync node 0.79 / 0.78, deno 0.76 / 0.74, bun 0.86 / 0.83; by
   * putNowait/getNowait node 0.72 / 0.72, deno 0.73 / 0.79, bun 0.85 / 0.85; objects node 0.92 /
   * 0.96, deno 0.95 / 0.92, bun 1.08 / 1.12, then (31 rounds) 1.10 / 0.96 and 0.89 / 1.20: Bun's
   * objects rows spread that wide with no change either, so no loss seen.
   */
  #count(): void {
    const i32 = this.#i32;
    i32[COUNT] = i32[COUNT]! + 1;
    i32[UNFINISHED] = i32[UNFINISHED]! + 1;
  }

  // -------------------------------------------------------------------------------------------
  // Waking (seq bumped with LOCK held, wake after releasing it)

  /** Bumps `seq` if anyone counted in `waiters` waits; returns whether to wake after unlock. */
  #signal(seq: number, waiters: number): boolean {
    if (Atomics.load(this.#i32, waiters) === 0) return false;
    Atomics.add(this.#i32, seq, 1);
    return true;
  }

  /**
   * `#signal(NOT_EMPTY, GETTERS)` when no getter wake is in flight (LOCK held; see "Waking
   * getters" in the module doc): the wake a put, a put-back or a getter's pass-on makes.
   */
  #signalGetters(): boolean {
    const i32 = this.#i32;
    if (Atomics.load(i32, GETTERS) === 0 || i32[WOKEN] !== 0) return false;
    i32[WOKEN] = 1; // LOCK held: plain; cleared by the next counted getter to hold LOCK
    Atomics.add(i32, NOT_EMPTY, 1);
    return true;
  }

  /**
   * `#signal(NOT_FULL, PUTTERS)` when no putter wake is in flight (LOCK held; see "Waking
   * putters" in the module doc): the wake a get, a release, a discarding put-back, a timed-out
   * putter or a successful putter's pass-on makes.
   */
  #signalPutters(): boolean {
    const i32 = this.#i32;
    if (Atomics.load(i32, PUTTERS) === 0 || i32[PUT_WOKEN] !== 0) return false;
    // Atomics: `#release` reads it without LOCK (seq-cst against its add to RELEASED). Cleared
    // by the next counted putter to hold LOCK.
    Atomics.store(i32, PUT_WOKEN, 1);
    Atomics.add(i32, NOT_FULL, 1);
    return true;
  }

  /**
   * A counted putter holds LOCK (after counting itself or after a sleep): takes the putter wake
   * in flight, if any (clears PUT_WOKEN; see "Waking putters"), and returns whether there was
   * one.
   */
  #takePutterWake(): boolean {
    const i32 = this.#i32;
    if (i32[PUT_WOKEN] === 0) return false; // LOCK held: every write of it is under LOCK
    // Atomics: seq-cst before this putter's next fold reads RELEASED (`#release`'s pair).
    Atomics.store(i32, PUT_WOKEN, 0);
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
    const max = this.#geometry.maxCapacity;
    if (recordSize(bytes.length) > max) {
      throw new RangeError(
        `Cannot ${what}: the item takes ${bytes.length} bytes and the queue holds at most ${
          max - 4
        } (maxCapacityBytes ${max})`,
      );
    }
    return bytes;
  }

  /**
   * With LOCK held: stores and releases LOCK (true), or finds no room and keeps LOCK (false), or
   * releases LOCK and throws `QueueShutDownError`.
   */
  #tryPut(bytes: Uint8Array, priority: number, me2: number, counted = false): boolean {
    const at = this.#roomToPut(recordSize(bytes.length), me2);
    if (at < 0) return false;
    openPut(this.#i32);
    try {
      this.#store(bytes, at, priority);
    } catch (error) {
      this.#abandon(me2);
      throw error;
    }
    close(this.#i32);
    // A counted putter (`#putSlow`) that leaves room behind, with other putters counted, wakes
    // the next (the pass-on, "Waking putters"). Fast-path puts skip this: none is counted.
    const passOn = counted && Atomics.load(this.#i32, PUTTERS) > 1 && this.#roomLeft() &&
      this.#signalPutters();
    this.#unlockAndWake(me2, this.#signalGetters(), passOn, false);
    return true;
  }

  /**
   * A throw inside a journaled section (LOCK held, journal open: a codec's bytes whose `length`
   * getter threw, an allocation that failed while a get copied its record out): undoes the
   * operation, as a taker from a dead owner would, and releases LOCK, so the error reaches the
   * caller and the queue is as before it. Without this the lock
   * stayed held by a live thread, and every later put and get of the queue waited forever. Not
   * around the float64Codec paths, which run no user code and allocate nothing.
   */
  #abandon(me2: number): void {
    this.#repair(this.#i32); // a PriorityQueue's with its heap: the throw may come mid-sift
    unlock(this.#i32, LOCK, me2);
  }

  /**
   * Where a put's record of `size` bytes goes (LOCK held by `me2`): `#room`'s answer (-1: no
   * room), after refusing a shut-down queue (LOCK released first).
   */
  #roomToPut(size: number, me2: number): number {
    const i32 = this.#i32;
    if (i32[SHUTDOWN] !== OPEN) {
      unlock(i32, LOCK, me2);
      throw new QueueShutDownError(`Cannot put to ${this.#kind}: it is shut down`);
    }
    return this.#room(size, me2);
  }

  /**
   * `#tryPut` of `float64Codec`'s record of `value` (12 bytes), written in place by the storage
   * (`storeFloat64`): no encode call, no `instanceof` check, no byte loop. Measured (2026-12-01
   * 23:35 UTC, load 3-4), after ÷ before, median of 21 round-robin rounds of one-thread put + get
   * pairs, each runtime twice (before as A, then as B), `AB_KINDS=numbers-sync,numbers,objects
   * AB_A=<before>/mod.ts AB_B=<after>/mod.ts bench/probes/queue_ab_single.ts 21`: numbers by
   * putSync/getSync node 0.89 / 0.97, deno 0.92 / 0.92, bun 0.90 / 0.95; by putNowait/getNowait
   * node 0.89 / 0.94, deno 0.96 / 0.93, bun 0.87 / 0.92; objects 0.96-1.12 (bun again, 31
   * rounds, four runs: 0.93, 0.99, 1.13, 0.99: noise).
   */
  #tryPutFloat64(value: number, priority: number, me2: number): boolean {
    const at = this.#roomToPut(F64_RECORD, me2);
    if (at < 0) return false;
    openPut(this.#i32);
    this.#storage.storeFloat64(value, at, priority);
    this.#count();
    close(this.#i32);
    this.#unlockAndWake(me2, this.#signalGetters(), false, false);
    return true;
  }

  /**
   * The slow path of put (runs in `"throw"` abort mode). `bytes` must stay valid until it
   * returns: the encoder's scratch is, for a sync put (no other code runs on this thread
   * meanwhile); an async put passes its own copy.
   */
  *#putSlow(bytes: Uint8Array, priority: number, deadline: number): Parker<void> {
    const i32 = this.#i32;
    const me2 = currentIdent() << 1;
    const waiter = new SeqWait(i32, LOCK, NOT_FULL, NOT_FULL_ASYNC, me2, this.#repair);
    yield* waiter.lock();
    // Most slow puts only found LOCK busy: they store here, uncounted (a count would send every
    // get's release to LOCK for nothing).
    if (this.#tryPut(bytes, priority, me2)) return;
    // No room. Count this putter, then look again before sleeping: a get that gives held room
    // up after that look reads PUTTERS after it, sees this putter and bumps NOT_FULL (`#release`).
    Atomics.add(i32, PUTTERS, 1);
    try {
      // Sleep until room appears; each try throws (LOCK released) when shut down.
      for (;;) {
        // Counted, LOCK held (first, or after a sleep, whatever woke it): the putter wake in
        // flight, if any, has arrived; this try sees the room it was for (and passes what it
        // leaves on, `#tryPut`).
        const woke = this.#takePutterWake();
        if (this.#tryPut(bytes, priority, me2, true)) return;
        // No room for this record. If it took a wake and a smaller record would fit, another
        // putter's may: wake one more, without setting PUT_WOKEN (this putter sleeps next, and a
        // flag it set would have no taker if no other putter is asleep; the putter this reaches
        // takes no flag, so it does not pass on again when it misses too: no two putters wake
        // each other for as long as they wait). Where every record takes the same room (a
        // maxsize queue, float64Codec), this finds room only when a release came after the try,
        // and that release wakes a putter itself: a spare wake. So is one from a PriorityQueue
        // or a queue whose growth failed, for which `#fits` answers yes without looking at the
        // bytes. Woken with LOCK held (the sleep releases it): rare.
        if (
          woke && Atomics.load(i32, PUTTERS) > 1 && this.#roomLeft() &&
          this.#signal(NOT_FULL, PUTTERS)
        ) {
          wake(i32, NOT_FULL, 1, NOT_FULL_ASYNC);
        }
        if (waiter.expired(deadline)) break;
        yield* waiter.sleep(deadline);
      }
    } finally {
      Atomics.sub(i32, PUTTERS, 1);
    }
    // Timed out or aborted, LOCK held, nothing stored: leave; pass a wake for room on.
    const room = this.#room(recordSize(bytes.length), me2) >= 0 && this.#signalPutters();
    this.#unlockAndWake(me2, false, room, false);
    if (waiter.aborted !== undefined) throw waiter.aborted.reason;
    throw new QueueFullError(`Cannot put to ${this.#kind}: it stayed full for the timeout`);
  }

  /**
   * Shared by put/putSync/putNowait: validates, encodes, takes the fast path if it can. Returns
   * `undefined` when the item is in, else what the slow path needs: `lane` when the lane has no
   * room for it (the queue cannot grow), else the locked paths' miss.
   */
  #putFast(
    item: T,
    priority: number,
    what: string,
    wait: boolean,
    encoded: Uint8Array | undefined = undefined,
  ): PendingPut | undefined {
    const i32 = this.#i32;
    const me2 = currentIdent() << 1;
    const lane = this.#lane;
    if (lane !== undefined) {
      // The lane (`lane.ts`): encode first (no user code runs inside its put).
      const f64 = this.#f64 && typeof item === "number";
      const bytes = f64 ? undefined : encoded ?? this.#encode(item, what);
      let result = lane.put(bytes, item as number);
      if (result === PUT_DONE) return undefined;
      // No room for its bytes, before any consumer claimed the lane: it grows, and stays a lane.
      if (
        result === PUT_FULL && !lane.atMaxsize &&
        this.#laneGrow(lane, recordSize(bytes?.length ?? 8))
      ) {
        result = lane.put(bytes, item as number);
        if (result === PUT_DONE) return undefined;
      }
      // Full: at maxsize, or no room in a queue that cannot grow: wait in the lane, and so, for a
      // while, does a blocking put to one that may grow while a consumer thread is there to make
      // room, while it keeps up (see LANE_SLOW_PUT_MS).
      const g = this.#geometry;
      if (
        result !== OFF &&
        (lane.atMaxsize || g.capacity >= g.maxCapacity || (wait && lane.consumerElsewhere()))
      ) {
        return { bytes: bytes ?? this.#encode(item, what), me2, lane: true };
      }
      // Revoked; or no room in a queue that may grow, which the locked path does.
      this.#leaveLane(lane);
      if (bytes !== undefined) return this.#putLocked(bytes, priority, me2);
    }
    if (this.#f64 && typeof item === "number") {
      // float64Codec and a number (its encode cannot throw on one, and 12 bytes fit every queue:
      // capacity >= 16): the storage writes the record in place, no encode, no copy.
      if (Atomics.compareExchange(i32, LOCK, 0, me2) === 0) {
        if (this.#tryPutFloat64(item, priority, me2)) return undefined;
        unlock(i32, LOCK, me2);
      }
      return { bytes: this.#encode(item, what), me2, lane: false };
    }
    return this.#putLocked(encoded ?? this.#encode(item, what), priority, me2);
  }

  /** `#putFast`'s locked fast path for an encoded item. */
  #putLocked(bytes: Uint8Array, priority: number, me2: number): PendingPut | undefined {
    const i32 = this.#i32;
    // Fast path: the lock is free and there is room.
    if (Atomics.compareExchange(i32, LOCK, 0, me2) === 0) {
      if (this.#tryPut(bytes, priority, me2)) return undefined;
      unlock(i32, LOCK, me2);
    }
    // `bytes` may be the encoder's scratch, valid until the next encode on this thread: the sync
    // slow paths use it as is (nothing else runs here before they return); `put` copies it.
    // Measured (2026-12-01, loaded 2-core box, load ~28): queue.oneway objects, 2 workers,
    // copy → no copy 0.90 (median of 41 round-robin ratios 0.91, q1-q3 0.74-1.16: within noise),
    // `AB_A=<copy tree>/mod.ts node bench/probes/queue_ab.ts 41 10000 40000`.
    return { bytes, me2, lane: false };
  }

  /**
   * Grows the lane (its producer, no room for a record of `size` bytes) while no consumer has
   * claimed it: no get has moved READ, so the records lie unwrapped from 0 and a larger power of
   * two (up to MAX_LANE_CAPACITY and maxCapacityBytes) keeps them where they are; only the
   * buffer grows and CAPACITY moves (LOCK held, so no revoke runs meanwhile; a thread that dies
   * between the two leaves a longer buffer and the same lane). Returns whether it grew. Without
   * this a producer that started before its consumer thread (a worker boots in 30-100 ms here)
   * filled the default 64 KiB and revoked the lane for good before the first get.
   */
  #laneGrow(lane: Lane, size: number): boolean {
    const from = this.#geometry;
    if (from.capacity >= from.maxCapacity || !lane.holdConsumer()) return false;
    const i32 = this.#i32;
    const me2 = currentIdent() << 1;
    let grew = false;
    try {
      this.#lockBriefly(me2);
      try {
        if (Atomics.load(i32, MODE) === LANE_ON) {
          if (i32[CAPACITY] !== from.capacity) this.#remap(); // grown by another of its objects
          const g = this.#geometry;
          // The record goes after those already in, at WRITE (no consumer: nothing wrapped).
          const need = lane.heldBytes() + size;
          let capacity = g.capacity * 2;
          while (capacity < need) capacity *= 2;
          if (capacity <= Math.min(g.maxCapacity, MAX_LANE_CAPACITY)) {
            if (growBuffer(this.handle, grownGeometry(g, this.#discipline, capacity))) {
              Atomics.store(i32, CAPACITY, capacity);
              this.#remap();
              grew = true;
            }
          }
        }
      } finally {
        unlock(i32, LOCK, me2);
      }
    } finally {
      lane.grown();
    }
    return grew;
  }

  /**
   * Leaves the lane for the locked paths (`lane.ts`): revokes it under LOCK unless a revoke is
   * done (the repair of `#lockBriefly` finishes one a dead thread left half done).
   */
  #leaveLane(lane: Lane): void {
    const i32 = this.#i32;
    const me2 = currentIdent() << 1;
    this.#lockBriefly(me2);
    try {
      if (Atomics.load(i32, MODE) === LANE_ON) lane.revoke();
    } finally {
      unlock(i32, LOCK, me2);
    }
    this.#lane = undefined;
  }

  /**
   * The lane's slow put (runs in `"throw"` abort mode): no room. Watches READ uncounted for the
   * spin budget; then counts itself in PUT_WAITS, looks again, parks on READ with the value that
   * look read, and uncounts itself once woken (so the consumer looks at PUT_LOOKED, and notifies
   * at most once, only while it sleeps: `Lane.sleep`; counted through a whole wait, a producer
   * that ran ahead of its consumer made every get notify: two workers streaming through a
   * default queue, 1.17-1.25× numbers and 1.31-1.34× objects the time of the locked path on Node
   * and Bun, `queue_ab.ts 11 10000 40000`, 2026-12-03). The locked slow path when the lane is
   * revoked; growth, through the locked path, when the queue may grow and its consumer does not
   * keep up (LANE_SLOW_PUT_MS; a lane at its maxsize waits for a get, up to `deadline`).
   */
  *#lanePutSlow(lane: Lane, bytes: Uint8Array, deadline: number, sync: boolean): Parker<void> {
    const i32 = this.#i32;
    const g = this.#geometry;
    const grows = g.capacity < g.maxCapacity;
    // The wait for room for the bytes of a queue that may grow ends at `until` (LANE_SLOW_PUT_MS;
    // -1: not counting, the lane is at maxsize or cannot grow), counted from `began`.
    let until = -1;
    let began = 0;
    let aborted: Aborted | undefined;
    let result;
    try {
      for (let counted = false;;) {
        try {
          result = lane.put(bytes, 0);
        } finally {
          if (counted) {
            Atomics.sub(i32, PUT_WAITS, 1);
            counted = false;
          }
        }
        if (result !== PUT_FULL) break;
        const atMaxsize = lane.atMaxsize;
        if (!grows || atMaxsize) until = -1;
        else if (until < 0) {
          if (began === 0) began = now();
          until = Math.min(deadline, began + laneWaitLeft(this.#laneWaits, i32[PUTS]!));
        }
        const end = until < 0 ? deadline : until;
        if (aborted !== undefined || (end !== Infinity && now() >= end)) break;
        if (watch(i32, READ, lane.look, end, sync)) continue;
        // Dekker with the consumer's CAS of READ and its load of PUT_WAITS: count, look, park.
        Atomics.add(i32, PUT_WAITS, 1);
        counted = true;
        try {
          result = lane.put(bytes, 0);
        } catch (error) {
          Atomics.sub(i32, PUT_WAITS, 1);
          throw error;
        }
        if (result !== PUT_FULL || lane.atMaxsize !== atMaxsize) {
          // In, revoked, or now full for the other reason, whose wait ends elsewhere: look again.
          Atomics.sub(i32, PUT_WAITS, 1);
          counted = false;
          if (result !== PUT_FULL) break;
          continue;
        }
        aborted = (yield* lane.sleep(READ, PUT_WAITS, end)) ?? aborted;
      }
    } finally {
      if (began !== 0) chargeLaneWait(this.#laneWaits, began, now());
    }
    if (result === PUT_DONE) return;
    if (aborted !== undefined) throw aborted.reason;
    if (result === OFF || until >= 0) {
      this.#leaveLane(lane);
      return yield* this.#putSlow(bytes, 0, deadline);
    }
    throw new QueueFullError(`Cannot put to ${this.#kind}: it stayed full for the timeout`);
  }

  /**
   * Puts `item` if there is room now.
   *
   * @throws {QueueFullError} It is full. @throws {QueueShutDownError} It is shut down.
   * @throws {TypeError} The item cannot be encoded. @throws {RangeError} It can never fit.
   */
  putNowait(item: T, options?: P): void {
    const priority = this.#storage.priorityOf(options);
    const what = this.#putWhat;
    const pending = this.#putFast(item, priority, what, false);
    if (pending === undefined) return;
    if (pending.lane) {
      const n = this.qsize();
      const capacity = this.#geometry.capacity;
      throw new QueueFullError(
        this.#lane!.atMaxsize
          ? `Cannot ${what}: it is full (${n} items, maxsize ${this.#geometry.maxsize})`
          : `Cannot ${what}: it is full: ${n} items fill its bytes, with no room for ${pending.bytes.length} more (capacityBytes ${capacity} is its limit)`,
      );
    }
    // The lock was busy or there was no room: one try under the lock, without waiting for room.
    const i32 = this.#i32;
    this.#lockBriefly(pending.me2);
    if (this.#tryPut(pending.bytes, priority, pending.me2)) return;
    const why = this.#noRoom(pending.bytes.length);
    unlock(i32, LOCK, pending.me2);
    throw new QueueFullError(`Cannot ${what}: ${why}`);
  }

  /**
   * Puts `item`, blocking while the queue is full.
   *
   * @throws {QueueFullError} `timeout` ran out. @throws {QueueShutDownError} shut down.
   * @throws {TypeError} The item cannot be encoded; blocking is not allowed on this thread.
   * @throws {RangeError} It can never fit.
   */
  putSync(item: T, options?: SyncWaitOptions & P): void {
    const priority = this.#storage.priorityOf(options);
    const what = this.#putWhat;
    const timeout = timeoutOf(options, what);
    rejectSignal(options, what, "queue.put()");
    assertCanBlock("queue.put()");
    const pending = this.#putFast(item, priority, what, true);
    if (pending === undefined) return;
    const deadline = deadlineAfter(timeout);
    runSync(
      pending.lane
        ? this.#lanePutSlow(this.#lane!, pending.bytes, deadline, true)
        : this.#putSlow(pending.bytes, priority, deadline),
    );
  }

  /**
   * Puts `item`, waiting without blocking while the queue is full. An aborted or timed-out put
   * stores nothing. A thread's pending puts through this object land in the order they were
   * called (a later one waits behind them, with the item as it was at the call, and its timeout
   * runs there too); `putSync` and `putNowait` go ahead of them.
   *
   * @throws {QueueFullError} (rejects) `timeout` ran out. @throws {QueueShutDownError} (rejects)
   */
  put(item: T, options?: WaitOptions & P): Promise<void> {
    try {
      const priority = this.#storage.priorityOf(options);
      const what = this.#putWhat;
      const timeout = timeoutOf(options, what);
      const signal = signalOf(options, what);
      if (signal?.aborted === true) return Promise.reject(signal.reason);
      const number = this.#f64 && typeof item === "number";
      const line = this.#putLine;
      if (line !== undefined && line.busy) {
        // Puts of this thread wait: this one goes behind them, with the item as it is now (a
        // number of float64Codec as it is: it cannot change).
        const held = number ? undefined : this.#encode(item, what).slice();
        return this.#putBehind(line, item, held, priority, timeout, signal);
      }
      const pending = this.#putFast(item, priority, what, true);
      if (pending === undefined) return Promise.resolve();
      // Other code on this thread may encode before this put stores: keep our own copy.
      const bytes = pending.bytes.slice();
      const held = this.#putLine ??= new Line();
      if (held.busy) {
        // The item's encode (user code) made a put of this object that waits: go behind it.
        return this.#putBehind(held, item, number ? undefined : bytes, priority, timeout, signal);
      }
      const deadline = deadlineAfter(timeout);
      held.hold();
      return runAsync(
        this.#putHeld(held, pending.lane, bytes, priority, deadline),
        signal,
        "throw",
      );
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * `put`'s wait (the lane's, `lane`, or the locked one's), holding this object's put line
   * (`line.ts`) until it ends. (A get passes its line into its slow paths instead, whose
   * `finally` ends it: that is the async hand-off's path, `queue.pingpong-async`, and a
   * generator more per wait is its cost; a put waits only on a full queue. With the line so,
   * that ping-pong took 1.01 / 1.00 / 1.02× its time before on Node / Bun / Deno: `AB_A=<before>
   * bench/probes/queue_pingpong_ab.ts 41 3000`, each order, geometric mean, 2026-12-03.) Its
   * promise settles right after the `finally`, before the next call's turn (a microtask) can
   * settle that one.
   */
  *#putHeld(
    line: Line,
    lane: boolean,
    bytes: Uint8Array,
    priority: number,
    deadline: number,
  ): Parker<void> {
    try {
      return yield* this.#putWait(lane, bytes, priority, deadline);
    } finally {
      line.done();
    }
  }

  /** The async put's wait for `bytes`: the lane's (`lane`) or the locked one's. */
  #putWait(lane: boolean, bytes: Uint8Array, priority: number, deadline: number): Parker<void> {
    return lane
      ? this.#lanePutSlow(this.#lane!, bytes, deadline, false)
      : this.#putSlow(bytes, priority, deadline);
  }

  /**
   * `put` behind this thread's earlier puts, which wait (`line.ts`): waits its turn in the line,
   * then puts `held` (the item encoded at the call; `undefined`: a float64Codec number, `item`)
   * as `put` does, holding the line until its promise has settled (its reactions then run before
   * the next put's). Its timeout counts from the call: one that runs out in the line rejects
   * there, unless the queue may still grow (no maxsize, CAPACITY below maxCapacityBytes), where
   * the puts ahead go in once they have grown it: it keeps its place, and looks again every
   * LANE_STALL_MS. It never tries out of turn: a try that found room (or grew the queue) went in
   * ahead of the puts before it (found by review: `A0 … A7 X A8 …`, 5 of 5 runs).
   */
  #putBehind(
    line: Line,
    item: T,
    held: Uint8Array | undefined,
    priority: number,
    timeout: number,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const deadline = deadlineAfter(timeout);
    return new Promise<void>((resolve, reject) => {
      const settled = (error: unknown, failed: boolean) => {
        if (failed) reject(error);
        else resolve();
        line.done();
      };
      const go = () => {
        let waited: Promise<void>;
        try {
          const pending = this.#putFast(item, priority, this.#putWhat, true, held);
          if (pending === undefined) return settled(undefined, false);
          const bytes = pending.bytes === held ? held : pending.bytes.slice();
          waited = runAsync(
            this.#putWait(pending.lane, bytes, priority, deadline),
            signal,
            "throw",
          );
        } catch (error) {
          return settled(error, true);
        }
        waited.then(() => settled(undefined, false), (error) => settled(error, true));
      };
      const late = () => {
        // CAPACITY itself, not this object's view of it: another thread may have grown it.
        const g = this.#geometry;
        if (g.maxsize === 0 && Atomics.load(this.#i32, CAPACITY) < g.maxCapacity) {
          return now() + LANE_STALL_MS;
        }
        reject(
          new QueueFullError(
            `Cannot put to ${this.#kind}: its turn did not come within the timeout (this thread's earlier puts go first, and the queue is full)`,
          ),
        );
        return undefined;
      };
      line.wait({ go, late, abort: reject }, deadline, signal);
    });
  }

  // -------------------------------------------------------------------------------------------
  // get

  /**
   * With LOCK held: takes the next item, releases LOCK and decodes it (returns it), or finds none
   * and keeps LOCK (`NONE`), or releases LOCK and throws: `QueueShutDownError` when shut down
   * and empty, or the codec's error, with the item put back in front. `passOn`: `#getSlow`
   * signalled the next getter (more items than this one, "Waking getters"): wake it right after
   * LOCK is released, before the decode (COUNT > 1 then, so this get takes one: `passOn` never
   * meets the empty or shut-down branch).
   */
  #tryGet(me2: number, passOn: boolean): T | typeof NONE {
    const i32 = this.#i32;
    // LOCK held: SHUTDOWN, COUNT and CAPACITY are read plain here and in `#tryPut`/`#room`. They
    // change only with LOCK held, so the lock word's CAS orders every change before this read;
    // only the waiter counts (GETTERS, PUTTERS: decremented without LOCK) stay Atomics loads.
    // An Atomics.load costs ~21 ns on all three runtimes here (a plain read ~3), and a put + get
    // pair did 7 of these. Measured vs the Atomics loads (2026-12-01, load 16-35, so noisy), two
    // runs of `AB_A=<before>/mod.ts node bench/probes/queue_ab_single.ts 21`, median of 21
    // round-robin ratios, 1 thread put+get of numbers: 0.80 and 0.83 node, 0.65 and 0.76 deno,
    // 0.71 and 0.76 bun (objects 0.95-1.13: codec-bound, noise). Two workers (`queue_ab.ts 21
    // 10000 40000`): numbers 1.06 / 0.99 / 1.15, q1-q3 within 0.63-2.25: no change visible
    // under that load. Found by `bench/probes/queue_f64_gap.ts` (its `locked+loads` row).
    const shutdown = i32[SHUTDOWN]!;
    if (i32[COUNT] === 0 || shutdown === SHUT_IMMEDIATE) {
      if (shutdown === OPEN) return NONE;
      unlock(i32, LOCK, me2);
      throw new QueueShutDownError(`Cannot get from ${this.#kind}: it is shut down and empty`);
    }
    // Take the record out and hold its room (stored → held, in one LOCK hold), then decode
    // without LOCK: a codec no longer delays puts and gets of other threads. Decoding under LOCK
    // (the first fix of the codec-throws bug) made queue.oneway 1.2× slower on Node. Measured
    // vs that (2026-12-01, load ~28, so noisy): 2 workers oneway objects, median of 41 same-run
    // ratios 1.01 (q1-q3 0.41-1.64); 1 thread put+get 1.05 node, 1.06 deno, 1.10 bun (the
    // release's atomic add). `AB_A=<before>/mod.ts node bench/probes/queue_ab.ts 41 10000
    // 40000` and `queue_ab_single.ts 41`. Nothing to signal here: the room is still held.
    if (i32[CAPACITY] !== this.#geometry.capacity) this.#remapToGet(me2, passOn);
    const storage = this.#storage;
    openGet(i32);
    if (this.#f64) {
      // float64Codec: read the 8 bytes in place under LOCK, as its decode would (it cannot throw
      // on them): no copy, no held room, one LOCK hold. A record of another length (written by
      // another codec) takes the general path, whose decode throws. Measured vs decode under
      // LOCK (2026-12-01, same run): 1 thread put+get 0.65 node, 0.64 deno, 0.55 bun; 2 workers
      // oneway-f64 0.76-1.03 node (noise).
      const value = storage.takeFloat64();
      if (value !== undefined) {
        const count = i32[COUNT]! - 1; // LOCK held: plain, see `#count`
        i32[COUNT] = count;
        if (count === 0) storage.clear();
        storage.settle();
        close(this.#i32);
        this.#unlockAndWake(me2, passOn, this.#signalPutters(), false);
        return value as T;
      }
    }
    let bytes: Uint8Array;
    try {
      bytes = storage.take();
    } catch (error) {
      this.#abandonGet(me2, passOn);
      throw error;
    }
    const size = recordSize(bytes.length);
    const priority = storage.takenPriority;
    const order = storage.takenOrder;
    i32[HELD_BYTES] = i32[HELD_BYTES]! + size; // LOCK held: plain, as HEAD and TAIL
    if (this.#holdItems) i32[HELD] = i32[HELD]! + 1;
    const count = i32[COUNT]! - 1; // LOCK held: plain, see `#count`
    i32[COUNT] = count;
    if (count === 0) storage.clear();
    storage.settle(); // last: a heap's sift down makes the get final (header.ts, "Owner death")
    close(this.#i32);
    unlock(i32, LOCK, me2);
    if (passOn) wake(i32, NOT_EMPTY, 1, NOT_EMPTY_ASYNC);
    let item: T;
    try {
      item = this.#codec.decode(bytes);
    } catch (error) {
      // The item stays in the queue (Python's get leaves it when `_get` fails).
      try {
        this.#putBack(bytes, priority, order, me2);
      } finally {
        giveBack(bytes);
      }
      throw error;
    }
    giveBack(bytes);
    this.#release(size, me2);
    return item;
  }

  /**
   * `#remap` for a get (LOCK held, no journal open yet): a throw (a view that failed to allocate)
   * leaves as `#abandonGet` does, and reaches the caller with nothing taken. Before, it left LOCK
   * held by a live thread, and every later operation of the queue waited
   * (tests/regressions/queue_remap_throw_leaves_lock_held_test.ts).
   */
  #remapToGet(me2: number, passOn: boolean): void {
    try {
      this.#remap();
    } catch (error) {
      this.#abandonGet(me2, passOn);
      throw error;
    }
  }

  /**
   * A get that throws before it took anything (LOCK held): `#abandon` (undo what the journal
   * saved, release LOCK), then the pass-on wake `#getSlow` signalled for it ("Waking getters":
   * WOKEN is set, so no put will wake the next getter in its place).
   */
  #abandonGet(me2: number, passOn: boolean): void {
    this.#abandon(me2);
    if (passOn) wake(this.#i32, NOT_EMPTY, 1, NOT_EMPTY_ASYNC);
  }

  /**
   * A get decoded its item: gives up the `size` bytes of room it held, without LOCK, by counting
   * them in RELEASED_BYTES (and the item in RELEASED), which a put folds into the bounds when it
   * needs the room. Then, if a putter waits, takes LOCK to bump NOT_FULL for it: the putter
   * counted itself before its room check, this reads PUTTERS after the release (see the module).
   * All on the header's second cache line, which producers do not write on their fast path.
   */
  #release(size: number, me2: number): void {
    const i32 = this.#i32;
    Atomics.add(i32, RELEASED_BYTES, size);
    if (this.#holdItems) Atomics.add(i32, RELEASED, 1);
    // A putter wake in flight (PUT_WOKEN != 0, read after the adds above): its taker clears it
    // before its next fold reads RELEASED, so it sees this release ("Waking putters").
    if (Atomics.load(i32, PUTTERS) === 0 || Atomics.load(i32, PUT_WOKEN) !== 0) return;
    this.#lockBriefly(me2);
    this.#unlockAndWake(me2, false, this.#signalPutters(), false);
  }

  /**
   * The codec threw on a taken item: puts its record back in front (held → stored again, in one
   * LOCK hold, so puts never see the room free) and wakes a getter for it. Counts end as if the
   * get never took it. After `shutdown({ immediate: true })`, which discarded what was stored,
   * it is discarded too and counted done. So is it when the queue grew meanwhile and this
   * thread's new views fail to allocate (`#remap` throws): the record cannot be stored back
   * without them, so it is dropped, counted done, and the allocation's error reaches the caller,
   * LOCK released (before, LOCK stayed held and every later operation waited:
   * tests/regressions/queue_remap_throw_leaves_lock_held_test.ts).
   */
  #putBack(bytes: Uint8Array, priority: number, order: number, me2: number): void {
    const i32 = this.#i32;
    this.#lockBriefly(me2);
    let failed: { error: unknown } | undefined;
    if (Atomics.load(i32, CAPACITY) !== this.#geometry.capacity) {
      try {
        this.#remap();
      } catch (error) {
        failed = { error };
      }
    }
    const drop = failed !== undefined || Atomics.load(i32, SHUTDOWN) === SHUT_IMMEDIATE;
    if (!drop) {
      try {
        this.#storage.beforePutBack(recordSize(bytes.length), i32[COUNT]!);
      } catch (error) {
        this.#abandon(me2); // as `#room`: a compaction that threw is finished, LOCK released
        throw error;
      }
    }
    open(i32, drop ? DROP_SAVES : putBackSaves(this.#discipline));
    i32[HELD_BYTES] = i32[HELD_BYTES]! - recordSize(bytes.length);
    if (this.#holdItems) i32[HELD] = i32[HELD]! - 1;
    if (drop) {
      const unfinished = Atomics.sub(i32, UNFINISHED, 1) - 1;
      close(this.#i32);
      const done = unfinished === 0 && this.#signal(ALL_DONE, JOINERS);
      this.#unlockAndWake(me2, false, this.#signalPutters(), done);
      if (failed !== undefined) throw failed.error;
      return;
    }
    try {
      this.#storage.putBack(bytes, priority, order, Atomics.load(i32, COUNT));
    } catch (error) {
      this.#abandon(me2);
      throw error;
    }
    Atomics.add(i32, COUNT, 1);
    close(this.#i32);
    this.#unlockAndWake(me2, this.#signalGetters(), false, false);
  }

  /**
   * The lane's slow get (runs in `"throw"` abort mode): nothing to get. As `#lanePutSlow`:
   * watches WRITE uncounted, then counts itself in GET_WAITS, looks again, parks on WRITE with
   * the value that look read, and uncounts itself once woken. The locked slow path when the
   * lane is revoked.
   */
  *#laneGetSlow(
    lane: Lane,
    deadline: number,
    sync: boolean,
    line: Line | undefined = undefined,
  ): Parker<T> {
    try {
      const i32 = this.#i32;
      let aborted: Aborted | undefined;
      let item: T | typeof EMPTY | typeof OFF;
      for (let counted = false;;) {
        try {
          item = lane.get(this.#codec, this.#f64);
        } finally {
          if (counted) {
            Atomics.sub(i32, GET_WAITS, 1);
            counted = false;
          }
        }
        if (item !== EMPTY) break;
        if (aborted !== undefined || (deadline !== Infinity && now() >= deadline)) break;
        if (watch(i32, WRITE, lane.look, deadline, sync)) continue;
        // Dekker with the producer's store of WRITE and its load of GET_WAITS.
        Atomics.add(i32, GET_WAITS, 1);
        counted = true;
        try {
          item = lane.get(this.#codec, this.#f64);
        } catch (error) {
          Atomics.sub(i32, GET_WAITS, 1);
          throw error;
        }
        if (item !== EMPTY) {
          Atomics.sub(i32, GET_WAITS, 1);
          break;
        }
        aborted = (yield* lane.sleep(WRITE, GET_WAITS, deadline)) ?? aborted;
      }
      if (item !== EMPTY && item !== OFF) return item;
      if (aborted !== undefined) throw aborted.reason;
      if (item === OFF) {
        this.#leaveLane(lane);
        return yield* this.#getSlow(deadline);
      }
      throw new QueueEmptyError(`Cannot get from ${this.#kind}: it stayed empty for the timeout`);
    } finally {
      line?.done();
    }
  }

  /** The slow path of get (runs in `"throw"` abort mode). */
  *#getSlow(deadline: number, line: Line | undefined = undefined): Parker<T> {
    try {
      const i32 = this.#i32;
      const me2 = currentIdent() << 1;
      const waiter = new SeqWait(i32, LOCK, NOT_EMPTY, NOT_EMPTY_ASYNC, me2, this.#repair);
      yield* waiter.lock();
      let item = this.#tryGet(me2, false);
      if (item !== NONE) return item;
      Atomics.add(i32, GETTERS, 1);
      // Counted, LOCK held: a wake sent before is no longer in flight for us. Written only when
      // set: the slot shares the read-mostly line (header.ts).
      if (i32[WOKEN] !== 0) i32[WOKEN] = 0;
      try {
        // Sleep until an item arrives; each try throws (LOCK released) when shut down and drained.
        while (!waiter.expired(deadline)) {
          yield* waiter.sleep(deadline);
          // LOCK held again, whatever woke us: the wake in flight (if any) has arrived. Items past
          // the one this try takes, with other getters counted: wake the next (the pass-on).
          if (i32[WOKEN] !== 0) i32[WOKEN] = 0;
          const passOn = i32[COUNT]! > 1 && Atomics.load(i32, GETTERS) > 1 && this.#signalGetters();
          item = this.#tryGet(me2, passOn);
          if (item !== NONE) return item;
        }
      } finally {
        Atomics.sub(i32, GETTERS, 1);
      }
      // Timed out or aborted, LOCK held, nothing taken: leave; pass a wake for items on.
      const items = Atomics.load(i32, COUNT) > 0 && this.#signalGetters();
      this.#unlockAndWake(me2, items, false, false);
      if (waiter.aborted !== undefined) throw waiter.aborted.reason;
      throw new QueueEmptyError(`Cannot get from ${this.#kind}: it stayed empty for the timeout`);
    } finally {
      line?.done();
    }
  }

  /**
   * The fast path of every get: the item, or `NONE` when the slow path is needed: the lane's
   * (`#lane` still set after it: the lane is empty) or the locked one's.
   */
  #getFast(me2: number): T | typeof NONE {
    const i32 = this.#i32;
    const lane = this.#lane;
    if (lane !== undefined) {
      const item = lane.get(this.#codec, this.#f64);
      if (item === EMPTY) return NONE;
      if (item !== OFF) return item;
      this.#leaveLane(lane);
    }
    if (Atomics.compareExchange(i32, LOCK, 0, me2) !== 0) return NONE;
    const item = this.#tryGet(me2, false);
    if (item === NONE) unlock(i32, LOCK, me2);
    return item;
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
    if (this.#lane !== undefined) {
      throw new QueueEmptyError(`Cannot get from ${this.#kind}: it is empty`);
    }
    const i32 = this.#i32;
    this.#lockBriefly(me2);
    const taken = this.#tryGet(me2, false);
    if (taken !== NONE) return taken;
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
    const what = this.#getWhat;
    const timeout = timeoutOf(options, what);
    rejectSignal(options, what, "queue.get()");
    assertCanBlock("queue.get()");
    const me2 = currentIdent() << 1;
    const item = this.#getFast(me2);
    if (item !== NONE) return item;
    const lane = this.#lane;
    const deadline = deadlineAfter(timeout);
    return runSync(
      lane !== undefined ? this.#laneGetSlow(lane, deadline, true) : this.#getSlow(deadline),
    );
  }

  /**
   * Removes and returns an item, waiting without blocking while the queue is empty. An aborted
   * or timed-out get takes nothing. A thread's pending gets through this object are served in
   * the order they were called; `getSync` and `getNowait` go ahead of them.
   *
   * @throws {QueueEmptyError} (rejects) `timeout` ran out.
   * @throws {QueueShutDownError} (rejects) The queue is shut down and drained.
   */
  get(options?: WaitOptions): Promise<T> {
    try {
      const what = this.#getWhat;
      const timeout = timeoutOf(options, what);
      const signal = signalOf(options, what);
      if (signal?.aborted === true) return Promise.reject(signal.reason);
      const line = this.#getLine;
      if (line !== undefined && line.busy) return this.#getBehind(line, timeout, signal);
      const me2 = currentIdent() << 1;
      const item = this.#getFast(me2);
      if (item !== NONE) return Promise.resolve(item);
      const held = this.#getLine ??= new Line();
      // A decode (user code) that made a get of this object that waits: go behind it.
      if (held.busy) return this.#getBehind(held, timeout, signal);
      const deadline = deadlineAfter(timeout);
      held.hold();
      return runAsync(this.#getWait(deadline, held), signal, "throw");
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** The async get's wait: the lane's or the locked one's; `line`: it holds that line. */
  #getWait(deadline: number, line: Line | undefined): Parker<T> {
    const lane = this.#lane;
    return lane !== undefined
      ? this.#laneGetSlow(lane, deadline, false, line)
      : this.#getSlow(deadline, line);
  }

  /**
   * `get` behind this thread's earlier gets, which wait (`line.ts`): waits its turn in the line,
   * then gets as `get` does, holding the line until its promise has settled. A timeout that runs
   * out in the line rejects there: what comes goes to the earlier gets first.
   */
  #getBehind(line: Line, timeout: number, signal: AbortSignal | undefined): Promise<T> {
    const deadline = deadlineAfter(timeout);
    return new Promise<T>((resolve, reject) => {
      const go = () => {
        let waited: Promise<T>;
        try {
          const item = this.#getFast(currentIdent() << 1);
          if (item !== NONE) {
            resolve(item);
            return line.done(); // after: this get's reactions run before the next get's
          }
          waited = runAsync(this.#getWait(deadline, undefined), signal, "throw");
        } catch (error) {
          reject(error);
          return line.done();
        }
        waited.then((item) => {
          resolve(item);
          line.done();
        }, (error) => {
          reject(error);
          line.done();
        });
      };
      const late = () => {
        reject(
          new QueueEmptyError(
            `Cannot get from ${this.#kind}: its turn did not come within the timeout (this thread's earlier gets are served first)`,
          ),
        );
        return undefined;
      };
      line.wait({ go, late, abort: reject }, deadline, signal);
    });
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
    this.#lockBriefly(me2);
    if (this.#lane !== undefined && Atomics.load(i32, MODE) === LANE_ON) {
      // Lane mode (LOCK held: no revoke meanwhile): DONE counts up to the puts made.
      const done = Atomics.load(i32, DONE);
      const left = (lanePuts(i32) - done) | 0; // mod 2^32: the counts wrap past 2^31 puts
      if (left <= 0) {
        unlock(i32, LOCK, me2);
        throw new RangeError(
          `Cannot mark task done: taskDone() was called more times than items were put`,
        );
      }
      Atomics.store(i32, DONE, done + 1);
      this.#unlockAndWake(me2, false, false, left === 1 && this.#signal(ALL_DONE, JOINERS));
      return;
    }
    // One store: a death anywhere here leaves it made or not, nothing to journal.
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

  /** The slow path of join (runs in `"throw"` abort mode). */
  *#joinSlow(deadline: number): Parker<void> {
    const i32 = this.#i32;
    const me2 = currentIdent() << 1;
    const waiter = new SeqWait(i32, LOCK, ALL_DONE, -1, me2, this.#repair);
    yield* waiter.lock();
    Atomics.add(i32, JOINERS, 1);
    try {
      for (;;) {
        if (this.#unfinished() === 0) return;
        if (waiter.aborted !== undefined) throw waiter.aborted.reason;
        if (waiter.expired(deadline)) {
          const left = this.#unfinished();
          throw new TimeoutError(
            `Cannot join ${this.#kind}: ${left} tasks were still unfinished when the timeout ran out`,
          );
        }
        yield* waiter.sleep(deadline);
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
    if (this.#unfinished() === 0) return;
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
      if (this.#unfinished() === 0) return Promise.resolve();
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
    this.#lockBriefly(me2);
    // The lane ends first: its sleepers re-route to the locked paths, which see SHUTDOWN.
    const lane = this.#lane;
    if (lane !== undefined) {
      if (Atomics.load(i32, MODE) === LANE_ON) lane.revoke();
      this.#lane = undefined;
    }
    open(i32, SHUTDOWN_SAVES);
    if (Atomics.load(i32, SHUTDOWN) !== SHUT_IMMEDIATE) {
      Atomics.store(i32, SHUTDOWN, immediate ? SHUT_IMMEDIATE : SHUT);
    }
    let done = false;
    if (immediate) {
      const discarded = Atomics.exchange(i32, COUNT, 0);
      this.#storage.clear();
      const unfinished = Math.max(0, Atomics.load(i32, UNFINISHED) - discarded);
      Atomics.store(i32, UNFINISHED, unfinished);
      done = unfinished === 0;
    }
    close(this.#i32);
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
