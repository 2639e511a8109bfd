/** Worker of `queue_line.ts`: opens the queue with the tree's module and getSync()s `n` items. */
import { parentPort, workerData } from "node:worker_threads";

const M = await import(workerData.mod);
const queue = M.Queue.from(workerData.queue);
parentPort!.on("message", (n: number) => {
  for (let i = 0; i < n; i++) queue.getSync({ timeout: 30_000 });
  parentPort!.postMessage("done");
});
parentPort!.postMessage("ready");
