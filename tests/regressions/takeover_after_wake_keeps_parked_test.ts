/**
 * Regression (found by the Promela model, `models/lock_word.pml`, MUTANT_TAKEOVER_PLAIN): a
 * sleeper that took over a dead owner's word after a wake-up dropped the PARKED bit the others
 * needed.
 *
 * The lock word's invariant: a thread that has slept leaves the slow path only with PARKED on the
 * word, since the wake-up it consumed may have been the others' only one. The free-word path
 * honours it (it writes `take`, which carries PARKED once we have slept); the owner-death
 * takeover wrote `me2 | (state & PARKED)`, which keeps only a PARKED already on the word. The
 * counterexample spin printed:
 * 1. A holds the word; S and T sleep on it (PARKED set);
 * 2. A releases: the word becomes 0 and S is woken (T sleeps on);
 * 3. before S runs, B barges in with the fast-path CAS (`B << 1`, no PARKED), then ends holding it;
 * 4. S re-reads the word, sees B ended and takes it over as `S << 1` without PARKED;
 * 5. S releases with the one-CAS fast path and wakes nobody: T sleeps with the lock free (until
 *    a liveness poll, only if the owner T saw was a watched thread; else forever).
 *
 * The slow paths are generators, so this test plays that interleaving step by step in one thread,
 * with idents whose liveness it sets as the runtime layer would.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { lockSlow, PARKED, unlock } from "../../src/internal/lock_word.ts";
import { drawIdentFor, LIFE_ALIVE, LIFE_ENDED, setLife } from "../../src/internal/ident.ts";

test("lock word: a woken sleeper that takes over a dead barger's word keeps PARKED for the others", () => {
  // Idents past MAX_TRACKED have liveness slots too (reused slots), so this runs in a long-lived
  // test process as well (Bun runs every file in one).
  const [a, b, s, tIdent] = [drawIdentFor(), drawIdentFor(), drawIdentFor(), drawIdentFor()];
  for (const id of [a, b, s, tIdent]) setLife(id, LIFE_ALIVE);
  const i32 = new Int32Array(new SharedArrayBuffer(8));

  // 1. A holds; S and T park (each sets or finds PARKED and yields a sleep request).
  Atomics.store(i32, 0, a << 1);
  const sleeperS = lockSlow(i32, 0, s << 1, Infinity, 0);
  const sleeperT = lockSlow(i32, 0, tIdent << 1, Infinity, 0);
  assert.equal(sleeperS.next().done, false, "S parks");
  assert.equal(sleeperT.next().done, false, "T parks");
  assert.equal(Atomics.load(i32, 0), (a << 1) | PARKED);

  // 2. A releases (swap to 0; the wake goes to S).
  assert.equal(unlock(i32, 0, a << 1), true);
  assert.equal(Atomics.load(i32, 0), 0);

  // 3. B barges in with the fast path, then ends holding the word.
  assert.equal(Atomics.compareExchange(i32, 0, 0, b << 1), 0);
  setLife(b, LIFE_ENDED);

  // 4. S runs its wake-up: it takes the word over from the dead B.
  const step = sleeperS.next("ok");
  assert.deepEqual(step, { done: true, value: b }, "S took the word over from B");
  const word = Atomics.load(i32, 0);
  assert.equal(word >>> 1, s, "S holds the word");
  assert.equal(
    word & PARKED,
    PARKED,
    "T still sleeps, so the word S took over must carry PARKED (else S's release wakes nobody)",
  );

  // 5. S's release therefore takes the slow path, which wakes T; T then gets the word.
  assert.equal(unlock(i32, 0, s << 1), true);
  const stepT = sleeperT.next("ok");
  assert.deepEqual(stepT, { done: true, value: true }, "T acquires after S's release");
  assert.equal(Atomics.load(i32, 0) >>> 1, tIdent);
  for (const id of [a, s, tIdent]) setLife(id, LIFE_ENDED);
});
