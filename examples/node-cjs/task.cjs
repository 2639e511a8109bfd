// examples/node-cjs/task.cjs: what each Thread of main.cjs runs
// The export is called with the Thread's args; the Event and the Semaphore arrive live.
module.exports = function task(n, go, slots, holding) {
  if (!go.waitSync({ timeout: 10_000 })) throw new Error("Nobody set go within 10 s");
  slots.acquireSync();
  try {
    const now = Atomics.add(holding, 0, 1) + 1;
    if (now > 2) throw new Error(`${now} threads hold a slot of a Semaphore(2)`);
    let square = 0;
    for (let i = 0; i < n; i++) square += n; // the work done while holding a slot
    Atomics.sub(holding, 0, 1);
    return square;
  } finally {
    slots.release();
  }
};
