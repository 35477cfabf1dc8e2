import { expect } from "chai";
import { tf, useBackend } from "../lib/tf";
import {
  IDENTITY,
  applyTransforms,
  augmentBatch,
  drawParams,
  transformMatrix,
  augmentationGallery,
  galleryParams,
  paramsCaption,
} from "../lib/augment";
import { PAPER } from "../lib/config";
import { Rng } from "../lib/random";
import type { Tensor4D } from "@tensorflow/tfjs";
import { demoPattern } from "../lib/display/pictures";

const maxAbs = (a: Tensor4D, b: Tensor4D) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

describe("augmentation (Keras ImageDataGenerator semantics)", () => {
  let x: Tensor4D;
  before(() => {
    x = tf.randomUniform([2, 48, 48, 3], 0, 1, "float32", 3) as Tensor4D;
  });
  after(() => x.dispose());

  it("identity parameters leave the image unchanged", () => {
    const y = applyTransforms(x, [IDENTITY, IDENTITY]);
    expect(maxAbs(x, y)).to.be.below(1e-6);
    y.dispose();
  });

  it("one batched warp on cpu-fast gives the stock cpu backend's per-image warps, bit for bit", () => {
    const before = tf.getBackend();
    const rng = new Rng(4);
    const params = Array.from({ length: 8 }, () => drawParams(rng));
    const batch = tf.randomUniform([8, 48, 48, 3], 0, 1, "float32", 5) as Tensor4D;
    const values = batch.dataSync().slice();
    batch.dispose();
    const run = (backend: "cpu" | "cpu-fast") => {
      useBackend(backend);
      return tf.tidy(() => Array.from(applyTransforms(tf.tensor4d(values, [8, 48, 48, 3]), params).dataSync()));
    };
    const stock = run("cpu");
    const fast = run("cpu-fast");
    tf.setBackend(before);
    expect(fast).to.deep.equal(stock);
    expect(stock.slice(7 * 6912).some((v) => v !== 0)).to.equal(true); // the last image was warped, not filled
  });

  it("flip equals tf.reverse along the width", () => {
    const y = applyTransforms(x, [
      { ...IDENTITY, flip: true },
      { ...IDENTITY, flip: true },
    ]);
    const ref = tf.reverse(x, 2) as Tensor4D;
    expect(maxAbs(y, ref)).to.be.below(1e-6);
    tf.dispose([y, ref]);
  });

  it("rotation by 90° about the centre equals a transpose-and-flip of the square image", () => {
    const y = applyTransforms(x, [
      { ...IDENTITY, theta: 90 },
      { ...IDENTITY, theta: 90 },
    ]);
    // output(x,y) samples input(cos·x' − sin·y', sin·x' + cos·y') about the centre: input(col = c − (row − c), row = col)
    const xs = x.arraySync(),
      ys = y.arraySync();
    let worst = 0;
    for (let r = 0; r < 48; r++)
      for (let c = 0; c < 48; c++) {
        const inCol = 47 - r,
          inRow = c;
        worst = Math.max(worst, Math.abs(ys[0][r][c][1] - xs[0][inRow][inCol][1]));
      }
    expect(worst).to.be.below(1e-5);
    y.dispose();
  });

  it("an integer shift moves pixels and fills with the nearest edge ('nearest')", () => {
    const y = applyTransforms(x, [{ ...IDENTITY, tx: 3 }, IDENTITY]);
    const xs = x.arraySync(),
      ys = y.arraySync();
    // tx shifts the first (x = column) coordinate: output col c samples input col c + 3, clamped to 47.
    expect(ys[0][10][5][0]).to.be.closeTo(xs[0][10][8][0], 1e-6);
    expect(ys[0][10][46][2]).to.be.closeTo(xs[0][10][47][2], 1e-6);
    expect(ys[0][20][47][1]).to.be.closeTo(xs[0][20][47][1], 1e-6);
    y.dispose();
  });

  it("zoom 2 about the centre samples at twice the distance (bilinear between pixels)", () => {
    const m = transformMatrix({ ...IDENTITY, zx: 2, zy: 2 }, 48, 48);
    // output pixel (x, y) → input (2x − 23.5, 2y − 23.5)
    expect(m[0][0]).to.equal(2);
    expect(m[0][2]).to.be.closeTo(-23.5, 1e-12);
    expect(m[1][2]).to.be.closeTo(-23.5, 1e-12);
  });

  it("draws parameters within the paper's ranges, with both flips, reproducibly", () => {
    const rng = new Rng(5);
    const ps = Array.from({ length: 2000 }, () => drawParams(rng));
    const a = PAPER.augment;
    expect(Math.max(...ps.map((p) => Math.abs(p.theta)))).to.be.within(24, 25);
    expect(Math.max(...ps.map((p) => Math.abs(p.tx)))).to.be.within(4.5, 4.8);
    expect(Math.max(...ps.map((p) => Math.abs(p.shear)))).to.be.at.most(a.shearRange);
    expect(Math.min(...ps.map((p) => p.zx))).to.be.within(0.8, 0.81);
    expect(Math.max(...ps.map((p) => p.zy))).to.be.within(1.19, 1.2);
    const flips = ps.filter((p) => p.flip).length;
    expect(flips).to.be.within(900, 1100);
    expect(drawParams(new Rng(9))).to.deep.equal(drawParams(new Rng(9)));
  });

  it("augmentBatch is seeded: same seed, same pixels; values stay in [0,1]; no tensors leak", () => {
    const before = tf.memory().numTensors;
    const a = augmentBatch(x, new Rng(1)),
      b = augmentBatch(x, new Rng(1)),
      c = augmentBatch(x, new Rng(2));
    expect(maxAbs(a, b)).to.equal(0);
    expect(maxAbs(a, c)).to.be.above(0.01);
    const v = a.dataSync();
    expect(Math.min(...v)).to.be.at.least(0);
    expect(Math.max(...v)).to.be.at.most(1);
    tf.dispose([a, b, c]);
    expect(tf.memory().numTensors).to.equal(before);
  });
});

describe("augment: the gallery of notebook 01", () => {
  it("the augmentation gallery: identity returns the image, the flip mirrors it, random draws are captioned", () => {
    const img = demoPattern();
    const entries = galleryParams();
    expect(entries[0].title).to.equal("original");
    expect(entries.filter((e) => e.title.startsWith("random"))).to.have.length(8);
    const before = tf.memory().numTensors;
    const cells = augmentationGallery(img, entries);
    expect(tf.memory().numTensors).to.equal(before);
    expect(cells).to.have.length(entries.length);
    const s = PAPER.imageSize;
    const id = cells[0].picture.data;
    for (let i = 0; i < img.length; i += 97) expect(id[i]).to.be.closeTo(img[i], 1e-5);
    const flip = cells[entries.findIndex((e) => e.title === "horizontal flip")].picture.data;
    for (const [y, x] of [
      [10, 20],
      [30, 5],
      [40, 40],
    ])
      expect(flip[(y * s + x) * 3]).to.be.closeTo(img[(y * s + (s - 1 - x)) * 3], 1e-5);
    expect(cells[entries.length - 1].caption!.length).to.be.greaterThan(1);
  });

  it("paramsCaption lists only what is not the identity", () => {
    expect(paramsCaption({ theta: 0, tx: 0, ty: 0, shear: 0, zx: 1, zy: 1, flip: false })).to.deep.equal(["identity"]);
    expect(paramsCaption({ theta: -6, tx: 0, ty: 0, shear: 0, zx: 1, zy: 1, flip: true })).to.deep.equal([
      "rotate −6.0°",
      "flipped",
    ]);
  });
});
