/**
 * Section 3 of the paper, end to end: split 80/20, 5-fold cross-validation on the training part (a fresh model per
 * fold), the fold with the lowest validation loss is "the best model", evaluated on the test set (Section 4), and
 * every fold's model is evaluated on the test set too. Produces the run record (lib/record.ts).
 *
 * Folds are independent, so they can run in parallel worker threads, one per core (lib/fold-worker.ts). Each fold
 * has its own seed derived from the run's seed, so the result does not depend on scheduling or the worker count.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "./paths";
import { Worker } from "worker_threads";
import { tf, backendName, type LayersModel } from "./tf";
import { CLASSES, NUM_CLASSES, PAPER, PAPER_RESULTS, type PaperConfig } from "./config";
import { indicesOf, listImages, loadDataset, sampleFiles, subjectOf, type Dataset } from "./data";
import { trainTestSplit, kFold, type SplitMode } from "./split";
import { trainFold, evaluateModel, Interrupted, type EpochListener, type TrainCheckpoint } from "./train";
import { writeAtomic } from "./save";
import { createModel } from "./model";
import { evaluatePredictions, predictProbs } from "./evaluate";
import { Rng } from "./random";
import { UserError } from "./errors";
import type { EpochRecord, FoldRecord, RunRecord } from "./record";

/** What a fold job needs: the images as plain arrays (so it can cross into a worker). */
export interface FoldJob {
  index: number;
  seed: number;
  config: PaperConfig;
  size: number;
  /** Pixels of all images the run uses (N × size × size × 3). */
  x: Float32Array;
  labels: number[];
  train: number[];
  val: number[];
  test: number[];
  /**
   * Where this fold keeps its progress (a path prefix): `<prefix>.json` is the last epoch's checkpoint,
   * `<prefix>.done.json` the finished fold. Without it nothing is written and an interruption loses the fold.
   */
  checkpoint?: string;
}

/** What a fold job returns. */
export interface FoldOutcome {
  index: number;
  history: EpochRecord[];
  bestEpoch: number;
  bestValLoss: number;
  test: { loss: number; accuracy: number };
  /** Softmax outputs of this fold's best model on the test images, in job.test order. */
  testProbs: number[][];
  /** The best weights, in model.getWeights() order. */
  weights: { shape: number[]; data: Float32Array }[];
  seconds: number;
}

function tensors(job: FoldJob, idx: number[]) {
  const per = job.size * job.size * 3;
  const buf = new Float32Array(idx.length * per);
  idx.forEach((k, i) => buf.set(job.x.subarray(k * per, (k + 1) * per), i * per));
  const rgb = tf.tensor4d(buf, [idx.length, job.size, job.size, 3]);
  // The `gray` variant: the three channels are equal copies of the grey value (notebook 01), so channel 0 is the image.
  const x = job.config.channels === 1 ? tf.tidy(() => rgb.slice([0, 0, 0, 0], [-1, -1, -1, 1])) : rgb;
  if (x !== rgb) rgb.dispose();
  const y = tf.tidy(() =>
    tf
      .oneHot(
        tf.tensor1d(
          idx.map((k) => job.labels[k]),
          "int32",
        ),
        NUM_CLASSES,
      )
      .toFloat(),
  ) as import("@tensorflow/tfjs").Tensor2D;
  return { x, y };
}

/** A finished fold as `<prefix>.done.json` stores it: the outcome, weights as exact float32 bits in base64. */
function outcomeJson(o: FoldOutcome): string {
  const b64 = (d: Float32Array) => Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString("base64");
  return JSON.stringify({ ...o, weights: o.weights.map((w) => ({ shape: w.shape, data: b64(w.data) })) });
}

function outcomeFromJson(text: string): FoldOutcome {
  const o = JSON.parse(text) as Omit<FoldOutcome, "weights"> & { weights: { shape: number[]; data: string }[] };
  return {
    ...o,
    weights: o.weights.map((w) => {
      const b = Buffer.from(w.data, "base64");
      const f = new Float32Array(b.byteLength / 4);
      new Uint8Array(f.buffer).set(b);
      return { shape: w.shape, data: f };
    }),
  };
}

/**
 * Train and evaluate one fold (in this thread). Used directly and by the worker. With `job.checkpoint`, a finished
 * fold is read back instead of trained, an interrupted one continues from its last epoch, and progress is written
 * after every epoch.
 */
export async function runFoldJob(
  job: FoldJob,
  onEpoch?: EpochListener,
  shouldStop?: () => boolean,
): Promise<FoldOutcome> {
  const done = job.checkpoint && `${job.checkpoint}.done.json`;
  const partial = job.checkpoint && `${job.checkpoint}.json`;
  if (done && fs.existsSync(done)) return outcomeFromJson(fs.readFileSync(done, "utf8"));
  const resume =
    partial && fs.existsSync(partial) ? (JSON.parse(fs.readFileSync(partial, "utf8")) as TrainCheckpoint) : undefined;
  const t0 = performance.now();
  const tr = tensors(job, job.train),
    va = tensors(job, job.val),
    te = tensors(job, job.test);
  try {
    const r = await trainFold({
      xTrain: tr.x,
      yTrain: tr.y,
      xVal: va.x,
      yVal: va.y,
      seed: job.seed,
      config: job.config,
      onEpoch,
      resume,
      shouldStop,
      label: `fold ${job.index + 1}`,
      onCheckpoint: partial ? (c) => writeAtomic(partial, JSON.stringify(c)) : undefined,
    });
    const test = evaluateModel(r.model, te.x, te.y);
    const testProbs = predictProbs(r.model, te.x);
    const weights = r.model.getWeights().map((w) => ({ shape: w.shape.slice(), data: w.dataSync() as Float32Array }));
    r.model.dispose();
    const outcome: FoldOutcome = {
      index: job.index,
      history: r.history,
      bestEpoch: r.bestEpoch,
      bestValLoss: r.bestValLoss,
      test,
      testProbs,
      weights,
      seconds: (performance.now() - t0) / 1000 + (resume ? resume.history.reduce((a, h) => a + h.seconds, 0) : 0),
    };
    if (done && partial) {
      writeAtomic(done, outcomeJson(outcome));
      fs.rmSync(partial, { force: true });
    }
    return outcome;
  } finally {
    tf.dispose([tr.x, tr.y, va.x, va.y, te.x, te.y]);
  }
}

/** Messages from a fold worker. */
export type WorkerMessage =
  | { type: "epoch"; fold: number; rec: EpochRecord; info: Parameters<EpochListener>[1] }
  | { type: "done"; outcome: FoldOutcome }
  | { type: "error"; message: string; interrupted?: boolean; user?: boolean };

/**
 * Run fold jobs on `workers` threads (0 = in this thread), calling onEpoch with every epoch of every fold. When
 * `shouldStop` turns true, no new fold starts and the running ones stop after their current batch; the promise then
 * rejects with {@link Interrupted} (their checkpoints stand).
 */
export async function runFoldJobs(
  jobs: FoldJob[],
  workers: number,
  onEpoch?: (fold: number, rec: EpochRecord, info: Parameters<EpochListener>[1]) => void,
  shouldStop: () => boolean = () => false,
): Promise<FoldOutcome[]> {
  if (workers <= 0) {
    const out: FoldOutcome[] = [];
    for (const j of jobs) {
      if (shouldStop()) throw new Interrupted();
      out.push(await runFoldJob(j, (rec, info) => onEpoch?.(j.index, rec, info), shouldStop));
    }
    return out;
  }
  const queue = jobs.slice();
  const results: FoldOutcome[] = [];
  // Compiled (dist/, the commands) the worker is plain JavaScript; from source (tests, notebooks) tsx loads it.
  const compiled = __filename.endsWith(".js");
  const script = path.join(__dirname, compiled ? "fold-worker.js" : "fold-worker.ts");
  const bootstrap = `${compiled ? "" : `require(${JSON.stringify(require.resolve("tsx/cjs"))}); `}require(${JSON.stringify(script)});`;
  const live = new Set<Worker>();
  let stopping = false;
  const poll = setInterval(() => {
    if (!stopping && shouldStop()) {
      stopping = true;
      for (const w of live) w.postMessage({ type: "stop" });
    }
  }, 100);
  const runOne = (w: Worker, job: FoldJob) =>
    new Promise<FoldOutcome>((resolve, reject) => {
      const onMsg = (m: WorkerMessage) => {
        if (m.type === "epoch") onEpoch?.(m.fold, m.rec, m.info);
        else {
          w.off("message", onMsg);
          w.off("error", onErr);
          if (m.type === "done") resolve(m.outcome);
          else if (m.interrupted) reject(new Interrupted());
          else if (m.user) reject(new UserError(m.message));
          else reject(new Error(`fold ${job.index + 1}: ${m.message}`));
        }
      };
      const onErr = (e: Error) => reject(e);
      w.on("message", onMsg);
      w.once("error", onErr);
      w.postMessage(job);
    });
  const pool = Array.from({ length: Math.min(workers, jobs.length) }, async () => {
    const w = new Worker(bootstrap, { eval: true, env: process.env });
    live.add(w);
    try {
      for (let job = queue.shift(); job && !stopping; job = queue.shift()) results.push(await runOne(w, job));
    } finally {
      live.delete(w);
      await w.terminate();
    }
  });
  try {
    const settled = await Promise.allSettled(pool);
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
    if (failed) throw failed.reason;
    if (stopping) throw new Interrupted();
  } finally {
    clearInterval(poll);
  }
  return results.sort((a, b) => a.index - b.index);
}

/** Images per class in the `--quick` smoke setting. */
export const QUICK_PER_CLASS = 10;

export interface ProtocolOptions {
  dataDir: string;
  seed: number;
  split: SplitMode;
  config: PaperConfig;
  /** Smoke setting: {@link QUICK_PER_CLASS} images per class (lib/data sampleFiles), the given folds and epochs. */
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
  /** Polled during training: true stops after the current batch with {@link Interrupted}. */
  shouldStop?: () => boolean;
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

/** An epoch listener that also records the run's clock. */
function withClock<A extends unknown[]>(listener: (...a: A) => void, clock: { save: () => void }): (...a: A) => void {
  return (...a: A) => {
    clock.save();
    listener(...a);
  };
}

/** The default number of fold workers for the current backend. */
export function defaultWorkers(folds: number): number {
  if (backendName() === "tensorflow") return 0;
  const cores = typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(folds, cores));
}

/** A progress line per epoch of a fold: losses, accuracies, the early-stopping wait and a lower bound on time left. */
function epochLogger(folds: number, log: (line: string) => void) {
  return (fold: number, rec: EpochRecord, info: Parameters<EpochListener>[1]) => {
    const left = Math.min(info.maxEpochs - rec.epoch, info.patience - info.wait) * rec.seconds;
    log(
      `fold ${fold + 1}/${folds} epoch ${String(rec.epoch).padStart(3)}/${info.maxEpochs}  loss ${rec.loss.toFixed(4)} acc ${rec.acc.toFixed(3)}  ` +
        `val_loss ${rec.valLoss.toFixed(4)} val_acc ${rec.valAcc.toFixed(3)}  ${rec.seconds.toFixed(1)} s  best ${info.bestEpoch} (wait ${info.wait}/${info.patience}, ` +
        `≥ ${fmtSeconds(left)} left in fold)`,
    );
  };
}

/** Seconds as "42 s" or "3 min 5 s". */
export function fmtSeconds(s: number): string {
  if (!Number.isFinite(s)) return "?";
  const whole = Math.round(s);
  if (whole < 90) return `${whole} s`;
  return `${Math.floor(whole / 60)} min ${whole % 60} s`;
}

/** Versions of what produced a run (stored in the run record). */
export function versions(): Record<string, string> {
  const pkg = (name: string) => {
    try {
      return require(`${name}/package.json`).version as string;
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

/**
 * The paper's whole protocol (Sections 3–4): returns the run record and the best fold's model.
 */
export async function runProtocol(opts: ProtocolOptions): Promise<{ record: RunRecord; model: LayersModel }> {
  const t0 = performance.now();
  const log = opts.log ?? (() => undefined);
  const config = opts.config;
  let files = listImages(opts.dataDir);
  if (opts.quick) files = sampleFiles(files, QUICK_PER_CLASS, opts.seed).sort();
  const split = trainTestSplit(files, opts.seed, config.testFraction, opts.split);
  const folds = kFold(split.train, config.folds, opts.seed + 1, opts.split);
  log(
    `data: ${files.length} images from ${opts.dataDir}; split ${opts.split}: ${split.train.length} train / ${split.test.length} test; ${config.folds} folds`,
  );
  const ds: Dataset = await loadDataset(opts.dataDir, { verify: opts.verify ?? true, only: files });
  const ix = (fs: string[]) => indicesOf(ds, fs);
  const seeds = new Rng(opts.seed + 2);
  const ck = opts.checkpointDir;
  if (ck)
    prepareCheckpoints(ck, {
      protocol: "holdout",
      seed: opts.seed,
      split: opts.split,
      quick: !!opts.quick,
      config,
      files,
    });
  const jobs: FoldJob[] = folds.map((f) => ({
    index: f.index,
    seed: seeds.seed(),
    config,
    size: ds.size,
    x: ds.x,
    labels: ds.labels,
    train: ix(f.train),
    val: ix(f.val),
    test: ix(split.test),
    checkpoint: ck && path.join(ck, `fold-${f.index + 1}`),
  }));
  const workers = opts.workers ?? defaultWorkers(config.folds);
  log(
    `training ${config.folds} folds on ${backendName()}, ${workers === 0 ? "in this thread" : `${workers} worker thread(s)`}; batch ${config.batchSize}, ≤ ${config.maxEpochs} epochs, patience ${config.patience}`,
  );
  const clock = runClock(ck, t0);
  const outcomes = await runFoldJobs(jobs, workers, withClock(epochLogger(config.folds, log), clock), opts.shouldStop);
  for (const o of outcomes)
    log(
      `fold ${o.index + 1}: best epoch ${o.bestEpoch} val_loss ${o.bestValLoss.toFixed(4)}; test loss ${o.test.loss.toFixed(4)} acc ${o.test.accuracy.toFixed(4)} (${fmtSeconds(o.seconds)})`,
    );
  const best = outcomes.reduce((a, b) => (b.bestValLoss < a.bestValLoss ? b : a));
  const model = createModel(0, config);
  model.setWeights(best.weights.map((w) => tf.tensor(w.data, w.shape)));
  const testIdx = ix(split.test);
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
    backend: backendName(),
    seed: opts.seed,
    config: { ...config, quick: !!opts.quick, split: opts.split, workers },
    seconds: clock.seconds(),
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
export async function runSubjectCv(opts: Omit<ProtocolOptions, "split">): Promise<{ record: RunRecord }> {
  const t0 = performance.now();
  const log = opts.log ?? (() => undefined);
  const config = opts.config;
  let files = listImages(opts.dataDir);
  if (opts.quick) files = sampleFiles(files, QUICK_PER_CLASS, opts.seed).sort();
  const outer = kFold(files, Math.min(SUBJECT_CV_FOLDS, new Set(files.map(subjectOf)).size), opts.seed + 1, "subject");
  log(`data: ${files.length} images from ${opts.dataDir}; subject-independent ${outer.length}-fold cross-validation`);
  const ds: Dataset = await loadDataset(opts.dataDir, { verify: opts.verify ?? true, only: files });
  const ix = (fs: string[]) => indicesOf(ds, fs);
  const seeds = new Rng(opts.seed + 2);
  const inner = outer.map((o, i) => kFold(o.train, config.folds, opts.seed + 3 + i, "subject")[0]);
  const ck = opts.checkpointDir;
  if (ck) prepareCheckpoints(ck, { protocol: "subject-cv", seed: opts.seed, quick: !!opts.quick, config, files });
  const jobs: FoldJob[] = outer.map((o, i) => ({
    index: i,
    seed: seeds.seed(),
    config,
    size: ds.size,
    x: ds.x,
    labels: ds.labels,
    train: ix(inner[i].train),
    val: ix(inner[i].val),
    test: ix(o.val),
    checkpoint: ck && path.join(ck, `fold-${i + 1}`),
  }));
  const workers = opts.workers ?? defaultWorkers(outer.length);
  log(
    `training ${outer.length} folds on ${backendName()}, ${workers === 0 ? "in this thread" : `${workers} worker thread(s)`}`,
  );
  const clock = runClock(ck, t0);
  const outcomes = await runFoldJobs(jobs, workers, withClock(epochLogger(outer.length, log), clock), opts.shouldStop);
  const predictions = outcomes.flatMap((o) =>
    outer[o.index].val.map((file, k) => ({ file, label: ds.labels[jobs[o.index].test[k]], probs: o.testProbs[k] })),
  );
  predictions.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const test = evaluatePredictions(predictions, CLASSES);
  const best = outcomes.reduce((a, b) => (b.bestValLoss < a.bestValLoss ? b : a));
  const record: RunRecord = {
    classes: [...CLASSES],
    backend: backendName(),
    seed: opts.seed,
    config: { ...config, quick: !!opts.quick, split: "subject-cv", workers, outerFolds: outer.length },
    seconds: clock.seconds(),
    versions: versions(),
    split: { mode: "subject-cv", train: [], test: predictions.map((p) => p.file) },
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
    `subject-cv: pooled accuracy ${test.accuracy.toFixed(4)} over ${predictions.length} images (${fmtSeconds(record.seconds)})`,
  );
  return { record };
}
