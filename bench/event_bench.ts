/**
 * Event beside the hand-off floor.
 *
 * - P2, hand-off: two workers alternate through two Events (set one, wait for the other, clear
 *   it) ≤ 1.3× the raw wait/notify floor and ≥ 5× faster than a postMessage round trip.
 *
 * @module
 */

import { Event } from "../mod.ts";
import { must } from "./harness/control.ts";
import type { Case } from "./harness/types.ts";
import { HANDOFF_TARGETS } from "./lock_bench.ts";

export const cases: Case[] = [
  {
    kind: "threads",
    name: "event.pingpong",
    title: "Event hand-off ping-pong between two workers (waitSync)",
    role: "subject",
    group: "handoff",
    unit: "ns/round trip",
    workers: 2,
    compare: HANDOFF_TARGETS,
    setup() {
      const input = { ping: new Event().handle, pong: new Event().handle };
      return [{ input }, { input }];
    },
    body(input, { index, label, stallMs }) {
      const ping = Event.from(input.ping);
      const pong = Event.from(input.pong);
      const bounded = { timeout: stallMs };
      // Each side clears the event it waited for before it sets the other's, so a set is never
      // seen twice.
      if (index === 0) {
        return (n) => {
          for (let i = 0; i < n; i++) {
            ping.set();
            must(pong.waitSync(bounded), label, stallMs);
            pong.clear();
          }
        };
      }
      return (n) => {
        for (let i = 0; i < n; i++) {
          must(ping.waitSync(bounded), label, stallMs);
          ping.clear();
          pong.set();
        }
      };
    },
  },
];
