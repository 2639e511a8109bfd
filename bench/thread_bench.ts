/**
 * Thread start→join (P6): `thread.start-join-dist` beside `platform.worker-start-exit-js`, and
 * the unbuilt sources' `thread.start-join` beside `platform.worker-start-exit`.
 *
 * - `thread.start-join-dist` (P6, what an npm consumer gets): `Thread` of the tsup build, whose
 *   workers load only JavaScript (`dist/bootstrap.js` and its chunks, `fixtures/thread_task.mjs`).
 *   `bench/run.ts` builds it (ESM, no types) into a scratch dir for --quick and full runs and
 *   names it in `THREADKIT_BENCH_DIST`; without that variable (--smoke, or `runtime.ts` alone)
 *   the case says so and does not run. Its baseline, `platform.worker-start-exit-js`, is the raw
 *   worker below with a plain JavaScript module (`fixtures/message_worker.mjs`).
 * - `thread.start-join`: `new Thread(module, { args: [i] }).start()`, then `await join()`, one
 *   thread after another, from the unbuilt `.ts` sources (every worker type-strips or transpiles
 *   the bootstrap's modules); the module (`fixtures/thread_task.ts`) is a default export
 *   returning `i + 1`. `join()` resolves with the thread's result, which its bootstrap posts just
 *   before the worker ends.
 * - `platform.worker-start-exit` (the P6 baseline): a raw worker of the kind `Thread` uses on
 *   this runtime (`src/runtime/mod.ts`: Node `node:worker_threads`, Deno and Bun Web Worker) runs
 *   `fixtures/message_worker.ts`; the parent waits for its first message (a small value) and
 *   then for its end: Node's `exit` event, Bun's `close` event, and on Deno, whose Web Worker
 *   reports no end at all, the `close` of a `node:worker_threads` port the worker holds (what
 *   threadkit's Deno adapter listens to as well). One worker after another.
 * - `platform.worker-start` (earlier baseline, kept for reference): an empty module; Node waits
 *   for its `exit` (no message); Deno and Bun wait for its one message, then `terminate()` it
 *   without waiting for its end. It is not "start → first message → exit" on any runtime, so
 *   P6 is not measured against it.
 *
 * @module
 */

import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Thread } from "../mod.ts";
import { RUNTIME } from "./harness/env.ts";
import { StallError } from "./harness/control.ts";
import type { Case, Target } from "./harness/types.ts";

const EMPTY = new URL("./fixtures/empty_worker.ts", import.meta.url);
const MESSAGE = new URL("./fixtures/message_worker.ts", import.meta.url);
const MESSAGE_JS = new URL("./fixtures/message_worker.mjs", import.meta.url);
const TASK = new URL("./fixtures/thread_task.ts", import.meta.url);
const TASK_JS = new URL("./fixtures/thread_task.mjs", import.meta.url);

/** Why the dist/ rows do not run: no build was named. */
function noDist(): string | undefined {
  return distDir() === undefined
    ? "no dist/ build: bench/run.ts builds one for --quick and full runs (THREADKIT_BENCH_DIST names it)"
    : undefined;
}

/** The directory of the dist/ build to measure (set by `bench/run.ts`), or `undefined`. */
function distDir(): string | undefined {
  const g = globalThis as any;
  const dir: string | undefined = g.process?.env?.THREADKIT_BENCH_DIST ??
    g.Deno?.env.get("THREADKIT_BENCH_DIST");
  return dir === undefined || dir === "" ? undefined : dir;
}
const WebWorker: any = (globalThis as any).Worker;
const STALL_MS = 30_000;

/** Runs `body` with a promise that rejects after STALL_MS with a message naming `name`. */
async function bounded(name: string, body: (stall: Promise<never>) => Promise<void>) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stall = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new StallError(`${name}: a worker did not end within ${STALL_MS / 1000} s`)),
      STALL_MS,
    );
  });
  try {
    await body(stall);
  } finally {
    clearTimeout(timer);
  }
}

/** `platform.worker-start`: starts one worker and resolves when it has ended (or run). */
function startAndJoin(): Promise<void> {
  return bounded("platform.worker-start", async (stall) => {
    if (RUNTIME === "node") {
      const { Worker } = await import("node:worker_threads");
      const worker = new Worker(EMPTY);
      await Promise.race([
        new Promise<void>((resolve, reject) => {
          worker.once("exit", () => resolve());
          worker.once("error", reject);
        }),
        stall,
      ]);
      return;
    }
    const worker = new WebWorker(EMPTY.href, { type: "module" });
    await Promise.race([
      new Promise<void>((resolve, reject) => {
        worker.onmessage = () => resolve();
        worker.onerror = (event: any) => {
          event.preventDefault?.();
          reject(new Error(`platform.worker-start: ${event.message}`));
        };
      }),
      stall,
    ]);
    worker.terminate();
  });
}

/**
 * `platform.worker-start-exit` (`.ts` module) and `-js` (`.mjs`): starts one raw worker on
 * `module`, waits for its first message and then for its end. Both listeners are set before the
 * worker runs: Node may report the message and the exit in one turn of its event loop.
 */
export function startMessageExit(module: URL, name: string): Promise<void> {
  const check = (value: unknown) => {
    if (value !== 42) throw new Error(`${name}: the worker posted ${value}, expected 42`);
  };
  return bounded(name, async (stall) => {
    if (RUNTIME === "node") {
      const { Worker } = await import("node:worker_threads");
      const worker = new Worker(module);
      let value: unknown;
      await Promise.race([
        new Promise<void>((resolve, reject) => {
          worker.once("message", (data) => (value = data));
          worker.once("exit", () => resolve());
          worker.once("error", reject);
        }),
        stall,
      ]);
      check(value);
      return;
    }
    const worker = new WebWorker(module.href, { type: "module" });
    const failed = new Promise<never>((_, reject) => {
      worker.onerror = (event: any) => {
        event.preventDefault?.();
        reject(new Error(`${name}: ${event.message}`));
      };
    });
    if (RUNTIME === "bun") {
      let value: unknown;
      const ended = new Promise<void>((resolve) => {
        worker.onmessage = (event: MessageEvent) => (value = event.data);
        worker.addEventListener("close", () => resolve(), { once: true });
      });
      await Promise.race([ended, failed, stall]);
      check(value);
      return;
    }
    // Deno: the end is the `close` of the port the worker holds.
    const { MessageChannel } = await import("node:worker_threads");
    const { port1, port2 } = new MessageChannel();
    let value: unknown;
    const ended = new Promise<void>((resolve) => {
      port1.once("message", (data) => (value = data));
      port1.once("close", () => resolve());
    });
    worker.postMessage(port2, [port2]);
    await Promise.race([ended, failed, stall]);
    check(value);
  });
}

/**
 * P6: Thread start→join from dist/ within 10% of the raw worker's start → first message → exit
 * (both plain JavaScript); the unbuilt sources are reported beside it without a target.
 */
const P6: Target = { id: "P6", max: 1.1, text: "≤ 1.1× raw worker start → message → exit" };

/** A `main` case that calls `once(i)` n times, one after another. */
function sequential(once: (i: number) => Promise<void>) {
  let i = 0;
  return () =>
    Promise.resolve({
      async run(n: number) {
        for (let k = 0; k < n; k++) await once(i++);
      },
      close: () => Promise.resolve(),
    });
}

export const cases: Case[] = [
  {
    kind: "main",
    name: "thread.start-join",
    title: "new Thread(trivial module, { args }).start(), then await join(), one after another",
    role: "subject",
    group: "startup",
    unit: "ns/thread",
    compare: [{ baseline: "platform.worker-start-exit", tag: "P6" }],
    minIterations: 1,
    maxIterations: 2_000,
    setup: sequential(async (i) => {
      const thread = new Thread<number>(TASK, { args: [i] });
      thread.start();
      // A join that times out throws TimeoutError, which fails the case with its message.
      const value = await thread.join({ timeout: STALL_MS });
      if (value !== i + 1) throw new Error(`thread.start-join: got ${value}, expected ${i + 1}`);
    }),
  },
  {
    kind: "main",
    name: "thread.start-join-dist",
    title:
      "the same with Thread from the tsup build (dist/bootstrap.js, a .mjs thread module): what npm consumers run",
    role: "subject",
    group: "startup",
    unit: "ns/thread",
    compare: [{ baseline: "platform.worker-start-exit-js", target: P6 }],
    minIterations: 1,
    maxIterations: 2_000,
    skip: noDist,
    async setup() {
      const url = pathToFileURL(join(distDir()!, "mod.js"));
      const { Thread: DistThread } = await import(url.href) as { Thread: typeof Thread };
      return sequential(async (i) => {
        const thread = new DistThread<number>(TASK_JS, { args: [i] });
        thread.start();
        const value = await thread.join({ timeout: STALL_MS });
        if (value !== i + 1) {
          throw new Error(`thread.start-join-dist: got ${value}, expected ${i + 1}`);
        }
      })();
    },
  },
  {
    kind: "main",
    name: "platform.worker-start-exit",
    title: "start a raw worker (Thread's kind), take its first message, wait for its end",
    role: "platform",
    group: "startup",
    unit: "ns/thread",
    minIterations: 1,
    maxIterations: 2_000,
    setup: sequential(() => startMessageExit(MESSAGE, "platform.worker-start-exit")),
  },
  {
    kind: "main",
    name: "platform.worker-start-exit-js",
    title: "the same raw worker on a plain JavaScript module (.mjs)",
    role: "platform",
    group: "startup",
    unit: "ns/thread",
    minIterations: 1,
    maxIterations: 2_000,
    // Only the baseline of thread.start-join-dist: not run without it (keeps --smoke as fast).
    skip: noDist,
    setup: sequential(() => startMessageExit(MESSAGE_JS, "platform.worker-start-exit-js")),
  },
  {
    kind: "main",
    name: "platform.worker-start",
    title:
      "start a raw worker (empty module): Node until its exit; Deno, Bun until its message, then terminate()",
    role: "platform",
    group: "startup",
    unit: "ns/thread",
    minIterations: 1,
    maxIterations: 2_000,
    setup: sequential(startAndJoin),
  },
];
