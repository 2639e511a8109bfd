/**
 * The decoder of `structuredCodec`: `Reader` rebuilds one value from one record (`format.ts`),
 * reading it in place (it may be a view on a SharedArrayBuffer) and copying out everything it
 * returns.
 *
 * @module
 */

import * as format from "./format.ts";
import {
  DECODER_TAKES_SHARED,
  defineProperty,
  DOMExc,
  fromCharCode,
  hasOwn,
  SAB,
  textDecoder,
} from "./intrinsics.ts";

const HEX_BYTE: string[] = [];
for (let i = 0; i < 256; i++) HEX_BYTE.push(i.toString(16).padStart(2, "0"));

export function malformed(why: string): TypeError {
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

/** Key blocks (format 0x1C) seen on this thread and the key strings they hold. */
interface KeyBlock {
  /** A private copy of the block's bytes. */
  bytes: Uint8Array;
  keys: string[];
  /** Whether one of the keys is "__proto__" (which must be defined, not assigned). */
  proto: boolean;
}
/** Remembered key blocks, by a hash of their size, key count and two bytes; 64 slots. */
const keyBlocks: (KeyBlock | undefined)[] = new Array(64).fill(undefined);

export class Reader {
  /** The record; read in place (it may be a view on a SharedArrayBuffer). */
  u8: Uint8Array = numBytes;
  p = 0;
  end = 0;
  /**
   * The objects of this record by id, `refs[0 .. count)`. Cleared slot by slot instead of by
   * `length = 0` (which drops V8's backing store, so the next record reallocates it).
   */
  refs: unknown[] = new Array(8).fill(undefined);
  /** How many objects this record has built so far (the next id). */
  count = 0;
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
    const n = this.count;
    if (n !== 0) {
      // Keep nothing of the record alive; a table grown by a large record is dropped whole.
      if (n > 64) this.refs = new Array(8).fill(undefined);
      else for (let i = 0; i < n; i++) this.refs[i] = undefined;
      this.count = 0;
    }
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
      case format.T_UNDEFINED:
        return undefined;
      case format.T_NULL:
        return null;
      case format.T_FALSE:
        return false;
      case format.T_TRUE:
        return true;
      case format.T_INT32:
        return this.u32() | 0;
      case format.T_FLOAT64:
        return this.f64();
      case format.T_BIGINT64:
      case format.T_BIGINT:
        return this.bigintBody(tag);
      case format.T_ASCII:
      case format.T_UTF8:
      case format.T_UTF16:
        return this.stringBody(tag);
      case format.T_REF: {
        const id = this.u32();
        if (id >= this.count) throw malformed(`reference ${id} to an unknown object`);
        return this.refs[id];
      }
      case format.T_KEYED_OBJECT:
        return this.keyedBody();
      case format.T_OBJECT:
        return this.plainBody();
      case format.T_ARRAY: {
        const len = this.u32();
        this.need(len);
        const a: unknown[] = [];
        this.refs[this.count++] = a;
        for (let i = 0; i < len; i++) a.push(this.value());
        return a;
      }
      case format.T_SPARSE_ARRAY: {
        const len = this.u32();
        const n = this.u32();
        this.need(2 * n);
        const a: unknown[] = new Array(len);
        this.refs[this.count++] = a;
        this.properties(a, n);
        return a;
      }
      case format.T_MAP: {
        const n = this.u32();
        this.need(2 * n);
        const m = new Map<unknown, unknown>();
        this.refs[this.count++] = m;
        for (let i = 0; i < n; i++) {
          const k = this.value();
          m.set(k, this.value());
        }
        return m;
      }
      case format.T_SET: {
        const n = this.u32();
        this.need(n);
        const s = new Set<unknown>();
        this.refs[this.count++] = s;
        for (let i = 0; i < n; i++) s.add(this.value());
        return s;
      }
      case format.T_DATE:
        return this.ref(new Date(this.f64()));
      case format.T_REGEXP: {
        const source = this.string();
        return this.ref(new RegExp(source, this.string()));
      }
      case format.T_BOOLEAN_OBJECT:
        this.need(1);
        return this.ref(Object(this.u8[this.p++] === 1));
      case format.T_NUMBER_OBJECT:
        return this.ref(Object(this.f64()));
      case format.T_STRING_OBJECT:
        return this.ref(Object(this.string()));
      case format.T_BIGINT_OBJECT: {
        this.need(1);
        return this.ref(Object(this.bigintBody(this.u8[this.p++] as number)));
      }
      case format.T_ARRAY_BUFFER:
      case format.T_RESIZABLE_BUFFER:
        return this.ref(this.arrayBufferBody(tag));
      case format.T_VIEW:
        return this.viewBody();
      case format.T_ERROR:
        return this.errorBody();
      case format.T_DOM_EXCEPTION:
        return this.domExceptionBody();
      default:
        throw malformed(`unknown tag ${tag}`);
    }
  }

  ref<T>(o: T): T {
    this.refs[this.count++] = o;
    return o;
  }

  string(): string {
    if (this.p >= this.end) throw malformed("truncated");
    return this.stringBody(this.u8[this.p++] as number);
  }

  stringBody(tag: number): string {
    const u8 = this.u8;
    if (tag === format.T_ASCII) {
      this.need(1);
      const n = u8[this.p] as number;
      const start = this.p + 1;
      this.need(1 + n);
      this.p = start + n;
      if (n <= format.SHORT_DECODE) return shortAscii(u8, start, n);
      return this.utf8(start, n);
    }
    if (tag === format.T_UTF8) {
      const n = this.u32();
      this.need(n);
      const start = this.p;
      this.p += n;
      return this.utf8(start, n);
    }
    if (tag === format.T_UTF16) {
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
    if (tag === format.T_BIGINT64) {
      this.fixed8();
      return numView.getBigInt64(0, true);
    }
    if (tag !== format.T_BIGINT) throw malformed(`expected a bigint, found tag ${tag}`);
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
    this.refs[this.count++] = o;
    this.properties(o, n);
    return o;
  }

  /** A 0x1C object: the key block (through the `keyBlocks` cache), then the values. */
  keyedBody(): Record<string, unknown> {
    const n = this.u32();
    const k = this.u32();
    this.need(k);
    const block = this.keyBlock(n, this.p, k);
    this.p += k;
    this.need(n);
    const o: Record<string, unknown> = {};
    this.refs[this.count++] = o;
    const keys = block.keys;
    for (let i = 0; i < n; i++) {
      if (this.u8[this.p] === format.T_ABSENT) {
        this.p++;
        continue;
      }
      const key = keys[i] as string;
      const v = this.value();
      if (block.proto && key === "__proto__") {
        defineProperty(o, key, { value: v, writable: true, enumerable: true, configurable: true });
      } else {
        o[key] = v;
      }
    }
    return o;
  }

  /** The keys of the `k`-byte block of `n` keys at `start`: remembered, or parsed now. */
  keyBlock(n: number, start: number, k: number): KeyBlock {
    const u8 = this.u8;
    const h = (k * 31 + n * 7 + (k > 0 ? (u8[start + (k >> 1)] as number) : 0) +
      (k > 0 ? (u8[start + k - 1] as number) << 3 : 0)) & 63;
    const hit = keyBlocks[h];
    if (hit !== undefined && hit.keys.length === n) {
      const bytes = hit.bytes;
      if (bytes.length === k) {
        let i = 0;
        while (i < k && bytes[i] === u8[start + i]) i++;
        if (i === k) return hit;
      }
    }
    // Parse the block as exactly n strings filling exactly k bytes.
    const end = this.end;
    this.end = start + k;
    const keys: string[] = [];
    let proto = false;
    try {
      for (let i = 0; i < n; i++) {
        const key = this.string();
        if (key === "__proto__") proto = true;
        keys.push(key);
      }
      if (this.p !== start + k) throw malformed("a key block longer than its keys");
    } finally {
      this.end = end;
    }
    this.p = start;
    const block = { bytes: u8.slice(start, start + k), keys, proto };
    keyBlocks[h] = block;
    return block;
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
    if (tag === format.T_RESIZABLE_BUFFER) {
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
    const slot = this.count++;
    this.refs[slot] = undefined;
    const buffer = this.value();
    if (!(buffer instanceof ArrayBuffer)) throw malformed("a view without an ArrayBuffer");
    const Ctor = format.VIEW_CTORS[kind];
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
    const Ctor = format.ERROR_CTORS[kind];
    if (Ctor === undefined) throw malformed(`unknown error kind ${kind}`);
    const message = flags & 1 ? this.string() : undefined;
    const stack = flags & 2 ? this.string() : undefined;
    const e = quietly(() => message === undefined ? new Ctor() : new Ctor(message));
    setStack(e, stack);
    this.refs[this.count++] = e;
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
    const Ctor = DOMExc;
    if (Ctor === undefined) throw malformed("this runtime has no DOMException");
    const e = quietly(() => new Ctor(message, name));
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
