/**
 * Class identity across copies of threadkit: `x instanceof Lock` holds for a `Lock` made by any
 * copy of threadkit loaded in the same thread.
 *
 * Why: one thread can hold two copies. A thread module written in CommonJS
 * (`require("threadkit")`, `dist/mod.cjs`) receives its arguments revived by the copy the
 * bootstrap loaded (`dist/mod.js`); a page may bundle threadkit twice; tests import `mod.ts`
 * under two URLs. Ordinary `instanceof` compares prototypes, so a revived `Lock` or a thrown
 * `QueueShutDownError` from the other copy would fail `instanceof` against this copy's class,
 * and `catch (e) { if (e instanceof QueueShutDownError) break; }` would rethrow.
 *
 * How: {@link brand} marks the class's prototype with a registered symbol
 * (`Symbol.for("threadkit.brand.v1.<Name>")`, the same in every copy and every realm's registry
 * of this thread) and gives the class a `static [Symbol.hasInstance]` that accepts any object
 * carrying the mark. Subclasses keep ordinary semantics: the check applies only when the
 * right-hand side is the branded class itself; for a user's `class MyLock extends Lock`,
 * `x instanceof MyLock` is the default prototype-chain test (and a `MyLock` is still
 * `instanceof Lock`, through its prototype's mark). A subclass that threadkit exports
 * (`BoundedSemaphore`, `Timer`) is branded in its own name.
 *
 * The mark says "made by some threadkit v1 copy", not "made by this copy": private fields of
 * one copy's classes are not readable by another's, so threadkit's own code never relies on
 * `instanceof` to reach private state.
 *
 * @module
 */

/** The default `instanceof` test (the prototype chain). */
const ordinary = Function.prototype[Symbol.hasInstance];

/** The registered symbol that marks instances of the threadkit class named `name`. */
export function brandOf(name: string): symbol {
  return Symbol.for(`threadkit.brand.v1.${name}`);
}

/**
 * Brands `base` as the threadkit class `name`: marks its prototype, and makes `x instanceof
 * base` true for any object carrying that mark (see the module doc). Call once per class, from
 * its static block: `static { brand(this, "Lock"); }`.
 */
// deno-lint-ignore no-explicit-any
export function brand(base: abstract new (...args: any[]) => unknown, name: string): void {
  const mark = brandOf(name);
  Object.defineProperty(base.prototype, mark, { value: true });
  Object.defineProperty(base, Symbol.hasInstance, {
    value: function hasInstance(this: unknown, value: unknown): boolean {
      // A subclass of `base` (it inherits this method): ordinary semantics.
      if (this !== base) return ordinary.call(this, value);
      if (typeof value !== "object" && typeof value !== "function") return false;
      if (value === null) return false;
      // The mark is on the prototype of every copy's class: an own or inherited `true`.
      return (value as Record<symbol, unknown>)[mark] === true;
    },
  });
}
