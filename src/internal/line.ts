/**
 * Call order for one thread's async waits of one kind on one object: a queue's pending `put()`s
 * (and, apart, its `get()`s) are served in the order they were called, as asyncio's queue serves
 * its putters and getters.
 *
 * Why: every pending async wait of a thread parks on the same shared word (a queue's READ, WRITE
 * or NOT_FULL), a wake ends all their parks at once, and which one looks first is the order the
 * runtime runs their reactions in, not the order of the calls. Before this line, a thread that
 * called `put(0)` … `put(59)` without awaiting each, on a queue of maxsize 1 or 2 drained by
 * another worker, had its items got out of order in 19-20 of 20 runs (items 3, 17, 58 … in third
 * place), and 40 pending `get()`s were handed the items out of call order in 2-15 of 15 runs
 * (15 of 15 once the producer spaced its puts), on Node and Bun alike (2026-12-03;
 * `tests/queue_call_order_test.ts` failed on every queue kind).
 *
 * How: one call at a time *holds* the line: the first async call that has to wait (its fast path
 * missed), from then until it ends, whatever its outcome. A call that finds the line held waits in
 * it, in call order, without touching the queue; when the holder ends (`done`), the first call
 * still waiting gets the line in a microtask and tries: its fast path, then, if it must, its own
 * wait, holding the line. A call that finds the line free pays one field read.
 *
 * A waiting call that ends before its turn leaves the line: aborted (it rejects with the reason),
 * or timed out (it then makes its last try out of turn, without the line, as a wait makes one at
 * its deadline: a queue that may grow still takes the item). Its deadline rides on the thread's
 * one deadline timer (`timeWait` in `futex.ts`), not a timer of its own.
 *
 * Cost (`bench/probes/queue_line.ts <before>/mod.ts ./mod.ts 9 5000`, 2026-12-03, medians of 9
 * rounds, before → after, Node / Bun / Deno): 5,000 un-awaited puts into a Queue(1000) drained
 * by a worker 15.4 → 10.1, 17.2 → 11.5, 23.2 → 15.9 ms; into a Queue(16) 27.5 → 24.1,
 * 48.3 → 42.8, 23.6 → 40.7 ms (Deno: its head of the line parks and wakes once a cycle, where
 * every pending put used to race for the room); one thread, a Queue(16) full, 5,000 pending puts
 * and `await get()` of everything: 3,307 → 5.5, 4,061 → 6.1, 3,203 → 9.1 µs an item (every get
 * woke all the pending puts, and they all looked). Handing the turn over by a notify of a shared
 * word, the line's first version, cost a waitAsync wake of this same thread each time: Queue(16)
 * 3.3× (Node) and 41× (Bun) the time before; a `setTimeout` per waiting call cost Deno 2-3×.
 *
 * What it does not order: calls on another object of the same queue in this thread (each
 * `Queue.from` has its own line), and the sync and no-wait forms, which cannot wait for async
 * calls (the thread would wait on itself) and go ahead of any that are pending.
 *
 * Everything here belongs to one thread: no shared memory, no atomics.
 *
 * @module
 */

import { type Timed, timeWait, untimeWait } from "./futex.ts";

/** What a call waiting in a {@link Line} does when it leaves it. */
export interface Turn {
  /**
   * Its turn (`late` false: it holds the line, and calls `done` when it ends) or its deadline
   * (`late` true: it has left the line, and makes its last try without it).
   */
  go(late: boolean): void;
  /** Its signal aborted while it waited: it has left the line. */
  abort(reason: unknown): void;
}

/**
 * A call waiting in the line, with what may end its wait early: its deadline, on the thread's
 * deadline timer (`timeWait`), and its signal.
 */
interface Waiter extends Timed {
  readonly turn: Turn;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  /** Served, or left: skipped by `done`. */
  gone: boolean;
}

/** `Waiter.expire`: its deadline came before its turn (the deadline timer took it off). */
function lateForTurn(this: Waiter): void {
  if (this.gone) return;
  leave(this);
  this.turn.go(true);
}

/** Compact the waiter array once this many have been served from its front. */
const COMPACT_AT = 1024;

/** A line of one thread's async calls of one kind on one object (see the module doc). */
export class Line {
  /** A call holds the line (from `hold` or its turn until `done`). */
  #held = false;
  /** The calls waiting, oldest first from `#front`. */
  #waiting: Waiter[] = [];
  #front = 0;

  /** Whether a call holds the line: a new call must `wait`. */
  get busy(): boolean {
    return this.#held;
  }

  /** The caller (a call that found the line free and has to wait) holds the line. */
  hold(): void {
    this.#held = true;
  }

  /**
   * Waits in the line (held by another call) until `turn.go` or `turn.abort`: its turn, or
   * `deadline` (a `performance.now()` time, or `Infinity`), or `signal`.
   */
  wait(turn: Turn, deadline: number, signal: AbortSignal | undefined): void {
    const waiter: Waiter = {
      turn,
      deadline,
      slack: 0,
      expire: lateForTurn,
      signal,
      onAbort: undefined,
      gone: false,
    };
    this.#waiting.push(waiter);
    if (deadline !== Infinity) timeWait(waiter);
    if (signal !== undefined) {
      waiter.onAbort = () => {
        if (waiter.gone) return;
        leave(waiter);
        turn.abort(signal.reason);
      };
      signal.addEventListener("abort", waiter.onAbort, { once: true });
    }
  }

  /** The holder's call has ended: the first call still waiting gets the line, or it is free. */
  done(): void {
    const waiting = this.#waiting;
    while (this.#front < waiting.length) {
      const waiter = waiting[this.#front++]!;
      if (waiter.gone) continue;
      leave(waiter);
      if (this.#front >= COMPACT_AT && this.#front * 2 >= waiting.length) {
        this.#waiting = waiting.slice(this.#front);
        this.#front = 0;
      }
      // Held still, for `waiter`: a call made before its microtask runs waits behind it.
      queueMicrotask(() => waiter.turn.go(false));
      return;
    }
    if (waiting.length !== 0) {
      this.#waiting = [];
      this.#front = 0;
    }
    this.#held = false;
  }
}

/** Ends `waiter`'s wait: off the deadline timer, no listener; `done` skips it. */
function leave(waiter: Waiter): void {
  waiter.gone = true;
  if (waiter.deadline !== Infinity) untimeWait(waiter);
  if (waiter.onAbort !== undefined) {
    waiter.signal!.removeEventListener("abort", waiter.onAbort);
  }
}
