/**
 * lib/notebooks/02-model.ts: the worked examples of notebook 02 against independent references — tfjs' own parameter
 * counts and weights, hand-computed counts, tfjs' dropout, and the notebook's committed parameter cell.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { tf, type Tensor } from "../lib/tf";
import { PAPER } from "../lib/config";
import { createModel, dropoutAtWork, glorotRows, parametersByHand, summarize, whyConvolution } from "../lib/model";
import { demoPattern } from "../lib/display/pictures";
import { dataStatus } from "../lib/runs";
import {
  NOTEBOOK_PARAMETERS,
  modelFace,
  paperCnn,
  proseFacts,
  recountMarkdown,
  sameModelMarkdown,
  shiftEquivariance,
  shiftMarkdown,
  summaryMarkdown,
  whyConvolutionMarkdown,
} from "../lib/notebooks/02-model";
import { makeFakeCk48 } from "./fixtures/ck48";
import { parameterCell } from "./fixtures/notebooks";

describe("notebook 02's own code (lib/notebooks/02-model.ts)", () => {
  it("the notebook's parameter cell holds the values its prose and facts are computed for", () => {
    const cell = parameterCell("02-model");
    for (const [k, v] of Object.entries(NOTEBOOK_PARAMETERS)) expect(cell[k], k).to.deep.equal(v);
  });

  it("paperCnn, the layers written out, is createModel's network weight for weight (and another seed is not)", () => {
    for (const seed of [0, 3]) {
      const a = paperCnn(seed);
      const b = createModel(seed);
      expect(summarize(a)).to.deep.equal(summarize(b));
      const [wa, wb] = [a.getWeights(), b.getWeights()];
      wa.forEach((w, i) => expect(Array.from(w.dataSync())).to.deep.equal(Array.from(wb[i].dataSync())));
      expect(sameModelMarkdown(a, b)).to.match(/bit for bit/);
      const c = createModel(seed + 1);
      expect(sameModelMarkdown(a, c)).to.match(/differ/);
      [a, b, c].forEach((m) => m.dispose());
    }
  });

  it("why a convolution: the table says the counts", () => {
    expect(whyConvolutionMarkdown(whyConvolution()))
      .to.include("80,301,408")
      .and.include("| 456 |")
      .and.include("924 times");
  });

  it("recounts variants by hand and by tfjs: conv3 at 5×5, 'same' padding, twice the filters", () => {
    const conv3 = {
      ...PAPER,
      arch: { ...PAPER.arch, convs: [PAPER.arch.convs[0], PAPER.arch.convs[1], { filters: 64, kernel: 5 }] },
    };
    // conv3 (5·5·16)·64 + 64 = 25,664 on 9 → 5 → pool 2: flatten 2·2·64 = 256, dense1 256·128 + 128 = 32,896
    expect(456 + 2416 + 25664 + 32896 + 903).to.equal(62335);
    expect(recountMarkdown(conv3)).to.include("**62,335** parameters by hand, 62,335 by tfjs");
    const same = paperCnn(0, "same");
    const tfjsSame = same.countParams();
    same.dispose();
    // 'same': 48 → pool 24 → 24 → 12 → 12 → 6; flatten 6·6·64 = 2,304; dense1 2,304·128 + 128 = 295,040
    expect(tfjsSame).to.equal(456 + 2416 + 9280 + 295040 + 903);
    expect(parametersByHand(PAPER, "same").reduce((a, r) => a + r.params, 0)).to.equal(tfjsSame);
    expect(recountMarkdown(PAPER, "same")).to.include("they agree");
    expect(() => recountMarkdown(conv3, "same")).to.throw(/paper's layers/);
    const [c1, c2, c3] = PAPER.arch.convs;
    const wider = {
      ...PAPER,
      arch: { ...PAPER.arch, convs: [c1, c2, c3].map((c) => ({ ...c, filters: 2 * c.filters })) },
    };
    const m = createModel(0, wider);
    expect(recountMarkdown(wider))
      .to.include(`${m.countParams().toLocaleString("en-US")} by tfjs`)
      .and.include("they agree");
    m.dispose();
  });

  it("dropoutAtWork: training zeroes units and scales the rest by 1/(1 − rate); inference changes nothing; no leak", () => {
    const m = createModel(0);
    const x = tf.tensor4d(demoPattern(), [1, 48, 48, 3]);
    const before = tf.memory().numTensors;
    const d = dropoutAtWork(m, x);
    expect(tf.memory().numTensors).to.equal(before);
    expect(d.units).to.equal(128);
    expect(d.active).to.be.greaterThan(10);
    expect(d.dropped).to.be.within(1, d.active - 1);
    expect(d.scale).to.be.closeTo(1 / (1 - PAPER.dropout), 1e-5);
    expect(d.inferenceUnchanged).to.equal(true);
    expect(d.probsPredict.reduce((a, b) => a + b, 0)).to.be.closeTo(1, 1e-6);
    const again = Array.from((m.predict(x) as Tensor).dataSync());
    expect(d.probsPredict).to.deep.equal(again);
    expect(d.probsTraining).not.to.deep.equal(d.probsPredict);
    x.dispose();
    m.dispose();
  });

  it("shiftEquivariance: conv1's maps shift with the image exactly; no shift changes nothing", () => {
    const image = demoPattern();
    const c = shiftEquivariance(image, 4);
    expect(c.aligned).to.be.below(1e-6);
    expect(c.unaligned).to.be.above(0.01);
    const none = shiftEquivariance(image, 0);
    expect([none.aligned, none.unaligned, none.probsChange]).to.deep.equal([0, 0, 0]);
    expect(shiftMarkdown(c)).to.match(/shifted by 4/);
  });

  it("modelFace picks image FACE_INDEX of FACE_CLASS, the pattern without data, and rejects a bad class or index", async () => {
    const dir = await makeFakeCk48(3);
    try {
      const f = await modelFace(dataStatus(dir), "fear", 2);
      expect(f.label).to.match(/^fear\//);
      expect(f.image).to.have.length(48 * 48 * 3);
      const absent = await modelFace(dataStatus(path.join(dir, "nope")), "happy", 0);
      expect(Array.from(absent.image)).to.deep.equal(Array.from(demoPattern()));
      let err: unknown;
      await modelFace(dataStatus(dir), "joy", 0).catch((e) => (err = e));
      expect(String(err)).to.match(/FACE_CLASS/);
      err = undefined;
      await modelFace(dataStatus(dir), "fear", 3).catch((e) => (err = e));
      expect(String(err)).to.match(/FACE_INDEX/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the Summary states the counts, and its prose facts are the hand-computed ones", () => {
    const m = createModel(0);
    const x = tf.tensor4d(demoPattern(), [1, 48, 48, 3]);
    const md = summaryMarkdown({
      rows: parametersByHand(),
      countParams: m.countParams(),
      why: whyConvolution(),
      glorot: glorotRows(m),
      dropout: dropoutAtWork(m, x),
      chain: "48×48×3 → … → 7",
    });
    expect(md).to.include("86,911 by hand, 86,911 by tfjs, 86,911 in the paper's Fig 3 (all three agree)");
    expect(md).to.include("80,301,408");
    x.dispose();
    m.dispose();
    const f = proseFacts();
    expect([f["why.inputs"], f["why.outputs"], f["why.positions"], f["why.window"]]).to.deep.equal([
      6912, 11616, 1936, 75,
    ]);
    expect(f["glorot.conv1.limit"]).to.be.closeTo(0.1633, 1e-4);
    expect(f["dropout.scale"]).to.equal(2);
  });
});
