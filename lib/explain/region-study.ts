/**
 * The regions over seeds (data/runs/explain/regions.json; `npm run explain -- --regions`, notebook 08, npm run
 * figures): each run's model occluded region by region on its own test images, summarised with intervals, with the
 * sanity check of saliency and Grad-CAM, and compared with FACS. Node: it loads the data set and the models.
 */
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { loadJsonFile } from "../files";
import { RUNS } from "../paths";
import { NUM, SPREAD } from "../schemas";
import { spread, type Spread } from "../stats";
import { loadDataset, imagesTensor, indicesOf } from "../data/dataset";
import { loadModel } from "../save";
import { loadRun } from "../record";
import { createModel } from "../model";
import { gradCam, mapCorrelation, meanImage, saliency } from "./attribution";
import { deriveRegions, regionOcclusion, FACS, type Region, type RegionEffect, type RegionEvidence } from "./regions";

// ---------------------------------------------------------------------------------------------------------------
// The regions over seeds (data/runs/explain/regions.json, notebook 08, npm run figures)
// ---------------------------------------------------------------------------------------------------------------

/** The region table over seeds: per class and region, the occluded − intact accuracy and the p(true) drop. */
export interface RegionSummary {
  /** How the numbers were made, said once. */
  method: string;
  classes: string[];
  seeds: number[];
  regions: { name: string; box: Region["box"]; pixels: number }[];
  evidence: RegionEvidence;
  /** One row per class and region: mean and 95 % interval over seeds. */
  effects: { class: string; region: string; images: Spread; delta: Spread; probDrop: Spread }[];
  /** Adebayo's sanity check per method: mean rank correlation of trained vs randomly initialised maps, over seeds. */
  sanity: { method: string; correlation: Spread }[];
}

/**
 * Occlude each derived region in the test images of several runs (each with its model, e.g. `npm run study --
 * --keep-models`), fill with the mean face of all images, and summarise per class and region over the runs;
 * also the sanity check of saliency and Grad-CAM per run. Each run is tested on its own test set.
 */
export async function regionStudy(
  runs: { seed: number; dir: string }[],
  dataDir: string,
  log: (l: string) => void = () => undefined,
): Promise<RegionSummary> {
  const all = await loadDataset(dataDir, { verify: false });
  const everything = imagesTensor(
    all,
    all.files.map((_, i) => i),
  );
  const mean = meanImage(everything);
  everything.dispose();
  const side = all.size;
  const grey = Float32Array.from({ length: side * side }, (_, p) => mean[p * 3]);
  const { regions, evidence } = deriveRegions(grey, side);
  const perSeed: RegionEffect[][] = [];
  const sanity: Record<string, number[]> = { saliency: [], "grad-cam": [] };
  let classes: string[] = [];
  for (const r of runs) {
    const rec = loadRun(path.join(r.dir, "run.json"));
    classes = rec.classes;
    const model = await loadModel(path.join(r.dir, "model"));
    const idx = indicesOf(all, rec.split.test);
    const x = imagesTensor(all, idx);
    const labels = idx.map((i) => all.labels[i]);
    perSeed.push(regionOcclusion(model, x, labels, regions, mean, classes.length));
    const random = createModel(10_000 + r.seed);
    sanity.saliency.push(mapCorrelation(saliency(model, x, labels), saliency(random, x, labels)));
    sanity["grad-cam"].push(mapCorrelation(gradCam(model, x, labels), gradCam(random, x, labels)));
    random.dispose();
    model.dispose();
    x.dispose();
    log(`explain: seed ${r.seed}: ${labels.length} test images, ${regions.length} regions`);
  }
  const boot = { resamples: 4000, seed: 0 };
  const effects = classes.flatMap((c, k) =>
    regions.map((reg) => {
      const rows = perSeed
        .map((e) => e.find((x) => x.class === k && x.region === reg.name))
        .filter((x): x is RegionEffect => !!x);
      return {
        class: c,
        region: reg.name,
        images: spread(
          rows.map((x) => x.images),
          boot,
        ),
        delta: spread(
          rows.map((x) => x.delta),
          boot,
        ),
        probDrop: spread(
          rows.map((x) => x.probDrop),
          boot,
        ),
      };
    }),
  );
  return {
    method:
      "Each seed's best model (subject split) on its own test images, every pixel of a region replaced by the mean face of all 981 images; " +
      "per class, the accuracy with the region occluded minus the intact accuracy, and the mean drop of p(true class). Over seeds: mean, Student-t and " +
      "percentile-bootstrap 95% intervals (4000 resamples). Sanity check: Spearman rank correlation of each map with the same method's map from the same architecture with random weights, averaged over the test images.",
    classes,
    seeds: runs.map((r) => r.seed),
    regions: regions.map((r) => ({ name: r.name, box: r.box, pixels: r.mask.reduce((a, v) => a + v, 0) })),
    evidence,
    effects,
    sanity: Object.entries(sanity).map(([method, v]) => ({ method, correlation: spread(v, boot) })),
  };
}

/** Per class: the region whose occlusion costs the most accuracy on average, and whether FACS expects it there. */
export function facsComparison(
  s: RegionSummary,
): { class: string; region: string; delta: Spread; expected: string[]; units: string; agrees: boolean }[] {
  return s.classes.map((c) => {
    const rows = s.effects.filter((e) => e.class === c && e.region !== "rest");
    const worst = rows.reduce((a, b) => (b.delta.mean < a.delta.mean ? b : a));
    const f = FACS[c] ?? { units: "?", regions: [] };
    return {
      class: c,
      region: worst.region,
      delta: worst.delta,
      expected: f.regions,
      units: f.units,
      agrees: f.regions.includes(worst.region),
    };
  });
}

const box = z.object({
  top: z.number().int(),
  bottom: z.number().int(),
  left: z.number().int(),
  right: z.number().int(),
});
/** The schema of regions.json; its output type is {@link RegionSummary} (checked by the compiler). */
export const REGION_SUMMARY_SCHEMA: z.ZodType<RegionSummary, unknown> = z.object({
  method: z.string(),
  classes: z.array(z.string()),
  seeds: z.array(z.number().int().nonnegative()),
  regions: z.array(z.object({ name: z.string(), box, pixels: z.number().int().nonnegative() })),
  evidence: z.object({
    side: z.number().int().positive(),
    rowProfile: z.array(NUM),
    columnProfile: z.array(NUM),
    eyeRow: z.number().int(),
    noseRow: z.number().int(),
    mouthRow: z.number().int(),
    faceLeft: z.number().int(),
    faceRight: z.number().int(),
    midline: z.number().int(),
  }),
  effects: z.array(
    z.object({ class: z.string(), region: z.string(), images: SPREAD, delta: SPREAD, probDrop: SPREAD }),
  ),
  sanity: z.array(z.object({ method: z.string(), correlation: SPREAD })),
});

/** Read a regions.json (`npm run explain -- --regions`), checked against {@link REGION_SUMMARY_SCHEMA}. */
export function loadRegions(file: string): RegionSummary {
  return loadJsonFile(
    file,
    REGION_SUMMARY_SCHEMA,
    "region summary",
    "write it again with npm run explain -- --regions DIR",
  );
}

/** The committed regions over seeds (`npm run explain -- --regions`), if present (checked: loadRegions). */
export function findRegions(file = path.join(RUNS, "explain", "regions.json")): RegionSummary | undefined {
  return fs.existsSync(file) ? loadRegions(file) : undefined;
}
