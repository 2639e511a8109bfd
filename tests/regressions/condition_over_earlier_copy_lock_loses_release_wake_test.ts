/**
 * A `Condition` of this copy over the `Lock`/`RLock` of an earlier threadkit copy in the same
 * thread (brands cross copies, and the deferred-wake list is shared through a registered symbol):
 * `notify` defers its wakes to the lock's release, and this copy's release flushes them, but an
 * earlier copy's release flushed only from `unlockSlow`, which it reached only when PARKED was set
 * on the word. Once `notify` stopped marking the word, the wake a notify owed was done only at
 * this thread's next park, its job's end (a microtask) or the waiter's 100 ms poll, not at the
 * release (found by review). `notify` now marks a foreign lock's word (`_markRelease`) as it did.
 *
 * The earlier copy is simulated: a copy of this source whose `Lock`/`RLock` releases do not call
 * `flushWakes` themselves (exactly what the earlier releases lacked). Every wait is bounded.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Condition, Lock, RLock } from "../../mod.ts";
import { importEditedCopy, notifiesOn } from "../helpers.ts";

const earlier = await importEditedCopy<{ Lock: typeof Lock; RLock: typeof RLock }>(
  ["lock.ts", "rlock.ts"],
  (file, source) => {
    const edited = source.replace(/^\s*flushWakes\(\);.*$/gm, "");
    assert.notEqual(edited, source, `${file}: the release's flush was found and removed`);
    return edited;
  },
);

const locks: [string, () => Lock | RLock][] = [
  ["this copy's Lock", () => new Lock()],
  ["this copy's RLock", () => new RLock()],
  ["an earlier copy's Lock", () => new earlier.Lock()],
  ["an earlier copy's RLock", () => new earlier.RLock()],
];

for (const [name, make] of locks) {
  test(`Condition over ${name}: the release does the wake notify owes`, async () => {
    const lock = make();
    assert.ok(lock instanceof Lock || lock instanceof RLock, "brands cross copies");
    const cond = new Condition(lock);
    // An async waiter on this thread: its ticket is out once it has released the lock.
    assert.equal(await cond.acquire({ timeout: 5000 }), true);
    const waiting = cond.wait({ timeout: 20_000 }).finally(() => cond.release());
    assert.equal(await cond.acquire({ timeout: 5000 }), true);
    assert.equal(notifiesOn(cond.handle.buffer, () => cond.notify(1)), 0, "notify defers");
    const atRelease = notifiesOn(cond.handle.buffer, () => cond.release());
    assert.equal(await waiting, true, "the waiter was notified");
    assert.equal(atRelease, 1, "the release woke the waiter's slot");
  });
}
