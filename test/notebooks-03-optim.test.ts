/**
 * lib/notebooks/03-optim.ts and lib/notebooks/03-optim-cnn.ts: the worked examples of notebook 03 against independent
 * references — tfjs' own softmax, loss, optimiser and `trainOnBatch`, lib/evaluate.ts, hand-computed cases and closed
 * forms, and the notebook's committed parameter cell.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { tf, useBackend } from "../lib/tf";
import { NUM_CLASSES, PAPER } from "../lib/config";
import { PAPER_RUN } from "../lib/paths";
import { createModel } from "../lib/model";
import { createOptimizer, raceOptimizers } from "../lib/optim";
import { compileModel } from "../lib/train";
import { misclassified } from "../lib/evaluate";
import { loadRun, type RunRecord } from "../lib/record";
import { dataStatus } from "../lib/runs";
import { compileSpec } from "../lib/render";
import { specLossShares, specMovingAverage } from "../lib/figures/optim";
import {
  NOTEBOOK_PARAMETERS,
  epsilonAnswerMarkdown,
  firstEpochMarkdown,
  logitsAnswerMarkdown,
  priorAnswerMarkdown,
  proseFacts,
  raceAnswerMarkdown,
  recordLoss,
  recordLossMarkdown,
  rhoAnswerMarkdown,
} from "../lib/notebooks/03-optim";
import {
  cnnStep,
  cnnStepMarkdown,
  optimizerMarkdown,
  softmaxByHand,
  softmaxMarkdown,
  stepBatch,
} from "../lib/notebooks/03-optim-cnn";
import { maxDifference } from "../lib/arrays";
import { makeFakeCk48 } from "./fixtures/ck48";
import { makeRun } from "./fixtures/run";
import { parameterCell } from "./fixtures/notebooks";

const SETTINGS = { lr: PAPER.learningRate, rho: PAPER.rho, epsilon: PAPER.epsilon };

describe("notebook 03's own code (lib/notebooks/03-optim.ts)", () => {
  it("the notebook's parameter cell holds the values its prose and facts are computed for", () => {
    const cell = parameterCell("03-optim");
    for (const [k, v] of Object.entries(NOTEBOOK_PARAMETERS)) expect(cell[k], k).to.deep.equal(v);
  });

  it("softmaxByHand: the logits by hand give tfjs' probabilities (synthetic pattern without data; no leak)", async () => {
    const m = createModel(0);
    const before = tf.memory().numTensors;
    const s = await softmaxByHand(m, dataStatus("/nonexistent"), makeRun());
    expect(tf.memory().numTensors).to.equal(before);
    expect(s.image).to.match(/synthetic/);
    expect(s.stored).to.equal(undefined);
    expect(maxDifference([s.byHand], [s.predict])).to.be.below(1e-6);
    // the logits are the output layer's pre-activation: tfjs' softmax of them is the model's output
    expect(maxDifference([Array.from(tf.softmax(tf.tensor1d(s.logits)).dataSync())], [s.predict])).to.be.below(1e-6);
    expect(softmaxMarkdown(s)).to.match(/sum to 1\.000000/);
    m.dispose();
  });

  it("softmaxByHand on the run's first test image reads that face and shows its stored probabilities", async () => {
    const dir = await makeFakeCk48(2);
    try {
      const file = fs.readdirSync(path.join(dir, "happy"))[0];
      const run = {
        test: { predictions: [{ file: `happy/${file}`, label: 4, probs: [0.1, 0.1, 0.1, 0.1, 0.4, 0.1, 0.1] }] },
      };
      const m = createModel(0);
      const s = await softmaxByHand(m, dataStatus(dir), run as unknown as RunRecord);
      expect(s.image).to.include(`happy/${file}`);
      expect(s.stored).to.deep.equal(run.test.predictions[0].probs);
      expect(softmaxMarkdown(s)).to.include("p_c in run.json");
      m.dispose();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("recordLoss: Eq. 2 over the stored rows is the stored loss; right + misclassified = all (a synthetic run)", () => {
    const run = makeRun({ seed: 3 });
    const r = recordLoss(run);
    expect(r.eq2).to.be.closeTo(run.test.loss, 1e-9); // the fixture's loss is lib/evaluate's Eq. 2
    const [right, wrong, all] = r.groups;
    expect(wrong.images).to.equal(misclassified(run).length);
    expect(right.images + wrong.images).to.equal(all.images);
    expect(right.sum + wrong.sum).to.be.closeTo(all.sum, 1e-9);
    expect(r.worst[0].loss).to.equal(Math.max(...r.perImage.map((p) => p.loss)));
    expect(recordLossMarkdown(r)).to.include("misclassified");
    expect(compileSpec(specLossShares(r.perImage)).warnings).to.deep.equal([]);
  });

  it("recordLoss on the committed run of record gives back its stored test loss (Table 1), the misclassified carrying most", function () {
    const file = path.join(PAPER_RUN, "run.json");
    if (!fs.existsSync(file)) return this.skip();
    const r = recordLoss(loadRun(file));
    expect(r.images).to.equal(197);
    expect(r.eq2).to.be.closeTo(r.stored, 1e-6);
    expect(r.groups[1].sum / r.groups[2].sum).to.be.above(0.5);
    expect(firstEpochMarkdown(loadRun(file))).to.include("ln 7 = **1.9459**");
  });

  it("stepBatch: 8 images drawn by seed with their folder's label, or the synthetic pattern labelled in turn", async () => {
    const absent = await stepBatch(dataStatus("/nonexistent"), 0);
    expect(absent.x.shape).to.deep.equal([8, 48, 48, 3]);
    expect(Array.from(tf.argMax(absent.y, 1).dataSync())).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 0]);
    tf.dispose([absent.x, absent.y]);
    const dir = await makeFakeCk48(3);
    try {
      const a = await stepBatch(dataStatus(dir), 5);
      const b = await stepBatch(dataStatus(dir), 5);
      expect(a.files).to.deep.equal(b.files);
      expect(a.files).to.have.length(8);
      const labels = Array.from(tf.argMax(a.y, 1).dataSync());
      expect(a.files.map((f) => f.split("/")[0])).to.deep.equal(
        labels.map((l) => ["anger", "contempt", "disgust", "fear", "happy", "sadness", "surprise"][l]),
      );
      tf.dispose([a.x, a.y, b.x, b.y]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("cnnStep: by hand = the training optimiser = tfjs' RMSprop (bit for bit), and = one step of model.trainOnBatch", async () => {
    const { x, y } = await stepBatch(dataStatus("/nonexistent"), 0);
    const m = createModel(0);
    const before = tf.memory().numTensors;
    const s = cnnStep(m, x, y, SETTINGS);
    expect(tf.memory().numTensors).to.equal(before);
    expect(s.optimizer).to.equal("FusedRMSProp");
    expect(maxDifference(s.byHand, s.trained)).to.be.below(1e-7);
    expect(maxDifference(s.trained, s.stock)).to.equal(0);
    expect(s.grads.reduce((a, g) => a + g.length, 0)).to.equal(86911);
    expect(Math.abs(s.lossBefore - Math.log(NUM_CLASSES))).to.be.below(0.05); // a fresh network is close to a guess
    // The model keeps the training optimiser's weights
    expect(
      maxDifference(
        m.trainableWeights.map((w) => w.read().dataSync()),
        s.trained,
      ),
    ).to.equal(0);
    // Independent: what model.fit does for one batch, on a twin model
    const twin = createModel(0);
    compileModel(twin);
    await twin.trainOnBatch(x, y);
    expect(
      maxDifference(
        twin.trainableWeights.map((w) => w.read().dataSync()),
        s.trained,
      ),
    ).to.be.below(1e-6);
    const md = cnnStepMarkdown(s, SETTINGS);
    expect(md).to.include("0 (bit-identical)").and.include("FusedRMSProp");
    tf.dispose([x, y]);
    m.dispose();
    twin.dispose();
  });

  it("optimizerMarkdown names the class training gets: the fused one on cpu-fast, tfjs' own on cpu", () => {
    const a = createOptimizer();
    expect(optimizerMarkdown(a)).to.include("`FusedRMSProp`").and.include("| `decay` | 0.9 | β (Eq. 3) |");
    a.dispose();
    const prev = useBackend("cpu");
    try {
      const b = createOptimizer();
      expect(optimizerMarkdown(b)).to.include("`RMSPropOptimizer` (tfjs' own)");
      b.dispose();
    } finally {
      useBackend(prev as "cpu" | "cpu-fast");
    }
  });

  it("the exercises' answers: β = 0 is sign descent; a longer memory; ε outside; shifted logits; the class prior", () => {
    // β = 0 at the paper's η: every step is η·sign(g) (to ε), so 60 steps move 60η along each axis, 60η√2 in all
    const race = raceOptimizers({ rmspropLr: 0.001, rho: 0 });
    expect(raceAnswerMarkdown(race)).to.include(`moved ${(60 * 0.001 * Math.SQRT2).toFixed(4)}`);
    expect(rhoAnswerMarkdown([0.5], SETTINGS, 0.99)).to.match(
      /β = 0\.99: 10\.00\. The first step is η\/√\(1 − β\) = 10\.00 η/,
    );
    // g = 1e-6: E[g²]₁ = 1e-13, the outside step is √(1e-13 + 1e-7)/(√1e-13 + 1e-7) ≈ 760 times longer; g = 1 is not
    const eps = epsilonAnswerMarkdown([Float64Array.of(0, 1, 1e-6)], SETTINGS);
    const r = Math.sqrt(1e-13 + 1e-7) / (Math.sqrt(1e-13) + 1e-7);
    expect(eps)
      .to.include("Of the 2 parameters with a non-zero gradient, 1 (50.0 %)")
      .and.include(`${r.toFixed(1)}× longer`);
    const rows = logitsAnswerMarkdown([1, 2, 3, 0, 0, 0, 0], 10, 2)
      .split("\n")
      .filter((l) => l.startsWith("| z"));
    expect(rows[1].replace("| z + 10", "")).to.equal(rows[0].replace("| z", ""));
    // 3 of class 0 and 1 of class 1 in training; one test image of each: −(ln ¾ + ln ¼)/2
    const run = {
      classes: ["anger", "contempt"],
      split: { train: ["anger/a", "anger/b", "anger/c", "contempt/d"], test: ["anger/e", "contempt/f"] },
    };
    const loss = -(Math.log(0.75) + Math.log(0.25)) / 2;
    expect(priorAnswerMarkdown(run as unknown as RunRecord, 0.25)).to.include(`**${loss.toFixed(4)}**`);
  });

  it("the charts compile, and the prose facts are the hand-computed ones", () => {
    expect(compileSpec(specMovingAverage([0.5, 0.9, 0.99])).warnings).to.deep.equal([]);
    const f = proseFacts();
    expect(f.ln7).to.be.closeTo(1.9459, 1e-4);
    expect(f["loss.max"]).to.be.closeTo(16.118, 1e-3);
    expect(f["rmsprop.firstStep"]).to.be.closeTo(Math.sqrt(10), 1e-12);
    expect(f["race.lrFactor"]).to.be.closeTo(100, 1e-9);
    expect(f["race.paperReach"]).to.be.closeTo(60 * 0.001 * Math.sqrt(10), 1e-12);
    // Steps 3 and 4 of the example: E[g²] after 0.5, 0.5, −2 and then 0.01, each step η·g/√(E[g²] + ε)
    const ms3 = 0.9 * (0.9 * 0.1 * 0.25 + 0.1 * 0.25) + 0.1 * 4;
    const ms4 = 0.9 * ms3 + 0.1 * 1e-4;
    expect(f["example.stepRatio"]).to.be.closeTo(2 / Math.sqrt(ms3 + 1e-7) / (0.01 / Math.sqrt(ms4 + 1e-7)), 1e-9);
  });
});
