/**
 * The end-of-file check of Node's test runner (`npm run test:node` loads it with `--import` into
 * every test file's process): no async wait of the main thread may still be pending when a
 * file's tests have ended.
 *
 * Why: a pending async wait holds its thread's keep-alive (`src/internal/futex.ts`), so a test
 * that fails while its own wait is pending (an assertion between the call and the `await`, with
 * the lock it waits for never released) left the file's process alive for ever, and the CI run
 * hung instead of failing (seen once: `tests/rwlock_test.ts`, a write that started starving
 * within its first call on a loaded machine). Here such a file fails with the waits named, and
 * its process ends. Anything else that holds a file's process after its last test (a worker
 * never joined, a timer left open) fails it after `EXIT_GRACE_MS`, naming what is open.
 */
import { after } from "node:test";
import { isMainThread } from "node:worker_threads";
import {
  describePendingWaits,
  pendingAsyncWaits,
  trackPendingWaits,
} from "../src/internal/futex.ts";

// Workers inherit `--import`: there this check would make a test root of its own in every worker
// (a `1..0` line each in the file's output, and ~50-70 ms more to start and end one, found by
// review). The tests' workers are bounded by their own timeouts.
if (isMainThread) check();

/** How long a wait may take to settle after the last test (an abort's rejection, a timeout's). */
const SETTLE_MS = 2_000;
/** How long a failed file's process may take to report before it is ended. */
const EXIT_AFTER_MS = 2_000;
/**
 * How long a file's process may stay alive after its last test when no wait is pending (its
 * workers ending, handles closing): past it, something holds the process (a worker never
 * joined, a timer or socket left open) and the file fails, naming what is still open, instead
 * of hanging the run. `TK_EXIT_GRACE_MS` sets it (the test of this check).
 */
const EXIT_GRACE_MS = Number(process.env.TK_EXIT_GRACE_MS ?? 30_000);

function check(): void {
  trackPendingWaits();
  after(settled);
}

async function settled(): Promise<void> {
  const since = performance.now();
  while (pendingAsyncWaits() !== 0 && performance.now() - since < SETTLE_MS) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const pending = pendingAsyncWaits();
  if (pending === 0) {
    // Unref'd: it fires only if something else holds the process that long.
    setTimeout(() => {
      process.stderr.write(
        `${process.argv[1]}: the process is still alive ${EXIT_GRACE_MS} ms after its last ` +
          `test; open: ${JSON.stringify(process.getActiveResourcesInfo())}\n`,
      );
      process.exit(1);
    }, EXIT_GRACE_MS).unref();
    return;
  }
  // The keep-alive would hold the process: end it once the runner has reported (this timer,
  // unref'd, fires only if something still holds the process then).
  setTimeout(() => process.exit(1), EXIT_AFTER_MS).unref();
  const waits = describePendingWaits().map((line) => `\n  - ${line}`).join("");
  throw new Error(
    `${pending} async wait(s) of the main thread still pending when the tests of ` +
      `${process.argv[1]} ended (a test left a wait behind):${waits}`,
  );
}
