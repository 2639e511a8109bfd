/**
 * Regression: a timed-out waiter swallowed the wake-up meant for the others.
 *
 * The lock word is a three-state futex mutex: a release wakes ONE sleeper, and the woken thread
 * is the one that keeps the PARKED bit alive for those still asleep (it re-acquires with PARKED
 * set). The bug: a sync waiter X that was woken by a release, but whose deadline had passed by
 * the time it re-read the word, found the lock re-taken by a barging thread (which writes the
 * word without PARKED) and returned `false` without setting PARKED. The barger's release then
 * took the fast path and woke nobody, and the waiter W behind X slept on with the lock free —
 * until its own timeout, or forever without one.
 *
 * Choreography per trial (every wait bounded):
 * 1. this thread holds the lock;
 * 2. X (worker) parks with a 20 ms timeout, then W (worker) parks with a 4 s timeout;
 * 3. right around X's deadline (swept over ±0.3 ms across trials, so that X is sometimes notified
 *    just as its time runs out), this thread releases (waking X, first in line) and at once
 *    re-takes the lock with a plain CAS (barging);
 * 4. once X has returned, this thread releases again;
 * 5. W must get the lock within 1.5 s of that release. With the bug, W slept its full 4 s.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { Lock, RLock } from "../../mod.ts";
import { spawn, until } from "../helpers.ts";
import { ctlBlock, signal, slotsOf } from "../fixtures/checks.ts";
import { globalNow } from "../fixtures/foundation_ops.ts";

const TRIALS = 40;
const X_TIMEOUT_MS = 20;

for (const kind of ["Lock", "RLock"] as const) {
  test(`${kind}: a waiter that times out after being woken passes the wake-up on`, async () => {
    const lock = kind === "Lock" ? new Lock() : new RLock();
    const word = slotsOf(lock.handle, 1);
    // ctl: 0 go X, 1 go W, 2 X started, 3 W started, 4 X done, 5 W done, 6 X result, 7 W result
    const ctl = ctlBlock(8);
    const times = new SharedArrayBuffer(16);
    const x = spawn("strandTimed", {
      handle: lock.handle,
      ctl: ctl.buffer,
      times,
      trials: TRIALS,
      timeout: X_TIMEOUT_MS,
    });
    const w = spawn("strandWaiter", {
      handle: lock.handle,
      ctl: ctl.buffer,
      trials: TRIALS,
      timeout: 4_000,
    });
    const xDeadline = new Float64Array(times);
    try {
      for (let t = 1; t <= TRIALS; t++) {
        assert.equal(lock.acquireSync({ timeout: 1000 }), true);
        signal(ctl.i32, 0, t);
        // X started and (most likely) parked: it set PARKED before sleeping.
        await until(
          () => Atomics.load(ctl.i32, 2) === t && (Atomics.load(word, 0) & 1) === 1,
          "X parks",
        );
        signal(ctl.i32, 1, t);
        await until(() => Atomics.load(ctl.i32, 3) === t, "W starts");
        // W is most likely asleep behind X after this; the test is correct either way.
        await new Promise((r) => setTimeout(r, 3));
        const offset = -0.3 + (0.6 * ((t * 7) % TRIALS)) / TRIALS;
        const target = xDeadline[0]! + offset;
        while (globalNow() < target) { /* spin to X's deadline */ }
        lock.release();
        const barged = lock.tryAcquire();
        await until(() => Atomics.load(ctl.i32, 4) === t, "X returns", 5_000);
        if (barged) lock.release();
        await until(
          () => Atomics.load(ctl.i32, 5) === t,
          `W gets the free lock (trial ${t}, offset ${offset.toFixed(3)} ms, X ${
            Atomics.load(ctl.i32, 6) ? "acquired" : "timed out"
          })`,
          1_500,
        );
        assert.equal(Atomics.load(ctl.i32, 7), 1, `trial ${t}: W acquired`);
      }
    } finally {
      // On failure, let the workers run out their trials quickly.
      signal(ctl.i32, 0, TRIALS);
      signal(ctl.i32, 1, TRIALS);
      if (lock.locked && lock instanceof Lock) lock.release();
      await Promise.allSettled([x.result, w.result]);
    }
    assert.equal(await x.result, TRIALS);
    assert.equal(await w.result, TRIALS);
    assert.equal(lock.locked, false);
  });
}
