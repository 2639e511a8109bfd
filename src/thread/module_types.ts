/**
 * Types that follow the module: how `Thread<M>`, `Timer<M>` and `ThreadPool<M>` read their type
 * argument. Types only; nothing here exists at run time.
 *
 * The type argument is either
 * - **the module's type**, `typeof import("./work.ts")`: the export name is checked against the
 *   module's function exports, `args` against that export's parameters, and the result is the
 *   export's (awaited) return type; or
 * - **the result type**, `Thread<number>` (the older form; also what an untyped `Thread` is,
 *   with `unknown`): nothing else is checked.
 *
 * Which one: a type argument is a module when it is an object type with at least one function
 * property and is none of the values a thread can return (arrays, Maps, Sets, Dates, RegExps,
 * errors, buffers and views, threadkit primitives). A module namespace fits; a result cannot
 * hold functions (they do not survive structured clone), so nothing else that a thread can
 * return does.
 *
 * The default type argument is `any`, read as "untyped" (results are `unknown`): so that a
 * typed thread is still a `Thread` (`const all: Thread[] = [typed, untyped]`), which a default
 * of `unknown` would forbid (TypeScript measures these conditional types as invariant).
 *
 * The export: a class type argument cannot be inferred from the constructor's options once the
 * module type is given explicitly (TypeScript has no partial inference), so `Thread<M>` and
 * `Timer<M>` take the export as a second type argument, `E`, which defaults to `"default"` when
 * the module has a default function export, else to every function export (their results then
 * form a union). Name it for a precise result: `new Thread<typeof import("./work.ts"),
 * "square">(url, { export: "square", args: [3] })`. `ThreadPool<M>`'s `submit` and `map` infer
 * the export from their `export` option.
 *
 * Arguments are checked as the export declares them: a primitive's `handle`, which the thread
 * also revives, is not accepted where the export takes the primitive (pass the primitive).
 *
 * @module
 */

import type { Handle } from "../internal/layout.ts";
import type { ThreadOptions } from "./options.ts";

/** The names of `M`'s function exports. */
export type ExportName<M> =
  & {
    // deno-lint-ignore no-explicit-any
    [K in keyof M]-?: M[K] extends (...args: any[]) => unknown ? K : never;
  }[keyof M]
  & string;

/** Whether the type argument `M` is a module's type (see the module doc). */
export type IsModule<M> = 0 extends (1 & M) ? false
  : unknown extends M ? false
  // Values a thread can return that have methods (so are no modules).
  : [M] extends [
    | readonly unknown[]
    | ReadonlyMap<unknown, unknown>
    | ReadonlySet<unknown>
    | Date
    | RegExp
    | Error
    | ArrayBuffer
    | SharedArrayBuffer
    | ArrayBufferView
    | { readonly handle: Handle },
  ] ? false
  : [M] extends [object] ? ([ExportName<M>] extends [never] ? false : true)
  : false;

/** The export names `M` allows: its function exports for a module, any string otherwise. */
export type ExportOf<M> = IsModule<M> extends true ? ExportName<M> : string;

/** The export used when none is named: `"default"` if the module has one, else every export. */
export type DefaultExport<M> = IsModule<M> extends true
  ? ("default" extends ExportName<M> ? "default" : ExportName<M>)
  : string;

/** The parameters of export `E` of module `M`. */
export type ArgsOf<M, E> = E extends keyof M
  ? M[E] extends (...args: infer P) => unknown ? P : never
  : never;

/** What a thread or task running export `E` of `M` gives: the awaited return value. */
export type ResultOf<M, E> = 0 extends (1 & M) ? unknown
  : IsModule<M> extends true
    ? (E extends keyof M ? M[E] extends (...args: never[]) => infer R ? Awaited<R> : never : never)
  : M;

/** `args` and `export` for export `E` (one member per export of a union, so `args` follows). */
export type ExportArgs<M, E> = E extends unknown ? (
    & ("default" extends E ? { export?: "default" | undefined } : { export: E })
    & ([] extends ArgsOf<M, E> ? { args?: ArgsOf<M, E> | undefined } : { args: ArgsOf<M, E> })
  )
  : never;

/** The options of `new Thread<M, E>()`: `args` and `export` checked for a module `M`. */
export type ThreadOptionsFor<M, E> = IsModule<M> extends true
  ? Omit<ThreadOptions, "args" | "export"> & ExportArgs<M, E>
  : ThreadOptions;

/**
 * The options parameter of `new Thread<M, E>()`, as a rest tuple: required when the export
 * takes arguments that must be given.
 */
export type ThreadOptionsParam<M, E> = IsModule<M> extends true
  ? ([] extends ArgsOf<M, E> ? [options?: ThreadOptionsFor<M, E>]
    : [options: ThreadOptionsFor<M, E>])
  : [options?: ThreadOptions];

/**
 * The type argument of a `ThreadPool<M>` call: an export name of a module `M` (inferred from
 * the call's `export` option), or the call's result type for an untyped pool.
 */
export type PoolPick<M> = IsModule<M> extends true ? ExportName<M> : unknown;

/** {@link PoolPick} when the call names no export. */
export type DefaultPick<M> = IsModule<M> extends true ? DefaultExport<M> : unknown;

/** The `args` of `pool.submit()`. */
export type PoolArgs<M, X> = IsModule<M> extends true ? ArgsOf<M, X> : readonly unknown[];

/** What `pool.submit()` gives. */
export type PoolResult<M, X> = IsModule<M> extends true ? ResultOf<M, X> : X;

/** An item of `pool.map()`: the export's first parameter, or `X` for an untyped pool. */
export type MapItem<M, X> = IsModule<M> extends true ? ArgsOf<M, X>[0] : X;

/** What `pool.map()` yields by default: the export's result, or `unknown` for an untyped pool. */
export type MapResult<M, X> = IsModule<M> extends true ? ResultOf<M, X> : unknown;

/** The `export` option of a pool call, typed for a module `M` (the inference site of `X`). */
export type PoolExport<M, X> = IsModule<M> extends true ? { export?: X | undefined }
  : { export?: string | undefined };
