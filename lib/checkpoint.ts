/**
 * Never lose a run: what training keeps after every epoch to continue exactly where it stopped, and the run's
 * checkpoint folder (`--out/checkpoint/`). Infrastructure that lib/train.ts's loop and lib/protocol.ts name but do not
 * spell out: a resumed run gives the same bits as one never stopped (test/train.test.ts, test/protocol.test.ts).
 */
import * as fs from "fs";
import * as path from "path";
import { tf, type LayersModel, type Tensor } from "./tf";
import { UserError } from "./errors";
import { z } from "zod";
import { loadJsonFile, writeAtomic } from "./files";
import type { EpochRecord } from "./record";
import type { Rng } from "./random";

/** A tensor as a checkpoint stores it: shape, and float32 data in base64 (exact bits). */
export interface SavedTensor {
  name?: string;
  shape: number[];
  data: string;
}

/**
 * Everything a fold's training needs to continue exactly where it was after a finished epoch (never lose a run): the model's and the optimiser's weights, the three random generators' states (batch order, augmentation,
 * dropout masks), early stopping's state, the best weights so far and the history. Resuming from it gives the same
 * bits as never stopping (test/train.test.ts).
 */
export interface TrainCheckpoint {
  /** Epochs finished. */
  epoch: number;
  weights: SavedTensor[];
  optimizer: SavedTensor[];
  rng: { batch: number; augment: number; dropout: number };
  early: { best: number; wait: number };
  best: { value: number; epoch: number; weights: SavedTensor[] | null };
  history: EpochRecord[];
}

/** Training stopped on request (Ctrl-C, SIGTERM) after a batch; the last checkpoint holds the last finished epoch. */
export class Interrupted extends Error {
  constructor(message = "interrupted") {
    super(message);
    this.name = "Interrupted";
  }
}

/** Float32 values as base64 of their exact bytes (checkpoints and finished folds store weights this way). */
export function float32ToBase64(d: Float32Array): string {
  return Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString("base64");
}

/** The float32 values of {@link float32ToBase64}'s text (copied out, so the buffer is aligned). */
export function base64ToFloat32(text: string): Float32Array {
  const b = Buffer.from(text, "base64");
  const f = new Float32Array(b.byteLength / 4);
  new Uint8Array(f.buffer).set(b.subarray(0, f.byteLength));
  return f;
}

/** A tensor's exact float32 bits as a {@link SavedTensor}. */
export function saveTensor(t: Tensor, name?: string): SavedTensor {
  return {
    ...(name === undefined ? {} : { name }),
    shape: t.shape.slice(),
    data: float32ToBase64(t.dataSync() as Float32Array),
  };
}

/** A {@link SavedTensor} back as a tensor (the same bits). */
export function loadTensor(s: SavedTensor): Tensor {
  return tf.tensor(base64ToFloat32(s.data), s.shape, "float32");
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** A stored tensor: a shape of whole numbers and base64 holding exactly 4 bytes per element. */
export const SAVED_TENSOR: z.ZodType<SavedTensor, unknown> = z
  .object({ name: z.string().optional(), shape: z.array(z.number().int().nonnegative()).max(8), data: z.string() })
  .refine(
    (t) => BASE64.test(t.data) && Buffer.byteLength(t.data, "base64") === 4 * t.shape.reduce((a, b) => a * b, 1),
    { message: "its data is not base64 of 4 bytes per element of its shape" },
  );

/** One epoch of a history, as checkpoints and run records store it. */
export const EPOCH_RECORD: z.ZodType<EpochRecord, unknown> = z.object({
  epoch: z.number().int().positive(),
  loss: z.number(),
  acc: z.number(),
  valLoss: z.number(),
  valAcc: z.number(),
  seconds: z.number().nonnegative(),
});

/** The schema of a fold's `<prefix>.json` checkpoint; its output type is {@link TrainCheckpoint}. */
export const TRAIN_CHECKPOINT_SCHEMA: z.ZodType<TrainCheckpoint, unknown> = z.object({
  epoch: z.number().int().nonnegative(),
  weights: z.array(SAVED_TENSOR),
  optimizer: z.array(SAVED_TENSOR),
  rng: z.object({ batch: z.number(), augment: z.number(), dropout: z.number() }),
  early: z.object({ best: z.number(), wait: z.number() }),
  best: z.object({ value: z.number(), epoch: z.number(), weights: z.array(SAVED_TENSOR).nullable() }),
  history: z.array(EPOCH_RECORD),
});

/** What to do about a damaged checkpoint file: the one hint every message about one gives. */
export const DAMAGED_HINT =
  "delete that file to train its fold again from the start, or start the run over with --force";

/** Read a fold's checkpoint, checked: a damaged one (truncated, garbled, wrong types) is a one-line UserError. */
export function readTrainCheckpoint(file: string): TrainCheckpoint {
  return loadJsonFile(file, TRAIN_CHECKPOINT_SCHEMA, "fold checkpoint", DAMAGED_HINT);
}

/**
 * Prepare a checkpoint folder for a run: record what the run is (seed, split, configuration, images) the first time,
 * and refuse to continue a folder made by a different run (its folds would not belong to this one).
 */
export function prepareCheckpoints(dir: string, spec: Record<string, unknown>): void {
  if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory())
    throw new UserError(`${dir} is a file, not a checkpoint folder: delete it, or start the run over with --force`);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "run-spec.json");
  const text = JSON.stringify(spec);
  if (fs.existsSync(file)) {
    if (fs.readFileSync(file, "utf8") !== text)
      throw new UserError(
        `the checkpoint in ${dir} was made by a run with other settings (seed, split, configuration or images); start over with --force`,
      );
    return;
  }
  writeAtomic(file, text);
}

/**
 * The wall clock of a run across interruptions: seconds spent by earlier parts of a resumed run (from the checkpoint
 * folder's `elapsed.json`, 0 without one), and a function that records the total so far there after every epoch, so
 * a resumed run's `seconds` counts all its parts (to within the epoch that was running when it stopped).
 */
export function runClock(dir: string | undefined, t0: number): { seconds: () => number; save: () => void } {
  const file = dir && path.join(dir, "elapsed.json");
  let before = 0;
  if (file && fs.existsSync(file))
    before = loadJsonFile(file, z.object({ seconds: z.number().nonnegative() }), "run clock", DAMAGED_HINT).seconds;
  const seconds = () => before + (performance.now() - t0) / 1000;
  return { seconds, save: () => file && writeAtomic(file, JSON.stringify({ seconds: seconds() })) };
}

/**
 * What a fold's training holds between epochs (lib/train.ts trainFold): everything a {@link TrainCheckpoint} saves.
 */
export interface FoldState {
  model: LayersModel;
  rng: { batch: Rng; augment: Rng; dropout: Rng };
  early: { best: number; wait: number };
  best: { best: number; bestEpoch: number; weights: Tensor[] | null };
  history: EpochRecord[];
}

/**
 * Put a checkpoint back into a fold about to train: the model's and the optimiser's weights, the three generators,
 * early stopping's state, the best weights so far and the history.
 */
export async function resumeFold(fold: FoldState, c: TrainCheckpoint): Promise<void> {
  fold.model.setWeights(c.weights.map(loadTensor));
  const named = c.optimizer.map((w) => ({ name: w.name ?? "", tensor: loadTensor(w) }));
  await fold.model.optimizer.setWeights(named);
  tf.dispose(named.map((w) => w.tensor));
  fold.rng.batch.restore(c.rng.batch);
  fold.rng.augment.restore(c.rng.augment);
  fold.rng.dropout.restore(c.rng.dropout);
  fold.early.best = c.early.best;
  fold.early.wait = c.early.wait;
  fold.best.best = c.best.value;
  fold.best.bestEpoch = c.best.epoch;
  fold.best.weights = c.best.weights ? c.best.weights.map((w) => tf.keep(loadTensor(w))) : null;
  fold.history.splice(0, fold.history.length, ...c.history);
}

/** Whether a checkpoint was written at the epoch that ended training (patience used up, or the last epoch). */
export function trainingEnded(c: TrainCheckpoint, config: { patience: number; maxEpochs: number }): boolean {
  return c.early.wait >= config.patience || c.epoch >= config.maxEpochs;
}

/**
 * The best weights' saved form, kept as long as they are: they change only in the epochs where the validation loss
 * falls (a tensor's values never change), and encoding them again every epoch was a third of a checkpoint's work.
 */
const savedBest = new WeakMap<Tensor, SavedTensor>();
function savedOnce(t: Tensor): SavedTensor {
  let s = savedBest.get(t);
  if (!s) savedBest.set(t, (s = saveTensor(t)));
  return s;
}

/** Everything needed to continue a fold exactly after its finished epoch `epoch`. */
export async function foldCheckpoint(fold: FoldState, epoch: number): Promise<TrainCheckpoint> {
  const optimizer = await fold.model.optimizer.getWeights();
  return {
    epoch,
    weights: fold.model.getWeights().map((w) => saveTensor(w)),
    optimizer: optimizer.map((w) => saveTensor(w.tensor, w.name)),
    rng: { batch: fold.rng.batch.save(), augment: fold.rng.augment.save(), dropout: fold.rng.dropout.save() },
    early: { best: fold.early.best, wait: fold.early.wait },
    best: {
      value: fold.best.best,
      epoch: fold.best.bestEpoch,
      weights: fold.best.weights ? fold.best.weights.map(savedOnce) : null,
    },
    history: fold.history.slice(),
  };
}

/**
 * After a batch: give the event loop a turn (training never does otherwise), so a Ctrl-C handler or a worker's
 * "stop" message can run (about 10 µs), and stop with {@link Interrupted} when `shouldStop` says so.
 */
export async function stopIfAsked(shouldStop: (() => boolean) | undefined, label: string): Promise<void> {
  if (!shouldStop) return;
  await new Promise<void>((resolve) => setImmediate(resolve));
  if (shouldStop()) throw new Interrupted(`${label}: interrupted after a batch`);
}
