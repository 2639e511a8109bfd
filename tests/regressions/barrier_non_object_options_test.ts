/**
 * Regression: `Barrier.waitSync(50)` / `wait(50)` (Python's positional `wait(timeout)`) used to
 * ignore the non-object options and wait with the default timeout (Infinity): a hang instead of
 * the `TypeError` every other wait throws for non-object options.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { Barrier } from "../../mod.ts";

test("Barrier: non-object options are a TypeError, and the barrier is untouched", async () => {
  const barrier = new Barrier(2, { timeout: 200 });
  for (const bad of [50, "50", true, null]) {
    assert.throws(() => barrier.waitSync(bad as never), TypeError, `waitSync(${String(bad)})`);
    await assert.rejects(barrier.wait(bad as never), TypeError, `wait(${String(bad)})`);
    assert.equal(barrier.nWaiting, 0);
    assert.equal(barrier.broken, false);
  }
});
