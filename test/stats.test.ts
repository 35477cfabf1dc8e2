/**
 * lib/stats.ts against independent values: t-table quantiles, the Wilson interval worked by hand, McNemar's exact
 * binomial tail, scikit-learn's balanced accuracy and macro-F1 on a confusion matrix worked by hand, Spearman with
 * ties by hand, and the bootstraps' determinism and behaviour in cases whose answer is known.
 */
import { expect } from "chai";
import { Rng } from "../lib/random";
import {
  balancedAccuracy,
  bootstrapInterval,
  clipInterval,
  clusterAccuracyInterval,
  clusterRatioInterval,
  macroF1,
  majorityBaseline,
  mcnemarExact,
  mean,
  pairedDifference,
  quantile,
  ranks,
  sd,
  spearman,
  spread,
  tInterval,
  wilson,
  tTestP,
  holm,
  linearFit,
  percentileOf,
  predictionInterval,
} from "../lib/stats";
import { incompleteBeta, normalQuantile, tCdf, tQuantile } from "../lib/distributions";

describe("stats: distributions", () => {
  it("t quantiles equal the printed t table (two-sided 95 %: df 1, 2, 4, 9, 29) and the t CDF inverts them", () => {
    const table: [number, number][] = [
      [1, 12.7062],
      [2, 4.302653],
      [4, 2.776445],
      [9, 2.262157],
      [29, 2.04523],
    ];
    for (const [df, t] of table) {
      expect(tQuantile(0.975, df)).to.be.closeTo(t, 1e-4);
      expect(tCdf(t, df)).to.be.closeTo(0.975, 1e-6);
      expect(tQuantile(0.025, df)).to.be.closeTo(-t, 1e-4);
    }
    // df = 1 is the Cauchy distribution: F(t) = 1/2 + atan(t)/π
    expect(tCdf(0.7, 1)).to.be.closeTo(0.5 + Math.atan(0.7) / Math.PI, 1e-12);
    // I_x(1, 1) = x and I_x(a, 1) = x^a
    expect(incompleteBeta(0.3, 1, 1)).to.be.closeTo(0.3, 1e-12);
    expect(incompleteBeta(0.3, 2.5, 1)).to.be.closeTo(0.3 ** 2.5, 1e-12);
  });

  it("normal quantiles: 1.959964 at 0.975, 2.575829 at 0.995, symmetric", () => {
    expect(normalQuantile(0.975)).to.be.closeTo(1.959964, 1e-6);
    expect(normalQuantile(0.995)).to.be.closeTo(2.575829, 1e-6);
    expect(normalQuantile(0.001)).to.be.closeTo(-3.090232, 1e-6);
  });
});

describe("stats: over seeds", () => {
  it("mean, sd and the t interval of a small sample, by hand", () => {
    const xs = [0.8, 0.84, 0.86, 0.82, 0.88];
    expect(mean(xs)).to.be.closeTo(0.84, 1e-12);
    // deviations ±0.04, ±0.02, 0: sum of squares 0.004, /4 = 0.001
    expect(sd(xs)).to.be.closeTo(Math.sqrt(0.001), 1e-12);
    const t = tInterval(xs)!;
    const half = (2.776445 * Math.sqrt(0.001)) / Math.sqrt(5);
    expect(t.lo).to.be.closeTo(0.84 - half, 1e-6);
    expect(t.hi).to.be.closeTo(0.84 + half, 1e-6);
    expect(tInterval([0.8])).to.equal(null);
    expect(Number.isNaN(sd([0.8]))).to.equal(true);
  });

  it("spread cuts the t interval of a proportion to [0, 1] with range, and leaves it (and differences) alone without", () => {
    // accuracies 1, 1, 0.9: mean 0.9667, sd 0.05774, t(0.975, 2) = 4.302653: half-width 0.1434 → [0.8232, 1.1101]
    const xs = [1, 1, 0.9];
    const raw = spread(xs, { resamples: 200 });
    expect(raw.t!.hi).to.be.closeTo(29 / 30 + (4.302653 * Math.sqrt(1 / 300)) / Math.sqrt(3), 1e-6);
    expect(raw.t!.hi).to.be.above(1);
    const cut = spread(xs, { resamples: 200, range: [0, 1] });
    expect(cut.t).to.deep.equal({ lo: raw.t!.lo, hi: 1 });
    expect(cut.bootstrap).to.deep.equal(raw.bootstrap);
    expect(clipInterval({ lo: -0.2, hi: 0.3 }, [0, 1])).to.deep.equal({ lo: 0, hi: 0.3 });
    expect(clipInterval(null, [0, 1])).to.equal(null);
  });

  it("quantiles are type 7 (numpy's default): [1, 2, 3, 4] → 0.25 at 1.75", () => {
    expect(quantile([4, 1, 3, 2], 0.25)).to.equal(1.75);
    expect(quantile([4, 1, 3, 2], 0.5)).to.equal(2.5);
    expect(quantile([7], 0.9)).to.equal(7);
  });

  it("the percentile bootstrap is seeded, has zero width on a constant sample, and brackets the mean", () => {
    const xs = [0.81, 0.9, 0.78, 0.86, 0.84, 0.88, 0.8, 0.83];
    const a = bootstrapInterval(xs, mean, { seed: 3, resamples: 2000 })!;
    expect(bootstrapInterval(xs, mean, { seed: 3, resamples: 2000 })).to.deep.equal(a);
    expect(bootstrapInterval(xs, mean, { seed: 4, resamples: 2000 })).to.not.deep.equal(a);
    expect(a.lo).to.be.below(mean(xs));
    expect(a.hi).to.be.above(mean(xs));
    expect(bootstrapInterval([0.5, 0.5, 0.5], mean, { resamples: 500 })).to.deep.equal({ lo: 0.5, hi: 0.5 });
    const s = spread(xs, { resamples: 500 });
    expect(s.n).to.equal(8);
    expect(s.min).to.equal(0.78);
    expect(s.t!.hi - s.t!.lo).to.be.greaterThan(0);
  });

  it("paired differences subtract seed by seed and refuse unpaired lists", () => {
    const d = pairedDifference([0.9, 0.8, 0.85], [0.8, 0.75, 0.8], { resamples: 200 });
    expect(d.mean).to.be.closeTo(0.2 / 3, 1e-12);
    expect(() => pairedDifference([1, 2], [1])).to.throw(/pair them by seed/);
  });
});

describe("stats: one test set", () => {
  it("Wilson: 164/197 ≈ [0.774, 0.878] (worked by hand below), and stays inside [0, 1] at k = 0 and k = n", () => {
    // p = 164/197 = 0.832487, z = 1.959964: centre = (p + z²/2n)/(1 + z²/n) = 0.826128,
    // half = z·sqrt(p(1 − p)/n + z²/4n²)/(1 + z²/n) = 0.052036 (Python's statistics.NormalDist, the same formula)
    const w = wilson(164, 197);
    expect(w.lo).to.be.closeTo(0.774092, 2e-6);
    expect(w.hi).to.be.closeTo(0.878164, 2e-6);
    const zero = wilson(0, 20);
    expect(zero.lo).to.equal(0);
    expect(zero.hi).to.be.closeTo(1.959964 ** 2 / 20 / (1 + 1.959964 ** 2 / 20), 1e-6); // z²/(n + z²)
    expect(wilson(20, 20).hi).to.equal(1);
  });

  it("cluster bootstrap: one image per cluster behaves like the ordinary bootstrap; triplets of identical frames give a wider interval", () => {
    const correct = Array.from({ length: 60 }, (_, i) => i % 5 !== 0);
    const single = clusterAccuracyInterval(
      correct,
      correct.map((_, i) => `s${i}`),
      { seed: 1, resamples: 4000 },
    )!;
    const ordinary = bootstrapInterval(
      correct.map((c) => (c ? 1 : 0)),
      mean,
      { seed: 1, resamples: 4000 },
    )!;
    expect(single.lo).to.be.closeTo(ordinary.lo, 0.03);
    expect(single.hi).to.be.closeTo(ordinary.hi, 0.03);
    // the same 20 outcomes, each copied three times (three frames of one sequence): as images 60 look independent, as people 20
    const triple = Array.from({ length: 60 }, (_, i) => Math.floor(i / 3) % 5 !== 0);
    const asImages = clusterAccuracyInterval(
      triple,
      triple.map((_, i) => `s${i}`),
      { seed: 2, resamples: 4000 },
    )!;
    const asPeople = clusterAccuracyInterval(
      triple,
      triple.map((_, i) => `s${Math.floor(i / 3)}`),
      { seed: 2, resamples: 4000 },
    )!;
    expect(asPeople.hi - asPeople.lo).to.be.greaterThan(1.4 * (asImages.hi - asImages.lo));
    expect(() => clusterAccuracyInterval([true], ["a", "b"])).to.throw(/cluster ids/);
  });

  it("cluster bootstrap from per-cluster counts gives the image-level one's interval exactly", () => {
    const rng = new Rng(5);
    const ids = Array.from({ length: 90 }, () => `s${String(rng.int(12)).padStart(2, "0")}`);
    const correct = ids.map(() => rng.next() < 0.7);
    const byImages = clusterAccuracyInterval(correct, ids, { seed: 3, resamples: 2000 })!;
    const keys = [...new Set(ids)].sort();
    const right = keys.map((k) => ids.filter((id, i) => id === k && correct[i]).length);
    const total = keys.map((k) => ids.filter((id) => id === k).length);
    const byCounts = clusterRatioInterval(right, total, { seed: 3, resamples: 2000 })!;
    expect(byCounts.lo).to.equal(byImages.lo);
    expect(byCounts.hi).to.equal(byImages.hi);
    expect(clusterRatioInterval([1], [2])).to.equal(null);
  });

  it("McNemar exact: b = 1, c = 6 gives p = 0.125; b = c gives p = 1; b = 0, c = 5 gives 2/32", () => {
    const mk = (b: number, c: number, both: number) => {
      const first = [...Array(b).fill(true), ...Array(c).fill(false), ...Array(both).fill(true)];
      const second = [...Array(b).fill(false), ...Array(c).fill(true), ...Array(both).fill(true)];
      return mcnemarExact(first, second);
    };
    expect(mk(1, 6, 10)).to.deep.include({ b: 1, c: 6 });
    expect(mk(1, 6, 10).p).to.be.closeTo(0.125, 1e-12); // 2·(1 + 7)/128
    expect(mk(4, 4, 3).p).to.equal(1);
    expect(mk(0, 5, 0).p).to.be.closeTo(2 / 32, 1e-12);
    expect(mcnemarExact([true], [true]).p).to.equal(1);
  });

  it("balanced accuracy and macro-F1 equal scikit-learn's on a 3-class case worked by hand; a class never predicted counts F1 = 0", () => {
    // rows true, columns predicted
    const m = [
      [5, 1, 0], // recall 5/6, precision 5/8
      [2, 3, 1], // recall 3/6, precision 3/4
      [1, 0, 3], // recall 3/4, precision 3/4
    ];
    expect(balancedAccuracy(m)).to.be.closeTo((5 / 6 + 3 / 6 + 3 / 4) / 3, 1e-12);
    const f1 = (p: number, r: number) => (2 * p * r) / (p + r);
    expect(macroF1(m)).to.be.closeTo((f1(5 / 8, 5 / 6) + f1(3 / 4, 3 / 6) + f1(3 / 4, 3 / 4)) / 3, 1e-12);
    // class 2 never predicted: its F1 is 0 (zero_division=0); an empty class is left out of both
    expect(
      macroF1([
        [2, 0, 0],
        [1, 1, 0],
        [1, 1, 0],
      ]),
    ).to.be.closeTo((f1(2 / 4, 1) + f1(1 / 2, 1 / 2) + 0) / 3, 1e-12);
    expect(
      balancedAccuracy([
        [2, 0, 0],
        [0, 0, 0],
        [1, 0, 1],
      ]),
    ).to.be.closeTo((1 + 0.5) / 2, 1e-12);
  });

  it("the majority baseline of CK+48's class counts is surprise, 249/981", () => {
    const counts = [135, 54, 177, 75, 207, 84, 249];
    const labels = counts.flatMap((n, k) => Array(n).fill(k));
    expect(majorityBaseline(labels)).to.deep.equal({ label: 6, accuracy: 249 / 981 });
  });
});

describe("stats: least squares", () => {
  it("linearFit: an exact line comes back; (0,1), (1,3), (2,2): slope 0.5, intercept 1.5 by hand", () => {
    const exact = linearFit([1, 2, 4, 8, 16], [1.5, 2, 3, 5, 9]);
    expect(exact.intercept).to.be.closeTo(1, 1e-12);
    expect(exact.slope).to.be.closeTo(0.5, 1e-12);
    const f = linearFit([0, 1, 2], [1, 3, 2]);
    expect(f.slope).to.be.closeTo(0.5, 1e-12);
    expect(f.intercept).to.be.closeTo(1.5, 1e-12);
    expect(() => linearFit([1], [2])).to.throw(/2 or more/);
  });
});

describe("stats: rank correlation", () => {
  it("ranks give ties their average rank; Spearman by hand with ties", () => {
    expect(ranks([10, 20, 20, 5])).to.deep.equal([2, 3.5, 3.5, 1]);
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 40])).to.be.closeTo(1, 1e-12);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).to.be.closeTo(-1, 1e-12);
    // ranks a = [1, 2, 3, 4], b = [1, 2.5, 2.5, 4]: Pearson of the ranks = 4.5 / sqrt(5 · 4.5)
    expect(spearman([1, 2, 3, 4], [1, 5, 5, 9])).to.be.closeTo(4.5 / Math.sqrt(5 * 4.5), 1e-12);
    expect(Number.isNaN(spearman([1, 1, 1], [1, 2, 3]))).to.equal(true);
  });
});

describe("stats: paired t test and Holm's adjustment", () => {
  it("tTestP of differences 1..5: t = 3/(sd/√5) = 4.2426, df 4, two-sided p = 0.01324 (by hand and scipy.stats.ttest_1samp)", () => {
    const d = [1, 2, 3, 4, 5];
    expect(tTestP({ n: 5, mean: mean(d), sd: sd(d) })).to.be.closeTo(0.013236, 1e-5);
    // df 1: the t CDF is the Cauchy's, so p = 1 − 2·atan(|t|)/π
    expect(tTestP({ n: 2, mean: 1, sd: Math.SQRT2 })).to.be.closeTo(1 - (2 * Math.atan(1)) / Math.PI, 1e-12);
    expect(tTestP({ n: 4, mean: 0, sd: 0 })).to.equal(1);
    expect(tTestP({ n: 1, mean: 1, sd: 0 })).to.be.NaN;
  });
  it("holm: sorted, multiplied by m − i, running maximum, in the input's order", () => {
    // by hand: 0.01·3 = 0.03; 0.03·2 = 0.06; 0.04·1 = 0.04 → max so far 0.06
    const h = holm([0.04, 0.01, 0.03]);
    expect(h[0]).to.be.closeTo(0.06, 1e-12);
    expect(h[1]).to.be.closeTo(0.03, 1e-12);
    expect(h[2]).to.be.closeTo(0.06, 1e-12);
    expect(holm([0.5, 0.9])).to.deep.equal([1, 1]);
  });
});

describe("stats: one more run (the yardstick for a single result)", () => {
  it("predictionInterval is mean ± t(0.975, n−1) · sd · √(1 + 1/n): 1..5 by hand, scipy's t quantile 2.7764451051977987", () => {
    const xs = [1, 2, 3, 4, 5];
    const pi = predictionInterval({ n: 5, mean: mean(xs), sd: sd(xs) })!;
    const half = 2.7764451051977987 * Math.sqrt(2.5) * Math.sqrt(1.2); // 4.80894398662850…
    expect(pi.lo).to.be.closeTo(3 - half, 1e-9);
    expect(pi.hi).to.be.closeTo(3 + half, 1e-9);
    // wider than the interval of the mean by √(n + 1): the 1 is the new run's own spread
    const t = tInterval(xs)!;
    expect((pi.hi - pi.lo) / (t.hi - t.lo)).to.be.closeTo(Math.sqrt(6), 1e-9);
    expect(predictionInterval({ n: 1, mean: 3, sd: NaN })).to.equal(null);
  });

  it("percentileOf counts the values below and half of the ties", () => {
    expect(percentileOf([1, 2, 3, 4], 2.5)).to.equal(0.5);
    expect(percentileOf([1, 2, 2, 4], 2)).to.equal(0.5);
    expect(percentileOf([1, 2, 3, 4], 0)).to.equal(0);
    expect(percentileOf([1, 2, 3, 4], 9)).to.equal(1);
    expect(percentileOf([], 1)).to.be.NaN;
  });
});
