/**
 * How a primitive gets its memory: `placeOrOpen` gives a constructor its handle, either placed
 * afresh (slots zeroed) or, when `X.from` called it with an `opening(handle)` token, the handle
 * `from` opened. The token travels in the constructor's own `options` argument, so nothing is
 * left in a module variable between `from` and the constructor, and `from` can call any
 * constructor, a subclass's included:
 *
 * ```ts ignore
 * constructor(options?: PlacementOptions) {
 *   this.handle = placeOrOpen("Lock", BYTES, options); // a new Lock, or the one `from` opened
 * }
 * static from(handle: Handle): Lock {
 *   return new Lock(opening(open(handle, "Lock", BYTES)));
 * }
 * ```
 *
 * @module
 */

import { type Handle, place, type PlacementOptions } from "./layout.ts";

/** What `from` hands its constructor: the opened handle and the caller's own options. */
interface Opened {
  readonly handle: Handle;
  readonly own: unknown;
}

/**
 * Tokens made by {@link opening}, mapped to what they carry. A token is a fresh frozen object
 * that only `from` ever holds, so user options can never be mistaken for one, and looking one up
 * runs no user code (no getter or proxy trap is touched, unlike a symbol-keyed property).
 */
const openings = new WeakMap<object, Opened>();

/**
 * A token for `X.from` to pass as the `options` of X's constructor: the constructor then adopts
 * `handle` (already checked with `open`) instead of placing new slots. `own` are options the
 * caller of `from` gave for this thread only (a Barrier's action, a queue's codec); the
 * constructor reads them with {@link ownOptions}.
 */
export function opening<O = PlacementOptions>(handle: Handle, own?: O): O {
  const token = Object.freeze({});
  openings.set(token, { handle, own });
  return token as O;
}

/** The handle an {@link opening} token carries, or `undefined` for ordinary options. */
export function openedHandle(options: unknown): Handle | undefined {
  return typeof options === "object" && options !== null
    ? openings.get(options)?.handle
    : undefined;
}

/** The options the caller gave: the `own` options of an {@link opening} token, else `options`. */
export function ownOptions<O>(options: O): O {
  if (typeof options !== "object" || options === null) return options;
  const opened = openings.get(options);
  return opened === undefined ? options : opened.own as O;
}

/**
 * The handle of a primitive being constructed, from `place`'s arguments (`kind, byteLength,
 * options, align?, extras?`): the handle an {@link opening} token in `options` carries, or a new
 * placement (validated by `place`, with its messages) whose `byteLength` bytes are zeroed, so the
 * constructor only stores its non-zero initial values.
 */
export function placeOrOpen(...placement: Parameters<typeof place>): Handle {
  const [, byteLength, options] = placement;
  const opened = openedHandle(options);
  if (opened !== undefined) return opened;
  const handle = place(...placement);
  new Uint8Array(handle.buffer, handle.byteOffset, byteLength).fill(0);
  return handle;
}
