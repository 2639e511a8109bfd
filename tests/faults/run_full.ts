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
 * Trials run in child processes of 100 trials each (500 threads): a process tracks the death of
 * its first 1023 thread idents only, and idents are never reused (`src/internal/ident.ts`).
 *
 * @module
 */

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import {
  faultsEnv,
  noStats,
  type Primitive,
  runFaults,
  statsLine,
  type SuiteStats,
} from "./suite.ts";

/** Trials per child process. */
const CHUNK = 100;

const env = faultsEnv();
const processRef = (globalThis as unknown as {
  process: {
    env: Record<string, string | undefined>;
    execPath: string;
    exit(code: number): never;
  };
}).process;
const trials = Number(processRef.env.THREADKIT_FAULTS_TRIALS ?? 200);
const chunk = processRef.env.THREADKIT_FAULTS_CHUNK;

if (chunk !== undefined) {
  // A child: run trials `first .. first + count - 1` of one primitive.
  const [primitive, first, count] = chunk.split(":");
  const stats = await runFaults(primitive as Primitive, {
    trials: Number(count),
    first: Number(first),
    seed: env.seed,
    stuckMs: env.stuckMs,
    log: (line) => {
      if (/ (\d+)\//.exec(line)?.[1]?.endsWith("0")) console.log(line);
    },
  }).catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    processRef.exit(1);
  });
  console.log(`STATS ${JSON.stringify(stats)}`);
  processRef.exit(0);
}

/** Runs one chunk in a child process of this runtime; resolves to its stats, or undefined. */
function runChunk(primitive: Primitive, first: number, count: number) {
  const script = fileURLToPath(import.meta.url);
  const deno = (globalThis as { Deno?: unknown }).Deno !== undefined;
  const args = deno ? ["run", "-A", script] : [script];
  const child = spawn(processRef.execPath, args, {
    env: {
      ...processRef.env,
      THREADKIT_FAULTS_SEED: String(env.seed),
      THREADKIT_FAULTS_CHUNK: `${primitive}:${first}:${count}`,
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout!.on("data", (data: Uint8Array) => {
    const text = String(data);
    out += text;
    for (const line of text.split("\n")) {
      if (line !== "" && !line.startsWith("STATS ")) console.log(line);
    }
  });
  return new Promise<Record<string, number> | undefined>((resolve) => {
    child.on("exit", (code) => {
      const line = out.split("\n").find((l) => l.startsWith("STATS "));
      resolve(code === 0 && line !== undefined ? JSON.parse(line.slice(6)) : undefined);
    });
  });
}

console.log(`faults (full): seed ${env.seed}, ${trials} trials per primitive`);
let failed = false;
for (const primitive of env.only) {
  const total = noStats(primitive);
  for (let first = 0; first < trials; first += CHUNK) {
    const stats = await runChunk(primitive, first, Math.min(CHUNK, trials - first));
    if (stats === undefined) {
      failed = true;
      break;
    }
    for (const key of Object.keys(total) as (keyof SuiteStats)[]) {
      if (key === "primitive") continue;
      total[key] = key === "maxWaitMs"
        ? Math.max(total[key], stats[key]!)
        : total[key] + stats[key]!;
    }
  }
  console.log(statsLine(total));
}
processRef.exit(failed ? 1 : 0);
