/**
 * Files written for people and for later runs: atomically (a temp file in the same folder, then a rename), so nothing
 * half-written is ever seen. Plain node: no TensorFlow.js, so a command that only writes text (manifest, figures'
 * pages) does not load it.
 */
import * as fs from "fs";
import * as path from "path";
import type { z } from "zod";
import { UserError } from "./errors";
import { makeDirs } from "./paths";

/** Write a file atomically: a temp file in the same folder, then rename (nothing half-written is ever seen). */
export function writeAtomic(file: string, data: string | Buffer): void {
  makeDirs(path.dirname(file));
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

/**
 * Read a JSON file and check it against a schema: a UserError naming the file and the first problem (its path in the
 * document) when it is unreadable, not JSON, or not of the schema. `what` names the document in the message.
 */
export function loadJsonFile<T>(file: string, schema: z.ZodType<T, unknown>, what: string, hint: string): T {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new UserError(
      `cannot read ${what} ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): ${hint}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${file} is not valid JSON (${(e as Error).message.split("\n")[0]}): ${hint}`);
  }
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue.path.length ? issue.path.join(".") : "the document";
    throw new UserError(`${file} is not a valid ${what} (${where}: ${issue.message}): ${hint}`);
  }
  return r.data;
}
