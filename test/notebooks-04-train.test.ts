/**
 * lib/notebooks/04-train.ts: the tables, the learning-curve counts, the summary and the exercises' answers of notebook
 * 04, against tfjs' own EarlyStopping and batching, closed forms, and the committed run of record (whose folds were
 * stopped by the real EarlyStopping).
 */
import { expect } from "chai";
import * as path from "path";
import { tf } from "../lib/tf";
import { ABLATIONS, PAPER_RUN, STUDY } from "../lib/paths";
import { loadRun, type RunRecord } from "../lib/record";
import { manifestFiles, readManifest } from "../lib/data/manifest";
import { trainTestSplit } from "../lib/split";
import { Rng } from "../lib/random";
import { makeRun } from "./fixtures/run";
import {
  batchSizeMarkdown,
  curvesMarkdown,
  foldTrainSizes,
  foldsMarkdown,
  gapCounts,
  lossGapMarkdown,
  patienceMarkdown,
  patienceStudyMarkdown,
  patienceVariants,
  proseFacts,
  replayEarlyStopping,
  splitFractionMarkdown,
  stepsPerEpoch,
  storedRuns,
  summaryMarkdown,
} from "../lib/notebooks/04-train";

const record = (): RunRecord => loadRun(path.join(PAPER_RUN, "run.json"));

/** Drive tfjs' own EarlyStopping callback with `losses` as val_loss; the 1-based epoch after which it stops, or undefined. */
async function tfjsStop(losses: number[], patience: number): Promise<number | undefined> {
  const cb = tf.callbacks.earlyStopping({ monitor: "val_loss", patience });
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [1] })] });
  model.compile({ optimizer: "sgd", loss: "meanSquaredError" });
  model.stopTraining = false;
  cb.setModel(model);
  await cb.onTrainBegin();
  try {
    for (let e = 0; e < losses.length; e++) {
      await cb.onEpochEnd(e, { val_loss: losses[e] });
      if (model.stopTraining) return e + 1;
    }
    return undefined;
  } finally {
    model.dispose();
  }
}

describe("notebook 04: early stopping replayed on a history", () => {
  it("stops where tfjs' own EarlyStopping stops, keeps the first lowest epoch before it, on random and tied losses", async () => {
    const rng = new Rng(7);
    const cases = [
      [1, 0.9, 0.9, 0.8, 0.85, 0.85, 0.85, 0.7, 0.71, 0.72, 0.73],
      ...Array.from({ length: 20 }, () => Array.from({ length: 30 }, () => Math.round(10 * rng.next()) / 10)),
    ];
    for (const losses of cases)
      for (const p of [1, 2, 3, 5, 8]) {
        const r = replayEarlyStopping(losses, p, 200);
        const stop = await tfjsStop(losses, p);
        expect(r.stopEpoch, `patience ${p} on ${losses.join(",")}`).to.equal(stop);
        const upTo = losses.slice(0, stop ?? losses.length);
        expect(r.bestEpoch).to.equal(upTo.indexOf(Math.min(...upTo)) + 1);
        expect(r.bestValLoss).to.equal(Math.min(...upTo));
        expect(r.known).to.equal(stop !== undefined);
      }
  });

  it("a patience that does not stop within the history is known only when the history ran to the epoch limit", () => {
    const losses = [3, 2, 1, 1.5, 1.6];
    expect(replayEarlyStopping(losses, 3, 200)).to.deep.include({ known: false, stopEpoch: undefined, bestEpoch: 3 });
    expect(replayEarlyStopping(losses, 3, 5)).to.deep.include({ known: true, stopEpoch: 5, bestEpoch: 3 });
    expect(replayEarlyStopping(losses, 2, 200)).to.deep.include({ known: true, stopEpoch: 5, bestEpoch: 3 });
  });

  it("with the run's own patience it gives back every fold of the run of record (stopped by the real EarlyStopping)", () => {
    const run = record();
    for (const f of run.folds) {
      const r = replayEarlyStopping(
        f.history.map((h) => h.valLoss),
        run.config.patience,
        run.config.maxEpochs,
      );
      expect([r.stopEpoch, r.bestEpoch, r.bestValLoss]).to.deep.equal([f.history.length, f.bestEpoch, f.bestValLoss]);
    }
  });

  it("patienceMarkdown: the run's own column is the record, a larger patience is 'not in the record', a smaller one exact", () => {
    const run = record();
    const md = patienceMarkdown(run, [2, 20]);
    const f = run.folds[0];
    expect(md).to.include(`stops after ${f.history.length}, best ${f.bestEpoch}`);
    expect(md).to.include(`past ${f.history.length}: not in the record`);
    const r2 = replayEarlyStopping(
      f.history.map((h) => h.valLoss),
      2,
      run.config.maxEpochs,
    );
    expect(md).to.include(`| fold 1 | stops after ${r2.stopEpoch}, best ${r2.bestEpoch}`);
    expect(patienceVariants()).to.deep.equal([]);
    expect(md).to.match(/No variant in data\/runs\/ablations changes the patience/);
  });

  it("patienceStudyMarkdown: every fold of the study is told at the runs' patience, none at a larger one", () => {
    const runs = storedRuns(STUDY, "paper", "random");
    expect(runs.length).to.be.greaterThan(0);
    const folds = runs.reduce((a, r) => a + r.folds.length, 0);
    const md = patienceStudyMarkdown(runs, [2, 20]);
    expect(md).to.include(`| 8 (the runs') | ${folds} of ${folds} |`);
    expect(md).to.include(`| 20 | 0 of ${folds} | n/a |`);
    expect(patienceStudyMarkdown([], [2])).to.match(/No study runs/);
  });
});

describe("notebook 04: the loop, the curves and the summary", () => {
  it("stepsPerEpoch is the number of batches tf.data makes of n items in batches of b", async () => {
    for (const [n, b] of [
      [627, 8],
      [628, 8],
      [627, 32],
      [8, 8],
      [1, 8],
    ]) {
      const batches = await tf.data
        .array(Array.from({ length: n }, (_, i) => i))
        .batch(b)
        .toArray();
      expect(stepsPerEpoch(n, b), `${n}/${b}`).to.equal(batches.length);
      tf.dispose(batches as never);
    }
  });

  it("gapCounts and curvesMarkdown count the epochs by hand", () => {
    const h = [
      { epoch: 1, loss: 2, acc: 0.1, valLoss: 1.9, valAcc: 0.2, seconds: 1 },
      { epoch: 2, loss: 1, acc: 0.5, valLoss: 1.2, valAcc: 0.4, seconds: 1 },
      { epoch: 3, loss: 0.8, acc: 0.6, valLoss: 0.7, valAcc: 0.6, seconds: 1 },
    ];
    expect(gapCounts(h)).to.deep.equal({ epochs: 3, valLossBelow: 2, valAccAbove: 1 });
    const run = record();
    const bf = run.folds.find((f) => f.index === run.bestFold)!;
    const below = bf.history.filter((e) => e.valLoss < e.loss).length;
    expect(curvesMarkdown(run)).to.include(`in ${below} of the best fold's ${bf.history.length} epochs`);
    expect(curvesMarkdown(run)).to.include(`ln 7 = ${Math.log(7).toFixed(3)}`);
  });

  it("summaryMarkdown states the run of record's folds, epochs, steps, best fold and curves", () => {
    const run = record();
    const md = summaryMarkdown(run);
    const epochs = run.folds.map((f) => f.history.length);
    expect(md).to.include(`after ${Math.min(...epochs)}–${Math.max(...epochs)} epochs`);
    expect(md).to.include(`${Math.ceil((784 - 157) / 8)} batches of 8 an epoch`);
    expect(md).to.include(`is fold ${run.bestFold + 1}`);
    expect(foldTrainSizes(run).sort()).to.deep.equal([627, 627, 627, 627, 628]);
    expect(proseFacts()["record.stepsPerEpoch"]).to.equal(79);
    expect(proseFacts()["record.minutes"]).to.be.closeTo(run.seconds / 60, 1e-9);
    expect(foldsMarkdown(makeRun({ seed: 3 }))).to.include("(best)");
  });
});

describe("notebook 04: the other exercises", () => {
  it("splitFractionMarkdown: the test part is ⌈n · fraction⌉, as trainTestSplit makes it", () => {
    const files = manifestFiles(readManifest());
    for (const f of [0.1, 0.3, 0.5]) {
      const test = trainTestSplit(files, 0, f, "random").test.length;
      expect(test).to.equal(Math.ceil(files.length * f));
      expect(splitFractionMarkdown(files, f)).to.include(`= ${test} test images, ${files.length - test} for training`);
    }
  });

  it("batchSizeMarkdown: steps per epoch and, from stored runs, mean epochs and steps per fold", () => {
    const run = record();
    const paper = storedRuns(ABLATIONS, "paper", "subject");
    const b32 = storedRuns(ABLATIONS, "batch-32", "subject");
    expect(b32.every((r) => r.config.batchSize === 32)).to.equal(true);
    const md = batchSizeMarkdown(run, [8, 32], [{ name: "b32", runs: b32 }]);
    expect(md).to.include("| 8 | 79 | 79 | 3 or 4 |");
    expect(md).to.include("| 32 | 20 | 20 | 19 or 20 |");
    const folds = b32.flatMap((r) => r.folds);
    const mean = folds.reduce((a, f) => a + f.history.length, 0) / folds.length;
    expect(md).to.include(`| b32 | 32 | ${b32.length} × 5 | ${mean.toFixed(1)} |`);
    expect(paper.length).to.be.greaterThan(0);
    expect(storedRuns(ABLATIONS, "no-such-variant", "subject")).to.deep.equal([]);
  });

  it("lossGapMarkdown counts the epochs with validation loss below training loss over runs' folds", () => {
    const run = makeRun({ seed: 2, folds: 2 });
    const all = run.folds.flatMap((f) => f.history);
    const below = all.filter((h) => h.valLoss < h.loss).length;
    expect(lossGapMarkdown([{ name: "x", runs: [run] }])).to.include(`| x | 1 × 2 | ${below} of ${all.length} |`);
    expect(lossGapMarkdown([{ name: "x", runs: [] }])).to.match(/No committed/);
  });
});
