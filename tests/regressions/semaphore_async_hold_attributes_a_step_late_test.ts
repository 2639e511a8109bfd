/**
 * Regression: an async `hold()` attributed its permit to the thread one step after taking it.
 *
 * The slow path took the permit and returned; the attribution (this thread's HELD + 1) ran in a
 * `.then` reaction of the promise, microtasks later. A thread that ended in between (another
 * microtask calling `process.exit()`, a `terminate()`) left a taken permit attributed to nobody:
 * lost for good, since only attributed permits are reclaimed. The slow path now attributes the
 * permit in the same synchronous step as the take (two adjacent atomic operations in one
 * function, no `await`, no call in between).
 *
 * The test takes the one path that finishes a slow-path take synchronously, so the state can be
 * read before any reaction runs: the permit comes from a dead holder (a reclaim in the first,
 * synchronous phase of the async slow path). Right after `hold()` returns its pending promise,
 * the permit must already be attributed to this thread.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { OwnerDiedError, Semaphore } from "../../mod.ts";
import {
  currentIdent,
  drawIdentFor,
  LIFE_ALIVE,
  LIFE_ENDED,
  setLife,
} from "../../src/internal/ident.ts";
import { slotsOf } from "../fixtures/checks.ts";

/** The claimed holder entries, one bit each (src/semaphore.ts), as `claimEntry` marks them. */
const CLAIMED = 6;
/** The first holder entry (src/semaphore.ts): HOLDER, then HELD, per entry. */
const HOLDERS = 7;

test("semaphore: an async hold() attributes the permit in the step that takes it", async () => {
  const sem = new Semaphore(0);
  const slots = slotsOf(sem.handle, HOLDERS + 4);
  const dead = drawIdentFor();
  setLife(dead, LIFE_ALIVE);
  setLife(dead, LIFE_ENDED);
  Atomics.store(slots, HOLDERS, dead);
  Atomics.store(slots, HOLDERS + 1, 1);
  Atomics.store(slots, CLAIMED, 0b1);
  const pending = sem.hold({ timeout: 5000 });
  // No reaction has run yet: the reclaim took the dead holder's permit synchronously.
  assert.equal(Atomics.load(slots, HOLDERS + 1), 0, "the dead holder's permit was taken");
  const me = currentIdent();
  const mine = Atomics.load(slots, HOLDERS + 2) === me
    ? HOLDERS + 3
    : Atomics.load(slots, HOLDERS) === me
    ? HOLDERS + 1
    : -1;
  assert.notEqual(mine, -1, "this thread has a holder entry");
  assert.equal(Atomics.load(slots, mine), 1, "attributed already, before any microtask");
  await assert.rejects(pending, OwnerDiedError);
  // The guard was not returned (the error was), but the caller holds the permit: release it.
  sem.release();
  assert.equal(Atomics.load(slots, mine), 0, "the release dropped the attribution");
  assert.equal(sem.value, 1);
});
