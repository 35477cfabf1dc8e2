/**
 * Command-line flags via Node's own `util.parseArgs`, with one-line errors (UserError) for unknown flags and bad
 * values instead of its stack traces.
 */
import { parseArgs, type ParseArgsConfig } from "util";
import { UserError } from "../errors";

/** Parse argv with the given options; unknown flags or missing values become a UserError naming the flag. */
export function parse<T extends NonNullable<ParseArgsConfig["options"]>>(argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (e) {
    const msg = (e as Error).message.split("\n")[0].replace(/\. To specify a positional argument.*$/, "");
    throw new UserError(msg);
  }
}

/** An integer flag value within [min, max], or a UserError naming the flag. */
export function intFlag(name: string, value: string | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (!/^-?\d+$/.test(value.trim())) throw new UserError(`--${name} must be a whole number (got "${value}")`);
  const n = Number(value);
  if (n < min || n > max) throw new UserError(`--${name} must be between ${min} and ${max} (got ${n})`);
  return n;
}

/** One of the allowed values, or a UserError naming the flag. */
export function choiceFlag<C extends string>(name: string, value: string | undefined, fallback: C, choices: readonly C[]): C {
  if (value === undefined) return fallback;
  if (!(choices as readonly string[]).includes(value)) throw new UserError(`--${name} must be one of ${choices.join(", ")} (got "${value}")`);
  return value as C;
}
