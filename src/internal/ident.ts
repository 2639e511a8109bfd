/**
 * Thread identity: every thread that touches a primitive gets an `ident`, a positive int32 unique
 * among the threads of the process, drawn from one shared *registry*.
 *
 * The registry is a small SharedArrayBuffer created lazily by the first thread that needs it and
 * carried inside every primitive's handle, so it reaches every thread that can share a primitive:
 * threads started by threadkit receive it in their start message, and any other worker adopts it
 * from the first handle it opens (`X.from(handle)`), before it draws an ident.
 *
 * Caveat: a worker that threadkit did not start, that acquires a primitive it created itself
 * before it ever opened a handle from elsewhere, draws from a registry of its own; its ident may
 * then equal another thread's. Open any handle from the main thread first (or use a threadkit
 * `Thread`) and that cannot happen.
 *
 * Layout: Int32Array over the registry buffer
 * | slot                | name       | meaning                                                   |
 * | 0                   | NEXT       | the last tracked ident handed out (`Atomics.add`)         |
 * | 1                   | MAIN       | the main thread's ident once recorded, else 0             |
 * | 1 + s               | LIFE[s]    | 0 < s < MAX_TRACKED: 0 free, else `ident << 2 \| life`     |
 * | NAMES_AT            | UNTRACKED  | the last untracked ident handed out, minus UNTRACKED_BASE |
 * | NAMES_AT + s*NAME_W | NAME[s]    | UTF-16 name of LIFE[s]'s ident: length, then NAME_CHARS units |
 * | DIAG_AT ..          | DIAG       | DIAG_SLOTS slots owned by `diagnostics.ts` (wait-for table)  |
 *
 * Slots are reused: ident `i` lives in slot `slotOf(i)` = `1 + (i - 1) % (MAX_TRACKED - 1)`, and
 * a thread only ever gets an ident whose slot it could claim. Drawing takes the next ident from
 * NEXT and CASes its slot from free (0) or ended to `ident << 2 | LIFE_UNWATCHED`; a slot held by
 * a live or unwatched ident is skipped (that ident is never handed out). After MAX_TRACKED - 1
 * skips in a row (that many threads alive at once), or once NEXT passes UNTRACKED_BASE, the
 * ident comes from UNTRACKED instead: it has no slot, and lifeOf says LIFE_UNWATCHED.
 *
 * Invariants:
 * - Every tracked ident in use holds its slot from its draw until its thread ends: the slot's
 *   word names it. So a slot that names another ident means this one has ended (its slot was
 *   only reclaimable once it read LIFE_ENDED) — lifeOf answers LIFE_ENDED then.
 * - For one ident, life goes UNWATCHED → ALIVE → ENDED and never back; only the thread machinery
 *   (`thread/`, `pool/`) moves it: the parent UNWATCHED → ALIVE before the thread's worker
 *   exists, then whichever sees the end first (the thread's bootstrap or its parent) → ENDED.
 *   Each move is a CAS from the word that names the same ident, so it never touches a slot
 *   another ident has claimed since.
 *
 * @module
 */

/** Slot of the ident counter. */
const NEXT = 0;
/** Slot of the main thread's ident. */
const MAIN = 1;
/** Liveness slots (one per tracked ident at a time, reused once their ident ended), plus one. */
export const MAX_TRACKED = 1024;
/** Tracked idents are below this (so that `ident << 2` stays a positive int32). */
const UNTRACKED_BASE = 2 ** 29;
/** Code units of a stored name (longer names are cut). */
const NAME_CHARS = 31;
/** Int32 slots per name: one for the length, then two UTF-16 units per slot. */
const NAME_W = 1 + Math.ceil(NAME_CHARS / 2);
/** First name slot; name slot 0 (no ident lives in slot 0) holds the UNTRACKED counter. */
const NAMES_AT = 1 + MAX_TRACKED;
/** Slot of the untracked-ident counter. */
const UNTRACKED = NAMES_AT;
/** First slot of the area `diagnostics.ts` lays out (see its header). */
export const DIAG_AT = NAMES_AT + MAX_TRACKED * NAME_W;
/** Slots of that area: two words, then 24 per tracked ident. */
export const DIAG_SLOTS = 2 + MAX_TRACKED * 24;
/** Size of the registry in bytes. */
const REGISTRY_BYTES = (DIAG_AT + DIAG_SLOTS) * 4;

/** Liveness of an ident nobody watches (the main thread, foreign workers). */
export const LIFE_UNWATCHED = 0;
/** Liveness of a thread whose end the runtime layer will report. */
export const LIFE_ALIVE = 1;
/** Liveness of a thread that has ended. */
export const LIFE_ENDED = 2;

/**
 * What this thread knows of itself. It lives on `globalThis` under a registered symbol, not in
 * module variables, so that two copies of threadkit loaded in one thread (the bootstrap's bundle
 * and the user's `import "threadkit"`, or a `src/` and a `dist/` copy) share one identity.
 */
interface ThreadState {
  /** This thread's ident; 0 until drawn. */
  ident: number;
  registryBuffer: SharedArrayBuffer | undefined;
  registry: Int32Array | undefined;
  /** The record of a thread threadkit started, as it knows itself (see `thread/self.ts`). */
  self: unknown;
}

/**
 * The key names the registry layout: copies that share it must agree on the registry's size and
 * slot encoding. v2: liveness slots reused (`ident << 2 | life`) and the diagnostics area. A v1
 * copy in the same thread keeps an identity of its own instead of misreading this registry (seen
 * as idents drawn twice when a v1 and a v2 copy ran in one process: `bench/fairness.ts --before`).
 */
const STATE_KEY = Symbol.for("threadkit.thread.v2");
const state: ThreadState = ((globalThis as Record<symbol, unknown>)[STATE_KEY] ??= {
  ident: 0,
  registryBuffer: undefined,
  registry: undefined,
  self: undefined,
}) as ThreadState;

/** The runtime layer's record of this thread, shared by every copy of threadkit in it. */
export function threadRecord(): unknown {
  return state.self;
}

/** Sets the runtime layer's record of this thread. */
export function setThreadRecord(record: unknown): void {
  state.self = record;
}

/** The registry of this thread, created on first use. */
export function registryOf(): SharedArrayBuffer {
  if (state.registryBuffer === undefined) {
    useRegistry(new SharedArrayBuffer(REGISTRY_BYTES));
  }
  return state.registryBuffer!;
}

function useRegistry(buffer: SharedArrayBuffer): void {
  state.registryBuffer = buffer;
  state.registry = new Int32Array(buffer);
}

/**
 * Adopts `buffer` as this thread's registry, if this thread has not drawn an ident yet (see the
 * caveat above). Returns whether it did.
 */
export function adoptRegistry(buffer: unknown): boolean {
  if (state.ident !== 0 || buffer === state.registryBuffer) return false;
  if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength !== REGISTRY_BYTES) return false;
  useRegistry(buffer);
  return true;
}

/** This thread's ident (drawn on first use). The fast paths of every lock call this. */
export function currentIdent(): number {
  return state.ident !== 0 ? state.ident : drawIdent();
}

function drawIdent(): number {
  state.ident = nextIdent("this thread");
  return state.ident;
}

/** The liveness slot of a tracked ident (see the layout above); `diagnostics.ts` keys by it too. */
export function slotOf(id: number): number {
  return 1 + ((id - 1) % (MAX_TRACKED - 1));
}

/** The registry index of the liveness word of `id`, or -1 when `id` is not tracked. */
function lifeIndex(id: number): number {
  return state.registry === undefined || id <= 0 || id >= UNTRACKED_BASE ? -1 : 1 + slotOf(id);
}

/**
 * Takes the next ident from the registry and claims its liveness slot (`who` names its future
 * owner, for the error). Skips idents whose slot a live or unwatched ident holds; see the layout.
 */
function nextIdent(who: string): number {
  registryOf();
  const r = state.registry!;
  for (let skipped = 0; skipped < MAX_TRACKED - 1; skipped++) {
    const drawn = Atomics.add(r, NEXT, 1) + 1;
    if (drawn >= UNTRACKED_BASE) break;
    const at = 1 + slotOf(drawn);
    // Claim the slot if it is free or its ident has ended; otherwise that ident still lives (or
    // is unwatched and may), and `drawn` is never handed out. The CAS makes the claim exclusive:
    // a concurrent drawer of the same slot (an ident MAX_TRACKED - 1 apart) sees our word.
    let seen = Atomics.load(r, at);
    for (;;) {
      if (seen !== 0 && (seen & 3) !== LIFE_ENDED) break;
      const was = Atomics.compareExchange(r, at, seen, (drawn << 2) | LIFE_UNWATCHED);
      if (was === seen) {
        Atomics.store(r, NAMES_AT + slotOf(drawn) * NAME_W, 0); // the ended ident's name goes
        return drawn;
      }
      seen = was;
    }
  }
  // Every slot is held (that many threads live at once) or tracked idents are used up: an ident
  // with no slot. Idents stay below 2^30 so that `ident << 1` (the lock word) is a positive int32.
  const drawn = UNTRACKED_BASE + Atomics.add(r, UNTRACKED, 1) + 1;
  if (drawn >= 2 ** 30) throw new RangeError(`Cannot give ${who} an ident: all 2^30 are used`);
  return drawn;
}

/**
 * Draws a fresh ident for a thread this thread is about to start (runtime layer). The parent
 * passes it in the start message, so the ident is known to it at once; the new thread takes it
 * with {@link assumeIdent} after adopting this registry.
 */
export function drawIdentFor(): number {
  return nextIdent("a new thread");
}

/**
 * Makes `id`, drawn for this thread by its parent ({@link drawIdentFor}), this thread's ident.
 * Only before this thread has one; returns whether it did. Call {@link adoptRegistry} first.
 */
export function assumeIdent(id: number): boolean {
  if (state.ident !== 0 || !Number.isInteger(id) || id <= 0 || id >= 2 ** 30) return false;
  state.ident = id;
  return true;
}

/** The registry's slots, created on first use (for `diagnostics.ts`, which owns DIAG). */
export function registrySlots(): Int32Array {
  registryOf();
  return state.registry!;
}

/** Records `id` as the main thread's ident (thread layer, on the main thread only). */
export function setMainIdent(id: number): void {
  registryOf();
  Atomics.store(state.registry!, MAIN, id);
}

/** The main thread's ident, or 0 when it has not been recorded in this registry. */
export function mainIdent(): number {
  return state.registry === undefined ? 0 : Atomics.load(state.registry, MAIN);
}

/** Liveness of `id` as the runtime layer recorded it. */
export function lifeOf(id: number): number {
  const at = lifeIndex(id);
  if (at < 0) return LIFE_UNWATCHED;
  const word = Atomics.load(state.registry!, at);
  // A slot that names another ident was reclaimed after `id` ended (see the invariants).
  return word >>> 2 === id ? word & 3 : LIFE_ENDED;
}

/**
 * Records the liveness of `id` (thread machinery only; see the invariants): a CAS from the word
 * that names `id`, so a slot claimed since by another ident is left alone.
 */
export function setLife(id: number, life: number): void {
  registryOf();
  const at = lifeIndex(id);
  if (at < 0) return;
  const r = state.registry!;
  let seen = Atomics.load(r, at);
  while (seen >>> 2 === id && (seen & 3) !== LIFE_ENDED) {
    const was = Atomics.compareExchange(r, at, seen, (id << 2) | life);
    if (was === seen) return;
    seen = was;
  }
}

/** Whether `id` is tracked and holds its slot now (it has not ended and given the slot up). */
export function ownsSlot(id: number): boolean {
  const at = lifeIndex(id);
  return at >= 0 && Atomics.load(state.registry!, at) >>> 2 === id;
}

/** The tracked idents whose threads are alive (watched and not ended), in slot order. */
export function aliveIdents(): number[] {
  const alive: number[] = [];
  if (state.registry === undefined) return alive;
  for (let slot = 1; slot < MAX_TRACKED; slot++) {
    const word = Atomics.load(state.registry, 1 + slot);
    if ((word & 3) === LIFE_ALIVE) alive.push(word >>> 2);
  }
  return alive.sort((x, y) => x - y);
}

/** Records `name` as the name of `id` (cut to 31 code units). */
export function setName(id: number, name: string): void {
  registryOf();
  if (lifeIndex(id) < 0 || Atomics.load(state.registry!, lifeIndex(id)) >>> 2 !== id) return;
  const at = NAMES_AT + slotOf(id) * NAME_W;
  const length = Math.min(name.length, NAME_CHARS);
  const r = state.registry!;
  for (let i = 0; i < length; i += 2) {
    const low = name.charCodeAt(i);
    const high = i + 1 < length ? name.charCodeAt(i + 1) : 0;
    Atomics.store(r, at + 1 + (i >> 1), low | (high << 16));
  }
  Atomics.store(r, at, length);
}

/** The recorded name of `id`, or `undefined` (also once its slot went to another ident). */
export function nameOf(id: number): string | undefined {
  const index = lifeIndex(id);
  if (index < 0 || Atomics.load(state.registry!, index) >>> 2 !== id) return undefined;
  const at = NAMES_AT + slotOf(id) * NAME_W;
  const length = Atomics.load(state.registry!, at);
  if (length === 0) return undefined;
  let name = "";
  for (let i = 0; i < length; i++) {
    const pair = Atomics.load(state.registry!, at + 1 + (i >> 1));
    name += String.fromCharCode((i & 1) === 0 ? pair & 0xffff : pair >>> 16);
  }
  return name;
}

/** `thread 3 "worker-1"`, or `thread 3` when it has no name: for error messages. */
export function describeThread(id: number): string {
  const name = nameOf(id);
  return name === undefined ? `thread ${id}` : `thread ${id} ${JSON.stringify(name)}`;
}
