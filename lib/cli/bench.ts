/**
 * `npm run bench -- [--json] [--epochs N] [--images N] [--stock-steps N] [--profile]`
 *
 * Seconds per training epoch of the paper's CNN (784 images, batch 8, RMSprop, categorical cross-entropy) on the
 * `cpu-fast` backend (this project's kernels, lib/kernels), and a short sample of the stock tfjs `cpu` kernels
 * (a few steps, extrapolated to one epoch) for the speed-up. `--profile` adds a per-kernel time table of a few
 * training steps on both backends. With `--json` the last output line is one JSON object:
 * `{ "backend", "epochSeconds", "stockEpochSeconds", "speedup", "imagesPerSecond" }`.
 */
import "./guard";
import * as fs from "fs";
import type * as tfjs from "@tensorflow/tfjs";
import { tf, useBackend } from "../tf";
import { createModel } from "../model";
import { PAPER, NUM_CLASSES } from "../config";
import { compileModel } from "../train";
import { augmentBatch } from "../augment";
import { loadDataset, imagesTensor, labelsTensor } from "../data";
import { trainTestSplit } from "../split";
import { resolveDataDir } from "../paths";
import { Rng } from "../random";
import { runCommand } from "../errors";
import { parse, intFlag } from "./args";

/** One mini-batch: images [b,48,48,3] and one-hot labels [b,7]. The caller disposes them after the step. */
export interface Batch {
  xs: tfjs.Tensor4D;
  ys: tfjs.Tensor2D;
}

/**
 * Where an epoch's batches come from. The bench uses random images ({@link randomBatchSource}); real CK+48 loading
 * and augmentation can be plugged in here without touching the timing code.
 */
export type BatchSource = (epoch: number) => Iterable<Batch>;

/** Options of {@link runBench}. */
export interface BenchOptions {
  /** Timed epochs on the fast backend (the reported time is their mean). */
  epochs: number;
  /** Training images per epoch. */
  images: number;
  /** Steps timed on the stock cpu backend (extrapolated to one epoch); 0 skips it. */
  stockSteps: number;
  /** Print a per-kernel profile of a few steps on both backends. */
  profile: boolean;
  /** Emit one JSON line at the end. */
  json: boolean;
  /** The batch source; defaults to seeded random images. */
  source?: BatchSource;
}

/** Result of {@link runBench}. */
export interface BenchResult {
  backend: string;
  epochSeconds: number;
  stockEpochSeconds: number | null;
  speedup: number | null;
  imagesPerSecond: number;
}

/** Steps run before timing on the fast backend (per-step time settles after ~40: JIT and wasm tier-up). */
const WARMUP_STEPS = 40;

/**
 * A batch source of `n` seeded random images in [0,1) with random one-hot labels, in batches of `batchSize`.
 * The data are generated once (as plain arrays) and each batch becomes tensors on the current backend.
 */
export function randomBatchSource(n: number, batchSize = PAPER.batchSize, seed = 0): BatchSource {
  const s = PAPER.imageSize;
  const c = PAPER.channels;
  const per = s * s * c;
  const rng = new Rng(seed);
  const rnd = () => rng.next();
  const images = new Float32Array(n * per);
  for (let i = 0; i < images.length; i++) images[i] = rnd();
  const labels = new Float32Array(n * NUM_CLASSES);
  for (let i = 0; i < n; i++) labels[i * NUM_CLASSES + Math.floor(rnd() * NUM_CLASSES)] = 1;
  return function* () {
    for (let i = 0; i < n; i += batchSize) {
      const b = Math.min(batchSize, n - i);
      yield {
        xs: tf.tensor4d(images.subarray(i * per, (i + b) * per), [b, s, s, c]),
        ys: tf.tensor2d(labels.subarray(i * NUM_CLASSES, (i + b) * NUM_CLASSES), [b, NUM_CLASSES]),
      };
    }
  };
}

/**
 * The paper's training step on real data: the 784 training images of the paper's split (seed 0) of a CK+48
 * folder, shuffled each epoch and augmented (lib/augment.ts) exactly as training does.
 */
export async function ck48BatchSource(dir: string, seed = 0): Promise<{ source: BatchSource; images: number }> {
  const ds = await loadDataset(dir);
  const split = trainTestSplit(ds.files, seed, PAPER.testFraction, "random");
  const index = new Map(ds.files.map((f, i) => [f, i]));
  const train = split.train.map((f) => index.get(f)!);
  const rng = new Rng(seed);
  const source: BatchSource = function* () {
    const order = rng.shuffle(train);
    for (let i = 0; i < order.length; i += PAPER.batchSize) {
      const idx = order.slice(i, i + PAPER.batchSize);
      const raw = imagesTensor(ds, idx);
      const xs = augmentBatch(raw, rng);
      raw.dispose();
      yield { xs, ys: labelsTensor(ds, idx) };
    }
  };
  return { source, images: train.length };
}

/** The model under test: the project's paper CNN (lib/model.ts). */
function createBenchModel(seed: number): { model: tfjs.LayersModel; from: string } {
  return { model: createModel(seed), from: "lib/model.ts" };
}

function compile(model: tfjs.LayersModel): void {
  compileModel(model);
}

/** Run `steps` training steps (all of the source's batches when undefined); returns wall seconds. */
async function trainSteps(model: tfjs.LayersModel, source: BatchSource, epoch: number, steps?: number): Promise<number> {
  return (await countedSteps(model, source, epoch, steps)).seconds;
}

/** As {@link trainSteps}, also returning how many steps ran (the source may have fewer batches than asked). */
async function countedSteps(model: tfjs.LayersModel, source: BatchSource, epoch: number, steps?: number): Promise<{ seconds: number; steps: number }> {
  const t0 = performance.now();
  let i = 0;
  for (const { xs, ys } of source(epoch)) {
    if (steps !== undefined && i >= steps) {
      xs.dispose();
      ys.dispose();
      break;
    }
    await model.trainOnBatch(xs, ys);
    xs.dispose();
    ys.dispose();
    i++;
  }
  return { seconds: (performance.now() - t0) / 1000, steps: i };
}

/** Per-kernel milliseconds of `steps` training steps on the current backend (sorted, largest first). */
async function profileSteps(model: tfjs.LayersModel, source: BatchSource, maxSteps: number): Promise<[string, number, number][]> {
  let steps = 1;
  const info = await tf.profile(async () => {
    steps = Math.max(1, (await countedSteps(model, source, 0, maxSteps)).steps);
  });
  const byName = new Map<string, [number, number]>();
  for (const k of info.kernels) {
    const e = byName.get(k.name) ?? [0, 0];
    e[0] += Number(k.kernelTimeMs);
    e[1] += 1;
    byName.set(k.name, e);
  }
  return [...byName.entries()].map(([n, [ms, c]]) => [n, ms / steps, c / steps] as [string, number, number]).sort((a, b) => b[1] - a[1]);
}

function printProfile(title: string, rows: [string, number, number][]): void {
  const total = rows.reduce((s, r) => s + r[1], 0);
  console.log(`\n${title}: kernel ms per step (total ${total.toFixed(2)} ms)`);
  for (const [n, ms, c] of rows.slice(0, 20)) {
    console.log(`  ${n.padEnd(24)} ${ms.toFixed(3).padStart(10)} ms  ${((100 * ms) / total).toFixed(1).padStart(5)}%  calls ${c}`);
  }
}

/** Time the paper's training step on the fast backend (and a sample of the stock one); see the file comment. */
export async function runBench(opts: BenchOptions): Promise<BenchResult> {
  const source = opts.source ?? randomBatchSource(opts.images);
  const stepsPerEpoch = Math.ceil(opts.images / PAPER.batchSize);

  useBackend("cpu-fast");
  const fast = createBenchModel(0);
  compile(fast.model);
  console.log(`model: ${fast.from}, ${fast.model.countParams()} params; ${opts.images} images, batch ${PAPER.batchSize}, ${stepsPerEpoch} steps/epoch`);
  // Warm-up: JIT compilation of tfjs' JavaScript and tier-up of the wasm kernels (not part of an epoch's cost in a
  // 100-epoch run). The first timed epoch is still printed separately so a cold start is visible.
  await trainSteps(fast.model, source, 0, WARMUP_STEPS);
  const times: number[] = [];
  for (let e = 0; e < opts.epochs; e++) {
    const c0 = process.cpuUsage();
    const s = await trainSteps(fast.model, source, e);
    const c = process.cpuUsage(c0);
    times.push(s);
    console.log(`cpu-fast epoch ${e + 1}: ${s.toFixed(3)} s wall, ${((c.user + c.system) / 1e6).toFixed(3)} s cpu, ${tf.memory().numTensors} tensors`);
  }
  const epochSeconds = times.reduce((a, b) => a + b, 0) / times.length;
  if (opts.profile) printProfile("cpu-fast (warm)", await profileSteps(fast.model, source, 20));
  fast.model.dispose();

  let stockEpochSeconds: number | null = null;
  if (opts.stockSteps > 0) {
    useBackend("cpu");
    const stock = createBenchModel(0);
    compile(stock.model);
    await trainSteps(stock.model, source, 0, 1); // warm-up
    if (opts.profile) printProfile("cpu (stock)", await profileSteps(stock.model, source, 1));
    const s = await trainSteps(stock.model, source, 0, opts.stockSteps);
    stockEpochSeconds = (s / opts.stockSteps) * stepsPerEpoch;
    stock.model.dispose();
    useBackend("cpu-fast");
  }

  const result: BenchResult = {
    backend: "cpu-fast",
    epochSeconds: round(epochSeconds, 4),
    stockEpochSeconds: stockEpochSeconds === null ? null : round(stockEpochSeconds, 2),
    speedup: stockEpochSeconds === null ? null : round(stockEpochSeconds / epochSeconds, 1),
    imagesPerSecond: round(opts.images / epochSeconds, 1),
  };
  console.log("\nbackend     s/epoch   images/s");
  console.log(`cpu-fast  ${epochSeconds.toFixed(3).padStart(9)}  ${result.imagesPerSecond.toFixed(0).padStart(9)}   (mean of ${opts.epochs} epoch${opts.epochs > 1 ? "s" : ""} after ${WARMUP_STEPS} warm-up steps)`);
  if (stockEpochSeconds !== null) {
    console.log(`cpu       ${stockEpochSeconds.toFixed(3).padStart(9)}  ${(opts.images / stockEpochSeconds).toFixed(0).padStart(9)}   (${opts.stockSteps} steps, extrapolated)`);
    console.log(`speed-up  ${result.speedup!.toFixed(1)}×`);
  }
  return result;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export const USAGE = "npm run bench -- [--json] [--data DIR] [--random] [--epochs N] [--images N] [--stock-steps N] [--profile]";

/** Parse the command line (unknown flags and bad values are one-line user errors). */
export function parseArgs(argv: string[]): BenchOptions & { data?: string; random: boolean } {
  const { values } = parse(argv, {
    json: { type: "boolean" }, profile: { type: "boolean" }, random: { type: "boolean" }, data: { type: "string" },
    epochs: { type: "string" }, images: { type: "string" }, "stock-steps": { type: "string" },
  });
  return {
    json: !!values.json,
    profile: !!values.profile,
    random: !!values.random,
    data: values.data,
    epochs: intFlag("epochs", values.epochs, 2, 1, 1000),
    images: intFlag("images", values.images, 784, 1, 100000),
    stockSteps: intFlag("stock-steps", values["stock-steps"], 3, 0, 1000),
  };
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const dir = resolveDataDir(opts.data);
  if (!opts.random && fs.existsSync(dir)) {
    const real = await ck48BatchSource(dir);
    opts.source = real.source;
    opts.images = real.images;
    console.log(`data: the ${real.images} training images of the paper's split of ${dir}, augmented`);
  } else {
    console.log(`data: ${opts.images} seeded random images (${opts.random ? "--random" : `no CK+48 at ${dir}`})`);
  }
  const r = await runBench(opts);
  if (opts.json) console.log(JSON.stringify(r));
}

if (require.main === module) runCommand("bench", main);
