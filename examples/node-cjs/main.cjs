// examples/node-cjs/main.cjs: node main.cjs (Node 20.16+ or 24), bun main.cjs
// CommonJS: require("threadkit"), no top-level await, try/finally where ESM code has `using`.
// Four Threads wait for one Event, then at most two at a time hold a Semaphore's slot.
const { join } = require("node:path");
const { pathToFileURL } = require("node:url");
const { Event, Semaphore, Thread } = require("threadkit");

async function main() {
  const go = new Event();
  const slots = new Semaphore(2);
  const holding = new Int32Array(new SharedArrayBuffer(4)); // threads holding a slot now
  const task = pathToFileURL(join(__dirname, "task.cjs"));
  const threads = [1, 2, 3, 4].map((n) =>
    new Thread(task, { name: `task-${n}`, args: [n, go, slots, holding] })
  );
  for (const thread of threads) thread.start();
  go.set(); // every thread waiting on go wakes up
  const results = [];
  for (const thread of threads) results.push(await thread.join({ timeout: 30_000 }));
  console.log(`node-cjs: 4 threads, 2 slots, returned ${results.join(" ")}`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
