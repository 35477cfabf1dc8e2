import { expect } from "chai";
import * as fs from "fs";
import { epochLogger, runProtocol, runSubjectCv } from "../lib/protocol";
import { fmtSeconds } from "../lib/display/text";
import { subjectOf } from "../lib/data/files";
import { sampleFiles } from "../lib/data/dataset";
import { PAPER, QUICK, quickConfig } from "../lib/config";
import { validateRunRecord, type RunRecord } from "../lib/record";
import { makeFakeCk48, realCk48 } from "./fixtures/ck48";
import { fanOuterFolds } from "../lib/data/fan-folds";

const QUICK_CONFIG = quickConfig(PAPER);
const strip = (r: RunRecord) =>
  r.folds.map((f) => ({ ...f, history: f.history.map(({ seconds: _s, ...rest }) => rest) }));

describe("protocol (Sections 3–4, quick setting on a made-up CK+48)", function () {
  let dir: string;
  let first: RunRecord;
  before(async () => {
    dir = await makeFakeCk48(6);
    const { record, model } = await runProtocol({
      dataDir: dir,
      seed: 3,
      split: "random",
      config: QUICK_CONFIG,
      quick: true,
      workers: 0,
      verify: false,
    });
    first = record;
    model.dispose();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("produces a valid run record: 42 images → 33 train / 9 test, 2 folds, 7×7 confusion, 7 ROC curves", () => {
    expect(validateRunRecord(first)).to.deep.equal([]);
    expect(first.split.test.length).to.equal(9);
    expect(first.split.train.length).to.equal(33);
    expect(first.folds.length).to.equal(2);
    expect(first.folds.map((f) => f.history.length)).to.deep.equal([2, 2]);
    const best = first.folds.reduce((a, b) => (b.bestValLoss < a.bestValLoss ? b : a));
    expect(first.bestFold).to.equal(best.index);
    expect(first.test.loss).to.be.closeTo(first.folds[first.bestFold].test.loss, 1e-9);
    expect(first.test.accuracy).to.be.closeTo(first.folds[first.bestFold].test.accuracy, 1e-6);
  });

  it("validation parts of the folds partition the training part", () => {
    const vals = first.folds.flatMap((f) => f.val);
    expect(vals.slice().sort()).to.deep.equal(first.split.train);
  });

  it("the same seed gives the same run, in one thread or in two worker threads", async () => {
    const { record, model } = await runProtocol({
      dataDir: dir,
      seed: 3,
      split: "random",
      config: QUICK_CONFIG,
      quick: true,
      workers: 2,
      verify: false,
    });
    model.dispose();
    expect(record.split).to.deep.equal(first.split);
    expect(strip(record)).to.deep.equal(strip(first));
    expect(record.test.predictions).to.deep.equal(first.test.predictions);
  });

  it("the quick subset takes ≤ 10 images per class, seeded", () => {
    const files = ["anger", "happy"].flatMap((c) =>
      Array.from({ length: 15 }, (_, i) => `${c}/S01${i % 10}_001_0000000${i % 10}.png`),
    );
    const q = sampleFiles(files, QUICK.perClass, 1);
    expect(q.length).to.equal(20);
    expect(sampleFiles(files, QUICK.perClass, 1)).to.deep.equal(q);
    expect(sampleFiles(files, QUICK.perClass, 2)).to.not.deep.equal(q);
  });
});

describe("subject-independent cross-validation (subject-cv, quick setting on a made-up CK+48)", function () {
  this.timeout(300_000);
  let dir: string;
  before(async () => {
    dir = await makeFakeCk48(6);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("tests every image exactly once by a model that never saw its person, and pools the predictions", async () => {
    const { record } = await runSubjectCv({
      dataDir: dir,
      seed: 5,
      config: QUICK_CONFIG,
      quick: true,
      workers: 0,
      verify: false,
    });
    expect(validateRunRecord(record)).to.deep.equal([]);
    expect(record.split.mode).to.equal("subject-cv");
    const files = record.test.predictions.map((p) => p.file);
    expect(new Set(files).size).to.equal(files.length);
    expect(files.slice().sort()).to.deep.equal(record.split.test.slice().sort());
    expect(files.length).to.equal(42); // makeFakeCk48(6): 6 images × 7 classes
    // the outer folds' test parts partition the images, and each fold's test subjects appear nowhere else
    const parts = record.folds.map((f) => f.testFiles ?? []);
    expect(parts.flat().sort()).to.deep.equal(files.slice().sort());
    for (const part of parts) {
      const inside = new Set(part.map(subjectOf));
      expect(files.filter((f) => !part.includes(f)).some((f) => inside.has(subjectOf(f)))).to.equal(false);
    }
    for (const f of record.folds) for (const v of f.val) expect(f.testFiles).to.not.include(v);
    const correct = record.test.predictions.filter((p) => p.probs.indexOf(Math.max(...p.probs)) === p.label).length;
    expect(record.test.accuracy).to.be.closeTo(correct / files.length, 1e-12);
    const again = await runSubjectCv({
      dataDir: dir,
      seed: 5,
      config: QUICK_CONFIG,
      quick: true,
      workers: 0,
      verify: false,
    });
    expect(again.record.test.predictions).to.deep.equal(record.test.predictions);
  });
});

describe("the protocol on Emotion-FAN's published folds (subject-cv-fan; skipped without CK+48)", () => {
  it("the outer folds are the list's folds over the run's images, each tested once, and the record says which split", async function () {
    const dir = realCk48();
    if (!dir) return this.skip();
    this.timeout(60000);
    const { record } = await runSubjectCv(
      { dataDir: dir, seed: 1, config: QUICK_CONFIG, quick: true, workers: 0 },
      "subject-cv-fan",
    );
    expect(validateRunRecord(record)).to.deep.equal([]);
    expect(record.split.mode).to.equal("subject-cv-fan");
    expect(record.config.split).to.equal("subject-cv-fan");
    const files = record.test.predictions.map((p) => p.file);
    const expected = fanOuterFolds(files).map((f) => f.val);
    expect(record.folds.map((f) => f.testFiles)).to.deep.equal(expected);
    expect(expected.flat().sort()).to.deep.equal([...files].sort());
  });
});

describe("progress formatting", () => {
  it("rounds before splitting minutes and seconds (179.6 s is 3 min 0 s, not 2 min 60 s)", () => {
    expect(fmtSeconds(179.6)).to.equal("3 min 0 s");
    expect(fmtSeconds(42.4)).to.equal("42 s");
    expect(fmtSeconds(Infinity)).to.equal("?");
  });
});

describe("protocol: the epoch line (epochLogger)", () => {
  const rec = { epoch: 12, loss: 0.51234, acc: 0.8125, valLoss: 0.61, valAcc: 0.75, seconds: 2.04 };
  const info = { maxEpochs: 200, wait: 3, patience: 8, bestEpoch: 9 };
  const line = (threads?: number) => {
    const lines: string[] = [];
    epochLogger(5, (l) => lines.push(l))(1, rec, info, threads);
    return lines;
  };
  it("names the fold, epoch, losses, the wait and a lower bound on time left (5 epochs of wait × 2.04 s)", () => {
    expect(line()).to.deep.equal([
      `fold 2/5 epoch  12/200  loss 0.5123 acc 0.813  val_loss 0.6100 val_acc 0.750  2.0 s  best 9 (wait 3/8, ` +
        `≥ ${fmtSeconds(5 * 2.04)} left in fold)`,
    ]);
  });
  it("says so when the fold trains on two kernel threads, and only then", () => {
    expect(line(1)).to.deep.equal(line());
    expect(line(2)[0]).to.equal(line()[0] + ", 2 kernel threads");
  });
});
