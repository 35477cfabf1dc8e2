/**
 * Never lose a run: what training keeps after every epoch to continue exactly where it stopped, and the run's
 * checkpoint folder (`--out/checkpoint/`). Infrastructure that lib/train.ts's loop and lib/protocol.ts name but do not
 * spell out: a resumed run gives the same bits as one never stopped (test/train.test.ts, test/protocol.test.ts).
 */
import * as fs from "fs";
import * as path from "path";
import { tf, type Tensor } from "./tf";
import { UserError } from "./errors";
import { writeAtomic } from "./files";
import type { EpochRecord } from "./record";

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

/** A tensor's exact float32 bits as a {@link SavedTensor}. */
export function saveTensor(t: Tensor, name?: string): SavedTensor {
  const d = t.dataSync() as Float32Array;
  return {
    ...(name === undefined ? {} : { name }),
    shape: t.shape.slice(),
    data: Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString("base64"),
  };
}

/** A {@link SavedTensor} back as a tensor (the same bits). */
export function loadTensor(s: SavedTensor): Tensor {
  const b = Buffer.from(s.data, "base64");
  const f = new Float32Array(b.byteLength / 4);
  new Uint8Array(f.buffer).set(b);
  return tf.tensor(f, s.shape, "float32");
}

/**
 * Prepare a checkpoint folder for a run: record what the run is (seed, split, configuration, images) the first time,
 * and refuse to continue a folder made by a different run (its folds would not belong to this one).
 */
export function prepareCheckpoints(dir: string, spec: Record<string, unknown>): void {
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
  if (file && fs.existsSync(file)) {
    const v = (JSON.parse(fs.readFileSync(file, "utf8")) as { seconds?: unknown }).seconds;
    if (typeof v === "number" && v >= 0) before = v;
  }
  const seconds = () => before + (performance.now() - t0) / 1000;
  return { seconds, save: () => file && writeAtomic(file, JSON.stringify({ seconds: seconds() })) };
}
