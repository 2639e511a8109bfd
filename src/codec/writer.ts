/**
 * The encoder of `structuredCodec`: `Writer` turns one value into one record (`format.ts`) in a
 * growing, reused scratch buffer, numbering objects for references and cycles.
 *
 * @module
 */

import * as format from "./format.ts";
import {
  abByteLength,
  abMaxByteLength,
  abResizable,
  abResize,
  type AnyFn,
  bigintValueOf,
  booleanValueOf,
  brand,
  cannot,
  causeIsKept,
  dateGetTime,
  describe,
  DOMExc,
  domExceptionCode,
  dvBuffer,
  dvByteLength,
  dvByteOffset,
  getOwnDesc,
  getProto,
  hasOwn,
  isArray,
  isDetached,
  isError,
  isErrorNative,
  isSharedBuffer,
  isView,
  isWellFormed,
  mapForEach,
  mapSize,
  numberValueOf,
  objectKeys,
  ObjectProto,
  regexpFlags,
  regexpSource,
  sabByteLength,
  setForEach,
  setSize,
  SHARED_HINT,
  stringValueOf,
  symbolValueOf,
  taBuffer,
  taByteLength,
  taByteOffset,
  tagOf,
  taLength,
  taTag,
  textEncoder,
} from "./intrinsics.ts";

/**
 * How many objects of a record are remembered in a plain array, searched linearly, before the
 * rest go into a Map. Most records hold a handful of objects; a Map costs an insertion per object
 * and a `clear()` per record (which reallocates its table on V8), the array a few pointer
 * compares. With the reader's table (reader.ts), CPU per encode + decode of
 * `{ id, kind, value }` (bench/probes/codec_cpu.ts --case obj, alternating processes): Node
 * 720 → 520 ns (0.70×), Deno 750 → 500 (0.67×), Bun 490 → 280 (0.6×).
 */
const FEW = 8;

/** A key list met before and the bytes its key block was written as (format 0x1C). */
interface Shape {
  keys: string[];
  block: Uint8Array;
}
/** Key lists remembered per writer; the oldest is replaced. */
const SHAPES = 8;
/** Key lists longer than this are written afresh each time (the compare would cost as much). */
const SHAPE_MAX_KEYS = 32;
/** Nor are key blocks longer than this remembered. */
const SHAPE_MAX_BYTES = 512;
/** Record lengths below this get a reused view (see `Writer.written`). */
const VIEWS = 128;

export class Writer {
  buf: ArrayBuffer;
  u8: Uint8Array;
  dv: DataView;
  pos = 0;
  /** The first {@link FEW} objects met in this record; `few[id]` is the object with that id. */
  few: (object | undefined)[] = new Array(FEW).fill(undefined);
  /** Objects from id {@link FEW} on, to their ids (used only by records with that many). */
  refs: Map<object, number> = new Map();
  /** The id the next new object gets; also how many objects this record holds so far. */
  nextId = 0;
  busy = false;
  /** Key lists met on this thread and their key blocks, most recent at `shapes[lastShape]`. */
  shapes: (Shape | undefined)[] = new Array(SHAPES).fill(undefined);
  lastShape = 0;
  nextShape = 0;
  /**
   * `views[n]` is `u8.subarray(0, n)`, made once per length (below {@link VIEWS}) and scratch
   * buffer: records of one kind repeat a few lengths, and a view is an allocation per encode.
   * CPU per encode + decode of `{ id, kind, value }` (codec_cpu.ts --case obj, alternating with
   * the previous commit): Node 460 → 390 ns (0.85×), Deno 550 → 425 (0.78×), Bun 275 → 210 (0.76×).
   */
  views: (Uint8Array | undefined)[] = new Array(VIEWS).fill(undefined);

  /** The record written so far, as a view on the scratch buffer. */
  written(): Uint8Array {
    const n = this.pos;
    if (n >= VIEWS) return this.u8.subarray(0, n);
    const view = this.views[n];
    if (view !== undefined) return view;
    return (this.views[n] = this.u8.subarray(0, n));
  }

  /** The id of `o` if this record met it before, else -1. */
  idOf(o: object): number {
    const few = this.few;
    const n = this.nextId < FEW ? this.nextId : FEW;
    for (let i = 0; i < n; i++) if (few[i] === o) return i;
    if (this.nextId <= FEW) return -1;
    const id = this.refs.get(o);
    return id === undefined ? -1 : id;
  }

  /** Gives `o` (not met before in this record) the next id. */
  remember(o: object): void {
    const id = this.nextId++;
    if (id < FEW) this.few[id] = o;
    else this.refs.set(o, id);
  }

  /** Forgets every object of the record just written (so none is kept alive); next id 0. */
  forget(): void {
    const n = this.nextId;
    if (n === 0) return;
    const few = this.few;
    for (let i = 0; i < n && i < FEW; i++) few[i] = undefined;
    if (n > FEW) this.refs.clear();
    this.nextId = 0;
  }

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
    this.views.fill(undefined);
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
        if (v === null) this.byte(format.T_NULL);
        else this.object(v);
        return;
      case "boolean":
        this.byte(v ? format.T_TRUE : format.T_FALSE);
        return;
      case "undefined":
        this.byte(format.T_UNDEFINED);
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
      u8[p] = format.T_INT32;
      this.dv.setInt32(p + 1, v, true);
      this.pos = p + 5;
    } else {
      u8[p] = format.T_FLOAT64;
      this.dv.setFloat64(p + 1, v, true);
      this.pos = p + 9;
    }
  }

  string(s: string): void {
    const n = s.length;
    if (n <= format.ASCII_MAX) {
      this.ensure(n + 2);
      const u8 = this.u8, start = this.pos + 2;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c > 0x7f) break;
        u8[start + i] = c;
      }
      if (i === n) {
        u8[start - 2] = format.T_ASCII;
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
      this.u8[at] = format.T_UTF8;
      this.dv.setUint32(at + 1, written, true);
      this.pos = at + 5 + written;
    } else {
      // Lone surrogates: TextEncoder would replace them with U+FFFD, so store code units.
      this.ensure(5 + 2 * n);
      const u8 = this.u8;
      this.u8[this.pos] = format.T_UTF16;
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
    if (v >= format.I64_MIN && v <= format.I64_MAX) {
      this.ensure(9);
      this.u8[this.pos] = format.T_BIGINT64;
      this.dv.setBigInt64(this.pos + 1, v, true);
      this.pos += 9;
      return;
    }
    const negative = v < 0n;
    const hex = (negative ? -v : v).toString(16);
    const n = (hex.length + 1) >> 1;
    this.ensure(6 + n);
    const u8 = this.u8;
    u8[this.pos] = format.T_BIGINT;
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
    const id = this.idOf(o);
    if (id >= 0) {
      this.tagU32(format.T_REF, id);
      return;
    }
    this.remember(o);

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
        this.u8[this.pos] = format.T_DATE;
        this.dv.setFloat64(this.pos + 1, dateGetTime.call(o), true);
        this.pos += 9;
        return;
      case "[object RegExp]":
        if (!brand(regexpSource, o)) break;
        this.byte(format.T_REGEXP);
        this.string(regexpSource.call(o));
        this.string(regexpFlags.call(o));
        return;
      case "[object Boolean]":
        if (!brand(booleanValueOf, o)) break;
        this.ensure(2);
        this.u8[this.pos] = format.T_BOOLEAN_OBJECT;
        this.u8[this.pos + 1] = booleanValueOf.call(o) ? 1 : 0;
        this.pos += 2;
        return;
      case "[object Number]":
        if (!brand(numberValueOf, o)) break;
        this.ensure(9);
        this.u8[this.pos] = format.T_NUMBER_OBJECT;
        this.dv.setFloat64(this.pos + 1, numberValueOf.call(o), true);
        this.pos += 9;
        return;
      case "[object String]":
        if (!brand(stringValueOf, o)) break;
        this.byte(format.T_STRING_OBJECT);
        this.string(stringValueOf.call(o));
        return;
      case "[object BigInt]":
        if (!brand(bigintValueOf, o)) break;
        this.byte(format.T_BIGINT_OBJECT);
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

  /**
   * A plain object as 0x1C: its key block (copied from a shape met before when `keys` matches
   * one), then the values; a key deleted by an earlier getter gets 0x1D. With the reader's
   * key-block cache, CPU per encode + decode of `{ id, kind, value }` (codec_cpu.ts --case obj,
   * alternating with the previous commit): Node 510 → 455 ns (0.9×), Deno 500 → 460 (0.92×),
   * Bun 275 → 285 (1.0×, within noise); the nested case 0.95× on Node and Deno.
   */
  plain(o: object): void {
    const keys = objectKeys(o);
    const n = keys.length;
    this.ensure(9);
    const u8 = this.u8, at = this.pos;
    u8[at] = format.T_KEYED_OBJECT;
    this.dv.setUint32(at + 1, n, true);
    this.pos = at + 9;
    const shape = n <= SHAPE_MAX_KEYS ? this.shapeOf(keys) : undefined;
    if (shape !== undefined) {
      const block = shape.block, k = block.length;
      this.ensure(k);
      const dst = this.u8, p = this.pos;
      // A byte loop beats `set` for the short blocks of typical objects.
      if (k <= 64) { for (let i = 0; i < k; i++) dst[p + i] = block[i] as number; }
      else dst.set(block, p);
      this.pos = p + k;
    } else {
      for (let i = 0; i < n; i++) this.string(keys[i] as string);
      if (n <= SHAPE_MAX_KEYS && this.pos - at - 9 <= SHAPE_MAX_BYTES) {
        this.addShape(keys, this.u8.slice(at + 9, this.pos));
      }
    }
    this.dv.setUint32(at + 5, this.pos - at - 9, true);
    const rec = o as Record<string, unknown>;
    for (let i = 0; i < n; i++) {
      const key = keys[i] as string;
      const v = rec[key];
      if (v === undefined && !hasOwn(o, key)) this.byte(format.T_ABSENT);
      else this.value(v);
    }
  }

  /** The remembered shape with exactly these keys in this order, if any. */
  shapeOf(keys: string[]): Shape | undefined {
    const shapes = this.shapes, n = keys.length;
    for (let j = 0, s = this.lastShape; j < SHAPES; j++, s = (s + 1) & (SHAPES - 1)) {
      const shape = shapes[s];
      if (shape === undefined) continue;
      const known = shape.keys;
      if (known.length !== n) continue;
      let i = 0;
      while (i < n && known[i] === keys[i]) i++;
      if (i === n) {
        this.lastShape = s;
        return shape;
      }
    }
    return undefined;
  }

  /** Remembers a new shape in the next slot round-robin (replacing the oldest added). */
  addShape(keys: string[], block: Uint8Array): void {
    const s = this.nextShape;
    this.nextShape = (s + 1) & (SHAPES - 1);
    this.shapes[s] = { keys, block };
    this.lastShape = s;
  }

  array(a: unknown[]): void {
    const len = a.length;
    const keys = objectKeys(a);
    // Object.keys lists array indices first, ascending. If there are exactly `len` keys and the
    // last one is the index len - 1, the indices 0 .. len-1 are all present and nothing else is.
    if (keys.length === len && (len === 0 || keys[len - 1] === String(len - 1))) {
      this.tagU32(format.T_ARRAY, len);
      for (let i = 0; i < len; i++) this.value(a[i]);
      return;
    }
    this.ensure(9);
    this.u8[this.pos] = format.T_SPARSE_ARRAY;
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
    this.tagU32(format.T_MAP, entries.length >> 1);
    for (let i = 0; i < entries.length; i++) this.value(entries[i]);
  }

  set(s: object): void {
    const items: unknown[] = [];
    setForEach.call(s, (v) => {
      items.push(v);
    });
    this.tagU32(format.T_SET, items.length);
    for (let i = 0; i < items.length; i++) this.value(items[i]);
  }

  arrayBuffer(buffer: object): void {
    if (isDetached(buffer)) throw cannot("an ArrayBuffer is detached and");
    const n = abByteLength.call(buffer);
    if (n > format.U32_MAX) throw cannot(`an ArrayBuffer of ${n} bytes (over 4 GiB - 1)`);
    const resizable = abResizable !== undefined && abResizable.call(buffer) === true;
    this.ensure(9 + n);
    const u8 = this.u8;
    if (resizable) {
      const max = (abMaxByteLength as AnyFn).call(buffer) as number;
      if (max > format.U32_MAX) throw cannot(`a resizable ArrayBuffer with maxByteLength ${max}`);
      u8[this.pos] = format.T_RESIZABLE_BUFFER;
      this.dv.setUint32(this.pos + 1, n, true);
      this.dv.setUint32(this.pos + 5, max, true);
      this.pos += 9;
    } else {
      u8[this.pos] = format.T_ARRAY_BUFFER;
      this.dv.setUint32(this.pos + 1, n, true);
      this.pos += 5;
    }
    u8.set(new Uint8Array(buffer as ArrayBuffer, 0, n), this.pos);
    this.pos += n;
  }

  view(v: ArrayBufferView): void {
    const name = taTag.call(v);
    const isTyped = name !== undefined;
    const kind = isTyped ? format.VIEW_KIND[name] : format.VIEW_KIND_DATAVIEW;
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
    u8[this.pos] = format.T_VIEW;
    u8[this.pos + 1] = kind;
    u8[this.pos + 2] = tracking ? 1 : 0;
    this.dv.setUint32(this.pos + 3, byteOffset, true);
    this.dv.setUint32(this.pos + 7, length, true);
    this.pos += 11;
    const id = this.idOf(buffer);
    if (id >= 0) {
      this.tagU32(format.T_REF, id);
    } else {
      this.remember(buffer);
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
    const size = format.VIEW_ELEMENT_SIZE[kind] as number;
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
    const kind = format.ERROR_NAMES.indexOf(`${rec.name}`);
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
    this.u8[this.pos] = format.T_ERROR;
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
    this.u8[this.pos] = format.T_DOM_EXCEPTION;
    this.u8[this.pos + 1] = typeof stack === "string" ? 2 : 0;
    this.pos += 2;
    this.string(name);
    this.string(message);
    if (typeof stack === "string") this.string(stack);
  }
}

function hexDigit(c: number): number {
  return c <= 0x39 ? c - 0x30 : c - 0x57; // '0'..'9', 'a'..'f'
}
