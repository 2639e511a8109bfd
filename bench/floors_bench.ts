/**
 * The hardware floors every primitive is measured against: what raw Atomics cost with nothing of
 * threadkit around them.
 *
 * - `floor.cas-store`: a free lock word taken with `compareExchange(0 → 2)` and freed with
 *   `store(0)`, in-thread: the uncontended lock floor.
 * - `floor.wait-notify`: two workers pass a token back and forth through one slot with
 *   `Atomics.wait`/`Atomics.notify` and nothing else: the hand-off floor.
 *
 * @module
 */

import { waitWhile } from "./harness/control.ts";
import type { Case } from "./harness/types.ts";

/** Operations per measured call of in-thread cases (amortizes the call itself). */
export const OPS = 64;

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
];
