/** Worker of `queue_f64_gap.ts`: one end (put or get) of one variant; n items per message. */
import { parentPort, workerData } from "node:worker_threads";

// Counts the sleeps (an Atomics.wait that did not return "not-equal") and the notifies of this
// worker, split by slot 0 (the Queue's internal lock word) and the others (seq slots); wrapped
// before threadkit loads (futex.ts reads Atomics.wait at each call anyway).
const sleeps = { lock: 0, seq: 0, notify: 0 };
const A = Atomics as any;
const wait = A.wait.bind(Atomics);
const notify = A.notify.bind(Atomics);
A.wait = (i32: Int32Array, index: number, value: number, timeout?: number) => {
  const result = wait(i32, index, value, timeout);
  if (result !== "not-equal") index === 0 ? sleeps.lock++ : sleeps.seq++;
  return result;
};
A.notify = (i32: Int32Array, index: number, count?: number) => {
  sleeps.notify++;
  return notify(i32, index, count);
};
const { variants } = await import("./queue_f64_cases.ts");
const { name, shared, role } = workerData as { name: string; shared: unknown; role: string };
const ends = await (await variants())[name]!.open(shared);
const pause: () => void = (Atomics as any).pause?.bind(Atomics) ?? (() => {});
/** Every poll loop gives up (throws) after this long: a bug fails, never hangs. */
const STALL_MS = 60_000;

function stalled(since: number, what: string): void {
  if (performance.now() - since > STALL_MS) throw new Error(`${name} ${role}: ${what} for 60 s`);
}

let next = 0;
parentPort!.on("message", (n: number) => {
  if (role === "put") {
    for (let i = 0; i < n; i++, next++) {
      if (ends.putSync !== undefined) ends.putSync(next);
      else {
        for (let tries = 1, t0 = 0; !ends.put(next); tries++) {
          pause();
          if ((tries & 0xffff) === 0) t0 === 0 ? (t0 = performance.now()) : stalled(t0, "full");
        }
      }
    }
  } else {
    for (let i = 0; i < n; i++, next++) {
      let got: number;
      if (ends.getSync !== undefined) got = ends.getSync();
      else {
        for (let tries = 1, t0 = 0; !ends.get(); tries++) {
          pause();
          if ((tries & 0xffff) === 0) t0 === 0 ? (t0 = performance.now()) : stalled(t0, "empty");
        }
        got = ends.out;
      }
      if (got !== next) throw new Error(`${name}: got ${got}, expected ${next}`);
    }
  }
  parentPort!.postMessage({ done: true, ...sleeps });
});
parentPort!.postMessage({ ready: true });
