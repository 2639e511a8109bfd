/**
 * Worker of `queue_pingpong_ab.ts`: one side of an async ping-pong through two float64Codec
 * Queues of the tree `workerData.mod`.
 */
import process from "node:process";
import { parentPort, workerData } from "node:worker_threads";

const M = await import(workerData.mod);
const ping = M.Queue.from(workerData.ping, { codec: M.float64Codec });
const pong = M.Queue.from(workerData.pong, { codec: M.float64Codec });
// AB_SPIN_US: the answering side spins this long before each answer, so that the asking side's
// get parks and is woken (the bench harness's rows on a loaded machine) instead of seeing the
// answer while it spins.
const spinMs = Number(process.env.AB_SPIN_US ?? 0) / 1000;
const spin = () => {
  const end = performance.now() + spinMs;
  while (performance.now() < end);
};
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
      if (spinMs > 0) spin();
      pong.putNowait(i);
    }
  }
  parentPort!.postMessage((performance.now() - t0) * 1000 / n);
});
parentPort!.postMessage("ready");
