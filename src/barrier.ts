/**
 * `Barrier`: a cyclic rendezvous of a fixed number of parties, as Python's `threading.Barrier`.
 *
 * Layout: Int32Array, 4-byte slots, byteOffset % 4 === 0
 * | slot | name    | meaning                                                              |
 * | 0    | WORD    | the state word (below)                                               |
 * | 1    | GEN     | cycles released so far (wraps mod 2^32)                              |
 * | 2    | SEQ     | bumped after every move of WORD but an arrival; waiters sleep on it  |
 * | 3    | PARTIES | the number of parties, fixed                                         |
 * | 4, 5 | TIMEOUT | the default timeout of every party's `wait`, in ms: float64 bits     |
 * |      |         | (low word first, `Infinity` when none), written once at creation     |
 * | 6-15 |         | unused: the slots below sit on another cache line (64 bytes on)      |
 * | 16   | ACTOR   | the ident of the thread whose arrival last set ACTION (the actor)    |
 * | 17   | STAMP   | `TAG << 2 \| phase` of the actor's cycle, 0 before any: RUNNING (1)    |
 * |      |         | from right after its ACTION CAS; RELEASING (2) once its action has   |
 * |      |         | returned; TAKEN (3) when, RUNNING, it was found ended: it breaks     |
 * | 18   | CYCLE   | the GEN of the actor's cycle                                         |
 * | 19   | EPOCH   | ACTION cycles so far (wraps mod 2^32), bumped by each last arrival   |
 * |      |         | right after its ACTION CAS: the actor's own claims check it, so a    |
 * |      |         | zombie never claims a later cycle whose TAG (13 bits) equals its own |
 *
 * The state word: `TAG << 19 | RESETTING | BROKEN | ACTION | COUNT`
 * | bits  | name      | meaning                                                          |
 * | 0-15  | COUNT     | arrivals of this cycle still inside `wait` (parties ≤ 65535)     |
 * | 16    | ACTION    | the last arrival runs the action; the cycle is complete          |
 * | 17    | BROKEN    | broken: arrivals throw; the cycle's waiters leave, uncounting    |
 * | 18    | RESETTING | (with BROKEN) `reset()` waits for the broken cycle's waiters     |
 * | 19-31 | TAG       | the cycle, mod 2^13: bumped by a release and by a finished reset |
 *
 * State table (`c` = COUNT, `t` = TAG, `P` = PARTIES; every move is one CAS of WORD; every move
 * but an arrival `c → c+1` and a leave `c → c-1` then bumps SEQ and wakes all its sleepers):
 * | state               | meaning             | moves                                           |
 * | t, c                | filling             | arrive: c+1 (index c); last (c+1 = P): ACTION    |
 * |                     |                     | wait times out/aborts: BROKEN, c-1               |
 * |                     |                     | abort(): BROKEN; reset() with c > 0: BROKEN\|RESETTING |
 * | t, ACTION, c        | action running      | after it: GEN+1, then t+1, 0 (released)          |
 * |                     |                     | it throws: BROKEN, c (its others leave)          |
 * |                     |                     | abort() or an arrival's timeout: sets BROKEN      |
 * | t, ACTION\|BROKEN, c | ...then break       | after it: GEN+1, then t+1, BROKEN, 0; reset(): clear BROKEN |
 * | t, BROKEN, c        | broken              | a waiter of t leaves: c-1; reset(): c > 0 → RESETTING, c = 0 → t+1, 0 |
 * | t, BROKEN\|RESETTING, c | reset, draining  | a waiter leaves: c-1, the last one → t+1, 0; abort(): clears RESETTING |
 *
 * Invariants:
 * - A cycle ends once, by its release (GEN+1, then TAG+1 with COUNT 0) or its break (BROKEN,
 *   same TAG and GEN). TAG moves on from a broken cycle only when its COUNT is 0, so no waiter of
 *   it is left to mistake the new TAG for a release.
 * - GEN is moved only while ACTION is set, by the last arrival or, when it has ended, by whoever
 *   completes its release (one CAS from CYCLE, below): GEN changes, after a waiter arrived, only
 *   by the release of the waiter's own cycle.
 * - An arrival reads WORD, then GEN, then CASes WORD from the value it read: if the CAS succeeds,
 *   no release completed in between (it would have moved TAG), so the GEN it read is its cycle's
 *   (unless TAG wrapped 2^13 times between two of its instructions).
 * - A waiter of cycle (t, g) has passed iff GEN ≠ g or TAG ≠ t (either alone suffices but for a
 *   wrap; both wrap only after 2^32 releases). It reads SEQ before it checks GEN and WORD, and
 *   sleeps on that SEQ value; every transition stores WORD (and GEN) before it bumps SEQ: no
 *   wake-up is lost. Arrivals do not move SEQ, so a sleeper is woken once per transition, not
 *   bounced by every arrival's CAS.
 * - The actor writes EPOCH, ACTOR (unless it holds its ident already), CYCLE, then STAMP
 *   (RUNNING) right after its ACTION CAS, in
 *   the same function with no JS function call or loop back edge between them. A terminated
 *   thread stops only at those (V8 and JSC check for termination at function entries and loop
 *   back edges; the Atomics builtins do not), so none dies in between; should an engine ever
 *   stop one there, STAMP names an older cycle, read as "alive": the old wedge, not corruption.
 *   A reader that loads STAMP first and finds it naming the TAG of a word with ACTION (phase not
 *   0: a fresh barrier's STAMP 0 names TAG 0) has that cycle's ACTOR and CYCLE in the slots.
 * - An actor that has ended (`lifeOf` says LIFE_ENDED) holds its cycle's ACTION for good, and
 *   nobody else may move the cycle on; so whoever finds it (an arrival or waiter that waits out
 *   the action, `reset()`, `abort()`) moves the cycle on for it. RUNNING: it CASes STAMP to
 *   TAKEN, then breaks the cycle as a throwing action does (ACTION off, BROKEN on; the waiters
 *   leave, uncounting); TAKEN (a taker that did not finish): the same break. RELEASING: the
 *   action ran; it completes the release: GEN CASed from CYCLE to CYCLE + 1, then TAG + 1, COUNT
 *   0, BROKEN kept. It reads CYCLE after STAMP and then checks that WORD is still the word it
 *   read: the next cycle's actor may have stored its CYCLE, not yet its STAMP, in between, and
 *   stores it only after WORD has left that word.
 * - The ACTION CAS wakes nobody, so waiters asleep in the filling cycle when the actor dies would
 *   not look: every waiter's sleep ends after OWNER_POLL_MS (`Park.pollMs`, no cost until it
 *   blocks that long) and it looks again.
 * - An actor found ended may still run: a thread that `terminate()` could not stop (Deno, in a
 *   busy loop or a raw `Atomics.wait`) is marked ended all the same. Its steps after the action
 *   are therefore claims too: STAMP RUNNING → RELEASING after its action, RUNNING → TAKEN before
 *   it breaks the cycle for a throwing action (one CAS each: it and a taker cannot both win; a
 *   cycle taken from it broke, and its wait throws BrokenBarrierError), GEN by a CAS from CYCLE
 *   (moved once, by it or by whoever completes the release for it), WORD moved only while it
 *   still holds its cycle's ACTION. TAG alone cannot tell it its cycle: a zombie stuck in its
 *   action may outlive 8192 cycles (~80 ms at 10 µs a cycle), and a later cycle then carries its
 *   TAG. So each claim and move first checks EPOCH, the count of ACTION cycles, against the one
 *   its arrival wrote. Left: a zombie preempted between that check and its CAS while 8192 cycles
 *   pass, or 8192 TAG moves by resets alone with no ACTION between (a stale STAMP of the same TAG
 *   read in a new actor's window between its CAS and its stores).
 * - Threads that threadkit did not start are not watched (as for a Lock's owner): their death
 *   inside an action still wedges the cycle.
 *
 * Measured (`node bench/runtime.ts --mode full --filter barrier`, likewise `deno run -A` and
 * `bun`, on this tree and on 990426c (the lock-based barrier), alternating in one
 * session, 2 CPUs at load ~35; ratio to multithreading's Barrier in the same run, before → after):
 * `barrier.cycle-2` Node 3.58× → 2.20× (a noisy median: 8.5 µs, its fastest run 1.04×), Deno
 * 2.82× → 1.05×, Bun 3.03× → 1.08×; `barrier.cycle-4` Node 1.81× → 1.26×, Deno 3.73× → 0.79×,
 * Bun 2.69× → 1.48×. Sleeping on WORD itself instead of SEQ (every arrival's CAS then bounces
 * the sleepers) measured Deno `cycle-4` 13.0× in the same session as its 4.76× before.
 *
 * Semantics (CPython's state machine, without its internal lock): the last arrival runs the
 * action before anyone is released; a timeout, `abort()` or a throwing action breaks the barrier
 * for every waiter of the cycle and every later arrival until `reset()`; `reset()` with waiters
 * breaks them, and arrivals wait until they have left. A completed cycle keeps its outcome:
 * its waiters pass, also when `abort()` comes before they run (unlike CPython, whose draining
 * waiters then raise), and need not leave before the next cycle fills (no drain phase). An
 * arrival waits out a running action or a reset; its timeout counts there too: a party that
 * died in a broken cycle never leaves it, and the arrival then fails instead of hanging (such a
 * barrier stays resetting: create a new one). Timeouts and aborts of a cycle's waiters wait for
 * its running action (the cycle is complete then), unless its thread has ended: then the cycle
 * breaks, or is released if the action had returned (ACTOR and STAMP, above).
 *
 * @module
 */

import { BrokenBarrierError } from "./errors.ts";
import {
  Aborted,
  assertCanBlock,
  deadlineAfter,
  now,
  type Park,
  type Parker,
  parksEnded,
  parkSync,
  runAsync,
  runSync,
  spinnersFit,
  type WaitResult,
  wakeAll,
} from "./internal/futex.ts";
import { openedHandle, opening, ownOptions, placeOrOpen } from "./internal/construct.ts";
import { type Handle, open, type PlacementOptions, slots } from "./internal/layout.ts";
import {
  ms,
  rejectSignal,
  signalOf,
  type SyncWaitOptions,
  timeoutOf,
  type WaitOptions,
} from "./internal/options.ts";
import { brand } from "./internal/brand.ts";
import { currentIdent, LIFE_ALIVE, LIFE_ENDED, lifeOf } from "./internal/ident.ts";
import { OWNER_POLL_MS } from "./internal/lock_word.ts";

/** Slot of the state word. */
const WORD = 0;
/** Slot of the release count. */
const GEN = 1;
/** Slot of the transition sequence waiters sleep on. */
const SEQ = 2;
/** Slot of the party count. */
const PARTIES = 3;
/** First of the two slots of the default timeout (float64 bits, low word first). */
const TIMEOUT = 4;
/**
 * Slot of the ident of the thread running the cycle's action (its ACTION). The actor's four
 * slots are 64 bytes past WORD, GEN and SEQ, so never on their cache line: its stores every
 * cycle then do not take that line from the spinning waiters that poll it. On one line (slots
 * 6-8), 2 spinning parties (`bench/probes/barrier_ab.ts --parties 2 --cycles 20000`, this ÷
 * the barrier before ACTOR) took 1.32× on Node and 1.23× on Deno; here 1.13× and 1.11× (IQRs
 * from 0.65 and 0.85), with the trees' order swapped 1.015× (Node); 4 parties 1.04×.
 */
const ACTOR = 16;
/** Slot of the actor's cycle and phase: `TAG << 2 | RUNNING, RELEASING or TAKEN`. */
const STAMP = 17;
/** Slot of the GEN of the actor's cycle. */
const CYCLE = 18;
/** Slot of the count of ACTION cycles (the actor's identity of its cycle, beyond TAG). */
const EPOCH = 19;
/** Slots and bytes a Barrier takes. */
const SLOTS = 20;
const BYTES = SLOTS * 4;

/** COUNT: arrivals of the cycle still inside `wait`. */
const COUNT = 0xffff;
/** The most parties a barrier can have (COUNT's range). */
const MAX_PARTIES = COUNT;
/** The last arrival runs the action. */
const ACTION = 1 << 16;
/** The barrier is broken. */
const BROKEN = 1 << 17;
/** With BROKEN: `reset()` waits for the broken cycle's waiters to leave. */
const RESETTING = 1 << 18;
/** The cycle tag's lowest bit. */
const TAG_SHIFT = 19;

/** STAMP's phase: the actor has not finished its action. */
const RUNNING = 1;
/** STAMP's phase: the actor's action has returned; it releases the cycle. */
const RELEASING = 2;
/** STAMP's phase: the actor was found ended while RUNNING; the cycle breaks. */
const TAKEN = 3;

/** The state word of the next cycle: TAG + 1 (wrapping), no flags, COUNT 0, plus `flags`. */
function nextCycle(w: number, flags: number): number {
  return ((((w >>> TAG_SHIFT) + 1) << TAG_SHIFT) | flags) | 0;
}

/**
 * A waiter's state, from `Barrier#waitSync` on into `Barrier#waitSlow`: the word its arrival's
 * CAS replaced and its cycle's GEN.
 */
interface Arrived {
  w: number;
  g: number;
}

/** Options of `new Barrier`. */
export interface BarrierOptions extends PlacementOptions {
  /** Runs once per cycle, in the last thread to arrive, before any waiter is released. */
  action?: (() => void) | undefined;
  /**
   * Default timeout of every `wait`, in ms (default `Infinity`). Given to the constructor, it is
   * every party's default, in every thread; given to `Barrier.from`, this thread's only.
   */
  timeout?: number | undefined;
}

/** Options of one `wait`: a timeout, a signal (async only) and this thread's action. */
export interface BarrierWaitOptions extends WaitOptions {
  /** This thread's action, run if it arrives last (overrides the constructor's). */
  action?: (() => void) | undefined;
}

/** Options of one `waitSync`. */
export interface BarrierWaitSyncOptions extends SyncWaitOptions {
  /** This thread's action, run if it arrives last (overrides the constructor's). */
  action?: (() => void) | undefined;
}

/** Scratch for moving a float64 through two int32 slots (this thread's; never shared). */
const f64 = new Float64Array(1);
const f64Words = new Int32Array(f64.buffer);

/** Stores the default timeout in shared memory, where every `Barrier.from` finds it. */
function storeTimeout(i32: Int32Array, timeout: number): void {
  f64[0] = timeout;
  Atomics.store(i32, TIMEOUT, f64Words[0]!);
  Atomics.store(i32, TIMEOUT + 1, f64Words[1]!);
}

/** The default timeout stored at creation. */
function loadTimeout(i32: Int32Array): number {
  f64Words[0] = Atomics.load(i32, TIMEOUT);
  f64Words[1] = Atomics.load(i32, TIMEOUT + 1);
  return f64[0]!;
}

function brokenError(): BrokenBarrierError {
  return new BrokenBarrierError(
    "Cannot pass barrier: it is broken (timeout, abort(), reset() or a throwing action)",
  );
}

/**
 * Moves the state word from `w` to `to` and wakes every sleeper. Returns `false`, changing
 * nothing, when the word no longer holds `w` (the caller re-reads and decides again).
 */
function move(i32: Int32Array, w: number, to: number): boolean {
  if (Atomics.compareExchange(i32, WORD, w, to) !== w) return false;
  // After the store: a waiter that read SEQ before it checked `w` sleeps on an old SEQ.
  Atomics.add(i32, SEQ, 1);
  wakeAll(i32, SEQ);
  return true;
}

/**
 * The last arrival: CASes WORD from `w` (COUNT + 1 = parties) to `w | ACTION`, then names itself
 * (`me`, its ident, read by the caller) and its cycle's GEN `g` beside it. Returns the EPOCH it
 * wrote (never 0), or 0, changing nothing, when the word no longer holds `w`.
 */
function arriveLast(i32: Int32Array, w: number, g: number, me: number): number {
  if (Atomics.compareExchange(i32, WORD, w, w | ACTION) !== w) return 0;
  // No JS call and no loop from the CAS to the last store (see the invariants): a thread killed
  // after the CAS has named itself, so that its death can be found. STAMP last. Only the
  // holder of ACTION writes EPOCH, and a cycle leaves ACTION only after these stores.
  const epoch = ((Atomics.load(i32, EPOCH) + 1) | 0) || 1;
  Atomics.store(i32, EPOCH, epoch);
  // The same actor as the last ACTION cycle (one thread that keeps arriving last): its ident is
  // there already, and a load costs less than a store (a seq-cst store is a locked exchange on
  // x86-64, this machine).
  // Measured (2026-12-04, one thread, `Barrier(1)`, `waitSync({ timeout })` × 2M, 5 rounds, this
  // tree beside fbbe727 in one process): Node 191 → 184 ns, Deno 248 → 246, Bun 157 → 152; 2
  // spinning parties (the actor alternates; `bench/probes/barrier_ab.ts --parties 2 --cycles
  // 20000`, both orders, 4 runs): 0.94-1.07×, level.
  if (Atomics.load(i32, ACTOR) !== me) Atomics.store(i32, ACTOR, me);
  Atomics.store(i32, CYCLE, g);
  Atomics.store(i32, STAMP, ((w >>> TAG_SHIFT) << 2) | RUNNING);
  return epoch;
}

/**
 * The life (`lifeOf`) of the thread that holds the ACTION of word `v`. A STAMP not yet of `v`'s
 * cycle (its actor is between its CAS and its stores): LIFE_ALIVE, that is, look again soon.
 */
function actorLife(i32: Int32Array, v: number): number {
  // STAMP before ACTOR (see the invariants).
  const stamp = Atomics.load(i32, STAMP);
  // Phase 0: no actor yet (a fresh barrier's STAMP 0 names TAG 0; ACTOR 0 would read UNWATCHED).
  if (stamp >>> 2 !== v >>> TAG_SHIFT || (stamp & 3) === 0) return LIFE_ALIVE;
  return lifeOf(Atomics.load(i32, ACTOR));
}

/**
 * Moves word `v`, whose ACTION is held by a thread that has ended ({@link actorLife}), on for it:
 * its cycle breaks if the action had not returned, else it is released. A lost CAS changes
 * nothing (somebody else moved the word); the caller re-reads either way.
 */
function finishForActor(i32: Int32Array, v: number): void {
  const cycle = (v >>> TAG_SHIFT) << 2;
  const stamp = Atomics.load(i32, STAMP);
  if (stamp === (cycle | RELEASING)) {
    // Its action returned: release the cycle as it would have, GEN first (one CAS from the
    // cycle's GEN: the actor, should it still run, or we move it, once).
    const g = Atomics.load(i32, CYCLE);
    // CYCLE after STAMP is not enough: the next cycle's actor may have stored its CYCLE (and not
    // yet its STAMP) since. The word still `v` after the read: no later ACTION yet, `g` is ours.
    if (Atomics.load(i32, WORD) !== v) return;
    Atomics.compareExchange(i32, GEN, g, (g + 1) | 0);
    move(i32, v, nextCycle(v, v & BROKEN));
    return;
  }
  // RUNNING: take the cycle, so that the actor, should it still run, cannot release it; lost:
  // it has moved on (look again). TAKEN already: finish the break its taker began.
  if (stamp === (cycle | RUNNING) && !claim(i32, STAMP, stamp, cycle | TAKEN)) return;
  move(i32, v, (v & ~ACTION) | BROKEN);
}

/** One CAS of slot `at` from `from` to `to`: whether it took. */
function claim(i32: Int32Array, at: number, from: number, to: number): boolean {
  return Atomics.compareExchange(i32, at, from, to) === from;
}

/**
 * A barrier for `parties` threads (or async tasks): each `wait` blocks until all have arrived,
 * then all continue. It is cyclic: it can be used again right after.
 *
 * - `wait` returns the arrival index, `0..parties-1`, unique within a cycle.
 * - The action (the constructor's, or the last arrival's own `action` option) runs once per
 *   cycle in the last arrival, before anyone is released. If it throws, the barrier breaks and
 *   that arrival rethrows the action's error.
 * - A timeout, `abort()`, a `reset()` while threads wait, an aborted `signal`, or a throwing
 *   action **break** the barrier: every waiter gets `BrokenBarrierError` (an aborted waiter gets
 *   `signal.reason`), and so does every later `wait` until `reset()`.
 *   An arrival cannot be taken back, so an abort breaks the barrier rather than leaving it as it
 *   was (unlike the other primitives).
 * - No spurious wake-ups surface.
 *
 * Happens-before: everything each party did before its `wait` synchronizes before the return of
 * every `wait` of that cycle.
 *
 * Sharing: `Barrier.from(barrier.handle)` in any thread. The constructor's `timeout` lives in
 * shared memory and applies to every party (as CPython's); an `action` does not cross threads
 * (pass it to `from` or `wait` where needed).
 *
 * @example Two tasks meet
 * ```ts
 * import { Barrier } from "@threadkit/threadkit";
 * import assert from "node:assert/strict";
 *
 * const barrier = new Barrier(2);
 * const indexes = await Promise.all([barrier.wait({ timeout: 1000 }), barrier.wait({ timeout: 1000 })]);
 * assert.deepEqual(indexes.sort(), [0, 1]);
 * ```
 */
export class Barrier {
  static {
    brand(this, "Barrier");
  }
  /** Bytes a Barrier takes inside a caller's buffer. */
  static readonly byteLength: number = BYTES;

  /** A structured-clone-safe description; `Barrier.from(handle)` rebuilds it. */
  readonly handle: Handle;
  readonly #i32: Int32Array;
  readonly #action: (() => void) | undefined;
  readonly #timeout: number;
  readonly #parties: number;

  /**
   * Creates a barrier for `parties` threads.
   *
   * @throws {RangeError} `parties` is not an integer from 1 to 65535; bad `timeout`; bad placement.
   * @throws {TypeError} `action` is not a function; bad placement.
   */
  constructor(parties: number, options?: BarrierOptions) {
    const fresh = openedHandle(options) === undefined;
    if (typeof parties !== "number") {
      throw new TypeError(`Cannot create Barrier: parties must be a number, got ${typeof parties}`);
    }
    if (fresh && (!Number.isInteger(parties) || parties < 1 || parties > MAX_PARTIES)) {
      throw new RangeError(
        `Cannot create Barrier: parties must be an integer from 1 to ${MAX_PARTIES}, got ${parties}`,
      );
    }
    // From `Barrier.from`, this thread's action and timeout travel inside the opening token.
    const own = ownOptions(options);
    const action = own?.action;
    if (action !== undefined && typeof action !== "function") {
      throw new TypeError("Cannot create Barrier: action must be a function");
    }
    this.#action = action;
    const timeout = timeoutOf(own, "create Barrier");
    this.handle = placeOrOpen("Barrier", BYTES, options);
    this.#i32 = slots(this.handle, SLOTS);
    this.#parties = parties;
    if (fresh) {
      Atomics.store(this.#i32, PARTIES, parties);
      // Shared, as CPython's: the constructor's timeout is every party's default, in any thread.
      storeTimeout(this.#i32, timeout);
    }
    // `from(handle, { timeout })` overrides it for this thread only.
    this.#timeout = fresh || own?.timeout === undefined ? loadTimeout(this.#i32) : timeout;
  }

  /**
   * Rebuilds a barrier from its handle, optionally with this thread's default action/timeout
   * (without one, the timeout given to the constructor applies, as in the creating thread).
   *
   * @throws {TypeError} `handle` is not the handle of a `Barrier`.
   */
  static from(handle: Handle, options?: Pick<BarrierOptions, "action" | "timeout">): Barrier {
    const opened = open(handle, "Barrier", BYTES);
    return new Barrier(Atomics.load(slots(opened, SLOTS), PARTIES), opening(opened, options));
  }

  /** The number of parties. */
  get parties(): number {
    return this.#parties;
  }

  /** Threads currently waiting in a filling cycle (a snapshot). */
  get nWaiting(): number {
    const w = Atomics.load(this.#i32, WORD);
    // While the action runs, every party has arrived (the last one's arrival is ACTION).
    return (w & (BROKEN | RESETTING)) !== 0 ? 0 : (w & COUNT) + ((w & ACTION) !== 0 ? 1 : 0);
  }

  /** Whether the barrier is broken. */
  get broken(): boolean {
    // A reset in progress is not broken (its waiters still leave with BrokenBarrierError).
    return (Atomics.load(this.#i32, WORD) & (BROKEN | RESETTING)) === BROKEN;
  }

  /** The timeout of one wait: its own, else the default. Validates `options`. */
  #timeoutOf(options: BarrierWaitOptions | undefined, what: string): number {
    // Validate first: non-object options are a TypeError, never a silent default timeout.
    const given = timeoutOf(options, what);
    return options?.timeout === undefined ? this.#timeout : given;
  }

  /** The action of one wait: its own, else the default. */
  #actionOf(options: BarrierWaitOptions | undefined, what: string): (() => void) | undefined {
    const action = options?.action ?? this.#action;
    if (action !== undefined && typeof action !== "function") {
      throw new TypeError(`Cannot ${what}: action must be a function`);
    }
    return action;
  }

  /** A waiter's sleep request: on SEQ, until `deadline`. */
  #park(deadline: number): Park {
    // Every waiter waits for the last arriver: spin only where they all can, leaving it a CPU.
    const spins = spinnersFit(this.#parties - 1);
    return {
      i32: this.#i32,
      index: SEQ,
      expected: 0,
      deadline,
      asyncCount: -1,
      syncSpin: spins,
      asyncSpin: spins,
      // The last arrival's ACTION CAS wakes nobody: a waiter asleep in the filling cycle looks
      // again after this long, to find an action whose thread has ended (no sleep lasts longer).
      pollMs: OWNER_POLL_MS,
    };
  }

  /**
   * The slow path of both waits (see the state table atop the file); `arrived`: from
   * {@link #waitSync}, which made the arrival, as a waiter.
   */
  *#waitSlow(
    deadline: number,
    action: (() => void) | undefined,
    arrived?: Arrived,
  ): Parker<number> {
    const i32 = this.#i32;
    const parties = this.#parties;
    const park = this.#park(deadline);
    // The first abort thrown in at a yield ("throw" mode); acted on where leaving is allowed.
    let aborted: Aborted | undefined;

    // Arrive: one CAS on a filling word. `w` is the word our CAS replaced, `g` our cycle's GEN.
    // Arrived already (`arrived`, from `#waitSync`): straight to the waiting below.
    let w = arrived?.w ?? 0;
    let g = arrived?.g ?? 0;
    let epoch = 0;
    while (arrived === undefined) {
      // SEQ before WORD: a transition after this read moves SEQ (we then do not sleep).
      park.expected = Atomics.load(i32, SEQ);
      w = Atomics.load(i32, WORD);
      if ((w & (ACTION | RESETTING)) !== 0) {
        // A running action or a reset: wait it out. Not arrived yet: nothing to undo on leaving.
        if (aborted !== undefined) throw aborted.reason;
        // An action whose thread has ended never ends: move its cycle on for it, look again.
        if ((w & ACTION) !== 0 && actorLife(i32, w) === LIFE_ENDED) {
          finishForActor(i32, w);
          continue;
        }
        if (deadline !== Infinity && now() >= deadline) {
          // Out of time: break the barrier, as any timeout does. A running action's cycle is
          // complete and still passes (ACTION|BROKEN); a reset one is broken already. A party
          // that died inside a broken cycle never leaves it: this is how we do not hang.
          if ((w & (ACTION | BROKEN)) === ACTION && !move(i32, w, w | BROKEN)) continue;
          throw brokenError();
        }
        // Until our deadline; the park's pollMs makes us look at a running action's thread
        // again within OWNER_POLL_MS.
        park.deadline = deadline;
        try {
          yield park; // any outcome: re-read the word
        } catch (error) {
          if (!(error instanceof Aborted)) throw error;
          aborted ??= error;
        }
        continue;
      }
      if ((w & BROKEN) !== 0) throw brokenError();
      if (aborted !== undefined) throw aborted.reason;
      // GEN after WORD: if the CAS below succeeds on `w`, no release came between the reads
      // (it would have moved TAG), so `g` is the GEN of the cycle we join.
      g = Atomics.load(i32, GEN);
      // Not the last: COUNT + 1. The last: ACTION, COUNT kept (it stays inside no longer).
      if (
        (w & COUNT) + 1 === parties
          ? (epoch = arriveLast(i32, w, g, currentIdent())) !== 0
          : Atomics.compareExchange(i32, WORD, w, w + 1) === w
      ) break;
    }
    const index = w & COUNT;

    if (index + 1 === parties) return this.#release(index, g, w, epoch, action);

    // Wait for our cycle's release or break. We are counted in COUNT until we leave a break.
    const tag = w >>> TAG_SHIFT;
    for (;;) {
      // SEQ before GEN and WORD: a transition after this read moves SEQ (we then do not sleep).
      park.expected = Atomics.load(i32, SEQ);
      if (Atomics.load(i32, GEN) !== g) return index; // released (GEN moves only so)
      const v = Atomics.load(i32, WORD);
      if (v >>> TAG_SHIFT !== tag) return index; // released (TAG leaves a break only at COUNT 0)
      if ((v & ACTION) !== 0) {
        // The cycle is complete, its action runs: wait for it whatever our time or signal
        // (the park's pollMs looks again within OWNER_POLL_MS); if its thread has ended, move
        // the cycle on for it.
        if (actorLife(i32, v) === LIFE_ENDED) {
          finishForActor(i32, v);
          continue;
        }
        park.deadline = Infinity;
      } else if ((v & BROKEN) !== 0) {
        // Broken (or reset): leave, uncounting; the last to leave a reset opens the next cycle.
        const to = (v & (RESETTING | COUNT)) === (RESETTING | 1) ? nextCycle(v, 0) : v - 1;
        if (to === v - 1 ? Atomics.compareExchange(i32, WORD, v, to) !== v : !move(i32, v, to)) {
          continue;
        }
        throw brokenError();
      } else if (aborted !== undefined || (deadline !== Infinity && now() >= deadline)) {
        // Aborted or timed out while filling: break the barrier for everyone, and leave.
        if (!move(i32, v, (v | BROKEN) - 1)) continue;
        throw aborted !== undefined ? aborted.reason : brokenError();
      } else {
        park.deadline = deadline;
      }
      // Sleep on the SEQ read before the checks: any transition since then moved it.
      try {
        yield park;
      } catch (error) {
        if (!(error instanceof Aborted)) throw error;
        aborted ??= error;
      }
    }
  }

  /**
   * The last arrival, its ACTION set on word `w` ({@link arriveLast}): runs the action and
   * releases the cycle whose GEN is `g`; returns `index`. Nobody moves the cycle on but us (or,
   * were we to die, whoever finds it: {@link finishForActor}); abort(), reset() and timed-out
   * arrivals only toggle BROKEN meanwhile.
   */
  #release(
    index: number,
    g: number,
    w: number,
    epoch: number,
    action: (() => void) | undefined,
  ): number {
    const i32 = this.#i32;
    const tag = w >>> TAG_SHIFT;
    try {
      action?.();
    } catch (error) {
      // Break the cycle: its waiters leave with BrokenBarrierError, uncounting themselves. A
      // claim too (TAKEN, as a taker's): a cycle taken from us is not ours to break.
      if (this.#claimStamp(tag, epoch, TAKEN)) this.#endCycle(tag, epoch, false);
      throw error;
    }
    // The action has returned: claim the release (were we to die from here on, it is completed
    // for us). Lost: we were found ended (a terminate that could not stop us) and the cycle was
    // taken from us and broken.
    if (!this.#claimStamp(tag, epoch, RELEASING)) throw brokenError();
    // Release: GEN first (the waiters' proof of a release; one CAS, as whoever completes the
    // release for us moves it), then the next cycle's word, kept BROKEN if abort() came during
    // the action (the cycle passes, the barrier is broken).
    claim(i32, GEN, g, (g + 1) | 0);
    this.#endCycle(tag, epoch, true);
    return index;
  }

  /**
   * The actor's claim of its cycle's STAMP, RUNNING → `to`: only while EPOCH is still its own (a
   * STAMP equal to ours may be a later cycle's once TAG has wrapped).
   */
  #claimStamp(tag: number, epoch: number, to: number): boolean {
    const i32 = this.#i32;
    return Atomics.load(i32, EPOCH) === epoch &&
      claim(i32, STAMP, (tag << 2) | RUNNING, (tag << 2) | to);
  }

  /**
   * The actor's last move, retried while it holds its cycle's ACTION (`abort()` and `reset()`
   * toggle BROKEN meanwhile): `release`, to the next cycle (BROKEN kept); else the break (ACTION
   * off, BROKEN on). Once it no longer holds it, the move was made for it (it was found ended)
   * and it leaves the word alone.
   */
  #endCycle(tag: number, epoch: number, release: boolean): void {
    const i32 = this.#i32;
    for (;;) {
      const v = Atomics.load(i32, WORD);
      if (v >>> TAG_SHIFT !== tag || (v & ACTION) === 0) return;
      // EPOCH after WORD: a later ACTION on the same TAG writes EPOCH right after its CAS.
      if (Atomics.load(i32, EPOCH) !== epoch) return;
      if (move(i32, v, release ? nextCycle(v, v & BROKEN) : (v & ~ACTION) | BROKEN)) return;
    }
  }

  /**
   * `waitSync`'s common case as a plain loop over `parkSync`, without the generator and its
   * driver: one arrival CAS on a filling word, then (not the last) sleep until the release.
   * Anything else (a running action or reset, a
   * break, a lost CAS, a timed-out park) goes on in {@link #waitSlow}, from the state reached
   * here; the steps are its own.
   *
   * Measured (2026-12-04, 2 CPUs, load 2-4, `<rt> bench/probes/barrier_ab.ts <before>/mod.ts
   * ./mod.ts --no-untimed 1`, both tree orders: 4 parties, `waitSync({ timeout: 60000 })`, one set
   * of workers for every variant, 30 rotated rounds of 1500 cycles), this ÷ the generator-driven
   * wait, medians of the per-round ratios over 16 runs: Node 0.972 (0.933-0.993), Deno 0.973
   * (0.912-0.997), Bun 0.917 (0.854-0.957), every run below 1. ÷ multithreading's Barrier in the
   * same rounds (6 runs): Node 0.995 (0.92-1.10; before 1.03, 0.95-1.18), Deno 0.989 (0.96-1.03;
   * before 1.015), Bun 1.029 (1.01-1.06; before 1.110).
   *
   * With a timeout, the deadline's clock read comes after a successful arrival, and only in a
   * waiter: the last arrival never parks, and its release is what every other party waits for
   * (a clock read costs 46 ns on Node, 37 on Bun; 4 parties, both tree orders, 4 runs of the
   * probe above: 0.96-0.99x the tree that read it at the call). The timeout then counts from
   * the arrival, a few loads after the call. The slow path's entries before an arrival (a
   * running action, a break, a lost CAS) read it there.
   */
  #waitSync(timeout: number, action: (() => void) | undefined): number {
    const i32 = this.#i32;
    const parties = this.#parties;
    const w = Atomics.load(i32, WORD);
    if ((w & (ACTION | BROKEN | RESETTING)) !== 0) {
      return runSync(this.#waitSlow(deadlineAfter(timeout), action));
    }
    // GEN after WORD, as in `#waitSlow`.
    const g = Atomics.load(i32, GEN);
    const last = (w & COUNT) + 1 === parties;
    let epoch = 0;
    if (
      !(last
        ? (epoch = arriveLast(i32, w, g, currentIdent())) !== 0
        : Atomics.compareExchange(i32, WORD, w, w + 1) === w)
    ) {
      return runSync(this.#waitSlow(deadlineAfter(timeout), action));
    }
    const index = w & COUNT;
    if (last) return this.#release(index, g, w, epoch, action);
    const tag = w >>> TAG_SHIFT;
    const clock = timeout === Infinity ? 0 : now();
    const deadline = clock + timeout;
    const park = this.#park(deadline);
    // The last park's outcome (none yet).
    let result: WaitResult | undefined;
    for (;;) {
      // SEQ before GEN and WORD, as in `#waitSlow`.
      park.expected = Atomics.load(i32, SEQ);
      if (Atomics.load(i32, GEN) !== g) break;
      const v = Atomics.load(i32, WORD);
      if (v >>> TAG_SHIFT !== tag) break;
      if ((v & (ACTION | BROKEN)) !== 0 || result === "timed-out") {
        // Its action runs, it broke, or our time may be up: the slow path's cases.
        parksEnded();
        return runSync(this.#waitSlow(deadline, action, { w, g }));
      }
      // The first park measures its time left from the deadline's own clock read.
      result = result === undefined ? parkSync(park, clock) : parkSync(park);
    }
    parksEnded();
    return index;
  }

  /**
   * Blocks until all parties have arrived.
   *
   * @returns This thread's arrival index, `0..parties-1`.
   * @throws {BrokenBarrierError} The barrier is or became broken (timeout, abort, reset, action).
   * @throws {TypeError} Blocking is not allowed on this thread; bad options.
   */
  waitSync(options?: BarrierWaitSyncOptions): number {
    rejectSignal(options, "wait at barrier", "barrier.wait()");
    const timeout = this.#timeoutOf(options, "wait at barrier");
    const action = this.#actionOf(options, "wait at barrier");
    assertCanBlock("barrier.wait()");
    return this.#waitSync(timeout, action);
  }

  /**
   * Waits without blocking until all parties have arrived.
   *
   * @returns A promise of this task's arrival index.
   * @throws {BrokenBarrierError} (rejects) The barrier is or became broken.
   */
  wait(options?: BarrierWaitOptions): Promise<number> {
    try {
      const deadline = deadlineAfter(this.#timeoutOf(options, "wait at barrier"));
      const action = this.#actionOf(options, "wait at barrier");
      const signal = signalOf(options, "wait at barrier");
      if (signal?.aborted === true) return Promise.reject(signal.reason);
      return runAsync(this.#waitSlow(deadline, action), signal, "throw");
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Moves the state word by `next(w)` (one CAS, retried), waking all; `w` itself: no move. */
  #transition(next: (w: number) => number): void {
    const i32 = this.#i32;
    for (;;) {
      const w = Atomics.load(i32, WORD);
      // An action whose thread has ended: move its cycle on for it first.
      if ((w & ACTION) !== 0 && actorLife(i32, w) === LIFE_ENDED) {
        finishForActor(i32, w);
        continue;
      }
      const to = next(w);
      if (to === w || move(i32, w, to)) return;
    }
  }

  /**
   * Returns the barrier to its empty state. Threads waiting on it get `BrokenBarrierError`.
   */
  reset(): void {
    this.#transition((w) => {
      // A running action: its cycle is complete; cancel a pending break.
      if ((w & ACTION) !== 0) return w & ~BROKEN;
      // Waiters (filling, or of a broken cycle): they leave with BrokenBarrierError; the last
      // one to leave opens the next cycle; arrivals wait for that.
      if ((w & COUNT) !== 0) return w | BROKEN | RESETTING;
      // Empty: a broken barrier opens the next cycle; a filling one is already reset.
      return (w & BROKEN) !== 0 ? nextCycle(w, 0) : w;
    });
  }

  /**
   * Breaks the barrier: current and future waiters get `BrokenBarrierError` until `reset()`.
   * The waiters of a cycle that has already completed still pass.
   */
  abort(): void {
    // A running action's cycle passes (ACTION|BROKEN); a pending reset is called off.
    this.#transition((w) => (w | BROKEN) & ~RESETTING);
  }

  /** @internal For messages. */
  toString(): string {
    return `Barrier(${this.parties}, ${this.nWaiting} waiting${
      this.broken ? ", broken" : ""
    }, timeout ${ms(this.#timeout)})`;
  }
}
