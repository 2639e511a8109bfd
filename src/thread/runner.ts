/**
 * A thread's side of its run, once the bootstrap (`src/bootstrap.ts`) has set its identity:
 *
 * 1. installs its crash and exit hooks, so that every way this thread can end is reported the
 *    same way on every runtime;
 * 2. imports the user's module, revives the primitives in `args`, and calls the chosen export
 *    (sync or async);
 * 3. reports the outcome: marks the thread ended in the registry (its held locks then pass to
 *    the next acquirer with `OwnerDiedError`), posts the result or error on the result port,
 *    then moves the state word from RUNNING to RETURNED/THREW and wakes its waiters;
 * 4. waits for the non-daemon threads it started itself, and ends the worker: a thread ends when
 *    its export settles, as a Python thread ends when its target returns (timers and callbacks
 *    still pending in the worker are dropped).
 *
 * An uncaught error or an unhandled rejection anywhere in the thread before its export settles
 * ends the thread as if the export had thrown it (the runtimes disagree on what they do with
 * them: Node ends the worker with code 1, Bun with code 0 for a rejection, Deno's Web Worker
 * sends the parent an `error` event that would end the whole Deno process).
 *
 * @module
 */

import { LIFE_ENDED, setLife } from "../internal/ident.ts";
import { containsHandle, toWire } from "../internal/revive.ts";
import { setSyncGuard } from "../internal/futex.ts";
import { runtime, type WorkerSide } from "../runtime/mod.ts";
import {
  EXITED,
  KILL,
  RETURNED,
  settleState,
  SYNC_SLICE_MS,
  THREW,
} from "../runtime/state_word.ts";
import { encodeError, type ResultMessage, type StartMessage } from "./protocol.ts";
import { childrenSettled } from "./self.ts";

/** Whether a start message carries a thread's own fields. */
export function isThreadStart(data: StartMessage): boolean {
  return typeof data.export === "string" && Array.isArray(data.args);
}

/**
 * Runs a thread: called by the bootstrap with the `"start"` message, identity already set.
 * `reviveArgs` revives the primitives in arguments that hold handles (the bootstrap loads it
 * on demand, from the copy of threadkit the user's module shares: `bootstrap_shared.ts`).
 */
export async function runThread(
  data: StartMessage & { port: MessagePort },
  side: WorkerSide,
  reviveArgs: (args: readonly unknown[]) => Promise<unknown[]>,
): Promise<void> {
  const state = new Int32Array(data.state);
  const port = data.port;

  // 3. The one way out, whoever gets there first.
  let settled = false;
  /** Ends a thread its parent terminated, posting nothing (a runtime that ends workers late). */
  const endKilled = () => {
    settled = true;
    setLife(data.ident, LIFE_ENDED);
    settleState(state, EXITED);
    side.exit(1);
  };
  const report = (outcome: { ok: true; value: unknown } | { ok: false; error: unknown }) => {
    if (settled) return;
    if (Atomics.load(state, KILL) !== 0) {
      // Terminated while running (a runtime that ends workers only between tasks): no result.
      endKilled();
      return;
    }
    settled = true;
    setLife(data.ident, LIFE_ENDED);
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
    // 4. Let this thread's own non-daemon threads finish, then end.
    void childrenSettled().then(() => side.exit(outcome.ok ? 0 : 1));
  };

  // 1. Hooks.
  if (!runtime.terminateInterrupts) {
    // Deno's terminate() does not interrupt Atomics.wait: slice threadkit's sync waits and read
    // the terminate request between slices, so a thread blocked in one ends within a slice.
    setSyncGuard(SYNC_SLICE_MS, () => {
      if (Atomics.load(state, KILL) === 0) return;
      endKilled();
      // Not reached where exiting stops the worker at once (measured on Deno, both workers);
      // elsewhere, unwind the wait rather than sleep on.
      throw new Error(`Thread ${data.ident} ${JSON.stringify(data.name)} was terminated`);
    });
  }
  side.onCrash((error) => report({ ok: false, error }));
  side.onExit((code) => {
    // An exit call (process.exit, Deno.exit) before the export settled: the thread is gone and
    // posts nothing; say so in shared memory while this thread still runs.
    if (settled) return;
    settled = true;
    setLife(data.ident, LIFE_ENDED);
    settleState(state, EXITED, code);
  });

  // 2. Run.
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
    // `.ts` module loaded costs the worker's start-up a few ms of type stripping; from dist/,
    // the bootstrap's one file does without them). Arguments without a handle are as the start
    // message's structured clone made them: reviving them would only copy them.
    const args = containsHandle(data.args) ? await reviveArgs(data.args) : data.args;
    const value = await fn(...args);
    report({ ok: true, value });
  } catch (error) {
    report({ ok: false, error });
  }
}
