// examples/pool-speedup/primes.ts: plain code, run by main.ts and by the pool's threads
/** How many primes p satisfy from <= p < to (trial division: slow on purpose). */
export function countPrimes(from: number, to: number): number {
  let count = 0;
  for (let n = Math.max(from, 2); n < to; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) {
      if (n % d === 0) {
        prime = false;
        break;
      }
    }
    if (prime) count++;
  }
  return count;
}
