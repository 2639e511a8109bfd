/**
 * What every `threadkit/redis` primitive shares: key names, argument checks, the scripts' common
 * preamble, holder ids, the guard, and the wait loop over the wake channel.
 *
 * Keys of the primitive named `name` (one hash tag, so one Redis Cluster slot):
 * | key                         | type   | meaning                                                |
 * | threadkit:{name}:kind       | string | the primitive's class name; set by its first write     |
 * | threadkit:{name}:wake       | -      | sharded pub/sub channel: "something changed, re-check" |
 * | threadkit:{name}:...        | ...    | the primitive's own keys (table atop each file)        |
 * Invariant: every script reads `kind` first and refuses (writing nothing) when it names
 * another class; only a script that writes sets it.
 *
 * Waiting: a waiter runs its attempt script; if that fails it subscribes to the wake channel,
 * runs the attempt again (a release between the first attempt and the subscription would
 * otherwise be missed; when the process still listens to the channel from a recent wait, the
 * waiter listens before its first attempt instead and saves both round trips), then sleeps until a message, its re-check period (leases run out without
 * a message), its deadline or its signal. Every step that needs the server is raced against the
 * deadline and the signal, so a paused or unreachable server cannot make a wait outlive its
 * timeout; an attempt that was still in flight when the wait gave up is undone if it succeeded.
 *
 * @module
 */

import { hostname } from "node:os";
import { setTimeout as setTimer } from "node:timers";
// The core, through its public entry only (one line to change if its files move).
import { OwnerDiedError } from "../../mod.ts";
export {
  BrokenBarrierError,
  NotOwnedError,
  OwnerDiedError,
  QueueEmptyError,
  QueueFullError,
  QueueShutDownError,
  structuredCodec,
  TimeoutError,
} from "../../mod.ts";
import { type Commands, commandsOf, unrefTimer } from "./commands.ts";

export type { Commands };
export { commandsOf, unrefTimer };

/** Default lease of every hold, in ms (renewed in the background every lease/3). */
export const DEFAULT_LEASE_MS = 30_000;

/** The reply prefix with which scripts refuse a key of another class. */
const WRONG_KIND = "THREADKIT_WRONGKIND";

/** A value for messages: strings quoted, others by type. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") return String(value);
  return typeof value;
}

/** The key prefix of a primitive (`threadkit:{name}`), after checking the name. */
export function prefixOf(name: unknown, what: string): string {
  if (typeof name !== "string") {
    throw new TypeError(`Cannot create ${what}: name must be a string, got ${describe(name)}`);
  }
  if (name.length === 0) throw new TypeError(`Cannot create ${what}: name must not be empty`);
  if (name.includes("{") || name.includes("}")) {
    // A brace would change the hash tag and so split the primitive's keys over cluster slots.
    throw new TypeError(
      `Cannot create ${what}: name must not contain "{" or "}", got ${describe(name)}`,
    );
  }
  return `threadkit:{${name}}`;
}

/** Checks an options argument: `undefined` or a plain object. */
export function optionsOf<T extends object>(options: unknown, what: string): Partial<T> {
  if (options === undefined) return {};
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`Cannot ${what}: options must be an object, got ${describe(options)}`);
  }
  return options as Partial<T>;
}

/** A lease in ms: a positive, finite number (default {@link DEFAULT_LEASE_MS}). */
export function leaseOf(lease: unknown, what: string, fallback = DEFAULT_LEASE_MS): number {
  if (lease === undefined) return fallback;
  if (typeof lease !== "number") {
    throw new TypeError(`Cannot ${what}: lease must be a number of ms, got ${describe(lease)}`);
  }
  if (!(lease >= 1) || !Number.isFinite(lease)) {
    throw new RangeError(`Cannot ${what}: lease must be a finite number of ms >= 1, got ${lease}`);
  }
  return Math.floor(lease);
}

/** A non-negative integer count (`Semaphore` value, `maxsize`, ...). */
export function countOf(value: unknown, what: string, label: string, min = 0): number {
  if (typeof value !== "number") {
    throw new TypeError(`Cannot ${what}: ${label} must be a number, got ${describe(value)}`);
  }
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`Cannot ${what}: ${label} must be an integer >= ${min}, got ${value}`);
  }
  return value;
}

/** Options of every wait. */
export interface RedisWaitOptions {
  /** Milliseconds to wait; `0` tries once; default `Infinity`. */
  timeout?: number | undefined;
  /** Abort the wait, rejecting with `signal.reason`; the primitive is left as if never called. */
  signal?: AbortSignal | undefined;
}

/** Options of the waits that take a hold (`acquire`, `hold`, `get`, ...). */
export interface RedisHoldOptions extends RedisWaitOptions {
  /** The lease of this hold in ms (default: the primitive's). */
  lease?: number | undefined;
}

/** Timeout and signal of a wait's options, checked. */
export function waitOptionsOf(
  options: unknown,
  what: string,
): { timeout: number; signal: AbortSignal | undefined } {
  const o = optionsOf<RedisWaitOptions>(options, what);
  let timeout = Infinity;
  if (o.timeout !== undefined) {
    if (typeof o.timeout !== "number") {
      throw new TypeError(`Cannot ${what}: timeout must be a number, got ${describe(o.timeout)}`);
    }
    if (Number.isNaN(o.timeout) || o.timeout < 0) {
      throw new RangeError(
        `Cannot ${what}: timeout must be a non-negative number of milliseconds, got ${o.timeout}`,
      );
    }
    timeout = o.timeout;
  }
  const signal = o.signal;
  if (
    signal !== undefined &&
    (typeof signal !== "object" || signal === null ||
      typeof (signal as AbortSignal).aborted !== "boolean" ||
      typeof (signal as AbortSignal).addEventListener !== "function")
  ) {
    throw new TypeError(`Cannot ${what}: signal must be an AbortSignal, got ${describe(signal)}`);
  }
  return { timeout, signal };
}

/**
 * The first lines of every script: `KEYS[1]` is the kind key, `ARGV[1]` the class name. Leaves
 * `kind` (the stored name or false) for the script to set when it writes.
 */
export const KIND_CHECK = `
local kind = redis.call('GET', KEYS[1])
if kind and kind ~= ARGV[1] then return redis.error_reply('${WRONG_KIND} ' .. kind) end
`;

/** Sets the kind key if this is the primitive's first write (after {@link KIND_CHECK}). */
export const KIND_SET = `if not kind then redis.call('SET', KEYS[1], ARGV[1]) end`;

/**
 * Runs a script, turning a wrong-kind refusal into a `TypeError` naming both classes and other
 * server errors into an `Error` that says which call failed (the server's error as `cause`).
 */
export function run(
  commands: Commands,
  script: string,
  keys: readonly string[],
  args: readonly (string | number | Uint8Array)[],
  what: string,
  binary = false,
  ownDeadline = false,
): Promise<unknown> {
  // Not async: one promise fewer per script on the hot paths (a synchronous throw still
  // becomes a rejection).
  let reply: Promise<unknown>;
  try {
    reply = commands.evalScript(script, keys, args, binary, ownDeadline);
  } catch (error) {
    reply = Promise.reject(error);
  }
  return reply.catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    const at = message.indexOf(WRONG_KIND);
    if (at !== -1) {
      const other = message.slice(at + WRONG_KIND.length + 1).trim();
      throw new TypeError(
        `Cannot ${what}: ${keys[0]?.slice(0, -":kind".length)} already holds a ${other}`,
      );
    }
    throw new Error(`Cannot ${what}: the Redis command failed: ${message}`, { cause: error });
  });
}

/** The reply prefix with which scripts refuse a stored setting other than the opener's. */
export const WRONG_VALUE = "THREADKIT_VALUE";

/**
 * {@link run} for the scripts that check a setting stored by the first write (`maxsize`,
 * permits, parties: `redis.error_reply('THREADKIT_VALUE ' .. stored)`): that refusal becomes a
 * `RangeError` "it already exists with <`mismatch(stored)`>".
 */
export async function runChecked(
  commands: Commands,
  script: string,
  keys: readonly string[],
  args: readonly (string | number | Uint8Array)[],
  what: string,
  mismatch: (stored: string) => string,
  binary = false,
  ownDeadline = false,
): Promise<unknown> {
  try {
    return await run(commands, script, keys, args, what, binary, ownDeadline);
  } catch (error) {
    const cause = (error as Error).cause;
    const message = cause instanceof Error ? cause.message : "";
    const at = message.indexOf(`${WRONG_VALUE} `);
    if (at === -1) throw error;
    throw new RangeError(
      `Cannot ${what}: it already exists with ${
        mismatch(message.slice(at + WRONG_VALUE.length + 1).trim())
      }`,
    );
  }
}

/** This process's part of every holder id: `host:pid:random`. */
const PROCESS_ID = `${safeHostname()}:${globalThis.process?.pid ?? 0}:${
  Math.random().toString(36).slice(2, 8)
}`;
let holders = 0;

function safeHostname(): string {
  try {
    return hostname();
  } catch {
    return "host";
  }
}

/** A new holder id, unique among every process and object: `host:pid:random:n`. */
export function newHolderId(): string {
  holders += 1;
  return `${PROCESS_ID}:${holders}`;
}

const asyncDispose: typeof Symbol.asyncDispose = Symbol.asyncDispose ??
  Symbol.for("Symbol.asyncDispose");

/**
 * A hold on a Redis primitive: `await release()` gives it back, a second call does nothing;
 * `await using g = await lock.hold()` releases at the end of the block.
 */
export class RedisGuard {
  #release: (() => Promise<void>) | undefined;
  /** The fencing token of this hold (strictly increasing per primitive), or `undefined`. */
  readonly fence: number | undefined;

  /** @internal Created by `hold()`. */
  constructor(release: () => Promise<void>, fence?: number) {
    this.#release = release;
    this.fence = fence;
  }

  /** Releases what this guard holds; later calls resolve at once. */
  release(): Promise<void> {
    const release = this.#release;
    if (release === undefined) return Promise.resolve();
    this.#release = undefined;
    return release();
  }

  /** Same as {@link RedisGuard.release}, for `await using`. */
  [asyncDispose](): Promise<void> {
    return this.release();
  }
}

/** The outcome of racing a server step against a deadline and a signal. */
export type Raced<T> = { ok: true; value: T } | { ok: false };

/**
 * Waits for `promise`, or until `deadline` (a `performance.now()` time) passes or `signal`
 * aborts. On the latter two, a value `promise` still delivers goes to `undo` (or, if none, is
 * dropped), and its failure is swallowed.
 */
export function race<T>(
  promise: Promise<T>,
  deadline: number,
  signal: AbortSignal | undefined,
  undo: ((value: NonNullable<T>) => unknown) | undefined,
): Promise<Raced<T>> {
  return new Promise<Raced<T>>((resolve, reject) => {
    let done = false;
    let timer: ReturnType<typeof setTimer> | undefined;
    const finish = () => {
      done = true;
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    const giveUp = () => {
      promise.then((value) => value != null && undo?.(value), () => {}).catch(() => {});
    };
    const onAbort = () => {
      if (done) return;
      finish();
      giveUp();
      reject(signal!.reason);
    };
    promise.then((value) => {
      if (done) return;
      finish();
      resolve({ ok: true, value });
    }, (error) => {
      if (done) return;
      finish();
      reject(error);
    });
    if (done) return;
    if (deadline !== Infinity) {
      timer = setTimer(() => {
        if (done) return;
        finish();
        giveUp();
        resolve({ ok: false });
      }, Math.max(0, deadline - performance.now()));
    }
    signal?.addEventListener("abort", onAbort);
  });
}

/**
 * How long the first attempt of a wait may take even when its timeout is shorter (`0`: try
 * once): a round trip, with room for a busy server; a server that does not answer within it is
 * counted as a timeout.
 */
export const REPLY_GRACE_MS = 250;

/** What {@link waitFor} needs to know about the primitive. */
export interface WaitPlan<T> {
  /** The client's commands. */
  commands: Commands;
  /** The wake channel. */
  channel: string;
  /** One try; `undefined` means "not yet". */
  attempt: () => Promise<T | undefined>;
  /** Gives back what an attempt took after the wait had already given up. */
  undo?: (value: NonNullable<T>) => unknown;
  /**
   * Re-check period with no message, in ms, asked after each failed attempt: about lease/3, or
   * just past the holder's remaining lease, since a lease that runs out publishes nothing.
   */
  recheckMs: () => number;
  /** Total time allowed, in ms. */
  timeout: number;
  /** Aborts the wait. */
  signal: AbortSignal | undefined;
}

/**
 * The one wait loop: try, subscribe, try again, then sleep until woken, re-check time, deadline
 * or abort. Resolves with the attempt's value, or `undefined` when the timeout ran out; rejects
 * with `signal.reason` on abort.
 */
export async function waitFor<T>(plan: WaitPlan<T>): Promise<T | undefined> {
  const { signal } = plan;
  // An aborted signal rejects before touching the server, even when the primitive is free.
  if (signal?.aborted === true) throw signal.reason;
  const start = performance.now();
  const deadline = start + plan.timeout;
  let woken = false;
  let wake: (() => void) | undefined;
  const onMessage = () => {
    woken = true;
    wake?.();
  };
  // A channel this process already listens to (a recent wait left it subscribed): listen
  // before the first attempt, so that attempt is also the check after subscribing.
  let off = plan.timeout > 0 ? plan.commands.listen(plan.channel, onMessage) : undefined;
  try {
    // Fast path: one script. Even `timeout: 0` lets it have a round trip. With no deadline
    // and no signal there is nothing to race it against.
    const first = signal === undefined && deadline === Infinity
      ? { ok: true as const, value: await plan.attempt() }
      : await race<T | undefined>(
        plan.attempt(),
        Math.max(deadline, start + REPLY_GRACE_MS),
        signal,
        plan.undo,
      );
    if (!first.ok) return undefined;
    if (first.value !== undefined) return first.value;
    if (plan.timeout === 0) return undefined;
    let retry = false;
    if (off === undefined) {
      // Subscribe before the last check, or a release between the check and the subscription
      // would be missed.
      const subscribing = plan.commands.subscribe(plan.channel, onMessage);
      off = () => {
        subscribing.then((remove) => remove(), () => {});
      };
      const subscribed = await race(subscribing, deadline, signal, undefined);
      if (!subscribed.ok) return undefined;
      retry = true;
    }
    for (;;) {
      if (retry || woken) {
        woken = false;
        const tried = await race<T | undefined>(plan.attempt(), deadline, signal, plan.undo);
        if (!tried.ok) return undefined;
        if (tried.value !== undefined) return tried.value;
        // A message that arrived while the attempt ran: try again at once.
        if (woken) continue;
      }
      retry = true;
      const slept = await sleepUntil(
        Math.min(deadline, performance.now() + Math.max(1, plan.recheckMs())),
        signal,
        (fn) => (wake = fn),
      );
      wake = undefined;
      if (!slept && performance.now() >= deadline) return undefined;
    }
  } finally {
    off?.();
  }
}

/** How often a waiter that only a message can satisfy re-checks without one (a lost message). */
export const IDLE_RECHECK_MS = 10_000;

/**
 * The wait of the primitives a script reply alone decides (Event, Latch, Barrier's outcome):
 * {@link waitFor} on `channel`, each attempt one run of `script`, whose reply `accept` turns into
 * the result (or `undefined`: not yet); re-checks every {@link IDLE_RECHECK_MS} without a message.
 * `args` is asked before each attempt (it may change with what `accept` saw).
 */
export function waitForReply<T>(
  commands: Commands,
  wait: { channel: string; timeout: number; signal: AbortSignal | undefined; what: string },
  script: string,
  keys: readonly string[],
  args: () => readonly (string | number)[],
  accept: (reply: unknown) => T | undefined,
): Promise<T | undefined> {
  return waitFor({
    commands,
    channel: wait.channel,
    signal: wait.signal,
    timeout: wait.timeout,
    recheckMs: () => IDLE_RECHECK_MS,
    attempt: async () => accept(await run(commands, script, keys, args(), wait.what)),
  });
}

/**
 * Sleeps until `until` (returns false), a wake (returns true) or abort (rejects). `register`
 * receives the wake function. The timer is ref'd: a pending wait keeps the process alive.
 */
function sleepUntil(
  until: number,
  signal: AbortSignal | undefined,
  register: (wake: () => void) => void,
): Promise<boolean> {
  return new Promise<boolean>((resolve, reject) => {
    const finish = (value: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      resolve(value);
    };
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimer(() => finish(false), Math.max(0, until - performance.now()));
    register(() => finish(true));
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** The error for a release by an object that holds nothing (or whose lease was lost). */
export function notOwnedMessage(what: string, name: string, lost: boolean): string {
  return lost
    ? `Cannot release ${what} "${name}": its lease ran out and it was taken over or expired`
    : `Cannot release ${what} "${name}": this object does not hold it`;
}

/**
 * Renews a hold every lease/3 while it lasts: `renew` runs one compare-then-extend script and
 * resolves false once the hold is gone (lost to expiry, or released). A failed round trip (a
 * paused or restarting server) is retried at the next period; the lease may then run out, which
 * is owner death by definition. The timer is unref'd: a hold alone keeps no process alive.
 */
export class Renewal {
  #timer: { cancel(): void } | undefined;
  #stopped = false;
  /** Set once `renew` reported the hold gone. */
  lost = false;

  constructor(leaseMs: number, renew: () => Promise<boolean>) {
    const period = Math.max(1, Math.floor(leaseMs / 3));
    const tick = () => {
      if (this.#stopped) return;
      renew().then((held) => {
        if (!held) {
          this.lost = true;
          this.#stopped = true;
        }
      }, () => {}).finally(() => {
        if (!this.#stopped) this.#timer = unrefTimer(tick, period);
      });
    };
    this.#timer = unrefTimer(tick, period);
  }

  /**
   * The renewal of one hold whose script (KEYS: `key`; ARGV: `member` leaseMs) returns 1 while
   * `member` still holds it and extends its lease.
   */
  static of(
    commands: Commands,
    leaseMs: number,
    script: string,
    key: string,
    member: string,
    what: string,
  ): Renewal {
    return new Renewal(
      leaseMs,
      async () => await run(commands, script, [key], [member, leaseMs], what) === 1,
    );
  }

  /** Stops renewing (on release). */
  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
  }
}

/**
 * `OwnerDiedError` for a holder whose lease ran out without a release: names the holder by its
 * holder id and fence (`ownerIdent` is 0: no thread of this process).
 */
export class LeaseOwnerDiedError extends OwnerDiedError {
  /** The holder id of the dead holder (`host:pid:random:n`). */
  readonly holderId: string;
  /** The fencing token the dead holder held (0 where the primitive has none). */
  readonly fence: number;

  /** @internal Created by the acquirer that took over. */
  constructor(what: string, holderId: string, fence: number) {
    super(
      `Acquired ${what}, but its holder ${holderId}${
        fence > 0 ? ` (fence ${fence})` : ""
      } let its lease run out without releasing it; the data it protects may be inconsistent`,
      0,
    );
    this.holderId = holderId;
    this.fence = fence;
  }
}
