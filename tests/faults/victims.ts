/**
 * Victim threads of the random-kill suite (`tests/faults_test.ts`). Each export runs in a
 * threadkit `Thread` (owner death is tracked only for those), loops over one primitive until the
 * main thread sets STOP, and is terminated by the main thread at seeded random points.
 *
 * Victims wait only with the Promise forms: Deno's `Worker.terminate()` cannot interrupt a
 * blocking `Atomics.wait`, and a terminated worker must die where it stands. They await a task
 * turn at seeded points inside their critical sections, so kills land there too (Deno ends a
 * worker only between tasks). Every wait is bounded: a wait that runs out where it must not
 * throws, and the test reports it as stuck.
 *
 * @module
 */

import {
  type Barrier,
  BrokenBarrierError,
  type Condition,
  currentThread,
  type Guard,
  type Lock,
  OwnerDiedError,
  PriorityQueue,
  type Queue,
  QueueEmptyError,
  type Semaphore,
} from "../../mod.ts";
import { HEADER_SLOTS, LOCK } from "../../src/queue/header.ts";
import {
  C_OWNER,
  cellAt,
  claimCell,
  DEAD,
  EXTRA,
  freeCell,
  GO,
  IDENT,
  PROGRESS,
  random,
  repairCell,
  STOP,
  transact,
  turn,
  type VictimResult,
  workerOf,
} from "./shared.ts";

/** Queue bookkeeping words (after the cells): puts started by producer p. */
export const Q_STARTED = EXTRA;
/** Puts finished by producer p. */
export const Q_DONE = EXTRA + 8;
/** Items taken by all consumers. */
export const Q_TAKEN = EXTRA + 16;
/** Gets that timed out (the queue stayed empty for 50 ms), all consumers. */
export const Q_EMPTY = EXTRA + 17;
/**
 * Semaphore worker i's window word: where it stands in a synchronous semaphore call whose
 * `terminate()` may lose the permit in flight (see "Owner death" in `src/semaphore.ts`): 0
 * outside, {@link IN_HOLD} or {@link IN_RELEASE} inside. Written by the worker only; read by the
 * main thread after the worker is gone, so the last value written is where the kill landed.
 */
export const S_WINDOW = EXTRA + 18;
/**
 * Inside the synchronous part of `hold()` (the call, before its promise is returned): the fast
 * path's take and its attribution, and the slow path's turns up to its first park, run there.
 */
export const IN_HOLD = 1;
/** Inside a `release()`: the attribution is dropped before VALUE is raised (or the permit handed). */
export const IN_RELEASE = 2;
/** Ids a producer may put: producer p puts p * ID_SPAN + k for k < ID_SPAN. */
export const ID_SPAN = 1 << 14;

/**
 * Says this worker has started, then waits until all have (threads take from milliseconds to
 * over a second to start on a loaded machine: a producer must not time out on a full queue
 * because the consumers are still loading).
 */
async function begin(
  sab: SharedArrayBuffer,
  me: number,
): Promise<{ w: Int32Array; result: VictimResult }> {
  const w = new Int32Array(sab);
  Atomics.store(w, IDENT + me, currentThread().ident);
  for (const t0 = performance.now(); Atomics.load(w, GO) === 0;) {
    if (performance.now() - t0 > 60_000) throw new Error(`Worker ${me}: the trial never started`);
    await turn();
  }
  return { w, result: { ops: 0, ownerDied: [], rolledBack: 0, maxWaitMs: 0 } };
}

function stuck(me: number, what: string, ms: number): Error {
  return new Error(`Worker ${me} is stuck: ${what} did not return within ${ms} ms`);
}

/** Records how long a wait took. */
function waited(result: VictimResult, t0: number): void {
  result.maxWaitMs = Math.max(result.maxWaitMs, performance.now() - t0);
}

/**
 * Lock: each step takes the lock, repairs after a dead holder, commits one transaction on cell 0
 * and releases. `stuckMs` bounds every acquire.
 */
export async function lockVictim(
  lock: Lock,
  sab: SharedArrayBuffer,
  me: number,
  seed: number,
  stuckMs: number,
): Promise<VictimResult> {
  const { w, result } = await begin(sab, me);
  const rnd = random(seed);
  while (Atomics.load(w, STOP) === 0) {
    const t0 = performance.now();
    let died = 0;
    try {
      if (!await lock.acquire({ timeout: stuckMs })) throw stuck(me, "lock.acquire", stuckMs);
    } catch (error) {
      if (!(error instanceof OwnerDiedError)) throw error;
      died = error.ownerIdent;
    }
    waited(result, t0);
    Atomics.add(w, PROGRESS + me, 1);
    if (died !== 0) {
      result.ownerDied.push(died);
      if (repairCell(w, 0)) result.rolledBack++;
    }
    if (!claimCell(w, 0, me)) {
      throw new Error(
        `Worker ${me} holds the lock but cell 0 is owned by worker ${
          Atomics.load(w, cellAt(0, C_OWNER)) - 1
        } and no OwnerDiedError said its holder died`,
      );
    }
    await transact(w, 0, me, Math.floor(rnd() * 4) & (rnd() < 0.5 ? 3 : 0));
    freeCell(w, 0);
    if (rnd() < 0.2) await turn(); // a kill here leaves the lock held and the cell free
    lock.release();
    result.ops++;
    await turn(); // let the others in (the lock is not fair)
  }
  return result;
}

/** Repairs every cell owned by a dead worker (by OwnerDiedError's ident or by the DEAD flags). */
function repairDeadCells(w: Int32Array, cells: number, deadIdent: number, result: VictimResult) {
  const named = deadIdent === 0 ? -1 : workerOf(w, deadIdent);
  for (let c = 0; c < cells; c++) {
    const owner = Atomics.load(w, cellAt(c, C_OWNER)) - 1;
    if (owner < 0) continue;
    if (owner === named || Atomics.load(w, DEAD + owner) === 1) {
      // The owner judged dead, not whoever owns the cell by the time of the repair.
      if (repairCell(w, c, owner + 1)) result.rolledBack++;
    }
  }
}

/**
 * Semaphore(cells) through `hold()`: a holder claims one of `cells` cells (there must be a free
 * one: holders never outnumber permits) and commits one transaction on it.
 */
export async function semaphoreVictim(
  sem: Semaphore,
  sab: SharedArrayBuffer,
  me: number,
  seed: number,
  stuckMs: number,
  cells: number,
): Promise<VictimResult> {
  const { w, result } = await begin(sab, me);
  const rnd = random(seed);
  while (Atomics.load(w, STOP) === 0) {
    const t0 = performance.now();
    let guard: Guard | undefined;
    let died = 0;
    try {
      // The window word brackets the synchronous part of the call only: later turns of the
      // slow path run in the futex layer's callbacks, outside any bracket (see the suite).
      Atomics.store(w, S_WINDOW + me, IN_HOLD);
      const holding = sem.hold({ timeout: stuckMs });
      Atomics.store(w, S_WINDOW + me, 0);
      guard = await holding;
    } catch (error) {
      if (!(error instanceof OwnerDiedError)) {
        throw error instanceof Error && error.name === "TimeoutError"
          ? stuck(me, "semaphore.hold", stuckMs)
          : error;
      }
      died = error.ownerIdent; // we hold a permit, attributed to us, without a guard
    }
    waited(result, t0);
    Atomics.add(w, PROGRESS + me, 1);
    if (died !== 0) result.ownerDied.push(died);
    repairDeadCells(w, cells, died, result);
    // A free cell must exist; a dead holder's cell may wait for its DEAD flag (set by the main
    // thread once terminate() resolved, maybe just after the permit was reclaimed).
    let cell = -1;
    for (const t1 = performance.now();;) {
      for (let c = 0; c < cells && cell < 0; c++) if (claimCell(w, c, me)) cell = c;
      if (cell >= 0) break;
      if (performance.now() - t1 > stuckMs) {
        const owners = Array.from(
          { length: cells },
          (_, c) => Atomics.load(w, cellAt(c, C_OWNER)) - 1,
        );
        throw new Error(
          `Worker ${me} holds a permit but all ${cells} cells are owned (by workers ${owners}): ` +
            `more holders than permits`,
        );
      }
      await turn();
      repairDeadCells(w, cells, 0, result);
    }
    await transact(w, cell, me, Math.floor(rnd() * 4) & (rnd() < 0.5 ? 3 : 0));
    freeCell(w, cell);
    if (rnd() < 0.2) await turn(); // a kill here leaves the permit held and the cell free
    Atomics.store(w, S_WINDOW + me, IN_RELEASE);
    if (guard !== undefined) guard.release();
    else sem.release();
    Atomics.store(w, S_WINDOW + me, 0);
    result.ops++;
    await turn();
  }
  return result;
}

/**
 * Condition (over its default RLock): commits a transaction on cell 0 under the condition's
 * lock, notifies, and sometimes waits (20 ms) with the cell freed; the re-acquire inside `wait`
 * may report a dead holder too.
 */
export async function conditionVictim(
  cond: Condition,
  sab: SharedArrayBuffer,
  me: number,
  seed: number,
  stuckMs: number,
): Promise<VictimResult> {
  const { w, result } = await begin(sab, me);
  const rnd = random(seed);
  const takeCell = (died: number) => {
    if (died !== 0) {
      result.ownerDied.push(died);
      if (repairCell(w, 0)) result.rolledBack++;
    }
    if (!claimCell(w, 0, me)) {
      throw new Error(
        `Worker ${me} holds the condition's lock but cell 0 is owned by worker ${
          Atomics.load(w, cellAt(0, C_OWNER)) - 1
        } and no OwnerDiedError said its holder died`,
      );
    }
  };
  while (Atomics.load(w, STOP) === 0) {
    let t0 = performance.now();
    let died = 0;
    try {
      if (!await cond.acquire({ timeout: stuckMs })) throw stuck(me, "condition.acquire", stuckMs);
    } catch (error) {
      if (!(error instanceof OwnerDiedError)) throw error;
      died = error.ownerIdent;
    }
    waited(result, t0);
    Atomics.add(w, PROGRESS + me, 1);
    takeCell(died);
    await transact(w, 0, me, Math.floor(rnd() * 4) & (rnd() < 0.5 ? 3 : 0));
    const r = rnd();
    if (r < 0.4) cond.notify(1);
    else if (r < 0.5) cond.notifyAll();
    if (rnd() < 0.5) {
      freeCell(w, 0);
      t0 = performance.now();
      died = 0;
      try {
        await cond.wait({ timeout: 20 });
      } catch (error) {
        if (!(error instanceof OwnerDiedError)) throw error;
        died = error.ownerIdent;
      }
      const ms = performance.now() - t0;
      if (ms > 20 + stuckMs) throw stuck(me, "condition.wait({ timeout: 20 })", 20 + stuckMs);
      result.maxWaitMs = Math.max(result.maxWaitMs, ms - 20);
      takeCell(died);
    }
    freeCell(w, 0);
    if (rnd() < 0.2) await turn();
    cond.release();
    result.ops++;
    await turn();
  }
  return result;
}

/**
 * Barrier: waits at the barrier (with its `timeoutMs`) in a loop; returns when the barrier
 * breaks, saying after how long.
 */
export async function barrierVictim(
  barrier: Barrier,
  sab: SharedArrayBuffer,
  me: number,
  seed: number,
  timeoutMs: number,
): Promise<VictimResult> {
  const { w, result } = await begin(sab, me);
  const rnd = random(seed);
  for (;;) {
    Atomics.add(w, PROGRESS + me, 1);
    if (rnd() < 0.3) await turn();
    const t0 = performance.now();
    try {
      await barrier.wait({ timeout: timeoutMs });
    } catch (error) {
      if (!(error instanceof BrokenBarrierError)) throw error;
      result.ended = error.name;
      result.maxWaitMs = performance.now() - t0;
      return result;
    }
    waited(result, t0);
    result.ops++;
  }
}

/**
 * A white-box view of the queue's header for a stuck report: its lock word's holder (a worker
 * index, and whether it was killed), then the header slots (see `src/queue/header.ts`).
 */
function queueState(queue: Queue<number> | PriorityQueue<number>, w: Int32Array): string {
  const header = new Int32Array(queue.handle.buffer, queue.handle.byteOffset, HEADER_SLOTS);
  const owner = Atomics.load(header, LOCK) >>> 1;
  const worker = owner === 0 ? -1 : workerOf(w, owner);
  const who = owner === 0
    ? "lock free"
    : `lock held by thread ${owner} (worker ${worker}${
      worker >= 0 && Atomics.load(w, DEAD + worker) === 1 ? ", killed" : ""
    })`;
  return `${who}; header ${Array.from(header)}`;
}

/** Queue producer `me`: puts ids `me * ID_SPAN + k`, recording each put started and finished. */
export async function queueProducer(
  queue: Queue<number> | PriorityQueue<number>,
  sab: SharedArrayBuffer,
  me: number,
  seed: number,
  stuckMs: number,
): Promise<VictimResult> {
  const { w, result } = await begin(sab, me);
  const rnd = random(seed);
  for (let k = 0; k < ID_SPAN && Atomics.load(w, STOP) === 0; k++) {
    Atomics.store(w, Q_STARTED + me, k + 1); // id k may be in the queue from here
    const t0 = performance.now();
    const taken = Atomics.load(w, Q_TAKEN);
    const empty = Atomics.load(w, Q_EMPTY);
    try {
      // A PriorityQueue's items come at one of 8 priorities: its puts and gets sift the heap.
      if (queue instanceof PriorityQueue) {
        await queue.put(me * ID_SPAN + k, { timeout: stuckMs, priority: Math.floor(rnd() * 8) });
      } else {
        await queue.put(me * ID_SPAN + k, { timeout: stuckMs });
      }
    } catch (error) {
      if (!(error instanceof Error) || error.name !== "QueueFullError") throw error;
      // Told to stop meanwhile: the consumers may have returned, leaving the queue full.
      if (Atomics.load(w, STOP) !== 0) break;
      const more = Atomics.load(w, Q_TAKEN) - taken;
      const timedOut = Atomics.load(w, Q_EMPTY) - empty;
      throw stuck(
        me,
        `queue.put (qsize ${queue.qsize()}; meanwhile consumers took ${more} items and ` +
          `${timedOut} gets timed out; ${queueState(queue, w)})`,
        stuckMs,
      );
    }
    waited(result, t0);
    if (rnd() < 0.2) await turn(); // a kill here: put, not recorded as done
    Atomics.store(w, Q_DONE + me, k + 1);
    Atomics.add(w, PROGRESS + me, 1);
    result.ops++;
    await turn();
  }
  return result;
}

/** Queue consumer `me`: gets ids and counts each in `seen` (a second SharedArrayBuffer). */
export async function queueConsumer(
  queue: Queue<number> | PriorityQueue<number>,
  sab: SharedArrayBuffer,
  seen: SharedArrayBuffer,
  me: number,
  seed: number,
): Promise<VictimResult> {
  const { w, result } = await begin(sab, me);
  const counts = new Int32Array(seen);
  const rnd = random(seed);
  result.received = 0;
  while (Atomics.load(w, STOP) === 0) {
    let id: number;
    try {
      id = await queue.get({ timeout: 50 });
    } catch (error) {
      if (error instanceof QueueEmptyError) {
        Atomics.add(w, Q_EMPTY, 1);
        continue;
      }
      throw error;
    }
    Atomics.add(w, Q_TAKEN, 1);
    if (rnd() < 0.2) await turn(); // a kill here: an id taken, never counted
    Atomics.add(counts, id, 1);
    Atomics.add(w, PROGRESS + me, 1);
    result.received++;
    result.ops++;
    if (rnd() < 0.5) await turn();
  }
  return result;
}
