/**
 * The prose of notebooks/07-ablations.ipynb: the variants and what their comparison found. The computations are in
 * lib/ablations.ts and lib/study.ts; this file formats what they return.
 */
import { PAPER } from "../config";
import { parametersByHand } from "../model";
import { applyOverrides, VARIANTS } from "../ablations";
import type { StudySummary } from "../study";
import { markdownTable, pct } from "../display";

/** The variants: name, what changes (its overrides), parameters, why. */
export function variantsMarkdown(): string {
  return markdownTable(
    ["variant", "overrides of PAPER", "parameters", "why"],
    VARIANTS.map((v) => [
      `**${v.name}**`,
      Object.keys(v.overrides).length ? `\`${JSON.stringify(v.overrides)}\`` : "—",
      parametersByHand(applyOverrides(PAPER, v.overrides)).reduce((a, r) => a + r.params, 0).toLocaleString("en-US"),
      v.why,
    ]),
    ["l", "l", "r", "l"],
  );
}

/**
 * What the comparison found, in sentences computed from the summary: the variants whose 95 % interval of the paired
 * difference lies wholly above or below zero, and those the data cannot tell from the paper's configuration.
 */
export function findingsMarkdown(s: StudySummary, split = "subject"): string {
  const cs = s.comparisons.filter((c) => c.split === split && c.accuracy.t);
  if (!cs.length) return `No comparison on the ${split} split yet (it needs at least two paired seeds per variant).`;
  const pts = (x: number) => `${x >= 0 ? "+" : "−"}${(100 * Math.abs(x)).toFixed(1)}`;
  const line = (c: (typeof cs)[number]) => `${c.variant} ${pts(c.accuracy.mean)} points [${pts(c.accuracy.t!.lo)}, ${pts(c.accuracy.t!.hi)}]`;
  const better = cs.filter((c) => c.accuracy.t!.lo > 0);
  const worse = cs.filter((c) => c.accuracy.t!.hi < 0);
  const unclear = cs.filter((c) => c.accuracy.t!.lo <= 0 && c.accuracy.t!.hi >= 0);
  const biggest = [...cs].sort((a, b) => Math.abs(b.accuracy.mean) - Math.abs(a.accuracy.mean))[0];
  return [
    `On the ${split} split, paired by seed (${cs[0].seeds.length} seeds):`,
    `- **better than the paper's configuration** (the whole 95% interval above zero): ${better.length ? better.map(line).join("; ") : "none"};`,
    `- **worse** (the whole interval below zero): ${worse.length ? worse.map(line).join("; ") : "none"};`,
    `- **cannot be told apart** (the interval contains zero): ${unclear.length ? unclear.map(line).join("; ") : "none"}.`,
    "",
    `The largest average effect is ${biggest.variant}'s, ${pts(biggest.accuracy.mean)} points of test accuracy (${pct(Math.abs(biggest.accuracy.mean))} absolute).`,
  ].join("\n");
}
