/**
 * The Redis benchmarks' child processes and what they read about processes from /proc (Linux):
 * one {@link BenchChild} class for `section.ts`, `queue_ab.ts` and `role_cpu.ts`.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/** This tree's benchmark child (`child.ts`). */
export const CHILD_FILE = fileURLToPath(new URL("./child.ts", import.meta.url));

/**
 * A benchmark child process speaking JSON lines (see `child.ts`): `send` a command, read its
 * answers in order with `next` (each bounded by `waitMs`) or `result`.
 */
export class BenchChild {
  readonly process: ChildProcess;
  readonly #lines: unknown[] = [];
  readonly #waiters: Array<(line: unknown) => void> = [];
  readonly #waitMs: number;
  #stderr = "";

  /**
   * @param url The Redis server's URL, passed to the child.
   * @param options `file`: the child module (default {@link CHILD_FILE}; another tree's for an
   * A/B); `flags`: Node flags before it (e.g. `--cpu-prof`); `waitMs`: the longest `next` waits.
   */
  constructor(
    url: string,
    options: { file?: string | undefined; flags?: string[]; waitMs?: number } = {},
  ) {
    this.#waitMs = options.waitMs ?? 60_000;
    this.process = spawn(
      process.execPath,
      [...(options.flags ?? []), options.file ?? CHILD_FILE, url],
      { stdio: ["pipe", "pipe", "pipe"] },
    );
    this.process.stderr!.on(
      "data",
      (chunk) => (this.#stderr = (this.#stderr + chunk).slice(-2_000)),
    );
    createInterface({ input: this.process.stdout! }).on("line", (line) => {
      if (!line.startsWith("{")) return;
      const value = JSON.parse(line);
      const waiter = this.#waiters.shift();
      if (waiter !== undefined) waiter(value);
      else this.#lines.push(value);
    });
  }

  /** The next line, within `waitMs`. */
  next(): Promise<any> {
    const line = this.#lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const at = this.#waiters.indexOf(done);
        if (at !== -1) this.#waiters.splice(at, 1);
        reject(
          new Error(
            `redis bench child gave no answer within ${this.#waitMs} ms; stderr: ${this.#stderr}`,
          ),
        );
      }, this.#waitMs);
      const done = (value: unknown) => {
        clearTimeout(timer);
        resolve(value);
      };
      this.#waiters.push(done);
    });
  }

  /** The next line, which must be a successful reply; its value. */
  async result(): Promise<any> {
    const line = await this.next();
    if (line.ok === false) throw new Error(`redis bench child failed: ${line.error}`);
    return line.value;
  }

  send(command: Record<string, unknown>): void {
    this.process.stdin!.write(JSON.stringify(command) + "\n");
  }

  kill(): void {
    try {
      process.kill(this.process.pid!, "SIGKILL");
    } catch { /* gone */ }
  }
}

/** CPU time (user + system) of a process so far, in µs (clock ticks of 10 ms). */
export function cpuOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/** Voluntary context switches of a process so far: the times it slept (about one per wake-up). */
export function sleepsOf(pid: number): number {
  return Number(
    /\nvoluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1],
  );
}
