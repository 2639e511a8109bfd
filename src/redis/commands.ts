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
 * subscription. A cluster client keeps its own pub/sub connections per shard.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { setTimeout as setTimer } from "node:timers";

/** What the primitives ask of a client. */
export interface Commands {
  /** Whether the client is a cluster client (for messages and tests). */
  readonly cluster: boolean;
  /**
   * Runs a Lua script (EVALSHA, falling back to EVAL once per script and node). With `binary`,
   * bulk strings come back as `Uint8Array`s, otherwise as strings.
   */
  evalScript(
    script: string,
    keys: readonly string[],
    args: readonly (string | number | Uint8Array)[],
    binary: boolean,
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

function shaOf(script: string): string {
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

/** Converts a Buffer reply tree to plain Uint8Arrays (Buffer is one; kept as is). */
function argsOf(args: readonly (string | number | Uint8Array)[]): (string | Buffer)[] {
  return args.map((a) =>
    typeof a === "number"
      ? String(a)
      : typeof a === "string"
      ? a
      : Buffer.from(a.buffer, a.byteOffset, a.byteLength)
  );
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
  return {
    cluster: false,
    async evalScript(script, keys, args, binary) {
      const target = binary ? binaryClient : client;
      const rest = [String(keys.length), ...keys, ...argsOf(args)];
      try {
        return await target.sendCommand(["EVALSHA", shaOf(script), ...rest]);
      } catch (error) {
        if (!isNoScript(error)) throw error;
        return await target.sendCommand(["EVAL", script, ...rest]);
      }
    },
    subscribe: (channel, listener) => subscriber.add(channel, listener),
    listen: (channel, listener) => subscriber.listen(channel, listener),
  };
}

/** A cluster client: commands routed by the first key; its own sharded pub/sub connections. */
function clusterCommands(client: NodeRedisLike): Commands {
  const binaryClient = bufferMapped(client);
  const subscriber = new Subscriber(() => client, false);
  return {
    cluster: true,
    async evalScript(script, keys, args, binary) {
      const target = binary ? binaryClient : client;
      const rest = [String(keys.length), ...keys, ...argsOf(args)];
      try {
        return await target.sendCommand(keys[0], false, ["EVALSHA", shaOf(script), ...rest]);
      } catch (error) {
        if (!isNoScript(error)) throw error;
        return await target.sendCommand(keys[0], false, ["EVAL", script, ...rest]);
      }
    },
    subscribe: (channel, listener) => subscriber.add(channel, listener),
    listen: (channel, listener) => subscriber.listen(channel, listener),
  };
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
 * process that waits on a primitive again and again keeps its subscription). `owned`: the connection is ours (a duplicate), opened on
 * first use and closed when idle.
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
      throw error;
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
