/**
 * Whether a sample of runs looks normal enough for intervals built on Student's t (lib/claims.ts singleRun; when not,
 * the bootstrap decides). Kept apart from lib/stats.ts, which holds the intervals themselves.
 */
import { mean } from "./stats";

/** Sample skewness g1, the moment estimator m3 / m2^(3/2); NaN for fewer than 3 values or none apart. */
export function skewness(xs: readonly number[]): number {
  const n = xs.length;
  if (n < 3) return NaN;
  const m = mean(xs);
  const m2 = xs.reduce((a, x) => a + (x - m) ** 2, 0) / n;
  const m3 = xs.reduce((a, x) => a + (x - m) ** 3, 0) / n;
  return m2 > 0 ? m3 / m2 ** 1.5 : NaN;
}

/**
 * Whether runs are too far from normal for intervals built on Student's t: |skewness| above 1, or at least a third
 * of them on a bound of `range` (a pile of runs at 100 % recall, where a t interval would reach past it). With ten
 * runs no test of normality has power; these two signs are the ones that move a t interval visibly.
 */
export function farFromNormal(
  xs: readonly number[],
  range?: readonly [number, number],
): { far: boolean; skewness: number; atBound: number } {
  const g = skewness(xs);
  const atBound = range ? xs.filter((x) => x <= range[0] || x >= range[1]).length : 0;
  return { far: Math.abs(g) > 1 || (xs.length > 0 && atBound >= xs.length / 3), skewness: g, atBound };
}
