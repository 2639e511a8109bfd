/**
 * The queues' undo journal (`src/queue/journal.ts`) on its own: every save set fits the journal,
 * the written-out openings save what the general one would, and an undo restores exactly the
 * saved slots, again after a taker died inside it. The deaths themselves, in real threads:
 * tests/regressions/queue_owner_killed_inside_a_put_corrupts_the_ring_test.ts.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  COMPACTING,
  COUNT,
  DROP_SAVES,
  FIFO,
  GET_SAVES,
  HEADER_SLOTS,
  HEAP_PUT_BACK_SAVES,
  JOURNAL,
  JOURNAL_ROOM,
  JOURNAL_SAVED,
  JOURNALED,
  LIFO,
  LOCK,
  PRIORITY,
  PUT_BACK_SAVES,
  PUT_SAVES,
  putBackSaves,
  SHUTDOWN_SAVES,
  SIFT_DOWN,
  SIFT_DOWN_ROOT,
  SIFT_HOLE,
  SIFT_UP,
} from "../src/queue/header.ts";
import { close, open, openGet, openPut, undo } from "../src/queue/journal.ts";
import { float64Codec, LifoQueue, PriorityQueue, Queue } from "../mod.ts";

const SETS = {
  PUT_SAVES,
  GET_SAVES,
  DROP_SAVES,
  PUT_BACK_SAVES,
  HEAP_PUT_BACK_SAVES,
  SHUTDOWN_SAVES,
};

/** A header with a distinct value in every slot (the journal closed). */
function header(seed: number): Int32Array {
  const i32 = new Int32Array(HEADER_SLOTS);
  for (let k = 0; k < HEADER_SLOTS; k++) i32[k] = seed * 1000 + k;
  i32[JOURNAL] = 0;
  return i32;
}

/** Every journaled slot changed, as an operation (and more) would. */
function scramble(i32: Int32Array): void {
  for (const slot of JOURNALED) i32[slot] = -i32[slot]! - 7;
}

const bits = (set: number) => JOURNALED.filter((_, k) => (set & (1 << k)) !== 0).length;

test("journal: every save set fits JOURNAL_SAVED, which fits the lock holder's line", () => {
  for (const [name, set] of Object.entries(SETS)) {
    assert.ok(set > 0 && set < 1 << JOURNALED.length, `${name} names journaled slots only`);
    assert.ok(bits(set) <= JOURNAL_ROOM, `${name} saves ${bits(set)} > ${JOURNAL_ROOM} slots`);
  }
  // One 64-byte line from LOCK: the slots every put and get writes, and the journal.
  assert.equal(LOCK, 0);
  assert.ok(JOURNAL < 16 && JOURNAL_SAVED + JOURNAL_ROOM <= 16);
  for (const slot of JOURNALED.slice(0, 7)) assert.ok(slot < 16, `slot ${slot} off the line`);
});

test("journal: a heap's sift keeps its hole in a slot no set open during a sift saves into", () => {
  // Open during a sift up: a heap's put (PUT_SAVES) and put-back (HEAP_PUT_BACK_SAVES); a get's
  // sift down drops its set first (SIFT_DOWN_ROOT), so GET_SAVES may use every slot.
  assert.equal(SIFT_HOLE, JOURNAL_SAVED + JOURNAL_ROOM - 1);
  for (const set of [PUT_SAVES, HEAP_PUT_BACK_SAVES]) {
    assert.ok(JOURNAL_SAVED + bits(set) <= SIFT_HOLE, "the set's saves end before SIFT_HOLE");
  }
  // The flags sit above every set's bits and apart from each other.
  for (const flag of [SIFT_UP, SIFT_DOWN_ROOT, SIFT_DOWN, COMPACTING]) {
    assert.ok(flag >= 1 << JOURNALED.length);
    for (const set of Object.values(SETS)) assert.equal(set & flag, 0);
  }
  assert.equal(new Set([SIFT_UP, SIFT_DOWN_ROOT, SIFT_DOWN, COMPACTING]).size, 4);
  // The set a put-back opens, as base.ts chooses it.
  assert.ok(JOURNAL_SAVED + bits(putBackSaves(PRIORITY)) <= SIFT_HOLE);
  for (const d of [FIFO, LIFO]) assert.equal(putBackSaves(d), PUT_BACK_SAVES);
});

test("journal: undo restores the saved slots before it undoes a sift up, and finishes a sift down", () => {
  // A put that died after counting its item (COUNT 5 → 6), inside its sift (hole at 1).
  const i32 = header(4);
  i32[COUNT] = 5;
  openPut(i32);
  i32[COUNT] = 6;
  i32[SIFT_HOLE] = 1;
  i32[JOURNAL] = i32[JOURNAL]! | SIFT_UP;
  const calls: string[] = [];
  const sifts = {
    undoSiftUp(start: number) {
      calls.push(`up from ${start}, COUNT ${i32[COUNT]}`);
    },
    redoSiftDown(hole: number) {
      calls.push(`down from ${hole}`);
    },
    redoCompaction() {
      calls.push("compaction");
      i32[JOURNAL] = 0; // as the heap's does, at its end
    },
  };
  undo(i32, sifts);
  assert.deepEqual(calls, ["up from 5, COUNT 5"]);
  assert.equal(i32[JOURNAL], 0);
  // A get made final: no save set, the sift finished from its hole (the root, then SIFT_HOLE).
  i32[JOURNAL] = SIFT_DOWN_ROOT;
  undo(i32, sifts);
  i32[SIFT_HOLE] = 3;
  i32[JOURNAL] = SIFT_DOWN;
  undo(i32, sifts);
  assert.deepEqual(calls.slice(1), ["down from 0", "down from 3"]);
  assert.equal(i32[JOURNAL], 0);
  assert.equal(i32[COUNT], 5, "a finished get's COUNT is the get's");
  // A compaction (no save set): finished, nothing restored.
  i32[JOURNAL] = COMPACTING;
  undo(i32, sifts);
  assert.deepEqual(calls.slice(3), ["compaction"]);
  assert.equal(i32[JOURNAL], 0);
  assert.equal(i32[COUNT], 5);
});

test("journal: openPut and openGet save what open() saves for their sets", () => {
  for (const [opening, set] of [[openPut, PUT_SAVES], [openGet, GET_SAVES]] as const) {
    const a = header(3);
    const b = header(3);
    opening(a);
    open(b, set);
    assert.deepEqual(a, b);
    assert.equal(a[JOURNAL], set);
  }
});

test("journal: undo restores exactly the saved slots and closes; a closed journal undoes nothing", () => {
  for (const [name, set] of Object.entries(SETS)) {
    const before = header(5);
    const i32 = before.slice();
    open(i32, set);
    scramble(i32);
    const scrambled = i32.slice();
    undo(i32);
    assert.equal(i32[JOURNAL], 0, name);
    JOURNALED.forEach((slot, k) => {
      const want = (set & (1 << k)) !== 0 ? before[slot] : scrambled[slot];
      assert.equal(i32[slot], want, `${name}: slot ${slot}`);
    });
    // Made and closed: nothing to undo.
    open(i32, set);
    scramble(i32);
    close(i32);
    const made = i32.slice();
    undo(i32);
    assert.deepEqual(i32, made, name);
  }
});

test("journal: a taker that dies inside undo leaves it open, and the next one ends the same", () => {
  const before = header(9);
  const i32 = before.slice();
  open(i32, GET_SAVES);
  scramble(i32);
  // The first taker restored some slots and died: the journal is still open.
  const partial = i32.slice();
  partial[JOURNALED[0]!] = before[JOURNALED[0]!]!;
  undo(partial);
  undo(i32);
  assert.deepEqual(partial, i32);
  assert.equal(i32[JOURNAL], 0);
});

test("journal: closed after every operation of every queue kind (puts, gets, a put-back, shutdown)", () => {
  const kinds = [
    () => new Queue<unknown>(),
    () => new Queue<unknown>(0, { codec: float64Codec }),
    () => new LifoQueue<unknown>(),
    () => new PriorityQueue<unknown>(),
    () => new Queue<unknown>(2),
  ];
  for (const make of kinds) {
    const queue = make();
    const header = new Int32Array(queue.handle.buffer, queue.handle.byteOffset, HEADER_SLOTS);
    const closed = (what: string) => assert.equal(header[JOURNAL], 0, `${what} left it open`);
    queue.putNowait(1);
    closed("putNowait");
    queue.putSync(2, { timeout: 1_000 });
    closed("putSync");
    queue.getNowait();
    closed("getNowait");
    queue.taskDone();
    closed("taskDone");
    // A get whose decode throws puts its record back.
    const failing = (queue.constructor as typeof Queue).from<unknown>(queue.handle, {
      codec: {
        encode: (value: unknown) => float64Codec.encode(value as number),
        decode: () => {
          throw new Error("decode refused");
        },
      },
    });
    assert.throws(() => failing.getNowait(), /decode refused/);
    closed("a put-back");
    assert.equal(queue.qsize(), 1);
    queue.shutdown({ immediate: true });
    closed("shutdown");
    assert.equal(queue.qsize(), 0);
  }
});
