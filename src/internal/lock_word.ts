/**
 * The lock word: the one lock algorithm of threadkit. `Lock`, `RLock`, `Condition`'s default
 * lock and the queues' internal lock all run on it.
 *
 * Layout: two int32 slots from `at`
 * | slot   | name  | meaning                                                            |
 * | at     | STATE | 0 free; otherwise `STARVING \| (owner ident << 1) \| PARKED`        |
 * | at + 1 | ASYNC | async waiters registered on STATE (counted by the futex layer)     |
 *
 * State table of STATE (`o` = owner ident, `P` = PARKED, `S` = STARVING, bit 31):
 * | value          | meaning                              | who moves it on                       |
 * | 0              | free                                 | an acquirer: CAS 0 → o<<1 (or o<<1\|P) |
 * | o<<1           | held by o, nobody sleeps             | the releaser: CAS o<<1 → 0 (fast path) |
 * | o<<1 \| P      | held by o, someone may sleep         | a waiter sets P; the releaser swaps to 0 and wakes one |
 * | S\|o<<1\|P      | held by o, a starving waiter sleeps  | the releaser swaps to HANDOFF and wakes all |
 * | S \| P (HANDOFF) | free, reserved for a starving waiter | a starving waiter: CAS → its o<<1\|P  |
 *
 * Invariant: PARKED is set before any thread sleeps on STATE, and a thread that has slept
 * leaves the slow path only with PARKED set on the word: it re-acquires with PARKED set, and if
 * it gives up (timeout) while the word is held, it sets PARKED first. It cannot know whether
 * others still sleep, and the wake-up it may have consumed was theirs (the classic three-state
 * futex mutex). A spurious PARKED costs one needless wake, never a lost one (`markRelease`
 * sets it, for a Condition of an earlier threadkit copy; this copy's `Lock`/`RLock` releases do
 * the wakes their thread deferred by calling `flushWakes` themselves). STARVING is only
 * ever set together with PARKED (a starving waiter is a sleeper), and idents are below 2^30, so
 * bit 31 is free for it and the fast paths, which compare whole words, never see it by mistake.
 *
 * Owner ident in the word costs nothing on the fast path (the CAS writes it instead of `1`) and
 * buys diagnostics ("held by thread 3"), RLock ownership and owner-death detection.
 *
 * ## Fairness
 * The lock has two modes, as Go's `sync.Mutex` has.
 *
 * *Barging* (normal): a release makes the word free and wakes one sleeper, and any thread that
 * gets there before the sleeper runs takes the lock. This keeps the lock from convoying (the
 * hand-off to a sleeping thread costs 5-18 µs here, the fast path tens of ns): the thread that is
 * already running wins, and the one sleeper woken competes like everyone else.
 *
 * *Hand-off* (starvation): a waiter that has waited {@link STARVE_AFTER_MS} or longer since it
 * first parked is *starving*. It says so by setting STARVING on the held word before it parks
 * again. The release that finds STARVING does not free the word: it writes HANDOFF (owner 0,
 * STARVING and PARKED: "released, reserved") and wakes every sleeper. No barger, `tryAcquire` or
 * zero-timeout acquire takes a HANDOFF word; only a starving waiter does, with one CAS that
 * clears STARVING. Other starving waiters, all woken, set it again before they park, so the lock
 * stays in hand-off mode exactly while somebody starves and returns to barging by itself.
 *
 * Who wins a hand-off: any starving waiter that runs, not a named one. That is what keeps a
 * hand-off from stalling on a waiter that cannot take it: an async waiter's thread may be busy
 * or blocked (see "Woken but absent" in `futex.ts`), a waiter may time out, be aborted or die.
 * The hand-off wakes every sleeper, and a waiter that is not yet starving parks behind a HANDOFF
 * word at most until it will be, so a HANDOFF word is taken within STARVE_AFTER_MS by whichever
 * waiter can run; a waiter that leaves (timeout, abort)
 * while starving clears STARVING from a held word, and turns a HANDOFF word it was handed back
 * into a free one (waking all), so a hand-off is never left to nobody; only a starving waiter
 * that dies can leave one, and the next waiter takes it once it starves in turn.
 *
 * *When a waiter knows it starves.* A waiter judges whether it starves after each wake, at the
 * first turn that finds the word not free (a woken waiter that finds it free just takes it), and
 * sets STARVING before it parks again. Behind a held word it sleeps without a starve timer: the
 * word carries PARKED, so a release wakes a sleeper, and `Atomics.notify` wakes a word's sleepers
 * in the order they slept (the spec's waiter list is FIFO); a woken waiter that loses to a barger
 * sets PARKED again and sleeps at the back, so under contention every sleeper is woken in turn,
 * within one wake per sleeper ahead of it, and judges then. (Without releases nobody overtakes
 * it; the liveness poll, OWNER_POLL_MS, wakes it in any case.) Only behind a HANDOFF word, which
 * its starving waiter may be unable to take, does a waiter that is not starving yet sleep with
 * a timer at its starving time. What that costs: a waiter learns it starves only when woken, so
 * with long critical sections a barger may take the lock once more before the hand-off (the bound
 * grows by about one critical section); and a sleeper woken by a release whose thread is then
 * killed (`terminate()`) before it runs takes that wake with it, as before, but the others now
 * sleep on until another waiter's PARKED brings the next wake, or their liveness poll
 * (OWNER_POLL_MS), where their starve timer used to end it within STARVE_AFTER_MS.
 * Measured (`node bench/fairness.ts --before <barging>,<fc7dbd5> --kinds lock --rounds 8 --ms
 * 700`, 8 workers, Node, 2 CPUs, five runs; rows in `bench/results/fairness.md`): with the timer
 * on every park (fc7dbd5) the lock kept 0.80-0.86x the throughput of pure barging, without it
 * 0.89-0.95x; the median of the rounds' longest waits was 26-34 ms against 30-34 ms with the
 * timer and 37-43 ms barging.
 *
 * An async waiter's starve timer (and liveness poll) is served by its thread's deadline timer,
 * which may end such a park up to `SOFT_SLACK_MS` (4 ms) late so that parks share its firings
 * (`futex.ts`, `armDeadlines`): behind a HANDOFF word an async waiter takes over after 1-5 ms
 * of waiting, a sync one after 1 ms.
 *
 * Why the trade-off is right: under contention the barging lock serves the running thread, which
 * is what makes it fast, and the bound costs nothing until a waiter has already waited 1 ms,
 * thousands of fast-path acquisitions. A hand-off then costs a wake-all and a context switch,
 * once per starving waiter per release, while unbounded overtaking can cost a waiter seconds
 * (`bench/fair_bench.ts` measures both; see its header for the figures). The threshold is
 * Go's: long against a critical section, short against a human or a timeout.
 *
 * ## Spinning
 * The slow path may re-read a held word (with `Atomics.pause`) before parking, never once someone
 * sleeps. The bound, {@link SPIN_LIMIT}, is set by measurement (`node bench/spin.ts --full`, 2
 * CPUs, bounds 0-4000, results in `bench/results/spin.md`): on Deno and Bun every bound is within
 * ~10% of the best; on Node, no spinning is best for the ping-pong (40 reads: 1.10×) and for two
 * workers doing ~0.5 µs of work between acquisitions, where any spinning cost 4.3× (a pause is
 * ~25 ns there, so 40 reads burn ~1 µs the holder needs), while the best bound for pure contention
 * won by at most 1.25× over no spinning. Parking at once is the bound with the smallest worst
 * case, and spinning on 2 CPUs is the biggest hazard (two spinners on one CPU measured ~8 ms per
 * hand-off). An *async* park of this word is another matter: the futex layer's async driver
 * re-reads the slot for up to 16 µs before it registers (`setAsyncSpin` in `futex.ts`, with a
 * per-thread credit that stops it under contention), whoever else waits.
 *
 * ## Owner death
 * When the owner of a held word is a thread whose end the runtime layer watches, sleepers wake at
 * least every {@link OWNER_POLL_MS} to read its liveness; once it has ended, the first to see it
 * takes the word over (keeping PARKED) and reports the dead owner to its caller, which throws
 * `OwnerDiedError` with the lock held (POSIX `EOWNERDEAD`).
 *
 * @module
 */

import {
  Aborted,
  canBlock,
  flushWakes,
  now,
  type Park,
  type Parker,
  parksEnded,
  parkSync,
  pause,
  SOFT_SLACK_MS,
  wake,
} from "./futex.ts";
import { LIFE_ENDED, lifeOf } from "./ident.ts";
import { noteRelease } from "./diagnostics.ts";

/** Bit 0 of STATE: some thread may be asleep waiting for the word. */
export const PARKED = 1;
/** Bit 31 of STATE: a waiter past {@link STARVE_AFTER_MS} sleeps; the release hands off. */
export const STARVING = 1 << 31;
/** STATE of a word released to a starving waiter: no owner, reserved (see "Fairness"). */
export const HANDOFF = STARVING | PARKED;
/** The owner field of STATE: `ident << 1`. */
export const OWNER_BITS = ~(STARVING | PARKED);
/**
 * How long a waiter waits, from its first park, before the lock is handed to it, in ms (see
 * "Fairness" above; Go's `starvationThresholdNs` is the same 1 ms).
 */
export const STARVE_AFTER_MS = 1;
/** Reads of a held word before parking: none (see "Spinning" above for the measurements). */
export const SPIN_LIMIT = 0;

/**
 * How often a waiter re-reads the liveness of the live, watched thread it waits for (the owner
 * of a lock word, the runner of a Once, the holder of semaphore permits), in ms. An ended thread
 * is marked by the runtime layer without a wake, so this bounds how long its waiters sleep on.
 */
export const OWNER_POLL_MS = 100;

/**
 * The time to judge `deadline` by: `now()`, or `0` when it is not needed (no deadline, and no
 * watched thread to poll), which keeps the clock off the untimed path.
 */
export function clockFor(deadline: number, watched: boolean): number {
  return deadline === Infinity && !watched ? 0 : now();
}

/**
 * The deadline of the next park taken at time `t` (from {@link clockFor}): `deadline`, or sooner
 * while a watched thread lives, to poll its liveness. A poll wakes as "timed-out"; the waiter's
 * loop then looks again and decides.
 */
export function parkUntil(deadline: number, watched: boolean, t: number): number {
  return watched ? Math.min(deadline, t + OWNER_POLL_MS) : deadline;
}

/**
 * One acquire of a lock word in its slow path: the park request the driver sleeps on (the `Park`
 * fields) and the loop's own state. Made once per slow acquire. {@link advance} runs the loop up
 * to its next park or its outcome; {@link lockSlow} (a generator, for the async driver and for
 * slow paths that nest it) and {@link lockSlowSync} (a plain loop) only sleep between its turns,
 * so both run one algorithm.
 */
interface LockWait extends Park {
  /** The caller's `ident << 1`. */
  readonly me2: number;
  /** The caller's deadline (`Park.deadline` is the next park's, which may come sooner). */
  readonly until: number;
  /** The word as last read. */
  state: number;
  /** What we write when we find the word free: `me2` until we have parked, then with PARKED. */
  take: number;
  /** When we first parked (0: not yet); we starve once STARVE_AFTER_MS has passed since. */
  since: number;
  /**
   * STARVING on the word may be ours: we parked as starving (setting it, or finding it set), and
   * have not taken the word since. The drivers' `finally` takes it away when we leave without it.
   */
  starving: boolean;
  /**
   * We starve: judged at a wake, {@link STARVE_AFTER_MS} or more after we first parked. Our next
   * park announces it (then `starving`); a waiter that judges so and times out on the same turn,
   * not having announced it on an earlier park, leaves a STARVING mark on the word alone (it is
   * another waiter's). One that did announce still takes the mark along when it leaves, though
   * the bit is shared and may by then be a later waiter's: a delay for that waiter until it next
   * wakes and sets it again, never a lost wake-up (see `unstarve`).
   */
  starves: boolean;
  /** We slept and have not yet judged, on this wake, whether we starve (see `advance`). */
  woken: boolean;
  /**
   * The word held by this thread ends the wait ({@link OURS}): an `RLock`'s async acquire, whose
   * thread's tasks share its ownership. Otherwise a word held by this thread is waited out as
   * any other (a `Lock` used as a signal; a Condition's re-acquire, whose depth it restores).
   */
  readonly ours: boolean;
}

/**
 * Starts the slow path of an acquire: spin briefly (`spin` reads at most), then return the state
 * {@link advance} works on. `me2` is the caller's `ident << 1`.
 */
function lockWait(
  i32: Int32Array,
  at: number,
  me2: number,
  deadline: number,
  spin: number,
  syncSpin: boolean,
  ours: boolean,
): LockWait {
  // Spin while the holder runs and nobody sleeps: a short critical section on the other CPU
  // ends within a few hundred ns, much less than a park/unpark round trip.
  let state = Atomics.load(i32, at);
  for (let i = 0; i < spin && state !== 0 && (state & PARKED) === 0; i++) {
    pause();
    state = Atomics.load(i32, at);
  }
  return {
    i32,
    index: at,
    expected: 0,
    deadline,
    asyncCount: at + 1,
    slack: 0,
    // Sync waiters sleep at once unless the caller says (`lockSlow`'s `syncSpin`).
    syncSpin,
    local: false,
    me2,
    until: deadline,
    state,
    take: me2,
    since: 0,
    starving: false,
    starves: false,
    woken: false,
    ours,
  };
}

/** What {@link advance} returns when the waiter must sleep on its park request first. */
const PARK = null;

/**
 * What the slow path returns, for a waiter that asked (`ours`), when the word is held by its own
 * thread: another async task of the thread took it while this one slept (no ident is 0, so no
 * dead owner's ident is this). The caller does not hold the word by this wait; it shares its
 * thread's hold (an `RLock` re-enters).
 */
export const OURS = 0;

/**
 * Runs the slow path's loop from the word as `w` last saw it: returns `true` once the word holds
 * `me2` (maybe with PARKED), `false` on timeout (the word untouched but for a PARKED bit, which is
 * harmless), the ident of a dead owner whose word it took over (the caller then holds it),
 * {@link OURS} when `w.ours` and the word is held by this thread, or
 * {@link PARK}: sleep on `w` (whatever the wait returns: "ok" is a release or a spurious wake,
 * "not-equal" a change before we slept, "timed-out" our deadline, a liveness poll or our
 * starving time), then call again.
 */
function advance(w: LockWait): boolean | number | typeof PARK {
  const { i32, index: at, me2 } = w;
  const deadline = w.until;
  let state = w.state;
  for (;;) {
    // Free: grab it (barging; a starving waiter barges too).
    if (state === 0) {
      const seen = Atomics.compareExchange(i32, at, 0, w.take);
      if (seen === 0) {
        w.starving = false; // a STARVING mark on the word now is another waiter's
        return true;
      }
      state = seen;
      continue;
    }
    // Not free: read the clock once for this turn (deadline, starve mark, liveness poll), and
    // judge whether we starve once per wake, at the first turn that needs it: a woken waiter
    // that finds the word free takes it without reading the clock. Clock reads: the first
    // `performance.now()` after a thread is switched in costs ~0.5 µs on this project's
    // machine (45-100 ns in a loop), and a hand-off where both threads share a CPU pays every
    // one of them (`bench/probes/pinned_pingpong.ts`). This path read it five times per park,
    // once right after the wake; now three, none after the wake. With `acquireSync` calling
    // the generator directly (no wrapper layer; before `lockSlowSync`), Lock ping-pong ÷ the
    // floor, pinned to one CPU, before → after in the same runs: Node 2.12 → 1.83, 2.00 → 1.59, 2.04 → 1.77; Deno
    // 1.47 → 1.43; Bun 1.23 → 1.14. Unpinned (the workers on two CPUs) 1.07 → 0.99 (Node).
    const t = now();
    if (w.woken) {
      w.woken = false;
      w.starves = t - w.since >= STARVE_AFTER_MS;
    }
    const starving = w.starves;
    if (state === HANDOFF) {
      // Released to a starving waiter. Ours if we starve: the CAS clears STARVING (the other
      // starving waiters, woken with us, set it again before they park) and keeps PARKED.
      if (starving) {
        const seen = Atomics.compareExchange(i32, at, HANDOFF, me2 | PARKED);
        if (seen === HANDOFF) {
          w.starving = false; // our mark went with the CAS; one on the word now is another's
          return true;
        }
        state = seen;
        continue;
      }
    } else {
      // Held by a thread that has ended: take it over, keeping PARKED for those asleep, and
      // setting it if we have slept (`take`): the wake-up we consumed may have been theirs,
      // and the dead owner may have barged in without PARKED (see the invariant;
      // models/lock_word.pml). STARVING goes, as when a hand-off is taken: it may be our own
      // mark, which would hand our release to nobody; another starving sleeper sets it again
      // when it next wakes (PARKED stays, so it will).
      const owner = (state & OWNER_BITS) >>> 1;
      // Held by this thread, for a waiter that shares its thread's hold: done, leaving as a
      // waiter that times out leaves (below), for the same reason: if we have slept, the wake
      // that ended our sleep may have been the others' only one, and the task of ours that took
      // the word may have written it without PARKED. Leave only once the word carries PARKED
      // (its release then wakes the sleepers, maybe none: harmless). Unlike a timeout, a
      // STARVING mark on the word now is never ours: every write that made this thread the
      // owner cleared STARVING (0, HANDOFF, takeover), and we never mark a word our thread
      // holds; so it is another waiter's and stays (as on the `true` paths).
      if (w.ours && owner === me2 >>> 1) {
        if (w.take === me2 || (state & PARKED) !== 0) {
          w.starving = false;
          return OURS;
        }
        const seen = Atomics.compareExchange(i32, at, state, state | PARKED);
        if (seen === state) {
          w.starving = false;
          return OURS;
        }
        state = seen;
        continue;
      }
      if (lifeOf(owner) === LIFE_ENDED) {
        const seen = Atomics.compareExchange(i32, at, state, w.take | (state & PARKED));
        if (seen === state) {
          w.starving = false;
          return owner;
        }
        state = seen;
        continue;
      }
    }
    // Held (or reserved for another): give up if our time is out. A try that never slept
    // leaves no trace. A waiter that has slept may have been woken by the release that freed
    // the word, and that wake-up was the others' only one: a barger took the word meanwhile,
    // writing it without PARKED, so nobody would wake them again. Pass it on: leave only once
    // the word carries PARKED. (A leaver that announced it starves also takes STARVING away:
    // the drivers' `finally`.)
    if (t >= deadline) {
      if (w.take === me2 || (state & PARKED) !== 0) return false;
      const seen = Atomics.compareExchange(i32, at, state, state | PARKED);
      if (seen === state) return false;
      state = seen;
      continue;
    }
    // Set the parked bit, so that the release wakes us; STARVING too once we starve, so that
    // the release hands the word to us. A HANDOFF word carries both already.
    const want = starving ? HANDOFF : PARKED;
    if ((state & want) !== want) {
      const seen = Atomics.compareExchange(i32, at, state, state | want);
      if (seen !== state) {
        state = seen;
        continue;
      }
      state |= want;
    }
    // Announced: STARVING on the word may be ours from here (set now, or found set by another
    // starving waiter; the drivers' `finally` takes it along if we leave without the word).
    // Before, the judgement itself counted, so a waiter that judged it starved at the wake
    // that found its deadline passed cleared another sleeper's mark as it left (a fairness
    // slip, found by review; models/lock_word.pml does the same now).
    if (starving) w.starving = true;
    w.take = me2 | PARKED;
    if (w.since === 0) w.since = t;
    // Sleep while the word still holds what we saw; poll liveness every OWNER_POLL_MS
    // whoever holds it now: a sleeper parked behind an unwatched owner (a main thread) must
    // still notice when a later owner, a watched thread, dies holding the word, since the
    // release in between may have woken another sleeper instead (found by
    // models/lock_word.pml -DUNWATCHED_HOLDER). Behind a HANDOFF word, until we starve, wake
    // when we would, to take it (its starving waiter may be unable to run, or dead). Behind a
    // held word, no starve timer: the release wakes us (we set PARKED), and we judge on any
    // wake whether we starve (see "When a waiter knows it starves").
    w.expected = state;
    // Held by this thread: the release most likely comes from another async task of it, whose
    // wake reaches us without a `waitAsync` (futex.ts, "Local parks"; a sync park ignores it).
    w.local = (state & OWNER_BITS) === me2;
    const until = parkUntil(deadline, true, t);
    w.deadline = starving || state !== HANDOFF ? until : Math.min(until, w.since + STARVE_AFTER_MS);
    // Our own mark (starve, liveness poll), not the caller's deadline: an async park may end
    // a little late, sharing the thread's deadline timer (futex.ts, `SOFT_SLACK_MS`).
    w.slack = w.deadline < deadline ? SOFT_SLACK_MS : 0;
    w.clock = t; // the deadline's reading: the driver reads the clock no more (`Park.clock`)
    w.state = state;
    return PARK;
  }
}

/** After a park of `w` (whatever it returned): re-read the word; `advance` decides. */
function woke(w: LockWait): void {
  w.state = Atomics.load(w.i32, w.index);
  w.woken = true;
}

/**
 * The slow path of every acquire, as a generator for the async driver and for slow paths that
 * nest it (`lockUninterruptible`): see {@link advance} for what it returns.
 *
 * `syncSpin`: whether its parks under the sync driver spin before they sleep (`Park.syncSpin`).
 * Off for acquires: a waiter that watches the word takes it at every release, and two threads
 * contending for a lock then trade it at every increment instead of one running on
 * (lock.contended-2 on Node, quick bench, without → with: 76 → 152 and 56 → 216 ns an
 * increment). On for a Condition's re-acquire after its wait: its notifier releases the lock
 * right after its notify (into its own wait, or `release()`), so the spin sees the release
 * instead of sleeping through a wake it already paid for. And on for a `Lock` used as a signal
 * (a thread acquiring the lock it holds, which another thread will release: `lock.ts`, "Signal
 * or mutex"): its releaser does not want it back, so a watching waiter takes nothing from it.
 * And on for every sync acquire through a Condition (`cond.acquireSync()`, `cond.holdSync()`:
 * `Lock._acquireSyncWatching`), whose lock is held across hand-offs, briefly (measured, with
 * its price as a contended mutex, at `Condition.acquireSync`).
 *
 * `ours`: a word held by this thread ends the wait with {@link OURS} (an `RLock`'s async
 * acquire; see `LockWait.ours`). Only the generator form asks: a thread blocked in `lockSlowSync`
 * runs no other task that could take the word meanwhile.
 */
export function* lockSlow(
  i32: Int32Array,
  at: number,
  me2: number,
  deadline: number,
  spin: number,
  syncSpin = false,
  ours = false,
): Parker<boolean | number> {
  const w = lockWait(i32, at, me2, deadline, spin, syncSpin, ours);
  try {
    for (;;) {
      const outcome = advance(w);
      if (outcome !== PARK) return outcome;
      yield w;
      woke(w);
    }
  } finally {
    // Leaving without the word (timeout, abort, error) after announcing that we starve: take
    // the announcement with us, so that no release hands the word to a waiter that is gone.
    if (w.starving) unstarve(i32, at);
  }
}

/**
 * {@link lockSlow} for a thread that blocks: the same loop ({@link advance}) sleeping in
 * `parkSync`, with no generator. A generator, its register file and the driver's results are
 * fresh memory on every slow acquire, which a hand-off between two threads sharing a CPU pays
 * for (~0.6 µs per ~400 bytes on this project's machine; the clock-read comment in `advance`
 * names the probe). Lock ping-pong ÷ the floor pinned to one CPU, the generator → this, same
 * runs (`bench/probes/pinned_pingpong.ts --pin --before <copy>`): Node 1.84 → 1.58, 1.58 →
 * 1.56, 1.59 → 1.49; Deno 1.77 → 1.53; Bun 1.31 → 1.20; unpinned, Node 1.04 → 0.96.
 * `syncSpin` as {@link lockSlow}'s.
 */
export function lockSlowSync(
  i32: Int32Array,
  at: number,
  me2: number,
  deadline: number,
  spin: number,
  syncSpin = false,
): boolean | number {
  const w = lockWait(i32, at, me2, deadline, spin, syncSpin, false);
  try {
    for (;;) {
      const outcome = advance(w);
      if (outcome !== PARK) {
        // The run of parks ended, as `runSync` says for the generator form: a spin that led here
        // paid (without this the next acquire's park on the same word read as a lost hit).
        if (syncSpin && outcome !== false) parksEnded();
        return outcome;
      }
      parkSync(w);
      woke(w);
    }
  } finally {
    // As in `lockSlow`: a starving waiter leaving without the word takes its mark along.
    if (w.starving) unstarve(i32, at);
  }
}

/**
 * Undoes a departing starving waiter's STARVING: clears it from a held word, or frees a word
 * already handed off (waking all, so that whoever waits races for it). Other starving waiters
 * lose the mark until they next wake and set it again, a delay, never a lost wake-up: PARKED
 * stays.
 */
function unstarve(i32: Int32Array, at: number): void {
  let state = Atomics.load(i32, at);
  for (;;) {
    if (state === HANDOFF) {
      const seen = Atomics.compareExchange(i32, at, HANDOFF, 0);
      if (seen === HANDOFF) {
        wake(i32, at, Infinity, at + 1);
        return;
      }
      state = seen;
      continue;
    }
    if ((state & STARVING) === 0) return;
    const seen = Atomics.compareExchange(i32, at, state, state & ~STARVING);
    if (seen === state) return;
    state = seen;
  }
}

/**
 * Releases the word, whoever holds it, and wakes one sleeper if PARKED was set, or hands it off
 * to a starving waiter if STARVING was. Returns `false` (changing nothing) when nobody held it
 * (free or HANDOFF).
 */
export function unlockSlow(i32: Int32Array, at: number): boolean {
  let state = Atomics.load(i32, at);
  let next: number;
  for (;;) {
    // Free, or released already and reserved for a starving waiter: nobody holds it.
    if (state === 0 || state === HANDOFF) return false;
    // A starving waiter sleeps: hand off instead of freeing (see "Fairness"); else free. A
    // concurrent waiter may set PARKED or STARVING meanwhile, so CAS and retry.
    next = (state & STARVING) !== 0 ? HANDOFF : 0;
    const seen = Atomics.compareExchange(i32, at, state, next);
    if (seen === state) break;
    state = seen;
  }
  // Hand-off: wake every sleeper, so that every starving one that can run sees it. Otherwise
  // someone may sleep: wake one (all while async waiters are registered; see futex.ts).
  // Diagnostics first: edges to the releasing owner are stale from here (before the wake).
  if (next === HANDOFF || (state & PARKED) !== 0) noteRelease((state & OWNER_BITS) >>> 1);
  if (next === HANDOFF) wake(i32, at, Infinity, at + 1);
  else if ((state & PARKED) !== 0) wake(i32, at, 1, at + 1);
  // Then the wakes this thread deferred while it held a lock (a `Condition.notify`): the
  // condition's waiters wake to a free word instead of into the held one. (`Lock`/`RLock`
  // releases flush after the fast path too; this one also serves internal words and a
  // `markRelease` of an earlier copy's Condition.)
  flushWakes();
  return true;
}

/**
 * Makes the release of a word held by `me2` take the slow path, where {@link unlockSlow} flushes
 * the wakes this thread deferred (the `Condition.notify` of an earlier threadkit copy, through
 * `Lock._markRelease`; this copy's Condition leaves the flush to the release): sets PARKED on the word if it still holds
 * `me2` (a spurious PARKED costs one needless wake, never a lost one; see the invariant).
 * Returns `false`, changing nothing, when `me2` no longer holds the word (a `Lock` may be released
 * by any thread): the caller must then wake at once.
 */
export function markRelease(i32: Int32Array, at: number, me2: number): boolean {
  let state = Atomics.load(i32, at);
  for (;;) {
    // Held by someone else, free, or HANDOFF (owner bits 0): not ours to mark.
    if ((state & OWNER_BITS) !== me2) return false;
    if ((state & PARKED) !== 0) return true;
    // A waiter may set PARKED (or STARVING with it) meanwhile: CAS and retry.
    const seen = Atomics.compareExchange(i32, at, state, state | PARKED);
    if (seen === state) return true;
    state = seen;
  }
}

/** Releases a word held by `me2`: one CAS when nobody sleeps. Returns `false` if it was free. */
export function unlock(i32: Int32Array, at: number, me2: number): boolean {
  return Atomics.compareExchange(i32, at, me2, 0) === me2 || unlockSlow(i32, at);
}

/** The ident holding the word, or 0. */
export function ownerOf(i32: Int32Array, at: number): number {
  return (Atomics.load(i32, at) & OWNER_BITS) >>> 1;
}

/**
 * Takes an internal lock word (a barrier's, a queue's) whatever happens, for slow paths that run
 * in `"throw"` abort mode: an abort thrown in while waiting is handed to `onAbort` and the
 * acquire starts again, so the caller always continues holding the word. A word taken over from
 * a dead owner is simply held: the caller repairs what the owner left half done (the queues undo
 * its operation from their journal, `queue/header.ts`, "Owner death"), or its critical sections
 * leave their state consistent at every step they can die at, or it documents otherwise. (A
 * thread can die at any step on Node and Bun, where `terminate()` stops running JavaScript.)
 */
export function* lockUninterruptible(
  i32: Int32Array,
  at: number,
  me2: number,
  onAbort: (aborted: Aborted) => void,
): Parker<void> {
  if (Atomics.compareExchange(i32, at, 0, me2) === 0) return;
  for (;;) {
    try {
      yield* lockSlow(i32, at, me2, Infinity, SPIN_LIMIT);
      return;
    } catch (error) {
      if (!(error instanceof Aborted)) throw error;
      onAbort(error);
    }
  }
}

/**
 * Takes an internal lock word for a short critical section from a call that does not wait for
 * the primitive's state (`putNowait`, `taskDone`, `shutdown`, `Barrier.reset`): parks where the
 * thread may block, and spins where it may not (a browser's main thread), since internal
 * critical sections never wait while holding the word.
 */
export function lockBriefly(i32: Int32Array, at: number, me2: number): void {
  if (Atomics.compareExchange(i32, at, 0, me2) === 0) return;
  if (canBlock()) {
    lockSlowSync(i32, at, me2, Infinity, SPIN_LIMIT);
    return;
  }
  // A spinner is a waiter that runs: like a sleeper, once it has waited STARVE_AFTER_MS it may
  // take a HANDOFF word. It must: the starving waiter the word was handed to may be an async
  // wait of this very thread, which cannot run before this spin ends. And like a sleeper it
  // takes a word over from an owner that has ended (`advance`), or it would spin forever: the
  // caller then repairs what the owner left (the queues' journal), as after `lockSlowSync`.
  const since = now();
  for (;;) {
    const seen = Atomics.compareExchange(i32, at, 0, me2);
    if (seen === 0) return;
    if (seen === HANDOFF) {
      // PARKED stays: others may sleep on the word.
      if (
        now() - since >= STARVE_AFTER_MS &&
        Atomics.compareExchange(i32, at, HANDOFF, me2 | PARKED) === HANDOFF
      ) return;
    } else if (lifeOf((seen & OWNER_BITS) >>> 1) === LIFE_ENDED) {
      // PARKED stays for those asleep; STARVING goes, as in `advance`'s takeover.
      if (Atomics.compareExchange(i32, at, seen, me2 | (seen & PARKED)) === seen) return;
    }
    pause();
  }
}
