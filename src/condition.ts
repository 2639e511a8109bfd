/**
 * `Condition`: a condition variable over a `Lock` or `RLock`, as Python's
 * `threading.Condition`.
 *
 * Layout: Int32Array, 4-byte slots, byteOffset % 4 === 0 (4232 bytes)
 * | slot              | name     | meaning                                                     |
 * | 0                 | NEXT     | the next ticket to hand out (wraps mod 2^32)                |
 * | 1                 | ADMIT    | tickets before ADMIT are notified                           |
 * | 2 .. 2+WAKES      | WAKE[k]  | bumped when a ticket ≡ k (mod WAKES) is notified            |
 * | 2+WAKES ..        | OWNER[i] | i < WINDOW: ident of the waiter of the outstanding ticket ≡ i |
 * |   2+WAKES+WINDOW  |          |   (mod WINDOW); 0 once that waiter left unnotified          |
 *
 * Algorithm (tickets, FIFO). NEXT, ADMIT and OWNER change only while the lock is held.
 * - `wait`: take ticket `t = NEXT++` and record this thread's ident as its OWNER, read
 *   WAKE[t mod WAKES], release the lock, then sleep on that slot until `t` is admitted
 *   (`t - ADMIT < 0`) or the deadline passes; re-acquire the lock (always, also on timeout and
 *   abort; an abort during the re-acquire is only recorded); if still not admitted, clear its
 *   OWNER (the ticket is *cancelled*), then move ADMIT past the *gone* tickets at its head, so
 *   timed-out waits do not fill the window.
 * - A ticket is *gone* when nobody will ever act on a wake-up for it: its OWNER is 0 (cancelled),
 *   or its OWNER's thread has ended (killed inside `wait`; `lifeOf` says LIFE_ENDED — idents of
 *   threads threadkit did not start are never judged ended). Gone tickets count for nothing.
 * - `notify(n)`: move ADMIT past the next `n` tickets that are not gone (clearing the OWNER of
 *   those it found ended, so that the wake loop sees the same verdict), store ADMIT, then bump
 *   the WAKE slot of each admitted ticket whose OWNER is not 0 and owe its wake to the lock's
 *   release (*deferred wake*, below).
 * Invariants: a waiter reads its WAKE slot before it reads ADMIT, and `notify` stores ADMIT
 * before it bumps WAKE, and wakes a slot only after bumping it: a notify after the waiter
 * released the lock is never lost. Every bump is followed by a wake of its slot: by the release
 * that frees the lock, or earlier (see below). Exactly the notified tickets leave; the others
 * sleep on (only tickets sharing a WAKE slot re-check), so
 * `notify(n)` wakes at most `n` live waiters and there is no thundering herd; it skips a waiter
 * whose thread ended before the notify, so a killed waiter does not swallow it (a waiter that
 * dies after its ticket was admitted takes its notification with it, as any thread that dies just
 * after `wait` returned). At most {@link WINDOW} tickets are outstanding (NEXT - ADMIT ≤ WINDOW),
 * so OWNER entries never alias: an entry is written when its ticket is handed out, and read only
 * while that ticket is outstanding. A thread's end is final (LIFE_ENDED never goes back, also once
 * its liveness slot is reused), so a verdict "gone" never goes stale.
 *
 * Deferred wake (issue 9). `notify` runs with the lock held, and the waiters it admits need that
 * lock next: woken at once, a waiter ran into the held lock and slept again on the lock word,
 * and the notifier's thread kept running beside it. So `notify` records the wakes
 * (`deferWakeAll`, a list per thread) and the release does them once the word is free: every
 * release of a `Lock`/`RLock` word by this thread (`cond.release()`, `lock.release()`, a guard,
 * the release inside `wait`, another lock object of the same lock) calls `flushWakes` after
 * freeing it (nothing owed: one length check). The thread also does them before it parks (the
 * threads it owes may be the ones to wake it) and when its current job ends (a microtask); so
 * does the release of another lock it holds, which then wakes a waiter into this held lock, as a
 * wake at once would (nested locks only; never a lost wake). Two cases leave a wake owed longer:
 * a notifier killed before its release, and a `Lock` released by another thread while the
 * notifier spins; a waiter therefore re-reads ADMIT every `OWNER_POLL_MS` (100 ms) of its sleep,
 * which bounds both (the poll decides nothing: ADMIT does).
 * Before this change the notify set PARKED on the lock word it held (`markRelease`, one
 * CAS), to send the release through `unlockSlow`, which flushed: per round trip that cost the
 * CAS, a failed fast-path CAS at the release, a second CAS and an `Atomics.notify` of the lock
 * word that woke nobody. A flag on the word was never needed: the wakes owed are the releasing
 * thread's own, and a release by another thread flushed that thread's list, not the notifier's.
 * Measured with `bench/probes/semaphore_pingpong.ts /tmp/cond-before/mod.ts ./mod.ts` under
 * `taskset -c 0` (the fast, same-CPU regime, where the hand-off is the path length of both
 * sides; 40 batches of 500 round trips per row, rows rotated in one run), `cond-after ÷
 * cond-before`, median: the clock and re-acquire changes of `#waitSlow` alone 0.91 / 0.90
 * (Node, two runs), with this change 0.86 / 0.85; the whole change, three runs each: Node
 * 0.82 / 0.79 / 0.81 (÷ floor 1.87 / 1.88 / 2.04 → 1.53 / 1.49 / 1.65), Deno 0.82 / 0.81 /
 * 0.76 (1.95 / 1.94 / 2.09 → 1.60 / 1.58 / 1.60), Bun 0.97 / 0.93 / 0.97 (1.29 / 1.39 / 1.42 →
 * 1.24 / 1.29 / 1.38). Per round trip and worker (`--count`, Node): CASes on the lock word
 * 4.5 → 4.0 (acquire, the release in `wait`, the re-acquire, the release), lock-word notifies
 * 0.5–1.0 → 0, ADMIT loads 4.6 → 3.6, `performance.now()` 2.8 → 1.6.
 * Earlier, deferring at all: `bench/probes/condition_pingpong.ts
 * <before>/mod.ts ./mod.ts` (2 CPUs at load 11–22; fastest of 60 batches of 500 round trips; 4
 * runs per runtime), after ÷ before: Node 0.43–0.46, Deno 0.42–0.47, Bun 0.52–0.66; ÷ the floor,
 * before → after: Node 3.5–3.7× → 1.56–1.66×, Deno 3.5–3.9× → 1.50–1.75×, Bun 1.5–2.2× →
 * 0.97–1.20×.
 *
 * Size: 4232 bytes (was 264 with a CANCELLED bitmap before the owners were recorded; issue 10).
 * Time of the owner idents (issue 10): no cost above the noise. `bench/probes/condition_pingpong.ts <before>/mod.ts ./mod.ts`
 * (the two copies alternate batch by batch in one run; 2 CPUs at load 21–23), after ÷ before:
 * cross-worker ping-pong, fastest batch, Node 0.90–1.03 (4 runs), Deno 0.99–1.05 (3), Bun
 * 0.96–1.16 (5; a copy against itself gives 0.97–1.04); a ticket taken and cancelled in one thread
 * (`waitSync({ timeout: 0 })`) Node 0.92–1.00, Deno 0.98–1.01, Bun 0.96–1.00.
 *
 * @module
 */

import { NotOwnedError } from "./errors.ts";
import {
  Aborted,
  deadlineAfter,
  deferWakeAll,
  now,
  type Park,
  type Parker,
  parksEnded,
  parkSync,
  reasonOf,
  runAsync,
  runSync,
  SOFT_SLACK_MS,
  type WaitResult,
  wakeAll,
} from "./internal/futex.ts";
import { parkUntil } from "./internal/lock_word.ts";
import type { Guard } from "./internal/guard.ts";
import { currentIdent, LIFE_ENDED, lifeOf } from "./internal/ident.ts";
import { opening, placeOrOpen } from "./internal/construct.ts";
import { asyncOptions, remaining, signalIn, syncEntry, timeoutIn } from "./internal/entry.ts";
import { type Handle, isHandle, open, type PlacementOptions, slots } from "./internal/layout.ts";
import { type Description, description } from "./internal/diagnostics.ts";
import { signalOf, type SyncWaitOptions, timeoutOf, type WaitOptions } from "./internal/options.ts";
import { Lock } from "./lock.ts";
import { RLock } from "./rlock.ts";
import { brand } from "./internal/brand.ts";

/** Slot of the next ticket. */
const NEXT = 0;
/** Slot of the admission boundary. */
const ADMIT = 1;
/** First wake slot. */
const WAKE = 2;
/** Wake slots (a power of two): waiters whose tickets are congruent share one. */
const WAKES = 32;
/** Most tickets outstanding at once (a power of two): the waiters a Condition can hold. */
export const WINDOW = 1024;
/** First OWNER entry: the ident of the waiter of each outstanding ticket, by ticket mod WINDOW. */
const OWNER = WAKE + WAKES;
/** Slots a Condition takes. */
const SLOTS = OWNER + WINDOW;
/** Bytes a Condition takes (its lock lives in its own place). */
const BYTES = SLOTS * 4;

/** Whether ticket `t` has been notified. */
function admitted(i32: Int32Array, t: number): boolean {
  return ((t - Atomics.load(i32, ADMIT)) | 0) < 0;
}

/** The slot of ticket `t`'s OWNER entry. */
function ownerAt(t: number): number {
  return OWNER + (t & (WINDOW - 1));
}

/**
 * Whether outstanding ticket `t` is gone (lock held): its waiter left unnotified (OWNER 0) or its
 * thread has ended. An ended owner's entry is cleared, so that a later pass over the same ticket
 * (the wake loop of `notify`) sees the same verdict without asking again.
 */
function gone(i32: Int32Array, t: number): boolean {
  const at = ownerAt(t);
  const owner = Atomics.load(i32, at);
  if (owner === 0) return true;
  // Ended is final: an owner seen ended can never wait on this ticket again.
  if (lifeOf(owner) !== LIFE_ENDED) return false;
  Atomics.store(i32, at, 0);
  return true;
}

/**
 * Moves ADMIT past the gone tickets at its head (lock held). Nobody will act on a wake-up for
 * them, so no wake is owed; without this, waits that time out with nobody notifying, and waiters
 * killed inside `wait`, would fill the window.
 */
function passGone(i32: Int32Array): void {
  const next = Atomics.load(i32, NEXT);
  const first = Atomics.load(i32, ADMIT);
  let admit = first;
  while (admit !== next && gone(i32, admit)) admit = (admit + 1) | 0;
  if (admit !== first) Atomics.store(i32, ADMIT, admit);
}

/**
 * Cancels ticket `t` (lock held; its waiter is leaving unnotified): clears its OWNER, then moves
 * ADMIT past the gone tickets at the head.
 */
function cancel(i32: Int32Array, t: number): void {
  Atomics.store(i32, ownerAt(t), 0);
  passGone(i32);
}

/**
 * Runs the lock's re-acquire `inner` to the end, shielded from aborts: an {@link Aborted} thrown
 * in at one of its yields is handed to `onAbort` and `inner` resumes as after a spurious wake-up
 * (it re-reads the lock word and parks again). The lock's own slow path thus never sees an abort,
 * and cannot undo or redo part of a re-acquire (an RLock would restore its depth while another
 * task of this thread holds it).
 */
function* shielded(inner: Parker<unknown>, onAbort: (aborted: Aborted) => void): Parker<void> {
  let step = inner.next();
  while (step.done !== true) {
    let result: WaitResult = "ok";
    try {
      result = yield step.value;
    } catch (error) {
      if (!(error instanceof Aborted)) {
        step = inner.throw(error);
        continue;
      }
      onAbort(error);
    }
    step = inner.next(result);
  }
}

/** `signal`'s abort, if it has aborted (a signal-like object whose getter throws: that error). */
function abortOf(signal: AbortSignal | undefined): Aborted | undefined {
  if (signal === undefined) return undefined;
  let aborted: boolean;
  try {
    aborted = signal.aborted === true;
  } catch (error) {
    return new Aborted(error);
  }
  return aborted ? new Aborted(reasonOf(signal)) : undefined;
}

/** One wait in its slow path: the park request (the `Park` fields) and the loop's state. */
interface CondWait extends Park {
  /** The ticket. */
  t: number;
  /** The last `now()` read. */
  clock: number;
  /** `clock` was read this turn, with no sleep since: the sync driver need not read it again. */
  fresh: boolean;
  /** The caller's deadline (`Park.deadline` is the next park's: a liveness poll may come first). */
  until: number;
  /** What `_releaseSave` returned (an RLock's depth), for `_acquireRestore`. */
  saved: number;
  /** The ticket was seen admitted. */
  notified: boolean;
}

/**
 * One turn of a wait (lock released): `true` when it must sleep on `w` (its deadline set), `false`
 * when the wait is over (notified, or the caller's deadline passed).
 */
function turn(w: CondWait): boolean {
  if (admitted(w.i32, w.t)) {
    w.notified = true;
    return false;
  }
  if (w.clock >= w.until) return false;
  // Wake at least every OWNER_POLL_MS to look at ADMIT: the wake of a notify is deferred to its
  // thread's release (see `notify`), and a notifier killed before it, or whose `Lock` another
  // thread released while it blocks, leaves it owed. The poll bounds that to OWNER_POLL_MS; it
  // never decides anything, ADMIT does.
  w.deadline = parkUntil(w.until, true, w.clock);
  w.slack = w.deadline < w.until ? SOFT_SLACK_MS : 0; // a poll may run late
  return true;
}

/**
 * After a park of `w` ended with `result`. "ok": a notify of our slot (ours or a congruent
 * ticket's) — re-check. "not-equal": a notify came before we slept — re-check. "timed-out": the
 * deadline or a poll — re-check, with the clock read again. After "ok" or "not-equal" the clock is
 * not read: the park's deadline stays the one just set (the poll mark is then at most
 * OWNER_POLL_MS after the last read, as the poll needs), and the drivers end a park whose deadline
 * has passed as "timed-out" without sleeping, which reads it here. Per parked wait this reads the
 * clock once (`waitSync`'s read) instead of three times (`deadlineAfter`, `expired`,
 * `parkUntil(…, now())`); the async driver reads it once more, the sync one not on the first turn
 * (`fresh`). With the free-lock re-acquire of `_acquireRestore`: Node ping-pong 0.91 / 0.90 of
 * before (see the header).
 */
function woke(w: CondWait, result: WaitResult): void {
  w.expected = Atomics.load(w.i32, w.index);
  w.fresh = result === "timed-out";
  if (w.fresh) w.clock = now();
}

/**
 * This thread's sync waits reuse one {@link CondWait}: a thread blocks in one sync wait at a time,
 * and no code of the caller runs inside one (only threadkit's: the release, the parks, the
 * re-acquire). A fresh object per wait → this, pinned Condition ping-pong
 * (`taskset -c 0 node bench/probes/semaphore_pingpong.ts <copy before> ./mod.ts`), median after ÷
 * before in four runs: Node 0.99 / 0.83 / 0.91 / 0.94; Bun 1.04 (one run).
 */
let syncWait: CondWait | undefined;

/** A wait record before `#enter` fills it (one shape for every record). */
function blankWait(): CondWait {
  return {
    i32: EMPTY_SLOTS,
    index: 0,
    expected: 0,
    deadline: Infinity,
    asyncCount: -1,
    slack: 0,
    t: 0,
    clock: 0,
    until: Infinity,
    fresh: true,
    saved: 0,
    notified: false,
  };
}

/** The slots of a blank wait record (never waited on). */
const EMPTY_SLOTS = new Int32Array(0);

/** What `Condition` needs of its lock. Implemented by `Lock` and `RLock`. */
interface ConditionLock {
  readonly handle: Handle;
  acquireSync(options?: SyncWaitOptions): boolean;
  acquire(options?: WaitOptions): Promise<boolean>;
  tryAcquire(): boolean;
  release(): void;
  holdSync(options?: SyncWaitOptions): Guard;
  hold(options?: WaitOptions): Promise<Guard>;
  _owner(): number;
  /** Present on every copy's Lock/RLock; earlier copies flush deferred wakes only through it. */
  _markRelease?(): boolean;
  /**
   * `acquireSync`, watching the word before each sleep (absent from earlier copies). A contract
   * between library copies from now on: a later Condition calls it on this copy's locks.
   */
  _acquireSyncWatching?(options?: SyncWaitOptions): boolean;
  /** `holdSync`, the same way (absent from earlier copies; the same contract). */
  _holdSyncWatching?(options?: SyncWaitOptions): Guard;
  _releaseSave(): number;
  _acquireRestore(saved: number): Parker<unknown> | undefined;
  /**
   * This copy's `Lock` only: takes a free lock when no async acquire of this thread waits in the
   * Lock object's line; the Condition then re-acquires through `acquire()`, in that line.
   */
  _tryRestore?(): boolean;
}

/** The default `instanceof` test (the prototype chain), not the brand check. */
const ownClass = Function.prototype[Symbol.hasInstance];

/**
 * A condition variable: threads holding its lock wait for a notification from another holder.
 *
 * - `waitSync()`/`wait()` release the lock (fully, for an `RLock` held recursively), sleep until
 *   notified or timed out, and re-acquire it before returning — also on timeout and abort.
 * - `notify(n)` wakes at most `n` waiters, oldest first; `notifyAll()` wakes all. A waiter that
 *   times out after being notified returns `true`, so no notification is lost. A waiter whose
 *   thread ended inside `wait` (it was terminated, or exited) before the notify is skipped: the
 *   notification goes to the next live waiter (threads threadkit did not start count as alive).
 * - Waiting or notifying without holding the lock throws `NotOwnedError`.
 * - No spurious wake-ups surface: `wait` returns `true` only when notified. Still, re-check your
 *   predicate (`waitFor` does it for you), since another thread may run first.
 * - At most {@link WINDOW} (1024) waits outstanding; one more throws `RangeError`. A wait that
 *   timed out, was aborted or whose thread ended stays outstanding while an older waiter still
 *   waits (it is let go when every older wait has ended or been notified).
 *
 * Happens-before: a `notify` synchronizes before the return of the waits it wakes (through the
 * lock, which the waiter re-acquires).
 *
 * Sharing: `Condition.from(cond.handle)` in any thread rebuilds it with its lock.
 *
 * Async tasks of one thread: give the condition a `Lock` (`new Condition(new Lock())`). The
 * default `RLock` is owned by the thread, so all its tasks hold it at once, and a `wait` in one
 * task releases it for all of them.
 *
 * @example A flag guarded by a condition (two async tasks of one thread)
 * ```ts
 * import { Condition, Lock } from "@threadkit/threadkit";
 * import assert from "node:assert/strict";
 *
 * const cond = new Condition(new Lock());
 * const ready = new Int32Array(new SharedArrayBuffer(4));
 * const waiter = (async () => {
 *   using _g = await cond.hold();
 *   return await cond.waitFor(() => ready[0] === 1, { timeout: 1000 });
 * })();
 * {
 *   using _g = await cond.hold();
 *   ready[0] = 1;
 *   cond.notifyAll();
 * }
 * assert.equal(await waiter, true);
 * ```
 */
export class Condition {
  static {
    brand(this, "Condition");
  }
  /** Bytes a Condition takes inside a caller's buffer (its lock needs its own place). */
  static readonly byteLength: number = BYTES;

  /** A structured-clone-safe description (with the lock's); `Condition.from` rebuilds it. */
  readonly handle: Handle;
  /** The lock this condition waits with. */
  readonly lock: Lock | RLock;
  readonly #i32: Int32Array;
  readonly #lock: ConditionLock;
  /**
   * The lock is another threadkit copy's: its release may not flush this thread's owed wakes (an
   * earlier copy flushed only from `unlockSlow`, when PARKED was set), so `notify` marks its word
   * as Conditions used to (`_markRelease`).
   */
  readonly #foreignLock: boolean;

  /**
   * Creates a condition over `lock` (a new `RLock` by default).
   *
   * @throws {TypeError} `lock` is not a threadkit `Lock` or `RLock`; bad placement.
   * @throws {RangeError} `byteOffset` is negative, misaligned, or leaves no room.
   */
  constructor(lock: Lock | RLock = new RLock(), options?: PlacementOptions) {
    if (!(lock instanceof Lock) && !(lock instanceof RLock)) {
      throw new TypeError("Cannot create Condition: lock must be a threadkit Lock or RLock");
    }
    this.lock = lock;
    this.#lock = lock as unknown as ConditionLock;
    this.#foreignLock = !ownClass.call(Lock, lock) && !ownClass.call(RLock, lock);
    this.handle = placeOrOpen("Condition", BYTES, options, 4, { lock: lock.handle });
    this.#i32 = slots(this.handle, SLOTS);
  }

  /**
   * Rebuilds a condition (and its lock) from its handle.
   *
   * @throws {TypeError} `handle` is not the handle of a `Condition`.
   */
  static from(handle: Handle): Condition {
    const opened = open(handle, "Condition", BYTES);
    const lockHandle = opened.lock;
    if (!isHandle(lockHandle)) {
      throw new TypeError("Cannot open Condition: its handle has no lock handle");
    }
    const lock = lockHandle.kind === "Lock" ? Lock.from(lockHandle) : RLock.from(lockHandle);
    return new Condition(lock, opening(opened));
  }

  /**
   * Acquires the lock (blocking); see `Lock.acquireSync`. Unlike a `Lock` taken directly, which
   * sleeps at once while another thread holds it (a mutex's waiter should let the holder run on),
   * a wait here watches the lock word before each sleep, up to the futex layer's sync spin (16 µs,
   * 32 on Bun, 0 in browsers), as a signal's waiter does. The spin's per-thread credit does not bound what
   * this costs a contended mutex: a watch that sees the release and wins the lock counts as paid,
   * so threads contending through the Condition trade the lock at most releases (the price
   * below; a lost race is charged, a won one is not). A Condition's lock is
   * held across hand-offs: in a ping-pong the other side holds it for the few hundred ns between
   * its `notify()` and its `waitSync()`, and a thread that slept at once through them paid a
   * futex wake-up (10–50 µs on an idle machine) for every one.
   * Measured (2026-12-03, 2 CPUs, load 0–1.5), `condition.pingpong`'s body, the tree before and
   * after, `<runtime> bench/probes/condition_count.ts <before>/mod.ts ./mod.ts` (20000 round
   * trips after a warm-up as long; four runs per runtime, the copies' order swapped in two):
   * sleeps on the lock word per round trip 0.36–0.65 → 0 (Node), 0.22–0.33 → 0 (Deno),
   * 0.02–0.11 → 0 (Bun); µs a round trip, after ÷ before, Node 0.48 / 0.52 / 0.37 / 0.36,
   * Deno 0.54 / 0.79 / 0.37 / 0.58, Bun 0.57 / 0.64 / 0.84 and one run 5.9 (1.9 → 11.3 µs: the
   * before copy's pair spun throughout, the after copy's fell asleep in its condition waits, 0.14
   * a round trip, with no lock-word sleep: the sync spin's bistable regime, `setSyncSpin`, which
   * swings either copy between runs). In the bench harness the gain is smaller: `node
   * bench/run.ts --filter condition.pingpong,floor.wait-notify,platform.postmessage-rt,
   * peer.mt-condvar --no-redis --no-struct` (full mode) in each tree, before after after before
   * before after, load 0–1.4, µs a round trip: Node 4.4 / 3.4 / 3.5 → 3.2 / 7.3 / 3.3, Deno 3.2 /
   * 3.3 / 3.2 → 3.1 / 3.4 / 3.3, Bun 5.3 / 4.8 / 4.4 → 2.7 / 3.7 / 3.1 (geometric means 1.14,
   * 1.01, 0.65): both trees' pairs mostly spun there, where few races are lost.
   * The price, where the lock is a contended mutex: `bench/probes/condition_contended.ts K
   * <before>/mod.ts ./mod.ts` (K workers each acquire, increment, notify nobody and release,
   * 10^6 times; two runs), median of 5 rounds per copy, ns an increment after ÷ before: K = 2
   * Node 1.33 / 0.96, Deno 1.23 / 0.45, Bun 1.03 / 0.98; K = 4 Node 1.28 / 1.38, Deno 1.35 /
   * 1.65, Bun 1.16 / 0.94 (tens of ns: medians 31–105 before, 43–90 after). Single rounds
   * spread wide both ways (23–157 ns in one copy's five), and a review's run saw rounds of
   * 159 and 202 ns after against a 61 ns median before (K = 2, Node): as a contended mutex a
   * Condition's lock may cost up to ~3× per increment in a bad round. A `Lock` taken directly
   * keeps sleeping at once.
   */
  acquireSync(options?: SyncWaitOptions): boolean {
    const lock = this.#lock;
    // A Lock or RLock of another library copy may lack the watching form.
    return lock._acquireSyncWatching !== undefined
      ? lock._acquireSyncWatching(options)
      : lock.acquireSync(options);
  }

  /** Acquires the lock (async); see `Lock.acquire`. */
  acquire(options?: WaitOptions): Promise<boolean> {
    return this.#lock.acquire(options);
  }

  /** Takes the lock if free; see `Lock.tryAcquire`. */
  tryAcquire(): boolean {
    return this.#lock.tryAcquire();
  }

  /** Releases the lock. */
  release(): void {
    this.#lock.release();
  }

  /** Holds the lock until the guard is released (blocking); waits as {@link acquireSync} does. */
  holdSync(options?: SyncWaitOptions): Guard {
    const lock = this.#lock;
    return lock._holdSyncWatching !== undefined
      ? lock._holdSyncWatching(options)
      : lock.holdSync(options);
  }

  /** Holds the lock until the guard is released (async). */
  hold(options?: WaitOptions): Promise<Guard> {
    return this.#lock.hold(options);
  }

  #assertOwned(what: string): void {
    if (this.#lock._owner() !== currentIdent()) {
      throw new NotOwnedError(`Cannot ${what}: the condition's lock is not held by this thread`);
    }
  }

  /** Takes a ticket for this thread (lock held). */
  #ticket(): number {
    const i32 = this.#i32;
    const t = Atomics.load(i32, NEXT);
    if (((t - Atomics.load(i32, ADMIT)) | 0) >= WINDOW) {
      // Full: the oldest tickets may be gone (their waiters timed out or were killed).
      passGone(i32);
      if (((t - Atomics.load(i32, ADMIT)) | 0) >= WINDOW) {
        throw new RangeError(`Cannot wait on condition: it already has ${WINDOW} waiters`);
      }
    }
    // Record the owner before the ticket is handed out: every outstanding ticket has one.
    Atomics.store(i32, ownerAt(t), currentIdent());
    Atomics.store(i32, NEXT, (t + 1) | 0);
    return t;
  }

  /**
   * Starts the wait of ticket `t` (taken with the lock held): reads its WAKE slot, then releases
   * the lock. `clock` is a `now()` read at the call (it is also the first liveness poll's start);
   * `until` the caller's deadline, from it. Both drivers ({@link Condition.#waitSlow},
   * {@link Condition.#waitSlowSync}) then run {@link turn} and {@link woke} around their parks,
   * and {@link Condition.#leave} after the re-acquire: one algorithm, two ways to sleep.
   */
  #enter(t: number, clock: number, until: number, w: CondWait = blankWait()): CondWait {
    const i32 = this.#i32;
    const index = WAKE + (t & (WAKES - 1));
    w.i32 = i32;
    w.index = index;
    // Read our wake slot before the lock goes, so a notify after the release is seen.
    w.expected = Atomics.load(i32, index);
    w.deadline = until;
    w.slack = 0;
    w.t = t;
    w.clock = clock;
    w.until = until;
    w.fresh = true;
    w.notified = false;
    w.saved = this.#lock._releaseSave();
    return w;
  }

  /**
   * The async driver of a wait: sleeps through `runAsync` between turns, then re-acquires the
   * lock.
   *
   * Over this copy's `Lock`, through the Lock object's line of async acquires: a free lock (with
   * no acquire of this thread in the line) is taken here, in the run's last step; otherwise the
   * run settles with the promise of a re-acquire in the line (`Lock.acquire()`),
   * started a microtask later (not inside this run's step), which the run's promise adopts. An
   * abort of `signal` meanwhile counts as below, where it is thrown in at the re-acquire's parks
   * and recorded: the wait rejects with it once it holds the lock. (A first version ran the sleep
   * and the re-acquire as two promises chained by a `.then`, the sleep a generator of its own: a
   * cross-thread async Condition ping-pong took 1.2× its time before on Node, 1.16× on Deno,
   * `TK_BEFORE=<before>/mod.ts <rt> bench/probes/waitasync.ts --runs 9 --filter
   * probe.condition-before,probe.condition-after`.)
   *
   * Over an RLock (whose async tasks share its hold) or an earlier copy's lock, shielded from
   * aborts, in this run.
   */
  *#waitSlow(w: CondWait, signal: AbortSignal | undefined): Parker<boolean | Promise<boolean>> {
    let failure: Aborted | undefined;
    try {
      while (turn(w)) woke(w, yield w);
    } catch (error) {
      // Aborted (async form): re-acquire first, then reject.
      if (!(error instanceof Aborted)) throw error;
      failure = error;
    }
    const lock = this.#lock;
    if (lock._tryRestore !== undefined) {
      if (lock._tryRestore()) return this.#leave(w, undefined, failure);
      const aborted = failure;
      return Promise.resolve().then(() => {
        const leave = (thrown: { error: unknown } | undefined) =>
          this.#leave(w, thrown, aborted ?? abortOf(signal));
        // No timeout, no signal: an abort meanwhile is recorded (`abortOf`), as above.
        return lock.acquire().then(() => leave(undefined), (error: unknown) => leave({ error }));
      });
    }
    // Re-acquire the lock, always; an abort meanwhile is recorded and the re-acquire goes on.
    // An error of the re-acquire itself (OwnerDiedError) is thrown with the lock held: finish the
    // ticket's bookkeeping first, as for an abort. A free lock is taken at once, with no
    // generator (`_acquireRestore` returns none; it made two, its own and `shielded`, per wait).
    let thrown: { error: unknown } | undefined;
    const reacquire = lock._acquireRestore(w.saved);
    if (reacquire !== undefined) {
      try {
        yield* shielded(reacquire, (aborted) => {
          failure ??= aborted;
        });
      } catch (error) {
        thrown = { error };
      }
    }
    return this.#leave(w, thrown, failure);
  }

  /**
   * The sync driver of a wait: a plain loop over `parkSync`, no generator (nothing can abort a
   * sync wait). The lock word's sync acquire did the same (`lockSlowSync`: a generator and the
   * driver's result objects are fresh memory each wait, which the fast regime pays for), and the
   * first park measures its time left from `waitSync`'s clock read (`parkSync(w, clock)`: one
   * read per wait, was two). Generator → this, `bench/probes/semaphore_pingpong.ts <copy before>
   * ./mod.ts` (40 batches of 500 round trips, rows rotated in one run), `cond-after ÷
   * cond-before` median, two runs each: pinned (`taskset -c 0`) Node 0.86 / 0.85 (÷ floor 1.58 →
   * 1.36, 1.59 → 1.35), Deno 0.99 / 0.94, Bun 0.97 / 0.91; unpinned Node 1.02 / 0.98 (wall time
   * follows the wake-ups there), with each worker's CPU per round trip 15.9 → 14.9 and 16.9 →
   * 16.1 µs.
   */
  #waitSlowSync(w: CondWait): boolean {
    while (turn(w)) woke(w, parkSync(w, w.fresh ? w.clock : undefined));
    parksEnded(); // the wait's parks ended (see the futex layer's spin credit)
    let thrown: { error: unknown } | undefined;
    const reacquire = this.#lock._acquireRestore(w.saved);
    if (reacquire !== undefined) {
      try {
        runSync(reacquire);
      } catch (error) {
        thrown = { error };
      }
    }
    return this.#leave(w, thrown, undefined);
  }

  /**
   * Ends a wait, the lock held again: a ticket not admitted is cancelled; on an error or abort a
   * notification already received goes to the next waiter, then the error is thrown.
   */
  #leave(w: CondWait, thrown: { error: unknown } | undefined, failure: Aborted | undefined) {
    const i32 = this.#i32;
    // Admitted stays admitted (ADMIT only moves past outstanding tickets): a ticket seen admitted
    // in the loop needs no second look; one that left unadmitted may have been admitted since.
    const notified = w.notified || admitted(i32, w.t);
    if (!notified) cancel(i32, w.t);
    if (thrown !== undefined || failure !== undefined) {
      // A notification we can no longer act on goes to the next waiter.
      if (notified) this.notify(1);
      throw thrown !== undefined ? thrown.error : failure!.reason;
    }
    return notified;
  }

  /**
   * Releases the lock, blocks until notified or `timeout` runs out, and re-acquires the lock.
   *
   * @returns `true` if notified, `false` on timeout.
   * @throws {NotOwnedError} The calling thread does not hold the lock.
   * @throws {TypeError} Blocking is not allowed on this thread; bad options.
   * @throws {RangeError} `timeout` is negative or `NaN`; more than 1024 waiters.
   */
  waitSync(options?: SyncWaitOptions): boolean {
    const timeout = syncEntry(options, "wait on condition", "condition.wait()");
    this.#assertOwned("wait on condition");
    const t = this.#ticket();
    // One clock read serves the deadline and the first liveness poll (see `turn` and `woke`).
    const clock = now();
    const until = timeout === Infinity ? Infinity : clock + timeout;
    syncWait = this.#enter(t, clock, until, syncWait ?? blankWait());
    return this.#waitSlowSync(syncWait);
  }

  /**
   * Releases the lock, waits without blocking until notified, `timeout` runs out or `signal`
   * aborts, and re-acquires the lock (also before rejecting on abort).
   *
   * @returns A promise of `true` if notified, `false` on timeout.
   * @throws {NotOwnedError} (rejects) The calling thread does not hold the lock.
   */
  wait(options?: WaitOptions): Promise<boolean> {
    // Bad options first, then ownership, then an aborted signal (so not `asyncEntry`).
    const entry = asyncOptions(options, "wait on condition");
    if (entry instanceof Promise) return entry;
    const timeout = timeoutIn(entry);
    const signal = signalIn(entry);
    let t: number;
    try {
      this.#assertOwned("wait on condition");
      if (signal?.aborted === true) return Promise.reject(signal.reason);
      t = this.#ticket();
    } catch (error) {
      return Promise.reject(error);
    }
    const clock = now();
    const deadline = timeout === Infinity ? Infinity : clock + timeout;
    let w: CondWait;
    try {
      w = this.#enter(t, clock, deadline); // releases the lock
    } catch (error) {
      return Promise.reject(error); // an async form rejects, never throws
    }
    // A run whose value may be a promise (a re-acquire in the line), which its own adopts.
    return runAsync(this.#waitSlow(w, signal), signal, "throw") as Promise<boolean>;
  }

  /**
   * Waits (blocking) until `predicate()` is truthy, re-checking it with the lock held after each
   * wake-up; gives up when `timeout` runs out.
   *
   * @returns The predicate's last value.
   */
  waitForSync<T>(predicate: () => T, options?: SyncWaitOptions): T {
    const timeout = timeoutOf(options, "wait on condition");
    const deadline = deadlineAfter(timeout);
    let result = predicate();
    while (!result) {
      const left = remaining(deadline);
      if (left <= 0) break;
      this.waitSync({ timeout: left });
      result = predicate();
    }
    return result;
  }

  /**
   * Waits (async) until `predicate()` is truthy, re-checking it with the lock held after each
   * wake-up; gives up when `timeout` runs out.
   *
   * @returns A promise of the predicate's last value.
   */
  async waitFor<T>(predicate: () => T, options?: WaitOptions): Promise<T> {
    const timeout = timeoutOf(options, "wait on condition");
    const signal = signalOf(options, "wait on condition");
    const deadline = deadlineAfter(timeout);
    let result = predicate();
    while (!result) {
      const left = remaining(deadline);
      if (left <= 0) break;
      await this.wait(
        signal === undefined ? { timeout: left } : { timeout: left, signal },
      );
      result = predicate();
    }
    return result;
  }

  /**
   * Wakes up to `n` waiters, oldest first.
   *
   * @throws {NotOwnedError} The calling thread does not hold the lock.
   * @throws {RangeError} `n` is negative or not an integer.
   */
  notify(n = 1): void {
    if (typeof n !== "number") {
      throw new TypeError(`Cannot notify condition: n must be a number, got ${typeof n}`);
    }
    if (n !== Infinity && (!Number.isInteger(n) || n < 0)) {
      throw new RangeError(`Cannot notify condition: n must be a non-negative integer, got ${n}`);
    }
    this.#assertOwned("notify condition");
    const i32 = this.#i32;
    const first = Atomics.load(i32, ADMIT);
    const next = Atomics.load(i32, NEXT);
    // Pass the next n live tickets (gone ones do not count; `gone` clears an ended owner, so the
    // loop below sees the same verdict even if the thread ends in between).
    let admit = first;
    for (let live = 0; live < n && admit !== next; admit = (admit + 1) | 0) {
      if (!gone(i32, admit)) live++;
    }
    if (admit === first) return;
    // Publish the boundary before any wake (see the invariants).
    Atomics.store(i32, ADMIT, admit);
    // Deferred wake: we hold the lock, which the woken waiters need next. Owe the wakes to its
    // release instead of waking now (`deferWakeAll`): `Lock`/`RLock` flush this thread's owed
    // wakes right after a release frees the word, and so does this thread before it parks or
    // when its job ends. Woken now, a waiter runs into the held lock and sleeps again on the
    // lock word. No mark on the lock word (it was `markRelease`; see the header: Node ping-pong
    // 0.91 → 0.86 of before with it gone), unless the lock is another copy's (`#foreignLock`):
    // then mark it, and wake now if it is no longer ours to mark (released by another thread).
    const defer = !this.#foreignLock || this.#lock._markRelease?.() !== false;
    for (let t = first; t !== admit; t = (t + 1) | 0) {
      if (Atomics.load(i32, ownerAt(t)) === 0) continue;
      const slot = WAKE + (t & (WAKES - 1));
      // The bump is the notification's value change: a waiter about to sleep sees it
      // ("not-equal"), one asleep is woken by the deferred wake of its slot.
      Atomics.add(i32, slot, 1);
      if (defer) deferWakeAll(i32, slot);
      else wakeAll(i32, slot);
    }
  }

  /**
   * Who holds the condition's lock, how many wait on the condition, and its name: a snapshot.
   *
   * @returns `holders`: the lock's (see `Lock.describe()`); `waiters`: waits not yet notified,
   *   timed out or aborted, whose thread has not ended.
   * @example
   * ```ts
   * import { Condition } from "@threadkit/threadkit";
   * import assert from "node:assert/strict";
   *
   * const cond = new Condition(undefined, { name: "ready" });
   * using _g = cond.holdSync();
   * const { name, holders, waiters } = cond.describe();
   * assert.equal(name, "ready");
   * assert.equal(holders.length, 1);
   * assert.equal(waiters, 0);
   * ```
   */
  describe(): Description {
    const i32 = this.#i32;
    const admit = Atomics.load(i32, ADMIT);
    // Without the lock the two reads may disagree: look at WINDOW tickets at most.
    const outstanding = Math.min((Atomics.load(i32, NEXT) - admit) >>> 0, WINDOW);
    let waiters = 0;
    for (let k = 0; k < outstanding; k++) {
      // Read only: a waiter whose thread ended does not count.
      const owner = Atomics.load(i32, ownerAt(admit + k));
      if (owner !== 0 && lifeOf(owner) !== LIFE_ENDED) waiters++;
    }
    const holders = [...this.lock.describe().holders];
    return description("Condition", "condition", this.handle, holders, waiters);
  }

  /** Wakes every waiter. @throws {NotOwnedError} The calling thread does not hold the lock. */
  notifyAll(): void {
    this.notify(Infinity);
  }
}
