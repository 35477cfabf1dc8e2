/**
 * The claims ledger (notebook 06, figures/claims.md, README): every checkable claim of the paper in one table, with
 * the paper's value, ours as the mean and 95 % interval over seeds (the paper's protocol: the random split), the run
 * of record, the subject-independent number for context, and a verdict with one sentence why.
 *
 * Verdicts:
 * - **reproduced**: a fact that matches exactly, a qualitative claim that holds with our intervals, or one run's
 *   number inside our 95 % interval of the mean over seeds;
 * - **consistent**: one run's number outside the interval of the mean but inside the 95 % prediction interval for
 *   one run (a draw our protocol makes; see singleRun), or a threshold claim ("over 90%") the intervals cannot decide;
 * - **not distinguishable**: a claim about the order of classes whose margin's interval over resampled seeds
 *   straddles zero (lib/ordering.ts): our runs cannot tell those classes apart;
 * - **not reproduced**: outside what one run of ours gives, or a fact that is false;
 * - **not testable**: nothing in our runs can check it.
 */
import { CLASSES, PAPER_RESULTS } from "./config";
import { correctFromConfusion, falsePositiveRate } from "./evaluate";
import type { RunRecord } from "./record";
import { clipInterval, percentileOf, predictionInterval, quantile, type Spread } from "./stats";
import { farFromNormal } from "./normality";
import { marginInterval, orderVerdict, rankRanges, type PerRun } from "./ordering";
import type { ConditionSummary, StudySummary } from "./summary";
import { markdownTable, pct } from "./display/text";
import { readManifest, STORED_CHANNELS } from "./data/manifest";
import { parametersByHand } from "./model";

export type Verdict = "reproduced" | "consistent" | "not distinguishable" | "not reproduced" | "not testable";

/** One row of the ledger. */
export interface Claim {
  /** Where the paper makes the claim. */
  where: string;
  claim: string;
  paper: string;
  /** Ours over seeds (the paper's protocol), as text: mean [95 % interval] (n seeds). */
  ours: string;
  /** The run of record's value. */
  record: string;
  /** The subject-independent split, for context. */
  subject: string;
  verdict: Verdict;
  why: string;
}

/** Facts of the data and model the ledger checks (from lib/data/ and lib/model.ts, passed in to keep this module pure). */
export interface LedgerFacts {
  images: number;
  /** Colour channels of the stored PNGs (1 = grey). */
  storedChannels: number;
  params: number;
}

const fmtPct = (x: number) => pct(x);
/** The facts the ledger checks, from the committed manifest, lib/data/ and lib/model.ts. */
export function ledgerFacts(): LedgerFacts {
  return {
    images: readManifest().length,
    storedChannels: STORED_CHANNELS,
    params: parametersByHand().reduce((a, r) => a + r.params, 0),
  };
}

/** The study's summary for one split of the paper's configuration, if the study has it. */
export function splitOf(
  summary: StudySummary | undefined,
  split: ConditionSummary["split"],
): ConditionSummary | undefined {
  return summary?.splits.find((s) => s.variant === "paper" && s.split === split);
}

/** "83.4% [81.2, 85.6] (10 seeds)": a spread as text, the t interval. */
export function spreadText(s: Spread | undefined, asPercent = true): string {
  if (!s || !s.n) return "—";
  const f = (x: number) => (asPercent ? (100 * x).toFixed(1) : x.toFixed(4));
  const unit = asPercent ? "%" : "";
  return s.t ? `${f(s.mean)}${unit} [${f(s.t.lo)}, ${f(s.t.hi)}] (${s.n} seeds)` : `${f(s.mean)}${unit} (1 seed)`;
}

/** Is a value inside the t interval of the mean? */
const inside = (s: Spread, v: number) => !!s.t && v >= s.t.lo && v <= s.t.hi;

/**
 * The verdict of a claim that is one run's number (every number of the paper is: it reports one run), with the
 * sentence why, naming the yardstick that decided:
 * - inside our 95 % interval of the **mean** over seeds: **reproduced** (our average run lands on it);
 * - else inside the 95 % **prediction interval** for one new run (lib/stats predictionInterval, t with the n + 1
 *   correction): **consistent** with one run, a draw our protocol makes;
 * - else **not reproduced**: outside what one run of ours gives.
 * `values` are our single runs' numbers, when the summary has them, for the paper's percentile among them; when they
 * are far from normal (lib/normality.ts farFromNormal), the bootstrap decides instead: inside the percentile bootstrap
 * interval of the mean, reproduced; inside the central 95 % of our runs, consistent; else not reproduced.
 */
export function singleRun(
  s: Spread | undefined,
  v: number,
  what: string,
  opts: { values?: readonly number[]; asPercent?: boolean; range?: readonly [number, number] } = {},
): { verdict: Verdict; why: string } {
  if (!s || !s.n || !s.t) return { verdict: "not testable", why: "Needs at least two seeds of the study." };
  const asPercent = opts.asPercent ?? true;
  const f = (x: number) => (asPercent ? pct(x) : x.toFixed(4));
  const range = opts.range ?? (asPercent ? [0, 1] : undefined);
  const pi = clipInterval(predictionInterval(s), range);
  const piText = pi ? `${f(pi.lo)}–${f(pi.hi)}` : "—";
  const rank = opts.values?.length
    ? `; it stands at the ${Math.round(100 * percentileOf(opts.values, v))}th percentile of our ${opts.values.length} runs`
    : "";
  const shape = opts.values && opts.values.length >= 3 ? farFromNormal(opts.values, range) : undefined;
  if (shape?.far && s.bootstrap) {
    // Far from normal: the percentile bootstrap of the mean, and the central 95 % of our runs themselves (a bootstrap
    // of one run draws one of ours), in place of the t intervals.
    const runs = { lo: quantile(opts.values!, 0.025), hi: quantile(opts.values!, 0.975) };
    const why = `our ${opts.values!.length} runs are far from normal (skewness ${shape.skewness.toFixed(2)}, ${shape.atBound} on a bound), so the yardstick is the bootstrap`;
    const verdict: Verdict =
      v >= s.bootstrap.lo && v <= s.bootstrap.hi
        ? "reproduced"
        : v >= runs.lo && v <= runs.hi
          ? "consistent"
          : "not reproduced";
    return {
      verdict,
      why: `One run against single runs: ${why}: the paper's ${f(v)} is ${verdict === "reproduced" ? "inside" : "outside"} the bootstrap interval of the mean ${what} (${f(s.bootstrap.lo)}–${f(s.bootstrap.hi)}) and ${verdict === "not reproduced" ? "outside" : "inside"} the central 95% of our single runs (${f(runs.lo)}–${f(runs.hi)})${rank}.`,
    };
  }
  if (inside(s, v))
    return {
      verdict: "reproduced",
      why: `The paper's ${f(v)} lies inside our 95% interval of the mean ${what} (${f(s.t.lo)}–${f(s.t.hi)}): our average run lands on it${rank}.`,
    };
  const side = v > s.t.hi ? "above" : "below";
  if (pi && v >= pi.lo && v <= pi.hi)
    return {
      verdict: "consistent",
      why: `One run against single runs: the paper's ${f(v)} is ${side} our interval of the mean ${what}, but inside the 95% prediction interval for one run (${piText})${rank}: a draw our protocol makes.`,
    };
  return {
    verdict: "not reproduced",
    why: `One run against single runs: the paper's ${f(v)} is outside the 95% prediction interval for one run of ours (${piText}), ${side} it${rank}.`,
  };
}

const classIndex = (c: string) => (CLASSES as readonly string[]).indexOf(c);

/** Mean per-class accuracy of a split summary, by class name. */
function perClassMean(s: ConditionSummary, what: "accuracy" | "auc" | "tprAtFpr10" = "accuracy"): Map<string, number> {
  return new Map(s.perClass.map((c) => [c.class, c[what].mean]));
}

/** Each class's per-run values of a split (lib/ordering.ts PerRun), when the summary stores them. */
function perRunValues(s: ConditionSummary | undefined, what: "accuracy" | "auc" | "tprAtFpr10"): PerRun | undefined {
  if (!s || s.perClass.some((c) => !c.values)) return undefined;
  return Object.fromEntries(s.perClass.map((c) => [c.class, c.values![what]]));
}

/**
 * The verdict of a claim about the order of classes: each part a margin (lib/ordering.ts) with its interval over
 * resampled seeds. Any part reversed: not reproduced; every part holding: reproduced; else not distinguishable.
 */
function orderClaim(
  parts: { values: PerRun | undefined; what: string; better: readonly string[]; worse: readonly string[] }[],
): { verdict: Verdict; why: string } {
  if (parts.some((p) => !p.values))
    return {
      verdict: "not testable",
      why: "Needs the study's per-run values (npm run study -- --resume rewrites its summary).",
    };
  const found = parts.map((p) => ({ ...p, ...marginInterval(p.values!, p.better, p.worse) }));
  const verdicts = found.map((f) => orderVerdict(f.interval));
  const pts = (x: number) => `${x >= 0 ? "+" : "−"}${Math.abs(100 * x).toFixed(1)}`;
  const n = Object.values(parts[0].values!)[0].length;
  return {
    verdict: verdicts.includes("reversed")
      ? "not reproduced"
      : verdicts.every((v) => v === "holds")
        ? "reproduced"
        : "not distinguishable",
    why: `Margins of the means over seeds in points, with 95% intervals from 10,000 resamples of our ${n} runs (the same runs for every class): ${found
      .map(
        (f, i) =>
          `${f.what} ${pts(f.margin)} [${pts(f.interval?.lo ?? NaN)}, ${pts(f.interval?.hi ?? NaN)}]: ${verdicts[i]}`,
      )
      .join("; ")}.`,
  };
}

/**
 * Build the ledger from a study summary (its random split is the paper's protocol), the run of record, and facts of
 * the data and model. Missing pieces give "—" and, where they decide, "not testable".
 */
export function claimsLedger(
  summary: StudySummary | undefined,
  record: RunRecord | undefined,
  facts: LedgerFacts,
): Claim[] {
  const random = splitOf(summary, "random");
  const subject = splitOf(summary, "subject");
  const P = PAPER_RESULTS;
  const rec = (f: (r: RunRecord) => string) => (record ? f(record) : "—");
  const cls = (s: ConditionSummary | undefined, c: string) => s?.perClass.find((p) => p.class === c);
  const rows: Claim[] = [];

  rows.push({
    where: 'Table 1; Section 3.1 ("loss rate of 50%")',
    claim: "test loss of the best model",
    paper: P.testLoss.toFixed(4),
    ours: spreadText(random?.loss, false),
    record: rec((r) => r.test.loss.toFixed(4)),
    subject: spreadText(subject?.loss, false),
    ...singleRun(random?.loss, P.testLoss, "test loss", {
      values: random?.runs.map((r) => r.loss),
      asPercent: false,
      range: [0, Infinity],
    }),
  });
  const accuracies = random?.runs.map((r) => r.accuracy);
  const acc = singleRun(random?.accuracy, P.testAccuracy, "test accuracy", { values: accuracies });
  rows.push({
    where: "Table 1",
    claim: `test accuracy (${P.testCorrect}/${P.testImages})`,
    paper: fmtPct(P.testAccuracy),
    ours: spreadText(random?.accuracy),
    record: rec(
      (r) => `${fmtPct(r.test.accuracy)} (${correctFromConfusion(r.test.confusion)}/${r.test.predictions.length})`,
    ),
    subject: spreadText(subject?.accuracy),
    ...acc,
  });
  for (const { where, value: v } of P.restatedAccuracy) {
    rows.push({
      where,
      claim: "test accuracy, as restated",
      paper: fmtPct(v),
      ours: spreadText(random?.accuracy),
      record: rec((r) => fmtPct(r.test.accuracy)),
      subject: spreadText(subject?.accuracy),
      ...singleRun(random?.accuracy, v, "test accuracy", { values: accuracies }),
    });
  }

  // Section 3.1: "an average accuracy of 76% on the test set, with a maximum accuracy of 98.9%" during training.
  const foldMeans =
    random?.runs.map((r) => r.foldAccuracies.reduce((a, b) => a + b, 0) / r.foldAccuracies.length) ?? [];
  const foldMean = foldMeans.length ? foldMeans.reduce((a, b) => a + b, 0) / foldMeans.length : NaN;
  rows.push({
    where: "Section 3.1",
    claim: `"average accuracy of ${pct(P.crossValidation.average, 0)} on the test set" during cross-validation (read: the mean test accuracy of the fold models)`,
    paper: pct(P.crossValidation.average, 0),
    ours: foldMeans.length ? `${pct(foldMean)} (mean of ${foldMeans.length} seeds × folds)` : "—",
    record: rec((r) => pct(r.folds.reduce((a, f) => a + f.test.accuracy, 0) / r.folds.length)),
    subject: subject
      ? pct(
          subject.runs.reduce((a, r) => a + r.foldAccuracies.reduce((x, y) => x + y, 0) / r.foldAccuracies.length, 0) /
            subject.runs.length,
        )
      : "—",
    verdict: foldMeans.length
      ? Math.abs(foldMean - P.crossValidation.average) <= 0.02
        ? "consistent"
        : "not reproduced"
      : "not testable",
    why: foldMeans.length
      ? `Read as the fold models' mean test accuracy (the paper does not say): ours is ${pct(foldMean)}, ${Math.abs(foldMean - P.crossValidation.average) <= 0.02 ? "within 2 points of" : "far from"} ${pct(P.crossValidation.average, 0)}. Its "maximum of ${pct(P.crossValidation.maximum)}" matches no fold-level number of ours; it equals the paper's anger accuracy.`
      : "Needs the study.",
  });

  // Abstract: highest recognition rate 98.9% for anger.
  const anger = cls(random, "anger");
  const ranking = random ? [...perClassMean(random).entries()].sort((a, b) => b[1] - a[1]) : [];
  rows.push({
    where: "Abstract",
    claim: '"highest recognition rate of 98.9% for the anger expression"',
    paper: pct(P.perClassAccuracy.anger ?? NaN),
    ours: spreadText(anger?.accuracy),
    record: rec((r) => pct(r.test.perClass[classIndex("anger")].accuracy)),
    subject: spreadText(cls(subject, "anger")?.accuracy),
    ...(anger
      ? (() => {
          const n = singleRun(anger.accuracy, P.perClassAccuracy.anger ?? NaN, "anger accuracy", {
            values: anger.values?.accuracy,
          });
          const top = ranking[0]?.[0];
          return {
            verdict: n.verdict,
            why: `${n.why} Our best class on average is ${top} (${pct(ranking[0]?.[1])}), anger ranks ${ranking.findIndex((x) => x[0] === "anger") + 1} of 7.`,
          };
        })()
      : { verdict: "not testable" as Verdict, why: "Needs the study." }),
  });

  // Section 3.2 (Fig 7): over 90% for anger, disgust, fear, happiness and surprise.
  for (const c of P.overNinety) {
    const s = cls(random, c);
    const holds = s?.accuracy.t ? s.accuracy.t.lo > 0.9 : undefined;
    const fails = s?.accuracy.t ? s.accuracy.t.hi < 0.9 : undefined;
    rows.push({
      where: "Section 3.2 (Fig 7)",
      claim: `${c}: "over 90%" correct`,
      paper: "> 90%",
      ours: spreadText(s?.accuracy),
      record: rec((r) => pct(r.test.perClass[classIndex(c)].accuracy)),
      subject: spreadText(cls(subject, c)?.accuracy),
      verdict: holds === undefined ? "not testable" : holds ? "reproduced" : fails ? "not reproduced" : "consistent",
      why:
        holds === undefined
          ? "Needs the study."
          : holds
            ? "Our whole 95% interval is above 90%."
            : fails
              ? "Our whole 95% interval is below 90%."
              : "Our 95% interval contains 90%: the data cannot tell.",
    });
  }

  const sad = cls(random, "sadness");
  rows.push({
    where: "Section 3.2 (Fig 7)",
    claim: '"only 57% of sad emotions correctly classified"',
    paper: pct(P.perClassAccuracy.sadness ?? NaN),
    ours: spreadText(sad?.accuracy),
    record: rec((r) => pct(r.test.perClass[classIndex("sadness")].accuracy)),
    subject: spreadText(cls(subject, "sadness")?.accuracy),
    ...singleRun(sad?.accuracy, P.perClassAccuracy.sadness ?? NaN, "sadness accuracy", {
      values: sad?.values?.accuracy,
    }),
  });

  for (const fp of P.falsePositives) {
    const s = cls(random, fp.predicted);
    rows.push({
      where: "Section 3.2 (Fig 7)",
      claim: `"${pct(fp.rate, 0)} of non-${fp.predicted} emotions incorrectly classified as ${fp.predicted}" (read: ${fp.predicted}'s false-positive rate)`,
      paper: pct(fp.rate),
      ours: spreadText(s?.falsePositiveRate),
      record: rec((r) => pct(falsePositiveRate(r.test.confusion, classIndex(fp.predicted)))),
      subject: spreadText(cls(subject, fp.predicted)?.falsePositiveRate),
      ...singleRun(s?.falsePositiveRate, fp.rate, `${fp.predicted} false-positive rate`, {
        values: s?.values?.falsePositiveRate,
      }),
    });
  }

  // Section 2.1: anger, surprise and disgust best; contempt and happiness moderate; sadness and fear need improvement.
  const R = P.ranking;
  const others = (xs: readonly string[]) => CLASSES.filter((c) => !xs.includes(c));
  const classAcc = perRunValues(random, "accuracy");
  const ranks = classAcc ? rankRanges(classAcc) : undefined;
  rows.push({
    where: "Section 2.1",
    claim: "ranking: anger, surprise, disgust best; contempt, happiness moderate; sadness, fear weakest",
    paper: [R.best, R.moderate, R.weakest].map((g) => g.join(", ")).join(" > "),
    ours: ranks
      ? Object.entries(ranks)
          .sort((a, b) => a[1].rank - b[1].rank)
          .map(([c, r]) => `${c} ${pct(perClassMean(random!).get(c), 0)} (rank ${r.lo}–${r.hi})`)
          .join(" > ")
      : "—",
    record: "—",
    subject: subject
      ? [...perClassMean(subject).entries()]
          .sort((a, b) => b[1] - a[1])
          .map(([c]) => c)
          .join(" > ")
      : "—",
    ...orderClaim([
      {
        values: classAcc,
        what: "accuracy: the claimed best three's lowest minus the others' highest",
        better: R.best,
        worse: others(R.best),
      },
      {
        values: classAcc,
        what: "the others' lowest minus sadness and fear's highest",
        better: others(R.weakest),
        worse: R.weakest,
      },
    ]),
  });

  // Section 3.3 (Fig 8): anger, disgust, happy, surprise closer to (0,1); sadness and fear lower TPR.
  const auc = perRunValues(random, "auc");
  const tpr = perRunValues(random, "tprAtFpr10");
  const good = P.roc.closer;
  const weak = P.roc.lower;
  rows.push({
    where: "Section 3.3 (Fig 8)",
    claim: "ROC of anger, disgust, happy, surprise closer to (0,1); sadness and fear lower TPR",
    paper: "qualitative",
    ours: random
      ? `AUC: ${[...good, ...weak].map((c) => `${c} ${(perClassMean(random, "auc").get(c) ?? NaN).toFixed(3)}`).join(", ")}; TPR at FPR 0.1: ${[...good, ...weak].map((c) => `${c} ${pct(perClassMean(random, "tprAtFpr10").get(c), 0)}`).join(", ")}`
      : "—",
    record: "—",
    subject: "—",
    ...orderClaim([
      { values: auc, what: "AUC: the four's lowest minus sadness and fear's highest", better: good, worse: weak },
      { values: tpr, what: "TPR at FPR 0.1: the same", better: good, worse: weak },
    ]),
  });

  rows.push({
    where: "Section 2.1",
    claim: `"${P.images} colour images"`,
    paper: `${P.images}, colour`,
    ours: `${facts.images}, ${facts.storedChannels === 1 ? "grey (8-bit, 1 channel)" : `${facts.storedChannels} channels`}`,
    record: "—",
    subject: "—",
    verdict: facts.images === P.images && facts.storedChannels === 3 ? "reproduced" : "not reproduced",
    why: `The data set has ${facts.images} images stored as ${facts.storedChannels === 1 ? "grey" : "colour"} PNGs; read as RGB they become three equal channels (notebook 01).`,
  });
  rows.push({
    where: "Fig 3 (from Section 2.2)",
    claim: "trainable parameters",
    paper: P.params.toLocaleString("en-US"),
    ours: facts.params.toLocaleString("en-US"),
    record: "—",
    subject: "—",
    verdict: facts.params === P.params ? "reproduced" : "not reproduced",
    why:
      facts.params === P.params ? "Counted by hand and by tfjs (notebook 02): the same number." : "The counts differ.",
  });
  return rows;
}

/** The ledger as Markdown (figures/claims.md, README, notebook 06). */
export function claimsLedgerMarkdown(rows: Claim[], summary: StudySummary | undefined): string {
  const counts = (["reproduced", "consistent", "not distinguishable", "not reproduced", "not testable"] as Verdict[])
    .map((v) => `${rows.filter((r) => r.verdict === v).length} ${v}`)
    .join(", ");
  const random = summary?.splits.find((s) => s.variant === "paper" && s.split === "random");
  return [
    "# The paper's claims, checked",
    "",
    `Every checkable claim of the paper beside ours: ${counts}. "Ours" is the paper's protocol (random 80/20 split) over ${random?.seeds.length ?? 0} seeds: mean [95% t interval of the mean]; "subject" is the subject-independent split (no person on both sides) for context. Made by \`npm run figures\` from \`data/runs/study/summary.json\` and \`data/runs/paper/run.json\` (lib/claims.ts).`,
    "",
    markdownTable(
      ["where", "claim", "paper", "ours (random split)", "run of record", "subject split", "verdict", "why"],
      rows.map((r) => [r.where, r.claim, r.paper, r.ours, r.record, r.subject, `**${r.verdict}**`, r.why]),
    ),
    "",
    summary ? `Intervals: ${summary.method}` : "No study summary yet: run `npm run study`.",
    "",
  ].join("\n");
}
