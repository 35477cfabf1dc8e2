/** Small functions over number arrays that several layers need (training, evaluation, the page). Pure. */

/**
 * Index of the largest value; ties go to the lowest index, as `np.argmax` and `tf.argMax` do (Section 3: the predicted
 * class of a softmax row).
 */
export function argmax(values: ArrayLike<number>): number {
  return argmaxWhere(values, () => true);
}

/** The index of the largest of the values whose index `keep` accepts (ties: the first); -1 when it accepts none. */
export function argmaxWhere(values: ArrayLike<number>, keep: (i: number) => boolean): number {
  if (values.length === 0) throw new Error("argmax of an empty row");
  let best = -1;
  for (let i = 0; i < values.length; i++) if (keep(i) && (best < 0 || values[i] > values[best])) best = i;
  return best;
}

/** The median of a list of numbers (NaN for none). */
export function median(xs: readonly number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The largest absolute difference between two lists of arrays of the same shapes (0 for none). */
export function maxDifference(a: readonly ArrayLike<number>[], b: readonly ArrayLike<number>[]): number {
  let m = 0;
  a.forEach((t, i) => {
    for (let j = 0; j < t.length; j++) m = Math.max(m, Math.abs(t[j] - b[i][j]));
  });
  return m;
}
