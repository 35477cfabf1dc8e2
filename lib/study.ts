/**
 * The study (notebook 06): the paper's protocol run over many seeds and several splits, so every claim gets a
 * distribution instead of one draw. A study is a list of jobs (variant × split × seed), each the full protocol
 * written into its own folder by the same run-record writer as `npm run reproduce`. A job whose `run.json` exists is
 * finished and skipped, so an interrupted study continues where it stopped; `shard` gives every N-th job to one of N
 * machines (a Slurm array, a Kubernetes Indexed Job, a CI matrix), and the merge reads whatever runs are on disk.
 *
 * Seeds are fixed in advance and paired: seed s gives every split and variant the same seed, hence (for the same
 * split) the same test set, folds and batch order.
 */
import * as fs from "fs";
import * as path from "path";
import { PAPER, type PaperConfig } from "./config";
import { UserError } from "./errors";
import { runProtocol, runSubjectCv, fmtSeconds } from "./protocol";
import { loadRun, runRecordJson, type RecordSplit, type RunRecord } from "./record";
import { saveRun, writeAtomic } from "./save";
import { VARIANTS } from "./ablations";
import { sequenceOf, subjectOf } from "./data";
import { argmax, correctFromConfusion, falsePositiveRate } from "./evaluate";
import {
  balancedAccuracy,
  clusterAccuracyInterval,
  macroF1,
  majorityBaseline,
  pairedDifference,
  spread,
  wilson,
  type Interval,
  type Spread,
} from "./stats";

/** The splits a study can run: the paper's random 80/20, the subject hold-out, subject-independent 10-fold CV. */
export const STUDY_SPLITS: readonly RecordSplit[] = ["random", "subject", "subject-cv"];

/** One protocol run of a study. */
export interface StudyJob {
  variant: string;
  split: RecordSplit;
  seed: number;
  /** Its folder, relative to the study's folder: `<variant>/<split>/seed-<seed>`. */
  dir: string;
}

/**
 * Parse a seed list: `0-9`, `0,3,7` or a mix (`0-2,5`); whole numbers ≥ 0, no duplicates, in the order given.
 * A bad list is a UserError naming the culprit.
 */
export function parseSeeds(text: string): number[] {
  const out: number[] = [];
  for (const part of text.split(",").map((p) => p.trim())) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new UserError(`--seeds: "${part}" is not a seed or a range like 0-9 (seeds are whole numbers ≥ 0)`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw new UserError(`--seeds: the range "${part}" runs backwards`);
    for (let s = a; s <= b; s++) {
      if (out.includes(s)) throw new UserError(`--seeds: seed ${s} is listed twice`);
      out.push(s);
    }
  }
  if (!out.length) throw new UserError("--seeds: no seed given");
  return out;
}

/**
 * The jobs of a study, seed-major (every split and variant of seed 0, then seed 1, …), so that an interrupted study
 * has paired results for the seeds it finished.
 *
 * @see notebooks/06-study.ipynb
 */
export function studyJobs(opts: {
  seeds: number[];
  splits: readonly RecordSplit[];
  variants?: readonly string[];
}): StudyJob[] {
  const variants = opts.variants ?? ["paper"];
  const jobs: StudyJob[] = [];
  for (const seed of opts.seeds) {
    for (const split of opts.splits) {
      for (const variant of variants)
        jobs.push({ variant, split, seed, dir: path.join(variant, split, `seed-${seed}`) });
    }
  }
  return jobs;
}

/**
 * Shard K of N (1-based): every N-th job starting at the K-th. The N shards partition the jobs, so N machines can
 * share a study with no coordination beyond a common output folder (or a merge of their folders).
 *
 * @see notebooks/06-study.ipynb
 */
export function shardJobs<T>(jobs: readonly T[], k: number, n: number): T[] {
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(k) || k < 1 || k > n)
    throw new UserError(`--shard must be K/N with 1 ≤ K ≤ N (got ${k}/${n})`);
  return jobs.filter((_, i) => i % n === k - 1);
}

/** Parse `--shard K/N`. */
export function parseShard(text: string): { k: number; n: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new UserError(`--shard must look like K/N, e.g. 1/4 (got "${text}")`);
  const k = Number(m[1]);
  const n = Number(m[2]);
  shardJobs([], k, n);
  return { k, n };
}

/** Where a job's run record lives. */
export function runFile(out: string, job: StudyJob): string {
  return path.join(out, job.dir, "run.json");
}

/** A finished job is one whose run.json is on disk (it is written last, atomically). */
export function isFinished(out: string, job: StudyJob): boolean {
  return fs.existsSync(runFile(out, job));
}

export interface StudyOptions {
  dataDir: string;
  out: string;
  jobs: StudyJob[];
  /** The configuration of each variant (default: `paper` → PAPER). */
  configs?: Record<string, PaperConfig>;
  quick?: boolean;
  workers?: number;
  verify?: boolean;
  log?: (line: string) => void;
  /** Progress lines of the protocol inside each job (default: none, only the study's own lines). */
  verbose?: boolean;
  /** Polled during training: true stops after the current batch (the job's checkpoint stands; rerun to continue). */
  shouldStop?: () => boolean;
  /** Also save each held-out run's best model (`model/` beside run.json), e.g. for notebook 08's regions over seeds. */
  keepModels?: boolean;
}

/**
 * Run the jobs that are not finished yet, one after another (each uses the worker threads itself), writing each
 * run's `run.json` (no weights: a study keeps run records only). Progress: which run of how many, and the time left
 * for the whole study estimated from the runs made so far.
 */
export async function runStudy(opts: StudyOptions): Promise<{ ran: number; skipped: number; seconds: number }> {
  const log = opts.log ?? (() => undefined);
  const todo = opts.jobs.filter((j) => !isFinished(opts.out, j));
  const skipped = opts.jobs.length - todo.length;
  log(`study: ${opts.jobs.length} run(s), ${skipped} already finished, ${todo.length} to run; output ${opts.out}`);
  const t0 = performance.now();
  let ran = 0;
  for (const job of todo) {
    const config = opts.configs?.[job.variant] ?? (job.variant === "paper" ? PAPER : undefined);
    if (!config) throw new UserError(`no configuration for variant "${job.variant}"`);
    const done = (performance.now() - t0) / 1000;
    const eta = ran ? ` ~${fmtSeconds((done / ran) * (todo.length - ran))} left` : "";
    log(`study: run ${skipped + ran + 1}/${opts.jobs.length}: ${job.dir}${eta}`);
    const checkpointDir = path.join(opts.out, job.dir, "checkpoint");
    const common = {
      dataDir: opts.dataDir,
      seed: job.seed,
      config,
      quick: opts.quick,
      workers: opts.workers,
      verify: opts.verify,
      log: opts.verbose ? log : undefined,
      checkpointDir,
      shouldStop: opts.shouldStop,
    };
    let record: RunRecord;
    let model: import("./tf").LayersModel | undefined;
    if (job.split === "subject-cv") record = (await runSubjectCv(common)).record;
    else {
      const r = await runProtocol({ ...common, split: job.split });
      if (opts.keepModels) model = r.model;
      else r.model.dispose();
      record = r.record;
    }
    record.config.variant = job.variant;
    const known = VARIANTS.find((v) => v.name === job.variant);
    if (known) record.config.overrides = known.overrides;
    const file = runFile(opts.out, job);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    if (model) {
      await saveRun(path.dirname(file), record, model); // model/ first, run.json last
      model.dispose();
    } else writeAtomic(file, runRecordJson(record));
    fs.rmSync(checkpointDir, { recursive: true, force: true });
    ran++;
    log(`study: ${job.dir}: test accuracy ${record.test.accuracy.toFixed(4)} (${fmtSeconds(record.seconds)})`);
  }
  return { ran, skipped, seconds: (performance.now() - t0) / 1000 };
}

/** The finished runs of a study folder (every `run.json` under it), with their job. */
export function loadStudyRuns(out: string): { job: StudyJob; record: RunRecord }[] {
  const found: { job: StudyJob; record: RunRecord }[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === "run.json") {
        const rel = path.relative(out, path.dirname(p)).split(path.sep);
        const m = rel.length === 3 ? /^seed-(\d+)$/.exec(rel[2]) : null;
        if (!m || !(STUDY_SPLITS as readonly string[]).includes(rel[1])) continue;
        found.push({
          job: { variant: rel[0], split: rel[1] as RecordSplit, seed: Number(m[1]), dir: rel.join(path.sep) },
          record: loadRun(p),
        });
      }
    }
  };
  if (!fs.existsSync(out)) throw new UserError(`no study at ${out}`);
  walk(out);
  return found;
}

/** Where a test image's identity can leak from: another frame of its sequence in training, only its person, or neither. */
export type LeakGroup = "sequence" | "subject" | "none";

/**
 * The identity leak of each test image of a run (issue: "the identity leak, measured"): `sequence` when another
 * frame of the same sequence is in the training part (train + validation), `subject` when only another sequence of
 * the same person is, `none` otherwise. A subject-cv run has no training list per image here: all are `none` by
 * construction (each fold's subjects are held out whole).
 *
 * @see notebooks/06-study.ipynb
 */
export function leakGroups(record: RunRecord): LeakGroup[] {
  if (record.split.mode === "subject-cv") return record.test.predictions.map(() => "none");
  const seq = new Set(record.split.train.map(sequenceOf));
  const sub = new Set(record.split.train.map(subjectOf));
  return record.test.predictions.map((p) =>
    seq.has(sequenceOf(p.file)) ? "sequence" : sub.has(subjectOf(p.file)) ? "subject" : "none",
  );
}

/** One run's headline numbers in a summary. */
export interface RunSummary {
  variant: string;
  split: RecordSplit;
  seed: number;
  images: number;
  correct: number;
  accuracy: number;
  balancedAccuracy: number;
  macroF1: number;
  loss: number;
  /** Wilson 95 % interval of the accuracy (images as if independent). */
  wilson: Interval;
  /** Subject-level cluster-bootstrap 95 % interval of the accuracy (people resampled). */
  cluster: Interval | null;
  /** Epochs each fold trained before early stopping, and the fold models' own accuracies. */
  epochs: number[];
  foldAccuracies: number[];
  seconds: number;
}

/** One split (and variant) of a study, over its seeds. */
export interface SplitSummary {
  variant: string;
  split: RecordSplit;
  seeds: number[];
  runs: RunSummary[];
  accuracy: Spread;
  balancedAccuracy: Spread;
  macroF1: Spread;
  loss: Spread;
  seconds: Spread;
  /** Per class, over seeds: accuracy (recall), false-positive rate, AUC, TPR at FPR 0.1. */
  perClass: { class: string; accuracy: Spread; falsePositiveRate: Spread; auc: Spread; tprAtFpr10: Spread }[];
  /** Test accuracy per identity-leak group, over seeds (pooled within a run), and the images per group per run. */
  leak: { group: LeakGroup; images: Spread; accuracy: Spread }[];
}

/** What `npm run study -- --merge` writes to summary.json. */
export interface StudySummary {
  /** How the intervals are computed (said once, for every number below). */
  method: string;
  majorityBaseline: { class: string; accuracy: number };
  splits: SplitSummary[];
  /** Paired by seed: a − b of the accuracy over the seeds both have (random − subject measures the identity leak). */
  gaps: { variant: string; a: RecordSplit; b: RecordSplit; seeds: number[]; difference: Spread }[];
  /** Each variant against `paper` on the same split, paired by seed (notebook 07). */
  comparisons: VariantComparison[];
}

/** One variant against `paper` on one split, paired by seed. */
export interface VariantComparison {
  variant: string;
  split: RecordSplit;
  seeds: number[];
  /** variant − paper, per seed. */
  accuracy: Spread;
  balancedAccuracy: Spread;
  /** Epochs per fold before early stopping (mean over folds, per seed) and wall seconds per run. */
  epochs: Spread;
  seconds: Spread;
}

/** TPR of a ROC curve at a fixed FPR (the highest TPR reached with FPR ≤ the bound). */
export function tprAt(roc: { fpr: number[]; tpr: number[] }, fpr: number): number {
  let best = 0;
  roc.fpr.forEach((f, i) => {
    if (f <= fpr + 1e-12) best = Math.max(best, roc.tpr[i]);
  });
  return best;
}

/** The numbers of one run for the summary. */
export function summarizeRun(job: StudyJob, r: RunRecord): RunSummary {
  const correct = correctFromConfusion(r.test.confusion);
  const n = r.test.predictions.length;
  const hits = r.test.predictions.map((p) => argmax(p.probs) === p.label);
  return {
    variant: job.variant,
    split: job.split,
    seed: job.seed,
    images: n,
    correct,
    accuracy: r.test.accuracy,
    balancedAccuracy: balancedAccuracy(r.test.confusion),
    macroF1: macroF1(r.test.confusion),
    loss: r.test.loss,
    wilson: wilson(correct, n),
    cluster: clusterAccuracyInterval(
      hits,
      r.test.predictions.map((p) => subjectOf(p.file)),
      { seed: job.seed, resamples: 2000 },
    ),
    epochs: r.folds.map((f) => f.history.length),
    foldAccuracies: r.folds.map((f) => f.test.accuracy),
    seconds: r.seconds,
  };
}

const BOOT = { resamples: 4000, seed: 0 };
/** For proportions (accuracies, rates, AUC): their t intervals are cut to [0, 1]. */
const PROPORTION = { ...BOOT, range: [0, 1] as const };

/**
 * The summary of a study folder: per variant and split, the spread over seeds of every headline number, per-class
 * numbers, the identity-leak breakdown, and the paired random − subject gap. Deterministic: the same runs give the
 * same bytes, whatever order they were made in or how many machines made them.
 */
export function summarizeStudy(runs: { job: StudyJob; record: RunRecord }[]): StudySummary {
  const sorted = runs
    .slice()
    .sort((a, b) =>
      a.job.variant < b.job.variant
        ? -1
        : a.job.variant > b.job.variant
          ? 1
          : STUDY_SPLITS.indexOf(a.job.split) - STUDY_SPLITS.indexOf(b.job.split) || a.job.seed - b.job.seed,
    );
  const keys = [...new Set(sorted.map((r) => `${r.job.variant}\u0000${r.job.split}`))];
  const splits: SplitSummary[] = keys.map((key) => {
    const group = sorted.filter((r) => `${r.job.variant}\u0000${r.job.split}` === key);
    const { variant, split } = group[0].job;
    const per = group.map((g) => summarizeRun(g.job, g.record));
    const classes = group[0].record.classes;
    const leakRows = group.map((g) => ({
      groups: leakGroups(g.record),
      hits: g.record.test.predictions.map((p) => argmax(p.probs) === p.label),
    }));
    const leak = (["sequence", "subject", "none"] as LeakGroup[])
      .map((grp) => {
        const counts = leakRows.map((l) => l.groups.filter((x) => x === grp).length);
        const accs = leakRows
          .filter((_, i) => counts[i] > 0)
          .map(
            (l) => l.hits.filter((h, i) => l.groups[i] === grp && h).length / l.groups.filter((x) => x === grp).length,
          );
        return { group: grp, images: spread(counts, BOOT), accuracy: spread(accs, PROPORTION) };
      })
      .filter((l) => l.images.max > 0);
    return {
      variant,
      split,
      seeds: group.map((g) => g.job.seed),
      runs: per,
      accuracy: spread(
        per.map((p) => p.accuracy),
        PROPORTION,
      ),
      balancedAccuracy: spread(
        per.map((p) => p.balancedAccuracy),
        PROPORTION,
      ),
      macroF1: spread(
        per.map((p) => p.macroF1),
        PROPORTION,
      ),
      loss: spread(
        per.map((p) => p.loss),
        BOOT,
      ),
      seconds: spread(
        per.map((p) => p.seconds),
        BOOT,
      ),
      perClass: classes.map((c, k) => ({
        class: c,
        accuracy: spread(
          group.map((g) => g.record.test.perClass[k].accuracy),
          PROPORTION,
        ),
        falsePositiveRate: spread(
          group.map((g) => falsePositiveRate(g.record.test.confusion, k)),
          PROPORTION,
        ),
        auc: spread(group.map((g) => g.record.test.roc[k].auc ?? NaN).filter(Number.isFinite), PROPORTION),
        tprAtFpr10: spread(
          group.map((g) => tprAt(g.record.test.roc[k], 0.1)),
          PROPORTION,
        ),
      })),
      leak,
    };
  });
  const gaps: StudySummary["gaps"] = [];
  for (const variant of [...new Set(splits.map((s) => s.variant))]) {
    const a = splits.find((s) => s.variant === variant && s.split === "random");
    const b = splits.find((s) => s.variant === variant && s.split === "subject");
    if (!a || !b) continue;
    const seeds = a.seeds.filter((s) => b.seeds.includes(s));
    const acc = (s: SplitSummary, seed: number) => s.runs.find((r) => r.seed === seed)!.accuracy;
    gaps.push({
      variant,
      a: "random",
      b: "subject",
      seeds,
      difference: pairedDifference(
        seeds.map((s) => acc(a, s)),
        seeds.map((s) => acc(b, s)),
        BOOT,
      ),
    });
  }
  const comparisons: VariantComparison[] = [];
  for (const s of splits) {
    if (s.variant === "paper") continue;
    const ref = splits.find((x) => x.variant === "paper" && x.split === s.split);
    if (!ref) continue;
    const seeds = s.seeds.filter((x) => ref.seeds.includes(x));
    const pick = (sp: SplitSummary, f: (r: RunSummary) => number) =>
      seeds.map((seed) => f(sp.runs.find((r) => r.seed === seed)!));
    const meanEpochs = (r: RunSummary) => r.epochs.reduce((a, b) => a + b, 0) / r.epochs.length;
    comparisons.push({
      variant: s.variant,
      split: s.split,
      seeds,
      accuracy: pairedDifference(
        pick(s, (r) => r.accuracy),
        pick(ref, (r) => r.accuracy),
        BOOT,
      ),
      balancedAccuracy: pairedDifference(
        pick(s, (r) => r.balancedAccuracy),
        pick(ref, (r) => r.balancedAccuracy),
        BOOT,
      ),
      epochs: spread(pick(s, meanEpochs), BOOT),
      seconds: spread(
        pick(s, (r) => r.seconds),
        BOOT,
      ),
    });
  }
  // Always answering the most frequent class, over every test image of every run (≈ its share of the data set).
  const base = majorityBaseline(sorted.flatMap((r) => r.record.test.predictions.map((p) => p.label)));
  return {
    method:
      "Over seeds: mean, sample sd, Student-t 95% interval of the mean, and percentile bootstrap 95% interval (4000 resamples, seed 0); " +
      "what varies is the seed, which sets the split (random/subject), the folds, the initial weights, batch order, augmentation and dropout. " +
      "Per run: Wilson 95% interval (images as if independent) and a subject-level cluster bootstrap (2000 resamples of people).",
    majorityBaseline: {
      class: sorted.length ? (sorted[0].record.classes[base.label] ?? "?") : "?",
      accuracy: base.accuracy,
    },
    splits,
    gaps,
    comparisons,
  };
}

/** Write `summary.json` of a study folder (atomically) and return it. */
export function mergeStudy(out: string): StudySummary {
  const summary = summarizeStudy(loadStudyRuns(out));
  writeAtomic(
    path.join(out, "summary.json"),
    JSON.stringify(summary, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 1) + "\n",
  );
  return summary;
}
