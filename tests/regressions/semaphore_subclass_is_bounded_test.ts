/**
 * Regression: a subclass of `Semaphore` was created as a `BoundedSemaphore`.
 *
 * The constructor chose the kind with `new.target === Semaphore`, so for any subclass (a
 * `class Pool extends Semaphore {}`) it recorded the kind "BoundedSemaphore" and the initial value
 * as a ceiling: `release()` above the initial value threw `RangeError`, and the handle could not be
 * opened with `Semaphore.from`. The kind must follow the class hierarchy, not the exact class.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { BoundedSemaphore, Semaphore } from "../../mod.ts";

test("a Semaphore subclass is unbounded, a BoundedSemaphore subclass is bounded", () => {
  class Pool extends Semaphore {}
  const pool = new Pool(1);
  assert.equal(pool.handle.kind, "Semaphore");
  pool.release();
  assert.equal(pool.value, 2);
  assert.equal(Semaphore.from(pool.handle).value, 2);

  class Strict extends BoundedSemaphore {}
  const strict = new Strict(1);
  assert.equal(strict.handle.kind, "BoundedSemaphore");
  assert.throws(() => strict.release(), RangeError);
  assert.equal(strict.value, 1);
  assert.equal(BoundedSemaphore.from(strict.handle).value, 1);
});
