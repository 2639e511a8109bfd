/** Worker of `queue_ab.ts`: opens the queue of one tree and puts or gets n items per message. */
import { parentPort, workerData } from "node:worker_threads";
const { modUrl, handle, role, numbers } = workerData as {
  modUrl: string;
  handle: any;
  role: "put" | "get";
  numbers: boolean;
};
const mod = await import(modUrl);
const queue = numbers
  ? mod.Queue.from(handle, { codec: mod.float64Codec })
  : mod.Queue.from(handle);
let next = 0;
parentPort!.on("message", (n: number) => {
  if (n < 0) return;
  if (role === "put") {
    for (let i = 0; i < n; i++, next++) {
      queue.putSync(numbers ? next : { id: next, kind: "tick", value: next * 0.5 }, {
        timeout: 60000,
      });
    }
  } else {
    for (let i = 0; i < n; i++, next++) {
      const item = queue.getSync({ timeout: 60000 });
      const id = numbers ? item : item.id;
      if (id !== next) throw new Error(`got ${id} expected ${next}`);
    }
  }
  parentPort!.postMessage("done");
});
parentPort!.postMessage("ready");
