/**
 * lib/explain/ on models whose answer is known: a model that reads only one region gives saliency, SmoothGrad,
 * occlusion and Grad-CAM maps that peak there; Grad-CAM of a model with a linear head equals its closed form worked
 * here; maps have the input's size, are finite and reproducible; the regions derived from the real mean face are in
 * anatomical order; the run of record's maps differ from a randomly initialised model's (Adebayo's sanity check).
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { tf, type Tensor, type Tensor4D, type LayersModel } from "../lib/tf";
import {
  classAverageMaps,
  classScores,
  gradCam,
  mapCorrelation,
  meanImage,
  occlusion,
  saliency,
  smoothGrad,
} from "../lib/explain/attribution";
import { colormap, overlay } from "../lib/explain/overlay";
import { deriveRegions, regionOcclusion, regionShares, type Region } from "../lib/explain/regions";
import { createModel } from "../lib/model";
import { loadModel } from "../lib/save";
import { loadDataset, indicesOf, imagesTensor } from "../lib/data/dataset";
import { loadRun } from "../lib/record";
import { PAPER_RUN } from "../lib/paths";
import { realCk48 } from "./fixtures/ck48";

const S = 12;
/** Region R: rows 2–4, columns 6–8 of a 12 × 12 frame. */
const inR = (p: number) => Math.floor(p / S) >= 2 && Math.floor(p / S) <= 4 && p % S >= 6 && p % S <= 8;
const peakInR = (m: Float32Array) => {
  let best = 0;
  m.forEach((v, p) => (v > m[best] ? (best = p) : 0));
  return inR(best);
};

/**
 * A model whose class 0 reads only channel 0 inside R: a 1×1 identity convolution ("feat", two channels), flatten,
 * and a dense layer of two classes whose class-0 weights are 1 on R's channel-0 pixels and 0 elsewhere, softmax.
 */
function regionModel(): LayersModel {
  const m = tf.sequential();
  m.add(
    tf.layers.conv2d({
      inputShape: [S, S, 2],
      filters: 2,
      kernelSize: 1,
      useBias: false,
      name: "feat",
      kernelInitializer: "zeros",
    }),
  );
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 2, activation: "softmax", name: "out", kernelInitializer: "zeros" }));
  m.getLayer("feat").setWeights([tf.tensor4d([1, 0, 0, 1], [1, 1, 2, 2])]);
  const w = new Float32Array(S * S * 2 * 2);
  for (let p = 0; p < S * S; p++) if (inR(p)) w[(p * 2 + 0) * 2 + 0] = 1;
  m.getLayer("out").setWeights([tf.tensor2d(w, [S * S * 2, 2]), tf.zeros([2])]);
  return m;
}

/** An image bright in R on channel 0, and bright in a distractor D (rows 7–9, columns 1–3) on channel 1, which the model does not read. */
function image(): Tensor4D {
  const x = new Float32Array(S * S * 2);
  for (let p = 0; p < S * S; p++) {
    if (inR(p)) x[p * 2] = 1;
    const y = Math.floor(p / S),
      c = p % S;
    if (y >= 7 && y <= 9 && c >= 1 && c <= 3) x[p * 2 + 1] = 1;
  }
  return tf.tensor4d(x, [1, S, S, 2]);
}

describe("explain: maps on a model that reads one region", () => {
  const model = regionModel();
  const x = image();
  after(() => {
    model.dispose();
    x.dispose();
  });

  it("saliency, SmoothGrad, occlusion and Grad-CAM all peak in the region the model reads, and keep the input's size", () => {
    const before = tf.memory().numTensors;
    const maps = {
      saliency: saliency(model, x, [0])[0],
      smoothGrad: smoothGrad(model, x, [0], { samples: 8, seed: 1 })[0],
      occlusion: occlusion(model, x, [0], { patch: 3, stride: 1, fill: 0 })[0],
      gradCam: gradCam(model, x, [0], { featureLayer: "feat" })[0],
    };
    expect(tf.memory().numTensors).to.equal(before);
    for (const [name, m] of Object.entries(maps)) {
      expect(m.length, name).to.equal(S * S);
      expect(m.every(Number.isFinite), name).to.equal(true);
      expect(peakInR(m), name).to.equal(true);
    }
    // the distractor is bright but unread: saliency and Grad-CAM are zero there
    const d = 7 * S + 2;
    expect(maps.saliency[d]).to.equal(0);
    expect(maps.gradCam[d]).to.equal(0);
  });

  it("saliency of the probability is p(1 − p) in the region, of the score (Simonyan et al.) exactly 1: worked by hand", () => {
    // class 0's score is S0 = Σ_R x (9 pixels of 1), S1 = 0: p0 = 1/(1 + e^−9), ∂p0/∂x = p0(1 − p0) ∂S0/∂x
    const p0 = 1 / (1 + Math.exp(-9));
    const prob = saliency(model, x, [0])[0];
    const score = saliency(model, x, [0], { target: "score" })[0];
    for (let p = 0; p < S * S; p++) {
      expect(prob[p]).to.be.closeTo(inR(p) ? p0 * (1 - p0) : 0, 1e-7);
      expect(score[p]).to.be.closeTo(inR(p) ? 1 : 0, 1e-6);
    }
    // SmoothGrad passes the target on: every noisy copy's score gradient is the same 1 on R
    const sg = smoothGrad(model, x, [0], { samples: 3, seed: 0, target: "score" })[0];
    for (let p = 0; p < S * S; p++) expect(sg[p]).to.be.closeTo(inR(p) ? 1 : 0, 1e-6);
  });

  it("classScores are the logits: their softmax is the model's output (on the paper's CNN too)", () => {
    const cnn = createModel(7);
    const xs = tf.randomUniform([3, 48, 48, 3], 0, 1, "float32", 1) as Tensor4D;
    const z = classScores(cnn, xs);
    const viaSoftmax = tf.softmax(z).arraySync() as number[][];
    const out = (cnn.predict(xs) as Tensor).arraySync() as number[][];
    viaSoftmax.forEach((row, i) => row.forEach((v, k) => expect(v).to.be.closeTo(out[i][k], 1e-6)));
    // and the logits are not the probabilities: they are not all in [0, 1] summing to 1
    expect((z.arraySync() as number[][]).some((r) => Math.abs(r.reduce((a, b) => a + b, 0) - 1) > 1e-3)).to.equal(true);
    z.dispose();
    xs.dispose();
    cnn.dispose();
  });

  it("SmoothGrad is reproducible for a seed and changes with it", () => {
    const a = smoothGrad(model, x, [0], { samples: 4, seed: 3 })[0];
    expect(Array.from(smoothGrad(model, x, [0], { samples: 4, seed: 3 })[0])).to.deep.equal(Array.from(a));
    expect(Array.from(smoothGrad(model, x, [0], { samples: 4, seed: 4 })[0])).to.not.deep.equal(Array.from(a));
  });
});

describe("explain: Grad-CAM's closed form", () => {
  it("equals ReLU(Σ_k α_k A_k) with α_k the mean of the linear head's weights over positions, worked by hand", () => {
    // input 3×3×2 → 1×1 conv to 2 channels (kernel K, bias c) → flatten → dense to 3 logits (W, b), no softmax
    const K = [0.5, -1, 2, 0.25]; // [in 2][out 2]
    const c = [0.1, -0.2];
    const W = Array.from({ length: 18 * 3 }, (_, i) => Math.sin(i + 1)); // [18][3]
    const m = tf.sequential();
    m.add(tf.layers.conv2d({ inputShape: [3, 3, 2], filters: 2, kernelSize: 1, name: "feat" }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 3, name: "out" }));
    m.getLayer("feat").setWeights([tf.tensor4d(K, [1, 1, 2, 2]), tf.tensor1d(c)]);
    m.getLayer("out").setWeights([tf.tensor2d(W, [18, 3]), tf.tensor1d([0.3, 0, -0.3])]);
    const xv = Array.from({ length: 18 }, (_, i) => ((i * 7) % 5) / 4 - 0.3);
    const x = tf.tensor4d(xv, [1, 3, 3, 2]);
    for (const cls of [0, 1, 2]) {
      const cam = gradCam(m, x, [cls], { featureLayer: "feat" })[0];
      // by hand: A[p][k] = Σ_j x[p][j] K[j][k] + c[k]; ∂y/∂A[p][k] = W[p*2+k][cls]; α_k = mean over the 9 positions
      const A = Array.from({ length: 9 }, (_, p) =>
        [0, 1].map((k) => xv[p * 2] * K[k] + xv[p * 2 + 1] * K[2 + k] + c[k]),
      );
      const alpha = [0, 1].map(
        (k) => Array.from({ length: 9 }, (_, p) => W[(p * 2 + k) * 3 + cls]).reduce((a, b) => a + b, 0) / 9,
      );
      const expected = A.map((a) => Math.max(0, a[0] * alpha[0] + a[1] * alpha[1]));
      Array.from(cam).forEach((v, p) => expect(v).to.be.closeTo(expected[p], 1e-5));
    }
    x.dispose();
    m.dispose();
  });
});

describe("explain: regions, averages, overlays", () => {
  it("regions derived from a synthetic mean face follow its dark bands, and the masks partition the frame", () => {
    const side = 48;
    const face = new Float32Array(side * side).fill(0.1);
    for (let y = 4; y < 46; y++) for (let x = 6; x < 42; x++) face[y * side + x] = 0.8;
    for (let x = 8; x < 40; x++) face[18 * side + x] = 0.2; // eyes
    for (let x = 18; x < 30; x++) face[29 * side + x] = 0.4; // nostrils
    for (let x = 14; x < 34; x++) face[37 * side + x] = 0.2; // mouth
    for (let y = 8; y < 22; y++) for (let x = 22; x < 26; x++) face[y * side + x] = 0.95; // nose bridge
    const { regions, evidence } = deriveRegions(face, side);
    expect([evidence.eyeRow, evidence.noseRow, evidence.mouthRow]).to.deep.equal([18, 29, 37]);
    expect(evidence.faceLeft).to.equal(6);
    expect(evidence.faceRight).to.equal(41);
    expect(regions.map((r) => r.name)).to.deep.equal(["brows+eyes", "nose", "mouth", "cheeks/jaw", "rest"]);
    const cover = new Uint8Array(side * side);
    for (const r of regions) r.mask.forEach((v, p) => (cover[p] += v));
    expect(cover.every((v) => v === 1)).to.equal(true);
  });

  it("regionShares: the share of a map's positive mass per region, beside its area share, worked by hand", () => {
    // a 2 × 2 frame: region a = the top row, b = the bottom row; map [3, 1, −5, 0]: positive mass 4, all in a
    const region = (name: string, mask: number[]): Region => ({
      name,
      mask: Uint8Array.from(mask),
      box: { top: 0, bottom: 1, left: 0, right: 1 },
    });
    const regions = [region("a", [1, 1, 0, 0]), region("b", [0, 0, 1, 1])];
    expect(regionShares([3, 1, -5, 0], regions)).to.deep.equal([
      { region: "a", share: 1, area: 0.5 },
      { region: "b", share: 0, area: 0.5 },
    ]);
    expect(regionShares([1, 0, 1, 2], regions).map((r) => r.share)).to.deep.equal([0.25, 0.75]);
    expect(regionShares([0, 0, -1, 0], regions).map((r) => r.share)).to.deep.equal([0, 0]);
  });

  it("class averages keep only the selected images; the colour map runs dark to bright; an overlay is an RGB picture", () => {
    const maps = [Float32Array.of(1, 0), Float32Array.of(3, 2), Float32Array.of(100, 100)];
    const avg = classAverageMaps(maps, [0, 0, 1], [true, true, false], 3);
    expect(Array.from(avg[0]!)).to.deep.equal([2, 1]);
    expect(avg[1]).to.equal(null);
    const [r0, g0, b0] = colormap(0);
    const [r1, g1, b1] = colormap(1);
    expect(r1 + g1 + b1).to.be.greaterThan(r0 + g0 + b0);
    const pic = overlay(new Float32Array(4 * 3).fill(0.5), Float32Array.of(0, 0, 0, 1), 2);
    expect([pic.width, pic.height, pic.channels, pic.data.length]).to.deep.equal([2, 2, 3, 12]);
    expect(Array.from(pic.data).slice(0, 3)).to.deep.equal([0.5, 0.5, 0.5]);
  });
});

describe("explain: on CK+48 and the run of record (when present)", function () {
  this.timeout(300_000);
  let x: Tensor4D | undefined;
  let labels: number[] = [];
  let model: LayersModel | undefined;
  before(async function () {
    const dir = realCk48();
    const modelDir = path.join(PAPER_RUN, "model");
    if (!dir || !fs.existsSync(path.join(modelDir, "model.json"))) return this.skip();
    const run = loadRun(path.join(PAPER_RUN, "run.json"));
    const files = run.split.test.slice(0, 24);
    const ds = await loadDataset(dir, { verify: false, only: files });
    x = imagesTensor(ds, indicesOf(ds, files));
    labels = indicesOf(ds, files).map((i) => ds.labels[i]);
    model = await loadModel(modelDir);
  });
  after(() => {
    x?.dispose();
    model?.dispose();
  });

  it("the regions of the real mean face run eyes above nose above mouth, inside the frame", async () => {
    const mean = meanImage(x!);
    const grey = Float32Array.from({ length: 48 * 48 }, (_, p) => mean[p * 3]);
    const { regions, evidence } = deriveRegions(grey, 48);
    expect(evidence.eyeRow).to.be.lessThan(evidence.noseRow);
    expect(evidence.noseRow).to.be.lessThan(evidence.mouthRow);
    expect(evidence.mouthRow).to.be.lessThan(48);
    for (const r of regions)
      expect(
        r.mask.some((v) => v === 1),
        r.name,
      ).to.equal(true);
  });

  it("every method gives finite 48×48 maps; Grad-CAM of the trained model differs from a random model's (rank correlation well below 1)", () => {
    const cls = labels;
    for (const maps of [
      saliency(model!, x!, cls),
      gradCam(model!, x!, cls),
      occlusion(model!, x!.slice([0, 0, 0, 0], [2, -1, -1, -1]), cls.slice(0, 2)),
    ]) {
      for (const m of maps) {
        expect(m.length).to.equal(48 * 48);
        expect(m.every(Number.isFinite)).to.equal(true);
      }
    }
    const random = createModel(123);
    const r = mapCorrelation(gradCam(model!, x!, cls), gradCam(random, x!, cls));
    random.dispose();
    expect(r).to.be.lessThan(0.8);
  });

  it("occluding a region changes the predictions; with the mean face fill the intact accuracy is the model's", () => {
    const mean = meanImage(x!);
    const grey = Float32Array.from({ length: 48 * 48 }, (_, p) => mean[p * 3]);
    const { regions } = deriveRegions(grey, 48);
    const effects = regionOcclusion(model!, x!, labels, regions, mean);
    expect(effects.length).to.be.greaterThan(0);
    for (const e of effects) {
      expect(e.delta).to.be.closeTo(e.occluded - e.intact, 1e-12);
      expect(e.intact).to.be.within(0, 1);
    }
    expect(effects.some((e) => e.delta !== 0)).to.equal(true);
  });
});
