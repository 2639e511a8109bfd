// A module Web Worker that threadkit did not start: it gets handles by postMessage.
import { currentThread, Lock, Queue } from "./lib/mod.js";

self.onmessage = ({ data }) => {
  const lock = Lock.from(data.lock);
  const queue = Queue.from(data.queue);
  const acquired = lock.acquireSync({ timeout: 10_000 }); // the page holds it at first
  queue.putSync({ from: "raw worker", ident: currentThread().ident });
  lock.release();
  self.postMessage({ acquired, ident: currentThread().ident });
};
