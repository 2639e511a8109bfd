/**
 * `RLock` over Redis: a `Lock` that the object holding it may acquire again.
 *
 * Keys: those of `Lock` (see `lock.ts`), with kind "RLock". The recursion count lives in the
 * object, not in Redis: only the outermost acquire and the last release touch the server.
 * Invariant: the server holds the lock for this object iff `#depth > 0` (until a lease is lost).
 *
 * @module
 */

import { type Lock, lockOfKind, type LockOptions } from "./lock.ts";
import { NotOwnedError, RedisGuard, type RedisHoldOptions, TimeoutError } from "./internal.ts";

/**
 * A re-entrant lock kept in Redis: the `RLock` object that holds it may acquire it again, and
 * must release it as many times.
 *
 * - Ownership is per `RLock` object (one per process task that needs its own ownership);
 *   `release()` by an object that does not hold it throws `NotOwnedError`.
 * - Leases, owner death, fencing tokens and wake-ups as `Lock` (the fence is the outermost
 *   hold's).
 *
 * Happens-before: as `Lock`.
 *
 * @example Re-entry
 * ```ts ignore
 * const rlock = new RLock(client, "tree");
 * await rlock.acquire();
 * await rlock.acquire(); // no round trip: already held by this object
 * await rlock.release();
 * await rlock.release(); // releases on the server
 * ```
 */
export class RLock {
  readonly #lock: Lock;
  #depth = 0;

  /**
   * Opens the re-entrant lock `name`. Writes nothing to Redis.
   *
   * @param client A connected node-redis client (single node or cluster).
   * @param name The lock's name.
   * @param options `lease` in ms (default 30,000).
   * @throws {TypeError} Not a connected client; bad name or options.
   * @throws {RangeError} Bad lease.
   */
  constructor(client: unknown, name: string, options?: LockOptions) {
    this.#lock = lockOfKind(client, name, options, "RLock");
  }

  /** The lock's name. */
  get name(): string {
    return this.#lock.name;
  }

  /** This object's holder id. */
  get holderId(): string {
    return this.#lock.holderId;
  }

  /** Whether this object holds the lock (no round trip). */
  get owned(): boolean {
    return this.#depth > 0;
  }

  /** The fencing token of this object's outermost hold, or `undefined`. */
  get fence(): number | undefined {
    return this.#lock.fence;
  }

  /**
   * Takes the lock without waiting; re-enters at once when this object holds it.
   *
   * @returns `true` if held now.
   * @throws {OwnerDiedError} (rejects) Taken over from a holder whose lease ran out (now held).
   */
  tryAcquire(): Promise<boolean> {
    return this.acquire({ timeout: 0 });
  }

  /**
   * Waits until this object holds the lock (re-entering at once if it does).
   *
   * @param options `timeout`, `signal`, `lease` as `Lock.acquire`.
   * @returns `true` once held, `false` on timeout.
   * @throws {OwnerDiedError} (rejects) Taken over from a dead holder; the lock is held.
   */
  async acquire(options?: RedisHoldOptions): Promise<boolean> {
    if (this.#depth > 0) {
      if (options?.signal?.aborted === true) throw options.signal.reason;
      this.#depth += 1;
      return true;
    }
    let acquired: boolean;
    try {
      acquired = await this.#lock.acquire(options);
    } catch (error) {
      // OwnerDiedError comes with the lock held.
      if (this.#lock.fence !== undefined) this.#depth = 1;
      throw error;
    }
    if (acquired) this.#depth = 1;
    return acquired;
  }

  /**
   * Acquires and returns a guard for `await using`.
   *
   * @throws {TimeoutError} (rejects) Not acquired within `timeout`.
   */
  async hold(options?: RedisHoldOptions): Promise<RedisGuard> {
    if (!await this.acquire(options)) {
      throw new TimeoutError(
        `Cannot hold lock "${this.name}": timed out after ${options?.timeout} ms`,
      );
    }
    return new RedisGuard(() => this.release(), this.fence);
  }

  /**
   * Releases one level; the last one releases on the server and wakes waiters.
   *
   * @throws {NotOwnedError} (rejects) This object does not hold it, or its lease was lost.
   */
  async release(): Promise<void> {
    if (this.#depth === 0) {
      throw new NotOwnedError(`Cannot release lock "${this.name}": this object does not hold it`);
    }
    this.#depth -= 1;
    if (this.#depth === 0) await this.#lock.release();
  }

  /** Whether some process holds the lock (one round trip). */
  locked(): Promise<boolean> {
    return this.#lock.locked();
  }

  /** Deletes the lock's keys but its fence counter (see `Lock.destroy`). */
  destroy(): Promise<void> {
    this.#depth = 0;
    return this.#lock.destroy();
  }
}
