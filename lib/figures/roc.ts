/**
 * Fig 8: one-vs-rest ROC curves of the seven classes on the test set, with the chance diagonal and each class's AUC
 * in the legend. Pure: run record → vega-lite spec.
 */
import type { TopLevelSpec } from "vega-lite";
import type { RunRecord } from "../record";

/** Ten distinguishable colours (vega's "tableau10"), fixed here so the legend does not depend on vega's defaults. */
export const CLASS_COLORS = [
  "#4c78a8",
  "#f58518",
  "#e45756",
  "#72b7b2",
  "#54a24b",
  "#eeca3b",
  "#b279a2",
  "#ff9da6",
  "#9d755d",
  "#bab0ac",
];

/** Legend label of a class in Fig 8, e.g. "sadness (AUC 0.912)". */
export function rocLabel(cls: string, auc: number | null): string {
  // A class with no positive or no negative test image has no ROC: AUC NaN in memory, null in run.json.
  return `${cls} (AUC ${auc === null || !Number.isFinite(auc) ? "n/a" : auc.toFixed(3)})`;
}

/** Mean AUC over the classes where it is defined (NaN when none is). */
export function macroAuc(run: RunRecord): number {
  const ok = run.test.roc
    .map((c) => c.auc as number | null)
    .filter((a): a is number => a !== null && Number.isFinite(a));
  return ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : NaN;
}

/** The long-format data of Fig 8: one row per class × ROC point, in the curve's order. */
export function rocData(run: RunRecord): { class: string; label: string; order: number; fpr: number; tpr: number }[] {
  const rows: { class: string; label: string; order: number; fpr: number; tpr: number }[] = [];
  for (const c of run.test.roc) {
    if (c.fpr.length !== c.tpr.length)
      throw new Error(`run record: ROC of ${c.class} has ${c.fpr.length} fpr but ${c.tpr.length} tpr values`);
    const label = rocLabel(c.class, c.auc);
    c.fpr.forEach((fpr, i) => rows.push({ class: c.class, label, order: i, fpr, tpr: c.tpr[i] }));
  }
  return rows;
}

/** Fig 8: one-vs-rest ROC curve per class, chance diagonal dashed, AUC per class in the legend. */
export function specFig8(run: RunRecord): TopLevelSpec {
  const labels = run.test.roc.map((c) => rocLabel(c.class, c.auc));
  const macro = macroAuc(run);
  const unit = { domain: [0, 1], nice: false, zero: true };
  return {
    title: {
      text: "Fig 8. One-vs-rest ROC curves on the test set",
      subtitle: `Macro-average AUC ${Number.isFinite(macro) ? macro.toFixed(3) : "n/a"}; dashed: chance`,
    },
    width: 380,
    height: 380,
    layer: [
      {
        name: "chance",
        data: {
          values: [
            { fpr: 0, tpr: 0 },
            { fpr: 1, tpr: 1 },
          ],
        },
        mark: { type: "line", strokeDash: [5, 4], color: "#888888", strokeWidth: 1 },
        encoding: {
          x: { field: "fpr", type: "quantitative", scale: unit },
          y: { field: "tpr", type: "quantitative", scale: unit },
        },
      },
      {
        name: "roc",
        data: { values: rocData(run) },
        mark: { type: "line", strokeWidth: 2, opacity: 0.9 },
        encoding: {
          x: { field: "fpr", type: "quantitative", title: "false positive rate", scale: unit },
          y: { field: "tpr", type: "quantitative", title: "true positive rate", scale: unit },
          color: {
            field: "label",
            type: "nominal",
            title: "class (AUC)",
            scale: { domain: labels, range: CLASS_COLORS.slice(0, labels.length) },
            legend: {
              orient: "bottom-right",
              symbolType: "stroke",
              symbolStrokeWidth: 2.5,
              labelLimit: 200,
              fillColor: "white",
            },
          },
          order: { field: "order", type: "quantitative" },
        },
      },
    ],
  };
}
