/**
 * Every path the project uses, in one place. Paths are absolute, derived from the repository root, so
 * commands, tests and notebooks (whose kernel starts in `notebooks/`) agree on where things live.
 */
import * as path from "path";

/** The repository root (this file lives in `lib/`). */
export const ROOT = path.resolve(__dirname, "..");
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
