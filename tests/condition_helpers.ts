/**
 * Helpers shared by the Condition tests that kill a notifier (not a test file itself).
 *
 * @module
 */

import { type Condition, Thread } from "../mod.ts";

/**
 * Starts a thread that takes `cond`'s lock, calls `notify(1)`, sets `notified[0]` and spins
 * holding the lock until `stop[0]` is set or `timeout` ms pass (`notifyAndSpin` of
 * `fixtures/cond_dead_ops.ts`): a notifier for a test to terminate before its release. Its
 * `join()` rejection (it is terminated) is handled here.
 */
export function spinningNotifier(
  cond: Condition,
  notified: Int32Array,
  stop: Int32Array,
  timeout: number,
): Thread<void> {
  const n = new Thread<void>(new URL("./fixtures/cond_dead_ops.ts", import.meta.url), {
    export: "notifyAndSpin",
    args: [cond, notified, stop, timeout],
    name: "notifier",
  });
  n.start();
  n.join().catch(() => {});
  return n;
}
