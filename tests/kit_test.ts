/**
 * The primitive kit (`src/internal/construct.ts`, `src/internal/entry.ts`): the opening token
 * that carries a handle from `X.from` to X's constructor, placement that zeroes the slots it
 * hands out, and the entry prologues of the sync and async forms.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Barrier,
  BoundedSemaphore,
  Condition,
  Event,
  Latch,
  Lock,
  Once,
  RLock,
  RWLock,
  Semaphore,
} from "../mod.ts";
import { openedHandle, opening, ownOptions, placeOrOpen } from "../src/internal/construct.ts";
import { asyncEntry, asyncOptions, signalIn, syncEntry, timeoutIn } from "../src/internal/entry.ts";

/** Every class with a `from`, and how to make one placed at `byteOffset` in `buffer`. */
const KINDS = [
  { cls: Lock, make: (buffer: SharedArrayBuffer) => new Lock({ buffer }) },
  { cls: RLock, make: (buffer: SharedArrayBuffer) => new RLock({ buffer }) },
  { cls: Semaphore, make: (buffer: SharedArrayBuffer) => new Semaphore(2, { buffer }) },
  {
    cls: BoundedSemaphore,
    make: (buffer: SharedArrayBuffer) => new BoundedSemaphore(2, { buffer }),
  },
  { cls: Event, make: (buffer: SharedArrayBuffer) => new Event({ buffer }) },
  { cls: Latch, make: (buffer: SharedArrayBuffer) => new Latch(2, { buffer }) },
  { cls: Once, make: (buffer: SharedArrayBuffer) => new Once({ buffer }) },
  { cls: RWLock, make: (buffer: SharedArrayBuffer) => new RWLock({ buffer }) },
  { cls: Condition, make: (buffer: SharedArrayBuffer) => new Condition(new Lock(), { buffer }) },
  { cls: Barrier, make: (buffer: SharedArrayBuffer) => new Barrier(2, { buffer }) },
] as const;

test("kit: X.from returns an X over the same memory, for every primitive", () => {
  for (const { cls, make } of KINDS) {
    const made = make(new SharedArrayBuffer(cls.byteLength));
    const opened = (cls.from as (h: unknown) => object)(made.handle);
    assert.equal(Object.getPrototypeOf(opened), cls.prototype, cls.name);
    assert.equal((opened as { handle: typeof made.handle }).handle, made.handle, cls.name);
  }
});

test("kit: a placement in a caller's dirty buffer starts from zeroed slots", () => {
  for (const { cls, make } of KINDS) {
    const buffer = new SharedArrayBuffer(cls.byteLength);
    new Uint8Array(buffer).fill(0xff);
    make(buffer);
    const i32 = new Int32Array(buffer);
    // Only the initial values a constructor stores may be non-zero.
    const nonZero = Array.from(i32.entries()).filter(([, v]) => v !== 0).map(([i, v]) => [i, v]);
    const expected: Record<string, number[][]> = {
      // VALUE is `permits << 1 | WAITING`: 2 permits, nobody waiting.
      Semaphore: [[0, 4], [3, -1]],
      BoundedSemaphore: [[0, 4], [3, 2]],
      Latch: [[0, 2]],
      // PARTIES, and the high word of the default timeout's float64 bits (Infinity).
      Barrier: [[3, 2], [5, 0x7ff00000]],
    };
    assert.deepEqual(nonZero, expected[cls.name] ?? [], cls.name);
  }
});

test("kit: from leaves the slots of the memory it opens untouched", () => {
  const lock = new Lock();
  lock.acquireSync();
  const again = Lock.from(lock.handle);
  assert.equal(again.locked, true);
  again.release();
  assert.equal(lock.locked, false);
  const latch = new Latch(3);
  assert.equal(Latch.from(latch.handle).count, 3);
});

test("kit: an opening token carries its handle and its own options; nothing else is one", () => {
  const handle = new Event().handle;
  const own = { timeout: 5 };
  const token = opening(handle, own);
  assert.equal(openedHandle(token), handle);
  assert.equal(ownOptions(token), own);
  assert.equal(ownOptions(opening(handle)), undefined);
  assert.equal(placeOrOpen("Event", 8, opening(handle)), handle);
  for (const value of [undefined, null, 5, "x", {}, { buffer: handle.buffer }, handle]) {
    assert.equal(openedHandle(value), undefined);
    assert.equal(ownOptions(value), value);
  }
  // Looking a token up runs no user code: a proxy whose every trap throws is simply not one.
  const trap = () => {
    throw new Error("a trap ran");
  };
  const hostile = new Proxy({}, {
    get: trap,
    has: trap,
    getOwnPropertyDescriptor: trap,
    ownKeys: trap,
  });
  assert.equal(openedHandle(hostile), undefined);
  assert.equal(ownOptions(hostile), hostile);
});

test("kit: a new X with bad placement options throws place's errors", () => {
  assert.throws(() => placeOrOpen("Lock", 8, 5 as never), {
    name: "TypeError",
    message: "Cannot create Lock: options must be an object, got number",
  });
  assert.throws(() => placeOrOpen("Lock", 8, { byteOffset: 4 }), {
    name: "RangeError",
    message: "Cannot place Lock at byteOffset 4: no buffer was given",
  });
});

test("kit: syncEntry returns the timeout and refuses a signal", () => {
  assert.equal(syncEntry(undefined, "acquire lock", "lock.acquire()"), Infinity);
  assert.equal(syncEntry({ timeout: 7 }, "acquire lock", "lock.acquire()"), 7);
  assert.throws(
    () => syncEntry({ signal: new AbortController().signal }, "acquire lock", "lock.acquire()"),
    {
      name: "TypeError",
      message: "Cannot acquire lock: signal is only supported by the async form lock.acquire()",
    },
  );
  assert.throws(() => syncEntry({ timeout: -1 }, "acquire lock", "lock.acquire()"), RangeError);
});

test("kit: asyncEntry validates without throwing, allocates nothing without a signal, rejects an aborted one", async () => {
  // Without a signal the entry is the timeout itself, so the common call allocates nothing.
  assert.equal(asyncEntry(undefined, "acquire lock"), Infinity);
  assert.equal(asyncEntry({ timeout: 3 }, "acquire lock"), 3);
  const live = new AbortController().signal;
  const withSignal = asyncEntry({ timeout: 4, signal: live }, "acquire lock");
  assert.ok(!(withSignal instanceof Promise));
  assert.equal(timeoutIn(withSignal), 4);
  assert.equal(signalIn(withSignal), live);
  assert.equal(signalIn(3), undefined);
  const bad = asyncEntry({ timeout: -1 }, "acquire lock");
  assert.ok(bad instanceof Promise);
  await assert.rejects(bad, {
    name: "RangeError",
    message: "Cannot acquire lock: timeout must be a non-negative number of milliseconds, got -1",
  });
  const controller = new AbortController();
  controller.abort(new Error("stop"));
  const aborted = asyncEntry({ signal: controller.signal }, "acquire lock");
  assert.ok(aborted instanceof Promise);
  await assert.rejects(aborted, { message: "stop" });
  // asyncOptions leaves the abort to its caller (Condition checks ownership first).
  const entry = asyncOptions({ signal: controller.signal }, "wait on condition");
  assert.ok(!(entry instanceof Promise));
  assert.equal(signalIn(entry), controller.signal);
});
