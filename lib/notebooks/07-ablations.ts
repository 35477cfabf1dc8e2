/**
 * The prose of notebooks/07-ablations.ipynb: the variants and what their comparison found. The computations are in
 * lib/ablations.ts and lib/study.ts; this file formats what they return.
 */
import { listingHtml } from "../display/listing";
import * as path from "path";
import { PAPER, type ProtocolConfig } from "../config";
import { ABLATIONS } from "../paths";
import { findSummary, type StudySummary } from "../summary";
import {
  applyOverrides,
  comparisonTests,
  configDiff,
  HOLM_LEVEL,
  variantParameters,
  VARIANTS,
  verdictOf,
  type ComparisonTest,
  type ComparisonVerdict,
  type Overrides,
} from "../ablations";
import { parametersByHand } from "../model";
import { markdownTable, signedInterval, signedPoints } from "../display/text";

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

const pText = (p: number) => (p < 0.001 ? "< 0.001" : p.toFixed(3));
const levelText = (alpha: number) => `${+(100 * alpha).toFixed(2)}%`;

/**
 * What the comparison found on a split, in sentences computed from the summary, by {@link verdictOf}'s rule at
 * `alpha`: better, worse, cannot be told apart, each with its mean paired difference, its unadjusted 95 % t interval,
 * p and Holm's p; then the differences whose unadjusted interval excludes zero but that do not survive Holm's
 * adjustment, and the largest average effect.
 */
export function findingsMarkdown(s: StudySummary, split = "subject", alpha = HOLM_LEVEL): string {
  const tests = comparisonTests(s, split);
  if (!tests.length) return `No comparison on the ${split} split yet (it needs at least two paired seeds per variant).`;
  const cs = tests.map((t) => ({ t, c: s.comparisons.find((k) => k.variant === t.variant && k.split === split)! }));
  const line = ({ t, c }: (typeof cs)[number]) =>
    `${t.variant} ${signedPoints(t.mean)} points ${signedInterval(c.accuracy.t)}, p ${pText(t.p)}, Holm p ${pText(t.holm)}`;
  const of = (v: ComparisonVerdict) => cs.filter((x) => verdictOf(x.t, alpha) === v);
  const list = (xs: typeof cs) => (xs.length ? xs.map(line).join("; ") : "none");
  const notKept = cs.filter((x) => verdictOf(x.t, alpha) === "cannot be told apart" && x.t.p < alpha);
  const biggest = [...cs].sort((a, b) => Math.abs(b.t.mean) - Math.abs(a.t.mean))[0];
  const m = tests.length;
  return [
    `On the ${split} split, paired by seed (${cs[0].c.seeds.length} seeds): ${m === 1 ? "the one variant" : `each of the ${m} variants`} against the paper's configuration by a paired t test of its per-seed differences in test accuracy, ${m === 1 ? "its p-value Holm-adjusted over one test (that is, unchanged)" : `the p-values Holm-adjusted over the ${m}`}. **The rule: better or worse when the Holm-adjusted p is below ${alpha} (${levelText(alpha)} family-wise), else cannot be told apart.** Each variant: mean difference [unadjusted 95% t interval], p, Holm p.`,
    "",
    `- **better**: ${list(of("better"))};`,
    `- **worse**: ${list(of("worse"))};`,
    `- **cannot be told apart**: ${list(of("cannot be told apart"))}.`,
    "",
    notKept.length
      ? `${notKept.map((x) => x.t.variant).join(" and ")} ${notKept.length === 1 ? "has an unadjusted interval" : "have unadjusted intervals"} that exclude${notKept.length === 1 ? "s" : ""} zero (p < ${alpha}) but ${notKept.length === 1 ? "does" : "do"} not survive Holm's adjustment: with ${m} tests at ${alpha}, ${(m * alpha).toFixed(2)} such intervals are expected by chance even if no variant mattered. Suggestive, not established.`
      : `No unadjusted interval excludes zero without also surviving Holm's adjustment: the rule and the intervals agree here.`,
    "",
    `The largest average effect is ${biggest.t.variant}'s, ${signedPoints(biggest.t.mean)} points of test accuracy.`,
  ].join("\n");
}

/** The splits the summary compares variants on: the subject split first (the comparison's own), then the others. */
export function comparedSplits(s: StudySummary): string[] {
  const splits = [...new Set(s.comparisons.map((c) => c.split))];
  return splits.sort((a, b) => (a === "subject" ? -1 : b === "subject" ? 1 : a.localeCompare(b)));
}

/** Which differences survive Holm's adjustment at `alpha` over all the variants of the split (lib/ablations comparisonTests). */
export function holmSentence(s: StudySummary, split = "subject", alpha = HOLM_LEVEL): string {
  const tests = comparisonTests(s, split);
  const kept = tests.filter((t) => t.holm < alpha).sort((a, b) => a.mean - b.mean);
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
  const kept = tests.filter((t) => t.holm < HOLM_LEVEL);
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
  const kept = tests.filter((t) => t.holm < HOLM_LEVEL).map((t) => t.variant);
  return (
    ` On the paper's random split (${seeds} seeds): ${each.join(", ")}; after Holm's correction for ${tests.length} test${tests.length === 1 ? "" : "s"}, ` +
    (kept.length
      ? `${kept.join(", ")} ${kept.length === 1 ? "differs" : "differ"} from the paper's configuration.`
      : `${tests.length === 2 ? "neither" : "none"} can be told from the paper's configuration.`)
  );
}

/** The paths of the leaves of an overrides object ("arch.dense"; an array counts as one leaf). */
function leafPaths(o: unknown, prefix = ""): string[] {
  if (typeof o !== "object" || o === null || Array.isArray(o)) return [prefix];
  return Object.entries(o).flatMap(([k, v]) => leafPaths(v, prefix ? `${prefix}.${k}` : k));
}

const value = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));

/** A configuration's diff against PAPER as Markdown rows: field, the paper's value, the variant's. */
function diffTable(config: ProtocolConfig, base: ProtocolConfig = PAPER): string {
  const d = configDiff(base, config);
  return d.length
    ? markdownTable(
        ["field", "paper", "variant"],
        d.map((c) => [`\`${c.field}\``, value(c.from), value(c.to)]),
        ["l", "r", "r"],
      )
    : "No field differs from PAPER: this is the paper's configuration.";
}

/**
 * Exercise: every variant's diff against PAPER (the fields its overrides really change, leaf by leaf), and the
 * parameter count; then the fields of `name` in detail. A "one-change" variant may change several fields when one
 * idea needs them (an optimiser comes with its own learning rate; a wider network has more filters in every layer).
 */
export function variantDiffAnswer(name: string): string {
  const params = variantParameters();
  const rows = VARIANTS.filter((v) => v.name !== "paper").map((v) => {
    const d = configDiff(PAPER, applyOverrides(PAPER, v.overrides));
    return [
      `**${v.name}**`,
      d.length,
      d.map((c) => `\`${c.field}\``).join(", "),
      params[v.name].toLocaleString("en-US"),
    ];
  });
  const v = VARIANTS.find((x) => x.name === name);
  const changed = v ? configDiff(PAPER, applyOverrides(PAPER, v.overrides)).map((c) => c.field) : [];
  const same = v ? leafPaths(v.overrides).filter((f) => !changed.some((c) => c === f || c.startsWith(`${f}.`))) : [];
  return [
    markdownTable(["variant", "fields changed", "which", "parameters"], rows, ["l", "r", "l", "r"]),
    "",
    v
      ? `**${name}** against PAPER. Why: ${v.why}\n\n${diffTable(applyOverrides(PAPER, v.overrides))}` +
        (same.length
          ? `\n\nIts overrides also name ${same.map((f) => `\`${f}\``).join(", ")}, at the paper's own value: no change, stated to make the variant's setting explicit.`
          : "")
      : `There is no variant named ${name} (one of: ${VARIANTS.map((x) => x.name).join(", ")}).`,
    "",
    `${rows.filter((r) => r[1] === 1).length} of the ${rows.length} variants change exactly one field.`,
  ].join("\n");
}

/**
 * Exercise: a new variant, before it is run: its diff against PAPER, its parameter count beside the paper's, the
 * entry to add to `VARIANTS` in lib/ablations.ts, and the command that runs it paired with the committed seeds.
 */
export function newVariantAnswer(v: { name: string; why?: string; overrides: Overrides }): string {
  const config = applyOverrides(PAPER, v.overrides);
  const count = (c: ProtocolConfig) => parametersByHand(c).reduce((a, r) => a + r.params, 0);
  const exists = VARIANTS.some((x) => x.name === v.name);
  const d = configDiff(PAPER, config);
  return [
    `**${v.name}**: ${d.length} field${d.length === 1 ? "" : "s"} differ${d.length === 1 ? "s" : ""} from PAPER${d.length === 1 ? " (a one-change variant)" : ""}.`,
    "",
    diffTable(config),
    "",
    `Parameters: ${count(config).toLocaleString("en-US")} (the paper's ${count(PAPER).toLocaleString("en-US")}).`,
    "",
    exists
      ? `A variant named ${v.name} is already in \`VARIANTS\`: pick another name.`
      : `To run it, add to \`VARIANTS\` in lib/ablations.ts:\n\n${listingHtml(`{ name: ${JSON.stringify(v.name)}, why: ${JSON.stringify(v.why ?? "…why a reviewer would ask…")}, overrides: ${JSON.stringify(v.overrides)} },`, "ts")}\n\nthen \`npm run study -- --variants ${v.name} --splits subject --seeds 0-4 --out data/runs/ablations --resume\` (the same seeds as the committed comparisons, so it is paired with \`paper\`), and \`npm run study -- --merge --out data/runs/ablations\`: the summary, the forest plot and the README sentence pick it up.`,
  ].join("\n");
}

/** Exercise: the verdict of every variant compared on `split`, beside its verdict on the subject split (each split its own Holm family). */
export function splitVerdictsAnswer(s: StudySummary, split: string, alpha = HOLM_LEVEL): string {
  const here = comparisonTests(s, split);
  if (!here.length)
    return `No comparison on the ${split} split (compared splits: ${comparedSplits(s).join(", ") || "none"}).`;
  const subject = comparisonTests(s, "subject");
  const c = (v: string, sp: string) => s.comparisons.find((k) => k.variant === v && k.split === sp)!.accuracy;
  const cell = (t: ComparisonTest | undefined, sp: string) =>
    t
      ? `${signedPoints(t.mean)} ${signedInterval(c(t.variant, sp).t)}, Holm p ${pText(t.holm)}: **${verdictOf(t, alpha)}**`
      : "not run";
  const rows = here.map((t) => [
    t.variant,
    cell(t, split),
    cell(
      subject.find((u) => u.variant === t.variant),
      "subject",
    ),
  ]);
  const changed = here.filter((t) => {
    const u = subject.find((x) => x.variant === t.variant);
    return u && verdictOf(u, alpha) !== verdictOf(t, alpha);
  });
  return [
    markdownTable(
      [
        "variant",
        `${split} split (${here.length} in its Holm family)`,
        `subject split (${subject.length} in its family)`,
      ],
      rows,
      ["l", "r", "r"],
    ),
    "",
    split === "subject"
      ? "That is the comparison's own split; set the split to `random` to see the variants also run there."
      : changed.length
        ? `The verdict changes with the split for ${changed.map((t) => t.variant).join(", ")}. On the random split most test images have a sibling frame in training (notebook 06), so a change that helps memorise faces can look like progress there and not on new people.`
        : "No verdict changes with the split.",
  ].join("\n");
}

/**
 * Exercise: which comparisons of `split` survive at `alpha` (Holm), and for several levels the variants called
 * different with no correction, Holm's and Bonferroni's (p × m): Holm keeps at least what Bonferroni keeps.
 */
export function holmLevelsAnswer(
  s: StudySummary,
  split = "subject",
  alpha = HOLM_LEVEL,
  levels = [0.01, 0.05, 0.1, 0.2],
): string {
  const tests = comparisonTests(s, split);
  if (!tests.length) return `No comparison on the ${split} split.`;
  const m = tests.length;
  const names = (xs: ComparisonTest[]) => (xs.length ? xs.map((t) => t.variant).join(", ") : "none");
  const at = (a: number) => [
    levelText(a),
    names(tests.filter((t) => t.p < a)),
    names(tests.filter((t) => Math.min(1, t.p * m) < a)),
    names(tests.filter((t) => t.holm < a)),
  ];
  const all = [...new Set([...levels, alpha])].sort((a, b) => a - b);
  return [
    `At ${alpha} on the ${split} split (Holm over ${m}): **${names(tests.filter((t) => t.holm < alpha))}** ${tests.filter((t) => t.holm < alpha).length === 1 ? "differs" : "differ"} from the paper's configuration.`,
    "",
    markdownTable(
      ["level", "no correction (p < level)", "Bonferroni (p × m < level)", "Holm (adjusted p < level)"],
      all.map(at),
      ["r", "l", "l", "l"],
    ),
    "",
    markdownTable(
      ["variant", "p", "Holm p"],
      [...tests].sort((a, b) => a.p - b.p).map((t) => [t.variant, pText(t.p), pText(t.holm)]),
      ["l", "r", "r"],
    ),
  ].join("\n");
}

/**
 * The notebook's Summary, computed: what was compared, the rule, the verdicts on the subject split with their
 * numbers, capacity (the widest and narrowest variants' parameters and effects), and the variants also run on the
 * random split with their verdicts there.
 */
export function summaryMarkdown(s: StudySummary | undefined, alpha = HOLM_LEVEL): string {
  if (!s) return "No comparisons committed yet (`data/runs/ablations/summary.json`).";
  const tests = comparisonTests(s, "subject");
  if (!tests.length) return "No comparison on the subject split yet.";
  const c = (v: string, sp: string) => s.comparisons.find((k) => k.variant === v && k.split === sp)!;
  const seeds = Math.min(...tests.map((t) => c(t.variant, "subject").seeds.length));
  const item = (t: ComparisonTest, sp: string) =>
    `${t.variant} ${signedPoints(t.mean)} points ${signedInterval(c(t.variant, sp).accuracy.t)} (Holm p ${pText(t.holm)})`;
  const by = (ts: ComparisonTest[], v: ComparisonVerdict) => ts.filter((t) => verdictOf(t, alpha) === v);
  const differ = [...by(tests, "worse"), ...by(tests, "better")];
  const notKept = by(tests, "cannot be told apart").filter((t) => t.p < alpha);
  const params = variantParameters();
  const cap = ["wide", "narrow"].map((v) => tests.find((t) => t.variant === v)).filter((t): t is ComparisonTest => !!t);
  const random = comparisonTests(s, "random");
  const lines = [
    `- **${tests.length} variants × ${seeds} seeds** on the subject split, each the paper's configuration with one change, paired by seed. The rule: better or worse when the paired t test's Holm-adjusted p is below ${alpha}.`,
    `- **Differ from the paper's configuration**: ${differ.length ? differ.map((t) => `${item(t, "subject")}, ${verdictOf(t, alpha)}`).join("; ") : "none"}. The other ${tests.length - differ.length} cannot be told apart from it${notKept.length ? `, ${notKept.map((t) => t.variant).join(" and ")} included, although ${notKept.length === 1 ? "its" : "their"} unadjusted 95% interval excludes zero` : ""}.`,
    cap.length
      ? `- **Capacity**: ${cap.map((t) => `${t.variant} (${params[t.variant].toLocaleString("en-US")} parameters, ${(params[t.variant] / params.paper).toFixed(2)}× the paper's) ${signedPoints(t.mean)} points ${signedInterval(c(t.variant, "subject").accuracy.t)}`).join("; ")}.`
      : "",
    random.length
      ? `- **On the paper's random split** (${Math.min(...random.map((t) => c(t.variant, "random").seeds.length))} seeds, its own Holm family of ${random.length}): ${random.map((t) => `${item(t, "random")}, ${verdictOf(t, alpha)}`).join("; ")}; on the subject split the same variants are ${random
          .map((t) => {
            const u = tests.find((x) => x.variant === t.variant);
            return u ? `${t.variant} ${signedPoints(u.mean)}, ${verdictOf(u, alpha)}` : `${t.variant} not run`;
          })
          .join("; ")}.`
      : "",
  ];
  return lines.filter(Boolean).join("\n");
}

/** The facts this notebook's prose cites by name, beside lib/notebooks/facts.ts commonFacts (tied in cell metadata). */
export function proseFacts(): Record<string, number> {
  const s = findSummary(path.join(ABLATIONS, "summary.json"));
  const seeds = s ? Math.min(...s.comparisons.map((c) => c.seeds.length)) : NaN;
  return {
    "ablations.variants": VARIANTS.length - 1, // every variant but the reference
    "ablations.level": HOLM_LEVEL,
    "ablations.seeds": seeds,
  };
}
