// examples/node20/work.mjs: what the pool's threads run; the Lock arrives live
export default function square(n, lock, log) {
  const guard = lock.holdSync(); // `using guard = lock.holdSync()` where the runtime has it
  try {
    const length = log[0];
    log[1 + length] = n * n; // two writes that only the lock keeps together
    log[0] = length + 1;
  } finally {
    guard.release();
  }
  return n * n;
}
