/**
 * V8's native `Atomics.Mutex` and `Atomics.Condition` (the TC39 shared-structs proposal) beside
 * threadkit's Lock and Condition (issue 9: goal threadkit ≤ native).
 *
 * The native primitives exist only behind a V8 flag, and a flag changes the whole process, so
 * this suite never runs in the main benchmark process: `bench/run.ts` starts a process of its
 * own per runtime for it (`bench/runtime.ts --suite v8_struct`, see `STRUCT_FLAGS` in
 * `harness/children.ts`), and every other row is measured without the flag. Both sides of each
 * ratio below come from that one flagged process, round-robin, as everywhere else.
 *
 * | runtime | flag                                  | what runs here                                      |
 * | ------- | ------------------------------------- | --------------------------------------------------- |
 * | Node 24 | `node --harmony-struct`               | every row                                           |
 * | Deno    | `deno run --v8-flags=--harmony-struct` | the in-thread row only: its `postMessage` (Web      |
 * |         |                                       | Worker and `node:worker_threads` alike) cannot send |
 * |         |                                       | a shared struct ("shared value could not be        |
 * |         |                                       | cloned", measured), so no worker can hold one       |
 * | Bun     | none (JavaScriptCore)                 | nothing: every row says why                         |
 *
 * Rows (`harmony.*` = threadkit's own case, unchanged, measured in the flagged process):
 * - uncontended: `harmony.lock.sync-release` (acquireSync + release) vs `peer.v8-mutex.lock`
 *   (`Atomics.Mutex.lock(m, noop)`: the native mutex runs a callback under the lock; an empty
 *   one is the same work as an acquire followed by a release).
 * - hand-off: `harmony.lock.pingpong` and `harmony.condition.pingpong` vs
 *   `peer.v8-condition.pingpong`: two workers pass a turn word under one `Atomics.Mutex` with
 *   `Atomics.Condition.wait`/`notify` (the native mutex is owned by the thread that locked it
 *   and unlocks when its callback returns, so a native hand-off needs its condition variable;
 *   the shape is that of `condition.pingpong`).
 * - contended: `harmony.lock.contended-{2,4}` vs `peer.v8-mutex.contended-{2,4}`: 2 and 4
 *   workers increment a plain counter under one lock.
 *
 * Every native wait is bounded (`lockWithTimeout`, `Condition.wait` with a timeout) by the
 * plan's stall time.
 *
 * @module
 */

import { cases as conditionCases } from "./condition_bench.ts";
import { cases as lockCases } from "./lock_bench.ts";
import { StallError } from "./harness/control.ts";
import { RUNTIME } from "./harness/env.ts";
import type { Case, Comparison, Target, ThreadsCase } from "./harness/types.ts";
import { OPS } from "./floors_bench.ts";

/** The natives, as the proposal (and V8 behind `--harmony-struct`) spells them. */
interface NativeMutex {
  lock<T>(mutex: object, body: () => T): T;
  lockWithTimeout<T>(mutex: object, body: () => T, ms: number): { value: T; success: boolean };
}
interface NativeCondition {
  wait(cond: object, mutex: object, ms?: number): boolean;
  notify(cond: object, count?: number): number;
}
interface NativeCtors {
  Mutex: NativeMutex & (new () => object);
  Condition: NativeCondition & (new () => object);
}

/** `Atomics` with the natives, or `undefined` where this process has none. */
function natives(): NativeCtors | undefined {
  const a = Atomics as unknown as Partial<NativeCtors>;
  return typeof a.Mutex === "function" && typeof a.Condition === "function"
    ? a as NativeCtors
    : undefined;
}

/** Why the in-thread native rows cannot run here, or `undefined`. */
function noNatives(): string | undefined {
  if (natives() !== undefined) return undefined;
  if (RUNTIME === "bun") {
    return "n/a on Bun: JavaScriptCore has no Atomics.Mutex/Condition (V8 shared structs) and no flag for them";
  }
  return "n/a: Atomics.Mutex is missing (this process was not started with --harmony-struct)";
}

/** Why the cross-worker native rows cannot run here, or `undefined`. */
function noSharing(): string | undefined {
  const missing = noNatives();
  if (missing !== undefined) return missing;
  try {
    structuredClone(new (natives()!.Mutex)());
    return undefined;
  } catch (error) {
    return `n/a on ${RUNTIME}: a shared struct cannot be sent to a worker here (structuredClone: "${
      (error as Error).message
    }")`;
  }
}

const N_UNCONTENDED: Target = { id: "N1", max: 1, text: "≤ 1× native Atomics.Mutex" };
const N_HANDOFF: Target = { id: "N2", max: 1, text: "≤ 1× native Mutex + Condition" };
const N_CONTENDED: Target = { id: "N3", max: 1, text: "≤ 1× native Atomics.Mutex" };
/** Node and Deno run V8; on Bun there is no native to compare with. */
const V8: Comparison["runtimes"] = ["node", "deno"];

/** One of threadkit's own cases, renamed for this process and compared with a native. */
function ours(from: Case[], name: string, skip: () => string | undefined, compare: Comparison[]) {
  const found = from.find((c) => c.name === name);
  if (found === undefined) throw new Error(`v8_struct_suite: no case ${name}`);
  return {
    ...found,
    name: `harmony.${name}`,
    title: `${found.title} (in the --harmony-struct process)`,
    skip,
    compare,
  } as Case;
}

function stalled(label: string, stallMs: number): never {
  throw new StallError(`${label}: no notify within ${stallMs / 1000} s`);
}

/** `workers` workers increment a plain counter under one native mutex. */
function nativeContended(workers: number): ThreadsCase {
  const counter = new SharedArrayBuffer(4);
  const view = new Int32Array(counter);
  return {
    kind: "threads",
    name: `peer.v8-mutex.contended-${workers}`,
    title: `${workers} workers increment under one native Atomics.Mutex (lock(m, callback))`,
    role: "peer",
    group: `contended-${workers}`,
    unit: "ns/increment",
    workers,
    opsPerIteration: workers,
    minIterations: 64,
    skip: noSharing,
    setup() {
      const mutex = new (natives()!.Mutex)();
      return Array.from({ length: workers }, () => ({ input: { mutex, counter } }));
    },
    body(input, { label, stallMs }) {
      const { Mutex } = natives()!;
      const c = new Int32Array(input.counter);
      const mutex = input.mutex;
      const increment = () => {
        c[0]!++;
      };
      return (n) => {
        for (let i = 0; i < n; i++) {
          if (!Mutex.lockWithTimeout(mutex, increment, stallMs).success) {
            throw new StallError(`${label}: the native mutex was not free within ${stallMs} ms`);
          }
        }
      };
    },
    verify(total) {
      const want = (total * workers) | 0;
      const got = Atomics.load(view, 0);
      if (got !== want) throw new Error(`lost increments: counter is ${got}, expected ${want}`);
    },
  };
}

export const cases: Case[] = [
  ours(lockCases, "lock.sync-release", noNatives, [
    { baseline: "peer.v8-mutex.lock", target: N_UNCONTENDED, runtimes: V8 },
  ]),
  {
    kind: "micro",
    name: "peer.v8-mutex.lock",
    title: "native Atomics.Mutex.lock(m, noop), uncontended",
    role: "peer",
    group: "uncontended",
    unit: "ns/op",
    opsPerCall: OPS,
    skip: noNatives,
    setup() {
      const { Mutex } = natives()!;
      const mutex = new Mutex();
      const noop = () => {};
      return () => {
        for (let i = 0; i < OPS; i++) Mutex.lock(mutex, noop);
      };
    },
  },
  ours(lockCases, "lock.pingpong", noSharing, [
    { baseline: "peer.v8-condition.pingpong", target: N_HANDOFF, runtimes: V8 },
  ]),
  ours(conditionCases, "condition.pingpong", noSharing, [
    { baseline: "peer.v8-condition.pingpong", target: N_HANDOFF, runtimes: V8 },
  ]),
  {
    kind: "threads",
    name: "peer.v8-condition.pingpong",
    title:
      "native Atomics.Mutex + Atomics.Condition hand-off ping-pong between two workers (turn under the mutex, notify, wait)",
    role: "peer",
    group: "handoff",
    unit: "ns/round trip",
    workers: 2,
    skip: noSharing,
    setup() {
      const { Mutex, Condition } = natives()!;
      const input = { mutex: new Mutex(), cond: new Condition(), turn: new SharedArrayBuffer(4) };
      return [{ input }, { input }];
    },
    body(input, { index, label, stallMs }) {
      const { Mutex, Condition } = natives()!;
      const { mutex, cond } = input;
      const turn = new Int32Array(input.turn);
      const mine = index;
      const theirs = 1 - index;
      // The same steps as condition.pingpong: worker 0 serves first and waits after passing the
      // turn; worker 1 waits first. Runs under the mutex (the callback).
      const round = () => {
        if (mine === 1) {
          while (turn[0] !== 1) if (!Condition.wait(cond, mutex, stallMs)) stalled(label, stallMs);
        }
        turn[0] = theirs;
        Condition.notify(cond, 1);
        if (mine === 0) {
          while (turn[0] !== 0) if (!Condition.wait(cond, mutex, stallMs)) stalled(label, stallMs);
        }
      };
      return (n) => {
        for (let i = 0; i < n; i++) {
          if (!Mutex.lockWithTimeout(mutex, round, stallMs).success) {
            throw new StallError(`${label}: the native mutex was not free within ${stallMs} ms`);
          }
        }
      };
    },
  },
  ours(lockCases, "lock.contended-2", noSharing, [
    { baseline: "peer.v8-mutex.contended-2", target: N_CONTENDED, runtimes: V8 },
  ]),
  nativeContended(2),
  ours(lockCases, "lock.contended-4", noSharing, [
    { baseline: "peer.v8-mutex.contended-4", target: N_CONTENDED, runtimes: V8 },
  ]),
  nativeContended(4),
];
