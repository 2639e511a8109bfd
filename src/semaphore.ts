/**
 * `Semaphore` and `BoundedSemaphore`: counting semaphores in shared memory, as Python's.
 *
 * Layout: Int32Array, 4-byte slots, byteOffset % 4 === 0
 * | slot | name    | meaning                                                        |
 * | 0    | VALUE   | `permits << 1 \| WAITING`: permits available to anyone, 0..2^30-1; |
 * |      |         | WAITING: someone may be in the slow path (see "The waiting bit") |
 * | 1    | WAITERS | threads/tasks inside the slow path (sync and async)            |
 * | 2    | ASYNC   | async waiters registered on VALUE (counted by the futex layer)  |
 * | 3    | BOUND   | BoundedSemaphore: the initial value, the ceiling; -1 otherwise  |
 * | 4    | STARVE  | `starving << 16 \| handed`: the hand-off word (see "Fairness")  |
 * | 5    | SASYNC  | async waiters registered on STARVE (counted by the futex layer) |
 * | 6    | CLAIMED | bit k set: holder entry k is claimed (see "Owner death"); 0 while no |
 * |      |         | thread ever asked for a guard, and then `reclaim` reads nothing else |
 * | 7+2k | HOLDER  | k < HOLDER_ENTRIES: ident of a thread permits are attributed to, 0 free, |
 * |      |         | -1 while a waiter takes an ended thread's permits back (`reclaim`) |
 * | 8+2k | HELD    | permits attributed to that thread                               |
 * Invariant (CLAIMED): HELD of entry k is above 0 only while bit k of CLAIMED is set. A claimer
 * sets the bit after winning the entry's HOLDER and before its thread can attribute a permit
 * there; only a reclaimer clears it, after emptying HELD and before freeing the entry, while
 * HOLDER is RECLAIMING (nobody claims the entry or writes its HELD then).
 * Invariant (VALUE): a waiter is counted in WAITERS, and has set WAITING, before it reads VALUE
 * for the last time before sleeping; whoever raises VALUE either sees WAITING in the word it
 * raised (the release fast path: its CAS) or reads WAITERS after (every other raise); so either
 * the waiter sees the new permits or the raiser sees the waiter and wakes it. Waiters sleep on
 * VALUE only while it is WAITING with no permit. (A local wait, an async acquire waiting for a
 * release of its own thread, is not a waiter here: it is neither counted nor sets WAITING, and
 * every release of its thread looks for it, `release` → `releasedHere`; a raise by another thread
 * reaches it at the end of its thread's turn, where it becomes a waiter: `futex.ts`, "Local
 * waits".)
 *
 * ## The waiting bit
 * WAITING lets the common release be one CAS and nothing else (issue 9): a CAS that raised a
 * word without WAITING has nobody to wake. Every waiter sets it (`Atomics.or`) at the top of
 * each turn of its slow path, before its looks at STARVE and VALUE, and sleeps on VALUE only
 * while the word is WAITING with no permit, so it never sleeps there without the bit. Takes and
 * raises keep the bit (they move the permits above it). Only the *last* waiter out of the slow
 * path clears it (the one whose decrement took WAITERS to 0: `lastOut`), then reads WAITERS:
 * - 0: done. A waiter counted after that read sets WAITING after the clear. (Aborted async
 *   waits still registered on VALUE get a wake, the only thing that settles them: futex.ts.)
 * - not 0: a waiter came in between the decrement and the clear. Its `or` changed nothing, and
 *   it may sleep on VALUE (on the word the clear changed under it) or, starving, on STARVE (a
 *   word the clear does not change), while a release after the clear took the fast path: no
 *   wake, no hand-off. So the leaver sets WAITING again and then does what such a release
 *   skipped, for any number of permits (`raised`): hands permits in VALUE to starving waiters
 *   that lack one, which changes STARVE under whoever is about to sleep there, and wakes every
 *   sleeper on VALUE. If WAITERS is 0 again by then, the newcomers' last one may have cleared
 *   before the leaver set the bit again, so the leaver looks again: the bit is never left set
 *   with nobody to clear it.
 * (A first version only woke every sleeper on VALUE and STARVE there: models/semaphore.pml found
 * a starving newcomer that went to sleep on STARVE after that wake, beside a permit a fast
 * release had put in VALUE; mutant MUTANT_LEAVER_ONLY_WAKES.) A leaver that dies between its
 * clear and setting the bit again can leave a sleeper behind fast releases: one on VALUE gets up
 * at its liveness poll (`OWNER_POLL_MS`) or starve timer and sets the bit again, one on STARVE at
 * its deadline or the next hand-off; the same class of loss as a thread dying mid-release (the
 * permits in flight).
 * A release that finds WAITING set takes the general path, which wakes only when WAITERS or
 * ASYNC say someone is there; WAITING outlives the last waiter only until its `lastOut`.
 *
 * State table of STARVE (`s` starving waiters, `h` permits handed to them and not yet taken):
 * | s, h       | meaning                                     | who moves it on                    |
 * | 0, 0       | nobody starves (the word every fast path wants) | a waiter past the threshold: s+1 |
 * | s > h      | s - h starving waiters lack a permit        | a release: h+k instead of VALUE+k; a starving waiter leaving: s-1 |
 * | s = h > 0  | every starving waiter has one reserved      | a starving waiter takes one: s-1, h-1 |
 * Invariants (STARVE): h ≤ s always (a starving waiter that leaves when h = s takes one handed
 * permit back to VALUE in the same CAS that uncounts it, so no handed permit is ever left to
 * nobody); only a waiter counted in `s` takes a handed permit, and its CAS uncounts it too. A
 * starving waiter counts itself in `s` before its last look at VALUE, and whoever raises VALUE
 * reads STARVE after (when someone waits): either the waiter sees the permit, or the raiser sees
 * `s > h` and moves a permit from VALUE to `h` (which changes the word the waiter sleeps on).
 * Starving waiters sleep on STARVE, the others on VALUE.
 *
 * ## Fairness
 * The semaphore has the lock word's two modes (see "Fairness" in `internal/lock_word.ts`).
 *
 * *Barging* (normal): a release raises VALUE and wakes sleepers; whoever gets there first takes
 * the permit, the running thread usually, which keeps a busy semaphore from convoying.
 *
 * *Hand-off* (starvation): a waiter that has waited {@link STARVE_AFTER_MS} or longer since it
 * first parked is *starving*: it counts itself in STARVE and sleeps there. A release that finds
 * starving waiters without a permit does not raise VALUE for them: it adds the permits to
 * STARVE's `h` (reserved) and wakes the starving sleepers. No fast path, `tryAcquire`, zero
 * timeout or waiter that is not starving takes a reserved permit; any starving waiter that runs
 * does (not a named one, as for the lock word: one that cannot run does not stall the
 * hand-off). A starving waiter that leaves without one (timeout, abort, error, or it found a
 * permit in VALUE or a dead holder's) uncounts itself, returning an excess reserved permit to
 * VALUE. So the mode lasts exactly while somebody starves. What is bounded is barging: once a
 * waiter starves, no barger takes a permit it lacks; among starving waiters the hand-offs go to
 * whichever runs, not in arrival order (as for the lock word). A starving waiter that takes a
 * permit handed for another's lack looks at VALUE for that other (`rescue`), since it skipped
 * the look its count promised (see the STARVE invariant).
 *
 * *When a waiter knows it starves* (as on the lock word). A waiter judges whether it starves each
 * time it wakes. On VALUE it sleeps with a timer at its starve mark only while somebody starves
 * or another waiter is in the slow path (STARVE not 0, or WAITERS above 1, at its look just
 * before it parks); alone, until its deadline or its next liveness poll (`OWNER_POLL_MS`, 100
 * ms): a release that raises VALUE wakes it (WAITING is set), and it judges then. The
 * timer is for what no wake on VALUE announces: permits handed to starving waiters that cannot
 * take them (a dead one; an async one whose thread is blocked, maybe in this very wait) stay in
 * STARVE's `h`, and a waiter that starves in turn takes them; under contention it keeps the bound
 * on barging as it was. A waiter that starves first (`s` 0 → 1) wakes the first sleeper on
 * VALUE, the one parked alone without the timer if any, so that it does not sleep through the
 * hand-off mode (`starve`). If a starving waiter that it did not see dies or blocks, the
 * sleeper's poll bounds the stall to `OWNER_POLL_MS` (`tests/fairness_test.ts`, "a sync/async
 * sleeper that parked while nobody starved"). Why: an `Atomics.wait` whose timeout is 1 ms away
 * costs the thread ~3-4 µs of CPU more than one with a far timeout (the kernel arms and cancels
 * a timer that is then the CPU's next event; this machine is a VM), and every ping-pong wait paid
 * it: a ping-pong's waiter is alone on its semaphore. Measured with
 * `bench/probes/semaphore_pingpong.ts /tmp/before/mod.ts ./mod.ts` (before = main `015a8bd`; the
 * copies, Lock and the raw floor rotating batch by batch in one run; 2 CPUs, load 2-4), median
 * batch ÷ floor, before → after: Node 1.24 → 1.08, 1.26 → 1.08 (Lock 0.97, 1.01); Deno 1.14 →
 * 1.06 (Lock 1.03); Bun 1.22 → 1.04 (Lock 1.01); after ÷ before 0.85-0.93. CPU per round trip
 * and worker (schedstat), before → after: Node 16.7 → 14.0 µs and 15.6 → 12.4 (floor 11.8, 11.5;
 * Lock 11.8, 11.4), Deno 15.9 → 13.2 (floor 12.3, Lock 12.7), Bun 18.3 → 14.4 (floor 12.8, Lock
 * 14.3). Each worker does one wait and one notify per round trip, before and after, as in the
 * floor and Lock (`--count`). Fairness, `node bench/fairness.ts --before /tmp/before/mod.ts
 * --kinds semaphore --rounds 4` (8 workers, Semaphore(1)), two runs: throughput 1.00×, 0.99×
 * before's; p99 wait 0.365, 0.366 ms against 0.345, 0.349; p99.9 3.01, 3.10 against 3.25, 3.24;
 * longest wait per round 16.5-22.6, 14.0-34.3 ms against 13.5-22.0, 14.4-28.2 (OS stalls up to
 * 8.5 ms). (Without the timer under contention and without the wake in `starve`, one run had a
 * 100 ms wait: a sleeper without the timer slept through a hand-off mode until its poll.)
 *
 * As for the lock word, an async waiter's starve mark may be noticed up to `SOFT_SLACK_MS` late
 * (its thread's deadline timer is shared; see `futex.ts`).
 *
 * The release fast path does not look at STARVE: it runs only when its CAS finds no WAITING, and
 * a starving waiter is in the slow path, so it set WAITING before its last look at VALUE (the
 * STARVE invariant holds through the VALUE one), except in a last leaver's window between its
 * clear and setting the bit again (see "The waiting bit"): a permit released there goes to
 * VALUE, and the leaver's `raised` then hands it to a starving waiter that lacks one, unless a
 * barger took it first (fairness may slip once there; no permit or wake is lost). The acquire
 * fast paths are unchanged. Handed permits are not in VALUE: `value` and the ceiling check of
 * `BoundedSemaphore` do not count them, so an over-release made while a permit is reserved may
 * pass unnoticed by that many (never a false `RangeError`).
 *
 * ## Owner death
 * Permits are not owned (any thread may release), and a permit taken by `acquire` may be a
 * consumed signal rather than a held resource, so only permits taken by `hold()`/`holdSync()`
 * (whose guard says "I hold this") are *attributed* to the thread that took them, until that
 * thread releases (a release by a thread that holds none changes no attribution). Each thread
 * claims one HOLDER entry when it first asks for a guard; HELD is written only by its thread
 * (and, once the runtime layer has marked that thread ended, by the one waiter that reclaims it,
 * after winning the entry's HOLDER word: see `reclaim`). The attribution is made in the same
 * synchronous step as the take (the slow path does it, not a later reaction of the async
 * promise: issue 10), so a thread can end
 * holding an unattributed permit only if `terminate()` stops it between those two adjacent
 * atomic operations. A thread releases its attribution before it raises VALUE, so a thread that
 * dies mid-release loses at most the permits in flight, never invents one. (So does a waiter
 * that dies between taking a dead holder's permits in `reclaim` and attributing or returning
 * them, and one that dies holding a permit `rescue` or `unstarve` moves.)
 *
 * These windows are not closable: the permit count and the attribution are two words, and no
 * order of two single-word steps makes a death between them recoverable. Attributing first (a
 * claim in HELD, then the take's CAS) leaves a dead claimer's HELD counting a permit its CAS may
 * or may not have taken, the two states look alike to `reclaim`, and giving the permit back
 * would then invent one where none was taken (more holders than permits: mutual exclusion over
 * n resources lost, a `BoundedSemaphore` past its bound); the same holds for a release that
 * raised VALUE before dropping its attribution. A marker beside HELD leaves the same two states
 * alike. The order here makes the rare outcome one permit fewer, never one too many. Seen
 * (issue 9, F5): the random-kill suite on Bun (`THREADKIT_FAULTS_ONLY=semaphore
 * THREADKIT_FAULTS_SEED=2129043741 bun tests/faults/run_full.ts`, 2026-12-01) lost a permit in 3
 * of ~800 trials, its victim killed inside `release()` twice and inside `hold()` once (there the
 * dead holder's entry had been reclaimed and the killed waiter's HELD was 0: a reclaim window,
 * by the look of it); with every atomic step of a scratch copy traced, 8 of the 9 losses in
 * ~2400 trials were kills between the HELD subtraction and the raise of VALUE (or the hand-off's
 * CAS), the ninth between the fast path's take in `#acquire` and its attribution (`#took`).
 * Its oracle allows one missing permit per worker killed inside a `hold()` or `release()` call
 * and none otherwise (`lostPermits` in `tests/faults/suite.ts`); Deno stops a worker only
 * between tasks, never inside these calls.
 *
 * Waiters poll the
 * liveness of watched holders every `OWNER_POLL_MS`; the first to see ended holders with
 * HELD > 0 takes all of their permits in one pass: it keeps one and returns the rest to VALUE,
 * and its `OwnerDiedError` names every holder it took permits from, with how many
 * (`ownerIdent` is the first). With all HOLDER_ENTRIES claimed by live threads, later threads'
 * permits go unattributed (no recovery for them).
 *
 * Every turn of a slow acquire looks for dead holders, so that look must cost nothing when no
 * guard was ever used (issue 9: it read all 32 HELD slots, ~23 loads per ping-pong round trip).
 * CLAIMED has one bit per claimed entry; `reclaim` reads it and visits only those entries, none
 * at all while it is 0. Why a set bit is never missing where permits can be lost (the CLAIMED
 * invariant): HELD rises only by its own thread's take, after `claimEntry` returned that entry,
 * and `claimEntry` sets the bit (`Atomics.or`, idempotent) after winning HOLDER and before it
 * returns, so the bit is set before the first permit is attributed and stays set while the
 * thread lives (nobody else takes a live thread's entry: a reclaim or a reuse needs it ended).
 * The bit is cleared only in `reclaim`, by the one waiter that won HOLDER (ended ident →
 * RECLAIMING), after it exchanged HELD to 0 and before it stores 0: while HOLDER is RECLAIMING
 * no claimer can win the entry, so a clear never hits the bit of a newer claim; once HOLDER is 0
 * a new claimer sets the bit again itself. A thread that ends between winning HOLDER and its
 * `or` holds nothing there (HELD was 0 when it won), and whoever reuses the entry sets the bit.
 * A reclaimer that dies between its clear and its store leaves the entry RECLAIMING with HELD 0
 * (lost to reuse, as before: nothing more). Entries of threads that ended holding nothing stay
 * claimed until reused, and cost one load of HELD per turn each.
 *
 * ## Uncontended cost (issue 9)
 * `acquireSync()` is one CAS on a guessed VALUE (`#guess`, the word this object last saw), and
 * `release()` of one permit by a thread with no holder entry is one CAS likewise and nothing
 * else: no read of WAITERS, ASYNC or STARVE (the waiting bit says whether to wake), but for one
 * load of a module variable since 2026-12-05 (whether any local wait of the thread is parked:
 * `futex.ts`, "Local waits"). Owner
 * tracking costs that pair nothing (no owner record written; `#fastCeiling` folds "has a holder
 * entry" into the ceiling test). `holdSync()` + the guard's release: 77-78 ns vs 24 ns (Node,
 * scratch probe, same run): +29 ns is the general release path (a thread with a holder entry
 * takes it: BOUND, HELD, STARVE, VALUE, WAITERS, ASYNC), +24 ns the owner writes, guard and plain
 * take together; the owner writes do not dominate. Fast path, same run, before = main `1f3eebd`:
 * `nice npx <rt> bench/probes/uncontended.ts /tmp/semrelbefore/mod.ts ./mod.ts` (fastest of 300
 * batches, load 17-30), `acquireSync()+release()` ÷ the CAS+store floor, before → after, 3 runs:
 * Node 1.88/2.11/2.08× → 1.45/1.51/1.51× (Lock 1.28-1.36×), Deno 2.02/2.07/2.06× →
 * 1.48/1.45/1.45× (Lock 1.16-1.38×), Bun 3.33/3.55/3.45× → 1.83/1.83/1.99× (Lock 1.78-2.05×: this
 * probe's Bun floor is low; the sem is within 1 ns of Lock). Bench harness, `bench/runtime.ts
 * --mode full --filter semaphore.sync,rlock.sync,lock.sync,floor.cas`, 4 runs, median (min) of 11
 * ÷ floor.cas-store: Node 1.29/2.57/1.34/1.45× (min 1.20-1.26×; the 2.57 run had Lock at 2.49×),
 * Deno 1.81/1.68/1.57/1.57× (min 1.26-1.33×), Bun 1.12/1.29/1.13/1.11× (min 1.11-1.24×); main's
 * tree just before, each run: Node 3.78-4.53×, Deno 3.03-4.82×, Bun 2.80-7.94×.
 *
 * @module
 */

import { OwnerDiedError } from "./errors.ts";
import {
  deadlineAfter,
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
} from "./internal/futex.ts";
import { type Guard, guardOrThrow } from "./internal/guard.ts";
import { currentIdent, describeThread, LIFE_ALIVE, LIFE_ENDED, lifeOf } from "./internal/ident.ts";
import { openedHandle, opening, placeOrOpen } from "./internal/construct.ts";
import { asyncEntry, signalIn, syncEntry, timeoutIn } from "./internal/entry.ts";
import { type Handle, open, type PlacementOptions, slots } from "./internal/layout.ts";
import { parkUntil, STARVE_AFTER_MS } from "./internal/lock_word.ts";
import {
  type Description,
  description,
  type Holder,
  holderOf,
  label,
} from "./internal/diagnostics.ts";
import { ms, type SyncWaitOptions, type WaitOptions } from "./internal/options.ts";
import { brand } from "./internal/brand.ts";
import { acquireBehind, Line } from "./internal/line.ts";

/** Slot of the permit count and the waiting bit: `permits << 1 | WAITING`. */
const VALUE = 0;
/** VALUE's bit "someone may be in the slow path" (see "The waiting bit"). */
const WAITING = 1;
/** One permit in VALUE. */
const PERMIT = 2;
/** Slot of the slow-path waiter count. */
const WAITERS = 1;
/** Slot of the registered async waiter count. */
const ASYNC = 2;
/** Slot of the ceiling (bounded only). */
const BOUND = 3;
/** Slot of the hand-off word: `starving << 16 | handed` (see "Fairness"). */
const STARVE = 4;
/** Slot of the async waiters registered on STARVE. */
const SASYNC = 5;
/** Slot of the claimed holder entries, one bit each (see "Owner death"). */
const CLAIMED = 6;
/** First holder entry. */
const HOLDERS = 7;
/** Holder entries (threads whose permits can be recovered when they die): one CLAIMED bit each. */
const HOLDER_ENTRIES = 32;
/**
 * Reads of VALUE a waiter makes before it sleeps (with `Atomics.pause`), in case a permit comes
 * first. The 32-slot scan this path used to do on every turn was such a spin by accident (~0.3
 * µs), and removing it made the ping-pong slower on two CPUs (see `acquireSlow`). Deliberate, 20
 * reads against none, `bench/probes/semaphore_pingpong.ts <no-spin copy> ./mod.ts`, median ÷
 * floor, same runs (2026-12-01; the floor's regime differed run to run): Node, floor 24 µs
 * (workers on two CPUs) 1.07 → 0.78 and 1.08 → 0.91; floor 1.4 and 21 µs (both sides awake,
 * nobody sleeps) 4.77 → 1.58 and 1.03 → 0.16; floor 7.8 µs (one CPU) 1.78 → 1.51; pinned to one
 * CPU (`taskset -c 0`) 1.48 → 1.60, the one loss: a spin there only delays the partner. Deno
 * 1.38 → 1.31; Bun 1.08 → 0.86. 60 reads measured worse on one CPU (1.32× 20 reads' time). The
 * lock word's sync waits do not spin for a word another thread holds (`lockSlow`'s `syncSpin`,
 * measured on its contention rows); a semaphore's waiter here spins only while it does not starve. (Async parks spin in the
 * futex layer, `setAsyncSpin`.)
 */
const SPIN_READS = 20;
/** Re-reads VALUE up to `reads` times; whether it showed a permit. */
function permitWithin(i32: Int32Array, reads: number): boolean {
  for (let i = 0; i < reads; i++) {
    if (Atomics.load(i32, VALUE) >= PERMIT) return true;
    pause();
  }
  return false;
}
/** HOLDER while one waiter takes the entry's permits back (no thread has this ident). */
const RECLAIMING = -1;
/** Bytes either semaphore takes. */
const BYTES = (HOLDERS + 2 * HOLDER_ENTRIES) * 4;
/** `#entry` before this thread looked for its holder entry. */
const ENTRY_UNKNOWN = -1;
/** `#entry` when the holder table was full. */
const ENTRY_NONE = -2;
/** Largest permit count (VALUE keeps one bit for WAITING). */
const MAX_VALUE = 2 ** 30 - 1;
/** One starving waiter in STARVE. */
const ONE_STARVING = 1 << 16;
/** Mask of the handed permits in STARVE (`h ≤ s`, so they never carry into `s`). */
const HANDED = 0xffff;
/** Most starving waiters STARVE counts (bits 16-30); past that a waiter keeps barging. */
const MAX_STARVING = 0x7fff;

/** Starving waiters in a STARVE word that lack a handed permit (`s - h`). */
function lacking(word: number): number {
  return (word >>> 16) - (word & HANDED);
}

/** Takes one permit if there is one, retrying the CAS while permits remain (WAITING kept). */
function tryTake(i32: Int32Array): boolean {
  return takeFrom(i32, Atomics.load(i32, VALUE));
}

/** `tryTake` from `word`, a VALUE read by the caller (a stale one costs a failed CAS). */
function takeFrom(i32: Int32Array, word: number): boolean {
  while (word >= PERMIT) {
    const seen = Atomics.compareExchange(i32, VALUE, word, word - PERMIT);
    if (seen === word) return true;
    word = seen;
  }
  return false;
}

/**
 * Finds this thread's holder entry, or claims a free one (or one of an ended thread that holds
 * nothing) with a CAS. Returns ENTRY_NONE when all are taken.
 */
function claimEntry(i32: Int32Array, me: number): number {
  for (let k = 0; k < HOLDER_ENTRIES; k++) {
    if (Atomics.load(i32, HOLDERS + 2 * k) === me) return claimed(i32, k);
  }
  for (let k = 0; k < HOLDER_ENTRIES; k++) {
    const at = HOLDERS + 2 * k;
    const id = Atomics.load(i32, at);
    // RECLAIMING (< 0) is never reusable: a waiter is taking the entry's permits back.
    const reusable = id === 0 ||
      (id > 0 && lifeOf(id) === LIFE_ENDED && Atomics.load(i32, at + 1) === 0);
    if (reusable && Atomics.compareExchange(i32, at, id, me) === id) return claimed(i32, k);
  }
  return ENTRY_NONE;
}

/**
 * Marks entry `k`, whose HOLDER this thread holds, in CLAIMED before any permit is attributed
 * there (the CLAIMED invariant; idempotent), and returns `k`.
 */
function claimed(i32: Int32Array, k: number): number {
  Atomics.or(i32, CLAIMED, 1 << k);
  return k;
}

/** What a reclaim found: how many permits, and whose. */
interface Reclaimed {
  permits: number;
  /** Every ended holder whose permits were taken back, with how many: `[ident, held, ...]`. */
  owners: number[];
}

/**
 * Takes back the permits attributed to ended threads (one waiter gets each: see below). Returns
 * them, or `undefined` when there were none; `watched` reports whether some holder is a live
 * watched thread (then waiters poll its liveness).
 *
 * An entry is reclaimed under its HOLDER word, never by a CAS on HELD alone: HELD read from an
 * ended X, then freed by another reclaimer, claimed by a live Y and raised by Y's own take can
 * hold the same number again (ABA), and a CAS of HELD would take Y's permits as X's, inventing
 * permits (found by reading, issue 10). So: CAS HOLDER from the ended ident we judged to
 * RECLAIMING — only one waiter wins, and while it is there no thread can claim the entry
 * (`claimEntry` wants 0 or an ended ident) and nobody writes HELD (its owner has ended; any
 * other reclaimer needs that CAS first) — then exchange HELD to 0, clear the entry's CLAIMED
 * bit, then free the entry (0). A waiter that dies between the CAS and the store loses those
 * permits and the entry, as one that dies mid-release loses the permits in flight: never one too
 * many.
 *
 * Only the entries CLAIMED names are visited. An entry claimed after the load of CLAIMED is a
 * live thread's (it has just claimed it), as one claimed behind the scan of all entries was
 * before CLAIMED existed: the next turn sees it.
 */
function reclaim(i32: Int32Array, watched: { any: boolean }): Reclaimed | undefined {
  // Only claimed entries can hold permits (the CLAIMED invariant): none, the common case, is one
  // load. Measured with the ping-pong probe (see `acquireSlow`).
  let entries = Atomics.load(i32, CLAIMED);
  if (entries === 0) return undefined;
  let found: Reclaimed | undefined;
  for (; entries !== 0; entries &= entries - 1) {
    const k = 31 - Math.clz32(entries & -entries); // the lowest claimed entry left
    const at = HOLDERS + 2 * k;
    if (Atomics.load(i32, at + 1) <= 0) continue;
    const id = Atomics.load(i32, at);
    if (id <= 0) continue; // free, or another waiter is reclaiming it
    const life = lifeOf(id);
    if (life === LIFE_ALIVE) watched.any = true;
    if (life !== LIFE_ENDED) continue;
    // The entry is ours (see above), and HELD is the ended thread's only.
    if (Atomics.compareExchange(i32, at, id, RECLAIMING) !== id) continue;
    const held = Atomics.exchange(i32, at + 1, 0);
    // Unclaimed while still RECLAIMING (nobody can claim it, HELD is 0), then free: its thread
    // has ended and holds nothing now (the CLAIMED invariant).
    Atomics.and(i32, CLAIMED, ~(1 << k));
    Atomics.store(i32, at, 0);
    if (held <= 0) continue;
    found ??= { permits: 0, owners: [] };
    found.permits += held;
    found.owners.push(id, held);
  }
  return found;
}

/**
 * After VALUE was raised by `n` (a release, a reclaim, a starving waiter returning a handed
 * permit): when someone waits, give permits to starving waiters that counted themselves after
 * the raiser looked (see the STARVE invariant), and wake up to `n` sleepers on VALUE.
 */
function raised(i32: Int32Array, n: number): void {
  // Wake only when someone waits (see the VALUE invariant), or when ASYNC counts physical waits
  // still registered after their logical wait was aborted: a wake is the only way to settle them
  // (futex.ts, "Abort"), and WAITERS no longer counts them.
  if (Atomics.load(i32, WAITERS) === 0 && Atomics.load(i32, ASYNC) === 0) return;
  if (Atomics.load(i32, STARVE) !== 0) rescue(i32);
  wake(i32, VALUE, n, ASYNC);
}

/**
 * Moves permits from VALUE to starving waiters that lack one, one at a time: take it as an
 * acquirer would, then add it to `h` while `s > h`, or put it back (and look again) when no
 * starving waiter lacks one any more. Stops when none lacks one or VALUE is empty (whoever
 * emptied it was served). Wakes the starving sleepers when it moved any.
 */
function rescue(i32: Int32Array): void {
  let moved = false;
  let word = Atomics.load(i32, STARVE);
  while (lacking(word) > 0 && tryTake(i32)) {
    // We hold one permit (dying here loses it, as dying mid-release does).
    for (;;) {
      if (lacking(word) <= 0) {
        Atomics.add(i32, VALUE, PERMIT); // nobody lacks one now: back to VALUE, and look again
        break;
      }
      const seen = Atomics.compareExchange(i32, STARVE, word, word + 1);
      if (seen === word) {
        moved = true;
        break;
      }
      word = seen;
    }
    word = Atomics.load(i32, STARVE);
  }
  if (moved) wake(i32, STARVE, Infinity, SASYNC);
}

/**
 * Hands up to `n` permits of a release to starving waiters that lack one (`h += k`). Returns
 * `k`, 0 when no starving waiter lacks one.
 */
function handOff(i32: Int32Array, n: number): number {
  let word = Atomics.load(i32, STARVE);
  for (;;) {
    const k = Math.min(n, lacking(word));
    if (k <= 0) return 0;
    const seen = Atomics.compareExchange(i32, STARVE, word, word + k);
    if (seen === word) {
      // Wake every starving sleeper: any of them that runs may take one (see "Fairness").
      wake(i32, STARVE, Infinity, SASYNC);
      return k;
    }
    word = seen;
  }
}

/**
 * A starving waiter takes a handed permit: one CAS `(s, h) → (s-1, h-1)`, when `h > 0`. Returns
 * -1 when it took one, else the word it saw last, whose `h` is 0: the value to sleep on (a word
 * with no handed permit is safe to sleep on whatever happened in between; a hand-off changes it).
 */
function takeHanded(i32: Int32Array): number {
  let word = Atomics.load(i32, STARVE);
  while ((word & HANDED) !== 0) {
    const seen = Atomics.compareExchange(i32, STARVE, word, word - ONE_STARVING - 1);
    if (seen === word) return -1;
    word = seen;
  }
  return word;
}

/**
 * A waiter counts itself starving (`s + 1`). `false` when STARVE counts MAX_STARVING already.
 *
 * The first one (`s` 0 → 1) starts the hand-off mode, in which releases hand permits to STARVE
 * and wake nobody on VALUE: after its CAS it wakes the first sleeper on VALUE, so that one that
 * parked without the starve timer (alone in the slow path, nobody starving, when it looked)
 * judges again instead of sleeping through the mode until its liveness poll (see "When a waiter
 * knows it starves"). That sleeper is the first: it was alone when it looked, so the others on
 * VALUE parked after it, and `Atomics.notify` wakes in the order they slept (all, while async
 * waiters are registered). One that looks at STARVE after the CAS sees it; one whose look came
 * before and whose park comes after the wake, or that another parked ahead of, sleeps until a
 * raise of VALUE or its poll (a fairness slip, no lost permit: for it to be alone when it
 * looked, the starving waiter entered the slow path after that look and waited
 * STARVE_AFTER_MS, all before it parked).
 */
function starve(i32: Int32Array): boolean {
  let word = Atomics.load(i32, STARVE);
  for (;;) {
    if (word >>> 16 >= MAX_STARVING) return false;
    const seen = Atomics.compareExchange(i32, STARVE, word, word + ONE_STARVING);
    if (seen === word) {
      if (word >>> 16 === 0) wake(i32, VALUE, 1, ASYNC);
      return true;
    }
    word = seen;
  }
}

/**
 * A starving waiter leaves without a handed permit (timeout, abort, error; or it took one from
 * VALUE or a dead holder): `s - 1`, and when that would leave `h > s`, `h - 1` in the same CAS
 * and that permit back to VALUE (then `raised`), so a permit handed to a waiter that is gone is
 * never lost. Wakes STARVE when async waits are registered there: an aborted one stays
 * registered until a wake settles it (futex.ts, "Abort").
 */
function unstarve(i32: Int32Array): void {
  let word = Atomics.load(i32, STARVE);
  for (;;) {
    const excess = (word & HANDED) === word >>> 16 ? 1 : 0;
    const seen = Atomics.compareExchange(i32, STARVE, word, word - ONE_STARVING - excess);
    if (seen === word) {
      if (excess !== 0) {
        Atomics.add(i32, VALUE, PERMIT);
        raised(i32, 1);
      }
      break;
    }
    word = seen;
  }
  if (Atomics.load(i32, SASYNC) !== 0) wake(i32, STARVE, Infinity, SASYNC);
}

/**
 * Keeps one reclaimed permit for the caller and returns the others to VALUE (waking as many
 * waiters). Returns the dead owners, for the caller's `OwnerDiedError`.
 */
function keepOne(i32: Int32Array, found: Reclaimed): number[] {
  const rest = found.permits - 1;
  if (rest > 0) {
    Atomics.add(i32, VALUE, rest * PERMIT);
    raised(i32, rest);
  }
  return found.owners;
}

/**
 * The slow path of every acquire: count ourselves, then take a permit or sleep. Returns `true`,
 * `false` on timeout, or the idents of dead holders whose permits it reclaimed. `timeout`: the
 * caller's, in ms, above 0 (`Infinity` for none); it runs from the first turn's clock read (a
 * few atomic operations after the call), which saves the clock read of `deadlineAfter`.
 * `heldAt`: the HELD slot to attribute the permit to in the same step as the take (guards), or
 * -1.
 *
 * CPU per hand-off (issue 9): one clock read per turn, taken only once the turn found nothing
 * to take, one load of CLAIMED for the dead-holder look while no guard was ever used (it read
 * 32 HELD slots every turn), and the `or` that sets WAITING doubles as the turn's look at VALUE.
 * Measured with `taskset -c 0 npx <rt> bench/probes/semaphore_pingpong.ts /tmp/before/mod.ts
 * ./mod.ts` (before = main `d673f00`; one CPU: the fast regime, where a
 * hand-off costs the CPU path of both sides; median batch ÷ floor, before → after, 3 runs each,
 * 2026-12-01): Node 1.50 → 1.41, 1.60 → 1.41, 1.52 → 1.41 (after ÷ before 0.88-0.94; Lock
 * 1.44-1.45); Deno 1.58 → 1.48, 1.55 → 1.46, 1.60 → 1.47 (0.92-0.94; Lock 1.52-1.54); Bun 1.19
 * → 1.19, 1.19 → 1.16, 1.14 → 1.07 (0.94-1.01; Lock 1.14-1.17). CPU per round trip and worker
 * (schedstat): Node 5.3-6.1 → 5.0-5.4 µs, Deno 5.6-5.8 → 5.2-5.3, Bun 10.5-11.0 → 9.7-10.8
 * (floor 3.6-4.0, Bun 9.1-9.4). `--count`, per round trip and worker: 22 → 0 HOLDER/HELD loads
 * (0.6 of CLAIMED), 2.1 → 1.2 clock reads, 3.4 → 1.8 VALUE loads. On two CPUs (no taskset) the
 * slow regime prevails and the medians are bimodal (floor median 11-30 µs): after ÷ floor
 * 0.85-1.15 in 9 of 10 runs (one Deno run 1.84), but after ÷ before 0.99-1.82, worse in 9 of 10:
 * the 32 loads were a ~0.3 µs spin by accident, during which the releaser on the other CPU
 * often came first (`--count` on two CPUs: 31% of parks "not-equal" before, 0.3% after), so a
 * waiter now spins on purpose before it sleeps (SPIN_READS, with its measurements).
 */
function* acquireSlow(
  i32: Int32Array,
  timeout: number,
  heldAt: number,
  here: HeldHere | undefined = undefined,
): Parker<boolean | number[]> {
  // Count ourselves first (see the VALUE invariant): a raise that misses us came before.
  Atomics.add(i32, WAITERS, 1);
  // The caller's deadline, set at the first turn's clock read (see above).
  let deadline = Infinity;
  // When we first parked (0: not yet); we starve once STARVE_AFTER_MS has passed since.
  let since = 0;
  // Whether we are counted in STARVE's `s`.
  let starving = false;
  try {
    // We sleep on VALUE while it is WAITING with no permit.
    const park: Park = {
      i32,
      index: VALUE,
      expected: WAITING,
      deadline: Infinity,
      asyncCount: ASYNC,
      slack: 0,
    };
    const watched = { any: false };
    for (;;) {
      // Set WAITING before this turn's looks at VALUE and STARVE (see "The waiting bit"): a
      // release whose CAS comes after this sees it and wakes; one before, we see its permit.
      // The word it returns is our look at VALUE when we do not starve (with WAITING, as now).
      const value = Atomics.or(i32, VALUE, WAITING) | WAITING;
      // Starving: a handed permit first (the CAS uncounts us), then VALUE like anyone else.
      // `word`, the STARVE we saw with no handed permit, is what we sleep on: a hand-off after
      // this look changes it, so our park returns at once ("not-equal"); and should the word
      // come back to the same value (ABA), it still holds no handed permit for us to miss
      // (found by models/semaphore.pml, which slept on a word read before the look).
      const word = starving ? takeHanded(i32) : 0;
      if (word === -1) {
        starving = false;
        if (heldAt >= 0) Atomics.add(i32, heldAt, 1);
        // We took a permit handed for another starving waiter's lack (any of them may take it),
        // without the look at VALUE our count in STARVE promised: take that look for it now.
        // Without it, a permit a releaser left in VALUE can sit beside a starving sleeper whose
        // hand-off we took (found by models/semaphore.pml, release(2) to two starving waiters).
        if (Atomics.load(i32, VALUE) >= PERMIT) rescue(i32);
        return true;
      }
      // Starving, VALUE is looked at after STARVE (a fresh load); else the `or` looked.
      if (takeFrom(i32, starving ? Atomics.load(i32, VALUE) : value)) {
        if (heldAt >= 0) Atomics.add(i32, heldAt, 1);
        return true; // `finally` uncounts a starving us
      }
      // No permit: are some held by a thread that has ended?
      watched.any = false;
      const found = reclaim(i32, watched);
      if (found !== undefined) {
        if (heldAt >= 0) Atomics.add(i32, heldAt, 1);
        return keepOne(i32, found);
      }
      const t = now();
      if (since === 0) {
        // The first turn: the caller's timeout (above 0) starts now, and our starve clock.
        since = t;
        deadline = t + timeout; // Infinity stays Infinity
      } else if (t >= deadline) return false;
      else if (!starving && t - since >= STARVE_AFTER_MS && starve(i32)) {
        // Counted as starving: look at VALUE again before sleeping (see the STARVE invariant).
        starving = true;
        continue;
      }
      // Sleep. Starving: on STARVE, while it holds what we saw, polling watched holders'
      // liveness. Not yet: on VALUE while it is WAITING with no permit, polling every
      // OWNER_POLL_MS, and with the starve timer only while somebody starves or another waiter
      // is in the slow path (see "When a waiter knows it starves"): this load of STARVE comes
      // after our count in WAITERS and our WAITING, so a starving waiter it misses counted
      // itself after it, and ran to do so. (WAITERS only picks the timer: a stale count costs
      // a timer or a late starve mark, never a wake.)
      if (starving) {
        park.index = STARVE;
        park.expected = word;
        park.asyncCount = SASYNC;
        park.deadline = parkUntil(deadline, watched.any, t);
      } else if (Atomics.load(i32, STARVE) === 0 && Atomics.load(i32, WAITERS) === 1) {
        park.deadline = parkUntil(deadline, true, t);
      } else {
        park.deadline = Math.min(parkUntil(deadline, true, t), since + STARVE_AFTER_MS);
      }
      // Our own mark (starve, liveness poll), not the caller's deadline: an async park may end
      // a little late, sharing the thread's deadline timer (futex.ts, `SOFT_SLACK_MS`).
      park.slack = park.deadline < deadline ? SOFT_SLACK_MS : 0;
      park.clock = t; // the deadline's reading: the driver reads the clock no more
      // A hint for the async driver (futex.ts, "Local parks"; sync parks ignore it): the object
      // that parks holds permits its own acquires took, so the permit waited for most likely
      // comes back from another task of this thread. Never while starving (a hand-off is
      // another thread's release). Wrong, it costs a turn's delay and the credit, never a wake.
      park.local = !starving && here !== undefined && here.held > 0 && here.gaveBack;
      // Before sleeping on VALUE, re-read it a few times: a permit seen is taken by the next
      // turn (which starts over: WAITING, the take), nothing else changes, so skipping a park
      // is always safe. A starving waiter waits for its hand-off instead. See SPIN_READS. Not
      // before a local park either: nothing this thread would release changes VALUE meanwhile.
      if (!starving && park.local !== true && permitWithin(i32, SPIN_READS)) continue;
      // "ok": a release, a hand-off, a last leaver's wake (or spurious) — retry. "not-equal": a
      // permit, a hand-off or a last leaver's clear of WAITING came before we slept — retry.
      // "timed-out": our deadline, a liveness poll or our starving time — the loop decides.
      yield park;
      if (park.localMissed === true) {
        // The hint was wrong: the permit came from elsewhere. Mark no more parks of this
        // object until it gives a permit back again (see HeldHere).
        park.localMissed = false;
        if (here !== undefined) here.gaveBack = false;
      }
    }
  } finally {
    // Runs on success, timeout, error and abort alike: no count leaks, no handed permit is lost.
    if (starving) unstarve(i32);
    if (Atomics.sub(i32, WAITERS, 1) === 1) lastOut(i32);
  }
}

/**
 * What one `Semaphore` object of this thread knows of the permits it holds: a hint, no shared
 * state, read by the slow path to mark its parks local (`futex.ts`, "Local parks"), and by
 * `#acquire` to wait locally with no slow path at all ("Local waits", with its figures). Tasks of one
 * thread that share permits (a `Semaphore(1)` as their mutex, a `Semaphore(n)` as their limiter)
 * park without a `waitAsync` while their object holds some and has given some back: the permit
 * waited for most likely comes back from one of them, in this turn. A permit taken by
 * `acquireSync` or through another object is not counted (no hint: the park registers, as
 * before). A wrong hint costs the park a turn's delay (its registration at the turn's end) and
 * the thread's local credit, never a wake.
 *
 * Measured (2026-12-04, 2 CPUs, load 1.3-2; `<rt> bench/probes/selfwake_tasks.ts <before>/mod.ts
 * ./mod.ts --processes 6 --loops 200 --rounds 9 --row Semaphore`, 100 tasks taking turns on a
 * `Semaphore(1)`, each tree alone in fresh processes, alternating), µs a hand-off, before →
 * after: Node 7.08 → 2.40 (0.42×), Deno 5.36 → 2.35 (0.44×), Bun 13.1 → 2.30 (0.21×): no
 * `waitAsync` a hand-off where there were two (`tests/local_park_test.ts`).
 *
 * Why `gaveBack`: a semaphore used as a signal between threads (a ping-pong: each thread takes
 * permits the other gives) holds ever more permits by this count and never gives one back
 * through this object; with `held` alone its parks were all marked local and missed, and the
 * credit's probes (one park in 16) cost the async Semaphore ping-pong 0.49-0.68 → 1.05-1.11 µs a
 * round trip (Node, `TK_BEFORE=<before>/mod.ts node bench/probes/waitasync.ts --runs 9 --filter
 * probe.semaphore`, each order, 2026-12-04). And a local park that missed (the driver sets
 * `Park.localMissed`) clears `gaveBack`: an object used as a mutex once and as a signal after
 * kept marking every park, each a miss (found by review; `tests/local_park_test.ts`).
 *
 * What a local park does not see: another thread's wake that changes no slot, the first
 * starving waiter's `wake(VALUE, 1)` in `starve()` (sleepers re-judge whether they starve). A
 * local park sees it only as its turn ends, registered, when the wake is gone: it then sleeps
 * until a raise of VALUE or its liveness poll, the fairness slip `starve()` documents for a
 * waiter between its last look and its registration, with a window of the rest of the turn.
 */
interface HeldHere {
  /** Permits its async acquires took, less those its releases gave back (never below 0). */
  held: number;
  /** A release through it gave back a permit it had taken. */
  gaveBack: boolean;
}

/** The outcome of {@link acquireSlow} as an acquire's: the boolean, or `OwnerDiedError`. */
function acquired(outcome: boolean | number[]): boolean {
  if (outcome === true || outcome === false) return outcome;
  throw ownerDied(outcome);
}

/**
 * {@link acquireSlow} for an async acquire: its outcome (or `OwnerDiedError`) in the same step as
 * the take, so that the promise settles before `line.done()` lets the next call of the thread's
 * line take its turn (with a `.then` after the wait, the next call, served a permit at its turn,
 * settled first); `line`: it holds that line.
 */
function* acquireAsync(
  i32: Int32Array,
  timeout: number,
  heldAt: number,
  line: Line | undefined,
  here: HeldHere,
): Parker<boolean> {
  try {
    const ok = acquired(yield* acquireSlow(i32, timeout, heldAt, here));
    if (ok) here.held++;
    return ok;
  } finally {
    line?.done(); // the head of this thread's line of async acquires (`#acquire`) has ended
  }
}

/**
 * The last waiter left the slow path (its decrement took WAITERS to 0): clear WAITING, so that
 * releases are one CAS again (see "The waiting bit"). Nobody counted after the clear: done (a
 * waiter that comes in later sets WAITING itself), after waking the aborted async waits still
 * registered on VALUE, which only a wake settles (futex.ts, "Abort"). Somebody came in between
 * our decrement and the clear: it may sleep on VALUE (on the word the clear changed) or on
 * STARVE (a word the clear did not change), and a release between our clear and now was a fast
 * one (no wake, no hand-off). So set WAITING again, then do what that release skipped, for any
 * number of permits (`raised`): hand permits in VALUE to starving waiters that lack one (which
 * changes STARVE under anyone about to sleep there) and wake every sleeper on VALUE. If the
 * newcomers have all left meanwhile, the last of them may have cleared before we set WAITING
 * again: look again, so that WAITING is never left set with nobody to clear it.
 */
function lastOut(i32: Int32Array): void {
  for (;;) {
    Atomics.and(i32, VALUE, ~WAITING);
    if (Atomics.load(i32, WAITERS) === 0) {
      if (Atomics.load(i32, ASYNC) !== 0) wake(i32, VALUE, Infinity, -1);
      return;
    }
    Atomics.or(i32, VALUE, WAITING);
    raised(i32, Infinity);
    // Waiters counted now came in after our `or` or before it, and leave after it: the last of
    // them clears.
    if (Atomics.load(i32, WAITERS) !== 0) return;
  }
}

/** The threads guarded permits are attributed to, with how many (a snapshot). */
function attributed(i32: Int32Array): Holder[] {
  const holders: Holder[] = [];
  for (let k = 0; k < HOLDER_ENTRIES; k++) {
    const held = Atomics.load(i32, HOLDERS + 2 * k + 1);
    const id = Atomics.load(i32, HOLDERS + 2 * k);
    if (held > 0 && id > 0) holders.push(...holderOf(id, held));
  }
  return holders;
}

/**
 * The error of an acquire that reclaimed permits: it names every dead holder the reclaim took
 * permits back from (`owners`: `[ident, held, ...]`); `ownerIdent` is the first of them.
 */
function ownerDied(owners: number[]): OwnerDiedError {
  const who: string[] = [];
  for (let i = 0; i < owners.length; i += 2) {
    const held = owners[i + 1]!;
    who.push(`${describeThread(owners[i]!)} (${held} permit${held === 1 ? "" : "s"})`);
  }
  const holders = who.length === 1 ? `its holder ${who[0]}` : `its holders ${who.join(", ")}`;
  return new OwnerDiedError(
    `Acquired a semaphore permit, but ${holders} ended without releasing ${
      who.length === 1 && owners[1] === 1 ? "it" : "them"
    }; the resource it guards may be inconsistent`,
    owners[0]!,
  );
}

function checkValue(kind: string, value: unknown): number {
  if (typeof value !== "number") {
    throw new TypeError(`Cannot create ${kind}: value must be a number, got ${typeof value}`);
  }
  if (!Number.isInteger(value) || value < 0 || value > MAX_VALUE) {
    throw new RangeError(
      `Cannot create ${kind}: value must be an integer from 0 to 2^30-1, got ${value}`,
    );
  }
  return value;
}

/**
 * A counting semaphore in shared memory: `acquire` takes a permit (waiting while there are
 * none), `release(n)` returns `n`.
 *
 * - Permits are not owned: any thread may release. Permits taken with `hold()`/`holdSync()` are
 *   attributed to their thread: when a threadkit thread ends holding some, the next acquirer gets
 *   one together with an `OwnerDiedError` (within ~250 ms) instead of waiting forever (up to 32
 *   threads per semaphore are tracked). Permits taken with `acquire*` may be consumed signals and
 *   are never reclaimed.
 * - `release(n)` wakes at most `n` sleepers, and none when nobody waits.
 * - Barging with a bound: a released permit goes to whoever takes it first, until a waiter has
 *   waited 1 ms; releases then hand permits to such waiters directly (see "Fairness" in the
 *   module doc). Spurious wake-ups never surface.
 *
 * Happens-before: a `release` synchronizes before the acquire that takes one of its permits.
 *
 * Sharing: `Semaphore.from(sem.handle)` in any thread.
 *
 * @example At most two at once
 * ```ts
 * import { Semaphore } from "@threadkit/threadkit";
 * import assert from "node:assert/strict";
 *
 * const slots = new Semaphore(2);
 * assert.equal(slots.tryAcquire(), true);
 * assert.equal(slots.tryAcquire(), true);
 * assert.equal(slots.tryAcquire(), false);
 * slots.release(2);
 * assert.equal(slots.value, 2);
 * ```
 */
export class Semaphore {
  static {
    brand(this, "Semaphore");
  }
  /** Bytes a semaphore takes inside a caller's buffer. */
  static readonly byteLength: number = BYTES;

  /** A structured-clone-safe description; `Semaphore.from(handle)` rebuilds it. */
  readonly handle: Handle;
  /** @internal */
  protected readonly i32: Int32Array;
  /** This thread's holder entry: an index, ENTRY_UNKNOWN or ENTRY_NONE. */
  #entry = ENTRY_UNKNOWN;
  /** Most permits VALUE may hold: BOUND's, read once (BOUND never changes after creation). */
  readonly #ceiling: number;
  /** This thread's async acquires of this object that wait, in call order (`line.ts`). */
  #line: Line | undefined = undefined;
  /** Permits this object's async acquires took, less its releases (see {@link HeldHere}). */
  readonly #here: HeldHere = { held: 0, gaveBack: false };
  /**
   * The release fast path's ceiling: `#ceiling` while this thread has no holder entry (its
   * releases drop no attribution), 0 once it has one (the fast path never runs). A small
   * integer on every engine (2^30-1 at most), compared with the permits of the guessed word.
   */
  #fastCeiling: number;
  /**
   * The VALUE word this object last saw, the expected value of the fast paths' first CAS: right
   * whenever nobody else moved VALUE since (uncontended use), which saves a load each way;
   * wrong, the CAS fails harmlessly and returns the real word. Never trusted otherwise.
   */
  #guess = 0;

  /**
   * Creates a semaphore with `value` permits.
   *
   * @throws {RangeError} `value` is negative, not an integer, or above 2^30-1 (1,073,741,823).
   * @throws {TypeError} `value` is not a number, or `buffer` is not a SharedArrayBuffer.
   */
  constructor(value = 1, options?: PlacementOptions) {
    // The kind follows the class hierarchy (a subclass of Semaphore is unbounded); the binding
    // of BoundedSemaphore, declared below, is initialised before any constructor runs.
    const kind = this instanceof BoundedSemaphore ? "BoundedSemaphore" : "Semaphore";
    const fresh = openedHandle(options) === undefined;
    if (fresh) checkValue(kind, value);
    this.handle = placeOrOpen(kind, BYTES, options);
    this.i32 = slots(this.handle, BYTES / 4);
    if (fresh) {
      Atomics.store(this.i32, VALUE, value * PERMIT);
      Atomics.store(this.i32, BOUND, kind === "Semaphore" ? -1 : value);
    }
    // An opened handle's BOUND was stored before the handle was sent (the send orders it).
    const bound = Atomics.load(this.i32, BOUND);
    this.#ceiling = bound < 0 ? MAX_VALUE : bound;
    this.#fastCeiling = this.#ceiling;
  }

  /**
   * Rebuilds a semaphore from its handle.
   *
   * @throws {TypeError} `handle` is not the handle of a `Semaphore`.
   */
  static from(handle: Handle): Semaphore {
    return new Semaphore(1, opening(open(handle, "Semaphore", BYTES)));
  }

  /** Permits available now (a snapshot). */
  get value(): number {
    return Atomics.load(this.i32, VALUE) >>> 1;
  }

  /**
   * The HELD slot a guard's permit is attributed to (this thread's entry, claimed on first use),
   * or -1: not a guard, or the holder table is full (see "Owner death").
   */
  #heldAt(attribute: boolean): number {
    if (!attribute) return -1;
    let k = this.#entry;
    if (k === ENTRY_UNKNOWN) {
      k = this.#entry = claimEntry(this.i32, currentIdent());
      if (k >= 0) this.#fastCeiling = 0; // releases drop the attribution: the general path
    }
    return k >= 0 ? HOLDERS + 2 * k + 1 : -1;
  }

  /**
   * Finishes an acquire that took its permit here (not in the slow path): attributes it to
   * `heldAt` in the same step as the take, and throws for a permit reclaimed from dead holders
   * (the caller holds it then).
   */
  #took(outcome: boolean | number[], heldAt: number): boolean {
    if (outcome === false) return false;
    if (heldAt >= 0) Atomics.add(this.i32, heldAt, 1);
    if (outcome !== true) throw ownerDied(outcome);
    return true;
  }

  #try(heldAt: number): boolean {
    if (tryTake(this.i32)) return this.#took(true, heldAt);
    const found = reclaim(this.i32, { any: false });
    return found === undefined ? false : this.#took(keepOne(this.i32, found), heldAt);
  }

  #acquireSync(options: SyncWaitOptions | undefined, attribute: boolean): boolean {
    const timeout = syncEntry(options, "acquire semaphore", "semaphore.acquire()");
    const heldAt = this.#heldAt(attribute);
    // Fast path: take a free permit.
    if (tryTake(this.i32)) return this.#took(true, heldAt);
    if (timeout === 0) return this.#try(heldAt);
    return acquired(runSync(acquireSlow(this.i32, timeout, heldAt)));
  }

  #acquire(options: WaitOptions | undefined, attribute: boolean): Promise<boolean> {
    const entry = asyncEntry(options, "acquire semaphore");
    if (entry instanceof Promise) return entry;
    const heldAt = this.#heldAt(attribute);
    const i32 = this.i32;
    // Fast path: take a free permit (barging, ahead of other threads' waiters: see "Fairness"),
    // unless this thread's earlier acquires wait in line for one.
    const line = this.#line;
    const lineFree = line === undefined || !line.busy;
    if (lineFree && tryTake(i32)) {
      this.#here.held++;
      return Promise.resolve(this.#took(true, heldAt));
    }
    const timeout = timeoutIn(entry);
    const signal = signalIn(entry);
    if (timeout === 0) {
      try {
        return Promise.resolve(this.#try(heldAt));
      } catch (error) {
        return Promise.reject(error); // a permit reclaimed from a dead holder (now held)
      }
    }
    // The slow path attributes a guard's permit in the step that takes it, not in a later
    // reaction: a thread that ends between the two would lose the permit (issue 10).
    const here = this.#here;
    const take = () => tryTake(i32) && (here.held++, this.#took(true, heldAt));
    // No permit free and no waiter of another thread starving, while this object holds permits
    // its acquires took and has given one back (the hint of its slow path's local parks,
    // HeldHere): the permit most likely comes back from another task of this thread, whose
    // release the wait waits for with no slow path (`futex.ts`, "Local waits"). A wait that the
    // turn's end finds unwoken withdraws the hint, as a local park that missed does.
    const heldHere = () =>
      here.held > 0 && here.gaveBack && Atomics.load(i32, VALUE) < PERMIT &&
      Atomics.load(i32, STARVE) === 0;
    const missed = () => here.gaveBack = false;
    /** The slow path from the start, with what is left of the time to `deadline`. */
    const slowUntil = (deadline: number) =>
      runAsync(
        acquireAsync(
          i32,
          deadline === Infinity ? Infinity : Math.max(0, deadline - now()),
          heldAt,
          undefined,
          here,
        ),
        signal,
      );
    if (lineFree) {
      // The first acquire of this thread to wait: it holds the line until its wait ends.
      const held = this.#line ??= new Line();
      held.hold();
      if (heldHere()) {
        const deadline = deadlineAfter(timeout);
        const local = waitLocally({
          i32,
          index: VALUE,
          take,
          heldHere,
          slow: () => slowUntil(deadline),
          deadline,
          signal,
          done: () => held.done(),
          missed,
        });
        if (local !== undefined) return local;
      }
      return runAsync(acquireAsync(i32, timeout, heldAt, held, here), signal);
    }
    return acquireBehind(line, timeout, signal, take, (deadline) => {
      const slow = () => slowUntil(deadline);
      const local = heldHere() &&
        waitLocally({ i32, index: VALUE, take, heldHere, slow, deadline, signal, missed });
      return local || slow();
    });
  }

  /**
   * Takes a permit if one is available, without waiting.
   *
   * @throws {OwnerDiedError} The permit was reclaimed from a holder that died (it is now held).
   */
  tryAcquire(): boolean {
    return this.#try(-1);
  }

  /**
   * Blocks until a permit is taken or `timeout` runs out.
   *
   * @returns `true` if a permit was taken, `false` on timeout (nothing taken).
   * @throws {TypeError} Blocking is not allowed on this thread; bad options.
   * @throws {RangeError} `timeout` is negative or `NaN`.
   * @throws {OwnerDiedError} The permit was reclaimed from a holder that died (it is now held).
   */
  acquireSync(options?: SyncWaitOptions): boolean {
    const timeout = syncEntry(options, "acquire semaphore", "semaphore.acquire()");
    // Fast path: take a free permit (nothing to attribute: `acquire*` permits never are), first
    // with one CAS on the guessed value (see #guess).
    const i32 = this.i32;
    const guess = this.#guess;
    if (guess >= PERMIT) {
      const seen = Atomics.compareExchange(i32, VALUE, guess, guess - PERMIT);
      this.#guess = seen === guess ? guess - PERMIT : seen;
      if (seen === guess) return true;
    }
    if (tryTake(i32)) return true;
    if (timeout === 0) return this.#try(-1);
    return acquired(runSync(acquireSlow(i32, timeout, -1)));
  }

  /**
   * Waits without blocking until a permit is taken, `timeout` runs out or `signal` aborts
   * (an aborted wait takes nothing).
   *
   * A thread's async acquires through this object that wait are served in the order they were
   * called, one parked `waitAsync` serving them all; a later call of the same thread waits behind
   * them even when a permit is free, while other threads may barge ("Fairness").
   * `acquireSync`, `tryAcquire` and a zero timeout do not wait and go ahead. A permit released by
   * another async task of the same thread reaches the waiting call in a microtask (`futex.ts`,
   * "Self-wakes"; while this object shares its permits among the thread's tasks, with no slow
   * path at all: "Local waits").
   *
   * @returns A promise of `true` once a permit is taken, `false` on timeout.
   * @throws {OwnerDiedError} (rejects) The permit was reclaimed from a holder that died.
   */
  acquire(options?: WaitOptions): Promise<boolean> {
    return this.#acquire(options, false);
  }

  /**
   * Returns `n` permits and wakes up to `n` waiters.
   *
   * @param n Permits to return, an integer ≥ 1 (default 1).
   * @throws {RangeError} `n` is not a positive integer, or the count would pass 2^30-1 (or, for
   *   a `BoundedSemaphore`, its initial value); the count is then unchanged.
   */
  release(n = 1): void {
    const i32 = this.i32;
    // Fast path, one permit from a thread with nothing attributed while nobody waits (the common
    // release): one CAS on the guessed word (see #guess), without WAITING and below the
    // ceiling, and nothing else: a CAS that raised a word without WAITING has no sleeper to wake
    // and no starving waiter to hand to (see "The waiting bit" and "Fairness"). `n === 1` needs
    // no further check of `n`. Anything else (n > 1, attribution, WAITING, a wrong guess, the
    // ceiling) takes the general path, which checks afresh. Measured (issue 9; see "Uncontended
    // cost"): `nice npx node bench/probes/uncontended.ts /tmp/semrelbefore/mod.ts ./mod.ts`.
    // A wrong guess is retried from the word the CAS returned while that word still qualifies
    // (another thread's take or raise moved it, as in a ping-pong, whose releaser's guess is
    // stale whenever its partner took the last permit it released).
    if (n === 1) {
      let guess = this.#guess;
      while ((guess & WAITING) === 0 && guess >>> 1 < this.#fastCeiling) {
        const seen = Atomics.compareExchange(i32, VALUE, guess, guess + PERMIT);
        if (seen === guess) {
          this.#guess = guess + PERMIT;
          const here = this.#here;
          if (here.held !== 0) {
            here.held--;
            here.gaveBack = true;
          }
          // This thread's acquires waiting for it locally (`futex.ts`, "Local waits"; one load
          // when none waits).
          releasedHere(i32, VALUE);
          return;
        }
        guess = seen;
      }
      this.#guess = guess;
    }
    if (typeof n !== "number") {
      throw new TypeError(`Cannot release semaphore: n must be a number, got ${typeof n}`);
    }
    if (!Number.isInteger(n) || n < 1) {
      throw new RangeError(`Cannot release semaphore: n must be a positive integer, got ${n}`);
    }
    const ceiling = this.#ceiling;
    // Drop this thread's attribution first (up to n), so that dying mid-release can lose the
    // permits in flight but never invent one; only this thread writes its HELD (see "Owner death").
    const k = this.#entry;
    const mine = k >= 0 ? Math.min(n, Atomics.load(i32, HOLDERS + 2 * k + 1)) : 0;
    if (mine > 0) Atomics.sub(i32, HOLDERS + 2 * k + 1, mine);
    // Permits owed to starving waiters that lack one go to them, not to VALUE (see "Fairness").
    // A waiter that starves after this look is served by `raised` (the STARVE invariant).
    const owed = Math.min(n, lacking(Atomics.load(i32, STARVE)));
    // Raise VALUE by the rest unless all n pass the ceiling (CAS, so the check and the raise are
    // one; the handed permits are not counted, see "Fairness").
    let word = Atomics.load(i32, VALUE);
    for (;;) {
      const value = word >>> 1;
      if (value > ceiling - n) {
        if (mine > 0) Atomics.add(i32, HOLDERS + 2 * k + 1, mine); // nothing released: restore
        const bound = Atomics.load(i32, BOUND); // for the message (`#ceiling` is BOUND's)
        throw new RangeError(
          bound < 0
            ? `Cannot release semaphore: ${value} + ${n} permits would pass 2^30-1`
            : `Cannot release bounded semaphore: ${value} + ${n} permits would pass its initial value ${bound}`,
        );
      }
      if (owed === n) break; // nothing for VALUE
      // Raise the permits, keeping WAITING as it is.
      const raisedTo = word + (n - owed) * PERMIT;
      const seen = Atomics.compareExchange(i32, VALUE, word, raisedTo);
      if (seen === word) {
        this.#guess = raisedTo;
        break;
      }
      word = seen;
    }
    const here = this.#here;
    if (here.held !== 0) {
      here.held -= Math.min(n, here.held);
      here.gaveBack = true;
    }
    // Hand the owed permits (fewer if starving waiters left meanwhile: those go to VALUE).
    const handed = owed > 0 ? handOff(i32, owed) : 0;
    if (handed < owed) Atomics.add(i32, VALUE, (owed - handed) * PERMIT);
    if (handed < n) raised(i32, n - handed);
    releasedHere(i32, VALUE); // as on the fast path
  }

  /**
   * Blocks until a permit is taken; returns a guard that releases it. The permit counts as held
   * by this thread until then: if the thread ends first, the next acquirer gets it (with an
   * `OwnerDiedError`).
   *
   * @throws {TimeoutError} `timeout` ran out.
   */
  holdSync(options?: SyncWaitOptions): Guard {
    const acquired = this.#acquireSync(options, true);
    return guardOrThrow(acquired, () => this.release(), () => this.#timedOut(options));
  }

  /**
   * Waits until a permit is taken; resolves to a guard that releases it. The permit counts as
   * held by this thread until then (see `holdSync`).
   *
   * @throws {TimeoutError} (rejects) `timeout` ran out.
   */
  hold(options?: WaitOptions): Promise<Guard> {
    return this.#acquire(options, true).then((acquired) =>
      guardOrThrow(acquired, () => this.release(), () => this.#timedOut(options))
    );
  }

  #timedOut(options: WaitOptions | undefined): string {
    const holders = attributed(this.i32);
    const held = holders.length === 0
      ? ""
      : `; guarded permits are held by ${
        holders.map((h) => `${describeThread(h.ident)} (${h.count})`).join(", ")
      }`;
    return `Cannot acquire ${label("semaphore", this.handle)}: timed out after ${
      ms(options?.timeout ?? 0)
    }; no permit was released${held}`;
  }

  /**
   * The free permits, who holds guarded permits, how many wait, and its name: a snapshot.
   *
   * @returns `value`: permits available; `holders`: the threads permits taken with
   *   `hold()`/`holdSync()` are attributed to, with how many (permits taken with `acquire*` are
   *   anonymous); `waiters`: threads and tasks inside a waiting acquire.
   * @example
   * ```ts
   * import { Semaphore } from "@threadkit/threadkit";
   * import assert from "node:assert/strict";
   *
   * const sem = new Semaphore(2, { name: "connections" });
   * using _g = sem.holdSync();
   * const { value, holders } = sem.describe();
   * assert.equal(value, 1);
   * assert.equal(holders[0]?.count, 1);
   * ```
   */
  describe(): Description {
    const i32 = this.i32;
    const value = Atomics.load(i32, VALUE) >>> 1;
    const kind = Atomics.load(i32, BOUND) < 0 ? "Semaphore" : "BoundedSemaphore";
    // Counted in WAITERS, and this thread's async acquires through this object waiting behind
    // one of them (`line.ts`; another thread's are not visible here).
    // The slow path's waiters, this thread's local waits (no trace on the words: `futex.ts`,
    // "Local waits") and this object's line behind them.
    const waiters = Atomics.load(i32, WAITERS) + localWaitsAt(i32, VALUE) +
      (this.#line?.waiting ?? 0);
    const free = `${value} permit${value === 1 ? "" : "s"} free`;
    return description(kind, "semaphore", this.handle, attributed(i32), waiters, value, free);
  }
}

/**
 * A semaphore that may never hold more permits than it started with: a `release` past the
 * initial value throws `RangeError` and leaves the count as it was (Python's
 * `BoundedSemaphore` raises `ValueError`).
 *
 * @example Catching an over-release
 * ```ts
 * import { BoundedSemaphore } from "@threadkit/threadkit";
 * import assert from "node:assert/strict";
 *
 * const sem = new BoundedSemaphore(1);
 * assert.throws(() => sem.release(), RangeError);
 * assert.equal(sem.value, 1);
 * ```
 */
export class BoundedSemaphore extends Semaphore {
  static {
    brand(this, "BoundedSemaphore");
  }
  /**
   * Rebuilds a bounded semaphore from its handle.
   *
   * @throws {TypeError} `handle` is not the handle of a `BoundedSemaphore`.
   */
  static override from(handle: Handle): BoundedSemaphore {
    return new BoundedSemaphore(1, opening(open(handle, "BoundedSemaphore", BYTES)));
  }

  /** The initial value, which `release` may not exceed. */
  get initialValue(): number {
    return Atomics.load(this.i32, BOUND);
  }
}
