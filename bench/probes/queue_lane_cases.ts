/**
 * A floor for a design not built (issue 9, P4): an SPSC lane. While one thread puts and one
 * thread gets, a Queue could move items through a lock-free single-producer single-consumer ring
 * and fall back to its locked ring (revoking the lane) when a third thread or a feature the lane
 * lacks shows up; see bench/README.md, "Design: an SPSC lane". This module measures what the
 * lane's common path would cost with everything that design needs on it, two workers, one item
 * at a time, each side blocking as `putSync`/`getSync` would:
 *
 * - the put marks its position word BUSY with a CAS (which fails once a revoker has set REVOKED
 *   there; a revoker sets it only from a value without BUSY, so it waits for a put in flight),
 *   writes the item, counts it in PUTS (plain, on its own line: the publish orders it),
 *   publishes its position (clearing BUSY in the same store) and reads the consumer's WAITS flag
 *   (on the read-mostly line), notifying if set;
 * - the get reads the producer's position only when its cached copy says empty, copies the item
 *   out, checks that its own position word is not REVOKED (else the copy may be torn), decodes
 *   (objects), counts it in GETS, publishes its position with a CAS (which fails once revoked),
 *   and reads the producer's WAITS flag;
 * - a side that finds the ring empty (full) polls up to `SPIN` times, then sets its WAITS flag,
 *   looks again, and sleeps on the other side's position word (`Atomics.wait`), the other side
 *   notifying after its publish when it reads the flag set (seq-cst on both: one sees the other).
 *
 * Payloads: `f64`, one Float64 slot per item (positions count items); `objects`, packed records
 * of `structuredCodec` (a length word and the bytes, 4-byte aligned, never straddling the end:
 * a -1 length marks a wrap; positions count bytes). Not here: taskDone/join (a DONE count
 * against PUTS, off this path), shutdown, owner death and the revocation itself: this floor never
 * revokes, so its REVOKED checks only throw.
 *
 * @module
 */

import { structuredCodec } from "../../mod.ts";
import { recordSize } from "../../src/queue/header.ts";
import { copyOut } from "./queue_object_cases.ts";

const pause: () => void = (Atomics as any).pause?.bind(Atomics) ?? (() => {});

/** Items of the f64 lane (ringbuf.js's row holds 1024). */
const F64_SLOTS = 1024;
/** Bytes of the objects lane (the Queue's default capacity). */
const RECORD_BYTES = 64 * 1024;
/** Tries before a side that found nothing to do sleeps. */
const SPIN = 2000;

// Int32 words on three lines: the read-mostly one (MODE and the waiter flags, written only
// around a sleep), the producer's (WRITE, PUTS) and the consumer's (READ, GETS). A flag on its
// sleeper's own position line costs the other side a line move on every item: the first version
// of this floor kept each flag there, and was 1.32-1.42× ringbuf.js for numbers on Node and Deno
// (two bench runs, 2026-12-03); with the flags here, 0.73-0.78× (two more runs, same hour).
// Word 0 is a real lane's MODE (its revokers' word; the floor's puts and gets do not read it).
const PUT_WAITS = 1, GET_WAITS = 2;
const WRITE = 16, PUTS = 17;
const READ = 32, GETS = 33;
const DATA = 192;
/** Bit of WRITE: a put is in flight. */
const BUSY = 1 << 30;
/** Bit of WRITE and READ: the lane is revoked (set by a revoker; this floor never revokes). */
const REVOKED = 1 << 29;
/** Positions are taken mod 2^29, below both bits. */
const POS = REVOKED - 1;

/** The two ends of a lane. */
export interface LaneEnds<T> {
  putSync(item: T): void;
  getSync(): T;
}

/** One lane: its shared memory (main thread) and its ends (each worker). */
export interface Lane<T> {
  text: string;
  setup(): SharedArrayBuffer;
  /** `stallMs`: the longest sleep; a side that sleeps that long throws (a lost wake-up). */
  open(shared: SharedArrayBuffer, stallMs: number): LaneEnds<T>;
}

/**
 * The lane's two sides over `i32`, the payload left to `store` (returns the position's advance,
 * or -1 when it does not fit in `room`) and `load` (from the consumer's position; returns the
 * advance, the item left in `out`).
 */
function lane<T>(
  i32: Int32Array,
  capacity: number,
  store: (item: T, at: number, room: number) => number,
  load: (at: number) => number,
  out: { item: unknown },
  decode: (taken: unknown) => T,
  stallMs: number,
): LaneEnds<T> {
  let write = Atomics.load(i32, WRITE) & POS;
  let read = Atomics.load(i32, READ);
  let readSeen = read;
  let writeSeen = write;
  let puts = i32[PUTS]!;
  let gets = i32[GETS]!;

  const tryPut = (item: T): boolean => {
    // Mark the put in flight: one CAS, which fails once a revoker has set REVOKED (it does so
    // only from a value without BUSY, so it waits for a put in flight instead).
    if (Atomics.compareExchange(i32, WRITE, write, write | BUSY) !== write) {
      throw new Error("lane revoked (not in this floor)");
    }
    let advance = store(item, write, capacity - ((write - readSeen) & POS));
    if (advance < 0) {
      readSeen = Atomics.load(i32, READ) & POS;
      advance = store(item, write, capacity - ((write - readSeen) & POS));
      if (advance < 0) {
        Atomics.store(i32, WRITE, write); // BUSY held: only this thread writes WRITE
        return false;
      }
    }
    i32[PUTS] = ++puts; // plain: the publish below orders it before the consumer's load
    write = (write + advance) & POS;
    // Publish, clearing BUSY in the same store (seq-cst: orders the item before it).
    Atomics.store(i32, WRITE, write);
    if (Atomics.load(i32, GET_WAITS) !== 0) Atomics.notify(i32, WRITE, 1);
    return true;
  };
  const tryGet = (): boolean => {
    if (writeSeen === read) {
      writeSeen = Atomics.load(i32, WRITE) & POS;
      if (writeSeen === read) return false;
    }
    const advance = load(read);
    // The copy is whole only if no revoker came first: after REVOKED, the locked path may hand
    // this record to another thread and reuse its bytes, so a copy made then may be torn and
    // must not reach a codec (a real lane takes the locked path here).
    if (Atomics.load(i32, READ) !== read) throw new Error("lane revoked (not in this floor)");
    // Decode before the publish (Python's semantics without a put-back: the room stays taken
    // while decode runs, and a decode that throws leaves the item next in line).
    out.item = decode(out.item);
    i32[GETS] = ++gets; // plain: ordered by the CAS below
    const next = (read + advance) & POS;
    // Publish: a CAS, which fails once a revoker has set REVOKED (the copy is then dropped).
    if (Atomics.compareExchange(i32, READ, read, next) !== read) {
      throw new Error("lane revoked (not in this floor)");
    }
    read = next;
    if (Atomics.load(i32, PUT_WAITS) !== 0) Atomics.notify(i32, READ, 1);
    return true;
  };
  /** Spin, then sleep on `word` while `attempt` fails (WAITS flag set around the last look). */
  const block = (attempt: () => boolean, waits: number, word: number): void => {
    for (let i = 0; i < SPIN; i++) {
      if (attempt()) return;
      pause();
    }
    for (;;) {
      Atomics.store(i32, waits, 1);
      const seen = Atomics.load(i32, word);
      if (attempt()) break;
      if (Atomics.wait(i32, word, seen, stallMs) === "timed-out") {
        Atomics.store(i32, waits, 0);
        throw new Error(`lane floor: slept ${stallMs} ms with nothing to do (lost wake-up?)`);
      }
    }
    Atomics.store(i32, waits, 0);
  };
  return {
    putSync(item) {
      if (!tryPut(item)) block(() => tryPut(item), PUT_WAITS, READ);
    },
    getSync() {
      if (!tryGet()) block(tryGet, GET_WAITS, WRITE);
      const item = out.item as T;
      out.item = undefined;
      return item;
    },
  };
}

/** The f64 lane: see the module doc. */
export const f64Lane: Lane<number> = {
  text: "SPSC lane of float64 (BUSY and REVOKED CASes, counts, waiter flags; blocking sides)",
  setup: () => new SharedArrayBuffer(DATA + F64_SLOTS * 8),
  open(sab, stallMs) {
    const i32 = new Int32Array(sab, 0, DATA / 4);
    const f64 = new Float64Array(sab, DATA, F64_SLOTS);
    const out: { item: unknown } = { item: undefined };
    return lane<number>(
      i32,
      F64_SLOTS,
      (v, at, room) => {
        if (room < 1) return -1;
        f64[at & (F64_SLOTS - 1)] = v;
        return 1;
      },
      (at) => {
        out.item = f64[at & (F64_SLOTS - 1)]!;
        return 1;
      },
      out,
      (taken) => taken as number,
      stallMs,
    );
  },
};

/** The objects lane: see the module doc. Items are encoded by the put, decoded by the get. */
export const objectsLane: Lane<unknown> = {
  text: "SPSC lane of structuredCodec records (the same; decode before the publish)",
  setup: () => new SharedArrayBuffer(DATA + RECORD_BYTES),
  open(sab, stallMs) {
    const i32 = new Int32Array(sab, 0, DATA / 4);
    const u8 = new Uint8Array(sab, DATA, RECORD_BYTES);
    const dv = new DataView(sab, DATA, RECORD_BYTES);
    const mask = RECORD_BYTES - 1;
    const scratch = { buf: new Uint8Array(256) };
    // The record of the item being put: encoded on its first try, kept until it fits.
    let encoded: Uint8Array = new Uint8Array(0);
    let pending = false;
    const out: { item: unknown } = { item: undefined };
    const ends = lane<unknown>(
      i32,
      RECORD_BYTES,
      (item, at, room) => {
        // Encoded once per item, however many tries it takes to fit.
        if (!pending) {
          encoded = structuredCodec.encode(item);
          pending = true;
        }
        const size = recordSize(encoded.length);
        const off = at & mask;
        const wraps = off + size > RECORD_BYTES;
        const need = wraps ? size + RECORD_BYTES - off : size;
        if (need > room) return -1;
        if (wraps && off + 4 <= RECORD_BYTES) dv.setInt32(off, -1, true);
        const to = wraps ? 0 : off;
        dv.setInt32(to, encoded.length, true);
        u8.set(encoded, to + 4);
        pending = false;
        return need;
      },
      (at) => {
        let off = at & mask;
        let skipped = 0;
        if (off + 4 > RECORD_BYTES || dv.getInt32(off, true) === -1) {
          skipped = RECORD_BYTES - off;
          off = 0;
        }
        // Copied out here; decoded by the `decode` below, before the consumer's publishing CAS.
        const record = copyOut(u8, dv, off, scratch);
        out.item = record;
        return skipped + recordSize(record.length);
      },
      out,
      (taken) => structuredCodec.decode(taken as Uint8Array),
      stallMs,
    );
    return ends;
  },
};
