/**
 * Regression: one waiter that reclaimed the permits of several dead holders named only one of
 * them.
 *
 * `reclaim` takes back the permits of every ended holder it finds in one pass, but kept only the
 * last holder's ident, so the `OwnerDiedError` said "its holder thread B ended" while thread A's
 * permits had been taken back (and the resource A guarded was just as suspect). The error now
 * names every holder the reclaim took permits from, with how many; `ownerIdent` is the first.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { OwnerDiedError, Semaphore } from "../../mod.ts";
import {
  drawIdentFor,
  LIFE_ALIVE,
  LIFE_ENDED,
  setLife,
  setName,
} from "../../src/internal/ident.ts";
import { slotsOf } from "../fixtures/checks.ts";

/** The claimed holder entries, one bit each (src/semaphore.ts), as `claimEntry` marks them. */
const CLAIMED = 6;
/** The first holder entry (src/semaphore.ts): HOLDER, then HELD, per entry. */
const HOLDERS = 7;

/** A thread as the machinery records one that started and has ended. */
function endedThread(name: string): number {
  const id = drawIdentFor();
  setName(id, name);
  setLife(id, LIFE_ALIVE);
  setLife(id, LIFE_ENDED);
  return id;
}

for (const mode of ["sync", "async"] as const) {
  test(`semaphore: ${mode === "sync" ? "a sync" : "an async"} acquire that reclaims permits of two dead holders names both`, async () => {
    const sem = new Semaphore(0);
    const slots = slotsOf(sem.handle, HOLDERS + 4);
    // Two guarded holders that ended holding 2 and 1 permits (as hold() attributes them).
    const a = endedThread("holder-a");
    const b = endedThread("holder-b");
    Atomics.store(slots, HOLDERS, a);
    Atomics.store(slots, HOLDERS + 1, 2);
    Atomics.store(slots, HOLDERS + 2, b);
    Atomics.store(slots, HOLDERS + 3, 1);
    Atomics.store(slots, CLAIMED, 0b11);
    let error: unknown;
    try {
      if (mode === "sync") sem.acquireSync({ timeout: 5000 });
      else await sem.acquire({ timeout: 5000 });
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof OwnerDiedError, `expected OwnerDiedError, got ${String(error)}`);
    assert.equal(error.ownerIdent, a, "ownerIdent is the first holder found");
    assert.match(error.message, new RegExp(`thread ${a} "holder-a" \\(2 permits\\)`));
    assert.match(error.message, new RegExp(`thread ${b} "holder-b" \\(1 permit\\)`));
    assert.match(error.message, /its holders .* ended without releasing them/);
    // Three reclaimed: the caller keeps one, two go back; nothing is attributed to the dead.
    assert.equal(sem.value, 2);
    assert.equal(Atomics.load(slots, HOLDERS + 1), 0);
    assert.equal(Atomics.load(slots, HOLDERS + 3), 0);
    assert.equal(Atomics.load(slots, CLAIMED), 0, "both entries freed");
    sem.release();
    assert.equal(sem.value, 3);
  });
}

test("semaphore: one dead holder with one permit reads as before", () => {
  const sem = new Semaphore(0);
  const slots = slotsOf(sem.handle, HOLDERS + 2);
  const a = endedThread("only");
  Atomics.store(slots, HOLDERS, a);
  Atomics.store(slots, HOLDERS + 1, 1);
  Atomics.store(slots, CLAIMED, 0b1);
  assert.throws(() => sem.tryAcquire(), (e: unknown) => {
    assert.ok(e instanceof OwnerDiedError);
    assert.equal(e.ownerIdent, a);
    assert.match(
      e.message,
      /its holder thread \d+ "only" \(1 permit\) ended without releasing it;/,
    );
    return true;
  });
  assert.equal(sem.value, 0, "the caller holds the one permit");
});
