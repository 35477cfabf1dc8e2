/**
 * What the network looks at (notebook 08): the paper's introduction promises "a visualization of the model's
 * decision-making process", and shows none. Four standard attribution methods, one function each, all batched and in
 * inference mode (dropout off, so a map is deterministic), and the sanity check that tells them apart. Browser-safe:
 * TensorFlow.js only (the demo's page runs {@link gradCam} and {@link probabilities}).
 *
 * Every map is a Float32Array of side × side values (row-major), the input's size. Tested on toy models whose answer
 * is known (test/explain.test.ts): a model that reads one region gives maps that peak there, and Grad-CAM of a model
 * with a linear head equals its closed form.
 */
import { tf, type Tensor, type Tensor2D, type Tensor4D, type LayersModel } from "../tf";
import { Rng } from "../random";
import { spearman } from "../stats";

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

/** What {@link saliency} differentiates: the softmax probability p_k (the default), or the class score S_k before it. */
export type SaliencyTarget = "probability" | "score";

/**
 * Input-gradient saliency (Simonyan, Vedaldi & Zisserman 2014, "Deep inside convolutional networks"): for each image,
 * |∂t/∂x| at every pixel, the maximum over the colour channels. `classes[i]` is the class explained for image i (its
 * true or its predicted class).
 *
 * What t is: Simonyan et al. differentiate the class score S_k, the output before the softmax; by default this
 * differentiates the probability p_k = softmax(S)_k instead, and data/runs/explain/regions.json's sanity check was
 * made that way. The two differ: ∂p_k/∂x = p_k (∂S_k/∂x − Σ_j p_j ∂S_j/∂x), so p_k's gradient shrinks as p_k nears 1
 * and mixes in the other classes' scores. `target: "score"` gives Simonyan et al.'s (notebook 08 shows both).
 *
 * @see notebooks/08-explain.ipynb
 */
export function saliency(
  model: LayersModel,
  x: Tensor4D,
  classes: number[],
  opts: { target?: SaliencyTarget; batch?: number } = {},
): Float32Array[] {
  const k = (model.outputs[0].shape[1] ?? 0) as number;
  const out = (inp: Tensor4D) =>
    opts.target === "score" ? classScores(model, inp) : (model.apply(inp, { training: false }) as Tensor2D);
  return chunked(x.shape[0], opts.batch ?? 32, (s, e) =>
    tf.tidy(() => {
      const xs = x.slice([s, 0, 0, 0], [e - s, -1, -1, -1]);
      const mask = oneHotRows(classes.slice(s, e), k);
      const g = tf.grad((inp: Tensor) => tf.sum(tf.mul(out(inp as Tensor4D), mask)))(xs);
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
 * Each copy costs one saliency pass: n copies cost n times as much.
 */
export function smoothGrad(
  model: LayersModel,
  x: Tensor4D,
  classes: number[],
  opts: { samples?: number; sigma?: number; seed?: number; target?: SaliencyTarget } = {},
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
    const maps = saliency(model, t, classes, { target: opts.target });
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

/** The last Dense layer's pre-activation on `h`: h·W + b, the class scores before the softmax. */
function headScores(model: LayersModel, h: Tensor2D): Tensor2D {
  const last = model.layers[model.layers.length - 1];
  if (last.getClassName() !== "Dense") throw new Error("the last layer must be Dense (the class scores)");
  const [kernel, bias] = last.getWeights();
  const z = tf.matMul(h, kernel as Tensor2D);
  return (bias ? tf.add(z, bias) : z) as Tensor2D;
}

/** Apply layers `from` … `to` − 1 of a model in inference mode (dropout off). */
function applyLayers(model: LayersModel, from: number, to: number, x: Tensor): Tensor {
  return model.layers.slice(from, to).reduce((t: Tensor, l) => l.apply(t, { training: false }) as Tensor, x);
}

/**
 * The class scores S (the logits: the last Dense layer before its softmax) of a batch, in inference mode; softmax(S)
 * is the model's output. What Simonyan et al. and Grad-CAM differentiate.
 */
export function classScores(model: LayersModel, x: Tensor4D): Tensor2D {
  return headScores(model, applyLayers(model, 0, model.layers.length - 1, x) as Tensor2D);
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
  const n = model.layers.length;
  if (model.layers[n - 1].getClassName() !== "Dense")
    throw new Error("the last layer must be Dense (the class scores)");
  return {
    features: (x) => applyLayers(model, 0, at + 1, x) as Tensor4D,
    logits: (a) => headScores(model, applyLayers(model, at + 1, n - 1, a) as Tensor2D),
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
 * Where {@link occlusion}'s patches start along a side of `size` pixels: every `stride`, and the last one flush with
 * the far edge. A map costs (starts along the height) × (starts along the width) forward passes per image.
 */
export function patchStarts(size: number, patch: number, stride: number): number[] {
  const out: number[] = [];
  for (let p = 0; p + patch <= size; p += stride) out.push(p);
  if (out[out.length - 1] !== size - patch) out.push(size - patch);
  return out;
}

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
  const ys = patchStarts(h, patch, stride);
  const xs = patchStarts(w, patch, stride);
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
