import { expect } from "chai";
import { tf } from "../lib/tf";
import {
  createModel,
  summarize,
  featureMaps,
  parametersByHand,
  traceShapes,
  trainingMultiplyAdds,
  glorotRows,
  whyConvolution,
} from "../lib/model";
import sharp from "sharp";
import { demoPattern, featureMapCells, featureMapGrid } from "../lib/display/pictures";
import { layersMarkdown, paramsMarkdown, traceMarkdown } from "../lib/notebooks/02-model";
import type { Tensor } from "@tensorflow/tfjs";

describe("model (Section 2.2, Fig 3)", () => {
  it("has the paper's 86,911 parameters", () => {
    const m = createModel(0);
    expect(m.countParams()).to.equal(86911);
    m.dispose();
  });

  it("has the paper's layer output shapes and per-layer parameter counts (hand-computed)", () => {
    const m = createModel(0);
    const rows = summarize(m).map((r) => [r.kind, r.outputShape.join("x"), r.params]);
    expect(rows).to.deep.equal([
      ["Conv2D", "44x44x6", 6 * (5 * 5 * 3) + 6],
      ["MaxPooling2D", "22x22x6", 0],
      ["Conv2D", "18x18x16", 16 * (5 * 5 * 6) + 16],
      ["MaxPooling2D", "9x9x16", 0],
      ["Conv2D", "7x7x64", 64 * (3 * 3 * 16) + 64],
      ["MaxPooling2D", "3x3x64", 0],
      ["Flatten", "576", 0],
      ["Dense", "128", 576 * 128 + 128],
      ["Dropout", "128", 0],
      ["Dense", "7", 128 * 7 + 7],
    ]);
    m.dispose();
  });

  it("is a factory: two calls give independent models; the same seed gives the same weights", () => {
    const a = createModel(3),
      b = createModel(3),
      c = createModel(4);
    const wa = a.getWeights()[0].dataSync(),
      wb = b.getWeights()[0].dataSync(),
      wc = c.getWeights()[0].dataSync();
    expect(Array.from(wa)).to.deep.equal(Array.from(wb));
    expect(Array.from(wa)).to.not.deep.equal(Array.from(wc));
    expect(a.layers[0]).to.not.equal(b.layers[0]);
    [a, b, c].forEach((m) => m.dispose());
  });

  it("initialises kernels glorot-uniform (Keras), not glorot-normal: bounded by sqrt(6/(fan_in+fan_out))", () => {
    const m = createModel(1);
    const k = m.getWeights()[0]; // conv1 kernel 5x5x3x6
    const limit = Math.sqrt(6 / (5 * 5 * 3 + 5 * 5 * 6));
    const v = Array.from(k.dataSync());
    expect(Math.max(...v.map(Math.abs))).to.be.at.most(limit);
    // a uniform distribution on [-L, L] has variance L²/3; glorot-normal would put ~5% beyond 2σ=limit·0.94
    const variance = v.reduce((s, x) => s + x * x, 0) / v.length;
    expect(variance).to.be.closeTo((limit * limit) / 3, (limit * limit) / 10);
    m.dispose();
  });

  it("outputs a probability distribution over 7 classes", () => {
    const m = createModel(0);
    const y = tf.tidy(() => m.predict(tf.randomUniform([2, 48, 48, 3], 0, 1, "float32", 1)) as Tensor);
    expect(y.shape).to.deep.equal([2, 7]);
    const rows = y.arraySync() as number[][];
    rows.forEach((r) => expect(r.reduce((a, b) => a + b, 0)).to.be.closeTo(1, 1e-5));
    y.dispose();
    m.dispose();
  });
});

describe("model: what notebook 02 teaches", () => {
  const model = createModel(0);
  after(() => model.dispose());

  it("parametersByHand derives 86,911 with the same per-layer counts and output shapes as the model", () => {
    const rows = parametersByHand();
    const total = rows.reduce((a, r) => a + r.params, 0);
    expect(total).to.equal(86911);
    expect(total).to.equal(model.countParams());
    const layers = summarize(model);
    expect(rows.map((r) => r.layer)).to.deep.equal(layers.map((l) => l.name));
    expect(rows.map((r) => r.params)).to.deep.equal(layers.map((l) => l.params));
    expect(rows.map((r) => r.output)).to.deep.equal(layers.map((l) => l.outputShape.join("×")));
    expect(paramsMarkdown(rows, model.countParams())).to.include("They agree.");
    expect(paramsMarkdown(rows, 5)).to.include("**They differ.**");
  });

  it("trainingMultiplyAdds counts a training step's multiply-adds per image (hand-computed for the paper's CNN)", () => {
    const rows = trainingMultiplyAdds(model);
    // conv1 44·44·6·(5·5·3), conv2 18·18·16·(5·5·6), conv3 7·7·64·(3·3·16), dense1 576·128, output 128·7
    const forward = [871200, 777600, 451584, 73728, 896];
    expect(rows.map((r) => r.layer)).to.deep.equal(["conv1", "conv2", "conv3", "dense1", "output"]);
    expect(rows.map((r) => r.forward)).to.deep.equal(forward);
    expect(rows.map((r) => r.weightGradient)).to.deep.equal(forward);
    expect(rows.map((r) => r.inputGradient)).to.deep.equal([0, ...forward.slice(1)]);
    expect(rows.reduce((a, r) => a + r.forward + r.weightGradient + r.inputGradient, 0)).to.equal(5653824);
    // grey images: conv1's forward pass and weight gradient once per grey value, 871,200 ÷ 3
    const grey = trainingMultiplyAdds(model, true);
    expect(grey.map((r) => r.weightGradient)).to.deep.equal([290400, ...forward.slice(1)]);
    expect(grey.map((r) => r.forward)).to.deep.equal([290400, ...forward.slice(1)]);
    expect(grey.reduce((a, r) => a + r.forward + r.weightGradient + r.inputGradient, 0)).to.equal(4492224);
  });

  it("traceShapes follows one image through every layer without leaking tensors", () => {
    const x = tf.tensor4d(demoPattern(), [1, 48, 48, 3]);
    const before = tf.memory().numTensors;
    const steps = traceShapes(model, x);
    expect(tf.memory().numTensors).to.equal(before);
    x.dispose();
    expect(steps.map((s) => s.output)).to.deep.equal([
      [1, 44, 44, 6],
      [1, 22, 22, 6],
      [1, 18, 18, 16],
      [1, 9, 9, 16],
      [1, 7, 7, 64],
      [1, 3, 3, 64],
      [1, 576],
      [1, 128],
      [1, 128],
      [1, 7],
    ]);
    expect(steps[0].input).to.deep.equal([1, 48, 48, 3]);
    expect(steps[0].min).to.equal(0); // ReLU
    expect(traceMarkdown(steps)).to.include("| output | Dense | [1, 128] | [1, 7] |");
    expect(layersMarkdown(summarize(model))).to.include("**86,911**");
  });

  it("featureMaps gives the three convolutions' outputs; featureMapCells stretches each channel to [0, 1]", async () => {
    const x = tf.tensor4d(demoPattern(), [1, 48, 48, 3]);
    const maps = featureMaps(model, x);
    x.dispose();
    expect(maps.map((m) => m.shape)).to.deep.equal([
      [44, 44, 6],
      [18, 18, 16],
      [7, 7, 64],
    ]);
    const cells = featureMapCells(maps[2], 16);
    expect(cells).to.have.length(16);
    for (const c of cells) for (const v of Array.from(c.picture.data)) expect(v).to.be.within(0, 1);
    const png = await featureMapGrid(maps[0]);
    expect((await sharp(png).metadata()).width).to.be.greaterThan(400);
  });

  it("parametersByHand with 'same' padding keeps each convolution's side: the counts of tfjs' own model", () => {
    const rows = parametersByHand(undefined, "same");
    const m = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [48, 48, 3], filters: 6, kernelSize: 5, padding: "same" }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.conv2d({ filters: 16, kernelSize: 5, padding: "same" }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.conv2d({ filters: 64, kernelSize: 3, padding: "same" }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 128 }),
        tf.layers.dropout({ rate: 0.5 }),
        tf.layers.dense({ units: 7 }),
      ],
    });
    expect(rows.map((r) => r.output)).to.deep.equal(
      m.layers.map((l) => (l.outputShape as number[]).slice(1).join("×")),
    );
    expect(rows.reduce((a, r) => a + r.params, 0)).to.equal(m.countParams());
    expect(rows.find((r) => r.layer === "flatten")?.output).to.equal(String(6 * 6 * 64));
    m.dispose();
  });

  it("why a convolution: the counts by hand, and conv1's equals tfjs' own", () => {
    const w = whyConvolution();
    expect(w.dense).to.equal(48 * 48 * 3 * (44 * 44 * 6) + 44 * 44 * 6);
    expect(w.dense).to.equal(80301408);
    expect(w.local).to.equal(44 * 44 * 6 * (5 * 5 * 3 + 1));
    const m = createModel(0);
    expect(w.conv).to.equal(m.getLayer("conv1").countParams());
    m.dispose();
  });

  it("glorot-uniform: the fans and bounds by hand, every drawn weight within them and filling them", () => {
    const m = createModel(0);
    const rows = glorotRows(m);
    expect(rows.map((r) => [r.layer, r.fanIn, r.fanOut])).to.deep.equal([
      ["conv1", 75, 150],
      ["conv2", 150, 400],
      ["conv3", 144, 576],
      ["dense1", 576, 128],
      ["output", 128, 7],
    ]);
    expect(rows[0].limit).to.be.closeTo(Math.sqrt(6 / 225), 1e-12);
    for (const r of rows) {
      expect(r.maxAbs).to.be.at.most(r.limit);
      expect(r.maxAbs).to.be.above(0.9 * r.limit); // hundreds of uniform draws: the largest is near the bound
      expect(r.std).to.be.closeTo(r.limit / Math.sqrt(3), 0.1 * r.limit);
      expect(r.biasMaxAbs).to.equal(0);
    }
    m.dispose();
  });
});
