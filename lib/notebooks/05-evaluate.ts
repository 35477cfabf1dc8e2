/**
 * The prose of notebooks/05-evaluate.ipynb (Sections 3.1–3.3): the paper's claims beside ours, per-class numbers and the
 * misclassified faces. The computations are in lib/evaluate.ts; this file formats what they return.
 */
import * as path from "path";
import { CLASSES, PAPER_RESULTS } from "../config";
import { correctFromConfusion, falsePositiveRate, type Miss } from "../evaluate";
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
  for (const [c, v] of Object.entries(P.perClassAccuracy))
    rows.push([`${c} correct (Fig 7)`, pct(v), ours(pct(cell(c, c)?.fraction))]);
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

/** The facts this notebook's prose cites by name, beside lib/notebooks/facts.ts commonFacts (tied in cell metadata). */
export function proseFacts(): Record<string, number> {
  return {};
}
