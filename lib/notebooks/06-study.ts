/**
 * The prose of notebooks/06-study.ipynb: the study's tables, its summary and the exercises' computed answers, formatted
 * from what lib/study.ts, lib/stats.ts and lib/claims.ts compute, with the few small computations the exercises ask for.
 */
import * as path from "path";
import { PAPER, PAPER_RESULTS } from "../config";
import { SUBJECT_CV_FOLDS } from "../protocol";
import { ROOT } from "../paths";
import { OVER_NINETY } from "../figures/study";
import { pooledLeak, type LeakGroup, type RunSummary, type StudySummary, type ConditionSummary } from "../summary";
import type { RunRecord } from "../record";
import { subjectOf } from "../data/files";
import { tQuantile } from "../distributions";
import { quantile, seedsForHalfWidth, seedsToShrink, wilsonEquivalentN, type Interval, type Spread } from "../stats";
import { shardJobs, type FoundStudy, type StudyJob } from "../study";
import type { Claim, Verdict } from "../claims";
import { fmt, markdownTable, pct, signedInterval, signedPoints } from "../display/text";

/** One line saying which study the notebook shows. */
export function studyStatus(found: FoundStudy | undefined): string {
  if (!found)
    return "**No study yet.** Make one with `npm run study` (about two minutes per run on two cores), or run this notebook with `FER_QUICK=1` and CK+48 present for a two-seed quick study.";
  const runs = found.summary.splits.reduce((a, s) => a + s.runs.length, 0);
  const rel = path.relative(ROOT, found.dir) || found.dir;
  const named = new Set(found.summary.splits.map((x) => x.variant)).size > 1; // name the variant when there are several
  return found.kind === "committed"
    ? `The committed study \`${rel}/\`: ${runs} runs (${found.summary.splits.map((s) => `${named ? `${s.variant} ` : ""}${s.split} × ${s.runs.length} seeds`).join(", ")}).`
    : `A **quick study** made here (\`${rel}/\`: ${runs} runs of the smoke setting, a few images per class): it exercises the code, its numbers say nothing about the paper.`;
}

const iv = (i: Interval | null | undefined) => (i ? `[${pct(i.lo)}, ${pct(i.hi)}]` : "—");
/** A fraction (a width, an sd, a difference) in percentage points, one decimal by default. */
const pts = (x: number, digits = 1) => `${(100 * x).toFixed(digits)} points`;
const sp = (s: Spread) => `${pct(s.mean)} ± ${Number.isFinite(s.sd) ? pct(s.sd) : "—"}`;

/** Per split: the headline numbers over seeds with both intervals. */
export function splitTableMarkdown(s: StudySummary): string {
  return markdownTable(
    [
      "split",
      "seeds",
      "test accuracy (mean ± sd)",
      "95% t interval",
      "95% bootstrap",
      "balanced accuracy",
      "macro-F1",
      "range of runs",
      "minutes per run",
    ],
    s.splits.map((x) => [
      x.split,
      x.seeds.length,
      sp(x.accuracy),
      iv(x.accuracy.t),
      iv(x.accuracy.bootstrap),
      `${pct(x.balancedAccuracy.mean)} ${iv(x.balancedAccuracy.t)}`,
      `${pct(x.macroF1.mean)} ${iv(x.macroF1.t)}`,
      `${pct(x.accuracy.min)}–${pct(x.accuracy.max)}`,
      (x.seconds.mean / 60).toFixed(1),
    ]),
    ["l", "r", "r", "r", "r", "r", "r", "r", "r"],
  );
}

/** The cluster-bootstrap interval's width over Wilson's for one run (NaN without a cluster interval). */
export function widthRatio(r: RunSummary): number {
  return r.cluster ? (r.cluster.hi - r.cluster.lo) / (r.wilson.hi - r.wilson.lo) : NaN;
}

/** One run's accuracy with the two intervals for one test set: images as if independent, and people resampled. */
export function runIntervalsMarkdown(x: ConditionSummary): string {
  return markdownTable(
    [
      "seed",
      "correct",
      "accuracy",
      "Wilson 95% (images independent)",
      "cluster bootstrap 95% (people resampled)",
      "width ratio",
    ],
    x.runs.map((r) => [
      r.seed,
      `${r.correct}/${r.images}`,
      pct(r.accuracy),
      iv(r.wilson),
      iv(r.cluster),
      r.cluster ? widthRatio(r).toFixed(2) : "—",
    ]),
    ["r", "r", "r", "r", "r", "r"],
  );
}

/** Per split of the paper's configuration: the cluster/Wilson width ratios of its runs (range, median, how many > 1). */
export interface WidthRatios {
  split: string;
  runs: number;
  min: number;
  median: number;
  max: number;
  /** Runs whose cluster interval is wider than Wilson's. */
  wider: number;
}

/** The width ratios of every split of the paper's configuration, in the summary's order. */
export function widthRatios(s: StudySummary): WidthRatios[] {
  return s.splits
    .filter((x) => x.variant === "paper")
    .map((x) => {
      const r = x.runs.map(widthRatio).filter(Number.isFinite);
      return {
        split: x.split,
        runs: r.length,
        min: Math.min(...r),
        median: quantile(r, 0.5),
        max: Math.max(...r),
        wider: r.filter((v) => v > 1).length,
      };
    });
}

/**
 * The cluster bootstrap against Wilson's interval, split by split: a table of the width ratios and one sentence per
 * split saying whether the honest interval is wider in every run, in most, or about the same.
 */
export function widthRatioMarkdown(s: StudySummary): string {
  const rows = widthRatios(s);
  const verdict = (w: WidthRatios) =>
    w.min > 1.2
      ? "clearly wider in every run"
      : w.wider === w.runs
        ? "wider in every run, but only slightly"
        : `only slightly wider, if at all (wider in ${w.wider} of ${w.runs} runs)`;
  return [
    markdownTable(
      ["split", "runs", "cluster / Wilson width: min", "median", "max", "runs where the cluster interval is wider"],
      rows.map((w) => [
        w.split,
        w.runs,
        w.min.toFixed(2),
        w.median.toFixed(2),
        w.max.toFixed(2),
        `${w.wider} of ${w.runs}`,
      ]),
      ["l", "r", "r", "r", "r", "r"],
    ),
    "",
    ...rows.map(
      (w) =>
        `- **${w.split}**: the cluster bootstrap is ${w.min.toFixed(2)}–${w.max.toFixed(2)}× Wilson's width (median ${w.median.toFixed(2)}): ${verdict(w)}.`,
    ),
  ].join("\n");
}

const LEAK_TEXT: Record<LeakGroup, string> = {
  sequence: "another frame of its sequence is in training",
  subject: "only its person is in training",
  none: "its person is not in training",
};

/**
 * The identity-leak table: per split and group, the test images per run and in all, the runs that had any, the mean
 * accuracy over those runs with its t interval ("too few" when fewer than `minImages` images in all or one run
 * only), then the paired random − subject gap in points.
 */
export function leakMarkdown(s: StudySummary, minImages = 20): string {
  const table = markdownTable(
    [
      "split",
      "test image whose…",
      "images per run",
      "images in all",
      "runs with any",
      "test accuracy",
      "95% t interval",
    ],
    s.splits
      .filter((x) => x.variant === "paper")
      .flatMap((x) =>
        x.leak.map((l) => {
          const total = Math.round(l.images.mean * l.images.n);
          const few = total < minImages || l.accuracy.n < 2;
          return [
            x.split,
            LEAK_TEXT[l.group],
            l.images.mean.toFixed(1),
            total,
            `${l.accuracy.n} of ${l.images.n}`,
            few ? `(${pct(l.accuracy.mean)}: too few to estimate)` : pct(l.accuracy.mean),
            few ? "—" : iv(l.accuracy.t),
          ];
        }),
      ),
    ["l", "l", "r", "r", "r", "r", "r"],
  );
  const gaps = s.gaps.map(
    (g) =>
      `**${g.a} − ${g.b}**, paired by seed over ${g.seeds.length} seeds: ${signedPoints(g.difference.mean)} points, 95% t interval ${signedInterval(g.difference.t)}, bootstrap ${signedInterval(g.difference.bootstrap)}.`,
  );
  return [table, "", ...gaps].join("\n");
}

/** Per-class accuracy over seeds, per split. */
export function perClassStudyMarkdown(s: StudySummary): string {
  const classes = s.splits[0]?.perClass.map((c) => c.class) ?? [];
  return markdownTable(
    ["class", ...s.splits.map((x) => `${x.split}: accuracy [95%]`), ...s.splits.map((x) => `${x.split}: AUC`)],
    classes.map((c, k) => [
      c,
      ...s.splits.map((x) => `${pct(x.perClass[k].accuracy.mean)} ${iv(x.perClass[k].accuracy.t)}`),
      ...s.splits.map((x) => fmt(x.perClass[k].auc.mean, 3)),
    ]),
    ["l", ...s.splits.map(() => "r" as const), ...s.splits.map(() => "r" as const)],
  );
}

/** The study's jobs as a table: their order (seed-major), folders, and which of `shards` machines runs each (lib/study.ts shardJobs). */
export function jobsMarkdown(jobs: readonly StudyJob[], shards = 2): string {
  const shardOf = new Map<StudyJob, number>();
  for (let k = 1; k <= shards; k++) for (const j of shardJobs(jobs, k, shards)) shardOf.set(j, k);
  return markdownTable(
    ["job", "seed", "split", "variant", "folder", `shard (of ${shards})`],
    jobs.map((j, i) => [i + 1, j.seed, j.split, j.variant, `\`${j.dir}\``, `${shardOf.get(j)}/${shards}`]),
    ["r", "r", "l", "l", "l", "r"],
  );
}

/** The people (CK+ subjects) in a run's test set. */
export function testPeople(record: RunRecord): number {
  return new Set(record.test.predictions.map((p) => subjectOf(p.file))).size;
}

/** Exercise: one run against the spread of runs on its split, and where the paper's single run falls among ours. */
export function singleRunAnswer(s: StudySummary, split: string, seed: number): string {
  const x = s.splits.find((c) => c.variant === "paper" && c.split === split);
  const r = x?.runs.find((k) => k.seed === seed);
  if (!x || !r)
    return `The study has no run of seed ${seed} on the ${split} split (seeds: ${x?.seeds.join(", ") ?? "none"}).`;
  const a = x.accuracy;
  const z = (r.accuracy - a.mean) / a.sd;
  const below = x.runs.filter((k) => k.accuracy < r.accuracy).length;
  const paper = PAPER_RESULTS.testAccuracy;
  const underPaper = x.runs.filter((k) => k.accuracy < paper).length;
  const wW = r.wilson.hi - r.wilson.lo;
  const tW = a.t ? a.t.hi - a.t.lo : NaN;
  return [
    `Seed ${seed} on the ${split} split: **${pct(r.accuracy)}** (${r.correct}/${r.images}), Wilson 95% ${iv(r.wilson)}.`,
    `Over the ${x.runs.length} seeds: mean ${pct(a.mean)}, sd ${pts(a.sd)}, 95% t interval of the mean ${iv(a.t)}, runs from ${pct(a.min)} to ${pct(a.max)}.`,
    `This run is ${Math.abs(z).toFixed(1)} sd ${z >= 0 ? "above" : "below"} the mean; ${below} of the ${x.runs.length} runs ${below === 1 ? "is" : "are"} lower.`,
    `The paper's single run, ${pct(paper)}, is above ${underPaper} of our ${x.runs.length} runs${a.t ? ` and ${paper < a.t.lo ? "below" : paper > a.t.hi ? "above" : "inside"} the interval of our mean` : ""}.`,
    `One run's Wilson interval (${pts(wW)} wide) says how well this model is measured on this test set; the t interval over seeds (${pts(tW)} wide) says how well the protocol's mean is known. Reporting one run with its Wilson interval hides the spread between runs (sd ${pts(a.sd)}).`,
  ].join("\n\n");
}

/**
 * Exercise: per split, the seeds that would shrink the 95 % t interval of the mean test accuracy by `factor`, and
 * the seeds for an absolute half-width of `target` (a fraction: 0.01 is ±1 point), from the stored sd over seeds.
 */
export function seedsAnswer(s: StudySummary, factor = 0.5, target = 0.01): string {
  const rows = s.splits
    .filter((x) => x.variant === "paper" && x.accuracy.n >= 2)
    .map((x) => {
      const k = seedsToShrink(x.accuracy, factor);
      return [
        x.split,
        k.n,
        pts(x.accuracy.sd),
        `±${pts(k.half, 2)}`,
        `${k.needed} (±${pts(k.neededHalf, 2)})`,
        Math.ceil(k.n / factor ** 2),
        seedsForHalfWidth(x.accuracy.sd, target),
      ];
    });
  return [
    markdownTable(
      [
        "split",
        "seeds now",
        "sd over seeds",
        "95% half-width now",
        `seeds for ${factor}× the width`,
        "the 1/√n rule: n / factor²",
        `seeds for ±${pts(target, 1)}`,
      ],
      rows,
      ["l", "r", "r", "r", "r", "r", "r"],
    ),
    "",
    `The half-width is t(n − 1)·sd/√n. Shrinking it by ${factor} needs about 1/${factor}² = ${(1 / factor ** 2).toFixed(1)} times the seeds, fewer because t(n − 1) falls toward 1.96 as n grows; the sd cancels, so every split with the same seeds needs the same number. A fixed target (±${pts(target, 1)}) depends on the sd: the noisier the split, the more seeds. Both assume the sd over seeds stays what the study measured.`,
  ].join("\n");
}

/** Exercise: Wilson's interval at the run's n against the cluster bootstrap, the effective n and the people tested. */
export function effectiveImagesAnswer(s: StudySummary, split: string, seed: number, record?: RunRecord): string {
  const r = s.splits.find((c) => c.variant === "paper" && c.split === split)?.runs.find((k) => k.seed === seed);
  if (!r?.cluster) return `The study has no run of seed ${seed} on the ${split} split with a cluster interval.`;
  const eff = wilsonEquivalentN(r.accuracy, r.cluster.hi - r.cluster.lo);
  const people = record ? testPeople(record) : undefined;
  return [
    `Seed ${seed}, ${split} split: ${r.correct}/${r.images} correct (${pct(r.accuracy)}).`,
    "",
    markdownTable(
      ["interval", "95% interval", "width"],
      [
        [`Wilson, n = ${r.images} images as if independent`, iv(r.wilson), pts(r.wilson.hi - r.wilson.lo)],
        ["cluster bootstrap, people resampled", iv(r.cluster), pts(r.cluster.hi - r.cluster.lo)],
      ],
      ["l", "r", "r"],
    ),
    "",
    `Wilson's interval would be as wide as the cluster bootstrap's at **n ≈ ${eff.toFixed(0)}** independent images: the ${r.images} test images are worth about ${eff.toFixed(0)} independent ones (design effect ${(r.images / eff).toFixed(2)}${r.images / eff < 1.1 ? ": about 1, the images behave nearly as if independent; a value below 1 is the bootstrap's own noise" : ""}).` +
      (people !== undefined
        ? ` They come from ${people} people, ${(r.images / people).toFixed(1)} images each on average. The more images each person contributes, and the more a person's images are right or wrong together, the further the effective n falls below the image count.`
        : ""),
  ].join("\n");
}

/** Exercise: which leak groups the chart draws hollow at `minImages`, and each group's pooled accuracy with Wilson's interval. */
export function leakGroupAnswer(records: readonly RunRecord[], split: string, minImages = 20): string {
  if (!records.length) return `No run records of the ${split} split in the study.`;
  const groups = pooledLeak(records);
  const rows = groups.map((g) => [
    LEAK_TEXT[g.group],
    g.images,
    g.people,
    `${g.runs} of ${records.length}`,
    `${g.correct}/${g.images} = ${pct(g.correct / g.images)}`,
    iv(g.wilson),
    pts(g.wilson.hi - g.wilson.lo),
    g.runs < 2
      ? "hollow: in one run only, no interval over seeds"
      : g.images < minImages
        ? `hollow: fewer than ${minImages} images`
        : "a point with its t interval",
  ]);
  const small = [...groups].sort((a, b) => a.images - b.images)[0];
  return [
    `The ${split} split, ${records.length} runs pooled, at a threshold of ${minImages} images:`,
    "",
    markdownTable(
      [
        "test image whose…",
        "images in all",
        "people",
        "runs with any",
        "pooled accuracy",
        "Wilson 95% (pooled)",
        "width",
        "in the chart",
      ],
      rows,
      ["l", "r", "r", "r", "r", "r", "r", "l"],
    ),
    "",
    `The smallest group, "${LEAK_TEXT[small.group]}", has ${small.images} image${small.images === 1 ? "" : "s"} of ${small.people} ${small.people === 1 ? "person" : "people"} in ${small.runs} run${small.runs === 1 ? "" : "s"}: Wilson's interval of its pooled accuracy is ${pts(small.wilson.hi - small.wilson.lo)} wide, and since its images are not independent either, even that is optimistic. A filled dot at its mean would claim a precision the data do not have.`,
  ].join("\n");
}

/**
 * The two intervals of a sample of runs, worked out by hand for notebook 06: the interval of the **mean** (where the
 * average run lands: mean ± t·sd/√n) and the **prediction interval** for one new run (what a single run gives:
 * mean ± t·sd·√(1 + 1/n)), with where `paper` (one run's number) falls in each. The claims ledger uses the second for
 * the paper's numbers (lib/claims.ts singleRun).
 */
export function twoIntervalsMarkdown(s: Spread | undefined, paper: number, what = "test accuracy"): string {
  if (!s || s.n < 2) return "Needs at least two seeds of the study.";
  const t = tQuantile(0.975, s.n - 1);
  const mean = (t * s.sd) / Math.sqrt(s.n);
  const one = t * s.sd * Math.sqrt(1 + 1 / s.n);
  const where = (half: number) => (Math.abs(paper - s.mean) <= half ? "inside" : "outside");
  const iv = (half: number) => `${pct(s.mean - half)}–${pct(Math.min(1, s.mean + half))}`;
  return [
    `Our ${s.n} runs' ${what}: mean ${pct(s.mean)}, sd ${pct(s.sd)}; t(0.975, ${s.n - 1}) = ${t.toFixed(4)}.`,
    "",
    markdownTable(
      ["interval", "half-width", "by hand", "interval", `the paper's ${pct(paper)}`],
      [
        ["of the mean: where the average run lands", "t · sd / √n", pct(mean), iv(mean), where(mean)],
        ["for one new run: what a single run gives", "t · sd · √(1 + 1/n)", pct(one), iv(one), where(one)],
      ],
    ),
    "",
    `The second is √(n + 1) = ${Math.sqrt(s.n + 1).toFixed(2)} times as wide: it adds the spread of the new run itself to the uncertainty of the mean. The paper's number is one run, so it is judged by the second.`,
  ].join("\n");
}

/**
 * The notebook's Summary, computed: the paper's protocol over seeds against the paper's single run, the
 * subject-independent splits, the identity leak paired by seed, the cluster/Wilson width ratio per split, and the
 * claims ledger's verdicts.
 */
export function summaryMarkdown(s: StudySummary | undefined, claims: readonly Claim[]): string {
  if (!s) return studyStatus(undefined);
  const of = (split: string) => s.splits.find((x) => x.variant === "paper" && x.split === split);
  const acc = (x: ConditionSummary) => `${pct(x.accuracy.mean)} ${iv(x.accuracy.t)}`;
  const random = of("random");
  const subject = of("subject");
  const cv = of("subject-cv");
  const gap = s.gaps.find((g) => g.variant === "paper" && g.a === "random" && g.b === "subject");
  const seq = random?.leak.find((l) => l.group === "sequence");
  const ratios = widthRatios(s);
  const counts = (
    ["reproduced", "consistent", "not distinguishable", "not reproduced", "not testable"] as Verdict[]
  ).map((v) => `${claims.filter((c) => c.verdict === v).length} ${v}`);
  const paper = PAPER_RESULTS.testAccuracy;
  const where = (x: ConditionSummary) =>
    x.accuracy.t ? (paper < x.accuracy.t.lo ? "below" : paper > x.accuracy.t.hi ? "above" : "inside") : "beside";
  const lines = [
    random
      ? `- **The paper's protocol** (random ${Math.round(100 * (1 - PAPER.testFraction))}/${Math.round(100 * PAPER.testFraction)} split) over ${random.seeds.length} seeds: test accuracy ${acc(random)} (mean, 95% t interval), single runs from ${pct(random.accuracy.min)} to ${pct(random.accuracy.max)}. The paper's single run, ${pct(paper)}, is ${where(random)} that interval.`
      : "",
    subject
      ? `- **People never seen in training** (subject hold-out, ${subject.seeds.length} seeds): ${acc(subject)}.`
      : "",
    cv
      ? `- **Subject-independent ${SUBJECT_CV_FOLDS}-fold cross-validation** (${cv.seeds.length} seeds, every image tested once): ${acc(cv)}.`
      : "",
    gap?.difference.t
      ? `- **The identity leak**: paired by seed over ${gap.seeds.length} seeds, the random split scores ${signedPoints(gap.difference.mean)} points ${signedInterval(gap.difference.t)} above the subject split${seq && random ? `; on the random split ${seq.images.mean.toFixed(1)} of its ${random.runs[0].images} test images per run have another frame of their sequence in training` : ""}.`
      : "",
    ratios.length
      ? `- **One test set**: the cluster bootstrap's width over Wilson's, run by run, is ${ratios.map((w) => `${w.min.toFixed(2)}–${w.max.toFixed(2)}× on the ${w.split} split`).join(", ")}.`
      : "",
    claims.length
      ? `- **The claims ledger**: ${counts.join(", ")} of ${claims.length} claims; reproduced: ${
          claims
            .filter((c) => c.verdict === "reproduced")
            .map((c) => c.claim)
            .join("; ") || "none"
        }.`
      : "",
  ];
  return lines.filter(Boolean).join("\n");
}

/** The facts this notebook's prose cites by name, beside lib/notebooks/facts.ts commonFacts (tied in cell metadata). */
export function proseFacts(): Record<string, number> {
  return {
    "figures.overNinety": OVER_NINETY,
  };
}
