/**
 * `Event` over Redis: a flag that processes wait for.
 *
 * Keys (one hash tag: one cluster slot)
 * | key                    | type   | TTL  | meaning                                    |
 * | threadkit:{name}:kind  | string | none | "Event"                                    |
 * | threadkit:{name}:flag  | string | none | "1" while set; absent while clear          |
 * | threadkit:{name}:gen   | int    | none | INCR'd by every set()                      |
 * | threadkit:{name}:wake  | chan.  | -    | SPUBLISH'd by set()                        |
 * Invariant: a waiter that saw generation g returns true once it sees the flag or a generation
 * above g, so every waiter a `set()` reached returns true even if `clear()` follows at once.
 *
 * @module
 */

import {
  type Commands,
  commandsOf,
  KIND_CHECK,
  KIND_SET,
  prefixOf,
  type RedisWaitOptions,
  run,
  waitForReply,
  waitOptionsOf,
} from "./internal.ts";

/** KEYS: kind flag gen; ARGV: kind channel. */
const SET = `${KIND_CHECK}
${KIND_SET}
redis.call('SET', KEYS[2], '1')
redis.call('INCR', KEYS[3])
redis.call('SPUBLISH', ARGV[2], 's')
return 1`;

/** KEYS: kind flag; ARGV: kind. */
const CLEAR = `${KIND_CHECK}
redis.call('DEL', KEYS[2])
return 1`;

/**
 * KEYS: kind flag gen; ARGV: kind seenGen (or "") . Returns {1} when set (or set since seenGen),
 * else {0, gen}.
 */
const CHECK = `${KIND_CHECK}
if redis.call('EXISTS', KEYS[2]) == 1 then return {1} end
local gen = tonumber(redis.call('GET', KEYS[3]) or '0')
if ARGV[2] ~= '' and gen > tonumber(ARGV[2]) then return {1} end
return {0, gen}`;

/** KEYS: kind flag gen; ARGV: kind. */
const DESTROY = `${KIND_CHECK}
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return 1`;

/**
 * An event kept in Redis, shared by every process that opens the same name.
 *
 * - `set()` sets the flag and wakes every waiter; `clear()` resets it; `wait()` resolves `true`
 *   once the flag is set, `false` on timeout.
 * - Python's rule holds across processes: every waiter a `set()` reached returns `true`, even if
 *   `clear()` follows at once (a generation counter, bumped by each `set()`).
 * - Waiters are woken over sharded pub/sub, and re-check every 10 s in case a message was lost.
 *
 * Happens-before: a `set()` synchronizes before every `wait()` it makes return `true`.
 *
 * @example Start every worker at once
 * ```ts ignore
 * const go = new Event(client, "go");
 * await go.wait({ timeout: 60_000 }); // in each worker
 * await go.set(); // in the coordinator
 * ```
 */
export class Event {
  /** The event's name. */
  readonly name: string;
  readonly #commands: Commands;
  readonly #keys: { kind: string; flag: string; gen: string; wake: string };

  /**
   * Opens the event `name`. Writes nothing to Redis.
   *
   * @param client A connected node-redis client (single node or cluster).
   * @param name The event's name.
   * @throws {TypeError} Not a connected client; bad name.
   */
  constructor(client: unknown, name: string) {
    this.#commands = commandsOf(client, "Event");
    const prefix = prefixOf(name, "Event");
    this.name = name;
    this.#keys = {
      kind: `${prefix}:kind`,
      flag: `${prefix}:flag`,
      gen: `${prefix}:gen`,
      wake: `${prefix}:wake`,
    };
  }

  /** Whether the flag is set (one round trip). */
  async isSet(): Promise<boolean> {
    const k = this.#keys;
    const reply = await run(
      this.#commands,
      CHECK,
      [k.kind, k.flag, k.gen],
      ["Event", ""],
      `read event "${this.name}"`,
    ) as number[];
    return reply[0] === 1;
  }

  /** Sets the flag and wakes every waiter. */
  async set(): Promise<void> {
    const k = this.#keys;
    await run(
      this.#commands,
      SET,
      [k.kind, k.flag, k.gen],
      ["Event", k.wake],
      `set event "${this.name}"`,
    );
  }

  /** Clears the flag. */
  async clear(): Promise<void> {
    const k = this.#keys;
    await run(this.#commands, CLEAR, [k.kind, k.flag], ["Event"], `clear event "${this.name}"`);
  }

  /**
   * Waits until the flag is set, `timeout` runs out or `signal` aborts.
   *
   * @param options `timeout` in ms (`0` checks once; default `Infinity`), `signal`.
   * @returns `true` once set (or set by a `set()` since this wait began), `false` on timeout.
   * @throws {TypeError|RangeError} (rejects) Bad options; the name holds another kind.
   */
  async wait(options?: RedisWaitOptions): Promise<boolean> {
    const what = `wait for event "${this.name}"`;
    const { timeout, signal } = waitOptionsOf(options, what);
    const k = this.#keys;
    let seen = "";
    const result = await waitForReply(
      this.#commands,
      { channel: k.wake, signal, timeout, what },
      CHECK,
      [k.kind, k.flag, k.gen],
      () => ["Event", seen],
      (reply) => {
        const [set, gen] = reply as number[];
        if (set === 1) return true;
        if (seen === "") seen = String(gen);
        return undefined;
      },
    );
    return result === true;
  }

  /** Deletes the event's keys. */
  async destroy(): Promise<void> {
    const k = this.#keys;
    await run(this.#commands, DESTROY, [k.kind, k.flag, k.gen], ["Event"], "destroy event");
  }
}
