/**
 * Semaphore ping-pong between two workers, two copies of the library side by side, beside Lock's
 * ping-pong and the raw floors (issue 9, P2: `semaphore.pingpong` ≤ 1.3× `floor.wait-notify`).
 * Every row runs the body of its bench row (`bench/semaphore_bench.ts`, `bench/lock_bench.ts`,
 * `bench/floors_bench.ts`) in batches, rotating the rows batch by batch (ROUNDS rounds of BATCH
 * round trips each), and worker 0 times every batch: fastest and median batch per row, and each
 * row ÷ `floor`, from the same run.
 *
 * Rows: `floor` (`floor.wait-notify`: one slot, store + notify, wait while it is ours), `floor2`
 * (the same with two slots, the shape of the Semaphore and Lock ping-pongs: each worker sleeps on
 * its own word), `lock` (after copy), `sem-before`, `sem-after`, `cond-before`, `cond-after`
 * (`condition.pingpong`'s body, `bench/condition_bench.ts`), `event-before`, `event-after`
 * (`event.pingpong`'s body, `bench/event_bench.ts`: set one Event, wait for the other, clear it). Besides the wall time, each worker's
 * CPU time and time spent runnable but waiting for a CPU per round trip, from Linux's
 * `/proc/thread-self/schedstat`: the hand-off's own cost, which moves little with the load.
 *
 * With `--count`, each row instead counts, per round trip and worker: `Atomics.wait` calls by
 * word and result, `Atomics.notify` calls by word and how many they woke, CAS by word (and how
 * many failed), the other read-modify-writes, loads and stores by word, and `performance.now()`
 * calls, and the µs (summed, per round trip) spent inside waking notifies, from a wait's return
 * to the next waking notify (the woken thread's work before it hands back) and from there to
 * its next wait. `--latency` wraps only `wait` and `notify`, for those timings without the cost
 * of the other counters. Words are named by the view's length (Semaphore 71 slots: VALUE, WAITERS, ASYNC, BOUND,
 * STARVE, SASYNC, CLAIMED, HOLDER/HELD, or 70 before CLAIMED; Lock 2: STATE, ASYNC; Condition
 * 1058: NEXT, ADMIT, WAKE, OWNER; floor 1; an Event's 2 slots show as `lock.STATE`: the event
 * rows have no lock).
 *
 *   node bench/probes/semaphore_pingpong.ts [--count | --latency] /tmp/before/mod.ts ./mod.ts
 *   deno run -A bench/probes/semaphore_pingpong.ts …   bun bench/probes/semaphore_pingpong.ts …
 *
 * The before copy: `git archive <commit> mod.ts src package.json | tar -x -C /tmp/before`.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";

const g = globalThis as any;
/** Round trips per batch. */
const BATCH = 500;
/** Batches per row. */
const ROUNDS = 40;
/** Round trips counted per row with `--count`. */
const COUNT_N = 20_000;
/** Bound of every wait (a stall fails the probe instead of hanging it). */
const STALL_MS = 10_000;
const ROWS = [
  "floor",
  "floor2",
  "lock",
  "sem-before",
  "sem-after",
  "cond-before",
  "cond-after",
  "event-before",
  "event-after",
] as const;

interface Input {
  libs: [string, string];
  /** Per row: the handles (or buffers) both workers open. */
  shared: unknown[];
  index: number;
  count: boolean;
  /** `--latency`: wrap only wait and notify (the timings without the other counters' cost). */
  light: boolean;
}

const counts: Record<string, number> = {};
const bump = (k: string) => (counts[k] = (counts[k] ?? 0) + 1);
const SEM_SLOTS = ["VALUE", "WAITERS", "ASYNC", "BOUND", "STARVE", "SASYNC"];
const word = (i32: Int32Array, index: number) =>
  i32.length === 70 || i32.length === 71
    ? `sem.${(i32.length === 71 && index === 6 ? "CLAIMED" : SEM_SLOTS[index]) ?? "HOLDER/HELD"}`
    : i32.length === 2
    ? `lock.${index === 0 ? "STATE" : "ASYNC"}`
    : i32.length === 1058
    ? `cond.${index === 0 ? "NEXT" : index === 1 ? "ADMIT" : index < 34 ? "WAKE" : "OWNER"}`
    : i32.length === 1
    ? "floor"
    : `len${i32.length}[${index}]`;

function instrument(light: boolean): void {
  const A = Atomics as any;
  const wait = A.wait.bind(Atomics);
  // Also the time (µs, summed) from a wait's return to the next notify that wakes someone (the
  // woken thread's own work before it hands back) and from that notify's return to the next wait.
  const now = performance.now.bind(performance);
  let woke = -1;
  let notified = -1;
  A.wait = (i32: Int32Array, index: number, value: number, timeout?: number) => {
    const t = now();
    if (notified >= 0) {
      counts["µs notify→wait"] = (counts["µs notify→wait"] ?? 0) + (t - notified) * 1000;
    }
    notified = -1;
    const r = wait(i32, index, value, timeout);
    bump(`wait ${word(i32, index)} ${r}`);
    if (r === "ok") woke = now();
    return r;
  };
  const notify = A.notify.bind(Atomics);
  A.notify = (i32: Int32Array, index: number, n?: number) => {
    const t0 = now();
    const n1 = notify(i32, index, n);
    const t1 = now();
    bump(`notify ${word(i32, index)} woke ${n1}`);
    if (n1 > 0) {
      counts["µs in notify"] = (counts["µs in notify"] ?? 0) + (t1 - t0) * 1000;
      if (woke >= 0) {
        counts["µs wake→notify"] = (counts["µs wake→notify"] ?? 0) + (t0 - woke) * 1000;
      }
      woke = -1;
      notified = t1;
    }
    return n1;
  };
  if (light) return;
  const cas = A.compareExchange.bind(Atomics);
  A.compareExchange = (i32: Int32Array, index: number, expected: number, value: number) => {
    const seen = cas(i32, index, expected, value);
    bump(`cas ${word(i32, index)}${seen === expected ? "" : " failed"}`);
    return seen;
  };
  for (const op of ["add", "sub", "or", "and", "exchange", "load", "store"]) {
    const f = A[op].bind(Atomics);
    A[op] = (i32: Int32Array, index: number, v?: number) => {
      if (i32.length <= 71 || i32.length === 1058) bump(`${op} ${word(i32, index)}`);
      return f(i32, index, v);
    };
  }
  const perf = performance as any;
  const nowFn = perf.now.bind(performance);
  perf.now = () => {
    bump("performance.now");
    return nowFn();
  };
}

async function worker(input: Input): Promise<void> {
  const libs = await Promise.all(input.libs.map((url) => import(url)));
  const mine = input.index;
  const theirs = 1 - mine;
  const bounded = { timeout: STALL_MS };
  const must = (ok: boolean, what: string) => {
    if (!ok) throw new Error(`worker ${mine}: ${what} stalled`);
  };
  const waitWhile = (slot: Int32Array, at: number, value: number) => {
    while (Atomics.load(slot, at) === value) {
      if (Atomics.wait(slot, at, value, STALL_MS) === "timed-out") {
        throw new Error(`worker ${mine}: floor stalled`);
      }
    }
  };
  const bodies: ((n: number) => void)[] = ROWS.map((row, r) => {
    const shared = input.shared[r] as any;
    if (row === "floor") {
      const slot = new Int32Array(shared);
      return (n: number) => {
        for (let i = 0; i < n; i++) {
          if (mine === 1) waitWhile(slot, 0, 0);
          Atomics.store(slot, 0, theirs);
          Atomics.notify(slot, 0, 1);
          if (mine === 0) waitWhile(slot, 0, 1);
        }
      };
    }
    if (row === "floor2") {
      // Two one-slot words, as two semaphores: worker 0 posts `ping`, waits for `pong`.
      const ping = new Int32Array(shared.ping);
      const pong = new Int32Array(shared.pong);
      const post = (w: Int32Array) => {
        Atomics.store(w, 0, 1);
        Atomics.notify(w, 0, 1);
      };
      const take = (w: Int32Array) => {
        waitWhile(w, 0, 0);
        Atomics.store(w, 0, 0);
      };
      return (n: number) => {
        for (let i = 0; i < n; i++) {
          if (mine === 0) {
            post(ping);
            take(pong);
          } else {
            take(ping);
            post(pong);
          }
        }
      };
    }
    const lib = libs[row.endsWith("-before") ? 0 : 1];
    if (row.startsWith("cond")) {
      // `condition.pingpong`'s body: the turn under the lock, notify, waitSync until it is back.
      const cond = lib.Condition.from(shared.cond);
      const turn = new Int32Array(shared.turn);
      const waitTurn = (want: number) => {
        while (turn[0] !== want) must(cond.waitSync(bounded), row);
      };
      return (n: number) => {
        for (let i = 0; i < n; i++) {
          must(cond.acquireSync(bounded), row);
          if (mine === 1) waitTurn(1);
          turn[0] = theirs;
          cond.notify();
          if (mine === 0) waitTurn(0);
          cond.release();
        }
      };
    }
    if (row.startsWith("event")) {
      // `event.pingpong`'s body: set one, wait for the other, clear it.
      const ping = lib.Event.from(shared.ping);
      const pong = lib.Event.from(shared.pong);
      return (n: number) => {
        for (let i = 0; i < n; i++) {
          if (mine === 0) {
            ping.set();
            must(pong.waitSync(bounded), row);
            pong.clear();
          } else {
            must(ping.waitSync(bounded), row);
            ping.clear();
            pong.set();
          }
        }
      };
    }
    const Kind = row === "lock" ? lib.Lock : lib.Semaphore;
    const ping = Kind.from(shared.ping);
    const pong = Kind.from(shared.pong);
    return (n: number) => {
      for (let i = 0; i < n; i++) {
        if (mine === 0) {
          ping.release();
          must(pong.acquireSync(bounded), row);
        } else {
          must(ping.acquireSync(bounded), row);
          pong.release();
        }
      }
    };
  });
  if (input.count) {
    instrument(input.light);
    const result: Record<string, number>[] = [];
    for (const body of bodies) {
      body(COUNT_N);
      for (const k of Object.keys(counts)) delete counts[k];
      body(COUNT_N);
      result.push({ ...counts });
    }
    parentPort!.postMessage(result);
    return;
  }
  const times: number[][] = ROWS.map(() => []);
  // This thread's schedstat sums per row (Linux): CPU ns, ns runnable but waiting for a CPU,
  // timeslices.
  const sched = ROWS.map(() => [0, 0, 0]);
  for (let round = 0; round < ROUNDS + 3; round++) {
    // Rotate the order every round, so no row always runs right after another.
    for (let j = 0; j < ROWS.length; j++) {
      const k = (j + round) % ROWS.length;
      const s0 = schedstat();
      const t = performance.now();
      bodies[k]!(BATCH);
      const us = (performance.now() - t) * 1000 / BATCH;
      const s1 = schedstat();
      if (round >= 3) {
        times[k]!.push(us); // 3 warm-up rounds
        for (let f = 0; f < 3; f++) sched[k]![f]! += s1[f]! - s0[f]!;
      }
    }
  }
  parentPort!.postMessage({ times, sched });
}

/** `/proc/thread-self/schedstat`: [CPU ns, run-queue wait ns, timeslices]; zeros elsewhere. */
function schedstat(): number[] {
  try {
    return readFileSync("/proc/thread-self/schedstat", "utf8").trim().split(" ").map(Number);
  } catch {
    return [0, 0, 0];
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[s.length >> 1]!;
}

async function main(): Promise<void> {
  const argv: string[] = g.Deno?.args ?? g.process.argv.slice(2);
  const light = argv.includes("--latency");
  const count = light || argv.includes("--count");
  const args = argv.filter((a) => a !== "--count" && a !== "--latency");
  const cwd: string = g.Deno?.cwd() ?? g.process.cwd();
  const urls = [0, 1].map((k) => new URL(args[k]!, `file://${cwd}/`).href) as [string, string];
  const libs = await Promise.all(urls.map((url) => import(url)));
  const shared = ROWS.map((row) => {
    if (row === "floor") return new SharedArrayBuffer(4);
    if (row === "floor2") return { ping: new SharedArrayBuffer(4), pong: new SharedArrayBuffer(4) };
    if (row === "lock") {
      const ping = new libs[1].Lock();
      const pong = new libs[1].Lock();
      ping.acquireSync();
      pong.acquireSync();
      return { ping: ping.handle, pong: pong.handle };
    }
    const lib = libs[row.endsWith("-before") ? 0 : 1];
    if (row.startsWith("cond")) {
      return { cond: new lib.Condition(new lib.Lock()).handle, turn: new SharedArrayBuffer(4) };
    }
    if (row.startsWith("event")) {
      return { ping: new lib.Event().handle, pong: new lib.Event().handle };
    }
    return { ping: new lib.Semaphore(0).handle, pong: new lib.Semaphore(0).handle };
  });
  const here = new URL(import.meta.url);
  const workers = [0, 1].map((index) =>
    new Worker(here, { workerData: { libs: urls, shared, index, count, light } satisfies Input })
  );
  const results = await Promise.all(
    workers.map((w) =>
      new Promise<any>((resolve, reject) => {
        w.on("message", resolve);
        w.on("error", reject);
      })
    ),
  );
  await Promise.all(workers.map((w) => w.terminate()));
  if (count) {
    console.log(`per round trip (${COUNT_N} round trips per row):`);
    ROWS.forEach((row, r) => {
      console.log(`${row}:`);
      results.forEach((perRow: Record<string, number>[], w) => {
        const c = perRow[r]!;
        const keys = Object.keys(c).sort();
        console.log(
          `  w${w}: ${keys.map((x) => `${x} ${(c[x]! / COUNT_N).toFixed(3)}`).join(", ")}`,
        );
      });
    });
    return;
  }
  const times = results[0].times as number[][];
  const per = ROUNDS * BATCH;
  const mins = times.map((t) => Math.min(...t));
  const meds = times.map(median);
  console.log(`µs per round trip, ${ROUNDS} batches of ${BATCH} per row, rotating:`);
  ROWS.forEach((row, r) => {
    console.log(
      `  ${row.padEnd(10)} fastest ${mins[r]!.toFixed(2).padStart(7)} median ${
        meds[r]!.toFixed(2).padStart(7)
      }  ÷ floor: fastest ${(mins[r]! / mins[0]!).toFixed(3)} median ${
        (meds[r]! / meds[0]!).toFixed(3)
      }  cpu w0/w1 ${
        results.map((x: any) => (x.sched[r][0] / per / 1000).toFixed(2)).join("/")
      } µs, runq ${results.map((x: any) => (x.sched[r][1] / per / 1000).toFixed(2)).join("/")} µs`,
    );
  });
  for (const kind of ["sem", "cond", "event"]) {
    const b = ROWS.indexOf(`${kind}-before` as never), a = ROWS.indexOf(`${kind}-after` as never);
    console.log(
      `  ${kind} after ÷ before: fastest ${(mins[a]! / mins[b]!).toFixed(3)} median ${
        (meds[a]! / meds[b]!).toFixed(3)
      }`,
    );
  }
}

if (isMainThread) await main();
else await worker(workerData as Input);
