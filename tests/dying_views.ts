/**
 * A thread's death at any write, for tests that kill an operation on a queue's memory before each
 * of its writes in turn (tests/queue_heap_deaths_test.ts, tests/queue_growth_deaths_test.ts).
 *
 * A worker ended by `terminate()` (or a pool's abort) stops between any two JavaScript
 * statements, so a death is modelled as a throw before the next write to the memory: every store
 * to an element of a `dying` view, and every call of a writing builtin (`copyWithin`, `set`,
 * `fill`, a DataView's `set*`), which runs to its end once started and so counts as one write.
 */

/** The throw that stands for the thread's end (no Error: thousands of stack traces cost). */
export class Death {}

/** The write before which the thread dies (its index among `writes`; Infinity: none). */
let budget = Infinity;
/** Writes made through the dying views since the last `attempt`. */
export let writes = 0;
/** The kind of the write a death refused (an element store, or the builtin's name). */
export let refused = "";
/** The kind of the last write made. */
export let made = "";

function tick(kind: string): void {
  if (writes++ >= budget) {
    refused = kind;
    throw new Death();
  }
  made = kind;
}

const INDEX = /^\d+$/;

/** Whether `key` names a method that writes the view it is called on. */
function writing(key: string | symbol): boolean {
  return typeof key === "string" &&
    (key === "copyWithin" || key === "fill" || key === "reverse" || key === "sort" ||
      key.startsWith("set"));
}

/** `view` with every write counted (and the chosen one never made: `Death` thrown before it). */
export function dying<T extends Int32Array | Float64Array | Uint8Array | DataView>(view: T): T {
  return new Proxy(view, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key);
      if (typeof value !== "function") return value;
      const method = value as (...args: unknown[]) => unknown;
      if (!writing(key)) return method.bind(target);
      return (...args: unknown[]) => {
        tick(String(key)); // one builtin call, one write: it runs to its end or not at all
        return method.apply(target, args);
      };
    },
    set(target, key, value) {
      if (typeof key === "string" && INDEX.test(key)) tick("store");
      return Reflect.set(target, key, value);
    },
  });
}

/** Runs `fn`, the thread dying before write `at` (Infinity: never); whether it died. */
export function attempt(at: number, fn: () => void): boolean {
  writes = 0;
  refused = made = "";
  budget = at;
  try {
    fn();
    return false;
  } catch (error) {
    if (error instanceof Death) return true;
    throw error;
  } finally {
    budget = Infinity;
  }
}
