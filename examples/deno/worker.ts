// examples/deno/worker.ts: started by main.ts as a module Web Worker
/// <reference lib="deno.worker" />
import { Event, type Handle, Queue } from "@threadkit/threadkit";

interface Start {
  ready: Handle;
  squares: Handle;
  count: number;
}

self.onmessage = (message: MessageEvent<Start>) => {
  const { ready, squares, count } = message.data;
  const queue = Queue.from<number>(squares);
  Event.from(ready).set();
  for (let i = 0; i < count; i++) queue.putSync(i * i, { timeout: 10_000 }); // a worker may block
};
