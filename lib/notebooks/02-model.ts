/**
 * The prose of notebooks/02-model.ipynb (Section 2.2, Fig 3): tables and feature-map grids. The computations are in
 * lib/model.ts; this file formats what they return.
 */
import { PAPER_RESULTS } from "../config";
import type { FeatureMap, LayerSummary, ParamRow, ShapeStep } from "../model";
import { imageGrid, type GridCell } from "../display/pictures";
import { markdownTable } from "../display/text";

/** The layer table of lib/model summarize() as Markdown. */
export function layersMarkdown(layers: LayerSummary[]): string {
  const total = layers.reduce((a, l) => a + l.params, 0);
  return markdownTable(
    ["layer", "kind", "detail", "output", "parameters"],
    [
      ...layers.map((l) => [l.name, l.kind, l.detail, l.outputShape.join("×"), l.params.toLocaleString("en-US")]),
      ["**total**", "", "", "", `**${total.toLocaleString("en-US")}**`],
    ],
    ["l", "l", "l", "l", "r"],
  );
}

/** A shape trace as Markdown. */
export function traceMarkdown(steps: ShapeStep[]): string {
  return markdownTable(
    ["layer", "kind", "input tensor", "output tensor", "output min", "output max"],
    steps.map((s) => [
      s.layer,
      s.kind,
      `[${s.input.join(", ")}]`,
      `[${s.output.join(", ")}]`,
      s.min.toFixed(3),
      s.max.toFixed(3),
    ]),
    ["l", "l", "l", "l", "r", "r"],
  );
}

/** The parameter count by hand as Markdown, with the check against tfjs' model.countParams(). */
export function paramsMarkdown(rows: ParamRow[], countParams: number): string {
  const total = rows.reduce((a, r) => a + r.params, 0);
  const sum = rows
    .filter((r) => r.params)
    .map((r) => r.params.toLocaleString("en-US"))
    .join(" + ");
  return [
    markdownTable(
      ["layer", "output", "by hand", "parameters"],
      rows.map((r) => [r.layer, r.output, r.formula, r.params.toLocaleString("en-US")]),
      ["l", "l", "l", "r"],
    ),
    "",
    `By hand: ${sum} = **${total.toLocaleString("en-US")}**. tfjs \`model.countParams()\`: **${countParams.toLocaleString("en-US")}**. ` +
      (total === countParams ? "They agree." : "**They differ.**") +
      ` The paper (Fig 3): ${PAPER_RESULTS.params.toLocaleString("en-US")}.`,
  ].join("\n");
}

/** The channels of a feature map as grey grid cells, each stretched to its own min–max (a flat channel is black). */
export function featureMapCells(map: FeatureMap, maxChannels = 16): GridCell[] {
  const [h, w, c] = map.shape;
  const cells: GridCell[] = [];
  for (let k = 0; k < Math.min(c, maxChannels); k++) {
    const v = new Float32Array(h * w);
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < h * w; i++) {
      v[i] = map.data[i * c + k];
      lo = Math.min(lo, v[i]);
      hi = Math.max(hi, v[i]);
    }
    for (let i = 0; i < v.length; i++) v[i] = hi > lo ? (v[i] - lo) / (hi - lo) : 0;
    cells.push({ picture: { data: v, width: w, height: h, channels: 1 }, caption: [`#${k + 1} max ${hi.toFixed(2)}`] });
  }
  return cells;
}

/** One PNG grid of a feature map's channels, enlarged so every map is about 88 px wide. */
export async function featureMapGrid(map: FeatureMap, maxChannels = 16): Promise<Buffer> {
  const scale = Math.max(1, Math.round(88 / map.shape[1]));
  const shown = Math.min(map.shape[2], maxChannels);
  return imageGrid(featureMapCells(map, maxChannels), {
    columns: 8,
    scale,
    title: `${map.layer}: ${map.shape.join("×")} (${shown === map.shape[2] ? "all" : `first ${shown} of`} ${map.shape[2]} channels; each stretched to its own range)`,
  });
}

/**
 * Where the parameters sit (notebook 02): the largest layer's share and the convolutions' total, from
 * {@link parametersByHand}'s rows, so the sentence follows the architecture in PAPER.arch.
 */
export function paramShareMarkdown(rows: ParamRow[]): string {
  const total = rows.reduce((a, r) => a + r.params, 0);
  const biggest = rows.reduce((a, r) => (r.params > a.params ? r : a));
  const conv = rows.filter((r) => r.layer.startsWith("conv")).reduce((a, r) => a + r.params, 0);
  const n = (v: number) => v.toLocaleString("en-US");
  return (
    `${Math.round((100 * biggest.params) / total)} % of the parameters (${n(biggest.params)}) sit in \`${biggest.layer}\` ` +
    `(${biggest.formula}). The convolutions, which do the seeing, have ${n(conv)} together.`
  );
}

/** The shapes one face takes through the network, as one line (the Summary of notebook 02). */
export function shapeChain(steps: ShapeStep[]): string {
  const seen: string[] = [steps[0].input.slice(1).join("×")];
  for (const s of steps) if (s.kind !== "Dropout") seen.push(s.output.slice(1).join("×"));
  return seen.join(" → ");
}

/** The facts this notebook's prose cites by name, beside lib/notebooks/facts.ts commonFacts (tied in cell metadata). */
export function proseFacts(): Record<string, number> {
  return {};
}
