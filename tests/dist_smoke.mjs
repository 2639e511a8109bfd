// Smoke test of the built package as npm consumers get it, run by the machine's own (older)
// Node (`npm run test:dist`): dist/ through ESM and CJS, primitives shared by raw workers, and
// Threads started from both builds on dist/bootstrap.js. Thread modules live in a temp dir whose
// node_modules/threadkit links to this package, so `import "threadkit"` / `require("threadkit")`
// go through package.json's `exports` as they do for a consumer.
import assert from "node:assert/strict";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";

/** Every wait below gives up after this long, so a bug fails instead of hanging. */
const WAIT_MS = 30_000;
// The whole run, whatever hangs.
setTimeout(() => {
  console.error(`dist smoke: still running after ${3 * WAIT_MS} ms, giving up`);
  process.exit(1);
}, 3 * WAIT_MS).unref();

const root = fileURLToPath(new URL("..", import.meta.url));
const esm = await import("../dist/mod.js");
const require = createRequire(import.meta.url);
const cjs = require("../dist/mod.cjs");

const dir = mkdtempSync(join(tmpdir(), "threadkit-dist-"));
mkdirSync(join(dir, "node_modules"));
symlinkSync(root, join(dir, "node_modules", "threadkit"), "dir");
/** Writes a module into the temp dir; returns its URL. */
function file(name, source) {
  const path = join(dir, name);
  writeFileSync(path, source);
  return pathToFileURL(path);
}

/** Runs a raw worker to its first message, within WAIT_MS. */
function runWorker(url, workerData) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(url, { workerData });
    const timer = setTimeout(() => {
      worker.terminate();
      reject(new Error(`worker ${url} timed out`));
    }, WAIT_MS);
    worker.once("message", (message) => {
      clearTimeout(timer);
      resolve(message);
    });
    worker.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    worker.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`worker ${url} exited with code ${code} before reporting`));
    });
  });
}

const tests = [];
const test = (name, fn) => tests.push({ name, fn });

test("ESM and CJS builds export the same API", () => {
  const names = Object.keys(esm).sort();
  assert.deepEqual(Object.keys(cjs).sort(), names);
  for (
    const name of [
      "Lock",
      "RLock",
      "Semaphore",
      "BoundedSemaphore",
      "Event",
      "Condition",
      "Barrier",
      "Queue",
      "LifoQueue",
      "PriorityQueue",
      "RWLock",
      "Latch",
      "Once",
      "Thread",
      "Timer",
      "currentThread",
      "NotOwnedError",
      "TimeoutError",
    ]
  ) {
    assert.equal(typeof esm[name], "function", `ESM build exports ${name}`);
    assert.equal(typeof cjs[name], "function", `CJS build exports ${name}`);
  }
  const lock = new cjs.Lock();
  assert.equal(lock.tryAcquire(), true);
  assert.throws(() => new esm.Lock().release(), esm.NotOwnedError);
  // A handle made by one build opens in the other.
  const other = esm.Lock.from(lock.handle);
  assert.equal(other.locked, true);
  other.release();
  assert.equal(lock.locked, false);
});

test("a worker starts on one bootstrap file: dist/bootstrap.js imports no module statically", () => {
  // Issue 9 (P6): each module a fresh worker loads costs its start-up (most on Bun); the bootstrap
  // is bundled alone (tsup.config.ts) and loads bootstrap_shared.js only on demand, by a URL it
  // computes (a literal import() would be loaded with it on Bun).
  const source = readFileSync(join(root, "dist", "bootstrap.js"), "utf8");
  assert.doesNotMatch(source, /^\s*(import|export)\b[^(]*\bfrom\s*["']/m);
  assert.doesNotMatch(source, /\bimport\(\s*["'`]/);
  assert.ok(existsSync(join(root, "dist", "bootstrap_shared.js")));
});

test("a Lock shared by two raw workers (CJS)", async () => {
  const lock = new esm.Lock();
  const counter = new SharedArrayBuffer(4);
  const iterations = 20_000;
  const url = file(
    "lock_worker.cjs",
    `
    const { workerData, parentPort } = require("node:worker_threads");
    const { Lock } = require("threadkit");
    const lock = Lock.from(workerData.handle);
    const counter = new Int32Array(workerData.counter);
    for (let i = 0; i < workerData.iterations; i++) {
      lock.acquireSync();
      counter[0] = counter[0] + 1;
      lock.release();
    }
    parentPort.postMessage("done");
  `,
  );
  const data = { handle: lock.handle, counter, iterations };
  await Promise.all([runWorker(url, data), runWorker(url, data)]);
  assert.equal(new Int32Array(counter)[0], 2 * iterations);
  assert.equal(lock.locked, false);
  assert.throws(() => lock.release(), esm.NotOwnedError);
  assert.equal(await lock.acquire({ timeout: 10 }), true);
  lock.release();
});

test("a Queue between two raw workers (ESM producer, CJS consumer)", async () => {
  const queue = new esm.Queue(4); // small: both sides block
  const count = 2_000;
  const producer = file(
    "queue_producer.mjs",
    `
    import { parentPort, workerData } from "node:worker_threads";
    import { Queue } from "threadkit";
    const queue = Queue.from(workerData.handle);
    for (let i = 0; i < workerData.count; i++) {
      queue.putSync({ i, text: "item " + i, big: BigInt(i) * 3n, tags: new Set([i % 3]) });
    }
    queue.putSync(null);
    parentPort.postMessage("produced");
  `,
  );
  const consumer = file(
    "queue_consumer.cjs",
    `
    const { parentPort, workerData } = require("node:worker_threads");
    const { Queue } = require("threadkit");
    const queue = Queue.from(workerData.handle);
    let n = 0, sum = 0n, ordered = true, shapes = true;
    for (;;) {
      const item = queue.getSync({ timeout: 20000 });
      if (item === null) break;
      if (item.i !== n) ordered = false;
      if (item.text !== "item " + item.i || !(item.tags instanceof Set) || !item.tags.has(item.i % 3)) {
        shapes = false;
      }
      sum += item.big;
      n++;
    }
    parentPort.postMessage({ n, sum, ordered, shapes });
  `,
  );
  const [, got] = await Promise.all([
    runWorker(producer, { handle: queue.handle, count }),
    runWorker(consumer, { handle: queue.handle }),
  ]);
  assert.deepEqual(got, {
    n: count,
    sum: 3n * BigInt((count * (count - 1)) / 2),
    ordered: true,
    shapes: true,
  });
  assert.equal(queue.empty(), true);
});

test("a Thread from the ESM build runs a plain .mjs module with a Lock and a Queue", async () => {
  const url = file(
    "thread_esm.mjs",
    `
    import { currentThread, Lock, Queue } from "threadkit";
    export default function run(lock, queue, numbers) {
      // One copy of threadkit in this worker: the bootstrap's revived arguments are instances
      // of the classes this module imports, and identity is the bootstrap's.
      // Not only instanceof (which brands make true across copies): the very same classes, so
      // the bootstrap's one-file bundle revived them through the chunks this import loaded.
      const sameClasses = lock instanceof Lock && queue instanceof Queue &&
        Object.getPrototypeOf(lock) === Lock.prototype &&
        Object.getPrototypeOf(queue) === Queue.prototype;
      lock.acquireSync({ timeout: 20000 }); // the parent holds it until the first item arrives
      queue.putSync("waiting");
      const me = currentThread();
      lock.release();
      return { sum: numbers.reduce((a, b) => a + b, 0), sameClasses, me, at: new Date(0) };
    }
  `,
  );
  const lock = new esm.Lock();
  const queue = new esm.Queue();
  await lock.acquire();
  const thread = new esm.Thread(url, { args: [lock, queue, [1, 2, 3, 4]], name: "esm-thread" });
  thread.start();
  // The thread blocks on the lock; the parent waits without blocking, then lets it go.
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(queue.empty(), true);
  lock.release();
  assert.equal(await queue.get({ timeout: WAIT_MS }), "waiting");
  const result = await thread.join({ timeout: WAIT_MS });
  assert.equal(result.sum, 10);
  assert.equal(result.sameClasses, true);
  assert.deepEqual(result.me, { name: "esm-thread", ident: thread.ident, isMain: false });
  assert.ok(result.at instanceof Date);
  assert.equal(thread.isAlive(), false);
  assert.equal(lock.locked, false);
  assert.notEqual(esm.currentThread().ident, thread.ident);
});

test("a Thread's error reaches join() with its class and message", async () => {
  const url = file(
    "thread_throws.mjs",
    `export default function () { throw new RangeError("out of range in the thread"); }`,
  );
  const thread = new esm.Thread(url);
  thread.start();
  await assert.rejects(thread.join({ timeout: WAIT_MS }), (error) => {
    assert.ok(error instanceof RangeError);
    assert.equal(error.message, "out of range in the thread");
    return true;
  });
});

test("a Thread from the CJS build runs a .cjs module that requires threadkit", async () => {
  // The bootstrap (ESM) and the module's require("threadkit") (dist/mod.cjs) are two copies of
  // threadkit in one worker: they must agree on who this thread is.
  const url = file(
    "thread_cjs.cjs",
    `
    const { currentThread, Lock } = require("threadkit");
    module.exports = function run(lock, word) {
      // The revived Lock comes from the bootstrap's copy; its handle opens in this one.
      const mine = Lock.from(lock.handle);
      if (!lock.acquireSync({ timeout: 20000 })) throw new Error("no lock");
      const seen = mine.locked;
      mine.release();
      return { me: currentThread(), word: word.toUpperCase(), seen };
    };
  `,
  );
  const lock = new cjs.Lock();
  const thread = new cjs.Thread(url, { args: [lock, "shared"], name: "cjs-thread" });
  thread.start();
  const result = await thread.join({ timeout: WAIT_MS });
  assert.deepEqual(result, {
    me: { name: "cjs-thread", ident: thread.ident, isMain: false },
    word: "SHARED",
    seen: true,
  });
  assert.equal(cjs.currentThread().isMain, true);
});

test("dual-package hazard: a CJS thread module's instanceof holds for the ESM copy's objects", async () => {
  // Issue 10 item 2: the revived args and the errors of the bootstrap's ESM copy met the CJS
  // copy's classes, so `e instanceof QueueShutDownError` was false and the loop rethrew.
  const url = file(
    "thread_brand.cjs",
    `
    const tk = require("threadkit");
    module.exports = function run(lock, queue) {
      const seen = {
        lock: lock instanceof tk.Lock,
        notRLock: !(lock instanceof tk.RLock),
        queue: queue instanceof tk.Queue,
      };
      try { queue.getSync({ timeout: 0 }); } catch (e) { seen.empty = e instanceof tk.QueueEmptyError; }
      queue.shutdown();
      for (;;) {
        try { queue.getSync({ timeout: 1000 }); }
        catch (e) { if (e instanceof tk.QueueShutDownError) { seen.shutDown = true; break; } throw e; }
      }
      class Mine extends tk.Lock {}
      seen.subclass = new Mine() instanceof tk.Lock && !(lock instanceof Mine);
      return seen;
    };
  `,
  );
  const thread = new cjs.Thread(url, { args: [new cjs.Lock(), new cjs.Queue()] });
  thread.start();
  assert.deepEqual(await thread.join({ timeout: WAIT_MS }), {
    lock: true,
    notRLock: true,
    queue: true,
    empty: true,
    shutDown: true,
    subclass: true,
  });
  // In one thread, both ways, every exported class.
  for (const [name, value] of Object.entries(esm)) {
    if (typeof value !== "function" || !/^[A-Z]/.test(name)) continue;
    const made = Object.create(value.prototype);
    assert.equal(made instanceof cjs[name], true, `ESM ${name} instanceof CJS ${name}`);
    assert.equal(Object.create(cjs[name].prototype) instanceof value, true, name);
  }
  assert.equal(new esm.TimeoutError("x") instanceof cjs.TimeoutError, true);
  assert.equal(new cjs.Lock() instanceof esm.RLock, false);
});

test("a thread's non-daemon child outlives its parent's export (two copies in the worker)", async () => {
  const child = file(
    "thread_child.mjs",
    `
    export default async function child(event) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      event.set();
    }
  `,
  );
  const parent = file(
    "thread_parent.cjs",
    `
    const { Thread } = require("threadkit");
    module.exports = function parent(event, childUrl) {
      new Thread(new URL(childUrl), { args: [event] }).start(); // not joined, not daemon
      return "parent done";
    };
  `,
  );
  const event = new esm.Event();
  const thread = new esm.Thread(parent, { args: [event, child.href] });
  thread.start();
  assert.equal(await thread.join({ timeout: WAIT_MS }), "parent done");
  assert.equal(await event.wait({ timeout: WAIT_MS }), true, "the child ran to its end");
});

test("threadkit/redis loads from dist (ESM and CJS) and shares the core's error classes", async () => {
  const esmRedis = await import("../dist/redis.js");
  const cjsRedis = require("../dist/redis.cjs");
  const names = [
    "Lock",
    "RLock",
    "Semaphore",
    "BoundedSemaphore",
    "Event",
    "Latch",
    "Barrier",
    "RWLock",
    "Queue",
  ];
  for (const name of names) {
    assert.equal(typeof esmRedis[name], "function", `ESM ${name}`);
    assert.equal(typeof cjsRedis[name], "function", `CJS ${name}`);
  }
  assert.deepEqual(Object.keys(cjsRedis).sort(), Object.keys(esmRedis).sort());
  // One copy of the core per format: errors thrown by the subpath are the core's classes.
  assert.equal(esmRedis.OwnerDiedError, esm.OwnerDiedError);
  assert.equal(cjsRedis.NotOwnedError, cjs.NotOwnedError);
  assert.throws(() => new esmRedis.Lock({}, "x"), TypeError);
  assert.throws(() => new cjsRedis.Queue(undefined, "x"), TypeError);
  // The main entry never loads the subpath: none of its code is in mod.cjs, mod.js or the
  // chunks mod.js imports.
  const { readFileSync } = await import("node:fs");
  const distFile = (name) => readFileSync(new URL(`../dist/${name}`, import.meta.url), "utf8");
  const modJs = distFile("mod.js");
  const chunks = [
    ...modJs.matchAll(/from "\.\/(chunk-[\w-]+\.js)"|import "\.\/(chunk-[\w-]+\.js)"/g),
  ]
    .map((m) => m[1] ?? m[2]);
  for (const source of [distFile("mod.cjs"), modJs, ...chunks.map(distFile)]) {
    assert.equal(source.includes("THREADKIT_WRONGKIND"), false, "the core bundles no Redis code");
  }
});

test("threadkit/redis from dist: a Lock against a real redis-server, if installed", async () => {
  const { existsSync } = await import("node:fs");
  const server = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].find((p) =>
    existsSync(p)
  );
  if (server === undefined) {
    if (process.env.CI !== undefined) {
      throw new Error("redis-server is not installed (apt-get install redis-server)");
    }
    console.log("# skipped: redis-server not installed (apt-get install redis-server)");
    return;
  }
  const { spawn } = await import("node:child_process");
  const { createServer } = await import("node:net");
  const port = await new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
  const child = spawn(server, [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    "no",
  ], { stdio: "ignore" });
  const { createClient } = require("redis");
  try {
    let client;
    for (let i = 0;; i++) {
      try {
        client = await createClient({
          url: `redis://127.0.0.1:${port}`,
          socket: { reconnectStrategy: false },
        }).on("error", () => {}).connect();
        break;
      } catch (error) {
        if (i > 100) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    for (const build of [await import("../dist/redis.js"), require("../dist/redis.cjs")]) {
      const lock = new build.Lock(client, "dist-smoke");
      assert.equal(await lock.tryAcquire(), true);
      assert.equal(typeof lock.fence, "number");
      await lock.release();
      const q = new build.Queue(client, "dist-smoke-q");
      await q.put(new Map([[1n, new Date(7)]]));
      const m = await q.get();
      assert.equal(m.get(1n).getTime(), 7);
      await q.taskDone();
    }
    await client.close();
  } finally {
    process.kill(child.pid, "SIGKILL");
  }
});

let passed = 0;
let failed = 0;
try {
  for (const { name, fn } of tests) {
    try {
      await fn();
      passed++;
      console.log(`ok - ${name}`);
    } catch (error) {
      failed++;
      console.log(`not ok - ${name}`);
      console.log(error);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const host = globalThis.Deno
  ? `Deno ${globalThis.Deno.version.deno}`
  : globalThis.Bun
  ? `Bun ${globalThis.Bun.version}`
  : `Node ${process.version}`;
console.log(`dist smoke test of the npm build on ${host}`);
console.log(`dist-smoke: ${passed} passed, ${failed} failed`);
if (failed > 0) process.exitCode = 1;
