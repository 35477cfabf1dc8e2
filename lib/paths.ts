/**
 * Every path the project uses, in one place. Paths are absolute, derived from the repository root, so
 * commands, tests and notebooks (whose kernel starts in `notebooks/`) agree on where things live.
 */
import * as fs from "fs";
import * as path from "path";
import { UserError } from "./errors";

/** The repository root: this file lives in `lib/`, or in `dist/lib/` once compiled (`npm run build`). */
export const ROOT =
  path.basename(path.resolve(__dirname, "..")) === "dist"
    ? path.resolve(__dirname, "..", "..")
    : path.resolve(__dirname, "..");
/** The committed data folder: README, manifest, runs of record. */
export const DATA = path.join(ROOT, "data");
/** Default location of the CK+48 images (git-ignored; a folder or a link to one). */
export const DEFAULT_CK48 = path.join(DATA, "CK+48");
/** The manifest of the 981 images: path, class, subject, sha256. */
export const MANIFEST = path.join(DATA, "manifest.csv");
/** Runs of record, committed: `data/runs/paper`, `data/runs/subject`. */
export const RUNS = path.join(DATA, "runs");
/** The run of record of the paper's protocol (random split, seed 0). */
export const PAPER_RUN = path.join(RUNS, "paper");
/** The committed study (`npm run study`): one run record per split and seed, and its summary. */
export const STUDY = path.join(RUNS, "study");
/** The committed comparisons (`npm run study -- --variants …`, notebook 07). */
export const ABLATIONS = path.join(RUNS, "ablations");
/** Regenerated figures and tables. */
export const FIGURES = path.join(ROOT, "figures");
/** Notebooks. */
export const NOTEBOOKS = path.join(ROOT, "notebooks");

/**
 * Where the CK+48 images are: an explicit `--data DIR`, else `$CK48_DIR`, else `data/CK+48`.
 */
export function resolveDataDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return path.resolve(flag);
  if (env.CK48_DIR) return path.resolve(env.CK48_DIR);
  return DEFAULT_CK48;
}

/** `p` relative to the working folder when that is shorter and inside it (for messages), else absolute. */
export function shown(p: string): string {
  const r = path.relative(process.cwd(), p);
  return r === "" ? "." : r.startsWith("..") || path.isAbsolute(r) ? p : r;
}

/**
 * Check, before anything is written, that `dir` is or can become a writable folder: every existing part of the path
 * is a folder, and the deepest existing one accepts a new entry (probed with a temp folder, removed at once: `access`
 * says yes to root even on read-only file systems). Throws a UserError naming `flag` and the culprit.
 */
export function checkOutputDir(dir: string, flag: string): void {
  let existing = path.resolve(dir);
  const missing: string[] = [];
  for (;;) {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(existing);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOTDIR") {
        missing.unshift(path.basename(existing));
        existing = path.dirname(existing);
        continue;
      }
      if (code !== "ENOENT")
        throw new UserError(`${flag} ${shown(dir)}: cannot use ${shown(existing)} (${code}): choose another folder`);
      const link = danglingLink(existing);
      if (link !== undefined)
        throw new UserError(
          `${flag} ${shown(dir)}: ${shown(existing)} is a link to ${link}, which does not exist: create it, or choose another folder`,
        );
    }
    if (st) {
      if (!st.isDirectory()) {
        if (existing === path.resolve(dir))
          throw new UserError(`${flag} ${shown(dir)} is a file, not a folder: give a folder`);
        throw new UserError(`${flag} ${shown(dir)}: ${shown(existing)} is a file, not a folder: choose another folder`);
      }
      break;
    }
    missing.unshift(path.basename(existing));
    const up = path.dirname(existing);
    if (up === existing) break;
    existing = up;
  }
  let probe: string | undefined;
  try {
    probe = fs.mkdtempSync(path.join(existing, ".fer-write-test-"));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new UserError(
      `${flag} ${shown(dir)}: cannot write in ${shown(existing)} (${code}): choose a folder you can write to`,
    );
  } finally {
    if (probe) fs.rmSync(probe, { recursive: true, force: true });
  }
}

/** The target of `p` when `p` is a symbolic link whose target does not exist, else undefined. */
function danglingLink(p: string): string | undefined {
  try {
    return fs.lstatSync(p).isSymbolicLink() ? fs.readlinkSync(p) : undefined;
  } catch {
    return undefined;
  }
}

/** `p` with every existing part resolved through its links (the parts that do not exist yet kept as given). */
function realish(p: string): string {
  const rest: string[] = [];
  let at = path.resolve(p);
  for (;;) {
    try {
      return path.join(fs.realpathSync(at), ...rest);
    } catch {
      const up = path.dirname(at);
      if (up === at) return path.join(at, ...rest);
      rest.unshift(path.basename(at));
      at = up;
    }
  }
}

/**
 * Refuse an output folder that is the data folder or inside it (links resolved): a run written into CK+48 would make
 * every later run refuse that folder, since it would no longer match data/manifest.csv.
 */
export function checkOutsideData(out: string, dataDir: string, flag = "--out"): void {
  const o = realish(out);
  const d = realish(dataDir);
  if (o === d || o.startsWith(d + path.sep))
    throw new UserError(
      `${flag} ${shown(out)} is ${o === d ? "" : "inside "}the data folder ${shown(dataDir)}: a run written there would change CK+48; choose a folder outside it`,
    );
}

/**
 * `mkdir -p` one level at a time. Node's own `fs.mkdirSync(dir, { recursive: true })` loops forever where `mkdir`
 * answers ENOENT for an existing parent (e.g. under /proc), which made `figures --out /proc/x` hang.
 */
export function makeDirs(dir: string): void {
  const abs = path.resolve(dir);
  if (fs.existsSync(abs)) return;
  const up = path.dirname(abs);
  if (up !== abs) makeDirs(up);
  try {
    fs.mkdirSync(abs);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  }
}

/**
 * An input file that must exist and be a file: a UserError naming `what` and what to do (`hint`) otherwise.
 * Returns the absolute path.
 */
export function checkInputFile(file: string, what: string, hint: string): string {
  const abs = path.resolve(file);
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(
      `${what} ${shown(abs)} ${code === "ENOENT" || code === "ENOTDIR" ? "does not exist" : `cannot be read (${code})`}: ${hint}`,
    );
  }
  if (st.isDirectory()) throw new UserError(`${what} ${shown(abs)} is a folder, not a file: ${hint}`);
  try {
    fs.accessSync(abs, fs.constants.R_OK);
  } catch (e) {
    throw new UserError(`${what} ${shown(abs)} cannot be read (${(e as NodeJS.ErrnoException).code}): ${hint}`);
  }
  return abs;
}
