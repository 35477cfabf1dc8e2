/**
 * lib/train.ts: early stopping and the best weights, through the protocol's quick setting on a made-up CK+48.
 */
import { expect } from "chai";
import * as fs from "fs";
import { runProtocol } from "../lib/protocol";
import { PAPER } from "../lib/config";
import { makeFakeCk48 } from "./fixtures/ck48";
import { compileModel, evaluateModel, tfjsStep, trainFold, trainStep } from "../lib/train";
import { trunkOf } from "../lib/kernels/trunk";
import { headOf } from "../lib/kernels/head";
import { setKernelThreads } from "../lib/kernels/threads";
import { createModel } from "../lib/model";
import { Interrupted, type TrainCheckpoint } from "../lib/checkpoint";
import { tf, type LayersModel, type Tensor2D, type Tensor4D } from "../lib/tf";
import { Rng } from "../lib/random";
import type { EpochRecord } from "../lib/record";
import type { Scalar } from "@tensorflow/tfjs";

const QUICK = { ...PAPER, folds: 2, maxEpochs: 2 };

describe("training one fold (Section 3)", function () {
  this.timeout(300_000);
  let dir: string;
  before(async () => {
    dir = await makeFakeCk48(6);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("early stopping with patience 1 stops a fold as soon as validation loss fails to improve, keeping the best epoch", async () => {
    const { record, model } = await runProtocol({
      dataDir: dir,
      seed: 4,
      split: "random",
      config: { ...QUICK, maxEpochs: 30, patience: 1, folds: 2 },
      quick: true,
      workers: 0,
      verify: false,
    });
    model.dispose();
    expect(record.folds.some((f) => f.history.length < 30)).to.equal(true);
    for (const f of record.folds) {
      const losses = f.history.map((h) => h.valLoss);
      const bestIdx = losses.indexOf(Math.min(...losses));
      expect(f.bestEpoch).to.equal(bestIdx + 1);
      if (f.history.length < 30) {
        // stopped one epoch after the last improvement
        expect(f.history.length).to.equal(f.bestEpoch + 1);
      }
      expect(f.bestValLoss).to.equal(losses[bestIdx]);
    }
  });
});

describe("trainStep: the explicit step against tfjs-layers' own trainOnBatch", function () {
  this.timeout(120_000);
  after(() => setKernelThreads(1));
  const batchesOf = (seed: number, sizes: number[]) => {
    const rng = new Rng(seed);
    return sizes.map((b) => ({
      xs: tf.tensor4d(
        Float32Array.from({ length: b * 48 * 48 * 3 }, () => rng.next()),
        [b, 48, 48, 3],
      ),
      ys: tf
        .oneHot(
          tf.tensor1d(
            Array.from({ length: b }, () => Math.floor(rng.next() * 7)),
            "int32",
          ),
          7,
        )
        .toFloat() as Tensor2D,
    }));
  };
  const seed = (m: LayersModel, s: number) =>
    m.layers
      .filter((l) => l.getClassName() === "Dropout")
      .forEach((l) => ((l as unknown as { seed: number }).seed = s));
  const bits = (m: LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));
  /** Train `a` by trainOnBatch and `b` by trainStep on the same batches (dropout seeded alike from `seed0`); every step's loss and accuracy must agree. */
  const sameSteps = async (a: LayersModel, b: LayersModel, batches: ReturnType<typeof batchesOf>, seed0: number) => {
    for (const [i, { xs, ys }] of batches.entries()) {
      seed(a, seed0 + i);
      seed(b, seed0 + i);
      const [lossA, accA] = (await a.trainOnBatch(xs, ys)) as number[];
      const { loss, acc } = trainStep(b, xs, ys);
      expect([loss.dataSync()[0], acc.dataSync()[0]], `step ${i + 1}`).to.deep.equal([lossA, accA]);
      tf.dispose([loss, acc, xs, ys]);
    }
  };

  /** Batches of grey pictures read as RGB, and one (the fourth) whose last image has one pixel a bit off grey. */
  const greyBatches = () =>
    batchesOf(12, [8, 8, 8, 8, 8, 3]).map(({ xs, ys }, i) => {
      const v = xs.dataSync().slice() as Float32Array;
      for (let p = 0; p < v.length; p += 3) v[p + 1] = v[p + 2] = v[p];
      if (i === 3) v[v.length - 2] += 1e-3;
      xs.dispose();
      return { xs: tf.tensor4d(v, [ys.shape[0], 48, 48, 3]), ys };
    });

  // 30 steps of 8 images and a last one of 5 (an odd split between two threads)
  for (const threads of [1, 2]) {
    it(`${threads} kernel thread${threads > 1 ? "s" : ""}: 31 steps give the same losses, accuracies and weights, bit for bit (dropout seeded alike)`, async () => {
      setKernelThreads(threads);
      const batches = batchesOf(8, [...Array(30).fill(8), 5]);
      const [a, b] = [createModel(5), createModel(5)];
      compileModel(a);
      compileModel(b);
      expect(trunkOf(tf, b)?.stages.length, "the paper's model trains its trunk in WebAssembly").to.equal(3);
      await sameSteps(a, b, batches, 1000);
      expect(bits(b)).to.deep.equal(bits(a));
      expect(bits(b)).to.not.deep.equal(bits(createModel(5))); // the steps did train
      a.dispose();
      b.dispose();
    });
  }

  for (const dropout of [0, 0.25]) {
    it(`dropout ${dropout} (an ablation): the trunk with ${dropout ? "the plain-arithmetic head" : "tfjs' head"} gives trainOnBatch's bits`, async () => {
      const config = { ...PAPER, dropout };
      const [a, b] = [createModel(3, config), createModel(3, config)];
      compileModel(a);
      compileModel(b);
      expect(trunkOf(tf, b)?.stages.length).to.equal(3);
      expect(!!headOf(tf, b, 6)).to.equal(dropout > 0);
      await sameSteps(a, b, batchesOf(6, [8, 8, 8, 3]), 70);
      expect(bits(b)).to.deep.equal(bits(a));
      a.dispose();
      b.dispose();
    });
  }

  it("a trunk of odd sizes (5 and 3 channels, pool 3 leaving rows and columns uncovered) gives trainOnBatch's bits", async () => {
    // 48 → conv 3 → 46 → pool 3 → 15 (one row and column uncovered) → conv 5 → 11 → pool 3 → 3 (two uncovered);
    // 5 and 3 channels end in a part-vector of 1 and of 3 lanes
    const arch = {
      ...PAPER.arch,
      convs: [
        { filters: 5, kernel: 3 },
        { filters: 3, kernel: 5 },
      ],
      pool: 3,
      dense: 16,
    };
    const config = { ...PAPER, arch };
    for (const threads of [1, 2]) {
      setKernelThreads(threads);
      const [a, b] = [createModel(4, config), createModel(4, config)];
      compileModel(a);
      compileModel(b);
      expect(trunkOf(tf, b)?.stages.map((st) => [st.N, st.P])).to.deep.equal([
        [5, 3],
        [3, 3],
      ]);
      await sameSteps(a, b, batchesOf(9, [8, 8, 8, 8, 3]), 40);
      expect(bits(b), `${threads} thread(s)`).to.deep.equal(bits(a));
      a.dispose();
      b.dispose();
    }
    setKernelThreads(1);
  });

  it("grey images (equal channels, as CK+48's): the trunk's first convolution is tfjs' of channel 0 with the filter summed over the channels, bit for bit", () => {
    // RGB batches of grey pictures, and one (the fourth) whose last image has one pixel a bit off grey
    const grey = greyBatches();
    const m = createModel(0);
    const taken = grey.map(({ xs }) => {
      const t = trunkOf(tf, m)!;
      t.forward(xs);
      return t.equalChannels;
    });
    expect(taken).to.deep.equal([true, true, true, false, true, true]);
    const stages = trunkOf(tf, m)!.stages;
    const w = m.getWeights().map((t) => ({ shape: t.shape, values: t.dataSync() as Float32Array }));
    // the trunk's output by tfjs' ops (on cpu-fast: its Conv2D kernel, lib/kernels/conv.ts), stage 1 on channel 0
    // with tf.sum of its filter over the channels
    const reference = (xs: Tensor4D, summed: boolean) =>
      tf.tidy(() => {
        let h = xs;
        stages.forEach((s, i) => {
          let k: Tensor4D = tf.tensor4d(w[2 * i].values, w[2 * i].shape as [number, number, number, number]);
          if (i === 0 && summed) {
            h = h.slice([0, 0, 0, 0], [-1, -1, -1, 1]);
            k = tf.sum(k, 2, true);
          }
          const z = tf.relu(tf.add(tf.conv2d(h, k, 1, "valid"), tf.tensor1d(w[2 * i + 1].values))) as Tensor4D;
          h = tf.maxPool(z, s.P, s.P, "valid");
        });
        return Array.from(h.dataSync());
      });
    for (const threads of [1, 2]) {
      setKernelThreads(threads);
      for (const i of [0, 3, 5]) {
        const got = Array.from(trunkOf(tf, m)!.forward(grey[i].xs));
        if (i === 3) {
          expect(got, "the off-grey batch: the RGB path").to.deep.equal(reference(grey[i].xs, false));
          continue;
        }
        expect(got, `batch ${i + 1}, ${threads} thread(s)`).to.deep.equal(reference(grey[i].xs, true));
        const rgb = reference(grey[i].xs, false);
        expect(got).to.not.deep.equal(rgb); // the sums round otherwise than the three products per tap
        const scale = Math.max(...rgb.map(Math.abs));
        expect(Math.max(...got.map((v, j) => Math.abs(v - rgb[j]))) / scale).to.be.below(1e-5);
      }
    }
    setKernelThreads(1);
    m.dispose();
    tf.dispose(grey.flatMap(({ xs, ys }) => [xs, ys]));
  });

  it("grey images: training steps stay within 1e-5 of trainOnBatch's losses and weights, and give the same bits on 1 and 2 threads", async () => {
    const steps = [...greyBatches(), ...greyBatches()];
    const runs = [1, 2].map((threads) => {
      setKernelThreads(threads);
      const b = createModel(6);
      compileModel(b);
      const losses = steps.map(({ xs, ys }, i) => {
        seed(b, 90 + i);
        const { loss, acc } = trainStep(b, xs, ys);
        const v = loss.dataSync()[0];
        tf.dispose([loss, acc]);
        return v;
      });
      const w = bits(b);
      b.dispose();
      return { losses, w };
    });
    setKernelThreads(1);
    expect(runs[1], "2 threads").to.deep.equal(runs[0]);
    const a = createModel(6);
    compileModel(a);
    const want: number[] = [];
    for (const [i, { xs, ys }] of steps.entries()) {
      seed(a, 90 + i);
      want.push(((await a.trainOnBatch(xs, ys)) as number[])[0]);
    }
    const relative = (x: number[], y: number[]) =>
      Math.max(...x.map((v, j) => Math.abs(v - y[j]))) / Math.max(...y.map(Math.abs));
    expect(relative(runs[0].losses, want), "losses").to.be.below(1e-5);
    bits(a).forEach((w, k) => expect(relative(runs[0].w[k], w), `weight ${k}`).to.be.below(1e-5));
    expect(runs[0].w).to.not.deep.equal(bits(a));
    a.dispose();
    tf.dispose(steps.flatMap(({ xs, ys }) => [xs, ys]));
  });

  it("evaluateModel through the trunk and head gives model.evaluate's bits (157 images in batches of 64, and 5)", async () => {
    const [a, m] = [createModel(8), createModel(8)];
    compileModel(a);
    compileModel(m);
    await sameSteps(a, m, batchesOf(21, [8, 8, 8]), 10); // weights away from their start
    a.dispose();
    for (const threads of [1, 2]) {
      setKernelThreads(threads);
      for (const n of [157, 5]) {
        const [{ xs, ys }] = batchesOf(30 + n, [n]);
        const want = (m.evaluate(xs, ys, { batchSize: 64 }) as Scalar[]).map((t) => t.dataSync()[0]);
        const got = evaluateModel(m, xs, ys);
        expect([got.loss, got.accuracy], `${n} images, ${threads} thread(s)`).to.deep.equal(want);
        expect(got.loss).to.be.greaterThan(0);
        tf.dispose([xs, ys]);
      }
    }
    setKernelThreads(1);
    m.dispose();
  });

  it("a model without a trunk (batch normalisation) takes tfjsStep, which gives trainOnBatch's bits", async () => {
    const config = { ...PAPER, arch: { ...PAPER.arch, batchNorm: true } };
    const [a, b] = [createModel(2, config), createModel(2, config)];
    compileModel(a);
    compileModel(b);
    expect(trunkOf(tf, b)).to.equal(undefined);
    for (const [i, { xs, ys }] of batchesOf(3, [8, 8, 6]).entries()) {
      seed(a, 50 + i);
      seed(b, 50 + i);
      const [lossA] = (await a.trainOnBatch(xs, ys)) as number[];
      const { loss, acc } = tfjsStep(b, xs, ys);
      expect(loss.dataSync()[0], `step ${i + 1}`).to.equal(lossA);
      tf.dispose([loss, acc, xs, ys]);
    }
    expect(bits(b)).to.deep.equal(bits(a));
    a.dispose();
    b.dispose();
  });
});

describe("training one fold: checkpoints and resume", function () {
  this.timeout(300_000);
  const config = { ...PAPER, maxEpochs: 6, patience: 3 };
  const data = () => {
    const n = 24;
    const rng = new Rng(5);
    const x = tf.tensor4d(
      Float32Array.from({ length: n * 48 * 48 * 3 }, () => rng.next()),
      [n, 48, 48, 3],
    );
    const y = tf
      .oneHot(
        tf.tensor1d(
          Array.from({ length: n }, (_, i) => i % 7),
          "int32",
        ),
        7,
      )
      .toFloat() as Tensor2D;
    return { xTrain: x, yTrain: y, xVal: x, yVal: y };
  };
  const bits = (m: LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));
  const noSeconds = (h: EpochRecord[]) => h.map(({ seconds: _s, ...rest }) => rest);

  it("stopping after a batch and resuming from the last epoch's checkpoint gives the uninterrupted fold bit for bit", async () => {
    const d = data();
    const whole = await trainFold({ ...d, seed: 9, config });
    const checkpoints: string[] = [];
    let batches = 0;
    let err: Error | undefined;
    await trainFold({
      ...d,
      seed: 9,
      config,
      onCheckpoint: (c) => void checkpoints.push(JSON.stringify(c)), // as written to disk: JSON
      shouldStop: () => ++batches === 3 * 3 + 2, // 3 batches per epoch: stop inside the fourth epoch
    }).catch((e) => (err = e));
    expect(err).to.be.instanceOf(Interrupted);
    expect(checkpoints).to.have.length(3);
    const last = JSON.parse(checkpoints[2]) as TrainCheckpoint;
    expect(last.epoch).to.equal(3);
    const resumed = await trainFold({ ...d, seed: 9, config, resume: last });
    expect(noSeconds(resumed.history)).to.deep.equal(noSeconds(whole.history));
    expect([resumed.bestEpoch, resumed.bestValLoss]).to.deep.equal([whole.bestEpoch, whole.bestValLoss]);
    expect(bits(resumed.model)).to.deep.equal(bits(whole.model));
    whole.model.dispose();
    resumed.model.dispose();
    tf.dispose(Object.values(d));
  });

  it("a checkpoint from the epoch that ended training resumes to the same final model without training more", async () => {
    const d = data();
    const cs: TrainCheckpoint[] = [];
    const whole = await trainFold({
      ...d,
      seed: 3,
      config: { ...config, maxEpochs: 2 },
      onCheckpoint: (c) => void cs.push(c),
    });
    const again = await trainFold({ ...d, seed: 3, config: { ...config, maxEpochs: 2 }, resume: cs[cs.length - 1] });
    expect(again.history).to.deep.equal(whole.history);
    expect(bits(again.model)).to.deep.equal(bits(whole.model));
    whole.model.dispose();
    again.model.dispose();
    tf.dispose(Object.values(d));
  });

  it("a non-finite loss stops the fold with one line naming it and the epoch", async () => {
    const d = data();
    let err: Error | undefined;
    await trainFold({ ...d, seed: 1, config: { ...config, learningRate: 1e30 }, label: "fold 2" }).catch(
      (e) => (err = e),
    );
    expect(err?.name).to.equal("UserError");
    expect(err?.message).to.match(/^fold 2: epoch \d+: the (training|validation) loss is (NaN|Infinity|-Infinity)/);
    tf.dispose(Object.values(d));
  });
});
