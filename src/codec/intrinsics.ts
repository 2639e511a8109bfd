/**
 * The built-ins the codec uses, captured once at load so that user code patching prototypes
 * cannot confuse it; the runtime probes (TextDecoder on shared memory, `cause` in clones); and the
 * helpers that name a value in an error message.
 *
 * @module
 */

export type AnyFn = (this: unknown, ...args: unknown[]) => unknown;

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

export const ObjectProto = Object.prototype;
export const getProto = Object.getPrototypeOf;
export const objectKeys = Object.keys;
export const hasOwn = Object.hasOwn;
export const getOwnDesc = Object.getOwnPropertyDescriptor;
export const defineProperty = Object.defineProperty;
export const isArray = Array.isArray;
export const isView = ArrayBuffer.isView;
const objectToString = ObjectProto.toString as AnyFn;
export const fromCharCode = String.fromCharCode;
export const functionName = (f: unknown): string => {
  const n = (f as { name?: unknown }).name;
  return typeof n === "string" && n !== "" ? n : "(anonymous)";
};

const TypedArrayProto: object = getProto(Uint8Array.prototype);
export const taTag = getter(TypedArrayProto, Symbol.toStringTag) as (
  this: unknown,
) => string | undefined;
export const taBuffer = getter(TypedArrayProto, "buffer");
export const taByteOffset = getter(TypedArrayProto, "byteOffset") as (this: unknown) => number;
export const taByteLength = getter(TypedArrayProto, "byteLength") as (this: unknown) => number;
export const taLength = getter(TypedArrayProto, "length") as (this: unknown) => number;
export const dvBuffer = getter(DataView.prototype, "buffer");
export const dvByteOffset = getter(DataView.prototype, "byteOffset") as (this: unknown) => number;
export const dvByteLength = getter(DataView.prototype, "byteLength") as (this: unknown) => number;
export const abByteLength = getter(ArrayBuffer.prototype, "byteLength") as (
  this: unknown,
) => number;
export const abResizable = optionalGetter(ArrayBuffer.prototype, "resizable");
export const abMaxByteLength = optionalGetter(ArrayBuffer.prototype, "maxByteLength");
const abDetached = optionalGetter(ArrayBuffer.prototype, "detached");
export const abResize = (ArrayBuffer.prototype as { resize?: AnyFn }).resize;
export const sabByteLength = optionalGetter(
  typeof SharedArrayBuffer === "function" ? SharedArrayBuffer.prototype : undefined,
  "byteLength",
);
export const mapSize = getter(Map.prototype, "size");
export const setSize = getter(Set.prototype, "size");
export const mapForEach = Map.prototype.forEach as (
  this: unknown,
  cb: (v: unknown, k: unknown) => void,
) => void;
export const setForEach = Set.prototype.forEach as (
  this: unknown,
  cb: (v: unknown) => void,
) => void;
export const dateGetTime = Date.prototype.getTime as (this: unknown) => number;
export const regexpSource = getter(RegExp.prototype, "source") as (this: unknown) => string;
export const regexpFlags = getter(RegExp.prototype, "flags") as (this: unknown) => string;
export const booleanValueOf = Boolean.prototype.valueOf as (this: unknown) => boolean;
export const numberValueOf = Number.prototype.valueOf as (this: unknown) => number;
export const stringValueOf = String.prototype.valueOf as (this: unknown) => string;
export const bigintValueOf = BigInt.prototype.valueOf as (this: unknown) => bigint;
export const symbolValueOf = Symbol.prototype.valueOf as (this: unknown) => symbol;
export const isErrorNative = (Error as { isError?: (v: unknown) => boolean }).isError;

export const SAB: typeof SharedArrayBuffer | undefined = typeof SharedArrayBuffer === "function"
  ? SharedArrayBuffer
  : undefined;

type DOMExceptionCtor = new (message?: string, name?: string) => Error;
export const DOMExc: DOMExceptionCtor | undefined = typeof DOMException === "function"
  ? DOMException as unknown as DOMExceptionCtor
  : undefined;
export const domExceptionCode = optionalGetter(DOMExc?.prototype, "code");

export const textEncoder = new TextEncoder();
export const textDecoder = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * Whether this runtime's TextDecoder accepts a view on a SharedArrayBuffer. Chromium refuses
 * (TypeError); Node, Deno and Bun accept. Probed once with a 1-byte buffer; where it refuses,
 * long strings read from shared memory are first copied into a private scratch buffer.
 */
export const DECODER_TAKES_SHARED: boolean = (() => {
  if (SAB === undefined) return true;
  try {
    textDecoder.decode(new Uint8Array(new SAB(1)));
    return true;
  } catch {
    return false;
  }
})();

export const isWellFormed: (s: string) => boolean = typeof "".isWellFormed === "function"
  ? (s) => s.isWellFormed()
  : (s) => !/\p{Surrogate}/u.test(s);

let keepsCause: boolean | undefined;
/**
 * Whether the runtime's structuredClone keeps Error `cause` (V8: yes, JavaScriptCore: no). Asked
 * once, lazily, on the first error encoded.
 */
export function causeIsKept(): boolean {
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

export function cannot(what: string): TypeError {
  return new TypeError(`Cannot encode value: ${what} could not be cloned`);
}

export const SHARED_HINT =
  "a SharedArrayBuffer cannot be copied into a queue; pass shared memory by its handle";

export function tagOf(v: object): string {
  return objectToString.call(v) as string;
}

export function describe(v: unknown): string {
  if (typeof v === "function") return `function ${functionName(v)}`;
  if (typeof v === "symbol") return v.toString();
  if (typeof v === "object" && v !== null) return `#<${tagOf(v).slice(8, -1)}>`;
  return String(v);
}

/** For the `buffer` of a view, which is either an ArrayBuffer or a SharedArrayBuffer. */
export function isSharedBuffer(buffer: object): boolean {
  return !(buffer instanceof ArrayBuffer) && !brand(abByteLength, buffer);
}

export function isDetached(buffer: unknown): boolean {
  return abDetached !== undefined && abDetached.call(buffer) === true;
}

export function brand(check: AnyFn, v: unknown): boolean {
  try {
    check.call(v);
    return true;
  } catch {
    return false;
  }
}

/** Whether `o` is an Error (by brand where the runtime can tell, else by its tag). */
export function isError(o: object): boolean {
  return isErrorNative !== undefined ? isErrorNative(o) : tagOf(o) === "[object Error]";
}
