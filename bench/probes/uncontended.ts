/**
 * Uncontended `acquireSync()+release()` of Semaphore, RLock and Lock, two copies of the library
 * side by side (issue 9), beside the CAS+store floor; and `holdSync()` + the guard's `release()`
 * of a Semaphore (`semhold`: the permit attributed to this thread, its owner record written on
 * the take and on the release, plus the guard), and `writeSync()` (`rwwrite`) and `readSync()`
 * (`rwread`) + the guard's `release()` of an `RWLock`: every case runs batch after batch in turn
 * (300 rounds of 20,000 operations) and the figure is the *fastest* batch, which a loaded machine
 * cannot inflate the way it does a median (`bench/runtime.ts --mode quick` gave 23 ns – 1 µs
 * ranges for one case at load 38).
 *
 *   node bench/probes/uncontended.ts /tmp/before/mod.ts ./mod.ts
 *   deno run -A bench/probes/uncontended.ts …   bun bench/probes/uncontended.ts …
 *
 * The before copy: `git archive <commit> mod.ts src package.json | tar -x -C /tmp/before`.
 *
 * @module
 */

const g = globalThis as any;
const args: string[] = g.Deno?.args ?? g.process.argv.slice(2);
const cwd: string = g.Deno?.cwd() ?? g.process.cwd();
const before = await import(new URL(args[0]!, `file://${cwd}/`).href);
const after = await import(new URL(args[1]!, `file://${cwd}/`).href);
const N = 20_000;
const floorI32 = new Int32Array(new SharedArrayBuffer(8));
function floor() {
  for (let i = 0; i < N; i++) {
    Atomics.compareExchange(floorI32, 0, 0, 2);
    Atomics.store(floorI32, 0, 0);
  }
}
function make(lib: any) {
  const sem = new lib.Semaphore(1);
  const held = new lib.Semaphore(1);
  const rl = new lib.RLock();
  const lk = new lib.Lock();
  const rw = new lib.RWLock();
  return {
    sem() {
      for (let i = 0; i < N; i++) {
        sem.acquireSync();
        sem.release();
      }
    },
    semhold() {
      for (let i = 0; i < N; i++) held.holdSync().release();
    },
    rlock() {
      for (let i = 0; i < N; i++) {
        rl.acquireSync();
        rl.release();
      }
    },
    lock() {
      for (let i = 0; i < N; i++) {
        lk.acquireSync();
        lk.release();
      }
    },
    rwwrite() {
      for (let i = 0; i < N; i++) rw.writeSync().release();
    },
    rwread() {
      for (let i = 0; i < N; i++) rw.readSync().release();
    },
  };
}
const b = make(before), a = make(after);
const fns: Record<string, () => void> = {
  floor,
  "sem.before": b.sem,
  "sem.after": a.sem,
  "semhold.before": b.semhold,
  "semhold.after": a.semhold,
  "rlock.before": b.rlock,
  "rlock.after": a.rlock,
  "lock.before": b.lock,
  "lock.after": a.lock,
  "rwwrite.before": b.rwwrite,
  "rwwrite.after": a.rwwrite,
  "rwread.before": b.rwread,
  "rwread.after": a.rwread,
};
const best: Record<string, number> = {};
for (let round = 0; round < 300; round++) {
  for (const [name, fn] of Object.entries(fns)) {
    const t = performance.now();
    fn();
    const ns = (performance.now() - t) * 1e6 / N;
    if (round > 5) best[name] = Math.min(best[name] ?? Infinity, ns);
  }
}
const f = best.floor!;
for (const [name, ns] of Object.entries(best)) {
  console.log(`${name.padEnd(14)} ${ns.toFixed(1)} ns/op  ${(ns / f).toFixed(2)}× floor`);
}
