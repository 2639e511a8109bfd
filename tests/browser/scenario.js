// What the browser test runs in its pages (through page.evaluate): each function returns a
// JSON-safe summary that the test asserts on. Every wait is bounded.

/** Bound of every wait in the page, in milliseconds. */
const WAIT_MS = 10_000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** An error as plain data. */
function describe(error) {
  return {
    name: error?.name,
    message: error?.message ?? String(error),
    isTypeError: error instanceof TypeError,
  };
}

/** What calling `fn` threw (or `null` if it returned). */
function thrown(fn) {
  try {
    fn();
    return null;
  } catch (error) {
    return describe(error);
  }
}

/** `promise`, or a rejection naming `what` after `ms`. */
function bounded(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** The cross-origin-isolated page: a Lock, a Queue, Threads and a raw Worker. */
export async function isolated() {
  const { currentThread, Lock, Queue, Thread, ThreadPool } = await import("./lib/mod.js");
  const out = {
    crossOriginIsolated: globalThis.crossOriginIsolated,
    main: currentThread(),
  };
  const lock = new Lock();
  const queue = new Queue();

  // The page's main thread may not block: every *Sync form names its async form.
  out.acquireAsync = await lock.acquire({ timeout: WAIT_MS });
  out.acquireSyncError = thrown(() => lock.acquireSync());
  out.acquireSyncTryError = thrown(() => lock.acquireSync({ timeout: 0 }));
  out.getSyncError = thrown(() => queue.getSync({ timeout: 0 }));

  // A Thread (module Web Worker) blocks on the lock the page holds, then fills the queue.
  const module = new URL("./thread.js", import.meta.url);
  const thread = new Thread(module, { args: [lock, queue, 5], name: "browser-thread" });
  thread.start();
  out.threadIdent = thread.ident;
  out.joinSyncError = thrown(() => thread.joinSync({ timeout: 0 }));
  await sleep(100);
  out.emptyWhileHeld = queue.empty();
  out.aliveWhileHeld = thread.isAlive();
  lock.release();
  const items = [];
  for (;;) {
    const item = await queue.get({ timeout: WAIT_MS });
    if (item === "end") break;
    items.push(item);
  }
  out.items = items;
  const result = await thread.join({ timeout: WAIT_MS });
  out.result = {
    acquired: result.acquired,
    waitedMs: result.waitedMs,
    sameClasses: result.sameClasses,
    me: result.me,
    isolated: result.isolated,
    mapCount: result.map instanceof Map ? result.map.get("count") : "not a Map",
    big: typeof result.big === "bigint" ? String(result.big) : typeof result.big,
  };
  out.aliveAfterJoin = thread.isAlive();
  out.lockedAfterJoin = lock.locked;

  // A thread's error reaches join().
  const failing = new Thread(module, { export: "fails", name: "failing-thread" });
  failing.start();
  try {
    await failing.join({ timeout: WAIT_MS });
    out.joinError = null;
  } catch (error) {
    out.joinError = { ...describe(error), isRangeError: error instanceof RangeError };
  }

  // A raw module Worker, given the handles by postMessage.
  await lock.acquire({ timeout: WAIT_MS });
  const worker = new Worker(new URL("./raw_worker.js", import.meta.url), { type: "module" });
  try {
    const reply = new Promise((resolve, reject) => {
      worker.onmessage = (event) => resolve(event.data);
      worker.onerror = (event) => {
        event.preventDefault();
        reject(new Error(`raw worker failed: ${event.message}`));
      };
    });
    worker.postMessage({ lock: lock.handle, queue: queue.handle });
    await sleep(100);
    out.rawEmptyWhileHeld = queue.empty();
    lock.release();
    out.rawItem = await queue.get({ timeout: WAIT_MS });
    out.rawReply = await bounded(reply, WAIT_MS, "the raw worker's reply");
  } finally {
    worker.terminate();
  }
  out.lockedAtEnd = lock.locked;

  // A ThreadPool whose tasks carry a Lock and a shared Int32Array. The second batch's buffers
  // are registered after the workers started: they learn them from messages on their port,
  // which a browser worker cannot read synchronously.
  const pool = new ThreadPool(module, { size: 2, name: "browser-pool" });
  const batch = async (counter) => {
    const tasks = [1, 2, 3, 4, 5].map((k) =>
      pool.submit([lock, counter, k], { export: "addUnderLock" })
    );
    const results = await bounded(Promise.all(tasks), WAIT_MS, "the pool's tasks");
    return {
      totals: results.map((r) => r.total).sort((a, b) => a - b),
      sameClasses: results.every((r) => r.sameClasses),
      shared: results.every((r) => r.shared),
      counter: counter[0],
    };
  };
  try {
    out.pool = await batch(new Int32Array(new SharedArrayBuffer(8)));
    out.poolLater = await batch(new Int32Array(new SharedArrayBuffer(8)));
  } catch (error) {
    out.pool = { error: describe(error) };
  }
  return out;
}

/** The page served without COOP/COEP: threadkit must say why it cannot work. */
export async function plain() {
  const out = {
    crossOriginIsolated: globalThis.crossOriginIsolated,
    sharedArrayBuffer: typeof SharedArrayBuffer,
  };
  let threadkit;
  try {
    threadkit = await import("./lib/mod.js");
    out.importError = null;
  } catch (error) {
    out.importError = describe(error);
    return out;
  }
  out.lockError = thrown(() => new threadkit.Lock());
  out.queueError = thrown(() => new threadkit.Queue());
  out.eventError = thrown(() => new threadkit.Event());
  out.threadError = thrown(() => new threadkit.Thread(new URL("./thread.js", import.meta.url)));
  return out;
}
