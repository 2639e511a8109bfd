/**
 * Lock and RLock beside their floors and peers.
 *
 * - P1, uncontended, in-thread: `tryAcquire()+release()` ≤ 1.3× and `acquireSync()+release()`
 *   ≤ 1.5× the CAS+store floor; `await acquire()+release()` ≤ 2× async-mutex.
 * - P2, hand-off: two workers pass the turn through two Locks used as binary signals (Python's
 *   Lock may be released by any thread) ≤ 1.3× the raw wait/notify floor and ≤ 0.2× (5× faster
 *   than) a postMessage round trip.
 * - P3, contended: 2, 4 and 8 workers increment a plain counter under one Lock, ≥ 2× the
 *   throughput (≤ 0.5× the time per increment) of multithreading's Mutex doing the same.
 * - No target: `lock.tasks-async`, async tasks of ONE thread taking turns on one Lock, beside
 *   async-mutex doing the same (a promise-only mutex: what a hand-off between tasks of one
 *   thread costs with no shared memory; `futex.ts`, "Local waits"); `semaphore.tasks-async`, the
 *   same tasks on a `Semaphore(1)` (`semaphore.ts`, `HeldHere`); `rwlock.tasks-async`, on an
 *   `RWLock`'s write lock (`write()`, a guard).
 *
 * Bodies bound every threadkit wait with `{ timeout: stallMs }`. multithreading's blocking lock
 * takes no timeout; a stuck peer is caught by the parent's deadline, which ends its workers.
 *
 * @module
 */

import { Mutex as AsyncMutex } from "async-mutex";
import { Lock, RLock, RWLock, Semaphore } from "../mod.ts";
import { must } from "./harness/control.ts";
import type { Case, ThreadsCase } from "./harness/types.ts";
import { ASYNC_HANDOFF_TARGETS, OPS } from "./floors_bench.ts";

/** Operations per measured call of the async in-thread cases. */
const ASYNC_OPS = 16;
/** `*.tasks-async`: async tasks of one thread, and the turns each takes, per measured call. */
const TASKS = 16;
const TASK_TURNS = 8;

/**
 * Runs `TASKS` async tasks of this thread that each take `TASK_TURNS` turns: `acquire`, a
 * microtask (the holder awaits something already settled), `release`.
 */
async function takeTurns(acquire: () => Promise<() => void>): Promise<void> {
  const task = async () => {
    for (let i = 0; i < TASK_TURNS; i++) {
      const release = await acquire();
      await null;
      release();
    }
  };
  const tasks: Promise<void>[] = [];
  for (let t = 0; t < TASKS; t++) tasks.push(task());
  await Promise.all(tasks);
}

const P1_TRY = { id: "P1", max: 1.3, text: "≤ 1.3× CAS+store floor" };
const P1_SYNC = { id: "P1", max: 1.5, text: "≤ 1.5× CAS+store floor" };
const P1_ASYNC = { id: "P1", max: 2, text: "≤ 2× async-mutex" };
const P2_FLOOR = { id: "P2", max: 1.3, text: "≤ 1.3× wait/notify floor" };
const P2_POST = { id: "P2", max: 0.2, text: "≥ 5× faster than postMessage round trip" };
const P3 = { id: "P3", max: 0.5, text: "≥ 2× multithreading Mutex throughput" };
/** Issue 9: `Semaphore` and `RLock` uncontended, one CAS each way like `Lock`. */
export const U1 = { id: "U1", max: 1.5, text: "≤ 1.5× CAS+store floor" };

/** Hand-off rows of a ping-pong case: against the floor and against postMessage. */
export const HANDOFF_TARGETS = [
  { baseline: "floor.wait-notify", target: P2_FLOOR },
  { baseline: "platform.postmessage-rt", target: P2_POST },
];

/** A counter plus a lock, checked after every run: a lost increment fails the case. */
function counter(): {
  buffer: SharedArrayBuffer;
  verify: (perWorker: number, workers: number) => void;
} {
  const buffer = new SharedArrayBuffer(4);
  const view = new Int32Array(buffer);
  return {
    buffer,
    verify(perWorker, workers) {
      const want = (perWorker * workers) | 0;
      const got = Atomics.load(view, 0);
      if (got !== want) throw new Error(`lost increments: counter is ${got}, expected ${want}`);
    },
  };
}

/** `workers` threads incrementing under one threadkit Lock (sync or async acquire). */
function contendedLock(workers: number, mode: "sync" | "async"): ThreadsCase {
  const count = counter();
  return {
    kind: "threads",
    name: `lock.contended-${workers}${mode === "async" ? "-async" : ""}`,
    title: `${workers} workers increment under one Lock (${
      mode === "sync" ? "acquireSync" : "await acquire"
    })`,
    role: "subject",
    group: `contended-${workers}`,
    unit: "ns/increment",
    workers,
    opsPerIteration: workers,
    minIterations: 64,
    compare: [{
      baseline: `peer.mt-mutex.contended-${workers}${mode === "async" ? "-async" : ""}`,
      ...(mode === "sync" ? { target: P3 } : {}),
    }],
    setup() {
      const lock = new Lock();
      return Array.from(
        { length: workers },
        () => ({ input: { lock: lock.handle, counter: count.buffer } }),
      );
    },
    body(input, { label, stallMs }) {
      const lock = Lock.from(input.lock);
      const c = new Int32Array(input.counter);
      const bounded = { timeout: stallMs };
      if (mode === "sync") {
        return (n) => {
          for (let i = 0; i < n; i++) {
            must(lock.acquireSync(bounded), label, stallMs);
            c[0]!++;
            lock.release();
          }
        };
      }
      return async (n) => {
        for (let i = 0; i < n; i++) {
          must(await lock.acquire(bounded), label, stallMs);
          c[0]!++;
          lock.release();
        }
      };
    },
    verify: (total) => count.verify(total, workers),
  };
}

/** The same with multithreading's Mutex (its blockingLock, or its recommended async lock). */
function contendedPeer(workers: number, mode: "sync" | "async"): ThreadsCase {
  const count = counter();
  return {
    kind: "threads",
    name: `peer.mt-mutex.contended-${workers}${mode === "async" ? "-async" : ""}`,
    title: `${workers} workers increment under one multithreading Mutex (${
      mode === "sync" ? "blockingLock" : "await lock"
    })`,
    role: "peer",
    group: `contended-${workers}`,
    unit: "ns/increment",
    workers,
    opsPerIteration: workers,
    minIterations: 64,
    setup() {
      const lockState = new SharedArrayBuffer(4);
      return Array.from(
        { length: workers },
        () => ({ input: { lockState, counter: count.buffer } }),
      );
    },
    async body(input) {
      // Imported here, in its own workers only: on Deno, multithreading patches Atomics.waitAsync.
      const { Mutex } = await import("multithreading");
      const mutex = new Mutex(new Int32Array(input.counter), input.lockState);
      if (mode === "sync") {
        return (n) => {
          for (let i = 0; i < n; i++) {
            const guard = mutex.blockingLock();
            guard.value[0]!++;
            guard.dispose();
          }
        };
      }
      return async (n) => {
        for (let i = 0; i < n; i++) {
          const guard = await mutex.lock();
          guard.value[0]!++;
          guard.dispose();
        }
      };
    },
    verify: (total) => count.verify(total, workers),
  };
}

/** Two workers alternate through two Locks, both held at the start (Lock is a binary signal). */
function pingPong(mode: "sync" | "async"): ThreadsCase {
  return {
    kind: "threads",
    name: mode === "sync" ? "lock.pingpong" : "lock.pingpong-async",
    title: `Lock hand-off ping-pong between two workers (${
      mode === "sync" ? "acquireSync" : "await acquire"
    })`,
    role: "subject",
    group: "handoff",
    unit: "ns/round trip",
    workers: 2,
    compare: mode === "sync" ? HANDOFF_TARGETS : ASYNC_HANDOFF_TARGETS,
    setup() {
      const ping = new Lock();
      const pong = new Lock();
      ping.acquireSync();
      pong.acquireSync();
      const input = { ping: ping.handle, pong: pong.handle };
      return [{ input }, { input }];
    },
    body(input, { index, label, stallMs }) {
      const ping = Lock.from(input.ping);
      const pong = Lock.from(input.pong);
      const bounded = { timeout: stallMs };
      // Worker 0 frees `ping` and takes `pong`; worker 1 takes `ping` and frees `pong`.
      if (mode === "sync") {
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
      }
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
  };
}

/**
 * `TASKS` async tasks of one thread take turns on one primitive (acquire, a microtask, release),
 * beside async-mutex doing the same (no target).
 */
function tasksCase(
  name: string,
  noun: string,
  make: () => (bounded: { timeout: number }) => Promise<() => void>,
): Case {
  return {
    kind: "micro",
    name,
    title: `${noun}: ${TASKS} async tasks of one thread take turns (acquire, a microtask, release)`,
    role: "subject",
    group: "tasks-async",
    unit: "ns/op",
    opsPerCall: TASKS * TASK_TURNS,
    compare: [{ baseline: "peer.async-mutex.tasks-async" }],
    setup() {
      const acquire = make();
      const bounded = { timeout: 60_000 };
      return () => takeTurns(() => acquire(bounded));
    },
  };
}

/** `tasksCase`'s acquire for a `Lock` or `Semaphore`: `true` or a timeout, then `release()`. */
function releasing(primitive: {
  acquire(o: { timeout: number }): Promise<boolean>;
  release(): void;
}): (bounded: { timeout: number }) => Promise<() => void> {
  const release = () => primitive.release();
  return async (bounded) => {
    if (!await primitive.acquire(bounded)) throw new Error("tasks-async: timed out");
    return release;
  };
}

export const cases: Case[] = [
  {
    kind: "micro",
    name: "lock.try-release",
    title: "Lock tryAcquire() + release(), uncontended",
    role: "subject",
    group: "uncontended",
    unit: "ns/op",
    opsPerCall: OPS,
    compare: [{ baseline: "floor.cas-store", target: P1_TRY }],
    setup() {
      const lock = new Lock();
      return () => {
        for (let i = 0; i < OPS; i++) if (lock.tryAcquire()) lock.release();
      };
    },
  },
  {
    kind: "micro",
    name: "lock.sync-release",
    title: "Lock acquireSync() + release(), uncontended",
    role: "subject",
    group: "uncontended",
    unit: "ns/op",
    opsPerCall: OPS,
    compare: [{ baseline: "floor.cas-store", target: P1_SYNC }],
    setup() {
      const lock = new Lock();
      return () => {
        for (let i = 0; i < OPS; i++) {
          lock.acquireSync();
          lock.release();
        }
      };
    },
  },
  {
    kind: "micro",
    name: "rlock.sync-release",
    title: "RLock acquireSync() + release(), uncontended",
    role: "subject",
    group: "uncontended",
    unit: "ns/op",
    opsPerCall: OPS,
    compare: [{ baseline: "floor.cas-store", target: U1 }],
    setup() {
      const lock = new RLock();
      return () => {
        for (let i = 0; i < OPS; i++) {
          lock.acquireSync();
          lock.release();
        }
      };
    },
  },
  {
    kind: "micro",
    name: "lock.async-release",
    title: "Lock await acquire() + release(), uncontended",
    role: "subject",
    group: "uncontended-async",
    unit: "ns/op",
    opsPerCall: ASYNC_OPS,
    compare: [{ baseline: "peer.async-mutex", target: P1_ASYNC }, {
      baseline: "platform.web-locks",
    }],
    setup() {
      const lock = new Lock();
      return async () => {
        for (let i = 0; i < ASYNC_OPS; i++) {
          await lock.acquire();
          lock.release();
        }
      };
    },
  },
  {
    kind: "micro",
    name: "peer.async-mutex",
    title: "async-mutex Mutex: await acquire() + release(), uncontended",
    role: "peer",
    group: "uncontended-async",
    unit: "ns/op",
    opsPerCall: ASYNC_OPS,
    setup() {
      const mutex = new AsyncMutex();
      return async () => {
        for (let i = 0; i < ASYNC_OPS; i++) {
          const release = await mutex.acquire();
          release();
        }
      };
    },
  },
  tasksCase("lock.tasks-async", "Lock", () => releasing(new Lock())),
  tasksCase("semaphore.tasks-async", "Semaphore(1)", () => releasing(new Semaphore(1))),
  tasksCase("rwlock.tasks-async", "RWLock write lock", () => {
    const rw = new RWLock();
    return async (bounded) => {
      const guard = await rw.write(bounded); // rejects on timeout
      return () => guard.release();
    };
  }),
  {
    kind: "micro",
    name: "peer.async-mutex.tasks-async",
    title: `async-mutex Mutex: ${TASKS} async tasks take turns (acquire, a microtask, release)`,
    role: "peer",
    group: "tasks-async",
    unit: "ns/op",
    opsPerCall: TASKS * TASK_TURNS,
    setup() {
      const mutex = new AsyncMutex();
      return () => takeTurns(() => mutex.acquire());
    },
  },
  pingPong("sync"),
  pingPong("async"),
  contendedLock(2, "sync"),
  contendedPeer(2, "sync"),
  contendedLock(4, "sync"),
  contendedPeer(4, "sync"),
  contendedLock(4, "async"),
  contendedPeer(4, "async"),
  contendedLock(8, "sync"),
  contendedPeer(8, "sync"),
];
