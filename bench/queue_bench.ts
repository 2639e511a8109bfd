/**
 * Queue throughput (P4): one worker puts, another gets; and four put while four get.
 *
 * - `queue.oneway`: small objects through a `Queue` (structured codec), beside a postMessage
 *   stream of the same objects. P4: at least 3× postMessage's throughput (ratio ≤ 0.33).
 * - `queue.oneway-f64`: numbers through a `Queue` with `float64Codec`, beside ringbuf.js. P4: at
 *   least ringbuf.js's throughput (ratio ≤ 1).
 * - `queue.mpmc-4x4`: 4 producer workers and 4 consumer workers share one `Queue` of small
 *   objects; the figure is wall time per item (all 4 producers' items). M1 (issue 9): at most
 *   1.5× `queue.oneway`'s time per item. Each consumer checks that every producer's items reach it in
 *   the order that producer put them.
 * - `peer.ringbuf-spsc`: ringbuf.js, wait-free SPSC ring of Int32 (capacity 1024): one worker
 *   pushes n numbers one at a time, the other pops them one at a time. ringbuf.js never blocks,
 *   so both sides poll (with `Atomics.pause`), bounded by the stall deadline.
 *
 * multithreading's `channel()` is not here: its Sender/Receiver reach a worker only through its
 * own `spawn` and private serialization, not through a handle our harness can pass.
 *
 * @module
 */

import { float64Codec, Queue } from "../mod.ts";
import { StallError } from "./harness/control.ts";
import type { Case, Target, ThreadsCase } from "./harness/types.ts";

const CAPACITY = 1024;
/** Producers and consumers of `queue.mpmc-4x4`. */
const SIDE = 4;

/** P4, small objects: at least 3× the throughput of a postMessage stream. */
const P4_POSTMESSAGE: Target = { id: "P4", max: 0.33, text: "≥ 3× postMessage throughput" };
/** P4, numbers: at least the throughput of ringbuf.js. */
const P4_RINGBUF: Target = { id: "P4", max: 1, text: "≥ ringbuf.js throughput" };
/** Issue 9: 4 → 4 workers through one Queue cost at most 1.5× one → one. */
const M1: Target = { id: "M1", max: 1.5, text: "≤ 1.5× one → one (`queue.oneway`)" };
const pause: () => void = (Atomics as any).pause?.bind(Atomics) ?? (() => {});

/**
 * A polling loop for the rings that never block (ringbuf.js and the floors): calls `attempt`
 * until it moves an item (`Atomics.pause` between tries), and throws a `StallError` when none
 * moved for `stallMs` (the clock is read every 4096 tries).
 */
function poller(label: string, stallMs: number): (attempt: () => boolean, what: string) => void {
  return (attempt, what) => {
    let deadline = 0;
    for (let tries = 1; !attempt(); tries++) {
      pause();
      if ((tries & 4095) === 0) {
        const now = performance.now();
        if (deadline === 0) deadline = now + stallMs;
        else if (now > deadline) throw new StallError(`${label}: ${what} for ${stallMs / 1000} s`);
      }
    }
  };
}

/** One worker puts n items into a Queue, another gets them and checks their order. */
function queueOneWay(kind: "objects" | "numbers"): ThreadsCase {
  const numbers = kind === "numbers";
  return {
    kind: "threads",
    name: numbers ? "queue.oneway-f64" : "queue.oneway",
    title: numbers
      ? "Queue (float64Codec) 1→1: one worker putSync()s numbers, another getSync()s them"
      : "Queue 1→1: one worker putSync()s small objects, another getSync()s them",
    role: "subject",
    group: "throughput",
    unit: "ns/item",
    workers: 2,
    minIterations: 256,
    compare: numbers
      ? [
        { baseline: "peer.ringbuf-spsc", target: P4_RINGBUF },
        { baseline: "platform.postmessage-oneway", tag: "P4" },
        { baseline: "floor.locked-ring-f64", tag: "P4" },
      ]
      : [
        { baseline: "platform.postmessage-oneway", target: P4_POSTMESSAGE },
        { baseline: "floor.locked-ring-objects", tag: "P4" },
      ],
    setup() {
      const input = (numbers ? new Queue<number>(0, { codec: float64Codec }) : new Queue()).handle;
      return [{ input }, { input }];
    },
    body(input, { index, label, stallMs }) {
      const queue = numbers
        ? Queue.from<number>(input, { codec: float64Codec })
        : Queue.from<any>(input);
      // A getSync/putSync that times out throws, which fails the case with its message.
      const bounded = { timeout: stallMs };
      let next = 0;
      if (index === 0) {
        return (n) => {
          for (let i = 0; i < n; i++, next++) {
            queue.putSync(numbers ? next : { id: next, kind: "tick", value: next * 0.5 }, bounded);
          }
        };
      }
      return (n) => {
        for (let i = 0; i < n; i++, next++) {
          const item = queue.getSync(bounded);
          const id = numbers ? item : (item as { id: number }).id;
          if (id !== next) throw new Error(`${label}: got item ${id}, expected ${next}`);
        }
      };
    },
  };
}

/** 4 workers putSync() small objects into one Queue while 4 others getSync() them. */
const mpmc: ThreadsCase = {
  kind: "threads",
  name: "queue.mpmc-4x4",
  title:
    `Queue ${SIDE}→${SIDE}: ${SIDE} workers putSync() small objects, ${SIDE} others getSync() them`,
  role: "subject",
  group: "throughput",
  unit: "ns/item",
  workers: 2 * SIDE,
  // Every worker does n iterations: the producers put SIDE × n items, the consumers get them.
  opsPerIteration: SIDE,
  minIterations: 256,
  compare: [{ baseline: "queue.oneway", target: M1 }],
  setup() {
    const input = new Queue().handle;
    return Array.from({ length: 2 * SIDE }, () => ({ input }));
  },
  body(input, { index, label, stallMs }) {
    const queue = Queue.from<{ id: number; kind: string; value: number }>(input);
    const bounded = { timeout: stallMs };
    if (index < SIDE) {
      const producer = index;
      let next = 0;
      return (n) => {
        for (let i = 0; i < n; i++, next++) {
          queue.putSync({ id: next, kind: "tick", value: producer }, bounded);
        }
      };
    }
    const last = new Array<number>(SIDE).fill(-1);
    return (n) => {
      for (let i = 0; i < n; i++) {
        const item = queue.getSync(bounded);
        if (!(item.id > last[item.value]!)) {
          throw new Error(
            `${label}: got item ${item.id} of producer ${item.value} after ${last[item.value]}`,
          );
        }
        last[item.value] = item.id;
      }
    };
  },
};

/**
 * The frame every two-worker floor of P4 shares (ns an item, both ends in two workers, compared
 * with `compare`): `setup` makes the shared memory, `body` the end for worker `index`.
 */
function p4Floor(
  name: string,
  title: string,
  minIterations: number,
  compare: NonNullable<ThreadsCase["compare"]>,
  setup: () => Promise<unknown>,
  body: ThreadsCase["body"],
): ThreadsCase {
  return {
    kind: "threads",
    name,
    title,
    role: "floor",
    group: "throughput",
    unit: "ns/item",
    workers: 2,
    minIterations,
    compare,
    async setup() {
      const shared = await setup();
      return [{ input: shared }, { input: shared }];
    },
    body,
  };
}

/**
 * A floor of `queue.oneway-f64` (P4): one of `probes/queue_f64_cases.ts`'s stripped rings, its
 * two ends in two workers as the Queue's are (polled with `Atomics.pause`, or its `getSync`), so
 * the run shows what a design costs on this machine beside ringbuf.js:
 * - `floor.locked-ring-f64`: the lock CAS, a plain ring of float64 slots, the unlock: what any
 *   queue that takes a lock per item costs at least (the Queue also journals, counts and wakes);
 * - `floor.slot-ring-f64`: a lock-free ring of per-slot sequence numbers (CAS on the positions,
 *   no lock) with the Queue's counts and a getter that blocks: what the slot ring designed in
 *   `bench/README.md` ("Design: a lock-free slot ring") would cost at least.
 */
function f64Floor(name: string, variant: string, title: string): ThreadsCase {
  return p4Floor(
    name,
    title,
    1024,
    [{ baseline: "peer.ringbuf-spsc", tag: "P4" }],
    async () => {
      const { variants } = await import("./probes/queue_f64_cases.ts");
      return await (await variants())[variant]!.setup();
    },
    async function (shared: unknown, { index, label, stallMs }) {
      const { variants } = await import("./probes/queue_f64_cases.ts");
      const ends = await (await variants())[variant]!.open(shared);
      const poll = poller(label, stallMs);
      let next = 0;
      if (index === 0) {
        const put = () => ends.put(next);
        return (n) => {
          for (let i = 0; i < n; i++, next++) poll(put, "ring full");
        };
      }
      const get = () => ends.get();
      return (n) => {
        for (let i = 0; i < n; i++, next++) {
          let got: number;
          if (ends.getSync !== undefined) got = ends.getSync();
          else {
            poll(get, "ring empty");
            got = ends.out;
          }
          if (got !== next) throw new Error(`${label}: got ${got}, expected ${next}`);
        }
      };
    },
  );
}

/**
 * A floor of `queue.oneway` (P4, objects), `floor.locked-ring-objects`: `probes/
 * queue_object_cases.ts`'s locked byte ring of the same small objects through `structuredCodec`
 * (lock CAS, the record copied in or out, unlock; the get decodes after), its two ends in two
 * workers, polled (try, `Atomics.pause`), beside the postMessage stream of the same objects: what
 * one simple lock-per-item queue costs here (not a bound on every locked queue: its consumer takes
 * the lock on every poll; see `probes/queue_object_cases.ts`).
 */
function objectFloor(name: string, variant: string, title: string): ThreadsCase {
  return p4Floor(
    name,
    title,
    256,
    [{ baseline: "platform.postmessage-oneway", tag: "P4" }],
    async () => {
      const { objectVariants } = await import("./probes/queue_object_cases.ts");
      return objectVariants[variant]!.setup();
    },
    async function (shared: SharedArrayBuffer, { index, label, stallMs }) {
      const { objectVariants } = await import("./probes/queue_object_cases.ts");
      const { structuredCodec } = await import("../mod.ts");
      const ends = objectVariants[variant]!.open(shared);
      const poll = poller(label, stallMs);
      let next = 0;
      if (index === 0) {
        let bytes: Uint8Array;
        const put = () => ends.put(bytes);
        return (n) => {
          for (let i = 0; i < n; i++, next++) {
            // Encoded once per item, as the Queue's put does before its lock.
            bytes = structuredCodec.encode({ id: next, kind: "tick", value: next * 0.5 });
            poll(put, "ring full");
          }
        };
      }
      const get = () => ends.get();
      return (n) => {
        for (let i = 0; i < n; i++, next++) {
          poll(get, "ring empty");
          const id = (ends.out as { id: number }).id;
          if (id !== next) throw new Error(`${label}: got item ${id}, expected ${next}`);
        }
      };
    },
  );
}

/**
 * The SPSC lane's floors (`probes/queue_lane_cases.ts`; a design, not built: bench/README.md,
 * "Design: an SPSC lane"): a lock-free single-producer single-consumer ring with what a Queue
 * would need on its path (the revocation word, a busy mark, a put count, waiter flags) and both
 * sides blocking as `putSync`/`getSync` do. `floor.spsc-lane-f64` beside ringbuf.js,
 * `floor.spsc-lane-objects` beside the postMessage stream: what the lane could reach.
 */
function laneFloor(kind: "f64" | "objects"): ThreadsCase {
  const numbers = kind === "f64";
  return p4Floor(
    `floor.spsc-lane-${kind}`,
    numbers
      ? "SPSC lane 1→1 of numbers (no lock; busy mark, put count, waiter flags; blocking sides)"
      : "SPSC lane 1→1 of the same objects (structuredCodec; no lock; blocking sides)",
    numbers ? 1024 : 256,
    numbers
      ? [{ baseline: "peer.ringbuf-spsc", tag: "P4" }]
      : [{ baseline: "platform.postmessage-oneway", tag: "P4" }],
    async () => {
      const { f64Lane, objectsLane } = await import("./probes/queue_lane_cases.ts");
      return (numbers ? f64Lane : objectsLane).setup();
    },
    async function (shared: SharedArrayBuffer, { index, label, stallMs }) {
      const { f64Lane, objectsLane } = await import("./probes/queue_lane_cases.ts");
      const ends = (numbers ? f64Lane : objectsLane as typeof f64Lane).open(shared, stallMs);
      let next = 0;
      if (index === 0) {
        return (n) => {
          for (let i = 0; i < n; i++, next++) {
            ends.putSync(numbers ? next : { id: next, kind: "tick", value: next * 0.5 } as any);
          }
        };
      }
      return (n) => {
        for (let i = 0; i < n; i++, next++) {
          const item: any = ends.getSync();
          const id = numbers ? item : item.id;
          if (id !== next) throw new Error(`${label}: got item ${id}, expected ${next}`);
        }
      };
    },
  );
}

export const cases: Case[] = [
  queueOneWay("objects"),
  queueOneWay("numbers"),
  f64Floor(
    "floor.locked-ring-f64",
    "locked",
    "locked ring 1→1 (lock CAS, plain float64 slots, unlock): the least a locked queue costs",
  ),
  f64Floor(
    "floor.slot-ring-f64",
    "vyukov+sleep",
    "lock-free slot ring 1→1 (per-slot seq, the Queue's counts, a blocking get): no lock",
  ),
  objectFloor(
    "floor.locked-ring-objects",
    "locked",
    "locked byte ring 1→1 of the same objects (lock CAS, record in/out, unlock; decode after)",
  ),
  laneFloor("objects"),
  laneFloor("f64"),
  mpmc,
  {
    kind: "threads",
    name: "peer.ringbuf-spsc",
    title: "ringbuf.js SPSC: one worker pushes numbers one by one, another pops them (polling)",
    role: "peer",
    group: "throughput",
    unit: "ns/item",
    workers: 2,
    minIterations: 1024,
    async setup() {
      const { RingBuffer } = await import("ringbuf.js");
      const storage = RingBuffer.getStorageForCapacity(CAPACITY, Int32Array);
      return [{ input: storage }, { input: storage }];
    },
    async body(storage: SharedArrayBuffer, { index, label, stallMs }) {
      const { RingBuffer } = await import("ringbuf.js");
      const ring = new RingBuffer(storage, Int32Array as any);
      const one = new Int32Array(1);
      const poll = poller(label, stallMs);
      const push = () => ring.push(one, 1) !== 0;
      const pop = () => ring.pop(one, 1) !== 0;
      let next = 0;
      if (index === 0) {
        return (n) => {
          for (let i = 0; i < n; i++) {
            one[0] = next++;
            poll(push, "ring full");
          }
        };
      }
      return (n) => {
        for (let i = 0; i < n; i++) {
          poll(pop, "ring empty");
          if (one[0] !== next) throw new Error(`${label}: got ${one[0]}, expected ${next}`);
          next++;
        }
      };
    },
  },
];
