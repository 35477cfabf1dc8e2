/**
 * The run record (`run.json`): the contract between training (lib/train.ts, `npm run reproduce`) and everything
 * that reads results: figures, notebooks, the README table and checks.
 */
import type { PaperConfig } from "./config";

/** One epoch of one fold's training history (Fig 5, Fig 6). */
export interface EpochRecord {
  /** 1-based epoch number. */
  epoch: number;
  /** Mean training loss over the epoch's (augmented) batches. */
  loss: number;
  /** Training accuracy over the epoch's batches. */
  acc: number;
  /** Loss on the fold's held-out part. */
  valLoss: number;
  /** Accuracy on the fold's held-out part. */
  valAcc: number;
  /** Wall seconds the epoch took. */
  seconds: number;
}

export interface FoldRecord {
  /** 0-based fold index. */
  index: number;
  /** Paths ("class/file.png") of the fold's validation images. */
  val: string[];
  /** 1-based epoch whose weights were kept (lowest validation loss). */
  bestEpoch: number;
  bestValLoss: number;
  history: EpochRecord[];
  /** This fold's best model evaluated on the test set. */
  test: { loss: number; accuracy: number };
}

/** Per-class numbers on the test set, in class order. */
export interface ClassMetrics {
  class: string;
  /** Number of test images of this class. */
  support: number;
  /** Fraction of this class's images predicted correctly (= recall; the confusion-matrix diagonal, row-normalised). */
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
}

/** One-vs-rest ROC curve of one class (Fig 8). Points run from (0,0) to (1,1). */
export interface RocCurve {
  class: string;
  fpr: number[];
  tpr: number[];
  /** Threshold at each point: a test image counts as positive when its score is ≥ the threshold (first = +Infinity, stored as null in JSON). */
  thresholds: number[];
  auc: number;
}

export interface Prediction {
  /** "class/file.png". */
  file: string;
  /** True class index. */
  label: number;
  /** Softmax probabilities in class order. */
  probs: number[];
}

export interface TestRecord {
  loss: number;
  accuracy: number;
  /** confusion[i][j] = number of test images of true class i predicted as class j. */
  confusion: number[][];
  perClass: ClassMetrics[];
  roc: RocCurve[];
  predictions: Prediction[];
}

export interface RunRecord {
  classes: string[];
  backend: string;
  seed: number;
  config: PaperConfig & { quick: boolean; split: "random" | "subject"; [k: string]: unknown };
  /** Wall seconds of the whole run. */
  seconds: number;
  versions: Record<string, string>;
  split: { mode: "random" | "subject"; train: string[]; test: string[] };
  folds: FoldRecord[];
  /** Index of the fold with the lowest best validation loss: "the best model". */
  bestFold: number;
  /** The best fold's model on the test set. */
  test: TestRecord;
}
