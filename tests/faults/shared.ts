/**
 * What the random-kill suite's main thread and its victim threads share: the seeded random
 * generator, the layout of the trial's shared words, and the robust critical section (an undo
 * journal that the next holder rolls back when the previous one died inside it).
 *
 * ## The counter invariant
 * A *cell* is a group of words that one holder at a time updates: COUNTER, the owner of the cell
 * (worker index + 1, 0 free) and an undo journal. Worker `i` commits one increment as one
 * transaction: save COUNTER and its own COMMITTED[i] in the journal, open the journal (J_OWNER =
 * i + 1), increment both, close the journal. A kill may land between any two of these steps
 * (the victims await a task turn in the middle, so it often does). The next holder, told by
 * `OwnerDiedError` that the holder died, rolls an open journal back (the dead worker's
 * increment never happened) and frees the cell, as POSIX robust-mutex users repair with
 * `pthread_mutex_consistent`. So at any quiet moment, for every trial:
 *
 *     sum of COUNTER over the cells === sum of COMMITTED over all workers, dead or alive
 *
 * and a holder that finds the cell owned by someone else without having been told of a death
 * has caught a mutual-exclusion violation.
 *
 * @module
 */

/** A seeded generator of floats in [0, 1) (mulberry32: small, fast, good enough for tests). */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Most workers in one trial. */
export const MAX_WORKERS = 8;

// Words of a trial's Int32Array (`new Int32Array(sab)`).
/** Set to 1 by the main thread: workers return at their next loop turn. */
export const STOP = 0;
/** Worker i's progress (steps taken), polled by the main thread to pick kill points. */
export const PROGRESS = 1;
/** Worker i's increments committed through a cell. */
export const COMMITTED = PROGRESS + MAX_WORKERS;
/** Worker i's thread ident, written by the worker itself when it starts. */
export const IDENT = COMMITTED + MAX_WORKERS;
/** Set to 1 by the main thread once worker i has been terminated. */
export const DEAD = IDENT + MAX_WORKERS;
/** First cell; cell c takes CELL_WORDS words from CELLS + c * CELL_WORDS. */
export const CELLS = DEAD + MAX_WORKERS;
/** Words of one cell. */
export const CELL_WORDS = 5;
/** Cell word: worker index + 1 of the holder updating the cell, 0 when free, -1 while repaired. */
export const C_OWNER = 0;
/** Cell word: the counter. */
export const C_COUNTER = 1;
/** Cell word: worker index + 1 whose transaction is open (0: closed). */
export const C_J_OWNER = 2;
/** Cell word: COUNTER before the open transaction. */
export const C_J_COUNTER = 3;
/** Cell word: the open transaction's worker's COMMITTED before it. */
export const C_J_COMMITTED = 4;
/** Most cells in a trial. */
export const MAX_CELLS = 4;
/** First free word after the cells (queue bookkeeping uses it). */
export const EXTRA = CELLS + MAX_CELLS * CELL_WORDS;

/** Set to 1 by the main thread once every worker has started: the workers' clocks start then. */
export const GO = EXTRA + 31;

/** Words of the trial buffer before the extra area. */
export const TRIAL_WORDS = EXTRA;

/** The word `word` of cell `cell`. */
export function cellAt(cell: number, word: number): number {
  return CELLS + cell * CELL_WORDS + word;
}

/** Resolves at the next task turn (a macrotask: where Deno can end a terminated worker). */
export function turn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Rolls back the open transaction of cell `cell`, if any, and frees the cell. The caller holds
 * the primitive that guards the cell and knows its previous holder died; `deadOwner` is the
 * owner word (worker index + 1) it judged dead, when others may repair and claim the cell
 * meanwhile (a semaphore's cells), else the current owner is taken. Returns whether a
 * transaction was rolled back.
 */
export function repairCell(
  w: Int32Array,
  cell: number,
  deadOwner: number = Atomics.load(w, cellAt(cell, C_OWNER)),
): boolean {
  const owner = deadOwner;
  if (owner <= 0) return false;
  // Exclusive repair rights: one repairer per dead owner (two may race for a semaphore's cell),
  // and only of the owner judged dead. Re-reading the owner here took over a cell that another
  // survivor had repaired and a live worker had claimed since, in the middle of its transaction
  // (tests/regressions/fault_suite_repair_rolls_back_a_live_cell_test.ts).
  if (Atomics.compareExchange(w, cellAt(cell, C_OWNER), owner, -1) !== owner) return false;
  const open = Atomics.load(w, cellAt(cell, C_J_OWNER));
  if (open !== 0) {
    // The journal is open: the dead holder may have written COUNTER, COMMITTED, both or neither.
    Atomics.store(w, cellAt(cell, C_COUNTER), Atomics.load(w, cellAt(cell, C_J_COUNTER)));
    Atomics.store(w, COMMITTED + open - 1, Atomics.load(w, cellAt(cell, C_J_COMMITTED)));
    Atomics.store(w, cellAt(cell, C_J_OWNER), 0);
  }
  Atomics.store(w, cellAt(cell, C_OWNER), 0);
  return open !== 0;
}

/** The worker index whose thread ident is `ident`, or -1. */
export function workerOf(w: Int32Array, ident: number): number {
  for (let i = 0; i < MAX_WORKERS; i++) if (Atomics.load(w, IDENT + i) === ident) return i;
  return -1;
}

/**
 * One transaction on cell `cell` by worker `me`: increments COUNTER and COMMITTED[me] through
 * the undo journal. `linger` says where to await a task turn (a kill point): bit 0 after opening
 * the journal, bit 1 between the two increments.
 */
export async function transact(
  w: Int32Array,
  cell: number,
  me: number,
  linger: number,
): Promise<void> {
  Atomics.store(w, cellAt(cell, C_J_COUNTER), Atomics.load(w, cellAt(cell, C_COUNTER)));
  Atomics.store(w, cellAt(cell, C_J_COMMITTED), Atomics.load(w, COMMITTED + me));
  Atomics.store(w, cellAt(cell, C_J_OWNER), me + 1); // the journal is open from here
  if ((linger & 1) !== 0) await turn();
  Atomics.store(w, cellAt(cell, C_COUNTER), Atomics.load(w, cellAt(cell, C_J_COUNTER)) + 1);
  if ((linger & 2) !== 0) await turn();
  Atomics.store(w, COMMITTED + me, Atomics.load(w, cellAt(cell, C_J_COMMITTED)) + 1);
  Atomics.store(w, cellAt(cell, C_J_OWNER), 0); // committed
}

/**
 * Claims cell `cell` for worker `me` (the caller holds the guarding primitive). Returns `false`
 * when another holder owns it: a mutual-exclusion violation unless its owner is dead.
 */
export function claimCell(w: Int32Array, cell: number, me: number): boolean {
  return Atomics.compareExchange(w, cellAt(cell, C_OWNER), 0, me + 1) === 0;
}

/** Frees cell `cell` (its transaction closed). */
export function freeCell(w: Int32Array, cell: number): void {
  Atomics.store(w, cellAt(cell, C_OWNER), 0);
}

/** What a victim thread returns when it is told to stop. */
export interface VictimResult {
  /** Operations completed. */
  ops: number;
  /** Idents named by the `OwnerDiedError`s it got. */
  ownerDied: number[];
  /** Transactions it rolled back. */
  rolledBack: number;
  /** Longest single wait, in ms. */
  maxWaitMs: number;
  /** Barrier only: the error name that ended it, and ms from its last arrival to that error. */
  ended?: string;
  /** Queue consumers: items received. */
  received?: number;
}
