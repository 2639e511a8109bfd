// examples/node20/main.mjs: node main.mjs (Node 20.16+; also Node 24, Bun)
// Node 20 has no `using`: every guard and pool here is released in a finally block instead.
// A pool of two threads appends squares to a shared log under a Lock.
import { Lock, ThreadPool } from "threadkit";

const lock = new Lock();
const log = new Int32Array(new SharedArrayBuffer(4 * 11)); // [length, ...entries], guarded by lock
const pool = new ThreadPool(new URL("./work.mjs", import.meta.url), { size: 2 });
try { // `await using pool = ...` where the runtime has it
  const numbers = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const squares = await Promise.all(numbers.map((n) => pool.submit([n, lock, log])));
  const guard = await lock.hold(); // `using guard = await lock.hold()` where the runtime has it
  try {
    const logged = log.subarray(1, 1 + log[0]);
    const sum = logged.reduce((a, b) => a + b, 0);
    console.log(`node20: ${squares.join(" ")}; logged ${logged.length}, sum ${sum}`);
  } finally {
    guard.release();
  }
} finally {
  await pool.close(); // waits for running tasks, then ends the pool's threads
}
