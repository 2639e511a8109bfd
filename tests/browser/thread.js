// The Thread module of the browser test: runs in a module Web Worker started by threadkit's
// bootstrap (lib/bootstrap.js), and imports threadkit as a consumer would.
import { currentThread, Lock, Queue } from "./lib/mod.js";

/** Takes the lock (held by the page at first), puts `count` items and an end mark, returns. */
export default function run(lock, queue, count) {
  const t0 = performance.now();
  const acquired = lock.acquireSync({ timeout: 10_000 });
  const waitedMs = performance.now() - t0;
  for (let i = 0; i < count; i++) queue.putSync({ i, square: i * i, text: `é ${"x".repeat(i)}` });
  queue.putSync("end");
  lock.release();
  return {
    acquired,
    waitedMs,
    // One copy of threadkit in this worker: the revived arguments are the classes imported here.
    sameClasses: lock instanceof Lock && queue instanceof Queue,
    me: currentThread(),
    isolated: globalThis.crossOriginIsolated,
    map: new Map([["count", count]]),
    big: 2n ** 70n,
  };
}

/** Throws, for join()'s rejection. */
export function fails() {
  throw new RangeError("thrown in a browser thread");
}

/** A ThreadPool task: adds `k` to the shared counter under the lock; says what it was given. */
export function addUnderLock(lock, counter, k) {
  lock.acquireSync({ timeout: 10_000 });
  try {
    return {
      total: Atomics.add(counter, 0, k) + k,
      sameClasses: lock instanceof Lock,
      shared: counter instanceof Int32Array && counter.buffer instanceof SharedArrayBuffer,
    };
  } finally {
    lock.release();
  }
}
