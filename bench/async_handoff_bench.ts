/**
 * Async hand-offs (issue 9, "async waits first"): two workers pass a turn back and forth with
 * the `await` form of each primitive, beside `floor.waitasync` (target ≤ 1.2×), the postMessage
 * round trip (target ≤ 1×) and the sync floor, all in the `handoff` group, round-robin.
 * `lock.pingpong-async` lives in `lock_bench.ts` beside its sync twin.
 *
 * - `semaphore.pingpong-async`: release one Semaphore(0), `await acquire()` the other.
 * - `event.pingpong-async`: set one Event, `await wait()` for the other, clear it.
 * - `condition.pingpong-async`: the turn under the condition's lock, `notify()`, `await wait()`.
 * - `queue.pingpong-async`: `putNowait` a number into one Queue, `await get()` from the other
 *   (float64Codec, so the row measures the hand-off, not the codec).
 *
 * @module
 */

import { Condition, Event, float64Codec, Lock, Queue, Semaphore } from "../mod.ts";
import { must, StallError } from "./harness/control.ts";
import type { Case } from "./harness/types.ts";
import { ASYNC_HANDOFF_TARGETS } from "./floors_bench.ts";

const common = {
  kind: "threads",
  role: "subject",
  group: "handoff",
  unit: "ns/round trip",
  workers: 2,
  compare: ASYNC_HANDOFF_TARGETS,
} as const;

export const cases: Case[] = [
  {
    ...common,
    name: "semaphore.pingpong-async",
    title: "Semaphore hand-off ping-pong between two workers (await acquire)",
    setup() {
      const input = { ping: new Semaphore(0).handle, pong: new Semaphore(0).handle };
      return [{ input }, { input }];
    },
    body(input, { index, label, stallMs }) {
      const ping = Semaphore.from(input.ping);
      const pong = Semaphore.from(input.pong);
      const bounded = { timeout: stallMs };
      if (index === 0) {
        return async (n) => {
          for (let i = 0; i < n; i++) {
            ping.release();
            must(await pong.acquire(bounded), label, stallMs);
          }
        };
      }
      return async (n) => {
        for (let i = 0; i < n; i++) {
          must(await ping.acquire(bounded), label, stallMs);
          pong.release();
        }
      };
    },
  },
  {
    ...common,
    name: "event.pingpong-async",
    title: "Event hand-off ping-pong between two workers (await wait)",
    setup() {
      const input = { ping: new Event().handle, pong: new Event().handle };
      return [{ input }, { input }];
    },
    body(input, { index, label, stallMs }) {
      const ping = Event.from(input.ping);
      const pong = Event.from(input.pong);
      const bounded = { timeout: stallMs };
      // Each side clears the event it waited for before it sets the other's.
      if (index === 0) {
        return async (n) => {
          for (let i = 0; i < n; i++) {
            ping.set();
            must(await pong.wait(bounded), label, stallMs);
            pong.clear();
          }
        };
      }
      return async (n) => {
        for (let i = 0; i < n; i++) {
          must(await ping.wait(bounded), label, stallMs);
          ping.clear();
          pong.set();
        }
      };
    },
  },
  {
    ...common,
    name: "condition.pingpong-async",
    title: "Condition hand-off ping-pong between two workers (turn under the lock, await wait)",
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
      const waitTurn = async () => {
        while (turn[0] !== mine) {
          if (!(await cond.wait(bounded))) {
            throw new StallError(`${label}: no notify within ${stallMs / 1000} s`);
          }
        }
      };
      return async (n) => {
        for (let i = 0; i < n; i++) {
          must(await cond.acquire(bounded), label, stallMs);
          // Worker 0 serves first: it waits for its turn after passing it; worker 1 before.
          if (mine === 1) await waitTurn();
          turn[0] = theirs;
          cond.notify();
          if (mine === 0) await waitTurn();
          cond.release();
        }
      };
    },
  },
  {
    ...common,
    name: "queue.pingpong-async",
    title: "Queue hand-off ping-pong between two workers (putNowait, await get; float64Codec)",
    setup() {
      const input = {
        ping: new Queue<number>(0, { codec: float64Codec }).handle,
        pong: new Queue<number>(0, { codec: float64Codec }).handle,
      };
      return [{ input }, { input }];
    },
    body(input, { index, label, stallMs }) {
      const ping = Queue.from<number>(input.ping, { codec: float64Codec });
      const pong = Queue.from<number>(input.pong, { codec: float64Codec });
      const bounded = { timeout: stallMs };
      const expect = (got: number, want: number) => {
        if (got !== want) throw new Error(`${label}: got ${got}, expected ${want}`);
      };
      if (index === 0) {
        return async (n) => {
          for (let i = 0; i < n; i++) {
            ping.putNowait(i);
            expect(await pong.get(bounded), i);
          }
        };
      }
      return async (n) => {
        for (let i = 0; i < n; i++) {
          const got = await ping.get(bounded);
          expect(got, i);
          pong.putNowait(got);
        }
      };
    },
  },
];
