/**
 * Section 2.3 of the paper, end to end: split 80/20, 5-fold cross-validation on the training part (a fresh model per
 * fold), the fold with the lowest validation loss is "the best model", evaluated on the test set (Sections 3.1–3.3), and
 * every fold's model is evaluated on the test set too; and the subject-independent 10-fold cross-validation the CK+
 * literature reports. Both produce the run record (lib/record.ts) and share one {@link trainFolds}: the images, the
 * fold jobs (lib/folds.ts, in worker threads), the checkpoints and the clock.
 */
import * as fs from "fs";
import * as path from "path";
import { ROOT } from "./paths";
import { tf, activeBackend, type LayersModel } from "./tf";
import { CLASSES, PAPER_RESULTS, QUICK, type ProtocolConfig } from "./config";
import { listImages, subjectOf } from "./data/files";
import { indicesOf, loadDataset, sampleFiles, type Dataset } from "./data/dataset";
import { trainTestSplit, kFold, type CvSplit, type HoldoutSplit } from "./split";
import { fanOuterFolds } from "./data/fan-folds";
import type { EpochListener } from "./train";
import { defaultWorkers, foldsBackend, runFoldJobs, type FoldJob, type FoldOutcome } from "./folds";
import { prepareCheckpoints, runClock } from "./checkpoint";
import { createModel } from "./model";
import { evaluatePredictions } from "./evaluate";
import { fmtSeconds } from "./display/text";
import { Rng } from "./random";
import type { EpochRecord, FoldRecord, RunRecord } from "./record";

/** What a run of the protocol needs: where the images are, the seed, the split and the configuration. */
export interface ProtocolOptions {
  dataDir: string;
  seed: number;
  split: HoldoutSplit;
  config: ProtocolConfig;
  /** The smoke setting: {@link QUICK}.perClass images per class (lib/data/dataset sampleFiles), the given folds and epochs. */
  quick?: boolean;
  /** Worker threads for folds; default: one per core for the pure-JS backends, 0 with tfjs-node (it is multi-threaded). */
  workers?: number;
  /** Check the folder against data/manifest.csv (default true). */
  verify?: boolean;
  /** Progress lines. */
  log?: (line: string) => void;
  /**
   * Keep progress here (finished folds, each running fold's last epoch) and continue from what is there: an
   * interrupted run resumed with the same options gives exactly the uninterrupted result. The caller removes the
   * folder once the run is saved.
   */
  checkpointDir?: string;
  /** Polled during training: true stops after the current batch with `Interrupted` (lib/checkpoint.ts). */
  shouldStop?: () => boolean;
}

/** A progress line per epoch of a fold: losses, accuracies, the early-stopping wait and a lower bound on time left. */
export function epochLogger(folds: number, log: (line: string) => void) {
  return (fold: number, rec: EpochRecord, info: Parameters<EpochListener>[1], threads = 1) => {
    const left = Math.min(info.maxEpochs - rec.epoch, info.patience - info.wait) * rec.seconds;
    log(
      `fold ${fold + 1}/${folds} epoch ${String(rec.epoch).padStart(3)}/${info.maxEpochs}  loss ${rec.loss.toFixed(4)} acc ${rec.acc.toFixed(3)}  ` +
        `val_loss ${rec.valLoss.toFixed(4)} val_acc ${rec.valAcc.toFixed(3)}  ${rec.seconds.toFixed(1)} s  best ${info.bestEpoch} (wait ${info.wait}/${info.patience}, ` +
        `≥ ${fmtSeconds(left)} left in fold)${threads > 1 ? `, ${threads} kernel threads` : ""}`,
    );
  };
}

/** An epoch listener that also records the run's clock. */
function withClock<A extends unknown[]>(listener: (...a: A) => void, clock: { save: () => void }): (...a: A) => void {
  return (...a: A) => {
    clock.save();
    listener(...a);
  };
}

/** Versions of what produced a run (stored in the run record). */
export function versions(): Record<string, string> {
  const pkg = (name: string) => {
    try {
      return (JSON.parse(fs.readFileSync(require.resolve(`${name}/package.json`), "utf8")) as { version: string })
        .version;
    } catch {
      return "absent";
    }
  };
  return {
    node: process.version,
    "@tensorflow/tfjs": tf.version.tfjs,
    "@tensorflow/tfjs-node": pkg("@tensorflow/tfjs-node"),
    sharp: pkg("sharp"),
    "fer-ck48": pkg(ROOT),
  };
}

/** The images of a run: every image of the data folder, or the quick subset ({@link QUICK}), sorted. */
function runFiles(opts: Pick<ProtocolOptions, "dataDir" | "quick" | "seed">): string[] {
  const files = listImages(opts.dataDir);
  return opts.quick ? sampleFiles(files, QUICK.perClass, opts.seed).sort() : files;
}

/** One fold of a plan, as image files: what it trains on, validates on (early stopping) and is tested on. */
export interface FoldPlan {
  train: string[];
  val: string[];
  test: string[];
}

/** What {@link trainFolds} returns: the loaded images, every fold's outcome, and how the folds ran. */
interface TrainedFolds {
  ds: Dataset;
  /** The jobs, in fold order (their `test` are the test images' positions in `ds`). */
  jobs: FoldJob[];
  outcomes: FoldOutcome[];
  workers: number;
  /** The backend the folds trained on (lib/folds.ts foldsBackend). */
  backend: string;
  /** Wall seconds so far, earlier parts of a resumed run included. */
  seconds: number;
}

/**
 * Load the images, then train the planned folds: one job per fold with its own seed (the run's seed + 2 drawn in
 * fold order, so the result does not depend on the worker count), checkpointed under `opts.checkpointDir` as `spec`
 * describes the run, with a progress line per epoch.
 */
async function trainFolds(
  opts: Omit<ProtocolOptions, "split">,
  files: string[],
  plan: FoldPlan[],
  spec: Record<string, unknown>,
): Promise<TrainedFolds> {
  const t0 = performance.now();
  const log = opts.log ?? (() => undefined);
  const config = opts.config;
  const ds = await loadDataset(opts.dataDir, { verify: opts.verify ?? true, only: files });
  const ix = (fs: string[]) => indicesOf(ds, fs);
  const seeds = new Rng(opts.seed + 2);
  const ck = opts.checkpointDir;
  if (ck) prepareCheckpoints(ck, spec);
  const backend = activeBackend() as FoldJob["backend"];
  const jobs: FoldJob[] = plan.map((f, i) => ({
    index: i,
    seed: seeds.seed(),
    backend,
    config,
    size: ds.size,
    x: ds.x,
    labels: ds.labels,
    train: ix(f.train),
    val: ix(f.val),
    test: ix(f.test),
    checkpoint: ck && path.join(ck, `fold-${i + 1}`),
  }));
  const workers = opts.workers ?? defaultWorkers(plan.length);
  log(
    `training ${plan.length} folds on ${backend}, ${workers === 0 ? "in this thread" : `${workers} worker thread(s)`}; batch ${config.batchSize}, ≤ ${config.maxEpochs} epochs, patience ${config.patience}`,
  );
  const clock = runClock(ck, t0);
  const outcomes = await runFoldJobs(jobs, workers, withClock(epochLogger(plan.length, log), clock), opts.shouldStop);
  return { ds, jobs, outcomes, workers, backend: foldsBackend(outcomes), seconds: clock.seconds() };
}

/** The fold with the lowest best validation loss: "the best model" (ties keep the earlier fold). */
function bestOf(outcomes: FoldOutcome[]): FoldOutcome {
  return outcomes.reduce((a, b) => (b.bestValLoss < a.bestValLoss ? b : a));
}

/**
 * The paper's whole protocol (Section 2.3): returns the run record and the best fold's model.
 */
export async function runProtocol(opts: ProtocolOptions): Promise<{ record: RunRecord; model: LayersModel }> {
  const log = opts.log ?? (() => undefined);
  const config = opts.config;
  const files = runFiles(opts);
  const split = trainTestSplit(files, opts.seed, config.testFraction, opts.split);
  const folds = kFold(split.train, config.folds, opts.seed + 1, opts.split);
  log(
    `data: ${files.length} images from ${opts.dataDir}; split ${opts.split}: ${split.train.length} train / ${split.test.length} test; ${config.folds} folds`,
  );
  const spec = { protocol: "holdout", seed: opts.seed, split: opts.split, quick: !!opts.quick, config, files };
  const plan = folds.map((f) => ({ train: f.train, val: f.val, test: split.test }));
  const { ds, outcomes, workers, backend, seconds } = await trainFolds(opts, files, plan, spec);
  for (const o of outcomes)
    log(
      `fold ${o.index + 1}: best epoch ${o.bestEpoch} val_loss ${o.bestValLoss.toFixed(4)}; test loss ${o.test.loss.toFixed(4)} acc ${o.test.accuracy.toFixed(4)} (${fmtSeconds(o.seconds)})`,
    );
  const best = bestOf(outcomes);
  const model = createModel(0, config);
  model.setWeights(best.weights.map((w) => tf.tensor(w.data, w.shape)));
  const testIdx = indicesOf(ds, split.test);
  const predictions = split.test.map((file, i) => ({ file, label: ds.labels[testIdx[i]], probs: best.testProbs[i] }));
  const test = evaluatePredictions(predictions, CLASSES, best.test.loss);
  const foldRecords: FoldRecord[] = outcomes.map((o) => ({
    index: o.index,
    val: folds[o.index].val,
    bestEpoch: o.bestEpoch,
    bestValLoss: o.bestValLoss,
    history: o.history,
    test: o.test,
  }));
  const record: RunRecord = {
    classes: [...CLASSES],
    backend,
    seed: opts.seed,
    config: { ...config, quick: !!opts.quick, split: opts.split, workers },
    seconds,
    versions: versions(),
    split: { mode: opts.split, train: split.train, test: split.test },
    folds: foldRecords,
    bestFold: best.index,
    test,
  };
  log(
    `best fold ${best.index + 1}: test loss ${test.loss.toFixed(4)}, accuracy ${test.accuracy.toFixed(4)} (${Math.round(test.accuracy * split.test.length)}/${split.test.length}); paper: ${PAPER_RESULTS.testLoss} / ${PAPER_RESULTS.testAccuracy} (${PAPER_RESULTS.testCorrect}/${PAPER_RESULTS.testImages}). ${fmtSeconds(record.seconds)} in all`,
  );
  return { record, model };
}

/** Outer folds of the subject-independent cross-validation (`subject-cv`), the protocol the CK+ literature reports. */
export const SUBJECT_CV_FOLDS = 10;

/**
 * Subject-independent 10-fold cross-validation (`subject-cv`): the subjects are dealt into {@link SUBJECT_CV_FOLDS}
 * folds (lib/split kFold, subject mode), so every image is tested exactly once by a model that never saw its person.
 * Inside each outer fold the paper's training runs unchanged: a validation part of the training subjects (the first
 * of `config.folds` subject folds, i.e. the paper's 80/20 proportion) drives early stopping and the best weights.
 * The record's `test` pools the predictions of all outer folds over every image; `folds[i].test` is fold i's own
 * held-out subjects; `bestFold` is the outer fold with the lowest validation loss (kept for the record contract: no
 * single model is "the" result here).
 */
export async function runSubjectCv(
  opts: Omit<ProtocolOptions, "split">,
  split: CvSplit = "subject-cv",
): Promise<{ record: RunRecord }> {
  const log = opts.log ?? (() => undefined);
  const config = opts.config;
  const files = runFiles(opts);
  const outer =
    split === "subject-cv-fan"
      ? fanOuterFolds(files)
      : kFold(files, Math.min(SUBJECT_CV_FOLDS, new Set(files.map(subjectOf)).size), opts.seed + 1, "subject");
  log(
    `data: ${files.length} images from ${opts.dataDir}; subject-independent ${outer.length}-fold cross-validation${split === "subject-cv-fan" ? " on Emotion-FAN's published folds" : ""}`,
  );
  const inner = outer.map((o, i) => kFold(o.train, config.folds, opts.seed + 3 + i, "subject")[0]);
  const spec = { protocol: split, seed: opts.seed, quick: !!opts.quick, config, files };
  const plan = outer.map((o, i) => ({ train: inner[i].train, val: inner[i].val, test: o.val }));
  const { ds, jobs, outcomes, workers, backend, seconds } = await trainFolds(opts, files, plan, spec);
  const predictions = outcomes.flatMap((o) =>
    outer[o.index].val.map((file, k) => ({ file, label: ds.labels[jobs[o.index].test[k]], probs: o.testProbs[k] })),
  );
  predictions.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const test = evaluatePredictions(predictions, CLASSES);
  const best = bestOf(outcomes);
  const record: RunRecord = {
    classes: [...CLASSES],
    backend,
    seed: opts.seed,
    config: { ...config, quick: !!opts.quick, split, workers, outerFolds: outer.length },
    seconds,
    versions: versions(),
    split: { mode: split, train: [], test: predictions.map((p) => p.file) },
    folds: outcomes.map((o) => ({
      index: o.index,
      val: inner[o.index].val,
      testFiles: outer[o.index].val,
      bestEpoch: o.bestEpoch,
      bestValLoss: o.bestValLoss,
      history: o.history,
      test: o.test,
    })),
    bestFold: best.index,
    test,
  };
  log(
    `${split}: pooled accuracy ${test.accuracy.toFixed(4)} over ${predictions.length} images (${fmtSeconds(record.seconds)})`,
  );
  return { record };
}
