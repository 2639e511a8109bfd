/**
 * The lock word: the one lock algorithm of threadkit. `Lock`, `RLock`, `Condition`'s default
 * lock and the queues' internal lock all run on it.
 *
 * Layout: two int32 slots from `at`
 * | slot   | name  | meaning                                                            |
 * | at     | STATE | 0 free; otherwise `(owner ident << 1) \| PARKED`                    |
 * | at + 1 | ASYNC | async waiters registered on STATE (counted by the futex layer)     |
 *
 * State table of STATE (`o` = owner ident, `P` = PARKED):
 * | value      | meaning                       | who moves it on                               |
 * | 0          | free                          | an acquirer: CAS 0 → o<<1 (or o<<1\|P)         |
 * | o<<1       | held by o, nobody sleeps      | the releaser: CAS o<<1 → 0 (fast path)         |
 * | o<<1 \| P  | held by o, someone may sleep  | a waiter sets P; the releaser swaps to 0 and wakes one |
 *
 * Invariant: PARKED is set before any thread sleeps on STATE, and a thread that has slept
 * leaves the slow path only with PARKED set on the word: it re-acquires with PARKED set, and if
 * it gives up (timeout) while the word is held, it sets PARKED first. It cannot know whether
 * others still sleep, and the wake-up it may have consumed was theirs (the classic three-state
 * futex mutex). A spurious PARKED costs one needless wake, never a lost one.
 *
 * Owner ident in the word costs nothing on the fast path (the CAS writes it instead of `1`) and
 * buys diagnostics ("held by thread 3"), RLock ownership and owner-death detection.
 *
 * ## Fairness
 * The lock is *barging*: a release makes the word free and wakes one sleeper, and any thread that
 * arrives before the sleeper runs may take the lock first. This keeps the lock from convoying
 * (the hand-off to a sleeping thread costs 5-18 µs here, the fast path tens of ns), at the price of
 * no bound on how often one waiter can be overtaken under sustained contention.
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
 * hand-off).
 *
 * ## Owner death
 * When the owner of a held word is a thread whose end the runtime layer watches, sleepers wake at
 * least every {@link OWNER_POLL_MS} to read its liveness; once it has ended, the first to see it
 * takes the word over (keeping PARKED) and reports the dead owner to its caller, which throws
 * `OwnerDiedError` with the lock held (POSIX `EOWNERDEAD`).
 *
 * @module
 */

import { Aborted, canBlock, now, type Park, type Parker, runSync, wake } from "./futex.ts";
import { LIFE_ALIVE, LIFE_ENDED, lifeOf } from "./ident.ts";
import { noteRelease } from "./diagnostics.ts";

/** Bit 0 of STATE: some thread may be asleep waiting for the word. */
export const PARKED = 1;
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

const pause: () => void = (Atomics as unknown as { pause?: () => void }).pause?.bind(Atomics) ??
  (() => {});

/**
 * The slow path of every acquire: spin briefly, then park until the word is free or `deadline`
 * passes. `me2` is the caller's `ident << 1`; `spin` the reads allowed before parking.
 *
 * Returns `true` once the word holds `me2` (maybe with PARKED), `false` on timeout (the word is
 * untouched but for a PARKED bit, which is harmless), or the ident of a dead owner whose word it
 * took over (the caller then holds it).
 */
export function* lockSlow(
  i32: Int32Array,
  at: number,
  me2: number,
  deadline: number,
  spin: number,
): Parker<boolean | number> {
  // Spin while the holder runs and nobody sleeps: a short critical section on the other CPU
  // ends within a few hundred ns, much less than a park/unpark round trip.
  let state = Atomics.load(i32, at);
  for (let i = 0; i < spin && state !== 0 && (state & PARKED) === 0; i++) {
    pause();
    state = Atomics.load(i32, at);
  }

  // What we write when we find the word free: plain until we have parked, PARKED after.
  let take = me2;
  const park: Park = { i32, index: at, expected: 0, deadline, asyncCount: at + 1 };
  for (;;) {
    // Free: grab it.
    if (state === 0) {
      const seen = Atomics.compareExchange(i32, at, 0, take);
      if (seen === 0) return true;
      state = seen;
      continue;
    }
    // Held by a thread that has ended: take it over, keeping PARKED for those asleep, and
    // setting it if we have slept (`take`): the wake-up we consumed may have been theirs, and the
    // dead owner may have barged in without PARKED (see the invariant; models/lock_word.pml).
    const owner = state >>> 1;
    const life = lifeOf(owner);
    if (life === LIFE_ENDED) {
      const seen = Atomics.compareExchange(i32, at, state, take | (state & PARKED));
      if (seen === state) return owner;
      state = seen;
      continue;
    }
    // Held: give up if our time is out. A try that never slept leaves no trace. A waiter that
    // has slept may have been woken by the release that freed the word, and that wake-up was
    // the others' only one: a barger took the word meanwhile, writing it without PARKED, so
    // nobody would wake them again. Pass it on: leave only once the word carries PARKED.
    const t = clockFor(deadline, life === LIFE_ALIVE);
    if (t >= deadline) {
      if (take === me2 || (state & PARKED) !== 0) return false;
      const seen = Atomics.compareExchange(i32, at, state, state | PARKED);
      if (seen === state) return false;
      state = seen;
      continue;
    }
    // Set the parked bit, so that the release wakes us.
    if ((state & PARKED) === 0) {
      const seen = Atomics.compareExchange(i32, at, state, state | PARKED);
      if (seen !== state) {
        state = seen;
        continue;
      }
      state |= PARKED;
    }
    take = me2 | PARKED;
    // Sleep while the word still holds what we saw; poll a watched owner's liveness.
    park.expected = state;
    park.deadline = parkUntil(deadline, life === LIFE_ALIVE, t);
    // "ok": a release (or a spurious wake) — re-read. "not-equal": it changed before we slept —
    // re-read. "timed-out": our deadline or a liveness poll — re-read; the loop decides.
    yield park;
    state = Atomics.load(i32, at);
  }
}

/**
 * Releases the word, whoever holds it, and wakes one sleeper if PARKED was set. Returns `false`
 * (changing nothing) when the word was free.
 */
export function unlockSlow(i32: Int32Array, at: number): boolean {
  let state = Atomics.load(i32, at);
  for (;;) {
    if (state === 0) return false;
    // Swap to free; a concurrent waiter may set PARKED meanwhile, so CAS and retry.
    const seen = Atomics.compareExchange(i32, at, state, 0);
    if (seen === state) break;
    state = seen;
  }
  // Someone may sleep: wake one (all while async waiters are registered; see futex.ts).
  if ((state & PARKED) !== 0) {
    noteRelease(state >>> 1); // diagnostics: edges to the owner are stale (before the wake)
    wake(i32, at, 1, at + 1);
  }
  return true;
}

/** Releases a word held by `me2`: one CAS when nobody sleeps. Returns `false` if it was free. */
export function unlock(i32: Int32Array, at: number, me2: number): boolean {
  return Atomics.compareExchange(i32, at, me2, 0) === me2 || unlockSlow(i32, at);
}

/** The ident holding the word, or 0. */
export function ownerOf(i32: Int32Array, at: number): number {
  return Atomics.load(i32, at) >>> 1;
}

/**
 * Takes an internal lock word (a barrier's, a queue's) whatever happens, for slow paths that run
 * in `"throw"` abort mode: an abort thrown in while waiting is handed to `onAbort` and the
 * acquire starts again, so the caller always continues holding the word. A word taken over from
 * a dead owner is simply held (internal critical sections leave their state consistent at every
 * step they can die at, or the primitive documents otherwise).
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
    runSync(lockSlow(i32, at, me2, Infinity, SPIN_LIMIT));
    return;
  }
  while (Atomics.compareExchange(i32, at, 0, me2) !== 0) pause();
}
