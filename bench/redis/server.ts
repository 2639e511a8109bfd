/**
 * A private `redis-server` on a free loopback port for the Redis benchmark scripts (the section
 * of `npm run bench` and the A/B probes): no persistence, its own temporary directory, stopped
 * by PID. The tests start theirs with `tests/redis/helpers.ts` (which also builds clusters and
 * shares `freePort`).
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A free TCP port on 127.0.0.1 (bound, read, released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        resolve(typeof address === "object" && address !== null ? address.port : 0)
      );
    });
  });
}

/** A started server: its URL, process, and `stop()` (SIGKILL, then removes its directory). */
export interface BenchServer {
  url: string;
  process: ChildProcess;
  stop(): void;
}

/**
 * Starts `binary` (default `redis-server` from PATH) on a free loopback port with `--save ""
 * --appendonly no` in a new temporary directory named after `prefix`. Does not wait for it to
 * accept connections: callers connect with retries.
 */
export async function startBenchServer(
  prefix: string,
  binary = "redis-server",
): Promise<BenchServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const child = spawn(binary, [
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
  ], { stdio: "ignore" });
  return {
    url: `redis://127.0.0.1:${port}`,
    process: child,
    stop() {
      try {
        process.kill(child.pid!, "SIGKILL");
      } catch { /* gone */ }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
