/**
 * Barrier beside multithreading's Barrier (issue 9: no slower than it, B1) and beside the least a
 * sleeping barrier costs (`floor.barrier-cycle-N`: a count word and a generation word, raw
 * atomics, the last arriver bumps the generation and wakes everyone; its bound): 2 and 4 workers
 * meet at a cyclic barrier again and again; the figure is the time per cycle.
 *
 * @module
 */

import { Barrier } from "../mod.ts";
import { waitWhile } from "./harness/control.ts";
import type { Case, ThreadsCase } from "./harness/types.ts";

/** Issue 9: a Barrier cycle no slower than multithreading's. */
const B1 = { id: "B1", max: 1, text: "≤ 1× multithreading's Barrier cycle" };

function ours(workers: number): ThreadsCase {
  return {
    kind: "threads",
    name: `barrier.cycle-${workers}`,
    title: `${workers} workers meet at a Barrier, cycle after cycle (waitSync)`,
    role: "subject",
    group: `barrier-${workers}`,
    unit: "ns/cycle",
    workers,
    compare: [
      { baseline: `peer.mt-barrier.cycle-${workers}`, target: B1 },
      { baseline: `floor.barrier-cycle-${workers}`, tag: "B1" },
    ],
    setup() {
      const input = new Barrier(workers).handle;
      return Array.from({ length: workers }, () => ({ input }));
    },
    body(input, { stallMs }) {
      const barrier = Barrier.from(input);
      // A timeout breaks the barrier: every worker then throws BrokenBarrierError.
      const bounded = { timeout: stallMs };
      return (n) => {
        for (let i = 0; i < n; i++) barrier.waitSync(bounded);
      };
    },
  };
}

function peer(workers: number): ThreadsCase {
  return {
    kind: "threads",
    name: `peer.mt-barrier.cycle-${workers}`,
    title: `${workers} workers meet at a multithreading Barrier, cycle after cycle (blockingWait)`,
    role: "peer",
    group: `barrier-${workers}`,
    unit: "ns/cycle",
    workers,
    compare: [{ baseline: `floor.barrier-cycle-${workers}`, tag: "B1" }],
    setup() {
      // multithreading's Barrier state, as its constructor writes it: lock 0 (free),
      // capacity n, count n (counts down), generation 0. Made here so that this thread need not
      // import multithreading (on Deno it patches Atomics.waitAsync).
      const state = new Int32Array(new SharedArrayBuffer(16));
      state.set([0, workers, workers, 0]);
      return Array.from({ length: workers }, () => ({ input: state.buffer }));
    },
    async body(input: SharedArrayBuffer) {
      const mt = await import("multithreading");
      const barrier = new mt.Barrier(workers, input);
      return (n) => {
        for (let i = 0; i < n; i++) barrier.blockingWait();
      };
    },
  };
}

/** Slots of the floor's state: arrivals this cycle, and the generation the waiters sleep on. */
const COUNT = 0;
const GENERATION = 1;

/**
 * The floor: the least a barrier whose waiters sleep costs, with no reset, breaking, action,
 * timeout bookkeeping or spinning. Each arriver reads the generation, then counts itself; the
 * last one (the count reaches `workers`) zeroes the count, bumps the generation and wakes every
 * sleeper; the others sleep until the generation moves. Zeroing the count before the bump is
 * safe: nobody arrives for the next cycle before the generation has moved.
 */
function floor(workers: number): ThreadsCase {
  return {
    kind: "threads",
    name: `floor.barrier-cycle-${workers}`,
    title:
      `${workers} workers meet at a raw generation-word barrier (Atomics.add, wait, notify all)`,
    role: "floor",
    group: `barrier-${workers}`,
    unit: "ns/cycle",
    workers,
    setup() {
      const input = new SharedArrayBuffer(8);
      return Array.from({ length: workers }, () => ({ input }));
    },
    body(input: SharedArrayBuffer, { stallMs }) {
      const i32 = new Int32Array(input);
      return (n) => {
        for (let i = 0; i < n; i++) {
          const generation = Atomics.load(i32, GENERATION);
          if (Atomics.add(i32, COUNT, 1) === workers - 1) {
            Atomics.store(i32, COUNT, 0);
            Atomics.add(i32, GENERATION, 1);
            Atomics.notify(i32, GENERATION);
          } else {
            waitWhile(i32, GENERATION, generation, "floor.barrier-cycle", stallMs);
          }
        }
      };
    },
  };
}

export const cases: Case[] = [ours(2), peer(2), floor(2), ours(4), peer(4), floor(4)];
