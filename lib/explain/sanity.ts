/**
 * The sanity check of attribution methods (Adebayo et al. 2018, "Sanity checks for saliency maps"), model
 * randomisation: a method whose maps barely change when the trained weights are replaced by random ones shows the
 * image, not what the model learned. Notebook 08 runs it on the run of record; lib/explain/region-study runs saliency
 * and Grad-CAM over seeds for data/runs/explain/regions.json.
 */
import type { LayersModel, Tensor4D } from "../tf";
import { gradCam, mapCorrelation, occlusion, saliency, smoothGrad, type Fill } from "./attribution";

/** The settings of the maps (notebook 08's parameter cell; the defaults are lib/explain/attribution's). */
export interface MapSettings {
  /** SmoothGrad's n and σ (a fraction of the image's value range). */
  samples: number;
  sigma: number;
  /** Occlusion's patch side, stride and fill. */
  patch: number;
  stride: number;
  fill: Fill;
  /** Grad-CAM's layer (default: the one before the last pooling, conv3). */
  featureLayer?: string;
  /** SmoothGrad's noise seed (default 0). */
  seed?: number;
}

/** One method's sanity check: the mean rank correlation of its maps for the trained and for a random model. */
export interface SanityRow {
  method: string;
  images: number;
  correlation: number;
}

/**
 * Adebayo et al.'s model randomisation test for the notebook's methods: each method's maps of the trained `model` and
 * of `random` (the same architecture, fresh weights) for the true classes, compared by mean Spearman correlation
 * (lib/explain/attribution mapCorrelation). Saliency (of p and of the score) and Grad-CAM on every image; SmoothGrad
 * and occlusion, which cost many passes an image, on the first `slowImages`.
 */
export function sanityCheck(
  model: LayersModel,
  random: LayersModel,
  x: Tensor4D,
  labels: number[],
  s: MapSettings & { slowImages: number },
): SanityRow[] {
  const n = x.shape[0];
  const m = Math.min(n, s.slowImages);
  const few = x.slice([0, 0, 0, 0], [m, -1, -1, -1]);
  const fewLabels = labels.slice(0, m);
  const pair = (f: (net: LayersModel) => Float32Array[]) => mapCorrelation(f(model), f(random));
  const rows: SanityRow[] = [
    { method: "saliency", images: n, correlation: pair((net) => saliency(net, x, labels)) },
    {
      method: "saliency of the score",
      images: n,
      correlation: pair((net) => saliency(net, x, labels, { target: "score" })),
    },
    {
      method: "grad-cam",
      images: n,
      correlation: pair((net) => gradCam(net, x, labels, { featureLayer: s.featureLayer })),
    },
    {
      method: "smoothgrad",
      images: m,
      correlation: pair((net) => smoothGrad(net, few, fewLabels, { samples: s.samples, sigma: s.sigma, seed: 0 })),
    },
    {
      method: "occlusion",
      images: m,
      correlation: pair((net) => occlusion(net, few, fewLabels, { patch: s.patch, stride: s.stride, fill: s.fill })),
    },
  ];
  few.dispose();
  return rows;
}

/**
 * The verdict of a sanity-check correlation, by a rule of ours (Adebayo et al. judge by eye and by such correlations,
 * with no threshold): at least 0.5, the maps are mostly what a random model gives, so they show the image more than
 * what the model learned ("fails"); at most 0.2, they depend on the learned weights ("passes"); between, "unclear".
 */
export function sanityVerdict(r: number): "fails" | "passes" | "unclear" {
  return r >= 0.5 ? "fails" : r <= 0.2 ? "passes" : "unclear";
}
