/**
 * Bad input: every bad call throws (or, for the async forms, rejects with) the documented error,
 * with a sentence-case message without a trailing period, and leaves the state as it was.
 *
 * Each case runs against primitives in a state where a *missing* check would show: free locks
 * (a bad call that went ahead would take them) and a set event (a bad wait that went ahead would
 * return `true` instead of throwing), so no case can hang.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { BoundedSemaphore, Event, Lock, NotOwnedError, RLock, Semaphore } from "../mod.ts";
import type { Handle } from "../mod.ts";
import { pendingAsyncWaits } from "../src/internal/futex.ts";
import { spawn } from "./helpers.ts";
import { assertMessageStyle } from "./fixtures/checks.ts";

type ErrorClass = typeof TypeError | typeof RangeError | typeof NotOwnedError;

/** The fixture every case runs against, fresh per case. */
function world() {
  const buffer = new SharedArrayBuffer(32);
  new Uint8Array(buffer).fill(0xab);
  const lock = new Lock();
  const rlock = new RLock();
  const sem = new Semaphore(2);
  const bsem = new BoundedSemaphore(2);
  const event = new Event();
  event.set();
  const state = () => ({
    buffer: Array.from(new Uint8Array(buffer)),
    lock: lock.locked,
    rlock: [rlock.locked, rlock.owned],
    sem: sem.value,
    bsem: bsem.value,
    event: event.isSet(),
    slots: [lock, rlock, sem, bsem, event].map((p) => Array.from(slots(p.handle))),
    pending: pendingAsyncWaits(),
  });
  return { buffer, lock, rlock, sem, bsem, event, state };
}

function slots(handle: Handle): Int32Array {
  return new Int32Array(handle.buffer, handle.byteOffset, 2);
}

type World = ReturnType<typeof world>;
interface Case {
  name: string;
  error: ErrorClass;
  /** `async: true`: the call must return a rejected promise, never throw. */
  async?: boolean;
  call: (w: World) => unknown;
  message?: RegExp;
}

const aborter = () => new AbortController().signal;

const cases: Case[] = [
  // Timeouts, sync and async forms, each primitive.
  {
    name: "lock.acquireSync({ timeout: -1 })",
    error: RangeError,
    call: (w) => w.lock.acquireSync({ timeout: -1 }),
    message: /^Cannot acquire lock: timeout must be a non-negative number of milliseconds, got -1$/,
  },
  {
    name: "lock.acquireSync({ timeout: NaN })",
    error: RangeError,
    call: (w) => w.lock.acquireSync({ timeout: NaN }),
  },
  {
    name: "lock.acquireSync({ timeout: -Infinity })",
    error: RangeError,
    call: (w) => w.lock.acquireSync({ timeout: -Infinity }),
  },
  {
    name: "lock.acquireSync({ timeout: '10' })",
    error: TypeError,
    call: (w) => w.lock.acquireSync({ timeout: "10" as never }),
    message: /timeout must be a number, got string$/,
  },
  {
    name: "lock.acquire({ timeout: -5 })",
    error: RangeError,
    async: true,
    call: (w) => w.lock.acquire({ timeout: -5 }),
  },
  {
    name: "lock.acquire({ timeout: '5' })",
    error: TypeError,
    async: true,
    call: (w) => w.lock.acquire({ timeout: "5" as never }),
  },
  {
    name: "lock.acquire({ timeout: 10n })",
    error: TypeError,
    async: true,
    call: (w) => w.lock.acquire({ timeout: 10n as never }),
  },
  {
    name: "rlock.acquireSync({ timeout: NaN })",
    error: RangeError,
    call: (w) => w.rlock.acquireSync({ timeout: NaN }),
  },
  {
    name: "rlock.acquire({ timeout: -1 })",
    error: RangeError,
    async: true,
    call: (w) => w.rlock.acquire({ timeout: -1 }),
  },
  {
    name: "sem.acquireSync({ timeout: -0.5 })",
    error: RangeError,
    call: (w) => w.sem.acquireSync({ timeout: -0.5 }),
  },
  {
    name: "sem.acquire({ timeout: NaN })",
    error: RangeError,
    async: true,
    call: (w) => w.sem.acquire({ timeout: NaN }),
  },
  {
    name: "bsem.acquire({ timeout: null })",
    error: TypeError,
    async: true,
    call: (w) => w.bsem.acquire({ timeout: null as never }),
  },
  {
    name: "event.waitSync({ timeout: -1 })",
    error: RangeError,
    call: (w) => w.event.waitSync({ timeout: -1 }),
  },
  {
    name: "event.wait({ timeout: '1' })",
    error: TypeError,
    async: true,
    call: (w) => w.event.wait({ timeout: "1" as never }),
  },
  {
    name: "lock.holdSync({ timeout: -1 }) (not a TimeoutError)",
    error: RangeError,
    call: (w) => w.lock.holdSync({ timeout: -1 }),
  },
  {
    name: "rlock.hold({ timeout: NaN })",
    error: RangeError,
    async: true,
    call: (w) => w.rlock.hold({ timeout: NaN }),
  },
  {
    name: "sem.holdSync({ timeout: 'x' })",
    error: TypeError,
    call: (w) => w.sem.holdSync({ timeout: "x" as never }),
  },

  // Options that are not an object.
  {
    name: "lock.acquireSync(5)",
    error: TypeError,
    call: (w) => w.lock.acquireSync(5 as never),
    message: /^Cannot acquire lock: options must be an object, got 5$/,
  },
  {
    name: "lock.acquireSync(null)",
    error: TypeError,
    call: (w) => w.lock.acquireSync(null as never),
  },
  {
    name: "lock.acquire('fast')",
    error: TypeError,
    async: true,
    call: (w) => w.lock.acquire("fast" as never),
  },
  {
    name: "sem.acquireSync(true)",
    error: TypeError,
    call: (w) => w.sem.acquireSync(true as never),
  },
  {
    name: "event.wait(null)",
    error: TypeError,
    async: true,
    call: (w) => w.event.wait(null as never),
  },

  // Signals.
  {
    name: "lock.acquire({ signal: {} })",
    error: TypeError,
    async: true,
    call: (w) => w.lock.acquire({ signal: {} as never }),
    message: /signal must be an AbortSignal/,
  },
  {
    name: "rlock.acquire({ signal: 'abort' })",
    error: TypeError,
    async: true,
    call: (w) => w.rlock.acquire({ signal: "abort" as never }),
  },
  {
    name: "sem.acquire({ signal: null })",
    error: TypeError,
    async: true,
    call: (w) => w.sem.acquire({ signal: null as never }),
  },
  {
    name: "event.wait({ signal: 1 })",
    error: TypeError,
    async: true,
    call: (w) => w.event.wait({ signal: 1 as never }),
  },
  {
    name: "lock.acquireSync({ signal }) (sync form)",
    error: TypeError,
    call: (w) => w.lock.acquireSync({ signal: aborter() } as never),
    message: /signal is only supported by the async form lock\.acquire\(\)$/,
  },
  {
    name: "rlock.acquireSync({ signal }) (sync form)",
    error: TypeError,
    call: (w) => w.rlock.acquireSync({ signal: aborter() } as never),
  },
  {
    name: "sem.acquireSync({ signal }) (sync form)",
    error: TypeError,
    call: (w) => w.sem.acquireSync({ signal: aborter() } as never),
  },
  {
    name: "event.waitSync({ signal }) (sync form)",
    error: TypeError,
    call: (w) => w.event.waitSync({ signal: aborter() } as never),
  },
  {
    name: "lock.holdSync({ signal }) (sync form)",
    error: TypeError,
    call: (w) => w.lock.holdSync({ signal: aborter() } as never),
  },

  // Placement in a caller's buffer.
  {
    name: "new Lock({ buffer: ArrayBuffer })",
    error: TypeError,
    call: () => new Lock({ buffer: new ArrayBuffer(8) as never }),
    message: /^Cannot place Lock: options\.buffer must be a SharedArrayBuffer, got ArrayBuffer$/,
  },
  {
    name: "new Event({ buffer: Int32Array })",
    error: TypeError,
    call: (w) => new Event({ buffer: new Int32Array(w.buffer) as never }),
  },
  {
    name: "new Lock({ byteOffset: 2 }) (misaligned)",
    error: RangeError,
    call: (w) => new Lock({ buffer: w.buffer, byteOffset: 2 }),
    message: /must be a multiple of 4$/,
  },
  {
    name: "new Semaphore(1, { byteOffset: 3 }) (misaligned)",
    error: RangeError,
    call: (w) => new Semaphore(1, { buffer: w.buffer, byteOffset: 3 }),
  },
  {
    name: "new Lock({ byteOffset: 28 }) (out of range)",
    error: RangeError,
    call: (w) => new Lock({ buffer: w.buffer, byteOffset: 28 }),
    message: /it needs 8 bytes and the buffer has 32$/,
  },
  {
    name: "new RLock({ byteOffset: 32 }) (out of range)",
    error: RangeError,
    call: (w) => new RLock({ buffer: w.buffer, byteOffset: 32 }),
  },
  {
    name: "new Lock({ byteOffset: -4 })",
    error: RangeError,
    call: (w) => new Lock({ buffer: w.buffer, byteOffset: -4 }),
  },
  {
    name: "new Lock({ byteOffset: 1.5 })",
    error: RangeError,
    call: (w) => new Lock({ buffer: w.buffer, byteOffset: 1.5 }),
  },
  {
    name: "new Lock({ byteOffset: '4' })",
    error: TypeError,
    call: (w) => new Lock({ buffer: w.buffer, byteOffset: "4" as never }),
  },
  {
    name: "new Lock({ byteOffset: 8 }) without a buffer",
    error: RangeError,
    call: () => new Lock({ byteOffset: 8 }),
    message: /no buffer was given$/,
  },
  {
    name: "new Lock(5) (options not an object)",
    error: TypeError,
    call: () => new Lock(5 as never),
  },
  {
    name: "new Event('x') (options not an object)",
    error: TypeError,
    call: () => new Event("x" as never),
  },

  // X.from with something that is not a handle of X.
  {
    name: "Lock.from(rlock.handle) (wrong kind)",
    error: TypeError,
    call: (w) => Lock.from(w.rlock.handle),
    message: /^Cannot open Lock: the handle is of a RLock$/,
  },
  {
    name: "Event.from(lock.handle) (wrong kind)",
    error: TypeError,
    call: (w) => Event.from(w.lock.handle),
  },
  {
    name: "Semaphore.from(bsem.handle) (wrong kind)",
    error: TypeError,
    call: (w) => Semaphore.from(w.bsem.handle),
  },
  {
    name: "RLock.from({})",
    error: TypeError,
    call: () => RLock.from({} as never),
    message: /expected a threadkit handle \(a primitive's `.handle`\), got Object$/,
  },
  { name: "Lock.from(null)", error: TypeError, call: () => Lock.from(null as never) },
  {
    name: "Semaphore.from('handle')",
    error: TypeError,
    call: () => Semaphore.from("handle" as never),
  },
  {
    name: "Lock.from({ kind: 'Lock' }) (no threadkit mark)",
    error: TypeError,
    call: (w) => Lock.from({ kind: "Lock", buffer: w.buffer, byteOffset: 0 } as never),
  },
  {
    name: "Lock.from(handle with an ArrayBuffer)",
    error: TypeError,
    call: (w) => Lock.from({ ...w.lock.handle, buffer: new ArrayBuffer(8) } as never),
    message: /handle\.buffer must be a SharedArrayBuffer, got ArrayBuffer$/,
  },
  {
    name: "Lock.from(handle with a misaligned byteOffset)",
    error: RangeError,
    call: (w) => Lock.from({ ...w.lock.handle, byteOffset: 2 }),
  },
  {
    name: "Event.from(handle past the buffer's end)",
    error: RangeError,
    call: (w) => Event.from({ ...w.event.handle, byteOffset: 8 }),
  },

  // Semaphore values and release counts.
  {
    name: "new Semaphore(-1)",
    error: RangeError,
    call: () => new Semaphore(-1),
    message: /^Cannot create Semaphore: value must be an integer from 0 to 2\^30-1, got -1$/,
  },
  { name: "new Semaphore(1.5)", error: RangeError, call: () => new Semaphore(1.5) },
  { name: "new Semaphore(NaN)", error: RangeError, call: () => new Semaphore(NaN) },
  { name: "new Semaphore(2 ** 30)", error: RangeError, call: () => new Semaphore(2 ** 30) },
  {
    name: "new Semaphore('2')",
    error: TypeError,
    call: () => new Semaphore("2" as never),
    message: /value must be a number, got string$/,
  },
  {
    name: "new BoundedSemaphore(-1)",
    error: RangeError,
    call: () => new BoundedSemaphore(-1),
    message: /^Cannot create BoundedSemaphore/,
  },
  {
    name: "sem.release(0)",
    error: RangeError,
    call: (w) => w.sem.release(0),
    message: /^Cannot release semaphore: n must be a positive integer, got 0$/,
  },
  { name: "sem.release(-1)", error: RangeError, call: (w) => w.sem.release(-1) },
  { name: "sem.release(1.5)", error: RangeError, call: (w) => w.sem.release(1.5) },
  { name: "sem.release(NaN)", error: RangeError, call: (w) => w.sem.release(NaN) },
  { name: "sem.release('1')", error: TypeError, call: (w) => w.sem.release("1" as never) },
  {
    name: "sem.release(2 ** 30) (past 2^30-1)",
    error: RangeError,
    call: (w) => w.sem.release(2 ** 30),
  },
  {
    name: "bsem.release() at its initial value",
    error: RangeError,
    call: (w) => w.bsem.release(),
    message: /would pass its initial value 2$/,
  },
  { name: "bsem.release(3)", error: RangeError, call: (w) => w.bsem.release(3) },

  // Releases without holding.
  {
    name: "lock.release() when unlocked",
    error: NotOwnedError,
    call: (w) => w.lock.release(),
    message: /^Cannot release lock: it is not locked$/,
  },
  {
    name: "rlock.release() when unlocked",
    error: NotOwnedError,
    call: (w) => w.rlock.release(),
    message: /^Cannot release rlock: it is not locked$/,
  },
];

test(`Bad input: ${cases.length} bad calls throw the documented error and change nothing`, async () => {
  assert.ok(cases.length >= 20);
  const names = new Set<string>();
  for (const c of cases) {
    assert.ok(!names.has(c.name), `duplicate case ${c.name}`);
    names.add(c.name);
    const w = world();
    const before = w.state();
    let error: unknown;
    if (c.async) {
      let returned: unknown;
      assert.doesNotThrow(() => returned = c.call(w), `${c.name} must reject, not throw`);
      assert.ok(returned instanceof Promise, `${c.name} returns a promise`);
      error = await returned.then(() => undefined, (e: unknown) => e);
    } else {
      try {
        c.call(w);
      } catch (e) {
        error = e;
      }
    }
    assert.ok(error instanceof c.error, `${c.name}: expected ${c.error.name}, got ${error}`);
    // TypeError vs RangeError: exactly the documented class, not a subclass of it.
    if (c.error !== NotOwnedError) {
      assert.equal(Object.getPrototypeOf(error), c.error.prototype, `${c.name}: exact class`);
    }
    const message = (error as Error).message;
    assertMessageStyle(message);
    if (c.message) assert.match(message, c.message, c.name);
    assert.deepEqual(w.state(), before, `${c.name} changed the state`);
  }
});

test("Bad input: RLock release by a non-owner worker throws NotOwnedError, state unchanged", async () => {
  const rlock = new RLock();
  rlock.acquireSync();
  const before = Array.from(new Int32Array(rlock.handle.buffer, rlock.handle.byteOffset, 3));
  const r = await spawn<{ results: { ok: boolean; name: string; message: string }[] }>("call", {
    handle: rlock.handle,
    calls: [{ method: "release" }],
  }).result;
  assert.equal(r.results[0]?.name, "NotOwnedError");
  assertMessageStyle(r.results[0]!.message);
  assert.deepEqual(
    Array.from(new Int32Array(rlock.handle.buffer, rlock.handle.byteOffset, 3)),
    before,
  );
  assert.equal(rlock.owned, true);
  rlock.release();
});

test("Bad input: a Lock released by another thread while unlocked throws NotOwnedError there", async () => {
  const lock = new Lock();
  const r = await spawn<{ results: { ok: boolean; name: string }[] }>("call", {
    handle: lock.handle,
    calls: [{ method: "release" }],
    props: ["locked"],
  }).result;
  assert.equal(r.results[0]?.name, "NotOwnedError");
  assert.equal(lock.locked, false);
});

test("Bad input: an error in a bad call does not poison the primitive for good calls", async () => {
  const w = world();
  for (const c of cases) {
    try {
      const r = c.call(w);
      if (r instanceof Promise) await r.catch(() => {});
    } catch {
      // expected
    }
  }
  assert.equal(w.lock.tryAcquire(), true);
  w.lock.release();
  assert.equal(await w.rlock.acquire({ timeout: 10 }), true);
  w.rlock.release();
  assert.equal(w.sem.acquireSync({ timeout: 10 }), true);
  w.sem.release();
  assert.equal(w.sem.value, 2);
  assert.equal(w.bsem.value, 2);
  assert.equal(w.event.waitSync({ timeout: 0 }), true);
  assert.equal(pendingAsyncWaits(), 0);
});
