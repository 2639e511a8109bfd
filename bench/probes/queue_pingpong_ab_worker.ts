/**
 * Worker of `queue_pingpong_ab.ts`: one side of an async ping-pong through two float64Codec
 * Queues of the tree `workerData.mod`.
 */
import { parentPort, workerData } from "node:worker_threads";

const M = await import(workerData.mod);
const ping = M.Queue.from(workerData.ping, { codec: M.float64Codec });
const pong = M.Queue.from(workerData.pong, { codec: M.float64Codec });
parentPort!.on("message", async (n: number) => {
  const t0 = performance.now();
  if (workerData.first) {
    for (let i = 0; i < n; i++) {
      ping.putNowait(i);
      await pong.get({ timeout: 30_000 });
    }
  } else {
    for (let i = 0; i < n; i++) {
      await ping.get({ timeout: 30_000 });
      pong.putNowait(i);
    }
  }
  parentPort!.postMessage((performance.now() - t0) * 1000 / n);
});
parentPort!.postMessage("ready");
