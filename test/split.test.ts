import { expect } from "chai";
import { trainTestSplit, kFold, testSize, splitLeakage, splitSizes } from "../lib/split";
import { subjectOf } from "../lib/data/files";
import { readManifest, manifestFiles } from "../lib/data/manifest";
import { Rng } from "../lib/random";
import { notebookMapMarkdown } from "../lib/notebooks/00-overview";
import { leakageMarkdown } from "../lib/notebooks/01-data";
import { configMarkdown } from "../lib/notebooks/04-train";

/** 981 synthetic CK+-style names: 118 subjects, each with some sequences of 3 frames (same shape as CK+48). */
function fakeFiles(): string[] {
  const rng = new Rng(42);
  const classes = ["anger", "contempt", "disgust", "fear", "happy", "sadness", "surprise"];
  const out: string[] = [];
  let subject = 10;
  while (out.length < 981) {
    const seqs = 1 + rng.int(4);
    for (let q = 1; q <= seqs && out.length < 981; q++) {
      const c = classes[rng.int(7)];
      for (let fr = 0; fr < 3 && out.length < 981; fr++)
        out.push(
          `${c}/S${String(subject).padStart(3, "0")}_${String(q).padStart(3, "0")}_${String(10 + fr).padStart(8, "0")}.png`,
        );
    }
    subject++;
  }
  return out;
}

describe("splits (Section 3)", () => {
  const files = fakeFiles();

  it("test size is ⌈N·0.2⌉: 981 → 197 (the paper's 164/197 = 0.8324872)", () => {
    expect(testSize(981, 0.2)).to.equal(197);
    expect(testSize(10, 0.2)).to.equal(2);
    expect(164 / 197).to.be.closeTo(0.8324872, 2e-7);
  });

  it("random split: 784/197, disjoint, covers everything", () => {
    const s = trainTestSplit(files, 0, 0.2);
    expect(s.test.length).to.equal(197);
    expect(s.train.length).to.equal(784);
    expect(new Set([...s.train, ...s.test]).size).to.equal(981);
  });

  it("is deterministic for a seed, independent of input order, and differs between seeds", () => {
    const a = trainTestSplit(files, 7, 0.2);
    const b = trainTestSplit(files.slice().reverse(), 7, 0.2);
    const c = trainTestSplit(files, 8, 0.2);
    expect(a).to.deep.equal(b);
    expect(a.test).to.not.deep.equal(c.test);
  });

  it("the generator is pinned: seed 0 gives the same first numbers on every machine", () => {
    const r = new Rng(0);
    const v = [r.next(), r.next(), r.next()].map((x) => Math.round(x * 1e6));
    const r2 = new Rng(0);
    expect([r2.next(), r2.next(), r2.next()].map((x) => Math.round(x * 1e6))).to.deep.equal(v);
    // A change of the generator would silently change every split: these values are the contract.
    expect(v).to.deep.equal(PINNED);
  });

  it("5 folds of 784: sizes 157,157,157,157,156, disjoint val parts covering the training set", () => {
    const s = trainTestSplit(files, 0, 0.2);
    const folds = kFold(s.train, 5, 1);
    expect(folds.map((f) => f.val.length)).to.deep.equal([157, 157, 157, 157, 156]);
    const allVal = folds.flatMap((f) => f.val);
    expect(new Set(allVal).size).to.equal(784);
    for (const f of folds) {
      expect(f.train.length + f.val.length).to.equal(784);
      const v = new Set(f.val);
      expect(f.train.some((t) => v.has(t))).to.equal(false);
    }
  });

  it("subject mode: no subject on both sides of the test split or of any fold; ~20% test", () => {
    const s = trainTestSplit(files, 0, 0.2, "subject");
    const trainS = new Set(s.train.map(subjectOf));
    expect(s.test.some((f) => trainS.has(subjectOf(f)))).to.equal(false);
    expect(s.test.length).to.be.within(197, 197 + 12);
    const folds = kFold(s.train, 5, 0, "subject");
    for (const f of folds) {
      const tr = new Set(f.train.map(subjectOf));
      expect(f.val.some((v) => tr.has(subjectOf(v)))).to.equal(false);
    }
    const sizes = folds.map((f) => f.val.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).to.be.at.most(12);
  });

  it("random mode does put frames of one subject on both sides (why subject mode exists)", () => {
    const s = trainTestSplit(files, 0, 0.2);
    const trainS = new Set(s.train.map(subjectOf));
    expect(s.test.some((f) => trainS.has(subjectOf(f)))).to.equal(true);
  });
});

const PINNED = [379760, 805173, 474946];

describe("split: leakage and sizes (notebooks 01, 04)", () => {
  const manifest = readManifest();

  it("splitLeakage: the random split shares sequences with training, the subject split shares nothing", () => {
    const files = manifestFiles(manifest);
    const r = splitLeakage(files, 0, "random");
    const s = splitLeakage(files, 0, "subject");
    expect(r.test).to.equal(197);
    expect(r.testWithSequenceInTrain).to.be.greaterThan(150);
    expect(s.testWithSequenceInTrain).to.equal(0);
    expect(s.testWithSubjectInTrain).to.equal(0);
    expect(leakageMarkdown([r, s]).split("\n")).to.have.length(4);
  });

  it("splitSizes and the settings table follow lib/config", () => {
    const s = splitSizes(manifestFiles(readManifest()));
    expect([s.train, s.test]).to.deep.equal([784, 197]);
    expect(s.folds.map((f) => f.val)).to.deep.equal([157, 157, 157, 157, 156]);
    expect(configMarkdown()).to.include("| batch size | 8 |");
    expect(notebookMapMarkdown()).to.include("[05-evaluate.ipynb](05-evaluate.ipynb)");
  });
});
