/**
 * Semaphore beside its floors and multithreading's Semaphore.
 *
 * - P2, hand-off: two workers alternate through two Semaphores of value 0 (release one, acquire
 *   the other) ≤ 1.3× the raw wait/notify floor and ≥ 5× faster than a postMessage round trip.
 * - U1 (issue 9), uncontended: `acquireSync()+release()` ≤ 1.5× the CAS+store floor.
 *
 * @module
 */

import { Semaphore } from "../mod.ts";
import { must } from "./harness/control.ts";
import type { Case } from "./harness/types.ts";
import { OPS } from "./floors_bench.ts";
import { HANDOFF_TARGETS, U1 } from "./lock_bench.ts";

export const cases: Case[] = [
  {
    kind: "micro",
    name: "semaphore.sync-release",
    title: "Semaphore acquireSync() + release(), uncontended",
    role: "subject",
    group: "uncontended",
    unit: "ns/op",
    opsPerCall: OPS,
    compare: [{ baseline: "floor.cas-store", target: U1 }],
    setup() {
      const sem = new Semaphore(1);
      return () => {
        for (let i = 0; i < OPS; i++) {
          sem.acquireSync();
          sem.release();
        }
      };
    },
  },
  {
    kind: "threads",
    name: "semaphore.pingpong",
    title: "Semaphore hand-off ping-pong between two workers (acquireSync)",
    role: "subject",
    group: "handoff",
    unit: "ns/round trip",
    workers: 2,
    compare: [...HANDOFF_TARGETS, { baseline: "peer.mt-semaphore.pingpong" }],
    setup() {
      const input = { ping: new Semaphore(0).handle, pong: new Semaphore(0).handle };
      return [{ input }, { input }];
    },
    body(input, { index, label, stallMs }) {
      const ping = Semaphore.from(input.ping);
      const pong = Semaphore.from(input.pong);
      const bounded = { timeout: stallMs };
      if (index === 0) {
        return (n) => {
          for (let i = 0; i < n; i++) {
            ping.release();
            must(pong.acquireSync(bounded), label, stallMs);
          }
        };
      }
      return (n) => {
        for (let i = 0; i < n; i++) {
          must(ping.acquireSync(bounded), label, stallMs);
          pong.release();
        }
      };
    },
  },
  {
    kind: "threads",
    name: "peer.mt-semaphore.pingpong",
    title: "multithreading Semaphore hand-off ping-pong between two workers (blockingAcquire)",
    role: "peer",
    group: "handoff",
    unit: "ns/round trip",
    workers: 2,
    setup() {
      // multithreading's Semaphore state: permits, then waiters; both start at 0.
      const input = { ping: new SharedArrayBuffer(8), pong: new SharedArrayBuffer(8) };
      return [{ input }, { input }];
    },
    async body(input, { index }) {
      const mt = await import("multithreading");
      const ping = new mt.Semaphore(0, input.ping);
      const pong = new mt.Semaphore(0, input.pong);
      // Its public release is a guard's dispose(); a bare "add one permit", as a signal needs,
      // is the controller it exports for its Condvar and guards.
      const releaseOne = (sem: any) => sem[mt.INTERNAL_SEMAPHORE_CONTROLLER].release(1);
      if (index === 0) {
        return (n) => {
          for (let i = 0; i < n; i++) {
            releaseOne(ping);
            pong.blockingAcquire();
          }
        };
      }
      return (n) => {
        for (let i = 0; i < n; i++) {
          ping.blockingAcquire();
          releaseOne(pong);
        }
      };
    },
  },
];
