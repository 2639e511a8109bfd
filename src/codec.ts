/**
 * Codecs: turn queue items into bytes and back.
 *
 * The queue family stores every item as one byte record in a shared-memory ring. A {@link Codec}
 * produces that record ({@link Codec.encode}) and rebuilds the item from it ({@link Codec.decode}).
 * {@link structuredCodec} (the default) handles everything `structuredClone` handles except
 * transferables and platform objects; {@link float64Codec} stores plain numbers in 8 bytes.
 *
 * ## Record format of `structuredCodec`
 *
 * One record is one value. Every value starts with a one-byte tag; all multi-byte fields are
 * little-endian and unaligned. `u8`/`u32` are unsigned integers, `i32`/`i64` signed, `f64` an IEEE
 * double. "string" means a nested string value (tag 0x08, 0x09 or 0x0A); "value" a nested value
 * of any tag.
 *
 * | Tag  | Name             | Payload                                                              |
 * | ---- | ---------------- | -------------------------------------------------------------------- |
 * | 0x00 | undefined        | —                                                                    |
 * | 0x01 | null             | —                                                                    |
 * | 0x02 | false            | —                                                                    |
 * | 0x03 | true             | —                                                                    |
 * | 0x04 | int32            | i32 (numbers that are int32 and not -0)                              |
 * | 0x05 | float64          | f64 (every other number: -0, NaN, ±Infinity, fractions, large ints)  |
 * | 0x06 | bigint64         | i64 (bigints in [-2^63, 2^63))                                       |
 * | 0x07 | bigint           | u8 sign (1 = negative), u32 n, n bytes of magnitude, least first     |
 * | 0x08 | ascii string     | u8 n (0..255), n bytes, one char code each (all < 0x80)              |
 * | 0x09 | utf-8 string     | u32 n, n bytes of UTF-8 (well-formed strings)                        |
 * | 0x0A | utf-16 string    | u32 n, n code units of 2 bytes (strings with lone surrogates)        |
 * | 0x0B | reference        | u32 id of an object seen before in this record                       |
 * | 0x0C | object           | u32 n, n × (string key, value)                                       |
 * | 0x0D | array            | u32 length, length × value (no holes, no extra properties)           |
 * | 0x0E | sparse array     | u32 length, u32 n, n × (string key, value) (holes / extra keys)      |
 * | 0x0F | Map              | u32 n, n × (key value, value)                                        |
 * | 0x10 | Set              | u32 n, n × value                                                     |
 * | 0x11 | Date             | f64 time value (NaN for an invalid date)                             |
 * | 0x12 | RegExp           | string source, string flags                                          |
 * | 0x13 | Boolean object   | u8 (0 or 1)                                                          |
 * | 0x14 | Number object    | f64                                                                  |
 * | 0x15 | String object    | string                                                               |
 * | 0x16 | BigInt object    | value (tag 0x06 or 0x07)                                             |
 * | 0x17 | ArrayBuffer      | u32 n, n bytes                                                       |
 * | 0x18 | resizable buffer | u32 n, u32 maxByteLength, n bytes                                    |
 * | 0x19 | view             | u8 kind, u8 flags, u32 byteOffset, u32 length, buffer value          |
 * | 0x1A | Error            | u8 kind, u8 flags, [string message], [string stack], [value cause]   |
 * | 0x1B | DOMException     | u8 flags, string name, string message, [string stack]                |
 *
 * View kinds: 0 Int8Array, 1 Uint8Array, 2 Uint8ClampedArray, 3 Int16Array, 4 Uint16Array,
 * 5 Int32Array, 6 Uint32Array, 7 Float16Array, 8 Float32Array, 9 Float64Array, 10 BigInt64Array,
 * 11 BigUint64Array, 12 DataView. View flags: bit 0 = length-tracking (a view on a resizable buffer
 * created without a length). `length` counts elements for typed arrays and bytes for a DataView.
 * The buffer value is tag 0x17, 0x18 or 0x0B, so views on one buffer share one copied buffer.
 *
 * Error kinds: 0 Error, 1 EvalError, 2 RangeError, 3 ReferenceError, 4 SyntaxError, 5 TypeError,
 * 6 URIError. Error flags: bit 0 = message present, bit 1 = stack present, bit 2 = cause present.
 * DOMException flags: bit 1 = stack present.
 *
 * References: every object (tags 0x0C–0x1B) gets the next id, counting from 0, when the encoder
 * first meets it — before its children, so cycles work; a view takes its id before its buffer.
 * Meeting the same object again writes tag 0x0B with that id, and the decoder hands back the
 * object it built the first time. This is how shared references and cycles survive.
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
 *   record encoded on the thread). The reference table is a Map, cleared only when the record
 *   held objects.
 * - Decoding reads the record in place. ASCII strings of up to 14 chars are built with
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

// ---------------------------------------------------------------------------------------------
// Tags

const T_UNDEFINED = 0x00;
const T_NULL = 0x01;
const T_FALSE = 0x02;
const T_TRUE = 0x03;
const T_INT32 = 0x04;
const T_FLOAT64 = 0x05;
const T_BIGINT64 = 0x06;
const T_BIGINT = 0x07;
const T_ASCII = 0x08;
const T_UTF8 = 0x09;
const T_UTF16 = 0x0a;
const T_REF = 0x0b;
const T_OBJECT = 0x0c;
const T_ARRAY = 0x0d;
const T_SPARSE_ARRAY = 0x0e;
const T_MAP = 0x0f;
const T_SET = 0x10;
const T_DATE = 0x11;
const T_REGEXP = 0x12;
const T_BOOLEAN_OBJECT = 0x13;
const T_NUMBER_OBJECT = 0x14;
const T_STRING_OBJECT = 0x15;
const T_BIGINT_OBJECT = 0x16;
const T_ARRAY_BUFFER = 0x17;
const T_RESIZABLE_BUFFER = 0x18;
const T_VIEW = 0x19;
const T_ERROR = 0x1a;
const T_DOM_EXCEPTION = 0x1b;

/**
 * Longest string tried on the ASCII fast path (tag 0x08, at most 255). Measured on V8 and
 * JavaScriptCore: a char-code loop beats `TextEncoder.encodeInto` up to about 32 chars.
 */
const ASCII_MAX = 32;
/**
 * ASCII strings up to this length decode with a `String.fromCharCode` loop (and a cache);
 * longer ones go through TextDecoder, which wins from about 12–16 chars.
 */
const SHORT_DECODE = 14;
const U32_MAX = 0xffffffff;
const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

// ---------------------------------------------------------------------------------------------
// Intrinsics, captured once so that user code patching prototypes cannot confuse the codec.

type AnyFn = (this: unknown, ...args: unknown[]) => unknown;

function getter(proto: object, key: PropertyKey): AnyFn {
  const desc = Object.getOwnPropertyDescriptor(proto, key);
  const get = desc?.get;
  if (get === undefined) throw new Error(`codec: missing intrinsic getter ${String(key)}`);
  return get as AnyFn;
}

function optionalGetter(proto: object | undefined, key: PropertyKey): AnyFn | undefined {
  if (proto === undefined) return undefined;
  return Object.getOwnPropertyDescriptor(proto, key)?.get as AnyFn | undefined;
}

const ObjectProto = Object.prototype;
const getProto = Object.getPrototypeOf;
const objectKeys = Object.keys;
const hasOwn = Object.hasOwn;
const getOwnDesc = Object.getOwnPropertyDescriptor;
const defineProperty = Object.defineProperty;
const isArray = Array.isArray;
const isView = ArrayBuffer.isView;
const objectToString = ObjectProto.toString as AnyFn;
const fromCharCode = String.fromCharCode;
const functionName = (f: unknown): string => {
  const n = (f as { name?: unknown }).name;
  return typeof n === "string" && n !== "" ? n : "(anonymous)";
};

const TypedArrayProto: object = getProto(Uint8Array.prototype);
const taTag = getter(TypedArrayProto, Symbol.toStringTag) as (this: unknown) => string | undefined;
const taBuffer = getter(TypedArrayProto, "buffer");
const taByteOffset = getter(TypedArrayProto, "byteOffset") as (this: unknown) => number;
const taByteLength = getter(TypedArrayProto, "byteLength") as (this: unknown) => number;
const taLength = getter(TypedArrayProto, "length") as (this: unknown) => number;
const dvBuffer = getter(DataView.prototype, "buffer");
const dvByteOffset = getter(DataView.prototype, "byteOffset") as (this: unknown) => number;
const dvByteLength = getter(DataView.prototype, "byteLength") as (this: unknown) => number;
const abByteLength = getter(ArrayBuffer.prototype, "byteLength") as (this: unknown) => number;
const abResizable = optionalGetter(ArrayBuffer.prototype, "resizable");
const abMaxByteLength = optionalGetter(ArrayBuffer.prototype, "maxByteLength");
const abDetached = optionalGetter(ArrayBuffer.prototype, "detached");
const abResize = (ArrayBuffer.prototype as { resize?: AnyFn }).resize;
const sabByteLength = optionalGetter(
  typeof SharedArrayBuffer === "function" ? SharedArrayBuffer.prototype : undefined,
  "byteLength",
);
const mapSize = getter(Map.prototype, "size");
const setSize = getter(Set.prototype, "size");
const mapForEach = Map.prototype.forEach as (
  this: unknown,
  cb: (v: unknown, k: unknown) => void,
) => void;
const setForEach = Set.prototype.forEach as (this: unknown, cb: (v: unknown) => void) => void;
const dateGetTime = Date.prototype.getTime as (this: unknown) => number;
const regexpSource = getter(RegExp.prototype, "source") as (this: unknown) => string;
const regexpFlags = getter(RegExp.prototype, "flags") as (this: unknown) => string;
const booleanValueOf = Boolean.prototype.valueOf as (this: unknown) => boolean;
const numberValueOf = Number.prototype.valueOf as (this: unknown) => number;
const stringValueOf = String.prototype.valueOf as (this: unknown) => string;
const bigintValueOf = BigInt.prototype.valueOf as (this: unknown) => bigint;
const symbolValueOf = Symbol.prototype.valueOf as (this: unknown) => symbol;
const isErrorNative = (Error as { isError?: (v: unknown) => boolean }).isError;

const SAB: typeof SharedArrayBuffer | undefined = typeof SharedArrayBuffer === "function"
  ? SharedArrayBuffer
  : undefined;

type DOMExceptionCtor = new (message?: string, name?: string) => Error;
const DOMExc: DOMExceptionCtor | undefined = typeof DOMException === "function"
  ? DOMException as unknown as DOMExceptionCtor
  : undefined;
const domExceptionCode = optionalGetter(DOMExc?.prototype, "code");

const ERROR_NAMES = [
  "Error",
  "EvalError",
  "RangeError",
  "ReferenceError",
  "SyntaxError",
  "TypeError",
  "URIError",
];
const ERROR_CTORS: ErrorConstructor[] = [
  Error,
  EvalError,
  RangeError,
  ReferenceError,
  SyntaxError,
  TypeError,
  URIError,
];

type ViewCtor = new (buffer: ArrayBuffer, byteOffset?: number, length?: number) => ArrayBufferView;
const Float16: ViewCtor | undefined = (globalThis as { Float16Array?: ViewCtor }).Float16Array;
const VIEW_CTORS: (ViewCtor | undefined)[] = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float16,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
  DataView,
];
const VIEW_KIND_DATAVIEW = 12;
const VIEW_ELEMENT_SIZE = [1, 1, 1, 2, 2, 4, 4, 2, 4, 8, 8, 8, 1];
const VIEW_KIND: { readonly [name: string]: number } = {
  __proto__: null,
  Int8Array: 0,
  Uint8Array: 1,
  Uint8ClampedArray: 2,
  Int16Array: 3,
  Uint16Array: 4,
  Int32Array: 5,
  Uint32Array: 6,
  Float16Array: 7,
  Float32Array: 8,
  Float64Array: 9,
  BigInt64Array: 10,
  BigUint64Array: 11,
} as unknown as { readonly [name: string]: number };

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * Whether this runtime's TextDecoder accepts a view on a SharedArrayBuffer. Chromium refuses
 * (TypeError); Node, Deno and Bun accept. Probed once with a 1-byte buffer; where it refuses,
 * long strings read from shared memory are first copied into a private scratch buffer.
 */
const DECODER_TAKES_SHARED: boolean = (() => {
  if (SAB === undefined) return true;
  try {
    textDecoder.decode(new Uint8Array(new SAB(1)));
    return true;
  } catch {
    return false;
  }
})();

const isWellFormed: (s: string) => boolean = typeof "".isWellFormed === "function"
  ? (s) => s.isWellFormed()
  : (s) => !/\p{Surrogate}/u.test(s);

let keepsCause: boolean | undefined;
/**
 * Whether the runtime's structuredClone keeps Error `cause` (V8: yes, JavaScriptCore: no). Asked
 * once, lazily, on the first error encoded.
 */
function causeIsKept(): boolean {
  if (keepsCause === undefined) {
    try {
      keepsCause = hasOwn(structuredClone(new Error("", { cause: 0 })), "cause");
    } catch {
      keepsCause = true;
    }
  }
  return keepsCause;
}

// ---------------------------------------------------------------------------------------------
// Errors raised while encoding

function cannot(what: string): TypeError {
  return new TypeError(`Cannot encode value: ${what} could not be cloned`);
}

const SHARED_HINT =
  "a SharedArrayBuffer cannot be copied into a queue; pass shared memory by its handle";

function tagOf(v: object): string {
  return objectToString.call(v) as string;
}

function describe(v: unknown): string {
  if (typeof v === "function") return `function ${functionName(v)}`;
  if (typeof v === "symbol") return v.toString();
  if (typeof v === "object" && v !== null) return `#<${tagOf(v).slice(8, -1)}>`;
  return String(v);
}

/** For the `buffer` of a view, which is either an ArrayBuffer or a SharedArrayBuffer. */
function isSharedBuffer(buffer: object): boolean {
  return !(buffer instanceof ArrayBuffer) && !brand(abByteLength, buffer);
}

function isDetached(buffer: unknown): boolean {
  return abDetached !== undefined && abDetached.call(buffer) === true;
}

function brand(check: AnyFn, v: unknown): boolean {
  try {
    check.call(v);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Encoder

class Writer {
  buf: ArrayBuffer;
  u8: Uint8Array;
  dv: DataView;
  pos = 0;
  refs: Map<object, number> = new Map();
  nextId = 0;
  busy = false;

  constructor(capacity: number) {
    this.buf = new ArrayBuffer(capacity);
    this.u8 = new Uint8Array(this.buf);
    this.dv = new DataView(this.buf);
  }

  /** Make room for `n` more bytes, growing the scratch buffer geometrically. */
  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.u8.length) return;
    let cap = this.u8.length * 2;
    while (cap < need) cap *= 2;
    const buf = new ArrayBuffer(cap);
    const u8 = new Uint8Array(buf);
    u8.set(this.u8.subarray(0, this.pos));
    this.buf = buf;
    this.u8 = u8;
    this.dv = new DataView(buf);
  }

  byte(b: number): void {
    this.ensure(1);
    this.u8[this.pos++] = b;
  }

  /** Tag plus u32. */
  tagU32(tag: number, n: number): void {
    this.ensure(5);
    this.u8[this.pos] = tag;
    this.dv.setUint32(this.pos + 1, n, true);
    this.pos += 5;
  }

  value(v: unknown): void {
    switch (typeof v) {
      case "number":
        this.number(v);
        return;
      case "string":
        this.string(v);
        return;
      case "object":
        if (v === null) this.byte(T_NULL);
        else this.object(v);
        return;
      case "boolean":
        this.byte(v ? T_TRUE : T_FALSE);
        return;
      case "undefined":
        this.byte(T_UNDEFINED);
        return;
      case "bigint":
        this.bigint(v);
        return;
      default:
        // symbol, function (callable objects, including classes)
        throw cannot(describe(v));
    }
  }

  number(v: number): void {
    this.ensure(9);
    const u8 = this.u8, p = this.pos;
    if ((v | 0) === v && (v !== 0 || 1 / v > 0)) {
      u8[p] = T_INT32;
      this.dv.setInt32(p + 1, v, true);
      this.pos = p + 5;
    } else {
      u8[p] = T_FLOAT64;
      this.dv.setFloat64(p + 1, v, true);
      this.pos = p + 9;
    }
  }

  string(s: string): void {
    const n = s.length;
    if (n <= ASCII_MAX) {
      this.ensure(n + 2);
      const u8 = this.u8, start = this.pos + 2;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c > 0x7f) break;
        u8[start + i] = c;
      }
      if (i === n) {
        u8[start - 2] = T_ASCII;
        u8[start - 1] = n;
        this.pos = start + n;
        return;
      }
    }
    if (isWellFormed(s)) {
      // Reserve 1 byte per code unit plus slack; TextEncoder stops when the room runs out (never
      // inside a surrogate pair), then grow by 3 bytes per unit still unread and go on.
      const at = this.pos;
      this.ensure(5 + n + 16);
      let read = 0;
      let written = 0;
      for (;;) {
        const r = textEncoder.encodeInto(
          read === 0 ? s : s.slice(read),
          this.u8.subarray(at + 5 + written),
        );
        read += r.read;
        written += r.written;
        if (read >= n) break;
        this.pos = at + 5 + written;
        this.ensure(3 * (n - read) + 4);
      }
      this.u8[at] = T_UTF8;
      this.dv.setUint32(at + 1, written, true);
      this.pos = at + 5 + written;
    } else {
      // Lone surrogates: TextEncoder would replace them with U+FFFD, so store code units.
      this.ensure(5 + 2 * n);
      const u8 = this.u8;
      this.u8[this.pos] = T_UTF16;
      this.dv.setUint32(this.pos + 1, n, true);
      let p = this.pos + 5;
      for (let i = 0; i < n; i++) {
        const c = s.charCodeAt(i);
        u8[p++] = c & 0xff;
        u8[p++] = c >>> 8;
      }
      this.pos = p;
    }
  }

  bigint(v: bigint): void {
    if (v >= I64_MIN && v <= I64_MAX) {
      this.ensure(9);
      this.u8[this.pos] = T_BIGINT64;
      this.dv.setBigInt64(this.pos + 1, v, true);
      this.pos += 9;
      return;
    }
    const negative = v < 0n;
    const hex = (negative ? -v : v).toString(16);
    const n = (hex.length + 1) >> 1;
    this.ensure(6 + n);
    const u8 = this.u8;
    u8[this.pos] = T_BIGINT;
    u8[this.pos + 1] = negative ? 1 : 0;
    this.dv.setUint32(this.pos + 2, n, true);
    const start = this.pos + 6;
    let j = hex.length;
    for (let i = 0; i < n; i++, j -= 2) {
      const lo = hexDigit(hex.charCodeAt(j - 1));
      const hi = j >= 2 ? hexDigit(hex.charCodeAt(j - 2)) : 0;
      u8[start + i] = (hi << 4) | lo;
    }
    this.pos = start + n;
  }

  object(o: object): void {
    const refs = this.refs;
    const id = refs.get(o);
    if (id !== undefined) {
      this.tagU32(T_REF, id);
      return;
    }
    refs.set(o, this.nextId++);

    if (isArray(o)) {
      this.array(o);
      return;
    }
    const proto: unknown = getProto(o);
    if (proto === ObjectProto || proto === null) {
      // Arguments objects have Object.prototype too; V8 and JavaScriptCore refuse them.
      if (hasOwn(o, "callee") && tagOf(o) === "[object Arguments]") throw cannot("#<Arguments>");
      this.plain(o);
      return;
    }
    if (isView(o)) {
      this.view(o);
      return;
    }
    this.exotic(o, tagOf(o));
  }

  /** Objects that are neither arrays, nor views, nor have Object.prototype / null prototype. */
  exotic(o: object, tag: string): void {
    switch (tag) {
      case "[object Object]":
        if (isError(o)) break; // an Error subclass with a custom toString tag is still an Error
        this.plain(o);
        return;
      case "[object Map]":
        if (!brand(mapSize, o)) break;
        this.map(o);
        return;
      case "[object Set]":
        if (!brand(setSize, o)) break;
        this.set(o);
        return;
      case "[object Date]":
        if (!brand(dateGetTime, o)) break;
        this.ensure(9);
        this.u8[this.pos] = T_DATE;
        this.dv.setFloat64(this.pos + 1, dateGetTime.call(o), true);
        this.pos += 9;
        return;
      case "[object RegExp]":
        if (!brand(regexpSource, o)) break;
        this.byte(T_REGEXP);
        this.string(regexpSource.call(o));
        this.string(regexpFlags.call(o));
        return;
      case "[object Boolean]":
        if (!brand(booleanValueOf, o)) break;
        this.ensure(2);
        this.u8[this.pos] = T_BOOLEAN_OBJECT;
        this.u8[this.pos + 1] = booleanValueOf.call(o) ? 1 : 0;
        this.pos += 2;
        return;
      case "[object Number]":
        if (!brand(numberValueOf, o)) break;
        this.ensure(9);
        this.u8[this.pos] = T_NUMBER_OBJECT;
        this.dv.setFloat64(this.pos + 1, numberValueOf.call(o), true);
        this.pos += 9;
        return;
      case "[object String]":
        if (!brand(stringValueOf, o)) break;
        this.byte(T_STRING_OBJECT);
        this.string(stringValueOf.call(o));
        return;
      case "[object BigInt]":
        if (!brand(bigintValueOf, o)) break;
        this.byte(T_BIGINT_OBJECT);
        this.bigint(bigintValueOf.call(o));
        return;
      case "[object Symbol]":
        if (brand(symbolValueOf, o)) {
          throw cannot(`Symbol object ${symbolValueOf.call(o).toString()}`);
        }
        break;
      case "[object ArrayBuffer]":
        if (!brand(abByteLength, o)) break;
        this.arrayBuffer(o);
        return;
      case "[object SharedArrayBuffer]":
        if (sabByteLength === undefined || !brand(sabByteLength, o)) break;
        throw new TypeError(`Cannot encode value: ${SHARED_HINT}`);
      case "[object Error]":
        if (isErrorNative !== undefined && !isErrorNative(o)) break;
        this.error(o);
        return;
      case "[object DOMException]":
        if (DOMExc === undefined || domExceptionCode === undefined) break;
        if (!brand(domExceptionCode, o)) break;
        this.domException(o);
        return;
    }
    // Unsupported or spoofed tag.
    if (isError(o)) {
      this.error(o);
      return;
    }
    if (tag === "[object Object]") {
      this.plain(o);
      return;
    }
    throw cannot(describe(o));
  }

  /** Own enumerable string keys, read with [[Get]]; keys deleted meanwhile are skipped. */
  properties(o: object, keys: string[]): void {
    const countAt = this.pos - 4;
    let count = 0;
    const rec = o as Record<string, unknown>;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const v = rec[key];
      if (v === undefined && !hasOwn(o, key)) continue;
      this.string(key);
      this.value(v);
      count++;
    }
    if (count !== keys.length) this.dv.setUint32(countAt, count, true);
  }

  plain(o: object): void {
    const keys = objectKeys(o);
    this.tagU32(T_OBJECT, keys.length);
    this.properties(o, keys);
  }

  array(a: unknown[]): void {
    const len = a.length;
    const keys = objectKeys(a);
    // Object.keys lists array indices first, ascending. If there are exactly `len` keys and the
    // last one is the index len - 1, the indices 0 .. len-1 are all present and nothing else is.
    if (keys.length === len && (len === 0 || keys[len - 1] === String(len - 1))) {
      this.tagU32(T_ARRAY, len);
      for (let i = 0; i < len; i++) this.value(a[i]);
      return;
    }
    this.ensure(9);
    this.u8[this.pos] = T_SPARSE_ARRAY;
    this.dv.setUint32(this.pos + 1, len, true);
    this.dv.setUint32(this.pos + 5, keys.length, true);
    this.pos += 9;
    this.properties(a, keys);
  }

  map(m: object): void {
    // Snapshot first (as V8 and the HTML spec do), so getters that mutate the map cannot
    // change what is encoded.
    const entries: unknown[] = [];
    mapForEach.call(m, (v, k) => {
      entries.push(k, v);
    });
    this.tagU32(T_MAP, entries.length >> 1);
    for (let i = 0; i < entries.length; i++) this.value(entries[i]);
  }

  set(s: object): void {
    const items: unknown[] = [];
    setForEach.call(s, (v) => {
      items.push(v);
    });
    this.tagU32(T_SET, items.length);
    for (let i = 0; i < items.length; i++) this.value(items[i]);
  }

  arrayBuffer(buffer: object): void {
    if (isDetached(buffer)) throw cannot("an ArrayBuffer is detached and");
    const n = abByteLength.call(buffer);
    if (n > U32_MAX) throw cannot(`an ArrayBuffer of ${n} bytes (over 4 GiB - 1)`);
    const resizable = abResizable !== undefined && abResizable.call(buffer) === true;
    this.ensure(9 + n);
    const u8 = this.u8;
    if (resizable) {
      const max = (abMaxByteLength as AnyFn).call(buffer) as number;
      if (max > U32_MAX) throw cannot(`a resizable ArrayBuffer with maxByteLength ${max}`);
      u8[this.pos] = T_RESIZABLE_BUFFER;
      this.dv.setUint32(this.pos + 1, n, true);
      this.dv.setUint32(this.pos + 5, max, true);
      this.pos += 9;
    } else {
      u8[this.pos] = T_ARRAY_BUFFER;
      this.dv.setUint32(this.pos + 1, n, true);
      this.pos += 5;
    }
    u8.set(new Uint8Array(buffer as ArrayBuffer, 0, n), this.pos);
    this.pos += n;
  }

  view(v: ArrayBufferView): void {
    const name = taTag.call(v);
    const isTyped = name !== undefined;
    const kind = isTyped ? VIEW_KIND[name] : VIEW_KIND_DATAVIEW;
    if (kind === undefined) throw cannot(describe(v));
    const buffer = (isTyped ? taBuffer : dvBuffer).call(v) as object;
    if (isSharedBuffer(buffer)) {
      throw new TypeError(
        `Cannot encode value: ${name ?? "DataView"} views a SharedArrayBuffer, and ${SHARED_HINT}`,
      );
    }
    if (isDetached(buffer)) throw cannot("an ArrayBuffer is detached and");
    const byteOffset = isTyped ? taByteOffset.call(v) : dvByteOffset.call(v);
    const byteLength = isTyped ? taByteLength.call(v) : dvByteLength.call(v);
    const length = isTyped ? taLength.call(v) : byteLength;
    const tracking = this.lengthTracking(v, isTyped, buffer, byteOffset, byteLength, kind);
    this.ensure(11);
    const u8 = this.u8;
    u8[this.pos] = T_VIEW;
    u8[this.pos + 1] = kind;
    u8[this.pos + 2] = tracking ? 1 : 0;
    this.dv.setUint32(this.pos + 3, byteOffset, true);
    this.dv.setUint32(this.pos + 7, length, true);
    this.pos += 11;
    const id = this.refs.get(buffer);
    if (id !== undefined) {
      this.tagU32(T_REF, id);
    } else {
      this.refs.set(buffer, this.nextId++);
      this.arrayBuffer(buffer);
    }
  }

  /**
   * Whether a view on a resizable buffer tracks the buffer's length. JavaScript cannot ask, so
   * grow the buffer by one element, look, and shrink it back (contents are unchanged).
   */
  lengthTracking(
    v: ArrayBufferView,
    isTyped: boolean,
    buffer: object,
    byteOffset: number,
    byteLength: number,
    kind: number,
  ): boolean {
    if (abResizable === undefined || abResizable.call(buffer) !== true) return false;
    const size = VIEW_ELEMENT_SIZE[kind] as number;
    const len = abByteLength.call(buffer);
    if (len - (byteOffset + byteLength) >= size) return false;
    const max = (abMaxByteLength as AnyFn).call(buffer) as number;
    if (max - len < size || abResize === undefined) return false;
    abResize.call(buffer, len + size);
    const grown = (isTyped ? taByteLength : dvByteLength).call(v) !== byteLength;
    abResize.call(buffer, len);
    return grown;
  }

  error(e: object): void {
    const rec = e as { name?: unknown; stack?: unknown };
    const kind = ERROR_NAMES.indexOf(`${rec.name}`);
    const messageDesc = getOwnDesc(e, "message");
    const message = messageDesc !== undefined && "value" in messageDesc
      ? `${messageDesc.value}`
      : undefined;
    const stack = rec.stack;
    let flags = (message !== undefined ? 1 : 0) | (typeof stack === "string" ? 2 : 0);
    let cause: unknown;
    if (causeIsKept()) {
      const causeDesc = getOwnDesc(e, "cause");
      if (causeDesc !== undefined && "value" in causeDesc) {
        flags |= 4;
        cause = causeDesc.value;
      }
    }
    this.ensure(3);
    this.u8[this.pos] = T_ERROR;
    this.u8[this.pos + 1] = kind < 0 ? 0 : kind;
    this.u8[this.pos + 2] = flags;
    this.pos += 3;
    if (message !== undefined) this.string(message);
    if (typeof stack === "string") this.string(stack);
    if (flags & 4) this.value(cause);
  }

  domException(e: object): void {
    const rec = e as { name?: unknown; message?: unknown; stack?: unknown };
    const name = `${rec.name}`;
    const message = `${rec.message}`;
    const stack = rec.stack;
    this.ensure(2);
    this.u8[this.pos] = T_DOM_EXCEPTION;
    this.u8[this.pos + 1] = typeof stack === "string" ? 2 : 0;
    this.pos += 2;
    this.string(name);
    this.string(message);
    if (typeof stack === "string") this.string(stack);
  }
}

function isError(o: object): boolean {
  return isErrorNative !== undefined ? isErrorNative(o) : tagOf(o) === "[object Error]";
}

function hexDigit(c: number): number {
  return c <= 0x39 ? c - 0x30 : c - 0x57; // '0'..'9', 'a'..'f'
}

// ---------------------------------------------------------------------------------------------
// Decoder

const HEX_BYTE: string[] = [];
for (let i = 0; i < 256; i++) HEX_BYTE.push(i.toString(16).padStart(2, "0"));

function malformed(why: string): TypeError {
  return new TypeError(`Cannot decode record: ${why}`);
}

/** A short ASCII string from bytes, through the {@link shortStrings} cache. */
function shortAscii(u8: Uint8Array, start: number, n: number): string {
  const stop = start + n;
  let h = n;
  for (let i = start; i < stop; i++) h = (Math.imul(h, 31) + (u8[i] as number)) | 0;
  h = (h ^ (h >>> 12)) & 1023;
  const hit = shortStrings[h];
  if (hit !== undefined && hit.length === n) {
    let i = 0;
    while (i < n && hit.charCodeAt(i) === u8[start + i]) i++;
    if (i === n) return hit;
  }
  let s = "";
  for (let i = start; i < stop; i++) s += fromCharCode(u8[i] as number);
  shortStrings[h] = s;
  return s;
}

/** 8-byte scratch for reading fixed-width numbers (never the input, which may be shared). */
const numBytes = new Uint8Array(8);
const numView = new DataView(numBytes.buffer);

/**
 * Decoded short ASCII strings, by a hash of their bytes. Object keys repeat from record to record;
 * handing back the same (already internalized) string saves building it and makes the property
 * store faster. A slot holds the last string that hashed there.
 */
const shortStrings: (string | undefined)[] = new Array(1024).fill(undefined);

class Reader {
  /** The record; read in place (it may be a view on a SharedArrayBuffer). */
  u8: Uint8Array = numBytes;
  p = 0;
  end = 0;
  refs: unknown[] = [];
  /** Copy string bytes out before TextDecoder sees them (shared input, refusing runtime). */
  copy = false;
  scratch: Uint8Array = new Uint8Array(0);
  busy = false;

  begin(bytes: Uint8Array): void {
    this.u8 = bytes;
    this.p = 0;
    this.end = bytes.length;
    this.copy = !DECODER_TAKES_SHARED && SAB !== undefined && bytes.buffer instanceof SAB;
  }

  finish(): void {
    if (this.refs.length !== 0) this.refs.length = 0;
    this.u8 = numBytes; // do not keep the caller's buffer alive
  }

  need(n: number): void {
    if (this.p + n > this.end) throw malformed("truncated");
  }

  u32(): number {
    this.need(4);
    const u8 = this.u8, p = this.p;
    this.p = p + 4;
    return ((u8[p] as number) | ((u8[p + 1] as number) << 8) | ((u8[p + 2] as number) << 16) |
      ((u8[p + 3] as number) << 24)) >>> 0;
  }

  /** Copy the next 8 bytes into the number scratch. */
  fixed8(): void {
    this.need(8);
    const u8 = this.u8, p = this.p;
    for (let i = 0; i < 8; i++) numBytes[i] = u8[p + i] as number;
    this.p = p + 8;
  }

  f64(): number {
    this.fixed8();
    return numView.getFloat64(0, true);
  }

  value(): unknown {
    if (this.p >= this.end) throw malformed("truncated");
    const tag = this.u8[this.p++];
    switch (tag) {
      case T_UNDEFINED:
        return undefined;
      case T_NULL:
        return null;
      case T_FALSE:
        return false;
      case T_TRUE:
        return true;
      case T_INT32:
        return this.u32() | 0;
      case T_FLOAT64:
        return this.f64();
      case T_BIGINT64:
      case T_BIGINT:
        return this.bigintBody(tag);
      case T_ASCII:
      case T_UTF8:
      case T_UTF16:
        return this.stringBody(tag);
      case T_REF: {
        const id = this.u32();
        if (id >= this.refs.length) throw malformed(`reference ${id} to an unknown object`);
        return this.refs[id];
      }
      case T_OBJECT:
        return this.plainBody();
      case T_ARRAY: {
        const len = this.u32();
        this.need(len);
        const a: unknown[] = [];
        this.refs.push(a);
        for (let i = 0; i < len; i++) a.push(this.value());
        return a;
      }
      case T_SPARSE_ARRAY: {
        const len = this.u32();
        const n = this.u32();
        this.need(2 * n);
        const a: unknown[] = new Array(len);
        this.refs.push(a);
        this.properties(a, n);
        return a;
      }
      case T_MAP: {
        const n = this.u32();
        this.need(2 * n);
        const m = new Map<unknown, unknown>();
        this.refs.push(m);
        for (let i = 0; i < n; i++) {
          const k = this.value();
          m.set(k, this.value());
        }
        return m;
      }
      case T_SET: {
        const n = this.u32();
        this.need(n);
        const s = new Set<unknown>();
        this.refs.push(s);
        for (let i = 0; i < n; i++) s.add(this.value());
        return s;
      }
      case T_DATE:
        return this.ref(new Date(this.f64()));
      case T_REGEXP: {
        const source = this.string();
        return this.ref(new RegExp(source, this.string()));
      }
      case T_BOOLEAN_OBJECT:
        this.need(1);
        return this.ref(Object(this.u8[this.p++] === 1));
      case T_NUMBER_OBJECT:
        return this.ref(Object(this.f64()));
      case T_STRING_OBJECT:
        return this.ref(Object(this.string()));
      case T_BIGINT_OBJECT: {
        this.need(1);
        return this.ref(Object(this.bigintBody(this.u8[this.p++] as number)));
      }
      case T_ARRAY_BUFFER:
      case T_RESIZABLE_BUFFER:
        return this.ref(this.arrayBufferBody(tag));
      case T_VIEW:
        return this.viewBody();
      case T_ERROR:
        return this.errorBody();
      case T_DOM_EXCEPTION:
        return this.domExceptionBody();
      default:
        throw malformed(`unknown tag ${tag}`);
    }
  }

  ref<T>(o: T): T {
    this.refs.push(o);
    return o;
  }

  string(): string {
    if (this.p >= this.end) throw malformed("truncated");
    return this.stringBody(this.u8[this.p++] as number);
  }

  stringBody(tag: number): string {
    const u8 = this.u8;
    if (tag === T_ASCII) {
      this.need(1);
      const n = u8[this.p] as number;
      const start = this.p + 1;
      this.need(1 + n);
      this.p = start + n;
      if (n <= SHORT_DECODE) return shortAscii(u8, start, n);
      return this.utf8(start, n);
    }
    if (tag === T_UTF8) {
      const n = this.u32();
      this.need(n);
      const start = this.p;
      this.p += n;
      return this.utf8(start, n);
    }
    if (tag === T_UTF16) {
      const n = this.u32();
      this.need(2 * n);
      const units: number[] = [];
      let s = "";
      let p = this.p;
      for (let i = 0; i < n; i++, p += 2) {
        units.push((u8[p] as number) | ((u8[p + 1] as number) << 8));
        if (units.length === 4096) {
          s += fromCharCode.apply(null, units);
          units.length = 0;
        }
      }
      this.p = p;
      return s + fromCharCode.apply(null, units);
    }
    throw malformed(`expected a string, found tag ${tag}`);
  }

  /** UTF-8 (or ASCII) bytes to a string, never handing TextDecoder a shared view it refuses. */
  utf8(start: number, n: number): string {
    const bytes = this.u8.subarray(start, start + n);
    if (!this.copy) return textDecoder.decode(bytes);
    if (this.scratch.length < n) {
      this.scratch = new Uint8Array(Math.max(n, this.scratch.length * 2, 256));
    }
    this.scratch.set(bytes);
    return textDecoder.decode(this.scratch.subarray(0, n));
  }

  bigintBody(tag: number): bigint {
    if (tag === T_BIGINT64) {
      this.fixed8();
      return numView.getBigInt64(0, true);
    }
    if (tag !== T_BIGINT) throw malformed(`expected a bigint, found tag ${tag}`);
    this.need(1);
    const negative = this.u8[this.p++] === 1;
    const n = this.u32();
    this.need(n);
    let hex = "";
    for (let i = this.p + n - 1; i >= this.p; i--) hex += HEX_BYTE[this.u8[i] as number];
    this.p += n;
    const magnitude = BigInt(`0x${hex === "" ? "0" : hex}`);
    return negative ? -magnitude : magnitude;
  }

  plainBody(): Record<string, unknown> {
    const n = this.u32();
    this.need(2 * n);
    const o: Record<string, unknown> = {};
    this.refs.push(o);
    this.properties(o, n);
    return o;
  }

  properties(o: Record<string, unknown> | unknown[], n: number): void {
    const rec = o as Record<string, unknown>;
    for (let i = 0; i < n; i++) {
      const key = this.string();
      const v = this.value();
      if (key === "__proto__") {
        defineProperty(o, key, { value: v, writable: true, enumerable: true, configurable: true });
      } else {
        rec[key] = v;
      }
    }
  }

  arrayBufferBody(tag: number): ArrayBuffer {
    const n = this.u32();
    let buffer: ArrayBuffer;
    if (tag === T_RESIZABLE_BUFFER) {
      const max = this.u32();
      buffer = new ArrayBuffer(n, { maxByteLength: max });
    } else {
      buffer = new ArrayBuffer(n);
    }
    this.need(n);
    new Uint8Array(buffer).set(this.u8.subarray(this.p, this.p + n));
    this.p += n;
    return buffer;
  }

  viewBody(): ArrayBufferView {
    this.need(2);
    const kind = this.u8[this.p] as number;
    const flags = this.u8[this.p + 1] as number;
    this.p += 2;
    const byteOffset = this.u32();
    const length = this.u32();
    const slot = this.refs.length;
    this.refs.push(undefined);
    const buffer = this.value();
    if (!(buffer instanceof ArrayBuffer)) throw malformed("a view without an ArrayBuffer");
    const Ctor = VIEW_CTORS[kind];
    if (Ctor === undefined) {
      throw malformed(
        kind === 7 ? "this runtime has no Float16Array" : `unknown view kind ${kind}`,
      );
    }
    const view = flags & 1 ? new Ctor(buffer, byteOffset) : new Ctor(buffer, byteOffset, length);
    this.refs[slot] = view;
    return view;
  }

  errorBody(): Error {
    this.need(2);
    const kind = this.u8[this.p] as number;
    const flags = this.u8[this.p + 1] as number;
    this.p += 2;
    const Ctor = ERROR_CTORS[kind];
    if (Ctor === undefined) throw malformed(`unknown error kind ${kind}`);
    const message = flags & 1 ? this.string() : undefined;
    const stack = flags & 2 ? this.string() : undefined;
    const e = quietly(() => message === undefined ? new Ctor() : new Ctor(message));
    setStack(e, stack);
    this.refs.push(e);
    if (flags & 4) {
      defineProperty(e, "cause", {
        value: this.value(),
        writable: true,
        enumerable: false,
        configurable: true,
      });
    }
    return e;
  }

  domExceptionBody(): Error {
    this.need(1);
    const flags = this.u8[this.p++] as number;
    const name = this.string();
    const message = this.string();
    const stack = flags & 2 ? this.string() : undefined;
    if (DOMExc === undefined) throw malformed("this runtime has no DOMException");
    const e = quietly(() => new DOMExc(message, name));
    setStack(e, stack);
    return this.ref(e);
  }
}

/** Construct an error without capturing a (useless, costly) stack trace of the decoder. */
function quietly<T>(make: () => T): T {
  const ctor = Error as { stackTraceLimit?: number };
  const had = hasOwn(ctor, "stackTraceLimit");
  const limit = ctor.stackTraceLimit;
  try {
    ctor.stackTraceLimit = 0;
  } catch {
    return make();
  }
  try {
    return make();
  } finally {
    if (had) ctor.stackTraceLimit = limit as number;
    else delete ctor.stackTraceLimit;
  }
}

/**
 * Give a decoded error the recorded stack. Without one, V8's clone has an own `stack` of
 * undefined while JavaScriptCore's has none — which is what a fresh error built with
 * `stackTraceLimit = 0` already looks like once its V8 stack is cleared.
 */
function setStack(e: Error, stack: string | undefined): void {
  if (stack !== undefined) {
    if (hasOwn(e, "stack")) e.stack = stack; // V8: through its own accessor
    else defineProperty(e, "stack", { value: stack, writable: true, configurable: true });
  } else if (hasOwn(e, "stack")) {
    (e as { stack?: string | undefined }).stack = undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Public codecs

const sharedWriter = new Writer(1024);
const sharedReader = new Reader();

/**
 * The default codec: a compact tag-per-value binary encoding of everything `structuredClone`
 * copies (see the format table at the top of this module).
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
      return w.u8.subarray(0, w.pos);
    } finally {
      if (w.nextId !== 0) {
        w.refs.clear();
        w.nextId = 0;
      }
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
