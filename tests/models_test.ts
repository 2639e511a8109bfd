/**
 * The Promela models in `models/` (lock word with owner death, Condition tickets, Semaphore,
 * queue put/get and the queue's SPSC lane, a design not built yet, RWLock writers, the
 * Barrier's actor death), checked exhaustively with spin: each real model must verify with no
 * error (mutual exclusion and the models' other assertions, no invalid end state = no deadlock
 * and no lost wake-up, no non-progress cycle = every run ends), and each deliberately broken
 * variant (`-DMUTANT_...`) must make spin report an error, which shows the checks can fail.
 *
 * Runs under Node only (the models do not depend on the runtime; Deno and Bun skip with a
 * reason, so the suite runs them once). Needs `spin` (Debian's package) and a C compiler; when
 * spin is missing the test skips with a message, and fails when `$CI` is set. Every spin, cc and
 * pan run is bounded by a timeout. `MODELS=queue` (a comma-separated list of model names) runs
 * only those models' checks.
 *
 * @module
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const g = globalThis as {
  Deno?: unknown;
  Bun?: unknown;
  process?: { env: Record<string, string | undefined> };
};
const host = g.Deno !== undefined ? "Deno" : g.Bun !== undefined ? "Bun" : "Node";
const env = g.process?.env ?? {};
const inCI = env.CI !== undefined && env.CI !== "" && env.CI !== "false" && env.CI !== "0";
const MODELS = fileURLToPath(new URL("../models/", import.meta.url));
/** Bound of one spin, cc or pan run (the lock word with its hand-off: ~50 s at load 30). */
const STEP_MS = 180_000;

function haveSpin(): boolean {
  if (host !== "Node") return false;
  const probe = spawnSync("spin", ["-V"], { encoding: "utf8", timeout: 10_000 });
  return probe.status === 0 && probe.stdout.includes("Spin Version");
}
const spinFound = haveSpin();
const missing = "spin not found on PATH: install Debian's package (apt-get install -y spin)";

function skipReason(): string | false {
  if (host !== "Node") {
    return `the spin model checks run from Node only (npm run test:node), once per suite; ${host} skips them`;
  }
  if (!spinFound && !inCI) return `${missing} (with CI set, this fails instead of skipping)`;
  return false;
}

/** One spin run: a model, its defines, and what spin must find. */
interface Check {
  model: "lock_word" | "condition" | "semaphore" | "queue" | "queue_lane" | "rwlock" | "barrier";
  /** `-D` defines for spin (a mutant, a workload). */
  defines: string[];
  /** "safety": assertions and end states (-DSAFETY); "progress": non-progress cycles (-DNP, -l). */
  mode: "safety" | "progress";
  /** Whether spin must verify it (`true`) or must find an error (a mutant). */
  holds: boolean;
  /** What the run shows. */
  what: string;
  /** A known gap: reported as a todo (spin's counterexample is the to-do), not a failure. */
  todo?: string;
}

const checks: Check[] = [
  // lock_word.pml: three threads, one may die holding, one with deadlines parking sync or async.
  {
    model: "lock_word",
    defines: [],
    mode: "safety",
    holds: true,
    what: "mutual exclusion, no lost wake-up, no deadlock (2+2+1 acquisitions)",
  },
  {
    model: "lock_word",
    defines: ["ITERS_1=2", "ITERS_2=1", "ITERS_3=1"],
    mode: "progress",
    holds: true,
    what: "every run ends (no livelock)",
  },
  {
    model: "lock_word",
    defines: ["TIMED_3=false"],
    mode: "safety",
    holds: true,
    what: "the same with no deadlines",
  },
  {
    model: "lock_word",
    defines: ["NO_HANDOFF"],
    mode: "safety",
    holds: true,
    what: "the same without the hand-off (pure barging), where the PARKED mutants below show",
  },
  {
    model: "lock_word",
    defines: ["NO_HANDOFF", "MUTANT_UNLOCK_NO_WAKE"],
    mode: "safety",
    holds: false,
    what: "unlock that ignores PARKED",
  },
  {
    model: "lock_word",
    defines: ["NO_HANDOFF", "MUTANT_TAKE_PLAIN"],
    mode: "safety",
    holds: false,
    what: "re-acquire after sleeping without PARKED",
  },
  {
    model: "lock_word",
    defines: ["NO_HANDOFF", "MUTANT_TIMEOUT_NO_PARKED"],
    mode: "safety",
    holds: false,
    what: "timed-out sleeper leaving without PARKED",
  },
  {
    model: "lock_word",
    defines: ["NO_HANDOFF", "MUTANT_TAKEOVER_DROPS_PARKED"],
    mode: "safety",
    holds: false,
    what: "owner-death takeover dropping PARKED",
  },
  {
    model: "lock_word",
    defines: ["NO_HANDOFF", "MUTANT_TAKEOVER_PLAIN"],
    mode: "safety",
    holds: false,
    what: "the takeover as it was coded before the model (me2 | word's PARKED)",
  },
  {
    model: "lock_word",
    defines: ["MUTANT_UNLOCK_NO_WAKE"],
    mode: "safety",
    holds: false,
    what: "with the hand-off (no starve timer behind a held word): unlock that ignores PARKED",
  },
  {
    model: "lock_word",
    defines: ["MUTANT_TAKE_PLAIN"],
    mode: "safety",
    holds: false,
    what:
      "with the hand-off (no starve timer behind a held word): re-acquire after sleeping without PARKED",
  },
  {
    model: "lock_word",
    defines: ["MUTANT_TIMEOUT_NO_PARKED"],
    mode: "safety",
    holds: false,
    what:
      "with the hand-off (no starve timer behind a held word): timed-out sleeper leaving without PARKED",
  },
  {
    model: "lock_word",
    defines: ["MUTANT_TAKEOVER_DROPS_PARKED"],
    mode: "safety",
    holds: false,
    what:
      "with the hand-off (no starve timer behind a held word): owner-death takeover dropping PARKED",
  },
  {
    model: "lock_word",
    defines: ["MUTANT_TAKEOVER_PLAIN"],
    mode: "safety",
    holds: false,
    what:
      "with the hand-off (no starve timer behind a held word): the takeover as it was coded before the model",
  },
  {
    model: "lock_word",
    defines: ["NO_STARVE_TIMER"],
    mode: "safety",
    holds: true,
    what: "no starve timer: unstarve alone frees a word handed to a waiter that left",
  },
  {
    model: "lock_word",
    defines: ["NO_STARVE_TIMER", "TIMED_2=true"],
    mode: "safety",
    holds: true,
    what:
      "the same with two waiters that may time out (one announced, one judging at its deadline)",
  },
  {
    model: "lock_word",
    defines: ["NO_STARVE_TIMER", "MUTANT_NO_UNSTARVE"],
    mode: "safety",
    holds: false,
    what: "no starve timer: a leaver that never takes its mark along",
  },
  {
    model: "lock_word",
    defines: ["NO_STARVE_TIMER", "MUTANT_NEVER_MARKED"],
    mode: "safety",
    holds: false,
    what: "no starve timer: a park that announces starving without recording it (never unstarves)",
  },
  {
    model: "lock_word",
    defines: ["MUTANT_ORPHAN_HANDOFF"],
    mode: "safety",
    holds: false,
    what: "hand-off: a starving waiter leaving its mark, waiters parking without the starve timer",
  },
  {
    model: "lock_word",
    // Without the hand-off, whose starve timer would also wake the sleeper: the poll alone.
    defines: ["NO_HANDOFF", "UNWATCHED_HOLDER", "TIMED_3=false"],
    mode: "safety",
    holds: true,
    what: "a sleeper parked behind an unwatched owner (a main thread) sees a later owner die",
  },
  {
    model: "lock_word",
    defines: ["NO_HANDOFF", "UNWATCHED_HOLDER", "TIMED_3=false", "MUTANT_POLL_WATCHED_ONLY"],
    mode: "safety",
    holds: false,
    what: "mutant: polling only behind a watched owner (the code before the model found it)",
  },
  // condition.pml: producer + consumer + consumer with a deadline that may be killed while it
  // waits, 2 wake slots, window 4.
  {
    model: "condition",
    defines: [],
    mode: "safety",
    holds: true,
    what:
      "notify(n) admits exactly the next n live tickets (a killed waiter's are not), no lost wake-up",
  },
  {
    model: "condition",
    defines: [],
    mode: "progress",
    holds: true,
    what: "every run ends (no livelock)",
  },
  {
    model: "condition",
    defines: ["WAKE_AT_ONCE"],
    mode: "safety",
    holds: true,
    what: "the same with the wakes done before the release (another lock released first)",
  },
  {
    model: "condition",
    defines: ["MUTANT_NO_FLUSH"],
    mode: "safety",
    holds: false,
    what: "the release not doing the wakes the notify deferred to it",
  },
  {
    model: "condition",
    defines: ["MUTANT_BUMP_BEFORE_ADMIT"],
    mode: "safety",
    holds: false,
    what: "notify bumping WAKE (and waking at once) before storing ADMIT",
  },
  {
    model: "condition",
    defines: ["MUTANT_READ_SLOT_AFTER_ADMIT"],
    mode: "safety",
    holds: false,
    what: "waiter reading its wake slot after ADMIT",
  },
  {
    model: "condition",
    defines: ["MUTANT_NO_CANCEL"],
    mode: "safety",
    holds: false,
    what: "timed-out waiter leaving its ticket live",
  },
  {
    model: "condition",
    defines: ["MUTANT_COUNT_CANCELLED"],
    mode: "safety",
    holds: false,
    what: "notify counting cancelled tickets",
  },
  {
    model: "condition",
    defines: ["MUTANT_COUNT_DEAD"],
    mode: "safety",
    holds: false,
    what: "notify counting the tickets of killed waiters (the code before issue 10)",
  },
  // rwlock.pml: three writers (one with a deadline that may also be aborted at a park), or two
  // and a reader (READER); a writer starves and is handed the lock (S), or none does with
  // NO_HANDOFF.
  {
    model: "rwlock",
    defines: [],
    mode: "safety",
    holds: true,
    what:
      "writers with the hand-off: one inside, no barger takes a reserved lock, S implies w > 0, no lost wake-up",
  },
  {
    model: "rwlock",
    defines: ["NO_HANDOFF"],
    mode: "safety",
    holds: true,
    what: "writers barging as before issue 10: one inside, no lost wake-up",
  },
  {
    model: "rwlock",
    defines: [],
    mode: "progress",
    holds: true,
    what: "every run ends (no livelock), with the hand-off",
  },
  {
    model: "rwlock",
    defines: ["READER"],
    mode: "safety",
    holds: true,
    what: "two writers and a reader: readers and writers exclude, the last reader out hands off",
  },
  {
    model: "rwlock",
    defines: ["READER"],
    mode: "progress",
    holds: true,
    what: "every run ends with the reader (no livelock)",
  },
  {
    model: "rwlock",
    defines: ["READER", "MUTANT_LEAVE_NO_READERS"],
    mode: "safety",
    holds: false,
    what: "the last waiting writer giving up without letting the readers in",
  },
  {
    model: "rwlock",
    defines: ["MUTANT_RELEASE_DROPS_S"],
    mode: "safety",
    holds: false,
    what: "a release clearing S with W (a barger takes the handed lock)",
  },
  {
    model: "rwlock",
    defines: ["MUTANT_ANYONE_TAKES_RESERVED"],
    mode: "safety",
    holds: false,
    what: "a writer that is not starving taking a reserved lock",
  },
  {
    model: "rwlock",
    defines: ["MUTANT_TAKER_KEEPS_S"],
    mode: "safety",
    holds: false,
    what: "a starving writer taking the lock without clearing S",
  },
  {
    model: "rwlock",
    defines: ["MUTANT_LEAVER_KEEPS_S"],
    mode: "safety",
    holds: false,
    what: "a starving writer giving up without taking S away (a lock reserved for nobody)",
  },
  {
    model: "rwlock",
    defines: ["MUTANT_JUDGED_CLEARS_S"],
    mode: "safety",
    holds: false,
    what: "a writer that judged it starves but never parked as one taking S away as it leaves",
  },
  {
    model: "rwlock",
    defines: ["NO_HANDOFF", "MUTANT_NO_PASS_ON"],
    mode: "safety",
    holds: false,
    what: "an aborted writer not passing on the wake-up it consumed",
  },
  // rwlock.pml -DLOCAL: a local write of writer A's thread (waitHere, futex.ts "Local waits")
  // in C's place, counted in w while it waits for A's release.
  {
    model: "rwlock",
    defines: ["LOCAL"],
    mode: "safety",
    holds: true,
    what:
      "a local write: one inside, no lost wake-up though the release wakes writers only past the local ones, w back to 0",
  },
  {
    model: "rwlock",
    defines: ["LOCAL"],
    mode: "progress",
    holds: true,
    what: "every run with a local write ends",
  },
  {
    model: "rwlock",
    defines: ["LOCAL", "READER"],
    mode: "safety",
    holds: true,
    what: "no reader enters while a local write waits (writer preference)",
  },
  {
    model: "rwlock",
    defines: ["LOCAL", "NO_HANDOFF"],
    mode: "safety",
    holds: true,
    what: "a local write without the hand-off",
  },
  {
    model: "rwlock",
    defines: ["LOCAL", "READER", "MUTANT_LOCAL_UNCOUNTED"],
    mode: "safety",
    holds: false,
    what: "a local write not counted in w letting a reader in ahead of it (the code of 50529fd)",
  },
  {
    model: "rwlock",
    defines: ["LOCAL", "MUTANT_NO_LEAVE"],
    mode: "safety",
    holds: false,
    what: "an aborted local write leaving its count in w",
  },
  // semaphore.pml: two acquirers (one with a deadline) and a releaser, two workloads; waiters
  // set the waiting bit, starve and are handed permits (the hand-off word), or do not starve at
  // all with NO_HANDOFF.
  {
    model: "semaphore",
    defines: [],
    mode: "safety",
    holds: true,
    what:
      "release(1), the timed acquirer gives its permit back; permits conserved, h <= s, waiting bit cleared",
  },
  {
    model: "semaphore",
    defines: ["RELEASE_N=2", "B_GIVES_BACK=0"],
    mode: "safety",
    holds: true,
    what: "release(2) to two sleepers, both may starve",
  },
  {
    model: "semaphore",
    defines: [],
    mode: "progress",
    holds: true,
    what: "every run ends (no livelock)",
  },
  {
    model: "semaphore",
    defines: ["NO_HANDOFF"],
    mode: "safety",
    holds: true,
    what: "the same without the hand-off, where the VALUE mutants below show",
  },
  {
    model: "semaphore",
    defines: ["NO_HANDOFF", "MUTANT_WAKE_ONE", "RELEASE_N=2", "B_GIVES_BACK=0"],
    mode: "safety",
    holds: false,
    what: "release(n) waking one",
  },
  {
    model: "semaphore",
    defines: ["NO_HANDOFF", "MUTANT_WAITERS_FIRST"],
    mode: "safety",
    holds: false,
    what: "release reading WAITERS before raising VALUE",
  },
  {
    model: "semaphore",
    defines: ["NO_HANDOFF", "MUTANT_DEADLINE_BEFORE_TAKE"],
    mode: "safety",
    holds: false,
    what: "woken waiter checking its deadline before taking",
  },
  {
    model: "semaphore",
    defines: ["NO_HANDOFF", "MUTANT_NO_WAITERS_COUNT"],
    mode: "safety",
    holds: false,
    what: "slow path not counted in WAITERS",
  },
  {
    model: "semaphore",
    defines: ["NO_HANDOFF", "MUTANT_NO_WAITING"],
    mode: "safety",
    holds: false,
    what: "waiting bit: a waiter sleeping on VALUE without setting it (on 0, as before the bit)",
  },
  {
    model: "semaphore",
    defines: ["NO_HANDOFF", "MUTANT_FAST_IGNORES_WAITING"],
    mode: "safety",
    holds: false,
    what: "waiting bit: the one-CAS release raising a word that has it set, without a wake",
  },
  {
    model: "semaphore",
    defines: ["NO_HANDOFF", "MUTANT_LEAVER_READS_FIRST"],
    mode: "safety",
    holds: false,
    what: "waiting bit: the last waiter out reading WAITERS before it clears the bit",
  },
  // With the hand-off too: a sleeper on VALUE that found nobody starving parks without the
  // starve timer (issue 9, P2), so a wake lost on VALUE is no longer hidden behind it.
  ...([
    [["MUTANT_WAKE_ONE", "RELEASE_N=2", "B_GIVES_BACK=0"], "release(n) waking one"],
    [["MUTANT_WAITERS_FIRST"], "release reading WAITERS before raising VALUE"],
    [["MUTANT_DEADLINE_BEFORE_TAKE"], "woken waiter checking its deadline before taking"],
    [["MUTANT_NO_WAITERS_COUNT"], "slow path not counted in WAITERS"],
    [["MUTANT_NO_WAITING"], "waiting bit: a waiter sleeping on VALUE without setting it"],
    [["MUTANT_FAST_IGNORES_WAITING"], "waiting bit: the one-CAS release ignoring it"],
    [["MUTANT_LEAVER_READS_FIRST"], "waiting bit: the last waiter out reading WAITERS first"],
  ] as const).map(([defines, what]): Check => ({
    model: "semaphore",
    defines: [...defines],
    mode: "safety",
    holds: false,
    what: `${what}, with the hand-off`,
  })),
  {
    model: "semaphore",
    defines: ["MUTANT_LEAVER_ONLY_WAKES"],
    mode: "safety",
    holds: false,
    what:
      "waiting bit: the last waiter out only waking a newcomer (one starving on STARVE misses it; the first version)",
  },
  {
    model: "semaphore",
    defines: ["MUTANT_LEAVER_NO_RECHECK"],
    mode: "safety",
    holds: false,
    what: "waiting bit: the last waiter out setting it again and leaving it set for nobody",
  },
  {
    model: "semaphore",
    defines: ["MUTANT_UNSTARVE_DROPS_HANDED"],
    mode: "safety",
    holds: false,
    what: "hand-off: a starving waiter leaving drops the permit handed to it",
  },
  {
    model: "semaphore",
    defines: ["MUTANT_NO_RESCUE"],
    mode: "safety",
    holds: false,
    what: "hand-off: a raise that does not look for waiters that starved after its release looked",
  },
  {
    model: "semaphore",
    defines: ["MUTANT_STALE_SLEEP_WORD"],
    mode: "safety",
    holds: false,
    what: "hand-off: sleeping on a STARVE word read before the look (ABA; the first version)",
  },
  {
    model: "semaphore",
    defines: ["MUTANT_TAKER_SKIPS_LOOK", "RELEASE_N=2", "B_GIVES_BACK=0"],
    mode: "safety",
    holds: false,
    what: "hand-off: a taker of another's hand-off skipping its look at VALUE (the first version)",
  },
  // queue.pml: producer (2 puts, maxsize 1), getter, getter with a deadline; gets hold room while
  // they decode outside the lock (given up through RELEASED, or put back when decode throws).
  {
    model: "queue",
    defines: [],
    mode: "safety",
    holds: true,
    what:
      "put/get with held room: no lost wake-up, no item lost or duplicated, put-back fits, getter pass-on never needed",
  },
  {
    model: "queue",
    defines: [],
    mode: "progress",
    holds: true,
    what: "every run ends (no livelock)",
  },
  {
    model: "queue",
    defines: ["F64_GETTER"],
    mode: "safety",
    holds: true,
    what: "the same with a float64Codec getter reading records in place under the lock",
  },
  {
    model: "queue",
    defines: ["THREE_PUTS", "F64_GETTER"],
    mode: "safety",
    holds: true,
    what:
      "one getter wake in flight (WOKEN): 3 puts, two getters asleep, puts skipping the wake, the pass-on",
  },
  {
    model: "queue",
    defines: ["THREE_PUTS", "MUTANT_NO_PASS_ON"],
    mode: "safety",
    holds: false,
    what: "a woken getter that does not wake the next for the items past its own",
  },
  {
    model: "queue",
    defines: ["THREE_PUTS", "MUTANT_NO_CLEAR_ON_COUNT"],
    mode: "safety",
    holds: false,
    what:
      "a getter counting itself without clearing WOKEN (a wake sent to a getter on its way out)",
  },
  {
    model: "queue",
    defines: ["THREE_PUTS", "MUTANT_CLEAR_ONLY_AT_COUNT"],
    mode: "safety",
    holds: false,
    what: "a getter clearing WOKEN only when it counts itself, not after its sleeps",
  },
  {
    model: "queue",
    defines: ["THREE_PUTS", "MUTANT_PASS_BEFORE_CLEAR"],
    mode: "safety",
    holds: false,
    what: "a woken getter deciding its pass-on before it clears WOKEN",
  },
  {
    model: "queue",
    defines: ["PUTBACK_WAKE", "F64_GETTER"],
    mode: "safety",
    holds: true,
    what: "a put-back after a decode throw wakes a getter that counted itself meanwhile",
  },
  {
    model: "queue",
    defines: ["PUTBACK_WAKE", "MUTANT_PUTBACK_NO_SIGNAL"],
    mode: "safety",
    holds: false,
    what: "a put-back that stores the item back without a wake",
  },
  {
    model: "queue",
    defines: ["PUT_BURST", "F64_GETTER"],
    mode: "safety",
    holds: true,
    what:
      "one putter wake in flight (PUT_WOKEN): two putters asleep at maxsize 2, a get skipping the wake, the pass-on",
  },
  {
    model: "queue",
    defines: ["PUT_BURST", "MUTANT_NO_PUT_PASS_ON"],
    mode: "safety",
    holds: false,
    what: "a woken putter that does not wake the next for the room past its own",
  },
  {
    model: "queue",
    defines: ["PUT_BURST", "MUTANT_NO_PUT_CLEAR_ON_COUNT"],
    mode: "safety",
    holds: false,
    what: "a putter counting itself without clearing PUT_WOKEN (a wake sent to one on its way out)",
  },
  {
    model: "queue",
    defines: ["PUT_BURST", "MUTANT_PUT_CLEAR_AFTER_TRY"],
    mode: "safety",
    holds: false,
    what: "a putter clearing PUT_WOKEN after its look for room (a release between them is missed)",
  },
  {
    model: "queue",
    defines: ["PUT_BURST", "MUTANT_PUT_WOKEN_BEFORE_RELEASED"],
    mode: "safety",
    holds: false,
    what: "a release reading PUT_WOKEN before it adds its room to RELEASED",
  },
  {
    model: "queue",
    defines: ["PUT_BURST", "F64_GETTER", "MUTANT_ROOMLEFT_NO_FOLD"],
    mode: "safety",
    holds: false,
    what: "a putter's look for room left after its put that does not fold the releases in",
  },
  {
    model: "queue",
    defines: ["PUT_BURST", "MUTANT_MISS_PASS_SETS_FLAG"],
    mode: "safety",
    holds: false,
    what: "a putter whose record missed setting PUT_WOKEN for its pass-on (left with no taker)",
  },
  {
    model: "queue",
    defines: ["MUTANT_NO_GETTERS_COUNT"],
    mode: "safety",
    holds: false,
    what: "getter not counted in GETTERS",
  },
  {
    model: "queue",
    defines: ["MUTANT_SEQ_AFTER_UNLOCK"],
    mode: "safety",
    holds: false,
    what: "getter reading NOT_EMPTY after releasing LOCK",
  },
  {
    model: "queue",
    defines: ["MUTANT_WAKE_NO_BUMP"],
    mode: "safety",
    holds: false,
    what: "signal waking without bumping the seq",
  },
  {
    model: "queue",
    defines: ["MUTANT_PUTTERS_BEFORE_RELEASED"],
    mode: "safety",
    holds: false,
    what: "a get reading PUTTERS before it adds its room to RELEASED",
  },
  {
    model: "queue",
    defines: ["MUTANT_COUNT_NO_RECHECK"],
    mode: "safety",
    holds: false,
    what: "a putter counting itself in PUTTERS and sleeping without looking for room again",
  },
  {
    model: "queue",
    defines: ["MUTANT_PUT_IGNORES_HELD"],
    mode: "safety",
    holds: false,
    what: "a put not counting held room as used (the put-back does not fit)",
  },
  {
    model: "queue",
    defines: ["MUTANT_PUTBACK_NO_COUNT"],
    mode: "safety",
    holds: false,
    what: "a put-back after a decode throw not restoring COUNT (an item lost)",
  },
  {
    model: "queue",
    defines: ["MUTANT_NO_FOLD"],
    mode: "safety",
    holds: false,
    what: "a put that never folds RELEASED into HELD (released room never reused)",
  },
  // queue_lane.pml: the SPSC lane, designed, not built (bench/README.md, "Design: an SPSC
  // lane"): producer (3 items, ring of 1 slot), consumer, and a third thread (run or not) that
  // revokes the lane at any point, then puts through an abstract locked queue. The default is
  // the design with the fixes the model needed; the MUTANT_* marked "as written" restore the
  // design's text.
  {
    model: "queue_lane",
    defines: [],
    mode: "safety",
    holds: true,
    what:
      "SPSC lane: each item got once, FIFO across the revoke, no lost wake-up either side, the revoke ends",
  },
  {
    model: "queue_lane",
    defines: ["CAP=2"],
    mode: "safety",
    holds: true,
    what: "the same with a ring of 2 slots (a put writes while the get copies another)",
  },
  {
    model: "queue_lane",
    defines: [],
    mode: "progress",
    holds: true,
    what: "every run ends (no livelock)",
  },
  {
    model: "queue_lane",
    defines: ["GROWS"],
    mode: "safety",
    holds: true,
    what:
      "a queue that may grow: a put that finds no room revokes (beside the third thread), then puts",
  },

  {
    model: "queue_lane",
    defines: ["COUNTS", "PRODUCER_DIES", "K=2"],
    mode: "safety",
    holds: true,
    what:
      "the producer may die at any step (BUSY taken over): each item published got once, nothing else; PUTS exact (parity in the BUSY CAS)",
  },
  {
    model: "queue_lane",
    defines: ["COUNTS", "MAXSIZE=1", "CAP=2"],
    mode: "safety",
    holds: true,
    what: "maxsize 1 bounded by READ: the revoked queue holds at most maxsize items",
  },

  {
    model: "queue_lane",
    defines: ["MUTANT_PUT_LOOK_IGNORES_REVOKED"],
    mode: "safety",
    holds: false,
    what: "as written: a producer's look that does not test READ for REVOKED sleeps for ever",
  },
  {
    model: "queue_lane",
    defines: ["MUTANT_GET_LOOK_IGNORES_REVOKED"],
    mode: "safety",
    holds: false,
    what: "as written: a consumer's look that does not test WRITE for REVOKED sleeps for ever",
  },
  {
    model: "queue_lane",
    defines: ["MUTANT_FULL_KEEPS_BUSY"],
    mode: "safety",
    holds: false,
    what: "as written: a put that blocks with BUSY set deadlocks with the revoke",
  },
  {
    model: "queue_lane",
    defines: ["GROWS", "MUTANT_FULL_KEEPS_BUSY"],
    mode: "safety",
    holds: false,
    what: "as written: a put that revokes (growth) with BUSY set waits for its own BUSY",
  },
  {
    model: "queue_lane",
    defines: ["COUNTS", "PRODUCER_DIES", "K=2", "MUTANT_TAKEOVER_KEEPS_PUTS"],
    mode: "safety",
    holds: false,
    what: "as written: a producer killed after PUTS += 1, before its publish, leaves PUTS one over",
  },
  {
    model: "queue_lane",
    defines: ["COUNTS", "MAXSIZE=1", "CAP=2", "MUTANT_BOUND_BY_GETS"],
    mode: "safety",
    holds: false,
    what:
      "as written: maxsize as PUTS - GETS; a put uses a get's room whose CAS then fails (maxsize + 1)",
  },
  {
    model: "queue_lane",
    defines: ["MUTANT_FLAG_BEFORE_PUBLISH"],
    mode: "safety",
    holds: false,
    what: "the producer loading GET_WAITS before its publish store",
  },
  {
    model: "queue_lane",
    defines: ["MUTANT_CAS_WAITS_FIRST"],
    mode: "safety",
    holds: false,
    what: "the consumer loading PUT_WAITS before its READ CAS",
  },
  {
    model: "queue_lane",
    defines: ["MUTANT_NO_TORN_CHECK"],
    mode: "safety",
    holds: false,
    what: "the consumer decoding its copy without loading READ (a copy the locked path may tear)",
  },
  {
    model: "queue_lane",
    defines: ["MUTANT_TORN_CHECK_FIRST"],
    mode: "safety",
    holds: false,
    what: "the consumer loading READ before it copies the record, not after",
  },
  {
    model: "queue_lane",
    defines: ["MUTANT_GET_PARK_ON_FRESH"],
    mode: "safety",
    holds: false,
    what: "the consumer parking on WRITE read again, not on the value its look judged",
  },
  {
    model: "queue_lane",
    defines: ["MUTANT_KEEP_ON_FAILED_CAS"],
    mode: "safety",
    holds: false,
    what: "the consumer returning its copy although its READ CAS failed (duplicate)",
  },
  {
    model: "queue_lane",
    defines: ["MUTANT_PUBLISH_BEFORE_COPY"],
    mode: "safety",
    holds: false,
    what: "the consumer publishing READ before it copies the record (overwritten)",
  },
  {
    model: "queue_lane",
    defines: ["MUTANT_REVOKE_IGNORES_BUSY"],
    mode: "safety",
    holds: false,
    what: "the revoke CASing REVOKED into WRITE while BUSY is set (the publish erases it)",
  },
  {
    model: "queue_lane",
    defines: ["MUTANT_REVOKE_NO_NOTIFY"],
    mode: "safety",
    holds: false,
    what: "the revoke notifying neither position word (a lane sleeper never re-routes)",
  },
  {
    model: "queue_lane",
    defines: ["PRODUCER_DIES", "K=2", "MUTANT_NO_TAKEOVER"],
    mode: "safety",
    holds: false,
    what: "the revoke waiting for the BUSY of a producer that has died",
  },
  {
    model: "queue_lane",
    defines: ["MUTANT_LOOKED_NEW_POSITION"],
    mode: "safety",
    holds: false,
    what:
      "the producer notifying for the publish past the one the get's look saw, not that one (a park registered before it sleeps on)",
  },
  // barrier.pml: Barrier(2), two cycles: the actor of cycle 0 may be killed or turn zombie at any
  // step after its arrival, a waiter that then arrives first at cycle 1, its actor, and a
  // repairer (abort() or a late arrival); each action may return or throw.
  {
    model: "barrier",
    defines: [],
    mode: "safety",
    holds: true,
    what:
      "actor death: a waiter passes only a released cycle whose action returned, a cycle ends once (released or broken), no waiter asleep for ever",
  },
  {
    model: "barrier",
    defines: [],
    mode: "progress",
    holds: true,
    what: "every run ends (no livelock)",
  },
  {
    model: "barrier",
    defines: ["MUTANT_NO_WORD_RECHECK"],
    mode: "safety",
    holds: false,
    what:
      "a repairer completing a release without re-checking WORD after it read CYCLE (56cf8c7: GEN moves for the next cycle)",
  },
  {
    model: "barrier",
    defines: ["MUTANT_NO_POLL"],
    mode: "safety",
    holds: false,
    what: "waiters of a filling cycle not polling (56cf8c7: nobody looks when the actor dies)",
  },
  {
    model: "barrier",
    defines: ["MUTANT_ACTOR_STORES"],
    mode: "safety",
    holds: false,
    what:
      "the actor's RUNNING -> RELEASING claim a plain store (a zombie releases a cycle taken from it)",
  },
];

/** `MODELS=queue,condition` runs only those models' checks (by hand; the suite runs all). */
const only = env.MODELS === undefined || env.MODELS === ""
  ? undefined
  : new Set(env.MODELS.split(",").map((m) => m.trim()));
const selected = checks.filter((check) => only === undefined || only.has(check.model));

/** Runs a program in `cwd`, bounded; resolves with its output (rejects with it on failure). */
function run(file: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { cwd, timeout: STEP_MS, maxBuffer: 16 * 1024 * 1024, encoding: "utf8" },
      (error, stdout, stderr) => {
        const output = `${stdout}${stderr}`;
        // pan exits non-zero when it finds an error; the caller reads its report.
        if (error !== null && (file !== "./pan" || error.killed === true)) {
          reject(new Error(`${file} ${args.join(" ")} failed: ${error.message}\n${output}`));
        } else {
          resolve(output);
        }
      },
    );
  });
}

interface Outcome {
  errors: number;
  states: number;
  seconds: number;
  report: string;
}

/** spin -a, cc, pan in a fresh directory; returns pan's counts. */
async function verify(check: Check, dir: string): Promise<Outcome> {
  mkdirSync(dir);
  const started = performance.now();
  const model = join(MODELS, `${check.model}.pml`);
  await run("spin", [...check.defines.map((d) => `-D${d}`), "-a", model], dir);
  const mode = check.mode === "safety" ? "-DSAFETY" : "-DNP";
  // Compiling dominates the small searches: -O1 only for the lock word's full runs (a million
  // states and more), where it halves the search. MEMLIM bounds the search's memory (MB)
  // should a change blow the state space up.
  // The lock word's runs (12.6 million states with the hand-off) also store their states
  // compressed (-DCOLLAPSE: 613 MB instead of over the 1 GB bound, same states), mutants too: a
  // search cut short by the bound finds nothing.
  const full = check.model === "lock_word";
  const opt = full ? ["-O1", "-DCOLLAPSE"] : ["-O0"];
  await run("cc", [...opt, "-w", mode, "-DMEMLIM=1024", "-o", "pan", "pan.c"], dir);
  const panArgs = ["-m100000", "-n", ...(check.mode === "progress" ? ["-l"] : [])];
  const report = await run("./pan", panArgs, dir);
  const errors = /errors: (\d+)/.exec(report);
  const states = /([\d.e+]+) states, stored/.exec(report);
  assert.ok(errors !== null && states !== null, `pan printed no summary:\n${report}`);
  return {
    errors: Number(errors[1]),
    states: Number(states[1]),
    seconds: (performance.now() - started) / 1000,
    report,
  };
}

/** Runs `work` over `items`, at most `width` at a time (the machine has 2 cores). */
async function pool<T, R>(items: T[], width: number, work: (item: T, i: number) => Promise<R>) {
  const results: Promise<R>[] = [];
  let next = 0;
  const lanes = Array.from({ length: width }, async () => {
    while (next < items.length) {
      const i = next++;
      const result = work(items[i]!, i);
      results[i] = result;
      await result.catch(() => {});
    }
  });
  await Promise.all(lanes);
  return results;
}

test(
  "models: spin verifies the Promela models and catches every mutant",
  { skip: skipReason(), timeout: 10 * STEP_MS },
  async (t) => {
    if (!spinFound) assert.fail(`${missing} (CI is set, so the model checks must run)`);
    const root = mkdtempSync(join(tmpdir(), "threadkit-models-"));
    try {
      const outcomes = await pool(selected, 2, (check, i) => verify(check, join(root, String(i))));
      for (const [i, check] of selected.entries()) {
        const defines = check.defines.length === 0 ? "" : ` -D${check.defines.join(" -D")}`;
        const name = `${check.model}.pml${defines} (${check.mode}): ${check.what}`;
        const options = check.todo === undefined ? {} : { todo: check.todo };
        await t.test(name, options, async (s) => {
          const outcome = await outcomes[i]!;
          s.diagnostic(
            `${outcome.states} states, errors: ${outcome.errors}, ${
              outcome.seconds.toFixed(1)
            } s (spin + cc + pan)`,
          );
          if (check.holds) {
            assert.equal(outcome.errors, 0, `spin found an error:\n${outcome.report}`);
            assert.ok(
              !outcome.report.includes("max search depth too small"),
              `the search was cut short:\n${outcome.report}`,
            );
          } else {
            assert.ok(outcome.errors > 0, `spin missed the mutant:\n${outcome.report}`);
          }
        });
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  },
);
