/**
 * Runs: where they are, finding and loading them, and what a notebook should do when there is none. The notebooks
 * show the committed run of record (data/runs/paper) when it is there, else a run they made themselves
 * (out/notebooks/), and say which; notebook 04 plans and carries out training.
 */
import * as fs from "fs";
import * as path from "path";
import { PAPER, QUICK_TEXT, quickConfig, type ProtocolConfig } from "./config";
import { ROOT, PAPER_RUN, resolveDataDir } from "./paths";
import { listImages } from "./data/files";
import { loadRun, type RunRecord } from "./record";
import { runProtocol } from "./protocol";
import { saveRun } from "./save";

/** Everything the notebooks write (git-ignored): executed copies, runs made by notebook 04. */
export const NOTEBOOK_OUT = path.join(ROOT, "out", "notebooks");
/** A quick run made by notebook 04 with FER_QUICK=1 when there is no run of record. */
export const QUICK_RUN_DIR = path.join(NOTEBOOK_OUT, "quick-run");
/** A full run made by notebook 04 with RETRAIN = true. */
export const LIVE_RUN_DIR = path.join(NOTEBOOK_OUT, "live-run");

/** FER_QUICK=1 (or true/yes): every training cell uses the quick setting (lib/config.ts QUICK). */
export function quickMode(env: NodeJS.ProcessEnv = process.env): boolean {
  return /^(1|true|yes)$/i.test(env.FER_QUICK ?? "");
}

/** Is the CK+48 folder there, and what should the reader do if not. */
export interface DataStatus {
  present: boolean;
  dir: string;
  images: number;
  /** One Markdown paragraph for the notebook. */
  message: string;
}

/** Check the CK+48 folder (lib/paths resolveDataDir: `$CK48_DIR`, else data/CK+48) without throwing. */
export function dataStatus(dir: string = resolveDataDir()): DataStatus {
  try {
    const files = listImages(dir);
    return { present: true, dir, images: files.length, message: `CK+48 found at \`${dir}\`: ${files.length} images.` };
  } catch (e) {
    return {
      present: false,
      dir,
      images: 0,
      message:
        `**CK+48 is not available** (${(e as Error).message}). Cells that need the images say so and skip, or use a ` +
        "synthetic pattern where that still shows the idea. To get them: see data/README.md, then link the folder " +
        "(`ln -s /path/to/CK+48 data/CK+48`) or set `CK48_DIR`; CI links `../shared/data/CK+48`.",
    };
  }
}

/** A run record the notebooks can show, where it came from and how far to trust it. */
export interface FoundRun {
  file: string;
  record: RunRecord;
  kind: "record" | "live" | "quick";
  /** One Markdown paragraph describing the run. */
  note: string;
}

/** The run files the notebooks look for, in order: the run of record, a full run made in notebook 04, a quick one. */
export function runCandidates(): { file: string; kind: FoundRun["kind"] }[] {
  return [
    { file: path.join(PAPER_RUN, "run.json"), kind: "record" },
    { file: path.join(LIVE_RUN_DIR, "run.json"), kind: "live" },
    { file: path.join(QUICK_RUN_DIR, "run.json"), kind: "quick" },
  ];
}

/** Describe a run for the notebooks (Markdown). */
export function describeRun(record: RunRecord, file: string, kind: FoundRun["kind"]): string {
  const rel = path.relative(ROOT, file) || file;
  const what =
    kind === "record"
      ? "the committed **run of record**"
      : kind === "live"
        ? "a run made in notebook 04 (`RETRAIN = true`), not the committed run of record"
        : `a **quick run** (smoke setting: ${QUICK_TEXT}). It exercises the code, but its numbers say nothing about the paper`;
  const mins = (record.seconds / 60).toFixed(1);
  return (
    `Results from \`${rel}\`: ${what}. Backend ${record.backend}, seed ${record.seed}, ${record.config.split} split, ` +
    `${record.folds.length} folds, ${record.split.test.length} test images, ${mins} min of training.`
  );
}

/** The first run record found among {@link runCandidates} (or the given files), or undefined. */
export function findRun(
  candidates: { file: string; kind: FoundRun["kind"] }[] = runCandidates(),
): FoundRun | undefined {
  for (const c of candidates) {
    if (!fs.existsSync(c.file)) continue;
    const record = loadRun(c.file);
    return { file: c.file, record, kind: c.kind, note: describeRun(record, c.file, c.kind) };
  }
  return undefined;
}

/**
 * What to tell the reader when there is no run record at all. It names no duration: with no record there is no
 * measured one to quote (when there is, {@link trainingTime} says it from the record's `seconds`).
 */
export const NO_RUN_MESSAGE =
  "**No run record yet.** The run of record `data/runs/paper/run.json` is not committed yet. Make one with " +
  `\`npm run reproduce -- --out data/runs/paper\` (the full protocol: ${PAPER.folds}-fold cross-validation with early ` +
  "stopping), or run notebook 04 with `FER_QUICK=1` (or `RETRAIN = true`) to make a run in `out/notebooks/`. Cells " +
  "that need a run say so and skip.";

/** How long a run trained, from its record: "3.5 min on cpu-fast with 2 fold workers" (`seconds`, `config.workers`). */
export function trainingTime(record: RunRecord): string {
  const w = record.config.workers;
  const workers =
    typeof w === "number" ? (w === 0 ? " in one thread" : ` with ${w} fold worker${w === 1 ? "" : "s"}`) : "";
  return `${(record.seconds / 60).toFixed(1)} min on ${record.backend}${workers}`;
}

/** The Markdown status line for a found run, or {@link NO_RUN_MESSAGE}. */
export function runStatus(found: FoundRun | undefined): string {
  return found ? found.note : NO_RUN_MESSAGE;
}

/** The saved model that belongs to a found run (`<run folder>/model`), if it is there. */
export function modelDirOf(found: FoundRun | undefined): string | undefined {
  if (!found) return undefined;
  const dir = path.join(path.dirname(found.file), "model");
  return fs.existsSync(path.join(dir, "model.json")) ? dir : undefined;
}

/** What notebook 04 will do. */
export type TrainingPlan =
  | { action: "load"; run: FoundRun; reason: string }
  | { action: "train"; quick: boolean; dataDir: string; out: string; reason: string }
  | { action: "none"; reason: string };

/**
 * Decide what notebook 04 does:
 * - `retrain` (its `RETRAIN` variable): train live, quick under FER_QUICK, into out/notebooks/ (needs the data);
 * - otherwise load the run of record;
 * - without one: under FER_QUICK with the data, make a quick run (so CI exercises training); otherwise load a run
 *   an earlier notebook session made, or explain how to get one.
 */
export function trainingPlan(opts: {
  retrain: boolean;
  quick: boolean;
  data: DataStatus;
  runs?: { file: string; kind: FoundRun["kind"] }[];
}): TrainingPlan {
  const runs = opts.runs ?? runCandidates();
  const train = (why: string): TrainingPlan =>
    opts.data.present
      ? {
          action: "train",
          quick: opts.quick,
          dataDir: opts.data.dir,
          out: opts.quick ? QUICK_RUN_DIR : LIVE_RUN_DIR,
          reason: why,
        }
      : { action: "none", reason: `${why}, but CK+48 is not available (${opts.data.dir}); nothing to train on.` };
  const record = findRun(runs.filter((r) => r.kind === "record"));
  if (opts.retrain)
    return train(
      `RETRAIN = true: training ${opts.quick ? "the quick setting (FER_QUICK=1)" : `the full protocol${record ? ` (the run of record took ${trainingTime(record.record)})` : ""}`}`,
    );
  if (record)
    return {
      action: "load",
      run: record,
      reason: "Loading the committed run of record (set RETRAIN = true to train live).",
    };
  if (opts.quick && opts.data.present) return train("No run of record yet and FER_QUICK=1: making a quick run");
  const other = findRun(runs.filter((r) => r.kind !== "record"));
  if (other)
    return {
      action: "load",
      run: other,
      reason: "No run of record yet: loading the run an earlier session of this notebook made.",
    };
  return {
    action: "none",
    reason: opts.data.present
      ? NO_RUN_MESSAGE
      : `${NO_RUN_MESSAGE} CK+48 is not available either (${opts.data.dir}), so nothing can be trained here.`,
  };
}

/**
 * Carry out a plan: load, or run the protocol (lib/protocol.ts runProtocol; quick: lib/config.ts QUICK, in this
 * thread) with progress lines to `log`, then save `run.json` and `model/` into the plan's folder.
 */
export async function carryOut(
  plan: TrainingPlan,
  log: (line: string) => void = () => undefined,
  opts: { verify?: boolean } = {},
): Promise<FoundRun | undefined> {
  if (plan.action === "load") return plan.run;
  if (plan.action === "none") return undefined;
  const config: ProtocolConfig = plan.quick ? quickConfig(PAPER) : PAPER;
  const { record, model } = await runProtocol({
    dataDir: plan.dataDir,
    seed: 0,
    split: "random",
    config,
    quick: plan.quick,
    workers: plan.quick ? 0 : undefined,
    verify: opts.verify,
    log,
  });
  let file: string;
  try {
    file = await saveRun(plan.out, record, model);
  } finally {
    model.dispose();
  }
  const kind = plan.quick ? "quick" : "live";
  const saved = loadRun(file);
  return { file, record: saved, kind, note: describeRun(saved, file, kind) };
}
