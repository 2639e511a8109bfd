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
 * Aborts: the slow paths run in `"throw"` abort mode, so an abort is thrown in at a yield. A
 * {@link SeqWait} catches it, records the first one in {@link SeqWait.aborted} and carries on
 * until it holds the lock again; the caller decides, with the lock held, how to leave.
 *
 * @module
 */

import { Aborted, now, type Park, type Parker } from "./futex.ts";
import { lockUninterruptible, unlock } from "./lock_word.ts";

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
    this.#park = { i32, index: seq, expected: 0, deadline: Infinity, asyncCount };
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
