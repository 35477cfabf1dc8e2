/**
 * Statistics for the study (notebook 06) and the comparisons (notebook 07), written as a careful reviewer would want
 * them: every headline number gets an interval, and each interval says what varies.
 *
 * - Over runs (seeds): mean, sample standard deviation, a Student-t interval and a percentile bootstrap interval.
 * - One run's test set: the Wilson score interval of k/n (images as if independent), and a subject-level cluster
 *   bootstrap: CK+48 holds three near-identical frames of each sequence, so images of one person are not
 *   independent; resampling people, not images, gives the honest width.
 * - Paired comparisons: the exact McNemar test for two models on one test set; the mean difference over seeds with
 *   its interval for two settings run with the same seeds.
 * - Balanced accuracy and macro-F1 from a confusion matrix (the classes run from 54 to 249 images), the majority
 *   baseline, quantiles (type 7) and Spearman's rank correlation.
 *
 * Everything is deterministic: bootstraps draw from lib/random's seeded generator. Hand-written because the few
 * functions needed (a t quantile, a binomial tail, a seeded bootstrap) are smaller than any dependency that has them
 * together, and each is tested against table values, closed forms or hand computations (test/stats.test.ts).
 */
import { Rng } from "./random";
import { logChoose, normalQuantile, tCdf, tQuantile } from "./distributions";

/** A two-sided interval and how it was computed. */
export interface Interval {
  lo: number;
  hi: number;
}

/** Mean, spread and 95 % intervals of a sample (over seeds, usually). */
export interface Spread {
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1); NaN for n < 2. */
  sd: number;
  /** Student-t interval of the mean; null for n < 2. */
  t: Interval | null;
  /** Percentile bootstrap interval of the mean; null for n < 2. */
  bootstrap: Interval | null;
  min: number;
  max: number;
}

/** The mean of a sample (NaN when empty). */
export function mean(xs: readonly number[]): number {
  if (!xs.length) return NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** The sample standard deviation (denominator n − 1; NaN for n < 2). */
export function sd(xs: readonly number[]): number {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) ** 2;
  return Math.sqrt(s / (xs.length - 1));
}

/** The Student-t interval of the mean of a sample (n ≥ 2), at `level` (default 0.95). */
export function tInterval(xs: readonly number[], level = 0.95): Interval | null {
  if (xs.length < 2) return null;
  const m = mean(xs);
  const half = (tQuantile(1 - (1 - level) / 2, xs.length - 1) * sd(xs)) / Math.sqrt(xs.length);
  return { lo: m - half, hi: m + half };
}

/**
 * The `level` prediction interval for one more draw from the population a sample of n came from (n ≥ 2): mean ± t ·
 * sd · √(1 + 1/n), Student t with n − 1 degrees of freedom. The `1/n` is the uncertainty of the mean itself; without
 * it this is the spread of single values, and without the `1` it is the interval of the mean. This, not the interval
 * of the mean, is the yardstick for one run's number, such as a paper's single result. Normal draws are assumed.
 *
 * @see notebooks/06-study.ipynb
 */
export function predictionInterval(s: { n: number; mean: number; sd: number }, level = 0.95): Interval | null {
  if (s.n < 2 || !Number.isFinite(s.sd)) return null;
  const half = tQuantile(1 - (1 - level) / 2, s.n - 1) * s.sd * Math.sqrt(1 + 1 / s.n);
  return { lo: s.mean - half, hi: s.mean + half };
}

/**
 * Where `v` stands among `xs`, as a share in [0, 1]: the values below it plus half of those equal to it (mid-rank),
 * over their number. NaN for an empty sample.
 */
export function percentileOf(xs: readonly number[], v: number): number {
  if (!xs.length) return NaN;
  const below = xs.filter((x) => x < v).length;
  const equal = xs.filter((x) => x === v).length;
  return (below + equal / 2) / xs.length;
}

/** The q-quantile of a sample, type 7 (linear interpolation between order statistics: R's default, numpy's "linear"). */
export function quantile(xs: readonly number[], q: number): number {
  if (!xs.length) return NaN;
  const s = xs.slice().sort((a, b) => a - b);
  const h = (s.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return s[lo] + (h - lo) * (s[hi] - s[lo]);
}

/** Options of the bootstraps: resamples (default 10,000), seed (default 0), level (default 0.95). */
export interface BootstrapOptions {
  resamples?: number;
  seed?: number;
  level?: number;
  /**
   * The values the statistic can take, e.g. [0, 1] for an accuracy: {@link spread} cuts its t interval to them (a
   * t interval is symmetric, so the mean of accuracies near 100% would otherwise reach past it). Not for differences.
   */
  range?: readonly [number, number];
}

/** The half-width of the `level` Student-t interval of a mean of n values with standard deviation sd. */
export function tHalfWidth(n: number, sd: number, level = 0.95): number {
  return n < 2 ? NaN : (tQuantile(1 - (1 - level) / 2, n - 1) * sd) / Math.sqrt(n);
}

/** The smallest n ≥ 2 whose `level` t interval of a mean, with standard deviation sd, has a half-width ≤ target. */
export function seedsForHalfWidth(sd: number, target: number, level = 0.95): number {
  let m = 2;
  while (tHalfWidth(m, sd, level) > target && m < 1e6) m++;
  return m;
}

/**
 * How many seeds make the t interval of a mean `factor` times as wide (0.5: half), if the sd over seeds stays what
 * it is: the smallest n with t(n − 1)·sd/√n ≤ factor × the present half-width. Roughly n/factor² (the 1/√n rule), a
 * little less because the t quantile shrinks toward the normal one as n grows; the sd cancels, so the answer is the
 * same for every split with the same number of seeds.
 */
export function seedsToShrink(
  sp: { n: number; sd: number },
  factor = 0.5,
  level = 0.95,
): { n: number; half: number; target: number; needed: number; neededHalf: number } {
  const half = tHalfWidth(sp.n, sp.sd, level);
  const target = factor * half;
  const needed = seedsForHalfWidth(sp.sd, target, level);
  return { n: sp.n, half, target, needed, neededHalf: tHalfWidth(needed, sp.sd, level) };
}

/** Percentile bootstrap interval of a statistic of a sample (Efron & Tibshirani 1993, ch. 13); seeded. */
export function bootstrapInterval(
  xs: readonly number[],
  stat: (sample: number[]) => number = mean,
  opts: BootstrapOptions = {},
): Interval | null {
  if (xs.length < 2) return null;
  const rng = new Rng(opts.seed ?? 0);
  const B = opts.resamples ?? 10000;
  const level = opts.level ?? 0.95;
  const stats: number[] = new Array(B);
  const sample = new Array<number>(xs.length);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < xs.length; i++) sample[i] = xs[Math.floor(rng.next() * xs.length)];
    stats[b] = stat(sample);
  }
  return { lo: quantile(stats, (1 - level) / 2), hi: quantile(stats, 1 - (1 - level) / 2) };
}

/** An interval cut to `range` (unchanged without one). */
export function clipInterval(iv: Interval | null, range?: readonly [number, number]): Interval | null {
  if (!iv || !range) return iv;
  return { lo: Math.max(range[0], iv.lo), hi: Math.min(range[1], iv.hi) };
}

/**
 * Mean, sd, t and bootstrap intervals of a sample: what every headline number over seeds reports. With
 * `opts.range`, the t interval is cut to it (the bootstrap interval of a mean stays within the sample's range anyway).
 */
export function spread(xs: readonly number[], opts: BootstrapOptions = {}): Spread {
  return {
    n: xs.length,
    mean: mean(xs),
    sd: sd(xs),
    t: clipInterval(tInterval(xs, opts.level), opts.range),
    bootstrap: bootstrapInterval(xs, mean, opts),
    min: xs.length ? Math.min(...xs) : NaN,
    max: xs.length ? Math.max(...xs) : NaN,
  };
}

/**
 * The Wilson score interval of a proportion k/n (Wilson 1927): the images of one test set as if independent. Good
 * at small n and near 0 or 1, where the normal ("Wald") interval fails. 164/197 → [0.7741, 0.8782].
 *
 * @see notebooks/06-study.ipynb
 */
export function wilson(k: number, n: number, level = 0.95): Interval {
  if (n <= 0) return { lo: 0, hi: 1 };
  const z = normalQuantile(1 - (1 - level) / 2);
  const p = k / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return { lo: Math.max(0, centre - half), hi: Math.min(1, centre + half) };
}

/**
 * The number of independent observations at which Wilson's interval of a proportion p is `width` wide (bisection
 * on n; Wilson's width falls as n grows): for a cluster-bootstrap interval of one test set, its effective number of
 * independent images. The image count divided by it is the design effect of the clustering (Kish 1965): how many
 * correlated images are worth one independent one.
 */
export function wilsonEquivalentN(p: number, width: number, level = 0.95): number {
  const w = (n: number) => {
    const i = wilson(p * n, n, level);
    return i.hi - i.lo;
  };
  let lo = 1;
  let hi = 1e6;
  if (!(width > 0) || w(hi) > width) return hi;
  for (let i = 0; i < 200; i++) {
    const mid = Math.sqrt(lo * hi);
    if (w(mid) > width) lo = mid;
    else hi = mid;
  }
  return hi;
}

/**
 * Subject-level cluster bootstrap of a statistic of one test set (Davison & Hinkley 1997, §3.8; Field & Welsh 2007):
 * resample the clusters (people) with replacement, keep all images of each drawn cluster, recompute the statistic
 * on the pooled images. `stat` gets the indices of the resampled images (with repeats). Seeded; percentile interval.
 *
 * @see notebooks/06-study.ipynb
 */
export function clusterBootstrap(
  clusters: readonly string[],
  stat: (indices: number[]) => number,
  opts: BootstrapOptions = {},
): Interval | null {
  const groups = new Map<string, number[]>();
  clusters.forEach((c, i) => {
    const g = groups.get(c);
    if (g) g.push(i);
    else groups.set(c, [i]);
  });
  const keys = [...groups.keys()].sort();
  if (keys.length < 2) return null;
  const rng = new Rng(opts.seed ?? 0);
  const B = opts.resamples ?? 10000;
  const level = opts.level ?? 0.95;
  const stats: number[] = new Array(B);
  for (let b = 0; b < B; b++) {
    const idx: number[] = [];
    for (let k = 0; k < keys.length; k++) idx.push(...groups.get(keys[Math.floor(rng.next() * keys.length)])!);
    stats[b] = stat(idx);
  }
  return { lo: quantile(stats, (1 - level) / 2), hi: quantile(stats, 1 - (1 - level) / 2) };
}

/** The cluster-bootstrap interval of accuracy: `correct[i]` for image i, `clusters[i]` its subject. */
export function clusterAccuracyInterval(
  correct: readonly boolean[],
  clusters: readonly string[],
  opts: BootstrapOptions = {},
): Interval | null {
  if (correct.length !== clusters.length)
    throw new Error(`clusterAccuracyInterval: ${correct.length} images but ${clusters.length} cluster ids`);
  return clusterBootstrap(clusters, (idx) => idx.reduce((a, i) => a + (correct[i] ? 1 : 0), 0) / idx.length, opts);
}

/**
 * {@link clusterAccuracyInterval} from per-cluster counts: `right[k]` of `total[k]` answers right in cluster k, the
 * clusters in the sorted order of their ids. The same resamples (same seed, same draws) at a cost per resample of
 * the number of clusters, not of images: fast enough for a study's thousands of (run, image) answers.
 */
export function clusterRatioInterval(
  right: readonly number[],
  total: readonly number[],
  opts: BootstrapOptions = {},
): Interval | null {
  const k = right.length;
  if (k < 2) return null;
  const rng = new Rng(opts.seed ?? 0);
  const B = opts.resamples ?? 10000;
  const level = opts.level ?? 0.95;
  const stats: number[] = new Array(B);
  for (let b = 0; b < B; b++) {
    let r = 0;
    let t = 0;
    for (let i = 0; i < k; i++) {
      const j = Math.floor(rng.next() * k);
      r += right[j];
      t += total[j];
    }
    stats[b] = r / t;
  }
  return { lo: quantile(stats, (1 - level) / 2), hi: quantile(stats, 1 - (1 - level) / 2) };
}

/**
 * The exact McNemar test (McNemar 1947, in its exact binomial form) of two models on the same test images:
 * b = images only the first gets right, c = only the second; under "equally good" the discordant pairs split
 * Bin(b + c, ½). Two-sided p = min(1, 2·P(X ≤ min(b, c))).
 */
export function mcnemarExact(
  firstCorrect: readonly boolean[],
  secondCorrect: readonly boolean[],
): { b: number; c: number; p: number } {
  if (firstCorrect.length !== secondCorrect.length)
    throw new Error(`mcnemarExact: ${firstCorrect.length} vs ${secondCorrect.length} images`);
  let b = 0;
  let c = 0;
  firstCorrect.forEach((a, i) => {
    if (a && !secondCorrect[i]) b++;
    if (!a && secondCorrect[i]) c++;
  });
  const n = b + c;
  if (n === 0) return { b, c, p: 1 };
  let tail = 0;
  for (let k = 0; k <= Math.min(b, c); k++) tail += Math.exp(logChoose(n, k) - n * Math.LN2);
  return { b, c, p: Math.min(1, 2 * tail) };
}

/** The paired difference over seeds (a[i] − b[i], same seed i) with its spread and intervals. */
export function pairedDifference(a: readonly number[], b: readonly number[], opts: BootstrapOptions = {}): Spread {
  if (a.length !== b.length) throw new Error(`pairedDifference: ${a.length} vs ${b.length} values (pair them by seed)`);
  return spread(
    a.map((x, i) => x - b[i]),
    opts,
  );
}

/**
 * Two-sided p-value of a one-sample t test of mean 0 from a spread's n, mean and sd: for a paired difference over
 * seeds, "does the variant differ from the reference?". 1 when sd is 0 and the mean is 0; 0 when sd is 0 otherwise.
 */
export function tTestP(s: { n: number; mean: number; sd: number }): number {
  if (s.n < 2) return NaN;
  if (s.sd === 0) return s.mean === 0 ? 1 : 0;
  const t = s.mean / (s.sd / Math.sqrt(s.n));
  return Math.min(1, 2 * (1 - tCdf(Math.abs(t), s.n - 1)));
}

/**
 * Holm's step-down adjustment of p-values for m comparisons (Holm 1979): sort ascending, multiply the i-th smallest
 * by m − i, carry the running maximum, cap at 1; returned in the input's order. It controls the chance of any false
 * "differs" among the m at the level, without assuming the comparisons independent. [0.01, 0.04, 0.03] →
 * [0.03, 0.06, 0.06].
 *
 * @see notebooks/07-ablations.ipynb
 */
export function holm(ps: readonly number[]): number[] {
  const m = ps.length;
  const order = ps.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(m);
  let run = 0;
  order.forEach(([p, i], k) => {
    run = Math.max(run, Math.min(1, (m - k) * p));
    out[i] = run;
  });
  return out;
}

/** Balanced accuracy: the mean recall over the classes that have test images (scikit-learn's balanced_accuracy_score). */
export function balancedAccuracy(confusion: readonly (readonly number[])[]): number {
  const recalls = confusion
    .map((row, i) => ({ n: row.reduce((a, v) => a + v, 0), tp: row[i] }))
    .filter((r) => r.n > 0)
    .map((r) => r.tp / r.n);
  return mean(recalls);
}

/**
 * Macro-F1: the unweighted mean of the per-class F1 over the classes with test images; a class never predicted
 * and never right has precision 0 and F1 0 (scikit-learn's f1_score(average="macro", zero_division=0)).
 */
export function macroF1(confusion: readonly (readonly number[])[]): number {
  const k = confusion.length;
  const f1s: number[] = [];
  for (let i = 0; i < k; i++) {
    const support = confusion[i].reduce((a, v) => a + v, 0);
    if (support === 0) continue;
    let predicted = 0;
    for (let r = 0; r < k; r++) predicted += confusion[r][i];
    const tp = confusion[i][i];
    const precision = predicted ? tp / predicted : 0;
    const recall = tp / support;
    f1s.push(precision + recall ? (2 * precision * recall) / (precision + recall) : 0);
  }
  return mean(f1s);
}

/** The majority-class baseline: the accuracy of always answering the most frequent label, and that label. */
export function majorityBaseline(labels: readonly number[]): { label: number; accuracy: number } {
  const counts = new Map<number, number>();
  for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  let label = -1;
  let best = -1;
  for (const [l, c] of [...counts.entries()].sort((a, b) => a[0] - b[0])) if (c > best) [label, best] = [l, c];
  return { label, accuracy: labels.length ? best / labels.length : NaN };
}

/** Ranks with ties given their average rank (1-based). */
export function ranks(xs: readonly number[]): number[] {
  const order = xs.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(xs.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    for (let k = i; k <= j; k++) r[order[k][1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

/** Pearson's correlation (NaN when either side is constant). */
export function pearson(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new Error(`pearson: ${a.length} vs ${b.length} values`);
  const ma = mean(a);
  const mb = mean(b);
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < a.length; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return saa && sbb ? sab / Math.sqrt(saa * sbb) : NaN;
}

/** Spearman's rank correlation: Pearson's correlation of the ranks, ties given their average rank. */
export function spearman(a: readonly number[], b: readonly number[]): number {
  return pearson(ranks(a), ranks(b));
}

/** Ordinary least squares y ≈ intercept + slope·x (n ≥ 2 distinct x). */
export function linearFit(xs: readonly number[], ys: readonly number[]): { intercept: number; slope: number } {
  if (xs.length !== ys.length || xs.length < 2)
    throw new Error(`linearFit: need two equal-length lists of 2 or more (got ${xs.length} and ${ys.length})`);
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
  }
  const slope = sxy / sxx;
  return { intercept: my - slope * mx, slope };
}
