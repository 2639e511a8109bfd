/**
 * Condition beside the hand-off floor and multithreading's Condvar.
 *
 * - P2, hand-off: two workers pass a turn (a plain int under the condition's lock) back and
 *   forth: set the turn, `notify()`, wait until the turn is back. ≤ 1.3× the raw wait/notify
 *   floor and ≥ 5× faster than a postMessage round trip. Each pass also hands the lock over, so
 *   this is the floor's work plus a lock hand-off.
 * - The same with multithreading's Mutex + Condvar (blockingLock, blockingWait, notifyOne).
 *
 * @module
 */

import { Condition, Lock } from "../mod.ts";
import { must, StallError } from "./harness/control.ts";
import type { Case } from "./harness/types.ts";
import { HANDOFF_TARGETS } from "./lock_bench.ts";

export const cases: Case[] = [
  {
    kind: "threads",
    name: "condition.pingpong",
    title:
      "Condition hand-off ping-pong between two workers (turn under the lock, notify, waitSync)",
    role: "subject",
    group: "handoff",
    unit: "ns/round trip",
    workers: 2,
    compare: [...HANDOFF_TARGETS, { baseline: "peer.mt-condvar.pingpong" }],
    setup() {
      const input = { cond: new Condition(new Lock()).handle, turn: new SharedArrayBuffer(4) };
      return [{ input }, { input }];
    },
    body(input, { index, label, stallMs }) {
      const cond = Condition.from(input.cond);
      const turn = new Int32Array(input.turn);
      const bounded = { timeout: stallMs };
      const mine = index;
      const theirs = 1 - index;
      return (n) => {
        for (let i = 0; i < n; i++) {
          must(cond.acquireSync(bounded), label, stallMs);
          // Worker 0 serves first: it waits for its turn after passing it; worker 1 before.
          if (mine === 1) {
            while (turn[0] !== 1) {
              if (!cond.waitSync(bounded)) {
                throw new StallError(`${label}: no notify within ${stallMs / 1000} s`);
              }
            }
          }
          turn[0] = theirs;
          cond.notify();
          if (mine === 0) {
            while (turn[0] !== 0) {
              if (!cond.waitSync(bounded)) {
                throw new StallError(`${label}: no notify within ${stallMs / 1000} s`);
              }
            }
          }
          cond.release();
        }
      };
    },
  },
  {
    kind: "threads",
    name: "peer.mt-condvar.pingpong",
    title: "multithreading Mutex + Condvar hand-off ping-pong between two workers (blockingWait)",
    role: "peer",
    group: "handoff",
    unit: "ns/round trip",
    workers: 2,
    setup() {
      const input = {
        lockState: new SharedArrayBuffer(4),
        condvar: new SharedArrayBuffer(4),
        turn: new SharedArrayBuffer(4),
      };
      return [{ input }, { input }];
    },
    async body(input, { index }) {
      // Imported here, in its own workers only: on Deno, multithreading patches Atomics.waitAsync.
      const mt = await import("multithreading");
      const mutex = new mt.Mutex(new Int32Array(input.turn), input.lockState);
      const condvar = new mt.Condvar(input.condvar);
      const mine = index;
      const theirs = 1 - index;
      return (n) => {
        for (let i = 0; i < n; i++) {
          const guard = mutex.blockingLock();
          const turn = guard.value;
          if (mine === 1) { while (turn[0] !== 1) condvar.blockingWait(guard); }
          turn[0] = theirs;
          condvar.notifyOne();
          if (mine === 0) { while (turn[0] !== 0) condvar.blockingWait(guard); }
          guard.dispose();
        }
      };
    },
  },
];
