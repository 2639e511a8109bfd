// examples/bun/worker.ts: started by main.ts as a Web Worker
import { type Handle, Latch, Lock } from "threadkit";

interface Start {
  lock: Handle;
  done: Handle;
  counter: Int32Array;
}

self.onmessage = (message: MessageEvent<Start>) => {
  const lock = Lock.from(message.data.lock);
  const counter = message.data.counter;
  for (let i = 0; i < 100_000; i++) {
    using _held = lock.holdSync();
    counter[0] += 1; // a read-modify-write that only the lock makes safe
  }
  Latch.from(message.data.done).countDown();
};
