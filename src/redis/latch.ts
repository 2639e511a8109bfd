/**
 * `Latch` over Redis: a count down to zero that processes wait for.
 *
 * Keys (one hash tag: one cluster slot)
 * | key                     | type   | TTL  | meaning                                       |
 * | threadkit:{name}:kind   | string | none | "Latch"                                       |
 * | threadkit:{name}:count  | int    | none | remaining count; set to `count` by 1st write   |
 * | threadkit:{name}:wake   | chan.  | -    | SPUBLISH'd when the count reaches 0            |
 * Invariant: the count never goes below 0 and never rises.
 *
 * @module
 */

import {
  type Commands,
  commandsOf,
  countOf,
  KIND_CHECK,
  KIND_SET,
  prefixOf,
  type RedisWaitOptions,
  run,
  waitForReply,
  waitOptionsOf,
} from "./internal.ts";

/** KEYS: kind count; ARGV: kind initial n channel. Returns the count after. */
const COUNT_DOWN = `${KIND_CHECK}
${KIND_SET}
local c = tonumber(redis.call('GET', KEYS[2]) or ARGV[2])
if c == 0 then return 0 end
c = math.max(0, c - tonumber(ARGV[3]))
redis.call('SET', KEYS[2], c)
if c == 0 then redis.call('SPUBLISH', ARGV[4], 'z') end
return c`;

/** KEYS: kind count; ARGV: kind initial. */
const COUNT = `${KIND_CHECK}
return tonumber(redis.call('GET', KEYS[2]) or ARGV[2])`;

/** KEYS: kind count; ARGV: kind. */
const DESTROY = `${KIND_CHECK}
redis.call('DEL', KEYS[1], KEYS[2])
return 1`;

/**
 * A countdown latch kept in Redis: `wait()` resolves once `countDown()` was called `count` times
 * in total, by any processes.
 *
 * - The count is stored by the first `countDown()`; until then it reads as the constructor's.
 * - Waiters are woken over sharded pub/sub when it reaches zero.
 *
 * Happens-before: every `countDown()` synchronizes before the `wait()`s that return `true`.
 *
 * @example Wait for 3 workers to be ready
 * ```ts ignore
 * const ready = new Latch(client, "ready", 3);
 * await ready.countDown(); // in each worker
 * await ready.wait(); // in the coordinator
 * ```
 */
export class Latch {
  /** The latch's name. */
  readonly name: string;
  /** The count it starts from. */
  readonly initialCount: number;
  readonly #commands: Commands;
  readonly #keys: { kind: string; count: string; wake: string };

  /**
   * Opens the latch `name` starting at `count`. Writes nothing to Redis.
   *
   * @throws {TypeError} Not a connected client; bad name; `count` not a number.
   * @throws {RangeError} `count` is not an integer >= 0.
   */
  constructor(client: unknown, name: string, count: number) {
    this.#commands = commandsOf(client, "Latch");
    const prefix = prefixOf(name, "Latch");
    this.initialCount = countOf(count, "create Latch", "count");
    this.name = name;
    this.#keys = { kind: `${prefix}:kind`, count: `${prefix}:count`, wake: `${prefix}:wake` };
  }

  /** The remaining count (one round trip). */
  async count(): Promise<number> {
    const k = this.#keys;
    return await run(
      this.#commands,
      COUNT,
      [k.kind, k.count],
      ["Latch", this.initialCount],
      `read latch "${this.name}"`,
    ) as number;
  }

  /**
   * Counts down by `n` (not below zero); at zero every waiter is woken.
   *
   * @throws {RangeError} `n` is not an integer >= 1.
   */
  async countDown(n = 1): Promise<void> {
    const what = `count down latch "${this.name}"`;
    countOf(n, what, "n", 1);
    const k = this.#keys;
    await run(this.#commands, COUNT_DOWN, [k.kind, k.count], [
      "Latch",
      this.initialCount,
      n,
      k.wake,
    ], what);
  }

  /**
   * Waits until the count is zero.
   *
   * @returns `true` at zero, `false` on timeout.
   */
  async wait(options?: RedisWaitOptions): Promise<boolean> {
    const what = `wait for latch "${this.name}"`;
    const { timeout, signal } = waitOptionsOf(options, what);
    const k = this.#keys;
    const result = await waitForReply(
      this.#commands,
      { channel: k.wake, signal, timeout, what },
      COUNT,
      [k.kind, k.count],
      () => ["Latch", this.initialCount],
      (reply) => reply === 0 ? true : undefined,
    );
    return result === true;
  }

  /** Deletes the latch's keys. */
  async destroy(): Promise<void> {
    const k = this.#keys;
    await run(this.#commands, DESTROY, [k.kind, k.count], ["Latch"], "destroy latch");
  }
}
