/**
 * A floor of `queue.oneway` (issue 9, P4 objects): what one simple locked design costs to move the
 * bench's small objects (`{ id, kind: "tick", value }`, 42-50 bytes encoded) from one worker to
 * another with threadkit's codec (`structuredCodec`), so a run shows, beside postMessage, what a
 * lock per item costs on this machine. Not a bound on every locked queue: its consumer takes the
 * lock on every poll, empty or not, where the Queue's consumer lags and drains in runs (the Queue
 * was under this floor on Node and Deno in every run of 2026-12-03, and on Bun in two).
 *
 * `locked`: one lock word (CAS in, CAS out) over a byte ring of packed records (a length word,
 * the bytes, 4-byte aligned; a record never straddles the end: the put that would wraps to 0 and
 * leaves a -1 length as its marker, or nothing when under 4 bytes remain). The put encodes before
 * the lock and copies the record in under it; the get copies the record out under it and decodes
 * after. Plain HEAD, TAIL and USED under the lock. Nothing else: no counts of items or tasks, no
 * waiter checks, no journal. It is polled by the bench (try, `Atomics.pause`, try again), as its
 * ringbuf.js row is: it never sleeps, so it measures the work and the cache-line traffic, not
 * wake-ups.
 *
 * The lock-free counterpart, an SPSC lane with what a Queue would need on it, is in
 * `queue_lane_cases.ts`.
 *
 * @module
 */

import { structuredCodec } from "../../mod.ts";
import { recordSize } from "../../src/queue/header.ts";

/** Bytes of record space in each ring (the Queue's default capacity). */
export const RING_BYTES = 64 * 1024;
/** Where the records start: after the control words' lines. */
const DATA = 192;

/** The two ends over one ring's shared memory. */
export interface ObjectEnds {
  /** Stores one record (bytes as `structuredCodec.encode` gave them); false when it is full. */
  put(bytes: Uint8Array): boolean;
  /** Takes one record and decodes it into `out`; false when it is empty. */
  get(): boolean;
  out: unknown;
}

/** One floor: its shared memory (made on the main thread) and the two ends over it. */
export interface ObjectVariant {
  text: string;
  setup(): SharedArrayBuffer;
  open(shared: SharedArrayBuffer): ObjectEnds;
}

/**
 * The record at `at` (the Queue's format, `recordSize` bytes) copied out into this end's scratch,
 * which grows as needed and is reused, as a view. Shared with `queue_lane_cases.ts`.
 */
export function copyOut(u8: Uint8Array, dv: DataView, at: number, scratch: { buf: Uint8Array }) {
  const length = dv.getInt32(at, true);
  if (scratch.buf.length < length) scratch.buf = new Uint8Array(length * 2);
  scratch.buf.set(u8.subarray(at + 4, at + 4 + length));
  return scratch.buf.subarray(0, length);
}

// Locked ring: LOCK, HEAD, TAIL and USED on one line (as the Queue's header keeps its hot words).
const LOCK = 0, HEAD = 1, TAIL = 2, USED = 3;

/** See the module doc: `locked`. */
export const locked: ObjectVariant = {
  text: "locked byte ring: lock CAS, packed records copied in and out, unlock CAS; polled",
  setup: () => new SharedArrayBuffer(DATA + RING_BYTES),
  open(sab) {
    const i32 = new Int32Array(sab, 0, 16);
    const u8 = new Uint8Array(sab, DATA, RING_BYTES);
    const dv = new DataView(sab, DATA, RING_BYTES);
    // Any non-zero even value will do as an owner (the CAS from 0 gives mutual exclusion).
    const me = 2 + 2 * Math.floor(Math.random() * 1e6);
    const scratch = { buf: new Uint8Array(256) };
    const ends: ObjectEnds = {
      out: undefined,
      put(bytes) {
        if (Atomics.compareExchange(i32, LOCK, 0, me) !== 0) return false;
        const size = recordSize(bytes.length);
        const tail = i32[TAIL]!;
        const used = i32[USED]!;
        // Invariant (under LOCK): USED counts every byte from HEAD to TAIL, the skipped end of a
        // wrap included, so the get that meets the marker gives the same bytes back.
        let at = tail;
        let need = size;
        if (tail + size > RING_BYTES) {
          need += RING_BYTES - tail;
          at = 0;
        }
        if (used + need > RING_BYTES) {
          Atomics.compareExchange(i32, LOCK, me, 0);
          return false;
        }
        if (at === 0 && tail !== 0 && tail + 4 <= RING_BYTES) dv.setInt32(tail, -1, true);
        dv.setInt32(at, bytes.length, true);
        u8.set(bytes, at + 4);
        i32[TAIL] = at + size;
        i32[USED] = used + need;
        Atomics.compareExchange(i32, LOCK, me, 0);
        return true;
      },
      get() {
        if (Atomics.compareExchange(i32, LOCK, 0, me) !== 0) return false;
        let used = i32[USED]!;
        if (used === 0) {
          Atomics.compareExchange(i32, LOCK, me, 0);
          return false;
        }
        let at = i32[HEAD]!;
        if (at + 4 > RING_BYTES || dv.getInt32(at, true) === -1) {
          used -= RING_BYTES - at;
          at = 0;
        }
        const record = copyOut(u8, dv, at, scratch);
        used -= recordSize(record.length);
        i32[USED] = used;
        // Empty: both ends back to 0, as the Queue's storage does.
        i32[HEAD] = used === 0 ? 0 : at + recordSize(record.length);
        if (used === 0) i32[TAIL] = 0;
        Atomics.compareExchange(i32, LOCK, me, 0);
        ends.out = structuredCodec.decode(record);
        return true;
      },
    };
    return ends;
  },
};

/** The floors by name, as `bench/queue_bench.ts` runs them. */
export const objectVariants: Record<string, ObjectVariant> = { locked };
