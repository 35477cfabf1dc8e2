/**
 * The study's summary (`summary.json`, notebooks 06 and 07, the figures, the README): per condition (a variant on a
 * split) the spread over seeds of every headline number, per class, the identity leak, the paired random − subject gap,
 * and each variant against `paper`. {@link summarizeStudy} makes it from run records, {@link summaryJson} writes it,
 * and {@link loadSummary} reads it back checked against its schema (non-finite numbers, stored as null, come back as
 * NaN).
 */
import * as fs from "fs";
import { z } from "zod";
import { loadJsonFile } from "./files";
import { INTERVAL, NUM, SPREAD } from "./schemas";
import { isCvSplit, SPLIT_NAMES, type SplitName } from "./split";
import type { RunRecord } from "./record";
import { sequenceOf, subjectOf } from "./data/files";
import { argmax } from "./arrays";
import { correctFromConfusion, falsePositiveRate } from "./evaluate";
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

/** Which run of a study a record is: its variant, split and seed (lib/study.ts StudyJob adds its folder). */
export interface RunKey {
  variant: string;
  split: SplitName;
  seed: number;
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
  if (isCvSplit(record.split.mode)) return record.test.predictions.map(() => "none");
  const seq = new Set(record.split.train.map(sequenceOf));
  const sub = new Set(record.split.train.map(subjectOf));
  return record.test.predictions.map((p) =>
    seq.has(sequenceOf(p.file)) ? "sequence" : sub.has(subjectOf(p.file)) ? "subject" : "none",
  );
}

/** One identity-leak group pooled over the runs of a split: images, correct, runs with any, Wilson 95% of the pooled accuracy. */
export interface PooledLeak {
  group: LeakGroup;
  images: number;
  /** Different people (CK+ subjects) among the group's images, over all the runs. */
  people: number;
  correct: number;
  runs: number;
  wilson: Interval;
}

/** The identity-leak groups pooled over run records ({@link leakGroups} per test image), for notebook 06's exercise, in the summary's group order. */
export function pooledLeak(records: readonly RunRecord[]): PooledLeak[] {
  return (["sequence", "subject", "none"] as LeakGroup[])
    .map((group) => {
      let images = 0;
      let correct = 0;
      let runs = 0;
      const people = new Set<string>();
      for (const rec of records) {
        const g = leakGroups(rec);
        const mine = rec.test.predictions.filter((_, i) => g[i] === group);
        if (mine.length) runs++;
        for (const p of mine) people.add(subjectOf(p.file));
        images += mine.length;
        correct += mine.filter((p) => argmax(p.probs) === p.label).length;
      }
      return { group, images, people: people.size, correct, runs, wilson: wilson(correct, images) };
    })
    .filter((g) => g.images > 0);
}

/** One run's headline numbers in a summary. */
export interface RunSummary {
  variant: string;
  split: SplitName;
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

/** One condition of a study, a (variant, split) pair, over its seeds. */
export interface ConditionSummary {
  variant: string;
  split: SplitName;
  seeds: number[];
  runs: RunSummary[];
  accuracy: Spread;
  balancedAccuracy: Spread;
  macroF1: Spread;
  loss: Spread;
  seconds: Spread;
  /**
   * Per class, over seeds: accuracy (recall), false-positive rate, AUC, TPR at FPR 0.1; and each run's accuracy,
   * AUC and TPR in the order of `runs`, for claims about the order of the classes (lib/ordering.ts resamples runs).
   */
  perClass: {
    class: string;
    accuracy: Spread;
    falsePositiveRate: Spread;
    auc: Spread;
    tprAtFpr10: Spread;
    values?: { accuracy: number[]; falsePositiveRate?: number[]; auc: number[]; tprAtFpr10: number[] };
  }[];
  /** Test accuracy per identity-leak group, over seeds (pooled within a run), and the images per group per run. */
  leak: { group: LeakGroup; images: Spread; accuracy: Spread }[];
}

/** What `npm run study -- --merge` writes to summary.json. */
export interface StudySummary {
  /** How the intervals are computed (said once, for every number below). */
  method: string;
  majorityBaseline: { class: string; accuracy: number };
  splits: ConditionSummary[];
  /** Paired by seed: a − b of the accuracy over the seeds both have (random − subject measures the identity leak). */
  gaps: { variant: string; a: SplitName; b: SplitName; seeds: number[]; difference: Spread }[];
  /** Each variant against `paper` on the same split, paired by seed (notebook 07). */
  comparisons: VariantComparison[];
}

/** One variant against `paper` on one split, paired by seed. */
export interface VariantComparison {
  variant: string;
  split: SplitName;
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
export function summarizeRun(job: RunKey, r: RunRecord): RunSummary {
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
export function summarizeStudy(runs: { job: RunKey; record: RunRecord }[]): StudySummary {
  const sorted = runs
    .slice()
    .sort((a, b) =>
      a.job.variant < b.job.variant
        ? -1
        : a.job.variant > b.job.variant
          ? 1
          : SPLIT_NAMES.indexOf(a.job.split) - SPLIT_NAMES.indexOf(b.job.split) || a.job.seed - b.job.seed,
    );
  const keys = [...new Set(sorted.map((r) => `${r.job.variant}\u0000${r.job.split}`))];
  const splits: ConditionSummary[] = keys.map((key) => {
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
        values: {
          accuracy: group.map((g) => g.record.test.perClass[k].accuracy),
          falsePositiveRate: group.map((g) => falsePositiveRate(g.record.test.confusion, k)),
          auc: group.map((g) => g.record.test.roc[k].auc ?? NaN),
          tprAtFpr10: group.map((g) => tprAt(g.record.test.roc[k], 0.1)),
        },
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
    const acc = (s: ConditionSummary, seed: number) => s.runs.find((r) => r.seed === seed)!.accuracy;
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
    const pick = (sp: ConditionSummary, f: (r: RunSummary) => number) =>
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

const splitName = z.enum(SPLIT_NAMES);
const runSummary = z.object({
  variant: z.string(),
  split: splitName,
  seed: z.number().int().nonnegative(),
  images: z.number().int().nonnegative(),
  correct: z.number().int().nonnegative(),
  accuracy: NUM,
  balancedAccuracy: NUM,
  macroF1: NUM,
  loss: NUM,
  wilson: INTERVAL,
  cluster: INTERVAL.nullable(),
  epochs: z.array(z.number().int()),
  foldAccuracies: z.array(NUM),
  seconds: NUM,
});
const conditionSummary = z.object({
  variant: z.string(),
  split: splitName,
  seeds: z.array(z.number().int().nonnegative()),
  runs: z.array(runSummary),
  accuracy: SPREAD,
  balancedAccuracy: SPREAD,
  macroF1: SPREAD,
  loss: SPREAD,
  seconds: SPREAD,
  perClass: z.array(
    z.object({
      class: z.string(),
      accuracy: SPREAD,
      falsePositiveRate: SPREAD,
      auc: SPREAD,
      tprAtFpr10: SPREAD,
      values: z
        .object({
          accuracy: z.array(NUM),
          falsePositiveRate: z.array(NUM).optional(),
          auc: z.array(NUM),
          tprAtFpr10: z.array(NUM),
        })
        .optional(),
    }),
  ),
  leak: z.array(z.object({ group: z.enum(["sequence", "subject", "none"]), images: SPREAD, accuracy: SPREAD })),
});
/** The schema of summary.json; its output type is {@link StudySummary} (checked by the compiler). */
export const STUDY_SUMMARY_SCHEMA: z.ZodType<StudySummary, unknown> = z.object({
  method: z.string(),
  majorityBaseline: z.object({ class: z.string(), accuracy: NUM }),
  splits: z.array(conditionSummary),
  gaps: z.array(
    z.object({ variant: z.string(), a: splitName, b: splitName, seeds: z.array(z.number().int()), difference: SPREAD }),
  ),
  comparisons: z.array(
    z.object({
      variant: z.string(),
      split: splitName,
      seeds: z.array(z.number().int()),
      accuracy: SPREAD,
      balancedAccuracy: SPREAD,
      epochs: SPREAD,
      seconds: SPREAD,
    }),
  ),
});

/** A summary as `summary.json` text: non-finite numbers become null, one space of indent, a final newline. */
export function summaryJson(summary: StudySummary): string {
  return JSON.stringify(summary, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 1) + "\n";
}

/** A committed summary.json, checked ({@link loadSummary}), or undefined when it has not been made. */
export function findSummary(file: string): StudySummary | undefined {
  return fs.existsSync(file) ? loadSummary(file) : undefined;
}

/** Read a study's summary.json, checked against {@link STUDY_SUMMARY_SCHEMA}. */
export function loadSummary(file: string): StudySummary {
  return loadJsonFile(
    file,
    STUDY_SUMMARY_SCHEMA,
    "study summary",
    "write it again with npm run study -- --merge --out <its folder>",
  );
}
