// examples/pipeline/consumer.ts: each consumer Thread runs this; returns how many words it saw
import type { Queue } from "threadkit";

export default async function consume(lines: Queue<string>): Promise<number> {
  let words = 0;
  for await (const line of lines) { // ends when the queue is shut down and empty
    words += line.split(" ").length;
    lines.taskDone();
  }
  return words;
}
