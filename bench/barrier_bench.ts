/**
 * Barrier beside multithreading's Barrier (no target in the issue): 2 and 4 workers meet at a
 * cyclic barrier again and again; the figure is the time per cycle.
 *
 * @module
 */

import { Barrier } from "../mod.ts";
import type { Case, ThreadsCase } from "./harness/types.ts";

function ours(workers: number): ThreadsCase {
  return {
    kind: "threads",
    name: `barrier.cycle-${workers}`,
    title: `${workers} workers meet at a Barrier, cycle after cycle (waitSync)`,
    role: "subject",
    group: `barrier-${workers}`,
    unit: "ns/cycle",
    workers,
    compare: [{ baseline: `peer.mt-barrier.cycle-${workers}` }],
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

export const cases: Case[] = [ours(2), peer(2), ours(4), peer(4)];
