/**
 * `Barrier` over Redis: `parties` processes meet, cycle after cycle.
 *
 * Keys (one hash tag: one cluster slot)
 * | key                       | type   | TTL  | meaning                                         |
 * | threadkit:{name}:kind     | string | none | "Barrier"                                       |
 * | threadkit:{name}:parties  | int    | none | parties, set by the first write                 |
 * | threadkit:{name}:state    | hash   | none | gen: current cycle; arrived: arrivals in it     |
 * | threadkit:{name}:outcome  | hash   | none | cycle -> "p" passed / "b" broken (last 1,000)   |
 * | threadkit:{name}:wake     | chan.  | -    | SPUBLISH'd when a cycle passes or breaks        |
 * Invariants: a cycle's outcome is written once (first of pass and break wins, under the
 * script's atomicity) and never changes; "broken" is the outcome of the current cycle, so late
 * arrivals of a broken cycle see it; `reset()` starts a new cycle.
 *
 * @module
 */

import {
  BrokenBarrierError,
  type Commands,
  commandsOf,
  countOf,
  describe,
  IDLE_RECHECK_MS,
  KIND_CHECK,
  KIND_SET,
  optionsOf,
  prefixOf,
  type RedisWaitOptions,
  run,
  runChecked,
  waitFor,
  waitForReply,
  waitOptionsOf,
} from "./internal.ts";

/**
 * Arrives. KEYS: kind parties state outcome; ARGV: kind parties channel withAction.
 * Returns {-1, gen} broken, {-2, gen} cycle full (its action runs), {index, gen, last}.
 * Without an action the last arrival passes the cycle here; with one it reports `last` = 1 and
 * passes it with PASS after running the action.
 */
const ARRIVE = `${KIND_CHECK}
local stored = redis.call('GET', KEYS[2])
if stored and stored ~= ARGV[2] then return redis.error_reply('THREADKIT_VALUE ' .. stored) end
${KIND_SET}
if not stored then redis.call('SET', KEYS[2], ARGV[2]) end
local parties = tonumber(ARGV[2])
local gen = tonumber(redis.call('HGET', KEYS[3], 'gen') or '0')
if redis.call('HGET', KEYS[4], gen) == 'b' then return {-1, gen} end
local arrived = tonumber(redis.call('HGET', KEYS[3], 'arrived') or '0')
if arrived >= parties then return {-2, gen} end
redis.call('HSET', KEYS[3], 'gen', gen, 'arrived', arrived + 1)
if arrived + 1 < parties then return {arrived, gen, 0} end
if ARGV[4] == '1' then return {arrived, gen, 1} end
redis.call('HSET', KEYS[4], gen, 'p')
redis.call('HDEL', KEYS[4], gen - 1000)
redis.call('HSET', KEYS[3], 'gen', gen + 1, 'arrived', 0)
redis.call('SPUBLISH', ARGV[3], 'p')
return {arrived, gen, 2}`;

/** Ends cycle ARGV[1] with outcome ARGV[2] unless it has one. KEYS: state outcome; ARGV: gen outcome channel. */
const FINISH = `
local gen = tonumber(redis.call('HGET', KEYS[1], 'gen') or '0')
if tonumber(ARGV[1]) ~= gen or redis.call('HGET', KEYS[2], gen) then
  return redis.call('HGET', KEYS[2], ARGV[1]) or 'b'
end
redis.call('HSET', KEYS[2], gen, ARGV[2])
if ARGV[2] == 'p' then
  redis.call('HDEL', KEYS[2], gen - 1000)
  redis.call('HSET', KEYS[1], 'gen', gen + 1, 'arrived', 0)
end
redis.call('SPUBLISH', ARGV[3], ARGV[2])
return ARGV[2]`;

/** The outcome of cycle ARGV[1]: "p", "b" or false (pending). KEYS: state outcome. */
const OUTCOME = `
local gen = tonumber(redis.call('HGET', KEYS[1], 'gen') or '0')
local o = redis.call('HGET', KEYS[2], ARGV[1])
if o then return o end
if tonumber(ARGV[1]) < gen then return 'b' end
return false`;

/** {gen, arrived, broken}. KEYS: kind state outcome; ARGV: kind. */
const STATE = `${KIND_CHECK}
local gen = tonumber(redis.call('HGET', KEYS[2], 'gen') or '0')
local arrived = tonumber(redis.call('HGET', KEYS[2], 'arrived') or '0')
local broken = redis.call('HGET', KEYS[3], gen) == 'b' and 1 or 0
return {gen, arrived, broken}`;

/** Breaks waiters (if any) and starts a fresh cycle. KEYS: kind state outcome; ARGV: kind channel. */
const RESET = `${KIND_CHECK}
local gen = tonumber(redis.call('HGET', KEYS[2], 'gen') or '0')
local arrived = tonumber(redis.call('HGET', KEYS[2], 'arrived') or '0')
if arrived > 0 and not redis.call('HGET', KEYS[3], gen) then redis.call('HSET', KEYS[3], gen, 'b') end
redis.call('HSET', KEYS[2], 'gen', gen + 1, 'arrived', 0)
redis.call('SPUBLISH', ARGV[2], 'r')
return 1`;

/** KEYS: kind parties state outcome; ARGV: kind. */
const DESTROY = `${KIND_CHECK}
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
return 1`;

/** Options of a Redis `Barrier`. */
export interface BarrierOptions {
  /** Runs once per cycle in the last-arriving process, before the others are released. */
  action?: (() => unknown) | undefined;
  /** Default timeout of `wait()`, in ms (default `Infinity`). */
  timeout?: number | undefined;
}

/** Options of `Barrier.wait`. */
export interface BarrierWaitOptions extends RedisWaitOptions {
  /** This arrival's own action (runs if it arrives last), instead of the constructor's. */
  action?: (() => unknown) | undefined;
}

/**
 * A cyclic barrier kept in Redis: `wait()` returns once `parties` calls (from any processes)
 * have arrived in the current cycle.
 *
 * - `wait()` resolves with the arrival index, `0..parties-1`.
 * - The action runs once per cycle in the last-arriving process, before the others are
 *   released; if it throws, that arrival rejects with its error and the barrier is broken.
 * - A timeout, `abort()`, a `reset()` while parties wait, or an aborted `signal` **break** the
 *   cycle: every waiter gets `BrokenBarrierError` (an aborted waiter gets `signal.reason`), and
 *   so does every later arrival until `reset()`.
 * - A party whose process dies is not replaced: the others wait until their timeout.
 * - `parties` is stored by the first arrival; another value rejects with `RangeError`.
 *
 * Happens-before: every arrival of a cycle synchronizes before every `wait()` of it returns.
 *
 * @example Three processes in step
 * ```ts ignore
 * const step = new Barrier(client, "step", 3, { timeout: 30_000 });
 * const index = await step.wait();
 * ```
 */
export class Barrier {
  /** The barrier's name. */
  readonly name: string;
  /** The number of parties per cycle. */
  readonly parties: number;
  readonly #commands: Commands;
  readonly #keys: { kind: string; parties: string; state: string; outcome: string; wake: string };
  readonly #action: (() => unknown) | undefined;
  readonly #timeout: number;

  /**
   * Opens the barrier `name` for `parties` parties. Writes nothing to Redis.
   *
   * @throws {TypeError} Not a connected client; bad name or options.
   * @throws {RangeError} `parties` is not an integer >= 1; bad timeout.
   */
  constructor(client: unknown, name: string, parties: number, options?: BarrierOptions) {
    this.#commands = commandsOf(client, "Barrier");
    const prefix = prefixOf(name, "Barrier");
    this.parties = countOf(parties, "create Barrier", "parties", 1);
    const o = optionsOf<BarrierOptions>(options, "create Barrier");
    if (o.action !== undefined && typeof o.action !== "function") {
      throw new TypeError(
        `Cannot create Barrier: action must be a function, got ${describe(o.action)}`,
      );
    }
    this.#action = o.action;
    this.#timeout = waitOptionsOf({ timeout: o.timeout }, "create Barrier").timeout;
    this.name = name;
    this.#keys = {
      kind: `${prefix}:kind`,
      parties: `${prefix}:parties`,
      state: `${prefix}:state`,
      outcome: `${prefix}:outcome`,
      wake: `${prefix}:wake`,
    };
  }

  async #state(): Promise<[number, number, number]> {
    const k = this.#keys;
    return await run(
      this.#commands,
      STATE,
      [k.kind, k.state, k.outcome],
      ["Barrier"],
      `read barrier "${this.name}"`,
    ) as [number, number, number];
  }

  /** How many parties wait in the current cycle (one round trip). */
  async nWaiting(): Promise<number> {
    const [, arrived, broken] = await this.#state();
    return broken === 1 ? 0 : arrived;
  }

  /** Whether the current cycle is broken (one round trip). */
  async broken(): Promise<boolean> {
    return (await this.#state())[2] === 1;
  }

  #finish(gen: number, outcome: "p" | "b"): Promise<string> {
    const k = this.#keys;
    return run(
      this.#commands,
      FINISH,
      [k.state, k.outcome],
      [gen, outcome, k.wake],
      `break barrier "${this.name}"`,
    ) as Promise<string>;
  }

  #broken(): BrokenBarrierError {
    return new BrokenBarrierError(
      `Cannot pass barrier "${this.name}": it is broken (timeout, abort(), reset() or a throwing action)`,
    );
  }

  /**
   * Arrives and waits for the other parties of this cycle.
   *
   * @param options `timeout` in ms (default: the constructor's), `signal`, `action`.
   * @returns The arrival index, `0..parties-1`.
   * @throws {BrokenBarrierError} (rejects) The cycle broke (timeout, abort, reset, action).
   * @throws {RangeError|TypeError} (rejects) Bad options; another kind or parties under the name.
   */
  async wait(options?: BarrierWaitOptions): Promise<number> {
    const what = `wait on barrier "${this.name}"`;
    const o = optionsOf<BarrierWaitOptions>(options, what);
    const { timeout, signal } = waitOptionsOf(
      { timeout: o.timeout ?? this.#timeout, signal: o.signal },
      what,
    );
    const action = o.action ?? this.#action;
    const k = this.#keys;
    const start = performance.now();
    const arrived = await waitFor({
      commands: this.#commands,
      channel: k.wake,
      signal,
      timeout,
      recheckMs: () => IDLE_RECHECK_MS,
      attempt: async () => {
        const reply = await runChecked(
          this.#commands,
          ARRIVE,
          [k.kind, k.parties, k.state, k.outcome],
          ["Barrier", this.parties, k.wake, action === undefined ? "0" : "1"],
          what,
          (stored) => `${stored} parties, not ${this.parties}`,
        ) as number[];
        return reply[0] === -2 ? undefined : reply;
      },
    });
    if (arrived === undefined) throw this.#broken(); // Timed out before a cycle had room.
    const [index, gen, last] = arrived as [number, number, number];
    if (index === -1) throw this.#broken();
    if (last === 2) return index;
    if (last === 1) {
      try {
        await action!();
      } catch (error) {
        await this.#finish(gen, "b");
        throw error;
      }
      if (await this.#finish(gen, "p") !== "p") throw this.#broken();
      return index;
    }
    let outcome: string | undefined;
    try {
      outcome = await waitForReply(
        this.#commands,
        {
          channel: k.wake,
          signal,
          timeout: Math.max(0, timeout - (performance.now() - start)),
          what,
        },
        OUTCOME,
        [k.state, k.outcome],
        () => [gen],
        (reply) => (reply as string | null) ?? undefined,
      );
    } catch (error) {
      // An aborted waiter breaks the cycle for the others, as in the core.
      await this.#finish(gen, "b").catch(() => {});
      throw error;
    }
    // Timed out: break the cycle, unless it passed in the meantime.
    if (outcome === undefined) outcome = await this.#finish(gen, "b");
    if (outcome !== "p") throw this.#broken();
    return index;
  }

  /** Breaks the current cycle for good (until `reset()`): waiters and later arrivals get `BrokenBarrierError`. */
  async abort(): Promise<void> {
    const [gen] = await this.#state();
    await this.#finish(gen, "b");
  }

  /** Starts a fresh cycle; parties waiting in the current one get `BrokenBarrierError`. */
  async reset(): Promise<void> {
    const k = this.#keys;
    await run(
      this.#commands,
      RESET,
      [k.kind, k.state, k.outcome],
      ["Barrier", k.wake],
      `reset barrier "${this.name}"`,
    );
  }

  /** Deletes the barrier's keys. */
  async destroy(): Promise<void> {
    const k = this.#keys;
    await run(
      this.#commands,
      DESTROY,
      [k.kind, k.parties, k.state, k.outcome],
      ["Barrier"],
      "destroy barrier",
    );
  }
}
