/**
 * The comparisons (notebook 07, `npm run figures`): a forest plot of each variant's paired difference to `paper`
 * with its 95 % interval and a zero line, and the table of figures/ablations.md. Pure: summary → spec / Markdown.
 */
import type { TopLevelSpec } from "vega-lite";
import type { StudySummary } from "../summary";
import { VARIANTS, comparisonTests, variantParameters } from "../ablations";
import { markdownTable, pct, signedInterval, signedPoints } from "../display/text";

/** Each variant's paired difference in test accuracy to `paper` (variant − paper, same seeds), mean and 95 % t interval, in percentage points. */
export function specForest(s: StudySummary, split = "subject"): TopLevelSpec {
  const values = s.comparisons
    .filter((c) => c.split === split)
    .map((c) => ({ variant: c.variant, mean: 100 * c.accuracy.mean, lo: 100 * (c.accuracy.t?.lo ?? c.accuracy.mean), hi: 100 * (c.accuracy.t?.hi ?? c.accuracy.mean), seeds: c.seeds.length }));
  const order = VARIANTS.map((v) => v.name).filter((n) => values.some((v) => v.variant === n));
  const y = { field: "variant", type: "nominal" as const, sort: order, title: null };
  return {
    title: { text: `Each variant against the paper's configuration (${split} split)`, subtitle: "test accuracy, variant − paper, paired by seed: mean and 95% t interval; right of zero is better" },
    width: 440,
    height: 24 * Math.max(1, values.length),
    data: { values },
    layer: [
      { mark: { type: "rule", strokeWidth: 2, color: "#4c78a8" }, encoding: { y, x: { field: "lo", type: "quantitative", title: "difference in test accuracy (percentage points)" }, x2: { field: "hi" } } },
      { mark: { type: "point", filled: true, size: 60, color: "#1f3b5a" }, encoding: { y, x: { field: "mean", type: "quantitative" } } },
      { data: { values: [{ x: 0 }] }, mark: { type: "rule", color: "#e45756", strokeDash: [4, 3] }, encoding: { x: { field: "x", type: "quantitative" } } },
    ],
  };
}

/** The table of figures/ablations.md: per variant and split, accuracy and balanced accuracy, the paired difference, epochs, time, parameters. */
export function ablationsMarkdown(s: StudySummary, params: Record<string, number> = variantParameters()): string {
  const iv = (i: { lo: number; hi: number } | null | undefined) => (i ? `[${pct(i.lo)}, ${pct(i.hi)}]` : "—");
  const tests = [...new Set(s.splits.map((x) => x.split))].flatMap((split) => comparisonTests(s, split));
  const pv = (p: number) => (p < 0.001 ? "< 0.001" : p.toFixed(3));
  const rank = (v: string) => { const i = VARIANTS.findIndex((k) => k.name === v); return i < 0 ? VARIANTS.length : i; };
  const ordered = [...s.splits].sort((a, b) => rank(a.variant) - rank(b.variant) || a.split.localeCompare(b.split));
  const rows = ordered.map((x) => {
    const c = s.comparisons.find((k) => k.variant === x.variant && k.split === x.split);
    const t = tests.find((k) => k.variant === x.variant && k.split === x.split);
    const epochs = x.runs.map((r) => r.epochs.reduce((a, b) => a + b, 0) / r.epochs.length);
    return [
      x.variant,
      x.split,
      x.seeds.length,
      `${pct(x.accuracy.mean)} ${iv(x.accuracy.t)}`,
      `${pct(x.balancedAccuracy.mean)} ${iv(x.balancedAccuracy.t)}`,
      c ? `${signedPoints(c.accuracy.mean)} ${signedInterval(c.accuracy.t)}` : "reference",
      c ? `${signedPoints(c.balancedAccuracy.mean)} ${signedInterval(c.balancedAccuracy.t)}` : "reference",
      t ? `${pv(t.p)} / ${t.holm < 0.05 ? `**${pv(t.holm)}**` : pv(t.holm)}` : "—",
      (epochs.reduce((a, b) => a + b, 0) / epochs.length).toFixed(1),
      (x.seconds.mean / 60).toFixed(1),
      (params[x.variant] ?? NaN).toLocaleString("en-US"),
    ];
  });
  const why = VARIANTS.filter((v) => s.splits.some((x) => x.variant === v.name)).map((v) => `- **${v.name}**: ${v.why}`);
  return [
    "# The comparisons the paper promised",
    "",
    "Each variant is the paper's configuration with one change (lib/ablations.ts), run with the same seeds, hence the same splits, folds and batch order; the difference to `paper` is measured seed by seed (points of accuracy, mean [95% t interval]). Made by `npm run figures` from `data/runs/ablations/summary.json`.",
    "",
    markdownTable(
      ["variant", "split", "seeds", "test accuracy [95%]", "balanced accuracy [95%]", "accuracy − paper, paired (points)", "balanced − paper (points)", "p paired t / Holm", "epochs per fold", "minutes per run", "parameters"],
      rows,
      ["l", "l", "r", "r", "r", "r", "r", "r", "r", "r", "r"],
    ),
    "",
    ...why,
    "",
    "p: the paired t test of the accuracy difference over seeds (two-sided), then Holm's adjustment over the variants of the split (bold when < 0.05): with 11 variants, one 95% interval in 20 excludes zero by chance.",
    "",
    `Intervals: ${s.method}`,
    "",
  ].join("\n");
}
