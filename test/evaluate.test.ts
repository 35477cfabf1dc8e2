import { expect } from "chai";
import { tf } from "../lib/tf";
import { CLASSES } from "../lib/config";
import { argmax } from "../lib/arrays";
import {
  confusionMatrix,
  accuracyFromConfusion,
  perClassMetrics,
  rocCurve,
  auc,
  evaluatePredictions,
  predictProbs,
  falsePositiveRate,
} from "../lib/evaluate";
import type { Prediction } from "../lib/record";
import { Rng } from "../lib/random";

/** A seeded stream of uniform numbers in [0, 1) from the project's generator. */
function rng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.next();
}

/**
 * The independent reference for AUC: the Mann–Whitney U statistic divided by P·N, i.e. the probability that a
 * random positive scores above a random negative, ties counting 1/2. Computed over all pairs, no curve involved.
 */
function mannWhitneyAuc(scores: number[], positives: boolean[]): number {
  let u = 0;
  let pairs = 0;
  for (let i = 0; i < scores.length; i++) {
    if (!positives[i]) continue;
    for (let j = 0; j < scores.length; j++) {
      if (positives[j]) continue;
      pairs++;
      if (scores[i] > scores[j]) u += 1;
      else if (scores[i] === scores[j]) u += 0.5;
    }
  }
  return u / pairs;
}

describe("evaluate: confusion matrix and Table 1 metrics (Section 4, Fig 7)", () => {
  // 9 images, 3 classes. True:      0 0 0 1 1 2 2 2 2
  //                       Predicted: 0 0 1 1 2 2 2 0 0
  const labels = [0, 0, 0, 1, 1, 2, 2, 2, 2];
  const predicted = [0, 0, 1, 1, 2, 2, 2, 0, 0];

  it("counts a 3-class confusion matrix by hand (rows = true class)", () => {
    expect(confusionMatrix(labels, predicted, 3)).to.deep.equal([
      [2, 1, 0],
      [0, 1, 1],
      [2, 0, 2],
    ]);
  });

  it("accuracy is trace / total: 5/9", () => {
    expect(accuracyFromConfusion(confusionMatrix(labels, predicted, 3))).to.be.closeTo(5 / 9, 1e-15);
  });

  it("precision, recall (= per-class accuracy), F1 and support by hand", () => {
    const m = perClassMetrics(confusionMatrix(labels, predicted, 3), ["a", "b", "c"]);
    // recall  = diagonal / row sum:    2/3, 1/2, 2/4
    // precision = diagonal / col sum:  2/4, 1/2, 2/3
    // F1 = 2pr/(p+r):                  4/7, 1/2, 4/7
    const expected = [
      { class: "a", support: 3, recall: 2 / 3, precision: 2 / 4, f1: 4 / 7 },
      { class: "b", support: 2, recall: 1 / 2, precision: 1 / 2, f1: 1 / 2 },
      { class: "c", support: 4, recall: 2 / 4, precision: 2 / 3, f1: 4 / 7 },
    ];
    expected.forEach((e, c) => {
      expect(m[c].class).to.equal(e.class);
      expect(m[c].support).to.equal(e.support);
      expect(m[c].recall).to.be.closeTo(e.recall, 1e-15);
      expect(m[c].accuracy).to.equal(m[c].recall);
      expect(m[c].precision).to.be.closeTo(e.precision, 1e-15);
      expect(m[c].f1).to.be.closeTo(e.f1, 1e-15);
    });
  });

  it("defines 0/0 as 0: a class never present and never predicted, and a class present but never predicted", () => {
    // class 1 never appears and is never predicted; class 2 appears but is never predicted.
    const m = perClassMetrics(confusionMatrix([0, 0, 2], [0, 0, 0], 3), ["a", "b", "c"]);
    expect(m[1]).to.deep.equal({ class: "b", support: 0, accuracy: 0, precision: 0, recall: 0, f1: 0 });
    expect(m[2]).to.deep.equal({ class: "c", support: 1, accuracy: 0, precision: 0, recall: 0, f1: 0 });
    expect(m[0].precision).to.be.closeTo(2 / 3, 1e-15);
    expect(m[0].recall).to.equal(1);
  });

  it("rejects out-of-range classes and mismatched lengths", () => {
    expect(() => confusionMatrix([0, 3], [0, 0], 3)).to.throw();
    expect(() => confusionMatrix([0, 1], [0, -1], 3)).to.throw();
    expect(() => confusionMatrix([0, 1], [0], 3)).to.throw();
    expect(() =>
      perClassMetrics(
        [
          [1, 0],
          [0, 1],
        ],
        ["a", "b", "c"],
      ),
    ).to.throw();
  });

  it("argmax breaks ties towards the lowest index", () => {
    expect(argmax([0.2, 0.4, 0.4])).to.equal(1);
    expect(argmax([0.5, 0.5])).to.equal(0);
    expect(argmax([0.1, 0.2, 0.7])).to.equal(2);
  });
});

describe("evaluate: ROC and AUC (Section 4, Fig 8)", () => {
  it("a tiny case with ties, by hand: scores [0.9, 0.8, 0.8, 0.3], labels [1, 0, 1, 0]", () => {
    // P = 2, N = 2.  threshold +∞: nothing positive          → (0, 0)
    //                threshold 0.9: {0.9}        tp 1, fp 0  → (0, 0.5)
    //                threshold 0.8: both 0.8s together tp 2, fp 1 → (0.5, 1)   (the tie is one point)
    //                threshold 0.3: everything   tp 2, fp 2  → (1, 1)
    const r = rocCurve([0.9, 0.8, 0.8, 0.3], [true, false, true, false]);
    expect(r.thresholds).to.deep.equal([Infinity, 0.9, 0.8, 0.3]);
    expect(r.fpr).to.deep.equal([0, 0, 0.5, 1]);
    expect(r.tpr).to.deep.equal([0, 0.5, 1, 1]);
    // Trapezoids: 0.5·(0.5+1)/2 + 0.5·(1+1)/2 = 0.375 + 0.5 = 0.875 (= 3.5 of 4 pairs ordered right, the tie = ½).
    expect(auc(r.fpr, r.tpr)).to.be.closeTo(0.875, 1e-15);
  });

  it("order of the input does not matter", () => {
    const a = rocCurve([0.3, 0.8, 0.9, 0.8], [false, true, true, false]);
    expect(a.fpr).to.deep.equal([0, 0, 0.5, 1]);
    expect(a.tpr).to.deep.equal([0, 0.5, 1, 1]);
  });

  it("AUC of a perfect ranking is 1 and of a reversed one is 0", () => {
    const scores = [0.95, 0.9, 0.6, 0.4, 0.2, 0.1];
    const perfect = [true, true, true, false, false, false];
    const reversed = perfect.map((p) => !p);
    const p = rocCurve(scores, perfect);
    const r = rocCurve(scores, reversed);
    expect(auc(p.fpr, p.tpr)).to.equal(1);
    expect(auc(r.fpr, r.tpr)).to.equal(0);
    // Both run from (0, 0) to (1, 1).
    for (const c of [p, r]) {
      expect([c.fpr[0], c.tpr[0]]).to.deep.equal([0, 0]);
      expect([c.fpr[c.fpr.length - 1], c.tpr[c.tpr.length - 1]]).to.deep.equal([1, 1]);
    }
  });

  it("all scores tied gives the chance diagonal: two points, AUC 0.5", () => {
    const r = rocCurve([0.5, 0.5, 0.5, 0.5], [true, false, false, true]);
    expect(r.fpr).to.deep.equal([0, 1]);
    expect(r.tpr).to.deep.equal([0, 1]);
    expect(auc(r.fpr, r.tpr)).to.equal(0.5);
  });

  it("AUC equals the Mann–Whitney U statistic / (P·N) on random data with many ties (independent reference)", () => {
    const r = rng(7);
    for (let trial = 0; trial < 20; trial++) {
      const n = 20 + Math.floor(r() * 80);
      const positives = Array.from({ length: n }, () => r() < 0.3);
      if (!positives.includes(true)) positives[0] = true;
      if (!positives.includes(false)) positives[1] = false;
      // Scores on a coarse grid (tenths) so ties are common; positives lean higher so AUC is not ~0.5 every time.
      const scores = positives.map((p) => Math.round((r() + (p ? 0.3 : 0)) * 10) / 10);
      const c = rocCurve(scores, positives);
      expect(auc(c.fpr, c.tpr)).to.be.closeTo(mannWhitneyAuc(scores, positives), 1e-12);
      // One point per distinct score, plus (0, 0).
      expect(c.thresholds.length).to.equal(new Set(scores).size + 1);
      // fpr and tpr never decrease.
      for (let i = 1; i < c.fpr.length; i++) {
        expect(c.fpr[i]).to.be.at.least(c.fpr[i - 1]);
        expect(c.tpr[i]).to.be.at.least(c.tpr[i - 1]);
      }
    }
  });

  it("rejects NaN scores and mismatched lengths", () => {
    expect(() => rocCurve([0.1, NaN], [true, false])).to.throw();
    expect(() => rocCurve([0.1], [true, false])).to.throw();
    expect(() => auc([0, 1], [0])).to.throw();
  });
});

describe("evaluate: evaluatePredictions and predictProbs (Section 4)", () => {
  const preds: Prediction[] = [
    { file: "a/1.png", label: 0, probs: [0.7, 0.2, 0.1] },
    { file: "a/2.png", label: 0, probs: [0.4, 0.4, 0.2] }, // tie 0/1 → predicted 0
    { file: "b/1.png", label: 1, probs: [0.1, 0.8, 0.1] },
    { file: "b/2.png", label: 1, probs: [0.5, 0.3, 0.2] },
    { file: "c/1.png", label: 2, probs: [0.2, 0.2, 0.6] },
    { file: "c/2.png", label: 2, probs: [0.1, 0.6, 0.3] },
  ];
  const classes = ["a", "b", "c"];

  it("builds the test record: confusion of argmax predictions, accuracy = trace/total, loss = Eq. 2", () => {
    const rec = evaluatePredictions(preds, classes);
    // predicted: 0 0 1 0 2 1
    expect(rec.confusion).to.deep.equal([
      [2, 0, 0],
      [1, 1, 0],
      [0, 1, 1],
    ]);
    expect(rec.accuracy).to.be.closeTo(4 / 6, 1e-15);
    const hand = -(Math.log(0.7) + Math.log(0.4) + Math.log(0.8) + Math.log(0.3) + Math.log(0.6) + Math.log(0.3)) / 6;
    expect(rec.loss).to.be.closeTo(hand, 1e-12);
    expect(rec.perClass.map((m) => m.support)).to.deep.equal([2, 2, 2]);
    expect(rec.perClass[0].precision).to.be.closeTo(2 / 3, 1e-15);
    expect(rec.predictions).to.deep.equal(preds);
    expect(rec.predictions[0]).to.not.equal(preds[0]); // a copy, not the caller's objects
  });

  it("has one ROC per class whose AUC equals Mann–Whitney on that class's scores", () => {
    const rec = evaluatePredictions(preds, classes);
    expect(rec.roc.map((r) => r.class)).to.deep.equal(classes);
    rec.roc.forEach((r, c) => {
      const scores = preds.map((p) => p.probs[c]);
      const pos = preds.map((p) => p.label === c);
      expect(r.auc).to.be.closeTo(mannWhitneyAuc(scores, pos), 1e-12);
      expect(r.thresholds[0]).to.equal(Infinity);
    });
    // Class "a" by hand: positives score 0.7, 0.4; negatives 0.1, 0.5, 0.2, 0.1 → 7 of 8 pairs right → 0.875.
    expect(rec.roc[0].auc).to.be.closeTo(0.875, 1e-15);
  });

  it("uses a given loss, reports AUC NaN for a class absent from the test set, and defaults to the 7 CK+ classes", () => {
    const rec = evaluatePredictions(preds, classes, 1.25);
    expect(rec.loss).to.equal(1.25);
    const seven: Prediction[] = [
      { file: "x", label: 0, probs: [0.9, 0.1, 0, 0, 0, 0, 0] },
      { file: "y", label: 4, probs: [0.1, 0, 0, 0, 0.9, 0, 0] },
    ];
    const r7 = evaluatePredictions(seven);
    expect(r7.perClass.map((m) => m.class)).to.deep.equal([...CLASSES]);
    expect(r7.roc[0].auc).to.equal(1);
    expect(r7.roc[1].auc).to.be.NaN;
    expect(() => evaluatePredictions([{ file: "z", label: 0, probs: [1, 0] }], classes)).to.throw();
  });

  it("predictProbs equals one model.predict over the whole batch, for an uneven last batch, and leaks no tensors", () => {
    const model = tf.sequential();
    model.add(tf.layers.flatten({ inputShape: [2, 2, 1] }));
    model.add(
      tf.layers.dense({
        units: 3,
        activation: "softmax",
        kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }),
      }),
    );
    const r = rng(11);
    const x = tf.tensor4d(
      Array.from({ length: 7 * 4 }, () => r() * 2 - 1),
      [7, 2, 2, 1],
    );
    const whole = tf.tidy(() => (model.predict(x) as ReturnType<typeof tf.tensor2d>).arraySync());
    const before = tf.memory().numTensors;
    const probs = predictProbs(model, x, 3);
    expect(tf.memory().numTensors).to.equal(before);
    expect(probs).to.have.length(7);
    probs.forEach((row, i) => row.forEach((v, j) => expect(v).to.be.closeTo(whole[i][j], 1e-6)));
    // Rows are softmax outputs and differ between images (not a constant).
    expect(probs[0][0]).to.not.equal(probs[1][0]);
    x.dispose();
    model.dispose();
  });
});

describe('falsePositiveRate (the paper\'s "13% of non-anger classified as anger")', () => {
  it("counts the other classes' images predicted as k over all the other classes' images (worked by hand)", () => {
    // rows = true class. Class 0 is predicted for 1 of class 1's 4 images and 2 of class 2's 6: (1 + 2) / (4 + 6).
    const m = [
      [5, 1, 0],
      [1, 3, 0],
      [2, 1, 3],
    ];
    expect(falsePositiveRate(m, 0)).to.be.closeTo(0.3, 1e-12);
    expect(falsePositiveRate(m, 1)).to.be.closeTo(2 / 12, 1e-12);
    expect(falsePositiveRate(m, 2)).to.equal(0);
    expect(falsePositiveRate([[3]], 0)).to.equal(0);
  });
});
