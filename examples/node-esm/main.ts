// examples/node-esm/main.ts: node main.ts (Node 24; package.json says "type": "module"), bun main.ts
// Two worker_threads take jobs from a shared Queue and add them to a shared total under a Lock.
import { once } from "node:events";
import { Worker } from "node:worker_threads";
import { Lock, Queue } from "threadkit";

const lock = new Lock();
const jobs = new Queue<{ id: number }>(100);
const total = new Float64Array(new SharedArrayBuffer(8)); // guarded by lock
const workerData = { lock: lock.handle, jobs: jobs.handle, total };
const workers = [1, 2].map(() =>
  new Worker(new URL("./worker.ts", import.meta.url), { workerData })
);

for (let id = 1; id <= 1000; id++) await jobs.put({ id });
jobs.shutdown(); // the workers drain what is left, then their loops end and they exit
await Promise.all(workers.map((worker) => once(worker, "exit")));
console.log(`node-esm: 2 workers added 1..1000 = ${total[0]}`);
