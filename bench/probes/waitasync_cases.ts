/**
 * Variants of the async hand-off, to find where an async Lock hand-off spends its time: each
 * adds one piece of what `runAsync` does to the raw `waitAsync` ping-pong. Run by
 * `waitasync.ts` beside the floors and the postMessage round trip, round-robin.
 *
 * @module
 */

import { type Parker, runAsync } from "../../src/internal/futex.ts";
import { StallError } from "../harness/control.ts";
import type { Case, ThreadsCase } from "../harness/types.ts";

type Wait = (i32: Int32Array, expected: number, stallMs: number) => Promise<void>;

/** A ping-pong on slot 0 whose waits are `wait`; `hold` wraps each run (keep-alive). */
function variant(name: string, title: string, wait: Wait, hold = true): ThreadsCase {
  return {
    kind: "threads",
    name,
    title,
    role: "subject",
    group: "handoff",
    unit: "ns/round trip",
    workers: 2,
    setup() {
      const slot = new SharedArrayBuffer(8);
      return [{ input: slot }, { input: slot }];
    },
    body(slot: SharedArrayBuffer, { index, stallMs }) {
      const i32 = new Int32Array(slot);
      const theirs = index === 0 ? 1 : 0;
      return async (n) => {
        const timer = hold ? setInterval(() => {}, 2 ** 30) : undefined;
        for (let i = 0; i < n; i++) {
          if (index === 0) {
            Atomics.store(i32, 0, theirs);
            Atomics.notify(i32, 0, 1);
          }
          while (Atomics.load(i32, 0) === theirs) await wait(i32, theirs, stallMs);
          if (index === 1) {
            Atomics.store(i32, 0, theirs);
            Atomics.notify(i32, 0, 1);
          }
        }
        clearInterval(timer);
      };
    },
  };
}

function check(value: string): void {
  if (value === "timed-out") throw new StallError("probe: no wake-up");
}

const raw: Wait = async (i32, expected, stallMs) => {
  const r = Atomics.waitAsync(i32, 0, expected, stallMs);
  check(r.async ? await r.value : r.value);
};

/** No timeout: no delayed task for the runtime to schedule per wait. */
const rawInfinite: Wait = async (i32, expected) => {
  const r = Atomics.waitAsync(i32, 0, expected);
  check(r.async ? await r.value : r.value);
};

/** No timeout, and one more turn of the event loop queued before it idles (`setImmediate`). */
const noop = () => {};
const rawImmediate: Wait = async (i32, expected) => {
  const r = Atomics.waitAsync(i32, 0, expected);
  if (r.async) {
    (globalThis as any).setImmediate?.(noop);
    check(await r.value);
  } else check(r.value);
};

/** One setInterval/clearInterval per wait, as runAsync's keep-alive does. */
const timerPerWait: Wait = async (i32, expected, stallMs) => {
  const t = setInterval(() => {}, 2 ** 30);
  const r = Atomics.waitAsync(i32, 0, expected, stallMs);
  check(r.async ? await r.value : r.value);
  clearInterval(t);
};

/** A persistent timer, ref'd for the wait and unref'd after (Node/Bun/Deno timers). */
let persistent: any;
const refPerWait: Wait = async (i32, expected, stallMs) => {
  persistent ??= setInterval(() => {}, 2 ** 30);
  persistent.ref?.();
  const r = Atomics.waitAsync(i32, 0, expected, stallMs);
  check(r.async ? await r.value : r.value);
  persistent.unref?.();
};

/** The counted async-waiter slot and `.then` uncount, as parkAsync does. */
const counted: Wait = async (i32, expected, stallMs) => {
  Atomics.add(i32, 1, 1);
  const r = Atomics.waitAsync(i32, 0, expected, stallMs);
  if (!r.async) {
    Atomics.sub(i32, 1, 1);
    return check(r.value);
  }
  check(
    await r.value.then((v) => {
      Atomics.sub(i32, 1, 1);
      return v;
    }),
  );
};

/** `performance.now()` deadline arithmetic, as deadlineAfter/parkAsync do. */
const withNow: Wait = async (i32, expected, stallMs) => {
  const deadline = performance.now() + stallMs;
  const r = Atomics.waitAsync(i32, 0, expected, deadline - performance.now());
  check(r.async ? await r.value : r.value);
};

/** The whole driver: runAsync of a generator that parks once on the slot. */
function* parkOnce(i32: Int32Array, expected: number, deadline: number): Parker<boolean> {
  const r = yield { i32, index: 0, expected, deadline, asyncCount: 1 };
  return r !== "timed-out";
}
const driver: Wait = async (i32, expected, stallMs) => {
  if (!(await runAsync(parkOnce(i32, expected, performance.now() + stallMs), undefined))) {
    throw new StallError("probe: no wake-up");
  }
};

/**
 * A 1 ms timeout per wait, as the Lock and Semaphore slow paths park until they would starve
 * (`STARVE_AFTER_MS`); a timed-out wait simply waits again (the loop re-reads the slot).
 */
const raw1ms: Wait = async (i32, expected) => {
  const r = Atomics.waitAsync(i32, 0, expected, 1);
  if (r.async) await r.value;
};

/** A raw wait with a `ms` timeout, re-waiting when it times out. */
const rawMs = (ms: number): Wait => async (i32, expected) => {
  const r = Atomics.waitAsync(i32, 0, expected, ms);
  if (r.async) await r.value;
};

/** The whole driver with a 1 ms park, re-parking on timeout, as lockSlow's first park does. */
function* parkShort(i32: Int32Array, expected: number): Parker<boolean> {
  yield { i32, index: 0, expected, deadline: performance.now() + 1, asyncCount: 1 };
  return true;
}
const driver1ms: Wait = async (i32, expected) => {
  await runAsync(parkShort(i32, expected), undefined);
};

/**
 * No timeout, plus one long-lived 60 s timed wait on a private word (re-armed when it times
 * out): whether a pending delayed task alone makes untimed waits wake as fast as timed ones on
 * Node. It does not (1.03–1.21× the floor where `probe.raw-infinite` took 1.11–1.28×); the turn
 * each registration's task causes does (`probe.raw-selfnotify`).
 */
let sentinel: Int32Array | undefined;
function armSentinel(): void {
  sentinel ??= new Int32Array(new SharedArrayBuffer(4));
  const r = Atomics.waitAsync(sentinel, 0, 0, 60_000);
  if (r.async) r.value.then(armSentinel);
}
let sentinelArmed = false;
const rawSentinel: Wait = async (i32, expected) => {
  if (!sentinelArmed) {
    sentinelArmed = true;
    armSentinel();
  }
  const r = Atomics.waitAsync(i32, 0, expected);
  check(r.async ? await r.value : r.value);
};
/**
 * No timeout, plus the futex layer's nudge (`setAsyncNudge`): an untimed wait on a private word,
 * notified at once by this thread, so the event loop takes one more turn before it sleeps.
 */
let nudgeSlot: Int32Array | undefined;
const rawSelfNotify: Wait = async (i32, expected) => {
  const dummy = nudgeSlot ??= new Int32Array(new SharedArrayBuffer(4));
  const r = Atomics.waitAsync(i32, 0, expected);
  if (r.async) {
    Atomics.waitAsync(dummy, 0, 0);
    Atomics.notify(dummy, 0);
    check(await r.value);
  } else check(r.value);
};

export const cases: Case[] = [
  variant(
    "probe.raw-sentinel",
    "raw waitAsync without a timeout + one long-lived 60 s wait",
    rawSentinel,
  ),
  variant("probe.raw-selfnotify", "raw waitAsync without a timeout, nudged", rawSelfNotify),
  variant("probe.raw-1ms", "raw waitAsync with a 1 ms timeout (re-waits)", raw1ms),
  variant("probe.raw-10ms", "raw waitAsync with a 10 ms timeout (re-waits)", rawMs(10)),
  variant("probe.raw-100ms", "raw waitAsync with a 100 ms timeout (re-waits)", rawMs(100)),
  variant("probe.raw-1s", "raw waitAsync with a 1 s timeout (re-waits)", rawMs(1000)),
  variant("probe.raw-60s", "raw waitAsync with a 60 s timeout (re-waits)", rawMs(60_000)),
  variant(
    "probe.raw-huge",
    "raw waitAsync with a 2^31 - 1 ms timeout (re-waits)",
    rawMs(2 ** 31 - 1),
  ),
  variant(
    "probe.raw-immediate",
    "raw waitAsync without a timeout, then setImmediate",
    rawImmediate,
  ),
  variant("probe.runasync-1ms", "runAsync driver, 1 ms park (re-parks)", driver1ms),
  variant("probe.raw-infinite", "raw waitAsync without a timeout", rawInfinite),
  variant("probe.raw-nohold", "raw waitAsync, no keep-alive timer", raw, false),
  variant("probe.timer-per-wait", "raw + setInterval/clearInterval per wait", timerPerWait),
  variant("probe.ref-per-wait", "raw + persistent timer ref()/unref() per wait", refPerWait),
  variant("probe.counted", "raw + async-waiter count and .then uncount", counted),
  variant("probe.now", "raw + performance.now deadlines", withNow),
  variant("probe.runasync", "runAsync driver, one park per wait", driver),
];

/**
 * A doorbell candidate: two workers ping-pong through BroadcastChannels (each listens on its
 * own name and posts to the other's), the only message path futex.ts could reach without ports
 * handed out in advance. A doorbell wake costs at least this one-way message per hand-off.
 */
cases.push({
  kind: "threads",
  name: "probe.broadcast-rt",
  title: "BroadcastChannel round trip between two workers",
  role: "subject",
  group: "handoff",
  unit: "ns/round trip",
  workers: 2,
  setup() {
    const name = `probe-bell-${Math.random()}`;
    return [{ input: name }, { input: name }];
  },
  body(name: string, { index, stallMs }) {
    const mine = new BroadcastChannel(`${name}-${index}`);
    const theirs = new BroadcastChannel(`${name}-${1 - index}`);
    let left = 0;
    let done: (() => void) | undefined;
    mine.onmessage = () => {
      if (index === 1) theirs.postMessage(0);
      if (--left === 0) done?.();
      else if (index === 0) theirs.postMessage(0);
    };
    return (n) =>
      n === 0 ? undefined : new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new StallError("probe: broadcast stalled")), stallMs);
        left = n;
        done = () => {
          clearTimeout(timer);
          resolve();
        };
        if (index === 0) theirs.postMessage(0);
      });
  },
});

/**
 * Before → after in one run: the Lock, Semaphore and Event async ping-pongs (Condition and Queue
 * below) of a second copy of threadkit (its `mod.ts` URL in the `TK_BEFORE` environment variable,
 * e.g. an older commit unpacked with `git archive <commit> mod.ts src package.json | tar -x -C
 * /tmp/before`), beside the same rows of this tree; `TK_ALT` adds a third copy. Rows without a
 * copy are skipped.
 */
const env = (name: string): string | undefined => {
  const g = globalThis as any;
  return g.Deno !== undefined ? g.Deno.env.get(name) : g.process?.env?.[name];
};
/** Copies by row suffix: `before` from TK_BEFORE, `alt` from TK_ALT (a third copy), `after` here. */
const copies: Record<string, string | undefined> = {
  before: env("TK_BEFORE"),
  alt: env("TK_ALT"),
  after: new URL("../../mod.ts", import.meta.url).href,
};

function copyPingPong(kind: "Lock" | "Semaphore" | "Event", which: string): Case {
  const url = copies[which];
  return {
    kind: "threads",
    name: `probe.${kind.toLowerCase()}-${which}`,
    title: `${kind} async ping-pong, ${which}`,
    role: "subject",
    group: "handoff",
    unit: "ns/round trip",
    workers: 2,
    skip: () => (url === undefined ? `no copy for ${which}` : undefined),
    async setup() {
      const mod = await import(url!);
      const make = () => {
        if (kind === "Semaphore") return new mod.Semaphore(0);
        if (kind === "Event") return new mod.Event();
        const lock = new mod.Lock();
        lock.acquireSync();
        return lock;
      };
      const input = { url, ping: make().handle, pong: make().handle };
      return [{ input }, { input }];
    },
    async body(input, { index, stallMs }) {
      const mod = await import(input.url);
      const ping = mod[kind].from(input.ping);
      const pong = mod[kind].from(input.pong);
      const b = { timeout: stallMs };
      const ok = (v: boolean) => {
        if (!v) throw new StallError("probe: timed out");
      };
      if (kind === "Event") {
        if (index === 0) {
          return async (n) => {
            for (let i = 0; i < n; i++) {
              ping.set();
              ok(await pong.wait(b));
              pong.clear();
            }
          };
        }
        return async (n) => {
          for (let i = 0; i < n; i++) {
            ok(await ping.wait(b));
            ping.clear();
            pong.set();
          }
        };
      }
      if (index === 0) {
        return async (n) => {
          for (let i = 0; i < n; i++) {
            ping.release();
            ok(await pong.acquire(b));
          }
        };
      }
      return async (n) => {
        for (let i = 0; i < n; i++) {
          ok(await ping.acquire(b));
          pong.release();
        }
      };
    },
  };
}
/**
 * The Condition and Queue async ping-pongs of `async_handoff_bench.ts`, per library copy: the turn
 * under the condition's lock with `notify()` and `await wait()`; `putNowait` and `await get()`
 * on two `Queue(0)`s with `float64Codec`.
 */
function copyCondQueue(kind: "Condition" | "Queue", which: string): Case {
  const url = copies[which];
  return {
    kind: "threads",
    name: `probe.${kind.toLowerCase()}-${which}`,
    title: `${kind} async ping-pong, ${which}`,
    role: "subject",
    group: "handoff",
    unit: "ns/round trip",
    workers: 2,
    skip: () => (url === undefined ? `no copy for ${which}` : undefined),
    async setup() {
      const mod = await import(url!);
      const input = kind === "Condition"
        ? { url, cond: new mod.Condition(new mod.Lock()).handle, turn: new SharedArrayBuffer(4) }
        : {
          url,
          ping: new mod.Queue(0, { codec: mod.float64Codec }).handle,
          pong: new mod.Queue(0, { codec: mod.float64Codec }).handle,
        };
      return [{ input }, { input }];
    },
    async body(input, { index, stallMs }) {
      const mod = await import(input.url);
      const b = { timeout: stallMs };
      const ok = (v: boolean) => {
        if (!v) throw new StallError("probe: timed out");
      };
      if (kind === "Queue") {
        const ping = mod.Queue.from(input.ping, { codec: mod.float64Codec });
        const pong = mod.Queue.from(input.pong, { codec: mod.float64Codec });
        if (index === 0) {
          return async (n) => {
            for (let i = 0; i < n; i++) {
              ping.putNowait(i);
              ok((await pong.get(b)) === i);
            }
          };
        }
        return async (n) => {
          for (let i = 0; i < n; i++) pong.putNowait(await ping.get(b));
        };
      }
      const cond = mod.Condition.from(input.cond);
      const turn = new Int32Array(input.turn);
      const mine = index;
      const waitTurn = async () => {
        while (turn[0] !== mine) ok(await cond.wait(b));
      };
      return async (n) => {
        for (let i = 0; i < n; i++) {
          ok(await cond.acquire(b));
          if (mine === 1) await waitTurn();
          turn[0] = 1 - mine;
          cond.notify();
          if (mine === 0) await waitTurn();
          cond.release();
        }
      };
    },
  };
}
for (const kind of ["Lock", "Semaphore", "Event"] as const) {
  for (const which of Object.keys(copies)) cases.push(copyPingPong(kind, which));
}
/**
 * `TK_ORDER=reverse` runs the copies' rows in the opposite order (after, alt, before): a check
 * that a ratio between copies is not the rows' places in the round (see `cond_timeline.ts`).
 */
const order = env("TK_ORDER") === "reverse" ? Object.keys(copies).reverse() : Object.keys(copies);
for (const kind of ["Condition", "Queue"] as const) {
  for (const which of order) cases.push(copyCondQueue(kind, which));
}

/**
 * The cost of "woken but absent" (every wake wakes all while an async waiter is counted): four
 * workers increment under one Lock with `await acquire()`, per library copy. A copy whose
 * `wake()` ignores the async-waiter count (an experiment, unsafe beside sync waiters) shows what
 * the herd of woken async waiters costs.
 */
function copyContended(which: string): Case {
  const url = copies[which];
  const workers = 4;
  return {
    kind: "threads",
    name: `probe.contended4-${which}`,
    title: `4 workers increment under one Lock (await acquire), ${which}`,
    role: "subject",
    group: "handoff",
    unit: "ns/increment",
    workers,
    opsPerIteration: workers,
    minIterations: 64,
    skip: () => (url === undefined ? `no copy for ${which}` : undefined),
    async setup() {
      const mod = await import(url!);
      const input = { url, lock: new mod.Lock().handle, counter: new SharedArrayBuffer(4) };
      return Array.from({ length: workers }, () => ({ input }));
    },
    async body(input, { stallMs }) {
      const mod = await import(input.url);
      const lock = mod.Lock.from(input.lock);
      const c = new Int32Array(input.counter);
      const b = { timeout: stallMs };
      return async (n) => {
        for (let i = 0; i < n; i++) {
          if (!(await lock.acquire(b))) throw new StallError("probe: timed out");
          c[0]!++;
          lock.release();
        }
      };
    },
  };
}
for (const which of Object.keys(copies)) cases.push(copyContended(which));
