// examples/node-esm/worker.ts: started by main.ts
import { workerData } from "node:worker_threads";
import { Lock, Queue } from "threadkit";

const lock = Lock.from(workerData.lock);
const jobs = Queue.from<{ id: number }>(workerData.jobs);
const total: Float64Array = workerData.total;
for await (const job of jobs) {
  using _held = lock.holdSync(); // released at the end of each iteration
  total[0] += job.id; // a read-modify-write that only the lock makes safe
}
