/**
 * What a loader made of a damaged input, for the property tests: a value, or a one-line UserError. Anything else
 * (a TypeError from deep inside, a message of several lines) is rethrown, failing the property.
 */
import { UserError } from "../../lib/errors";

export function settle(f: () => unknown): "ok" | "user error" {
  try {
    f();
    return "ok";
  } catch (e) {
    if (e instanceof UserError && !e.message.includes("\n")) return "user error";
    throw e;
  }
}

export async function settleAsync(f: () => Promise<unknown>): Promise<"ok" | "user error"> {
  try {
    await f();
    return "ok";
  } catch (e) {
    if (e instanceof UserError && !e.message.includes("\n")) return "user error";
    throw e;
  }
}
