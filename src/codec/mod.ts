/**
 * Codecs: turn queue items into bytes and back.
 *
 * The queue family stores every item as one byte record in a shared-memory ring. A {@link Codec}
 * produces that record ({@link Codec.encode}) and rebuilds the item from it ({@link Codec.decode}).
 * {@link structuredCodec} (the default) handles everything `structuredClone` handles except
 * transferables and platform objects; {@link float64Codec} stores plain numbers in 8 bytes.
 *
 * This module owns the public codecs; the record format is in `format.ts`, the encoder in
 * `writer.ts`, the decoder in `reader.ts`, the captured built-ins in `intrinsics.ts`.
 *
 * ## Fidelity to `structuredClone`
 *
 * Verified against the `structuredClone` of Node 24 (V8), Deno 2 (V8) and Bun 1 (JavaScriptCore):
 *
 * - Plain objects keep their own enumerable string keys (in `Object.keys` order, getters read
 *   once); class instances and null-prototype objects come back as plain objects. Arrays keep
 *   their length, holes and extra enumerable properties.
 * - Errors keep `name` (one of the seven standard names, read through the prototype chain; any
 *   other name gives an `Error`), an own data `message` (converted to a string), and `stack` when
 *   it is a string; other properties are dropped. `cause` (an own data property, encoded like any
 *   value, so it may be an error or point back into the graph) is kept where the runtime's
 *   `structuredClone` keeps it: V8 (Node, Deno) does, Bun (JavaScriptCore) does not — the codec
 *   asks `structuredClone` once, on the first error it encodes. An error without a string stack
 *   comes back with an own `stack` of undefined on V8 and with no `stack` on Bun, as there.
 * - DOMException keeps name, message and (Node, Deno; Bun's have none) stack.
 * - Float16Array is supported where the runtime has it (Node 24, Deno 2, Bun 1 all do).
 * - Where the runtimes' `structuredClone` disagree, the codec follows the common behaviour or the
 *   HTML specification: a Map is snapshotted before its entries are encoded (as V8 and the spec
 *   do; Bun iterates live); rejections carry the V8-style "… could not be cloned" wording on all
 *   runtimes; objects whose prototype is not `Object.prototype`/`null` and whose
 *   `Symbol.toStringTag` names an unsupported type (Blob, URL, EventTarget, Intl and Temporal
 *   objects, WeakMap, Promise, iterators, …) are rejected — Bun rejects those, V8 clones some
 *   of them as `{}` and Blob/File natively; the codec never copies platform objects.
 *
 * Known differences from `structuredClone`:
 *
 * - Blob, File and other platform objects are rejected (the runtimes clone some of them). A class
 *   instance whose `Symbol.toStringTag` is not "Object" is rejected too (the runtimes copy it as
 *   a plain object), since the codec cannot tell it from a platform object.
 * - Records are limited to 4 GiB - 1 per ArrayBuffer, string and count (u32 fields).
 *
 * and, in corners that `structuredClone` sees but plain JavaScript cannot:
 *
 * - A Proxy is encoded through its traps (V8 and Bun reject proxies).
 * - A built-in object (Map, Date, Error, …) whose prototype was replaced by `Object.prototype` or
 *   `null` is encoded as a plain object (V8 still sees its internal type).
 * - A view on a resizable ArrayBuffer that is already at its `maxByteLength` is taken to be
 *   fixed-length (length-tracking views are detected by growing the buffer by one element and
 *   shrinking it back, which is impossible there).
 *
 * ## Performance notes
 *
 * - Numbers take the int32 or float64 tag without allocating; ASCII strings of up to 32 chars are
 *   written char by char; longer or non-ASCII strings go through `TextEncoder.encodeInto` into
 *   the scratch buffer, which grows geometrically and is kept (it stays as large as the largest
 *   record encoded on the thread). The returned view is made once per record length (below 128
 *   bytes) and reused. The reference table keeps a record's first 8 objects in an array searched
 *   linearly and only the rest in a Map.
 * - Plain objects are written keys first (format 0x1C), so each thread caches the work on a
 *   repeated key list: the encoder remembers the bytes of the last 8 key lists it wrote (up to 32
 *   keys, 512 bytes) and copies them when `Object.keys` gives the same list again; the decoder
 *   maps a key block's bytes to the key strings it built before (64 slots). Records never depend
 *   on these caches; each carries its keys in full.
 * - Measured with `bench/probes/codec_cpu.ts --case obj` (CPU per encode + decode of
 *   `{ id, kind, value }`, alternating processes; `writer.ts` has each step): from before these
 *   three changes to after, Node about 720 → 390 ns, Deno 750 → 425, Bun 490 → 210.
 * - Decoding reads the record in place; its reference table is an array cleared slot by slot. ASCII strings of up to 14 chars are built with
 *   `String.fromCharCode` and remembered in a small cache (object keys repeat, and a cached key
 *   is already internalized); longer strings go through TextDecoder. Chromium's TextDecoder
 *   refuses views on a SharedArrayBuffer, so a one-byte probe at module load checks whether the
 *   runtime accepts them; where it does not, the bytes are first copied into a private scratch.
 *   Node, Deno and Bun accept them, so there is no copy there.
 * - Each plain Array costs one `Object.keys()` call (the only way to see holes and extra
 *   properties). That is cheap for small arrays but adds up for arrays of many thousands of
 *   elements, on Bun especially; send bulk numbers as a typed array (one copy of its bytes).
 *
 * @module
 */

import { describe, functionName } from "./intrinsics.ts";
import { malformed, Reader } from "./reader.ts";
import { Writer } from "./writer.ts";

/**
 * Turns items into bytes and back.
 *
 * A queue calls `encode` once per item and copies the bytes into its shared ring at once, then
 * calls `decode` on a view of the ring when the item is taken. Pass your own codec in the queue
 * options to store items in another format; {@link structuredCodec} is the default and
 * {@link float64Codec} the numbers-only one.
 *
 * @example A codec for JSON values
 * ```ts
 * import type { Codec } from "@threadkit/threadkit";
 *
 * const encoder = new TextEncoder();
 * const decoder = new TextDecoder();
 * const jsonCodec: Codec<unknown> = {
 *   encode: (value) => encoder.encode(JSON.stringify(value)),
 *   // copy first: some TextDecoders refuse views on a SharedArrayBuffer
 *   decode: (bytes) => JSON.parse(decoder.decode(bytes.slice())),
 * };
 * ```
 */
export interface Codec<T> {
  /**
   * Encode `value`. May return a view on an internal, NON-shared scratch buffer that stays valid
   * only until the next encode() call on this thread (the queue copies it into the ring at once).
   * Throws TypeError for values it cannot encode; must not have side effects on failure.
   *
   * @param value The item.
   * @returns The record's bytes.
   * @throws {TypeError} If the value cannot be encoded.
   */
  encode(value: T): Uint8Array;
  /**
   * Decode one record. `bytes` may be a view on a SharedArrayBuffer; copy out whatever you keep.
   *
   * @param bytes Exactly one record, as `encode` returned it.
   * @returns The item.
   * @throws {TypeError} If the bytes are not a record of this codec.
   */
  decode(bytes: Uint8Array): T;
}

const sharedWriter = new Writer(1024);
const sharedReader = new Reader();

/**
 * The default codec: a compact tag-per-value binary encoding of everything `structuredClone`
 * copies (the record format is described in `src/codec/format.ts`).
 *
 * Handles undefined, null, booleans, numbers (int32 and float64 fast paths; -0, NaN and
 * ±Infinity kept), bigints of any size, strings (lone surrogates kept), arrays (holes, length
 * and extra enumerable properties kept), plain objects and class instances (as plain objects),
 * Map, Set, Date, RegExp (source and flags), boxed primitives, ArrayBuffer (resizable ones
 * stay resizable), every typed array and DataView (copied, sharing one copied buffer per source
 * buffer), Error and its six native subclasses (name, message, stack, and `cause` where the
 * runtime's `structuredClone` keeps it), DOMException, shared references and cycles.
 *
 * `encode` returns a view on a private scratch buffer that the next `encode` on the same
 * thread overwrites; copy it (the queue does) before encoding again. A failed encode throws
 * before returning and leaves nothing behind. `decode` accepts a view on a SharedArrayBuffer
 * and copies everything it returns out of it.
 *
 * @example
 * ```ts
 * import { structuredCodec } from "@threadkit/threadkit";
 *
 * const item = { id: 1, when: new Date(0), tags: new Set(["a"]) };
 * const bytes = structuredCodec.encode(item).slice(); // copy: the view is reused
 * const copy = structuredCodec.decode(bytes) as typeof item;
 * copy.tags.has("a"); // true
 *
 * try {
 *   structuredCodec.encode({ f() {} });
 * } catch (error) {
 *   // TypeError: Cannot encode value: function f could not be cloned
 * }
 * ```
 */
export const structuredCodec: Codec<unknown> = {
  /**
   * Encode one value into a record.
   *
   * @param value The value to encode.
   * @returns A view on the codec's private scratch buffer, valid until the next `encode` call
   *   on this thread.
   * @throws {TypeError} "Cannot encode value: … could not be cloned" for functions, symbols,
   *   WeakMap, Promise and other values `structuredClone` refuses, and for a SharedArrayBuffer
   *   or a view on one ("… pass shared memory by its handle"). Errors thrown by getters
   *   propagate unchanged.
   */
  encode(value: unknown): Uint8Array {
    // A getter may itself encode (e.g. enqueue); give nested calls their own scratch.
    const w = sharedWriter.busy ? new Writer(256) : sharedWriter;
    w.busy = true;
    w.pos = 0;
    try {
      w.value(value);
      return w.written();
    } finally {
      w.forget();
      w.busy = false;
    }
  },

  /**
   * Decode one record produced by `encode`.
   *
   * @param bytes The record; may be a view on a SharedArrayBuffer. Nothing returned aliases it.
   * @returns A fresh value, equal to what `structuredClone` of the encoded value returns.
   * @throws {TypeError} "Cannot decode record: …" when `bytes` is not one well-formed record.
   */
  decode(bytes: Uint8Array): unknown {
    const r = sharedReader.busy ? new Reader() : sharedReader;
    r.busy = true;
    try {
      r.begin(bytes);
      const v = r.value();
      if (r.p !== r.end) throw malformed(`${r.end - r.p} bytes left over`);
      return v;
    } finally {
      r.finish();
      r.busy = false;
    }
  },
};

const f64Bytes = new Uint8Array(8);
const f64View = new DataView(f64Bytes.buffer);
const f64InBytes = new Uint8Array(8);
const f64InView = new DataView(f64InBytes.buffer);

/**
 * A numbers-only codec: each item is exactly 8 bytes, the IEEE 754 double, little-endian.
 *
 * Faster and smaller than {@link structuredCodec} for queues of numbers; every number
 * (including -0, NaN and ±Infinity) round-trips exactly.
 *
 * @example
 * ```ts
 * import { float64Codec } from "@threadkit/threadkit";
 *
 * const bytes = float64Codec.encode(-0); // 8 bytes, little-endian
 * Object.is(float64Codec.decode(bytes), -0); // true
 * try {
 *   float64Codec.encode("1" as unknown as number);
 * } catch (error) {
 *   // TypeError: Cannot encode value: float64Codec encodes numbers only, got string
 * }
 * ```
 */
export const float64Codec: Codec<number> = {
  /**
   * Encode one number.
   *
   * @param value The number.
   * @returns An 8-byte view on a private scratch buffer, valid until the next `encode` call.
   * @throws {TypeError} If `value` is not a number (bigints and Number objects included).
   */
  encode(value: number): Uint8Array {
    if (typeof value !== "number") {
      throw new TypeError(
        `Cannot encode value: float64Codec encodes numbers only, got ${describeType(value)}`,
      );
    }
    f64View.setFloat64(0, value, true);
    return f64Bytes;
  },

  /**
   * Decode one 8-byte record.
   *
   * @param bytes Exactly 8 bytes; may be a view on a SharedArrayBuffer.
   * @returns The number.
   * @throws {TypeError} If `bytes` is not 8 bytes long.
   */
  decode(bytes: Uint8Array): number {
    if (bytes.length !== 8) {
      throw new TypeError(
        `Cannot decode record: float64Codec expects 8 bytes, got ${bytes.length}`,
      );
    }
    // Copy through a private scratch (the encode scratch may still be in the caller's hands).
    for (let i = 0; i < 8; i++) f64InBytes[i] = bytes[i] as number;
    return f64InView.getFloat64(0, true);
  },
};

function describeType(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "object") return describe(v);
  if (typeof v === "function") return `function ${functionName(v)}`;
  if (typeof v === "symbol") return v.toString();
  return typeof v;
}
