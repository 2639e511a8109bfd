/**
 * Starting a worker on threadkit's bootstrap, as `Thread` and `ThreadPool` both do: draw its
 * ident, record its name and liveness, make its state word, start it with the common start
 * fields, mark it ended, and say how it ended. Also the module-string resolution and the type
 * names their messages use.
 *
 * Liveness: the parent marks a worker LIFE_ALIVE in the registry before the worker exists (not
 * its bootstrap), so that no write of LIFE_ALIVE can ever follow a LIFE_ENDED written on an
 * early death, and a lock taken during module evaluation is already watched.
 *
 * @module
 */

import {
  drawIdentFor,
  LIFE_ALIVE,
  LIFE_ENDED,
  registryOf,
  setLife,
  setName,
} from "../internal/ident.ts";
import { registerBuiltinKinds } from "../kinds.ts";
import { runtime, type StartedWorker, type WorkerEvents } from "../runtime/mod.ts";
import { CODE, EXITED, NO_CODE, RUNNING, settleState, STATE } from "../runtime/state_word.ts";
import type { SpawnMessage } from "./protocol.ts";
import { recordMain } from "./registry.ts";

/**
 * The bootstrap's file relative to the module that resolves it once bundled: set by the npm
 * build (`tsup.config.ts`, esbuild `define`), where that module (in the shared chunk or
 * `mod.cjs`) and the bootstrap entry both land in `dist/`. Absent when the sources run unbuilt.
 */
declare const THREADKIT_BOOTSTRAP: string | undefined;

let bootstrap: URL | undefined;

/**
 * The bootstrap every worker starts on (`src/bootstrap.ts` unbuilt); a bundle that moves files
 * must emit `bootstrap` as an entry of its own and keep this URL pointing at it (define
 * `THREADKIT_BOOTSTRAP`), and likewise `src/bootstrap_shared.ts`, which the bootstrap imports on
 * demand from its own URL (define `THREADKIT_BOOTSTRAP_SHARED`; see `tsup.config.ts`). Computed
 * on first use, so that a build without `import.meta.url` (CommonJS) can still load threadkit.
 */
export function bootstrapUrl(): URL {
  return bootstrap ??= new URL(
    typeof THREADKIT_BOOTSTRAP === "string" ? THREADKIT_BOOTSTRAP : "../bootstrap.ts",
    import.meta.url,
  );
}

/**
 * Where `terminate()` cannot interrupt a worker (Deno), how long threadkit waits for the worker's
 * end, in ms, before it marks the worker ended all the same (`Thread.terminate()`, and a pool
 * worker killed for an aborted task, `pool/workers.ts`). A worker blocked in one of threadkit's
 * sync waits ends well within it (`SYNC_SLICE_MS`, `runtime/state_word.ts`).
 */
export const TERMINATE_GRACE_MS = 2000;

/** A worker drawn for starting: its ident, name and state word. */
export interface Spawned {
  readonly ident: number;
  readonly name: string;
  readonly state: Int32Array;
}

/**
 * Draws an ident for a worker named `name`, records its name, watches it (LIFE_ALIVE: a lock it
 * holds when it ends passes on with `OwnerDiedError`), and moves its state word to RUNNING.
 */
export function draw(name: string, state: Int32Array): Spawned {
  registerBuiltinKinds();
  recordMain();
  const ident = drawIdentFor();
  setName(ident, name);
  setLife(ident, LIFE_ALIVE);
  Atomics.store(state, STATE, RUNNING);
  return { ident, name, state };
}

/** The start message fields every worker gets. */
export function spawnFields(
  spawned: Spawned,
  module: string,
  daemon: boolean,
): Omit<SpawnMessage, "threadkit" | "port"> {
  return {
    registry: registryOf(),
    state: spawned.state.buffer as SharedArrayBuffer,
    ident: spawned.ident,
    name: spawned.name,
    daemon,
    module,
  };
}

/** Starts a worker on the bootstrap with `message`; the runtime reports to `events`. */
export function launch(message: SpawnMessage, events: WorkerEvents): StartedWorker {
  return runtime.start(bootstrapUrl(), message, {
    name: message.name,
    daemon: message.daemon,
  }, events);
}

/** Marks a worker ended: in the registry, and its state EXITED unless it had settled. */
export function markExited(spawned: Spawned, code: number | undefined): void {
  setLife(spawned.ident, LIFE_ENDED);
  settleState(spawned.state, EXITED, code ?? NO_CODE);
}

/**
 * How a worker that posted no outcome ended, for its death message: `exited with code N` when
 * the exit code is known (from the runtime's exit event, else the state word), else `unknown`.
 */
export function endedHow(state: Int32Array, code: number | undefined, unknown: string): string {
  const fromState = Atomics.load(state, CODE);
  const exitCode = code ?? (fromState === NO_CODE ? undefined : fromState);
  return exitCode === undefined ? unknown : `exited with code ${exitCode}`;
}

/** The type of a bad argument, for messages. */
export function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/** A value's type for a message: `a function`, `an object of class Foo`, `a symbol`, ... */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "function") return "a function";
  if (typeof value === "object") {
    const name = (value as object).constructor?.name;
    return name === undefined || name === "Object" || name === ""
      ? "a plain object"
      : `an object of class ${name}`;
  }
  return /^[aeiou]/.test(typeof value) ? `an ${typeof value}` : `a ${typeof value}`;
}

/**
 * Which argument of `args` cannot be cloned, for messages: `argument 1 (a function)`; `args`
 * when each clones alone (the runtime's message then says more). Runtimes disagree on their own
 * message (Bun: "The object can not be cloned"), so threadkit names the argument itself.
 */
export function unclonableArg(args: unknown): string {
  if (!Array.isArray(args)) return "args";
  for (let i = 0; i < args.length; i++) {
    try {
      structuredClone(args[i]);
    } catch {
      return `argument ${i} (${describeValue(args[i])})`;
    }
  }
  return "args";
}

/** The URL of a module given as a `URL` or a string (see `Runtime.resolveModule`). */
export function moduleUrl(module: unknown, what: string): string {
  if (module instanceof URL) return module.href;
  if (typeof module === "string") return runtime.resolveModule(module);
  throw new TypeError(
    `Cannot create ${what}: module must be a URL or a string, got ${typeOf(module)}`,
  );
}
