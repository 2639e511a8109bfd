/**
 * Why the hand-off floor has two speeds here, and what a slow path costs in the fast one
 * (issue 9, P2). Two workers ping-pong through rows rotated batch by batch in one process; worker
 * 0 times every batch; each row's median ÷ the `floor` row's, and the median of the per-round
 * ratios (so a drift of the machine between rounds cancels out).
 *
 * Rows (every wait bounded by STALL_MS):
 * - `floor`: one slot, store + notify, wait while it is ours (`floor.wait-notify`'s body).
 * - `raw`: a minimal lock word (CAS; set a parked bit; `Atomics.wait` with STALL_MS; release by
 *   exchange, notify one if the bit was set), two words as the Lock ping-pong uses them: what a
 *   lock hand-off costs with no library around it.
 * - `raw-untimed`: `raw` waiting with no timeout.
 * - `raw-clock`: `raw` reading `performance.now()` once before each wait.
 * - `raw-alloc`: `raw` allocating ~400 bytes of short-lived objects before each wait (about what
 *   a generator-driven slow path allocates: its generator, register file, park request, results).
 * - `lock`, and `lock-before` with `--before <mod.ts>`: threadkit's `Lock` ping-pong
 *   (`lock.pingpong`'s body: release one, `acquireSync({ timeout })` the other).
 *
 *   node bench/probes/pinned_pingpong.ts [--pin] [--before /tmp/before/mod.ts] [--rounds 30]
 *   deno run -A bench/probes/pinned_pingpong.ts …;   bun bench/probes/pinned_pingpong.ts …
 *
 * `--pin` re-runs the probe under `taskset -c 0` (Linux): both workers on one CPU, where a
 * wake-up is a local context switch, not an inter-processor interrupt.
 *
 * ## Results (2026-12-01, Node 24; 2 vCPUs of a Firecracker VM whose kernel runs paravirtualized:
 * `perf` shows `pvm_irq_enable` as the top kernel symbol)
 * - The floor's two speeds are CPU placement: pinned, the floor is 7-8 µs per round trip in every
 *   run (the "fast regime" the full bench sometimes lands in); unpinned on a quiet machine it is
 *   ~18-25 µs, the workers on different CPUs, each wake an interrupt to an idle vCPU.
 * - Pinned, each worker's CPU path is the round trip, and two costs that a tight loop does not
 *   show dominate: the first clock read after a thread is switched in (`raw-clock` 1.07-1.11× the
 *   raw lock: ~0.5 µs per read, against 45-100 ns in a loop) and fresh memory (`raw-alloc`
 *   1.09×: ~0.6 µs per ~400 bytes). `raw-untimed` is 0.93× the timed `raw`: a timed
 *   `Atomics.wait` costs ~0.5 µs more on Node. The syscalls per round trip are the same for
 *   `raw` and `lock` (`strace -f -c`: ~2 futex calls per round trip each).
 * - `raw` is 1.01-1.02× the floor; threadkit's `Lock` 1.25-1.30× before the changes in
 *   `internal/lock_word.ts` (its comment on clock reads, with the figures from this probe).
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { ARGV, option } from "../harness/env.ts";

const g = globalThis as any;
/** Round trips per batch. */
const BATCH = 400;
/** Bound of every wait (a stall fails the probe instead of hanging it). */
const STALL_MS = 10_000;
const BASE_ROWS = ["floor", "raw", "raw-untimed", "raw-clock", "raw-alloc", "lock"] as const;

interface Input {
  rows: string[];
  libs: Record<string, string>;
  shared: unknown[];
  index: number;
  rounds: number;
}

if (!isMainThread) await worker(workerData as Input);
else if (ARGV.includes("--pin") && !ARGV.includes("--pinned")) pin();
else await main();

/** Runs this probe again under `taskset -c 0`, passing the arguments on. */
function pin(): void {
  const exec: string = g.Deno ? g.Deno.execPath() : g.process.execPath;
  const self = new URL(import.meta.url).pathname;
  const args = g.Deno ? ["run", "-A", self] : [self];
  const r = spawnSync("taskset", ["-c", "0", exec, ...args, ...ARGV, "--pinned"], {
    stdio: "inherit",
  });
  if (r.error !== undefined) throw new Error(`--pin needs taskset (Linux): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`pinned run failed with status ${r.status}`);
}

async function main(): Promise<void> {
  const before = option("before");
  const rounds = Number(option("rounds") ?? 30);
  const after = new URL("../../mod.ts", import.meta.url).href;
  const libs: Record<string, string> = { lock: after };
  const rows: string[] = [...BASE_ROWS];
  if (before !== undefined) {
    libs["lock-before"] = new URL(before, `file://${g.Deno ? g.Deno.cwd() : g.process.cwd()}/`)
      .href;
    rows.push("lock-before");
  }
  const mods: Record<string, any> = {};
  for (const [row, url] of Object.entries(libs)) mods[row] = await import(url);
  const shared = rows.map((row) => {
    if (row === "floor") return new SharedArrayBuffer(4);
    if (row.startsWith("raw")) {
      // Each word starts held by the other side (owner values 2 and 4, no parked bit).
      const ping = new Int32Array(new SharedArrayBuffer(4));
      const pong = new Int32Array(new SharedArrayBuffer(4));
      ping[0] = 4;
      pong[0] = 2;
      return { ping: ping.buffer, pong: pong.buffer };
    }
    const ping = new mods[row].Lock();
    const pong = new mods[row].Lock();
    ping.acquireSync();
    pong.acquireSync();
    return { ping: ping.handle, pong: pong.handle };
  });
  const results = await Promise.all([0, 1].map((index) =>
    new Promise<any>((resolve, reject) => {
      const w = new Worker(new URL(import.meta.url), {
        workerData: { rows, libs, shared, index, rounds } satisfies Input,
      });
      w.once("message", resolve);
      w.once("error", reject);
    })
  ));
  const times: number[][] = results[0].times;
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[s.length >> 1]!;
  };
  const pinned = ARGV.includes("--pinned") ? "pinned to CPU 0" : "unpinned";
  const runtime = g.Deno
    ? `deno ${g.Deno.version.deno}`
    : g.Bun
    ? `bun ${g.Bun.version}`
    : `node ${g.process.versions.node}`;
  console.log(`${runtime}, ${pinned}: µs per round trip, ${rounds} rounds of ${BATCH}, rotating`);
  const floor = median(times[0]!);
  rows.forEach((row, r) => {
    const perRound = times[r]!.map((t, k) => t / times[0]![k]!);
    console.log(
      `  ${row.padEnd(12)} median ${median(times[r]!).toFixed(2).padStart(6)}` +
        `  ÷ floor ${(median(times[r]!) / floor).toFixed(3)}` +
        `  per-round ratio median ${median(perRound).toFixed(3)}` +
        ` (${Math.min(...perRound).toFixed(3)}-${Math.max(...perRound).toFixed(3)})`,
    );
  });
}

async function worker(input: Input): Promise<void> {
  const mine = input.index;
  const theirs = 1 - mine;
  const bounded = { timeout: STALL_MS };
  const stalled = (what: string) => new Error(`worker ${mine}: ${what} stalled`);
  const mods: Record<string, any> = {};
  for (const [row, url] of Object.entries(input.libs)) mods[row] = await import(url);
  let sink: unknown;
  const bodies = input.rows.map((row, r): (n: number) => void => {
    const shared = input.shared[r] as any;
    if (row === "floor") {
      const slot = new Int32Array(shared);
      const waitWhile = (value: number) => {
        while (Atomics.load(slot, 0) === value) {
          if (Atomics.wait(slot, 0, value, STALL_MS) === "timed-out") throw stalled(row);
        }
      };
      return (n) => {
        for (let i = 0; i < n; i++) {
          if (mine === 1) waitWhile(0);
          Atomics.store(slot, 0, theirs);
          Atomics.notify(slot, 0, 1);
          if (mine === 0) waitWhile(1);
        }
      };
    }
    if (row.startsWith("raw")) {
      const ping = new Int32Array(shared.ping);
      const pong = new Int32Array(shared.pong);
      const me = (mine + 1) << 1;
      const timeout = row === "raw-untimed" ? Infinity : STALL_MS;
      const before = row === "raw-clock"
        ? () => (sink = performance.now())
        : row === "raw-alloc"
        ? () => (sink = [{ a: 1, b: 2, c: 3, d: 4 }, { a: 1, b: 2, c: 3, d: 4 }, new Array(30)])
        : undefined;
      const acquire = (w: Int32Array) => {
        let state = Atomics.compareExchange(w, 0, 0, me);
        while (state !== 0) {
          // Held: set the parked bit (bit 0), then sleep while the word holds what we saw.
          if ((state & 1) === 0) {
            const seen = Atomics.compareExchange(w, 0, state, state | 1);
            if (seen !== state) {
              state = seen === 0 ? Atomics.compareExchange(w, 0, 0, me | 1) : seen;
              continue;
            }
            state |= 1;
          }
          before?.();
          if (Atomics.wait(w, 0, state, timeout) === "timed-out") throw stalled(row);
          state = Atomics.compareExchange(w, 0, 0, me | 1);
        }
      };
      const release = (w: Int32Array) => {
        if ((Atomics.exchange(w, 0, 0) & 1) !== 0) Atomics.notify(w, 0, 1);
      };
      return (n) => {
        for (let i = 0; i < n; i++) {
          if (mine === 0) {
            release(ping);
            acquire(pong);
          } else {
            acquire(ping);
            release(pong);
          }
        }
      };
    }
    const ping = mods[row].Lock.from(shared.ping);
    const pong = mods[row].Lock.from(shared.pong);
    return (n) => {
      for (let i = 0; i < n; i++) {
        if (mine === 0) {
          ping.release();
          if (!pong.acquireSync(bounded)) throw stalled(row);
        } else {
          if (!ping.acquireSync(bounded)) throw stalled(row);
          pong.release();
        }
      }
    };
  });
  const times: number[][] = input.rows.map(() => []);
  for (let round = 0; round < input.rounds + 3; round++) {
    for (let j = 0; j < bodies.length; j++) {
      const k = (j + round) % bodies.length;
      const t = performance.now();
      bodies[k]!(BATCH);
      if (round >= 3) times[k]!.push((performance.now() - t) * 1000 / BATCH); // 3 warm-ups
    }
  }
  if (sink === null) console.log(sink); // keeps the allocations observable
  parentPort!.postMessage({ times });
}
