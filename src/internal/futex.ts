/**
 * The futex layer: wait on and wake one int32 slot of shared memory, synchronously or
 * asynchronously, with deadlines, abort signals and keep-alive.
 *
 * This file is the ONLY caller of `Atomics.wait`, `Atomics.waitAsync` and `Atomics.notify` in
 * threadkit. Every primitive writes its slow path once, as a generator that yields {@link Park}
 * requests ("sleep while slot `index` still holds `expected`, until `deadline`") and receives the
 * {@link WaitResult}; {@link runSync} answers the requests with `Atomics.wait`, {@link runAsync}
 * with `Atomics.waitAsync`. The hottest sync waits (`Lock`/`RLock.acquireSync`, a Condition's
 * `waitSync`) run the same steps as a plain loop over {@link parkSync} instead, with no
 * generator (`lockSlowSync` in `lock_word.ts`; `Condition#waitSlowSync`; a Barrier's plain
 * arrival and wait, `Barrier#waitSync`). A fast path never
 * reaches this file.
 *
 * ## Hazards this layer answers
 * - **Spurious and early wakeups.** `"ok"` only says that a notify reached the slot; callers
 *   re-check their state word after every wake and never treat a wake as ownership.
 * - **Keep-alive.** A pending `Atomics.waitAsync` keeps neither a process (Node, Deno, Bun) nor a
 *   worker (Node 24, Bun) alive: the program would end with the promise unsettled. While any async
 *   wait of this thread is pending, one interval timer is ref'd; it is unref'd (or, where timers
 *   cannot be unref'd, cleared) when the count drops to zero.
 * - **Woken but absent.** `Atomics.notify(n)` wakes the first `n` waiters of a slot, sync and async
 *   alike. An async waiter's thread may be busy, or itself blocked in `Atomics.wait`, so the wake
 *   it received does nothing until that thread runs again, while sync waiters that could run sleep
 *   on. To make that impossible, every async wait counts itself in an *async-waiter slot* of the
 *   primitive for as long as it is physically registered, and {@link wake} wakes **all** waiters of
 *   the slot whenever that count is non-zero. Every thread that can run is then woken; a sync
 *   waiter always can.
 * - **Abort.** A pending `Atomics.waitAsync` cannot be cancelled. On abort, the logical wait ends
 *   at once: the primitive's generator is closed (its `finally` blocks undo any waiter counts it
 *   added), the keep-alive reference is dropped and the promise rejects with `signal.reason`. The
 *   physical wait stays registered and counted in the async-waiter slot until a wake or its own
 *   timeout settles it, so the next wake of that slot still reaches every real waiter.
 * - **Timer per timeout.** A finite timeout given to `Atomics.waitAsync` makes the runtime schedule
 *   a timer for that one wait, which fires (cancelled or not) once its time comes, even if the
 *   wait was notified long before. The Lock and Semaphore slow paths park for at most
 *   `STARVE_AFTER_MS` (1 ms), so a ping-pong left one such timer per wait firing 1 ms later:
 *   Bun 2.2×, Node 1.2× the raw floor (see {@link runAsync} for the measurements). So the async
 *   driver registers every physical wait *without* a timeout and keeps the deadlines itself, on
 *   one timer per thread ({@link armDeadlines}); a logical wait that times out leaves its
 *   physical wait registered, to be reused by the next park on the same slot or settled by a
 *   wake of the slot when the run ends (see {@link AsyncRun}).
 * - **The last turn before sleeping.** An async waiter registers its `waitAsync` and returns to
 *   its event loop, which sleeps in the kernel until the wake's task arrives. A wake that arrives
 *   after the loop went to sleep costs far more than one that is already there when it looks
 *   (see {@link setAsyncNudge}); on Node, Bun and in browsers the driver makes the loop take one
 *   more turn before it sleeps.
 * - **Sleeping when the answer is microseconds away.** A sleep and a wake-up cost a thread 15–20 µs
 *   here; in a hand-off the other side often answers sooner. An async park first spins on its
 *   slot for a bounded time, where the runtime layer says so, and stops spinning while spins do
 *   not pay (see {@link setAsyncSpin}); sync parks too ({@link setSyncSpin}), but for the lock
 *   word's, which opt out (`Park.syncSpin`: spinning measured worse for contending threads),
 *   except a Condition's re-acquire, a sync acquire through a Condition (`condition.ts`,
 *   `acquireSync`) and a `Lock` used as a signal (`lock.ts`).
 * - **Waking oneself.** A thread that wakes a slot where one of its own async waits is parked
 *   (one async task releases a lock another task of the same thread waits for) would otherwise
 *   hear of its own wake only when the runtime settles that `waitAsync`, a task that reaches its
 *   event loop after the current one and a loop turn: 40-200 µs a hand-off here. A wake of every
 *   waiter of a slot ends this thread's own parks there in a microtask instead (see "Self-wakes").
 *   And a park that waits for another task of its own thread (a lock word this thread holds, an
 *   RWLock it holds for writing) need not register at all until the thread's turn ends (see
 *   "Local parks").
 * - **Forbidden blocking.** `Atomics.wait` throws on a browser's main thread; {@link assertCanBlock}
 *   turns that into a `TypeError` naming the async form, detected once per thread.
 * - **No `waitAsync`.** Where `Atomics.waitAsync` is missing, async waits poll the slot with
 *   bounded exponential backoff ({@link POLL_MIN_MS} to {@link POLL_MAX_MS}).
 *
 * @module
 */

/** What a wait reports, as `Atomics.wait` does. */
export type WaitResult = "ok" | "not-equal" | "timed-out";

/**
 * One request to sleep: "while `i32[index] === expected`, until `deadline`".
 *
 * Generators may reuse one request object across yields; the drivers read it before resuming.
 */
export interface Park {
  /** The primitive's slots. */
  i32: Int32Array;
  /** The slot to sleep on. */
  index: number;
  /** The value seen in that slot; a different value means "do not sleep". */
  expected: number;
  /** A `performance.now()` time, or `Infinity`. */
  deadline: number;
  /**
   * The slot that counts this primitive's physically registered async waiters, or `-1` where the
   * primitive always wakes all (see "Woken but absent" above).
   */
  asyncCount: number;
  /**
   * How late, in ms, the async driver may end this park after `deadline` (0 or absent: as
   * promptly as it can): {@link SOFT_SLACK_MS} for a deadline that is the slow path's own mark
   * (a starve mark, a liveness poll), never for the caller's timeout. See {@link armDeadlines}.
   */
  slack?: number;
  /**
   * The longest one sleep of this park may last, in ms (absent: until `deadline`): a park asleep
   * that long ends as `"timed-out"` and the slow path looks again (`SeqWait`'s poll for a wake
   * lost with its thread, `seq_wait.ts`). It costs nothing until the park blocks: the sync driver
   * passes it as `Atomics.wait`'s relative timeout, the async driver puts it on the thread's
   * deadline timer (with {@link SOFT_SLACK_MS}) when it registers the wait.
   */
  pollMs?: number;
  /**
   * `false`: a sync park of this slot sleeps at once, without the spin of {@link setSyncSpin}
   * (the lock word's acquires, see `lockSlow` in `lock_word.ts`; an RWLock's, see `rwlock.ts`).
   */
  syncSpin?: boolean;
  /** `false`: an async park of this slot registers at once, without the spin of {@link setAsyncSpin}. */
  asyncSpin?: boolean;
  /**
   * `true`: the change the park waits for most likely comes from another async task of this same
   * thread: the primitive's state names this thread as the one that holds what the park waits
   * for (a lock word held by this thread; an RWLock this thread holds for writing, whose OWNER
   * says so while the park sleeps on WSEQ or RSEQ, or holds for reading alone, by its count of
   * the thread's read locks: `localHint` in `rwlock.ts`), or, for a `Semaphore`, which has no
   * owner, the object that parks holds permits its own acquires took and has given one back (a
   * hint, not state: `semaphore.ts`, `HeldHere`). The async driver may then park it *locally*: no
   * `waitAsync` until this thread's turn ends (see "Local parks"). Sync parks ignore it.
   */
  local?: boolean;
  /**
   * Written by the async driver, not the slow path: `true` once a park marked {@link local}
   * reached its turn's end unwoken and registered (the mark was wrong). A slow path whose mark
   * is a guess reads it after the park and stops guessing (`semaphore.ts`); the others ignore it.
   */
  localMissed?: boolean;
  /**
   * A {@link now} reading the slow path took since it last slept, from which it computed this
   * request's deadline: the drivers measure the time left from it instead of reading the clock
   * again (as {@link parkSync}'s `clock`). The park may then end as late as the slow path's work
   * since that read (sub-µs). Set afresh at every yield by the slow paths that set it (the lock
   * word's, the semaphore's, an RWLock writer's); a stale one only makes a park that is already due end at the
   * deadline timer's next firing instead of at once. Measured (2026-12-04): 100 tasks of one
   * thread taking turns on a `Lock` read the clock 2 times a hand-off, 1 with it; a
   * `Semaphore(1)` 3, 1 (with the acquire's own read of an infinite deadline dropped,
   * `semaphore.ts`); a clock read costs 40 (Bun), 52 (Node), 100 ns (Deno) here.
   */
  clock?: number;
}

/**
 * The slack of a park whose deadline is a slow path's own mark rather than the caller's timeout
 * (the lock word's and the semaphore's starve mark, a liveness poll): lets parks share the
 * firings of the thread's deadline timer (see {@link armDeadlines}); sync waits ignore it.
 */
export const SOFT_SLACK_MS = 4;

/** A slow path: yields sleep requests, receives their results, returns the outcome. */
export type Parker<R> = Generator<Park, R, WaitResult>;

/** Smallest poll interval of the no-`waitAsync` fallback, in milliseconds. */
export const POLL_MIN_MS = 1;
/** Largest poll interval of the no-`waitAsync` fallback, in milliseconds. */
export const POLL_MAX_MS = 16;

/**
 * The monotonic clock every deadline in threadkit is measured on. `performance` is read once: on
 * Node `globalThis.performance` is a getter, and each call through it cost ~8 ns more (53 → 45
 * ns in a loop; 96-103 → 94-98 on Deno, 40-43 → 39-41 on Bun). With `flushWakes` emptying by
 * `pop`, pinned to one CPU (`taskset -c 0 node bench/probes/semaphore_pingpong.ts <before>
 * ./mod.ts`, two runs, after ÷ before, median): Condition 0.95, 0.98; Event 0.95, 0.96;
 * Semaphore 0.97, 0.94.
 */
const clock = performance;
export const now: () => number = () => clock.now();

/** `Atomics.pause` where the runtime has it (a spin-wait hint to the CPU), else nothing. */
export const pause: () => void =
  (Atomics as unknown as { pause?: () => void }).pause?.bind(Atomics) ?? (() => {});

/** A deadline `timeout` milliseconds from now (`Infinity` stays `Infinity`). */
export function deadlineAfter(timeout: number): number {
  return timeout === Infinity ? Infinity : now() + timeout;
}

// ---------------------------------------------------------------------------------------------
// Blocking permission

/** Whether this thread may call `Atomics.wait`; `undefined` until first asked. */
let blockingAllowed: boolean | undefined;

function probeBlocking(): boolean {
  try {
    // Expected 1 against a slot holding 0: returns "not-equal" at once where blocking is allowed,
    // throws a TypeError where it is not (a browser's main thread).
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * For tests: makes this thread behave as one that may not block (`false`: the sync forms throw,
 * internal words are taken by spinning, as on a browser's main thread), or probe again
 * (`undefined`).
 */
export function setBlocking(allowed: boolean | undefined): void {
  blockingAllowed = allowed;
}

/** Whether this thread may block in `Atomics.wait` (false on a browser's main thread). */
export function canBlock(): boolean {
  return blockingAllowed ??= probeBlocking();
}

/**
 * Throws a `TypeError` naming `asyncForm` when this thread may not block.
 *
 * @param asyncForm The call to suggest instead, e.g. `"lock.acquire()"`.
 */
export function assertCanBlock(asyncForm: string): void {
  if (blockingAllowed === true) return;
  blockingAllowed ??= probeBlocking();
  if (!blockingAllowed) {
    throw new TypeError(
      `Cannot block this thread: Atomics.wait is not allowed here (a browser main thread); use ${asyncForm} instead`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Waking

/**
 * Wakes this thread sent (`wake`, `wakeAll`, flushed deferred wakes), to tell a wait this thread
 * ended itself from one another thread ended (see the spin's credit, {@link setAsyncSpin}).
 */
let wakesSent = 0;

/**
 * Wakes up to `count` waiters of `i32[index]`, or all of them while any async waiter is counted in
 * `i32[asyncCount]` (see "Woken but absent"). Returns how many were woken.
 */
export function wake(i32: Int32Array, index: number, count: number, asyncCount: number): number {
  const n = asyncCount >= 0 && Atomics.load(i32, asyncCount) !== 0 ? Infinity : count;
  wakesSent++;
  const woken = Atomics.notify(i32, index, n);
  // A wake of every waiter reaches this thread's own registrations there too (see "Self-wakes");
  // any wake reaches its local parks, which no `Atomics.notify` can (see "Local parks").
  if ((n === Infinity && parkedCount !== 0) || localCount !== 0) {
    wokeHere(i32, index, n === Infinity);
  }
  return woken;
}

/** Wakes every waiter of `i32[index]`. Returns how many were woken. */
export function wakeAll(i32: Int32Array, index: number): number {
  wakesSent++;
  const woken = Atomics.notify(i32, index);
  if (parkedCount !== 0 || localCount !== 0) wokeHere(i32, index, true);
  return woken;
}

// ---------------------------------------------------------------------------------------------
// Self-wakes

/**
 * This thread's async runs whose physical wait is current (`AsyncRun.#physical`), by the buffer
 * of its slot: the waits a wake sent by this thread may end at once (see {@link wokeHere}). By
 * buffer, so that a wake looks only at the runs parked in its own buffer: a scan of every parked
 * run cost `Event.set()` 19 µs with 1,000 unrelated waits parked, and 1.4 ms with 50,000.
 */
const parkedHere = new WeakMap<ArrayBufferLike, Parked[]>();
/**
 * How many runs {@link parkedHere} holds (a wake with none looks no further). A WeakMap, whose
 * lists stay when emptied: a Map set and deleted a buffer's entry at every park of a lone waiter.
 */
let parkedCount = 0;

/** An entry of {@link parkedHere}: its index in its buffer's list (-1 when in none), and what a wake tells it. */
interface Parked {
  parkedAt: number;
  /** This thread woke every waiter of the slot at byte `at` of the entry's buffer. */
  wokenHere(at: number): void;
}

/** Puts `run`, parked in `buffer`, in {@link parkedHere}. */
function parkHere(run: Parked, buffer: ArrayBufferLike): void {
  if (run.parkedAt >= 0) return;
  let list = parkedHere.get(buffer);
  if (list === undefined) parkedHere.set(buffer, list = []);
  run.parkedAt = list.length;
  list.push(run);
  parkedCount++;
}

/** Takes `run` out of `buffer`'s list, if it is in it: the last entry takes its index. */
function unparkHere(run: Parked, buffer: ArrayBufferLike): void {
  const at = run.parkedAt;
  if (at < 0) return;
  run.parkedAt = -1;
  parkedCount--;
  const list = parkedHere.get(buffer)!;
  const last = list.pop()!;
  if (last !== run) {
    list[at] = last;
    last.parkedAt = at;
  }
}

/**
 * The turn's self-wake budget, until this thread's event loop next takes a turn (a `waitAsync`
 * settlement reaction, {@link turnTaken}). Two async tasks of one thread that wait on each other
 * (a ping-pong through two Semaphores) would otherwise hand over in microtasks for ever: no
 * timer, no I/O and no settlement ran again, and the registrations the self-wakes left behind
 * piled up (found by review: 130,000 and 190 MB in 1.5 s). Out of budget, a run's park ends the
 * ordinary way, by its settlement, a task (a local park or wait: at the turn's end).
 *
 * Two counts: wake calls of this thread that resumed runs of it (`selfWakesLeft`: a call of
 * {@link wokeHere} or {@link releasedHere} that resumed any number spends one; a release may make
 * up to three such calls), and the runs resumed (`selfWakeRunsLeft`). Charged one a run, as the
 * first version was, a release that woke a herd (16 reads of one thread behind its write) spent
 * 16 of 64 and the turn ended every 4 writes, every wait still pending then registering; charged
 * one a wake alone, aborting each of 50,000 waits parked on one slot (every abort wakes the slot)
 * would resume and re-park all the others at every abort: the runs' count bounds that, and the
 * turn's length with it. 256 wakes a turn (tried on Node and Deno: their Lock row of 100 tasks
 * 0.74-0.91 of 64) made the event loop's turns up to 10 times longer under a line of 1,500
 * tasks (found by review: 37 → 364 ms between turns on Node), so 64 everywhere.
 */
const SELF_WAKES_PER_TURN = 64;
/** See SELF_WAKES_PER_TURN: the most runs self-wakes resume in one turn. */
const SELF_WAKE_RUNS_PER_TURN = 1024;
let selfWakesLeft = SELF_WAKES_PER_TURN;
let selfWakeRunsLeft = SELF_WAKE_RUNS_PER_TURN;

/**
 * This thread's event loop has taken a turn: a `waitAsync` settlement reached it, or the
 * end-of-turn check ran ({@link turnEnd}); or a test starts afresh ({@link freshLocalParks}).
 */
function turnTaken(): void {
  selfWakesLeft = SELF_WAKES_PER_TURN;
  selfWakeRunsLeft = SELF_WAKE_RUNS_PER_TURN;
}

/** Whether the turn's budget lets a run woken by this thread resume now. */
function selfWakeAllowed(): boolean {
  return selfWakesLeft !== 0 && selfWakeRunsLeft !== 0;
}

/** Charges a run resumed by the wake call under way; `false` when the budget does not allow it. */
function spendSelfWake(): boolean {
  if (!selfWakeAllowed()) return false;
  selfWakeRunsLeft--;
  return true;
}

/** A wake call has ended: it spends one of the turn's wakes if it resumed a run (`runsBefore`). */
function wakeEnded(runsBefore: number): void {
  if (selfWakeRunsLeft !== runsBefore) selfWakesLeft--;
}

/**
 * This thread has just woken every waiter of `i32[index]`: its own runs parked on that slot end
 * their park in a microtask, answered `"ok"`, instead of when the runtime settles their
 * `waitAsync` promise. That settlement is a task posted to this thread's event loop, which runs
 * only once the current task and its microtasks are done, and then takes a turn of the loop:
 * several async tasks of one thread sharing a Lock handed it to each other at one such turn per
 * hand-off. Within the turn's budget (SELF_WAKES_PER_TURN).
 *
 * Why it is sound: `Atomics.notify` with no count removes every registration of the slot from
 * its waiter list and settles each as `"ok"`, ours included; the driver only learns it early.
 * Off the list, the registration can no longer take a wake meant for another waiter, so it is
 * uncounted from the slot's async-waiter count at once (see "Woken but absent"); its settlement,
 * later, only finds it no longer current (see {@link AsyncRun}'s invariants). Uncounting it only
 * then left the count raised for good when the thread ended first (a `Thread` that returns right
 * after such a hand-off). A wake of fewer than all waiters is not used: which waiters it reached
 * is unknown. Views of the slot through another `Int32Array` of the same buffer match by
 * address; a copy of the buffer object (posted to this thread by itself) does not, and its waits
 * end the ordinary way.
 *
 * Measured (2026-12-03, 2 CPUs, load ~1.1, `<rt> bench/probes/selfwake_tasks.ts <20db842>/mod.ts
 * ./mod.ts`, medians of 7 rounds, two runs): a producer task and a consumer task of one thread
 * through a `Queue(1)` (`await put`, `await get`), µs an item, before → after: Node 103-114 →
 * 0.70-1.22, Bun 110-112 → 0.52-0.81, Deno 56-60 → 0.58-0.59. Several tasks sharing a Lock also
 * need the line of acquires (`line.ts`, `acquireBehind`, with the figures): alone, self-wakes
 * made their herd re-register at every hand-off. Between threads nothing changes: this thread
 * has no park on a slot it wakes in a ping-pong (`bench/probes/waitasync.ts`, three runs, all
 * rows within the spread of the copy before).
 */
function wokeHere(i32: Int32Array, index: number, all: boolean): void {
  const at = i32.byteOffset + index * 4;
  const runsBefore = selfWakeRunsLeft;
  // Local parks first, whatever the wake's count, and all of them (see "Local parks").
  if (localCount !== 0) {
    const locals = localHere.get(i32.buffer);
    if (locals !== undefined) {
      for (let k = locals.length - 1; k >= 0; k--) locals[k]?.wokenLocally(at);
    }
  }
  const list = all && parkedCount !== 0 ? parkedHere.get(i32.buffer) : undefined;
  // From the end: an entry that leaves is replaced by the last one, which was looked at already.
  // Not past the turn's budget: aborting 50,000 waits parked on one slot (each abort wakes the
  // slot) scanned them all at every abort.
  if (list !== undefined) {
    for (let k = list.length - 1; k >= 0 && selfWakeAllowed(); k--) {
      looked++;
      list[k]?.wokenHere(at);
    }
  }
  wakeEnded(runsBefore);
}

/** Registrations the self-wake scans have looked at (tests: the scan stays bounded). */
let looked = 0;

/** How many registrations this thread's self-wake scans have looked at so far (tests). */
export function selfWakeLooks(): number {
  return looked;
}

// ---------------------------------------------------------------------------------------------
// Credits

/**
 * A per-thread credit for a step taken on a bet (the spin before a park, {@link setAsyncSpin}; a
 * local park, "Local parks"): it rises by 1 with each bet that paid and falls by 2 with each that
 * was lost, within ±`max`, so it pays its way back from as many losses as it earned; the step is
 * taken while the credit is above 0, and while it is out, once in `probeEvery` attempts, to
 * notice that it pays again.
 */
class Credit {
  value: number;
  readonly #start: number;
  readonly #max: number;
  readonly #probeEvery: number;
  /** Attempts refused since the last step taken. */
  #idle = 0;

  constructor(start: number, max: number, probeEvery: number) {
    this.value = this.#start = start;
    this.#max = max;
    this.#probeEvery = probeEvery;
  }

  /** Whether to take the step now. */
  allows(): boolean {
    if (this.value <= 0 && ++this.#idle < this.#probeEvery) return false;
    this.#idle = 0;
    return true;
  }

  /** A step that paid. */
  paid(): void {
    this.value = this.value <= 0 ? 1 : Math.min(this.#max, this.value + 1);
  }

  /** A step that was lost. */
  lost(): void {
    this.value = Math.max(-this.#max, this.value - 2);
  }

  /** A fresh start. */
  reset(): void {
    this.value = this.#start;
    this.#idle = 0;
  }
}

// ---------------------------------------------------------------------------------------------
// Local parks

/**
 * Local parks: an async park that waits for another async task of its own thread does not
 * register a `waitAsync` at once. Async tasks of one thread taking turns on one `Lock` (each
 * acquire waits for the task of its own thread that holds the word) each paid a registration
 * and its nudge (two `waitAsync` calls, two notifies, two settlement tasks), where the release
 * that ends the wait is this thread's own and reaches the park in a microtask anyway
 * ("Self-wakes").
 *
 * A slow path marks such a park (`Park.local`: the lock word's, when this thread holds the word,
 * `lock_word.ts`; an RWLock writer's, when this thread holds the write lock, `rwlock.ts`; a
 * Semaphore's, when the object that parks holds permits its acquires took and has given one
 * back, a guess that a miss (`Park.localMissed`) withdraws, `semaphore.ts`).
 * Parked locally, it compares its slot as `waitAsync` would ("not-equal" at once if it
 * changed), then waits with no registration, in {@link localHere} (not in {@link parkedHere},
 * whose entries are registrations) and counted in {@link localCount}:
 * - **a wake of its slot by this thread, of any count** ({@link wake}, {@link wakeAll}, flushed
 *   deferred wakes) ends it in a microtask, answered `"ok"`, as a self-wake does; past the
 *   turn's self-wake budget it is only marked woken, and the check below resumes it (a wake
 *   sent by its own slow path while it runs, the owed wakes before a park, is not one). It is
 *   woken *besides* the `Atomics.notify` that wake sends, never instead of it: the count a slow
 *   path asked for still reaches the registered waiters, and a local park that leaves (timeout,
 *   abort) took no wake from anybody. A spurious wake for nobody else.
 * - **at the end of the thread's turn** (a task posted when the first local park of the turn
 *   begins, by the runtime layer's poster: `setImmediate` on Node, Deno and Bun, a
 *   `MessageChannel` message in browsers; {@link setTaskPoster}) every local park still pending is
 *   registered for real, with the driver's usual spin, count and nudge, as if it had just parked:
 *   `waitAsync` compares the slot then, and the park goes on the deadline timer (a local park is
 *   not on it, see `AsyncRun.#parkLocal`). So a change by another thread (any thread may release
 *   a `Lock`) reaches it at the latest one turn of this thread's loop later, which is also when a
 *   registered wait's settlement would have reached it.
 *
 * Why the mark: a park woken past the budget is resumed by the end of the turn as woken (its
 * slow path re-reads the word), and counts as paid. Its slot alone cannot tell: a hand-off
 * between two tasks of the thread can leave the lock word as it was (`me2 | PARKED`, when the
 * task that took it had parked too). Registered then it would still be woken, by the next
 * release (PARKED is on the word), but counted as a miss.
 *
 * When it does not pay: a park marked `local` whose release comes from another thread (a `Lock`
 * used as a signal: the thread acquires the lock it holds, another releases it) reaches the end
 * of its turn unwoken, and then registers a turn later than it would have. A per-thread credit,
 * shaped as the spin's ({@link setAsyncSpin}), stops local parks where they do not pay: +1 for
 * a local park a wake of this thread ended, -2 for one the end of the turn found unwoken; while
 * it is out, one marked park in {@link LOCAL_PROBE_EVERY} still parks locally.
 *
 * Measured (2026-12-04, 2 CPUs, load ~1; the tree before, abc0266, and this one): `<rt>
 * bench/probes/selfwake_tasks.ts <before>/mod.ts ./mod.ts --rounds 7 --loops 100` (100 tasks,
 * round-robin in one process, medians), µs a hand-off, before → after: `Lock` Node 4.62 → 3.15,
 * Bun 15.4 → 3.95, Deno 5.61 → 3.83; an `RWLock`'s write lock (its writers park locally too,
 * `rwlock.ts`) Node 7.23 → 2.96, Bun 11.7 → 2.85, Deno 8.19 → 5.25; `waitAsync` calls per
 * hand-off 2 → 0. `npm run bench -- --full --filter tasks-async` (16 tasks × 8 turns,
 * `lock.tasks-async` ÷ async-mutex doing the same, separate runs): 3.5 / 3.1 / 14.6× → 1.36 /
 * 1.39 / 2.42× (Node / Deno / Bun). Between threads nothing moved: `TK_BEFORE=<before>/mod.ts
 * <rt> bench/probes/waitasync.ts --runs 9 --filter probe.lock,probe.condition,probe.contended4`,
 * before → after: Lock ping-pong (a signal: its parks are marked local and miss) Node 1.83 →
 * 1.89 µs, Deno 1.36 → 1.40, Bun 18.8 → 7.8 (bimodal); Condition 5.20 → 4.71, 3.88 → 4.84,
 * 31.7 → 29.6; four contending workers 140 → 149, 123 → 118, 131 → 136 ns an increment.
 */
/** While the local credit is out, one marked park in this many parks locally. */
const LOCAL_PROBE_EVERY = 16;
/** This thread's local-park credit: two misses before it stops, as the spin's. */
const localCredit = new Credit(4, 8, LOCAL_PROBE_EVERY);
/**
 * How many of this thread's runs are parked locally (a wake looks for them only while > 0):
 * `localRuns.length`, kept as a plain number for that check on every wake.
 */
let localCount = 0;
/**
 * This thread's runs parked locally, for the end-of-turn check: an array with each run's index
 * in it (`allAt`), so that leaving is a swap with the last entry, as in {@link localHere}'s lists;
 * and each run keeps its buffer's list (`localList`), so that leaving looks nothing up. The first
 * version kept a `Set` here and found the list by buffer in the `WeakMap` at every leave: 11.5%
 * of a profile of 100 tasks of one thread taking turns on a `Lock` (Node, `--cpu-prof`), its top
 * entry. Measured (2026-12-04, 2 CPUs, load 1.3-2; `<rt> bench/probes/selfwake_tasks.ts
 * <before>/mod.ts <after>/mod.ts --processes 8 --loops 200 --rounds 9 --row Lock`: each tree
 * alone in 8 fresh processes, alternating; median of the paired ratios), after ÷ before: `Lock`
 * Node 0.81, Deno 0.86, Bun 1.04; an `RWLock`'s write lock Node 0.92, Deno 1.01, Bun 1.03 (V8's
 * `Set` and `WeakMap` cost the most). An earlier run without timeouts on the acquires (a scratch
 * probe, same shape): `Lock` Node 0.61, Deno 0.66, Bun 0.97.
 */
const localRuns: LocalParked[] = [];
/**
 * The same runs by the buffer of their slot, for the wakes: apart from {@link parkedHere}, so
 * that a wake of any count looks at the local parks of its buffer only, and a wake of every
 * waiter scans the registered ones within the self-wake budget as before (one local park
 * pending, aborting 50,000 waits parked on one Event scanned all of them at every abort: 10.6 s
 * against 0.39, found by review).
 */
const localHere = new WeakMap<ArrayBufferLike, LocalParked[]>();
/** The end-of-turn check is posted. */
let checkPosted = false;
/**
 * A local wait the end of the turn found unwoken is handing over to its slow path, whose first
 * park registers at once: the turn it waited locally is the one a local park would have waited
 * (and it was charged to the credit once).
 */
let registerNow = false;

/** A run parked locally: what a wake and the end-of-turn check tell it. */
interface LocalParked {
  /** Its index in its buffer's {@link localHere} list (-1 when in none). */
  localAt: number;
  /** That list, while in it (no lookup by buffer when it leaves). */
  localList: LocalParked[] | undefined;
  /** Its index in {@link localRuns} (-1 when in none). */
  allAt: number;
  /** This thread woke the slot at byte `at` of the run's buffer (any count). */
  wokenLocally(at: number): void;
  /** Registers the local park for real, or resumes it if a wake of this thread marked it. */
  turnEnded(): void;
}

/**
 * Posts a task to this thread's event loop, to run after the current task and its microtasks:
 * the end of the turn. The runtime layer sets the cheapest its runtime has ({@link
 * setTaskPoster}); until then, and where it sets none, a zero timer (which Node and browsers
 * clamp to 1-4 ms).
 */
let postTask: (task: () => void) => void = (task) => void setTimeout(task, 0);

/** Sets how the end-of-turn check of local parks is posted (`src/runtime/mod.ts`, at load). */
export function setTaskPoster(post: (task: () => void) => void): void {
  postTask = post;
}

/**
 * Puts `run`, parked locally in `buffer`, in {@link localHere} and the end-of-turn check,
 * posting the check if this turn has none yet.
 */
function parkLocally(run: LocalParked, buffer: ArrayBufferLike): void {
  let list = localHere.get(buffer);
  if (list === undefined) localHere.set(buffer, list = []);
  run.localAt = list.length;
  run.localList = list;
  list.push(run);
  run.allAt = localRuns.length;
  localRuns.push(run);
  localCount = localRuns.length;
  if (checkPosted) return;
  checkPosted = true;
  postTask(turnEnd);
}

/** `run` is no longer parked locally. */
function unparkLocally(run: LocalParked): void {
  // Both lists: the last entry takes the leaving run's index (order does not matter in either:
  // a wake looks at every local park of its buffer, the end of the turn at every one).
  const at = run.localAt;
  if (at < 0) return;
  const list = run.localList!;
  run.localAt = -1;
  run.localList = undefined;
  const last = list.pop()!;
  if (last !== run) {
    list[at] = last;
    last.localAt = at;
  }
  const allAt = run.allAt;
  run.allAt = -1;
  const lastRun = localRuns.pop()!;
  if (lastRun !== run) {
    localRuns[allAt] = lastRun;
    lastRun.allAt = allAt;
  }
  localCount = localRuns.length;
}

/**
 * Whether `park` parks locally now (see "Local parks"): `"local"` if so, `"not-equal"` if its
 * slot changed already (the compare `waitAsync` would make), `undefined` if it registers (not
 * marked, or the credit is out).
 */
function parksLocally(park: Park): "local" | "not-equal" | undefined {
  if (park.local !== true || registerNow || !localCredit.allows()) return undefined;
  return Atomics.load(park.i32, park.index) === park.expected ? "local" : "not-equal";
}

/** The end of a turn of this thread's loop: every local park still pending registers. */
function turnEnd(): void {
  checkPosted = false;
  turnTaken();
  // A copy: a run resumed here may park locally again, for the next turn's check (posted anew).
  const runs = localRuns.slice();
  for (const run of runs) run.turnEnded();
}

/** This thread's local parks now, and the credit (tests, diagnostics). */
export function localParkCounts(): { parked: number; credit: number } {
  return { parked: localCount, credit: localCredit.value };
}

/**
 * Resets the local parks' credit and the turn's self-wake budget (tests: a test that counts
 * registrations or local parks must not start with the budget an earlier one spent in this turn;
 * found by review, 64 self-wakes spent before a test made it register twice).
 */
export function freshLocalParks(): void {
  localCredit.reset();
  turnTaken();
}

// ---------------------------------------------------------------------------------------------
// Local waits

/**
 * Local waits: an async lock acquire that waits for a word its own thread holds, and for nothing
 * else, waits for that thread's release with no slow path at all (`Lock`'s line of async
 * acquires, `lock.ts`; an `RWLock`'s line of async writes while this thread holds the write lock
 * and no writer of another thread starves, `rwlock.ts`, `waitHere`; and a `Semaphore`'s, while
 * the object holds permits its acquires took and has given one back, no permit is free and
 * nobody starves: the hint its local parks take, `HeldHere` in `semaphore.ts`, where a wait the
 * turn's end finds unwoken withdraws it). A local park still ran the slow path for it: a
 * generator, an {@link AsyncRun}, a clock read, PARKED set on the word (the Semaphore's WAITING
 * and its count), so every release took the slow path and its wake, then the same again to take
 * the word once woken. A local wait is one object on the same lists as the local parks
 * ({@link localHere}, {@link localRuns}):
 * - it starts only while the word is held by this thread with no STARVING mark (the caller
 *   checks; a starving waiter of another thread is handed the word by the release, so the
 *   acquire must wait in the slow path), and only while the local credit allows it;
 * - the release of that word by this thread (`Lock.release` and the Condition's release, the
 *   RWLock's `unlockWrite` and `Semaphore.release` call {@link releasedHere} after the word is
 *   free; any object of this copy of threadkit over the same buffer object: a lock rebuilt from
 *   a cloned handle, or another copy's, is not seen, as a local park's wake is not) ends it in
 *   a microtask, within the turn's self-wake budget as a local park's wake (past it, at the
 *   turn's end); it then tries the word (`take`: the fast path's CAS). Taken: done. Held by this thread again (its sync
 *   acquire went ahead, as the sync forms do): it waits again, within the turn. Otherwise
 *   (another thread took it, or it was handed to a starving waiter): the slow path, from the
 *   start (the RWLock's keeps its count of waiting writers);
 * - the end of the thread's turn, if it has not taken the word, hands it to the slow path,
 *   whose first park registers at once (a release by another thread, which any thread may do,
 *   reaches it that late, as it reaches a local park). No timer of its own: a local park is on
 *   none either, and the slow path then keeps its deadline and the starvation bound.
 * Every release still frees the word (a thread's sync acquire right after goes ahead of it) and
 * nothing is written to the word for it (it never owns anything another thread must see), but
 * for the `RWLock`'s, which counts itself in the waiting writers so that readers stay behind it
 * (writer preference), and undoes that with its take, on leaving (`leave`), or through the slow
 * path it hands over to.
 *
 * Measured (2026-12-05, 2 CPUs, load 1.4-2.6; the tree before, 5470f79, and this one): `<rt>
 * bench/probes/selfwake_tasks.ts <before>/mod.ts ./mod.ts --processes 6 --loops 200 --rounds 9
 * --row Lock` (100 tasks of one thread taking turns on one `Lock`, each acquire with a timeout;
 * median of the paired ratios, after ÷ before, then the trees' order swapped): Node 0.65 / 0.65,
 * Deno 0.61 / 0.63, Bun 0.62 / 0.59 (the RWLock's write row, unchanged code, 0.95-1.08).
 * `node bench/run.ts --no-reference --no-redis --no-struct --filter
 * lock.tasks-async,peer.async-mutex.tasks-async,...` in each tree, alternated, three runs each:
 * `lock.tasks-async` ÷ async-mutex (16 tasks × 8 turns), medians, before → after: Node 1.04 →
 * 0.66, Deno 1.16 → 0.72, Bun 1.82 → 1.06. The cross-thread `lock.pingpong-async` (a `Lock`
 * used as a signal: its waits miss, the credit goes out and nothing waits locally) is bimodal in
 * both trees (Node, `bench/probes/waitasync.ts --runs 9 --filter lock.pingpong-async`,
 * alternated: 1.42 / 1.22 / 8.47 µs before, 15.4 / 0.71 / 1.34 after).
 *
 * The `Semaphore`'s (same day, load 1.5-2.0, the same before): the probe's `--row Semaphore`
 * (100 tasks on a `Semaphore(1)`), after ÷ before, both orders: Node 0.64 / 0.65, Deno 0.59 /
 * 0.60, Bun 0.79 / 0.70; three filtered runs in each tree, alternated (`--filter
 * semaphore.tasks-async,...`), medians: `semaphore.tasks-async` ÷ async-mutex 1.17 / 1.35 / 1.88
 * → 0.72 / 0.72 / 1.20 (`lock.tasks-async` 1.08 / 1.13 / 1.79 → 0.67 / 0.67 / 1.09 in the same
 * runs); `semaphore.pingpong-async` (between threads) 0.78-1.03 of before, `semaphore.sync-release`
 * and `lock.sync-release` ÷ the CAS floor 1.01-1.08 of before (one more load in each release).
 *
 * The `RWLock`'s writes (same day; the figures in `rwlock.ts`, `write`): `rwlock.tasks-async` ÷
 * async-mutex 1.19 / 1.25 / 1.89 → 0.87 / 0.85 / 1.40 (Node / Deno / Bun) uncounted,
 * and 0.87 / 0.83 / 1.43 counted in the waiting writers (`waitHere` there).
 */
export function waitLocally(request: LocalWaitRequest): Promise<boolean> | undefined {
  if (!localWaitsOn || !hasWaitAsync || forcePolling || deferred.indexes.length !== 0) {
    return undefined;
  }
  // Out of credit: the slow path's park probes it (`parksLocally`), once in LOCAL_PROBE_EVERY;
  // asking here too made it probe twice as often.
  if (localCredit.value <= 0) return undefined;
  return new LocalWait(request).promise;
}

/** What a local wait waits for, and what it does then (see "Local waits"). */
export interface LocalWaitRequest {
  /** The lock word's slot (`i32[index]`). */
  i32: Int32Array;
  index: number;
  /** The fast path: `true` when it took the word. */
  take: () => boolean;
  /** Whether the word is held by this thread with nobody starving (the wait may go on). */
  heldHere: () => boolean;
  /** The slow path, from the start, to hand over to. */
  slow: () => Promise<boolean>;
  /** The caller's deadline (`describe`; the slow path keeps it). */
  deadline: number;
  signal: AbortSignal | undefined;
  /** Called once the wait has settled by itself (not when it hands over), if given. */
  done?: () => void;
  /** Called when the end of the turn hands it over unwoken (a guess that missed), if given. */
  missed?: () => void;
  /**
   * Called when it settles without the word (an abort, or `take`/`heldHere` threw), if given:
   * the caller undoes what it registered for the wait (the `RWLock` counts a local write in its
   * waiting writers). Not when it takes the word (`take` undoes it then) nor when it hands over
   * (the slow path inherits it).
   */
  leave?: () => void;
}

/**
 * How many local waits of this thread wait for the slot at `i32[index]` now (`describe()`: they
 * leave no trace on the word, but for the `RWLock`'s, counted in its waiting writers; and its
 * `unlockWrite`, to wake a writer only for the writers counted besides them).
 */
export function localWaitsAt(i32: Int32Array, index: number): number {
  if (localWaitCount === 0) return 0;
  const locals = localHere.get(i32.buffer);
  if (locals === undefined) return 0;
  const at = i32.byteOffset + index * 4;
  let n = 0;
  for (const run of locals) if (run instanceof LocalWait && run.at === at) n++;
  return n;
}

/** Local waits on (tests turn them off to run the slow path's local parks instead). */
let localWaitsOn = true;

/** Turns local waits on or off for this thread (tests). */
export function useLocalWaits(on: boolean): void {
  localWaitsOn = on;
}

/**
 * This thread's local waits now parked (in {@link localHere}): a release looks for them only
 * while > 0. A local park of the slow path is not counted: it set PARKED on the word, so the
 * release's wake reaches it ({@link wokeHere}).
 */
let localWaitCount = 0;

/**
 * This thread has released the lock word at `i32[index]` (see "Local waits"): every local wait
 * of the thread on that slot is woken. One load when none is parked; otherwise a look at each
 * local wait and park of the slot's buffer, as a wake's look for local parks.
 */
export function releasedHere(i32: Int32Array, index: number): void {
  if (localWaitCount === 0) return;
  const locals = localHere.get(i32.buffer);
  if (locals === undefined) return;
  const at = i32.byteOffset + index * 4;
  const runsBefore = selfWakeRunsLeft;
  for (let k = locals.length - 1; k >= 0; k--) locals[k]?.wokenLocally(at);
  wakeEnded(runsBefore);
}

/**
 * Adds `onAbort` as `signal`'s abort listener (once) and reads whether it has aborted already; or
 * returns what a signal-like object (`signalOf` takes any with a boolean `aborted` and
 * `addEventListener`) threw from either, with which the wait must end rather than stay pending.
 */
function listenForAbort(signal: AbortSignal, onAbort: () => void): boolean | { thrown: unknown } {
  try {
    signal.addEventListener("abort", onAbort, { once: true });
    return signal.aborted === true;
  } catch (thrown) {
    return { thrown };
  }
}

/** One local wait (see "Local waits"), from its start until it settles or hands over. */
class LocalWait implements LocalParked {
  readonly promise: Promise<boolean>;
  #resolve!: (value: boolean) => void;
  #reject!: (error: unknown) => void;
  readonly #request: LocalWaitRequest;
  /** Byte address of its slot in the buffer (what a release names). */
  readonly at: number;
  #onAbort: (() => void) | undefined = undefined;
  /** Settled, or handed to the slow path: nothing more to do. */
  #finished = false;
  /** A release of this thread reached it past the turn's self-wake budget. */
  #woken = false;
  localAt = -1;
  localList: LocalParked[] | undefined = undefined;
  allAt = -1;

  constructor(request: LocalWaitRequest) {
    this.promise = new Promise<boolean>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#request = request;
    this.at = request.i32.byteOffset + request.index * 4;
    holdAlive();
    tracked?.add(this);
    this.#park();
    const signal = request.signal;
    if (signal === undefined) return;
    const aborted = listenForAbort(signal, this.#onAbort = () => this.#abort());
    if (aborted === true) {
      this.#abort();
      return;
    }
    // Ended already if the object ran our listener before it threw (`#abort` settled it).
    if (aborted === false || this.#finished) return;
    this.#end();
    request.leave?.();
    this.#reject(aborted.thrown);
    request.done?.();
  }

  wokenLocally(at: number): void {
    if (at !== this.at || this.localAt < 0) return;
    if (!spendSelfWake()) {
      this.#woken = true; // the end of the turn resumes it
      return;
    }
    this.#unpark();
    localCredit.paid();
    queueMicrotask(() => this.#retry());
  }

  turnEnded(): void {
    if (this.localAt < 0) return;
    this.#unpark();
    if (this.#woken) {
      localCredit.paid(); // a release of this thread ended it
      return this.#retry(true);
    }
    localCredit.lost(); // nothing of this thread released it within the turn
    this.#request.missed?.();
    this.#handOver(true);
  }

  /**
   * Released: take the word, or wait again for this thread's next release, or hand over. Never
   * again at the turn's end (`atTurnEnd`): a local wait watches no clock, so one woken past the
   * budget turn after turn while a sync acquire of its thread took the word each time went
   * past its deadline and the starvation bound, local for ever (found by review: pending at
   * 500 ms with a 20 ms timeout; handed over, it ends at its deadline as before).
   */
  #retry(atTurnEnd = false): void {
    if (this.#finished) return;
    let took: boolean;
    let again: boolean;
    try {
      took = this.#request.take();
      again = !took && !atTurnEnd && this.#request.heldHere() && deferred.indexes.length === 0;
    } catch (error) {
      this.#end();
      this.#request.leave?.();
      this.#reject(error);
      return this.#request.done?.();
    }
    if (took) {
      this.#end();
      this.#resolve(true); // settled first: its reactions run before the next call's (line.ts)
      return this.#request.done?.();
    }
    if (!again) return this.#handOver(atTurnEnd);
    this.#woken = false;
    this.#park();
  }

  #park(): void {
    parkLocally(this, this.#request.i32.buffer);
    localWaitCount++;
  }

  #unpark(): void {
    if (this.localAt < 0) return;
    unparkLocally(this);
    localWaitCount--;
  }

  /**
   * The slow path takes over (its own keep-alive, listener and deadline; and `done`: the caller
   * gave it the same, to call when it ends). At the turn's end its first park registers at once
   * ({@link registerNow}): this turn was the one a local park would have waited.
   */
  #handOver(atTurnEnd: boolean): void {
    this.#end();
    let waited: Promise<boolean>;
    registerNow = atTurnEnd;
    try {
      // `runAsync` settles the promise with whatever the slow path throws; it does not throw.
      waited = this.#request.slow();
    } finally {
      registerNow = false;
    }
    const done = this.#request.done;
    if (done === undefined) return void waited.then(this.#resolve, this.#reject);
    // Settled before the line goes on, so that its reactions run before the next call's
    // (`line.ts`, "Settle order"; the slow path it runs holds no line of its own: found by
    // review, the next call's reactions ran first when the line went on from the slow path).
    waited.then((ok) => {
      this.#resolve(ok);
      done();
    }, (error) => {
      this.#reject(error);
      done();
    });
  }

  #abort(): void {
    if (this.#finished) return;
    this.#end();
    this.#request.leave?.();
    this.#reject(reasonOf(this.#request.signal!));
    this.#request.done?.();
  }

  /** Off the lists, the keep-alive and the signal: settled or handed over. Once. */
  #end(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#unpark();
    releaseAlive();
    tracked?.delete(this);
    const onAbort = this.#onAbort;
    if (onAbort === undefined) return;
    this.#onAbort = undefined;
    try {
      this.#request.signal!.removeEventListener("abort", onAbort);
    } catch {
      // A signal-like object's: its listener only finds the wait finished.
    }
  }

  /** Where and how it waits ({@link describePendingWaits}). */
  describe(): string {
    const { i32, deadline: due, signal: aborts } = this.#request;
    const slot = `slot at byte ${this.at} of a ${i32.buffer.byteLength}-byte buffer`;
    const deadline = due === Infinity ? "no deadline" : "a deadline";
    const signal = aborts === undefined ? "" : ", a signal";
    return `an async wait waiting locally (no slow path) for this thread's release of the ${slot}; ${deadline}${signal}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Deferred wakes

/**
 * Wake-ups this thread owes but holds back until it releases a lock (`Condition.notify`, which
 * runs with the condition's lock held; see "Deferred wake" in `condition.ts`): the slots to wake
 * all waiters of, in order. It lives on `globalThis` under a registered symbol, so that a
 * condition of one copy of threadkit and a lock of another (brands cross copies) flush one list.
 */
interface DeferredWakes {
  i32s: Int32Array[];
  indexes: number[];
  /** A microtask that flushes is queued (at most one at a time). */
  queued: boolean;
}

const deferred = ((globalThis as Record<symbol, unknown>)[
  Symbol.for("threadkit.deferredWakes.v1")
] ??= { i32s: [], indexes: [], queued: false }) as DeferredWakes;

/**
 * Records a wake of every waiter of `i32[index]`, to be done by {@link flushWakes}: at the next
 * lock release of this thread (`Lock`/`RLock` release, `unlockSlow`), before it next parks (it owes the wake
 * to threads that may be the ones to wake it), or when its current job ends (a microtask),
 * whichever comes first. The caller has made the value change that the wake announces.
 */
export function deferWakeAll(i32: Int32Array, index: number): void {
  const { i32s, indexes } = deferred;
  for (let k = 0; k < indexes.length; k++) {
    if (indexes[k] === index && i32s[k] === i32) return; // owed already
  }
  i32s.push(i32);
  indexes.push(index);
  if (!deferred.queued) {
    deferred.queued = true;
    queueMicrotask(flushQueued);
  }
}

function flushQueued(): void {
  deferred.queued = false;
  flushWakes();
}

/** Does the wakes this thread owes (see {@link deferWakeAll}), oldest first. */
export function flushWakes(): void {
  const { i32s, indexes } = deferred;
  const n = indexes.length;
  if (n === 0) return;
  wakesSent++;
  for (let k = 0; k < n; k++) {
    Atomics.notify(i32s[k]!, indexes[k]!);
    if (parkedCount !== 0 || localCount !== 0) wokeHere(i32s[k]!, indexes[k]!, true);
  }
  // A wake cannot add to the list (Atomics.notify runs no code of ours). Emptied by `pop`, not
  // `length = 0`, which is a runtime call on Node (~80 ns, the largest single cost in a `perf
  // record` of the Condition ping-pong) and makes the next push grow the array again.
  for (let k = 0; k < n; k++) {
    i32s.pop();
    indexes.pop();
  }
}

// ---------------------------------------------------------------------------------------------
// Sync driver

/**
 * A guard on this thread's sync waits, for runtimes whose `Worker.terminate()` cannot interrupt
 * `Atomics.wait` (Deno). While {@link SyncGuard.check} is set, every sync wait sleeps in slices
 * of at most {@link SyncGuard.sliceMs} and calls `check()` before each slice; `check()` ends the
 * thread (it does not return) once its parent has asked for that.
 */
export interface SyncGuard {
  /** Longest slice of one `Atomics.wait`, in ms. */
  sliceMs: number;
  /** Ends the thread if it must end; else returns. `undefined`: waits are not sliced. */
  check: (() => void) | undefined;
}

/**
 * This thread's guard. It lives on `globalThis` under a registered symbol, so that every copy of
 * threadkit loaded in one thread (the bootstrap's, and a `dist/` copy the user's module imports)
 * slices its waits alike.
 */
const syncGuard = ((globalThis as Record<symbol, unknown>)[
  Symbol.for("threadkit.syncGuard.v1")
] ??= { sliceMs: Infinity, check: undefined }) as SyncGuard;

/**
 * Makes every sync wait of this thread sleep in slices of at most `sliceMs`, calling `check`
 * before each (thread and pool layers, Deno only; see {@link SyncGuard}).
 */
export function setSyncGuard(sliceMs: number, check: () => void): void {
  syncGuard.sliceMs = sliceMs;
  syncGuard.check = check;
}

/**
 * Makes this thread's sync waits whole again: one `Atomics.wait` each, no check (a pool worker
 * between tasks, which nobody terminates; see `pool/runner.ts`).
 */
export function clearSyncGuard(): void {
  syncGuard.check = undefined;
  syncGuard.sliceMs = Infinity;
}

/**
 * Sleeps as `park` asks, on this thread: the sync driver's one step, also called directly by a
 * slow path written as a plain loop (`lockSlowSync`, a Condition's `waitSync`). The caller has
 * called {@link assertCanBlock}. `clock`: a {@link now} the caller read since it last slept, to
 * measure the time left from instead of reading the clock again (the park may then end as late
 * as the caller's work since that read; a Condition's first park after its release saves the
 * second read of its wait this way).
 */
export function parkSync(park: Park, clock?: number): WaitResult {
  // Owed wakes first: the threads they wake may be the ones that would wake us.
  if (deferred.indexes.length !== 0) flushWakes();
  const { deadline } = park;
  const remaining = deadline === Infinity ? Infinity : deadline - (clock ?? now());
  if (remaining <= 0) return "timed-out";
  const spun = park.syncSpin === false ? undefined : spin(park, syncSpinMs);
  if (spun !== undefined) return spun;
  // A sync wait is never ended by its own thread: its spin's miss is never charged, and must not
  // be read by a later async registration that did not spin (`Park.asyncSpin` false).
  spinMissedAt = -1;
  if (syncGuard.check !== undefined) return parkSliced(park);
  const poll = park.pollMs;
  return Atomics.wait(
    park.i32,
    park.index,
    park.expected,
    poll !== undefined && poll < remaining ? poll : remaining,
  );
}

/**
 * Sleeps as `park` asks in slices, calling the guard's `check` before each (see {@link SyncGuard}).
 * A slice that times out before the deadline sleeps again; any other result, or the deadline,
 * ends the wait as one `Atomics.wait` would have ended it.
 */
function parkSliced(park: Park): WaitResult {
  const poll = park.pollMs;
  // A poll ends the wait as a deadline would (the slow path looks again and decides).
  const deadline = poll === undefined ? park.deadline : Math.min(park.deadline, now() + poll);
  for (;;) {
    // May end the thread here: the terminate request is read between two slices.
    syncGuard.check!();
    const remaining = deadline === Infinity ? Infinity : deadline - now();
    if (remaining <= 0) return "timed-out";
    const slice = Math.min(remaining, syncGuard.sliceMs);
    const result = Atomics.wait(park.i32, park.index, park.expected, slice);
    // "ok"/"not-equal": as unsliced. "timed-out": the slice ended; the loop checks the deadline.
    if (result !== "timed-out") return result;
  }
}

/**
 * Runs a slow path to completion on this thread, answering its requests with `Atomics.wait`.
 * The caller has already called {@link assertCanBlock}.
 */
export function runSync<R>(slow: Parker<R>): R {
  let step = slow.next();
  while (step.done !== true) step = slow.next(parkSync(step.value, step.value.clock));
  parksEnded();
  return step.value;
}

// ---------------------------------------------------------------------------------------------
// Keep-alive

/** Async waits of this thread that are logically pending. */
let pendingAsync = 0;
const KEEP_ALIVE_PERIOD_MS = 2 ** 30;
const noop = (): void => {};

/**
 * How this thread keeps itself alive while `pendingAsync > 0`: `hold()` on 0 → 1, `release()` on
 * 1 → 0.
 *
 * Where the runtime can ref and unref a timer (Node and Bun: `timer.ref()`/`unref()`; Deno:
 * `Deno.refTimer`/`unrefTimer`), one interval timer lives for the whole thread and is only
 * toggled, instead of a timer created and cleared for every async wait. Measured with
 * `bench/probes/selfwake.ts` (one `waitAsync` notified by its own thread; medians of 25 rounds,
 * same run, 2 CPUs at load 18): a raw wait costs Node 3.9 µs, Deno 3.0 µs, Bun 2.2 µs; a timer
 * created and cleared around it adds 0.3, 3.4 and 0.4 µs; a ref/unref toggle adds nothing
 * measurable (3.5, 3.0, 1.9 µs). The timer never fires in practice (period 2^30 ms) and, unref'd,
 * holds nothing. Elsewhere (browsers, which need no keep-alive but are treated alike) a timer is
 * created on 0 → 1 and cleared on 1 → 0.
 */
interface KeepAlive {
  hold(): void;
  release(): void;
}

function makeKeepAlive(): KeepAlive {
  const timer = setInterval(noop, KEEP_ALIVE_PERIOD_MS) as unknown;
  const t = timer as { ref?: () => unknown; unref?: () => unknown };
  if (typeof t.ref === "function" && typeof t.unref === "function") {
    t.unref();
    return { hold: () => t.ref!(), release: () => t.unref!() };
  }
  const deno = (globalThis as {
    Deno?: { refTimer?: (id: number) => void; unrefTimer?: (id: number) => void };
  }).Deno;
  if (typeof deno?.refTimer === "function" && typeof deno.unrefTimer === "function") {
    const id = timer as number;
    deno.unrefTimer(id);
    return { hold: () => deno.refTimer!(id), release: () => deno.unrefTimer!(id) };
  }
  clearInterval(timer as ReturnType<typeof setInterval>);
  let held: ReturnType<typeof setInterval> | undefined;
  return {
    hold: () => {
      held = setInterval(noop, KEEP_ALIVE_PERIOD_MS);
    },
    release: () => {
      clearInterval(held);
      held = undefined;
    },
  };
}

/** This thread's keep-alive, made at its first async wait. */
let keepAlive: KeepAlive | undefined;

function holdAlive(): void {
  if (pendingAsync++ === 0) (keepAlive ??= makeKeepAlive()).hold();
}

function releaseAlive(): void {
  if (--pendingAsync === 0) keepAlive!.release();
}

/** How many async waits of this thread are pending (for tests and diagnostics). */
export function pendingAsyncWaits(): number {
  return pendingAsync;
}

/**
 * This thread's pending async waits, while {@link trackPendingWaits} is on (tests): a wait left
 * pending when a test file ends holds the keep-alive, so the file's process never exits. The
 * test runner's end-of-file check (`tests/pending_waits.ts`) names them instead of hanging. Off,
 * the drivers pay one load of this variable a wait.
 */
let tracked: Set<{ describe(): string }> | undefined;

/** Starts recording this thread's pending async waits for {@link describePendingWaits}. */
export function trackPendingWaits(): void {
  tracked ??= new Set();
}

/**
 * One line for each async wait of this thread still pending since {@link trackPendingWaits}:
 * where it waits (the slot's byte offset in its buffer, the value it waits to change) and how
 * (parked locally, registered with `waitAsync`, or between parks).
 */
export function describePendingWaits(): string[] {
  return tracked === undefined ? [] : [...tracked].map((run) => run.describe());
}

// ---------------------------------------------------------------------------------------------
// Async driver

const hasWaitAsync = typeof Atomics.waitAsync === "function";

/** Whether {@link nudge} runs after each physical async registration (set by the runtime layer). */
let nudging = false;
/** This thread's private slot for {@link nudge}; nobody else ever waits on it or wakes it. */
let nudgeSlot: Int32Array | undefined;

/**
 * Makes every physical `waitAsync` registration of this thread followed by a *nudge*: a wait
 * on a private slot, woken at once by this same thread. Its only effect is a task the runtime
 * posts to this thread's own event loop, so the loop takes one more turn (wake its queue, resolve
 * a promise nobody awaits) before it sleeps; a wake of the real wait that arrives within that
 * turn is found at the next look instead of costing a sleep and a wake-up of the thread. Called
 * once at load by `src/runtime/mod.ts`, on for the runtimes where it measured faster: Node, Bun
 * and browsers (Chromium).
 *
 * Measured on Node 24 (2 CPUs, load ~2), two workers ping-ponging with raw untimed `waitAsync`
 * (`bench/probes/waitasync.ts --filter probe.raw-infinite,probe.raw-selfnotify`):
 * the nudged ping-pong took 0.95× and 0.95× `floor.waitasync` where the plain one took 1.14× and
 * 1.19×; each worker slept 0.29–0.47 times per round trip instead of 0.96–0.99 (voluntary context
 * switches from `/proc/thread-self/status`), and the process used 52–61 µs CPU per round trip
 * instead of 63–70. The same turn is why a *timed* wait wakes faster on Node (a timeout posts a
 * delayed task, whose scheduling is such a turn) while leaving a timer behind for each wait,
 * which the nudge does not. threadkit's async ping-pongs, this tree ÷ the one before, same runs
 * (`TK_BEFORE=<copy>/mod.ts node bench/probes/waitasync.ts --filter
 * probe.lock,probe.semaphore,probe.event,probe.condition,probe.queue`, three runs; an A/A run of
 * two un-nudged copies measured 0.83–1.09): Lock 0.82 / 0.87 / 0.92, Semaphore 0.64 / 0.97 /
 * 0.67, Event 0.92 / 0.89 / 0.98, Condition 0.75 / 0.71 / 0.71, Queue 0.64 / 0.93 / 0.71; four
 * workers on one async Lock (`probe.contended4`, 11 runs) 0.66 / 0.64 / 0.74. In one pair of
 * workers for all rows (`TK_BEFORE=<copy>/mod.ts node bench/probes/cond_timeline.ts --rows
 * sem-before,sem-after,cond-before,cond-after`, 20 rounds of 500 rotated; two identical copies
 * differ by 0.96–1.05 there): Semaphore 0.85, Condition 0.83, voluntary context switches per
 * round trip 1.0–1.2 → 0.36–0.41, CPU per round trip 52–54 → 47–48 µs.
 * On Bun the raw ping-pong gained most (nudged 0.38–0.42× the floor, un-nudged 0.85–1.49×; a
 * scratch ping-pong of 20 000 round trips: 15 vs 40–44 µs wall and 23 vs 48–51 µs CPU per round
 * trip). Library rows, a nudged copy ÷ the un-nudged one, same runs (`TK_ALT=<nudged copy>/mod.ts
 * TK_BEFORE=<copy>/mod.ts bun bench/probes/waitasync.ts --runs 11`), seven runs at load ~1.5–1.8:
 * Lock 0.30–0.45 (one run 1.20), Semaphore 0.22–0.40, Event 0.37–0.59, Condition 0.63–0.98, Queue
 * 0.73–1.05, four contending workers 0.92–1.20 (the two un-nudged copies differ by 0.90–1.22
 * there); three runs of 7 at load ~0.3–1.1 moved both ways (Lock 0.65–1.37, Semaphore 0.71–1.55,
 * Event 0.52–0.79, Condition 0.76–1.27, Queue 0.85–1.47) with the un-nudged rows themselves
 * spread as wide. Off on Deno, where raw ping-pongs with and without it measured 0.98–1.02, a
 * nudged one used more CPU, and the library rows, five runs of 11 as for Bun, moved both ways
 * (Lock 0.59–1.15, Semaphore 0.17–0.95, Event 0.82–1.07, Condition 0.75–1.13, Queue 0.73–1.08;
 * the two un-nudged copies 0.94–1.12): no steady gain, and Deno meets A1 and A2 without it.
 * In Chromium 150 (`node bench/probes/browser_waitasync.ts`: two Web Workers, 9 rounds × 4000
 * round trips, rotated), raw ping-pongs nudged ÷ untimed measured 0.59–1.05 over nine runs
 * (1.04, 0.99, 0.59, 0.65, 0.60, 0.97, 0.99, 0.99, 1.05), and threadkit's async Semaphore
 * ping-pong built with the nudge ÷ built without 0.98, 0.97, 0.87, 0.92.
 */
export function setAsyncNudge(on: boolean): void {
  nudging = on;
  // Allocated here, not at the first nudge, so that a nudge never throws inside a wait; and only
  // where shared memory exists (a page that is not cross-origin isolated imports threadkit too,
  // and must get its error at the first primitive, not at load).
  if (on && typeof SharedArrayBuffer === "function") {
    nudgeSlot ??= new Int32Array(new SharedArrayBuffer(4));
  }
}

/** The CPUs this process may run on (set by the runtime layer, {@link setSpinCpus}). */
let cpus = 1;

/** Tells the spin how many CPUs there are (`src/runtime/mod.ts`, at load). */
export function setSpinCpus(n: number): void {
  cpus = n;
}

/**
 * Whether `n` threads can spin at once and leave a CPU to the thread they wait for: a primitive
 * whose waiters all wait for one last thread (a Barrier's parties but one) spins only then.
 * Barrier cycles of 4 workers on 2 CPUs took 72.5 µs with every waiter spinning, 52.2 without
 * (`npm run bench -- --filter barrier`, Node, 2026-12-02); 2 workers: 0.90 against 12.9.
 */
export function spinnersFit(n: number): boolean {
  return n < cpus;
}

/** How long an async park re-reads its slot before registering, in ms (0: never). */
let spinMs = 0;
/** How long a sync park re-reads its slot before `Atomics.wait`, in ms (0: never). */
let syncSpinMs = 0;

/** While the credit is out, one park in this many spins. */
const SPIN_PROBE_EVERY = 16;
/**
 * This thread's spin credit (see {@link Credit}): starts at 4, two lost hits before it stops;
 * bounded by ±8; a hit that paid adds 1, one that was lost takes 2; spin while > 0.
 */
const spinCredit = new Credit(4, 8, SPIN_PROBE_EVERY);
/**
 * When the last spin ended without a change (and the park registers): {@link wakesSent} then,
 * else -1. Read by the registration that follows (`AsyncRun.#await`).
 */
let spinMissedAt = -1;
/** The slot the last spin saw change, until its run ends or parks again (a hit to judge). */
let hitI32: Int32Array | undefined;
let hitIndex = -1;

/**
 * Makes every async park of this thread *spin* before it registers a `waitAsync`: re-read its
 * slot for up to `micros` µs (never past the park's deadline), and when the slot changes, answer
 * the slow path `"not-equal"` at once, with no registration, no sleep and no wake-up. Called once
 * at load by `src/runtime/mod.ts` (`Runtime.asyncSpinMicros`).
 *
 * Why it is safe: every waker changes the slot before it notifies (the contract the polling
 * fallback already relies on), so a spinner that sees the change is in the state a registration
 * answered "not-equal" would leave it in, and the slow path re-checks its state word either way.
 * A spinner is not counted in the slot's async-waiter count: a wake meanwhile goes to registered
 * waiters, and the spinner, which sees the change itself, is never the "woken but absent" one.
 * One wake changes no slot: a starving Semaphore waiter's `starve()` wakes VALUE as it is. A
 * spinner misses it only if it arrived before the starving waiter's 1 ms and was still spinning
 * after (pre-empted that long on a loaded machine); it then sleeps until its next wake or poll,
 * the fairness slip `semaphore.ts` documents for a waiter between its last read and its
 * registration, with a wider window. Answering "ok" there instead (a spurious wake) was tried and
 * dropped: callers that take "ok" at its word (tests of this layer) saw it under CI load.
 * The spin runs in the call (`acquire()`, `wait()`, `get()` …) or in the reaction that resumes
 * the slow path, so it delays this thread's event loop by at most `micros`.
 *
 * Why 16 µs: a sleep and a wake-up of a thread cost 15–20 µs here, and spinning up to that cost
 * before sleeping never costs more than twice the best choice made in hindsight (the classic
 * spin-then-block bound). Where the other side answers within it — a ping-pong, a Condition
 * hand-off, a lock held briefly — neither side sleeps.
 *
 * When spinning cannot pay, the thread stops: a per-thread credit rises with each spin that led
 * to the end of its wait and falls (by 2) with each that was lost — the slow path parked on the
 * same slot again right after (another waiter won), or the spin ended unchanged and this thread
 * itself then ended the wait (a wake it sent: another task of its own held what it waited for,
 * and nothing could change the slot while it spun). While the credit is out, one park in
 * {@link SPIN_PROBE_EVERY} spins, to notice that spinning pays again. A spin that ends unchanged
 * before *another* thread ends the wait costs nothing: it is the spin-then-block price, and
 * charging it kept two threads that once fell asleep together asleep (each side's spin ends
 * before the other wakes up, so both run out of credit and their rare probes miss too): async
 * Lock ping-pongs in runs of 2000 that start together, geometric mean of 12 runs, not ÷ charged,
 * five alternating pairs (`node bench/probes/spin_regime.ts --lib <copy>/mod.ts`, Node 24,
 * 2026-12-02): 0.75, 0.76, 0.83, 1.20, 0.89; Semaphores 0.86, 0.78, 0.89, 0.89, 1.33 (per run
 * 1.2–2 µs a round trip when both spin, 20–50 µs when they fall asleep, a pre-emption or a GC
 * pause away). A park never spins while other async waiters are registered on its slot: it queues
 * behind them. So a thread whose async lock is held by another task of its own spins twice and
 * then once every 16 parks; four workers contending for one async lock on two CPUs measured
 * 0.87–1.11× their time without the spin.
 *
 * Measured (2026-12-02, 2 CPUs, load ~2), this tree with the 16 µs spin ÷ the one before it (the
 * nudge on in both where it is on), same runs, `TK_BEFORE=<copy>/mod.ts <runtime>
 * bench/probes/waitasync.ts --runs 9 --filter
 * probe.lock,probe.semaphore,probe.event,probe.condition,probe.queue,probe.contended4`, two runs:
 * | runtime | Lock          | Semaphore     | Event         | Condition   | Queue        | 4 contending |
 * | Node    | 0.030 / 0.079 | 0.12 / 0.22   | 0.021 / 0.025 | 0.61 / 0.61 | 0.64 / 0.049 | 1.11 / 1.03  |
 * | Bun     | 0.50 / 0.52   | 0.77 / 0.43   | 0.28 / 0.24   | 0.94 / 0.93 | 0.68 / 0.80  | 0.98 / 0.91  |
 * | Deno    | 0.091 / 0.10  | 0.22 / 0.086  | 0.036 / 0.035 | 0.21 / 0.35 | 0.16 / 0.23  | 1.11 / 0.87  |
 * (a Lock ping-pong then takes 1.3–3.9 µs a round trip on Node and Deno: neither side sleeps).
 * Shorter spins, same probe: at 8 µs Node's Condition 0.57–1.11 and Queue 0.51–0.98; at 4 µs
 * Condition and Queue slower than without (1.26 / 1.24, 1.27 / 0.90): a spin shorter than the
 * other side's turn only adds its own cost.
 */
export function setAsyncSpin(micros: number): void {
  spinMs = micros / 1000;
  freshSpin();
}

/**
 * Makes every sync park of this thread spin on its slot for up to `micros` µs before it sleeps in
 * `Atomics.wait`, as {@link setAsyncSpin} does for async parks, with the same credit (a sync
 * wait is never ended by its own thread, so only lost hits charge it). Sliced parks (a thread's
 * sync guard) spin too, before their first slice. Called once at load by `src/runtime/mod.ts`
 * (`Runtime.syncSpinMicros`). The lock word's own retry loop stays without spins (`SPIN_LIMIT`
 * 0 in `lock_word.ts`: spinning CAS attempts measured worse for contended locks); this spin
 * only reads the slot, and a lost hit (the slow path parks on the same slot again: another
 * waiter took it) charges the credit, so contended waiters stop spinning. Lock-word parks opt
 * out (`Park.syncSpin`) but for a Condition's re-acquire and its acquires and a `Lock` used as
 * a signal; there a watch that wins the lock counts as paid, so the credit does not stop it.
 *
 * Measured (2026-12-02, 2 CPUs), the tree before → with it, `npm run bench -- --filter
 * barrier,pingpong,contended` in each copy (full mode, Node): Semaphore ping-pong 24.0 → 0.93 µs
 * a round trip, Event 25.1 → 0.92, Condition 33.1 → 4.5, `barrier.cycle-2` 11.9 → 0.81 µs; the
 * contended Lock rows unchanged (their acquires do not spin; a `Lock` used as a signal does,
 * measured at its `acquireSync`). Same process, medians of 40 batches
 * (`node bench/probes/semaphore_pingpong.ts <before>/mod.ts ./mod.ts`): Semaphore 0.038×,
 * Condition 0.22×, Event 0.031×. The exceptions' measurements are at `lockSlow` (lock_word.ts),
 * `readSlow` (rwlock.ts) and {@link spinnersFit}. Bun's bound is 32 µs, not 16: its wake-ups cost
 * more, and at 16 its sync ping-pongs fell asleep together more often (`src/runtime/bun.ts`).
 */
export function setSyncSpin(micros: number): void {
  syncSpinMs = micros / 1000;
  freshSpin();
}

/** A fresh start: the credit of a first spin, nothing to judge. */
function freshSpin(): void {
  spinCredit.reset();
  hitI32 = undefined;
}

/** Spins this thread began, and those that saw their slot change (for tests and diagnostics). */
let spinsBegun = 0;
let spinsHit = 0;

/** How many parks of this thread (async and sync) spun, how many saw their slot change, the credit. */
export function spinCounts(): { begun: number; hit: number; credit: number } {
  return { begun: spinsBegun, hit: spinsHit, credit: spinCredit.value };
}

function spinMissed(): void {
  spinCredit.lost();
}

/**
 * Spins on `park`'s slot (see {@link setAsyncSpin}): `"not-equal"` when it changed, `"timed-out"`
 * when the park's deadline came first, `undefined` when the spin ended (or was not tried) and the
 * park must register.
 */
function spin(park: Park, ms: number): WaitResult | undefined {
  spinMissedAt = -1;
  if (ms === 0) return undefined;
  const { i32, index, expected, deadline, asyncCount } = park;
  if (hitI32 === i32 && hitIndex === index) {
    // The last spin saw this slot change, and the slow path parks on it again: it did not pay.
    hitI32 = undefined;
    spinMissed();
  }
  // Others are registered on this slot: queue behind them.
  if (asyncCount >= 0 && Atomics.load(i32, asyncCount) > 0) return undefined;
  if (!spinCredit.allows()) return undefined;
  spinsBegun++;
  const t = looksUntil(i32, index, expected, Math.min(now() + ms, deadline));
  if (t < 0) {
    spinsHit++;
    hitI32 = i32;
    hitIndex = index;
    return "not-equal";
  }
  // No change within the spin: the park registers, and the spin cost at most what the sleep it
  // precedes does (the spin-then-block bound). Charged only if this thread then ends the wait
  // itself (`AsyncRun.#await`, by `spinMissedAt`): charging every such spin kept a pair of
  // threads that once fell asleep together asleep (see the credit).
  if (t >= deadline) return "timed-out";
  spinMissedAt = wakesSent;
  return undefined;
}

/**
 * Re-reads `i32[index]` until it no longer holds `expected` (returns -1) or the clock reaches
 * `end` (returns the clock's reading). The clock is read once per 16 looks (a read costs about
 * three looks). The loop of {@link spin} and {@link watch}.
 */
function looksUntil(i32: Int32Array, index: number, expected: number, end: number): number {
  for (;;) {
    for (let k = 0; k < 16; k++) {
      if (Atomics.load(i32, index) !== expected) return -1;
      pause();
    }
    const t = now();
    if (t >= end) return t;
  }
}

/**
 * Re-reads `i32[index]` while it holds `expected`, for up to this thread's spin budget (the sync
 * one, {@link setSyncSpin}, or with `sync` false the async one, {@link setAsyncSpin}) or until
 * `deadline`: true when it changed. A bare spin, with no credit and no registration: for a slow
 * path whose waiter count makes the other side notify at every step, so that it counts itself
 * only once this watch has missed and it is about to sleep (the queue lane's sides, `lane.ts`,
 * whose parks then skip the driver's spin).
 */
export function watch(
  i32: Int32Array,
  index: number,
  expected: number,
  deadline: number,
  sync: boolean,
): boolean {
  const ms = sync ? syncSpinMs : spinMs;
  if (ms === 0) return false;
  return looksUntil(i32, index, expected, Math.min(now() + ms, deadline)) < 0;
}

/**
 * A slow path's run of parks ended (its call returns): if a spin led it there, that spin paid.
 * The drivers call it; so do the slow paths that loop over {@link parkSync} themselves.
 */
export function parksEnded(): void {
  if (hitI32 === undefined) return;
  hitI32 = undefined;
  spinCredit.paid();
}

/** See {@link setAsyncNudge}. */
function nudge(): void {
  // No slot: no shared memory here, so no registration either (unreachable in practice).
  const slot = nudgeSlot;
  if (slot === undefined) return;
  // The slot always holds 0, so this registers; the notify settles it at once (as "ok").
  Atomics.waitAsync(slot, 0, 0);
  Atomics.notify(slot, 0);
}

/** Overrides waitAsync detection (tests of the polling fallback). */
let forcePolling = false;

/** Makes async waits use the polling fallback even where `Atomics.waitAsync` exists (tests). */
export function setForcePolling(on: boolean): void {
  forcePolling = on;
}

/**
 * The fallback without `Atomics.waitAsync`: re-read the slot with exponential backoff.
 *
 * Invariant: the timer chain never outlives the logical wait it serves. Unlike a pending
 * `waitAsync`, a ref'd timer keeps the process alive, so once `stale()` (the wait was aborted or
 * has moved on) the poll re-arms no timer and settles, within one poll interval.
 */
function poll(
  i32: Int32Array,
  index: number,
  expected: number,
  deadline: number,
  stale: () => boolean,
) {
  return new Promise<WaitResult>((resolve) => {
    let delay = POLL_MIN_MS;
    const check = () => {
      // The result is ignored by runAsync: any value settles the promise.
      if (stale()) return resolve("timed-out");
      if (Atomics.load(i32, index) !== expected) return resolve("ok");
      const remaining = deadline - now();
      if (remaining <= 0) return resolve("timed-out");
      setTimeout(check, Math.min(delay, remaining));
      delay = Math.min(delay * 2, POLL_MAX_MS);
    };
    check();
  });
}

/**
 * What an abort does to a slow path: `"close"` ends it at its current `yield` (running its
 * `finally` blocks) and rejects at once; `"throw"` throws `signal.reason` into it at that `yield`,
 * and the slow path decides what to finish first (a condition re-acquires its lock) before its
 * own error rejects the promise. The slow path receives an {@link Aborted} and must catch it at
 * every `yield` (including those of nested slow paths it delegates to).
 */
export type AbortMode = "close" | "throw";

/** What a `"throw"`-mode abort throws into the slow path: the signal's reason, wrapped. */
export class Aborted {
  /** `signal.reason`. */
  readonly reason: unknown;
  constructor(reason: unknown) {
    this.reason = reason;
  }
}

/**
 * Runs a slow path without blocking, answering its requests with `Atomics.waitAsync`.
 *
 * The slow path runs synchronously up to its first request that really has to wait; a slow path
 * that ends before that (the state word changed, a zero timeout) costs no keep-alive and no abort
 * listener. On abort (see {@link AbortMode}) the pending physical wait becomes stale: its result
 * is ignored. Errors thrown by the slow path reject the promise.
 *
 * Cost (`bench/probes/selfwake.ts --before`, the same run as the keep-alive figures above): one
 * wait through this driver, before → after the keep-alive toggle, the synchronous first phase and
 * one reaction per physical wait: Node 6.8 → 4.8 µs, Deno 6.7 → 4.8 µs, Bun 5.6 → 4.2 µs (raw
 * `waitAsync` 3.9, 3.0, 2.2 µs). What is left over raw is the generator, the promise and the
 * deadline; a finite timeout itself costs the runtime ~1 µs per wait (raw without one: 2.8, 2.0,
 * 1.8 µs), which only a shared deadline timer could save.
 *
 * Physical waits carry no timeout (issue 9; see "Timer per timeout" above). Two workers
 * ping-pong with raw `waitAsync`, `bench/probes/waitasync.ts` (7 runs × 100 ms, round-robin, 2
 * CPUs at load 2.5-5.6), ratio to `floor.waitasync` (whose waits carry a 20 s timeout), two runs
 * each: a 1 ms timeout per wait Bun 2.25×/2.35×, Node 1.20×/1.29×, Deno 0.90×; 10 ms Bun
 * 1.84×/1.92×, Node 1.16×/1.45×; no timeout at all Bun 0.90×/0.86×, Node 0.83×/0.83×. The
 * Lock and Semaphore ping-pongs (whose slow paths park 1 ms at most) measured Bun 2.25×/2.42×,
 * Node 1.34×/1.55× in the same runs, Event (20 s) 0.92× and 1.04×.
 */
export function runAsync<R>(
  slow: Parker<R>,
  signal: AbortSignal | undefined,
  abortMode: AbortMode = "close",
): Promise<R> {
  let answer: WaitResult | undefined;
  for (;;) {
    let step: IteratorResult<Park, R>;
    try {
      step = answer === undefined ? slow.next() : slow.next(answer);
    } catch (error) {
      return Promise.reject(error);
    }
    if (step.done === true) {
      parksEnded();
      return Promise.resolve(step.value);
    }
    const park = step.value;
    const remaining = park.deadline === Infinity ? Infinity : park.deadline - (park.clock ?? now());
    if (remaining <= 0) {
      answer = "timed-out";
      continue;
    }
    // Owed wakes first, as in parkSync.
    if (deferred.indexes.length !== 0) flushWakes();
    if (!hasWaitAsync || forcePolling) return new AsyncRun(slow, signal, abortMode, park).promise;
    const local = parksLocally(park);
    if (local === "local") return new AsyncRun(slow, signal, abortMode, park, "local").promise;
    if (local !== undefined) {
      answer = local;
      continue;
    }
    const spun = park.asyncSpin === false ? undefined : spin(park, spinMs);
    if (spun !== undefined) {
      answer = spun;
      continue;
    }
    // Count ourselves before registering, so that a waker that could pick us sees the count and
    // wakes everyone (see "Woken but absent"). A wake that happens between the increment and the
    // registration is seen by waitAsync as "not-equal".
    const { i32, asyncCount } = park;
    if (asyncCount >= 0) Atomics.add(i32, asyncCount, 1);
    // No timeout: the run keeps the deadline (see "Timer per timeout").
    const result = Atomics.waitAsync(i32, park.index, park.expected);
    if (result.async) {
      if (nudging) nudge();
      return new AsyncRun(slow, signal, abortMode, park, result.value).promise;
    }
    if (asyncCount >= 0) Atomics.sub(i32, asyncCount, 1);
    answer = result.value;
  }
}

// ---------------------------------------------------------------------------------------------
// Deadlines of async waits

/** A logical async wait with a finite deadline, ended by {@link armDeadlines}' timer. */
export interface Timed {
  /** The `performance.now()` time the pending park ends at. */
  readonly deadline: number;
  /** The park's slack: it may end up to this many ms after `deadline`. */
  readonly slack: number;
  /** Ends the pending park as `"timed-out"`. */
  expire(): void;
  /** Its index in this thread's deadline list while on it ({@link timeWait}), else -1. */
  timedAt: number;
}

/** The largest delay `setTimeout` honours (2^31 - 1 ms); a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * This thread's pending async parks that have a finite deadline: an array with each entry's
 * index in it (`timedAt`), so that leaving is a swap with the last entry, as in
 * {@link localRuns}. The first version kept a `Set`: its add and delete, at every park of a
 * timed wait and every call waiting in a line (`line.ts`), took 3.3% of a profile of 100 tasks
 * of one thread taking turns on a `Lock` with a timeout (`timeWait`'s self time, Node,
 * `--cpu-prof`, `bench/probes/selfwake_tasks.ts --row Lock`). Measured (2026-12-04, 2 CPUs, load
 * 1.5-2; `<rt> bench/probes/selfwake_tasks.ts <before>/mod.ts ./mod.ts --processes 6 --loops 200
 * --rounds 9 --row Lock`, each tree alone in 6 fresh processes, then the trees' order swapped;
 * medians of the paired ratios), after ÷ before: `Lock` (100 tasks, `acquire({ timeout })`) Node
 * 0.79 / 0.73, Bun 0.91 / 0.89, Deno 0.70 / 0.64; an `RWLock`'s write lock Node 0.88 / 0.81, Bun
 * 0.90 / 0.90, Deno 0.76 / 0.71.
 */
const timed: Timed[] = [];
/** When this thread's deadline timer fires (`Infinity`: none armed). */
let timerAt = Infinity;
let deadlineTimer: ReturnType<typeof setTimeout> | undefined;

/**
 * Lets a timer fire without keeping the thread alive (the keep-alive does that while any async
 * wait is pending, so a timer left armed after the last wait holds nothing).
 */
function unrefTimer(timer: ReturnType<typeof setTimeout>): void {
  const t = timer as { unref?: () => unknown };
  if (typeof t.unref === "function") {
    t.unref();
    return;
  }
  const deno = (globalThis as { Deno?: { unrefTimer?: (id: number) => void } }).Deno;
  if (typeof deno?.unrefTimer === "function") deno.unrefTimer(timer as unknown as number);
}

/**
 * Makes sure the deadline timer fires by `latest` (a park's deadline plus its slack).
 *
 * One timer per thread serves every async park: it is re-armed only for a park that could not
 * wait for the armed firing, at that park's latest time, and when it fires it ends the parks
 * that are due and re-arms for the earliest latest time left. Parks whose deadlines come in
 * increasing order (every ping-pong: `now + timeout`, or a lock's `since + STARVE_AFTER_MS`)
 * therefore cost one firing per timeout span (plus slack) while waits are pending, not one per
 * wait.
 *
 * Why the slack: a firing is not free even when nothing is due (`bench/probes/timer_cpu.ts`, an
 * idle event loop running a chain of 1 ms timers: ~90 µs CPU per firing on Bun, ~115 µs on Node,
 * ~170 µs on Deno, at load ~17). An async Lock ping-pong always has a wait pending whose starve mark is 1 ms away,
 * so with no slack the timer fired every ~1 ms: `probe.runasync-1ms` (the driver, 1 ms parks)
 * measured 1.6× and 1.3× `probe.runasync` (20 s parks) on Bun in two runs.
 */
function armDeadlines(latest: number): void {
  if (latest >= timerAt) return;
  if (deadlineTimer !== undefined) clearTimeout(deadlineTimer);
  timerAt = latest;
  // Never early: a due check below re-arms for what is left, so at least 1 ms; and at most the
  // largest delay timers take (a longer one fires at once): the firing re-arms for the rest.
  const delay = Math.min(MAX_TIMER_MS, Math.max(1, Math.ceil(latest - now())));
  deadlineTimer = setTimeout(onDeadlines, delay);
  unrefTimer(deadlineTimer);
}

/**
 * Puts `t` on this thread's deadline timer (see {@link armDeadlines}): `t.expire()` is called
 * once, when `t.deadline` is due (up to `t.slack` ms late), unless {@link untimeWait} came first.
 * For async waits that are not parks: a queue's call waiting its turn (`line.ts`), where a timer
 * each cost Deno ~10 µs a call (a timer is a call into its runtime): 5,000 un-awaited puts into a
 * Queue(1000) drained by a worker took 2-3× the time without a line with a `setTimeout` per
 * waiting put, mostly in making and clearing the timers (`bench/probes/queue_line.ts`).
 */
export function timeWait(t: Timed): void {
  if (t.timedAt < 0) {
    t.timedAt = timed.length;
    timed.push(t);
  }
  armDeadlines(t.deadline + t.slack);
}

/** Takes `t` off this thread's deadline timer (it ended first); a no-op when it is not on it. */
export function untimeWait(t: Timed): void {
  const at = t.timedAt;
  if (at < 0) return;
  t.timedAt = -1;
  // The last entry takes its index (the order does not matter: the timer looks at every one).
  const last = timed.pop()!;
  if (last !== t) {
    timed[at] = last;
    last.timedAt = at;
  }
}

/** The deadline timer: ends every due park, then re-arms for the earliest one left. */
function onDeadlines(): void {
  deadlineTimer = undefined;
  timerAt = Infinity;
  const t = now();
  const due: Timed[] = [];
  let next = Infinity;
  for (let i = 0; i < timed.length; i++) {
    const run = timed[i]!;
    if (run.deadline <= t) due.push(run);
    else if (run.deadline + run.slack < next) next = run.deadline + run.slack;
  }
  // An expiring park may park again at once: it re-arms through `armDeadlines` itself.
  for (const run of due) {
    untimeWait(run);
    run.expire();
  }
  if (next !== Infinity) armDeadlines(next);
}

/**
 * A physical `Atomics.waitAsync` (registered without a timeout) and the slot it was counted in.
 */
interface Physical {
  i32: Int32Array;
  index: number;
  /** The slot it is counted in (-1: none), until uncounted (then -1). */
  asyncCount: number;
  /** {@link wakesSent} when the spin before this registration ended unchanged, else -1. */
  missedAt: number;
}

/** Takes `physical` out of its slot's async-waiter count, once. */
function uncount(physical: Physical): void {
  if (physical.asyncCount < 0) return;
  Atomics.sub(physical.i32, physical.asyncCount, 1);
  physical.asyncCount = -1;
}

/**
 * `signal.reason` once it has aborted, or what reading it threw: `signalOf` takes any object
 * with a boolean `aborted` and `addEventListener`, and a getter of one must not leave a wait
 * unsettled (here) or a thread's line held (`line.ts`).
 */
export function reasonOf(signal: AbortSignal): unknown {
  try {
    if (signal.aborted !== true) return undefined;
    return signal.reason;
  } catch (error) {
    return error;
  }
}

/**
 * One run of a slow path that had to wait: its promise, keep-alive, abort listener and
 * deadline, from its first pending physical wait until it settles.
 *
 * Invariants:
 * - `pendingAsync` counts this run (the keep-alive is held) exactly while `finished` is false.
 * - Every physical `waitAsync` registered with a count in `asyncCount` is uncounted exactly once
 *   ({@link uncount}): when it settles, whether or not the logical wait has moved on, or, sooner,
 *   when this thread wakes every waiter of its slot while it is current (a self-wake, or the run
 *   leaving it), which takes it off the slot's waiter list.
 * - A current physical wait is in {@link parkedHere}, and only a current one.
 * - At most one physical wait of the run is *current* (`#physical`); a current one is settled
 *   by a wake of its slot or, when the run leaves it (a park on another slot, the end of the
 *   run, an abort), by a wake of every waiter of that slot the run sends itself (spurious
 *   wake-ups are part of every slow path's contract). So no registration outlives its run.
 * - A park that times out ({@link armDeadlines}) leaves its physical wait current, and the
 *   next park on the same slot reuses it instead of registering another: a registration made
 *   before the slow path's last read of the word is woken by every wake that follows a change
 *   after that read, which is all a new one would be woken by (a registration already woken,
 *   its reaction not yet run, answers `"ok"`: a spurious wake-up).
 */
class AsyncRun<R> implements Timed, Parked, LocalParked {
  readonly promise: Promise<R>;
  #resolve!: (value: R) => void;
  #reject!: (error: unknown) => void;
  #slow: Parker<R>;
  #signal: AbortSignal | undefined;
  #abortMode: AbortMode;
  #finished = false;
  /** Identifies the pending poll (fallback); a result for an older one is stale and ignored. */
  #parkId = 0;
  /** The current physical wait, if any (see the invariants). */
  #physical: Physical | undefined;
  /**
   * The park this run waits on locally, if any (see "Local parks"; never with a current
   * physical wait). The slow path is suspended at it, so its fields hold until it resumes.
   */
  #local: Park | undefined;
  /** A wake of this thread reached the local park past the turn's self-wake budget. */
  #localWoken = false;
  #onAbort: (() => void) | undefined;
  /**
   * The slow path is running (`#drive` is inside its `next` or `throw`). It may run user code
   * (a queue's decode), which may abort this very wait: that abort waits for the slow path's next
   * park (`#abortPending`), as re-entering a running generator throws.
   */
  #running = false;
  #abortPending = false;
  /** Counts the slow path's resumptions: a self-wake resumes only the park it ended. */
  #step = 0;
  /** Its index in `parkedHere` while its physical wait is current, else -1. */
  parkedAt = -1;
  /** Its index in `localHere` while it is parked locally, else -1. */
  localAt = -1;
  /** Its `localHere` list while it is parked locally. */
  localList: LocalParked[] | undefined = undefined;
  /** Its index in `localRuns` while it is parked locally, else -1. */
  allAt = -1;
  /** The pending park's deadline (in {@link timed} while finite and pending). */
  deadline = Infinity;
  /** The pending park's slack (see {@link Park.slack}). */
  slack = 0;
  /** Its index in the deadline list while on it ({@link timeWait}), else -1. */
  timedAt = -1;

  /**
   * Takes over `slow`, suspended at `park`: with `waiting`, the promise of the `waitAsync` it
   * registered (already counted), or `"local"` to park it locally (compared already); without,
   * the park still has to start (the polling fallback).
   */
  constructor(
    slow: Parker<R>,
    signal: AbortSignal | undefined,
    abortMode: AbortMode,
    park: Park,
    waiting?: Promise<WaitResult> | "local",
  ) {
    this.promise = new Promise<R>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#slow = slow;
    this.#signal = signal;
    this.#abortMode = abortMode;
    holdAlive();
    tracked?.add(this);
    if (waiting === "local") {
      this.#parkLocal(park);
    } else if (waiting !== undefined) {
      this.#await(park, waiting);
      this.#time(park);
    } else {
      this.#park(park);
    }
    if (signal === undefined) return;
    // A signal-like object whose listener call or getter throws ends the wait with that error,
    // the slow path closed (its `finally` blocks run: a lock's line is handed on, counts
    // undone), instead of throwing out of the call with the wait left pending and the keep-alive
    // held.
    const aborted = listenForAbort(signal, this.#onAbort = () => this.#abort());
    if (typeof aborted === "object") {
      this.#fail(aborted.thrown);
      return;
    }
    // Aborted before this wait existed, by the slow path's own first steps (a queue get's decode
    // in its fast path): the listener never fires for a signal already aborted, and the get
    // took the next item put instead.
    if (aborted) this.#abort();
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#untime();
    this.#leave();
    releaseAlive();
    tracked?.delete(this);
    if (this.#onAbort === undefined) return;
    try {
      this.#signal!.removeEventListener("abort", this.#onAbort);
    } catch {
      // A signal-like object's: its listener only finds the wait finished.
    }
  }

  /**
   * Ends the wait with `error` as an abort with that reason would (see the constructor): in
   * `"throw"` mode the slow path gets it and finishes what it must (a condition re-acquires its
   * lock, a barrier breaks); closing it there instead skipped that (a Condition's wait rejected
   * without its lock, and its ticket took the next `notify(1)`; one party of two passed a
   * Barrier alone).
   */
  #fail(error: unknown): void {
    const thrown = this.#aborted({ reason: error });
    if (thrown !== undefined) this.#drive(undefined, thrown);
  }

  /** Where and how this run waits ({@link describePendingWaits}). */
  describe(): string {
    const at = (p: { i32: Int32Array; index: number }) =>
      `slot at byte ${p.i32.byteOffset + p.index * 4} of a ${p.i32.buffer.byteLength}-byte buffer`;
    const local = this.#local;
    const physical = this.#physical;
    const how = local !== undefined
      ? `parked locally on the ${at(local)}, waiting for it to change from ${local.expected}`
      : physical !== undefined
      ? `registered with waitAsync on the ${at(physical)}`
      : "between parks (polling, or a resume queued)";
    // A local park is on no timer (`#parkLocal`): its deadline is its park's.
    const due = local !== undefined ? local.deadline : this.deadline;
    const deadline = due === Infinity ? "no deadline" : "a deadline";
    return `an async wait ${how}; ${deadline}${this.#signal === undefined ? "" : ", a signal"}`;
  }

  /** Waits for the pending park's deadline on the thread's deadline timer. */
  #time(park: Park): void {
    let deadline = park.deadline;
    let slack = park.slack ?? 0;
    if (park.pollMs !== undefined) {
      // The park's poll (see `Park.pollMs`): a mark of the slow path's own, so it may run late.
      const poll = now() + park.pollMs;
      if (poll < deadline) {
        deadline = poll;
        slack = SOFT_SLACK_MS;
      }
    }
    this.deadline = deadline;
    if (deadline === Infinity) return;
    this.slack = slack;
    timeWait(this);
  }

  #untime(): void {
    if (this.deadline !== Infinity) untimeWait(this);
    this.deadline = Infinity;
  }

  /**
   * The deadline timer: the pending park timed out. Its physical wait stays current. (A local
   * park is never on the timer: see `#parkLocal`.)
   */
  expire(): void {
    this.deadline = Infinity;
    if (!this.#finished) this.#drive("timed-out");
  }

  /**
   * Leaves the current physical wait: wakes every waiter of its slot, so that it settles now
   * instead of lingering until some later wake, and uncounts it (off the waiter list, it is
   * woken but absent for nobody; see {@link wokeHere}).
   */
  #leave(): void {
    // A local park has no registration to settle, and took no wake from anybody.
    this.#unlocal();
    const physical = this.#physical;
    if (physical === undefined) return;
    this.#physical = undefined;
    unparkHere(this, physical.i32.buffer);
    Atomics.notify(physical.i32, physical.index);
    uncount(physical);
    if (parkedCount !== 0 || localCount !== 0) wokeHere(physical.i32, physical.index, true);
  }

  /**
   * This thread has just woken every waiter of the slot at byte `at` of this run's buffer (see
   * {@link wokeHere}): if this run's current physical wait is there, it was among them, and is
   * uncounted now. The park ends in a microtask, answered `"ok"`, unless the run has moved on by
   * then (a timeout, an abort); the registration's own settlement, later, finds it no longer
   * current. Not while the slow path runs (it sent this wake itself), nor once this turn's
   * self-wakes are spent: its physical wait stays current, and its settlement resumes it.
   */
  wokenHere(at: number): void {
    const physical = this.#physical;
    if (
      physical === undefined || this.#running ||
      physical.i32.byteOffset + physical.index * 4 !== at || !spendSelfWake()
    ) return;
    this.#physical = undefined;
    unparkHere(this, physical.i32.buffer);
    uncount(physical);
    this.#untime();
    // As in the settlement's reaction: a spin that missed before this wait, ended by a wake of
    // this thread's own, did not pay.
    if (physical.missedAt >= 0) spinMissed();
    this.#resumeSoon();
  }

  /** Resumes the park pending now in a microtask, answered `"ok"`, unless the run moves on first. */
  #resumeSoon(): void {
    const step = this.#step;
    queueMicrotask(() => {
      if (!this.#finished && this.#step === step) this.#drive("ok");
    });
  }

  /**
   * This thread has just woken the slot at byte `at` of this run's buffer, with any count (see
   * "Local parks"): if this run is parked locally there, the park ends in a microtask, answered
   * `"ok"`, as a self-wake's does; past the turn's self-wake budget it is marked, and the end of
   * the turn resumes it. Not while the slow path runs (it sent this wake itself).
   */
  wokenLocally(at: number): void {
    const local = this.#local;
    if (local === undefined || this.#running || local.i32.byteOffset + local.index * 4 !== at) {
      return;
    }
    if (!spendSelfWake()) {
      this.#localWoken = true;
      return;
    }
    this.#unlocal();
    localCredit.paid();
    this.#resumeSoon();
  }

  /** Resumes the slow path with `answer` (or throws `thrown` into it) and drives it on. */
  #drive(answer: WaitResult | undefined, thrown?: Aborted): void {
    const slow = this.#slow;
    for (;;) {
      let step: IteratorResult<Park, R>;
      this.#running = true;
      this.#step++;
      try {
        step = thrown !== undefined
          ? slow.throw(thrown)
          : answer === undefined
          ? slow.next()
          : slow.next(answer);
      } catch (error) {
        this.#finish();
        this.#reject(error);
        return;
      } finally {
        this.#running = false;
      }
      thrown = undefined;
      if (step.done === true) {
        // An abort while it ran came too late: the wait's work is done.
        parksEnded();
        this.#finish();
        this.#resolve(step.value);
        return;
      }
      if (this.#abortPending) {
        // Aborted while it ran (user code of its own): the abort takes effect at this park.
        this.#abortPending = false;
        thrown = this.#aborted();
        if (thrown === undefined) return;
        continue;
      }
      const park = step.value;
      const remaining = park.deadline === Infinity
        ? Infinity
        : park.deadline - (park.clock ?? now());
      if (remaining <= 0) {
        answer = "timed-out";
        continue;
      }
      if (deferred.indexes.length !== 0) {
        // Owed wakes first, as in parkSync; as the slow path's own wakes, not ones that end this
        // run's park (`wokenHere`, `wokenLocally`): one on its current physical wait's slot
        // queued a resume of this step, which then found the run parked again (locally: counted
        // twice, found by review). Ignored, that wait's settlement comes as a spurious wake-up.
        this.#running = true;
        flushWakes();
        this.#running = false;
      }
      const physical = this.#physical;
      if (physical !== undefined) {
        // A timed-out park's physical wait is still registered: the same slot reuses it (see
        // the invariants); another slot leaves it.
        if (
          physical.i32 === park.i32 && physical.index === park.index &&
          physical.asyncCount === park.asyncCount
        ) {
          return this.#time(park);
        }
        this.#leave();
      }
      if (!hasWaitAsync || forcePolling) return this.#park(park);
      const local = parksLocally(park);
      if (local === "local") return this.#parkLocal(park);
      if (local !== undefined) {
        answer = local;
        continue;
      }
      const answered = this.#register(park);
      if (answered === undefined) return this.#time(park);
      answer = answered;
    }
  }

  /**
   * Registers `park`: spins first (see {@link setAsyncSpin}), then counts it and registers its
   * `waitAsync`. Returns the answer when it did not register (the spin saw a change or the
   * deadline, or `waitAsync` found the slot changed), else `undefined`: the run awaits it.
   */
  #register(park: Park): WaitResult | undefined {
    const spun = park.asyncSpin === false ? undefined : spin(park, spinMs);
    if (spun !== undefined) return spun;
    // Counted before registering, as in runAsync (see "Woken but absent"); no timeout (see
    // "Timer per timeout").
    const { i32, asyncCount } = park;
    if (asyncCount >= 0) Atomics.add(i32, asyncCount, 1);
    const result = Atomics.waitAsync(i32, park.index, park.expected);
    if (result.async) {
      if (nudging) nudge();
      this.#await(park, result.value);
      return undefined;
    }
    if (asyncCount >= 0) Atomics.sub(i32, asyncCount, 1);
    return result.value;
  }

  /**
   * Parks locally at `park` (see "Local parks"); its slot was compared already. Not on the
   * deadline timer: the end of the turn registers and times it if it still waits. Timing it
   * here cost a `timeWait`, an `untimeWait` and a clock read a hand-off. The price: a timer due
   * before the end of the turn (a park begun in a `setImmediate` callback, whose check then runs
   * after the next loop iteration's timers; the `MessageChannel` path) ends such a park up to
   * one loop iteration late.
   */
  #parkLocal(park: Park): void {
    this.#unlocal(); // none (every resumption ends it first); never two
    this.#local = park;
    this.#localWoken = false;
    parkLocally(this, park.i32.buffer);
  }

  /** Ends the local park, if any: out of {@link localHere} and the end-of-turn check. */
  #unlocal(): void {
    const local = this.#local;
    if (local === undefined) return;
    this.#local = undefined;
    unparkLocally(this);
  }

  /**
   * The end of this thread's turn found the local park pending: resumed if a wake of this
   * thread reached it (past the budget), else registered now, as a fresh park (the spin, the
   * count, `waitAsync`'s compare, the nudge), and timed (a deadline already past ends it at the
   * deadline timer's next firing, unless the spin sees it first).
   */
  turnEnded(): void {
    const park = this.#local;
    if (park === undefined || this.#finished) return;
    this.#unlocal();
    if (this.#localWoken) {
      localCredit.paid(); // a wake of this thread ended it
      return this.#drive("ok");
    }
    localCredit.lost(); // it registers a turn late
    park.localMissed = true; // for a slow path whose mark was a guess (`Park.localMissed`)
    const answered = this.#register(park);
    if (answered === undefined) return this.#time(park);
    this.#drive(answered);
  }

  /** Follows a registered physical wait: one reaction uncounts it and resumes the slow path. */
  #await(park: Park, waiting: Promise<WaitResult>): void {
    // Read now: the slow path may reuse `park` for a later request.
    const physical: Physical = {
      i32: park.i32,
      index: park.index,
      asyncCount: park.asyncCount,
      missedAt: spinMissedAt,
    };
    spinMissedAt = -1;
    this.#physical = physical;
    parkHere(this, physical.i32.buffer);
    waiting.then((result) => {
      turnTaken();
      // Uncount once it has settled (unless a wake of every waiter of its slot, sent by this
      // thread, uncounted it already), even if the logical wait was aborted.
      uncount(physical);
      // Left (another slot, the end of the run, an abort) or ended by a self-wake: nobody waits
      // on it any more.
      if (this.#physical !== physical) return;
      this.#physical = undefined;
      unparkHere(this, physical.i32.buffer);
      this.#untime();
      // A spin missed before this wait, and this thread has sent a wake since: it may have
      // ended the wait itself (another task of its own held what it waited for), which no
      // spin can see. Charged; a wait another thread ended is not (see the credit).
      if (physical.missedAt >= 0 && physical.missedAt !== wakesSent) spinMissed();
      this.#drive(result);
    });
  }

  /** The polling fallback for `park` (no `waitAsync`, or forced). */
  #park(park: Park): void {
    const id = ++this.#parkId;
    poll(
      park.i32,
      park.index,
      park.expected,
      park.deadline,
      () => this.#finished || id !== this.#parkId,
    ).then((result) => {
      if (!this.#finished && id === this.#parkId) this.#drive(result);
    });
  }

  #abort(): void {
    if (this.#finished) return;
    if (this.#running) {
      // Re-entering the running slow path would throw "Generator is already running" into the
      // wait and then finish it twice (a lane get whose decode aborted its own signal: the item
      // taken, the promise rejected with that TypeError, the keep-alive released twice).
      this.#abortPending = true;
      return;
    }
    const thrown = this.#aborted();
    if (thrown !== undefined) this.#drive(undefined, thrown);
  }

  /**
   * The abort of a wait whose slow path is parked: leaves the park; in `"throw"` mode returns the
   * `Aborted` to throw into the slow path, else ends the wait (rejected with the reason).
   */
  #aborted(given?: { reason: unknown }): Aborted | undefined {
    this.#parkId++;
    this.#untime();
    // Settle the physical wait we leave behind at once, so that it leaves no trace: a wake of
    // every waiter of its slot (the others re-check and sleep again; spurious wake-ups are part
    // of every slow path's contract). Without it the stale registration stays counted in the
    // async-waiter slot, and in memory, until some later wake of that slot.
    this.#leave();
    // A getter that throws gives its error as the reason (`reasonOf`), where it threw out of the
    // abort listener with the wait left pending.
    const reason = given !== undefined ? given.reason : reasonOf(this.#signal!);
    if (this.#abortMode === "throw") return new Aborted(reason);
    this.#finish();
    try {
      this.#slow.return(undefined as R);
    } catch (error) {
      this.#reject(error);
      return undefined;
    }
    this.#reject(reason);
    return undefined;
  }
}
