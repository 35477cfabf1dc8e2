/**
 * Sections 3.1–3.3 of the paper: how the best model is judged on the test set.
 *
 * - Table 1: accuracy per class and overall, with precision, recall and F1 ({@link perClassMetrics}).
 * - Fig 7: the confusion matrix ({@link confusionMatrix}); rows are the true class, columns the predicted one.
 * - Fig 8: one-vs-rest ROC curves and their AUC for each of the seven classes ({@link rocCurve}, {@link auc}).
 *
 * Everything here is a pure function over plain arrays, so it can be checked by hand; only {@link predictProbs}
 * touches TensorFlow.js, to turn a model and an image batch into the probability rows the rest consumes.
 *
 * Conventions, stated once:
 * - **0/0 → 0.** A class with no test images has recall 0; a class never predicted has precision 0; F1 is 0 when
 *   precision + recall = 0 (sklearn's `zero_division=0`).
 * - **argmax ties → lowest class index** (as `np.argmax` and `tf.argMax` do).
 * - **ROC thresholds:** an image counts as positive for class c when its score for c is ≥ the threshold. Every
 *   distinct score is a threshold, tied scores enter together as one point, and the curve starts at (0, 0) with
 *   threshold +Infinity: sklearn's `roc_curve(..., drop_intermediate=False)`.
 */
import { tf } from "./tf";
import { CLASSES } from "./config";
import type { RunRecord, ClassMetrics, Prediction, RocCurve, TestRecord } from "./record";
import { crossEntropy, oneHot } from "./optim";
import { argmax } from "./arrays";
import type { Tensor, Tensor4D } from "@tensorflow/tfjs";

/**
 * Fig 7: the k×k confusion matrix; `confusion[i][j]` counts test images of true class i predicted as class j, so each
 * row sums to that class's support and the trace is the number of correct predictions.
 */
export function confusionMatrix(
  labels: readonly number[],
  predicted: readonly number[],
  k: number = CLASSES.length,
): number[][] {
  if (labels.length !== predicted.length)
    throw new Error(`${labels.length} labels but ${predicted.length} predictions`);
  const m = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let n = 0; n < labels.length; n++) {
    const i = labels[n];
    const j = predicted[n];
    if (!Number.isInteger(i) || i < 0 || i >= k)
      throw new Error(`label ${i} at ${n} is not a class index in [0, ${k})`);
    if (!Number.isInteger(j) || j < 0 || j >= k)
      throw new Error(`prediction ${j} at ${n} is not a class index in [0, ${k})`);
    m[i][j]++;
  }
  return m;
}

/** Correct predictions in a confusion matrix: its trace (the 164 of the paper's 164/197). */
export function correctFromConfusion(confusion: readonly (readonly number[])[]): number {
  return confusion.reduce((a, row, i) => a + row[i], 0);
}

/**
 * A class's false-positive rate from a confusion matrix (rows = true class): images of the other classes predicted
 * as class k, over all images of the other classes (0 when there are none). The paper's "13% of non-anger emotions
 * incorrectly classified as anger" is this rate for anger.
 */
export function falsePositiveRate(confusion: readonly (readonly number[])[], k: number): number {
  let fp = 0;
  let negatives = 0;
  confusion.forEach((row, i) => {
    if (i === k) return;
    fp += row[k];
    negatives += row.reduce((a, v) => a + v, 0);
  });
  return negatives === 0 ? 0 : fp / negatives;
}

/** Section 3.1 / Table 1: overall accuracy from a confusion matrix, trace / total (0 for an empty matrix). */
export function accuracyFromConfusion(confusion: readonly (readonly number[])[]): number {
  const total = confusion.reduce((a, row) => a + row.reduce((b, v) => b + v, 0), 0);
  return total === 0 ? 0 : correctFromConfusion(confusion) / total;
}

const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);

/**
 * Table 1: per-class numbers from the confusion matrix (rows = true class).
 * - support = row sum;
 * - accuracy = recall = diagonal / row sum (the row-normalised diagonal of Fig 7);
 * - precision = diagonal / column sum;
 * - f1 = 2·precision·recall / (precision + recall).
 * Every 0/0 is defined as 0.
 */
export function perClassMetrics(
  confusion: readonly (readonly number[])[],
  classes: readonly string[] = CLASSES,
): ClassMetrics[] {
  const k = confusion.length;
  if (classes.length !== k) throw new Error(`${classes.length} class names for a ${k}×${k} confusion matrix`);
  for (const row of confusion) if (row.length !== k) throw new Error("confusion matrix is not square");
  return classes.map((name, c) => {
    const tp = confusion[c][c];
    let support = 0;
    let predictedAs = 0;
    for (let j = 0; j < k; j++) support += confusion[c][j];
    for (let i = 0; i < k; i++) predictedAs += confusion[i][c];
    const recall = ratio(tp, support);
    const precision = ratio(tp, predictedAs);
    const f1 = ratio(2 * precision * recall, precision + recall);
    return { class: name, support, accuracy: recall, precision, recall, f1 };
  });
}

/** A ROC curve without its class name and AUC: what {@link rocCurve} returns. */
export interface RocPoints {
  fpr: number[];
  tpr: number[];
  /** Threshold of each point (score ≥ threshold counts as positive); the first is +Infinity. */
  thresholds: number[];
}

/**
 * Fig 8: the one-vs-rest ROC curve of one class. `scores[n]` is image n's probability for the class and
 * `positives[n]` whether the class is its true one. Thresholds are all distinct scores, highest first, preceded by
 * +Infinity (the point (0, 0)); tied scores form a single point; the last point is (1, 1). This is sklearn's
 * `roc_curve(positives, scores, drop_intermediate=False)`.
 *
 * If there are no positives (or no negatives) the true (false) positive rate is 0/0; it is reported as 0, and
 * {@link auc} of such a curve is meaningless (see {@link evaluatePredictions}, which reports NaN for it).
 *
 * @see notebooks/05-evaluate.ipynb
 */
export function rocCurve(scores: readonly number[], positives: readonly boolean[]): RocPoints {
  if (scores.length !== positives.length) throw new Error(`${scores.length} scores but ${positives.length} labels`);
  for (const s of scores) if (Number.isNaN(s)) throw new Error("rocCurve: a score is NaN");
  const order = scores.map((_, i) => i).sort((a, b) => scores[b] - scores[a]);
  const P = positives.filter(Boolean).length;
  const N = positives.length - P;
  const fpr = [0];
  const tpr = [0];
  const thresholds = [Infinity];
  let tp = 0;
  let fp = 0;
  for (let r = 0; r < order.length; r++) {
    const n = order[r];
    if (positives[n]) tp++;
    else fp++;
    // Emit a point only after the last of a run of tied scores.
    if (r + 1 < order.length && scores[order[r + 1]] === scores[n]) continue;
    fpr.push(ratio(fp, N));
    tpr.push(ratio(tp, P));
    thresholds.push(scores[n]);
  }
  return { fpr, tpr, thresholds };
}

/**
 * Fig 8: area under a curve by the trapezoidal rule, Σ (x_i − x_{i−1}) (y_i + y_{i−1}) / 2 (sklearn's `auc`).
 *
 * @see notebooks/05-evaluate.ipynb
 */
export function auc(fpr: readonly number[], tpr: readonly number[]): number {
  if (fpr.length !== tpr.length) throw new Error(`${fpr.length} x values but ${tpr.length} y values`);
  let area = 0;
  for (let i = 1; i < fpr.length; i++) area += ((fpr[i] - fpr[i - 1]) * (tpr[i] + tpr[i - 1])) / 2;
  return area;
}

/**
 * Sections 3.1–3.3 in one call: from the test-set predictions (softmax rows + true labels) to the run record's `test`
 * block: accuracy, the Fig 7 confusion matrix of argmax predictions (ties → lowest index), the Table 1 per-class
 * numbers, a Fig 8 ROC curve for every class, and the loss, which is the Keras-clipped categorical cross-entropy
 * (Eq. 2, lib/optim.ts) of the probabilities unless `loss` (e.g. the value tfjs' `evaluate` reported) is given.
 * A class with no positive or no negative test image gets `auc = NaN` (null in JSON): its ROC is undefined.
 */
export function evaluatePredictions(
  predictions: readonly Prediction[],
  classes: readonly string[] = CLASSES,
  loss?: number,
): TestRecord {
  const k = classes.length;
  if (predictions.length === 0) throw new Error("evaluatePredictions: no predictions");
  for (const p of predictions) {
    if (p.probs.length !== k) throw new Error(`${p.file}: ${p.probs.length} probabilities for ${k} classes`);
  }
  const labels = predictions.map((p) => p.label);
  const predicted = predictions.map((p) => argmax(p.probs));
  const confusion = confusionMatrix(labels, predicted, k);
  const roc: RocCurve[] = classes.map((name, c) => {
    const positives = labels.map((l) => l === c);
    const nPos = positives.filter(Boolean).length;
    const pts = rocCurve(
      predictions.map((p) => p.probs[c]),
      positives,
    );
    const defined = nPos > 0 && nPos < positives.length;
    return { class: name, ...pts, auc: defined ? auc(pts.fpr, pts.tpr) : NaN };
  });
  return {
    loss:
      loss ??
      crossEntropy(
        labels.map((l) => oneHot(l, k)),
        predictions.map((p) => p.probs),
      ),
    accuracy: accuracyFromConfusion(confusion),
    confusion,
    perClass: perClassMetrics(confusion, classes),
    roc,
    predictions: predictions.map((p) => ({ file: p.file, label: p.label, probs: [...p.probs] })),
  };
}

/** Anything with a Keras-style `predict` (a tfjs LayersModel, Sequential, …). */
export interface Predictor {
  predict(x: Tensor): Tensor | Tensor[];
}

/**
 * Section 3 convenience: run `model` over `x` in batches of `batchSize` and return one softmax row per image.
 * Each batch runs inside `tf.tidy` and is read back and freed, so no tensors are left behind.
 */
export function predictProbs(model: Predictor, x: Tensor4D, batchSize = 64): number[][] {
  if (!(batchSize >= 1)) throw new Error(`batchSize must be ≥ 1 (got ${batchSize})`);
  const n = x.shape[0];
  const out: number[][] = [];
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    const probs = tf.tidy(() => {
      const y = model.predict(x.slice([start, 0, 0, 0], [size, -1, -1, -1]));
      if (Array.isArray(y)) throw new Error("predictProbs: the model has several outputs");
      return y;
    });
    out.push(...(probs.arraySync() as number[][]));
    probs.dispose();
  }
  return out;
}

/** A misclassified test image: the true and predicted class and the 7 probabilities. */
export interface Miss {
  file: string;
  trueClass: string;
  predicted: string;
  pPredicted: number;
  pTrue: number;
  probs: number[];
}

/** The test images the best model got wrong, most confident mistakes first. */
export function misclassified(run: RunRecord): Miss[] {
  return run.test.predictions
    .map((p) => ({ p, k: argmax(p.probs) }))
    .filter(({ p, k }) => k !== p.label)
    .map(({ p, k }) => ({
      file: p.file,
      trueClass: run.classes[p.label],
      predicted: run.classes[k],
      pPredicted: p.probs[k],
      pTrue: p.probs[p.label],
      probs: p.probs.slice(),
    }))
    .sort((a, b) => b.pPredicted - a.pPredicted || a.file.localeCompare(b.file));
}
