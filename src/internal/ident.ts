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
 * | 0                   | NEXT       | the last ident handed out (`Atomics.add`)                 |
 * | 1                   | MAIN       | the main thread's ident once recorded, else 0 (LIFE[0]: ident 0 is never drawn) |
 * | 1 + i               | LIFE[i]    | 0 < i < MAX_TRACKED: 0 unwatched, 1 watched & alive, 2 ended |
 * | NAMES_AT + i*NAME_W | NAME[i]    | UTF-16 name of ident i: length, then up to NAME_CHARS units |
 * | DIAG_AT ..          | DIAG       | DIAG_SLOTS slots owned by `diagnostics.ts` (wait-for table)  |
 * Invariant: LIFE[i] goes 0 → 1 → 2 and never back; only the thread machinery (`thread/`,
 * `pool/`) writes it: the parent 0 → 1 before the thread's worker exists, then whichever
 * sees the end first (the thread's bootstrap or its parent) 1 → 2.
 *
 * @module
 */

/** Slot of the ident counter. */
const NEXT = 0;
/** Slot of the main thread's ident (the unused LIFE slot of ident 0). */
const MAIN = 1;
/** Idents below this have a liveness slot and a name slot. */
export const MAX_TRACKED = 1024;
/** Code units of a stored name (longer names are cut). */
const NAME_CHARS = 31;
/** Int32 slots per name: one for the length, then two UTF-16 units per slot. */
const NAME_W = 1 + Math.ceil(NAME_CHARS / 2);
/** First name slot. */
const NAMES_AT = 1 + MAX_TRACKED;
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

const STATE_KEY = Symbol.for("threadkit.thread.v1");
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

/** Takes the next ident from the registry (`who` names its future owner, for the error). */
function nextIdent(who: string): number {
  registryOf();
  // Idents are 1..2^30-1 so that `ident << 1` (the lock word) stays a positive int32.
  const drawn = Atomics.add(state.registry!, NEXT, 1) + 1;
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

/** The last ident handed out in this registry (0 if none): idents `1..lastIdent()` exist. */
export function lastIdent(): number {
  return state.registry === undefined ? 0 : Atomics.load(state.registry, NEXT);
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
  if (state.registry === undefined || id <= 0 || id >= MAX_TRACKED) return LIFE_UNWATCHED;
  return Atomics.load(state.registry, 1 + id);
}

/** Records the liveness of `id` (thread machinery only; see the invariant above). */
export function setLife(id: number, life: number): void {
  registryOf();
  if (id > 0 && id < MAX_TRACKED) Atomics.store(state.registry!, 1 + id, life);
}

/** Records `name` as the name of `id` (cut to 31 code units). */
export function setName(id: number, name: string): void {
  registryOf();
  if (id <= 0 || id >= MAX_TRACKED) return;
  const at = NAMES_AT + id * NAME_W;
  const length = Math.min(name.length, NAME_CHARS);
  const r = state.registry!;
  for (let i = 0; i < length; i += 2) {
    const low = name.charCodeAt(i);
    const high = i + 1 < length ? name.charCodeAt(i + 1) : 0;
    Atomics.store(r, at + 1 + (i >> 1), low | (high << 16));
  }
  Atomics.store(r, at, length);
}

/** The recorded name of `id`, or `undefined`. */
export function nameOf(id: number): string | undefined {
  if (state.registry === undefined || id <= 0 || id >= MAX_TRACKED) return undefined;
  const at = NAMES_AT + id * NAME_W;
  const length = Atomics.load(state.registry, at);
  if (length === 0) return undefined;
  let name = "";
  for (let i = 0; i < length; i++) {
    const pair = Atomics.load(state.registry, at + 1 + (i >> 1));
    name += String.fromCharCode((i & 1) === 0 ? pair & 0xffff : pair >>> 16);
  }
  return name;
}

/** `thread 3 "worker-1"`, or `thread 3` when it has no name: for error messages. */
export function describeThread(id: number): string {
  const name = nameOf(id);
  return name === undefined ? `thread ${id}` : `thread ${id} ${JSON.stringify(name)}`;
}
