/**
 * Probe (issue 9, A1): the timeline of an async hand-off, to find where the Condition ping-pong
 * spends the time the Semaphore one does not. Two workers ping-pong with each row's `await`
 * form; every physical `Atomics.waitAsync` registration, its settling (a reaction attached
 * before the futex layer's), every `Atomics.notify` that woke someone, and the loop's own
 * points are time-stamped, in batches, the rows rotated batch by batch in one run, all rows in
 * the same two worker threads. The workers' clocks are aligned by a spin handshake. Per row and
 * worker it prints:
 *
 * - `wake`: the partner's waking notify → our registration settles (min, median/mean, spread).
 * - `turn`: our settling → our own waking notify (our work before we hand back); `hop`: settling
 *   → the loop's resume; and the steps of a turn (the Condition rows mark each call).
 * - `reg`: our waking notify → our next registration (what we do before we can be woken).
 * - `margin`: our registration → the partner's notify that woke it; the wake latency is also
 *   printed by margin bucket (on Node a wake 2–4 µs after a nudged registration is cheap).
 * - `vcsw`: voluntary context switches per round trip (`/proc/thread-self/status`); `cpu`: both
 *   workers' CPU per round trip (`process.threadCpuUsage`, where the runtime has it).
 *
 * Rows: `raw` (nudged raw `waitAsync`, on Node), `sem-<copy>`, `cond-<copy>`; `row+N` busy-waits
 * N µs after each resume (a longer turn), `raw~N` N µs after each hand-off (a spin that lets the
 * partner's reply arrive before the next wait), `raw^N` N µs after each registration (awake but
 * registered: the wake still goes through the event loop).
 *
 *   node bench/probes/cond_timeline.ts [--rows raw,sem-after,cond-after] [--rounds 20] [--batch 500]
 *   deno run -A bench/probes/cond_timeline.ts …   bun bench/probes/cond_timeline.ts …
 *
 * `TK_BEFORE=<copy>/mod.ts` adds `cond-before` and `sem-before` rows from that copy, `TK_ALT` a
 * third copy's (`-alt`). Two identical copies measured 0.96 and 1.05 of each other here, where
 * `waitasync.ts` (a pair of workers per row) measured 0.57–1.20 over seven runs.
 *
 * Findings (Node 24, 2 CPUs; `bench/README.md`, "Why the async Condition ping-pong trails"):
 * pinned (`taskset -c 0`) Condition and Semaphore round trips equal (57.3 / 57.1 µs); the
 * Condition's first side turns in 2.5 µs (Semaphore 1.2), the other 1.5 (1.1); the rest of the
 * gap is in how many wakes find the partner asleep, which moves from run to run.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";

const g = globalThis as any;
const rt = g.Bun !== undefined ? "bun" : g.Deno !== undefined ? "deno" : "node";
const STALL_MS = 10_000;

/** Event codes. */
const REG = 1, SETTLE = 2, NOTIFY = 3, SYNC = 4, RESUME = 5;

interface Input {
  index: number;
  libs: Record<string, string>;
  shared: Record<string, unknown>;
  calib: SharedArrayBuffer;
}

function vcsw(): [number, number] {
  try {
    const s = readFileSync("/proc/thread-self/status", "utf8");
    const v = Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(s)![1]);
    const nv = Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(s)![1]);
    return [v, nv];
  } catch {
    return [NaN, NaN];
  }
}

/** This thread's CPU time in µs (Node's `process.threadCpuUsage`; NaN elsewhere). */
function cpu(): number {
  const u = g.process?.threadCpuUsage?.();
  return u === undefined ? NaN : u.user + u.system;
}

type Body = (n: number) => Promise<void>;

async function worker(input: Input): Promise<void> {
  const { index } = input;
  const now = performance.now.bind(performance);
  const ev = new Float64Array(1 << 18);
  let ne = 0;
  let on = false;
  const rec = (code: number, t: number) => {
    if (on && ne < ev.length) {
      ev[ne++] = code;
      ev[ne++] = t;
    }
  };
  const A = Atomics as any;
  const wa = A.waitAsync.bind(Atomics);
  A.waitAsync = (i32: Int32Array, at: number, value: number, timeout?: number) => {
    const t = now();
    const r = wa(i32, at, value, timeout);
    // Length 1: the futex layer's nudge slot (and nothing else here).
    if (i32.length !== 1) {
      if (r.async) {
        rec(REG, t);
        r.value.then(() => rec(SETTLE, now()));
      } else rec(SYNC, t);
    }
    return r;
  };
  const notify = A.notify.bind(Atomics);
  A.notify = (i32: Int32Array, at: number, count?: number) => {
    const t = now();
    const n = notify(i32, at, count);
    if (n > 0 && i32.length !== 1) rec(NOTIFY, t);
    return n;
  };

  // Clock alignment: worker 1 answers worker 0's stamps (spin handshake, fastest of 200).
  const flag = new Int32Array(input.calib, 0, 2);
  const stamp = new Float64Array(input.calib, 8, 2);
  let offset = 0; // worker 1's clock minus worker 0's, as seen by worker 0
  let best = Infinity;
  for (let k = 1; k <= 200; k++) {
    if (index === 0) {
      const t0 = now();
      Atomics.store(flag, 0, k);
      while (Atomics.load(flag, 1) !== k);
      const t2 = now();
      const t1 = stamp[1]!;
      if (t2 - t0 < best) {
        best = t2 - t0;
        offset = t1 - (t0 + t2) / 2;
      }
    } else {
      while (Atomics.load(flag, 0) !== k);
      stamp[1] = now();
      Atomics.store(flag, 1, k);
    }
  }

  const bodies: Record<string, Body> = {};
  const b = { timeout: STALL_MS };
  const ok = (v: unknown) => {
    if (v !== true) throw new Error("probe: timed out");
  };
  // `base+µs` rows: a busy wait of that long after each resume, before the hand-off.
  let spinMs = 0;
  const spin = () => {
    if (spinMs === 0) return;
    const end = now() + spinMs;
    while (now() < end);
  };
  // `base~µs` rows (raw only): a busy wait of that long after each hand-off, before the next wait.
  let gapMs = 0;
  const gap = () => {
    if (gapMs === 0) return;
    const end = now() + gapMs;
    while (now() < end);
  };
  // `raw^µs` rows: a busy wait of that long after each registration (registered, not yet idle).
  let awakeMs = 0;
  const awake = () => {
    if (awakeMs === 0) return;
    const end = now() + awakeMs;
    while (now() < end);
  };
  const nudgeSlot = new Int32Array(new SharedArrayBuffer(4));
  // raw: the nudged raw waitAsync ping-pong (`probe.raw-selfnotify`), one slot.
  {
    const i32 = new Int32Array(input.shared.raw as SharedArrayBuffer);
    const theirs = index === 0 ? 1 : 0;
    bodies.raw = async (n) => {
      for (let i = 0; i < n; i++) {
        if (index === 0) {
          Atomics.store(i32, 0, theirs);
          Atomics.notify(i32, 0, 1);
          gap();
        }
        while (Atomics.load(i32, 0) === theirs) {
          const r = Atomics.waitAsync(i32, 0, theirs);
          if (r.async) {
            if (rt === "node") {
              Atomics.waitAsync(nudgeSlot, 0, 0);
              Atomics.notify(nudgeSlot, 0);
            }
            awake();
            await r.value;
          }
        }
        rec(RESUME, now());
        spin();
        if (index === 1) {
          Atomics.store(i32, 0, theirs);
          Atomics.notify(i32, 0, 1);
          gap();
        }
      }
    };
  }
  for (const [which, url] of Object.entries(input.libs)) {
    const mod = await import(url);
    const s = input.shared[`sem-${which}`] as { ping: unknown; pong: unknown };
    const ping = mod.Semaphore.from(s.ping);
    const pong = mod.Semaphore.from(s.pong);
    bodies[`sem-${which}`] = index === 0
      ? async (n) => {
        for (let i = 0; i < n; i++) {
          ping.release();
          ok(await pong.acquire(b));
          rec(RESUME, now());
          spin();
        }
      }
      : async (n) => {
        for (let i = 0; i < n; i++) {
          ok(await ping.acquire(b));
          rec(RESUME, now());
          spin();
          pong.release();
        }
      };
    const c = input.shared[`cond-${which}`] as { cond: unknown; turn: SharedArrayBuffer };
    const cond = mod.Condition.from(c.cond);
    const turn = new Int32Array(c.turn);
    const mine = index;
    const waitTurn = async () => {
      while (turn[0] !== mine) {
        rec(15, now());
        const r = await cond.wait(b);
        rec(10, now());
        ok(r);
      }
      rec(RESUME, now());
    };
    bodies[`cond-${which}`] = async (n) => {
      for (let i = 0; i < n; i++) {
        ok(await cond.acquire(b));
        rec(13, now());
        if (mine === 1) await waitTurn();
        turn[0] = 1 - mine;
        cond.notify();
        rec(14, now());
        if (mine === 0) {
          await waitTurn();
          rec(11, now());
        }
        cond.release();
        rec(12, now());
      }
    };
  }

  parentPort!.on("message", async (msg: { row: string; n: number; record: boolean }) => {
    const [head0, reg] = msg.row.split("^");
    awakeMs = Number(reg ?? 0) / 1000;
    const [head, after] = head0!.split("~");
    const [base, extra] = head!.split("+");
    const body = bodies[base!]!;
    spinMs = Number(extra ?? 0) / 1000;
    gapMs = Number(after ?? 0) / 1000;
    ne = 0;
    on = msg.record;
    const c0 = vcsw();
    const cpu0 = cpu();
    const t0 = now();
    await body(msg.n);
    const t1 = now();
    const cpu1 = cpu();
    const c1 = vcsw();
    on = false;
    parentPort!.postMessage({
      ms: t1 - t0,
      vol: c1[0] - c0[0],
      cpu: cpu1 - cpu0,
      invol: c1[1] - c0[1],
      ev: ev.slice(0, ne),
      offset,
    });
  });
  parentPort!.postMessage("ready");
}

interface Batch {
  ms: number;
  cpu: number;
  vol: number;
  invol: number;
  ev: Float64Array;
  offset: number;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const pct = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * q))]!;
};
const median = (xs: number[]) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
};

/** Events of one batch as [code, time] on worker 0's clock. */
function events(b: Batch, shift: number): [number, number][] {
  const out: [number, number][] = [];
  for (let k = 0; k < b.ev.length; k += 2) out.push([b.ev[k]!, b.ev[k + 1]! - shift]);
  return out;
}

/** Per-worker figures from one batch pair (µs). */
function analyse(mine: [number, number][], theirs: [number, number][]) {
  const theirNotifies = theirs.filter((e) => e[0] === NOTIFY).map((e) => e[1]);
  const wake: number[] = [];
  const turn: number[] = [];
  const hop: number[] = [];
  const reg: number[] = [];
  const margin: number[] = [];
  const pairs: [number, number][] = [];
  let regs = 0;
  let syncs = 0;
  let j = 0;
  for (let k = 0; k < mine.length; k++) {
    const [code, t] = mine[k]!;
    if (code === SETTLE) {
      while (j < theirNotifies.length && theirNotifies[j]! <= t) j++;
      if (j > 0) wake.push((t - theirNotifies[j - 1]!) * 1000);
      for (let m = k + 1; m < mine.length; m++) {
        if (mine[m]![0] === RESUME) hop.push((mine[m]![1] - t) * 1000);
        if (mine[m]![0] === NOTIFY) {
          turn.push((mine[m]![1] - t) * 1000);
          break;
        }
      }
    } else if (code === NOTIFY) {
      for (let m = k + 1; m < mine.length; m++) {
        if (mine[m]![0] === REG || mine[m]![0] === SYNC) {
          reg.push((mine[m]![1] - t) * 1000);
          break;
        }
      }
    } else if (code === REG) {
      regs++;
      // The wake of this registration: the partner's last notify before our next settle.
      let settle = -1;
      for (let m = k + 1; m < mine.length; m++) {
        if (mine[m]![0] === SETTLE) {
          settle = mine[m]![1];
          break;
        }
      }
      let cause = -1;
      for (const x of theirNotifies) {
        if (x > settle) break;
        cause = x;
      }
      if (settle >= 0 && cause >= 0) {
        margin.push((cause - t) * 1000);
        pairs.push([(cause - t) * 1000, (settle - cause) * 1000]);
      }
    } else if (code === SYNC) syncs++;
  }
  // The steps of a turn: settle → each mark (first time) up to our notify.
  const steps: Record<number, number[]> = {};
  for (let k = 0; k < mine.length; k++) {
    if (mine[k]![0] !== SETTLE) continue;
    const t = mine[k]![1];
    const seen = new Set<number>();
    for (let m = k + 1; m < mine.length; m++) {
      const [c, tm] = mine[m]!;
      if (c === SETTLE || c === REG) break;
      if (seen.has(c)) continue;
      seen.add(c);
      (steps[c] ??= []).push((tm - t) * 1000);
      if (c === NOTIFY) break;
    }
  }
  return { wake, turn, hop, reg, margin, regs, syncs, pairs, steps };
}

if (isMainThread) {
  const args: string[] = rt === "deno" ? g.Deno.args : g.process.argv.slice(2);
  const opt = (name: string, dflt: string) => {
    const at = args.indexOf(`--${name}`);
    return at >= 0 ? args[at + 1]! : dflt;
  };
  const rounds = Number(opt("rounds", "20"));
  const batch = Number(opt("batch", "500"));
  const env = (n: string) => rt === "deno" ? g.Deno.env.get(n) : g.process.env[n];
  const libs: Record<string, string> = { after: new URL("../../mod.ts", import.meta.url).href };
  const cwd = `file://${g.process?.cwd?.() ?? g.Deno.cwd()}/`;
  if (env("TK_BEFORE") !== undefined) libs.before = new URL(env("TK_BEFORE"), cwd).href;
  if (env("TK_ALT") !== undefined) libs.alt = new URL(env("TK_ALT"), cwd).href;
  const shared: Record<string, unknown> = { raw: new SharedArrayBuffer(8) };
  const all = ["raw"];
  for (const [which, url] of Object.entries(libs)) {
    const mod = await import(url);
    shared[`sem-${which}`] = {
      ping: new mod.Semaphore(0).handle,
      pong: new mod.Semaphore(0).handle,
    };
    shared[`cond-${which}`] = {
      cond: new mod.Condition(new mod.Lock()).handle,
      turn: new SharedArrayBuffer(4),
    };
    all.push(`sem-${which}`, `cond-${which}`);
  }
  const rows = opt("rows", "").split(",").filter((r) => r !== "");
  const chosen = rows.length === 0 ? all : rows;
  const calib = new SharedArrayBuffer(32);
  const workers = [0, 1].map((index) =>
    new Worker(new URL(import.meta.url), {
      workerData: { index, libs, shared, calib } satisfies Input,
    })
  );
  await Promise.all(
    workers.map((w) => new Promise((r) => w.once("message", r))),
  );
  const run = (row: string, n: number, record: boolean) =>
    Promise.all(
      workers.map((w) =>
        new Promise<Batch>((resolve) => {
          w.once("message", resolve);
          w.postMessage({ row, n, record });
        })
      ),
    );
  // Warm-up.
  for (const row of chosen) await run(row, 2000, false);
  const per: Record<
    string,
    { rt: number[]; cpu: number[]; vol: number[][]; a: ReturnType<typeof analyse>[][] }
  > = {};
  for (const row of chosen) per[row] = { rt: [], cpu: [], vol: [[], []], a: [[], []] };
  for (let r = 0; r < rounds; r++) {
    for (const row of chosen) {
      const [b0, b1] = await run(row, batch, true);
      const p = per[row]!;
      p.rt.push((b0!.ms / batch) * 1000);
      p.vol[0]!.push(b0!.vol / batch);
      p.vol[1]!.push(b1!.vol / batch);
      p.cpu.push((b0!.cpu + b1!.cpu) / batch);
      const e0 = events(b0!, 0);
      const e1 = events(b1!, b0!.offset);
      p.a[0]!.push(analyse(e0, e1));
      p.a[1]!.push(analyse(e1, e0));
    }
  }
  console.log(`${rt}; ${rounds} rounds × ${batch} round trips, rows rotated; medians (µs)`);
  const floor = median(per[chosen[0]!]!.rt);
  for (const row of chosen) {
    const p = per[row]!;
    const rtm = median(p.rt);
    const cols = [0, 1].map((w) => {
      const a = p.a[w]!;
      const flat = (k: "wake" | "turn" | "hop" | "reg" | "margin") => a.flatMap((x) => x[k]);
      const regs = a.reduce((s, x) => s + x.regs, 0);
      const syncs = a.reduce((s, x) => s + x.syncs, 0);
      const wk = flat("wake");
      const tn = flat("turn");
      return `w${w}: wake min ${Math.min(...wk).toFixed(1)} ${median(wk).toFixed(1)}/${
        mean(wk).toFixed(1)
      } [p25 ${pct(wk, 0.25).toFixed(1)} p75 ${pct(wk, 0.75).toFixed(1)} p90 ${
        pct(wk, 0.9).toFixed(1)
      }] turn ${median(tn).toFixed(1)}/${mean(tn).toFixed(1)} (hop ${
        median(flat("hop")).toFixed(1)
      }) reg ${median(flat("reg")).toFixed(1)} margin ${median(flat("margin")).toFixed(1)}/${
        mean(flat("margin")).toFixed(1)
      } regs/rt ${(regs / (rounds * batch)).toFixed(2)} sync/rt ${
        (syncs / (rounds * batch)).toFixed(2)
      } vcsw/rt ${median(p.vol[w]!).toFixed(2)}`;
    });
    console.log(
      `${row.padEnd(12)} ${rtm.toFixed(1).padStart(6)} µs/rt ${(rtm / floor).toFixed(2)}× cpu ${
        median(p.cpu).toFixed(1)
      } µs/rt ${cols[0]}\n${"".padEnd(34)}${cols[1]}`,
    );
  }
  console.log(
    "steps of a turn: µs from the settle, median (code: 5 resume, 10 wait returned, 11 waitTurn returned, 12 released, 13 acquired, 14 notified, 15 before wait, 3 NOTIFY)",
  );
  for (const row of chosen) {
    for (const w of [0, 1]) {
      const all: Record<number, number[]> = {};
      for (const a of per[row]!.a[w]!) {
        for (const [c, xs] of Object.entries(a.steps)) (all[Number(c)] ??= []).push(...xs);
      }
      const cells = Object.entries(all).map(([c, xs]) => [Number(c), median(xs)] as const)
        .sort((x, y) => x[1] - y[1]).map(([c, m]) => `${c}@${m.toFixed(2)}`);
      console.log(`${row.padEnd(12)} w${w}: ${cells.join(" ")}`);
    }
  }
  // Wake latency by margin (registration → the partner's notify), both workers, per row.
  const edges = [0, 2, 4, 6, 8, 10, 15, 25, Infinity];
  console.log(`wake latency by margin (µs): bucket: share of wakes, median latency`);
  for (const row of chosen) {
    for (const w of [0, 1]) {
      const pairs = per[row]!.a[w]!.flatMap((x) => x.pairs);
      const cells = edges.slice(0, -1).map((lo, e) => {
        const hi = edges[e + 1]!;
        const inb = pairs.filter(([m]) => m >= lo && m < hi).map(([, w]) => w);
        return `${lo}-${hi === Infinity ? "" : hi}: ${
          (100 * inb.length / pairs.length).toFixed(0)
        }% ${median(inb).toFixed(1)}`;
      });
      const sum = (k: "wake" | "turn") =>
        [0, 1].reduce((s, w) => s + mean(per[row]!.a[w]!.flatMap((x) => x[k])), 0);
      console.log(
        `${row.padEnd(12)} w${w} mean wake+turn both ${(sum("wake") + sum("turn")).toFixed(1)} | ${
          cells.join(" | ")
        }`,
      );
    }
  }
  for (const w of workers) w.terminate();
} else {
  await worker(workerData as Input);
}
