/**
 * The hardware floors every primitive is measured against: what raw Atomics cost with nothing of
 * threadkit around them.
 *
 * - `floor.cas-store`: a free lock word taken with `compareExchange(0 → 2)` and freed with
 *   `store(0)`, in-thread: the uncontended lock floor.
 * - `floor.wait-notify`: two workers pass a token back and forth through one slot with
 *   `Atomics.wait`/`Atomics.notify` and nothing else: the hand-off floor.
 * - `floor.waitasync`: the same with `await Atomics.waitAsync` on both sides: the async hand-off
 *   floor. Each worker holds one ref'd timer for the whole run (keep-alive, as any program with a
 *   pending `waitAsync` must) and awaits the promise once per wait.
 * - `floor.waitasync-wait`: worker 0 waits with `Atomics.wait`, worker 1 with `waitAsync`: the
 *   floor of a hand-off between a blocking thread and an event loop.
 *
 * @module
 */

import { StallError, waitWhile } from "./harness/control.ts";
import type { Case, Comparison } from "./harness/types.ts";

/** Operations per measured call of in-thread cases (amortizes the call itself). */
export const OPS = 64;

/**
 * Rows of an async ping-pong (issue 9, "async waits first"): ≤ 1.2× the raw `waitAsync` floor
 * and no slower than a postMessage round trip; beside the sync floor for scale. Every async
 * ping-pong sits in the `handoff` group, so all three baselines are measured round-robin with it.
 */
export const ASYNC_HANDOFF_TARGETS: Comparison[] = [
  { baseline: "floor.waitasync", target: { id: "A1", max: 1.2, text: "≤ 1.2× waitAsync floor" } },
  {
    baseline: "platform.postmessage-rt",
    target: { id: "A2", max: 1, text: "≤ 1× postMessage round trip" },
  },
  { baseline: "floor.wait-notify" },
];

/**
 * `await`s until `i32[index] !== expected` with raw `Atomics.waitAsync`, at most `stallMs` per
 * wait: the async twin of `waitWhile`. Throws a {@link StallError} naming `what` on timeout.
 */
export async function waitWhileAsync(
  i32: Int32Array,
  index: number,
  expected: number,
  what: string,
  stallMs: number,
): Promise<void> {
  while (Atomics.load(i32, index) === expected) {
    const result = Atomics.waitAsync(i32, index, expected, stallMs);
    const value = result.async ? await result.value : result.value;
    if (value === "timed-out") {
      throw new StallError(`${what}: no wake-up within ${stallMs / 1000} s`);
    }
  }
}

/** Runs `body(n)` holding one ref'd timer: a pending `waitAsync` keeps no thread alive alone. */
function keptAlive(body: (n: number) => Promise<void>): (n: number) => Promise<void> {
  return async (n) => {
    const timer = setInterval(() => {}, 2 ** 30);
    try {
      await body(n);
    } finally {
      clearInterval(timer);
    }
  };
}

/** The two sides of a raw ping-pong on slot 0 (1 = the ball is with worker 1, 0 = with worker 0). */
function rawPingPong(
  slot: SharedArrayBuffer,
  index: number,
  async: boolean,
  label: string,
  stallMs: number,
) {
  const i32 = new Int32Array(slot);
  const mine = index === 0 ? 0 : 1;
  const theirs = 1 - mine;
  if (!async) {
    return (n: number) => {
      for (let i = 0; i < n; i++) {
        if (index === 0) {
          Atomics.store(i32, 0, theirs);
          Atomics.notify(i32, 0, 1);
        }
        waitWhile(i32, 0, theirs, label, stallMs);
        if (index === 1) {
          Atomics.store(i32, 0, theirs);
          Atomics.notify(i32, 0, 1);
        }
      }
    };
  }
  return keptAlive(async (n) => {
    for (let i = 0; i < n; i++) {
      if (index === 0) {
        Atomics.store(i32, 0, theirs);
        Atomics.notify(i32, 0, 1);
      }
      await waitWhileAsync(i32, 0, theirs, label, stallMs);
      if (index === 1) {
        Atomics.store(i32, 0, theirs);
        Atomics.notify(i32, 0, 1);
      }
    }
  });
}

export const cases: Case[] = [
  {
    kind: "micro",
    name: "floor.cas-store",
    title: "raw Atomics.compareExchange + Atomics.store (uncontended lock floor)",
    role: "floor",
    group: "uncontended",
    unit: "ns/op",
    opsPerCall: OPS,
    setup() {
      const word = new Int32Array(new SharedArrayBuffer(8));
      return () => {
        for (let i = 0; i < OPS; i++) {
          if (Atomics.compareExchange(word, 0, 0, 2) === 0) Atomics.store(word, 0, 0);
        }
      };
    },
  },
  {
    kind: "threads",
    name: "floor.wait-notify",
    title: "raw Atomics.wait/notify ping-pong between two workers (hand-off floor)",
    role: "floor",
    group: "handoff",
    unit: "ns/round trip",
    workers: 2,
    // The bound of P2's postMessage goal (≤ 0.2): a sync hand-off whose waiters sleep costs at
    // least this floor, so in a run where this ratio is above 0.2 only a pair that never sleeps
    // (both sides spinning) can meet it.
    compare: [{ baseline: "platform.postmessage-rt" }],
    setup() {
      const slot = new SharedArrayBuffer(4);
      return [{ input: slot }, { input: slot }];
    },
    body(slot: SharedArrayBuffer, { index, label, stallMs }) {
      // Slot 0: 1 = the ball is with worker 1, 0 = with worker 0.
      const i32 = new Int32Array(slot);
      if (index === 0) {
        return (n) => {
          for (let i = 0; i < n; i++) {
            Atomics.store(i32, 0, 1);
            Atomics.notify(i32, 0, 1);
            waitWhile(i32, 0, 1, label, stallMs);
          }
        };
      }
      return (n) => {
        for (let i = 0; i < n; i++) {
          waitWhile(i32, 0, 0, label, stallMs);
          Atomics.store(i32, 0, 0);
          Atomics.notify(i32, 0, 1);
        }
      };
    },
  },
  {
    kind: "threads",
    name: "floor.waitasync",
    title:
      "raw await Atomics.waitAsync/notify ping-pong between two workers (async hand-off floor)",
    role: "floor",
    group: "handoff",
    unit: "ns/round trip",
    workers: 2,
    // The bound of A2 (≤ 1× a postMessage round trip) for async waiters that sleep.
    compare: [{ baseline: "platform.postmessage-rt" }],
    setup() {
      const slot = new SharedArrayBuffer(4);
      return [{ input: slot }, { input: slot }];
    },
    body: (slot: SharedArrayBuffer, { index, label, stallMs }) =>
      rawPingPong(slot, index, true, label, stallMs),
  },
  {
    kind: "threads",
    name: "floor.waitasync-wait",
    title: "raw ping-pong, worker 0 in Atomics.wait, worker 1 in await Atomics.waitAsync",
    role: "floor",
    group: "handoff",
    unit: "ns/round trip",
    workers: 2,
    setup() {
      const slot = new SharedArrayBuffer(4);
      return [{ input: slot }, { input: slot }];
    },
    body: (slot: SharedArrayBuffer, { index, label, stallMs }) =>
      rawPingPong(slot, index, index === 1, label, stallMs),
  },
];
