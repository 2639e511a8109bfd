/**
 * Probe: the CPU cost of one async wait on this thread, without a second thread. Each variant
 * registers a wait, notifies it at once from the same thread and awaits it: the runtime's
 * resolution task plus whatever the driver adds. Round-robin, medians of ns per wait.
 *
 *   node bench/probes/selfwake.ts [--before /tmp/futex_before.ts] [--before-lib /tmp/b/mod.ts]
 *
 * `--before` names an older copy of `src/internal/futex.ts` (e.g. `git show
 * HEAD~1:src/internal/futex.ts > /tmp/futex_before.ts`) whose `runAsync` joins the round-robin
 * as `runAsyncBefore`: a before → after measured in the same run. `--before-lib` names an older
 * copy of the whole library (`git archive <commit> mod.ts src package.json | tar -x -C /tmp/b`),
 * whose Lock joins as `lockBefore` beside `lock` (an async acquire parked and woken by this thread).
 *
 * @module
 */

import { type Parker, runAsync } from "../../src/internal/futex.ts";
import { Lock } from "../../mod.ts";
import { RUNTIME } from "../harness/env.ts";
import { median } from "../harness/env.ts";

const i32 = new Int32Array(new SharedArrayBuffer(16));
const N = 1000;

function* parkOnce(deadline: number): Parker<string> {
  return yield { i32, index: 0, expected: 0, deadline, asyncCount: 1 };
}

const variants: Record<string, () => Promise<unknown>> = {
  async raw() {
    const r = Atomics.waitAsync(i32, 0, 0, 30_000);
    Atomics.notify(i32, 0, 1);
    return r.async ? await r.value : r.value;
  },
  async rawInfinite() {
    const r = Atomics.waitAsync(i32, 0, 0);
    Atomics.notify(i32, 0, 1);
    return r.async ? await r.value : r.value;
  },
  async rawTimer() {
    const t = setInterval(() => {}, 2 ** 30);
    const r = Atomics.waitAsync(i32, 0, 0, 30_000);
    Atomics.notify(i32, 0, 1);
    const v = r.async ? await r.value : r.value;
    clearInterval(t);
    return v;
  },
  async rawRefUnref() {
    if (RUNTIME === "deno") (globalThis as any).Deno.refTimer(persistent);
    else persistent.ref();
    const r = Atomics.waitAsync(i32, 0, 0, 30_000);
    Atomics.notify(i32, 0, 1);
    const v = r.async ? await r.value : r.value;
    if (RUNTIME === "deno") (globalThis as any).Deno.unrefTimer(persistent);
    else persistent.unref();
    return v;
  },
  async runAsync() {
    const p = runAsync(parkOnce(performance.now() + 30_000), undefined);
    Atomics.notify(i32, 0, 1);
    return await p;
  },
  async promiseOnly() {
    return await new Promise((r) => r(1));
  },
};

// Keeps the probe alive throughout (a pending waitAsync does not, on Deno even once notified).
const alive = setInterval(() => {}, 2 ** 30);
const persistent: any = setInterval(() => {}, 2 ** 30);
if (RUNTIME === "deno") (globalThis as any).Deno.unrefTimer(persistent);
else persistent.unref();
const argv: string[] = RUNTIME === "deno"
  ? (globalThis as any).Deno.args
  : (globalThis as any).process.argv.slice(2);
const beforeAt = argv.indexOf("--before");
if (beforeAt >= 0) {
  const before = await import(argv[beforeAt + 1]!) as { runAsync: typeof runAsync };
  variants.runAsyncBefore = async () => {
    const p = before.runAsync(parkOnce(performance.now() + 30_000), undefined);
    Atomics.notify(i32, 0, 1);
    return await p;
  };
}
/** A Lock held by this thread: acquire() parks, release() wakes it, the await takes it back. */
function lockVariant(LockClass: typeof Lock): () => Promise<unknown> {
  const lock = new LockClass();
  lock.acquireSync();
  return async () => {
    const p = lock.acquire({ timeout: 30_000 });
    lock.release();
    return await p;
  };
}
variants.lock = lockVariant(Lock);
const libAt = argv.indexOf("--before-lib");
if (libAt >= 0) {
  variants.lockBefore = lockVariant((await import(argv[libAt + 1]!) as { Lock: typeof Lock }).Lock);
}
const samples: Record<string, number[]> = {};
for (let round = 0; round < 25; round++) {
  for (const [name, f] of Object.entries(variants)) {
    const t0 = performance.now();
    for (let i = 0; i < N; i++) await f();
    (samples[name] ??= []).push((performance.now() - t0) * 1e6 / N);
  }
}
// Noise only adds time, so on a loaded machine the minimum is the steadier estimate.
const base = median(samples.raw!);
const baseMin = Math.min(...samples.raw!);
for (const [name, s] of Object.entries(samples)) {
  const m = median(s);
  const lo = Math.min(...s);
  console.log(
    `${RUNTIME} ${name.padEnd(14)} median ${m.toFixed(0).padStart(6)} ns ${
      (m / base).toFixed(2)
    }× raw` +
      `   min ${lo.toFixed(0).padStart(6)} ns ${(lo / baseMin).toFixed(2)}× raw`,
  );
}
clearInterval(alive);
clearInterval(persistent);
