/**
 * Claims about the order of the classes ("anger, surprise and disgust best", "the ROC of these four closer to the
 * corner than sadness and fear"), with uncertainty over seeds (lib/claims.ts, notebook 06).
 *
 * Such a claim is a margin: the worst of the classes said to be better minus the best of the classes said to be
 * worse, of the mean over seeds. It holds when the margin is above zero. The runs (seeds) are resampled with
 * replacement, the same runs for every class (one run made every class's number, so they are paired), and the
 * margin recomputed: a percentile interval. Above zero: the order holds; below: it is reversed; straddling zero:
 * our runs cannot tell the classes apart, and a gap of a few thousandths does not decide a verdict.
 */
import { Rng } from "./random";
import { mean, quantile, type Interval } from "./stats";

/** Per class, its value in each run (the same run order for every class). */
export type PerRun = Record<string, readonly number[]>;

/** The margin of "every class of `better` above every class of `worse`" on the means over runs. */
export function orderMargin(values: PerRun, better: readonly string[], worse: readonly string[]): number {
  const m = (c: string) => mean(values[c]);
  return Math.min(...better.map(m)) - Math.max(...worse.map(m));
}

function runsOf(values: PerRun): number {
  const ns = new Set(Object.values(values).map((v) => v.length));
  if (ns.size !== 1) throw new Error(`ordering: classes have different numbers of runs (${[...ns].join(", ")})`);
  return [...ns][0];
}

/** Resampled runs, the same for every class: B index lists of n draws with replacement (seeded). */
function resamples(n: number, B: number, seed: number): number[][] {
  const rng = new Rng(seed);
  return Array.from({ length: B }, () => Array.from({ length: n }, () => Math.floor(rng.next() * n)));
}

const pick = (values: PerRun, idx: readonly number[]): PerRun =>
  Object.fromEntries(Object.entries(values).map(([c, v]) => [c, idx.map((i) => v[i])]));

/** Bootstrap options: resamples (default 10,000), seed (default 0), level (default 0.95). */
export interface OrderOptions {
  resamples?: number;
  seed?: number;
  level?: number;
}

/** The margin and its percentile interval over resampled runs; null interval for fewer than 2 runs. */
export function marginInterval(
  values: PerRun,
  better: readonly string[],
  worse: readonly string[],
  opts: OrderOptions = {},
): { margin: number; interval: Interval | null } {
  const n = runsOf(values);
  const margin = orderMargin(values, better, worse);
  if (n < 2) return { margin, interval: null };
  const level = opts.level ?? 0.95;
  const stats = resamples(n, opts.resamples ?? 10000, opts.seed ?? 0).map((idx) =>
    orderMargin(pick(values, idx), better, worse),
  );
  return { margin, interval: { lo: quantile(stats, (1 - level) / 2), hi: quantile(stats, 1 - (1 - level) / 2) } };
}

/** What a margin's interval says: the order holds, is reversed, or the runs cannot tell. */
export type OrderVerdict = "holds" | "reversed" | "not distinguishable";

export function orderVerdict(iv: Interval | null): OrderVerdict | undefined {
  if (!iv) return undefined;
  return iv.lo > 0 ? "holds" : iv.hi < 0 ? "reversed" : "not distinguishable";
}

/**
 * Each class's rank (1 = highest mean) and the central `level` range of its rank over resampled runs (the same
 * resamples as {@link marginInterval} with the same options). Ties share the better rank.
 */
export function rankRanges(
  values: PerRun,
  opts: OrderOptions = {},
): Record<string, { rank: number; lo: number; hi: number }> {
  const n = runsOf(values);
  const level = opts.level ?? 0.95;
  const classes = Object.keys(values);
  const ranksOf = (v: PerRun) => {
    const means = classes.map((c) => mean(v[c]));
    return Object.fromEntries(classes.map((c, i) => [c, 1 + means.filter((m) => m > means[i]).length]));
  };
  const point = ranksOf(values);
  const draws =
    n < 2 ? [] : resamples(n, opts.resamples ?? 10000, opts.seed ?? 0).map((idx) => ranksOf(pick(values, idx)));
  return Object.fromEntries(
    classes.map((c) => {
      const rs = draws.map((d) => d[c]);
      return [
        c,
        {
          rank: point[c],
          lo: rs.length ? quantile(rs, (1 - level) / 2) : point[c],
          hi: rs.length ? quantile(rs, 1 - (1 - level) / 2) : point[c],
        },
      ];
    }),
  );
}
