/**
 * A `Condition` of this copy over the `Lock`/`RLock` of an earlier threadkit copy, whose locks
 * lack the watching acquire (`_acquireSyncWatching`, `_holdSyncWatching`: the Condition's sync
 * acquires watch the word before they sleep). The Condition falls back to the lock's own
 * `acquireSync`/`holdSync`: same results and errors, and the wait sleeps at once as it did.
 *
 * The earlier copy is simulated: a copy of this source with the two methods renamed away. Every
 * wait is bounded.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Condition, type Lock, type RLock } from "../mod.ts";
import { importEditedCopy, whileHeldElsewhere } from "./helpers.ts";

const earlier = await importEditedCopy<{ Lock: typeof Lock; RLock: typeof RLock }>(
  ["lock.ts", "rlock.ts"],
  (file, source) => {
    const edited = source
      .replace("  _acquireSyncWatching(options", "  _earlierA(options")
      .replace("  _holdSyncWatching(options", "  _earlierH(options");
    assert.equal(edited.includes("_earlierA(") && edited.includes("_earlierH("), true, file);
    return edited;
  },
);

for (
  const [name, make] of [["Lock", () => new earlier.Lock()], [
    "RLock",
    () => new earlier.RLock(),
  ]] as const
) {
  test(`Condition over an earlier copy's ${name}: acquireSync and holdSync fall back to the lock's own`, async () => {
    const lock: Lock | RLock = make();
    assert.equal("_acquireSyncWatching" in lock, false, "the simulated copy lacks the method");
    const cond = new Condition(lock);
    const acquired = await whileHeldElsewhere(lock, () => cond.acquireSync({ timeout: 10_000 }));
    assert.equal(acquired.value, true);
    assert.ok(acquired.waits >= 1, "a mutex wait of that copy: sleeps at once");
    cond.release();
    const held = await whileHeldElsewhere(lock, () => {
      using _guard = cond.holdSync({ timeout: 10_000 });
      return lock.locked;
    });
    assert.equal(held.value, true);
    assert.equal(lock.locked, false, "the guard released it");
    // Timeouts as the lock's own: a Lock held by this thread times out (an RLock re-enters).
    assert.equal(cond.acquireSync({ timeout: 0 }), true);
    if (name === "Lock") {
      assert.equal(cond.acquireSync({ timeout: 0 }), false);
      // The earlier copy's own TimeoutError class: matched by name.
      assert.throws(() => cond.holdSync({ timeout: 0 }), { name: "TimeoutError" });
    } else {
      using _again = cond.holdSync({ timeout: 0 });
      cond.release(); // the first acquire; the guard then releases the re-entry
    }
    if (name === "Lock") cond.release();
    assert.equal(lock.locked, false);
  });
}
