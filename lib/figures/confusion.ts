/**
 * Fig 7: the confusion matrix of the best model on the test set. Rows are the true class, columns the predicted
 * class; each cell shows the row-normalised percentage (its colour) and the count. Pure: run record → vega-lite spec.
 */
import { correctFromConfusion } from "../evaluate";
import { pct } from "../display/text";
import type { TopLevelSpec } from "vega-lite";
import type { RunRecord } from "../record";

/** One cell of Fig 7. */
export interface ConfusionCell {
  true: string;
  predicted: string;
  count: number;
  /** count / (images of the true class); 0 for a class without test images. */
  fraction: number;
  /** e.g. "57%". */
  percent: string;
}

/** The 49 cells of Fig 7 (7 × 7), rows in class order, from `run.test.confusion`. */
export function confusionCells(run: RunRecord): ConfusionCell[] {
  const k = run.classes.length;
  const m = run.test.confusion;
  if (m.length !== k || m.some((r) => r.length !== k)) throw new Error(`run record: test.confusion must be ${k}×${k}`);
  const cells: ConfusionCell[] = [];
  m.forEach((row, i) => {
    const n = row.reduce((a, b) => a + b, 0);
    row.forEach((count, j) => {
      const fraction = n > 0 ? count / n : 0;
      cells.push({
        true: run.classes[i],
        predicted: run.classes[j],
        count,
        fraction,
        percent: pct(fraction, fraction > 0 && fraction < 0.1 ? 1 : 0),
      });
    });
  });
  return cells;
}

/** Fig 7: row-normalised confusion matrix with percentages and counts, class names on both axes (rows = true class). */
export function specFig7(run: RunRecord): TopLevelSpec {
  const cells = confusionCells(run);
  const total = cells.reduce((a, c) => a + c.count, 0);
  const correct = correctFromConfusion(run.test.confusion);
  const side = 62 * run.classes.length;
  const x = {
    field: "predicted",
    type: "nominal" as const,
    title: "predicted class",
    sort: run.classes,
    axis: { labelAngle: -35, orient: "bottom" as const },
  };
  const y = { field: "true", type: "nominal" as const, title: "true class", sort: run.classes };
  const dark = "datum.fraction > 0.55";
  return {
    title: {
      text: "Fig 7. Confusion matrix on the test set",
      subtitle: `Row-normalised percentage (colour) and count; ${correct}/${total} correct (accuracy ${(total ? correct / total : 0).toFixed(4)})`,
    },
    width: side,
    height: side,
    data: { values: cells },
    layer: [
      {
        name: "cells",
        mark: { type: "rect", stroke: "white", strokeWidth: 1 },
        encoding: {
          x,
          y,
          color: {
            field: "fraction",
            type: "quantitative",
            title: "of true class",
            scale: { scheme: "blues", domain: [0, 1] },
            legend: { format: ".0%", gradientLength: side - 40 },
          },
        },
      },
      {
        name: "percents",
        mark: { type: "text", fontSize: 13, fontWeight: "bold", dy: -7 },
        encoding: {
          x,
          y,
          text: { field: "percent", type: "nominal" },
          color: { condition: { test: dark, value: "white" }, value: "#222222" },
        },
      },
      {
        name: "counts",
        mark: { type: "text", fontSize: 10, dy: 9 },
        encoding: {
          x,
          y,
          text: { field: "count", type: "quantitative" },
          color: { condition: { test: dark, value: "white" }, value: "#444444" },
        },
      },
    ],
  };
}
