/**
 * The folds of a run, trained in this thread or in worker threads (lib/fold-worker.ts), one per core. A fold goes
 * through four shapes, one type each:
 *
 * 1. a {@link FoldJob}: what to train (plain arrays, so it can cross into a worker), the backend and the seed;
 * 2. lib/train.ts `trainFold` trains it and returns a `TrainedFold` (the model, its history, the best epoch);
 * 3. {@link runFoldJob} evaluates that on the test images and returns a {@link FoldOutcome} (plain data again: the
 *    history, the test probabilities, the best weights and the backend it trained on), kept as `<fold>.done.json`;
 * 4. lib/protocol.ts turns outcomes into the run record's `FoldRecord`s (lib/record.ts).
 *
 * Each fold has its own seed derived from the run's seed, so the result does not depend on scheduling or the worker
 * count.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Worker } from "worker_threads";
import { tf, activeBackend, type BackendName, type Tensor2D } from "./tf";
import { NUM_CLASSES, type ProtocolConfig } from "./config";
import { trainFold, evaluateModel, type EpochListener } from "./train";
import {
  DAMAGED_HINT,
  EPOCH_RECORD,
  Interrupted,
  SAVED_TENSOR,
  base64ToFloat32,
  float32ToBase64,
  readTrainCheckpoint,
} from "./checkpoint";
import { z } from "zod";
import { loadJsonFile, writeAtomic } from "./files";
import { predictProbs } from "./evaluate";
import { UserError } from "./errors";
import type { EpochRecord } from "./record";
import { kernelThreads } from "./kernels/parallel";

/** What a fold job needs: the images as plain arrays (so it can cross into a worker). */
export interface FoldJob {
  index: number;
  seed: number;
  /** The backend to train on: a worker thread starts it (lib/tf.ts initBackend) before the job. */
  backend: BackendName;
  config: ProtocolConfig;
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
  /** The backend the fold trained on (lib/tf.ts activeBackend, in the thread that trained it). */
  backend: string;
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
  ) as Tensor2D;
  return { x, y };
}

/** A finished fold as `<prefix>.done.json` stores it: the outcome, weights as exact float32 bits in base64. */
function outcomeJson(o: FoldOutcome): string {
  return JSON.stringify({ ...o, weights: o.weights.map((w) => ({ shape: w.shape, data: float32ToBase64(w.data) })) });
}

/** The schema of a finished fold's file (the backend is optional: folds finished before it was recorded). */
const OUTCOME_SCHEMA = z.object({
  index: z.number().int().nonnegative(),
  backend: z.string().optional(),
  history: z.array(EPOCH_RECORD),
  bestEpoch: z.number().int().nonnegative(),
  bestValLoss: z.number(),
  test: z.object({ loss: z.number(), accuracy: z.number() }),
  testProbs: z.array(z.array(z.number())),
  weights: z.array(SAVED_TENSOR),
  seconds: z.number().nonnegative(),
});

/** A finished fold read back, checked: a damaged file is a one-line UserError naming it. */
function readOutcome(file: string, backend: string): FoldOutcome {
  const o = loadJsonFile(file, OUTCOME_SCHEMA, "finished fold", DAMAGED_HINT);
  return {
    ...o,
    backend: o.backend ?? backend, // a fold finished before outcomes named their backend trained on the run's
    weights: o.weights.map((w) => ({ shape: w.shape, data: base64ToFloat32(w.data) })),
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
  if (done && fs.existsSync(done)) return readOutcome(done, job.backend);
  const resume = partial && fs.existsSync(partial) ? readTrainCheckpoint(partial) : undefined;
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
      backend: activeBackend(),
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
  | { type: "epoch"; fold: number; rec: EpochRecord; info: Parameters<EpochListener>[1]; threads: number }
  | { type: "done"; outcome: FoldOutcome }
  | { type: "error"; message: string; interrupted?: boolean; user?: boolean };

/** What a fold worker is told besides its jobs: stop after the batch (Ctrl-C), or run its kernels on n threads. */
export type WorkerCommand = { type: "stop" } | { type: "threads"; n: number };

/**
 * Run fold jobs on `workers` threads (0 = in this thread), calling onEpoch with every epoch of every fold and the
 * kernel threads it trained on. When the last job is running alone while another core is free, its worker moves its
 * kernels onto two threads (lib/kernels/threads.ts: the same bits). When `shouldStop` turns true, no new fold starts
 * and the running ones stop after their current batch; the promise then rejects with {@link Interrupted} (their
 * checkpoints stand).
 */
export async function runFoldJobs(
  jobs: FoldJob[],
  workers: number,
  onEpoch?: (fold: number, rec: EpochRecord, info: Parameters<EpochListener>[1], threads: number) => void,
  shouldStop: () => boolean = () => false,
): Promise<FoldOutcome[]> {
  if (workers <= 0) {
    const out: FoldOutcome[] = [];
    for (const j of jobs) {
      if (shouldStop()) throw new Interrupted();
      out.push(await runFoldJob(j, (rec, info) => onEpoch?.(j.index, rec, info, kernelThreads()), shouldStop));
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
      for (const w of live) w.postMessage({ type: "stop" } satisfies WorkerCommand);
    }
  }, 100);
  const runOne = (w: Worker, job: FoldJob) =>
    new Promise<FoldOutcome>((resolve, reject) => {
      const onMsg = (m: WorkerMessage) => {
        if (m.type === "epoch") onEpoch?.(m.fold, m.rec, m.info, m.threads);
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
  // A worker left alone with the last job may take a free core for its kernels (the same bits).
  const alone = () => {
    if (live.size === 1 && queue.length === 0 && !stopping && cores() >= 2)
      for (const o of live) o.postMessage({ type: "threads", n: 2 } satisfies WorkerCommand);
  };
  const pool = Array.from({ length: Math.min(workers, jobs.length) }, async () => {
    const w = new Worker(bootstrap, { eval: true, env: process.env });
    live.add(w);
    try {
      for (let job = queue.shift(); job && !stopping; job = queue.shift()) {
        alone(); // a run with one fold left (a single fold, or a resumed run)
        results.push(await runOne(w, job));
      }
    } finally {
      live.delete(w);
      alone(); // the other worker's fold is the last one running
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

/** This machine's cores. */
function cores(): number {
  return typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
}

/** The default number of fold workers for the current backend. */
export function defaultWorkers(folds: number): number {
  if (activeBackend() === "tensorflow") return 0;
  return Math.max(1, Math.min(folds, cores()));
}

/**
 * The backend a run's folds trained on: the one every outcome names (an internal error if they differ, which a fold
 * worker started on another backend than the main thread would cause).
 */
export function foldsBackend(outcomes: readonly FoldOutcome[]): string {
  const names = [...new Set(outcomes.map((o) => o.backend))];
  if (names.length !== 1) throw new Error(`the folds trained on ${names.length ? names.join(" and ") : "no backend"}`);
  return names[0];
}
