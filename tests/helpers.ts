/**
 * Test helpers: run fixture operations in real worker threads, with every wait bounded.
 *
 * Workers are started with `node:worker_threads`, which Node, Deno and Bun all provide, so the
 * same test runs on all three. A worker runs one named operation of `fixtures/ops.ts` with the
 * given input (handles are plain data and cross `workerData` as they would any `postMessage`).
 */

import { Worker } from "node:worker_threads";
import { test } from "node:test";
import { setLanes } from "../src/queue/lane.ts";

/** Every cross-thread test gives up after this long, so a bug fails instead of hanging CI. */
export const TEST_TIMEOUT_MS = 60_000;

const OPS_URL = new URL("./fixtures/ops.ts", import.meta.url);

/** A worker running one fixture operation. */
export interface Running<T = unknown> {
  /** Resolves with the operation's result; rejects with its error or on timeout. */
  result: Promise<T>;
  /** The raw worker (to post messages or terminate it). */
  worker: Worker;
}

/**
 * Starts a worker that runs `ops[op](input)` and reports the result. `url` picks another
 * operations module with the same dispatch (default `fixtures/ops.ts`).
 */
export function spawn<T = unknown>(
  op: string,
  input: unknown,
  timeoutMs = TEST_TIMEOUT_MS,
  url: URL = OPS_URL,
): Running<T> {
  const worker = new Worker(url, { workerData: { op, input } });
  const result = new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      reject(new Error(`worker op ${op} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    const done = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    worker.on(
      "message",
      (
        message: {
          ok: boolean;
          value?: T;
          error?: { name: string; message: string; stack?: string };
        },
      ) => {
        if (message === null || typeof message !== "object" || !("ok" in message)) return;
        if (message.ok) done(() => resolve(message.value as T));
        else {
          const error = new Error(
            `${message.error?.name}: ${message.error?.message}\n${message.error?.stack ?? ""}`,
          );
          done(() => reject(error));
        }
      },
    );
    worker.on("error", (error) => done(() => reject(error)));
    worker.on(
      "exit",
      (code) =>
        done(() => reject(new Error(`worker op ${op} exited with code ${code} before reporting`))),
    );
  });
  return { result, worker };
}

/** Runs `op` in `count` workers (input per index) and waits for all results. */
export function runAll<T = unknown>(
  op: string,
  count: number,
  input: (index: number) => unknown,
  timeoutMs = TEST_TIMEOUT_MS,
  url: URL = OPS_URL,
): Promise<T[]> {
  const running = Array.from({ length: count }, (_, i) => spawn<T>(op, input(i), timeoutMs, url));
  return Promise.all(running.map((r) => r.result));
}

/** Resolves after `ms` (for letting workers reach a wait; never for correctness). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `predicate` until it holds, failing after `timeoutMs`. Used to wait until workers are
 * provably parked (e.g. a waiter count) instead of sleeping a guessed time.
 */
export async function until(
  predicate: () => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(2);
  }
}

/** Counts this thread's `Atomics.notify` calls on `buffer` while `f` runs. */
export function notifiesOn(buffer: ArrayBufferLike, f: () => void): number {
  const original = Atomics.notify;
  let n = 0;
  (Atomics as { notify: typeof Atomics.notify }).notify = (i32, index, count) => {
    if (i32.buffer === buffer) n++;
    return original(i32 as Int32Array, index, count);
  };
  try {
    f();
  } finally {
    (Atomics as { notify: typeof Atomics.notify }).notify = original;
  }
  return n;
}

/**
 * Runs `f` (which may await) while counting this thread's notifies of slot `slot` of `h`'s
 * buffer (`h` starts at the primitive's first slot), and those sent while slot `lock` of `h`
 * (its internal lock word) was held: `locked`.
 */
export async function slotWakes(
  h: Int32Array,
  slot: number,
  lock: number,
  f: () => unknown,
): Promise<{ wakes: number; locked: number }> {
  const counter = countSlotWakes(h, slot, lock);
  try {
    await f();
  } finally {
    counter.stop();
  }
  return counter.counts;
}

/**
 * {@link slotWakes} for a synchronous `f`: counts only what `f` itself sent, not what this
 * thread's async waits it woke (self-wakes, a microtask later) send once they run.
 */
export function slotWakesSync(
  h: Int32Array,
  slot: number,
  lock: number,
  f: () => void,
): { wakes: number; locked: number } {
  const counter = countSlotWakes(h, slot, lock);
  try {
    f();
  } finally {
    counter.stop();
  }
  return counter.counts;
}

function countSlotWakes(h: Int32Array, slot: number, lock: number) {
  const original = Atomics.notify;
  const counts = { wakes: 0, locked: 0 };
  (Atomics as { notify: typeof Atomics.notify }).notify = (i32, index, count) => {
    if (i32.buffer === h.buffer && (i32.byteOffset - h.byteOffset) / 4 + index === slot) {
      counts.wakes++;
      if (Atomics.load(h, lock) !== 0) counts.locked++;
    }
    return original(i32 as Int32Array, index, count);
  };
  return {
    counts,
    stop: () => {
      (Atomics as { notify: typeof Atomics.notify }).notify = original;
    },
  };
}

/** How many `Atomics.wait` calls on `buffer` `f` made. */
export function waitsOn<T>(buffer: ArrayBufferLike, f: () => T): { value: T; waits: number } {
  const original = Atomics.wait;
  let waits = 0;
  (Atomics as { wait: typeof Atomics.wait }).wait = (i32, index, value, ms) => {
    if (i32.buffer === buffer) waits++;
    return original(i32 as Int32Array, index, value as number, ms);
  };
  try {
    return { value: f(), waits };
  } finally {
    (Atomics as { wait: typeof Atomics.wait }).wait = original;
  }
}

/**
 * Runs `take` (an acquire of `lock`, sync) while a worker holds `lock`; the worker releases it
 * once a wait has set PARKED on its word, which a slow path does before it watches or sleeps.
 * Returns `take`'s value and how many `Atomics.wait` calls it made on the lock's buffer.
 */
export async function whileHeldElsewhere<T>(
  lock: { handle: { buffer: ArrayBufferLike } },
  take: () => T,
): Promise<{ value: T; waits: number }> {
  const started = new SharedArrayBuffer(4);
  const holder = spawn("releaseWhenWaited", { handle: lock.handle, started });
  await until(() => Atomics.load(new Int32Array(started), 0) === 1, "the worker holds it");
  const seen = waitsOn(lock.handle.buffer, take);
  await holder.result;
  return seen;
}

/**
 * Imports a copy of this library's source (`mod.ts`, `src/`) written to a temporary directory,
 * with `edit(file, source)` applied to each of `files` (paths under `src/`): an earlier threadkit
 * copy, simulated, for tests of copies meeting in one thread.
 */
export async function importEditedCopy<M>(
  files: string[],
  edit: (file: string, source: string) => string,
): Promise<M> {
  const { cpSync, mkdtempSync, readFileSync, writeFileSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const { fileURLToPath, pathToFileURL } = await import("node:url");
  const root = fileURLToPath(new URL("..", import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), "threadkit-earlier-"));
  cpSync(join(root, "mod.ts"), join(dir, "mod.ts"));
  cpSync(join(root, "src"), join(dir, "src"), { recursive: true });
  writeFileSync(join(dir, "package.json"), '{ "type": "module" }\n');
  for (const file of files) {
    const path = join(dir, "src", file);
    writeFileSync(path, edit(file, readFileSync(path, "utf8")));
  }
  return await import(pathToFileURL(join(dir, "mod.ts")).href) as M;
}

/**
 * Gets from `queue` until it is empty (at most what it held and 10 more: a broken queue fails
 * fast instead of looping), for tests that check what a queue holds after a death.
 */
export function drain<T>(queue: { qsize(): number; getNowait(): T }): T[] {
  const items: T[] = [];
  const most = queue.qsize() + 10;
  while (items.length < most) {
    try {
      items.push(queue.getNowait());
    } catch (error) {
      if ((error as Error).name === "QueueEmptyError") return items;
      throw error;
    }
  }
  throw new Error(`drain: more items than the queue held (${items.length})`);
}

/**
 * Puts `f0`, `f1`, … (records of 8 bytes) until `queue` is full (`putNowait` throws; at most 64):
 * the items put, for tests of a queue bounded by its bytes.
 */
export function fillWithSmallItems(queue: { putNowait(item: string): void }): string[] {
  const fillers: string[] = [];
  for (let i = 0; i < 64; i++) {
    try {
      queue.putNowait(`f${i}`);
    } catch {
      break;
    }
    fillers.push(`f${i}`);
  }
  return fillers;
}

/**
 * `test`, with the queues the test creates starting without the SPSC lane (`src/queue/lane.ts`,
 * `setLanes`): for tests that read or drive the locked paths' internals (the lock word, the
 * undo journal, the waiter counts and seqs, growth). Restored when the test ends; tests of one
 * process run one at a time here (`--test-concurrency=1`, Deno's and Bun's default).
 */
export function lockedTest(name: string, fn: () => unknown): void {
  test(name, async () => {
    setLanes(false);
    try {
      await fn();
    } finally {
      setLanes(true);
    }
  });
}

/** How `promise` settles within `ms` ("resolved <value>", "rejected <message>"), or "pending". */
export function settleWithin(promise: Promise<unknown>, ms: number): Promise<string> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise.then((value) => `resolved ${value}`, (error) => `rejected ${(error as Error).message}`),
    new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve("pending"), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
