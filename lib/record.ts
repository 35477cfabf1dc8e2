/**
 * The run record (`run.json`): the contract between training (lib/train.ts, `npm run reproduce`) and everything
 * that reads results: figures, notebooks, the README table and checks.
 */
import type { ProtocolConfig } from "./config";
import type { SplitName } from "./split";
import { z } from "zod";
import { UserError } from "./errors";
import { MAX_JSON_BYTES, readBounded } from "./files";

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
  /** `subject-cv` only: the fold's own held-out test images (its subjects appear nowhere else in the fold). */
  testFiles?: string[];
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
  /** The backend every fold trained on (lib/folds.ts foldsBackend; lib/backend.ts names them). */
  backend: string;
  seed: number;
  config: ProtocolConfig & { quick: boolean; split: SplitName; [k: string]: unknown };
  /** Wall seconds of the whole run; for a resumed run, summed over its parts (each up to its last finished epoch). */
  seconds: number;
  versions: Record<string, string>;
  /**
   * The run's split: how it was made, and its train and test images. `random` and `subject` hold out a test part
   * (lib/split.ts trainTestSplit; `train` includes the folds' validation images); `subject-cv` tests every image
   * once, pooled over subject-independent folds (`train` is empty).
   */
  split: { mode: SplitName; train: string[]; test: string[] };
  folds: FoldRecord[];
  /** Index of the fold with the lowest best validation loss: "the best model". */
  bestFold: number;
  /** The best fold's model on the test set. */
  test: TestRecord;
}

/**
 * Check that a parsed run.json has the shape the contract promises (figures and notebooks rely on it).
 * Returns the problems found (empty when valid).
 */
export function validateRunRecord(r: unknown): string[] {
  // The checks of meaning first (their messages name what is wrong in the reader's terms), guarded: on a record of
  // the wrong types they could throw, and then the schema says where the types are wrong.
  let meaning: string[] | undefined;
  try {
    meaning = meaningProblems(r);
  } catch {
    meaning = undefined;
  }
  if (meaning?.length) return meaning;
  const shape = RUN_RECORD_SHAPE.safeParse(r);
  if (!shape.success)
    return shape.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.length ? i.path.join(".") : "the record"}: ${i.message}`);
  return meaning ?? ["the record could not be checked"];
}

/** A number of any value (a record in memory holds Infinity and NaN, which JSON stores as null), or null. */
const num = z.custom<number | null>((v) => v === null || typeof v === "number", "expected a number");
const int = z.number().int();
const strings = z.array(z.string());
const EPOCH = z.object({ epoch: int, loss: num, acc: num, valLoss: num, valAcc: num, seconds: num });

/** The types of a run record, leaf by leaf (what {@link meaningProblems} takes for granted). */
export const RUN_RECORD_SHAPE = z.object({
  classes: strings,
  backend: z.string(),
  seed: int,
  config: z.object({ batchSize: int }).passthrough(),
  seconds: num,
  versions: z.record(z.string(), z.string()),
  split: z.object({ mode: z.string(), train: strings, test: strings }),
  folds: z.array(
    z.object({
      index: int,
      val: strings,
      testFiles: strings.optional(),
      bestEpoch: int,
      bestValLoss: num,
      history: z.array(EPOCH),
      test: z.object({ loss: num, accuracy: num }),
    }),
  ),
  bestFold: int,
  test: z.object({
    loss: num,
    accuracy: num,
    confusion: z.array(z.array(z.number().int().nonnegative())),
    perClass: z.array(
      z.object({ class: z.string(), support: int, accuracy: num, precision: num, recall: num, f1: num }),
    ),
    roc: z.array(
      z.object({ class: z.string(), fpr: z.array(num), tpr: z.array(num), thresholds: z.array(num), auc: num }),
    ),
    predictions: z.array(z.object({ file: z.string(), label: int, probs: z.array(num) })),
  }),
});

function meaningProblems(r: unknown): string[] {
  const p: string[] = [];
  const o = r as RunRecord;
  if (!o || typeof o !== "object") return ["not an object"];
  if (!Array.isArray(o.classes) || o.classes.length !== 7) p.push("classes: expected 7 names");
  if (typeof o.backend !== "string") p.push("backend missing");
  if (typeof o.seed !== "number") p.push("seed missing");
  if (!o.config || typeof o.config.batchSize !== "number") p.push("config missing");
  if (typeof o.seconds !== "number") p.push("seconds missing");
  if (!o.versions || typeof o.versions !== "object") p.push("versions missing");
  if (!o.split || !Array.isArray(o.split.train) || !Array.isArray(o.split.test)) p.push("split missing");
  if (!Array.isArray(o.folds) || o.folds.length < 1) p.push("folds missing");
  else
    o.folds.forEach((f, i) => {
      if (f.index !== i) p.push(`folds[${i}].index is ${f.index}`);
      if (!Array.isArray(f.history) || f.history.length < 1) p.push(`folds[${i}].history empty`);
      else if (!Number.isInteger(f.bestEpoch) || f.bestEpoch < 1 || f.bestEpoch > f.history.length)
        p.push(`folds[${i}].bestEpoch ${f.bestEpoch} is not an epoch in 1..${f.history.length}`);
      if (!f.test || typeof f.test.accuracy !== "number") p.push(`folds[${i}].test missing`);
      if (!Array.isArray(f.val)) p.push(`folds[${i}].val missing`);
    });
  if (typeof o.bestFold !== "number" || !o.folds || !o.folds[o.bestFold]) p.push("bestFold invalid");
  const t = o.test;
  if (!t) return [...p, "test missing"];
  const n = o.split?.test?.length ?? -1;
  if (!Array.isArray(t.confusion) || t.confusion.length !== 7 || t.confusion.some((row) => row.length !== 7))
    p.push("test.confusion: expected 7×7");
  else if (t.confusion.flat().reduce((a, b) => a + b, 0) !== n)
    p.push("test.confusion does not sum to the test-set size");
  if (!Array.isArray(t.perClass) || t.perClass.length !== 7) p.push("test.perClass: expected 7");
  if (!Array.isArray(t.roc) || t.roc.length !== 7) p.push("test.roc: expected 7 curves");
  else
    t.roc.forEach((c, i) => {
      if (
        !Array.isArray(c.fpr) ||
        !Array.isArray(c.tpr) ||
        !Array.isArray(c.thresholds) ||
        c.fpr.length !== c.tpr.length ||
        c.fpr.length !== c.thresholds.length
      )
        p.push(`test.roc[${i}]: fpr/tpr/thresholds lengths differ`);
      // auc is null in JSON (NaN in memory) for a class without positives or negatives: its ROC is undefined.
      if (typeof c.auc !== "number" && c.auc !== null) p.push(`test.roc[${i}].auc is neither a number nor null`);
    });
  if (!Array.isArray(t.predictions) || t.predictions.length !== n)
    p.push("test.predictions: one per test image expected");
  else if (t.predictions.some((q) => q.probs.length !== 7)) p.push("test.predictions: 7 probabilities each expected");
  if (typeof t.accuracy !== "number" || t.accuracy < 0 || t.accuracy > 1) p.push("test.accuracy invalid");
  if (typeof t.loss !== "number") p.push("test.loss missing");
  return p;
}

/** A run record as `run.json` text: Infinity (the first ROC threshold) and NaN become null. */
export function runRecordJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 1) + "\n";
}

/** A run record that cannot be used (unreadable, not JSON, not the contract): one line, no stack trace. */
export class RunFileError extends UserError {}

/** Read and check a run record file against the contract ({@link validateRunRecord}); throws `RunFileError`. */
export function loadRun(file: string): RunRecord {
  let text: string;
  try {
    text = readBounded(file, "run record", "give a run.json made by npm run reproduce", MAX_JSON_BYTES).toString(
      "utf8",
    );
  } catch (e) {
    throw new RunFileError((e as Error).message);
  }
  let run: unknown;
  try {
    run = JSON.parse(text);
  } catch (e) {
    throw new RunFileError(`${file} is not valid JSON (${(e as Error).message.split("\n")[0]})`);
  }
  const problem = validateRunRecord(run)[0];
  if (problem) throw new RunFileError(`${file} is not a valid run record: ${problem}`);
  return run as RunRecord;
}
