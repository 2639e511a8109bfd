/**
 * The variants of `queue_f64_gap.ts` (issue 9, `queue.oneway-f64` vs ringbuf.js): each is one
 * way to move float64 numbers from one thread to another, from ringbuf.js and threadkit's Queue
 * down to stripped rings that each add back one cost of the Queue, so the gap decomposes.
 *
 * Every variant but `queue` / `queue-spin` is polled (try, `Atomics.pause`, try again), as the
 * bench's ringbuf.js row is: the rings never sleep. Shared layouts (int32 slots):
 * - SPSC rings: READ at 0, WRITE at 16 (its own 64-byte line), GETTERS/PUTTERS/SHUTDOWN at 32,
 *   UNFINISHED at 48; payload Float64Array after 64 slots.
 * - locked rings: LOCK 0, COUNT 1, HEAD 2, TAIL 3, SHUTDOWN 4, UNFINISHED 5, GETTERS 6,
 *   PUTTERS 7, CAPACITY 8 (one line, as the Queue's header); payload after 16 slots.
 * - Vyukov ring: TAIL at 0, HEAD at 16, waiters/shutdown at 32, UNFINISHED at 48, NOT_EMPTY 56;
 *   per-slot seq Int32Array after 64 slots, payload Float64Array after them.
 *
 * @module
 */

import { float64Codec, Queue } from "../../mod.ts";

/** Items a ring holds: ringbuf.js's row uses 1024; the rings here match it. */
export const CAP = 1024;
const MASK = CAP - 1;
const pause: () => void = (Atomics as any).pause?.bind(Atomics) ?? (() => {});

/** One variant: how to make its shared memory, and a put/get pair over it. */
export interface Variant {
  /** What it is (printed in the table). */
  text: string;
  /** Shared memory, made on the main thread; passed to both workers. */
  setup(): Promise<unknown> | unknown;
  /** The two ends over that memory, made in each worker (or on the main thread, one-thread). */
  open(shared: unknown): Promise<Ends> | Ends;
}

/**
 * The two ends: `put` returns false when it could not (full, busy), `get` returns false when it
 * found nothing (empty, busy) and else leaves the number in `out`. `putSync`/`getSync`, when
 * there, block instead (the Queue rows).
 */
export interface Ends {
  put(v: number): boolean;
  get(): boolean;
  out: number;
  putSync?(v: number): void;
  getSync?(): number;
}

// ---------------------------------------------------------------------------------------------
// ringbuf.js, as the bench's peer row runs it (Int32Array, capacity 1024)

async function ringbuf(type: "i32" | "f64"): Promise<Variant> {
  const { RingBuffer } = await import("ringbuf.js");
  const T = type === "i32" ? Int32Array : Float64Array;
  return {
    text: `ringbuf.js ${type === "i32" ? "Int32Array (the bench row)" : "Float64Array"}`,
    setup: () => RingBuffer.getStorageForCapacity(CAP, T),
    open(sab) {
      const ring = new RingBuffer(sab as SharedArrayBuffer, T as any);
      const one = new T(1);
      const ends: Ends = {
        out: 0,
        put(v) {
          one[0] = v;
          return ring.push(one, 1) === 1;
        },
        get() {
          if (ring.pop(one, 1) === 0) return false;
          ends.out = one[0]!;
          return true;
        },
      };
      return ends;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// threadkit's Queue

/**
 * `spin` 0: putSync/getSync as the bench row; > 0: the getter polls `empty()` that many times
 * before its getSync (a spin-then-sleep emulated from outside). `poll`: no sync forms, the
 * driver polls `put`/`get` (qsize/empty, then putNowait/getNowait) like the rings.
 */
function queue(spin: number, maxsize: number, poll = false): Variant {
  return {
    text: poll
      ? `Queue(${maxsize}) polled: qsize()/empty() + putNowait/getNowait`
      : spin === 0
      ? `Queue(${maxsize}) float64Codec putSync/getSync (the bench row)`
      : `Queue(${maxsize}) putSync/getSync, getter polls empty() ${spin}× before getSync`,
    setup: () => new Queue<number>(maxsize, { codec: float64Codec }).handle,
    open(handle) {
      const q = Queue.from<number>(handle as any, { codec: float64Codec });
      const bounded = { timeout: 60_000 };
      const ends: Ends = {
        out: 0,
        put(v) {
          if (maxsize > 0 && q.qsize() >= maxsize) return false;
          q.putNowait(v);
          return true;
        },
        get() {
          if (q.empty()) return false;
          ends.out = q.getNowait();
          return true;
        },
      };
      if (poll) return ends;
      ends.putSync = (v) => q.putSync(v, bounded);
      ends.getSync = spin === 0 ? () => q.getSync(bounded) : () => {
        for (let k = 0; k < spin && q.empty(); k++) pause();
        return q.getSync(bounded);
      };
      return ends;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Locked rings: the Queue's algorithm (one lock word, plain HEAD/TAIL under it) stripped

const L_LOCK = 0, L_COUNT = 1, L_HEAD = 2, L_TAIL = 3, L_SHUTDOWN = 4, L_UNFINISHED = 5;
const L_GETTERS = 6, L_PUTTERS = 7, L_CAPACITY = 8;

/**
 * `bare`: lock CAS, slot write, plain HEAD/TAIL/COUNT, unlock CAS — the lock alone.
 * `loads`: plus the Queue's Atomics loads only (SHUTDOWN, CAPACITY, COUNT, the waiter count);
 * COUNT still written plain, no UNFINISHED.
 * `counts`: plus what the Queue's locked fast path does besides the record: SHUTDOWN and
 * CAPACITY loads, COUNT and UNFINISHED as Atomics RMWs, the waiter-count load.
 * `tk`: plus the record framing (length word + 8 bytes through a DataView in a byte ring, the
 * wrap test): the Queue's locked path without its API wrapper.
 * `codec`: plus the put's encode as the Queue does it (`float64Codec.encode` into its scratch,
 * then `u8.set` of the 8 bytes into the ring, as `Ring.store`).
 */
function locked(mode: "bare" | "loads" | "counts" | "tk" | "codec"): Variant {
  const tk = mode !== "bare";
  /** COUNT and UNFINISHED as Atomics RMWs (else COUNT plain, no UNFINISHED: `loads`). */
  const rmw = mode !== "loads";
  const framed = mode === "tk" || mode === "codec";
  const codec = mode === "codec";
  return {
    text: mode === "loads"
      ? "locked ring + the Queue's Atomics loads (SHUTDOWN, CAPACITY, COUNT, waiters), no RMWs"
      : mode === "codec"
      ? "locked ring + counts, loads, framing, encode + copy (the Queue's path without its API)"
      : mode === "tk"
      ? "locked ring + Queue's counts, waiter loads, record framing (no encode, no API)"
      : mode === "counts"
      ? "locked ring + Queue's counts and waiter loads (Float64Array slots, no framing)"
      : "locked ring: lock CAS + plain head/tail/count + unlock CAS",
    setup: () => new SharedArrayBuffer(64 + CAP * 12 + 16),
    open(shared) {
      const sab = shared as SharedArrayBuffer;
      const i32 = new Int32Array(sab, 0, 16);
      const f64 = new Float64Array(sab, 64, CAP);
      const bytes = CAP * 12;
      const dv = new DataView(sab, 64, bytes);
      const u8 = new Uint8Array(sab, 64, bytes);
      Atomics.store(i32, L_CAPACITY, bytes);
      const me = 2 + Math.floor(Math.random() * 1e6) * 2;
      const ends: Ends = {
        out: 0,
        put: tk
          ? (v) => {
            // As the Queue: encode first, then the lock.
            const encoded = codec ? float64Codec.encode(v) : undefined;
            if (Atomics.compareExchange(i32, L_LOCK, 0, me) !== 0) return false;
            if (Atomics.load(i32, L_SHUTDOWN) !== 0 || Atomics.load(i32, L_CAPACITY) !== bytes) {
              throw new Error("unreachable");
            }
            const count = Atomics.load(i32, L_COUNT);
            if (count === CAP) {
              Atomics.compareExchange(i32, L_LOCK, me, 0);
              return false;
            }
            if (framed) {
              let at = i32[L_TAIL]!;
              if (at + 12 > bytes) at = 0; // as the Ring's wrap (records never straddle)
              if (encoded !== undefined) {
                dv.setInt32(at, encoded.length, true);
                u8.set(encoded, at + 4);
              } else {
                dv.setInt32(at, 8, true);
                dv.setFloat64(at + 4, v, true);
              }
              i32[L_TAIL] = at + 12;
            } else {
              const tail = i32[L_TAIL]!;
              f64[tail] = v;
              i32[L_TAIL] = (tail + 1) & MASK;
            }
            if (rmw) {
              Atomics.add(i32, L_COUNT, 1);
              Atomics.add(i32, L_UNFINISHED, 1);
            } else i32[L_COUNT] = count + 1;
            const wake = Atomics.load(i32, L_GETTERS) !== 0;
            Atomics.compareExchange(i32, L_LOCK, me, 0);
            if (wake) throw new Error("unreachable");
            return true;
          }
          : (v) => {
            if (Atomics.compareExchange(i32, L_LOCK, 0, me) !== 0) return false;
            const count = i32[L_COUNT]!;
            if (count === CAP) {
              Atomics.compareExchange(i32, L_LOCK, me, 0);
              return false;
            }
            const tail = i32[L_TAIL]!;
            f64[tail] = v;
            i32[L_TAIL] = (tail + 1) & MASK;
            i32[L_COUNT] = count + 1;
            Atomics.compareExchange(i32, L_LOCK, me, 0);
            return true;
          },
        get: tk
          ? () => {
            if (Atomics.compareExchange(i32, L_LOCK, 0, me) !== 0) return false;
            const shutdown = Atomics.load(i32, L_SHUTDOWN);
            if (Atomics.load(i32, L_COUNT) === 0 || shutdown !== 0) {
              Atomics.compareExchange(i32, L_LOCK, me, 0);
              return false;
            }
            if (Atomics.load(i32, L_CAPACITY) !== bytes) throw new Error("unreachable");
            if (framed) {
              let at = i32[L_HEAD]!;
              if (at + 12 > bytes) at = 0;
              if (dv.getInt32(at, true) !== 8) throw new Error("bad record");
              ends.out = dv.getFloat64(at + 4, true);
              i32[L_HEAD] = at + 12;
            } else {
              const head = i32[L_HEAD]!;
              ends.out = f64[head]!;
              i32[L_HEAD] = (head + 1) & MASK;
            }
            if (rmw) Atomics.sub(i32, L_COUNT, 1);
            else i32[L_COUNT] = i32[L_COUNT]! - 1;
            const wake = Atomics.load(i32, L_PUTTERS) !== 0;
            Atomics.compareExchange(i32, L_LOCK, me, 0);
            if (wake) throw new Error("unreachable");
            return true;
          }
          : () => {
            if (Atomics.compareExchange(i32, L_LOCK, 0, me) !== 0) return false;
            const count = i32[L_COUNT]!;
            if (count === 0) {
              Atomics.compareExchange(i32, L_LOCK, me, 0);
              return false;
            }
            const head = i32[L_HEAD]!;
            ends.out = f64[head]!;
            i32[L_HEAD] = (head + 1) & MASK;
            i32[L_COUNT] = count - 1;
            Atomics.compareExchange(i32, L_LOCK, me, 0);
            return true;
          },
      };
      return ends;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Lock-free SPSC ring (ringbuf.js's algorithm, float64 payload, read/write on their own lines)

const S_READ = 0, S_WRITE = 16, S_GETTERS = 32, S_PUTTERS = 33, S_SHUTDOWN = 34;
const S_UNFINISHED = 48;

/** `tk`: plus the UNFINISHED add per put, and the SHUTDOWN and waiter-count loads (Dekker). */
function spsc(tk: boolean): Variant {
  return {
    text: tk
      ? "SPSC ring + UNFINISHED add, SHUTDOWN + waiter-count loads"
      : "SPSC ring, float64 payload (ringbuf.js's algorithm, no library)",
    setup: () => new SharedArrayBuffer(256 + CAP * 8),
    open(shared) {
      const sab = shared as SharedArrayBuffer;
      const i32 = new Int32Array(sab, 0, 64);
      const f64 = new Float64Array(sab, 256, CAP);
      const ends: Ends = {
        out: 0,
        put(v) {
          if (tk && Atomics.load(i32, S_SHUTDOWN) !== 0) throw new Error("unreachable");
          const w = Atomics.load(i32, S_WRITE);
          if (((w - Atomics.load(i32, S_READ)) | 0) === CAP) return false;
          f64[w & MASK] = v;
          Atomics.store(i32, S_WRITE, (w + 1) | 0);
          if (tk) {
            Atomics.add(i32, S_UNFINISHED, 1);
            if (Atomics.load(i32, S_GETTERS) !== 0) throw new Error("unreachable");
          }
          return true;
        },
        get() {
          const r = Atomics.load(i32, S_READ);
          if (r === Atomics.load(i32, S_WRITE)) {
            if (tk && Atomics.load(i32, S_SHUTDOWN) !== 0) throw new Error("unreachable");
            return false;
          }
          ends.out = f64[r & MASK]!;
          Atomics.store(i32, S_READ, (r + 1) | 0);
          if (tk && Atomics.load(i32, S_PUTTERS) !== 0) throw new Error("unreachable");
          return true;
        },
      };
      return ends;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Vyukov-style bounded MPMC ring: per-slot sequence numbers, CAS on the positions

const V_TAIL = 0, V_HEAD = 16, V_GETTERS = 32, V_PUTTERS = 33, V_SHUTDOWN = 34;
const V_UNFINISHED = 48, V_NOT_EMPTY = 56, V_SEQ = 64;

/**
 * `tk`: plus UNFINISHED, SHUTDOWN and waiter-count loads. `sleep`: also the getter sleeps (spin
 * `sleep` tries first) as a blocking getSync would: GETTERS += 1, re-check, Atomics.wait on
 * NOT_EMPTY; the putter bumps NOT_EMPTY and notifies when it reads GETTERS != 0 after publishing
 * (seq-cst on both sides: one of the two sees the other, Dekker).
 */
function vyukov(tk: boolean, sleep = 0): Variant {
  return {
    text: sleep > 0
      ? `Vyukov MPMC ring + counts + blocking getSync (spin ${sleep}, then wait)`
      : tk
      ? "Vyukov MPMC ring + UNFINISHED add, SHUTDOWN + waiter-count loads"
      : "Vyukov MPMC ring (per-slot seq, CAS head/tail), float64 payload",
    setup() {
      const sab = new SharedArrayBuffer(256 + CAP * 4 + CAP * 8);
      const seq = new Int32Array(sab, 256, CAP);
      for (let i = 0; i < CAP; i++) seq[i] = i;
      return sab;
    },
    open(shared) {
      const sab = shared as SharedArrayBuffer;
      const i32 = new Int32Array(sab, 0, V_SEQ + CAP);
      const f64 = new Float64Array(sab, 256 + CAP * 4, CAP);
      const tryGet = (): boolean => {
        let pos = Atomics.load(i32, V_HEAD);
        for (;;) {
          const slot = V_SEQ + (pos & MASK);
          const dif = (Atomics.load(i32, slot) - ((pos + 1) | 0)) | 0;
          if (dif === 0) {
            const seen = Atomics.compareExchange(i32, V_HEAD, pos, (pos + 1) | 0);
            if (seen === pos) {
              ends.out = f64[pos & MASK]!;
              // The slot is free for the putter one lap on.
              Atomics.store(i32, slot, (pos + CAP) | 0);
              if (tk && Atomics.load(i32, V_PUTTERS) !== 0) throw new Error("unreachable");
              return true;
            }
            pos = seen;
          } else if (dif < 0) {
            if (tk && Atomics.load(i32, V_SHUTDOWN) !== 0) throw new Error("unreachable");
            return false;
          } else pos = Atomics.load(i32, V_HEAD);
        }
      };
      const ends: Ends = {
        out: 0,
        put(v) {
          if (tk && Atomics.load(i32, V_SHUTDOWN) !== 0) throw new Error("unreachable");
          let pos = Atomics.load(i32, V_TAIL);
          for (;;) {
            const slot = V_SEQ + (pos & MASK);
            const dif = (Atomics.load(i32, slot) - pos) | 0;
            if (dif === 0) {
              const seen = Atomics.compareExchange(i32, V_TAIL, pos, (pos + 1) | 0);
              if (seen === pos) {
                f64[pos & MASK] = v;
                Atomics.store(i32, slot, (pos + 1) | 0); // publish
                if (tk) {
                  Atomics.add(i32, V_UNFINISHED, 1);
                  if (Atomics.load(i32, V_GETTERS) !== 0) {
                    Atomics.add(i32, V_NOT_EMPTY, 1);
                    Atomics.notify(i32, V_NOT_EMPTY, 1);
                  }
                }
                return true;
              }
              pos = seen;
            } else if (dif < 0) return false;
            else pos = Atomics.load(i32, V_TAIL);
          }
        },
        get: tryGet,
      };
      if (sleep > 0) {
        ends.getSync = () => {
          for (let k = 0; k < sleep; k++) {
            if (tryGet()) return ends.out;
            pause();
          }
          for (;;) {
            Atomics.add(i32, V_GETTERS, 1);
            const seen = Atomics.load(i32, V_NOT_EMPTY);
            const got = tryGet();
            if (!got) Atomics.wait(i32, V_NOT_EMPTY, seen, 60_000);
            Atomics.sub(i32, V_GETTERS, 1);
            if (got || tryGet()) return ends.out;
          }
        };
      }
      return ends;
    },
  };
}

/** The variants, by name, in the order of the table. */
export async function variants(): Promise<Record<string, Variant>> {
  return {
    "ringbuf-i32": await ringbuf("i32"),
    "ringbuf-f64": await ringbuf("f64"),
    "queue": queue(0, 0),
    "queue-spin": queue(2000, 0),
    "queue-poll": queue(0, CAP, true),
    "locked+codec": locked("codec"),
    "locked+tk": locked("tk"),
    "locked+counts": locked("counts"),
    "locked+loads": locked("loads"),
    "locked": locked("bare"),
    "spsc+tk": spsc(true),
    "spsc": spsc(false),
    "vyukov+tk": vyukov(true),
    "vyukov": vyukov(false),
    "vyukov+sleep": vyukov(true, 2000),
  };
}
