/**
 * The guard returned by `holdSync()`/`hold()`: releases once, by hand or by `using`.
 *
 * @module
 */

import { TimeoutError } from "../errors.ts";

const dispose: typeof Symbol.dispose = Symbol.dispose ?? Symbol.for("Symbol.dispose");

/**
 * A held primitive. `release()` gives it back; a second `release()` does nothing. Works with
 * `using g = lock.holdSync()` and `using g = await lock.hold()`.
 */
export class Guard {
  #release: (() => void) | undefined;

  /** @internal Created by `holdSync()`/`hold()`. */
  constructor(release: () => void) {
    this.#release = release;
  }

  /** Releases what this guard holds; later calls do nothing. */
  release(): void {
    const release = this.#release;
    if (release === undefined) return;
    this.#release = undefined;
    release();
  }

  /** Same as {@link Guard.release}, for `using`. */
  [dispose](): void {
    this.release();
  }
}

/**
 * The guard of a successful acquire, or a `TimeoutError` with `message()` when it timed out.
 * Shared by every `holdSync()`/`hold()`.
 */
export function guardOrThrow(acquired: boolean, release: () => void, message: () => string): Guard {
  if (!acquired) throw new TimeoutError(message());
  return new Guard(release);
}
