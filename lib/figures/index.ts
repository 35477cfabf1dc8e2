/**
 * Every figure and table of the paper (Fig 1–8, Table 1) and the figures beyond it, made from one place:
 * `buildDiagrams`, `buildRunFigures` and the other builders make them in memory (the `figures` command writes them,
 * tests compare them). Which file each goes to, its caption, the paper's claim beside ours and `figures/README.md` are
 * lib/figures/readme.ts.
 */
import { tf, type Tensor4D } from "../tf";
import { createModel, summarize } from "../model";
import { loadDataset, indicesOf, imagesTensor } from "../data/dataset";
import { loadModel } from "../save";
import { argmax } from "../arrays";
import { classAverageMaps, gradCam, occlusion, probabilities, saliency } from "../explain/attribution";
import {
  classAverageCells,
  classMeanFaces,
  galleryIndices,
  meanFaceOf,
  methodCells,
  rightOnes,
} from "../explain/faces";
import { imageGrid } from "../display/pictures";
import { validateRunRecord, type RunRecord } from "../record";
import type { LayerSummary } from "../model";
import { PAPER_RESULTS } from "../config";
import { UserError } from "../errors";
import { claimsLedger, claimsLedgerMarkdown, type LedgerFacts } from "../claims";
import type { StudySummary } from "../summary";
import { specStudyAccuracy, specStudyLeak, specStudyPerClass } from "./study";
import { ablationsMarkdown, specForest } from "./ablations";
import { regionsMarkdown, specRegions } from "./explain";
import type { RegionSummary } from "../explain/region-study";
import { diagramSvg, renderPng, renderSvg } from "../render";
import { toDot, type Diagram } from "./diagram";
import { diagramFig1, diagramFig2, diagramFig4 } from "./process";
import { diagramFig3 } from "./architecture";
import { specFig5, specFig6 } from "./curves";
import { specFig7 } from "./confusion";
import { specFig8 } from "./roc";
import { table1Csv, table1Markdown } from "./table1";
import { ABLATION_FILES, FIGURE_FILES, PEER_FILES, REGION_FILES, STUDY_FILES, type FigureId } from "./readme";
import { peersMarkdown, specPeers } from "./peers";
import type { PeerComparison } from "../peers/compare";
import type { TopLevelSpec } from "vega-lite";

export { loadRun } from "../record";
export {
  toDot,
  diagramFig1,
  diagramFig2,
  diagramFig3,
  diagramFig4,
  specFig5,
  specFig6,
  specFig7,
  specFig8,
  table1Csv,
  table1Markdown,
  PAPER_RESULTS,
};
export type { Diagram };

/** The diagrams that need no run (Fig 1–4). */
export const DIAGRAM_IDS = ["fig1", "fig2", "fig3", "fig4"] as const;

/** One generated file: name relative to the output folder, and its bytes. */
export interface OutputFile {
  name: string;
  data: string | Buffer;
  /** Milliseconds spent making this figure (SVG and PNG together; shared by both files). */
  ms: number;
}

/** An error the user can fix (bad run file, unknown flag): the CLI prints its message on one line, no stack trace. */
export class FiguresError extends UserError {}

/**
 * Fig 3's layer table, from the model object itself: `summarize(createModel())` and the model's input shape.
 * Builds the model on the active backend and disposes it.
 */
export async function modelLayers(): Promise<{ layers: LayerSummary[]; input: number[] }> {
  const m = createModel(0);
  try {
    const input = (m.inputs[0].shape as (number | null)[]).slice(1) as number[];
    return { layers: summarize(m), input };
  } finally {
    m.dispose();
  }
}

/** Fig 1–4 as diagrams (data); Fig 3 from the given layer table. */
export function diagrams(arch: {
  layers: LayerSummary[];
  input: number[];
}): Record<(typeof DIAGRAM_IDS)[number], Diagram> {
  return { fig1: diagramFig1(), fig2: diagramFig2(), fig3: diagramFig3(arch.layers, arch.input), fig4: diagramFig4() };
}

async function svgAndPng(name: string, make: () => Promise<string>): Promise<OutputFile[]> {
  const t0 = performance.now();
  const svg = await make();
  const png = await renderPng(svg);
  const ms = performance.now() - t0;
  return [
    { name: `${name}.svg`, data: svg, ms },
    { name: `${name}.png`, data: png, ms },
  ];
}

/** Render Fig 1–4 (no run needed) to SVG and PNG. */
export async function buildDiagrams(arch?: { layers: LayerSummary[]; input: number[] }): Promise<OutputFile[]> {
  const d = diagrams(arch ?? (await modelLayers()));
  const out: OutputFile[] = [];
  for (const id of DIAGRAM_IDS) out.push(...(await svgAndPng(FIGURE_FILES[id], () => diagramSvg(toDot(d[id])))));
  return out;
}

/** Render Fig 5–8 and Table 1 from a run record; vega-lite warnings are errors here. */
export async function buildRunFigures(run: RunRecord): Promise<OutputFile[]> {
  const out: OutputFile[] = [];
  const charts = { fig5: specFig5, fig6: specFig6, fig7: specFig7, fig8: specFig8 } as const;
  for (const [id, spec] of Object.entries(charts) as [FigureId, (r: RunRecord) => TopLevelSpec][]) {
    out.push(...(await svgAndPng(FIGURE_FILES[id], () => renderSvg(spec(run), { strict: true }))));
  }
  const t0 = performance.now();
  const md = table1Markdown(run),
    csv = table1Csv(run);
  const ms = performance.now() - t0;
  out.push({ name: `${FIGURE_FILES.table1}.md`, data: md, ms }, { name: `${FIGURE_FILES.table1}.csv`, data: csv, ms });
  return out;
}

/**
 * Render the study's charts and the claims ledger (lib/claims.ts) from a study summary and the run of record;
 * vega-lite warnings are errors here.
 */
export async function buildStudyFigures(
  summary: StudySummary,
  run: RunRecord | undefined,
  facts: LedgerFacts,
): Promise<OutputFile[]> {
  const out: OutputFile[] = [];
  out.push(...(await svgAndPng(STUDY_FILES.accuracy, () => renderSvg(specStudyAccuracy(summary), { strict: true }))));
  out.push(...(await svgAndPng(STUDY_FILES.perClass, () => renderSvg(specStudyPerClass(summary), { strict: true }))));
  out.push(...(await svgAndPng(STUDY_FILES.leak, () => renderSvg(specStudyLeak(summary), { strict: true }))));
  const t0 = performance.now();
  const md = claimsLedgerMarkdown(claimsLedger(summary, run, facts), summary);
  out.push({ name: `${STUDY_FILES.claims}.md`, data: md, ms: performance.now() - t0 });
  return out;
}

/** Render the forest plot and figures/ablations.md from the comparisons' summary. */
export async function buildAblationFigures(summary: StudySummary): Promise<OutputFile[]> {
  const out = await svgAndPng(ABLATION_FILES.forest, () => renderSvg(specForest(summary), { strict: true }));
  const t0 = performance.now();
  out.push({ name: `${ABLATION_FILES.table}.md`, data: ablationsMarkdown(summary), ms: performance.now() - t0 });
  return out;
}

/** Render the class × region heat map and figures/explain-regions.md. */
export async function buildRegionFigures(summary: RegionSummary): Promise<OutputFile[]> {
  const out = await svgAndPng(REGION_FILES.map, () => renderSvg(specRegions(summary), { strict: true }));
  out.push({ name: `${REGION_FILES.table}.md`, data: regionsMarkdown(summary), ms: 0 });
  return out;
}

/** Render the peers' chart and figures/peers.md (with the literature's table). */
export async function buildPeerFigures(c: PeerComparison): Promise<OutputFile[]> {
  const out = await svgAndPng(PEER_FILES.chart, () => renderSvg(specPeers(c), { strict: true }));
  out.push({ name: `${PEER_FILES.table}.md`, data: peersMarkdown(c), ms: 0 });
  return out;
}

/**
 * The figures that show faces (notebook 08's class averages and gallery) for the run of record's test set. They are
 * written only on request (`npm run figures -- --faces`, into the git-ignored figures/faces/): CK+48's licence
 * forbids redistributing its images, so no face is committed.
 */
export async function buildFaceFigures(run: RunRecord, modelDir: string, dataDir: string): Promise<OutputFile[]> {
  const t0 = performance.now();
  const all = await loadDataset(dataDir, { verify: false });
  const model = await loadModel(modelDir);
  const idx = indicesOf(all, run.split.test);
  const x = imagesTensor(all, idx);
  const labels = idx.map((i) => all.labels[i]);
  const probs = probabilities(model, x);
  const right = rightOnes(probs, labels);
  const fill = meanFaceOf(all).rgb;
  const maps = {
    saliency: saliency(model, x, labels),
    "grad-cam": gradCam(model, x, labels),
    occlusion: occlusion(model, x, labels, { fill }),
  };
  const faces = classMeanFaces(x.dataSync() as Float32Array, labels, all.size);
  const averages = Object.fromEntries(Object.entries(maps).map(([m, v]) => [m, classAverageMaps(v, labels, right)]));
  const avgPng = await imageGrid(classAverageCells(run.classes, faces, averages, all.size), {
    columns: 8,
    scale: 2,
    minCellWidth: 110,
    title: "Class averages over correctly classified test faces (run of record)",
  });
  const order = galleryIndices(probs, labels);
  const predicted = order.map((i) => argmax(probs[i]));
  const picked = tf.gather(x, order) as Tensor4D;
  const cams = gradCam(model, picked, predicted);
  const pixels = picked.dataSync() as Float32Array;
  const per = all.size * all.size * 3;
  const cells = order.flatMap((i, j) =>
    methodCells(
      pixels.slice(j * per, (j + 1) * per),
      { [`${run.classes[labels[i]]} → ${run.classes[predicted[j]]}`]: cams[j] },
      all.size,
      run.split.test[i].split("/")[1].replace(/\.png$/, ""),
    ),
  );
  const galleryPng = await imageGrid(cells, {
    columns: 6,
    scale: 2,
    minCellWidth: 130,
    title: "Grad-CAM of the predicted class: right, then the most confident mistakes",
  });
  tf.dispose([x, picked]);
  model.dispose();
  const ms = performance.now() - t0;
  return [
    { name: "faces/class-averages.png", data: avgPng, ms },
    { name: "faces/gallery.png", data: galleryPng, ms },
  ];
}

/** What is wrong with a run record (the first problem lib/record.ts validateRunRecord finds), or undefined. */
export function checkRun(x: unknown): string | undefined {
  return validateRunRecord(x)[0];
}
