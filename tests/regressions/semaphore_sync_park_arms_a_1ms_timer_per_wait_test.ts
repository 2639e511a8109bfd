/**
 * Regression: every sync waiter of a Semaphore parked on VALUE with its 1 ms starve timer
 * (`STARVE_AFTER_MS`) as the `Atomics.wait` timeout, even when nobody starved. A wait with a
 * timeout that near costs the thread ~3-4 µs of CPU more per wait than one with a far timeout
 * (the kernel arms and cancels a timer that is the CPU's next event; measured with
 * `bench/probes/semaphore_pingpong.ts`: CPU per round trip and worker, Node, same run: the
 * floor 11-14 µs, Lock 12-17 µs, Semaphore 16-21 µs), which made `semaphore.pingpong`
 * 1.2-1.6× `floor.wait-notify` where Lock's, parking 100 ms at a time, was 1.0-1.2× (issue 9, P2).
 *
 * A waiter now parks on VALUE with its starve timer only while somebody starves (a permit may be
 * handed to a starving waiter that cannot take it, and nothing raises VALUE to wake us) or
 * another waiter is in the slow path (contention: the bound on barging stays as it was); alone,
 * it parks until its deadline or the next liveness poll (`OWNER_POLL_MS`) and judges whether it
 * starves when woken, as the lock word does behind a held word. This test reads the timeouts
 * the slow path hands to `Atomics.wait`.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { Semaphore } from "../../mod.ts";
import { OWNER_POLL_MS, STARVE_AFTER_MS } from "../../src/internal/lock_word.ts";
import { slotsOf } from "../fixtures/checks.ts";

/** Semaphore slots (src/semaphore.ts). */
const VALUE = 0;
const WAITERS = 1;
const STARVE = 4;
const WAITING = 1;
const ONE_STARVING = 1 << 16;

/**
 * Runs `body`, recording `[index, timeout]` of every `Atomics.wait` of this thread on `sem`'s
 * memory (not the one-off probe of whether this thread may block).
 */
function recordingWaits(sem: Semaphore, body: () => void): [number, number][] {
  const A = Atomics as unknown as { wait: (...args: unknown[]) => string };
  const wait = A.wait;
  const buffer = slotsOf(sem.handle, 1).buffer;
  const calls: [number, number][] = [];
  A.wait = (...args: unknown[]) => {
    const i32 = args[0] as Int32Array;
    if (i32.buffer === buffer) calls.push([args[1] as number, args[3] as number]);
    return wait.apply(Atomics, args);
  };
  try {
    body();
  } finally {
    A.wait = wait;
  }
  return calls;
}

test("a sync Semaphore waiter alone in the slow path parks on VALUE without its 1 ms starve timer", () => {
  const sem = new Semaphore(0);
  const timeout = OWNER_POLL_MS + 50;
  let acquired: boolean | undefined;
  const calls = recordingWaits(sem, () => (acquired = sem.acquireSync({ timeout })));
  assert.equal(acquired, false);
  assert.ok(calls.length >= 1, "it parked");
  const [index, first] = calls[0]!;
  assert.equal(index, VALUE, "the first park is on VALUE");
  assert.ok(
    first >= OWNER_POLL_MS / 2,
    `the first park waits for a release or the liveness poll, not the starve mark (${first} ms)`,
  );
});

test("a sync Semaphore waiter that finds another waiter in the slow path keeps its starve timer", () => {
  const sem = new Semaphore(0);
  const slots = slotsOf(sem.handle, 6);
  // As another waiter counts itself (contention: the timer keeps the bound on barging as it was).
  Atomics.add(slots, WAITERS, 1);
  Atomics.or(slots, VALUE, WAITING);
  let acquired: boolean | undefined;
  const calls = recordingWaits(sem, () => (acquired = sem.acquireSync({ timeout: 50 })));
  assert.equal(acquired, false);
  const [index, first] = calls[0]!;
  assert.equal(index, VALUE);
  assert.ok(first <= STARVE_AFTER_MS + 1, `the first park ends at the starve mark (${first} ms)`);
  Atomics.sub(slots, WAITERS, 1);
  Atomics.and(slots, VALUE, ~WAITING);
});

test("a sync Semaphore waiter that finds somebody starving parks with its starve timer and takes a permit handed to nobody", () => {
  // Up to 5 tries: a waiter pre-empted for 1 ms between its first look and its first park (CI on
  // 2 busy CPUs, once in Deno) starves before it parks and takes the permit without a park to
  // look at; that try shows nothing about the park, so it is made again.
  for (let attempt = 1;; attempt++) {
    const sem = new Semaphore(0);
    const slots = slotsOf(sem.handle, 6);
    // As a starving sleeper announces itself, one that then dies: nobody takes what is handed.
    Atomics.add(slots, WAITERS, 1);
    Atomics.or(slots, VALUE, WAITING);
    Atomics.store(slots, STARVE, ONE_STARVING);
    sem.release();
    assert.equal(Atomics.load(slots, STARVE), ONE_STARVING | 1, "handed to the dead waiter");
    let acquired: boolean | undefined;
    const calls = recordingWaits(sem, () => (acquired = sem.acquireSync({ timeout: 5_000 })));
    assert.equal(acquired, true, "it starved and took the handed permit");
    if (calls.length === 0 && attempt < 5) continue;
    checkStarvingPark(slots, calls);
    return;
  }
});

/** The rest of the test above, for a try whose waiter parked. */
function checkStarvingPark(slots: Int32Array, calls: [number, number][]): void {
  assert.ok(calls.length > 0, "it parked before it starved (in one of 5 tries)");
  const [index, first] = calls[0]!;
  assert.equal(index, VALUE);
  assert.ok(first <= STARVE_AFTER_MS + 1, `the first park ends at the starve mark (${first} ms)`);
  assert.equal(Atomics.load(slots, STARVE), ONE_STARVING, "only the dead announcer is left");
  Atomics.store(slots, STARVE, 0);
  Atomics.sub(slots, WAITERS, 1);
  Atomics.and(slots, VALUE, ~WAITING);
}
