/**
 * `Semaphore` and `BoundedSemaphore` over Redis: counted permits shared by processes, each
 * permit held under a lease.
 *
 * Keys (one hash tag: one cluster slot)
 * | key                       | type   | TTL  | meaning                                          |
 * | threadkit:{name}:kind     | string | none | "Semaphore" or "BoundedSemaphore"                |
 * | threadkit:{name}:value    | int    | none | the number of permits, set by the first write    |
 * | threadkit:{name}:holders  | zset   | none | member: permit id "holderId#n"; score: the server |
 * |                           |        |      | time (ms) its lease runs out                     |
 * | threadkit:{name}:wake     | chan.  | -    | SPUBLISH'd on release                            |
 * Invariants: at most `value` members have a score in the future (live permits); a member whose
 * score has passed belongs to a holder that stopped renewing (owner death): the next acquirer
 * takes its place and is told so.
 *
 * @module
 */

import {
  type Commands,
  commandsOf,
  countOf,
  KIND_CHECK,
  KIND_SET,
  leaseOf,
  LeaseOwnerDiedError,
  newHolderId,
  NotOwnedError,
  optionsOf,
  prefixOf,
  RedisGuard,
  type RedisHoldOptions,
  Renewal,
  run,
  runChecked,
  TimeoutError,
  waitFor,
  waitOptionsOf,
} from "./internal.ts";

/** Server time in ms, for scripts. */
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** Checks the stored permit count against the opener's (ARGV[2]). */
const VALUE_CHECK = `local stored = redis.call('GET', KEYS[2])
if stored and stored ~= ARGV[2] then return redis.error_reply('THREADKIT_VALUE ' .. stored) end`;

/**
 * Takes a permit. KEYS: kind value holders; ARGV: kind value member leaseMs.
 * Returns {1, deadMemberOrNil} or {0, msUntilTheNextLeaseCouldRunOut}.
 */
const ACQUIRE = `${KIND_CHECK}
${VALUE_CHECK}
${NOW}
local value = tonumber(ARGV[2])
local expired = redis.call('ZCOUNT', KEYS[3], '-inf', now)
local live = redis.call('ZCARD', KEYS[3]) - expired
if live >= value then
  local first = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
  if #first == 0 then return {0, -1} end
  return {0, tonumber(first[2]) - now}
end
${KIND_SET}
if not stored then redis.call('SET', KEYS[2], ARGV[2]) end
local died = false
if expired > 0 then
  died = redis.call('ZRANGE', KEYS[3], 0, 0)[1]
  redis.call('ZREM', KEYS[3], died)
end
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[4]), ARGV[3])
return {1, died}`;

/** Gives permits back. KEYS: holders; ARGV: channel member... Returns how many were held. */
const RELEASE = `
local n = 0
for i = 2, #ARGV do n = n + redis.call('ZREM', KEYS[1], ARGV[i]) end
if n > 0 then redis.call('SPUBLISH', ARGV[1], 'r') end
return n`;

/** Extends a permit's lease if still held. KEYS: holders; ARGV: member leaseMs. */
const RENEW = `${NOW}
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
return 1`;

/** Permits free now. KEYS: kind value holders; ARGV: kind value. */
const VALUE = `${KIND_CHECK}
${VALUE_CHECK}
${NOW}
return tonumber(ARGV[2]) - redis.call('ZCOUNT', KEYS[3], '(' .. now, '+inf')`;

/** KEYS: kind value holders; ARGV: kind. */
const DESTROY = `${KIND_CHECK}
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return 1`;

/** Options of a Redis `Semaphore`. */
export interface SemaphoreOptions {
  /** Lease of every permit in ms, renewed every lease/3 while the process lives (default 30,000). */
  lease?: number | undefined;
}

/**
 * A counting semaphore kept in Redis: at most `value` permits held at once across every process
 * that opens the same name.
 *
 * - A permit belongs to the object that acquired it: `release(n)` gives back `n` of this
 *   object's permits (the latest first), and throws `NotOwnedError` when it holds fewer (or
 *   their lease was lost). So unlike the core, a Redis semaphore cannot be released above its
 *   value: `Semaphore` and `BoundedSemaphore` behave alike except for the error
 *   (`BoundedSemaphore` throws `RangeError`, as Python does when releasing too many).
 * - Every permit has a lease, renewed while the process lives; a permit whose holder died is
 *   handed to the next acquirer together with an `OwnerDiedError`.
 * - `value` is stored by the first write; opening the name with another value rejects with
 *   `RangeError` on the first call that needs the server.
 * - Waiters are woken over sharded pub/sub on release; not fair.
 *
 * Happens-before: a `release()` synchronizes before the acquire that takes the permit it freed.
 *
 * @example At most 3 downloads across all workers
 * ```ts ignore
 * const slots = new Semaphore(client, "downloads", 3);
 * await using _permit = await slots.hold();
 * await download(url);
 * ```
 */
export class Semaphore {
  /** The semaphore's name. */
  readonly name: string;
  /** The number of permits. */
  readonly initialValue: number;
  /** The default lease of a permit, in ms. */
  readonly lease: number;
  /** This object's holder id. */
  readonly holderId: string;
  readonly #commands: Commands;
  readonly #kind: string;
  readonly #keys: { kind: string; value: string; holders: string; wake: string };
  /** Permits this object holds, oldest first. */
  readonly #permits: Array<{ member: string; renewal: Renewal }> = [];
  #next = 0;

  /**
   * Opens the semaphore `name` with `value` permits. Writes nothing to Redis.
   *
   * @param client A connected node-redis client (single node or cluster).
   * @param name The semaphore's name.
   * @param value The number of permits (default 1).
   * @param options `lease` in ms (default 30,000).
   * @throws {TypeError} Not a connected client; bad name or options.
   * @throws {RangeError} `value` is not an integer >= 0; bad lease.
   */
  constructor(client: unknown, name: string, value = 1, options?: SemaphoreOptions) {
    const kind = new.target === BoundedSemaphore ? "BoundedSemaphore" : "Semaphore";
    this.#kind = kind;
    this.#commands = commandsOf(client, kind);
    const prefix = prefixOf(name, kind);
    this.initialValue = countOf(value, `create ${kind}`, "value");
    this.lease = leaseOf(
      optionsOf<SemaphoreOptions>(options, `create ${kind}`).lease,
      `create ${kind}`,
    );
    this.name = name;
    this.holderId = newHolderId();
    this.#keys = {
      kind: `${prefix}:kind`,
      value: `${prefix}:value`,
      holders: `${prefix}:holders`,
      wake: `${prefix}:wake`,
    };
  }

  #run(script: string, keys: string[], args: (string | number)[], what: string) {
    const mismatch = (stored: string) => `value ${stored}, not ${this.initialValue}`;
    return runChecked(this.#commands, script, keys, args, what, mismatch);
  }

  /**
   * Permits free now (a snapshot, one round trip).
   *
   * @throws {TypeError|RangeError} (rejects) The name holds another kind, or another value.
   */
  async value(): Promise<number> {
    const k = this.#keys;
    return await this.#run(
      VALUE,
      [k.kind, k.value, k.holders],
      [this.#kind, this.initialValue],
      `read ${this.#kind} "${this.name}"`,
    ) as number;
  }

  /** How many permits this object holds (no round trip). */
  get held(): number {
    return this.#permits.length;
  }

  /**
   * Takes a permit if one is free, without waiting.
   *
   * @returns `true` if this call took one.
   * @throws {OwnerDiedError} (rejects) Took over the permit of a holder whose lease ran out.
   */
  tryAcquire(): Promise<boolean> {
    return this.acquire({ timeout: 0 });
  }

  /**
   * Waits until this object holds one more permit.
   *
   * @param options `timeout` in ms (`0` tries once; default `Infinity`), `signal`, `lease`.
   * @returns `true` once acquired, `false` on timeout (nothing taken then).
   * @throws {OwnerDiedError} (rejects) Took over the permit of a dead holder (the permit is held).
   * @throws {TypeError|RangeError} (rejects) Bad options; the name holds another kind or value.
   */
  async acquire(options?: RedisHoldOptions): Promise<boolean> {
    const what = `acquire ${this.#kind} "${this.name}"`;
    const { timeout, signal } = waitOptionsOf(options, what);
    const lease = leaseOf(options?.lease, what, this.lease);
    const k = this.#keys;
    this.#next += 1;
    const member = `${this.holderId}#${this.#next}`;
    let recheck = lease / 3;
    const granted = await waitFor({
      commands: this.#commands,
      channel: k.wake,
      signal,
      timeout,
      recheckMs: () => recheck,
      attempt: async () => {
        const reply = await this.#run(
          ACQUIRE,
          [k.kind, k.value, k.holders],
          [this.#kind, this.initialValue, member, lease],
          what,
        ) as [number, number | string | null];
        if (reply[0] === 1) return { died: reply[1] as string | null };
        const ttl = reply[1] as number;
        recheck = ttl < 0 ? lease / 3 : Math.min(ttl + 2, lease / 3);
        return undefined;
      },
      undo: () => run(this.#commands, RELEASE, [k.holders], [k.wake, member], what).catch(() => {}),
    });
    if (granted === undefined) return false;
    this.#permits.push({
      member,
      renewal: Renewal.of(this.#commands, lease, RENEW, k.holders, member, what),
    });
    if (granted.died !== null && granted.died !== undefined) {
      const dead = granted.died.slice(0, granted.died.lastIndexOf("#"));
      throw new LeaseOwnerDiedError(`a permit of ${this.#kind} "${this.name}"`, dead, 0);
    }
    return true;
  }

  /**
   * Acquires one permit and returns a guard that releases exactly that permit.
   *
   * @throws {TimeoutError} (rejects) Not acquired within `timeout`.
   */
  async hold(options?: RedisHoldOptions): Promise<RedisGuard> {
    if (!await this.acquire(options)) {
      throw new TimeoutError(
        `Cannot hold ${this.#kind} "${this.name}": timed out after ${options?.timeout} ms`,
      );
    }
    const permit = this.#permits[this.#permits.length - 1]!;
    return new RedisGuard(() => this.#releasePermits([permit], 1));
  }

  /**
   * Gives back `n` of this object's permits (the latest first) and wakes waiters.
   *
   * @param n How many (default 1).
   * @throws {RangeError} `n` is not an integer >= 1; (`BoundedSemaphore`) more than it holds.
   * @throws {NotOwnedError} (rejects) This object holds fewer than `n` permits, or some of their
   * leases ran out (those are gone; the ones still held are released).
   */
  async release(n = 1): Promise<void> {
    const what = `release ${this.#kind} "${this.name}"`;
    countOf(n, what, "n", 1);
    if (n > this.#permits.length) {
      const message = `Cannot ${what}: this object holds ${this.#permits.length} permit(s), ` +
        `cannot release ${n}`;
      if (this.#kind === "BoundedSemaphore") throw new RangeError(message);
      throw new NotOwnedError(message);
    }
    await this.#releasePermits(this.#permits.slice(-n), n);
  }

  async #releasePermits(permits: Array<{ member: string; renewal: Renewal }>, n: number) {
    const what = `release ${this.#kind} "${this.name}"`;
    for (const permit of permits) {
      permit.renewal.stop();
      const at = this.#permits.indexOf(permit);
      if (at !== -1) this.#permits.splice(at, 1);
    }
    const k = this.#keys;
    const released = await run(
      this.#commands,
      RELEASE,
      [k.holders],
      [k.wake, ...permits.map((p) => p.member)],
      what,
    ) as number;
    if (released < n) {
      throw new NotOwnedError(
        `Cannot ${what}: ${n - released} of the permit(s) had their lease run out`,
      );
    }
  }

  /** Deletes the semaphore's keys; every permit is gone. */
  async destroy(): Promise<void> {
    for (const permit of this.#permits) permit.renewal.stop();
    this.#permits.length = 0;
    const k = this.#keys;
    await run(
      this.#commands,
      DESTROY,
      [k.kind, k.value, k.holders],
      [this.#kind],
      `destroy ${this.#kind}`,
    );
  }
}

/**
 * A `Semaphore` whose `release()` of more permits than the object holds throws `RangeError`
 * (Python's `BoundedSemaphore` error). Across processes every Redis semaphore is bounded:
 * permits have owners, so the count can never exceed its value.
 *
 * @example
 * ```ts ignore
 * const pool = new BoundedSemaphore(client, "connections", 10);
 * ```
 */
export class BoundedSemaphore extends Semaphore {}
