/**
 * The few server operations the primitives need, behind one small interface, and its adapter
 * for node-redis (the official `redis` package): a single-node client or a cluster client.
 *
 * Another client (ioredis, Bun's built-in client) would be one more adapter returning a
 * {@link Commands}; the primitives never touch the client themselves. No module of the `redis`
 * package is imported: the adapter works on the caller's object through the members listed in
 * {@link NodeRedisLike}, so `threadkit/redis` loads no Redis code of its own.
 *
 * Connections: commands go through the caller's client. Waiters are woken over sharded pub/sub
 * (`SSUBSCRIBE`, which keeps a channel on its key's slot in a cluster, and works on a single
 * node too). A single-node client cannot run commands while subscribed, so subscriptions live on
 * one `client.duplicate()` per client, opened on the first wait, unref'd (it never keeps the
 * process alive; a pending wait's timer does), and closed after {@link IDLE_CLOSE_MS} with no
 * subscription. A cluster client keeps its own pub/sub connections per shard. Blocking commands
 * (a Queue consumer's `XREADGROUP ... BLOCK`) run on a pool of further duplicates, one per command
 * in flight ({@link BlockingPool}).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { setInterval, setTimeout as setTimer } from "node:timers";

/** What the primitives ask of a client. */
export interface Commands {
  /** Whether the client is a cluster client (for messages and tests). */
  readonly cluster: boolean;
  /**
   * Runs a Lua script (EVALSHA, falling back to EVAL once per script and node). With `binary`,
   * bulk strings come back as `Uint8Array`s, otherwise as strings. With `ownDeadline`, the
   * caller bounds the command itself (see {@link OWN_DEADLINES}), so the client's command
   * timeout is not armed for it.
   */
  evalScript(
    script: string,
    keys: readonly string[],
    args: readonly (string | number | Uint8Array)[],
    binary: boolean,
    ownDeadline?: boolean,
  ): Promise<unknown>;
  /**
   * Subscribes `listener` to the sharded channel; resolves once the server confirmed, with the
   * function that unsubscribes it.
   */
  subscribe(channel: string, listener: () => void): Promise<() => void>;
  /**
   * Adds `listener` at once if the channel's subscription is already confirmed (a recent wait
   * left it open), returning the function that removes it; otherwise `undefined`.
   */
  listen(channel: string, listener: () => void): (() => void) | undefined;
  /**
   * Runs one plain command on the client, routed (in a cluster) by `key`. With `binary`, bulk
   * strings come back as `Uint8Array`s; `ownDeadline` as for `evalScript`.
   */
  command(
    key: string,
    args: readonly (string | number | Uint8Array)[],
    binary: boolean,
    ownDeadline?: boolean,
  ): Promise<unknown>;
  /**
   * Runs a blocking command (`XREADGROUP ... BLOCK ms`) routed by `key` on a connection of its
   * own, taken from a pool of duplicates of the client (a blocked connection can serve nothing
   * else), with no client command timeout: every blocking read is raced by its caller, and
   * `before` is resent by the caller if it fails. `unblock()` ends the wait early with CLIENT UNBLOCK (the reply is then as if it had
   * timed out); it may be called at any time, also after the reply came.
   *
   * `before`: a command (not blocking; e.g. an EVALSHA) sent on the same connection in the same
   * write just ahead of the blocking one, so the server applies it first and both cost one round
   * trip; `ahead` is its reply (a failure of it does not fail `reply`). A NOSCRIPT is not retried:
   * the caller resends through `evalScript`.
   */
  blocking(
    key: string,
    args: readonly (string | number | Uint8Array)[],
    binary: boolean,
    before?: readonly (string | number | Uint8Array)[],
  ): { reply: Promise<unknown>; unblock(): void; ahead: Promise<unknown> | undefined };
}

/** The members of a node-redis client (or cluster client) the adapter uses. */
export interface NodeRedisLike {
  readonly isOpen: boolean;
  sendCommand(...args: any[]): Promise<unknown>;
  duplicate(): NodeRedisLike;
  connect(): Promise<unknown>;
  close?(): Promise<void>;
  destroy?(): void;
  unref?(): void;
  on?(event: string, listener: (...args: any[]) => void): unknown;
  withTypeMapping(mapping: Record<number, unknown>): NodeRedisLike;
  sSubscribe(channel: string, listener: (message: string, channel: string) => void): Promise<void>;
  sUnsubscribe(
    channel: string,
    listener?: (message: string, channel: string) => void,
  ): Promise<void>;
}

/** `setTimeout` that does not keep the process alive (renewals, idle clean-up). */
export function unrefTimer(fn: () => void, ms: number): { cancel(): void } {
  const timer = setTimer(fn, ms);
  timer.unref?.();
  return { cancel: () => clearTimeout(timer) };
}

/** A channel with no listener stays subscribed this long, for the next wait on it. */
export const LINGER_MS = 1_000;

/** A subscriber connection with no subscription is closed after this many ms. */
export const IDLE_CLOSE_MS = 5_000;

/** RESP's blob-string type byte (`$`), node-redis's key for mapping bulk strings to Buffers. */
const BLOB_STRING = 36;

const cache = new WeakMap<object, Commands>();
const shas = new Map<string, string>();

/** The SHA-1 of a script, as EVALSHA names it (cached). */
export function shaOf(script: string): string {
  let sha = shas.get(script);
  if (sha === undefined) {
    sha = createHash("sha1").update(script).digest("hex");
    shas.set(script, sha);
  }
  return sha;
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith("NOSCRIPT");
}

/**
 * The {@link Commands} of a caller's client, after checking it is a connected node-redis client
 * (single node or cluster). One adapter per client object.
 *
 * @throws {TypeError} `client` is not a node-redis client, or it is not connected.
 */
export function commandsOf(client: unknown, what: string): Commands {
  if (
    typeof client !== "object" || client === null ||
    typeof (client as NodeRedisLike).sendCommand !== "function" ||
    typeof (client as NodeRedisLike).duplicate !== "function" ||
    typeof (client as NodeRedisLike).sSubscribe !== "function" ||
    typeof (client as NodeRedisLike).isOpen !== "boolean"
  ) {
    throw new TypeError(
      `Cannot create ${what}: client must be a node-redis client (createClient() or ` +
        `createCluster() of the "redis" package), got ${client === null ? "null" : typeof client}`,
    );
  }
  const known = cache.get(client);
  if (known !== undefined) {
    assertOpen(client as NodeRedisLike, what);
    return known;
  }
  assertOpen(client as NodeRedisLike, what);
  const commands = isCluster(client)
    ? clusterCommands(client as NodeRedisLike)
    : nodeCommands(client as NodeRedisLike);
  cache.set(client, commands);
  return commands;
}

function assertOpen(client: NodeRedisLike, what: string): void {
  if (!client.isOpen) {
    throw new TypeError(
      `Cannot create ${what}: the client is not connected (call await client.connect() first, ` +
        `and do not use a closed client)`,
    );
  }
}

function isCluster(client: object): boolean {
  return typeof (client as { nodeClient?: unknown }).nodeClient === "function" &&
    "masters" in client;
}

function bufferMapped(client: NodeRedisLike): NodeRedisLike {
  return client.withTypeMapping({ [BLOB_STRING]: Buffer });
}

/** A command argument as node-redis sends it: numbers as strings, bytes as a Buffer view. */
function argOf(a: string | number | Uint8Array): string | Buffer {
  return typeof a === "number"
    ? String(a)
    : typeof a === "string"
    ? a
    : Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * Options for a command whose caller bounds it itself: no client-side command timeout. node-redis
 * (6.x: `commandOptions.timeout`, 5,000 ms by default) arms an `AbortSignal.timeout` per command
 * that bounds only the time until the command is written; its timer is never cancelled, and 5 s
 * later it fires, builds a DOMException and dispatches an abort event for a command long done.
 * The waiting calls of the Queue (`get`, `put`) race their commands against their own deadline
 * and signal (`race`, `waitFor` in internal.ts) and handle a command applied after they gave up
 * (the `undo`s), so for them the client's bound only costs: they pass `ownDeadline`, as do the
 * acknowledgements `taskDone()` sends on its own (nobody waits on them; one that fails leaves
 * its item to be delivered again after its lease). A call with
 * no deadline of its own (`release()`, `qsize()`, a renewal) keeps the client's bound, so that a
 * lost connection still fails it within the client's timeout.
 * Measured (`NODE_OPTIONS=--cpu-prof node bench/redis/queue_ab.ts`, the 4 → 4 consumers): the
 * timer and its abort were 15% of a consumer's busy CPU (abort_controller 5.2%, event_target
 * 4.5%, DOMException 4.2%, timers); `node bench/redis/queue_ab.ts /tmp/q_old 3 3000` (the tree
 * before beside this one and raw LPUSH/BRPOP, round-robin): client CPU per item 4 → 4 467 → 337
 * µs (raw 310), ratio to raw 2.05, 1.34, 2.00× → 1.59, 1.36, 1.49×; 1 → 1 1.45, 1.18, 1.72× →
 * 1.12, 1.49, 1.26×.
 */
const OWN_DEADLINES = { timeout: 0 } as const;

/** The options of a command: {@link OWN_DEADLINES} when its caller bounds it, else the client's. */
function commandOptions(ownDeadline: boolean | undefined): typeof OWN_DEADLINES | undefined {
  return ownDeadline === true ? OWN_DEADLINES : undefined;
}

/** A command's arguments as node-redis sends them ({@link argOf}). */
function argsOf(args: readonly (string | number | Uint8Array)[]): (string | Buffer)[] {
  return args.map(argOf);
}

/**
 * `EVALSHA sha numkeys ...keys ...args` as one array, built in one pass (no intermediate arrays
 * or spreads: it runs for every script call). A NOSCRIPT retry copies it with `EVAL script`.
 */
function evalShaArgs(
  script: string,
  keys: readonly string[],
  args: readonly (string | number | Uint8Array)[],
): (string | Buffer)[] {
  const out: (string | Buffer)[] = ["EVALSHA", shaOf(script), String(keys.length)];
  for (let i = 0; i < keys.length; i++) out.push(keys[i]!);
  for (let i = 0; i < args.length; i++) out.push(argOf(args[i]!));
  return out;
}

/** The EVAL form of an {@link evalShaArgs} array (after NOSCRIPT). */
function evalArgs(script: string, evalSha: readonly (string | Buffer)[]): (string | Buffer)[] {
  const out = evalSha.slice();
  out[0] = "EVAL";
  out[1] = script;
  return out;
}

/** A single-node client. */
function nodeCommands(client: NodeRedisLike): Commands {
  const binaryClient = bufferMapped(client);
  const subscriber = new Subscriber(() => {
    const dup = client.duplicate();
    // A failing subscriber connection retries by itself; an unhandled 'error' event would throw.
    dup.on?.("error", () => {});
    return dup;
  });
  const blockers = new BlockingPool(client, false);
  return {
    cluster: false,
    evalScript(script, keys, args, binary, ownDeadline) {
      const target = binary ? binaryClient : client;
      const command = evalShaArgs(script, keys, args);
      const options = commandOptions(ownDeadline);
      // Not async: one promise fewer per script on the hot paths.
      return target.sendCommand(command, options).catch((error) => {
        if (!isNoScript(error)) throw error;
        return target.sendCommand(evalArgs(script, command), options);
      });
    },
    subscribe: (channel, listener) => subscriber.add(channel, listener),
    listen: (channel, listener) => subscriber.listen(channel, listener),
    command: (_key, args, binary, ownDeadline) =>
      (binary ? binaryClient : client).sendCommand(
        argsOf(args),
        commandOptions(ownDeadline),
      ),
    blocking: (key, args, binary, before) => blockers.run(key, args, binary, before),
  };
}

/** A cluster client: commands routed by the first key; its own sharded pub/sub connections. */
function clusterCommands(client: NodeRedisLike): Commands {
  const binaryClient = bufferMapped(client);
  const subscriber = new Subscriber(() => client, false);
  const blockers = new BlockingPool(client, true);
  return {
    cluster: true,
    evalScript(script, keys, args, binary, ownDeadline) {
      const target = binary ? binaryClient : client;
      const command = evalShaArgs(script, keys, args);
      const options = commandOptions(ownDeadline);
      return target.sendCommand(keys[0], false, command, options).catch((error) => {
        if (!isNoScript(error)) throw error;
        return target.sendCommand(keys[0], false, evalArgs(script, command), options);
      });
    },
    subscribe: (channel, listener) => subscriber.add(channel, listener),
    listen: (channel, listener) => subscriber.listen(channel, listener),
    command: (key, args, binary, ownDeadline) =>
      (binary ? binaryClient : client).sendCommand(
        key,
        false,
        argsOf(args),
        commandOptions(ownDeadline),
      ),
    blocking: (key, args, binary, before) => blockers.run(key, args, binary, before),
  };
}

/**
 * A countdown that is restarted far more often than it runs out (a connection's idle close, a
 * subscription's linger): one unref'd timer, re-armed for the rest of the time when it fires
 * early, instead of a new timer per restart. `fn` runs `ms` after the last `start()`, unless
 * `stop()` came after it.
 *
 * Not measured alone: its share is inside the client CPU per item of `Queue.get`'s figures
 * (`node bench/redis/queue_ab.ts`) and per pair of `Lock.acquire`'s (`bench/redis/lock_ab.ts`).
 */
export class Countdown {
  readonly #ms: number;
  readonly #fn: () => void;
  /** When it runs out (`performance.now()`), or 0 when stopped. */
  #at = 0;
  #armed = false;

  constructor(ms: number, fn: () => void) {
    this.#ms = ms;
    this.#fn = fn;
  }

  start(): void {
    this.#at = performance.now() + this.#ms;
    if (!this.#armed) this.#arm(this.#ms);
  }

  stop(): void {
    this.#at = 0;
  }

  #arm(ms: number): void {
    this.#armed = true;
    unrefTimer(() => {
      this.#armed = false;
      if (this.#at === 0) return;
      const left = this.#at - performance.now();
      if (left > 0) {
        this.#arm(left);
        return;
      }
      this.#at = 0;
      this.#fn();
    }, Math.max(1, Math.ceil(ms)));
  }
}

/** A connection of a {@link BlockingPool}. */
interface Blocker {
  client: NodeRedisLike;
  binary: NodeRedisLike;
  ready: Promise<unknown>;
  /** CLIENT ID of this connection per routing key (one node per key; a reconnect clears it). */
  ids: Map<string, Promise<unknown>>;
  /** Closes it once unused for {@link IDLE_CLOSE_MS}. */
  idle: Countdown;
}

/** How many times `unblock()` retries a CLIENT UNBLOCK that found the connection not (yet) blocked. */
const UNBLOCK_TRIES = 40;

/**
 * Connections for blocking commands: duplicates of the client (a cluster client's duplicate has
 * its own connection per node), one per blocking command in flight, reused last-in first-out,
 * unref'd, and closed after {@link IDLE_CLOSE_MS} unused. While a command is in flight a ref'd
 * timer keeps the process alive, as a waiting call's timer does (one interval per pool, ref'd
 * while commands are in flight and unref'd while none is).
 *
 * Unblocking: each connection's CLIENT ID is asked once per node, pipelined before its first
 * blocking command (so it is known while the command blocks); CLIENT UNBLOCK goes through the
 * caller's client. It finds the connection not blocked when the command has not reached the
 * server yet, or already returned: it is then retried every few ms while the command is pending,
 * at most {@link UNBLOCK_TRIES} times (a command still blocked after that ends by its own BLOCK
 * timeout).
 */
class BlockingPool {
  readonly #main: NodeRedisLike;
  readonly #cluster: boolean;
  readonly #free: Blocker[] = [];
  #inFlight = 0;
  #keepAlive: ReturnType<typeof setInterval> | undefined;

  constructor(main: NodeRedisLike, cluster: boolean) {
    this.#main = main;
    this.#cluster = cluster;
  }

  #send(client: NodeRedisLike, key: string, args: (string | Buffer)[]): Promise<unknown> {
    return this.#cluster
      ? client.sendCommand(key, false, args, OWN_DEADLINES)
      : client.sendCommand(args, OWN_DEADLINES);
  }

  #open(): Blocker {
    const client = this.#main.duplicate();
    // A failing connection reconnects by itself; an unhandled 'error' event would throw.
    client.on?.("error", () => {});
    const blocker: Blocker = {
      client,
      binary: bufferMapped(client),
      ready: client.connect().then(() => client.unref?.()),
      ids: new Map(),
      idle: new Countdown(IDLE_CLOSE_MS, () => {
        const at = this.#free.indexOf(blocker);
        if (at === -1) return;
        this.#free.splice(at, 1);
        Promise.resolve(blocker.client.close?.() ?? blocker.client.destroy?.()).catch(() => {});
      }),
    };
    // A reconnected connection has a new id.
    client.on?.("ready", () => blocker.ids.clear());
    return blocker;
  }

  run(
    key: string,
    args: readonly (string | number | Uint8Array)[],
    binary: boolean,
    before?: readonly (string | number | Uint8Array)[],
  ): { reply: Promise<unknown>; unblock(): void; ahead: Promise<unknown> | undefined } {
    const blocker = this.#free.pop() ?? this.#open();
    blocker.idle.stop();
    let settled = false;
    if (this.#inFlight++ === 0) {
      if (this.#keepAlive === undefined) this.#keepAlive = setInterval(() => {}, 60_000);
      else this.#keepAlive.ref();
    }
    const started = blocker.ready.then(() => {
      let id = blocker.ids.get(key);
      if (id === undefined) {
        const asked = this.#send(blocker.client, key, ["CLIENT", "ID"]);
        id = asked;
        blocker.ids.set(key, asked);
        asked.catch(() => blocker.ids.get(key) === asked && blocker.ids.delete(key));
      }
      // Issued in the same tick as the blocking command: node-redis writes both in one write,
      // in this order, and the server applies `before` first.
      const ahead = before === undefined
        ? undefined
        : this.#send(blocker.client, key, argsOf(before));
      return {
        id,
        ahead,
        reply: this.#send(binary ? blocker.binary : blocker.client, key, argsOf(args)),
      };
    });
    const reply = started.then((s) => s.reply);
    const ahead = before === undefined ? undefined : started.then((s) => s.ahead);
    ahead?.catch(() => {});
    const settle = (ok: boolean) => {
      settled = true;
      if (--this.#inFlight === 0) this.#keepAlive!.unref();
      if (!ok && !blocker.client.isOpen) {
        // Never connected (or closed): drop it.
        started.catch(() => blocker.client.destroy?.());
        return;
      }
      this.#free.push(blocker);
      blocker.idle.start();
    };
    reply.then(() => settle(true), () => settle(false));
    const unblock = () => {
      if (settled) return;
      started.then(async ({ id }) => {
        const clientId = String(await id);
        for (let i = 0; i < UNBLOCK_TRIES && !settled; i++) {
          if (await this.#send(this.#main, key, ["CLIENT", "UNBLOCK", clientId]) === 1) return;
          await new Promise<void>((resolve) => unrefTimer(resolve, 5));
        }
        // Still pending and never found blocked: the id may be stale (a reconnect).
        if (!settled) blocker.ids.delete(key);
      }).catch(() => {});
    };
    return { reply, unblock, ahead };
  }
}

/** One subscribed channel of a {@link Subscriber}. */
interface Channel {
  listeners: Set<() => void>;
  dispatch: () => void;
  ready: Promise<void>;
  /** Set once the server confirmed the subscription. */
  confirmed: boolean;
  /** The pending unsubscribe of a channel left with no listener. */
  linger: { cancel(): void } | undefined;
}

/**
 * Listeners per channel on one connection: the first listener of a channel subscribes it, the
 * last one to leave unsubscribes it {@link LINGER_MS} later (unless a listener came back: a
 * process that waits on a primitive again and again keeps its subscription). `owned`: the
 * connection is ours (a duplicate), opened on first use and closed when idle.
 */
class Subscriber {
  readonly #open: () => NodeRedisLike;
  readonly #owned: boolean;
  #connection: Promise<NodeRedisLike> | undefined;
  readonly #channels = new Map<string, Channel>();
  #idle: { cancel(): void } | undefined;

  constructor(open: () => NodeRedisLike, owned = true) {
    this.#open = open;
    this.#owned = owned;
  }

  #connect(): Promise<NodeRedisLike> {
    if (this.#connection === undefined) {
      const connection = this.#open();
      this.#connection = this.#owned
        ? connection.connect().then(() => {
          connection.unref?.();
          return connection;
        })
        : Promise.resolve(connection);
      this.#connection.catch(() => (this.#connection = undefined));
    }
    return this.#connection;
  }

  /** Adds `listener` to `channel`, subscribing it if needed; resolves once confirmed. */
  async add(channel: string, listener: () => void): Promise<() => void> {
    let entry = this.#channels.get(channel);
    if (entry === undefined) {
      this.#idle?.cancel();
      this.#idle = undefined;
      const listeners = new Set<() => void>();
      const dispatch = () => {
        for (const fn of listeners) fn();
      };
      const ready = this.#connect().then((c) => c.sSubscribe(channel, dispatch));
      const created: Channel = { listeners, dispatch, ready, confirmed: false, linger: undefined };
      entry = created;
      this.#channels.set(channel, created);
      ready.then(() => (created.confirmed = true), () => {
        if (this.#channels.get(channel) === created) this.#channels.delete(channel);
      });
    }
    const remove = this.#attach(channel, entry, listener);
    try {
      await entry.ready;
    } catch (error) {
      remove();
      // Refused (NOPERM, a lost connection): the channel is dropped with no unsubscribe, which is
      // what schedules the idle close, so schedule it here, or the connection stays open for
      // good (regression test redis_refused_subscription_never_closes_connection).
      this.#scheduleIdleClose();
      // Say what failed: a wait's error is otherwise the server's bare reply ("NOPERM ...").
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(
        `Cannot subscribe to the wake channel ${channel} (a wait needs it): ${message}`,
        { cause: error },
      );
    }
    return remove;
  }

  /** Adds `listener` at once if `channel` is subscribed and confirmed; else `undefined`. */
  listen(channel: string, listener: () => void): (() => void) | undefined {
    const entry = this.#channels.get(channel);
    if (entry === undefined || !entry.confirmed) return undefined;
    return this.#attach(channel, entry, listener);
  }

  #attach(channel: string, entry: Channel, listener: () => void): () => void {
    entry.linger?.cancel();
    entry.linger = undefined;
    entry.listeners.add(listener);
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      entry.listeners.delete(listener);
      if (entry.listeners.size > 0 || this.#channels.get(channel) !== entry) return;
      // Keep the subscription a while for the next wait on this channel.
      entry.linger = unrefTimer(() => {
        if (entry.listeners.size > 0 || this.#channels.get(channel) !== entry) return;
        this.#channels.delete(channel);
        // Removes only this entry's dispatcher: a newer entry of the channel keeps its own.
        entry.ready.then(() => this.#connect().then((c) => c.sUnsubscribe(channel, entry.dispatch)))
          .catch(() => {});
        this.#scheduleIdleClose();
      }, LINGER_MS);
    };
  }

  #scheduleIdleClose(): void {
    if (!this.#owned || this.#channels.size > 0 || this.#connection === undefined) return;
    this.#idle?.cancel();
    this.#idle = unrefTimer(() => {
      this.#idle = undefined;
      if (this.#channels.size > 0) return;
      const connection = this.#connection;
      this.#connection = undefined;
      connection?.then((c) => c.close?.() ?? c.destroy?.()).catch(() => {});
    }, IDLE_CLOSE_MS);
  }
}
