/**
 * Redis test helpers: a private `redis-server` per test file on a free loopback port, child
 * processes of the same runtime (process.execPath) running fixture operations, and bounded waits.
 *
 * With `CI` set, a missing `redis-server` fails the suite; locally the tests are skipped with a
 * note on how to install it.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { test } from "node:test";
import { createClient, createCluster } from "redis";
import { freePort } from "../../bench/redis/server.ts";

/** Every wait of a test gives up after this long, so a bug fails instead of hanging. */
export const TEST_TIMEOUT_MS = 60_000;

const FIXTURE = new URL("./fixtures/child.ts", import.meta.url);

function which(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const path = join(dir, binary);
    if (dir !== "" && existsSync(path)) return path;
  }
  for (const dir of ["/usr/bin", "/usr/local/bin"]) {
    if (existsSync(join(dir, binary))) return join(dir, binary);
  }
  return undefined;
}

/** The redis-server binary, or undefined when it is not installed. */
export const REDIS_SERVER = which("redis-server");
/** The redis-cli binary (for the cluster test). */
export const REDIS_CLI = which("redis-cli");

/**
 * `test` when redis-server exists; otherwise (outside CI) one skipped note. In CI a missing
 * server is a failure.
 */
export function redisTest(name: string, fn: () => Promise<void>): void {
  if (REDIS_SERVER !== undefined) {
    test(name, { timeout: 120_000 }, fn);
    return;
  }
  if (process.env.CI !== undefined) {
    test(name, () => {
      throw new Error(
        "redis-server is not installed, and CI is set: install it (apt-get install redis-server)",
      );
    });
    return;
  }
  test(
    name,
    { skip: "redis-server not found: install it with `apt-get install redis-server`" },
    () => {},
  );
}

/** Resolves once `check` returns true, polling every `everyMs`; rejects after `timeoutMs`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = "condition",
  everyMs = 20,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

/** Sleeps `ms` (for pacing a scenario only, never for correctness). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A running redis-server of a test. */
export interface Server {
  readonly port: number;
  readonly url: string;
  pid(): number;
  /** SIGSTOP / SIGCONT. */
  pause(): void;
  resume(): void;
  /** Kills it (SIGKILL) and starts it again on the same port and directory. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/**
 * Starts redis-server on a free loopback port, without persistence (`--save "" --appendonly no`)
 * unless `persistent` (AOF, fsync always: what a restart must not lose).
 */
export async function startRedis(
  options: { persistent?: boolean; extra?: string[] } = {},
): Promise<Server> {
  if (REDIS_SERVER === undefined) throw new Error("redis-server is not installed");
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "threadkit-redis-"));
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--save",
    "",
    "--appendonly",
    options.persistent ? "yes" : "no",
    "--appendfsync",
    "always",
    "--protected-mode",
    "no",
    "--loglevel",
    "warning",
    ...(options.extra ?? []),
  ];
  let child = spawn(REDIS_SERVER, args, { stdio: "ignore" });
  const ready = async () => {
    await until(
      async () => {
        try {
          const c = await createClient({
            url: `redis://127.0.0.1:${port}`,
            socket: { reconnectStrategy: false },
          })
            .on("error", () => {}).connect();
          await c.ping();
          await c.close();
          return true;
        } catch {
          return false;
        }
      },
      10_000,
      `redis-server on port ${port}`,
      25,
    );
  };
  await ready();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    pid: () => child.pid!,
    pause: () => process.kill(child.pid!, "SIGSTOP"),
    resume: () => process.kill(child.pid!, "SIGCONT"),
    async restart() {
      process.kill(child.pid!, "SIGKILL");
      await waitExit(child);
      child = spawn(REDIS_SERVER!, args, { stdio: "ignore" });
      await ready();
    },
    async stop() {
      try {
        process.kill(child.pid!, "SIGCONT");
        process.kill(child.pid!, "SIGKILL");
      } catch { /* already gone */ }
      await waitExit(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A connected node-redis client with errors swallowed (reconnects are expected in fault tests). */
export async function connect(url: string): Promise<ReturnType<typeof createClient>> {
  return await createClient({ url }).on("error", () => {}).connect() as ReturnType<
    typeof createClient
  >;
}

/**
 * Creates the ACL user `user` with every command and key but no pub/sub channel (its SSUBSCRIBE
 * gets NOPERM), through `admin`, and returns a connected client logged in as it.
 */
export async function connectWithoutChannels(
  url: string,
  admin: { sendCommand(args: string[]): Promise<unknown> },
  user: string,
): Promise<Awaited<ReturnType<typeof connect>>> {
  await admin.sendCommand(["ACL", "SETUSER", user, "on", "nopass", "~*", "+@all"]);
  await admin.sendCommand(["ACL", "SETUSER", user, "resetchannels"]);
  return await createClient({ url, username: user, password: "x" }).on("error", () => {})
    .connect() as Awaited<ReturnType<typeof connect>>;
}

/** Runs `fn` against a fresh server and a connected client; closes both whatever happens. */
export async function withServer(
  fn: (server: Server, c: Awaited<ReturnType<typeof connect>>) => Promise<void>,
): Promise<void> {
  const server = await startRedis();
  const c = await connect(server.url);
  try {
    await fn(server, c);
  } finally {
    await c.close().catch(() => {});
    await server.stop();
  }
}

/**
 * Resolves once `count` items of the Queue stream `stream` are pending under the consumer
 * "threadkit:returned" (handed back by a get that gave up after shutdown); rejects after 5 s.
 */
export async function untilHandedBack(
  admin: { sendCommand(args: string[]): Promise<unknown> },
  stream: string,
  count = 1,
): Promise<void> {
  await until(
    async () =>
      ((await admin.sendCommand([
        "XPENDING",
        stream,
        "g",
        "-",
        "+",
        "10",
        "threadkit:returned",
      ])) as unknown[]).length === count,
    5_000,
    "the item handed back",
  );
}

/** Starts a 3-master cluster on loopback; returns a connected cluster client and a stop(). */
export async function startCluster(): Promise<{
  // node-redis's cluster generics do not unify under exactOptionalPropertyTypes.
  client: any;
  stop(): Promise<void>;
}> {
  const ports = [await freePort(), await freePort(), await freePort()];
  const dir = mkdtempSync(join(tmpdir(), "threadkit-cluster-"));
  const children = ports.map((port) =>
    spawn(REDIS_SERVER!, [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      dir,
      "--save",
      "",
      "--appendonly",
      "no",
      "--cluster-enabled",
      "yes",
      "--cluster-config-file",
      `nodes-${port}.conf`,
      "--protected-mode",
      "no",
      "--loglevel",
      "warning",
    ], { stdio: "ignore" })
  );
  const stop = async () => {
    for (const c of children) {
      try {
        process.kill(c.pid!, "SIGKILL");
      } catch { /* gone */ }
    }
    await Promise.all(children.map(waitExit));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) {
      await until(
        async () => {
          try {
            const c = await createClient({
              url: `redis://127.0.0.1:${port}`,
              socket: { reconnectStrategy: false },
            })
              .on("error", () => {}).connect();
            await c.close();
            return true;
          } catch {
            return false;
          }
        },
        10_000,
        `cluster node ${port}`,
        25,
      );
    }
    const create = spawn(REDIS_CLI!, [
      "--cluster",
      "create",
      ...ports.map((p) => `127.0.0.1:${p}`),
      "--cluster-replicas",
      "0",
      "--cluster-yes",
    ], { stdio: "ignore" });
    const code = await new Promise<number | null>((resolve) => create.once("exit", resolve));
    if (code !== 0) throw new Error(`redis-cli --cluster create exited with ${code}`);
    // Wait until every node agrees the cluster is ok.
    for (const port of ports) {
      await until(
        async () => {
          const c = await createClient({ url: `redis://127.0.0.1:${port}` }).on("error", () => {})
            .connect();
          const info = String(await c.sendCommand(["CLUSTER", "INFO"]));
          await c.close();
          return info.includes("cluster_state:ok");
        },
        15_000,
        "cluster_state:ok",
        100,
      );
    }
    const client = createCluster({
      rootNodes: ports.map((p) => ({ url: `redis://127.0.0.1:${p}` })),
    });
    client.on("error", () => {});
    await client.connect();
    return {
      client,
      stop: async () => {
        await client.close().catch(() => {});
        await stop();
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The arguments that run a .ts file on the current runtime (process.execPath). */
function runtimeArgs(file: string): string[] {
  if ("Deno" in globalThis) return ["run", "-A", "--no-check", file];
  return [file];
}

/** A child process running one fixture operation. */
export interface Child<T = unknown> {
  readonly pid: number;
  /** The operation's result (rejects on its error, on exit without result, or on timeout). */
  readonly result: Promise<T>;
  /** Resolves when the child printed `event` (a line `{"event": ...}`). */
  event(name: string, timeoutMs?: number): Promise<unknown>;
  /** Sends a signal by PID (works on Node, Deno and Bun alike). */
  kill(signal?: NodeJS.Signals): void;
  /** Writes a line to the child's stdin (a "go" signal for scenarios). */
  send(line: string): void;
}

/** Starts `fixtures/child.ts` running `op` with `input` (JSON). */
export function spawnChild<T = unknown>(
  op: string,
  input: unknown,
  timeoutMs = TEST_TIMEOUT_MS,
): Child<T> {
  const file = FIXTURE.pathname;
  const child = spawn(process.execPath, [...runtimeArgs(file), op, JSON.stringify(input)], {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1" },
  });
  const events = new Map<string, unknown>();
  const eventWaiters = new Map<string, Array<(value: unknown) => void>>();
  let stderr = "";
  let buffered = "";
  let settled = false;
  let resolveResult!: (value: T) => void;
  let rejectResult!: (error: Error) => void;
  const result = new Promise<T>((resolve, reject) => {
    resolveResult = resolve;
    rejectResult = reject;
  });
  result.catch(() => {});
  const timer = setTimeout(() => {
    if (settled) return;
    settled = true;
    try {
      process.kill(child.pid!, "SIGKILL");
    } catch { /* gone */ }
    rejectResult(new Error(`child ${op} did not finish within ${timeoutMs} ms; stderr: ${stderr}`));
  }, timeoutMs);
  child.stderr!.on("data", (chunk) => (stderr += String(chunk)));
  child.stdout!.on("data", (chunk) => {
    buffered += String(chunk);
    let nl: number;
    while ((nl = buffered.indexOf("\n")) !== -1) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (!line.startsWith("{")) continue;
      let message: { event?: string; value?: unknown; ok?: boolean; error?: string };
      try {
        message = JSON.parse(line);
      } catch {
        continue;
      }
      if (message.event !== undefined) {
        events.set(message.event, message.value);
        for (const fn of eventWaiters.get(message.event) ?? []) fn(message.value);
        eventWaiters.delete(message.event);
      } else if (message.ok !== undefined && !settled) {
        settled = true;
        clearTimeout(timer);
        if (message.ok) resolveResult(message.value as T);
        else rejectResult(new Error(`child ${op} failed: ${message.error}`));
      }
    }
  });
  child.once("exit", (code, signal) => {
    clearTimeout(timer);
    if (settled) return;
    settled = true;
    rejectResult(
      new Error(`child ${op} exited (${code ?? signal}) without a result; stderr: ${stderr}`),
    );
  });
  return {
    pid: child.pid!,
    result,
    event(name, eventTimeout = timeoutMs) {
      if (events.has(name)) return Promise.resolve(events.get(name));
      return new Promise((resolve, reject) => {
        const t = setTimeout(
          () =>
            reject(
              new Error(
                `child ${op} did not report ${name} within ${eventTimeout} ms; stderr: ${stderr}`,
              ),
            ),
          eventTimeout,
        );
        const list = eventWaiters.get(name) ?? [];
        list.push((v) => {
          clearTimeout(t);
          resolve(v);
        });
        eventWaiters.set(name, list);
        result.catch((e) => {
          clearTimeout(t);
          reject(e);
        });
      });
    },
    kill(signal = "SIGKILL") {
      try {
        process.kill(child.pid!, signal);
      } catch { /* gone */ }
    },
    send(line) {
      child.stdin!.write(line + "\n");
    },
  };
}
