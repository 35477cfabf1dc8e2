/**
 * lib/notebooks/08-explain.ts and lib/explain/sanity.ts: the sanity check against its own definition (a model against
 * itself correlates 1; each row is mapCorrelation of the method's maps), the verdicts' thresholds, the summary against
 * the committed data/runs/explain/regions.json read independently, the probability-vs-score comparison on a toy model
 * worked by hand (the ratio of the two gradients is p(1 − p)), and the exercises' answers on the paper's CNN at random
 * weights (forward passes by hand, layer shapes from the architecture).
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { tf, type LayersModel, type Tensor4D } from "../lib/tf";
import { RUNS } from "../lib/paths";
import { createModel } from "../lib/model";
import { FACS, type Region } from "../lib/explain/regions";
import { gradCam, mapCorrelation, probabilities, saliency } from "../lib/explain/attribution";
import { sanityCheck, sanityVerdict, type MapSettings } from "../lib/explain/sanity";
import { findRegions, type RegionSummary } from "../lib/explain/region-study";
import { mostConfidentMistake, pickFace } from "../lib/explain/faces";
import type { DataStatus } from "../lib/runs";
import { makeRun } from "./fixtures/run";
import {
  anotherFaceAnswer,
  averagesCaveat,
  emptyMapsNote,
  evidenceMarkdown,
  explainedMarkdown,
  explainedTestFiles,
  faceCaption,
  layerAnswer,
  needsMessage,
  patchAnswer,
  sanityMarkdown,
  seedAnswer,
  smoothGradAnswer,
  summaryMarkdown,
  targetComparisonMarkdown,
} from "../lib/notebooks/08-explain";

const CLASSES = ["anger", "contempt", "disgust", "fear", "happy", "sadness", "surprise"];
const SETTINGS: MapSettings = { samples: 2, sigma: 0.15, patch: 16, stride: 16, fill: 0.5 };

/** Two regions of a 48 × 48 frame: the top half and the bottom half. */
function halves(): Region[] {
  const top = new Uint8Array(48 * 48).map((_, p) => (p < 24 * 48 ? 1 : 0));
  const box = { top: 0, bottom: 47, left: 0, right: 47 };
  return [
    { name: "top", mask: top, box },
    { name: "bottom", mask: top.map((v) => 1 - v), box },
  ];
}

describe("notebook 08: loading, messages, one face", () => {
  const status = (present: boolean): DataStatus => ({ present, dir: "/nowhere", images: 0, message: "" });

  it("needsMessage names what is missing, one line, and is empty when nothing is", () => {
    expect(needsMessage(status(true), "/m")).to.equal("");
    expect(needsMessage(status(false), "/m")).to.equal("*Skipped: this cell needs CK+48 (not found at `/nowhere`).*");
    const both = needsMessage(status(false), undefined);
    expect(both).to.match(/CK\+48 .* and the run of record's model/);
    expect(both).not.to.include("\n");
  });

  it("explainedTestFiles keeps every fourth test image in the quick setting; explainedMarkdown counts the right ones", () => {
    const run = makeRun({ seed: 1 });
    const quick = explainedTestFiles(run, true);
    expect(quick).to.deep.equal(run.split.test.filter((_, i) => i % 4 === 0));
    expect(explainedTestFiles(run, false)).to.deep.equal(run.split.test);
    expect(explainedMarkdown(run, ["a", "b", "c", "d"], [true, false, true, true], false)).to.equal(
      "Explaining all 4 test images of the run; the model gets 3 of them right (75.0%).",
    );
    expect(explainedMarkdown(run, quick, [true], true)).to.include(
      `(every fourth of its ${run.split.test.length}: \`QUICK\`)`,
    );
  });

  it("pickFace takes the face at the index with argmax as its prediction, and names the valid range otherwise", () => {
    const x = tf.zeros([3, 48, 48, 3]) as Tensor4D;
    const probs = [
      [0.9, 0.1, 0, 0, 0, 0, 0],
      [0.2, 0.1, 0.7, 0, 0, 0, 0],
      [0, 0, 0, 0, 1, 0, 0],
    ];
    const f = pickFace(x, [0, 5, 4], ["anger/a.png", "sadness/b.png", "happy/c.png"], probs, 1);
    expect([f.index, f.label, f.predicted, f.pTrue, f.pPredicted, f.file]).to.deep.equal([
      1,
      5,
      2,
      0,
      0.7,
      "sadness/b.png",
    ]);
    expect(f.one.shape).to.deep.equal([1, 48, 48, 3]);
    expect(faceCaption(f, CLASSES)).to.deep.equal(["b", "sadness, p = 0.00 → disgust 0.70"]);
    f.one.dispose();
    const g = pickFace(x, [0, 5, 4], ["anger/a.png", "sadness/b.png", "happy/c.png"], probs, 0);
    expect(faceCaption(g, CLASSES)).to.deep.equal(["a", "anger, p = 0.90"]);
    g.one.dispose();
    expect(() => pickFace(x, [0, 5, 4], ["a", "b", "c"], probs, 3)).to.throw(/FACE = 3: .*3 explained .*0 … 2/);
    expect(() => pickFace(x, [0, 5, 4], ["a", "b", "c"], probs, 0.5)).to.throw(/FACE = 0.5/);
    x.dispose();
  });

  it("mostConfidentMistake is the wrong prediction with the highest probability (−1 when none); emptyMapsNote counts all-zero maps", () => {
    const probs = [
      [0.6, 0.4],
      [0.3, 0.7],
      [0.1, 0.9],
      [0.8, 0.2],
    ];
    expect(mostConfidentMistake(probs, [0, 0, 1, 1])).to.equal(3); // wrong: 1 (0.7) and 3 (0.8)
    expect(mostConfidentMistake(probs, [0, 1, 1, 0])).to.equal(-1);
    const note = emptyMapsNote([new Float32Array(4), Float32Array.of(0, 1, 0, 0), new Float32Array(4)]);
    expect(note).to.match(/^Grad-CAM's map is zero everywhere for 2 of these 3 faces/);
  });

  it("evidenceMarkdown states the rows and columns read off the mean face", () => {
    const e = {
      side: 48,
      rowProfile: [],
      columnProfile: [],
      eyeRow: 18,
      noseRow: 30,
      mouthRow: 36,
      faceLeft: 8,
      faceRight: 41,
      midline: 23,
    };
    expect(evidenceMarkdown(e, "From x")).to.equal(
      "From x: eyes at row 18, nostrils at row 30, mouth at row 36; face from column 8 to 41, midline at column 23.",
    );
  });
});

describe("notebook 08: saliency of the probability against the score, on a model worked by hand", () => {
  it("the ratio of the two gradients' maxima is p(1 − p), and the two maps rank alike", () => {
    // one 1×1-conv channel read by a 2-class dense layer on a 4 × 4 region: S0 = Σ_R x, S1 = 0, p0 = σ(S0)
    const side = 12;
    const inR = (p: number) => Math.floor(p / side) < 4 && p % side < 4;
    const m = tf.sequential();
    m.add(tf.layers.conv2d({ inputShape: [side, side, 1], filters: 1, kernelSize: 1, useBias: false, name: "feat" }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 2, activation: "softmax", name: "out" }));
    m.getLayer("feat").setWeights([tf.ones([1, 1, 1, 1])]);
    const w = new Float32Array(side * side * 2);
    for (let p = 0; p < side * side; p++) if (inR(p)) w[p * 2] = 1;
    m.getLayer("out").setWeights([tf.tensor2d(w, [side * side, 2]), tf.zeros([2])]);
    // image 0: S0 = 16 × 0.25 = 4 (p0 = 0.982); image 1: S0 = 16 × 0.05 = 0.8 (p0 = 0.690)
    const x = tf.concat([tf.fill([1, side, side, 1], 0.25), tf.fill([1, side, side, 1], 0.05)]) as Tensor4D;
    const probs = probabilities(m, x);
    const md = targetComparisonMarkdown(m, x, [0, 0], probs);
    const p0 = [1 / (1 + Math.exp(-4)), 1 / (1 + Math.exp(-0.8))];
    expect(probs[0][0]).to.be.closeTo(p0[0], 1e-6);
    const ratio = (p: number) => (p * (1 - p)).toPrecision(2);
    expect(md).to.include(`| 0.00 ≤ p < 0.90 | 1 | 1.00 | ${ratio(p0[1])} |`);
    expect(md).to.include(`| 0.90 ≤ p < 0.99 | 1 | 1.00 | ${ratio(p0[0])} |`);
    expect(md).not.to.include("0.99 ≤ p < 1 |"); // an empty bin is left out
    x.dispose();
    m.dispose();
  });
});

describe("notebook 08: the sanity check (lib/explain/sanity.ts)", function () {
  this.timeout(60_000);
  let a: LayersModel;
  let b: LayersModel;
  let x: Tensor4D;
  const labels = [0, 4, 6];
  before(() => {
    a = createModel(1);
    b = createModel(2);
    x = tf.randomUniform([3, 48, 48, 3], 0, 1, "float32", 5) as Tensor4D;
  });
  after(() => {
    a.dispose();
    b.dispose();
    x.dispose();
  });

  it("a model against itself correlates 1 for every method; against another, each row is mapCorrelation of the method's maps", () => {
    const self = sanityCheck(a, a, x, labels, { ...SETTINGS, slowImages: 2 });
    expect(self.map((r) => r.method)).to.deep.equal([
      "saliency",
      "saliency of the score",
      "grad-cam",
      "smoothgrad",
      "occlusion",
    ]);
    expect(self.map((r) => r.images)).to.deep.equal([3, 3, 3, 2, 2]);
    for (const r of self) expect(r.correlation, r.method).to.be.closeTo(1, 1e-9);
    const other = sanityCheck(a, b, x, labels, { ...SETTINGS, slowImages: 2 });
    expect(other[0].correlation).to.equal(mapCorrelation(saliency(a, x, labels), saliency(b, x, labels)));
    expect(other[2].correlation).to.equal(mapCorrelation(gradCam(a, x, labels), gradCam(b, x, labels)));
    expect(other[0].correlation).to.be.below(1);
  });

  it("sanityVerdict: at least 0.5 fails, at most 0.2 passes, between is unclear", () => {
    expect([0.9, 0.5, 0.49, 0.21, 0.2, -0.1].map(sanityVerdict)).to.deep.equal([
      "fails",
      "fails",
      "unclear",
      "unclear",
      "passes",
      "passes",
    ]);
  });

  it("the exercises' answers: forward passes by hand, layer shapes of the architecture, a seed's row is mapCorrelation", () => {
    const probs = probabilities(a, x);
    const f = pickFace(x, labels, ["anger/a.png", "happy/b.png", "surprise/c.png"], probs, 0);
    // 48-pixel side, stride 4: ⌈(48 − p)/4⌉ + 1 starts per side
    const patch = patchAnswer(a, f, [4], { ...SETTINGS, patch: 8, stride: 4 }, halves());
    expect(patch).to.match(/\| 4×4 \| 144 \|/);
    expect(patch).to.match(/\| 8×8 \| 121 \| [\d.]+ \| \w+ \| 1\.00 \|/);
    const sg = smoothGradAnswer(a, f, [5, 1], SETTINGS, 4);
    expect(sg.indexOf("| n = 1 |")).to.be.below(sg.indexOf("| n = 5 |"));
    expect(sg).to.include("plain saliency (no noise)");
    f.one.dispose();
    const layers = layerAnswer(a, b, x, labels, 2);
    expect(layers).to.include("first 2 test images");
    expect(layers).to.match(/\| conv1 \| 44×44×6 \|/);
    expect(layers).to.match(/\| conv2 \| 18×18×16 \|/);
    expect(layers).to.match(/\| conv3 \| 7×7×64 \| [−\d.]+ \| \w+ \| 1\.00 \|/);
    const seeds = seedAnswer(a, x, labels, [2], undefined);
    const r = mapCorrelation(saliency(a, x, labels), saliency(b, x, labels)); // b is createModel(2)
    expect(seeds).to.include(`| 2 | ${r.toFixed(2).replace("-", "−")} |`);
    const wrong = labels.map((_, i) => (probs[i].indexOf(Math.max(...probs[i])) + 1) % 7); // every prediction wrong
    const another = anotherFaceAnswer(
      a,
      x,
      wrong,
      ["a/x.png", "b/y.png", "c/z.png"],
      probs,
      halves(),
      CLASSES,
      SETTINGS,
    );
    expect(another).to.include(`\`FACE = ${mostConfidentMistake(probs, wrong)}\``);
    expect(another).to.match(/\| grad-cam \| (top|bottom) \|/);
  });
});

describe("notebook 08: sanity, caveat and summary Markdown, against regions.json read independently", () => {
  const file = path.join(RUNS, "explain", "regions.json");
  const raw = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as RegionSummary) : undefined;
  const f2 = (v: number) => v.toFixed(2).replace("-", "−");
  const rows = [
    { method: "saliency", images: 10, correlation: 0.81 },
    { method: "grad-cam", images: 10, correlation: -0.1 },
    { method: "occlusion", images: 4, correlation: 0.3 },
  ];

  it("sanityMarkdown: this run's table with verdicts, the committed phrase, one sentence per verdict", function () {
    if (!raw) return this.skip();
    const regions = findRegions()!;
    const md = sanityMarkdown(rows, regions);
    expect(md).to.include("| saliency | 10 | 0.81 | fails |");
    expect(md).to.include("| grad-cam | 10 | −0.10 | passes |");
    expect(md).to.include("| occlusion | 4 | 0.30 | unclear |");
    for (const s of raw.sanity)
      expect(md).to.include(
        `${s.method} ${f2(s.correlation.mean)} [${f2(s.correlation.t!.lo)}, ${f2(s.correlation.t!.hi)}]`,
      );
    expect(md).to.match(
      /\*\*Fails\*\*: saliency \(0\.81\).*\*\*Passes\*\*: grad-cam \(−0\.10\).*\*\*Unclear\*\*: occlusion \(0\.30\)/s,
    );
    expect(sanityMarkdown(undefined, undefined)).to.match(/^No sanity check/);
    expect(sanityMarkdown(undefined, regions)).to.match(/\*\*Fails\*\*: saliency \(/);
    expect(averagesCaveat(rows, undefined)).to.include(
      "saliency 0.81 (fails), grad-cam −0.10 (passes), occlusion 0.30 (unclear)",
    );
  });

  it("summaryMarkdown states the committed check, this run's, and the FACS agreement counted here by hand", function () {
    if (!raw) return this.skip();
    const md = summaryMarkdown(findRegions(), rows);
    const sal = raw.sanity.find((s) => s.method === "saliency")!.correlation;
    const cam = raw.sanity.find((s) => s.method === "grad-cam")!.correlation;
    expect(md).to.include(`saliency's maps correlate ${f2(sal.mean)} [${f2(sal.t!.lo)}, ${f2(sal.t!.hi)}]`);
    expect(md).to.include(`Grad-CAM's ${f2(cam.mean)} [${f2(cam.t!.lo)}, ${f2(cam.t!.hi)}]`);
    expect(md).to.include("saliency 0.81 (fails, 10 images)");
    let agree = 0;
    for (const c of raw.classes) {
      const own = raw.effects.filter((e) => e.class === c && e.region !== "rest");
      let worst = own[0];
      for (const e of own) if (e.delta.mean < worst.delta.mean) worst = e;
      if (FACS[c].regions.includes(worst.region)) agree++;
      expect(md).to.include(
        `${c} ${worst.region} ${worst.delta.mean < 0 ? "−" : "+"}${Math.abs(Math.round(100 * worst.delta.mean))}`,
      );
    }
    expect(md).to.include(`one FACS predicts for ${agree} of ${raw.classes.length} classes`);
    expect(summaryMarkdown(undefined, undefined)).to.match(/^No results/);
  });
});
