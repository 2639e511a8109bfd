/**
 * `RWLock`: a writer-preferring readers-writer lock in shared memory.
 *
 * Layout: Int32Array, 4-byte slots, byteOffset % 4 === 0
 * | slot | name   | meaning                                                                  |
 * | 0    | STATE  | bits 0-15 readers holding, bit 16 WRITER holds, bits 17-30 writers waiting, |
 * |      |        | bit 31 STARVING: a writer past STARVE_AFTER_MS waits (see "Fairness")    |
 * | 1    | RWAIT  | readers inside the slow path (sync and async)                            |
 * | 2    | RSEQ   | readers sleep on it; bumped by every wake of the readers                 |
 * | 3    | WSEQ   | writers sleep on it; bumped by every wake of a writer                    |
 * | 4    | WASYNC | async waiters registered on WSEQ (counted by the futex layer)            |
 * | 5    | OWNER  | ident of the thread holding it for writing, else 0 (diagnostics)         |
 * | 6    | RBARGE | readers in the slow path that waiting writers do not hold back (below)   |
 *
 * State table of STATE (`r` readers holding, `W` the WRITER bit, `w` writers waiting, `S`
 * STARVING):
 * | r  | W | w  | S | meaning                                   | who moves it on                     |
 * | 0  | 0 | 0  | 0 | free                                      | a reader: r+1; a writer: set W      |
 * | >0 | 0 | 0  | 0 | read-locked                               | readers: r±1; a writer: w+1, sleeps |
 * | >0 | 0 | >0 | ≥0 | read-locked, writers wait: no reader enters | the last reader out (r → 0) wakes one writer (every writer if S) |
 * | 0  | 0 | >0 | 0 | free, a woken writer has not run yet      | any writer: set W (and w-1 if counted) |
 * | 0  | 0 | >0 | 1 | free, reserved for a starving writer (hand-off) | a starving writer: set W, clear S, w-1 |
 * | 0  | 1 | ≥0 | ≥0 | write-locked                             | the writer: clear W (keeping S), wake one writer if w > 0 (every writer if S; and barging readers), else every reader |
 *
 * Invariants:
 * - W and r > 0 never hold together; a reader enters only while W = 0 and w = 0 (a barging
 *   reader, below, only while W = 0).
 * - A writer counted in `w` leaves the count in the same CAS that sets W, or, giving up (timeout,
 *   abort), leaves it and passes on the wake-up it may have consumed: to another writer while
 *   writers still wait, to every reader once none does. A local write of the holder's thread
 *   (`waitHere`) is counted too, but does not sleep on WSEQ: its thread's release reaches it
 *   (`releasedHere`), and that release wakes a writer only for the writers counted besides it.
 * - S is set only by a starving writer counted in `w`, which has then *announced* it starves
 *   (so has one that parks finding S set), and every announced writer that leaves `w` (taking
 *   the lock, or giving up) clears S in that same CAS; so S implies an announced writer is
 *   still counted (w > 0), and a reserved lock is never left to a writer that is gone. A writer
 *   that judged it starves but has not parked since leaves S alone: it is another's. Only a
 *   starving writer sets W while S is set; a release that sees S wakes every writer (any
 *   starving one that runs takes it).
 * - A sleeper reads its sequence slot before it reads STATE for the last time, and every waker
 *   changes STATE before it bumps the sequence slot: a change it could have missed makes the
 *   sleep return at once ("not-equal").
 * - A reader counts itself in RWAIT (and RBARGE) before it reads STATE for the last time before
 *   sleeping, and whoever lets readers in again (clears W with w = 0, or drops w to 0; or clears
 *   W at all, for RBARGE) reads the count after changing STATE: either the reader sees the
 *   change or the waker sees the reader.
 *
 * ## This thread's own waiting writer
 * Writer preference has one trap when sync and async calls mix on a thread: while an async
 * `write()` of thread T waits (counted in `w`), a `readSync()` on T would wait for that writer,
 * which cannot run while T is blocked — it would hang until its timeout, whoever else releases.
 * So each thread counts its own pending async writes per lock (`Own`, which also counts the read
 * locks it holds, for its async parks' `localHint`), and a `*Sync` read of a thread
 * with one pending is not held back by waiting writers (only by a writer holding the lock). It
 * counts itself in RBARGE while it waits, and a releasing writer wakes the readers when RBARGE
 * is non-zero, even while writers wait. This bends writer preference only on a thread that would
 * otherwise deadlock.
 *
 * ## Fairness
 * Writer-preferring against readers, barging with a bound among writers.
 *
 * *Readers and writers.* A writer that has to wait counts itself in `w`, and from then on no new
 * reader enters: the readers inside finish, the last one out wakes a writer, and a writer that
 * releases hands over to the writers before any reader. So a stream of readers never starves a
 * writer; the price is that a stream of writers can starve readers, the usual trade-off of writer
 * preference, right where writes are rare and short.
 *
 * *Among writers* the lock has the lock word's two modes (see "Fairness" in
 * `internal/lock_word.ts`, whose threshold {@link STARVE_AFTER_MS} and STARVING bit it reuses).
 * Barging (normal): a free lock goes to whichever writer gets there first, the running one
 * usually, and the one writer a release wakes competes like everyone else. Hand-off
 * (starvation): a writer that has waited STARVE_AFTER_MS or longer since it first parked is
 * *starving*; it sets S on the held lock before it parks again. A release (a writer's, or the
 * last reader's) that leaves the lock free with S set leaves it *reserved*: no fast path,
 * `tryWrite()`, zero-timeout or not-yet-starving writer takes it, and the release wakes every
 * writer, since any starving writer that runs takes it (not a named one: an async writer's
 * thread may be busy, a writer may time out or be aborted) with one CAS that sets W and clears
 * S; other starving writers, woken too, set S again before they park. So the mode lasts exactly
 * while some writer starves. A writer that is not yet starving parks at most until it will be,
 * so a reserved lock is taken within STARVE_AFTER_MS by whichever writer can run; a starving
 * writer that leaves (timeout, abort) having parked as one clears S and passes the wake-up on
 * (one that has not leaves S to the writer that set it), so a reserved lock is
 * never left to nobody (a starving writer that dies, like a dead waiting writer before, holds
 * readers back; the next writer takes the lock once it starves in turn).
 *
 * Readers do not take part: they are held back by `w` already (a starving writer is counted in
 * it), and a barging reader (above) is held back only by W, not by S, since its own thread's
 * writer may be the starving one. The uncontended paths are unchanged: the write fast path is
 * still one CAS 0 → W and the releases look at S only once they have someone to wake.
 *
 * Waiters spin at most {@link SPIN_LIMIT} reads before parking, and only while nobody waits for
 * a writer.
 *
 * @module
 */

import {
  deadlineAfter,
  type LocalWaitRequest,
  localWaitsAt,
  now,
  type Park,
  type Parker,
  pause,
  releasedHere,
  runAsync,
  runSync,
  SOFT_SLACK_MS,
  waitLocally,
  wake,
  wakeAll,
} from "./internal/futex.ts";
import { Guard, guardOrThrow } from "./internal/guard.ts";
import { currentIdent, describeThread } from "./internal/ident.ts";
import { opening, placeOrOpen } from "./internal/construct.ts";
import { asyncEntry, expired, signalIn, syncEntry, timeoutIn } from "./internal/entry.ts";
import { type Handle, open, type PlacementOptions, slots } from "./internal/layout.ts";
import { SPIN_LIMIT, STARVE_AFTER_MS, STARVING } from "./internal/lock_word.ts";
import { type Description, description, holderOf, label } from "./internal/diagnostics.ts";
import { acquireBehind, Line } from "./internal/line.ts";
import { ms, type SyncWaitOptions, type WaitOptions } from "./internal/options.ts";
import { brand } from "./internal/brand.ts";

/** Slot of the state word. */
const STATE = 0;
/** Slot of the count of readers in the slow path. */
const RWAIT = 1;
/** Slot the readers sleep on. */
const RSEQ = 2;
/** Slot the writers sleep on. */
const WSEQ = 3;
/** Slot of the async waiters registered on WSEQ. */
const WASYNC = 4;
/** Slot of the ident of the writer holding the lock. */
const OWNER = 5;
/** Slot of the count of slow-path readers that waiting writers do not hold back. */
const RBARGE = 6;
/** Slots and bytes an `RWLock` takes. */
const SLOTS = 7;
const BYTES = SLOTS * 4;

/** One reader in STATE. */
const READER = 1;
/** Mask of the reader count in STATE; also the most readers that may hold the lock at once. */
const READERS = 0xffff;
/** STATE bit: a writer holds the lock. */
const WRITER = 1 << 16;
/** One waiting writer in STATE. */
const WAITING_ONE = 1 << 17;
/** Mask of the waiting-writer count in STATE (at most 16,383 writers wait at once). */
const WAITING = 0x3fff << 17;
/** What holds back a reader: a writer holding the lock, or waiting for it. */
const BLOCKS_READER = WRITER | WAITING;
// STARVING (bit 31, imported from the lock word, where it means the same): a starving writer
// waits; a lock free with it set is reserved for a starving writer (see "Fairness").

/**
 * This thread's part in one lock: its pending async writes (see "This thread's own waiting
 * writer") and the read locks it holds (a hint for its async parks: `localHint`).
 */
interface Own {
  pending: number;
  reads: number;
}

/**
 * This thread's {@link Own} counters, per lock: its SharedArrayBuffer, then its byte offset. Two
 * views of one lock through different buffer objects in one thread (a handle received twice)
 * count apart.
 */
const owns = new WeakMap<SharedArrayBuffer, Map<number, Own>>();

/** The counters of this thread's part in the lock at `handle`. */
function ownOf(handle: Handle): Own {
  let byOffset = owns.get(handle.buffer);
  if (byOffset === undefined) owns.set(handle.buffer, byOffset = new Map());
  let counter = byOffset.get(handle.byteOffset);
  if (counter === undefined) byOffset.set(handle.byteOffset, counter = { pending: 0, reads: 0 });
  return counter;
}

/**
 * Whether an async park on the lock (a reader's on RSEQ, a writer's on WSEQ) most likely waits
 * for this thread (its other async tasks): the `Park.local` hint (futex.ts, "Local parks"; a
 * wrong guess costs the wait until the end of the thread's turn, never a wake). Yes when this
 * thread holds the write lock (OWNER, exact); when the readers holding it are all this
 * thread's (`own.reads`); and, for a reader (`reader`), when the lock is free or read-held by
 * this thread alone and the writers it waits behind are no more than this thread's pending
 * writes (a local write of this thread, counted, with its retry queued; or a write of it
 * waiting for its readers). Measured (2026-12-05, 8 tasks of one thread each writing then
 * reading 25 times, `tests/local_park_test.ts`): waitAsync registrations 438 → 40 (nudges
 * included; the parks still waiting at a turn's end that the self-wake budget forces register).
 * Time, `<rt> bench/probes/selfwake_tasks.ts <before>/mod.ts ./mod.ts --processes 6 --tasks 8
 * --loops 200 --rounds 9 --row "write + read"` (each task writes, then reads), after ÷ before,
 * the trees' order then swapped: Node 0.51 / 0.51, Deno 0.67 / 0.52, Bun 0.27 / 0.22;
 * `readSync()` + release 1.01-1.02 of before (the count; `bench/probes/uncontended.ts`), and
 * `rwlock.tasks-async` (writes only) 0.97-1.04 (two alternated filtered runs a tree).
 */
function localHint(
  i32: Int32Array,
  me: number | undefined,
  own: Own | undefined,
  reader: boolean,
): boolean {
  const state = Atomics.load(i32, STATE);
  // `me` undefined (a reader): this thread's ident only when needed, so that a thread that only
  // reads draws none (a raw worker's would be its own registry's: `ident.ts`).
  if ((state & WRITER) !== 0) return Atomics.load(i32, OWNER) === (me ?? currentIdent());
  if (own === undefined) return false;
  const readers = state & READERS;
  if (readers > own.reads) return false;
  if (!reader) return readers !== 0;
  const writers = (state & WAITING) >>> 17;
  return writers !== 0 && writers <= own.pending;
}

function tooManyReaders(): RangeError {
  return new RangeError(`Cannot lock rwlock for reading: ${READERS} readers hold it already`);
}

/**
 * Takes a read lock unless a bit of `blocks` is set (no writer holds or waits, by default),
 * retrying the CAS while that stays true.
 */
function tryEnterRead(i32: Int32Array, blocks = BLOCKS_READER): boolean {
  let state = Atomics.load(i32, STATE);
  for (;;) {
    if ((state & blocks) !== 0) return false;
    if ((state & READERS) === READERS) throw tooManyReaders();
    const seen = Atomics.compareExchange(i32, STATE, state, state + READER);
    if (seen === state) return true;
    state = seen;
  }
}

/**
 * Takes the write lock if nobody holds it and it is not reserved for a starving writer (barging
 * past waiting writers, as `Lock` does), and records `me` as its owner. `counted`: the caller
 * is counted in `w` (a local write, `waitHere`) and leaves it in the same CAS, as the slow
 * path's take does.
 */
function tryEnterWrite(i32: Int32Array, me: number, counted = false): boolean {
  const uncount = counted ? WAITING_ONE : 0;
  let state = Atomics.load(i32, STATE);
  for (;;) {
    // S: reserved (free) or to be handed off (held); a barger never takes it (see "Fairness").
    if ((state & (WRITER | READERS | STARVING)) !== 0) return false;
    // Counted, we are in `w` until this CAS (or `leaveWaiting`): it does not go below 0.
    const seen = Atomics.compareExchange(i32, STATE, state, (state - uncount) | WRITER);
    if (seen === state) {
      Atomics.store(i32, OWNER, me);
      return true;
    }
    state = seen;
  }
}

/**
 * Wakes one writer, or every writer when `all` (a hand-off: any starving writer that runs may
 * take it, and only a starving one may; see "Fairness"). One is all while async writers are
 * registered (see futex.ts "Woken but absent").
 */
function wakeWriter(i32: Int32Array, all: boolean): void {
  Atomics.add(i32, WSEQ, 1);
  wake(i32, WSEQ, all ? Infinity : 1, WASYNC);
}

/** Whether STATE `state` carries S (a starving writer waits). */
function starved(state: number): boolean {
  return (state & STARVING) !== 0;
}

/** Wakes every sleeping reader. */
function wakeReaders(i32: Int32Array): void {
  Atomics.add(i32, RSEQ, 1);
  wakeAll(i32, RSEQ);
}

/** Releases a read lock: one atomic subtraction; the last reader out wakes a waiting writer. */
function unlockRead(i32: Int32Array): void {
  const state = Atomics.sub(i32, STATE, READER) - READER;
  // No reader can be asleep because of readers: only a writer's turn remains to be started. With
  // S the lock is now reserved for a starving writer (the subtraction kept S): wake them all.
  if ((state & READERS) === 0 && (state & WAITING) !== 0) wakeWriter(i32, starved(state));
}

/** Releases the write lock: one CAS when nobody waits, then wakes a writer or the readers. */
function unlockWrite(i32: Int32Array): void {
  Atomics.store(i32, OWNER, 0);
  // Clear W, keeping S: with S the lock is left free but reserved for a starving writer (the
  // hand-off). Waiting writers may register or set S meanwhile, so CAS from the plain WRITER
  // (the uncontended case: one CAS) and retry from what we saw.
  let state = WRITER;
  for (;;) {
    const seen = Atomics.compareExchange(i32, STATE, state, state & ~WRITER);
    if (seen === state) break;
    state = seen;
  }
  // Writer preference: the next writer goes first; readers only once no writer waits (they
  // counted themselves in RWAIT before their last look at STATE, see the invariant) — except
  // readers that waiting writers do not hold back. A hand-off (S) wakes every writer.
  if ((state & WAITING) !== 0) {
    // This thread's local writes (`waitHere`) are counted in `w` but do not sleep on WSEQ: the
    // release reaches them below. Wake a writer only if `w` counts more than those (with S it
    // does: S is set by a slow-path writer). Fewer counted as local than wait locally (one woken
    // already, its retry queued; one through another buffer object of the lock) only sends a
    // wake nobody needed; the count never exceeds them: each is counted before it parks and
    // leaves the list before it leaves `w`.
    if ((state & WAITING) >>> 17 > localWaitsAt(i32, STATE)) wakeWriter(i32, starved(state));
    if (Atomics.load(i32, RBARGE) !== 0) wakeReaders(i32);
  } else if (Atomics.load(i32, RWAIT) !== 0) wakeReaders(i32);
  // This thread's async writes waiting for it locally (futex.ts, "Local waits"; one load when
  // none waits). After the wakes: the word is free, and a writer woken above competes with them
  // as with any barging writer.
  releasedHere(i32, STATE);
}

/**
 * A waiting writer gives up (timeout, abort, error): leave the count of waiting writers (and, if
 * `starving`, that is, it parked as a starving writer, take S away with us: ours or another
 * starving writer's, who sets it again once woken), and pass on the wake-up a release may have
 * sent it for nothing.
 */
function leaveWaiting(i32: Int32Array, starving: boolean): void {
  let state = Atomics.load(i32, STATE);
  let next: number;
  for (;;) {
    // S goes in the same CAS as our count: S never outlives the starving writers (invariant).
    next = state - WAITING_ONE;
    if (starving) next &= ~STARVING;
    const seen = Atomics.compareExchange(i32, STATE, state, next);
    if (seen === state) break;
    state = seen;
  }
  state = next;
  // The last waiting writer (S is gone with it: the invariant): readers held back only by us may
  // enter now, unless a writer holds it, whose release lets them in.
  if ((state & WAITING) === 0) {
    if ((state & WRITER) === 0 && Atomics.load(i32, RWAIT) !== 0) wakeReaders(i32);
    return;
  }
  // We took S away while others wait: wake them all, so that a starving sleeper sets it again
  // now (or takes the lock, if a hand-off to us made it free) rather than at its next wake-up.
  if (starving) {
    wakeWriter(i32, true);
    return;
  }
  // Other writers wait and nobody holds the lock: the wake-up of its last release may have been
  // sent to us, who leave instead of taking the lock (an abort right after the wake); hand it
  // to the next writer (every writer, while it is reserved for a starving one). A needless wake
  // costs one spurious loop, never a hang. Held: its release wakes whoever is left.
  if ((state & (WRITER | READERS)) === 0) wakeWriter(i32, starved(state));
}

/** Spins up to `spin` reads while a bit of `blocked` is set in STATE and no writer waits. */
function spinWhile(i32: Int32Array, blocked: number, spin: number): void {
  let state = Atomics.load(i32, STATE);
  for (let i = 0; i < spin && (state & blocked) !== 0 && (state & WAITING) === 0; i++) {
    pause();
    state = Atomics.load(i32, STATE);
  }
}

/**
 * The slow path of every read acquire: count ourselves, then enter or sleep on RSEQ. `barge`:
 * only a writer holding the lock holds us back (see "This thread's own waiting writer").
 */
function* readSlow(
  i32: Int32Array,
  deadline: number,
  spin: number,
  barge: boolean,
  own?: Own,
): Parker<boolean> {
  // Spin while a writer holds and nobody waits: a short write section ends before a park would.
  spinWhile(i32, WRITER, spin);
  const blocks = barge ? WRITER : BLOCKS_READER;
  // Count ourselves first (see the invariant): a waker that misses us changed STATE before.
  Atomics.add(i32, RWAIT, 1);
  if (barge) Atomics.add(i32, RBARGE, 1);
  try {
    // No sync spin, as a Lock's acquire (`Park.syncSpin`): 8 workers saturating an RWLock on
    // 2 CPUs, spinning ÷ not, same run (`node bench/fairness.ts --before <copy> --kinds
    // rwlock`): throughput 0.97 and 0.90, longest wait 43 → 61 and 36 → 50 ms.
    const park: Park = {
      i32,
      index: RSEQ,
      expected: 0,
      deadline,
      asyncCount: -1,
      syncSpin: false,
      local: false,
    };
    for (;;) {
      // Read the sequence before STATE, so that a wake after this look is not lost.
      park.expected = Atomics.load(i32, RSEQ);
      if (tryEnterRead(i32, blocks)) return true;
      if (expired(deadline)) return false;
      // Waiting for this thread, most likely (`localHint`; its wake of the readers,
      // `wakeReaders`, reaches a local park). Async reads only (`own`): sync parks ignore it.
      park.local = own !== undefined && localHint(i32, undefined, own, true);
      // "ok": a writer left or released (or spurious) — look again. "not-equal": it happened
      // before we slept — look again. "timed-out": the loop sees the deadline.
      yield park;
    }
  } finally {
    // Runs on success, timeout, error and abort alike: no waiter count leaks.
    if (barge) Atomics.sub(i32, RBARGE, 1);
    Atomics.sub(i32, RWAIT, 1);
  }
}

/** The write fast path: takes a free lock (not one reserved for a starving writer: STATE ≠ 0). */
function takeFree(i32: Int32Array, me: number): boolean {
  if (Atomics.compareExchange(i32, STATE, 0, WRITER) !== 0) return false;
  Atomics.store(i32, OWNER, me);
  return true;
}

/**
 * {@link writeSlow} for the write at the head of this thread's line of async writes (`write`):
 * the line goes on once it has ended, whatever its outcome.
 */
function* writeHeading(
  i32: Int32Array,
  me: number,
  deadline: number,
  line: Line,
  counted: boolean,
  own: Own,
): Parker<boolean> {
  try {
    return yield* writeSlow(i32, me, deadline, SPIN_LIMIT, counted, own);
  } finally {
    line.done();
  }
}

/**
 * Whether this thread holds the write lock and no writer of another thread starves (a local
 * write may wait: `waitHere`). Exact, not a hint: OWNER is set to 0 before W is cleared, so a W
 * set by another thread is never read with this thread's ident.
 */
function writeHeldHere(i32: Int32Array, me: number): boolean {
  return (Atomics.load(i32, STATE) & (WRITER | STARVING)) === WRITER &&
    Atomics.load(i32, OWNER) === me;
}

/** Counts one more waiting writer in `w`, unless `w` is full (the slow path then says so). */
function countWaiting(i32: Int32Array): boolean {
  let state = Atomics.load(i32, STATE);
  for (;;) {
    if ((state & WAITING) === WAITING) return false;
    const seen = Atomics.compareExchange(i32, STATE, state, state + WAITING_ONE);
    if (seen === state) return true;
    state = seen;
  }
}

/**
 * A write of this thread while it holds the write lock, and no writer of another thread starves:
 * it waits for this thread's release with no slow path (`futex.ts`, "Local waits"; `unlockWrite`
 * calls `releasedHere`), counted in `w` meanwhile, as a slow-path writer: from the call on, no
 * new reader enters and the release wakes no reader (writer preference; uncounted, a reader
 * called or woken between the release and the write's retry went first, and a task that wrote,
 * released and then waited to read while holding on made the waiting write time out: found by
 * review). The release wakes a writer only for writers counted besides this thread's local ones.
 * Its take (`tryEnterWrite`, counted) leaves `w` with the CAS that sets W; an abort leaves it
 * (`leaveWaiting`); the slow path it hands over to inherits it. Returns `undefined` when the lock is not write-held here (the
 * caller runs the slow path); counted, it runs the slow path itself if the local credit is out.
 * `line`: the head of the object's line, handed on once the wait has settled.
 */
function waitHere(
  i32: Int32Array,
  me: number,
  deadline: number,
  signal: AbortSignal | undefined,
  own: Own,
  line?: Line,
): Promise<boolean> | undefined {
  if (!writeHeldHere(i32, me) || !countWaiting(i32)) return undefined;
  const slow = () => runAsync(writeSlow(i32, me, deadline, SPIN_LIMIT, true, own), signal);
  const request: LocalWaitRequest = {
    i32,
    index: STATE,
    take: () => tryEnterWrite(i32, me, true),
    heldHere: () => writeHeldHere(i32, me),
    slow,
    deadline,
    signal,
    leave: () => leaveWaiting(i32, false),
  };
  // Waiting locally, it hands the line on once it has settled; the slow path it may hand over to
  // then holds no line of its own (`line.ts`, "Settle order"), as the `Lock`'s.
  if (line !== undefined) request.done = () => line.done();
  const local = waitLocally(request);
  if (local !== undefined) return local;
  return line === undefined
    ? slow()
    : runAsync(writeHeading(i32, me, deadline, line, true, own), signal);
}

/**
 * The slow path of every write acquire: register as a waiting writer, then take it or sleep; once
 * it has waited STARVE_AFTER_MS since it first parked, as a starving writer (see "Fairness").
 */
function* writeSlow(
  i32: Int32Array,
  me: number,
  deadline: number,
  spin: number,
  counted = false,
  own?: Own,
): Parker<boolean> {
  // Spin while it is held and nobody waits yet.
  spinWhile(i32, WRITER | READERS, spin);
  /** Whether we are counted in the waiting writers (`counted`: a local write handed over). */
  let waiting = counted;
  // When we first parked (0: not yet); we starve once STARVE_AFTER_MS has passed since. Only a
  // writer that has parked (so is counted) starves.
  let since = 0;
  // We starve: judged at a wake (below). Our next park announces it, as the lock word's waiter
  // does (`starves` there).
  let starves = false;
  // S on the word may be ours: we parked as a starving writer (setting S, or finding it set) and
  // have not taken the lock since; `finally` takes S away if we leave without it. Only an
  // announced writer does: before, the judgement counted, so a writer that judged it starved at
  // the wake where its deadline passed cleared another starving writer's S as it left and woke
  // every writer (tests/fairness_test.ts, "only at the wake its timeout ends"). One that did
  // announce still takes S along, though the bit is shared and may by then be a later starving
  // writer's: a delay for that writer until the wake-up it is sent, never a lost one.
  let starving = false;
  // We slept and have not yet judged, on this wake, whether we starve (the first turn that finds
  // the lock held, or reserved for a starving writer, judges: a woken writer that finds it free
  // and not reserved takes it without reading the clock).
  let woken = false;
  // No sync spin: see `readSlow`.
  const park: Park = {
    i32,
    index: WSEQ,
    expected: 0,
    deadline,
    asyncCount: WASYNC,
    syncSpin: false,
    local: false,
  };
  try {
    for (;;) {
      // Read the sequence before STATE, so that a wake after this look is not lost.
      const seq = Atomics.load(i32, WSEQ);
      const state = Atomics.load(i32, STATE);
      // Nobody holds it, and it is not reserved for a starving writer unless we are one: take
      // it, leaving the waiting count in the same step; a starving writer clears S in it too
      // (whoever else starves was woken by the release that made it free, and sets S again).
      if ((state & (WRITER | READERS)) === 0 && (starves || !starved(state))) {
        let next = waiting ? state - WAITING_ONE : state;
        if (starves) next &= ~STARVING;
        if (Atomics.compareExchange(i32, STATE, state, next | WRITER) === state) {
          waiting = false;
          starving = false; // our S went with the CAS; an S on the word from now is another's
          Atomics.store(i32, OWNER, me);
          return true;
        }
        continue;
      }
      // Held (or reserved for a starving writer): read the clock once for this turn (the
      // deadline, the starve judgement, and the park's time left, which the driver then measures
      // from it: `Park.clock`), as the lock word's `advance` does. This loop read it up to three
      // times a park (the deadline, the judgement right after the wake, the driver's time left).
      // Measured (2026-12-05, 2 CPUs, load 1.7-2.2; `<rt> bench/probes/selfwake_tasks.ts
      // <before>/mod.ts ./mod.ts --processes 6 --loops 200 --rounds 9 --row RWLock`, 100 tasks of
      // one thread taking turns on the write lock, each acquire with a timeout; median of the
      // paired ratios, after ÷ before, the trees' order then swapped): Node 0.92 / 0.94, Deno
      // 0.89 / 0.86, Bun 0.92 / 0.57 (the swapped Bun run's floor row paired at 0.79: noise).
      const t = now();
      if (woken) {
        woken = false;
        const was = starves;
        starves = t - since >= STARVE_AFTER_MS;
        // Newly starving: look again as a starving writer (a lock reserved for one is ours).
        if (starves && !was) continue;
      }
      // Our time is out: give up (`finally` undoes the registration, and S if we announced).
      if (t >= deadline) return false;
      // Register as a waiting writer: from now on no new reader enters. Then look again.
      if (!waiting) {
        if ((state & WAITING) === WAITING) {
          throw new RangeError("Cannot lock rwlock for writing: 16383 writers wait already");
        }
        waiting = Atomics.compareExchange(i32, STATE, state, state + WAITING_ONE) === state;
        continue;
      }
      // Starving: set S (counted in `w` already: the invariant), so that the release leaves the
      // lock reserved for a starving writer instead of free. A failed CAS: look again. A
      // release between our reads and the CAS would have changed STATE (so the CAS fails), and
      // one after it bumps WSEQ after seeing S (so the park returns at once).
      if (starves && !starved(state)) {
        if (Atomics.compareExchange(i32, STATE, state, state | STARVING) !== state) continue;
      }
      // Announced: S on the word may be ours from here (set now, or found set).
      if (starves) starving = true;
      // Sleep until a release wakes a writer. "ok": woken (or spurious) — look again; we may
      // have been overtaken by a barging writer, whose release will wake us. "not-equal": a
      // wake came before we slept — look again. "timed-out": our deadline (the loop sees it),
      // or, not yet starving, the moment we starve: look again to say so.
      if (since === 0) since = t;
      park.expected = seq;
      park.deadline = starves ? deadline : Math.min(deadline, since + STARVE_AFTER_MS);
      // Our own starve mark, not the caller's deadline: an async park may end up to
      // SOFT_SLACK_MS late, sharing its thread's deadline timer (futex.ts), as the lock word's.
      park.slack = park.deadline < deadline ? SOFT_SLACK_MS : 0;
      // Waiting for this thread, most likely (`localHint`: write-held by it, or read-held by it
      // alone; OWNER is written after WRITER is set, so a stale read only costs the hint, never
      // a wake: a local park is registered at its turn's end).
      park.local = localHint(i32, me, own, false);
      park.clock = t;
      yield park;
      woken = true;
    }
  } finally {
    if (waiting) leaveWaiting(i32, starving);
  }
}

/**
 * A readers-writer lock in shared memory: any number of readers at once, or one writer.
 *
 * - `readSync()` / `read()` return a guard for shared (read) access, `writeSync()` /
 *   `write()` a guard for exclusive (write) access; `tryRead()` / `tryWrite()` take it only if
 *   that needs no wait. Release with `guard.release()` or `using`. On timeout they throw
 *   `TimeoutError`; an aborted `signal` rejects with its reason. Either way the lock is left
 *   exactly as it was.
 * - **Writer-preferring**: once a writer waits, new readers wait behind it, and the readers
 *   inside finish; a stream of readers cannot starve a writer (a stream of writers can starve
 *   readers). Among writers it barges, with a bound: a writer that has waited 1 ms is handed the
 *   lock by the next release, ahead of newcomers, `tryWrite()` and zero-timeout calls. See the
 *   fairness note in the module doc.
 * - **Not re-entrant**, and a read lock cannot be upgraded: a thread (or any async task of it)
 *   that holds the lock and asks for it again in a way that must wait — say a reader asking to
 *   write — waits for itself. A `*Sync` call of the thread that holds the write lock would block
 *   that thread for ever, so it throws an `Error` at once instead.
 * - Sync and async calls may mix on one thread: a `readSync()` of a thread whose own `write()`
 *   is pending is not held back by waiting writers, since blocking the thread would stop that
 *   writer (see the module doc).
 * - At most 65,535 readers hold it at once and 16,383 writers wait at once; beyond that the call
 *   throws `RangeError`.
 * - No owner-death recovery: a thread that ends while holding a guard leaves the lock held.
 * - Spurious wake-ups never surface.
 *
 * Happens-before: releasing the write lock synchronizes before every later acquire, read or
 * write; releasing a read lock synchronizes before the next write acquire.
 *
 * Sharing: post `rwlock.handle` to another thread and rebuild it there with
 * `RWLock.from(handle)`; threadkit `Thread` arguments are revived automatically.
 *
 * @example Many readers, one writer
 * ```ts
 * import { RWLock } from "@threadkit/threadkit";
 * import assert from "node:assert/strict";
 *
 * const rw = new RWLock();
 * {
 *   using _a = rw.readSync();
 *   using _b = await rw.read({ timeout: 100 });
 *   assert.equal(rw.readers, 2);
 *   assert.equal(rw.tryWrite(), undefined); // readers inside
 * }
 * using _w = rw.writeSync({ timeout: 100 });
 * assert.equal(rw.writeLocked, true);
 * assert.equal(rw.tryRead(), undefined);
 * ```
 */
export class RWLock {
  static {
    brand(this, "RWLock");
  }
  /** Bytes an `RWLock` takes inside a caller's buffer (see {@link PlacementOptions}). */
  static readonly byteLength: number = BYTES;

  /** A structured-clone-safe description; `RWLock.from(handle)` rebuilds it. */
  readonly handle: Handle;
  readonly #i32: Int32Array;
  /** Releases a read lock of this thread (`#own.reads` first). */
  readonly #releaseRead: () => void;
  readonly #releaseWrite: () => void;
  /** This thread's part in this lock: its pending async writes and the reads it holds. */
  readonly #own: Own;
  /** This thread's async writes through this object that wait, in call order (`line.ts`). */
  #line: Line | undefined = undefined;

  /**
   * Creates an unlocked readers-writer lock, in a new SharedArrayBuffer or at `byteOffset` in
   * `buffer`.
   *
   * @throws {TypeError} `buffer` is not a SharedArrayBuffer.
   * @throws {RangeError} `byteOffset` is negative, not a multiple of 4, or leaves no room.
   */
  constructor(options?: PlacementOptions) {
    this.handle = placeOrOpen("RWLock", BYTES, options);
    const i32 = slots(this.handle, SLOTS);
    this.#i32 = i32;
    const own = ownOf(this.handle);
    this.#releaseRead = () => {
      own.reads--;
      unlockRead(i32);
    };
    this.#releaseWrite = () => unlockWrite(i32);
    this.#own = own;
  }

  /**
   * Rebuilds a readers-writer lock from its `handle`, in any thread.
   *
   * @throws {TypeError} `handle` is not the handle of an `RWLock`.
   */
  static from(handle: Handle): RWLock {
    return new RWLock(opening(open(handle, "RWLock", BYTES)));
  }

  /** How many read locks are held now (a snapshot). */
  get readers(): number {
    return Atomics.load(this.#i32, STATE) & READERS;
  }

  /** Whether some thread holds the write lock (a snapshot). */
  get writeLocked(): boolean {
    return (Atomics.load(this.#i32, STATE) & WRITER) !== 0;
  }

  /**
   * Takes a read lock if no writer holds or waits for it, without waiting.
   *
   * @returns A guard that releases the read lock, or `undefined`.
   * @throws {RangeError} 65,535 readers hold it already.
   */
  tryRead(): Guard | undefined {
    return tryEnterRead(this.#i32) ? this.#readGuard() : undefined;
  }

  /**
   * Takes the write lock if nobody holds it, without waiting. A lock just released to a
   * writer that has waited past the fairness bound is reserved for it: not taken here.
   *
   * @returns A guard that releases the write lock, or `undefined`.
   */
  tryWrite(): Guard | undefined {
    return tryEnterWrite(this.#i32, currentIdent()) ? new Guard(this.#releaseWrite) : undefined;
  }

  /**
   * Blocks until this thread holds a read lock, and returns a guard that releases it, for
   * `using guard = rwlock.readSync()`.
   *
   * @param options `timeout` in ms (`0` tries once; default `Infinity`).
   * @throws {TimeoutError} `timeout` ran out; the message says who holds or waits for the lock.
   * @throws {Error} This thread holds the write lock (the wait could never end).
   * @throws {TypeError} Blocking is not allowed on this thread; bad options.
   * @throws {RangeError} `timeout` is negative or `NaN`; 65,535 readers hold it already.
   */
  readSync(options?: SyncWaitOptions): Guard {
    const timeout = syncEntry(options, READ, "rwlock.read()");
    const i32 = this.#i32;
    // Fast path: no writer holds or waits.
    let acquired = tryEnterRead(i32);
    if (!acquired) {
      // Waiting writers do not hold back a thread whose own write() waits (see the module doc).
      const barge = this.#own.pending !== 0;
      if (timeout === 0) acquired = barge && tryEnterRead(i32, WRITER);
      else {
        this.#refuseSelfDeadlock(READ);
        acquired = runSync(readSlow(i32, deadlineAfter(timeout), SPIN_LIMIT, barge));
      }
    }
    if (acquired) return this.#readGuard();
    return guardOrThrow(false, this.#releaseRead, () => this.#timedOut(READ, timeout));
  }

  /** A guard of a read lock just taken by this thread, counted in `#own.reads`. */
  #readGuard(): Guard {
    this.#own.reads++;
    return new Guard(this.#releaseRead);
  }

  /**
   * Waits, without blocking the thread, until it holds a read lock, `timeout` runs out or
   * `signal` aborts (an aborted wait leaves the lock as it was).
   *
   * @param options `timeout` in ms (default `Infinity`), `signal` to abort the wait.
   * @returns A promise of a guard that releases the read lock.
   * @throws {TimeoutError} (rejects) `timeout` ran out.
   * @throws {TypeError|RangeError} (rejects) Bad options; 65,535 readers hold it already.
   */
  read(options?: WaitOptions): Promise<Guard> {
    // Bad options reject; so does an aborted signal, even when the lock is free (as Web Locks do).
    const entry = asyncEntry(options, READ);
    if (entry instanceof Promise) return entry;
    const timeout = timeoutIn(entry);
    const signal = signalIn(entry);
    try {
      // Fast path: no writer holds or waits (throws past 65,535 readers).
      if (tryEnterRead(this.#i32)) return Promise.resolve(this.#readGuard());
    } catch (error) {
      return Promise.reject(error);
    }
    if (timeout === 0) return this.#settle(Promise.resolve(false), this.#releaseRead, READ, 0);
    const slow = readSlow(this.#i32, deadlineAfter(timeout), SPIN_LIMIT, false, this.#own);
    return runAsync(slow, signal).then((ok) =>
      ok
        ? this.#readGuard()
        : guardOrThrow(false, this.#releaseRead, () => this.#timedOut(READ, timeout))
    );
  }

  /**
   * Blocks until this thread holds the write lock, and returns a guard that releases it, for
   * `using guard = rwlock.writeSync()`.
   *
   * @param options `timeout` in ms (`0` tries once; default `Infinity`).
   * @throws {TimeoutError} `timeout` ran out; the lock is left as it was.
   * @throws {Error} This thread holds the write lock already (the wait could never end).
   * @throws {TypeError} Blocking is not allowed on this thread; bad options.
   * @throws {RangeError} `timeout` is negative or `NaN`; 16,383 writers wait already.
   */
  writeSync(options?: SyncWaitOptions): Guard {
    const timeout = syncEntry(options, WRITE, "rwlock.write()");
    const i32 = this.#i32;
    const me = currentIdent();
    // Fast path: grab a free lock.
    let acquired = takeFree(i32, me);
    if (!acquired && timeout === 0) acquired = tryEnterWrite(i32, me);
    else if (!acquired) {
      this.#refuseSelfDeadlock(WRITE);
      acquired = runSync(writeSlow(i32, me, deadlineAfter(timeout), SPIN_LIMIT));
    }
    return guardOrThrow(acquired, this.#releaseWrite, () => this.#timedOut(WRITE, timeout));
  }

  /**
   * Waits, without blocking the thread, until it holds the write lock, `timeout` runs out or
   * `signal` aborts (an aborted wait leaves the lock as it was: no waiting writer is left
   * counted, and readers it held back are let in).
   *
   * A thread's async writes through this object that wait are served in the order they were
   * called, one wait serving them all (`internal/line.ts`); a later call of the same thread waits
   * behind them even when the lock is free. `writeSync`, `tryWrite` and a zero timeout do not
   * wait and go ahead. While this thread holds the write lock (and no writer of another thread
   * starves), the waiting call waits for its release with no `waitAsync` and no slow path,
   * counted as a waiting writer all the same (readers stay behind it), and a release by another
   * async task of the thread reaches it in a microtask (`futex.ts`, "Local waits"); a release by
   * another thread, at the end of the thread's turn.
   * Before, each waiting write parked its own wait and every
   * release woke them all: 100 tasks of one thread taking the write lock 10 times each took 136 →
   * 11.0 µs a hand-off on Node, 163 → 14.5 on Bun, 81 → 7.6 on Deno (`<rt>
   * bench/probes/selfwake_tasks.ts <before>/mod.ts ./mod.ts --tasks 100 --loops 10 --rounds 7`,
   * medians, same runs, 2026-12-04, load ~4; a `Lock` 8.6, 15.8 and 10.7 µs there).
   *
   * @param options `timeout` in ms (default `Infinity`), `signal` to abort the wait.
   * @returns A promise of a guard that releases the write lock.
   * @throws {TimeoutError} (rejects) `timeout` ran out.
   * @throws {TypeError|RangeError} (rejects) Bad options; 16,383 writers wait already.
   */
  write(options?: WaitOptions): Promise<Guard> {
    const entry = asyncEntry(options, WRITE);
    if (entry instanceof Promise) return entry;
    const timeout = timeoutIn(entry);
    const signal = signalIn(entry);
    const i32 = this.#i32;
    const me = currentIdent();
    // Fast path: grab a free lock, unless this thread's earlier writes wait in line for it.
    const line = this.#line;
    const lineFree = line === undefined || !line.busy;
    if (lineFree && takeFree(i32, me)) return Promise.resolve(new Guard(this.#releaseWrite));
    // A zero timeout only tries (it never parks): no line.
    if (timeout === 0) {
      return this.#settle(Promise.resolve(tryEnterWrite(i32, me)), this.#releaseWrite, WRITE, 0);
    }
    // Count this pending write for this thread's sync reads (see the module doc) until it ends;
    // one waiting in line too: the write at its head holds back the readers it would wait for.
    const own = this.#own;
    own.pending++;
    // Write-held by this thread (another task of it, most likely) and no writer of another thread
    // starving: the write waits for this thread's release with no slow path (`waitHere`), unless
    // the local credit is out. Measured (2026-12-05, 2 CPUs, load 1.4-1.8; `node bench/run.ts
    // --no-reference --no-redis --no-struct --filter
    // rwlock.tasks-async,lock.tasks-async,peer.async-mutex.tasks-async`, the tree before and this
    // one alternated, three runs each): `rwlock.tasks-async` (16 tasks of one thread taking turns
    // on the write lock) ÷ async-mutex, medians, 1.19 / 1.25 / 1.89× → 0.87 / 0.85 / 1.40× (Node /
    // Deno / Bun; `lock.tasks-async` 0.99-1.03 of before in the same runs), uncounted in `w`;
    // counted (`waitHere`, writer preference), 1.02 / 1.04 / 1.07 of that in three more
    // alternated runs (0.87 / 0.83 / 1.43× async-mutex; `lock.tasks-async`, unchanged code, 1.01 /
    // 1.01 / 1.08 there); `writeSync()` + the guard's release, `<rt> bench/probes/uncontended.ts
    // <before>/mod.ts ./mod.ts`, 1.00-1.01× of before (one more load in `unlockWrite`).
    let acquired: Promise<boolean>;
    if (lineFree) {
      // The first write of this thread to wait: it holds the line until its wait ends.
      const held = this.#line ??= new Line();
      held.hold();
      const deadline = deadlineAfter(timeout);
      acquired = waitHere(i32, me, deadline, signal, own, held) ??
        runAsync(writeHeading(i32, me, deadline, held, false, own), signal);
    } else {
      acquired = acquireBehind(
        line,
        timeout,
        signal,
        () => takeFree(i32, me),
        (deadline) =>
          waitHere(i32, me, deadline, signal, own) ??
            runAsync(writeSlow(i32, me, deadline, SPIN_LIMIT, false, own), signal),
      );
    }
    // One reaction ends the pending count and makes the guard: a `then` for each (as before)
    // made every waiting write settle a microtask later, with one more promise. Measured
    // (2026-12-05, load 1.2-1.4, three alternated filtered runs as for local waits above):
    // `rwlock.tasks-async` ÷ async-mutex 0.92 / 0.96 / 0.98 of before (Node / Deno / Bun).
    return acquired.then(
      (ok) => {
        own.pending--;
        return guardOrThrow(ok, this.#releaseWrite, () => this.#timedOut(WRITE, timeout));
      },
      (error: unknown) => {
        own.pending--;
        throw error;
      },
    );
  }

  /** Turns an async acquire's outcome into a guard or a `TimeoutError`. */
  #settle(
    acquired: Promise<boolean>,
    release: () => void,
    what: string,
    timeout: number,
  ): Promise<Guard> {
    return acquired.then((ok) => guardOrThrow(ok, release, () => this.#timedOut(what, timeout)));
  }

  /** A `*Sync` wait of the thread holding the write lock could never end: refuse it. */
  #refuseSelfDeadlock(what: string): void {
    if (Atomics.load(this.#i32, OWNER) === currentIdent()) {
      throw new Error(
        `Cannot ${what}: this thread holds it for writing, so the wait could never end (RWLock is not re-entrant)`,
      );
    }
  }

  #timedOut(what: string, timeout: number): string {
    const named = what.replace("rwlock", label("rwlock", this.handle));
    return `Cannot ${named}: timed out after ${ms(timeout)}; ${describeState(this.#i32)}`;
  }

  /**
   * Who holds the lock, how many wait, and its name: a snapshot for logs and debuggers.
   *
   * @returns `holders`: the writer, when one holds it (readers are anonymous); `value`: how many
   *   readers hold it; `waiters`: waiting writers and readers.
   * @example
   * ```ts
   * import { RWLock } from "@threadkit/threadkit";
   * import assert from "node:assert/strict";
   *
   * const rw = new RWLock({ name: "config" });
   * using _r = rw.readSync();
   * assert.equal(rw.describe().value, 1);
   * assert.equal(rw.describe().text, 'rwlock "config": not held by a known thread, 1 reader');
   * ```
   */
  describe(): Description {
    const i32 = this.#i32;
    const state = Atomics.load(i32, STATE);
    const writer = (state & WRITER) !== 0 ? Atomics.load(i32, OWNER) : 0;
    const readers = state & READERS;
    // This thread's writes waiting in line behind its first are not counted on the word yet (its
    // local writes are: `waitHere`).
    const waiters = ((state & WAITING) >>> 17) + Atomics.load(i32, RWAIT) +
      (this.#line?.waiting ?? 0);
    const text = `${readers} reader${readers === 1 ? "" : "s"}`;
    return description("RWLock", "rwlock", this.handle, holderOf(writer), waiters, readers, text);
  }
}

/** The `what` of read-acquire messages. */
const READ = "lock rwlock for reading";
/** The `what` of write-acquire messages. */
const WRITE = "lock rwlock for writing";

/** Who holds or waits for the lock, for messages (a snapshot). */
function describeState(i32: Int32Array): string {
  const state = Atomics.load(i32, STATE);
  const readers = state & READERS;
  const waiting = (state & WAITING) >>> 17;
  let held: string;
  if ((state & WRITER) !== 0) {
    const owner = Atomics.load(i32, OWNER);
    held = `held for writing by ${owner === 0 ? "a thread" : describeThread(owner)}`;
  } else if (readers !== 0) {
    held = `held by ${readers} reader${readers === 1 ? "" : "s"}`;
  } else if ((state & STARVING) !== 0) {
    held = "it is free now but reserved for a starving writer";
  } else {
    held = "it is free now";
  }
  return waiting === 0 ? held : `${held}, ${waiting} writer${waiting === 1 ? "" : "s"} waiting`;
}
