/**
 * Cases of the spin-limit experiment (`bench/spin.ts`): the Lock's own algorithm, with the spin
 * bound as a parameter instead of `SPIN_LIMIT`.
 *
 * The acquire is `Lock.acquireSync` step for step: the fast-path CAS, then `lockSlow(…, spin)`
 * from `src/internal/lock_word.ts` driven by `runSync`; the release is `unlock`/`unlockSlow`.
 * Nothing is copied and src is not edited: `lockSlow` already takes the spin bound, and `Lock`
 * passes `SPIN_LIMIT` to it. Not a `*_bench.ts` file, so the main run does not pick it up.
 *
 * @module
 */

import { runSync } from "../src/internal/futex.ts";
import { adoptRegistry, currentIdent, registryOf } from "../src/internal/ident.ts";
import { lockSlow, unlock, unlockSlow } from "../src/internal/lock_word.ts";
import { StallError } from "./harness/control.ts";
import type { Case, ThreadsCase } from "./harness/types.ts";

/** Spin bounds tried (SPIN_LIMIT in src is one of them). */
export const SPINS = [0, 10, 40, 100, 400, 1000, 4000];
/** Worker counts tried: 2 = one per CPU here, 4 and 8 = oversubscribed. */
export const WORKERS = [2, 4, 8];

/** The acquire of a 2-slot lock word at `i32[0]`, as Lock.acquireSync does it, with `spin`. */
function acquire(i32: Int32Array, me2: number, spin: number, what: string, stallMs: number): void {
  if (Atomics.compareExchange(i32, 0, 0, me2) === 0) return;
  const outcome = runSync(lockSlow(i32, 0, me2, performance.now() + stallMs, spin));
  if (outcome !== true) {
    throw new StallError(`${what}: lock not acquired within ${stallMs / 1000} s`);
  }
}

/** Local work outside the lock: about `units` × a few ns, not optimized away. */
function work(units: number): number {
  let x = 0;
  for (let i = 0; i < units; i++) x = (x * 31 + i) | 0;
  return x;
}

let sink = 0;

/** `workers` threads incrementing under one lock word with the given spin bound. */
function contended(spin: number, workers: number, outside: number): ThreadsCase {
  const counter = new SharedArrayBuffer(4);
  return {
    kind: "threads",
    name: `spin-${spin}.contended-${workers}${outside > 0 ? "-work" : ""}`,
    title: `${workers} workers increment under the lock word, spin ${spin}${
      outside > 0 ? `, ${outside} units of work outside` : ""
    }`,
    role: "subject",
    group: `contended-${workers}${outside > 0 ? "-work" : ""}`,
    unit: "ns/increment",
    workers,
    opsPerIteration: workers,
    minIterations: 64,
    setup() {
      const word = new SharedArrayBuffer(8);
      const input = { word, counter, registry: registryOf() };
      return Array.from({ length: workers }, () => ({ input }));
    },
    body(input, { label, stallMs }) {
      adoptRegistry(input.registry);
      const i32 = new Int32Array(input.word);
      const c = new Int32Array(input.counter);
      const me2 = currentIdent() << 1;
      return (n) => {
        for (let i = 0; i < n; i++) {
          acquire(i32, me2, spin, label, stallMs);
          c[0]!++;
          unlock(i32, 0, me2);
          if (outside > 0) sink += work(outside);
        }
      };
    },
    verify(total) {
      const got = Atomics.load(new Int32Array(counter), 0);
      if (got !== ((total * workers) | 0)) {
        throw new Error(`lost increments: ${got} of ${total * workers}`);
      }
    },
  };
}

/** Two workers passing the turn through two lock words (the Lock ping-pong), spin bound `spin`. */
function handoff(spin: number): ThreadsCase {
  return {
    kind: "threads",
    name: `spin-${spin}.pingpong`,
    title: `Lock-word hand-off ping-pong between two workers, spin ${spin}`,
    role: "subject",
    group: "pingpong",
    unit: "ns/round trip",
    workers: 2,
    setup() {
      const ping = new Int32Array(new SharedArrayBuffer(8));
      const pong = new Int32Array(new SharedArrayBuffer(8));
      // Both held from the start by an ident no worker has.
      ping[0] = pong[0] = 1 << 29;
      const input = { ping: ping.buffer, pong: pong.buffer, registry: registryOf() };
      return [{ input }, { input }];
    },
    body(input, { index, label, stallMs }) {
      adoptRegistry(input.registry);
      const ping = new Int32Array(input.ping);
      const pong = new Int32Array(input.pong);
      const me2 = currentIdent() << 1;
      if (index === 0) {
        return (n) => {
          for (let i = 0; i < n; i++) {
            unlockSlow(ping, 0);
            acquire(pong, me2, spin, label, stallMs);
          }
        };
      }
      return (n) => {
        for (let i = 0; i < n; i++) {
          acquire(ping, me2, spin, label, stallMs);
          unlockSlow(pong, 0);
        }
      };
    },
  };
}

export const cases: Case[] = [
  ...SPINS.map((s) => handoff(s)),
  ...WORKERS.flatMap((w) => SPINS.map((s) => contended(s, w, 0))),
  ...[2, 4].flatMap((w) => SPINS.map((s) => contended(s, w, 200))),
];
