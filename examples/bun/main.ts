// examples/bun/main.ts: bun main.ts
// Bun runs the Node examples as they are; this one uses Bun's Web Workers, which keep the
// process alive until they are terminated. Two workers count to 100_000 each under one Lock,
// and a Latch tells the main thread when both are done.
import { Latch, Lock } from "threadkit";

const lock = new Lock();
const done = new Latch(2);
const counter = new Int32Array(new SharedArrayBuffer(4)); // guarded by lock
const url = new URL("./worker.ts", import.meta.url);
const workers = [1, 2].map(() => new Worker(url, { type: "module" }));
try {
  for (const worker of workers) {
    worker.postMessage({ lock: lock.handle, done: done.handle, counter });
  }
  if (!await done.wait({ timeout: 10_000 })) throw new Error("The workers did not finish in 10 s");
  console.log(`bun: 2 workers counted to ${counter[0]} under one Lock`);
} finally {
  for (const worker of workers) worker.terminate();
}
