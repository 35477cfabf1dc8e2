/**
 * Section 2.3 of the paper: training. Batch 8, RMSprop (Eq. 3–4) on categorical cross-entropy (Eq. 1–2), augmented
 * training batches, validation on the fold's held-out part every epoch, EarlyStopping(val_loss, patience 8) and a
 * checkpoint of the best weights, restored at the end; 5-fold cross-validation with a fresh model per fold.
 *
 * The loop is written out, as d2l writes its own: one {@link trainStep} per batch, then plain code for the validation
 * loss, early stopping and the best weights. It gives the same bits as tfjs-layers' `fitDataset` with callbacks, the
 * loop it replaced, about an eighth faster per step (test/train.test.ts, `npm run bench`).
 */
import { tf, type Tensor2D, type Tensor4D, type LayersModel } from "./tf";
import { PAPER, type AugmentConfig, type ProtocolConfig } from "./config";
import { createModel } from "./model";
import { createOptimizer } from "./optim";
import { augmentBatch } from "./augment";
import { Rng } from "./random";
import type { EpochRecord } from "./record";
import { UserError } from "./errors";
import { trunkOf } from "./kernels/trunk";
import { headOf } from "./kernels/head";
import type { FusedRMSProp } from "./optim";
import {
  foldCheckpoint,
  resumeFold,
  stopIfAsked,
  trainingEnded,
  type FoldState,
  type TrainCheckpoint,
} from "./checkpoint";
import type { Scalar, Tensor, Variable } from "@tensorflow/tfjs";

/** What one fold's training produced. */
export interface TrainedFold {
  model: LayersModel;
  history: EpochRecord[];
  /** 1-based epoch whose weights the model now holds. */
  bestEpoch: number;
  bestValLoss: number;
}

/** Called after every epoch (progress display, worker messages). */
export type EpochListener = (
  rec: EpochRecord,
  info: { maxEpochs: number; wait: number; patience: number; bestEpoch: number },
) => void;

export interface TrainFoldOptions {
  xTrain: Tensor4D;
  yTrain: Tensor2D;
  xVal: Tensor4D;
  yVal: Tensor2D;
  /** Seeds the model's initial weights, the batch order, the augmentation and the dropout masks. */
  seed: number;
  config?: ProtocolConfig;
  /** Augment training batches (default: `config.augmentation`, true as in the paper). */
  augment?: boolean;
  onEpoch?: EpochListener;
  /** Continue from this checkpoint (written by an earlier call's `onCheckpoint`) instead of from scratch. */
  resume?: TrainCheckpoint;
  /** Called after every finished epoch with everything needed to continue exactly from there. */
  onCheckpoint?: (c: TrainCheckpoint) => void | Promise<void>;
  /** Polled after every batch: true stops training with an `Interrupted` error (lib/checkpoint.ts) (the last checkpoint stands). */
  shouldStop?: () => boolean;
  /** Names the fold in error messages (e.g. a non-finite loss). */
  label?: string;
}

/**
 * Keeps a copy of the weights of the epoch with the lowest validation loss and puts them back when training ends
 * (Keras' ModelCheckpoint(save_best_only) and restore; tfjs' EarlyStopping has no restoreBestWeights). "Lowest" is
 * strict, as Keras': ties keep the earlier epoch.
 *
 * @see notebooks/04-train.ipynb
 */
export class BestWeights {
  best = Infinity;
  bestEpoch = 0;
  weights: Tensor[] | null = null;
  /** After an epoch: keep the model's weights when `valLoss` is the lowest so far. */
  update(model: LayersModel, epoch: number, valLoss: number): void {
    if (!(valLoss < this.best)) return;
    this.best = valLoss;
    this.bestEpoch = epoch;
    this.weights?.forEach((w) => w.dispose());
    this.weights = model.getWeights().map((w) => tf.keep(w.clone()));
  }
  /** Put the kept weights into `model` and free them (nothing to do when no epoch was kept). */
  putBack(model: LayersModel): void {
    if (!this.weights) return;
    model.setWeights(this.weights);
    this.weights.forEach((w) => w.dispose());
    this.weights = null;
  }
}

/**
 * Early stopping on the validation loss (Keras' and tfjs' EarlyStopping, monitor val_loss, min_delta 0): the lowest
 * loss so far and the epochs since it last fell; training stops once that wait reaches the patience.
 *
 * @see notebooks/04-train.ipynb
 */
export class EarlyStopping {
  best = Infinity;
  wait = 0;
  constructor(readonly patience: number) {}
  /** After an epoch: record its validation loss; true when training should stop. */
  update(valLoss: number): boolean {
    if (valLoss < this.best) {
      this.best = valLoss;
      this.wait = 0;
      return false;
    }
    this.wait++;
    return this.wait >= this.patience;
  }
}

/**
 * Give every dropout layer a fresh seed from our generator before a step. tfjs' Dropout with a fixed `seed` draws
 * the same mask at every step; without one it draws from Math.random (not reproducible). This keeps both properties
 * the paper's Keras run had: a new mask each step, and (here) a reproducible one.
 */
function seedDropout(model: LayersModel, rng: Rng): void {
  for (const l of model.layers)
    if (l.getClassName() === "Dropout") (l as unknown as { seed: number }).seed = rng.seed();
}

/** The model's trainable weights as the tf.Variables the optimiser updates, in the model's order. */
function trainableVariables(model: LayersModel): Variable[] {
  return model.trainableWeights.map((w) => (w as unknown as { read(): Variable }).read());
}

/** A batch's mean categorical cross-entropy (Eq. 1–2), to differentiate, and its accuracy, kept past the tidy. */
function lossAndAccuracy(ys: Tensor2D, p: Tensor2D): { loss: Scalar; acc: Scalar } {
  const loss = tf.mean(tf.metrics.categoricalCrossentropy(ys, p)) as Scalar;
  return { loss, acc: tf.keep(tf.mean(tf.metrics.categoricalAccuracy(ys, p)) as Scalar) };
}

/**
 * One optimiser step on one batch (Eq. 1–4) in tfjs' own terms: the forward pass in training mode (dropout on), the
 * mean categorical cross-entropy, its gradients and the RMSprop update, through the optimiser's `minimize` as
 * tfjs-layers' `trainOnBatch` does, so the weights come out with the same bits. Returns the batch's loss and accuracy
 * (scalars the caller disposes); the accuracy is read off the same forward pass. {@link trainStep} is this step,
 * faster.
 *
 * @see notebooks/04-train.ipynb
 */
export function tfjsStep(model: LayersModel, xs: Tensor4D, ys: Tensor2D): { loss: Scalar; acc: Scalar } {
  let acc: Scalar | undefined;
  const loss = model.optimizer.minimize(
    () => {
      const r = lossAndAccuracy(ys, model.apply(xs, { training: true }) as Tensor2D);
      acc = r.acc;
      return r.loss;
    },
    true,
    trainableVariables(model),
  )!;
  return { loss, acc: acc! };
}

/**
 * The training step: {@link tfjsStep}'s bits, faster. On `cpu-fast`, the convolutional trunk (conv → ReLU → pool
 * stages) runs in WebAssembly (lib/kernels/trunk.ts: a call for its forward pass, one for its backward pass), and the
 * paper's head (Flatten, Dense, Dropout, Dense, the loss and their gradients) as plain arithmetic that follows tfjs'
 * ops (lib/kernels/head.ts); another head goes through tfjs, which hands the trunk the gradient of its output. The
 * gradients then go to the optimiser ({@link backwardAndUpdate}). Other models and backends take {@link tfjsStep}.
 * One difference: a batch of grey pictures read as RGB (CK+48's) goes through the first convolution once per grey
 * value, with the filter summed over the channels (lib/kernels/trunk.ts equalChannels), which rounds otherwise.
 *
 * @see notebooks/04-train.ipynb
 */
export function trainStep(model: LayersModel, xs: Tensor4D, ys: Tensor2D): { loss: Scalar; acc: Scalar } {
  const trunk = trunkOf(tf, model);
  if (!trunk) return tfjsStep(model, xs, ys);
  const variables = trainableVariables(model);
  const B = xs.shape[0];
  const split = 2 * trunk.stages.length; // the trunk's weights (a kernel and a bias per stage), then the head's
  const features = trunk.forward(xs);
  const head = headOf(tf, model, split);
  if (head) {
    const h = head.step(features, ys.dataSync() as Float32Array, B);
    backwardAndUpdate(model, variables, split, h.grads, (during) => trunk.backward(h.dFeatures, during));
    return { loss: tf.scalar(h.loss), acc: tf.scalar(h.acc) };
  }
  let acc: Scalar | undefined;
  const input = tf.tensor4d(features, trunk.outShape(B));
  const layers = model.layers.slice(split); // Flatten onwards
  const { value: loss, grads } = tf.engine().gradients(
    () => {
      const p = layers.reduce((h, layer) => layer.apply(h, { training: true }) as Tensor, input as Tensor) as Tensor2D;
      const r = lossAndAccuracy(ys, p);
      acc = r.acc;
      return r.loss;
    },
    [input, ...variables.slice(split)],
    undefined,
    true,
  );
  const headGrads = grads.slice(1).map((g) => g.dataSync() as Float32Array);
  backwardAndUpdate(model, variables, split, headGrads, (during) =>
    trunk.backward(grads[0].dataSync() as Float32Array, during),
  );
  tf.dispose([input, ...grads]);
  return { loss: loss as Scalar, acc: acc! };
}

/**
 * The rest of {@link trainStep} once the head's gradients are known: the trunk's backward pass (`backward`) and the
 * optimiser's update of every weight (the first `split` variables are the trunk's). The fused RMSprop (lib/optim.ts)
 * updates the head's weights while the backward pass starts (they need nothing of it: on two threads the two run
 * side by side), then the trunk's, each variable's update its own; another optimiser gets every gradient at once.
 */
function backwardAndUpdate(
  model: LayersModel,
  variables: Variable[],
  split: number,
  headGrads: Float32Array[],
  backward: (during?: () => void) => Float32Array[],
): void {
  const optimizer = model.optimizer as Partial<FusedRMSProp>;
  if (optimizer.fused) {
    const fused = optimizer as FusedRMSProp;
    const trunkGrads = backward(() => fused.updateArrays(variables.slice(split), headGrads, split));
    fused.updateArrays(variables.slice(0, split), trunkGrads);
    fused.countStep();
    return;
  }
  const grads = [...backward(), ...headGrads];
  const named = variables.map((v, i) => ({ name: v.name, tensor: tf.tensor(grads[i], v.shape) }));
  model.optimizer.applyGradients(named);
  tf.dispose(named.map((g) => g.tensor));
}

/**
 * An epoch's training loss and accuracy: each batch's value times its size, summed in float32 and divided by the
 * images seen at the end, as tfjs-layers' BaseLogger averages them (the same bits as `fit`'s logs). In plain
 * float32 arithmetic (`Math.fround` after each op, as tfjs' cpu Mul, Add and RealDiv store their results): as four
 * tensor ops per batch under a tidy it took 1% of an epoch.
 */
class EpochMeans {
  private loss = 0;
  private acc = 0;
  private seen = 0;
  add(step: { loss: Scalar; acc: Scalar }, size: number): void {
    const f = Math.fround;
    this.loss = f(this.loss + f(step.loss.dataSync()[0] * size));
    this.acc = f(this.acc + f(step.acc.dataSync()[0] * size));
    tf.dispose([step.loss, step.acc]);
    this.seen += size;
  }
  /** The means (NaN before any batch). */
  means(): { loss: number; acc: number } {
    if (!this.seen) return { loss: NaN, acc: NaN };
    const f = Math.fround;
    const r = f(1 / this.seen);
    return { loss: f(r * this.loss), acc: f(r * this.acc) };
  }
}

/** Stop a fold with one line when an epoch's loss is not finite (a numeric fault). */
function checkFinite(rec: EpochRecord, label: string): void {
  if (Number.isFinite(rec.loss) && Number.isFinite(rec.valLoss)) return;
  const which = Number.isFinite(rec.loss) ? "validation" : "training";
  throw new UserError(
    `${label}: epoch ${rec.epoch}: the ${which} loss is ${Number.isFinite(rec.loss) ? rec.valLoss : rec.loss}; training stopped (a numeric fault: try a lower learning rate)`,
  );
}

/** Compile a model the paper's way: RMSprop (Eq. 3–4), categorical cross-entropy (Eq. 1–2), accuracy. */
export function compileModel(model: LayersModel, config: ProtocolConfig = PAPER): void {
  model.compile({ optimizer: createOptimizer(config), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
}

/**
 * One training batch: the images and one-hot labels at positions `idx` of the training tensors, picked with tf.gather,
 * the images augmented (lib/augment.ts) when `augment` is given. Training's batches, and the bench's on CK+48.
 */
export function trainingBatch(
  xTrain: Tensor4D,
  yTrain: Tensor2D,
  idx: number[],
  augment?: { rng: Rng; config: AugmentConfig },
): { xs: Tensor4D; ys: Tensor2D } {
  return tf.tidy(() => {
    const ix = tf.tensor1d(idx, "int32");
    const xb = tf.gather(xTrain, ix) as Tensor4D;
    return { xs: augment ? augmentBatch(xb, augment.rng, augment.config) : xb, ys: tf.gather(yTrain, ix) as Tensor2D };
  });
}

/**
 * Train one fresh model on one fold (Section 2.3, Fig 2): a fresh model (notebook 02) compiled with RMSprop on
 * categorical cross-entropy (notebook 03); every epoch the training images shuffled and cut into batches of 8, each
 * augmented (notebook 01), one {@link trainStep} per batch; the validation loss after every epoch; early stopping on
 * it; and the best epoch's weights restored. Deterministic for a given seed on a given backend: the same bits as
 * tfjs-layers' `fitDataset` with callbacks doing the same, which this loop replaced (faster, and readable).
 *
 * After every epoch a checkpoint goes to `onCheckpoint` (lib/checkpoint.ts), and `shouldStop` is asked after every
 * batch; resuming from a checkpoint ({@link resumeFold}, {@link trainingEnded}) gives the same bits as never stopping
 * (test/train.test.ts).
 *
 * @see notebooks/04-train.ipynb
 */
export async function trainFold(opts: TrainFoldOptions): Promise<TrainedFold> {
  const config = opts.config ?? PAPER;
  const { xTrain, yTrain } = opts;
  const label = opts.label ?? "training";
  const rng = new Rng(opts.seed); // one seed for the weights, the batch order, the augmentation, the dropout masks
  const model = createModel(rng.seed(), config); // a fresh CNN (notebook 02)
  compileModel(model, config); // RMSprop on categorical cross-entropy (notebook 03)
  const augment = opts.augment ?? config.augmentation;
  const early = new EarlyStopping(config.patience); // stops once the validation loss has not fallen for `patience` epochs
  const best = new BestWeights(); // keeps the best epoch's weights, restores them at the end
  const history: EpochRecord[] = []; // the history of Fig 5 and Fig 6
  const generators = { batch: new Rng(rng.seed()), augment: new Rng(rng.seed()), dropout: new Rng(rng.seed()) };
  const fold: FoldState = { model, rng: generators, early, best, history };
  if (opts.resume) await resumeFold(fold, opts.resume); // never lose a run (lib/checkpoint.ts)
  const images = Array.from({ length: xTrain.shape[0] }, (_, i) => i);
  try {
    let stop = !!opts.resume && trainingEnded(opts.resume, config);
    for (let epoch = (opts.resume?.epoch ?? 0) + 1; epoch <= config.maxEpochs && !stop; epoch++) {
      const t0 = performance.now();
      const order = fold.rng.batch.shuffle(images); // every training image once, in a new order
      const means = new EpochMeans();
      for (let start = 0; start < order.length; start += config.batchSize) {
        seedDropout(model, fold.rng.dropout); // a new, seeded dropout mask every batch
        const idx = order.slice(start, start + config.batchSize);
        const aug = augment ? { rng: fold.rng.augment, config: config.augment } : undefined;
        const { xs, ys } = trainingBatch(xTrain, yTrain, idx, aug);
        means.add(trainStep(model, xs, ys), idx.length);
        tf.dispose([xs, ys]);
        await stopIfAsked(opts.shouldStop, label);
      }
      const val = evaluateModel(model, opts.xVal, opts.yVal); // the validation loss after every epoch
      const { loss, acc } = means.means();
      const seconds = (performance.now() - t0) / 1000;
      const rec: EpochRecord = { epoch, loss, acc, valLoss: val.loss, valAcc: val.accuracy, seconds };
      checkFinite(rec, label);
      history.push(rec);
      best.update(model, epoch, rec.valLoss);
      stop = early.update(rec.valLoss);
      const info = {
        maxEpochs: config.maxEpochs,
        wait: early.wait,
        patience: config.patience,
        bestEpoch: best.bestEpoch,
      };
      opts.onEpoch?.(rec, info);
      if (opts.onCheckpoint) await opts.onCheckpoint(await foldCheckpoint(fold, epoch));
    }
    best.putBack(model);
  } catch (e) {
    best.weights?.forEach((w) => w.dispose());
    model.dispose();
    throw e;
  }
  return { model, history, bestEpoch: best.bestEpoch, bestValLoss: best.best };
}

/**
 * Loss and accuracy of a model on a labelled set, in inference mode (dropout off): tfjs-layers' `model.evaluate`, or
 * its bits without its ops when the model has the trunk and head {@link trainStep} runs by hand (on grey pictures its
 * values: their first convolution goes once per grey value, as in training).
 */
export function evaluateModel(
  model: LayersModel,
  x: Tensor4D,
  y: Tensor2D,
  batchSize = 64,
): { loss: number; accuracy: number } {
  const trunk = trunkOf(tf, model);
  const head = trunk && headOf(tf, model, 2 * trunk.stages.length);
  if (trunk && head) {
    // tfjs-layers' testLoop: each batch's mean loss and accuracy times its size, summed in float32, ÷ the count
    const N = x.shape[0];
    const per = x.size / N;
    const xv = x.dataSync() as Float32Array;
    const yv = y.dataSync() as Float32Array;
    const K = y.shape[1];
    let loss = 0;
    let accuracy = 0;
    for (let start = 0; start < N; start += batchSize) {
      const B = Math.min(batchSize, N - start);
      const features = trunk.forwardValues(xv.subarray(start * per, (start + B) * per), B);
      const r = head.evaluate(features, yv.subarray(start * K, (start + B) * K), B);
      loss = Math.fround(loss + Math.fround(B * r.loss));
      accuracy = Math.fround(accuracy + Math.fround(B * r.acc));
    }
    return { loss: Math.fround(loss / N), accuracy: Math.fround(accuracy / N) };
  }
  const out = model.evaluate(x, y, { batchSize }) as Scalar[];
  const [loss, accuracy] = out.map((s) => s.dataSync()[0]);
  tf.dispose(out);
  return { loss, accuracy };
}
