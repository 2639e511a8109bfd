/**
 * Regression: owner death stopped working after a process had started 1023 threads.
 *
 * Liveness was kept only for idents below 1024 and idents are never reused, so from the 1024th
 * thread on a thread that died holding a Lock was never detected: its waiters hung (found by the
 * random-kill suite's full mode, which starts thousands of threads in one process). Liveness
 * slots are now reused once their ident has ended.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Event } from "../../src/event.ts";
import { Lock } from "../../src/lock.ts";
import { OwnerDiedError } from "../../src/errors.ts";
import {
  currentIdent,
  drawIdentFor,
  LIFE_ALIVE,
  LIFE_ENDED,
  LIFE_UNWATCHED,
  lifeOf,
  MAX_TRACKED,
  nameOf,
  setLife,
  setName,
} from "../../src/internal/ident.ts";
import { Thread } from "../../src/thread/mod.ts";

const OPS = new URL("../fixtures/thread_ops.ts", import.meta.url);
const WAIT_MS = 20_000;

test("owner death still reaches waiters after 1023 threads have come and gone", async () => {
  const main = currentIdent();
  // 1100 threads that started and ended, as the machinery records them.
  const gone: number[] = [];
  for (let i = 0; i < MAX_TRACKED + 76; i++) {
    const id = drawIdentFor();
    setName(id, `gone-${i}`);
    setLife(id, LIFE_ALIVE);
    setLife(id, LIFE_ENDED);
    gone.push(id);
  }
  assert.ok(gone.at(-1)! >= MAX_TRACKED, "the idents went past the first 1023");
  // Old idents read as ended, their slots reused or not; the main thread stays unwatched.
  for (const id of gone) assert.equal(lifeOf(id), LIFE_ENDED, `ident ${id}`);
  assert.equal(lifeOf(main), LIFE_UNWATCHED);
  assert.equal(nameOf(gone.at(-1)!), `gone-${MAX_TRACKED + 75}`);

  const lock = new Lock();
  const acquired = new Event();
  const release = new Event();
  const t = new Thread(OPS, {
    export: "holdLockThen",
    args: [lock, acquired, release, "return"],
    name: "late",
  });
  t.start();
  assert.ok(t.ident >= MAX_TRACKED, `the thread's ident ${t.ident} is past the first 1023`);
  assert.equal(await acquired.wait({ timeout: WAIT_MS }), true);
  assert.equal(lifeOf(t.ident), LIFE_ALIVE);
  const waiter = lock.acquire({ timeout: WAIT_MS }).then(
    (got) => `acquired without an error: ${got}`,
    (e: unknown) => e,
  );
  release.set();
  const error = await waiter;
  assert.ok(error instanceof OwnerDiedError, `expected OwnerDiedError, got ${String(error)}`);
  assert.equal(error.ownerIdent, t.ident);
  assert.equal(lock.locked, true);
  lock.release();
  assert.equal(await t.join({ timeout: WAIT_MS }), "return");
  assert.equal(lifeOf(t.ident), LIFE_ENDED);
});
