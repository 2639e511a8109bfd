/**
 * Revival of primitives carried across threads: the kind → class table and the two walks that
 * turn primitives into their handles before a `postMessage` ({@link toWire}) and handles back
 * into live primitives after it ({@link revive}).
 *
 * A primitive instance does not survive structured clone (its slots live in private fields), but
 * its `handle` does. Threads and pools therefore send `toWire(args)` and call `revive(data)` on
 * the other side; both walks descend into arrays, plain objects, `Map`s and `Set`s, keep shared
 * and cyclic references, and leave everything else to structured clone.
 *
 * The table is extensible: a primitive registers itself (or the runtime layer registers it) with
 * {@link registerKind}`(kind, X.from)`. A handle of a kind nobody registered stays a plain handle,
 * which `X.from(handle)` still opens by hand.
 *
 * @module
 */

import { type Handle, isHandle } from "./layout.ts";

/** Rebuilds a primitive of one kind from its handle (`X.from`). */
export type FromHandle = (handle: Handle) => unknown;

/** The kind → `from` table. */
const kinds = new Map<string, FromHandle>();

/**
 * Registers `from` as the way to revive handles of `kind` (e.g. `registerKind("Lock", Lock.from)`).
 * Registering a kind again replaces its entry.
 *
 * @throws {TypeError} `kind` is not a non-empty string or `from` is not a function.
 */
export function registerKind(kind: string, from: FromHandle): void {
  if (typeof kind !== "string" || kind === "") {
    throw new TypeError(`Cannot register a primitive kind: kind must be a non-empty string`);
  }
  if (typeof from !== "function") {
    throw new TypeError(`Cannot register kind ${kind}: from must be a function`);
  }
  kinds.set(kind, from);
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The handle of a primitive instance (any object of a class with a threadkit `handle`). */
function handleOf(value: object): Handle | undefined {
  if (isHandle(value)) return value;
  if (isPlainObject(value) || Array.isArray(value)) return undefined;
  const handle = (value as { handle?: unknown }).handle;
  return isHandle(handle) ? handle : undefined;
}

/**
 * Copies `value`, replacing `leaf(x)` for every `x` where it returns something other than
 * `undefined`, and descending into arrays, plain objects, Maps and Sets. Shared and cyclic
 * references stay shared and cyclic. Untouched subtrees are still copied (cheap, and simpler than
 * copy-on-write).
 */
export function walk(
  value: unknown,
  leaf: (x: object) => unknown,
  seen: Map<object, unknown> = new Map(),
): unknown {
  if (typeof value !== "object" || value === null) return value;
  const done = seen.get(value);
  if (done !== undefined) return done;
  const replaced = leaf(value);
  if (replaced !== undefined) {
    seen.set(value, replaced);
    return replaced;
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (let i = 0; i < value.length; i++) out[i] = walk(value[i], leaf, seen);
    return out;
  }
  if (value instanceof Map) {
    const out = new Map<unknown, unknown>();
    seen.set(value, out);
    for (const [k, v] of value) out.set(walk(k, leaf, seen), walk(v, leaf, seen));
    return out;
  }
  if (value instanceof Set) {
    const out = new Set<unknown>();
    seen.set(value, out);
    for (const v of value) out.add(walk(v, leaf, seen));
    return out;
  }
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = Object.getPrototypeOf(value) === null
      ? Object.create(null)
      : {};
    seen.set(value, out);
    for (const key of Object.keys(value)) {
      out[key] = walk((value as Record<string, unknown>)[key], leaf, seen);
    }
    return out;
  }
  return value;
}

/**
 * Replaces every primitive instance in `value` by its handle, so that `value` survives
 * structured clone. Handles themselves are kept as they are (not copied).
 */
export function toWire(value: unknown): unknown {
  return walk(value, handleOf, new Map());
}

/**
 * Replaces every handle in `value` whose kind is registered by a live primitive of that kind
 * (its `from(handle)`). Handles of unregistered kinds stay plain handles.
 *
 * @throws {TypeError} A handle of a registered kind is malformed (as `X.from` throws).
 */
export function revive(value: unknown): unknown {
  return walk(value, (x) => {
    if (!isHandle(x)) return undefined;
    const from = kinds.get(x.kind);
    return from === undefined ? x : from(x);
  }, new Map());
}

/** Whether `value` holds a handle anywhere a {@link revive} would look. */
export function containsHandle(value: unknown): boolean {
  let found = false;
  walk(value, (x) => {
    if (isHandle(x)) found = true;
    return found ? x : undefined;
  }, new Map());
  return found;
}
