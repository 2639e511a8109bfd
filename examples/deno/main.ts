// examples/deno/main.ts: deno run --allow-read main.ts (after deno add jsr:@threadkit/threadkit)
// --allow-read lets Deno load the worker's module file.
// A Web Worker says it is ready through an Event and sends squares back through a Queue.
import { Event, Queue } from "@threadkit/threadkit";

const ready = new Event();
const squares = new Queue<number>(4); // at most 4 items waiting: the worker blocks on a full queue
const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
try {
  worker.postMessage({ ready: ready.handle, squares: squares.handle, count: 10 });
  if (!await ready.wait({ timeout: 10_000 })) throw new Error("The worker did not start in 10 s");
  let sum = 0;
  for (let i = 0; i < 10; i++) sum += await squares.get({ timeout: 10_000 });
  console.log(`deno: the worker sent 10 squares, sum ${sum}`);
} finally {
  worker.terminate(); // a Web Worker keeps Deno (and Bun) running until it is terminated
}
