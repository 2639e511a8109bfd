/**
 * The SPSC lane of a FIFO `Queue`: while one thread puts and one thread gets, items move through
 * the queue's own byte ring without its lock. The first time anything else happens (a third
 * thread puts or gets, `shutdown`, a put that needs the queue to grow, a record that fits
 * nowhere in an empty lane), the lane is *revoked*, for good, and the queue carries on with its
 * locked paths (`base.ts`), which find the items where the lane left them.
 *
 * Design, model and floor: `bench/README.md`, "Design: an SPSC lane"; `models/queue_lane.pml`
 * checks the protocol below (every item got once, producer FIFO across a revocation, PUTS exact,
 * no write of WRITE while BUSY is set, no lost wake-up, the revoke ends), with a dying producer.
 *
 * Where it runs: `laneFits` — a FIFO queue whose `capacityBytes` is a power of two from 16 to
 * 2^27 (positions are byte counts mod 2^28, so the offset is the position mod the capacity across
 * the 2^28 wrap, and full and empty stay distinct) and whose `maxsize` is at most
 * MAX_LANE_MAXSIZE (or 0). The default queue (64 KiB) fits. Any other queue starts revoked (MODE
 * = LANE_OFF).
 *
 * Memory (header slots, `header.ts` has the whole table):
 * | slot | name      | written by                       | meaning                                 |
 * | 26   | MODE      | the revoke, last                 | LANE_ON, then LANE_OFF for good         |
 * | 27   | PRODUCER  | the first put (CAS 0 → ident)    | the only thread whose puts use the lane |
 * | 28   | CONSUMER  | the first get (CAS 0 → ident)    | the only thread whose gets use the lane |
 * | 29   | PUT_WAITS | the producer's waiting puts      | > 0: a get may notify READ (PUT_LOOKED) |
 * | 30   | GET_WAITS | the consumer's waiting gets      | > 0: a put may notify WRITE (GET_LOOKED) |
 * | 43   | READ      | the consumer (CAS), the revoke   | position (bits 0-27), REVOKED (bit 30)  |
 * | 44   | GETS      | the consumer                     | gets made (`qsize` = PUTS - GETS)       |
 * | 45   | DONE      | `taskDone` (LOCK held)           | tasks done in lane mode                 |
 * | 46   | GET_LOOKED| the consumer, before it parks    | the WRITE position its look read        |
 * | 48   | WRITE     | the producer, the revoke         | position, BUSY (28), PARITY (29), REVOKED (30) |
 * | 49   | PUTS      | the producer (before publishing) | puts made                               |
 * | 50   | PUT_LOOKED| the producer, before it parks    | the READ position its look read         |
 * The records are the locked ring's (`storage.ts`: a length word, the bytes padded to 4, a WRAP
 * length or under 4 bytes left meaning "continue at 0"), so the revoke converts the positions
 * into HEAD, TAIL, LIVE and COUNT in place: no copy.
 *
 * put (producer): claim; CAS WRITE `w → w|BUSY|P` (P: the parity of PUTS before this put; fails
 * on REVOKED: the locked path); room from the cached READ, re-read when it says full (with a
 * `maxsize`, room also means READ is past the end of the put maxsize puts back, which the producer
 * keeps: the bound by READ alone, as the model checks it; PUTS - GETS would need GETS read before
 * READ and a park on GETS); write the record; plain PUTS + 1; store WRITE `w'` (clears BUSY,
 * publishes: seq-cst, after the record and PUTS); load GET_WAITS, and if set load GET_LOOKED:
 * notify WRITE if it is `w` (this is the first publish past the get's look). No user code runs
 * while BUSY is set (the item is encoded before the CAS). No room: store WRITE `w` first (gives
 * BUSY back, publishes nothing: a revoke waits for BUSY, so a put that blocked or revoked holding
 * it would wait on itself).
 *
 * get (consumer): the cached WRITE, re-read when it says empty; copy the record out (its length
 * clamped: read during a revocation it may be torn); load READ: changed means the copy may be
 * torn (revoked: the locked path may reuse those bytes) or taken (a get nested in the decode, on
 * this thread): drop it and look again; decode; CAS READ `r → r'` (publishes the room; then
 * load PUT_WAITS, and if set PUT_LOOKED: notify READ if it is `r`); a failed CAS means the same
 * two things. Decoding before the publish keeps Python's semantics without a put-back: a decode
 * that throws publishes nothing and the item stays next. So a codec may see one item twice, when
 * a revoke lands during its decode.
 *
 * Blocking: a side with nothing to do counts itself in its WAITS slot, looks again, stores the
 * position that look read in its LOOKED slot, and parks on the other side's position word with
 * the value that look read. Each side loads the other's count after its own publish, all
 * seq-cst: either the look sees the publish or the publisher sees the count (Dekker). Only the
 * first publish past the look notifies (its publisher finds LOOKED at the position it published
 * from): a park registered before that publish is woken by it, one registered after it fails
 * its compare, so later publishes need no notify. Notifying at every publish while the count was
 * set (the first version) woke nobody 0.35-0.66 times an item per side: a woken side stays
 * counted until it runs. A single "wake sent" flag that the waiter clears loses a wake-up (a
 * publish its look saw can set the flag after the clear): `models/queue_lane.pml` found it. A
 * look that finds REVOKED takes the locked path instead of parking (the revoke changes both words
 * before it notifies them, unconditionally: a park on a value without REVOKED is woken or fails
 * its compare). Parks poll every `OWNER_POLL_MS`: a side killed between its publish and its load
 * of the count leaves the other asleep until then.
 *
 * Revoke (`revoke`, LOCK held; every step can be resumed from what the words say, and MODE is
 * set last, so a later LOCK holder finishes a revoke whose thread died: `base.ts`'s repair):
 * READ gets REVOKED; WRITE gets REVOKED from a value without BUSY, waiting while BUSY is set by a
 * live producer (it writes one record, no user code); a dead producer's BUSY is taken over: its
 * put counted itself in PUTS if PUTS's parity is no longer P (PUTS - 1 first, so a resumed revoke
 * does not repeat it), and its half-written record lies past TAIL, in free space. Then the walk
 * from READ to WRITE gives COUNT and LIVE; HEAD, TAIL (both 0 when empty), UNFINISHED = PUTS -
 * DONE; notify both position words (the lane's sleepers re-route); MODE = LANE_OFF.
 *
 * Thread death: a producer killed with BUSY set: the revoke above. A consumer killed before its
 * CAS took nothing (the item stays); after it, the item went with it (as a locked get's decode).
 * A thread that is not threadkit's (a foreign worker, `ident.ts`) has no liveness: killed with
 * BUSY set, a revoke waits for it for ever, as a lock word it held would.
 *
 * @module
 */

import {
  Aborted,
  canBlock,
  now,
  type Parker,
  parkSync,
  pause,
  wakeAll,
} from "../internal/futex.ts";
import { currentIdent, LIFE_ENDED, lifeOf } from "../internal/ident.ts";
import { OWNER_POLL_MS } from "../internal/lock_word.ts";
import {
  CAPACITY,
  CONSUMER,
  COUNT,
  DONE,
  FIFO,
  type Geometry,
  GET_LOOKED,
  GET_WAITS,
  GETS,
  HEAD,
  LANE_OFF,
  LIVE,
  MAX_LANE_MAXSIZE,
  MAXSIZE,
  MODE,
  PRODUCER,
  PUT_LOOKED,
  PUT_WAITS,
  PUTS,
  READ,
  recordSize,
  TAIL,
  UNFINISHED,
  WRITE,
} from "./header.ts";
import {
  copyOut,
  giveBack,
  lengthAt,
  readFloat64Record,
  WRAP,
  writeFloat64Record,
  writeRecord,
} from "./storage.ts";

/** Bits 0-27 of READ and WRITE: the position, in bytes mod 2^28. */
const POSITION = (1 << 28) - 1;
/** WRITE: the producer is writing a record. */
export const BUSY = 1 << 28;
/** WRITE, with BUSY: the parity of PUTS before the put that set BUSY. */
const PARITY = 1 << 29;
/** READ and WRITE: the lane is revoked. */
export const REVOKED = 1 << 30;
/** The largest capacity a lane runs with (positions mod 2^28 must tell full from empty). */
export const MAX_LANE_CAPACITY = 2 ** 27;
/** Re-exported: the bound lives with the geometry it shapes (`header.ts`). */
export { MAX_LANE_MAXSIZE };
/**
 * The maxsize bound's byte total (`Lane.#advanced`) is rebased when it reaches this (1 PiB in):
 * past 2^55 a double no longer holds every multiple of 4, and the bound's differences would drift.
 */
const REBASE_AT = 2 ** 50;
/** CONSUMER while the producer grows the lane (`Lane.holdConsumer`): no ident is negative. */
const GROWING = -1;

/** `Lane.put`: the item is in. */
export const PUT_DONE = 0;
/** `Lane.put`: no room for it now (nothing written, BUSY given back). */
export const PUT_FULL = 1;
/** `Lane.put` and `Lane.get`: the lane is revoked, or must be: take the locked path. */
export const OFF: unique symbol = Symbol("lane off");
/** `Lane.get`: nothing to get now. */
export const EMPTY: unique symbol = Symbol("lane empty");

/** Whether new queues may start in lane mode (tests of the locked paths turn it off). */
let lanes = true;

/**
 * Test hook: whether queues created from now on in this thread start in lane mode (default
 * true). Tests of the locked paths' internals (the undo journal, growth, deaths inside a locked
 * section) create their queues with it off.
 */
export function setLanes(on: boolean): void {
  lanes = on;
}

/** Whether a new queue of `discipline` and geometry `g` starts in lane mode. */
export function laneFits(discipline: number, g: Geometry): boolean {
  const c = g.capacity;
  return lanes && discipline === FIFO && g.maxsize <= MAX_LANE_MAXSIZE && c >= 16 &&
    c <= MAX_LANE_CAPACITY && (c & (c - 1)) === 0;
}

/** What `Lane.get` decodes with: a codec. */
interface Decoder<T> {
  decode(bytes: Uint8Array): T;
}

/**
 * One queue object's side of the lane (objects are per thread; the words are shared). Made only
 * while MODE is LANE_ON; dropped by the queue once the lane is revoked.
 */
export class Lane {
  readonly #i32: Int32Array;
  /** Makes the views of the data area at a capacity (the lane may grow, `grown`). */
  readonly #views: (capacity: number) => { u8: Uint8Array; dv: DataView };
  #u8!: Uint8Array;
  #dv!: DataView;
  #words!: Int32Array;
  #capacity = 0;
  #mask = 0;
  /** This object's thread holds the PRODUCER / CONSUMER claim. */
  #producer = false;
  #consumer = false;
  /** The WRITE this object last published or saw (no flags): the producer's CAS expects it. */
  #write = 0;
  /** The READ the producer last saw (raw): room is counted from it until it says full. */
  #seenRead = 0;
  /** The READ this object last published or saw (no flags): the consumer's CAS expects it. */
  #read = 0;
  /** The WRITE the consumer last saw (raw): records up to it are there to get. */
  #seenWrite = 0;
  /**
   * PUTS and GETS after this object's last put and get (or when it was made). Another object of
   * this thread's queue that put or got meanwhile changed them: this object's positions are then
   * stale, and may be more than 2^28 bytes behind, where mod 2^28 they look current (a put then
   * counted room from a READ a lap old and wrote over an unread record; a get read a record of
   * an empty lane). Each side re-reads both words then (`put`, `get`).
   */
  #putsSeen = 0;
  #getsSeen = 0;
  /** The value of the word a look that found nothing read: the park's `expected`. */
  look = 0;
  /** After `PUT_FULL`: the lane holds `maxsize` items (else: no room for the record's bytes). */
  atMaxsize = false;
  /** The queue's `maxsize` (0: none). */
  readonly #maxsize: number;
  /**
   * The producer's, with a `maxsize`: where its put number n ended, at `n % maxsize`, in bytes
   * advanced since its first put (`#advanced` then). Put n may go once READ has passed the end
   * of put n - maxsize: then at most maxsize - 1 records lie between READ and WRITE (the bound by
   * READ of `models/queue_lane.pml`). Not positions mod 2^28: a put already got may lie more than
   * 2^28 bytes behind WRITE (maxsize records of up to a capacity each), and its end mod 2^28 then
   * looks close, as if not got: a false full.
   */
  #ends: Float64Array | undefined;
  /** With a maxsize: the bytes this object's puts advanced WRITE by (a double: no wrap). */
  #advanced = 0;
  /**
   * With a maxsize: the puts this object made (a double: PUTS is an int32 word, which wraps past
   * 2^31 puts). With a maxsize only one object of the producer's thread puts (see `put`), so it
   * is PUTS mod 2^32.
   */
  #puts = 0;

  constructor(i32: Int32Array, views: (capacity: number) => { u8: Uint8Array; dv: DataView }) {
    this.#i32 = i32;
    this.#views = views;
    this.#maxsize = Atomics.load(i32, MAXSIZE);
    this.#refresh();
    this.#write = Atomics.load(i32, WRITE) & POSITION;
    this.#read = Atomics.load(i32, READ) & POSITION;
    this.#seenRead = this.#read;
    this.#seenWrite = this.#write;
    this.#putsSeen = i32[PUTS]!;
    this.#getsSeen = i32[GETS]!;
  }

  /** Re-makes the views when CAPACITY is not theirs (the lane grew: `grown`). */
  #refresh(): void {
    const capacity = Atomics.load(this.#i32, CAPACITY);
    if (capacity === this.#capacity) return;
    const { u8, dv } = this.#views(capacity);
    this.#u8 = u8;
    this.#dv = dv;
    this.#words = new Int32Array(u8.buffer, u8.byteOffset, u8.length >> 2);
    this.#capacity = capacity;
    this.#mask = capacity - 1;
  }

  /**
   * Claims `slot` (PRODUCER or CONSUMER) for this thread, or finds it claimed by this thread:
   * true; claimed by another: false (the caller revokes). A consumer's claim waits while the
   * producer grows the lane (CONSUMER = GROWING, `holdConsumer`), a few steps, unless the
   * producer has ended: then it revokes. Claimed, it makes its views for the CAPACITY now: the
   * lane grows only while no consumer is claimed.
   */
  #claim(slot: number): boolean {
    const me = currentIdent();
    const i32 = this.#i32;
    for (;;) {
      const seen = Atomics.compareExchange(i32, slot, 0, me);
      if (seen === 0 || seen === me) break;
      if (seen !== GROWING || lifeOf(Atomics.load(i32, PRODUCER)) === LIFE_ENDED) return false;
      pause();
    }
    this.#refresh();
    return true;
  }

  /**
   * Before a growth of the lane (its producer, a put that found no room): holds CONSUMER at
   * GROWING if no consumer ever claimed it, and returns whether it did. With no consumer, no
   * get has moved READ from 0: the records lie unwrapped from 0 to WRITE, and a larger power of
   * two keeps every position's offset. `grown` ends it.
   */
  holdConsumer(): boolean {
    return Atomics.compareExchange(this.#i32, CONSUMER, 0, GROWING) === 0;
  }

  /**
   * While `holdConsumer` holds: the bytes the records take, from 0 (READ is 0, nothing wrapped),
   * so a record of `size` bytes needs a capacity of at least this + size.
   */
  heldBytes(): number {
    return Atomics.load(this.#i32, WRITE) & POSITION;
  }

  /** After `holdConsumer`: the lane's new views (if it grew), and CONSUMER free again. */
  grown(): void {
    this.#refresh();
    Atomics.store(this.#i32, CONSUMER, 0);
  }

  /**
   * Puts a record: `bytes` (encoded before: no user code runs below), or, when `bytes` is
   * `undefined`, float64Codec's record of `value`, written as words. `PUT_DONE`, `PUT_FULL`
   * (nothing written; `look` holds the READ seen, to park on) or `OFF`.
   */
  put(
    bytes: Uint8Array | undefined,
    value: number,
  ): typeof PUT_DONE | typeof PUT_FULL | typeof OFF {
    if (!this.#producer) {
      if (this.#maxsize > 0) {
        // The bound needs the end of every put since the first: another object of this
        // thread's queue that put first has them, this one does not (rare: revoke).
        if (Atomics.load(this.#i32, PRODUCER) === currentIdent()) return OFF;
        this.#ends = new Float64Array(this.#maxsize);
      }
      if (!this.#claim(PRODUCER)) return OFF;
      this.#producer = true;
    }
    const i32 = this.#i32;
    // Plain: only the producer's thread grows the lane (another of its queue objects may have).
    if (i32[CAPACITY] !== this.#capacity) this.#refresh();
    const length = bytes === undefined ? 8 : bytes.length;
    const size = recordSize(length);
    const puts = i32[PUTS]!; // only this thread writes it while the lane runs
    if (puts !== this.#putsSeen) {
      // Another object of this thread put since this one did: its positions may be a lap old.
      this.#write = Atomics.load(i32, WRITE) & POSITION; // no BUSY: only this thread sets it
      this.#seenRead = Atomics.load(i32, READ);
      this.#putsSeen = puts;
    }
    const mark = (puts & 1) === 0 ? BUSY : BUSY | PARITY;
    let w = this.#write;
    // BUSY: from here until the store below, a revoke waits (and no user code runs).
    for (;;) {
      const seen = Atomics.compareExchange(i32, WRITE, w, w | mark);
      if (seen === w) break;
      if ((seen & REVOKED) !== 0) return OFF;
      if ((seen & BUSY) !== 0) {
        // Only this thread sets BUSY, and it runs no user code meanwhile: a put nested in one.
        throw new Error("threadkit: internal: a queue put ran inside another put's record write");
      }
      w = seen; // another object of this thread's queue published since
    }
    const capacity = this.#capacity;
    const offset = w & this.#mask;
    // The record at `offset`, or, when it does not fit before the end, at 0 of the next lap.
    const wraps = offset + size > capacity;
    const advance = wraps ? capacity - offset + size : size;
    const ends = this.#ends; // with a maxsize only
    let r = this.#seenRead;
    if (
      ((w - r) & POSITION) + advance > capacity ||
      (ends !== undefined && this.#atMaxsize(ends, w, r))
    ) {
      r = Atomics.load(i32, READ);
      this.#seenRead = r;
      const used = (w - r) & POSITION;
      const atMaxsize = ends !== undefined && this.#atMaxsize(ends, w, r);
      if ((r & REVOKED) !== 0 || atMaxsize || used + advance > capacity) {
        Atomics.store(i32, WRITE, w); // BUSY back, nothing published
        this.look = r;
        this.atMaxsize = atMaxsize;
        // Revoked; or an empty lane whose record fits on neither side of the offset (the
        // locked ring would start again at 0, which the lane cannot): revoke.
        return (r & REVOKED) !== 0 || used === 0 ? OFF : PUT_FULL;
      }
    }
    const at = wraps ? 0 : offset;
    if (wraps && capacity - offset >= 4) this.#dv.setInt32(offset, WRAP, true);
    if (bytes === undefined) writeFloat64Record(this.#words, at, value);
    else writeRecord(this.#u8, this.#dv, at, bytes, length);
    i32[PUTS] = puts + 1; // plain: the store below orders it (the revoke reads it after)
    this.#putsSeen = (puts + 1) | 0;
    const next = (w + advance) & POSITION;
    if (ends !== undefined) {
      let advanced = this.#advanced + advance;
      if (advanced >= REBASE_AT) advanced = this.#rebase(ends, advanced);
      this.#advanced = advanced;
      ends[this.#puts++ % this.#maxsize] = advanced;
    }
    this.#write = next;
    Atomics.store(i32, WRITE, next); // publishes the record, clears BUSY
    // A get waits: notify if this is the first publish past its last look (`w`: the position
    // before it). A later publish needs none: the park either began before this one (which
    // notified it) or after it (its compare fails). Notifying at every publish while GET_WAITS
    // was set woke nobody 0.35-0.66 times an item per side (a woken side stays counted until it
    // runs), `bench/probes/queue_oneway_count.ts`, 2026-12-03.
    if (Atomics.load(i32, GET_WAITS) !== 0 && Atomics.load(i32, GET_LOOKED) === w) {
      wakeAll(i32, WRITE);
    }
    return PUT_DONE;
  }

  /**
   * Takes REBASE_AT / 2 off `#advanced` (`advanced`, the new total) and off every end: each lies
   * less than maxsize capacities (2^43 bytes) behind it, so none goes below 0, and every
   * difference stays exact (a double holds every multiple of 4 up to 2^55 exactly).
   */
  #rebase(ends: Float64Array, advanced: number): number {
    for (let k = 0; k < ends.length; k++) ends[k] = ends[k]! - REBASE_AT / 2;
    return advanced - REBASE_AT / 2;
  }

  /**
   * With a maxsize: whether this object's next put (number `#puts`) must wait, WRITE at `w` and
   * READ at `r`: READ has not passed the end of put `#puts - maxsize`. Both compared by their
   * distance back from WRITE: READ's mod 2^28 (it is at most a capacity, 2^27, behind), that end's
   * exact (`#ends`: this object's puts moved WRITE, from its first put on).
   */
  #atMaxsize(ends: Float64Array, w: number, r: number): boolean {
    const maxsize = this.#maxsize;
    const n = this.#puts;
    return n >= maxsize && ((w - r) & POSITION) > this.#advanced - ends[n % maxsize]!;
  }

  /**
   * Gets the next item, decoded by `codec` (`f64`: float64Codec's 8-byte records are read in
   * place), or `EMPTY` (`look` holds the WRITE seen, to park on), or `OFF`. A decode that throws
   * leaves the item next in the lane.
   */
  get<T>(codec: Decoder<T>, f64: boolean): T | typeof EMPTY | typeof OFF {
    if (!this.#consumer) {
      if (!this.#claim(CONSUMER)) return OFF;
      this.#consumer = true;
    }
    const i32 = this.#i32;
    const capacity = this.#capacity;
    if (i32[GETS] !== this.#getsSeen) {
      // Another object of this thread got since this one did: its positions may be a lap old.
      this.#adoptRead(Atomics.load(i32, READ));
      this.#getsSeen = i32[GETS]!;
    }
    for (;;) {
      const r = this.#read;
      let w = this.#seenWrite;
      if ((w & POSITION) === r) {
        w = Atomics.load(i32, WRITE);
        this.#seenWrite = w;
        if ((w & REVOKED) !== 0) return OFF;
        if ((w & POSITION) === r) {
          // Nothing published past READ. (A READ moved by another object of this thread's
          // queue, `#read` behind, shows as a record below, and its checks see READ changed.)
          this.look = w;
          return EMPTY;
        }
      }
      let offset = r & this.#mask;
      let skip = 0;
      // The length word, read once (read twice, as the WRAP check and then the length, one thread
      // took 1.02-1.04x the time a put + get pair, numbers and objects, Node and Bun: each order
      // of two trees in one process, 26 rounds, geometric mean, 2026-12-03).
      let length = capacity - offset < 4 ? WRAP : lengthAt(this.#u8, offset);
      if (length === WRAP) {
        skip = capacity - offset;
        offset = 0;
        length = lengthAt(this.#u8, 0);
      }
      // A length read while a revoked ring is reused may be torn: clamp it (the READ check
      // below drops such a copy).
      const most = capacity - offset - 4;
      if (length < 0 || length > most) length = most < 0 ? 0 : most;
      let item: T;
      let bytes: Uint8Array | undefined;
      let value = 0;
      if (f64 && length === 8) value = readFloat64Record(this.#words, offset);
      else bytes = copyOut(this.#u8, this.#words, offset + 4, length);
      const check = Atomics.load(i32, READ);
      if (check !== r) {
        // Revoked (the copy may be torn: drop it unread), or taken by a get nested in a decode.
        if (bytes !== undefined) giveBack(bytes);
        if ((check & REVOKED) !== 0) return OFF;
        this.#adoptRead(check);
        continue;
      }
      if (bytes === undefined) item = value as T;
      else {
        try {
          item = codec.decode(bytes);
        } finally {
          giveBack(bytes);
        }
      }
      const next = (r + skip + recordSize(length)) & POSITION;
      const seen = Atomics.compareExchange(i32, READ, r, next);
      if (seen !== r) {
        // Revoked during the decode (the item is the locked ring's front now), or taken by a
        // nested get: drop the decoded copy.
        if ((seen & REVOKED) !== 0) return OFF;
        this.#adoptRead(seen);
        continue;
      }
      this.#read = next;
      const gets = (i32[GETS]! + 1) | 0;
      i32[GETS] = gets; // only this thread writes it; `qsize` reads a snapshot
      this.#getsSeen = gets;
      // A put waits: notify for the first publish past its last look only (as in `put`).
      if (Atomics.load(i32, PUT_WAITS) !== 0 && Atomics.load(i32, PUT_LOOKED) === r) {
        wakeAll(i32, READ);
      }
      return item;
    }
  }

  /**
   * Takes `read` (READ as another object of this thread's queue left it) as this object's: the
   * WRITE seen before it may lie behind it, so it is seen as empty until WRITE is read again (a
   * get nested in a decode that took past the WRITE the outer get saw made the outer read a
   * record past WRITE).
   */
  #adoptRead(read: number): void {
    this.#read = read & POSITION;
    this.#seenWrite = this.#read;
  }

  /**
   * Whether the consumer side is claimed by another thread that has not ended: a producer that
   * waits for room has someone to make it.
   */
  consumerElsewhere(): boolean {
    const consumer = Atomics.load(this.#i32, CONSUMER);
    return consumer !== 0 && consumer !== currentIdent() && lifeOf(consumer) !== LIFE_ENDED;
  }

  /** Whether a record of `size` bytes would fit now (a snapshot, for `full()`). */
  fits(size: number): boolean {
    const i32 = this.#i32;
    this.#refresh();
    const w = Atomics.load(i32, WRITE);
    const r = Atomics.load(i32, READ);
    const capacity = this.#capacity;
    const used = (w - r) & POSITION;
    const offset = w & this.#mask;
    const advance = offset + size > capacity ? capacity - offset + size : size;
    return used + advance <= capacity;
  }

  /** Whether a revoke has begun (READ revoked): with MODE still LANE_ON, a dead thread's. */
  revoking(): boolean {
    return (Atomics.load(this.#i32, READ) & REVOKED) !== 0;
  }

  /**
   * Sleeps a side waiting on `index` (WRITE for gets, READ for puts), already counted in its
   * `waits` slot, on the value its last look read (`look`), until woken, `deadline` or the
   * liveness poll (`OWNER_POLL_MS`). No driver spin: the side watched the word uncounted first
   * (`watch` in `futex.ts`), since while it is counted the other side pays a load of LOOKED at
   * every item, and a notify at the first past its look.
   * Returns the abort thrown in meanwhile, if any (the caller uncounts itself after its next
   * look); any other throw uncounts it here.
   */
  *sleep(index: number, waits: number, deadline: number): Parker<Aborted | undefined> {
    // The position that look read, for the other side's notify (GET_LOOKED, PUT_LOOKED): stored
    // before the park registers, so the first publish past it finds it.
    Atomics.store(this.#i32, index === WRITE ? GET_LOOKED : PUT_LOOKED, this.look & POSITION);
    try {
      yield {
        i32: this.#i32,
        index,
        expected: this.look,
        deadline,
        asyncCount: -1,
        pollMs: OWNER_POLL_MS,
        syncSpin: false,
        asyncSpin: false,
      };
    } catch (error) {
      if (error instanceof Aborted) return error;
      Atomics.sub(this.#i32, waits, 1);
      throw error;
    }
    return undefined;
  }

  /**
   * Revokes the lane (LOCK held, MODE LANE_ON): see the module doc. Resumes a revoke a dead
   * thread left half done.
   */
  revoke(): void {
    const i32 = this.#i32;
    this.#refresh(); // LOCK held: no growth meanwhile
    // 1. READ: a consumer's CAS fails from here, and its look takes the locked path.
    for (;;) {
      const r = Atomics.load(i32, READ);
      if ((r & REVOKED) !== 0 || Atomics.compareExchange(i32, READ, r, r | REVOKED) === r) break;
    }
    // 2. WRITE, from a value without BUSY (or a dead producer's).
    for (let tries = 0;; tries++) {
      const w = Atomics.load(i32, WRITE);
      if ((w & REVOKED) !== 0) break;
      if ((w & BUSY) === 0) {
        if (Atomics.compareExchange(i32, WRITE, w, w | REVOKED) === w) break;
        continue;
      }
      if (lifeOf(Atomics.load(i32, PRODUCER)) === LIFE_ENDED) {
        // Killed inside a put. Counted already if PUTS's parity moved off P: take it back first
        // (PUTS has parity P again, so a revoke resumed after a death here does not repeat it).
        const puts = Atomics.load(i32, PUTS);
        if (((puts & 1) === 0) !== ((w & PARITY) === 0)) Atomics.store(i32, PUTS, puts - 1);
        if (Atomics.compareExchange(i32, WRITE, w, (w & POSITION) | REVOKED) === w) break;
        continue;
      }
      // A live producer writing one record: wait for its store, polling its liveness.
      if (tries < 64 || !canBlock()) pause();
      else {
        parkSync({
          i32,
          index: WRITE,
          expected: w,
          deadline: now() + 1,
          asyncCount: -1,
          syncSpin: false,
        });
      }
    }
    // 3. The records from READ to WRITE become the locked ring's.
    const r = Atomics.load(i32, READ) & POSITION;
    const w = Atomics.load(i32, WRITE) & POSITION;
    const capacity = this.#capacity;
    let count = 0;
    let live = 0;
    for (let p = r, steps = 0; p !== w; steps++) {
      if (steps > capacity) {
        throw new Error("threadkit: internal: the lane's records do not add up");
      }
      const offset = p & this.#mask;
      const left = capacity - offset;
      const length = left < 4 ? WRAP : lengthAt(this.#u8, offset);
      if (length === WRAP) {
        p = (p + left) & POSITION;
        continue;
      }
      const size = recordSize(length);
      count++;
      live += size;
      p = (p + size) & POSITION;
    }
    Atomics.store(i32, HEAD, count === 0 ? 0 : r & this.#mask);
    Atomics.store(i32, TAIL, count === 0 ? 0 : w & this.#mask);
    Atomics.store(i32, LIVE, live);
    Atomics.store(i32, COUNT, count);
    // The counts are int32 words that wrap (past 2^31 puts): the store takes the difference
    // mod 2^32, as the int32 it writes.
    Atomics.store(i32, UNFINISHED, Atomics.load(i32, PUTS) - Atomics.load(i32, DONE));
    // The lane's sleepers re-route (a resumed revoke notifies again: harmless).
    wakeAll(i32, WRITE);
    wakeAll(i32, READ);
    Atomics.store(i32, MODE, LANE_OFF);
  }
}

/**
 * Puts made (lane mode), less one counted and not yet published: a put whose thread died with
 * BUSY set is not counted (see the revoke), and no get can have taken an unpublished item.
 */
export function lanePuts(i32: Int32Array): number {
  for (;;) {
    const w = Atomics.load(i32, WRITE);
    const puts = Atomics.load(i32, PUTS);
    // WRITE again: a put that set BUSY after the first load and counted itself before the load
    // of PUTS would be counted as published (a surplus `taskDone` then passed, and if that
    // producer died before publishing, the revoke's UNFINISHED = PUTS - DONE went to -1).
    if (Atomics.load(i32, WRITE) !== w) continue;
    const counted = (w & BUSY) !== 0 && ((puts & 1) === 0) !== ((w & PARITY) === 0);
    return counted ? (puts - 1) | 0 : puts;
  }
}

/**
 * Items in the lane (a snapshot, lane mode): PUTS - GETS, or 0 when READ and WRITE are at one
 * position. READ is loaded first: if WRITE is then where READ was, READ is there too (it never
 * passes WRITE), so the lane was empty when WRITE was loaded. The counts alone may say one item
 * more: a get counts itself in GETS just after its CAS of READ took the item, and a consumer
 * killed between the two leaves GETS one short (until a get of another thread revokes the lane,
 * which counts the records); when that was the last item, the positions say empty.
 */
export function laneSize(i32: Int32Array): number {
  const r = Atomics.load(i32, READ);
  const puts = lanePuts(i32); // loads WRITE
  if (((Atomics.load(i32, WRITE) ^ r) & POSITION) === 0) return 0;
  const n = (puts - Atomics.load(i32, GETS)) | 0; // mod 2^32: the counts wrap
  return n > 0 ? n : 0;
}
