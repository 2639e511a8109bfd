/**
 * `Queue` over Redis: a FIFO shared by producer and consumer processes, on a Redis Stream with
 * one consumer group; at-least-once delivery that survives a consumer's death.
 *
 * Keys (one hash tag: one cluster slot)
 * | key                      | type   | meaning                                                 |
 * | threadkit:{name}:kind    | string | "Queue"                                                 |
 * | threadkit:{name}:meta    | hash   | maxsize; shutdown ("1"); cursor (of the dead-consumer   |
 * |                          |        | scan); swept (server ms of the last consumer sweep)     |
 * | threadkit:{name}:stream  | stream | field "d": the item, encoded by the structured codec;   |
 * |  (maxsize 0)             |        | consumer group "g", one consumer per Queue object that  |
 * | threadkit:{name}:bstream |        | took items (removed once idle a lease with none pending;|
 * |  (maxsize > 0)           |        | "threadkit:returned" holds items handed back after a    |
 * |                          |        | shutdown); last id the largest possible after shutdown()|
 * | threadkit:{name}:wake    | chan.  | for getters: SPUBLISH'd on shutdown and destroy (a put  |
 * |                          |        | needs none: its XADD ends the getters' XREADGROUP BLOCK)|
 * | threadkit:{name}:room    | chan.  | for putters and join(): SPUBLISH'd on get (bounded       |
 * |                          |        | queues only), unfinished reaching 0, and shutdown        |
 *
 * Life of an item: XADD -> XREADGROUP by a consumer (the GET script, or a blocking read; now in the
 * group's pending list, its idle time reset every lease/3 by the taker's process) -> XACK + XDEL by
 * the script that carries `taskDone()`'s acknowledgement (ACK_TAKE with the taker's next get, or
 * ACK pipelined ahead of that get's blocking read, else ACK on its own). An item idle past the
 * lease (its taker died) is claimed by a later `get`'s script (XAUTOCLAIM; each Queue object runs
 * it at least every lease/3 while it gets) and delivered again.
 * Invariants: every entry of the stream is either not yet delivered or pending (acknowledging
 * deletes it in the same script), so the size (items put, not yet taken) is the stream's length
 * less the group's pending count, exact for `maxsize`, and the unfinished count (put, not yet
 * acknowledged: what `join()` waits on) is the stream's length itself; an item leaves the pending
 * list only through XACK (or DELCONSUMER of a consumer with none pending), so it is never lost;
 * once acknowledged it is deleted, so it is never delivered again.
 * Shutdown sets the stream's last id to the largest possible (XSETID), so that every later XADD
 * fails ("exhausted the last possible ID") and the entries already there stay readable: a put to
 * an unbounded queue is then one plain `XADD ... NOMKSTREAM`, refused by the server itself once
 * the queue is shut down (only the first put of each Queue object, and a put that finds no stream,
 * runs the PUT script, which checks the kind key, maxsize and shutdown, and creates the group).
 * A get that blocks on a name nothing was put to creates the stream and its group (no kind key,
 * no maxsize; `getNowait()` writes nothing); `destroy()` deletes them.
 * Bounded and unbounded queues keep their items under different stream keys, so that a queue
 * destroyed and opened again with a maxsize has no stream a primed object's plain XADD could add
 * to: that put runs the PUT script, which refuses the other maxsize (RangeError). One stream key
 * for both let such a put bypass the new maxsize (regression test
 * redis_queue_primed_put_bypasses_maxsize_after_destroy).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import {
  type Commands,
  commandsOf,
  countOf,
  IDLE_RECHECK_MS,
  KIND_CHECK,
  KIND_SET,
  leaseOf,
  newHolderId,
  optionsOf,
  prefixOf,
  QueueEmptyError,
  QueueFullError,
  QueueShutDownError,
  race,
  type RedisHoldOptions,
  type RedisWaitOptions,
  Renewal,
  REPLY_GRACE_MS,
  run,
  runChecked,
  structuredCodec,
  waitFor,
  waitOptionsOf,
} from "./internal.ts";
import { setImmediate } from "node:timers";
import { Countdown, LINGER_MS, shaOf } from "./commands.ts";

/** Checks the stored maxsize against the opener's (ARGV[2]). */
const MAXSIZE_CHECK = `local stored = redis.call('HGET', KEYS[2], 'maxsize')
if stored and stored ~= ARGV[2] then return redis.error_reply('THREADKIT_VALUE ' .. stored) end`;

/**
 * `queued()`: the items put and not yet taken, KEYS[3] being the stream. Every entry of the stream
 * is either not yet delivered or in the group's pending list (an acknowledged entry is deleted in
 * the same script), so it is the stream's length less the group's pending count (XINFO GROUPS:
 * O(1), unlike XPENDING's summary, which lists every consumer).
 */
const QUEUED = `local function queued()
  if redis.call('EXISTS', KEYS[3]) == 0 then return 0 end
  local pending = 0
  for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[3])) do
    for i = 1, #g, 2 do if g[i] == 'pending' then pending = pending + g[i + 1] end end
  end
  return redis.call('XLEN', KEYS[3]) - pending
end`;

/**
 * Part of a queue's first write (PUT, SHUTDOWN; after KIND_CHECK, `kind` false): KEYS[4] is the
 * stream of the other maxsize kind (bounded and unbounded queues keep their items under
 * different keys), ARGV[#ARGV] how to name its maxsize in a refusal. A get waiting across
 * destroy() creates its own kind's stream again, with no kind key or maxsize stored (as a get
 * before the first put does), and an unbounded object primed before the destroy adds to that
 * stream with a plain XADD. So the first write of a queue of the other kind deletes that stream
 * when it is empty, which ends the reads blocked on it (UNBLOCKED: their gets check again and
 * meet this queue's maxsize), and refuses the name when it holds items, which are then still
 * there for the getters of the queue that put them (regression test
 * redis_queue_waiting_get_reopens_maxsize_bypass).
 */
const OTHER_CHECK = `if not kind and redis.call('EXISTS', KEYS[4]) == 1 then
  if redis.call('XLEN', KEYS[4]) > 0 then
    return redis.error_reply('THREADKIT_VALUE ' .. ARGV[#ARGV])
  end
  redis.call('DEL', KEYS[4])
end`;

/**
 * KEYS: kind meta stream otherStream; ARGV: kind maxsize item otherMaxsize. {1} put, {0} full,
 * {-1} shut down.
 * A queue whose kind key is absent is new: its group is created here unless a getter already
 * did (a shut-down queue has its kind key and refuses puts before reaching that point). Blocked
 * getters are woken by the XADD itself (their XREADGROUP ... BLOCK), not by a message.
 */
const PUT = `${KIND_CHECK}
${OTHER_CHECK}
${QUEUED}
local m = redis.call('HMGET', KEYS[2], 'maxsize', 'shutdown')
if m[1] and m[1] ~= ARGV[2] then return redis.error_reply('THREADKIT_VALUE ' .. m[1]) end
if m[2] == '1' then return {-1} end
local maxsize = tonumber(ARGV[2])
if maxsize > 0 and queued() >= maxsize then return {0} end
if not kind then
  redis.call('SET', KEYS[1], ARGV[1])
  redis.call('HSET', KEYS[2], 'maxsize', ARGV[2])
  if redis.call('EXISTS', KEYS[3]) == 0 then
    redis.call('XGROUP', 'CREATE', KEYS[3], 'g', '0', 'MKSTREAM')
  end
end
redis.call('XADD', KEYS[3], '*', 'd', ARGV[3])
return {1}`;

/**
 * Part of the GET script: at most once a lease (ARGV[4], server time), removes from the group
 * every other consumer with no pending item that has not read for a lease (a Queue object that
 * stopped getting, or whose process died and whose items were claimed). A consumer with items
 * pending is never removed (that would drop them from the pending list: lost); one removed while
 * still alive is created again by its next read (XREADGROUP and XCLAIM create their consumer).
 */
const SWEEP = `local now = redis.call('TIME')
now = now[1] * 1000 + math.floor(now[2] / 1000)
if now - tonumber(redis.call('HGET', KEYS[2], 'swept') or '0') >= tonumber(ARGV[4]) then
  redis.call('HSET', KEYS[2], 'swept', now)
  for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[3], 'g')) do
    local f = {}
    for i = 1, #c, 2 do f[c[i]] = c[i + 1] end
    if f['name'] ~= ARGV[3] and f['pending'] == 0 and f['idle'] >= tonumber(ARGV[4]) then
      redis.call('XGROUP', 'DELCONSUMER', KEYS[3], 'g', f['name'])
    end
  end
end`;

/**
 * The check of a `get`: claims an item whose lease ran out, else takes a new one, else reports
 * shut down or empty. KEYS: kind meta stream; ARGV: kind maxsize consumer leaseMs roomChannel
 * create. {1, id, item, redelivered, shut} taken (shut: 1 once the queue is shut down, so that
 * the object's later gets keep running this script, which says when it is drained, even if the
 * shutdown came before this object listened for its message), {0} empty, {-1} shut down and
 * drained. Once shut down, an item a given-up get handed back (UNGET: pending under the consumer
 * "threadkit:returned") is taken before saying drained, even if the claim scan's cursor is past
 * it (regression test redis_queue_drain_after_shutdown_says_empty).
 * With `create` ("1": the getter is about to block), an absent stream gets its group here (an
 * empty stream, no kind key, no maxsize: the first put still stores those), so that the getter
 * can block on it before the first put; `getNowait()` writes nothing.
 */
const GET = `${KIND_CHECK}
${MAXSIZE_CHECK}
local shut = redis.call('HGET', KEYS[2], 'shutdown') == '1' and 1 or 0
if redis.call('EXISTS', KEYS[3]) == 0 then
  if shut == 1 then return {-1} end
  if ARGV[6] == '1' then redis.call('XGROUP', 'CREATE', KEYS[3], 'g', '0', 'MKSTREAM') end
  return {0}
end
${SWEEP}
local cursor = redis.call('HGET', KEYS[2], 'cursor') or '0-0'
local claimed = redis.call('XAUTOCLAIM', KEYS[3], 'g', ARGV[3], ARGV[4], cursor, 'COUNT', 1)
if claimed[1] ~= cursor then redis.call('HSET', KEYS[2], 'cursor', claimed[1]) end
local e = claimed[2][1]
if e then return {1, e[1], e[2][2], 1, shut} end
local r = redis.call('XREADGROUP', 'GROUP', 'g', ARGV[3], 'COUNT', 1, 'STREAMS', KEYS[3], '>')
if r then
  e = r[1][2][1]
  if ARGV[2] ~= '0' then redis.call('SPUBLISH', ARGV[5], 'g') end
  return {1, e[1], e[2][2], 0, shut}
end
if shut == 1 then
  local p = redis.call('XPENDING', KEYS[3], 'g', '-', '+', 1, 'threadkit:returned')[1]
  if p then
    e = redis.call('XCLAIM', KEYS[3], 'g', ARGV[3], 0, p[1])[1]
    if e then return {1, e[1], e[2][2], 1, 1} end
  end
  return {-1}
end
return {0}`;

/**
 * The Lua both ACK_TAKE and ACK begin with: XACK + XDEL of each id from ARGV[first] on, counting
 * in `acked` those that were pending.
 */
function ackIds(first: number): string {
  return `local acked = 0
for i = ${first}, #ARGV do
  if redis.call('XACK', KEYS[1], 'g', ARGV[i]) == 1 then
    redis.call('XDEL', KEYS[1], ARGV[i])
    acked = acked + 1
  end
end
`;
}

/**
 * A consumer's acknowledgements and its next take in one script (see `Queue.get`): acknowledges
 * (XACK + XDEL, as ACK) each id, then takes the next new item if there is one (no claim:
 * that is the GET script's, at least every lease/3). A stream that is gone (destroyed, a
 * restarted server) answers "none"; the get's blocking read then fails NOGROUP, and the get runs
 * the GET script, which creates the stream and group again.
 * KEYS: stream; ARGV: consumer roomChannel bounded id...; {1, id, item} taken, {0} none.
 */
const ACK_TAKE = `
${ackIds(4)}local left = redis.call('XLEN', KEYS[1])
if acked > 0 and left == 0 then redis.call('SPUBLISH', ARGV[2], 'j') end
if left == 0 then return {0} end
local r = redis.pcall('XREADGROUP', 'GROUP', 'g', ARGV[1], 'COUNT', 1, 'STREAMS', KEYS[1], '>')
if not r or r['err'] then return {0} end
local e = r[1][2][1]
if ARGV[3] == '1' then redis.call('SPUBLISH', ARGV[2], 'g') end
return {1, e[1], e[2][2]}`;

/**
 * Puts back an item a given-up `get` took, at the tail (its XADD wakes a blocked getter). Once
 * the queue is shut down no XADD succeeds: the item then stays pending, handed to the consumer
 * "threadkit:returned" as idle for ~30 years, so the next get's XAUTOCLAIM takes it, or, if that
 * scan's cursor is past it, the GET script's look at that consumer before saying drained.
 * Invariant: only an item still pending under the getter's own consumer is handed back. One that
 * is gone (acknowledged) or pending under another consumer (its lease ran out before this script
 * came, and another get claimed it: delivered to that consumer now) is left alone, or it would be
 * delivered twice (regression test redis_queue_unget_duplicates_item_claimed_by_another_consumer).
 * KEYS: meta stream; ARGV: id consumer.
 */
const UNGET = `
local e = redis.call('XRANGE', KEYS[2], ARGV[1], ARGV[1])[1]
local p = redis.call('XPENDING', KEYS[2], 'g', ARGV[1], ARGV[1], 1)[1]
if not e or p == nil or p[2] ~= ARGV[2] then return 0 end
if redis.pcall('XADD', KEYS[2], '*', 'd', e[2][2])['err'] then
  redis.call('XCLAIM', KEYS[2], 'g', 'threadkit:returned', 0, ARGV[1], 'IDLE', '1000000000000', 'JUSTID')
  return 2
end
redis.call('XACK', KEYS[2], 'g', ARGV[1])
redis.call('XDEL', KEYS[2], ARGV[1])
return 1`;

/**
 * Acknowledges items: XACK + XDEL of each id (as ACK_TAKE), and the last acknowledgement (the
 * stream empty: nothing unfinished) wakes `join()`. KEYS: stream; ARGV: roomChannel id...
 * Returns how many were pending. Sent on its own (`taskDone()`'s acknowledgements no get took
 * along), or pipelined ahead of a get's blocking read (see `Queue.get`).
 * Measured against the version that also kept an unfinished counter in the meta hash (HINCRBY):
 * see `Queue.get`.
 */
const ACK = `
${
  ackIds(2)
}if acked > 0 and redis.call('XLEN', KEYS[1]) == 0 then redis.call('SPUBLISH', ARGV[1], 'j') end
return acked`;

/** Resets the idle time of this consumer's items. KEYS: stream; ARGV: consumer id... */
const RENEW = `
local n = 0
for i = 2, #ARGV do
  local p = redis.call('XPENDING', KEYS[1], 'g', ARGV[i], ARGV[i], 1)
  if p[1] and p[1][2] == ARGV[1] then
    redis.call('XCLAIM', KEYS[1], 'g', ARGV[1], 0, ARGV[i], 'JUSTID')
    n = n + 1
  end
end
return n`;

/** {size, unfinished, shutdown}. KEYS: kind meta stream; ARGV: kind maxsize. */
const STATE = `${KIND_CHECK}
${MAXSIZE_CHECK}
${QUEUED}
return {queued(), redis.call('XLEN', KEYS[3]), redis.call('HGET', KEYS[2], 'shutdown') == '1' and 1 or 0}`;

/**
 * KEYS: kind meta stream; ARGV: kind maxsize wakeChannel immediate roomChannel. The message on
 * the wake channel makes every watching getter unblock its read and check again. The stream's
 * last id becomes the largest possible: every later XADD fails (see the header).
 */
const SHUTDOWN = `${KIND_CHECK}
${MAXSIZE_CHECK}
${OTHER_CHECK}
${KIND_SET}
if not stored then redis.call('HSET', KEYS[2], 'maxsize', ARGV[2]) end
redis.call('HSET', KEYS[2], 'shutdown', '1')
if redis.call('EXISTS', KEYS[3]) == 0 then
  redis.call('XGROUP', 'CREATE', KEYS[3], 'g', '0', 'MKSTREAM')
end
redis.call('XSETID', KEYS[3], '18446744073709551615-18446744073709551615')
if ARGV[4] == '1' then
  local n = 0
  while true do
    local r = redis.call('XREADGROUP', 'GROUP', 'g', 'threadkit:discard', 'COUNT', 100, 'STREAMS', KEYS[3], '>')
    if not r then break end
    for _, e in ipairs(r[1][2]) do
      redis.call('XACK', KEYS[3], 'g', e[1])
      redis.call('XDEL', KEYS[3], e[1])
      n = n + 1
    end
  end
end
redis.call('SPUBLISH', ARGV[3], 's')
redis.call('SPUBLISH', ARGV[5], 's')
return 1`;

/**
 * KEYS: kind meta stream otherStream (the other maxsize kind's); ARGV: kind wakeChannel. The
 * message on the wake channel makes every watching get of every object run the GET script again
 * (which checks the kind and maxsize of whatever lives under the name by then), instead of reading
 * on from a stream a queue with another maxsize may have created again.
 */
const DESTROY = `${KIND_CHECK}
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
redis.call('SPUBLISH', ARGV[2], 'd')
return 1`;

/**
 * What a take found: an item (its stream id, encoded bytes, and whether the GET script saw the
 * queue shut down), or the queue shut down and drained.
 */
type Taken = { id: string; bytes: Uint8Array; shut?: boolean } | { shutdown: true };

/**
 * A blocking read's error saying its stream or group is gone (destroyed; a restarted server that
 * lost it): the get runs the GET script again, which creates them, and waits on.
 */
function isGone(error: unknown): boolean {
  return error instanceof Error && /^(UNBLOCKED|NOGROUP)/.test(error.message);
}

/** A Queue object's listener on its wake channel (see `Queue.get`). */
interface Watch {
  /** Gets in flight using it. */
  users: number;
  /** The server confirmed the subscription. */
  confirmed: boolean;
  /** Settles once confirmed. */
  ready: Promise<void>;
  /** A GET script ran after the subscription was confirmed. */
  checked: boolean;
  /**
   * A message came (a shutdown, or a destroy) since the last check was sent: the next try is a
   * check. One-shot: a destroy does not shut the queue down, and a check that only ever answered
   * "empty" would run again at once (regression test redis_queue_get_spins_after_destroy).
   */
  recheck: boolean;
  /** The GET script said the queue is shut down: every later get runs it (it says when drained). */
  shut: boolean;
  /** The `unblock` of each blocking read in flight. */
  reads: Set<() => void>;
  /** Removes the listener. */
  off: () => void;
  /** Detaches the watch {@link LINGER_MS} after the last get stopped using it. */
  linger: Countdown;
}

/** The first entry of an XREADGROUP reply (RESP2 array or RESP3 map), or `undefined`. */
function firstEntry(reply: unknown): Taken | undefined {
  if (reply === null || reply === undefined) return undefined;
  const streams = Array.isArray(reply)
    ? reply.map((s) => (s as unknown[])[1])
    : reply instanceof Map
    ? [...reply.values()]
    : Object.values(reply as object);
  const entry = (streams[0] as Array<[Uint8Array, Uint8Array[]]> | undefined)?.[0];
  if (entry === undefined) return undefined;
  return { id: Buffer.from(entry[0]).toString("latin1"), bytes: entry[1][1]! };
}

/** Options of a Redis `Queue`. */
export interface RedisQueueOptions {
  /** Items at most (0: unbounded). Stored by the first write; another value is a `RangeError`. */
  maxsize?: number | undefined;
  /**
   * Lease of a taken item in ms (default 30,000): an item whose consumer stops renewing for this
   * long is delivered again. Use the same lease in every process of a queue.
   */
  lease?: number | undefined;
}

/** Options of `Queue.shutdown`. */
export interface RedisShutdownOptions {
  /** Discard the items not yet taken and wake every waiter (default false). */
  immediate?: boolean | undefined;
}

/**
 * A FIFO queue kept in Redis, shared by every process that opens the same name: Python's
 * `queue.Queue` across processes and machines.
 *
 * - `put`/`get` wait (with `timeout`, `signal`); `putNowait` throws `QueueFullError`,
 *   `getNowait` throws `QueueEmptyError`. Items go through the core's structured codec
 *   (Date, Map, Set, BigInt, typed arrays, ... round-trip; a value it cannot encode is a
 *   `TypeError` and nothing is written).
 * - Delivery is at-least-once: an item taken by a consumer whose process dies before
 *   `taskDone()` is delivered again once its lease runs out; a live consumer's taken items are
 *   renewed every lease/3. After `taskDone()` an item is never delivered again.
 * - `taskDone()` acknowledges the oldest item this object took and has not acknowledged;
 *   with none → `RangeError`. `join()` waits until every item put was acknowledged.
 * - `shutdown()`: then `put` throws `QueueShutDownError`; `get` drains, then throws it;
 *   `{ immediate: true }` discards the items not yet taken and wakes every waiter.
 * - `qsize()` counts items put and not yet taken (an item awaiting redelivery is not counted).
 * - FIFO among items put by one process; items of different processes are ordered by the
 *   server's arrival order. A redelivered item comes before newer ones.
 *
 * Happens-before: a `put()` synchronizes before the `get()` that returns its item.
 *
 * @example Work items across processes
 * ```ts ignore
 * const jobs = new Queue<{ url: string }>(client, "jobs", { maxsize: 100 });
 * await jobs.put({ url }); // producers
 * const job = await jobs.get(); // consumers
 * await work(job);
 * await jobs.taskDone();
 * ```
 */
export class Queue<T = unknown> {
  /** The queue's name. */
  readonly name: string;
  /** Items at most (0: unbounded). */
  readonly maxsize: number;
  /** The default lease of a taken item, in ms. */
  readonly lease: number;
  /** This object's consumer name in the stream's group. */
  readonly holderId: string;
  readonly #commands: Commands;
  readonly #keys: {
    kind: string;
    meta: string;
    stream: string;
    other: string;
    wake: string;
    room: string;
  };
  /** Ids of items this object took and has not acknowledged, oldest first. */
  readonly #taken: string[] = [];
  #renewal: Renewal | undefined;
  #renewalLease = Infinity;
  /** This object's listener on the wake channel, while it has gets in flight (and a while after). */
  #watch: Watch | undefined;
  /** When this object last ran the GET script (`performance.now()`): claims are due lease/3 on. */
  #lastCheck = -Infinity;
  /**
   * A PUT script of this object succeeded on the stream that is there now (it checked the kind,
   * maxsize and shutdown, and the group exists): a put to an unbounded queue is then a plain
   * `XADD ... NOMKSTREAM` (see the header), until one finds no stream.
   */
  #primed = false;
  /** How OTHER_CHECK names the maxsize of the other kind's stream in a refusal. */
  readonly #otherMaxsize: string;
  /** Ids `taskDone()` acknowledged and has not sent yet (see `taskDone`), oldest first. */
  readonly #acks: string[] = [];
  /**
   * This object's last take came from its blocking read and that read waited for it (its reply
   * did not come in the same batch as the ACK's pipelined ahead of it): the stream had been
   * drained to this object, so the next get's acknowledgements go pipelined ahead of its
   * blocking read, not through ACK_TAKE (see `get`). Only a choice between two paths of one
   * round trip each: no semantics depend on it.
   */
  #caughtUp = false;
  /** Sends the acknowledgements no get took along, through the client (one ACK script). */
  readonly #flushAcks = (): void => {
    if (this.#acks.length === 0) return;
    const k = this.#keys;
    // Nobody waits on it (a failure leaves the items to be delivered again after their lease):
    // no client command timeout (OWN_DEADLINES in commands.ts).
    const acks = this.#acks.splice(0);
    run(this.#commands, ACK, [k.stream], [k.room, ...acks], "mark a task done", false, true)
      .catch(() => {});
  };

  /**
   * Opens the queue `name`. Writes nothing to Redis.
   *
   * @param client A connected node-redis client (single node or cluster).
   * @param name The queue's name.
   * @param options `maxsize` (default 0: unbounded), `lease` in ms (default 30,000).
   * @throws {TypeError} Not a connected client; bad name or options.
   * @throws {RangeError} `maxsize` is not an integer >= 0; bad lease.
   */
  constructor(client: unknown, name: string, options?: RedisQueueOptions) {
    this.#commands = commandsOf(client, "Queue");
    const prefix = prefixOf(name, "Queue");
    const o = optionsOf<RedisQueueOptions>(options, "create Queue");
    this.maxsize = countOf(o.maxsize ?? 0, "create Queue", "maxsize");
    this.lease = leaseOf(o.lease, "create Queue");
    this.name = name;
    this.holderId = newHolderId();
    this.#keys = {
      kind: `${prefix}:kind`,
      meta: `${prefix}:meta`,
      stream: this.maxsize > 0 ? `${prefix}:bstream` : `${prefix}:stream`,
      other: this.maxsize > 0 ? `${prefix}:stream` : `${prefix}:bstream`,
      wake: `${prefix}:wake`,
      room: `${prefix}:room`,
    };
    this.#otherMaxsize = this.maxsize > 0 ? "0" : "greater than 0";
  }

  #run(
    script: string,
    keys: string[],
    args: (string | number | Uint8Array)[],
    what: string,
    binary = false,
    ownDeadline = false,
  ) {
    const mismatch = (stored: string) => `maxsize ${stored}, not ${this.maxsize}`;
    return runChecked(this.#commands, script, keys, args, what, mismatch, binary, ownDeadline);
  }

  async #state(): Promise<[number, number, number]> {
    this.#flushAcks();
    const k = this.#keys;
    return await this.#run(
      STATE,
      [k.kind, k.meta, k.stream],
      ["Queue", this.maxsize],
      `read queue "${this.name}"`,
    ) as [number, number, number];
  }

  /** Items put and not yet taken (one round trip). */
  async qsize(): Promise<number> {
    return (await this.#state())[0];
  }

  /** Whether `qsize()` is 0. */
  async empty(): Promise<boolean> {
    return await this.qsize() === 0;
  }

  /** Whether `qsize()` reached `maxsize` (never, when unbounded). */
  async full(): Promise<boolean> {
    return this.maxsize > 0 && await this.qsize() >= this.maxsize;
  }

  /**
   * Puts an item, waiting while the queue is full.
   *
   * Its commands go without the client's command timeout: `timeout` and `signal` bound the put
   * (with neither, it also waits through a lost connection until the client has reconnected).
   *
   * @param item Any value the structured codec encodes.
   * @param options `timeout` in ms (`0` tries once), `signal`.
   * @throws {QueueFullError} (rejects) Still full when `timeout` ran out.
   * @throws {Error} (rejects) An unbounded queue's put got no reply from Redis by its deadline
   * (`timeout`, at least the reply grace of 250 ms): it may still be added.
   * @throws {QueueShutDownError} (rejects) The queue is shut down.
   * @throws {TypeError} (rejects) The item cannot be encoded (nothing written); bad options.
   */
  async put(item: T, options?: RedisWaitOptions): Promise<void> {
    const what = `put on queue "${this.name}"`;
    const { timeout, signal } = waitOptionsOf(options, what);
    // Copy: the codec returns a view on its scratch buffer, reused by the next encode.
    const bytes = structuredCodec.encode(item).slice();
    this.#flushAcks();
    const k = this.#keys;
    const outcome = await waitFor({
      commands: this.#commands,
      channel: k.room,
      signal,
      timeout,
      recheckMs: () => IDLE_RECHECK_MS,
      attempt: async () => {
        if (this.#primed) {
          const added = await this.#add(bytes, what);
          if (added !== undefined) return added;
          this.#primed = false;
        }
        const reply = await this.#run(
          PUT,
          [k.kind, k.meta, k.stream, k.other],
          [
            "Queue",
            this.maxsize,
            bytes,
            this.#otherMaxsize,
          ],
          what,
          false,
          true,
        ) as number[];
        if (reply[0] === 1 && this.maxsize === 0) this.#primed = true;
        return reply[0] === 0 ? undefined : reply[0]!;
      },
    });
    if (outcome === -1) throw new QueueShutDownError(`Cannot ${what}: it is shut down`);
    if (outcome === undefined && this.maxsize === 0) {
      // An unbounded queue is never full: the attempt in flight had no reply by the deadline (a
      // paused or unreachable server; the command goes without the client's own timeout). It
      // may still be applied once the server answers: say so rather than "full".
      throw new Error(
        `Cannot ${what}: no reply from Redis within ${
          Math.max(timeout, REPLY_GRACE_MS)
        } ms (the server may be paused or unreachable; the item may still be added)`,
      );
    }
    if (outcome === undefined) {
      throw new QueueFullError(
        timeout === 0
          ? `Cannot ${what}: it is full (maxsize ${this.maxsize})`
          : `Cannot ${what}: still full (maxsize ${this.maxsize}) after ${timeout} ms`,
      );
    }
  }

  /**
   * The put of a primed object to an unbounded queue: one plain XADD, which only adds to a stream
   * that is there (NOMKSTREAM) and which the server refuses once the queue is shut down (its last
   * id is the largest possible). 1 put, -1 shut down, `undefined` no stream (destroyed, or a
   * restarted server): run the PUT script.
   *
   * Measured (server commands per item from INFO commandstats, and the Queue 1 → 1 ratio to raw
   * LPUSH/BRPOP): see `get`.
   */
  async #add(bytes: Uint8Array, what: string): Promise<1 | -1 | undefined> {
    const k = this.#keys;
    try {
      const id = await this.#commands.command(
        k.stream,
        ["XADD", k.stream, "NOMKSTREAM", "*", "d", bytes],
        false,
        true,
      );
      return id === null || id === undefined ? undefined : 1;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (message.includes("exhausted the last possible ID")) return -1;
      throw new Error(`Cannot ${what}: the Redis command failed: ${message}`, { cause: error });
    }
  }

  /**
   * Puts an item if there is room now.
   *
   * @throws {QueueFullError} (rejects) The queue is full.
   */
  putNowait(item: T): Promise<void> {
    return this.put(item, { timeout: 0 });
  }

  /**
   * Takes the oldest item, waiting while the queue is empty. The item counts as this object's
   * until `taskDone()`; if this process dies first, it is delivered again after its lease.
   *
   * How it waits: the GET script (claim an item whose lease ran out, else take a new one, else
   * say shut down or empty), then `XREADGROUP ... BLOCK` on a connection of its own, which the
   * server answers as soon as a put's XADD arrives (no wake message, no second script). The
   * script runs again when the block ends empty, a message on the wake channel (shutdown)
   * unblocks it, or lease/3 passed since this object last ran it (so a dead consumer's items
   * are claimed even while new ones keep coming). A later `get` of the same object goes straight
   * to the blocking read while its watch of the wake channel, opened before its last script ran,
   * is still attached. If `taskDone()` left acknowledgements and this object's last take came
   * from a script (items were waiting), it first runs the ACK_TAKE script (acknowledge them, take
   * a waiting item if any): one command per item while items wait, the blocking read after it
   * when none does. If its last take came from the blocking read (caught up: the stream was
   * drained to it), the ACK script goes pipelined just ahead of the blocking read, in one write
   * on the read's connection: one round trip per item whether or not an item is waiting. The
   * GET script also removes from the group, at most once a lease, the consumers that have had
   * nothing pending and read nothing for a lease. Its commands go without the client's command
   * timeout: `timeout` and `signal` bound the get (with neither, it also waits through a lost
   * connection until the client has reconnected).
   *
   * Measured, server side (INFO commandstats, 3,000 items 1 → 1, one producer and one consumer
   * process): 3 scripts and 19 commands per item (put with its SPUBLISH wake, GET script, taskDone)
   * → 2 scripts + 1 XREADGROUP, 10 commands per item. Ratio to raw LPUSH/BRPOP in the same run
   * (`nice npx node bench/redis/section.ts --quick`, the previous commit's tree and this one run
   * alternately, 3 times each, machine at load 5–19): 1 → 1 4.08, 2.03, 1.67× → 1.82, 1.81,
   * 1.35×; 4 → 4 2.28, 1.79, 1.92× → 1.57, 1.93, 2.81× (no clear change).
   *
   * A consumer's acknowledgements ride on its next take (`taskDone()` leaves them for the next
   * get; the ACK_TAKE script acknowledges and takes a waiting item), a put to an unbounded queue
   * is a plain XADD, and the unfinished count is the stream's length (no HINCRBY). Measured with
   * `nice npx node bench/redis/queue_ab.ts /tmp/old 3 1500` (the previous commit's tree beside
   * this one and raw LPUSH/BRPOP, round-robin, 3 rounds of 1,500 items, machine at load 17–38):
   * server commands per item 10.0 → 6.0 (1 → 1; 4 → 4 10.1 → 6.4), scripts per item 2 → 1;
   * ratio to raw 1 → 1 2.66, 1.54, 1.78× → 2.85, 1.04, 1.45× (median 1.78 → 1.45); 4 → 4 5.33,
   * 3.24, 1.61× → 3.41, 1.33, 1.35× (median 3.24 → 1.35); CPU per item (/proc, medians) server
   * 80 → 60 µs and clients 227 → 160 µs (1 → 1; raw: 40 and 173), 4 → 4 server 107 → 87 µs,
   * clients 587 → 427 µs (raw: 53 and 240). A second run, 3 rounds of 3,000 items (load 12–15):
   * 1 → 1 1.90, 1.86, 1.95× → 1.58, 1.10, 1.45×; 4 → 4 2.33, 1.36, 1.62× → 1.68, 1.22, 1.39×.
   *
   * A caught-up consumer's ACK pipelined ahead of its blocking read (ACK_TAKE and then a read
   * before). Measured with `nice npx node bench/redis/queue_ab.ts /tmp/rpbefore 3 3000` (the
   * previous commit's tree beside this one and raw LPUSH/BRPOP, round-robin, 3 rounds of 3,000
   * items, two runs, machine at load 6–11): server socket reads per item (≈ round trips; raw 2.00)
   * 1 → 1 2.26, 2.06 → 2.11, 2.00; 4 → 4 2.18, 2.10 → 2.07, 2.01; commands per item unchanged
   * (6.0–6.4). In this probe the producer mostly runs ahead, so the consumer is caught up only
   * for stretches and the saving is those stretches' second round trip. Ratio to raw, medians of
   * the 3 rounds: 1 → 1 1.93 (1.17, 1.93, 2.29) → 1.13 (1.00, 1.13, 2.23) and 1.83 (1.83, 1.47,
   * 1.87) → 1.53 (1.54, 1.28, 1.53); 4 → 4 1.55 (2.56, 1.21, 1.55) → 1.24 (3.26, 1.19, 1.24) and
   * 1.33 (2.21, 1.00, 1.33) → 1.37 (1.94, 1.37, 1.33). CPU per item (medians, µs) 1 → 1 server
   * 120 → 77 and 83 → 83, clients 280 → 187 and 287 → 257; 4 → 4 server 83 → 80 and 93 → 90,
   * clients 367 → 343 and 337 → 433. Without the same-batch heuristic below (the pipelined path
   * for every get once caught up), two runs gave 4 → 4 1.35, 1.39 → 1.59, 1.64 and consumer CPU
   * higher in 5 of 6 rounds, hence the return to ACK_TAKE when an item was waiting.
   *
   * @param options `timeout` in ms (`0` tries once), `signal`, `lease` of this item.
   * @throws {QueueEmptyError} (rejects) Still empty when `timeout` ran out.
   * @throws {QueueShutDownError} (rejects) Shut down and drained.
   */
  async get(options?: RedisHoldOptions): Promise<T> {
    const what = `get from queue "${this.name}"`;
    const { timeout, signal } = waitOptionsOf(options, what);
    const lease = leaseOf(options?.lease, what, this.lease);
    // An aborted signal rejects before touching the server, even when an item is there.
    if (signal?.aborted === true) throw signal.reason;
    const k = this.#keys;
    const start = performance.now();
    const deadline = start + timeout;
    const period = Math.max(1, Math.floor(lease / 3));
    const undo = (taken: Taken) => {
      if ("id" in taken) {
        run(this.#commands, UNGET, [k.meta, k.stream], [taken.id, this.holderId], what)
          .catch(() => {});
      }
    };
    const empty = () =>
      new QueueEmptyError(
        timeout === 0
          ? `Cannot ${what}: it is empty`
          : `Cannot ${what}: still empty after ${timeout} ms`,
      );
    const watch = timeout > 0 ? this.#watchOpen() : undefined;
    try {
      if (watch !== undefined && !watch.confirmed) {
        // Listen before the check, or a shutdown between the check and the read would be missed.
        const subscribed = await race(watch.ready, deadline, signal, undefined);
        if (!subscribed.ok) throw empty();
      }
      for (;;) {
        // A message makes the next try a check; a shutdown the check saw, every later try (the
        // check drains, then says so).
        const check = watch === undefined || !watch.checked || watch.shut || watch.recheck ||
          performance.now() - this.#lastCheck >= period;
        let taken: Taken | undefined;
        if (check) {
          // Cleared before the script is sent: a message that arrives after this line sets it
          // again and asks for one check more, whether the script ran before or after the
          // publish, so no message goes unchecked; one before this line is answered by this
          // check (the script runs after the publish it reports).
          // A check that fails (this object's maxsize refused by a queue opened again under
          // the name after a destroy, a server error) or is given up leaves it set: until one
          // passes, every try checks, and none reads the stream directly (which would take a
          // re-created queue's items past its maxsize check).
          if (watch !== undefined) watch.recheck = false;
          let tried: { ok: true; value: Taken | undefined } | { ok: false } = { ok: false };
          try {
            tried = await race<Taken | undefined>(
              this.#check(lease, what, watch !== undefined),
              Math.max(deadline, start + REPLY_GRACE_MS),
              signal,
              undo,
            );
          } finally {
            if (!tried.ok && watch !== undefined) watch.recheck = true;
          }
          if (!tried.ok) throw empty();
          if (watch !== undefined) watch.checked = true;
          taken = tried.value;
          // Shut down (before this watch listened, or its message asked for this check): every
          // later get of this object runs the script, which says when the queue is drained.
          if (
            watch !== undefined && taken !== undefined && "shut" in taken && taken.shut === true
          ) {
            watch.shut = true;
          }
          if (taken !== undefined) this.#caughtUp = false;
        } else if (this.#acks.length > 0 && !this.#caughtUp) {
          // The acknowledgements taskDone() left ride on a non-blocking take: one script, one
          // command per item while items are waiting; when none is, the blocking read follows.
          const acks = this.#acks.splice(0);
          const tried = await race<Taken | undefined>(
            this.#ackAndTake(acks, what).catch((error) => {
              // Not known to be applied: send them again later (a second XACK does nothing).
              this.#acks.unshift(...acks);
              throw error;
            }),
            Math.max(deadline, start + REPLY_GRACE_MS),
            signal,
            undo,
          );
          if (!tried.ok) throw empty();
          taken = tried.value;
          if (taken !== undefined) this.#caughtUp = false;
          // None waiting: go round again (a shutdown message meanwhile makes that a check).
          if (taken === undefined) continue;
        } else {
          const now = performance.now();
          if (now >= deadline) throw empty();
          const blockMs = Math.max(
            1,
            Math.ceil(Math.min(deadline, this.#lastCheck + period) - now),
          );
          // A caught-up consumer's acknowledgements ride ahead of the read, in the same write on
          // the read's connection (see the doc above): one round trip per item instead of the
          // ACK_TAKE script's and then the read's. What ACK_TAKE did that this skips: the take
          // of a waiting item without blocking (the read returns at once when one is there: the
          // same item, the same one round trip), its SPUBLISH to putters (done below for any
          // take by the read), its "none" on a stream that is gone (the read fails NOGROUP, and
          // the get runs the GET script), and its order with this object's GET script on the
          // client's connection (the ACK runs on the read's connection; a GET script sent
          // meanwhile by another get of this object could claim an item being acknowledged only
          // if it was idle a whole lease already, which taskDone() just before excludes).
          const acks = this.#acks.splice(0);
          // Invariant: `watch` is attached and a check ran after it was confirmed, so a message
          // after that check was sent has set `watch.recheck` (then this is not reached) or will
          // unblock this read (registered below, with no await in between).
          const read = this.#commands.blocking(
            k.stream,
            [
              "XREADGROUP",
              "GROUP",
              "g",
              this.holderId,
              "COUNT",
              "1",
              "BLOCK",
              blockMs,
              "STREAMS",
              k.stream,
              ">",
            ],
            true,
            acks.length === 0 ? undefined : [
              "EVALSHA",
              shaOf(ACK),
              1,
              k.stream,
              k.room,
              ...acks,
            ],
          );
          // Whether the read's reply came in the same batch as the ACK's (no event-loop turn in
          // between): then it did not block, an item was waiting, and the next get goes back to
          // ACK_TAKE, whose take costs the client less than a blocking read's (a heuristic: it
          // only picks between two paths of one round trip each).
          let sameBatch = false;
          read.ahead?.then(() => {
            sameBatch = true;
            setImmediate(() => {
              sameBatch = false;
            });
          }, () => {
            // Not known to be applied (or NOSCRIPT: the flush's EVAL loads the script): send them
            // again through the client (a second XACK does nothing).
            this.#acks.unshift(...acks);
            setImmediate(this.#flushAcks);
          });
          watch!.reads.add(read.unblock);
          let got: { ok: true; value: Taken | undefined } | { ok: false };
          try {
            got = await race<Taken | undefined>(
              read.reply.then(firstEntry, (error) => {
                if (!isGone(error)) throw error;
                // The stream or its group is gone (destroy(), or a server that lost it): the
                // next round runs the GET script, which creates them, and this get waits on.
                this.#lastCheck = -Infinity;
                return undefined;
              }),
              deadline,
              signal,
              undo,
            );
          } catch (error) {
            read.unblock();
            throw error;
          } finally {
            watch!.reads.delete(read.unblock);
          }
          if (!got.ok) {
            read.unblock();
            throw empty();
          }
          taken = got.value;
          if (taken !== undefined) this.#caughtUp = !sameBatch;
          if (taken !== undefined && this.maxsize > 0) {
            // The GET script tells waiting putters there is room; this take went around it.
            this.#commands.command(k.room, ["SPUBLISH", k.room, "g"], false).catch(() => {});
          }
        }
        if (taken !== undefined) {
          if ("shutdown" in taken) throw new QueueShutDownError(`Cannot ${what}: it is shut down`);
          this.#taken.push(taken.id);
          this.#renew(lease);
          return structuredCodec.decode(taken.bytes) as T;
        }
        if (timeout === 0 || performance.now() >= deadline) throw empty();
      }
    } finally {
      if (watch !== undefined) this.#watchClose(watch);
    }
  }

  /** One run of the GET script; `create`: the stream's group, if absent (about to block on it). */
  async #check(lease: number, what: string, create: boolean): Promise<Taken | undefined> {
    // Through the same connection just before the script: applied first.
    this.#flushAcks();
    const k = this.#keys;
    this.#lastCheck = performance.now();
    const reply = await this.#run(
      GET,
      [k.kind, k.meta, k.stream],
      ["Queue", this.maxsize, this.holderId, lease, k.room, create ? "1" : "0"],
      what,
      true,
      true,
    ) as [number, Uint8Array, Uint8Array, number, number];
    if (reply[0] === 0) return undefined;
    if (reply[0] === -1) return { shutdown: true };
    return { id: Buffer.from(reply[1]).toString("latin1"), bytes: reply[2], shut: reply[4] === 1 };
  }

  /** One run of the ACK_TAKE script: acknowledges `acks`, then takes a waiting item if any. */
  async #ackAndTake(acks: string[], what: string): Promise<Taken | undefined> {
    const k = this.#keys;
    const reply = await run(
      this.#commands,
      ACK_TAKE,
      [k.stream],
      [this.holderId, k.room, this.maxsize > 0 ? "1" : "0", ...acks],
      what,
      true,
      true,
    ) as [number, Uint8Array, Uint8Array];
    if (reply[0] === 0) return undefined;
    return { id: Buffer.from(reply[1]).toString("latin1"), bytes: reply[2] };
  }

  /** Attaches (or reuses) this object's listener on the wake channel. */
  #watchOpen(): Watch {
    let watch = this.#watch;
    if (watch !== undefined) {
      watch.users += 1;
      watch.linger.stop();
      return watch;
    }
    const created: Watch = {
      users: 1,
      confirmed: false,
      checked: false,
      recheck: false,
      shut: false,
      reads: new Set(),
      ready: Promise.resolve(),
      off: () => {},
      linger: new Countdown(LINGER_MS, () => {
        if (created.users > 0 || this.#watch !== created) return;
        this.#watch = undefined;
        created.off();
      }),
    };
    watch = created;
    const onMessage = () => {
      // A message on the wake channel is a shutdown or a destroy: end every blocked read of this
      // object; its next try runs the GET script, which says which (and what to do).
      created.recheck = true;
      for (const unblock of created.reads) unblock();
    };
    const off = this.#commands.listen(this.#keys.wake, onMessage);
    if (off !== undefined) {
      created.confirmed = true;
      created.off = off;
    } else {
      const subscribing = this.#commands.subscribe(this.#keys.wake, onMessage);
      created.off = () => {
        subscribing.then((remove) => remove(), () => {});
      };
      created.ready = subscribing.then(() => {
        created.confirmed = true;
      }, (error) => {
        if (this.#watch === created) this.#watch = undefined;
        throw error;
      });
      created.ready.catch(() => {});
    }
    this.#watch = created;
    return created;
  }

  /** A get is done with the watch: it stays attached {@link LINGER_MS} for the next one. */
  #watchClose(watch: Watch): void {
    watch.users -= 1;
    if (watch.users > 0 || this.#watch !== watch) return;
    watch.linger.start();
  }

  /**
   * Takes an item if one is there now.
   *
   * @throws {QueueEmptyError} (rejects) The queue is empty.
   */
  getNowait(): Promise<T> {
    return this.get({ timeout: 0 });
  }

  /** Keeps this object's taken items from being redelivered while this process lives. */
  #renew(lease: number): void {
    if (this.#renewal !== undefined && lease >= this.#renewalLease) return;
    this.#renewal?.stop();
    this.#renewalLease = lease;
    const k = this.#keys;
    this.#renewal = new Renewal(lease, async () => {
      if (this.#taken.length === 0) {
        this.#renewal = undefined;
        this.#renewalLease = Infinity;
        return false;
      }
      await run(
        this.#commands,
        RENEW,
        [k.stream],
        [this.holderId, ...this.#taken],
        "renew queue items",
      );
      return true;
    });
  }

  /**
   * Acknowledges the oldest item this object took and has not acknowledged: it is deleted and
   * never delivered again; `join()` returns once every item put was acknowledged.
   *
   * The acknowledgement is not waited for. It rides on this object's next `get()` if that is
   * called before the event loop's next turn (a consumer loop: the get's ACK_TAKE script, or, for
   * a consumer that had caught up, an ACK script in one write with the get's blocking read on the
   * read's connection), else it is sent on its own at that turn; any other call of this object
   * (`join()`, `qsize()`, `put`, `shutdown`) sends it first, so Redis applies it before that
   * call's command. Should it fail (the server is
   * unreachable), the item counts as not done and is delivered again after its lease: delivery
   * stays at-least-once.
   *
   * @throws {RangeError} (rejects) This object has no unacknowledged item (as Python's "called
   * too many times").
   */
  taskDone(): Promise<void> {
    const id = this.#taken.shift();
    if (id === undefined) {
      return Promise.reject(
        new RangeError(
          `Cannot mark a task done on queue "${this.name}": this object took no unfinished item`,
        ),
      );
    }
    this.#acks.push(id);
    if (this.#acks.length === 1) setImmediate(this.#flushAcks);
    return Promise.resolve();
  }

  /**
   * Waits until every item put was acknowledged with `taskDone()`.
   *
   * @returns `true`, or `false` when `timeout` ran out.
   */
  async join(options?: RedisWaitOptions): Promise<boolean> {
    const what = `join queue "${this.name}"`;
    const { timeout, signal } = waitOptionsOf(options, what);
    const result = await waitFor({
      commands: this.#commands,
      channel: this.#keys.room,
      signal,
      timeout,
      recheckMs: () => IDLE_RECHECK_MS,
      attempt: async () => (await this.#state())[1] <= 0 ? true : undefined,
    });
    return result === true;
  }

  /**
   * Shuts the queue down for every process: `put` throws `QueueShutDownError` from now on, and
   * `get` once the queue is drained. With `immediate`, the items not yet taken are discarded
   * (and count as done for `join()`).
   */
  async shutdown(options?: RedisShutdownOptions): Promise<void> {
    const o = optionsOf<RedisShutdownOptions>(options, `shut down queue "${this.name}"`);
    this.#flushAcks();
    const k = this.#keys;
    await this.#run(SHUTDOWN, [k.kind, k.meta, k.stream, k.other], [
      "Queue",
      this.maxsize,
      k.wake,
      o.immediate === true ? "1" : "0",
      k.room,
      this.#otherMaxsize,
    ], `shut down queue "${this.name}"`);
  }

  /** Yields items until the queue is shut down and drained. */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for (;;) {
      try {
        yield await this.get();
      } catch (error) {
        if (error instanceof QueueShutDownError) return;
        throw error;
      }
    }
  }

  /** Deletes the queue's keys: its items, counts and shutdown state. */
  async destroy(): Promise<void> {
    this.#renewal?.stop();
    this.#renewal = undefined;
    this.#taken.length = 0;
    this.#acks.length = 0;
    this.#primed = false;
    const k = this.#keys;
    await run(
      this.#commands,
      DESTROY,
      [k.kind, k.meta, k.stream, k.other],
      ["Queue", k.wake],
      "destroy queue",
    );
  }
}
