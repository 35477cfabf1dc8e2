/**
 * The prose of notebooks/00-overview.ipynb: the map of the notebooks, the headline over seeds, the summary of every
 * notebook's result and the exercises' computed answers. The numbers come from the committed results (the run of
 * record, the study, the comparisons, the attribution study) through the section modules; this file reads and
 * formats them, and computes only intervals at a chosen level and the paired differences by seed.
 */
import * as fs from "fs";
import * as path from "path";
import { NUM_CLASSES, PAPER_RESULTS } from "../config";
import { fileNameStructure, manifestCounts, manifestFiles, readManifest } from "../data/manifest";
import { parametersByHand } from "../model";
import { crossEntropy, oneHot } from "../optim";
import { ABLATIONS, RUNS, STUDY } from "../paths";
import { findRun, trainingTime, type FoundRun } from "../runs";
import { findSummary, type StudySummary } from "../summary";
import { splitLeakage, type SplitName } from "../split";
import { clipInterval, tInterval, wilson, type Interval } from "../stats";
import { comparisonTests } from "../ablations";
import { loadRegions, type RegionSummary } from "../explain/region-study";
import { correctFromConfusion } from "../evaluate";
import type { RunRecord } from "../record";
import { markdownTable, pct, signedPoints } from "../display/text";

/** The notebooks and what each covers (the map in 00-overview). */
export const NOTEBOOK_MAP: { file: string; section: string; covers: string; modules: string }[] = [
  {
    file: "00-overview.ipynb",
    section: "—",
    covers: "the paper in brief, the run of record and the study beside the paper, this map",
    modules: "lib/figures, lib/summary.ts",
  },
  {
    file: "01-data.ipynb",
    section: "2.1",
    covers: "classes and counts, faces, subjects, sequences and frames, RGB, scaling, one-hot, augmentation",
    modules: "lib/data/, lib/augment.ts",
  },
  {
    file: "02-model.ipynb",
    section: "2.2, 2.2.1",
    covers: "the CNN, shapes layer by layer, the parameters counted by hand, Fig 3, feature maps",
    modules: "lib/model.ts",
  },
  {
    file: "03-optim.ipynb",
    section: "2.2.2–2.2.3",
    covers: "cross-entropy (Eq. 1–2), RMSprop (Eq. 3–4) by hand and in tfjs, RMSprop vs SGD",
    modules: "lib/optim.ts",
  },
  {
    file: "04-train.ipynb",
    section: "2.3",
    covers: "the protocol, split and folds, training (or the run of record), Fig 5, Fig 6",
    modules: "lib/split.ts, lib/train.ts, lib/protocol.ts",
  },
  {
    file: "05-evaluate.ipynb",
    section: "3.1–3.3",
    covers: "Table 1, Fig 7, Fig 8, per-class numbers, the paper's claims, misclassified faces",
    modules: "lib/evaluate.ts",
  },
  {
    file: "06-study.ipynb",
    section: "2.3–3.3, over seeds",
    covers:
      "the protocol over many seeds and four splits, intervals, the identity leak, the claims ledger, the literature and the npm models",
    modules: "lib/study.ts, lib/stats.ts, lib/claims.ts",
  },
  {
    file: "07-ablations.ipynb",
    section: "1 (promised)",
    covers: "the comparisons the paper promised: one-change variants against the paper's configuration, paired by seed",
    modules: "lib/ablations.ts",
  },
  {
    file: "08-explain.ipynb",
    section: "1 (promised)",
    covers: "saliency, SmoothGrad, Grad-CAM, occlusion; the sanity check; facial regions and FACS",
    modules: "lib/explain/",
  },
];

/** {@link NOTEBOOK_MAP} as a Markdown table with links. */
export function notebookMapMarkdown(): string {
  return markdownTable(
    ["notebook", "paper section", "what it shows", "lib"],
    NOTEBOOK_MAP.map((n) => [`[${n.file}](${n.file})`, n.section, n.covers, n.modules]),
  );
}

/** The committed results notebook 00 shows; each is undefined when it has not been made. */
export interface Committed {
  /** The run of record (else a run a notebook made: lib/runs.ts findRun says which). */
  run?: FoundRun;
  /** The study over seeds (data/runs/study/summary.json, notebook 06). */
  study?: StudySummary;
  /** The comparisons (data/runs/ablations/summary.json, notebook 07). */
  ablations?: StudySummary;
  /** The attribution study (data/runs/explain/regions.json, notebook 08). */
  regions?: RegionSummary;
}

/** Read the committed results (lib/runs findRun, lib/summary findSummary, lib/explain loadRegions). */
export function committedResults(): Committed {
  const regions = path.join(RUNS, "explain", "regions.json");
  return {
    run: findRun(),
    study: findSummary(path.join(STUDY, "summary.json")),
    ablations: findSummary(path.join(ABLATIONS, "summary.json")),
    regions: fs.existsSync(regions) ? loadRegions(regions) : undefined,
  };
}

/** What the test faces of each split are. */
const SPLIT_MEANING: Record<SplitName, string> = {
  random: "the paper's random 20%: other frames of the same sequences are in training",
  subject: "people never seen in training (a subject-independent 20%)",
  "subject-cv": "every image once, in subject-independent 10-fold cross-validation",
  "subject-cv-fan": "every image once, on the literature's published subject-independent 10 folds (Emotion-FAN's)",
};

/** One split of the study over seeds: its runs' test accuracies, their mean and its interval at `level`. */
export interface Headline {
  split: SplitName;
  seeds: number[];
  accuracies: number[];
  mean: number;
  /** Student-t interval of the mean at `level`, clipped to [0, 1] (null for fewer than two seeds). */
  interval: Interval | null;
  /** Where the paper's Table 1 accuracy falls: below, inside or above the interval. */
  paper: "below" | "inside" | "above" | "n/a";
}

/** The paper's configuration over seeds on one split, at a confidence level (lib/stats tInterval). */
export function headline(study: StudySummary, split: SplitName, level = 0.95): Headline | undefined {
  const c = study.splits.find((s) => s.variant === "paper" && s.split === split);
  if (!c) return undefined;
  const accuracies = c.runs.map((r) => r.accuracy);
  const interval = clipInterval(tInterval(accuracies, level), [0, 1]);
  const p = PAPER_RESULTS.testAccuracy;
  return {
    split,
    seeds: c.runs.map((r) => r.seed),
    accuracies,
    mean: accuracies.reduce((a, b) => a + b, 0) / accuracies.length,
    interval,
    paper: !interval ? "n/a" : p < interval.lo ? "below" : p > interval.hi ? "above" : "inside",
  };
}

const ivText = (iv: Interval | null) => (iv ? `${pct(iv.lo)}–${pct(iv.hi)}` : "n/a");
const levelText = (level: number) => `${+(100 * level).toFixed(1)}%`;

/**
 * The headline over seeds: per split, the mean test accuracy with its interval at `level`, the range of single runs
 * and where the paper's accuracy falls; then the paired random − subject gap, and the run of record as one draw.
 */
export function headlineMarkdown(study: StudySummary | undefined, level = 0.95, record?: RunRecord): string {
  if (!study) return "No study is committed yet: `npm run study` makes one (notebook 06 reads it).";
  const rows = (["random", "subject", "subject-cv", "subject-cv-fan"] as const).flatMap(
    (s) => headline(study, s, level) ?? [],
  );
  const table = markdownTable(
    [
      "split",
      "the test faces",
      "seeds",
      "mean test accuracy",
      `${levelText(level)} interval of the mean`,
      "single runs",
      `the paper's ${pct(PAPER_RESULTS.testAccuracy, 2)} is`,
    ],
    rows.map((h) => [
      h.split,
      SPLIT_MEANING[h.split],
      h.seeds.length,
      `**${pct(h.mean)}**`,
      ivText(h.interval),
      `${pct(Math.min(...h.accuracies))}–${pct(Math.max(...h.accuracies))}`,
      h.paper === "n/a" ? "n/a" : `${h.paper} it`,
    ]),
    ["l", "l", "r", "r", "r", "r", "l"],
  );
  const gap = pairedGap(study, "random", "subject", level);
  const lines = [table, ""];
  if (gap)
    lines.push(
      `Paired by seed (the same seed on both splits), the random split scores **${(100 * gap.mean).toFixed(1)} points** more (${levelText(level)} interval ${ivPoints(gap.interval)}, ${gap.diffs.length} seeds): what it is worth to have seen the person, and mostly the same sequence, in training.`,
    );
  if (record) {
    const k = correctFromConfusion(record.test.confusion);
    const n = record.test.predictions.length;
    lines.push(
      `The run of record (seed ${record.seed}, ${record.config.split} split) is one draw: ${pct(k / n)} (${k}/${n}), Wilson ${levelText(level)} interval ${ivText(wilson(k, n, level))}.`,
    );
  }
  return lines.join("\n").trim();
}

const ivPoints = (iv: Interval | null) =>
  iv ? `${(100 * iv.lo).toFixed(1)} to ${(100 * iv.hi).toFixed(1)} points` : "n/a";

/** Split a − split b of the paper's configuration, seed by seed (the seeds both have), with its interval at `level`. */
export function pairedGap(
  study: StudySummary,
  a: SplitName,
  b: SplitName,
  level = 0.95,
): { seeds: number[]; diffs: number[]; mean: number; interval: Interval | null } | undefined {
  const of = (s: SplitName) => study.splits.find((c) => c.variant === "paper" && c.split === s);
  const ca = of(a);
  const cb = of(b);
  if (!ca || !cb) return undefined;
  const seeds = ca.runs.map((r) => r.seed).filter((s) => cb.runs.some((r) => r.seed === s));
  if (!seeds.length) return undefined;
  const acc = (c: typeof ca, s: number) => c.runs.find((r) => r.seed === s)!.accuracy;
  const diffs = seeds.map((s) => acc(ca, s) - acc(cb, s));
  return { seeds, diffs, mean: diffs.reduce((x, y) => x + y, 0) / diffs.length, interval: tInterval(diffs, level) };
}

/**
 * Exercise 1: the paper's accuracy against one split's interval, and how many single runs fall below it.
 */
export function paperAgainstMarkdown(study: StudySummary | undefined, split: SplitName, level = 0.95): string {
  const h = study && headline(study, split, level);
  if (!h) return `No study of the ${split} split is committed.`;
  const below = h.accuracies.filter((a) => a < PAPER_RESULTS.testAccuracy).length;
  return (
    `On the **${split}** split the mean over ${h.seeds.length} seeds is ${pct(h.mean)}, ${levelText(level)} interval ${ivText(h.interval)}: ` +
    `the paper's ${pct(PAPER_RESULTS.testAccuracy, 2)} is **${h.paper === "n/a" ? "not comparable" : `${h.paper} it`}**. ` +
    `${below} of the ${h.seeds.length} single runs score below the paper. An interval of the mean says where the average run lies, not where one run lands.`
  );
}

/** Exercise 2: the interval of the mean at several levels (each once, in order): its width, and whether it holds the paper's accuracy. */
export function levelsMarkdown(study: StudySummary | undefined, split: SplitName, levels: number[]): string {
  if (!study) return "No study is committed.";
  const rows = [...new Set(levels)]
    .sort((a, b) => a - b)
    .flatMap((l) => {
      const h = headline(study, split, l);
      return h
        ? [
            [
              levelText(l),
              ivText(h.interval),
              h.interval ? (100 * (h.interval.hi - h.interval.lo)).toFixed(1) : "n/a",
              h.paper,
            ],
          ]
        : [];
    });
  return [
    `The ${split} split: a higher level asks for more confidence, so the t quantile and the interval grow; the mean stays.`,
    "",
    markdownTable(["level", "interval of the mean", "width (points)", "the paper's accuracy is"], rows, [
      "r",
      "r",
      "r",
      "l",
    ]),
  ].join("\n");
}

/**
 * Exercise 3: one run's Wilson interval (its test images treated as independent draws) against the spread of single
 * runs over seeds (new split, folds, weights, augmentation each time) and the interval of their mean.
 */
export function oneRunMarkdown(record: RunRecord | undefined, study: StudySummary | undefined, level = 0.95): string {
  if (!record) return "No run record is committed.";
  const k = correctFromConfusion(record.test.confusion);
  const n = record.test.predictions.length;
  const w = wilson(k, n, level);
  const h = study && headline(study, record.config.split, level);
  const width = (iv: Interval | null) => (iv ? (100 * (iv.hi - iv.lo)).toFixed(1) : "n/a");
  const rows: (string | number)[][] = [
    [`the run of record alone (Wilson, ${n} images)`, `${pct(k / n)}`, ivText(w), width(w)],
  ];
  if (h) {
    const lo = Math.min(...h.accuracies);
    const hi = Math.max(...h.accuracies);
    rows.push([`single runs over ${h.seeds.length} seeds (range)`, "", `${pct(lo)}–${pct(hi)}`, width({ lo, hi })]);
    rows.push([`the mean over ${h.seeds.length} seeds (t)`, pct(h.mean), ivText(h.interval), width(h.interval)]);
  }
  return [
    markdownTable(["", "accuracy", `${levelText(level)} interval or range`, "width (points)"], rows, [
      "l",
      "r",
      "r",
      "r",
    ]),
    "",
    "Wilson's interval counts only the luck of which test images were drawn, as if they were independent; a new seed also changes the split, the folds, the initial weights and the augmentation, and the three frames of a sequence are not independent. The range of single runs shows the run-to-run spread; the interval of the mean shrinks as seeds are added.",
  ].join("\n");
}

/** Exercise 4: split a − split b seed by seed, and on how many seeds a wins. */
export function pairedMarkdown(study: StudySummary | undefined, a: SplitName, b: SplitName, level = 0.95): string {
  const g = study && pairedGap(study, a, b, level);
  if (!g) return `The study has no seeds run on both the ${a} and the ${b} split.`;
  const wins = g.diffs.filter((d) => d > 0).length;
  return [
    markdownTable(
      ["seed", `${a} − ${b} (points)`],
      g.seeds.map((s, i) => [s, (100 * g.diffs[i]).toFixed(1)]),
      ["r", "r"],
    ),
    "",
    `${a} beats ${b} on **${wins} of ${g.seeds.length}** seeds; the mean difference is ${(100 * g.mean).toFixed(1)} points, ${levelText(level)} interval ${ivPoints(g.interval)}. Pairing by seed removes what the two runs of a seed share; the difference is then measured against its own spread, not against the (larger) spread of each split.`,
  ].join("\n");
}

/**
 * The summary of every notebook (01–08) in one table, each row computed from the manifest, the model's parameter
 * count (`params`, counted by tfjs in the notebook) and the committed results; what is not committed says so.
 */
export function overviewSummaryMarkdown(c: Committed, params: number, level = 0.95): string {
  const manifest = readManifest();
  const s = fileNameStructure(manifest);
  const counts = manifestCounts(manifest);
  const leak = splitLeakage(manifestFiles(manifest), 0);
  const byHand = parametersByHand().reduce((a, r) => a + r.params, 0);
  const r = c.run?.record;
  const none = (what: string) => `not committed yet (${what})`;
  const rows: string[][] = [
    [
      "01-data",
      `${s.images} images (the paper says ${PAPER_RESULTS.images}), ${s.subjects} people, ${s.sequences} sequences of ${Object.keys(s.imagesPerSequence).join("/")} frames; the largest class is ${pct(Math.max(...counts) / s.images)}; on seed 0's random split ${leak.testWithSequenceInTrain} of ${leak.test} test images have a sibling frame in training.`,
    ],
    [
      "02-model",
      `${params.toLocaleString("en-US")} trainable parameters in tfjs, ${byHand.toLocaleString("en-US")} by hand; the paper's Fig 3: ${PAPER_RESULTS.params.toLocaleString("en-US")}.`,
    ],
    [
      "03-optim",
      r
        ? `Eq. 1–2 on the run of record's ${r.test.predictions.length} stored test probabilities: ${lossOf(r).toFixed(4)} (the record's test loss ${r.test.loss.toFixed(4)}); a uniform guess over ${NUM_CLASSES} classes costs ln ${NUM_CLASSES} = ${Math.log(NUM_CLASSES).toFixed(2)}.`
        : none("run of record"),
    ],
    [
      "04-train",
      r
        ? `${r.folds.length} folds trained ${r.folds.map((f) => f.history.length).join(", ")} epochs before early stopping (patience ${r.config.patience}; best epochs ${r.folds.map((f) => f.bestEpoch).join(", ")}); fold ${r.bestFold + 1} has the lowest validation loss and is tested; ${trainingTime(r)}.`
        : none("run of record"),
    ],
    ["05-evaluate", r ? evaluateRow(r) : none("run of record")],
    ["06-study", c.study ? studyRow(c.study, level) : none("npm run study")],
    ["07-ablations", c.ablations ? ablationsRow(c.ablations) : none("npm run study -- --variants …")],
    ["08-explain", c.regions ? explainRow(c.regions) : none("npm run explain -- --regions")],
  ];
  return markdownTable(["notebook", "result (computed from the committed files)"], rows);
}

/** Eq. 2 on a run's stored test probabilities (lib/optim.ts crossEntropy). */
function lossOf(r: RunRecord): number {
  return crossEntropy(
    r.test.predictions.map((p) => oneHot(p.label, NUM_CLASSES)),
    r.test.predictions.map((p) => p.probs),
  );
}

function evaluateRow(r: RunRecord): string {
  const k = correctFromConfusion(r.test.confusion);
  const n = r.test.predictions.length;
  const worst = [...r.test.perClass].sort((a, b) => a.accuracy - b.accuracy)[0];
  const best = [...r.test.perClass].sort((a, b) => b.accuracy - a.accuracy)[0];
  const P = PAPER_RESULTS;
  return `Table 1 of the run of record: accuracy ${pct(k / n)} (${k}/${n}), loss ${r.test.loss.toFixed(4)}; the paper: ${pct(P.testAccuracy, 2)} (${P.testCorrect}/${P.testImages}), ${P.testLoss}. Best class ${best.class} (${pct(best.accuracy)}), weakest ${worst.class} (${pct(worst.accuracy)}).`;
}

function studyRow(study: StudySummary, level: number): string {
  const parts = (["random", "subject"] as const).flatMap((s) => {
    const h = headline(study, s, level);
    return h
      ? [`${s} split ${pct(h.mean)} (${levelText(level)} interval ${ivText(h.interval)}, ${h.seeds.length} seeds)`]
      : [];
  });
  const gap = pairedGap(study, "random", "subject", level);
  return `${parts.join("; ")}${gap ? `; paired by seed, the random split adds ${(100 * gap.mean).toFixed(1)} points (${ivPoints(gap.interval)})` : ""}.`;
}

function ablationsRow(s: StudySummary): string {
  const tests = comparisonTests(s, "subject");
  if (!tests.length) return "fewer than two paired seeds per variant";
  const kept = tests.filter((t) => t.holm < 0.05);
  const worst = [...tests].sort((a, b) => a.mean - b.mean)[0];
  return `${tests.length} one-change variants against the paper's configuration on unseen people; the largest effect is ${worst.variant}'s (${signedPoints(worst.mean)} points); after Holm's correction ${kept.length ? `${kept.map((t) => t.variant).join(", ")} ${kept.length === 1 ? "differs" : "differ"}` : "none differs"}.`;
}

function explainRow(r: RegionSummary): string {
  const corr = r.sanity.map((x) => `${x.method} ${x.correlation.mean.toFixed(2)}`).join(", ");
  return `The sanity check (maps of the trained network against a randomly initialised one, rank correlation over ${r.seeds.length} seeds): ${corr}; a map that barely changes when the weights are random does not explain the training. ${r.regions.length} facial regions derived from the mean face; their occlusion effects per class are in notebook 08.`;
}

/** The facts this notebook's prose cites by name, beside lib/notebooks/facts.ts commonFacts (tied in cell metadata). */
export function proseFacts(): Record<string, number> {
  return {
    // Section 3.2's threshold: the classes "over 90%" correct on Fig 7 (lib/claims.ts checks them against it).
    "paper.overNinety.threshold": 0.9,
  };
}
