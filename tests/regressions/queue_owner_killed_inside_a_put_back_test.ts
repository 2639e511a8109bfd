/**
 * Regression (README "Known limits"): a thread that died inside the put-back that re-packs a
 * `Queue`'s ring broke the queue. A get whose codec throws puts its record back in front of the
 * oldest one; when puts have filled the room in front meanwhile (the get emptied the queue, which
 * starts the ring again at 0, and the decode's own puts landed there; or the ring wrapped into
 * it), the put-back re-packed the whole ring from 0 through a copy in its own memory and then
 * wrote HEAD, TAIL and LIVE. A death after the copy-back left the old HEAD and TAIL over the
 * re-packed bytes, and the next thread's undo of the put-back restored them: items repeated,
 * lost, or read from the wrong bytes.
 *
 * Now the records from HEAD move to the end of the ring first, under a redo journal that the
 * next thread finishes (`src/queue/storage.ts`, `Ring`'s `beforePutBack`). The test ends the
 * getter (`process.exit` in the storage's test hook, inside the queue's lock) at each step of that
 * move, then goes on from the main thread: every other item there, once, in order; the dead
 * getter's item is gone with it (as with any consumer that dies while it decodes).
 */

import assert from "node:assert/strict";
import { Queue, structuredCodec, Thread } from "../../mod.ts";
import { CAPACITY, HEAD, JOURNAL, LOCK, SHIFTING, TAIL } from "../../src/queue/header.ts";
import { setLanes } from "../../src/queue/lane.ts";
import { setSiftHook } from "../../src/queue/storage.ts";
import { drain, lockedTest } from "../helpers.ts";

const FIXTURE = new URL("../fixtures/queue_dying_put_ops.ts", import.meta.url);

interface Case {
  /** The queue before the get, and its items in order (the first is the one the get takes). */
  make(): { queue: Queue<string>; items: string[] };
  /** What the get's decode puts before it throws. */
  puts: string[];
}

const CASES: Record<string, Case> = {
  // The get empties the queue (the ring starts again at 0) and its decode's puts land at 0:
  // no room in front of HEAD. Unwrapped: the records move to the end, TAIL with them.
  "the get emptied the ring": {
    make() {
      const queue = new Queue<string>(0, { capacityBytes: 256 });
      queue.putNowait("a");
      return { queue, items: ["a"] };
    },
    puts: ["b", "c"],
  },
  // 64 bytes, wrapped and full after the puts; the decode's put fills the taken record's room,
  // so the free run in front of HEAD is too short, with the rest of the room at the ring's end.
  // Found by a search over sizes; the move runs in many short chunks.
  "a wrapped ring": {
    make() {
      const queue = new Queue<string>(0, { capacityBytes: 64 });
      const items = ["xx0", "xx1", "xx2", "xx3", "xx4"];
      for (const item of items) queue.putNowait(item);
      assert.equal(queue.getNowait(), "xx0");
      items.shift();
      for (const item of ["y0", "y1", "y2"]) {
        try {
          queue.putNowait(item);
          items.push(item);
        } catch (error) {
          if ((error as Error).name !== "QueueFullError") throw error;
        }
      }
      return { queue, items };
    },
    puts: ["z"],
  },
};

function header(queue: Queue<unknown>): Int32Array {
  return new Int32Array(queue.handle.buffer, queue.handle.byteOffset, 32);
}

/** The put-back in this thread, the hook counting its steps: how many, and what it leaves. */
function uninterrupted(c: Case): { steps: number; after: string[] } {
  const { queue, items } = c.make();
  const plain = Queue.from<string>(queue.handle); // structuredCodec
  const throwing = Queue.from<string>(queue.handle, {
    codec: {
      encode: (value: string) => structuredCodec.encode(value),
      decode(): string {
        for (const item of c.puts) plain.putNowait(item);
        throw new Error("undecodable");
      },
    },
  });
  let steps = 0;
  setSiftHook(() => steps++);
  try {
    assert.throws(() => throwing.getNowait(), /undecodable/);
  } finally {
    setSiftHook(undefined);
  }
  const after = drain(queue);
  assert.deepEqual(after, [...items, ...c.puts], "the item is back in front");
  return { steps, after };
}

for (const [name, c] of Object.entries(CASES)) {
  setLanes(false); // as `lockedTest` does: these queues' put-backs are the locked path's
  const { steps } = uninterrupted(c);
  setLanes(true);
  lockedTest(`Queue, ${name}: the put-back moves the ring first (steps to kill at)`, () => {
    assert.ok(steps >= 3, `${steps} steps`);
  });
  for (let step = 0; step < steps; step++) {
    lockedTest(
      `Queue, ${name}: a getter that dies at step ${step} of its put-back's move leaves the rest whole`,
      async () => {
        const { queue, items } = c.make();
        const thread = new Thread(FIXTURE, {
          export: "dieInsidePutBack",
          args: [queue, step, c.puts],
        });
        thread.start();
        await assert.rejects(thread.join({ timeout: 20_000 }), /exited/);
        assert.equal(
          Atomics.load(header(queue), LOCK) >>> 1,
          thread.ident,
          "it died holding the lock",
        );
        // The next get takes the lock over (and finishes the move).
        const rest = [...items.slice(1), ...c.puts];
        assert.equal(queue.getNowait(), rest[0]);
        assert.equal(header(queue)[JOURNAL], 0, "the journal is closed");
        assert.deepEqual(drain(queue), rest.slice(1), "the others, once, in order");
        // And it goes on (its room less the dead getter's record, never given back).
        queue.putNowait("m");
        queue.putNowait("n");
        assert.deepEqual(drain(queue), ["m", "n"]);
      },
    );
  }
}

// A review found these two shapes untested (a mutant that skipped them passed every test above).

for (let step = 0; step < 4; step++) {
  lockedTest(
    `Queue: a put-back's move killed at step ${step} after its decode grew the queue, finished by a taker with older views`,
    async () => {
      // The get empties the ring; its decode's first put grows the queue (256 -> 512 bytes), so
      // the move goes to the new end; the main thread's views are still for 256 bytes when its
      // get takes the lock over: the repair must re-make them first (SHIFT_* are offsets in the
      // grown data area).
      const queue = new Queue<string>(0, { capacityBytes: 256, maxCapacityBytes: 4096 });
      queue.putNowait("a");
      const big = "g".repeat(300);
      const thread = new Thread(FIXTURE, {
        export: "dieInsidePutBack",
        args: [queue, step, [big, "c"]],
      });
      thread.start();
      await assert.rejects(thread.join({ timeout: 20_000 }), /exited/);
      assert.equal(header(queue)[JOURNAL], SHIFTING, "it died inside the move");
      assert.ok(header(queue)[CAPACITY]! > 256, "the queue grew");
      assert.equal(queue.getNowait(), big);
      assert.equal(header(queue)[JOURNAL], 0);
      assert.deepEqual(drain(queue), ["c"]);
      queue.putNowait("m");
      assert.deepEqual(drain(queue), ["m"]);
    },
  );
}

lockedTest(
  "Queue: a put-back into a wrapped ring that is full (TAIL == HEAD) moves the run and keeps its item",
  () => {
    // 64 bytes, a codec of raw bytes (a record: 4 + the bytes padded to 4): records of 12, 8 and
    // 36 bytes (TAIL 56, 8 free at the end). A get takes the first; a second get takes the next
    // (HEAD 20) and its decode puts 20 bytes, which wrap to 0: TAIL 20 == HEAD, full, the free
    // bytes all before the end mark. The put-back must move the run HEAD..mark up by those 8.
    const raw = { encode: (v: Uint8Array) => v, decode: (b: Uint8Array) => b.slice() };
    const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);
    const queue = new Queue<Uint8Array>(0, { capacityBytes: 64, codec: raw });
    queue.putNowait(bytes(8, 0));
    queue.putNowait(bytes(4, 1));
    queue.putNowait(bytes(32, 2));
    assert.deepEqual(queue.getNowait(), bytes(8, 0));
    let full = false;
    const throwing = Queue.from<Uint8Array>(queue.handle, {
      codec: {
        encode: raw.encode,
        decode(): Uint8Array {
          queue.putNowait(bytes(16, 3));
          full = header(queue)[HEAD] === header(queue)[TAIL];
          throw new Error("undecodable");
        },
      },
    });
    assert.throws(() => throwing.getNowait(), /undecodable/);
    assert.ok(full, "the ring was full (TAIL == HEAD) when the put-back ran");
    assert.deepEqual(drain(queue), [bytes(4, 1), bytes(32, 2), bytes(16, 3)]);
    queue.putNowait(bytes(4, 9));
    assert.deepEqual(drain(queue), [bytes(4, 9)]);
  },
);
