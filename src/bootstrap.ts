/**
 * The module every worker threadkit starts begins on: a `Thread`'s and a `ThreadPool`'s alike.
 * It waits for the start message, then:
 *
 * 1. adopts the parent's thread registry and takes the ident the parent drew for it, before
 *    anything in this worker can draw one, and records its identity (`currentThread()`);
 * 2. hands over to the runner the message names: a thread's (`thread/runner.ts`) or a pool
 *    worker's (`pool/runner.ts`, loaded only there).
 *
 * Liveness: the parent marks the worker LIFE_ALIVE in the registry before the worker exists
 * (`thread/spawn.ts`), not this bootstrap.
 *
 * The npm build emits this file as an entry of its own (`tsup.config.ts`); `bootstrapUrl()`
 * (`thread/spawn.ts`) finds it.
 *
 * @module
 */

import { adoptRegistry, assumeIdent } from "./internal/ident.ts";
import { runtime } from "./runtime/mod.ts";
import { isSpawnMessage, type StartMessage } from "./thread/protocol.ts";
import { isThreadStart, runThread } from "./thread/runner.ts";
import { setThreadSelf } from "./thread/self.ts";

const side = runtime.workerSide();

side.onStart(async (data) => {
  if (!isSpawnMessage(data)) {
    side.exit(70);
    return;
  }
  if (data.threadkit === "start" && !isThreadStart(data as StartMessage)) {
    side.exit(70);
    return;
  }
  // 1. Identity, before anything can draw an ident.
  adoptRegistry(data.registry);
  assumeIdent(data.ident);
  setThreadSelf({ ident: data.ident, name: data.name, daemon: data.daemon });
  // 2. The runner. Each holds the result port for the life of the worker (its crash hook refers
  // to it): on Deno, the parent learns of the worker's end from that port's `close`, which a
  // port that was collected never sends.
  if (data.threadkit === "pool") {
    await (await import("./pool/runner.ts")).runPoolWorker(data, side);
  } else {
    await runThread(data as StartMessage & { port: MessagePort }, side);
  }
});
