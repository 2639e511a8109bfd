/**
 * `Lock` over Redis: a mutual-exclusion lock shared by processes and machines, with leases,
 * owner death and fencing tokens.
 *
 * Keys (one hash tag: one cluster slot)
 * | key                     | type   | TTL   | meaning                                           |
 * | threadkit:{name}:kind   | string | none  | "Lock" ("RLock" for an RLock)                     |
 * | threadkit:{name}:owner  | string | lease | hold record "attempt holderId" while held         |
 * | threadkit:{name}:fence  | int    | none  | INCR'd per grant; never deleted, not by destroy() |
 * | threadkit:{name}:last   | string | none  | the hold record of the latest grant until its     |
 * |                         |        |       | release                                           |
 * | threadkit:{name}:wake   | chan.  | -     | SPUBLISH'd on release                             |
 * Invariants: `owner` exists iff the lock is held (its TTL is the server's lease clock);
 * `last` exists and `owner` does not iff the latest holder's lease ran out unreleased (owner
 * death); a fence is never granted twice and grows with every grant; `fence` is INCR'd by grants
 * only, so while `last` exists `fence` still holds that grant's fencing token.
 *
 * @module
 */

import { Countdown } from "./commands.ts";
import {
  type Commands,
  commandsOf,
  KIND_CHECK,
  KIND_SET,
  leaseOf,
  LeaseOwnerDiedError,
  newHolderId,
  NotOwnedError,
  notOwnedMessage,
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

/**
 * Grants a free lock. KEYS: kind owner fence last; ARGV: kind record leaseMs, where the record
 * ("attempt holderId", the attempt numbered per Lock object) is what release and renewal compare.
 * Returns {1, fence, previousLastIfDied|nil} or {0, ownerPttl}.
 *
 * Why no interleaving breaks it: the script runs atomically on the one node that holds the
 * name's slot, so no other client's command falls between its steps.
 * - `SET owner record NX PX` is the check and the take in one call: at most one record exists, so
 *   at most one holder (mutual exclusion rests on this call alone; the lease is its TTL).
 * - `INCR fence` runs only after that SET succeeded, once per grant, and nothing else writes
 *   `fence` (destroy keeps it): fences strictly increase in grant order, across lease expiry, and
 *   across a restart that keeps the data (AOF). The record cannot contain the fence (it is counted
 *   after the check), hence the attempt number, which makes every hold's record unique.
 * - `SET last record GET` reads what the previous grant left there and writes this grant's
 *   record in one call. A record is left there only if its grant never released (release DELs
 *   `last` with `owner`): owner death. That dead grant was the latest one, and only grants INCR
 *   `fence`, so its fencing token is this grant's fence - 1 (the client derives it; `last` needs
 *   no fence of its own).
 *
 * Measured (server µs per acquire + release pair, INFO commandstats, median of 5 alternating
 * rounds of 2,000: `node bench/redis/lock_script_cost.ts redis://...`): GET + SET 17.6 µs →
 * SET ... GET 15.0 µs (floor, SET NX PX + scripted release: 5.0 µs). PTTL + SET PX → SET NX
 * PX, 5 → 4 calls (top-level commands only, 9 rounds, two runs at load ~25): 13.4 / 14.2 µs →
 * 12.3 / 13.0 µs per pair (floor 4.1 / 4.5 µs): the script calls are not what costs most.
 * `last` = the record instead of `fence .. ' ' .. holderId` (no Lua string built, one ARGV
 * fewer), same command, two runs under the bench lock: 8.08 / 8.24 → 7.37 / 7.31 µs per pair
 * (floor 2.60 / 2.47 µs).
 */
export const ACQUIRE = `${KIND_CHECK}
if not redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[3]) then
  return {0, redis.call('PTTL', KEYS[2])}
end
${KIND_SET}
return {1, redis.call('INCR', KEYS[3]), redis.call('SET', KEYS[4], ARGV[2], 'GET')}`;

/** Releases a lock held by `record`. KEYS: owner last; ARGV: record channel. Returns 1 or 0. */
export const RELEASE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('SPUBLISH', ARGV[2], 'r')
return 1`;

/** Extends a lock held by `record`. KEYS: owner; ARGV: record leaseMs. Returns 1 or 0. */
export const RENEW = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

/** Whether the lock is held. KEYS: kind owner; ARGV: kind. */
const LOCKED = `${KIND_CHECK}
return redis.call('EXISTS', KEYS[2])`;

/** Deletes the lock's keys but the fence counter. KEYS: kind owner last; ARGV: kind. */
const DESTROY = `${KIND_CHECK}
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return 1`;

/** Options of a Redis `Lock`. */
export interface LockOptions {
  /** Lease of every hold in ms, renewed every lease/3 while the process lives (default 30,000). */
  lease?: number | undefined;
}

/** Set by `RLock`'s constructor for the `Lock` it wraps: the kind its scripts write. */
let openingKind: string | undefined;

/** @internal A `Lock` whose keys say `kind` (for `RLock`). */
export function lockOfKind(
  client: unknown,
  name: string,
  options: LockOptions | undefined,
  kind: string,
): Lock {
  openingKind = kind;
  try {
    return new Lock(client, name, options);
  } finally {
    openingKind = undefined;
  }
}

/** The state of one hold by one object. */
interface Hold {
  record: string;
  fence: number;
  lease: number;
  /** The renewal of a hold whose lease is not the lock's (the lock's own: `Lock.#renewer`). */
  renewal: Renewal | undefined;
}

/** The holder id of a hold record "attempt holderId". */
function holderOf(record: string): string {
  return record.slice(record.indexOf(" ") + 1);
}

/**
 * A mutual-exclusion lock kept in Redis, shared by every process and machine that opens the same
 * name on the same server (or cluster).
 *
 * - At most one holder at a time, across processes: the holder is this object (the lock has an
 *   owner, unlike the core's `Lock`); `release()` by another object throws `NotOwnedError`.
 * - Every hold has a lease (default 30 s), renewed every lease/3 while this process runs. A holder
 *   whose process dies (or pauses past its lease) loses the lock when the lease runs out; the next
 *   acquirer gets it together with an `OwnerDiedError` naming the dead holder's id and fence.
 * - Every hold gets a fencing token, `lock.fence` / `guard.fence`: strictly increasing per lock
 *   name, across all holders. Pass it to the resource you protect and have it refuse older ones:
 *   that is the only protection against a holder that paused past its lease.
 * - Waiters are woken over sharded pub/sub when the holder releases, and re-check when the
 *   holder's lease could have run out (an expiry publishes nothing); not fair.
 * - Not re-entrant: see `RLock`.
 *
 * Happens-before: a `release()` that resolved synchronizes before the `acquire` that next obtains
 * the lock (both are scripts on the one server that holds the key).
 *
 * Sharing: open `new Lock(client, sameName)` in every process; there is no handle to pass.
 *
 * @example Serialize work across processes
 * ```ts ignore
 * import { createClient } from "redis";
 * import { Lock } from "threadkit/redis";
 *
 * const client = await createClient().connect();
 * const lock = new Lock(client, "orders:42", { lease: 10_000 });
 * {
 *   await using guard = await lock.hold({ timeout: 5_000 });
 *   await db.write(order, { fence: guard.fence });
 * }
 * ```
 */
export class Lock {
  /** The lock's name (its keys are `threadkit:{name}:*`). */
  readonly name: string;
  /** The default lease of a hold, in ms. */
  readonly lease: number;
  /** This object's holder id, `host:pid:random:n`, as other holders' errors name it. */
  readonly holderId: string;
  readonly #commands: Commands;
  readonly #kind: string;
  readonly #keys: { kind: string; owner: string; fence: string; last: string; wake: string };
  /** KEYS of ACQUIRE and of RELEASE, built once (not per call). */
  readonly #acquireKeys: readonly string[];
  readonly #releaseKeys: readonly string[];
  /** The `Cannot ...` prefixes of acquire's and release's errors, built once. */
  readonly #acquireWhat: string;
  readonly #releaseWhat: string;
  #hold: Hold | undefined;
  /** Set when this object's last hold was lost to its lease (for the release message). */
  #lost = false;
  /** Acquire attempts of this object so far (numbers the hold records). */
  #attempts = 0;
  /**
   * Renews a hold with the lock's own lease every lease/3: one restartable countdown per object
   * instead of a timer per hold (see the measurement at `acquire`).
   */
  readonly #renewer: Countdown;

  /**
   * Opens the lock `name` through a connected node-redis client. Writes nothing to Redis.
   *
   * @param client A connected client of the `redis` package (`createClient` or `createCluster`).
   * @param name The lock's name; processes that use the same name share the lock.
   * @param options `lease` in ms (default 30,000).
   * @throws {TypeError} `client` is not a connected node-redis client; `name` is not a non-empty
   * string; bad options.
   * @throws {RangeError} `lease` is not a finite number >= 1.
   */
  constructor(client: unknown, name: string, options?: LockOptions) {
    const kind = openingKind ?? "Lock";
    openingKind = undefined;
    this.#kind = kind;
    this.#commands = commandsOf(client, kind);
    const prefix = prefixOf(name, kind);
    this.lease = leaseOf(optionsOf<LockOptions>(options, `create ${kind}`).lease, `create ${kind}`);
    this.name = name;
    this.holderId = newHolderId();
    this.#keys = {
      kind: `${prefix}:kind`,
      owner: `${prefix}:owner`,
      fence: `${prefix}:fence`,
      last: `${prefix}:last`,
      wake: `${prefix}:wake`,
    };
    const keys = this.#keys;
    this.#acquireKeys = [keys.kind, keys.owner, keys.fence, keys.last];
    this.#releaseKeys = [keys.owner, keys.last];
    this.#acquireWhat = `acquire lock "${name}"`;
    this.#releaseWhat = `release lock "${name}"`;
    this.#renewer = new Countdown(Math.max(1, Math.floor(this.lease / 3)), () => this.#renew());
  }

  /** One renewal of the current hold (its lease the lock's); the next is due lease/3 on. */
  #renew(): void {
    const hold = this.#hold;
    if (hold === undefined || hold.renewal !== undefined) return;
    // A failed round trip (a paused or restarting server) is retried at the next period; a hold
    // found gone (lost to its lease) is not renewed again.
    run(this.#commands, RENEW, [this.#keys.owner], [hold.record, hold.lease], "renew lock")
      .then((held) => held === 1, () => true)
      .then((again) => {
        if (again && this.#hold === hold) this.#renewer.start();
      });
  }

  /** The fencing token of this object's current hold, or `undefined` when it holds nothing. */
  get fence(): number | undefined {
    return this.#hold?.fence;
  }

  /**
   * Takes the lock if it is free, without waiting (one round trip).
   *
   * @returns `true` if this call took it.
   * @throws {OwnerDiedError} (rejects) Taken over from a holder whose lease ran out (now held).
   * @throws {TypeError} (rejects) The name holds another kind of primitive.
   */
  tryAcquire(): Promise<boolean> {
    return this.acquire({ timeout: 0 });
  }

  /**
   * Waits until this object holds the lock, `timeout` runs out or `signal` aborts.
   *
   * @param options `timeout` in ms (`0` tries once; default `Infinity`), `signal`, and `lease` in
   * ms for this hold (default: the lock's).
   * @returns A promise of `true` once acquired, `false` on timeout (nothing held then).
   * @throws {TypeError|RangeError} (rejects) Bad options; the name holds another kind.
   * @throws {OwnerDiedError} (rejects) Acquired from a holder whose lease ran out unreleased;
   * the lock IS held: repair the data it protects, then release.
   * @throws {Error} (rejects) A Redis command failed (the server's error is its `cause`).
   */
  async acquire(options?: RedisHoldOptions): Promise<boolean> {
    const what = this.#acquireWhat;
    let timeout = Infinity;
    let signal: AbortSignal | undefined;
    let lease = this.lease;
    if (options !== undefined) {
      ({ timeout, signal } = waitOptionsOf(options, what));
      lease = leaseOf(options.lease, what, this.lease);
    }
    const keys = this.#keys;
    let recheck = lease / 3;
    const attempt = async () => {
      const record = `${++this.#attempts} ${this.holderId}`;
      const reply = await run(
        this.#commands,
        ACQUIRE,
        this.#acquireKeys,
        [this.#kind, record, lease],
        what,
      ) as [number, number, string | null];
      if (reply[0] === 1) return { fence: reply[1], record, died: reply[2] };
      // Re-check just after the holder's lease could run out, at most every lease/3.
      recheck = reply[1] >= 0 ? Math.min(reply[1] + 2, lease / 3) : lease / 3;
      return undefined;
    };
    // Fast path: with no timeout and no signal there is nothing to race the first script
    // against, so it runs without the wait machinery; if refused, the wait tries again once it
    // listens to the wake channel. With the renewal countdown (no timer per hold) and `run` /
    // `evalScript` without async frames, measured by `nice npx node bench/redis/lock_ab.ts
    // /tmp/old 21 300` (the tree before this change and this one in alternating batches, one
    // process, load ~25, two runs): client CPU per uncontended pair 93.2 → 84.6 µs (floor
    // 82.0) and 113.3 → 93.9 µs (floor 67.7); wall time to the floor 1.18 → 0.91× and
    // 1.54 → 1.25× (per-batch ratios spread 0.07–5.8×: the machine, not the lock).
    // Then KEYS arrays and error prefixes built once per object, no options parsing without
    // options, EVALSHA's arguments built in one pass (`evalShaArgs`) and the shorter ACQUIRE:
    // `node bench/redis/lock_ab.ts /tmp/old` (old: fc7dbd5; 200 alternating batches of 25 pairs,
    // three runs under the bench lock), wall per pair to the floor, median of batches, 1.139 /
    // 1.111 / 1.156 → 1.105 / 1.089 / 1.123× (the Lock's two scripts sent raw: 1.082 / 1.073 /
    // 1.071×); client CPU of the library (new − raw) 3.4 / 1.9 / 5.8 µs per pair.
    let granted = timeout === Infinity && signal === undefined ? await attempt() : undefined;
    granted ??= await waitFor({
      commands: this.#commands,
      channel: keys.wake,
      signal,
      timeout,
      recheckMs: () => recheck,
      attempt,
      // The wait gave up while a grant was in flight: hand the lock straight back.
      undo: (grant) => this.#releaseRecord(grant.record, what).catch(() => {}),
    });
    if (granted === undefined) return false;
    this.#hold?.renewal?.stop();
    this.#lost = false;
    const record = granted.record;
    const own = lease === this.lease;
    this.#hold = {
      record,
      fence: granted.fence,
      lease,
      renewal: own ? undefined : Renewal.of(this.#commands, lease, RENEW, keys.owner, record, what),
    };
    if (own) this.#renewer.start();
    if (granted.died !== null && granted.died !== undefined) {
      // The dead grant was the one just before this one (see ACQUIRE): its fence is ours - 1.
      throw new LeaseOwnerDiedError(
        `lock "${this.name}"`,
        holderOf(granted.died),
        granted.fence - 1,
      );
    }
    return true;
  }

  /**
   * Acquires and returns a guard for `await using`; its `fence` is the hold's fencing token.
   *
   * @param options As {@link Lock.acquire}.
   * @returns The guard; `await guard.release()` (or leaving the `await using` block) releases.
   * @throws {TimeoutError} (rejects) Not acquired within `timeout`.
   * @throws {OwnerDiedError} (rejects) As {@link Lock.acquire} (the lock is held: release it).
   */
  async hold(options?: RedisHoldOptions): Promise<RedisGuard> {
    if (!await this.acquire(options)) {
      throw new TimeoutError(
        `Cannot hold lock "${this.name}": timed out after ${options?.timeout} ms`,
      );
    }
    return new RedisGuard(() => this.release(), this.#hold?.fence);
  }

  /**
   * Releases the lock held by this object and wakes the waiters.
   *
   * @throws {NotOwnedError} (rejects) This object does not hold it, or its lease ran out (the lock
   * may now be someone else's).
   */
  async release(): Promise<void> {
    const hold = this.#hold;
    if (hold === undefined) throw new NotOwnedError(notOwnedMessage("lock", this.name, this.#lost));
    this.#hold = undefined;
    hold.renewal?.stop();
    this.#renewer.stop();
    if (await this.#releaseRecord(hold.record, this.#releaseWhat) !== 1) {
      this.#lost = true;
      throw new NotOwnedError(notOwnedMessage("lock", this.name, true));
    }
  }

  /** Runs RELEASE for `record`: resolves 1 if it was held by it (now released), else 0. */
  #releaseRecord(record: string, what: string): Promise<unknown> {
    return run(this.#commands, RELEASE, this.#releaseKeys, [record, this.#keys.wake], what);
  }

  /** Whether some process holds the lock (a snapshot, one round trip). */
  async locked(): Promise<boolean> {
    const keys = this.#keys;
    return await run(this.#commands, LOCKED, [keys.kind, keys.owner], [this.#kind], "read lock") ===
      1;
  }

  /**
   * Deletes the lock's keys, except its fence counter (so fences keep growing if it is used
   * again). A holder loses the lock; use only when no process needs it any more.
   */
  async destroy(): Promise<void> {
    this.#hold?.renewal?.stop();
    this.#renewer.stop();
    this.#hold = undefined;
    const keys = this.#keys;
    await run(
      this.#commands,
      DESTROY,
      [keys.kind, keys.owner, keys.last],
      [this.#kind],
      "destroy lock",
    );
  }
}
