/**
 * The module every threadkit thread starts on. It waits for the start message, then:
 *
 * 1. adopts the parent's thread registry and takes the ident the parent drew for it, before
 *    anything in this thread can draw one, and records its identity (`currentThread()`);
 * 2. installs its crash and exit hooks, so that every way this thread can end is reported the
 *    same way on every runtime;
 * 3. imports the user's module, revives the primitives in `args`, and calls the chosen export
 *    (sync or async);
 * 4. reports the outcome: marks the thread ended in the registry (its held locks then pass to
 *    the next acquirer with `OwnerDiedError`), posts the result or error on the result port,
 *    then moves the state word from RUNNING to RETURNED/THREW and wakes its waiters;
 * 5. waits for the non-daemon threads it started itself, and ends the worker: a thread ends when
 *    its export settles, as a Python thread ends when its target returns (timers and callbacks
 *    still pending in the worker are dropped).
 *
 * Liveness: the parent marks the thread LIFE_ALIVE in the registry before the worker exists,
 * not this bootstrap: so no write of LIFE_ALIVE can ever follow a LIFE_ENDED written on the
 * thread's early death, and a lock taken during module evaluation is already watched.
 *
 * An uncaught error or an unhandled rejection anywhere in the thread before its export settles
 * ends the thread as if the export had thrown it (the runtimes disagree on what they do with
 * them: Node ends the worker with code 1, Bun with code 0 for a rejection, Deno's Web Worker
 * sends the parent an `error` event that would end the whole Deno process).
 *
 * @module
 */

import { adoptRegistry, assumeIdent, LIFE_ENDED, setLife } from "../internal/ident.ts";
import { containsHandle, revive, toWire } from "../internal/revive.ts";
import { childrenSettled, runtime, setThreadSelf } from "./mod.ts";
import {
  encodeError,
  EXITED,
  KILL,
  type ResultMessage,
  RETURNED,
  settleState,
  type StartMessage,
  THREW,
} from "./protocol.ts";

const side = runtime.workerSide();
let port: MessagePort;

function isStartMessage(data: unknown): data is StartMessage & { port: MessagePort } {
  const d = data as Partial<StartMessage> | null;
  return typeof d === "object" && d !== null && d.threadkit === "start" &&
    d.state instanceof SharedArrayBuffer && typeof d.ident === "number" &&
    typeof d.module === "string" &&
    typeof d.export === "string" && Array.isArray(d.args) && typeof d.port === "object" &&
    d.port !== null;
}

side.onStart(async (data) => {
  // A ThreadPool's worker: its task loop takes over (loaded only there; see `pool_worker.ts`).
  if ((data as { threadkit?: unknown } | null)?.threadkit === "pool") {
    await (await import("./pool_worker.ts")).runPoolWorker(data, side);
    return;
  }
  if (!isStartMessage(data)) {
    side.exit(70);
    return;
  }
  // 1. Identity, before anything can draw an ident.
  adoptRegistry(data.registry);
  assumeIdent(data.ident);
  setThreadSelf({ ident: data.ident, name: data.name, daemon: data.daemon });
  const state = new Int32Array(data.state);
  // Held for the life of the worker: on Deno, the parent learns of this worker's end from this
  // port's `close`, which a port that was collected never sends.
  port = data.port;

  // 4. The one way out, whoever gets there first.
  let settled = false;
  const report = (outcome: { ok: true; value: unknown } | { ok: false; error: unknown }) => {
    if (settled) return;
    settled = true;
    setLife(data.ident, LIFE_ENDED);
    if (Atomics.load(state, KILL) !== 0) {
      // Terminated while running (a runtime that ends workers only between tasks): no result.
      settleState(state, EXITED);
      side.exit(1);
      return;
    }
    let message: ResultMessage;
    if (outcome.ok) {
      message = { threadkit: "result", ok: true, value: undefined };
      try {
        message = { threadkit: "result", ok: true, value: toWire(outcome.value) };
        port.postMessage(message);
      } catch (error) {
        // The value cannot be cloned (a function, a class with private state, ...).
        const failure = new TypeError(
          `Cannot return the result of thread ${data.ident} ${JSON.stringify(data.name)}: ${
            (error as Error)?.message ?? String(error)
          }`,
          { cause: error },
        );
        outcome = { ok: false, error: failure };
      }
    }
    if (!outcome.ok) {
      message = { threadkit: "result", ok: false, error: encodeError(outcome.error, toWire) };
      port.postMessage(message);
    }
    settleState(state, outcome.ok ? RETURNED : THREW);
    // 5. Let this thread's own non-daemon threads finish, then end.
    void childrenSettled().then(() => side.exit(outcome.ok ? 0 : 1));
  };

  // 2. Hooks.
  side.onCrash((error) => report({ ok: false, error }));
  side.onExit((code) => {
    // An exit call (process.exit, Deno.exit) before the export settled: the thread is gone and
    // posts nothing; say so in shared memory while this thread still runs.
    if (settled) return;
    settled = true;
    setLife(data.ident, LIFE_ENDED);
    settleState(state, EXITED, code);
  });

  // 3. Run.
  try {
    const mod = await import(data.module) as Record<string, unknown>;
    const fn = mod[data.export];
    if (typeof fn !== "function") {
      throw new TypeError(
        `Cannot run thread: module ${data.module} has no function export ${
          JSON.stringify(data.export)
        }` +
          (data.export in mod ? ` (it is ${typeof fn})` : ""),
      );
    }
    // The primitives' modules are loaded only for arguments that hold primitives (on Node each
    // `.ts` module loaded costs the worker's start-up a few ms of type stripping).
    if (containsHandle(data.args)) (await import("./kinds.ts")).registerBuiltinKinds();
    const args = revive(data.args) as unknown[];
    const value = await fn(...args);
    report({ ok: true, value });
  } catch (error) {
    report({ ok: false, error });
  }
});
