// examples/pool-speedup/main.ts: node main.ts (Node 24), bun main.ts, deno run --allow-read main.ts
// CPU-bound work split over a ThreadPool: count the primes below 1_000_000 on this thread, then
// on one pool thread per core, and compare the times (same run, same machine).
import { ThreadPool } from "threadkit";
import { countPrimes } from "./primes.ts";

const LIMIT = 1_000_000;
const CHUNKS = 24;
const ranges = Array.from({ length: CHUNKS }, (_, i): [number, number] => [
  Math.floor((LIMIT * i) / CHUNKS),
  Math.floor((LIMIT * (i + 1)) / CHUNKS),
]);
const sum = (counts: number[]) => counts.reduce((a, b) => a + b, 0);

let start = performance.now();
const serial = sum(ranges.map(([from, to]) => countPrimes(from, to)));
const serialMs = performance.now() - start;

const size = navigator.hardwareConcurrency;
await using pool = new ThreadPool(new URL("./primes.ts", import.meta.url), { size });
// Start every thread before timing: the pool starts threads as tasks need them.
await Promise.all(
  Array.from({ length: size }, () => pool.submit([0, 10], { export: "countPrimes" })),
);
start = performance.now();
const counts = await Promise.all(
  ranges.map((range) => pool.submit<number>(range, { export: "countPrimes" })),
);
const parallel = sum(counts);
const pooledMs = performance.now() - start;

console.log(
  `pool-speedup: ${serial} and ${parallel} primes below ${LIMIT}; 1 thread ${
    serialMs.toFixed(0)
  } ms, ` +
    `pool of ${size} ${pooledMs.toFixed(0)} ms (${(serialMs / pooledMs).toFixed(2)}x)`,
);
