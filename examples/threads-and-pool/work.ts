// examples/threads-and-pool/work.ts: the default export runs in the thread
import type { Lock } from "threadkit";

export default function double(lock: Lock, { n }: { n: number }): number {
  using _held = lock.holdSync(); // released when the function returns
  return n * 2;
}

export const square = (n: number): number => n * n;
