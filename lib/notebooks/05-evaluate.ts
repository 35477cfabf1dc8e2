/**
 * The prose of notebooks/05-evaluate.ipynb (Sections 3.1–3.3): the paper's claims beside ours, per-class numbers and the
 * misclassified faces. The computations are in lib/evaluate.ts; this file formats what they return.
 */
import * as path from "path";
import { CLASSES, PAPER_RESULTS } from "../config";
import { auc, correctFromConfusion, falsePositiveRate, misclassified, rocCurve, type Miss } from "../evaluate";
import { crossEntropyPerSample, oneHot } from "../optim";
import { wilson } from "../stats";
import { argmax } from "../arrays";
import { decodeImage } from "../data/decode";
import type { RunRecord } from "../record";
import { confusionCells } from "../figures/confusion";
import { fmt, markdownTable, pct } from "../display/text";
import { rgbPicture, type GridCell } from "../display/pictures";

/** The paper's claims (Table 1, Fig 3, Fig 7) beside ours: [claim, paper, ours]. `run` undefined → ours "—". */
export function claimRows(run: RunRecord | undefined, params?: number): [string, string, string][] {
  const P = PAPER_RESULTS;
  const cells = run ? confusionCells(run) : [];
  const cell = (t: string, p: string) => cells.find((c) => c.true === t && c.predicted === p);
  const n = run ? run.split.test.length : 0;
  const correct = run ? correctFromConfusion(run.test.confusion) : 0;
  const ours = (v: string) => (run ? v : "—");
  const rows: [string, string, string][] = [
    ["test loss (Table 1)", fmt(P.testLoss), ours(fmt(run?.test.loss))],
    [
      "test accuracy (Table 1)",
      `${fmt(P.testAccuracy)} (${P.testCorrect}/${P.testImages})`,
      ours(`${fmt(run?.test.accuracy)} (${correct}/${n})`),
    ],
  ];
  // Where the paper states each: anger's 98.9 % is the abstract's ("highest recognition rate"), sadness's 57 % the
  // text on Fig 7 (Section 3.2), which also calls five classes "over 90 %".
  const where: Record<string, string> = { anger: "Abstract", sadness: "Section 3.2, Fig 7" };
  for (const [c, v] of Object.entries(P.perClassAccuracy))
    rows.push([`${c} correct (${where[c] ?? "Fig 7"})`, pct(v), ours(pct(cell(c, c)?.fraction))]);
  for (const c of P.overNinety)
    if (!(c in P.perClassAccuracy))
      rows.push([`${c} correct (Section 3.2, Fig 7)`, "> 90%", ours(pct(cell(c, c)?.fraction))]);
  for (const c of P.falsePositives) {
    const ourRate = run ? falsePositiveRate(run.test.confusion, run.classes.indexOf(c.predicted)) : undefined;
    rows.push([`non-${c.predicted} predicted as ${c.predicted} (Section 3.2)`, pct(c.rate), ours(pct(ourRate))]);
  }
  if (params !== undefined)
    rows.push(["trainable parameters (Fig 3)", P.params.toLocaleString("en-US"), params.toLocaleString("en-US")]);
  return rows;
}

/** The paper's claims beside ours as Markdown. */
export function claimsMarkdown(run: RunRecord | undefined, params?: number): string {
  return markdownTable(["claim", "paper", "ours"], claimRows(run, params), ["l", "r", "r"]);
}

/** Per-class numbers of a run (Table 1 / Fig 7 / Fig 8): support, accuracy (= recall), precision, F1, AUC. */
export function perClassRows(run: RunRecord): (string | number)[][] {
  return run.test.perClass.map((c, i) => [
    c.class,
    c.support,
    fmt(c.accuracy, 3),
    fmt(c.precision, 3),
    fmt(c.f1, 3),
    fmt(run.test.roc[i]?.auc, 3),
  ]);
}

/** Per-class numbers as Markdown. */
export function perClassMarkdown(run: RunRecord): string {
  return markdownTable(["class", "test images", "accuracy (recall)", "precision", "F1", "AUC"], perClassRows(run), [
    "l",
    "r",
    "r",
    "r",
    "r",
    "r",
  ]);
}

/** Table rows for misclassified images: file, true, predicted, then the 7 probabilities (the largest in bold). */
export function missRows(misses: Miss[]): string[][] {
  return misses.map((m) => {
    const k = argmax(m.probs);
    return [
      path.basename(m.file),
      m.trueClass,
      m.predicted,
      ...m.probs.map((p, i) => (i === k ? `**${p.toFixed(2)}**` : p.toFixed(2))),
    ];
  });
}

/** Grid cells of misclassified faces (needs the images): "true → predicted", p(predicted), p(true). */
export async function missCells(misses: Miss[], dataDir: string): Promise<GridCell[]> {
  const out: GridCell[] = [];
  for (const m of misses) {
    out.push({
      picture: rgbPicture(await decodeImage(path.join(dataDir, m.file))),
      caption: [`${m.trueClass} → ${m.predicted}`, `p=${m.pPredicted.toFixed(2)}, true ${m.pTrue.toFixed(2)}`],
    });
  }
  return out;
}

/** Misclassified test images as Markdown (file, true, predicted, the 7 probabilities). */
export function missMarkdown(misses: Miss[]): string {
  if (!misses.length) return "No test image was misclassified.";
  return markdownTable(["file", "true", "predicted", ...CLASSES], missRows(misses), [
    "l",
    "l",
    "l",
    ...CLASSES.map(() => "r" as const),
  ]);
}

/** A few sentences on a run's test results: accuracy, weakest class, largest confusion. */
export function evaluationSummary(run: RunRecord): string {
  const cells = confusionCells(run);
  const diag = cells.filter(
    (c) => c.true === c.predicted && run.test.perClass.find((p) => p.class === c.true)!.support > 0,
  );
  const weakest = [...diag].sort((a, b) => a.fraction - b.fraction)[0];
  const off = cells.filter((c) => c.true !== c.predicted).sort((a, b) => b.fraction - a.fraction)[0];
  const correct = correctFromConfusion(run.test.confusion);
  const n = run.split.test.length;
  const misses = n - correct;
  return (
    `The best model (fold ${run.bestFold + 1}) gets ${correct}/${n} test images right (accuracy ${fmt(run.test.accuracy)}, loss ${fmt(run.test.loss)}; ` +
    `paper ${PAPER_RESULTS.testCorrect}/${PAPER_RESULTS.testImages}, ${PAPER_RESULTS.testAccuracy}, ${PAPER_RESULTS.testLoss}). ` +
    `Weakest class: ${weakest?.true ?? "n/a"} (${pct(weakest?.fraction)} correct). Largest confusion: ${off ? `${off.true} → ${off.predicted} (${pct(off.fraction)} of ${off.true})` : "none"}. ` +
    `${misses} misclassified image${misses === 1 ? "" : "s"}.`
  );
}

/**
 * How noisy a small class's percentages are (notebook 05): the two smallest classes of this test set, their test
 * images, and how many percentage points one image moves their accuracy.
 */
export function smallClassesMarkdown(run: RunRecord): string {
  const small = run.test.perClass
    .filter((c) => c.support > 0)
    .sort((a, b) => a.support - b.support)
    .slice(0, 2);
  const pts = small.map((c) => (100 / c.support).toFixed(0));
  return (
    `With ${small.map((c) => `${c.support} *${c.class}*`).join(" or ")} test images, one image moves those classes' ` +
    `numbers by ${pts.join(" or ")} percentage points: small classes' percentages are noisy, in the paper as here.`
  );
}

// ---------------------------------------------------------------------------------------------------------------
// The summary and the exercises' answers, computed from the run record's stored test predictions
// ---------------------------------------------------------------------------------------------------------------

/** Correct test images, test images, and the Wilson 95 % interval of the accuracy (images as if independent). */
export function accuracyInterval(run: RunRecord): { k: number; n: number; lo: number; hi: number } {
  const k = correctFromConfusion(run.test.confusion);
  const n = run.test.predictions.length;
  return { k, n, ...wilson(k, n) };
}

/**
 * The test loss from the stored probabilities, Eq. 1 per image and Eq. 2 their mean (Keras' clipping, lib/optim.ts),
 * and the share of it the misclassified images carry.
 */
export function lossShare(run: RunRecord): { loss: number; misses: number; missShare: number } {
  const k = run.classes.length;
  const per = crossEntropyPerSample(
    run.test.predictions.map((p) => oneHot(p.label, k)),
    run.test.predictions.map((p) => p.probs),
  );
  const wrong = run.test.predictions.map((p) => argmax(p.probs) !== p.label);
  const total = per.reduce((a, b) => a + b, 0);
  const missed = per.reduce((a, b, i) => a + (wrong[i] ? b : 0), 0);
  return { loss: total / per.length, misses: wrong.filter(Boolean).length, missShare: total ? missed / total : 0 };
}

/**
 * Notebook 05's summary with the run's numbers: accuracy with its Wilson interval beside the paper's, the loss (and
 * what the mistakes carry of it), the classes from best to worst, the paper's per-class claims beside ours.
 */
export function summaryMarkdown(run: RunRecord): string {
  const P = PAPER_RESULTS;
  const a = accuracyInterval(run);
  const l = lossShare(run);
  const paperIn = P.testAccuracy >= a.lo && P.testAccuracy <= a.hi;
  const classes = run.test.perClass
    .filter((c) => c.support > 0)
    .sort((x, y) => y.accuracy - x.accuracy || x.class.localeCompare(y.class));
  const claim = (c: string) => run.test.perClass.find((x) => x.class === c)?.accuracy;
  const fp = P.falsePositives.map(
    (f) =>
      `non-${f.predicted} predicted as ${f.predicted} ${pct(falsePositiveRate(run.test.confusion, run.classes.indexOf(f.predicted)))} (paper ${pct(f.rate, 0)})`,
  );
  return [
    `- **Accuracy:** ${a.k}/${a.n} = ${pct(a.k / a.n)}, Wilson 95% interval ${pct(a.lo)}–${pct(a.hi)} (the test images as if ` +
      `independent; they are not, see notebook 06). The paper's ${P.testCorrect}/${P.testImages} = ${pct(P.testAccuracy)} is ` +
      `${paperIn ? "inside" : "outside"} that interval.`,
    `- **Loss** (Eq. 2 on the stored probabilities): ${fmt(l.loss)} (the run record's ${fmt(run.test.loss)}; paper ${fmt(P.testLoss)}). ` +
      `The ${l.misses} misclassified images carry ${pct(l.missShare, 0)} of it.`,
    `- **Per class** (accuracy = recall, test images): ${classes.map((c) => `${c.class} ${pct(c.accuracy, 0)} (${c.support})`).join(", ")}.`,
    `- **The paper's claims:** anger ${pct(claim("anger"))} (abstract ${pct(P.perClassAccuracy.anger)}), sadness ` +
      `${pct(claim("sadness"))} (paper ${pct(P.perClassAccuracy.sadness, 0)}), ${fp.join(", ")}.`,
  ].join("\n");
}

/**
 * Exercise: a hand ROC with other scores. The curve and AUC from lib/evaluate's `rocCurve` and `auc`, beside the
 * share of (positive, negative) pairs in the right order (ties count half), which must agree.
 */
export function handRocMarkdown(scores: readonly number[], positive: readonly boolean[]): string {
  const roc = rocCurve(scores, positive);
  let ordered = 0;
  let pairs = 0;
  for (let i = 0; i < scores.length; i++)
    for (let j = 0; j < scores.length; j++)
      if (positive[i] && !positive[j]) {
        pairs++;
        ordered += scores[i] > scores[j] ? 1 : scores[i] === scores[j] ? 0.5 : 0;
      }
  return (
    `Scores [${scores.join(", ")}], positives [${positive.join(", ")}]: FPR [${roc.fpr.map((x) => fmt(x, 2)).join(", ")}], ` +
    `TPR [${roc.tpr.map((x) => fmt(x, 2)).join(", ")}], AUC ${fmt(auc(roc.fpr, roc.tpr), 3)}; ` +
    `pairs in the right order ${ordered} of ${pairs} = ${fmt(pairs ? ordered / pairs : NaN, 3)}.`
  );
}

/**
 * Exercise: always answer the majority class. The class most frequent in the training part (what such a "model"
 * would learn), its share of the test images (its accuracy), its balanced accuracy (1/k: one class always right, the
 * others never), beside the model's accuracy.
 */
export function majorityMarkdown(run: RunRecord): string {
  const counts = run.classes.map((c) => run.split.train.filter((f) => f.split("/")[0] === c).length);
  const m = argmax(counts);
  const test = run.test.predictions.filter((p) => p.label === m).length;
  const n = run.test.predictions.length;
  return (
    `The training part's largest class is *${run.classes[m]}* (${counts[m]} of ${run.split.train.length} images). ` +
    `Always answering it gets ${test}/${n} = ${pct(test / n)} of the test images right, balanced accuracy ` +
    `${pct(1 / run.classes.length)} (one class of ${run.classes.length} always right, the others never); the model: ` +
    `${pct(run.test.accuracy)}.`
  );
}

/**
 * Exercise: the Wilson interval at other test-set sizes for the same accuracy k/n: each size's interval and its
 * half-width in percentage points (round(accuracy · size) correct).
 */
export function wilsonMarkdown(k: number, n: number, sizes: readonly number[]): string {
  const rows = [n, ...sizes.filter((m) => m !== n)].map((m) => {
    const km = m === n ? k : Math.round((k / n) * m);
    const iv = wilson(km, m);
    return [
      `${km}/${m}${m === n ? " (this test set)" : ""}`,
      `${pct(iv.lo)}–${pct(iv.hi)}`,
      `±${(50 * (iv.hi - iv.lo)).toFixed(1)}`,
    ];
  });
  return markdownTable(["correct / images", "Wilson 95% interval", "half-width (points)"], rows, ["l", "r", "r"]);
}

/**
 * Exercise: answer only when confident. Of the test images whose largest probability is at least `threshold`: how
 * many (coverage), and the accuracy on them; and the accuracy on the others.
 */
export function confidenceMarkdown(run: RunRecord, threshold: number): string {
  const ps = run.test.predictions;
  const sure = ps.filter((p) => Math.max(...p.probs) >= threshold);
  const right = (xs: typeof ps) => xs.filter((p) => argmax(p.probs) === p.label).length;
  const rest = ps.length - sure.length;
  return (
    `Largest probability ≥ ${threshold}: ${sure.length} of ${ps.length} test images (${pct(sure.length / ps.length)} coverage), ` +
    `${right(sure)} right (${pct(sure.length ? right(sure) / sure.length : NaN)}); the other ${rest}: ` +
    `${right(ps) - right(sure)} right (${pct(rest ? (right(ps) - right(sure)) / rest : NaN)}). ` +
    `Of the ${misclassified(run).length} mistakes, ${misclassified(run).filter((m) => m.pPredicted >= threshold).length} are that confident.`
  );
}

/** The facts this notebook's prose cites by name, beside lib/notebooks/facts.ts commonFacts (tied in cell metadata). */
export function proseFacts(): Record<string, number> {
  return {
    // Section 3.2's "over 90%" for five classes: the threshold the paper states (PAPER_RESULTS.overNinety names them).
    "paper.overNinety": 0.9,
  };
}
