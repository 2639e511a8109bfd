/**
 * Heap check for `tests/memory_test.ts`, run as a child process with GC exposed (Node:
 * `--expose-gc`; Deno: `--v8-flags=--expose-gc`; Bun: `Bun.gc`). Runs 1,000,000 async
 * acquire/release cycles of a Lock and 125,000 aborted waits (Lock, Semaphore, Event, Queue, and
 * an RWLock read parked locally behind its own thread's write lock; 25,000 each), each batch after a warm-up batch, measuring the heap after a full GC before and
 * after; of the aborted waits, every 50th wait's promise is watched through a `WeakRef`, to count
 * how many are still reachable after the GC. Prints one JSON line per batch: `{ what, ops,
 * before, after, growth, ms, sampled, alive }` (bytes, ms; the last two 0 for the cycles).
 */

import { Event, Lock, Queue, RWLock, Semaphore } from "../../mod.ts";

const g = globalThis as unknown as {
  gc?: () => void;
  Bun?: { gc(force: boolean): void };
  Deno?: { memoryUsage(): { heapUsed: number } };
  process?: { memoryUsage(): { heapUsed: number } };
};

/** A full collection, twice, with a task turn between (finalizers, weak refs, waitAsync). */
async function collect(): Promise<void> {
  for (let i = 0; i < 2; i++) {
    if (g.Bun !== undefined) g.Bun.gc(true);
    else if (g.gc !== undefined) g.gc();
    else throw new Error("Cannot measure the heap: run with --expose-gc");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function heapUsed(): number {
  return g.Deno !== undefined ? g.Deno.memoryUsage().heapUsed : g.process!.memoryUsage().heapUsed;
}

/**
 * Runs `body` for warm-up, then measures the heap around `body(ops)`. The warm-up is `warmup`
 * operations: on Node 24 the heap after aborted lock waits keeps growing for the first ~40,000
 * (+0.8 MiB after 20,000, +0.1 MiB after 20,000 more, then flat: V8's own tables, not ours).
 */
async function measure(
  what: string,
  ops: number,
  body: (n: number, watched?: WeakRef<object>[]) => Promise<void>,
  warmup = ops,
) {
  await body(warmup);
  await collect();
  const before = heapUsed();
  const watched: WeakRef<object>[] = [];
  const t0 = performance.now();
  await body(ops, watched);
  const ms = performance.now() - t0;
  await collect();
  const after = heapUsed();
  const alive = watched.filter((ref) => ref.deref() !== undefined).length;
  const growth = after - before;
  console.log(
    JSON.stringify({ what, ops, before, after, growth, ms, sampled: watched.length, alive }),
  );
}

const lock = new Lock();
await measure("lock acquire/release", 1_000_000, async (n) => {
  for (let i = 0; i < n; i++) {
    await lock.acquire();
    lock.release();
  }
}, 200_000);

/**
 * `n` waits on `start(signal)`, each aborted while it waits; every 50th wait's promise goes into
 * `watched` as a `WeakRef` (a wait something still holds keeps its promise).
 */
async function aborted(
  n: number,
  start: (signal: AbortSignal) => Promise<unknown>,
  watched?: WeakRef<object>[],
) {
  for (let i = 0; i < n; i++) {
    const controller = new AbortController();
    const wait = start(controller.signal);
    if (watched !== undefined && i % 50 === 0) watched.push(new WeakRef(wait));
    controller.abort();
    try {
      await wait;
      throw new Error("an aborted wait succeeded");
    } catch (error) {
      if (error !== controller.signal.reason) throw error;
    }
  }
}

/**
 * Grows the runtime's own weak tables of abort events and reasons to their size for the batches
 * below, by holding 300,000 aborted signals at once. Node 24 keeps every dispatched abort `Event`
 * in a `WeakSet` (its `isTrusted` check) and every `DOMException` (the abort reason) in a
 * `WeakMap`; the dead entries leave only at a full GC, so the tables' backing stores grow with
 * the aborts between two full GCs and do not shrink after. Without this, 2 runs in 4 of 100,000
 * aborted lock waits under load (two busy processes on the 2 CPUs) grew the heap by 1.6 MB: the
 * two tables, 0.5 + 1 MiB to 1 + 2 MiB (a heap snapshot's diff, retainers `isTrustedSet` and
 * `internalsMap`), with every wait's own objects collected; grown first, 30-33 KB in 4 runs of 4.
 */
function growAbortTables(): void {
  const signals: AbortSignal[] = [];
  for (let i = 0; i < 300_000; i++) {
    const controller = new AbortController();
    controller.abort();
    signals.push(controller.signal);
  }
}

growAbortTables();
const held = new Lock();
held.acquireSync();
await measure(
  "aborted lock.acquire",
  25_000,
  (n, watched) => aborted(n, (signal) => held.acquire({ signal }), watched),
);
const empty = new Semaphore(0);
await measure(
  "aborted semaphore.acquire",
  25_000,
  (n, watched) => aborted(n, (signal) => empty.acquire({ signal }), watched),
);
const unset = new Event();
await measure(
  "aborted event.wait",
  25_000,
  (n, watched) => aborted(n, (signal) => unset.wait({ signal }), watched),
);
const queue = new Queue<number>();
await measure(
  "aborted queue.get",
  25_000,
  (n, watched) => aborted(n, (signal) => queue.get({ signal }), watched),
);
const writeHeld = new RWLock();
writeHeld.writeSync(); // held by this thread: each read parks locally (no registration)
await measure(
  "aborted rwlock.read",
  25_000,
  (n, watched) => aborted(n, (signal) => writeHeld.read({ signal }), watched),
);
