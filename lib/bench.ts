/**
 * The bench (`npm run bench`, lib/cli/bench.ts prints it): seconds per training epoch of the paper's CNN (784 images,
 * batch 8, RMSprop, categorical cross-entropy) on the `cpu-fast` backend (this project's kernels, lib/kernels), a
 * short sample of the stock tfjs `cpu` kernels (a few steps, extrapolated to one epoch) for the speed-up, the speed
 * bound (the epoch's arithmetic at this machine's measured WebAssembly SIMD peak), and PyTorch on the same model and
 * step when asked. Returns numbers; prints nothing.
 */
import { initBackend, tf, useBackend, type LayersModel, type Tensor2D, type Tensor4D } from "./tf";
import { createModel, trainingMultiplyAdds } from "./model";
import { wasmPeakGflops, secondsAtPeak } from "./kernels/peak";
import { PAPER, NUM_CLASSES } from "./config";
import { compileModel, trainStep, trainingBatch } from "./train";
import type { PeerEpochs, ProtocolRatio } from "./bench-peers";
import { loadDataset, imagesTensor, labelsTensor } from "./data/dataset";
import { trainTestSplit } from "./split";
import { Rng } from "./random";
import { linearFit } from "./stats";
import { setKernelThreads } from "./kernels/threads";
import { equalChannels } from "./kernels/trunk";

/** One mini-batch: images [b,48,48,3] and one-hot labels [b,7]. The caller disposes them after the step. */
export interface Batch {
  xs: Tensor4D;
  ys: Tensor2D;
}

/** Where an epoch's batches come from: seeded random images ({@link randomBatchSource}) or CK+48 ({@link ck48BatchSource}). */
export type BatchSource = (epoch: number) => Iterable<Batch>;

/** Options of {@link runBench}. */
export interface BenchOptions {
  /** Timed epochs on the fast backend (the reported time is their mean). */
  epochs: number;
  /** Training images per epoch. */
  images: number;
  /** Steps timed on the stock cpu backend (extrapolated to one epoch); 0 skips it. */
  stockSteps: number;
  /** Also profile a few steps per kernel on both backends ({@link BenchResult} `profile`). */
  profile: boolean;
  /** Progress lines while it runs (the model, each timed epoch). */
  log?: (line: string) => void;
  /** Also measure the fixed cost of a step ({@link fixedStepCost}). */
  fixedCost?: boolean;
  /** Whether the source's images are grey (equal channels), for the speed bound. */
  greyInput?: boolean;
  /** The batch source; defaults to seeded random images. */
  source?: BatchSource;
  /** Also time the same epochs on the tensorflow backend (tfjs-node), a peer on the same machine in the same run. */
  tensorflow?: boolean;
  /** 2: also time cpu-fast with its kernels on two threads (lib/kernels/threads.ts), epochs alternating with one thread's. */
  threads?: number;
}

/** Result of {@link runBench}. */
export interface BenchResult {
  backend: string;
  epochSeconds: number;
  stockEpochSeconds: number | null;
  speedup: number | null;
  imagesPerSecond: number;
  /** Every timed epoch on the fast backend, kernels on one thread (seconds). */
  epochTimes: number[];
  /** With `threads: 2`: the same epochs with the kernels on two threads, timed alternately with the one-thread ones. */
  twoThreads?: { epochSeconds: number; epochTimes: number[] };
  /** Our fastest epoch, over both thread settings: what PyTorch's and Keras' fastest are compared with. */
  fastestEpoch: number;
  /** With --compare-torch: PyTorch's fastest epoch (over its 1- and 2-thread settings), and ours ÷ it. */
  torch?: PeerEpochs;
  /** With --compare-keras: Keras 3 on TensorFlow, `model.fit`, fastest epoch over 1 and 2 threads, and ours ÷ it. */
  keras?: PeerEpochs;
  /** With --compare-torch-protocol: a run record's protocol against the same protocol in PyTorch. */
  protocol?: ProtocolRatio;
  /** With `tensorflow`: tfjs-node's epochs on the same batches, its libtensorflow version, and ours ÷ it (fastest each). */
  tensorflow?: { library: string; epochSeconds: number; epochTimes: number[]; ratio: number };
  /** The speed bound: an epoch's arithmetic at this machine's WebAssembly SIMD peak ({@link speedBound}). */
  bound: SpeedBound;
  /** With --fixed-cost: {@link fixedStepCost}. */
  fixedCost?: FixedStepCost;
  /** With `profile`: per-kernel milliseconds and calls per step on each backend ({@link KernelTime}), largest first. */
  profile?: { fast: KernelTime[]; stock?: KernelTime[] };
  /** The settings the numbers were made with. */
  images: number;
  epochs: number;
  stockSteps: number;
  warmupSteps: number;
}

/** One kernel's share of a training step: name, milliseconds per step, calls per step. */
export type KernelTime = [name: string, msPerStep: number, callsPerStep: number];

/** A training step's time as fixed + per image × batch size (least squares over {@link FIXED_COST_BATCHES}). */
export interface FixedStepCost {
  /** Milliseconds per step at each batch size (fastest of 5 means of 20 steps). */
  msByBatch: Record<string, number>;
  /** The intercept: tfjs' engine and layers bookkeeping and the kernels' per-call costs, paid whatever the batch. */
  fixedMs: number;
  /** The slope: the arithmetic and memory traffic of one more image. */
  perImageMs: number;
}

/** One training step as training takes it (lib/train.ts trainStep), its loss read back as training reads it. */
function step(model: LayersModel, xs: Tensor4D, ys: Tensor2D): number {
  const { loss, acc } = trainStep(model, xs, ys);
  const l = loss.dataSync()[0];
  tf.dispose([loss, acc]);
  return l;
}

/** Batch sizes of {@link fixedStepCost}. */
export const FIXED_COST_BATCHES = [1, 2, 4, 8, 16];

/**
 * Time training's step (lib/train.ts trainStep) on random images at each of {@link FIXED_COST_BATCHES} and fit a line: its intercept is
 * what a step costs before any image is processed. Uses the model's current weights (trains it further).
 */
export async function fixedStepCost(model: LayersModel): Promise<FixedStepCost> {
  const msByBatch: Record<string, number> = {};
  const rng = new Rng(1);
  for (const b of FIXED_COST_BATCHES) {
    const n = b * PAPER.imageSize * PAPER.imageSize * PAPER.channels;
    const xs = tf.tensor4d(
      Float32Array.from({ length: n }, () => rng.next()),
      [b, PAPER.imageSize, PAPER.imageSize, PAPER.channels],
    );
    const ys = tf.tidy(() =>
      tf.cast(
        tf.oneHot(
          tf.tensor1d(
            Array.from({ length: b }, (_, i) => i % NUM_CLASSES),
            "int32",
          ),
          NUM_CLASSES,
        ),
        "float32",
      ),
    ) as Tensor2D;
    for (let i = 0; i < 20; i++) step(model, xs, ys); // warm-up at this shape
    let best = Infinity;
    for (let r = 0; r < 5; r++) {
      const t0 = performance.now();
      for (let i = 0; i < 20; i++) step(model, xs, ys);
      best = Math.min(best, (performance.now() - t0) / 20);
    }
    tf.dispose([xs, ys]);
    msByBatch[b] = round(best, 4);
  }
  const fit = linearFit(
    FIXED_COST_BATCHES,
    FIXED_COST_BATCHES.map((b) => msByBatch[b]),
  );
  return { msByBatch, fixedMs: round(fit.intercept, 3), perImageMs: round(fit.slope, 4) };
}

/** How fast an epoch could be here at all (lib/kernels/peak.ts), and how close the fast backend gets. */
export interface SpeedBound {
  /** Whether the images were grey (equal channels): the first convolution and its filter gradient then count a third. */
  greyInput: boolean;
  /** Floating-point operations of one epoch's multiply-adds (2 per multiply-add, lib/model.ts trainingMultiplyAdds). */
  epochGflop: number;
  /** This core's WebAssembly SIMD float32 peak, measured. */
  peakGflopsPerCore: number;
  /** The epoch at that peak on one core and on two (perfect scaling): no direct-convolution schedule is faster. */
  floorSeconds: { oneCore: number; twoCores: number };
  /** What the fastest timed epoch achieved, and its share of one core's peak. */
  achievedGflops: number;
  shareOfOneCore: number;
}

/**
 * The speed bound of `fastestEpoch` seconds for `images` images of `model`'s training step; with `greyInput`, of
 * grey images, whose first convolution and its filter gradient are a third of the work (lib/model.ts trainingMultiplyAdds).
 */
export function speedBound(
  model: LayersModel,
  images: number,
  fastestEpoch: number,
  peakGflopsPerCore = wasmPeakGflops(),
  greyInput = false,
): SpeedBound {
  const perImage = trainingMultiplyAdds(model, greyInput).reduce(
    (a, r) => a + r.forward + r.weightGradient + r.inputGradient,
    0,
  );
  const flop = 2 * perImage * images;
  const achieved = flop / fastestEpoch / 1e9;
  return {
    greyInput,
    epochGflop: round(flop / 1e9, 3),
    peakGflopsPerCore: round(peakGflopsPerCore, 1),
    floorSeconds: {
      oneCore: round(secondsAtPeak(flop, peakGflopsPerCore, 1), 4),
      twoCores: round(secondsAtPeak(flop, peakGflopsPerCore, 2), 4),
    },
    achievedGflops: round(achieved, 1),
    shareOfOneCore: round(achieved / peakGflopsPerCore, 3),
  };
}

/** Steps run before timing on the fast backend (per-step time settles after ~40: JIT and wasm tier-up). */
export const WARMUP_STEPS = 40;

/**
 * A batch source of `n` seeded random images in [0,1) with random one-hot labels, in batches of `batchSize`.
 * The data are generated once (as plain arrays) and each batch becomes tensors on the current backend. With `grey`,
 * each pixel's channels are one random value, as CK+48's grey pictures read as RGB: the trunk then computes the first
 * stage's forward pass and filter gradient once per grey value (lib/kernels/trunk.ts equalChannels).
 */
export function randomBatchSource(n: number, batchSize = PAPER.batchSize, seed = 0, grey = false): BatchSource {
  const s = PAPER.imageSize;
  const c = PAPER.channels;
  const per = s * s * c;
  const rng = new Rng(seed);
  const rnd = () => rng.next();
  const images = new Float32Array(n * per);
  const same = grey ? c : 1; // values per draw: a pixel's channels, or one
  for (let i = 0; i < images.length; i += same) {
    const v = rnd();
    for (let k = i; k < i + same; k++) images[k] = v;
  }
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
 * folder, shuffled each epoch, picked with tf.gather from one training tensor and augmented (lib/augment.ts), as
 * training does (lib/train.ts). The two tensors live as long as the process.
 */
export async function ck48BatchSource(
  dir: string,
  seed = 0,
): Promise<{ source: BatchSource; images: number; grey: boolean }> {
  const ds = await loadDataset(dir);
  const split = trainTestSplit(ds.files, seed, PAPER.testFraction, "random");
  const index = new Map(ds.files.map((f, i) => [f, i]));
  const train = split.train.map((f) => index.get(f)!);
  const xTrain = imagesTensor(ds, train);
  const yTrain = labelsTensor(ds, train);
  const rng = new Rng(seed);
  const positions = train.map((_, i) => i);
  const source: BatchSource = function* () {
    const order = rng.shuffle(positions);
    for (let i = 0; i < order.length; i += PAPER.batchSize) {
      const idx = order.slice(i, i + PAPER.batchSize);
      yield trainingBatch(xTrain, yTrain, idx, { rng, config: PAPER.augment });
    }
  };
  return { source, images: train.length, grey: equalChannels(xTrain.dataSync() as Float32Array, PAPER.channels) };
}

/** Run `steps` training steps (all of the source's batches when undefined); returns wall seconds and the steps run (the source may have fewer batches than asked). */
async function trainSteps(
  model: LayersModel,
  source: BatchSource,
  epoch: number,
  steps?: number,
): Promise<{ seconds: number; steps: number }> {
  const t0 = performance.now();
  let i = 0;
  for (const { xs, ys } of source(epoch)) {
    if (steps !== undefined && i >= steps) {
      xs.dispose();
      ys.dispose();
      break;
    }
    step(model, xs, ys);
    xs.dispose();
    ys.dispose();
    i++;
  }
  return { seconds: (performance.now() - t0) / 1000, steps: i };
}

/** Per-kernel milliseconds of `steps` training steps on the current backend (sorted, largest first). */
async function profileSteps(model: LayersModel, source: BatchSource, maxSteps: number): Promise<KernelTime[]> {
  let steps = 1;
  const info = await tf.profile(async () => {
    steps = Math.max(1, (await trainSteps(model, source, 0, maxSteps)).steps);
  });
  const byName = new Map<string, [number, number]>();
  for (const k of info.kernels) {
    const e = byName.get(k.name) ?? [0, 0];
    e[0] += Number(k.kernelTimeMs);
    e[1] += 1;
    byName.set(k.name, e);
  }
  return [...byName.entries()]
    .map(([n, [ms, c]]) => [n, ms / steps, c / steps] as KernelTime)
    .sort((a, b) => b[1] - a[1]);
}

/** Time the paper's training step on the fast backend (and a sample of the stock one); see the file comment. */
export async function runBench(opts: BenchOptions): Promise<BenchResult> {
  const source = opts.source ?? randomBatchSource(opts.images);
  const stepsPerEpoch = Math.ceil(opts.images / PAPER.batchSize);

  const log = opts.log ?? (() => undefined);
  useBackend("cpu-fast");
  const fast = createModel(0);
  compileModel(fast);
  log(
    `model: lib/model.ts, ${fast.countParams()} params; ${opts.images} images, batch ${PAPER.batchSize}, ${stepsPerEpoch} steps/epoch`,
  );
  // Warm-up: JIT compilation of tfjs' JavaScript and tier-up of the wasm kernels (not part of an epoch's cost in a
  // 100-epoch run). The first timed epoch is still printed separately so a cold start is visible.
  const settings = opts.threads === 2 ? [1, 2] : [1];
  for (const t of settings) {
    setKernelThreads(t);
    await trainSteps(fast, source, 0, WARMUP_STEPS);
  }
  const byThreads: Record<number, number[]> = { 1: [], 2: [] };
  for (let e = 0; e < opts.epochs; e++) {
    for (const t of settings) {
      setKernelThreads(t);
      const c0 = process.cpuUsage();
      const { seconds: s } = await trainSteps(fast, source, e);
      const c = process.cpuUsage(c0);
      byThreads[t].push(s);
      log(
        `cpu-fast epoch ${e + 1}, ${t} thread${t > 1 ? "s" : ""}: ${s.toFixed(3)} s wall, ${((c.user + c.system) / 1e6).toFixed(3)} s cpu, ${tf.memory().numTensors} tensors`,
      );
    }
  }
  setKernelThreads(1);
  const times = byThreads[1];
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const epochSeconds = mean(times);
  const profile = opts.profile ? { fast: await profileSteps(fast, source, 20) } : undefined;
  const bound = speedBound(fast, opts.images, Math.min(...times), undefined, !!opts.greyInput);
  const fixedCost = opts.fixedCost ? await fixedStepCost(fast) : undefined;
  fast.dispose();

  let stockEpochSeconds: number | null = null;
  if (opts.stockSteps > 0) {
    useBackend("cpu");
    const stock = createModel(0);
    compileModel(stock);
    await trainSteps(stock, source, 0, 1); // warm-up
    if (profile) Object.assign(profile, { stock: await profileSteps(stock, source, 1) });
    const { seconds: s } = await trainSteps(stock, source, 0, opts.stockSteps);
    stockEpochSeconds = (s / opts.stockSteps) * stepsPerEpoch;
    stock.dispose();
    useBackend("cpu-fast");
  }

  let tensorflow: BenchResult["tensorflow"];
  if (opts.tensorflow) {
    initBackend("tensorflow");
    const peer = createModel(0);
    compileModel(peer);
    await trainSteps(peer, source, 0, WARMUP_STEPS);
    const peerTimes: number[] = [];
    for (let e = 0; e < opts.epochs; e++) {
      const { seconds: s } = await trainSteps(peer, source, e);
      peerTimes.push(s);
      log(`tensorflow epoch ${e + 1}: ${s.toFixed(3)} s wall`);
    }
    peer.dispose();
    const binding = (tf.backend() as unknown as { binding?: { TF_Version?: string } }).binding;
    tensorflow = {
      library: binding?.TF_Version ?? "unknown",
      epochSeconds: round(peerTimes.reduce((x, y) => x + y, 0) / peerTimes.length, 4),
      epochTimes: peerTimes.map((t) => round(t, 4)),
      ratio: round(Math.min(...times) / Math.min(...peerTimes), 3),
    };
    useBackend("cpu-fast");
  }

  const result: BenchResult = {
    backend: "cpu-fast",
    ...(tensorflow ? { tensorflow } : {}),
    epochSeconds: round(epochSeconds, 4),
    stockEpochSeconds: stockEpochSeconds === null ? null : round(stockEpochSeconds, 2),
    speedup: stockEpochSeconds === null ? null : round(stockEpochSeconds / epochSeconds, 1),
    imagesPerSecond: round(opts.images / epochSeconds, 1),
    epochTimes: times.map((t) => round(t, 4)),
    ...(opts.threads === 2
      ? { twoThreads: { epochSeconds: round(mean(byThreads[2]), 4), epochTimes: byThreads[2].map((t) => round(t, 4)) } }
      : {}),
    fastestEpoch: round(Math.min(...times, ...byThreads[2]), 4),
    bound,
    ...(fixedCost ? { fixedCost } : {}),
    ...(profile ? { profile } : {}),
    images: opts.images,
    epochs: opts.epochs,
    stockSteps: opts.stockSteps,
    warmupSteps: WARMUP_STEPS,
  };
  return result;
}

/** `x` rounded to `digits` decimals. */
export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
