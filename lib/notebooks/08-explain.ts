/**
 * Notebook 08-explain's own code: which test images it explains, one face's caption, the sanity check on the run of
 * record beside the committed one over seeds, the summary, and the exercises' computed answers. The methods are
 * lib/explain/ (attribution, overlay, regions, the region study with findRegions, faces with pickFace and faceMaps).
 */
import * as path from "path";
import type { LayersModel, Tensor4D } from "../tf";
import { quantile, spearman } from "../stats";
import { markdownTable, signedPoints } from "../display/text";
import type { RunRecord } from "../record";
import type { DataStatus } from "../runs";
import { FACS, peakRegion, regionShares, type Region, type RegionEvidence } from "../explain/regions";
import { facsComparison, type RegionSummary } from "../explain/region-study";
import { faceMaps, mostConfidentMistake, pickFace, type PickedFace } from "../explain/faces";
import {
  featureLayerIndex,
  gradCam,
  mapCorrelation,
  occlusion,
  patchStarts,
  saliency,
  smoothGrad,
} from "../explain/attribution";
import { createModel } from "../model";
import { sanityVerdict, type MapSettings, type SanityRow } from "../explain/sanity";

export type { MapSettings, SanityRow };

/** The test files notebook 08 explains: the run's test set, or every fourth image of it in the quick setting (CI). */
export function explainedTestFiles(record: RunRecord, quick: boolean): string[] {
  return quick ? record.split.test.filter((_, i) => i % 4 === 0) : record.split.test;
}

/** One caption line per face region: its name and rows. */
export function regionCaptions(regions: Region[]): string[] {
  return regions.filter((r) => r.name !== "rest").map((r) => `${r.name}: rows ${r.box.top}–${r.box.bottom}`);
}

/** The one line a cell prints when it cannot run: what is missing (the data set, the run of record's model). */
export function needsMessage(data: DataStatus, modelDir: string | undefined): string {
  const missing = [
    ...(data.present ? [] : [`CK+48 (not found at \`${data.dir}\`)`]),
    ...(modelDir ? [] : ["the run of record's model (data/runs/paper/model)"]),
  ];
  return missing.length ? `*Skipped: this cell needs ${missing.join(" and ")}.*` : "";
}

/** A face's caption lines: its file name, and its true class with p (and the prediction when it is wrong). */
export function faceCaption(f: PickedFace, classes: readonly string[]): string[] {
  const wrong = f.predicted !== f.label ? ` → ${classes[f.predicted]} ${f.pPredicted.toFixed(2)}` : "";
  return [path.basename(f.file, ".png"), `${classes[f.label]}, p = ${f.pTrue.toFixed(2)}${wrong}`];
}

// ---------------------------------------------------------------------------------------------------------------
// The sanity check (Adebayo et al. 2018) on the run of record, beside the committed one over seeds
// ---------------------------------------------------------------------------------------------------------------

const r2 = (r: number) => (Math.abs(r) < 0.005 ? "0.00" : r.toFixed(2).replace("-", "−"));

/** A correlation over seeds: mean [95 % t interval]. */
function spreadPhrase(c: RegionSummary["sanity"][number]["correlation"]): string {
  return `${r2(c.mean)}${c.t ? ` [${r2(c.t.lo)}, ${r2(c.t.hi)}]` : ""}`;
}

/** The committed sanity check over seeds as one phrase per method: "saliency 0.80 [0.78, 0.81]". */
function committedPhrase(c: RegionSummary["sanity"][number]): string {
  return `${c.method} ${spreadPhrase(c.correlation)}`;
}

/**
 * The sanity check as the notebook shows it: this run's rows (if computed) with verdicts, the committed check over
 * seeds (data/runs/explain/regions.json: each seed's model against its own random model, saliency of p and Grad-CAM),
 * and one sentence per verdict.
 */
export function sanityMarkdown(rows: SanityRow[] | undefined, committed: RegionSummary | undefined): string {
  const out: string[] = [];
  if (rows)
    out.push(
      markdownTable(
        ["method", "test images", "rank correlation, trained vs random weights", "verdict"],
        rows.map((r) => [r.method, r.images, r2(r.correlation), sanityVerdict(r.correlation)]),
        ["l", "r", "r", "l"],
      ),
    );
  if (committed)
    out.push(
      `Committed over ${committed.seeds.length} seeds (data/runs/explain/regions.json; each seed's model on its own ` +
        `subject-split test images, against its own random model; mean [95% t interval]): ` +
        `${committed.sanity.map(committedPhrase).join("; ")}.`,
    );
  const source =
    rows ?? committed?.sanity.map((c) => ({ method: c.method, images: 0, correlation: c.correlation.mean }));
  if (!source) return "No sanity check: neither the run of record's maps nor data/runs/explain/regions.json.";
  const by = (v: string) =>
    source.filter((r) => sanityVerdict(r.correlation) === v).map((r) => `${r.method} (${r2(r.correlation)})`);
  const fails = by("fails");
  const passes = by("passes");
  const unclear = by("unclear");
  out.push(
    [
      fails.length
        ? `**Fails**: ${fails.join(", ")}: the maps are mostly what a model that learned nothing gives, so they show the face's edges, not what the model uses.`
        : "",
      passes.length
        ? `**Passes**: ${passes.join(", ")}: the maps change when the weights do, so they say something about the trained model.`
        : "",
      unclear.length ? `**Unclear**: ${unclear.join(", ")}.` : "",
    ]
      .filter(Boolean)
      .join(" "),
  );
  return out.join("\n\n");
}

/** The line the class averages open with: what the sanity check found for each method drawn (from this run, else committed). */
export function averagesCaveat(rows: SanityRow[] | undefined, committed: RegionSummary | undefined): string {
  const source =
    rows ?? committed?.sanity.map((c) => ({ method: c.method, images: 0, correlation: c.correlation.mean }));
  if (!source) return "";
  const drawn = source.filter((r) => ["saliency", "grad-cam", "occlusion"].includes(r.method));
  const said = drawn.map((r) => `${r.method} ${r2(r.correlation)} (${sanityVerdict(r.correlation)})`).join(", ");
  return `Read these with the sanity check above (rank correlation with a random model's maps: ${said}): a column that fails it shows the faces' edges and would look much the same for an untrained network.`;
}

/** The loading cell's line: how many test images are explained, of how many, and how many the model gets right. */
export function explainedMarkdown(record: RunRecord, files: string[], right: boolean[], quick: boolean): string {
  const k = right.filter(Boolean).length;
  const which = quick
    ? `${files.length} test images of the run (every fourth of its ${record.split.test.length}: \`QUICK\`)`
    : `all ${files.length} test images of the run`;
  return `Explaining ${which}; the model gets ${k} of them right (${((100 * k) / files.length).toFixed(1)}%).`;
}

/** The rows and columns read off the mean face (lib/explain/regions deriveRegions), and where they came from. */
export function evidenceMarkdown(e: RegionEvidence, from: string): string {
  return `${from}: eyes at row ${e.eyeRow}, nostrils at row ${e.noseRow}, mouth at row ${e.mouthRow}; face from column ${e.faceLeft} to ${e.faceRight}, midline at column ${e.midline}.`;
}

/** A positive ratio with two significant digits, in exponent form below 0.001. */
const ratioText = (v: number) => (v >= 0.001 ? v.toPrecision(2) : v.toExponential(1));

/** How many of a batch's maps are zero everywhere (Grad-CAM: the ReLU of a weighted sum negative at every position). */
export function emptyMapsNote(maps: Float32Array[], method = "Grad-CAM"): string {
  const k = maps.filter((m) => m.every((v) => v === 0)).length;
  return `${method}'s map is zero everywhere for ${k} of these ${maps.length} faces: the weighted sum of the layer's channels is negative at every position, and the ReLU keeps nothing. Such an overlay shows the face alone.`;
}

/**
 * Saliency of the probability against saliency of the score (Simonyan et al.'s), over a batch, by how confident the
 * model is in the class: the mean rank correlation of the two maps, and the median ratio of their largest values
 * (max|∂p/∂x| ÷ max|∂S/∂x|). Since ∂p_k/∂x = p_k (∂S_k/∂x − Σ_j p_j ∂S_j/∂x), the ratio shrinks as p_k nears 1.
 */
export function targetComparisonMarkdown(
  model: LayersModel,
  x: Tensor4D,
  classes: number[],
  probs: number[][],
  bins: [number, number][] = [
    [0, 0.9],
    [0.9, 0.99],
    [0.99, 1.01],
  ],
): string {
  const ofP = saliency(model, x, classes);
  const ofS = saliency(model, x, classes, { target: "score" });
  const p = classes.map((k, i) => probs[i][k]);
  const max = (m: Float32Array) => m.reduce((a, v) => Math.max(a, v), 0);
  const rows = bins
    .map(([lo, hi]) => {
      const idx = p.map((v, i) => (v >= lo && v < hi ? i : -1)).filter((i) => i >= 0);
      if (!idx.length) return undefined;
      const ratios = idx.map((i) => max(ofP[i]) / max(ofS[i]));
      const r = mapCorrelation(
        idx.map((i) => ofP[i]),
        idx.map((i) => ofS[i]),
      );
      return [
        `${lo.toFixed(2)} ≤ p < ${hi > 1 ? "1" : hi.toFixed(2)}`,
        idx.length,
        r2(r),
        ratioText(quantile(ratios, 0.5)),
      ];
    })
    .filter((r): r is (string | number)[] => !!r);
  return [
    `Saliency of the probability p against saliency of the score S, over ${x.shape[0]} test images, by p of the class explained:`,
    "",
    markdownTable(
      ["p of the class", "images", "rank correlation of the two maps", "median max|∂p/∂x| ÷ max|∂S/∂x|"],
      rows,
      ["l", "r", "r", "r"],
    ),
    "",
    `Rank correlation of the two maps, bin by bin: ${rows.map((r) => r[2]).join(", ")}. In the last bin the probability's gradient is ${rows[rows.length - 1][3]} of the score's (median): near p = 1 the softmax is flat, so ∂p/∂x is small whatever the face, and a saliency map of p, stretched to its own range, shows where the face matters but not how much.`,
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------------------------
// The summary
// ---------------------------------------------------------------------------------------------------------------

/** The summary's results with their numbers: the sanity check (committed over seeds, and this run's), and the regions against FACS. */
export function summaryMarkdown(regions: RegionSummary | undefined, rows: SanityRow[] | undefined): string {
  const lines: string[] = [];
  if (regions) {
    const sal = regions.sanity.find((c) => c.method === "saliency");
    const cam = regions.sanity.find((c) => c.method === "grad-cam");
    if (sal && cam)
      lines.push(
        `- **The sanity check** over ${regions.seeds.length} seeds: saliency's maps correlate ${spreadPhrase(sal.correlation)} (mean [95% t interval]) with a random model's: it **${sanityVerdict(sal.correlation.mean)}**; Grad-CAM's ${spreadPhrase(cam.correlation)}: it **${sanityVerdict(cam.correlation.mean)}**.`,
      );
  }
  if (rows)
    lines.push(
      `- The same check on the run of record (this notebook, one random model, \`RANDOM_SEED\`): ${rows.map((r) => `${r.method} ${r2(r.correlation)} (${sanityVerdict(r.correlation)}, ${r.images} images)`).join(", ")}.`,
    );
  if (regions) {
    const f = facsComparison(regions);
    const agree = f.filter((x) => x.agrees);
    const disagree = f.filter((x) => !x.agrees);
    lines.push(
      `- **The regions** (${regions.seeds.length} seeds, subject split): the costliest region to hide is one FACS predicts for ${agree.length} of ${f.length} classes; not for ${disagree.map((x) => `${x.class} (the ${x.region}, where FACS expects ${FACS[x.class]?.regions.join(" and ") ?? "?"})`).join(", ") || "none"}.`,
      `- Per class, the costliest region and its accuracy change: ${f.map((x) => `${x.class} ${x.region} ${signedPoints(x.delta.mean, 0)}`).join(", ")} points.`,
    );
  }
  return lines.length
    ? lines.join("\n")
    : "No results to state: no data/runs/explain/regions.json and no run of record's maps.";
}

// ---------------------------------------------------------------------------------------------------------------
// The exercises' computed answers
// ---------------------------------------------------------------------------------------------------------------

/** A map's positive mass per region as "mouth 41% (area 9%)", largest first. */
function sharesLine(map: Float32Array, regions: Region[]): string {
  return regionShares(map, regions)
    .sort((a, b) => b.share - a.share)
    .map((r) => `${r.region} ${(100 * r.share).toFixed(0)}% (area ${(100 * r.area).toFixed(0)}%)`)
    .join(", ");
}

/** Exercise 1: the most confident mistake's maps of its predicted class, where they put their mass, and what FACS expects. */
export function anotherFaceAnswer(
  model: LayersModel,
  x: Tensor4D,
  labels: number[],
  files: string[],
  probs: number[][],
  regions: Region[],
  classes: readonly string[],
  s: MapSettings,
): string {
  const j = mostConfidentMistake(probs, labels);
  if (j < 0) return "The model makes no mistake on these test images.";
  const f = pickFace(x, labels, files, probs, j);
  const maps = faceMaps(model, f.one, f.predicted, s);
  f.one.dispose();
  const t = classes[f.label];
  const p = classes[f.predicted];
  return [
    `\`FACE = ${j}\`: ${path.basename(f.file)}, a ${t} face the model calls ${p} with p = ${f.pPredicted.toFixed(2)} (p(${t}) = ${f.pTrue.toFixed(2)}). The maps of the predicted class, ${p}: where each puts its positive mass (a map spread evenly would give each region its area share).`,
    "",
    markdownTable(
      ["method", "peak in", "share of the map per region"],
      Object.entries(maps).map(([m, map]) => [m, peakRegion(map, regions), sharesLine(map, regions)]),
      ["l", "l", "l"],
    ),
    "",
    `FACS expects ${p} in the ${FACS[p]?.regions.join(" and ") ?? "?"} (${FACS[p]?.units ?? "?"}), and ${t} in the ${FACS[t]?.regions.join(" and ") ?? "?"}. Where Grad-CAM and occlusion agree on a region, that region is what pulled the model towards ${p}.`,
  ].join("\n");
}

/** Exercise 2: occlusion of one face with each patch size: positions, largest drop, where it peaks, and agreement with the notebook's `PATCH`. */
export function patchAnswer(
  model: LayersModel,
  face: PickedFace,
  patches: number[],
  s: MapSettings,
  regions: Region[],
): string {
  const [, h, w] = face.one.shape;
  const sizes = [...new Set([...patches, s.patch])].sort((a, b) => a - b);
  const maps = new Map(
    sizes.map((p) => [p, occlusion(model, face.one, [face.label], { patch: p, stride: s.stride, fill: s.fill })[0]]),
  );
  const base = Array.from(maps.get(s.patch)!);
  return [
    `Occlusion of \`FACE = ${face.index}\` (${path.basename(face.file)}) for its true class, stride ${s.stride}, filled as in the notebook:`,
    "",
    markdownTable(
      ["patch", "forward passes", "largest drop of p", "peak in", `rank correlation with PATCH = ${s.patch}'s map`],
      sizes.map((p) => {
        const m = maps.get(p)!;
        const passes = patchStarts(h, p, s.stride).length * patchStarts(w, p, s.stride).length;
        return [
          `${p}×${p}`,
          passes,
          Math.max(...m).toFixed(3),
          peakRegion(m, regions),
          r2(spearman(Array.from(m), base)),
        ];
      }),
      ["l", "r", "r", "l", "r"],
    ),
    "",
    "What to look for: a patch smaller than a feature (an eye, a mouth corner) hides too little of it to move p; a patch larger than one hides several at once and blurs the map. The forward passes are the cost.",
  ].join("\n");
}

/** Exercise 3: SmoothGrad of one face for each n, against a reference of `reference` noisy copies made with another seed. */
export function smoothGradAnswer(
  model: LayersModel,
  face: PickedFace,
  ns: number[],
  s: MapSettings,
  reference = 100,
): string {
  const { one, label: cls } = face;
  const ref = Array.from(smoothGrad(model, one, [cls], { samples: reference, sigma: s.sigma, seed: 1 })[0]);
  const plain = Array.from(saliency(model, one, [cls])[0]);
  const rows: (string | number)[][] = [["plain saliency (no noise)", spearman(plain, ref).toFixed(2)]];
  for (const n of [...new Set(ns)].sort((a, b) => a - b))
    rows.push([
      `n = ${n}`,
      spearman(Array.from(smoothGrad(model, one, [cls], { samples: n, sigma: s.sigma, seed: 0 })[0]), ref).toFixed(2),
    ]);
  return [
    `Rank correlation of the SmoothGrad map of \`FACE = ${face.index}\` (true class, σ = ${s.sigma}) with a reference map made of ${reference} noisy copies drawn with another seed:`,
    "",
    markdownTable(["map", "rank correlation with the reference"], rows, ["l", "r"]),
    "",
    "Each noisy copy's map is the reference plus speckle; averaging n of them shrinks the speckle like 1/√n, so the correlation should rise quickly, then slowly, while the cost grows as n saliency maps.",
  ].join("\n");
}

/** Exercise 4: Grad-CAM on each convolution: its activation's size, the sanity check, and agreement with conv3's maps. */
export function layerAnswer(
  model: LayersModel,
  random: LayersModel,
  x: Tensor4D,
  labels: number[],
  images: number,
  layers = ["conv1", "conv2", "conv3"],
): string {
  const n = Math.min(images, x.shape[0]);
  const xs = x.slice([0, 0, 0, 0], [n, -1, -1, -1]);
  const ls = labels.slice(0, n);
  const conv3 = gradCam(model, xs, ls);
  const rows = layers.map((name) => {
    const shape = model.layers[featureLayerIndex(model, name)].outputShape as number[];
    const mine = gradCam(model, xs, ls, { featureLayer: name });
    const theirs = gradCam(random, xs, ls, { featureLayer: name });
    return [
      name,
      shape.slice(1).join("×"),
      r2(mapCorrelation(mine, theirs)),
      sanityVerdict(mapCorrelation(mine, theirs)),
      r2(mapCorrelation(mine, conv3)),
    ];
  });
  xs.dispose();
  return [
    `Grad-CAM of the true class on the first ${n} test images (\`SLOW_IMAGES\`), at each convolution's activations:`,
    "",
    markdownTable(
      [
        "layer",
        "activation",
        "rank correlation with a random model's",
        "verdict",
        "rank correlation with conv3's maps",
      ],
      rows,
      ["l", "r", "r", "l", "r"],
    ),
    "",
    "An earlier layer's map has more positions, so it can be finer, but it explains simpler features (edges and blobs rather than parts of a face); Selvaraju et al. use the last convolution, conv3 here, whose features are the ones the dense layers classify.",
  ].join("\n");
}

/** Exercise 5: the sanity check against random models of several seeds: how much the correlation itself varies. */
export function seedAnswer(
  model: LayersModel,
  x: Tensor4D,
  labels: number[],
  seeds: number[],
  committed: RegionSummary | undefined,
): string {
  const sal = saliency(model, x, labels);
  const cam = gradCam(model, x, labels);
  const rows = seeds.map((seed) => {
    const random = createModel(seed);
    const row = {
      seed,
      saliency: mapCorrelation(sal, saliency(random, x, labels)),
      cam: mapCorrelation(cam, gradCam(random, x, labels)),
    };
    random.dispose();
    return row;
  });
  const range = (v: number[]) => `${r2(Math.min(...v))} to ${r2(Math.max(...v))}`;
  return [
    `The sanity check of the run of record (${x.shape[0]} test images) against random models of ${seeds.length} seeds:`,
    "",
    markdownTable(
      ["random model's seed", "saliency", "verdict", "grad-cam", "verdict"],
      rows.map((r) => [r.seed, r2(r.saliency), sanityVerdict(r.saliency), r2(r.cam), sanityVerdict(r.cam)]),
      ["r", "r", "l", "r", "l"],
    ),
    "",
    `Saliency: ${range(rows.map((r) => r.saliency))}; Grad-CAM: ${range(rows.map((r) => r.cam))}. ` +
      (committed
        ? `Over the committed ${committed.seeds.length} seeds' own models and random models: ${committed.sanity.map(committedPhrase).join("; ")}. `
        : "") +
      "One random model is one draw: a verdict should rest on the gap between the methods compared with this spread, not on one number.",
  ].join("\n");
}

/** The facts this notebook's prose cites by name, beside lib/notebooks/facts.ts commonFacts (tied in cell metadata). */
export function proseFacts(): Record<string, number> {
  return {};
}
