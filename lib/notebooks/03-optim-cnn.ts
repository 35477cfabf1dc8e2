/**
 * Notebook 03-optim's worked examples on the real CNN (notebooks/03-optim.ipynb, Sections 2.2.2–2.2.3): softmax by hand
 * on the network's own logits beside `model.predict`, and one real RMSprop step of the CNN on a batch (Eq. 3–4 by hand
 * beside the optimiser training uses and tfjs' own), with the optimiser's settings. The notebook's plain-number worked
 * examples, exercises and summary are lib/notebooks/03-optim.ts.
 */
import * as path from "path";
import { tf, type LayersModel, type Tensor, type Tensor2D, type Tensor4D } from "../tf";
import type { Optimizer, Scalar, Variable } from "@tensorflow/tfjs";
import { CLASSES, NUM_CLASSES, PAPER } from "../config";
import { createOptimizer, oneHot, rmspropInit, rmspropStep, softmax, type RmspropSettings } from "../optim";
import { featureMaps } from "../model";
import { maxDifference } from "../arrays";
import { Rng } from "../random";
import { decodeImage } from "../data/decode";
import { listImages } from "../data/files";
import type { RunRecord } from "../record";
import type { DataStatus } from "../runs";
import { demoPattern } from "../display/pictures";
import { markdownTable } from "../display/text";

/** Softmax by hand on a model's real logits (z = h·W + b of the output layer, float64) beside `model.predict`. */
export interface SoftmaxWorked {
  /** What the image is; the probabilities the run record stored for it (when it is the record's first test image). */
  image: string;
  logits: number[];
  byHand: number[];
  predict: number[];
  stored?: number[];
}

/** {@link SoftmaxWorked} on the run's first test image, or the synthetic pattern without CK+48 (or a run). */
export async function softmaxByHand(model: LayersModel, data: DataStatus, run?: RunRecord): Promise<SoftmaxWorked> {
  const first = data.present ? run?.test.predictions[0] : undefined;
  const pixels = first ? await decodeImage(path.join(data.dir, first.file)) : demoPattern();
  const x = tf.tensor4d(pixels, [1, PAPER.imageSize, PAPER.imageSize, PAPER.channels]);
  const [h] = featureMaps(model, x, ["dropout"]); // dense1's 128 values (inference mode: dropout passes them through)
  const [w, b] = model
    .getLayer("output")
    .getWeights()
    .map((t) => t.dataSync());
  const logits = Array.from(b, (bc, c) => h.data.reduce((z, hj, j) => z + hj * w[j * b.length + c], bc));
  const predict = tf.tidy(() => Array.from((model.predict(x) as Tensor).dataSync()));
  x.dispose();
  const image = first ? `\`${first.file}\`, the run's first test image` : "the synthetic pattern (CK+48 absent)";
  return { image, logits, byHand: softmax(logits), predict, stored: first?.probs };
}

/** {@link SoftmaxWorked} as Markdown, with the largest differences. */
export function softmaxMarkdown(s: SoftmaxWorked): string {
  const m = Math.max(...s.logits);
  const diff = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));
  return [
    `Image: ${s.image}.`,
    "",
    markdownTable(
      [
        "class",
        "logit z_c",
        "z_c − max z",
        "e^(z_c − max z)",
        "p_c by hand",
        "p_c model.predict",
        ...(s.stored ? ["p_c in run.json"] : []),
      ],
      CLASSES.map((c, i) => [
        c,
        s.logits[i].toFixed(4),
        (s.logits[i] - m).toFixed(4),
        Math.exp(s.logits[i] - m).toFixed(6),
        s.byHand[i].toFixed(6),
        s.predict[i].toFixed(6),
        ...(s.stored ? [s.stored[i].toFixed(6)] : []),
      ]),
      ["l", "r", "r", "r", "r", "r", "r"],
    ),
    "",
    `Σ e^(z_c − max z) = ${s.logits.reduce((a, z) => a + Math.exp(z - m), 0).toFixed(6)}; the probabilities sum to ` +
      `${s.byHand.reduce((a, b) => a + b, 0).toFixed(6)}. Largest difference, by hand vs \`model.predict\`: ` +
      `**${diff(s.byHand, s.predict).toExponential(2)}**` +
      (s.stored
        ? `; \`model.predict\` vs the probabilities stored when the run was made: **${diff(s.predict, s.stored).toExponential(2)}**.`
        : "."),
  ].join("\n");
}

/** A batch of `size` CK+48 images drawn with `seed` (the synthetic pattern with labels 0, 1, … when it is absent). */
export async function stepBatch(
  data: DataStatus,
  seed = 0,
  size = PAPER.batchSize,
): Promise<{ x: Tensor4D; y: Tensor2D; files: string[] }> {
  const files = data.present ? new Rng(seed).shuffle(listImages(data.dir)).slice(0, size) : [];
  const labels = data.present
    ? files.map((f) => CLASSES.indexOf(f.split("/")[0] as never))
    : Array.from({ length: size }, (_, i) => i % NUM_CLASSES);
  const images = data.present
    ? await Promise.all(files.map((f) => decodeImage(path.join(data.dir, f))))
    : labels.map(() => demoPattern());
  const flat = new Float32Array(images.length * images[0].length);
  images.forEach((im, i) => flat.set(im, i * im.length));
  const x = tf.tensor4d(flat, [size, PAPER.imageSize, PAPER.imageSize, PAPER.channels]);
  return { x, y: tf.tensor2d(labels.map((l) => oneHot(l, NUM_CLASSES))), files };
}

/** The outcome of {@link cnnStep}: every weight tensor's values before, by hand, and after both optimisers. */
export interface CnnStep {
  /** The training optimiser's class; the batch's loss in training mode, and in inference mode before and after. */
  optimizer: string;
  lossTraining: number;
  lossBefore: number;
  lossAfter: number;
  names: string[];
  grads: Float64Array[];
  before: Float32Array[];
  byHand: Float64Array[];
  trained: Float32Array[];
  stock: Float32Array[];
}

/**
 * One real RMSprop step of `model` on the batch (`x`, `y`): the gradients g = ∂L/∂θ of the loss (Eq. 2, in training
 * mode as `model.fit` runs it: dropout on), then Eq. 3–4 by hand (lib/optim.ts rmspropStep, E[g²]₀ = 0) beside the
 * optimiser training uses (`createOptimizer`) and tfjs' own RMSprop, each from the same weights and on the same
 * gradients. Leaves the model at the training optimiser's weights.
 *
 * @see notebooks/03-optim.ipynb
 */
export function cnnStep(model: LayersModel, x: Tensor4D, y: Tensor2D, settings: RmspropSettings): CnnStep {
  const vars = model.trainableWeights.map((w) => w.read() as Variable);
  const before = vars.map((v) => v.dataSync().slice() as Float32Array);
  const inferenceLoss = () =>
    tf.tidy(
      () =>
        tf.metrics
          .categoricalCrossentropy(y, model.predict(x) as Tensor)
          .mean()
          .dataSync()[0],
    );
  const lossBefore = inferenceLoss();
  // Forward pass and Eq. 2 in training mode, then back-propagation: g = ∂L/∂θ for every weight tensor at once
  const loss = () =>
    tf.metrics.categoricalCrossentropy(y, model.apply(x, { training: true }) as Tensor).mean() as Scalar;
  const { value, grads } = tf.variableGrads(loss, vars);
  const g = vars.map((v) => Float64Array.from(grads[v.name].dataSync()));
  // Eq. 3–4 by hand, in float64, for every parameter
  const byHand = before.map((theta, i) => rmspropStep(theta, g[i], rmspropInit(theta.length), settings).theta);
  // An optimiser on the same gradients, from the same weights
  const apply = (opt: Optimizer) => {
    tf.tidy(() => vars.forEach((v, i) => v.assign(tf.tensor(before[i], v.shape))));
    opt.applyGradients(grads);
    opt.dispose();
    return vars.map((v) => v.dataSync().slice() as Float32Array);
  };
  const training = createOptimizer({ learningRate: settings.lr, rho: settings.rho, epsilon: settings.epsilon });
  const optimizer = training.constructor.name; // on cpu-fast the fused kernel of lib/kernels/rmsprop.ts
  const stock = apply(tf.train.rmsprop(settings.lr, settings.rho, 0, settings.epsilon)); // tfjs' own
  const trained = apply(training); // last, so the model keeps these weights
  const names = model.trainableWeights.map((w) => w.name);
  const out = { optimizer, lossTraining: value.dataSync()[0], lossBefore, lossAfter: inferenceLoss(), names, grads: g };
  tf.dispose([value, ...Object.values(grads)]);
  return { ...out, before, byHand, trained, stock };
}

/** {@link CnnStep} as Markdown: per weight tensor, its gradients and steps; then the comparisons. */
export function cnnStepMarkdown(s: CnnStep, settings: RmspropSettings): string {
  const first = settings.lr / Math.sqrt(1 - settings.rho);
  const n = (v: number) => v.toLocaleString("en-US");
  let [params, zero, full] = [0, 0, 0];
  const rows = s.names.map((name, i) => {
    let [z, maxGrad, maxStep] = [0, 0, 0];
    s.grads[i].forEach((gj, j) => {
      const step = Math.abs(s.before[i][j] - s.byHand[i][j]);
      [z, maxGrad, maxStep] = [z + (gj === 0 ? 1 : 0), Math.max(maxGrad, Math.abs(gj)), Math.max(maxStep, step)];
      full += Math.abs(step - first) < 0.01 * first ? 1 : 0;
    });
    [params, zero] = [params + s.grads[i].length, zero + z];
    return [name, n(s.grads[i].length), n(z), maxGrad.toExponential(2), maxStep.toExponential(3)];
  });
  const stock = maxDifference(s.trained, s.stock);
  return [
    markdownTable(["weight tensor", "parameters", "g = 0 exactly", "largest abs(g)", "largest abs(Δθ)"], rows, [
      "l",
      "r",
      "r",
      "r",
      "r",
    ]),
    "",
    `- Loss of the batch (Eq. 2): ${s.lossTraining.toFixed(4)} in training mode (dropout on: the one differentiated); ` +
      `in inference mode ${s.lossBefore.toFixed(4)} before the step and ${s.lossAfter.toFixed(4)} after it.`,
    `- The step: E[g²]₀ = 0, so each parameter moves by η·abs(g)/√((1 − β)g² + ε), close to η/√(1 − β) = ` +
      `${first.toExponential(3)} unless abs(g) is tiny: ${n(full)} of the ${n(params)} parameters move within 1 % of it; ` +
      `${n(zero)} have a gradient of exactly 0 and do not move.`,
    `- Eq. 3–4 by hand (float64) vs the optimiser training uses (\`${s.optimizer}\`): largest difference of θ ` +
      `**${maxDifference(s.byHand, s.trained).toExponential(2)}** (float32 rounding).`,
    `- \`${s.optimizer}\` vs tfjs' own \`RMSPropOptimizer\` on the same gradients: largest difference ` +
      `**${stock === 0 ? "0 (bit-identical)" : stock.toExponential(2)}**.`,
  ].join("\n");
}

/** The optimiser `createOptimizer` built, as a table of its tfjs settings beside the paper's symbols. */
export function optimizerMarkdown(opt: Optimizer, backend = tf.getBackend()): string {
  const c = opt.getConfig() as Record<string, unknown>;
  const symbol: Record<string, string> = {
    learningRate: "η (Eq. 4)",
    decay: "β (Eq. 3)",
    momentum: "none: Eq. 3–4 have no momentum",
    epsilon: "ε (Eq. 4)",
    centered: "none: plain, not centred, RMSprop",
  };
  return [
    `\`createOptimizer()\` on the ${backend} backend: an instance of \`${opt.constructor.name}\`` +
      (opt.constructor.name === "RMSPropOptimizer"
        ? " (tfjs' own)."
        : `, a subclass of tfjs' \`RMSPropOptimizer\` (lib/kernels/rmsprop.ts).`),
    "",
    markdownTable(
      ["tfjs setting", "value", "the paper"],
      Object.keys(symbol).map((k) => [`\`${k}\``, String(c[k]), symbol[k]]),
      ["l", "r", "l"],
    ),
  ].join("\n");
}
