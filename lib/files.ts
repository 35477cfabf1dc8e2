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
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true }); // a half-written temp file would keep a full disk full
    throw writeError(file, e);
  }
}

/** What a user can do about a failed write, by its cause. */
const WRITE_CAUSES: Record<string, string> = {
  ENOSPC: "the disk is full: free some space and run again",
  EDQUOT: "the disk quota is used up: free some space and run again",
  EACCES: "no permission to write there: choose another folder or fix its permissions",
  EPERM: "not allowed to write there: choose another folder or fix its permissions",
  EROFS: "the file system is read-only: choose another folder",
  EISDIR: "a folder stands where the file belongs: move it away or choose another folder",
  ENOTDIR: "a file stands where a folder belongs: move it away or choose another folder",
  ENAMETOOLONG: "the path is too long: choose a shorter one",
};

/** A failed write as a one-line UserError naming the path and the cause, when a user can act on it. */
export function writeError(file: string, e: unknown): Error {
  const code = (e as NodeJS.ErrnoException).code;
  return code && WRITE_CAUSES[code]
    ? new UserError(`cannot write ${file} (${code}): ${WRITE_CAUSES[code]}`)
    : (e as Error);
}

/** The largest JSON file the project reads (run records are about 1 MB, checkpoints about 2 MB). */
export const MAX_JSON_BYTES = 64 * 1024 * 1024;

/**
 * A user file's bytes, read only when it is a regular file of at most `maxBytes` (so that `/dev/zero`, a FIFO or a
 * folder gives one line, not an endless read); a UserError names the file, the cause and `hint`.
 */
export function readBounded(file: string, what: string, hint: string, maxBytes: number): Buffer {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    throw new UserError(
      `cannot read ${what} ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): ${hint}`,
    );
  }
  if (!st.isFile()) throw new UserError(`${what} ${file} is not a regular file (a ${kindOf(st)}): ${hint}`);
  if (st.size > maxBytes)
    throw new UserError(
      `${what} ${file} is ${(st.size / 1e6).toFixed(1)} MB, over the ${(maxBytes / 1e6).toFixed(0)} MB a ${what} can be: ${hint}`,
    );
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new UserError(
      `cannot read ${what} ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): ${hint}`,
    );
  }
}

function kindOf(st: fs.Stats): string {
  return st.isDirectory()
    ? "folder"
    : st.isCharacterDevice() || st.isBlockDevice()
      ? "device"
      : st.isFIFO()
        ? "pipe"
        : st.isSocket()
          ? "socket"
          : "special file";
}

/**
 * Read a JSON file and check it against a schema: a UserError naming the file and the first problem (its path in the
 * document) when it is unreadable, not JSON, or not of the schema. `what` names the document in the message.
 */
export function loadJsonFile<T>(
  file: string,
  schema: z.ZodType<T, unknown>,
  what: string,
  hint: string,
  maxBytes = MAX_JSON_BYTES,
): T {
  const text = readBounded(file, what, hint, maxBytes).toString("utf8");
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
