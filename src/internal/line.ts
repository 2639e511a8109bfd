/**
 * Call order for one thread's async waits of one kind on one object: a queue's pending `put()`s
 * (and, apart, its `get()`s) are served in the order they were called, as asyncio's queue serves
 * its putters and getters; so are the acquires of a `Lock` or `Semaphore` that have to wait
 * ({@link acquireBehind}, where one parked `waitAsync` serves them all).
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
 * A waiting call that ends before its turn leaves the line and settles: aborted (it rejects with
 * the reason; also one aborted between the end of the call ahead and its own turn), or timed
 * out (a get rejects: what comes goes to the earlier gets first; a put rejects, unless the queue
 * may still grow, where the puts ahead go in once they have grown it: it keeps its place, and
 * looks again every LANE_STALL_MS). No call makes a last try out of turn: a get's took the item
 * the head of the line was woken for, in 9-10 of 10 runs of a get timing out just as an item
 * came; a put's went in ahead of the puts before it. Its deadline rides on
 * the thread's one deadline timer (`timeWait` in `futex.ts`), not a timer of its own; its item
 * (and its encoded copy) is dropped once it has left or been served, though its place in the
 * array is dropped only later (`COMPACT_AT`).
 *
 * Settle order: a call settles its promise before it calls `done`, so its reactions run before
 * those of the next call (whose turn is a microtask after `done`). Calling `done` first let a
 * call served in its turn settle ahead of the one before it, which took a hop more to settle.
 *
 * Cost (`bench/probes/queue_line.ts <before>/mod.ts ./mod.ts 9 5000`, 2026-12-03, load 1.1-1.6,
 * medians of 9 rounds, before → after, Node / Bun / Deno): 5,000 un-awaited puts into a
 * Queue(1000) drained by a worker 11.6 → 11.7, 18.9 → 15.6, 27.3 → 22.2 ms; into a Queue(16)
 * 27.8 → 28.4, 46.3 → 47.1, 27.2 → 29.6 ms (the head of the line parks and wakes once a cycle,
 * where every pending put used to race for the room); one thread, a Queue(16) full, 5,000
 * pending puts and `await get()` of everything: 3,330 → 5.5, 4,107 → 7.6, 3,127 → 7.0 µs an
 * item (every get woke all the pending puts, and they all looked). Handing the turn over by a
 * notify of a shared word, the line's first version, cost a waitAsync wake of this same thread
 * each time: Queue(16) 3.3× (Node) and 41× (Bun) the time before; a `setTimeout` per waiting
 * call cost Deno 2-3×.
 *
 * What it does not order: calls on another object of the same queue in this thread (each
 * `Queue.from` has its own line), and the sync and no-wait forms, which cannot wait for async
 * calls (the thread would wait on itself) and go ahead of any that are pending.
 *
 * Everything here belongs to one thread: no shared memory, no atomics.
 *
 * @module
 */

import { deadlineAfter, now, reasonOf, type Timed, timeWait, untimeWait } from "./futex.ts";

/** What a call waiting in a {@link Line} does when its wait ends. */
export interface Turn {
  /**
   * Its turn: it holds the line, tries, and calls `done` once it has settled its own promise
   * (so that its reactions run before those of the next call, whose turn follows `done`).
   */
  go(): void;
  /**
   * Its deadline came first: settle (or start to: it no longer waits for its turn) and return
   * `undefined`, having left the line; or return a later deadline to keep its place until then
   * and be asked again (a put to a queue that may still grow: the puts ahead of it grow it).
   */
  late(): number | undefined;
  /**
   * Its signal aborted while it waited (or before, or between the end of the call ahead of it
   * and its turn): it has left the line, or, at its turn, hands the line on at once.
   */
  abort(reason: unknown): void;
}

/**
 * A call waiting in the line, with what may end its wait early: its deadline, on the thread's
 * deadline timer (`timeWait`), and its signal. `turn` is dropped once it has left or been served
 * (it holds the call's item and its encoded copy).
 */
interface Waiter extends Timed {
  turn: Turn | undefined;
  deadline: number;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/**
 * Drop the served and departed waiters from the front of the waiting array once this many
 * have gone (and they are at least half of it): each costs a slot until then, not its call's
 * item.
 */
const COMPACT_AT = 1024;

/** A line of one thread's async calls of one kind on one object (see the module doc). */
export class Line {
  /** A call holds the line (from `hold` or its turn until `done`). */
  #held = false;
  /** The calls waiting, oldest first from `#front`; departed ones have no `turn`. */
  #waiting: Waiter[] = [];
  #front = 0;
  /** Waiters in `#waiting` past `#front` that have left (aborted, timed out). */
  #departed = 0;

  /** Whether a call holds the line: a new call must `wait`. */
  get busy(): boolean {
    return this.#held;
  }

  /** How many calls wait in the line (behind the holder), for `describe()`. */
  get waiting(): number {
    return this.#waiting.length - this.#front - this.#departed;
  }

  /** The caller (a call that found the line free and has to wait) holds the line. */
  hold(): void {
    this.#held = true;
  }

  /**
   * Waits in the line (held by another call) until `turn.go`, `turn.late` or `turn.abort`: its
   * turn, or `deadline` (a `performance.now()` time, or `Infinity`), or `signal` (already aborted:
   * `turn.abort` at once).
   */
  wait(turn: Turn, deadline: number, signal: AbortSignal | undefined): void {
    if (signal?.aborted === true) {
      turn.abort(reasonOf(signal));
      return;
    }
    if (!this.#held) {
      // Freed since the caller saw it held (user code ran between: an item's encode that ended
      // the holder, by aborting it): its turn, now.
      this.#held = true;
      this.#serve(turn, signal);
      return;
    }
    const waiter: Waiter = {
      turn,
      deadline,
      slack: 0,
      timedAt: -1,
      // The deadline came before its turn (the deadline timer has taken it off).
      // (Closures here reach the call through `waiter.turn`, which `#end` drops: a waiter left
      // in the array must not hold the call's item.)
      expire: () => {
        const turn = waiter.turn;
        if (turn === undefined) return;
        const later = turn.late();
        if (later === undefined) return this.#leave(waiter);
        waiter.deadline = later; // keeps its place until then
        timeWait(waiter);
      },
      signal,
      onAbort: undefined,
    };
    if (signal !== undefined) {
      waiter.onAbort = () => {
        const turn = waiter.turn;
        if (turn === undefined) return;
        this.#leave(waiter);
        turn.abort(reasonOf(signal));
      };
      // First: a signal-like object whose `addEventListener` throws leaves nothing behind (its
      // caller rejects), where a waiter already in the line took its turn for nobody.
      signal.addEventListener("abort", waiter.onAbort, { once: true });
    }
    this.#waiting.push(waiter);
    if (deadline !== Infinity) timeWait(waiter);
  }

  /**
   * The holder's call has ended (and settled): the first call still waiting gets the line in a
   * microtask, or the line is free.
   */
  done(): void {
    const waiting = this.#waiting;
    while (this.#front < waiting.length) {
      const waiter = waiting[this.#front++]!;
      const turn = waiter.turn;
      if (turn === undefined) {
        this.#departed--;
        continue;
      }
      const signal = waiter.signal;
      this.#end(waiter);
      this.#compact();
      this.#serve(turn, signal);
      return;
    }
    if (waiting.length !== 0) {
      this.#waiting = [];
      this.#front = 0;
    }
    this.#held = false;
  }

  /**
   * Gives `turn` the line, in a microtask (held still for it: a call made before that waits
   * behind it). A signal aborted before then (its listener is gone: a reaction of the call ahead
   * may have done it) rejects it there, and the line goes on.
   */
  #serve(turn: Turn, signal: AbortSignal | undefined): void {
    queueMicrotask(() => {
      let aborted: boolean;
      try {
        aborted = signal?.aborted === true;
      } catch {
        aborted = true; // a signal-like object whose getter throws: its reason is that error
      }
      if (!aborted) return turn.go();
      turn.abort(reasonOf(signal!));
      this.done();
    });
  }

  /** `waiter` leaves the line before its turn (its call settles itself). */
  #leave(waiter: Waiter): void {
    this.#end(waiter);
    this.#departed++;
    this.#compact();
  }

  /** Ends `waiter`'s wait: off the deadline timer, no listener, no `turn` (`done` skips it). */
  #end(waiter: Waiter): void {
    waiter.turn = undefined;
    untimeWait(waiter); // a no-op when it is not on the timer (`timedAt` -1)
    if (waiter.onAbort !== undefined) {
      try {
        waiter.signal!.removeEventListener("abort", waiter.onAbort);
      } catch {
        // A signal-like object's (`signalOf` asks for no `removeEventListener`): its listener
        // only finds the waiter gone. Thrown here, it came out of the holder's `done()`: the
        // holder rejected holding the lock, and the line stayed held for good.
      }
      waiter.onAbort = undefined;
    }
    waiter.signal = undefined;
  }

  /** Drops served and departed waiters once they are many (see COMPACT_AT). */
  #compact(): void {
    const waiting = this.#waiting;
    const gone = this.#front + this.#departed;
    if (gone < COMPACT_AT || gone * 2 < waiting.length) return;
    this.#waiting = waiting.slice(this.#front).filter((w) => w.turn !== undefined);
    this.#front = 0;
    this.#departed = 0;
  }
}

/**
 * An async acquire (a `Lock`'s, a `Semaphore`'s) behind this thread's earlier acquires of its
 * object, which wait (`line.busy`; the caller skipped its fast path: a permit or a free lock goes
 * to the earlier acquires first). A call that finds the line free holds it (`hold`) and runs its
 * slow path itself, which calls `line.done()` in a `finally` that encloses all of it; no closure
 * is made for it.
 *
 * Behind: the call waits its turn; then `tryNow()` (the fast path: `true` when it took what it
 * waits for), else `wait(deadline)` (its slow path, which does not touch the line), holding the
 * line until its promise has settled. A timeout that runs out in the line resolves `false`, with
 * no try out of turn; an abort rejects with the signal's reason. A turn that comes after the
 * deadline, before the deadline timer has run (the thread was busy), gets its `tryNow()` and
 * then resolves `false` as the timer would have: waiting, locally or in the slow path, it would
 * wait for a release too late to count, or (locally) until the turn's end.
 *
 * What it buys: N async tasks of one thread that wait for one lock park one `waitAsync` between
 * them (the head of the line), where each used to park its own, and every release (which wakes
 * all waiters while an async one is registered) woke all N and registered N - 1 again: O(N) per
 * hand-off. With self-wakes alone (`futex.ts`), those N wakes came in microtasks and the herd
 * re-registered at every hand-off, which made it worse. Measured (2026-12-03, 2 CPUs, load ~1.1,
 * `<rt> bench/probes/selfwake_tasks.ts <20db842>/mod.ts <1461951>/mod.ts ./mod.ts --tasks 100
 * --loops 10 --rounds 7`, medians, µs an acquire, before → self-wakes → with this line, two
 * runs; a promise-only FIFO mutex 0.22-0.30):
 *
 * | 100 tasks, one thread | Node                   | Bun                  | Deno                 |
 * | --------------------- | ---------------------- | -------------------- | -------------------- |
 * | `Lock`                | 76-84 → 141-156 → 8.4  | 1.1 → 476-495 → 10.6 | 58-61 → 84-97 → 5.7  |
 * | `Semaphore(1)`        | 171-191 → 75-103 → 8.2 | 41-49 → 425-437 → 11 | 82-104 → 56-97 → 5.8 |
 *
 * Bun's `Lock` before was cheap for the probe's pattern by unfairness: each task took the lock
 * for its 10 turns in a row (barging past the 99 others, whose settlements came after), where the
 * line serves the waiting calls in call order, each with one registration (and nudge) of its
 * own. The same tasks acquiring once each (100 at a time, one release to start them) took 494
 * µs an acquire on Bun before, 254 on Node. Since 2026-12-04 the head of the line registers
 * nothing while the lock is held by its own thread (`futex.ts`, "Local parks", with the figures),
 * and since 2026-12-05 a `Lock`'s or `Semaphore`'s head runs no slow path then either ("Local
 * waits").
 */
export function acquireBehind(
  line: Line,
  timeout: number,
  signal: AbortSignal | undefined,
  tryNow: () => boolean,
  wait: (deadline: number) => Promise<boolean>,
): Promise<boolean> {
  const deadline = deadlineAfter(timeout);
  return new Promise<boolean>((resolve, reject) => {
    const go = () => {
      let waited: Promise<boolean>;
      try {
        if (tryNow()) {
          resolve(true);
          return line.done(); // after: this call's reactions run before the next call's
        }
        if (deadline !== Infinity && now() >= deadline) {
          resolve(false); // late, as `late` below
          return line.done();
        }
        waited = wait(deadline);
      } catch (error) {
        reject(error);
        return line.done();
      }
      waited.then((ok) => {
        resolve(ok);
        line.done();
      }, (error) => {
        reject(error);
        line.done();
      });
    };
    const late = () => {
      resolve(false);
      return undefined;
    };
    line.wait({ go, late, abort: reject }, deadline, signal);
  });
}
