/**
 * Charts of the data (Section 2.1, notebook 01): pure functions data → vega-lite spec, rendered by lib/render.ts.
 */
import type { TopLevelSpec } from "vega-lite";
import { CLASSES, NUM_CLASSES } from "../config";

/** Bar chart of images per class, with the count on each bar. */
export function specClassCounts(counts: number[], title = "CK+48: images per class"): TopLevelSpec {
  if (counts.length !== NUM_CLASSES) throw new Error(`expected ${NUM_CLASSES} counts, got ${counts.length}`);
  const total = counts.reduce((a, b) => a + b, 0);
  const values = CLASSES.map((c, i) => ({
    class: c,
    count: counts[i],
    share: `${((100 * counts[i]) / total).toFixed(1)}%`,
  }));
  const x = { field: "class", type: "nominal" as const, sort: [...CLASSES], title: null, axis: { labelAngle: 0 } };
  return {
    title: {
      text: title,
      subtitle: `${total} images; the largest class is ${(Math.max(...counts) / Math.min(...counts)).toFixed(1)}× the smallest`,
    },
    width: 460,
    height: 240,
    data: { values },
    layer: [
      {
        mark: { type: "bar", color: "#4c78a8" },
        encoding: { x, y: { field: "count", type: "quantitative", title: "images" } },
      },
      {
        mark: { type: "text", dy: -6, fontSize: 11 },
        encoding: { x, y: { field: "count", type: "quantitative" }, text: { field: "count", type: "quantitative" } },
      },
    ],
  };
}
