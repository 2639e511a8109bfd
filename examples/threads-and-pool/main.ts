// examples/threads-and-pool/main.ts: node main.ts (Node 24), bun main.ts,
// deno run --allow-read main.ts
// A Thread runs one call of a module's export; a ThreadPool runs many on reused threads.
import { Lock, Thread, ThreadPool } from "threadkit";

const module = new URL("./work.ts", import.meta.url);
const lock = new Lock(); // shared by every call below: primitives in args arrive live

const thread = new Thread<number>(module, { args: [lock, { n: 21 }] });
thread.start();
const doubled = await thread.join({ timeout: 10_000 }); // the export's return value

await using pool = new ThreadPool(module, { size: 2 }); // closed at the end of the scope
const submitted = await pool.submit<number>([lock, { n: 50 }]);
const squares: number[] = [];
// map calls the export with one item each, like Python's executor.map
for await (const square of pool.map<number, number>([1, 2, 3, 4], { export: "square" })) {
  squares.push(square);
}
console.log(`threads-and-pool: thread ${doubled}, submit ${submitted}, map ${squares.join(" ")}`);
