/**
 * Where primitives live: allocation of their slots (in a fresh SharedArrayBuffer or inside a
 * caller's), bounds and alignment checks, and the handles that carry a primitive to other threads.
 *
 * @module
 */

import { adoptRegistry, registryOf } from "./ident.ts";

/**
 * A plain, structured-clone-safe description of a primitive: enough for `X.from(handle)` to
 * rebuild an equivalent view of the same shared memory in any thread. Post it with
 * `postMessage`, put it in `workerData`, or pass it in a `Thread`'s `args`.
 */
export interface Handle {
  /** Marks threadkit handles (for automatic revival in `Thread` arguments). */
  readonly threadkit: 1;
  /** The primitive's class name, e.g. `"Lock"`. */
  readonly kind: string;
  /** The shared memory the primitive lives in. */
  readonly buffer: SharedArrayBuffer;
  /** Where in `buffer` its slots begin. */
  readonly byteOffset: number;
  /** The process's thread registry (see `internal/ident.ts`). */
  readonly registry: SharedArrayBuffer;
  /** Kind-specific extras (a queue's sizes, a condition's lock handle, ...). */
  readonly [extra: string]: unknown;
}

/** Where to put a primitive: inside `buffer` at `byteOffset`, or (default) in its own buffer. */
export interface PlacementOptions {
  /** A SharedArrayBuffer to live in; a new one of exactly the needed size by default. */
  buffer?: SharedArrayBuffer | undefined;
  /** Offset in `buffer`, a multiple of the primitive's alignment (4, or 8 for queues). Default 0. */
  byteOffset?: number | undefined;
  /**
   * A name for messages, `describe()` and the deadlock detector (`lock "orders"`). It travels in
   * the handle, so every thread that opens the primitive sees it; the deadlock detector's table
   * keeps the first 40 characters of `lock "<name>"`.
   */
  name?: string | undefined;
}

/**
 * Throws a `TypeError` naming the two headers when this realm has no `SharedArrayBuffer` (a
 * browser page, or its workers, that is not cross-origin isolated).
 */
export function assertSharedMemory(kind: string): void {
  if (typeof SharedArrayBuffer !== "function") {
    throw new TypeError(
      `Cannot create ${kind}: SharedArrayBuffer is unavailable because the page is not ` +
        `cross-origin isolated; serve it with the headers ` +
        `"Cross-Origin-Opener-Policy: same-origin" and "Cross-Origin-Embedder-Policy: require-corp"`,
    );
  }
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (typeof value !== "object") return typeof value;
  return (value as object).constructor?.name ?? "object";
}

/**
 * Validates a placement and returns the handle of a primitive of `kind` that needs `byteLength`
 * bytes aligned to `align`. Throws `TypeError` for a non-shared buffer, `RangeError` for a bad,
 * misaligned or out-of-range offset. The caller initialises the slots.
 */
export function place(
  kind: string,
  byteLength: number,
  options: PlacementOptions | undefined,
  align = 4,
  extras?: Record<string, unknown>,
): Handle {
  if (options !== undefined && (typeof options !== "object" || options === null)) {
    throw new TypeError(
      `Cannot create ${kind}: options must be an object, got ${typeName(options)}`,
    );
  }
  assertSharedMemory(kind);
  const given = options?.buffer;
  const offset = options?.byteOffset ?? 0;
  if (given !== undefined && !(given instanceof SharedArrayBuffer)) {
    throw new TypeError(
      `Cannot place ${kind}: options.buffer must be a SharedArrayBuffer, got ${typeName(given)}`,
    );
  }
  if (typeof offset !== "number") {
    throw new TypeError(
      `Cannot place ${kind}: byteOffset must be a number, got ${typeName(offset)}`,
    );
  }
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new RangeError(
      `Cannot place ${kind} at byteOffset ${offset}: it must be a non-negative integer`,
    );
  }
  if (offset % align !== 0) {
    throw new RangeError(
      `Cannot place ${kind} at byteOffset ${offset}: it must be a multiple of ${align}`,
    );
  }
  if (given === undefined && offset !== 0) {
    throw new RangeError(`Cannot place ${kind} at byteOffset ${offset}: no buffer was given`);
  }
  const name = options?.name;
  if (name !== undefined && typeof name !== "string") {
    throw new TypeError(`Cannot create ${kind}: name must be a string, got ${typeName(name)}`);
  }
  const buffer = given ?? new SharedArrayBuffer(byteLength);
  if (offset + byteLength > buffer.byteLength) {
    throw new RangeError(
      `Cannot place ${kind} at byteOffset ${offset}: it needs ${byteLength} bytes and the buffer has ${buffer.byteLength}`,
    );
  }
  return Object.freeze({
    threadkit: 1 as const,
    kind,
    buffer,
    byteOffset: offset,
    registry: registryOf(),
    ...(name === undefined ? {} : { name }),
    ...extras,
  });
}

/** Whether `value` looks like a threadkit handle (of any kind). */
export function isHandle(value: unknown): value is Handle {
  return typeof value === "object" && value !== null &&
    (value as { threadkit?: unknown }).threadkit === 1 &&
    typeof (value as { kind?: unknown }).kind === "string";
}

/**
 * Validates `handle` for `X.from` and adopts its registry. Throws `TypeError` for anything that
 * is not a handle of `kind` over a SharedArrayBuffer, `RangeError` when the slots do not fit.
 */
export function open(handle: unknown, kind: string, byteLength: number, align = 4): Handle {
  // The primitive itself, or its structured clone (a posted Lock arrives as `{ handle }`: its
  // private state is not cloned, its public `handle` is): open its handle.
  const inner = typeof handle === "object" && handle !== null
    ? (handle as { handle?: unknown }).handle
    : undefined;
  if (!isHandle(handle) && isHandle(inner)) handle = inner;
  if (!isHandle(handle)) {
    throw new TypeError(
      `Cannot open ${kind}: expected a threadkit handle (a primitive's \`.handle\`), got ${
        typeName(handle)
      }`,
    );
  }
  if (handle.kind !== kind) {
    throw new TypeError(`Cannot open ${kind}: the handle is of a ${handle.kind}`);
  }
  const { buffer, byteOffset } = handle;
  if (!(buffer instanceof SharedArrayBuffer)) {
    throw new TypeError(
      `Cannot open ${kind}: handle.buffer must be a SharedArrayBuffer, got ${typeName(buffer)}`,
    );
  }
  if (!Number.isSafeInteger(byteOffset) || byteOffset < 0 || byteOffset % align !== 0) {
    throw new RangeError(
      `Cannot open ${kind}: handle.byteOffset ${byteOffset} is not a valid offset`,
    );
  }
  if (byteOffset + byteLength > buffer.byteLength) {
    throw new RangeError(`Cannot open ${kind}: the handle's buffer is too small for it`);
  }
  adoptRegistry(handle.registry);
  return handle;
}

/** The int32 slots of a placed primitive. */
export function slots(handle: Handle, count: number): Int32Array {
  return new Int32Array(handle.buffer, handle.byteOffset, count);
}
