/**
 * What the platform offers without threadkit: message passing and Web Locks.
 *
 * - `platform.postmessage-rt`: two workers joined by a MessageChannel; one sends a small object,
 *   the other sends it back. The round trip every hand-off target is compared with.
 * - `platform.postmessage-oneway`: one worker streams small objects to another as fast as it
 *   can; the throughput a Queue will be compared with.
 * - `platform.web-locks`: `navigator.locks.request(name, fn)`, uncontended, in-thread, where the
 *   runtime has Web Locks.
 *
 * @module
 */

import { StallError } from "./harness/control.ts";
import type { Body, Case } from "./harness/types.ts";

const ASYNC_OPS = 16;

/** A port of either kind (Node's MessagePort or the Web one): the part the bodies use. */
interface Port {
  postMessage(message: unknown): void;
  on?: (type: "message", listener: (data: any) => void) => void;
  addEventListener?: (type: "message", listener: (event: MessageEvent) => void) => void;
  start?: () => void;
}

/**
 * Calls `listener` with the data of every message on `port`, through the fastest form the
 * runtime has: Node's `port.on("message")` (its `onmessage` measured ~10× slower here, ~100 µs
 * per round trip) or the Web `addEventListener` + `start()`.
 */
function listen(port: Port, listener: (data: any) => void): void {
  if (typeof port.on === "function") port.on("message", listener);
  else {
    port.addEventListener!("message", (event) => listener(event.data));
    port.start?.();
  }
}

/** The payload of a message: a small object, as a typical task or event would be. */
function payload(i: number) {
  return { id: i, kind: "tick", value: i * 0.5 };
}

/**
 * Fails a run that has not ended within `stallMs`, with a clear message: one timer per run (a
 * timer per message would cost ~3 µs of a ~10 µs round trip). `arm` receives the resolve of the
 * run and returns nothing; `fail()` gives the reject of whatever the body awaits right now.
 */
function bounded(
  what: string,
  stallMs: number,
  arm: (resolve: () => void, reject: (e: Error) => void) => void,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new StallError(`${what}: the run did not end within ${stallMs / 1000} s`)),
      stallMs,
    );
    arm(() => {
      clearTimeout(timer);
      resolve();
    }, (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

export const cases: Case[] = [
  {
    kind: "threads",
    name: "platform.postmessage-rt",
    title: "postMessage round trip of a small object between two workers (MessageChannel)",
    role: "platform",
    group: "handoff",
    unit: "ns/round trip",
    workers: 2,
    setup() {
      const { port1, port2 } = new MessageChannel();
      return [{ input: port1, transfer: [port1] }, { input: port2, transfer: [port2] }];
    },
    body(port: Port, { index, label, stallMs }): Body {
      if (index === 0) {
        // Send, wait for the echo, n times; the next send happens in the reply's handler.
        let left = 0;
        let done: (() => void) | undefined;
        listen(port, () => {
          if (--left > 0) port.postMessage(payload(left));
          else done?.();
        });
        return (n) =>
          n === 0 ? undefined : bounded(label, stallMs, (resolve) => {
            left = n;
            done = resolve;
            port.postMessage(payload(n));
          });
      }
      // Echo every message; a run ends after n of them.
      let seen = 0;
      let want = 0;
      let done: (() => void) | undefined;
      listen(port, (data) => {
        port.postMessage(data);
        if (++seen === want) done?.();
      });
      return (n) =>
        n === 0 ? undefined : bounded(label, stallMs, (resolve) => {
          seen = 0;
          want = n;
          done = resolve;
        });
    },
  },
  {
    kind: "threads",
    name: "platform.postmessage-oneway",
    title: "postMessage one-way stream of small objects between two workers (MessageChannel)",
    role: "platform",
    group: "throughput",
    unit: "ns/message",
    workers: 2,
    minIterations: 256,
    setup() {
      const { port1, port2 } = new MessageChannel();
      return [{ input: port1, transfer: [port1] }, { input: port2, transfer: [port2] }];
    },
    body(port: Port, { index, label, stallMs }): Body {
      if (index === 0) {
        return (n) => {
          for (let i = 0; i < n; i++) port.postMessage(payload(i));
        };
      }
      let seen = 0;
      let want = 0;
      let sum = 0;
      let done: (() => void) | undefined;
      listen(port, (data) => {
        sum += data.id; // read the object, as a consumer would
        if (++seen === want) done?.();
      });
      return (n) =>
        n === 0 ? undefined : bounded(label, stallMs, (resolve) => {
          seen = 0;
          want = n;
          sum = 0;
          done = resolve;
        });
    },
  },
  {
    kind: "micro",
    name: "platform.web-locks",
    title: "Web Locks navigator.locks.request(name, fn), uncontended",
    role: "platform",
    group: "uncontended-async",
    unit: "ns/op",
    opsPerCall: ASYNC_OPS,
    skip: () =>
      typeof (globalThis as any).navigator?.locks?.request === "function"
        ? undefined
        : "no navigator.locks here",
    setup() {
      const locks = (globalThis as any).navigator.locks;
      const noop = () => {};
      return async () => {
        for (let i = 0; i < ASYNC_OPS; i++) await locks.request("threadkit-bench", noop);
      };
    },
  },
];
