/**
 * The record format of `structuredCodec`: the tag table, the view and error kinds, and the
 * limits. The writer and the reader both import it; nothing here runs per value.
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
 * | 0x1C | keyed object     | u32 n, u32 k, k bytes: n × string key; then n × (value or 0x1D)      |
 * | 0x1D | absent           | only as a value of 0x1C: that key was deleted while encoding         |
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
 * Plain objects are written as 0x1C (0x0C is still read): the keys come first, as one block of k
 * bytes, so that both sides can cache the work on a repeated layout — the encoder copies the block
 * it wrote for the same key list before, the decoder maps the block's bytes to the key strings it
 * built before. A record never depends on such a cache: every 0x1C carries its keys in full.
 * A getter may delete a key whose turn has not come yet; its value is then 0x1D and the decoder
 * leaves the key out, as `structuredClone` does.
 *
 * References: every object (tags 0x0C–0x1C) gets the next id, counting from 0, when the encoder
 * first meets it — before its children, so cycles work; a view takes its id before its buffer.
 * Meeting the same object again writes tag 0x0B with that id, and the decoder hands back the
 * object it built the first time. This is how shared references and cycles survive.
 *
 * @module
 */

export const T_UNDEFINED = 0x00;
export const T_NULL = 0x01;
export const T_FALSE = 0x02;
export const T_TRUE = 0x03;
export const T_INT32 = 0x04;
export const T_FLOAT64 = 0x05;
export const T_BIGINT64 = 0x06;
export const T_BIGINT = 0x07;
export const T_ASCII = 0x08;
export const T_UTF8 = 0x09;
export const T_UTF16 = 0x0a;
export const T_REF = 0x0b;
export const T_OBJECT = 0x0c;
export const T_ARRAY = 0x0d;
export const T_SPARSE_ARRAY = 0x0e;
export const T_MAP = 0x0f;
export const T_SET = 0x10;
export const T_DATE = 0x11;
export const T_REGEXP = 0x12;
export const T_BOOLEAN_OBJECT = 0x13;
export const T_NUMBER_OBJECT = 0x14;
export const T_STRING_OBJECT = 0x15;
export const T_BIGINT_OBJECT = 0x16;
export const T_ARRAY_BUFFER = 0x17;
export const T_RESIZABLE_BUFFER = 0x18;
export const T_VIEW = 0x19;
export const T_ERROR = 0x1a;
export const T_DOM_EXCEPTION = 0x1b;
export const T_KEYED_OBJECT = 0x1c;
export const T_ABSENT = 0x1d;

/**
 * Longest string tried on the ASCII fast path (tag 0x08, at most 255). Measured on V8 and
 * JavaScriptCore: a char-code loop beats `TextEncoder.encodeInto` up to about 32 chars.
 */
export const ASCII_MAX = 32;
/**
 * ASCII strings up to this length decode with a `String.fromCharCode` loop (and a cache);
 * longer ones go through TextDecoder, which wins from about 12–16 chars.
 */
export const SHORT_DECODE = 14;
export const U32_MAX = 0xffffffff;
export const I64_MIN = -(2n ** 63n);
export const I64_MAX = 2n ** 63n - 1n;

export const ERROR_NAMES = [
  "Error",
  "EvalError",
  "RangeError",
  "ReferenceError",
  "SyntaxError",
  "TypeError",
  "URIError",
];
export const ERROR_CTORS: ErrorConstructor[] = [
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
export const VIEW_CTORS: (ViewCtor | undefined)[] = [
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
export const VIEW_KIND_DATAVIEW = 12;
export const VIEW_ELEMENT_SIZE = [1, 1, 1, 2, 2, 4, 4, 2, 4, 8, 8, 8, 1];
export const VIEW_KIND: { readonly [name: string]: number } = {
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
