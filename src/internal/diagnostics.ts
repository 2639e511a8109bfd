/**
 * Debugging aids: primitive names, and the opt-in deadlock detector.
 *
 * ## Names
 * A primitive's `name` option travels in its handle (`handle.name`, put there by `place`), not in
 * its slots. Every thread that can use a primitive got it through its handle (`X.from(handle)`,
 * a `Thread` argument, a `Condition`'s lock handle), so every such thread sees the name at no
 * cost to the primitive's layout: `Lock.byteLength` stays 8, and placements that pack many locks
 * in one buffer keep their offsets. The price: a thread that rebuilds a handle by hand from a raw
 * buffer and offset (instead of receiving one) sees no name. The one place a name must be read by
 * a thread that may never have seen the handle — the deadlock detector naming what another
 * thread waits for — gets it from the wait-for table below, where each waiter copies the label of
 * what it waits for.
 *
 * ## The wait-for table
 * Lives in the DIAG area of the process registry (`ident.ts`), which every handle carries.
 *
 * Layout: Int32Array slots from DIAG_AT
 * | slot            | name    | meaning                                                          |
 * | 0               | ENABLED | 1 while detection is on (any thread may switch it)                |
 * | 1               | GUARD   | the detector lock: 0 free, else the ident checking for a cycle    |
 * | 2 + i*W + 0     | OWNER   | ident i sleeps (sync) on a lock word held by OWNER; 0 not waiting |
 * | 2 + i*W + 1     | SEEN    | EPOCH of OWNER when i published the edge                          |
 * | 2 + i*W + 2     | EPOCH   | releases by i of a word someone slept on (while detection is on)  |
 * | 2 + i*W + 3 ..  | LABEL   | what i waits for (`lock "orders"`): length, then LABEL_CHARS units |
 * Invariants:
 * - An edge `i → OWNER` (OWNER, SEEN, LABEL) is written only by thread i, under GUARD, after i has
 *   set PARKED on the word and before it sleeps, and cleared by i when its acquire ends.
 * - Whoever releases a word with PARKED set bumps EPOCH of the word's owner before waking anyone
 *   (`lock_word.ts`, `unlockSlow`). A waiter reads EPOCH of the owner, publishes its edge, then
 *   re-reads the word: if it still holds what the waiter will sleep on, every later release of
 *   it bumps EPOCH past SEEN. So an edge with `SEEN === EPOCH[OWNER]` is live: OWNER still holds
 *   the word and i still waits for it (or gave up on a timeout, see below).
 * - Only sync waits publish edges: an async waiter does not block its thread, which may still
 *   release what others wait for.
 *
 * ## Detection
 * Before each sync park, under GUARD, the waiter publishes its edge and follows the edges from the
 * owner it waits for: owner → what it waits for → ... A walk back to itself is a cycle of
 * blocked threads: the waiter clears its edge and throws `DeadlockError` naming the cycle. GUARD
 * serialises the checks, so of two threads closing a cycle at once, the second sees the first's
 * edge and throws; the first sleeps on and gets the lock once the second backs out. The walk
 * stops (no cycle) at a stale edge (SEEN ≠ EPOCH), a thread not waiting, an ended thread, or a
 * loop that does not pass through the waiter. A stale-looking edge can hide a live one (its owner
 * released another word with sleepers since), so while detection is on sleepers wake every
 * {@link DETECT_POLL_MS} to publish afresh and check again: a cycle is then reported by whichever
 * of its threads looks first.
 *
 * Limits: entries are keyed by liveness slot (`ident.ts`), so untracked idents (past 2^29, or
 * drawn while 1023 threads lived at once) take no part. A cycle broken only by a timeout of one
 * of its waits is reported all the same. A `Lock` may be released by a thread that does not hold
 * it (as in Python), so a program that uses a `Lock` as a signal between threads can look
 * deadlocked when it is not: enable detection for mutex-style locking only. A thread waiting for
 * a `Lock` it holds itself is not reported (another thread may release it).
 *
 * @module
 */

import { DeadlockError } from "../errors.ts";
import { now, type Park, type Parker, pause, type WaitResult } from "./futex.ts";
import {
  currentIdent,
  describeThread,
  DIAG_AT,
  DIAG_SLOTS,
  LIFE_ENDED,
  lifeOf,
  mainIdent,
  MAX_TRACKED,
  nameOf,
  ownsSlot,
  registrySlots,
  slotOf,
} from "./ident.ts";
import type { Handle } from "./layout.ts";

/** Slot of the on/off switch. */
const ENABLED = DIAG_AT;
/** Slot of the detector lock. */
const GUARD = DIAG_AT + 1;
/** First per-ident entry. */
const ENTRIES = DIAG_AT + 2;
/** Offset of OWNER in an entry. */
const OWNER = 0;
/** Offset of SEEN in an entry. */
const SEEN = 1;
/** Offset of EPOCH in an entry. */
const EPOCH = 2;
/** Offset of the label in an entry. */
const LABEL = 3;
/** Code units of a stored label (longer labels are cut). */
export const LABEL_CHARS = 40;
/** Slots per entry: OWNER, SEEN, EPOCH, then the label's length and units, two per slot. */
const W = LABEL + 1 + LABEL_CHARS / 2;
// The table must fit the area `ident.ts` reserves for it.
if (ENTRIES + MAX_TRACKED * W > DIAG_AT + DIAG_SLOTS) {
  throw new Error("threadkit: the registry's DIAG area is too small for the wait-for table");
}
/**
 * The owner bits of a lock word: `OWNER_BITS` of `lock_word.ts` (which imports this module, so it
 * is restated here rather than imported back): without STARVING (bit 31) and PARKED (bit 0).
 */
const WORD_OWNER_BITS = 0x7ffffffe;
/** How often a sleeper re-checks for a cycle while detection is on, in ms. */
export const DETECT_POLL_MS = 100;

/** The wait-for entry of `id`: keyed by its liveness slot, which it holds while it lives. */
function entry(id: number): number {
  return ENTRIES + slotOf(id) * W;
}

/** Whether `id` has an entry: tracked, and still the holder of its slot (see `ident.ts`). */
function tracked(id: number): boolean {
  return ownsSlot(id);
}

/**
 * Switches deadlock detection on (or off) for every thread that shares this process's registry.
 *
 * While it is on, a blocking `acquireSync()` (or `holdSync()`) of a `Lock` or `RLock` that would
 * close a cycle of threads each waiting for a lock the next one holds throws `DeadlockError`
 * naming the cycle, instead of hanging. It costs nothing while off: the lock's fast path does not
 * look at it, and the slow path reads one flag. While on, every blocking wait for a lock takes a
 * process-wide detector lock before it sleeps and wakes every 100 ms to check again, so leave it
 * off in production. Semaphores (permits are not owned), `RWLock` (readers are anonymous),
 * `Condition` waits and async waits (which do not block their thread) take no part.
 *
 * A `Lock` may be released by a thread that does not hold it; a program that uses a `Lock` as a
 * signal between threads can look deadlocked to the detector: use it with mutex-style locking.
 *
 * @param enabled `false` switches it off again. Default `true`.
 * @example Two threads taking two locks in opposite order
 * ```ts ignore
 * import { DeadlockError, enableDeadlockDetection, Lock } from "@threadkit/threadkit";
 *
 * enableDeadlockDetection();
 * const a = new Lock({ name: "accounts" });
 * const b = new Lock({ name: "orders" });
 * // thread 1: a.acquireSync(); b.acquireSync();   thread 2: b.acquireSync(); a.acquireSync();
 * // one of them throws DeadlockError: Cannot acquire lock "accounts": it would deadlock: ...
 * ```
 */
export function enableDeadlockDetection(enabled = true): void {
  Atomics.store(registrySlots(), ENABLED, enabled ? 1 : 0);
}

/** Whether detection is on (slow paths only). */
export function detecting(): boolean {
  return Atomics.load(registrySlots(), ENABLED) !== 0;
}

/**
 * Notes that `owner` released a lock word someone slept on (`unlockSlow`, before it wakes
 * anyone): edges to `owner` published before now are stale.
 */
export function noteRelease(owner: number): void {
  const r = registrySlots();
  if (Atomics.load(r, ENABLED) !== 0 && tracked(owner)) Atomics.add(r, entry(owner) + EPOCH, 1);
}

/** The `name` a primitive was created with, from its handle. */
export function nameIn(handle: Handle): string | undefined {
  const name = handle.name;
  return typeof name === "string" ? name : undefined;
}

/** `lock "orders"`, or `lock` without a name: how messages call a primitive. */
export function label(noun: string, handle: Handle): string {
  const name = nameIn(handle);
  return name === undefined ? noun : `${noun} ${JSON.stringify(name)}`;
}

function writeLabel(r: Int32Array, at: number, text: string): void {
  const length = Math.min(text.length, LABEL_CHARS);
  for (let i = 0; i < length; i += 2) {
    const low = text.charCodeAt(i);
    const high = i + 1 < length ? text.charCodeAt(i + 1) : 0;
    Atomics.store(r, at + 1 + (i >> 1), low | (high << 16));
  }
  Atomics.store(r, at, length);
}

function readLabel(r: Int32Array, at: number): string {
  const length = Atomics.load(r, at);
  let text = "";
  for (let i = 0; i < length; i++) {
    const pair = Atomics.load(r, at + 1 + (i >> 1));
    text += String.fromCharCode((i & 1) === 0 ? pair & 0xffff : pair >>> 16);
  }
  return text;
}

/** Takes GUARD; a holder that ended while holding it (its worker killed) is taken over. */
function lockGuard(r: Int32Array, me: number): void {
  for (;;) {
    const holder = Atomics.compareExchange(r, GUARD, 0, me);
    if (holder === 0) return;
    if (lifeOf(holder) === LIFE_ENDED) Atomics.compareExchange(r, GUARD, holder, 0);
    else pause();
  }
}

function unlockGuard(r: Int32Array): void {
  Atomics.store(r, GUARD, 0);
}

/**
 * Follows live edges from `first` (GUARD held). Returns the idents of the cycle in wait order,
 * `me` first (each waits for a lock the next holds, the last for one `me` holds), or `undefined`.
 */
function findCycle(r: Int32Array, me: number, first: number): number[] | undefined {
  const path = [me];
  let cur = first;
  while (cur !== me) {
    if (!tracked(cur) || path.includes(cur) || lifeOf(cur) === LIFE_ENDED) return undefined;
    const at = entry(cur);
    const next = Atomics.load(r, at + OWNER);
    // Not waiting, or the edge is stale: its owner released a word someone slept on since.
    if (!tracked(next) || Atomics.load(r, entry(next) + EPOCH) !== Atomics.load(r, at + SEEN)) {
      return undefined;
    }
    path.push(cur);
    cur = next;
  }
  return path;
}

/** Whether every edge of `cycle` is still what `findCycle` followed (GUARD held). */
function stillLive(r: Int32Array, cycle: number[]): boolean {
  for (let k = 0; k < cycle.length; k++) {
    const at = entry(cycle[k]!);
    const next = cycle[(k + 1) % cycle.length]!;
    if (Atomics.load(r, at + OWNER) !== next) return false;
    if (Atomics.load(r, entry(next) + EPOCH) !== Atomics.load(r, at + SEEN)) return false;
  }
  return true;
}

/** The error for `cycle` (GUARD held, edges live). */
function deadlock(r: Int32Array, cycle: number[], what: string): DeadlockError {
  const edges = cycle.map((ident, k) => {
    const holder = cycle[(k + 1) % cycle.length]!;
    return {
      ident,
      threadName: nameOf(ident),
      waitsFor: k === 0 ? what : readLabel(r, entry(ident) + LABEL),
      heldBy: holder,
    };
  });
  const text = edges.map((e, k) =>
    `${k === 0 ? "" : ", which "}${
      k === 0 ? `${describeThread(e.ident)} waits` : "waits"
    } for ${e.waitsFor} held by ${describeThread(e.heldBy)}`
  ).join("");
  return new DeadlockError(`Cannot acquire ${what}: it would deadlock: ${text}`, edges);
}

/**
 * Wraps the slow path of a sync lock-word acquire (`runSync` only) when detection is on; returns
 * it unchanged otherwise. `noun` and `handle` name the lock in the error and in the table.
 */
export function watchSync<R>(slow: Parker<R>, noun: string, handle: Handle): Parker<R> {
  return detecting() ? watched(slow, label(noun, handle)) : slow;
}

/**
 * Forwards every park of `inner` (a lock word's: `expected` is `owner << 1 | PARKED`), publishing
 * its edge and checking for a cycle first, and waking every DETECT_POLL_MS to check again.
 */
function* watched<R>(inner: Parker<R>, what: string): Parker<R> {
  const r = registrySlots();
  const me = currentIdent();
  const mine = entry(me);
  let step = inner.next();
  try {
    while (step.done !== true) {
      const park: Park = step.value;
      const owner = (park.expected & WORD_OWNER_BITS) >>> 1;
      if (tracked(me) && tracked(owner) && owner !== me) {
        lockGuard(r, me);
        // Publish the edge: the owner's epoch first, OWNER last (readers hold GUARD anyway).
        Atomics.store(r, mine + SEEN, Atomics.load(r, entry(owner) + EPOCH));
        writeLabel(r, mine + LABEL, what);
        Atomics.store(r, mine + OWNER, owner);
        // Re-read the word: still held by `owner` as we will sleep on it, so every later
        // release of it bumps the epoch we saw (see the invariants). Otherwise the park
        // returns "not-equal" and we publish afresh on the next one.
        if (Atomics.load(park.i32, park.index) === park.expected) {
          const cycle = findCycle(r, me, owner);
          if (cycle !== undefined && stillLive(r, cycle)) {
            const error = deadlock(r, cycle, what);
            Atomics.store(r, mine + OWNER, 0);
            unlockGuard(r);
            throw error;
          }
        }
        unlockGuard(r);
        // Wake in time to check again (a "timed-out" only makes the slow path re-read).
        park.deadline = Math.min(park.deadline, now() + DETECT_POLL_MS);
      }
      let answer: WaitResult;
      try {
        answer = yield park;
      } catch (error) {
        step = inner.throw(error);
        continue;
      }
      step = inner.next(answer);
    }
    return step.value;
  } finally {
    // Acquired, timed out, failed or abandoned: we wait for nothing now.
    if (tracked(me)) Atomics.store(r, mine + OWNER, 0);
    if (step.done !== true) inner.return(undefined as R);
  }
}

/** A thread that holds (part of) a primitive, as `describe()` reports it. */
export interface Holder {
  /** The thread's ident (`currentThread().ident` in that thread). */
  readonly ident: number;
  /** Its name, if it has one (a threadkit `Thread`'s name). */
  readonly name: string | undefined;
  /** How much it holds: an RLock's depth, a Semaphore's permits; 1 otherwise. */
  readonly count: number;
}

/**
 * What `describe()` reports of a primitive: a snapshot read without locking, for logs and
 * debuggers (by the time it is read, the state may have moved on).
 */
export interface Description {
  /** The primitive's class, e.g. `"Lock"`. */
  readonly kind: string;
  /** The `name` it was created with, if any. */
  readonly name: string | undefined;
  /**
   * Who holds it: the owner of a `Lock` or `RLock` (of a `Condition`'s lock), the writer of an
   * `RWLock`, the threads a `Semaphore`'s guarded permits are attributed to. Empty when free or
   * unknown (RWLock readers and unguarded permits are anonymous).
   */
  readonly holders: readonly Holder[];
  /**
   * Threads or async tasks waiting for it. `Lock` and `RLock` keep one PARKED bit, not a count:
   * for them `0` means nobody sleeps, and any other figure is a lower bound (the async waiters
   * registered, or 1).
   */
  readonly waiters: number;
  /**
   * A figure of the kind: a Semaphore's free permits, an RWLock's readers holding it. Absent for
   * the others.
   */
  readonly value?: number;
  /** The same in one line, e.g. `lock "orders": held by thread 3 "worker-1", 2 waiting`. */
  readonly text: string;
}

/** The holder entry of `ident` (none for 0). */
export function holderOf(ident: number, count = 1): Holder[] {
  if (ident === 0) return [];
  const name = nameOf(ident) ?? (ident === mainIdent() ? "MainThread" : undefined);
  return [{ ident, name, count }];
}

/** Builds a {@link Description}, with its one-line `text`. */
export function description(
  kind: string,
  noun: string,
  handle: Handle,
  holders: Holder[],
  waiters: number,
  value?: number,
  valueText?: string,
): Description {
  const held = holders.length === 0
    ? "not held by a known thread"
    : `held by ${
      holders.map((h) =>
        `thread ${h.ident}${h.name === undefined ? "" : ` ${JSON.stringify(h.name)}`}${
          h.count === 1 ? "" : ` (${h.count})`
        }`
      )
        .join(", ")
    }`;
  const parts = [held];
  if (valueText !== undefined) parts.push(valueText);
  if (waiters !== 0) parts.push(`${waiters} waiting`);
  const text = `${label(noun, handle)}: ${parts.join(", ")}`;
  const base = { kind, name: nameIn(handle), holders: Object.freeze(holders), waiters, text };
  return Object.freeze(value === undefined ? base : { ...base, value });
}

/**
 * Waiters of a lock word at `at` (ASYNC at `at + 1`): the async ones registered, or 1 when only
 * the PARKED bit says someone may sleep.
 */
export function lockWordWaiters(i32: Int32Array, at: number): number {
  const parked = (Atomics.load(i32, at) & 1) !== 0 ? 1 : 0;
  return Math.max(parked, Atomics.load(i32, at + 1));
}
