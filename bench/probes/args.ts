/**
 * Command-line options of the probes: `--name <number>` pairs taken out of the arguments, so that
 * what is left is the probe's positional arguments (the trees to compare).
 *
 * @module
 */

/**
 * Takes `name` and the number after it out of `args` and returns the number, or `fallback` when
 * `name` is absent. @throws {RangeError} The value is missing or not a number.
 */
export function takeOption(args: string[], name: string, fallback: number): number {
  const at = args.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(args[at + 1]);
  if (args[at + 1] === undefined || Number.isNaN(value)) {
    throw new RangeError(`${name} needs a number, got ${args[at + 1]}`);
  }
  args.splice(at, 2);
  return value;
}
