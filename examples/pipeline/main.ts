// examples/pipeline/main.ts: node main.ts (Node 24), bun main.ts, deno run --allow-read main.ts
// Producer/consumer: the main thread puts lines on a bounded Queue; two consumer Threads take
// them, count their words and mark each line done; queue.join() waits until every line is done.
import { Queue, Thread } from "threadkit";

const lines = new Queue<string>(8); // bounded: put() waits while consumers are behind
const consumers = [1, 2].map((n) =>
  new Thread<number>(new URL("./consumer.ts", import.meta.url), {
    name: `consumer-${n}`,
    args: [lines],
  })
);
for (const consumer of consumers) consumer.start();

const text = "the quick brown fox jumps over the lazy dog";
for (let i = 1; i <= 100; i++) await lines.put(text.split(" ").slice(0, 1 + (i % 9)).join(" "));
await lines.join({ timeout: 10_000 }); // every line taken and marked done
lines.shutdown(); // the consumers' loops end once the queue is empty
let words = 0;
for (const consumer of consumers) words += await consumer.join({ timeout: 10_000 });
console.log(`pipeline: 2 consumers counted ${words} words in 100 lines`);
