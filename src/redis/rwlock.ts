/**
 * `RWLock` over Redis: many readers or one writer, writer-preferring, across processes.
 *
 * Keys (one hash tag: one cluster slot)
 * | key                       | type   | TTL   | meaning                                        |
 * | threadkit:{name}:kind     | string | none  | "RWLock"                                       |
 * | threadkit:{name}:writer   | string | lease | the writing holder's id                        |
 * | threadkit:{name}:readers  | zset   | none  | reading holder id -> server ms its lease ends  |
 * | threadkit:{name}:wwait    | zset   | none  | waiting writer id -> server ms its intent ends |
 * | threadkit:{name}:fence    | int    | none  | INCR'd per write grant; never deleted          |
 * | threadkit:{name}:wake     | chan.  | -     | SPUBLISH'd on every release and cancel         |
 * Invariants: `writer` exists => no live reader; a reader enters only when no writer holds and
 * none waits (writer preference: a waiting writer's intent, refreshed at each of its re-checks,
 * keeps new readers out); expired readers and intents are removed by the next script.
 *
 * @module
 */

import {
  type Commands,
  commandsOf,
  KIND_CHECK,
  KIND_SET,
  leaseOf,
  newHolderId,
  NotOwnedError,
  optionsOf,
  prefixOf,
  RedisGuard,
  type RedisHoldOptions,
  Renewal,
  run,
  TimeoutError,
  waitFor,
  waitOptionsOf,
} from "./internal.ts";

const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now)`;

/** KEYS: kind writer readers wwait; ARGV: kind member lease. {1} or {0, writerPttl}. */
const READ = `${KIND_CHECK}
${NOW}
local wttl = redis.call('PTTL', KEYS[2])
if wttl ~= -2 then return {0, wttl} end
if redis.call('ZCARD', KEYS[4]) > 0 then return {0, -1} end
${KIND_SET}
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[3]), ARGV[2])
return {1}`;

/** KEYS: kind writer readers wwait fence; ARGV: kind member lease. {1, fence} or {0, pttl}. */
const WRITE = `${KIND_CHECK}
${NOW}
local wttl = redis.call('PTTL', KEYS[2])
if wttl ~= -2 or redis.call('ZCARD', KEYS[3]) > 0 then
  redis.call('ZADD', KEYS[4], now + tonumber(ARGV[3]), ARGV[2])
  return {0, wttl}
end
${KIND_SET}
redis.call('ZREM', KEYS[4], ARGV[2])
local fence = redis.call('INCR', KEYS[5])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
return {1, fence}`;

/** Withdraws a writer's intent. KEYS: wwait; ARGV: member channel. */
const CANCEL = `
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then redis.call('SPUBLISH', ARGV[2], 'c') end
return 1`;

/** KEYS: readers; ARGV: member channel. */
const READ_RELEASE = `
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('SPUBLISH', ARGV[2], 'r')
return 1`;

/** KEYS: writer; ARGV: member channel. */
const WRITE_RELEASE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SPUBLISH', ARGV[2], 'w')
return 1`;

/** KEYS: readers; ARGV: member lease. */
const READ_RENEW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
return 1`;

/** KEYS: writer; ARGV: member lease. */
const WRITE_RENEW = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

/** {live readers, writer held 0/1}. KEYS: kind writer readers; ARGV: kind. */
const STATE = `${KIND_CHECK}
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return {redis.call('ZCOUNT', KEYS[3], '(' .. now, '+inf'), redis.call('EXISTS', KEYS[2])}`;

/** KEYS: kind writer readers wwait; ARGV: kind. */
const DESTROY = `${KIND_CHECK}
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
return 1`;

/** Options of a Redis `RWLock`. */
export interface RWLockOptions {
  /** Lease of every hold in ms, renewed every lease/3 while the process lives (default 30,000). */
  lease?: number | undefined;
}

/**
 * A readers-writer lock kept in Redis: any number of readers, or one writer, across processes.
 *
 * - `read()` / `write()` resolve with a guard (`await using`); `tryRead()` / `tryWrite()`
 *   resolve with a guard or `undefined`.
 * - Writer-preferring: once a writer waits, new readers wait too, so writers do not starve.
 * - Every hold has a lease renewed while the process lives; a hold whose process died is dropped
 *   when its lease runs out (no `OwnerDiedError` here: readers change nothing, and a dead
 *   writer's successor can tell by the fence, `guard.fence`, strictly increasing per write).
 *
 * Happens-before: releasing a write guard synchronizes before every later read or write grant.
 *
 * @example
 * ```ts ignore
 * const config = new RWLock(client, "config");
 * { await using _r = await config.read(); load(); }
 * { await using w = await config.write(); save({ fence: w.fence }); }
 * ```
 */
export class RWLock {
  /** The lock's name. */
  readonly name: string;
  /** The default lease of a hold, in ms. */
  readonly lease: number;
  readonly #commands: Commands;
  readonly #keys: {
    kind: string;
    writer: string;
    readers: string;
    wwait: string;
    fence: string;
    wake: string;
  };

  /**
   * Opens the readers-writer lock `name`. Writes nothing to Redis.
   *
   * @throws {TypeError} Not a connected client; bad name or options.
   * @throws {RangeError} Bad lease.
   */
  constructor(client: unknown, name: string, options?: RWLockOptions) {
    this.#commands = commandsOf(client, "RWLock");
    const prefix = prefixOf(name, "RWLock");
    this.lease = leaseOf(optionsOf<RWLockOptions>(options, "create RWLock").lease, "create RWLock");
    this.name = name;
    this.#keys = {
      kind: `${prefix}:kind`,
      writer: `${prefix}:writer`,
      readers: `${prefix}:readers`,
      wwait: `${prefix}:wwait`,
      fence: `${prefix}:fence`,
      wake: `${prefix}:wake`,
    };
  }

  async #state(): Promise<[number, number]> {
    const k = this.#keys;
    return await run(
      this.#commands,
      STATE,
      [k.kind, k.writer, k.readers],
      ["RWLock"],
      `read RWLock "${this.name}"`,
    ) as [number, number];
  }

  /** How many processes hold it for reading (one round trip). */
  async readers(): Promise<number> {
    return (await this.#state())[0];
  }

  /** Whether a writer holds it (one round trip). */
  async writeLocked(): Promise<boolean> {
    return (await this.#state())[1] === 1;
  }

  /** A read guard if no writer holds or waits, else `undefined`. */
  tryRead(): Promise<RedisGuard | undefined> {
    return this.#read({ timeout: 0 }, false);
  }

  /** A write guard if it is free, else `undefined`. */
  tryWrite(): Promise<RedisGuard | undefined> {
    return this.#write({ timeout: 0 }, false);
  }

  /**
   * Waits for a read hold.
   *
   * @throws {TimeoutError} (rejects) Not acquired within `timeout`.
   */
  async read(options?: RedisHoldOptions): Promise<RedisGuard> {
    return (await this.#read(options, true))!;
  }

  /**
   * Waits for the write hold; its guard's `fence` grows with every write grant.
   *
   * @throws {TimeoutError} (rejects) Not acquired within `timeout`.
   */
  async write(options?: RedisHoldOptions): Promise<RedisGuard> {
    return (await this.#write(options, true))!;
  }

  async #read(options: RedisHoldOptions | undefined, orThrow: boolean) {
    const what = `read-lock RWLock "${this.name}"`;
    const { timeout, signal } = waitOptionsOf(options, what);
    const lease = leaseOf(options?.lease, what, this.lease);
    const k = this.#keys;
    const member = newHolderId();
    let recheck = lease / 3;
    const granted = await waitFor({
      commands: this.#commands,
      channel: k.wake,
      signal,
      timeout,
      recheckMs: () => recheck,
      attempt: async () => {
        const reply = await run(this.#commands, READ, [k.kind, k.writer, k.readers, k.wwait], [
          "RWLock",
          member,
          lease,
        ], what) as number[];
        if (reply[0] === 1) return true;
        recheck = reply[1]! >= 0 ? Math.min(reply[1]! + 2, lease / 3) : lease / 3;
        return undefined;
      },
      undo: () =>
        run(this.#commands, READ_RELEASE, [k.readers], [member, k.wake], what).catch(() => {}),
    });
    if (granted === undefined) {
      if (orThrow) throw new TimeoutError(`Cannot ${what}: timed out after ${timeout} ms`);
      return undefined;
    }
    const renewal = Renewal.of(this.#commands, lease, READ_RENEW, k.readers, member, what);
    return new RedisGuard(async () => {
      renewal.stop();
      if (await run(this.#commands, READ_RELEASE, [k.readers], [member, k.wake], what) !== 1) {
        throw new NotOwnedError(
          `Cannot release read hold of RWLock "${this.name}": its lease ran out`,
        );
      }
    });
  }

  async #write(options: RedisHoldOptions | undefined, orThrow: boolean) {
    const what = `write-lock RWLock "${this.name}"`;
    const { timeout, signal } = waitOptionsOf(options, what);
    const lease = leaseOf(options?.lease, what, this.lease);
    const k = this.#keys;
    const member = newHolderId();
    let recheck = lease / 3;
    const cancel = () =>
      run(this.#commands, CANCEL, [k.wwait], [member, k.wake], what).catch(() => {});
    let fence: number | undefined;
    try {
      fence = await waitFor({
        commands: this.#commands,
        channel: k.wake,
        signal,
        timeout,
        recheckMs: () => recheck,
        attempt: async () => {
          const reply = await run(
            this.#commands,
            WRITE,
            [k.kind, k.writer, k.readers, k.wwait, k.fence],
            ["RWLock", member, lease],
            what,
          ) as number[];
          if (reply[0] === 1) return reply[1]!;
          // Re-check well within the intent's lease, which each attempt refreshes.
          recheck = reply[1]! >= 0 ? Math.min(reply[1]! + 2, lease / 3) : lease / 3;
          return undefined;
        },
        undo: () =>
          run(this.#commands, WRITE_RELEASE, [k.writer], [member, k.wake], what).catch(() => {}),
      });
    } catch (error) {
      await cancel();
      throw error;
    }
    if (fence === undefined) {
      // Gave up: withdraw the intent so readers may enter again.
      await cancel();
      if (orThrow) throw new TimeoutError(`Cannot ${what}: timed out after ${timeout} ms`);
      return undefined;
    }
    const renewal = Renewal.of(this.#commands, lease, WRITE_RENEW, k.writer, member, what);
    return new RedisGuard(async () => {
      renewal.stop();
      if (await run(this.#commands, WRITE_RELEASE, [k.writer], [member, k.wake], what) !== 1) {
        throw new NotOwnedError(
          `Cannot release write hold of RWLock "${this.name}": its lease ran out`,
        );
      }
    }, fence);
  }

  /** Deletes the lock's keys but its fence counter. */
  async destroy(): Promise<void> {
    const k = this.#keys;
    await run(
      this.#commands,
      DESTROY,
      [k.kind, k.writer, k.readers, k.wwait],
      ["RWLock"],
      "destroy RWLock",
    );
  }
}
