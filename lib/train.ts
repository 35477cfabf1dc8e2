/**
 * Section 2.3 of the paper: training. Batch 8, RMSprop (Eq. 3–4) on categorical cross-entropy (Eq. 1–2), augmented
 * training batches, validation on the fold's held-out part every epoch, EarlyStopping(val_loss, patience 8) and a
 * checkpoint of the best weights, restored at the end; 5-fold cross-validation with a fresh model per fold.
 *
 * Training runs through tfjs-layers' own `fitDataset` loop and its `EarlyStopping` callback. tfjs has no
 * `restoreBestWeights`, so `BestWeights` below keeps them (Keras' ModelCheckpoint(save_best_only) + restore).
 */
import { tf, type Tensor2D, type Tensor4D, type LayersModel } from "./tf";
import { PAPER, type AugmentConfig, type ProtocolConfig } from "./config";
import { createModel } from "./model";
import { createOptimizer } from "./optim";
import { augmentBatch } from "./augment";
import { Rng } from "./random";
import type { EpochRecord } from "./record";
import { UserError } from "./errors";
import { checkpointCallbacks, resumeFold, trainingEnded, type FoldState, type TrainCheckpoint } from "./checkpoint";
import type { Logs, Scalar, Tensor } from "@tensorflow/tfjs";

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
 * (tfjs' EarlyStopping has no restoreBestWeights). "Lowest" is strict, as Keras' ModelCheckpoint: ties keep the earlier.
 *
 * @see notebooks/04-train.ipynb
 */
export class BestWeights extends tf.Callback {
  best = Infinity;
  bestEpoch = 0;
  weights: Tensor[] | null = null;
  override async onEpochEnd(epoch: number, logs?: Logs): Promise<void> {
    const v = (await resolveLogs(logs)).val_loss;
    if (typeof v === "number" && v < this.best) {
      this.best = v;
      this.bestEpoch = epoch + 1;
      this.weights?.forEach((w) => w.dispose());
      this.weights = this.model.getWeights().map((w) => tf.keep(w.clone()));
    }
  }
  override async onTrainEnd(): Promise<void> {
    this.putBack(this.model);
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
 * Gives the dropout layer a fresh seed from our generator before every batch. tfjs' Dropout with a fixed `seed`
 * draws the same mask at every step; without one it draws from Math.random (not reproducible). This keeps both
 * properties the paper's Keras run had: a new mask each step, and (here) a reproducible one.
 */
class DropoutSeeds extends tf.Callback {
  constructor(readonly rng: Rng) {
    super();
  }
  override async onBatchBegin(): Promise<void> {
    for (const l of this.model.layers)
      if (l.getClassName() === "Dropout") (l as unknown as { seed: number }).seed = this.rng.seed();
  }
}

/** Logs reach plain tf.Callback subclasses as scalar tensors: read them (in place, as tfjs' own callbacks do). */
async function resolveLogs(logs?: Logs): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  if (!logs) return out;
  for (const [k, v] of Object.entries(logs) as [string, unknown][]) {
    const n = typeof v === "number" ? v : (await (v as Tensor).data())[0];
    (logs as Record<string, unknown>)[k] = n;
    out[k] = n;
  }
  return out;
}

/**
 * Collects the epoch records (Fig 5/6 data) and reports progress; stops the fold with a one-line error when a loss is
 * not finite.
 */
class EpochLog extends tf.Callback {
  readonly history: EpochRecord[] = [];
  private t0 = 0;
  private best = Infinity;
  private bestEpoch = 0;
  private wait = 0;
  constructor(
    private readonly config: ProtocolConfig,
    private readonly listener?: EpochListener,
    private readonly label = "training",
  ) {
    super();
  }
  /** Continue a resumed fold's history (and its view of the best epoch and the wait). */
  restore(history: EpochRecord[]): void {
    for (const rec of history) this.track(rec);
  }
  /** Add an epoch to the history and update the best epoch and the wait (as EarlyStopping counts it). */
  private track(rec: EpochRecord): void {
    this.history.push(rec);
    if (rec.valLoss < this.best) {
      this.best = rec.valLoss;
      this.bestEpoch = rec.epoch;
      this.wait = 0;
    } else this.wait++;
  }
  override async onEpochBegin(): Promise<void> {
    this.t0 = performance.now();
  }
  override async onEpochEnd(epoch: number, logs?: Logs): Promise<void> {
    const l = await resolveLogs(logs);
    const rec: EpochRecord = {
      epoch: epoch + 1,
      loss: l.loss ?? NaN,
      acc: l.acc ?? NaN,
      valLoss: l.val_loss ?? NaN,
      valAcc: l.val_acc ?? NaN,
      seconds: (performance.now() - this.t0) / 1000,
    };
    if (!Number.isFinite(rec.loss) || !Number.isFinite(rec.valLoss)) {
      throw new UserError(
        `${this.label}: epoch ${rec.epoch}: the ${Number.isFinite(rec.loss) ? "validation" : "training"} loss is ${Number.isFinite(rec.loss) ? rec.valLoss : rec.loss}; training stopped (a numeric fault: try a lower learning rate)`,
      );
    }
    this.track(rec);
    this.listener?.(rec, {
      maxEpochs: this.config.maxEpochs,
      wait: this.wait,
      patience: this.config.patience,
      bestEpoch: this.bestEpoch,
    });
  }
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
 * categorical cross-entropy (notebook 03), shuffled batches of 8 augmented images (notebook 01), validation after
 * every epoch, early stopping on the validation loss, and the best epoch's weights restored. Deterministic for a given
 * seed on a given backend.
 *
 * The six callbacks, in the order tfjs calls them: {@link DropoutSeeds} (a new seeded dropout mask every batch),
 * {@link EpochLog} (the history of Fig 5 and Fig 6), {@link BestWeights} (keeps and restores the best weights), tfjs'
 * `EarlyStopping`, and two of lib/checkpoint.ts ({@link checkpointCallbacks}: a resumed fold's early-stopping state,
 * a checkpoint after every epoch and a stop on request). Resuming ({@link resumeFold}, {@link trainingEnded}) gives
 * the same bits as never stopping (test/train.test.ts).
 *
 * @see notebooks/04-train.ipynb
 */
export async function trainFold(opts: TrainFoldOptions): Promise<TrainedFold> {
  const config = opts.config ?? PAPER;
  const { xTrain, yTrain } = opts;
  const rng = new Rng(opts.seed); // one seed for the weights, the batch order, the augmentation, the dropout masks
  const model = createModel(rng.seed(), config); // a fresh CNN (notebook 02)
  compileModel(model, config); // RMSprop on categorical cross-entropy (notebook 03)
  const augment = opts.augment ?? config.augmentation;
  const batchRng = new Rng(rng.seed());
  const augRng = new Rng(rng.seed());
  const batches = tf.data.generator(function* () {
    // One epoch: every training image once, in a new order, in batches of config.batchSize, augmented.
    const order = batchRng.shuffle(Array.from({ length: xTrain.shape[0] }, (_, i) => i));
    for (let start = 0; start < order.length; start += config.batchSize) {
      const idx = order.slice(start, start + config.batchSize);
      yield trainingBatch(xTrain, yTrain, idx, augment ? { rng: augRng, config: config.augment } : undefined);
    }
  });
  const dropout = new DropoutSeeds(new Rng(rng.seed())); // a new, seeded dropout mask every batch
  const log = new EpochLog(config, opts.onEpoch, opts.label); // the history (Fig 5, Fig 6)
  const best = new BestWeights(); // keeps the best epoch's weights, restores them at the end
  const early = tf.callbacks.earlyStopping({ monitor: "val_loss", patience: config.patience });
  // Never lose a run (lib/checkpoint.ts): what a checkpoint saves, and putting it back.
  const fold: FoldState = { model, rng: { batch: batchRng, augment: augRng, dropout: dropout.rng }, early, best, log };
  if (opts.resume) await resumeFold(fold, opts.resume);
  try {
    // Resumed from the epoch that ended training: nothing is left but restoring the best weights.
    if (opts.resume && trainingEnded(opts.resume, config)) best.putBack(model);
    else
      await model.fitDataset(batches, {
        epochs: config.maxEpochs,
        initialEpoch: opts.resume?.epoch ?? 0,
        validationData: [opts.xVal, opts.yVal], // the validation loss after every epoch
        validationBatchSize: 64,
        callbacks: [dropout, log, best, early, ...checkpointCallbacks(fold, opts)],
        verbose: 0,
        yieldEvery: "never",
      });
  } catch (e) {
    best.weights?.forEach((w) => w.dispose());
    model.dispose();
    throw e;
  }
  return { model, history: log.history, bestEpoch: best.bestEpoch, bestValLoss: best.best };
}

/** Loss and accuracy of a model on a labelled set, in inference mode (dropout off). */
export function evaluateModel(
  model: LayersModel,
  x: Tensor4D,
  y: Tensor2D,
  batchSize = 64,
): { loss: number; accuracy: number } {
  const out = model.evaluate(x, y, { batchSize }) as Scalar[];
  const [loss, accuracy] = out.map((s) => s.dataSync()[0]);
  tf.dispose(out);
  return { loss, accuracy };
}
