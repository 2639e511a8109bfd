/**
 * Type checks of "types that follow the module" (issue 11): `Thread<M>`, `Timer<M>` and
 * `ThreadPool<M>` read the module's type. Run by `npm run check:types` (tsconfig includes
 * `tests/`); every `@ts-expect-error` line must be an error, every other line must not. Nothing
 * here runs: the calls sit in a function that is never called.
 */
import { Lock, Thread, ThreadPool, Timer } from "../mod.ts";

type Work = typeof import("./fixtures/typed_work.ts");
type Named = typeof import("./fixtures/typed_named.ts");

/** `A` and `B` are the same type (fails to compile otherwise). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true
  : false;
function expectType<T>(_value: T): <U>(check: Equal<T, U> extends true ? true : never) => void {
  return () => {};
}

export async function neverCalled(url: URL): Promise<void> {
  // --- Thread: the default export.
  const add = new Thread<Work>(url, { args: [1, 2] });
  expectType(await add.join())<number>(true);
  expectType(add.joinSync())<number>(true);
  // @ts-expect-error wrong argument type for the default export
  new Thread<Work>(url, { args: [1, "2"] });
  // @ts-expect-error missing argument
  new Thread<Work>(url, { args: [1] });
  // @ts-expect-error the default export takes arguments: options are required
  new Thread<Work>(url);

  // --- Thread: a named export, named as the second type argument.
  const sq = new Thread<Work, "square">(url, { export: "square", args: [3] });
  expectType(await sq.join())<number>(true);
  const hi = new Thread<Work, "greet">(url, { export: "greet", args: ["you"], name: "greeter" });
  expectType(await hi.join())<string>(true); // awaited
  new Thread<Work, "greet">(url, { export: "greet", args: ["you", "?"] });
  // @ts-expect-error not an export
  new Thread<Work, "nope">(url, { export: "nope", args: [] });
  // @ts-expect-error not a function export
  new Thread<Work, "VERSION">(url, { export: "VERSION" });
  // @ts-expect-error the export option must match the type argument
  new Thread<Work, "square">(url, { export: "greet", args: [3] });
  // @ts-expect-error wrong argument type for square
  new Thread<Work, "square">(url, { export: "square", args: ["3"] });
  // @ts-expect-error a named export must be named in the options too
  new Thread<Work, "square">(url, { args: [3] });

  // --- Thread: a module without a default export; one type argument, the export inferred.
  const d = new Thread<Named>(url, { export: "double", args: [4] });
  expectType(await d.join())<number | boolean>(true); // every export's result
  new Thread<Named>(url, { export: "isEmpty", args: [""] });
  // @ts-expect-error args follow the named export
  new Thread<Named>(url, { export: "double", args: [""] });
  // @ts-expect-error not an export
  new Thread<Named>(url, { export: "triple", args: [1] });

  // --- Thread: the older forms still work.
  const legacy = new Thread<number>(url, { args: [1, "anything"], export: "whatever" });
  expectType(await legacy.join())<number>(true);
  const untyped = new Thread(url);
  expectType(await untyped.join())<unknown>(true);
  const withLock = new Thread<Lock>(url, { args: [new Lock()] });
  expectType(await withLock.join())<Lock>(true);
  const list = new Thread<string[]>(url);
  expectType(await list.join())<string[]>(true);
  // A typed thread is still a Thread.
  const threads: Thread[] = [add, sq, d, legacy, untyped];
  void threads;

  // --- Timer.
  const later = new Timer<Work, "square">(10, url, { export: "square", args: [5] });
  expectType(await later.join())<number>(true);
  // @ts-expect-error wrong argument type
  new Timer<Work>(10, url, { args: ["1", 2] });
  new Timer<number>(10, url);

  // --- ThreadPool: the export is inferred from each call's `export` option.
  const pool = new ThreadPool<Work>(url);
  expectType(await pool.submit([1, 2]))<number>(true);
  expectType(await pool.submit([3], { export: "square" }))<number>(true);
  expectType(await pool.submit(["you"], { export: "greet" }))<string>(true);
  // @ts-expect-error wrong args for the default export
  await pool.submit(["1", 2]);
  // @ts-expect-error wrong args for square
  await pool.submit(["3"], { export: "square" });
  // @ts-expect-error not an export
  await pool.submit([3], { export: "cube" });
  for await (const y of pool.map([1, 2, 3], { export: "square" })) expectType(y)<number>(true);
  for await (const y of pool.map(["a"], { export: "greet", ordered: false })) {
    expectType(y)<string>(true);
  }
  // @ts-expect-error items must be the export's first parameter
  pool.map(["a"], { export: "square" });

  // --- ThreadPool: untyped and result-typed calls still work.
  const loose = new ThreadPool(url);
  expectType(await loose.submit<number>([1, "x"]))<number>(true);
  expectType(await loose.submit([1]))<unknown>(true);
  for await (const y of loose.map<number, string>([1, 2])) expectType(y)<string>(true);
}
