/**
 * The prose of notebooks/07-ablations.ipynb: the variants and what their comparison found. The computations are in
 * lib/ablations.ts and lib/study.ts; this file formats what they return.
 */
import { comparisonTests, variantParameters, VARIANTS } from "../ablations";
import type { StudySummary } from "../summary";
import { markdownTable, pct, signedInterval, signedPoints } from "../display/text";

/** The variants: name, what changes (its overrides), parameters, why. */
export function variantsMarkdown(): string {
  const params = variantParameters();
  return markdownTable(
    ["variant", "overrides of PAPER", "parameters", "why"],
    VARIANTS.map((v) => [
      `**${v.name}**`,
      Object.keys(v.overrides).length ? `\`${JSON.stringify(v.overrides)}\`` : "—",
      params[v.name].toLocaleString("en-US"),
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
  const line = (c: (typeof cs)[number]) =>
    `${c.variant} ${signedPoints(c.accuracy.mean)} points ${signedInterval(c.accuracy.t)}`;
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
    `The largest average effect is ${biggest.variant}'s, ${signedPoints(biggest.accuracy.mean)} points of test accuracy (${pct(Math.abs(biggest.accuracy.mean))} absolute).`,
    "",
    holmSentence(s, split),
  ].join("\n");
}

/** The splits the summary compares variants on: the subject split first (the comparison's own), then the others. */
export function comparedSplits(s: StudySummary): string[] {
  const splits = [...new Set(s.comparisons.map((c) => c.split))];
  return splits.sort((a, b) => (a === "subject" ? -1 : b === "subject" ? 1 : a.localeCompare(b)));
}

/** Which differences survive Holm's adjustment over all the variants of the split (lib/ablations comparisonTests). */
export function holmSentence(s: StudySummary, split = "subject"): string {
  const tests = comparisonTests(s, split);
  const kept = tests.filter((t) => t.holm < 0.05).sort((a, b) => a.mean - b.mean);
  return kept.length
    ? `Corrected for testing ${tests.length} variant${tests.length === 1 ? "" : "s"} at once (Holm), ${kept.length === 1 ? "one difference stands" : `${kept.length} differences stand`}: ${kept.map((t) => `${t.variant} (${signedPoints(t.mean)} points, Holm p ${t.holm < 0.001 ? "< 0.001" : t.holm.toFixed(3)})`).join(", ")}.`
    : `Corrected for testing ${tests.length} variant${tests.length === 1 ? "" : "s"} at once (Holm), no difference to the paper's configuration stands.`;
}

/**
 * README's sentence on the comparisons (between its comparisons markers, by \`npm run readme\`): what matters most,
 * from the paired tests after Holm's adjustment, and the number of seeds.
 */
export function readmeComparison(s: StudySummary | undefined, split = "subject"): string {
  if (!s) return "The comparisons (notebook 07) are not committed yet: make them with `npm run study -- --variants …`.";
  const tests = comparisonTests(s, split);
  if (!tests.length) return "The comparisons (notebook 07) have fewer than two paired seeds per variant yet.";
  const seeds = Math.min(...s.comparisons.filter((c) => c.split === split).map((c) => c.seeds.length));
  const byEffect = [...tests].sort((a, b) => a.mean - b.mean);
  const worst = byEffect[0];
  const kept = tests.filter((t) => t.holm < 0.05);
  const nTests = `${tests.length} test${tests.length === 1 ? "" : "s"}`;
  const c = (v: string) => s.comparisons.find((k) => k.variant === v && k.split === split)!.accuracy;
  return (
    `**The comparisons the paper promised** (${tests.length} variants of one change each, ${seeds} seeds paired on unseen people, [figures/ablations.md](figures/ablations.md)): ` +
    `the largest effect is ${worst.variant}'s, ${signedPoints(worst.mean)} points of test accuracy ${signedInterval(c(worst.variant).t)}; ` +
    (kept.length
      ? `after Holm's correction for ${nTests}, ${kept.map((t) => `${t.variant} (${signedPoints(t.mean)})`).join(", ")} ${kept.length === 1 ? "differs" : "differ"} from the paper's configuration${tests.length > kept.length ? `, and the other ${tests.length - kept.length} cannot be told from it` : ""}.`
      : `after Holm's correction for ${nTests}, none can be told from the paper's configuration.`) +
    (split === "subject" ? randomSplitClause(s) : "")
  );
}

/** The variants also run on the paper's random split, if any: each difference and what survives Holm's correction there. */
function randomSplitClause(s: StudySummary): string {
  const tests = comparisonTests(s, "random");
  if (!tests.length) return "";
  const c = (v: string) => s.comparisons.find((k) => k.variant === v && k.split === "random")!;
  const seeds = Math.min(...tests.map((t) => c(t.variant).seeds.length));
  const each = tests.map((t) => `${t.variant} ${signedPoints(t.mean)} ${signedInterval(c(t.variant).accuracy.t)}`);
  const kept = tests.filter((t) => t.holm < 0.05).map((t) => t.variant);
  return (
    ` On the paper's random split (${seeds} seeds): ${each.join(", ")}; after Holm's correction for ${tests.length} test${tests.length === 1 ? "" : "s"}, ` +
    (kept.length
      ? `${kept.join(", ")} ${kept.length === 1 ? "differs" : "differ"} from the paper's configuration.`
      : `${tests.length === 2 ? "neither" : "none"} can be told from the paper's configuration.`)
  );
}

/** The facts this notebook's prose cites by name, beside lib/notebooks/facts.ts commonFacts (tied in cell metadata). */
export function proseFacts(): Record<string, number> {
  return {};
}
