/**
 * The comparisons (notebook 07, `npm run figures`): a forest plot of each variant's paired difference to `paper`
 * with its 95 % interval, a zero line and its verdict after Holm's adjustment, and the table of figures/ablations.md.
 * Pure: summary → spec / Markdown.
 */
import type { TopLevelSpec } from "vega-lite";
import type { StudySummary } from "../summary";
import { HOLM_LEVEL, VARIANTS, comparisonTests, variantParameters, verdictOf } from "../ablations";
import { markdownTable, pct, signedInterval, signedPoints } from "../display/text";

/**
 * Each variant's paired difference in test accuracy to `paper` (variant − paper, same seeds), mean and 95 % t
 * interval, in percentage points; the mark is filled where the difference survives Holm's adjustment over the
 * split's variants (lib/ablations verdictOf: better or worse), hollow where the data cannot tell it apart, so an
 * interval that misses zero by chance among many is not read as a finding.
 */
export function specForest(s: StudySummary, split = "subject", alpha = HOLM_LEVEL): TopLevelSpec {
  const tests = comparisonTests(s, split);
  const values = s.comparisons
    .filter((c) => c.split === split)
    .map((c) => {
      const t = tests.find((k) => k.variant === c.variant);
      return {
        variant: c.variant,
        mean: 100 * c.accuracy.mean,
        lo: 100 * (c.accuracy.t?.lo ?? c.accuracy.mean),
        hi: 100 * (c.accuracy.t?.hi ?? c.accuracy.mean),
        seeds: c.seeds.length,
        holm: t?.holm ?? NaN,
        verdict: t ? verdictOf(t, alpha) : "cannot be told apart",
      };
    });
  const order = VARIANTS.map((v) => v.name).filter((n) => values.some((v) => v.variant === n));
  const y = { field: "variant", type: "nominal" as const, sort: order, title: null };
  const differs = `datum.verdict !== "cannot be told apart"`;
  return {
    title: {
      text: `Each variant against the paper's configuration (${split} split)`,
      subtitle: [
        "test accuracy, variant − paper, paired by seed: mean and 95% t interval; right of zero is better",
        `filled: differs after Holm's adjustment over the ${tests.length} variants (p < ${alpha}); hollow: cannot be told apart`,
      ],
    },
    width: 440,
    height: 24 * Math.max(1, values.length),
    data: { values },
    layer: [
      {
        mark: { type: "rule", strokeWidth: 2, color: "#4c78a8" },
        encoding: {
          y,
          x: { field: "lo", type: "quantitative", title: "difference in test accuracy (percentage points)" },
          x2: { field: "hi" },
        },
      },
      {
        mark: { type: "point", size: 60, strokeWidth: 1.5, color: "#1f3b5a", opacity: 1 },
        encoding: {
          y,
          x: { field: "mean", type: "quantitative" },
          fill: { condition: { test: differs, value: "#1f3b5a" }, value: "white" },
        },
      },
      {
        data: { values: [{ x: 0 }] },
        mark: { type: "rule", color: "#e45756", strokeDash: [4, 3] },
        encoding: { x: { field: "x", type: "quantitative" } },
      },
    ],
  };
}

/**
 * The table of figures/ablations.md: per variant and split, accuracy and balanced accuracy, the paired difference,
 * p and Holm's p, epochs, time, parameters. `page: false` leaves out the page's heading and its first paragraph (for
 * notebook 07, which has its own).
 */
export function ablationsMarkdown(
  s: StudySummary,
  params: Record<string, number> = variantParameters(),
  page = true,
): string {
  const iv = (i: { lo: number; hi: number } | null | undefined) => (i ? `[${pct(i.lo)}, ${pct(i.hi)}]` : "—");
  const tests = [...new Set(s.splits.map((x) => x.split))].flatMap((split) => comparisonTests(s, split));
  const pv = (p: number) => (p < 0.001 ? "< 0.001" : p.toFixed(3));
  const rank = (v: string) => {
    const i = VARIANTS.findIndex((k) => k.name === v);
    return i < 0 ? VARIANTS.length : i;
  };
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
      t ? `${pv(t.p)} / ${t.holm < HOLM_LEVEL ? `**${pv(t.holm)}**` : pv(t.holm)}` : "—",
      (epochs.reduce((a, b) => a + b, 0) / epochs.length).toFixed(1),
      (x.seconds.mean / 60).toFixed(1),
      (params[x.variant] ?? NaN).toLocaleString("en-US"),
    ];
  });
  const family = Math.max(
    0,
    ...[...new Set(s.splits.map((x) => x.split))].map((split) => comparisonTests(s, split).length),
  );
  const why = VARIANTS.filter((v) => s.splits.some((x) => x.variant === v.name)).map(
    (v) => `- **${v.name}**: ${v.why}`,
  );
  const head = [
    "# The comparisons the paper promised",
    "",
    "Each variant is the paper's configuration with one change (lib/ablations.ts), run with the same seeds, hence the same splits, folds and batch order; the difference to `paper` is measured seed by seed (points of accuracy, mean [95% t interval]). Made by `npm run figures` from `data/runs/ablations/summary.json`.",
    "",
  ];
  return [
    ...(page ? head : []),
    markdownTable(
      [
        "variant",
        "split",
        "seeds",
        "test accuracy [95%]",
        "balanced accuracy [95%]",
        "accuracy − paper, paired (points)",
        "balanced − paper (points)",
        "p paired t / Holm",
        "epochs per fold",
        "minutes per run",
        "parameters",
      ],
      rows,
      ["l", "l", "r", "r", "r", "r", "r", "r", "r", "r", "r"],
    ),
    "",
    ...why,
    "",
    `p: the paired t test of the accuracy difference over seeds (two-sided), then Holm's adjustment over the variants of the split (bold when < ${HOLM_LEVEL}): a variant is called better or worse only where Holm's p is bold. With ${family} variants, about one 95% interval in 20 excludes zero by chance.`,
    "",
    `Intervals: ${s.method}`,
    "",
  ].join("\n");
}
