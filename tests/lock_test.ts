import { test } from "node:test";
import assert from "node:assert/strict";
import { Lock, NotOwnedError, RLock } from "../mod.ts";
import { runAll, spawn } from "./helpers.ts";

test("Lock: 8 workers x 100,000 increments, sync and async mixed, exact total", async () => {
  for (const kind of ["Lock", "RLock"] as const) {
    const lock = kind === "Lock" ? new Lock() : new RLock();
    const counter = new SharedArrayBuffer(4);
    const modes = ["sync", "async", "mixed", "sync", "async", "mixed", "sync", "mixed"];
    await runAll("lockedIncrements", 8, (i) => ({ kind, handle: lock.handle, counter, iterations: 100_000, mode: modes[i] }));
    assert.equal(new Int32Array(counter)[0], 800_000, kind);
    assert.equal(lock.locked, false);
  }
});

test("Lock: tryAcquire from another thread is false while held; another thread may release", async () => {
  const lock = new Lock();
  lock.acquireSync();
  assert.equal(await spawn("tryAcquire", { kind: "Lock", handle: lock.handle }).result, false);
  assert.equal(await spawn("release", { kind: "Lock", handle: lock.handle }).result, "ok");
  assert.equal(lock.locked, false);
  assert.throws(() => lock.release(), NotOwnedError);
});
