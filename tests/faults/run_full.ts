/**
 * Full mode of the random-kill suite: 200 trials per primitive on the runtime that runs it.
 *
 *     node tests/faults/run_full.ts
 *     deno run -A tests/faults/run_full.ts
 *     bun tests/faults/run_full.ts
 *
 * Environment: `THREADKIT_FAULTS_SEED` (replay), `THREADKIT_FAULTS_ONLY=lock,queue` (some
 * primitives), `THREADKIT_FAULTS_TRIALS` (default 200), `THREADKIT_FAULTS_STUCK_MS` (default
 * 1000). Prints the seed first; a failure prints how to replay it and exits with code 1.
 *
 * @module
 */

import { faultsEnv, runFaults } from "./suite.ts";

const env = faultsEnv();
const processRef = (globalThis as unknown as {
  process: { env: Record<string, string | undefined>; exit(code: number): never };
}).process;
const trials = Number(processRef.env.THREADKIT_FAULTS_TRIALS ?? 200);
console.log(`faults (full): seed ${env.seed}, ${trials} trials per primitive`);
let failed = false;
for (const primitive of env.only) {
  try {
    const stats = await runFaults(primitive, {
      trials,
      seed: env.seed,
      stuckMs: env.stuckMs,
      log: (line) => {
        if (/ (\d+)\//.exec(line)?.[1]?.endsWith("0")) console.log(line);
      },
    });
    console.log(
      `faults: ${primitive}: ${stats.trials} trials, ${stats.kills} kills, ` +
        `${stats.ownerDied} OwnerDiedError, ${stats.rolledBack} rolled back, ${stats.ops} ops, ` +
        `longest wait ${stats.maxWaitMs.toFixed(0)} ms, ${(stats.ms / 1000).toFixed(1)} s`,
    );
  } catch (error) {
    failed = true;
    console.error(error instanceof Error ? error.message : error);
  }
}
processRef.exit(failed ? 1 : 0);
