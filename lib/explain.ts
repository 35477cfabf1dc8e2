/**
 * What the network looks at (notebook 08): the paper's introduction promises "a visualization of the model's
 * decision-making process and an analysis of the contribution of various facial regions", and shows none. Four
 * standard attribution methods, one function each, all batched and in inference mode (dropout off, so a map is
 * deterministic), plus facial regions derived from the data and their occlusion.
 *
 * Every map is a Float32Array of side × side values (row-major), the input's size. Tested on toy models whose answer
 * is known (test/explain.test.ts): a model that reads one region gives maps that peak there, and Grad-CAM of a model
 * with a linear head equals its closed form.
 */
import { tf, type Tensor, type Tensor2D, type Tensor4D, type LayersModel } from "./tf";
import { Rng } from "./random";
import * as path from "path";
import { spearman, spread, type Spread } from "./stats";
import { loadDataset, imagesTensor, indicesOf } from "./data";
import { loadModel } from "./save";
import { loadRun } from "./record";
import { createModel } from "./model";
import type { Picture } from "./display";

/** Run `f` over `n` items in chunks of `size` (memory stays bounded on the 197 test images and their copies). */
function chunked<T>(n: number, size: number, f: (start: number, end: number) => T[]): T[] {
  const out: T[] = [];
  for (let s = 0; s < n; s += size) out.push(...f(s, Math.min(n, s + size)));
  return out;
}

/** The rows of a [n, h, w] tensor as n Float32Arrays (and disposes nothing). */
function rows3(t: Tensor): Float32Array[] {
  const [n, h, w] = t.shape;
  const d = t.dataSync() as Float32Array;
  return Array.from({ length: n }, (_, i) => d.slice(i * h * w, (i + 1) * h * w));
}

/** One-hot rows of `classes` over `k` classes, as a [n, k] tensor. */
function oneHotRows(classes: number[], k: number): Tensor2D {
  return tf.oneHot(tf.tensor1d(classes, "int32"), k).toFloat() as Tensor2D;
}

/**
 * Input-gradient saliency (Simonyan, Vedaldi & Zisserman 2014, "Deep inside convolutional networks"): for each image,
 * |∂p(class)/∂x| at every pixel, the maximum over the colour channels. `classes[i]` is the class explained for
 * image i (its true or its predicted class).
 */
export function saliency(model: LayersModel, x: Tensor4D, classes: number[], batch = 32): Float32Array[] {
  const k = (model.outputs[0].shape[1] ?? 0) as number;
  return chunked(x.shape[0], batch, (s, e) =>
    tf.tidy(() => {
      const xs = x.slice([s, 0, 0, 0], [e - s, -1, -1, -1]);
      const mask = oneHotRows(classes.slice(s, e), k);
      const g = tf.grad((inp: Tensor) => tf.sum(tf.mul(model.apply(inp, { training: false }) as Tensor2D, mask)))(xs);
      return rows3(tf.max(tf.abs(g), 3));
    }),
  );
}

/** A standard normal number (Box–Muller) from the seeded generator. */
function gaussian(rng: Rng): number {
  const u = Math.max(rng.next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/**
 * SmoothGrad (Smilkov et al. 2017): the saliency averaged over `samples` noisy copies of each image, Gaussian noise
 * of standard deviation `sigma` × the image's value range (they recommend 10–20 %); seeded, so a map is reproducible.
 */
export function smoothGrad(
  model: LayersModel,
  x: Tensor4D,
  classes: number[],
  opts: { samples?: number; sigma?: number; seed?: number } = {},
): Float32Array[] {
  const samples = opts.samples ?? 20;
  const sigma = opts.sigma ?? 0.15;
  const rng = new Rng(opts.seed ?? 0);
  const [n, h, w, c] = x.shape;
  const data = x.dataSync() as Float32Array;
  const per = h * w * c;
  const sum = Array.from({ length: n }, () => new Float32Array(h * w));
  for (let s = 0; s < samples; s++) {
    const noisy = new Float32Array(data.length);
    for (let i = 0; i < n; i++) {
      let lo = Infinity;
      let hi = -Infinity;
      for (let p = 0; p < per; p++) {
        lo = Math.min(lo, data[i * per + p]);
        hi = Math.max(hi, data[i * per + p]);
      }
      const sd = sigma * (hi - lo || 1);
      for (let p = 0; p < per; p++) noisy[i * per + p] = data[i * per + p] + sd * gaussian(rng);
    }
    const t = tf.tensor4d(noisy, [n, h, w, c]);
    const maps = saliency(model, t, classes);
    t.dispose();
    maps.forEach((m, i) => m.forEach((v, p) => (sum[i][p] += v / samples)));
  }
  return sum;
}

/**
 * The layer whose activations Grad-CAM explains: the one just before the last max pooling (the paper's model: conv3,
 * 7×7×64; with batch normalisation, its ReLU), unless named.
 */
export function featureLayerIndex(model: LayersModel, name?: string): number {
  if (name) {
    const i = model.layers.findIndex((l) => l.name === name);
    if (i < 0) throw new Error(`no layer "${name}" in the model`);
    return i;
  }
  const pools = model.layers.map((l, i) => (l.getClassName() === "MaxPooling2D" ? i : -1)).filter((i) => i >= 0);
  if (!pools.length) throw new Error("the model has no max pooling: name the feature layer");
  return pools[pools.length - 1] - 1;
}

/**
 * The model split at a layer, as tfjs-examples' visualize-convnet does: `features` runs the layers up to and
 * including it, `logits` the rest up to the last Dense layer's pre-activation (the class scores before softmax).
 * Both in inference mode (dropout off).
 */
export function splitModel(
  model: LayersModel,
  featureLayer?: string,
): { features: (x: Tensor4D) => Tensor4D; logits: (a: Tensor4D) => Tensor2D } {
  const at = featureLayerIndex(model, featureLayer);
  const layers = model.layers;
  const last = layers[layers.length - 1];
  if (last.getClassName() !== "Dense") throw new Error("the last layer must be Dense (the class scores)");
  const [kernel, bias] = last.getWeights();
  return {
    features: (x) =>
      layers.slice(0, at + 1).reduce((t: Tensor, l) => l.apply(t, { training: false }) as Tensor, x) as Tensor4D,
    logits: (a) => {
      const h = layers
        .slice(at + 1, -1)
        .reduce((t: Tensor, l) => l.apply(t, { training: false }) as Tensor, a) as Tensor2D;
      const z = tf.matMul(h, kernel as Tensor2D);
      return (bias ? tf.add(z, bias) : z) as Tensor2D;
    },
  };
}

/**
 * Grad-CAM (Selvaraju et al. 2017): the class score's gradient with respect to the feature layer's activations A
 * (conv3), averaged over each channel's positions (α_k), the weighted sum Σ_k α_k A_k, ReLU, then upsampled
 * bilinearly (half-pixel centres) to the input's size. The class score is the pre-softmax logit, as in the paper.
 *
 * @see notebooks/08-explain.ipynb
 */
export function gradCam(
  model: LayersModel,
  x: Tensor4D,
  classes: number[],
  opts: { featureLayer?: string; batch?: number } = {},
): Float32Array[] {
  const { features, logits } = splitModel(model, opts.featureLayer);
  const [, h, w] = x.shape;
  return chunked(x.shape[0], opts.batch ?? 32, (s, e) =>
    tf.tidy(() => {
      const xs = x.slice([s, 0, 0, 0], [e - s, -1, -1, -1]);
      const a = features(xs);
      const k = logits(a).shape[1];
      const mask = oneHotRows(classes.slice(s, e), k);
      const dA = tf.grad((act: Tensor) => tf.sum(tf.mul(logits(act as Tensor4D), mask)))(a);
      const alpha = tf.mean(dA, [1, 2], true); // [n, 1, 1, K]
      const cam = tf.relu(tf.sum(tf.mul(a, alpha), 3, true)); // [n, fh, fw, 1]
      const up = tf.image.resizeBilinear(cam as Tensor4D, [h, w], false, true);
      return rows3(tf.squeeze(up, [3]));
    }),
  );
}

/** The probabilities of a batch in inference mode, in chunks. */
export function probabilities(model: LayersModel, x: Tensor4D, batch = 64): number[][] {
  return chunked(x.shape[0], batch, (s, e) =>
    tf.tidy(() =>
      (model.apply(x.slice([s, 0, 0, 0], [e - s, -1, -1, -1]), { training: false }) as Tensor2D).arraySync(),
    ),
  );
}

/** What fills an occluded patch: a grey level, or an image of the input's shape (the mean face). */
export type Fill = number | Float32Array;

/**
 * Occlusion sensitivity (Zeiler & Fergus 2014): slide a `patch` × `patch` square with `stride` over each image (the
 * last position touches the far edge), fill it (the mean face by default in notebook 08, or a grey level), and
 * record the drop of p(class); a pixel's value is the mean drop over the patches that cover it. Positive: hiding it
 * hurts the class.
 */
export function occlusion(
  model: LayersModel,
  x: Tensor4D,
  classes: number[],
  opts: { patch?: number; stride?: number; fill?: Fill; batch?: number } = {},
): Float32Array[] {
  const patch = opts.patch ?? 8;
  const stride = opts.stride ?? 4;
  const fill = opts.fill ?? 0.5;
  const [n, h, w, c] = x.shape;
  const per = h * w * c;
  const starts = (size: number) => {
    const out: number[] = [];
    for (let p = 0; p + patch <= size; p += stride) out.push(p);
    if (out[out.length - 1] !== size - patch) out.push(size - patch);
    return out;
  };
  const ys = starts(h);
  const xs = starts(w);
  const data = x.dataSync() as Float32Array;
  const base = probabilities(model, x);
  const maps: Float32Array[] = [];
  for (let i = 0; i < n; i++) {
    const copies = new Float32Array(ys.length * xs.length * per);
    let k = 0;
    for (const y0 of ys) {
      for (const x0 of xs) {
        const o = k * per;
        copies.set(data.subarray(i * per, (i + 1) * per), o);
        for (let y = y0; y < y0 + patch; y++) {
          for (let xx = x0; xx < x0 + patch; xx++) {
            for (let ch = 0; ch < c; ch++) {
              const p = (y * w + xx) * c + ch;
              copies[o + p] = typeof fill === "number" ? fill : fill[p];
            }
          }
        }
        k++;
      }
    }
    const t = tf.tensor4d(copies, [k, h, w, c]);
    const p = probabilities(model, t, opts.batch ?? 128);
    t.dispose();
    const sum = new Float32Array(h * w);
    const count = new Float32Array(h * w);
    k = 0;
    for (const y0 of ys) {
      for (const x0 of xs) {
        const drop = base[i][classes[i]] - p[k][classes[i]];
        for (let y = y0; y < y0 + patch; y++)
          for (let xx = x0; xx < x0 + patch; xx++) {
            sum[y * w + xx] += drop;
            count[y * w + xx] += 1;
          }
        k++;
      }
    }
    maps.push(sum.map((v, q) => (count[q] ? v / count[q] : 0)));
  }
  return maps;
}

/** The mean image of a batch ([h, w, c] values): the mean face, the default occlusion fill. */
export function meanImage(x: Tensor4D): Float32Array {
  return tf.tidy(() => tf.mean(x, 0).dataSync() as Float32Array);
}

// ---------------------------------------------------------------------------------------------------------------
// Facial regions, derived from the data
// ---------------------------------------------------------------------------------------------------------------

/** A facial region: a mask over the side × side frame, and the rule that made it. */
export interface Region {
  name: string;
  /** 1 where the region is, row-major side × side. */
  mask: Uint8Array;
  /** Its bounding box (inclusive) for drawing. */
  box: { top: number; bottom: number; left: number; right: number };
}

/** How the regions were derived: the profiles of the mean face and the rows and columns read off them. */
export interface RegionEvidence {
  side: number;
  /** Mean brightness of each row over the central band of columns (the face's middle). */
  rowProfile: number[];
  /** Mean brightness of each column over the eye band. */
  columnProfile: number[];
  eyeRow: number;
  noseRow: number;
  mouthRow: number;
  /** The face's left and right edges and its vertical midline (the bright nose bridge). */
  faceLeft: number;
  faceRight: number;
  midline: number;
}

const argmin = (xs: number[], from: number, to: number) => {
  let best = from;
  for (let i = from; i <= to; i++) if (xs[i] < xs[best]) best = i;
  return best;
};

/**
 * Facial regions of the roughly aligned CK+48 crops, derived from the mean face (a grey image, side × side) by rules
 * stated here and tested on the real data:
 * - the **row profile** (mean brightness of each row over the central half of the columns) has its darkest row in
 *   the upper half at the eyes, and its darkest row in the lower fifth-to-tenth at the mouth; the darkest row between
 *   them (the nostrils) ends the nose;
 * - the **column profile** over the eye band is bright at the nose bridge (the midline) and falls to dark background
 *   at the face's edges (where it drops below the mean of its range);
 * - brows + eyes: rows eye − 7 … eye + 3 across the face; nose: rows eye + 4 … nose + 1, midline ± 6 columns; mouth:
 *   rows nose + 2 … mouth + 5, midline ± 10 columns; cheeks/jaw: rows eye + 4 … bottom across the face, outside nose
 *   and mouth; the rest: everything else (forehead, hair, background).
 *
 * @see notebooks/08-explain.ipynb
 */
export function deriveRegions(
  meanFace: Float32Array | number[],
  side: number,
): { regions: Region[]; evidence: RegionEvidence } {
  const at = (y: number, x: number) => meanFace[y * side + x];
  const c0 = Math.floor(side * 0.25);
  const c1 = Math.ceil(side * 0.75);
  const rowProfile = Array.from({ length: side }, (_, y) => {
    let s = 0;
    for (let x = c0; x < c1; x++) s += at(y, x);
    return s / (c1 - c0);
  });
  const eyeRow = argmin(rowProfile, Math.floor(side * 0.15), Math.floor(side * 0.55));
  const mouthRow = argmin(rowProfile, Math.floor(side * 0.68), Math.floor(side * 0.9));
  const noseRow = argmin(rowProfile, eyeRow + 6, mouthRow - 4);
  const columnProfile = Array.from({ length: side }, (_, x) => {
    let s = 0;
    for (let y = eyeRow - 7; y <= eyeRow + 2; y++) s += at(y, x);
    return s / 10;
  });
  const lo = Math.min(...columnProfile);
  const hi = Math.max(...columnProfile);
  const cut = (lo + hi) / 2;
  const faceLeft = columnProfile.findIndex((v) => v >= cut);
  const faceRight = side - 1 - [...columnProfile].reverse().findIndex((v) => v >= cut);
  let midline = faceLeft;
  for (let x = faceLeft; x <= faceRight; x++) if (columnProfile[x] > columnProfile[midline]) midline = x;
  const clamp = (v: number) => Math.max(0, Math.min(side - 1, v));
  const box = (top: number, bottom: number, left: number, right: number) => ({
    top: clamp(top),
    bottom: clamp(bottom),
    left: clamp(left),
    right: clamp(right),
  });
  const boxes = {
    "brows+eyes": box(eyeRow - 7, eyeRow + 3, faceLeft, faceRight),
    nose: box(eyeRow + 4, noseRow + 1, midline - 6, midline + 6),
    mouth: box(noseRow + 2, mouthRow + 5, midline - 10, midline + 10),
    "cheeks/jaw": box(eyeRow + 4, side - 1, faceLeft, faceRight),
  };
  const taken = new Uint8Array(side * side);
  const regions: Region[] = [];
  for (const [name, b] of Object.entries(boxes)) {
    const mask = new Uint8Array(side * side);
    for (let y = b.top; y <= b.bottom; y++)
      for (let x = b.left; x <= b.right; x++) {
        const p = y * side + x;
        if (!taken[p]) {
          mask[p] = 1;
          taken[p] = 1;
        }
      }
    regions.push({ name, mask, box: b });
  }
  // cheeks/jaw was given last among the face parts, so it is what the nose and mouth boxes leave of its box
  const rest = new Uint8Array(side * side).map((_, p) => (taken[p] ? 0 : 1));
  regions.push({ name: "rest", mask: rest, box: box(0, side - 1, 0, side - 1) });
  return {
    regions,
    evidence: { side, rowProfile, columnProfile, eyeRow, noseRow, mouthRow, faceLeft, faceRight, midline },
  };
}

/** One row of the region table: a class, a region, accuracy intact and occluded, and the mean drop of p(true). */
export interface RegionEffect {
  class: number;
  region: string;
  images: number;
  intact: number;
  occluded: number;
  /** occluded − intact accuracy (negative: the region matters). */
  delta: number;
  /** Mean drop of p(true class) when the region is filled. */
  probDrop: number;
}

/**
 * The contribution of each facial region: for every region, the test images with that region filled (with the mean
 * face by default), and per class the accuracy with it occluded minus the intact accuracy, and the mean drop of
 * p(true class).
 */
export function regionOcclusion(
  model: LayersModel,
  x: Tensor4D,
  labels: number[],
  regions: Region[],
  fill: Fill,
  classes = 7,
): RegionEffect[] {
  const [n, h, w, c] = x.shape;
  const per = h * w * c;
  const data = x.dataSync() as Float32Array;
  const intact = probabilities(model, x);
  const out: RegionEffect[] = [];
  for (const r of regions) {
    const copy = data.slice();
    for (let i = 0; i < n; i++) {
      for (let p = 0; p < h * w; p++) {
        if (!r.mask[p]) continue;
        for (let ch = 0; ch < c; ch++) copy[i * per + p * c + ch] = typeof fill === "number" ? fill : fill[p * c + ch];
      }
    }
    const t = tf.tensor4d(copy, [n, h, w, c]);
    const occ = probabilities(model, t);
    t.dispose();
    for (let k = 0; k < classes; k++) {
      const idx = labels.map((l, i) => (l === k ? i : -1)).filter((i) => i >= 0);
      if (!idx.length) continue;
      const acc = (p: number[][]) => idx.filter((i) => p[i].indexOf(Math.max(...p[i])) === k).length / idx.length;
      const a0 = acc(intact);
      const a1 = acc(occ);
      out.push({
        class: k,
        region: r.name,
        images: idx.length,
        intact: a0,
        occluded: a1,
        delta: a1 - a0,
        probDrop: idx.reduce((s, i) => s + intact[i][k] - occ[i][k], 0) / idx.length,
      });
    }
  }
  return out;
}

/**
 * The sanity check of Adebayo et al. (2018): the mean, over images, of the Spearman rank correlation between the maps
 * of the trained model and those of the same architecture with fresh random weights. Near 1: the method shows the
 * input's edges, not what the model learned.
 */
export function mapCorrelation(a: Float32Array[], b: Float32Array[]): number {
  if (a.length !== b.length) throw new Error(`mapCorrelation: ${a.length} vs ${b.length} maps`);
  const rs = a.map((m, i) => spearman(Array.from(m), Array.from(b[i]))).filter(Number.isFinite);
  return rs.reduce((s, r) => s + r, 0) / rs.length;
}

/** The mean map of the images of each class that `keep` selects (e.g. correctly classified), by class index. */
export function classAverageMaps(
  maps: Float32Array[],
  labels: number[],
  keep: boolean[],
  classes = 7,
): (Float32Array | null)[] {
  return Array.from({ length: classes }, (_, k) => {
    const idx = labels.map((l, i) => (l === k && keep[i] ? i : -1)).filter((i) => i >= 0);
    if (!idx.length) return null;
    const m = new Float32Array(maps[0].length);
    for (const i of idx) maps[i].forEach((v, p) => (m[p] += v / idx.length));
    return m;
  });
}

/** A perceptual colour map (viridis' end points and three stops between), value in [0, 1] → RGB in [0, 1]. */
export function colormap(v: number): [number, number, number] {
  const stops: [number, number, number][] = [
    [0.267, 0.005, 0.329],
    [0.231, 0.322, 0.545],
    [0.128, 0.567, 0.551],
    [0.369, 0.789, 0.383],
    [0.993, 0.906, 0.144],
  ];
  const t = Math.min(1, Math.max(0, v)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(t));
  const f = t - i;
  return [0, 1, 2].map((c) => stops[i][c] + f * (stops[i + 1][c] - stops[i][c])) as [number, number, number];
}

/**
 * A map over a face, as a picture: the face in grey, the map (stretched to its own range, or to `range`) in colour
 * with opacity `alpha` × the map's value, so weak parts of the map leave the face visible.
 */
export function overlay(
  face: ArrayLike<number>,
  map: Float32Array,
  side: number,
  opts: { alpha?: number; range?: [number, number] } = {},
): Picture {
  const alpha = opts.alpha ?? 0.6;
  let lo = opts.range?.[0] ?? Infinity;
  let hi = opts.range?.[1] ?? -Infinity;
  if (!opts.range)
    for (const v of map) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  const channels = face.length / (side * side);
  const out = new Float32Array(side * side * 3);
  for (let p = 0; p < side * side; p++) {
    const g = face[p * channels];
    const v = hi > lo ? (map[p] - lo) / (hi - lo) : 0;
    const [r, gg, b] = colormap(v);
    const a = alpha * v;
    out[p * 3] = (1 - a) * g + a * r;
    out[p * 3 + 1] = (1 - a) * g + a * gg;
    out[p * 3 + 2] = (1 - a) * g + a * b;
  }
  return { data: out, width: side, height: side, channels: 3 };
}

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

/**
 * What the Facial Action Coding System predicts for each emotion (Ekman & Friesen 1978; the CK+ emotion criteria of
 * Lucey et al. 2010): the action units and the regions they move. Notebook 08 compares it with the occlusion table.
 */
export const FACS: Record<string, { units: string; regions: string[] }> = {
  anger: {
    units: "AU4 brow lowerer, AU5/7 lid raiser/tightener, AU23/24 lip tightener/pressor",
    regions: ["brows+eyes", "mouth"],
  },
  contempt: { units: "AU14 dimpler, on one side", regions: ["mouth", "cheeks/jaw"] },
  disgust: { units: "AU9 nose wrinkler, AU10 upper lip raiser", regions: ["nose", "mouth"] },
  fear: {
    units: "AU1+2+4 brows raised and drawn together, AU5 lid raiser, AU20 lip stretcher, AU26 jaw drop",
    regions: ["brows+eyes", "mouth"],
  },
  happy: { units: "AU6 cheek raiser, AU12 lip corner puller", regions: ["mouth", "cheeks/jaw"] },
  sadness: {
    units: "AU1+4 inner brow raiser and lowerer, AU15 lip corner depressor",
    regions: ["brows+eyes", "mouth"],
  },
  surprise: {
    units: "AU1+2 brow raisers, AU5 lid raiser, AU26/27 jaw drop / mouth stretch",
    regions: ["brows+eyes", "mouth"],
  },
};

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
