/**
 * The dense head of a training step without tfjs' ops: Flatten → Dense (ReLU) → Dropout → Dense (softmax), the mean
 * categorical cross-entropy and accuracy, and every gradient back to the head's input, for lib/train.ts
 * `trainStep` after the trunk (trunk.ts).
 *
 * Why by hand: the head is 0.1 % of a step's arithmetic but about 90 of its tfjs ops (most of them on 8 × 7
 * values), each dispatched, taped and allocated: a third of a step once the trunk is in WebAssembly. Here each op is
 * the same arithmetic as the tfjs kernel it replaces, in the same order, with every result rounded to float32 as
 * the kernel stores it (`Math.fround`), sums in double precision as tfjs' Sum, exp and log by the same `Math`
 * functions, the products by the same WebAssembly matrix kernel (matmul.ts), and the dropout mask from the same
 * seeded `tf.randomUniform`: so the losses and weights come out with tfjs' bits (test/train.test.ts). The
 * gradients of tfjs' ops that it follows are noted where each is taken.
 */
import type * as tfjs from "@tensorflow/tfjs";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { matmul2d } from "./matmul";

type Tf = typeof tfjs;
type Tensor = tfjs.Tensor;

const f = Math.fround;
/** tfjs-layers' epsilon on a float32 backend: the cross-entropy clips probabilities to [ε, 1 − ε]. */
const EPSILON = 1e-7;

/** The result of {@link Head.step}: the batch's loss and accuracy, the gradient of the features, the head's gradients. */
export interface HeadStep {
  loss: number;
  acc: number;
  /** Gradient of the head's input [B, F]. */
  dFeatures: Float32Array;
  /**
   * Gradients of the dense kernel, its bias, the output kernel and its bias (the head's trainable weights, in order).
   * The dense kernel's array is reused by the next step: use it, or copy it, before then.
   */
  grads: Float32Array[];
}

/** Sum of `n` floats from `at` in double precision, rounded once (tfjs' Sum over a trailing axis). */
function rowSum(a: Float32Array, at: number, n: number): number {
  let s = 0;
  for (let j = at; j < at + n; j++) s += a[j];
  return f(s);
}

/** Column sums of a [rows, n] matrix in double precision, row by row (tfjs' Sum over the leading axis: a bias gradient). */
function columnSums(a: Float32Array, rows: number, n: number): Float32Array {
  const acc = new Float64Array(n);
  for (let i = 0; i < rows; i++) for (let j = 0; j < n; j++) acc[j] += a[i * n + j];
  return Float32Array.from(acc);
}

/** First index of the row's maximum (tfjs' ArgMax). */
function argMaxRow(a: Float32Array, at: number, n: number): number {
  let best = a[at];
  let k = 0;
  for (let j = 0; j < n; j++) {
    if (a[at + j] > best) {
      best = a[at + j];
      k = j;
    }
  }
  return k;
}

let kept: Float32Array | undefined;

/**
 * The array the dense kernel's gradient is written into, kept from step to step: a fresh one of its 73,728 floats
 * cost more than the product's copy into it (lib/kernels/matmul.ts matmul2d). The step's caller uses the gradient
 * before the next step (lib/train.ts gives it to the optimiser at once).
 */
function kernelGradient(n: number): Float32Array {
  if (kept?.length !== n) kept = new Float32Array(n);
  return kept;
}

/** The head of a model whose layers from `from` on are Flatten, Dense (ReLU), Dropout, Dense (softmax). */
export class Head {
  /** The shapes of the head's trainable weights, in order. */
  readonly shapes: number[][];
  constructor(
    private readonly tf: Tf,
    /** The dense kernel [F, U], its bias, the output kernel [U, K], its bias. */
    private readonly variables: Tensor[],
    private readonly dropout: { rate: number; seed?: number },
  ) {
    this.shapes = variables.map((v) => v.shape);
  }

  /** The head's weights as the backend holds them, and its sizes: F features, U dense units, K classes. */
  private weights() {
    const backend = this.tf.backend() as MathBackendCPU;
    const [Wd, bd, Wo, bo] = this.variables.map((t) => backend.data.get(t.dataId).values as Float32Array);
    const [F, U] = this.variables[0].shape as [number, number];
    return { Wd, bd, Wo, bo, F, U, K: this.variables[2].shape[1] as number };
  }

  /** Features [B, F] and one-hot labels [B, K] in, the loss, accuracy and gradients out. */
  step(x: Float32Array, y: Float32Array, B: number): HeadStep {
    const { Wd, bd, Wo, bo, F, U, K } = this.weights();

    // Dense (ReLU): BatchMatMul, Add, Relu
    const h = matmul2d(x, Wd, B, F, U);
    const z1 = new Float32Array(B * U);
    const a1 = new Float32Array(B * U);
    for (let i = 0; i < B * U; i++) {
      z1[i] = f(h[i] + bd[i % U]);
      a1[i] = Math.max(0, z1[i]);
    }
    // Dropout: x · floor(u + keep) / keep, u from the layer's seeded randomUniform (tf.dropout)
    const keep = f(1 - this.dropout.rate);
    const noise = this.tf.randomUniform([B, U], 0, 1, "float32", this.dropout.seed);
    const u = noise.dataSync(); // not through tidy, which would walk the 1,024 numbers looking for tensors
    noise.dispose();
    const mask = new Float32Array(B * U);
    const a1d = new Float32Array(B * U);
    for (let i = 0; i < B * U; i++) {
      mask[i] = f(Math.floor(f(u[i] + keep)) / keep);
      a1d[i] = f(a1[i] * mask[i]);
    }
    const p = softmaxDense(a1d, Wo, bo, B, U, K);
    const { loss, acc, sp, q, c } = crossEntropy(p, y, B, K);

    // Backward. Mean: 1 / B each; Neg; Sum: broadcast; Mul: · y; Log: ÷ c; ClipByValue: passes where ε ≤ q ≤ 1 − ε
    const g = -f(1 / B);
    const lo = f(EPSILON);
    const hi = f(1 - EPSILON);
    const gp = new Float32Array(B * K);
    const gz2 = new Float32Array(B * K);
    for (let i = 0; i < B; i++) {
      const gq = new Float32Array(K);
      let r = 0;
      for (let j = 0; j < K; j++) {
        const k = i * K + j;
        const gc = f(f(g * y[k]) / c[k]);
        gq[j] = q[k] >= lo && q[k] <= hi ? gc : 0;
        r += f(gq[j] * p[k]);
      }
      // RealDiv p / sp: ∂p = g ÷ sp; ∂sp = −sum(g · p) ÷ sp²; the Sum's gradient broadcasts ∂sp back onto p
      const gsp = -f(f(r) / f(sp[i] * sp[i]));
      let t = 0;
      const ts = new Float32Array(K);
      for (let j = 0; j < K; j++) {
        const k = i * K + j;
        gp[k] = f(f(gq[j] / sp[i]) + gsp);
        ts[j] = f(gp[k] * p[k]);
        t += ts[j];
      }
      // Softmax: (g · p) − sum(g · p) · p
      const rs = f(t);
      for (let j = 0; j < K; j++) gz2[i * K + j] = f(ts[j] - f(rs * p[i * K + j]));
    }
    const dbo = columnSums(gz2, B, K);
    const ga1d = matmul2d(gz2, Wo, B, K, U, false, true);
    const dWo = matmul2d(a1d, gz2, U, B, K, true, false);
    // Dropout's Mul: · mask; Relu: · step(z1) (1 where z1 > 0, NaN stays NaN)
    const gz1 = new Float32Array(B * U);
    for (let i = 0; i < B * U; i++) {
      const v = z1[i];
      gz1[i] = f(f(ga1d[i] * mask[i]) * (Number.isNaN(v) ? v : v > 0 ? 1 : 0));
    }
    const dbd = columnSums(gz1, B, U);
    const dFeatures = matmul2d(gz1, Wd, B, U, F, false, true);
    const dWd = matmul2d(x, gz1, F, B, U, true, false, kernelGradient(F * U));
    return { loss, acc, dFeatures, grads: [dWd, dbd, dWo, dbo] };
  }

  /**
   * A batch's mean loss and accuracy in inference mode, as tfjs-layers' test function (model.evaluate) computes them
   * from features [B, F]: the Dense layer's _FusedMatMul with its bias and ReLU (the same bits as the training
   * step's BatchMatMul, Add, Relu once through the ReLU), no dropout, then the output layer, softmax and loss of
   * {@link step}.
   */
  evaluate(x: Float32Array, y: Float32Array, B: number): { loss: number; acc: number } {
    const { Wd, bd, Wo, bo, F, U, K } = this.weights();
    const h = matmul2d(x, Wd, B, F, U);
    const a1 = new Float32Array(B * U);
    for (let i = 0; i < B * U; i++) a1[i] = Math.max(0, f(h[i] + bd[i % U]));
    const { loss, acc } = crossEntropy(softmaxDense(a1, Wo, bo, B, U, K), y, B, K);
    return { loss, acc };
  }
}

/**
 * The output layer: Dense (softmax) as _FusedMatMul, Add, then the cpu backend's Softmax (max, sub, exp, sum, div),
 * of a [B, U] input: the probabilities [B, K].
 */
function softmaxDense(
  a: Float32Array,
  Wo: Float32Array,
  bo: Float32Array,
  B: number,
  U: number,
  K: number,
): Float32Array {
  const o = matmul2d(a, Wo, B, U, K);
  const p = new Float32Array(B * K);
  for (let i = 0; i < B; i++) {
    const z = new Float32Array(K);
    for (let j = 0; j < K; j++) z[j] = f(o[i * K + j] + bo[j]);
    let max = z[0];
    for (let j = 0; j < K; j++) if (Number.isNaN(z[j]) || z[j] > max) max = z[j];
    const e = z.map((v) => f(Math.exp(f(v - max))));
    const s = rowSum(e, 0, K);
    for (let j = 0; j < K; j++) p[i * K + j] = f(e[j] / s);
  }
  return p;
}

/**
 * tfjs-layers' categorical cross-entropy of probabilities p [B, K] against one-hot y: p / sum(p), clipped to
 * [ε, 1 − ε], −sum(y · log(·)), then tfjs' Mean (each value ÷ B, summed); and the mean accuracy. Also the
 * intermediate values the backward pass needs.
 */
function crossEntropy(p: Float32Array, y: Float32Array, B: number, K: number) {
  const sp = new Float32Array(B);
  const q = new Float32Array(B * K);
  const c = new Float32Array(B * K);
  let lossSum = 0;
  let accSum = 0;
  for (let i = 0; i < B; i++) {
    sp[i] = rowSum(p, i * K, K);
    const m = new Float32Array(K);
    for (let j = 0; j < K; j++) {
      const k = i * K + j;
      q[k] = f(p[k] / sp[i]);
      c[k] = q[k] > 1 - EPSILON ? 1 - EPSILON : q[k] < EPSILON ? EPSILON : q[k];
      m[j] = f(y[k] * f(Math.log(c[k])));
    }
    lossSum += f(-rowSum(m, 0, K) / B);
    accSum += f((argMaxRow(y, i * K, K) === argMaxRow(p, i * K, K) ? 1 : 0) / B);
  }
  return { loss: f(lossSum), acc: f(accSum), sp, q, c };
}

/**
 * The dropout rate of `model`'s head from layer `from` on, when the head is exactly Flatten, Dense (ReLU, bias),
 * Dropout (0 < rate < 1, no noise shape), Dense (softmax, bias); else undefined.
 */
function headRate(model: tfjs.LayersModel, from: number): number | undefined {
  const layers = model.layers.slice(from);
  const kinds = layers.map((l) => l.getClassName()).join(",");
  if (kinds !== "Flatten,Dense,Dropout,Dense") return undefined;
  const [dense, drop, out] = [layers[1], layers[2], layers[3]].map((l) => l.getConfig() as Record<string, unknown>);
  const rate = drop.rate as number;
  if (dense.activation !== "relu" || out.activation !== "softmax" || !dense.useBias || !out.useBias) return undefined;
  if (!(rate > 0 && rate < 1) || drop.noiseShape != null) return undefined;
  return rate;
}

/** Each model's {@link headRate}, parsed once: headOf runs every training step, and layers never change. */
const parsed = new WeakMap<tfjs.LayersModel, { from: number; rate?: number }>();

/**
 * `model`'s head from layer `from` on ({@link headRate}), with its weights and its dropout layer's seed as they are
 * now (lib/train.ts reseeds it every batch); else undefined (such models train their head through tfjs).
 */
export function headOf(tf: Tf, model: tfjs.LayersModel, from: number): Head | undefined {
  let p = parsed.get(model);
  if (p?.from !== from) parsed.set(model, (p = { from, rate: headRate(model, from) }));
  if (p.rate === undefined) return undefined;
  const layers = model.layers.slice(from);
  const vars = [layers[1], layers[3]].flatMap((l) =>
    l.trainableWeights.map((w) => (w as unknown as { read(): Tensor }).read()),
  );
  if (vars.length !== 4) return undefined;
  const seed = (layers[2] as unknown as { seed?: number }).seed;
  return new Head(tf, vars, { rate: p.rate, seed });
}
