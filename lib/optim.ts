/**
 * Sections 2.2.2 and 2.2.3 of the paper, written plainly: the loss (Eq. 1–2, categorical cross-entropy) and the optimiser
 * (Eq. 3–4, RMSprop), as small functions over ordinary number arrays, so that a reader can check every line
 * against the paper and the tests can check every line against TensorFlow.js.
 *
 * Training itself does not use these loops: it uses tfjs' own loss and RMSprop, built by {@link createOptimizer}
 * (`tf.train.rmsprop`, or on cpu-fast the same arithmetic fused into one pass, lib/kernels/rmsprop.ts). The tests (test/optim.test.ts) prove that the plain versions here and the tfjs ones
 * compute the same numbers, which is what makes the plain versions a faithful description of what training does.
 *
 * Two details the paper's equations leave open, and which this file pins down:
 *
 * 1. **Clipping in the loss.** log(0) = −∞, so Keras and tfjs-layers clip every predicted probability to
 *    [ε, 1 − ε] with ε = 1e-7 (Keras' `backend.epsilon()`; tfjs' cpu/float32 backend epsilon) before taking the
 *    logarithm, after first rescaling each row to sum to 1
 *    (node_modules/@tensorflow/tfjs-layers/dist/losses.js, `categoricalCrossentropy`: `div(output, sum(output))`
 *    then `clipByValue(output, epsilon(), 1 - epsilon())`). {@link sampleCrossEntropy} does exactly that. For a
 *    softmax output both steps change nothing unless a probability is below 1e-7 (loss capped at −log 1e-7 ≈ 16.12).
 *
 * 2. **Where ε sits in RMSprop.** The paper's Eq. 4 divides by sqrt(E[g²]_t + ε): ε *inside* the square root.
 *    tfjs 4.22 does the same: node_modules/@tensorflow/tfjs-core/dist/optimizers/rmsprop_optimizer.js, line 103
 *    (the non-centred branch) computes `div(mul(gradient, learningRate), sqrt(add(newAccumulatedMeanSquare, epsilon)))`.
 *    tf.keras in TF2 (optimizer_v2/rmsprop.py, `_resource_apply_dense`, the momentum = 0 branch the paper uses) and
 *    standalone Keras 2 instead compute `lr * g / (sqrt(v) + epsilon)`: ε *outside* the root. With ε = 1e-7 the two
 *    agree while E[g²] ≫ ε and part ways once E[g²] falls to about ε or below (gradients ≲ 3e-4): there the inside
 *    form damps the step towards η·g/sqrt(ε) while the outside form keeps it near η·g/sqrt(E[g²]), i.e. near η per
 *    coordinate. Small gradients are common in a CNN, so the placement matters for reproducing Keras exactly. {@link rmspropStep} implements both (`epsilonPlacement`); the default is
 *    "inside", i.e. the paper and tfjs, and the test suite shows the two placements give different numbers.
 */
import * as path from "path";
import { tf } from "./tf";
import { fusedRmspropClass } from "./kernels/rmsprop";
import { PAPER, type ProtocolConfig } from "./config";
import type { Optimizer } from "@tensorflow/tfjs";

/**
 * The backend that gets the fused RMSprop: the project's own (bit-identical to tfjs' there, as on the stock cpu
 * backend, which keeps tfjs' optimizer so that it stays all stock: the bench's baseline).
 */
const FUSED_BACKENDS = ["cpu-fast"];

let fused: ReturnType<typeof fusedRmspropClass> | undefined;

/** The fused RMSprop class for the loaded tfjs (made once). */
function fusedRmsprop(): ReturnType<typeof fusedRmspropClass> {
  return (fused ??= fusedRmspropClass(tf));
}

/** The fused RMSprop optimiser (lib/kernels/rmsprop.ts), which `trainStep` hands its gradients as arrays. */
export type FusedRMSProp = InstanceType<ReturnType<typeof fusedRmspropClass>>;

/**
 * The installed tfjs RMSprop source, shown beside {@link rmspropStep} in notebook 03: the code training runs on the
 * stock backends, and the arithmetic lib/kernels/rmsprop.ts fuses, bit for bit, on cpu-fast.
 */
export const TFJS_RMSPROP_FILE = path.join(
  path.dirname(require.resolve("@tensorflow/tfjs-core/package.json")),
  "dist",
  "optimizers",
  "rmsprop_optimizer.js",
);

/** Keras' `backend.epsilon()` and tfjs' float32 backend epsilon: the probability clip of the loss (Eq. 1–2). */
export const KERAS_EPSILON = 1e-7;

// ---------------------------------------------------------------------------------------------------------------
// Eq. 1–2: categorical cross-entropy
// ---------------------------------------------------------------------------------------------------------------

/**
 * Eq. 1 for one sample: −Σ_c y_c · log(p_c), with p rescaled to sum to 1 and clipped to [ε, 1−ε] first, exactly as
 * Keras/tfjs-layers `categoricalCrossentropy` (see the file comment). `yTrue` is a one-hot (or any probability)
 * vector; `yPred` the model's softmax output. Pass `epsilon = 0` to get the unclipped textbook formula.
 *
 * @see notebooks/03-optim.ipynb
 */
export function sampleCrossEntropy(
  yTrue: readonly number[],
  yPred: readonly number[],
  epsilon = KERAS_EPSILON,
): number {
  if (yTrue.length !== yPred.length) throw new Error(`yTrue has ${yTrue.length} classes but yPred has ${yPred.length}`);
  let sum = 0;
  for (const p of yPred) sum += p;
  let loss = 0;
  for (let c = 0; c < yTrue.length; c++) {
    if (yTrue[c] === 0) continue; // 0 · log(anything) = 0, also for a clipped-away 0 probability when epsilon = 0
    const p = Math.min(Math.max(yPred[c] / sum, epsilon), 1 - epsilon);
    loss -= yTrue[c] * Math.log(p);
  }
  return loss;
}

/** Eq. 1 for every sample of a batch: the per-sample losses whose mean is Eq. 2. */
export function crossEntropyPerSample(
  yTrue: readonly (readonly number[])[],
  yPred: readonly (readonly number[])[],
  epsilon = KERAS_EPSILON,
): number[] {
  if (yTrue.length !== yPred.length) throw new Error(`yTrue has ${yTrue.length} samples but yPred has ${yPred.length}`);
  return yTrue.map((y, n) => sampleCrossEntropy(y, yPred[n], epsilon));
}

/**
 * Eq. 2: the mean categorical cross-entropy over N samples, L = −(1/N) Σ_n Σ_c y_nc · log(p_nc), with the Keras
 * clipping of {@link sampleCrossEntropy}. This is the number Keras/tfjs report as `loss` for a batch.
 */
export function crossEntropy(
  yTrue: readonly (readonly number[])[],
  yPred: readonly (readonly number[])[],
  epsilon = KERAS_EPSILON,
): number {
  const per = crossEntropyPerSample(yTrue, yPred, epsilon);
  if (per.length === 0) throw new Error("crossEntropy of an empty batch is undefined");
  return per.reduce((a, b) => a + b, 0) / per.length;
}

/**
 * The softmax of the output layer, p_c = e^{z_c} / Σ_j e^{z_j}: logits z (any real numbers) to probabilities that are
 * positive and sum to 1. The largest logit is subtracted first (which changes nothing, since the factor e^{−max}
 * cancels) so that no e^z overflows: the usual trick, which tfjs' softmax uses as well.
 *
 * @see notebooks/03-optim.ipynb
 */
export function softmax(z: readonly number[]): number[] {
  if (z.length === 0) throw new Error("softmax of no logits is undefined");
  const max = Math.max(...z);
  const e = z.map((v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

/** The one-hot vector y_n of Eq. 1 for class `label` out of `k`. */
export function oneHot(label: number, k: number): number[] {
  if (!Number.isInteger(label) || label < 0 || label >= k)
    throw new Error(`label ${label} is not a class index in [0, ${k})`);
  const y = new Array<number>(k).fill(0);
  y[label] = 1;
  return y;
}

// ---------------------------------------------------------------------------------------------------------------
// Eq. 3–4: RMSprop
// ---------------------------------------------------------------------------------------------------------------

/** Hyper-parameters of Eq. 3–4. */
export interface RmspropSettings {
  /** η, the learning rate of Eq. 4. */
  lr: number;
  /** β, the decay of the running mean of squared gradients in Eq. 3 (Keras' `rho`). */
  rho: number;
  /** ε of Eq. 4. */
  epsilon: number;
  /**
   * "inside": θ − η g / sqrt(E[g²] + ε), the paper's Eq. 4 and tfjs (default).
   * "outside": θ − η g / (sqrt(E[g²]) + ε), tf.keras (TF2) and Keras 2 with momentum 0.
   */
  epsilonPlacement?: "inside" | "outside";
}

/** RMSprop's only state: E[g²], one running mean per parameter, zero before the first step (as in tfjs and Keras). */
export interface RmspropState {
  meanSquare: Float64Array;
}

/** The state before the first step: E[g²]_0 = 0 for each of `n` parameters. */
export function rmspropInit(n: number): RmspropState {
  return { meanSquare: new Float64Array(n) };
}

/**
 * One RMSprop step (Eq. 3–4), pure: inputs are not modified.
 *
 *   Eq. 3: E[g²]_t = β E[g²]_{t−1} + (1 − β) g_t²
 *   Eq. 4: θ_{t+1} = θ_t − η g_t / sqrt(E[g²]_t + ε)        (ε outside the root with `epsilonPlacement: "outside"`)
 *
 * Note the order: the running mean is updated with the current gradient *before* it divides the step, so the very
 * first step is θ − η g / sqrt((1−β) g² + ε) ≈ θ − η · sign(g) / sqrt(1−β), i.e. about 3.16 η per coordinate.
 *
 * @see notebooks/03-optim.ipynb
 */
export function rmspropStep(
  theta: ArrayLike<number>,
  g: ArrayLike<number>,
  state: RmspropState,
  settings: RmspropSettings,
): { theta: Float64Array; state: RmspropState } {
  const n = theta.length;
  if (g.length !== n || state.meanSquare.length !== n) {
    throw new Error(
      `rmspropStep: theta (${n}), gradient (${g.length}) and state (${state.meanSquare.length}) differ in length`,
    );
  }
  const { lr, rho, epsilon } = settings;
  const outside = settings.epsilonPlacement === "outside";
  const nextTheta = new Float64Array(n);
  const meanSquare = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    meanSquare[i] = rho * state.meanSquare[i] + (1 - rho) * g[i] * g[i]; // Eq. 3
    const denom = outside ? Math.sqrt(meanSquare[i]) + epsilon : Math.sqrt(meanSquare[i] + epsilon);
    nextTheta[i] = theta[i] - (lr * g[i]) / denom; // Eq. 4
  }
  return { theta: nextTheta, state: { meanSquare } };
}

/**
 * The weight Eq. 3 gives the squared gradient of k steps ago in E[g²]_t, for k = 0 … `steps` − 1: unrolling
 * E[g²]_t = β E[g²]_{t−1} + (1 − β) g_t² gives E[g²]_t = Σ_k (1 − β) β^k g²_{t−k} (+ β^t E[g²]_0, which is 0), an
 * exponentially weighted moving average whose weights sum to 1 − β^t and whose "memory" is about 1/(1 − β) steps.
 */
export function movingAverageWeights(beta: number, steps: number): number[] {
  if (!(beta >= 0 && beta < 1)) throw new Error(`β must be in [0, 1) (got ${beta})`);
  return Array.from({ length: steps }, (_, k) => (1 - beta) * beta ** k);
}

/** One step of Eq. 3–4 for one parameter, every intermediate written out. */
export interface RmspropRow {
  t: number;
  g: number;
  /** E[g²]_t (Eq. 3); sqrt(E[g²]_t + ε); η g / that; θ_{t+1} (Eq. 4). */
  meanSquare: number;
  denom: number;
  step: number;
  theta: number;
}

/**
 * Eq. 3–4 on one parameter for a gradient sequence ({@link rmspropStep}), every quantity of every step: notebook 03's
 * worked example, and with {@link rmspropTfjs} the check that the plain version computes what tfjs computes.
 */
export function rmspropByHand(theta0: number, grads: number[], settings: RmspropSettings): RmspropRow[] {
  let theta: Float64Array = Float64Array.of(theta0);
  let state = rmspropInit(1);
  const rows: RmspropRow[] = [];
  grads.forEach((g, i) => {
    const r = rmspropStep(theta, [g], state, settings);
    const ms = r.state.meanSquare[0];
    const denom =
      settings.epsilonPlacement === "outside" ? Math.sqrt(ms) + settings.epsilon : Math.sqrt(ms + settings.epsilon);
    rows.push({ t: i + 1, g, meanSquare: ms, denom, step: (settings.lr * g) / denom, theta: r.theta[0] });
    theta = r.theta;
    state = r.state;
  });
  return rows;
}

/** The same gradient sequence through tfjs' own `tf.train.rmsprop`: θ after each step. */
export function rmspropTfjs(theta0: number, grads: number[], settings: RmspropSettings): number[] {
  const opt = tf.train.rmsprop(settings.lr, settings.rho, 0, settings.epsilon);
  const init = tf.tensor1d([theta0]);
  const v = tf.variable(init, true, `notebook_rmsprop_${Date.now()}_${Math.floor(Math.random() * 1e9)}`);
  init.dispose();
  const out: number[] = [];
  for (const g of grads) {
    tf.tidy(() => opt.applyGradients({ [v.name]: tf.tensor1d([g]) }));
    out.push(v.dataSync()[0]);
  }
  v.dispose();
  opt.dispose();
  return out;
}

/**
 * Plain (stochastic) gradient descent, θ_{t+1} = θ_t − η g_t: the baseline RMSprop improves on (Section 2.2.3).
 * Pure: returns a new array.
 */
export function sgdStep(theta: ArrayLike<number>, g: ArrayLike<number>, lr: number): Float64Array {
  if (g.length !== theta.length)
    throw new Error(`sgdStep: theta (${theta.length}) and gradient (${g.length}) differ in length`);
  const next = new Float64Array(theta.length);
  for (let i = 0; i < theta.length; i++) next[i] = theta[i] - lr * g[i];
  return next;
}

// ---------------------------------------------------------------------------------------------------------------
// RMSprop vs SGD on a 2-D test surface (notebook 03's race, drawn by lib/figures/optim.ts)
// ---------------------------------------------------------------------------------------------------------------

/** A differentiable function of two variables, to watch optimisers walk on. */
export interface Surface {
  name: string;
  f(x: number, y: number): number;
  grad(x: number, y: number): [number, number];
  /** The minimiser, for the chart. */
  minimum: [number, number];
}

/**
 * f(x, y) = ½ (x² + κ y²): a valley κ times steeper across (y) than along (x). Plain gradient descent must keep η
 * below 2/κ to not diverge across the valley and then crawls along it; RMSprop rescales each coordinate by its own
 * gradient size and walks both at about the same speed (the point of Eq. 4).
 */
export function elongatedQuadratic(kappa = 25): Surface {
  return {
    name: `elongated quadratic ½(x² + ${kappa}y²)`,
    f: (x, y) => 0.5 * (x * x + kappa * y * y),
    grad: (x, y) => [x, kappa * y],
    minimum: [0, 0],
  };
}

/** Rosenbrock's banana valley f(x, y) = (a − x)² + b (y − x²)², minimum at (a, a²). */
export function rosenbrock(a = 1, b = 100): Surface {
  return {
    name: `Rosenbrock (a=${a}, b=${b})`,
    f: (x, y) => (a - x) ** 2 + b * (y - x * x) ** 2,
    grad: (x, y) => [-2 * (a - x) - 4 * b * x * (y - x * x), 2 * b * (y - x * x)],
    minimum: [a, a * a],
  };
}

/** One point of an optimiser's path: the position after `step` steps and the surface value there. */
export interface PathPoint {
  step: number;
  x: number;
  y: number;
  f: number;
}

export interface OptimizerRace {
  surface: string;
  minimum: [number, number];
  sgd: { lr: number; path: PathPoint[] };
  rmsprop: { lr: number; rho: number; epsilon: number; path: PathPoint[] };
}

/**
 * Run plain gradient descent ({@link sgdStep}) and RMSprop ({@link rmspropStep}, Eq. 3–4) from the same start for
 * the same number of full-gradient steps on a 2-D surface, returning both paths (steps 0…`steps`) for a chart.
 * Deterministic: no randomness is involved, so the same arguments always give the same paths.
 */
export function raceOptimizers(
  opts: {
    surface?: Surface;
    start?: [number, number];
    steps?: number;
    sgdLr?: number;
    rmspropLr?: number;
    rho?: number;
    epsilon?: number;
  } = {},
): OptimizerRace {
  const surface = opts.surface ?? elongatedQuadratic();
  const start = opts.start ?? [-4, 1.5];
  const steps = opts.steps ?? 60;
  const sgdLr = opts.sgdLr ?? 0.07;
  const rmspropLr = opts.rmspropLr ?? 0.1;
  const rho = opts.rho ?? PAPER.rho;
  const epsilon = opts.epsilon ?? PAPER.epsilon;
  const point = (step: number, t: ArrayLike<number>): PathPoint => ({
    step,
    x: t[0],
    y: t[1],
    f: surface.f(t[0], t[1]),
  });

  let s: Float64Array = Float64Array.from(start);
  const sgdPath = [point(0, s)];
  for (let k = 1; k <= steps; k++) {
    s = sgdStep(s, surface.grad(s[0], s[1]), sgdLr);
    sgdPath.push(point(k, s));
  }

  let r: Float64Array = Float64Array.from(start);
  let state = rmspropInit(2);
  const rmsPath = [point(0, r)];
  for (let k = 1; k <= steps; k++) {
    ({ theta: r, state } = rmspropStep(r, surface.grad(r[0], r[1]), state, { lr: rmspropLr, rho, epsilon }));
    rmsPath.push(point(k, r));
  }

  return {
    surface: surface.name,
    minimum: surface.minimum,
    sgd: { lr: sgdLr, path: sgdPath },
    rmsprop: { lr: rmspropLr, rho, epsilon, path: rmsPath },
  };
}

/**
 * The optimiser training uses (Section 2.2.3, Eq. 3–4): `tf.train.rmsprop(η, β, momentum 0, ε)` from the paper's
 * settings (η = 0.001, β = 0.9, ε = 1e-7, Keras' defaults; tfjs' own default ε is the backend's float epsilon, the same 1e-7 on float32 backends). ε sits inside the
 * square root, as in Eq. 4 (see the file comment).
 *
 * @see notebooks/07-ablations.ipynb
 */
export function createOptimizer(
  config: Pick<ProtocolConfig, "learningRate" | "rho" | "epsilon"> &
    Partial<Pick<ProtocolConfig, "optimizer" | "momentum">> = PAPER,
): Optimizer {
  switch (config.optimizer ?? "rmsprop") {
    case "rmsprop":
      // On cpu-fast (the active backend, which tests may switch), the same arithmetic fused into one pass per
      // variable (bit-identical, lib/kernels/rmsprop.ts).
      return FUSED_BACKENDS.includes(tf.getBackend())
        ? new (fusedRmsprop())(config.learningRate, config.rho, 0, config.epsilon)
        : tf.train.rmsprop(config.learningRate, config.rho, 0, config.epsilon);
    case "adam":
      // Keras' Adam defaults β1 = 0.9, β2 = 0.999, ε = 1e-7 (the `adam` variant of notebook 07).
      return tf.train.adam(config.learningRate, 0.9, 0.999, config.epsilon);
    case "sgd-momentum":
      return tf.train.momentum(config.learningRate, config.momentum ?? 0.9);
    default:
      throw new Error(`unknown optimizer "${String(config.optimizer)}"`);
  }
}
