// Smoke test of the built package as npm consumers get it, run by the machine's own (older)
// Node: import dist/ (ESM and CJS), share a Lock between two real workers, check the total.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

const { Lock, RLock, Semaphore, Event, NotOwnedError } = await import("../dist/mod.js");
const cjs = createRequire(import.meta.url)("../dist/mod.cjs");
assert.equal(typeof cjs.Lock, "function", "CJS build exports Lock");

const lock = new Lock();
const counter = new SharedArrayBuffer(4);
const iterations = 20_000;
const source = `
  const { workerData, parentPort } = require("node:worker_threads");
  const { Lock } = require(${JSON.stringify(new URL("../dist/mod.cjs", import.meta.url).pathname)});
  const lock = Lock.from(workerData.handle);
  const counter = new Int32Array(workerData.counter);
  for (let i = 0; i < workerData.iterations; i++) {
    lock.acquireSync();
    counter[0] = counter[0] + 1;
    lock.release();
  }
  parentPort.postMessage("done");
`;
const run = () =>
  new Promise((resolve, reject) => {
    const worker = new Worker(source, {
      eval: true,
      workerData: { handle: lock.handle, counter, iterations },
    });
    const timer = setTimeout(() => {
      worker.terminate();
      reject(new Error("worker timed out"));
    }, 30_000);
    worker.once("message", () => {
      clearTimeout(timer);
      resolve();
    });
    worker.once("error", reject);
  });
await Promise.all([run(), run()]);
assert.equal(new Int32Array(counter)[0], 2 * iterations);
assert.equal(lock.locked, false);
assert.throws(() => lock.release(), NotOwnedError);
assert.equal(await lock.acquire({ timeout: 10 }), true);
lock.release();
new RLock();
new Semaphore(2);
new Event();
console.log(`dist smoke on Node ${process.version}: 1 passed, 0 failed`);
