/**
 * Waiting on a sequence slot under an internal lock word: the condition variable that the queues
 * and `Barrier` build their slow paths from.
 *
 * This module owns one loop step: read the seq slot, release the internal lock, sleep while the
 * seq is unchanged, re-take the lock whatever happens. The primitive owns its state, its waiter
 * counts and the decision to wait again.
 *
 * Invariant (the caller's half): the seq slot is read and bumped only with the internal lock held,
 * and whoever changes the state the waiter waits for bumps the seq before it releases the lock.
 * A waiter reads the seq before it releases the lock, so a change made after that release always
 * moves the value it sleeps on: no wake-up is lost.
 *
 * Poll: a sleeper wakes at least every `OWNER_POLL_MS` (100 ms) and looks again under the lock.
 * The invariant above holds between live threads; a thread that ends after it bumped the seq and
 * released the lock but before its wake (`terminate()` stops a worker wherever it runs on Node and
 * Bun) takes the wake with it, and a waiter without a timeout would sleep until the next change
 * of the queue: with none, forever. The poll bounds that stall to `OWNER_POLL_MS`; it decides
 * nothing (the caller re-checks its state under the lock, as after any wake). It is the park's
 * `pollMs`, which the drivers apply only once they block (a sync wait's relative timeout, the
 * async driver's deadline timer at registration): nothing on a park that its spin ends, and for
 * a thread asleep for long one wake-up every 100 ms
 * (`tests/regressions/queue_wake_lost_with_a_dying_putter_test.ts`). A first version set the
 * park's deadline to `now() + OWNER_POLL_MS` at every sleep: two clock reads and a deadline-timer
 * entry per park, `queue.pingpong-async` 1.05-1.29× (Node), 1.10-1.24× (Bun) the time before in
 * three interleaved full-mode runs. With `pollMs`, three interleaved runs of each tree
 * (`node bench/run.ts --runtimes node,deno,bun --filter queue.pingpong-async --no-reference`,
 * 2026-12-02 ~12:55 UTC), after ÷ before: Node 1.14 / 0.97 / 0.85, Deno 1.10 / 1.03 / 0.69, Bun
 * 0.75 / 0.70 / 0.71: no cost above the noise.
 *
 * Aborts: the slow paths run in `"throw"` abort mode, so an abort is thrown in at a yield. A
 * {@link SeqWait} catches it, records the first one in {@link SeqWait.aborted} and carries on
 * until it holds the lock again; the caller decides, with the lock held, how to leave.
 *
 * @module
 */

import { Aborted, now, type Park, type Parker } from "./futex.ts";
import { lockUninterruptible, OWNER_POLL_MS, unlock } from "./lock_word.ts";

/**
 * One waiter's handle on a seq slot guarded by an internal lock word. Made once per slow path
 * (never on a fast path); the driver may reuse its park request across sleeps.
 */
export class SeqWait {
  /** The first abort thrown in while waiting, or `undefined`. */
  aborted: Aborted | undefined = undefined;
  readonly #i32: Int32Array;
  readonly #lock: number;
  readonly #me2: number;
  readonly #park: Park;
  readonly #repair: ((i32: Int32Array) => void) | undefined;
  readonly #onAbort = (aborted: Aborted): void => {
    this.aborted ??= aborted;
  };

  /**
   * @param i32 The primitive's slots.
   * @param lock Slot of its internal lock word.
   * @param seq Slot of the sequence to sleep on.
   * @param asyncCount Slot counting async waiters on `seq`, or -1 where the primitive wakes all.
   * @param me2 This thread's ident << 1 (the lock word's owner value).
   * @param repair Run on the slots each time the lock has been taken (by `lock()`, and again in
   *   `sleep()`), before the caller reads its state: the lock may have been taken over from a dead
   *   owner, and this repairs what it left half done (the queues pass their journal's `undo`).
   */
  constructor(
    i32: Int32Array,
    lock: number,
    seq: number,
    asyncCount: number,
    me2: number,
    repair?: (i32: Int32Array) => void,
  ) {
    this.#i32 = i32;
    this.#lock = lock;
    this.#me2 = me2;
    this.#repair = repair;
    // pollMs: no sleep lasts longer than OWNER_POLL_MS (see "Poll").
    this.#park = {
      i32,
      index: seq,
      expected: 0,
      deadline: Infinity,
      asyncCount,
      pollMs: OWNER_POLL_MS,
    };
  }

  /**
   * Takes the internal lock whatever happens (an abort meanwhile is recorded, not thrown), then
   * runs `repair`.
   */
  *lock(): Parker<void> {
    yield* lockUninterruptible(this.#i32, this.#lock, this.#me2, this.#onAbort);
    this.#repair?.(this.#i32);
  }

  /** Whether an abort arrived or `deadline` has passed: the caller should stop waiting. */
  expired(deadline: number): boolean {
    return this.aborted !== undefined || (deadline !== Infinity && now() >= deadline);
  }

  /**
   * With the lock held: reads the seq, releases the lock, sleeps while the seq is unchanged (or
   * until `deadline`), and re-takes the lock (running `repair`). Returns holding the lock,
   * whatever woke it.
   */
  *sleep(deadline: number): Parker<void> {
    const i32 = this.#i32;
    const park = this.#park;
    // Read the seq under the lock: any change after the release below moves it.
    park.expected = Atomics.load(i32, park.index);
    park.deadline = deadline;
    unlock(i32, this.#lock, this.#me2);
    try {
      // "ok", "not-equal" or "timed-out": all mean "re-check under the lock"; the caller does.
      yield park;
    } catch (error) {
      if (!(error instanceof Aborted)) throw error;
      this.#onAbort(error);
    }
    yield* this.lock();
  }
}
