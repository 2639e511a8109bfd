/**
 * Review of 0264bde (RLock async acquires share a hold their thread took while they waited):
 * a starving `ours` waiter that leaves with OURS must not take another waiter's STARVING mark
 * along.
 *
 * The OURS branch of `advance` returns with `w.starving` still set, so `lockSlow`'s `finally`
 * runs `unstarve`, which clears STARVING from the held word. But that mark cannot be ours: every
 * write that makes this thread the owner clears STARVING (0 → me2, HANDOFF → me2|P, a takeover
 * keeps only PARKED), and an `ours` waiter never marks a word its own thread holds (it returns
 * OURS first). So the mark on the word is always another waiter's, as on the `true` paths,
 * which reset `w.starving` for exactly that reason. Erasing it makes this thread's release free
 * the word instead of handing it off: a barger overtakes a waiter that has starved.
 *
 * Played step by step in one thread with generators, as takeover_after_wake_keeps_parked_test.ts.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  HANDOFF,
  lockSlow,
  OURS,
  PARKED,
  STARVE_AFTER_MS,
  STARVING,
  unlock,
} from "../../src/internal/lock_word.ts";
import { drawIdentFor, LIFE_ALIVE, LIFE_ENDED, setLife } from "../../src/internal/ident.ts";

function busyWait(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* spin */ }
}

test("lock word: an `ours` waiter leaving with OURS keeps another thread's STARVING mark", () => {
  const [me, b, c, d] = [drawIdentFor(), drawIdentFor(), drawIdentFor(), drawIdentFor()];
  for (const id of [me, b, c, d]) setLife(id, LIFE_ALIVE);
  const i32 = new Int32Array(new SharedArrayBuffer(8));
  const me2 = me << 1;

  // 1. B holds. Two async tasks of this thread (T1, T2: RLock acquires, `ours`) and a waiter
  //    of thread C park.
  Atomics.store(i32, 0, b << 1);
  const t1 = lockSlow(i32, 0, me2, Infinity, 0, false, true);
  const t2 = lockSlow(i32, 0, me2, Infinity, 0, false, true);
  const waiterC = lockSlow(i32, 0, c << 1, Infinity, 0);
  assert.equal(t1.next().done, false, "T1 parks");
  assert.equal(t2.next().done, false, "T2 parks");
  assert.equal(waiterC.next().done, false, "C parks");

  // 2. All three have waited past STARVE_AFTER_MS; each wakes (liveness poll), starves and
  //    parks again as starving (T1 sets STARVING; T2 and C find it set).
  busyWait(STARVE_AFTER_MS + 1);
  assert.equal(t1.next("timed-out").done, false);
  assert.equal(t2.next("timed-out").done, false);
  assert.equal(waiterC.next("timed-out").done, false);
  assert.equal(Atomics.load(i32, 0), STARVING | (b << 1) | PARKED);

  // 3. B releases: hand-off, every sleeper woken. T2 runs first and takes it.
  assert.equal(unlock(i32, 0, b << 1), true);
  assert.equal(Atomics.load(i32, 0), HANDOFF);
  assert.deepEqual(t2.next("ok"), { done: true, value: true }, "T2 takes the hand-off");
  assert.equal(Atomics.load(i32, 0), me2 | PARKED);

  // 4. C runs its wake: still starving, it marks the word (now held by this thread) again.
  assert.equal(waiterC.next("ok").done, false, "C parks again, starving");
  assert.equal(Atomics.load(i32, 0), STARVING | me2 | PARKED, "C's mark");

  // 5. T1 runs its wake: the word is this thread's, so it leaves with OURS (it re-enters).
  assert.deepEqual(t1.next("ok"), { done: true, value: OURS }, "T1 shares the hold");
  assert.equal(
    Atomics.load(i32, 0) & STARVING,
    STARVING,
    "C's STARVING mark survives T1's leaving (it cannot be T1's)",
  );

  // 6. So this thread's release hands the word to C; a barger (D) does not overtake it.
  assert.equal(unlock(i32, 0, me2), true);
  assert.notEqual(Atomics.compareExchange(i32, 0, 0, d << 1), 0, "D cannot barge in");
  assert.deepEqual(waiterC.next("ok"), { done: true, value: true }, "C takes the hand-off");
  for (const id of [me, b, c, d]) setLife(id, LIFE_ENDED);
});
