/**
 * The prose of notebooks/06-study.ipynb: the study's tables. The computations are in lib/study.ts, lib/stats.ts and
 * lib/claims.ts; this file formats what they return.
 */
import * as fs from "fs";
import * as path from "path";
import { ROOT, STUDY } from "../paths";
import { loadSummary, type StudySummary, type ConditionSummary } from "../summary";
import type { Interval, Spread } from "../stats";
import { fmt, markdownTable, pct } from "../display/text";

/** Where the notebook's study comes from. */
export interface FoundStudy {
  summary: StudySummary;
  dir: string;
  kind: "committed" | "quick";
}

/** Read a study summary (the committed one, data/runs/study/summary.json, by default; checked: lib/summary.ts loadSummary), or undefined. */
export function findStudy(
  dirs: { dir: string; kind: FoundStudy["kind"] }[] = [{ dir: STUDY, kind: "committed" }],
): FoundStudy | undefined {
  for (const d of dirs) {
    const file = path.join(d.dir, "summary.json");
    if (fs.existsSync(file))
      return { summary: loadSummary(file), dir: d.dir, kind: d.kind };
  }
  return undefined;
}

/** One line saying which study the notebook shows. */
export function studyStatus(found: FoundStudy | undefined): string {
  if (!found)
    return "**No study yet.** Make one with `npm run study` (about two minutes per run on two cores), or run this notebook with `FER_QUICK=1` and CK+48 present for a two-seed quick study.";
  const runs = found.summary.splits.reduce((a, s) => a + s.runs.length, 0);
  const rel = path.relative(ROOT, found.dir) || found.dir;
  const named = new Set(found.summary.splits.map((x) => x.variant)).size > 1; // name the variant when there are several
  return found.kind === "committed"
    ? `The committed study \`${rel}/\`: ${runs} runs (${found.summary.splits.map((s) => `${named ? `${s.variant} ` : ""}${s.split} × ${s.runs.length} seeds`).join(", ")}).`
    : `A **quick study** made here (\`${rel}/\`: ${runs} runs of the smoke setting, a few images per class): it exercises the code, its numbers say nothing about the paper.`;
}

const iv = (i: Interval | null | undefined) => (i ? `[${pct(i.lo)}, ${pct(i.hi)}]` : "—");
const sp = (s: Spread) => `${pct(s.mean)} ± ${Number.isFinite(s.sd) ? pct(s.sd) : "—"}`;

/** Per split: the headline numbers over seeds with both intervals. */
export function splitTableMarkdown(s: StudySummary): string {
  return markdownTable(
    [
      "split",
      "seeds",
      "test accuracy (mean ± sd)",
      "95% t interval",
      "95% bootstrap",
      "balanced accuracy",
      "macro-F1",
      "range of runs",
      "minutes per run",
    ],
    s.splits.map((x) => [
      x.split,
      x.seeds.length,
      sp(x.accuracy),
      iv(x.accuracy.t),
      iv(x.accuracy.bootstrap),
      `${pct(x.balancedAccuracy.mean)} ${iv(x.balancedAccuracy.t)}`,
      `${pct(x.macroF1.mean)} ${iv(x.macroF1.t)}`,
      `${pct(x.accuracy.min)}–${pct(x.accuracy.max)}`,
      (x.seconds.mean / 60).toFixed(1),
    ]),
    ["l", "r", "r", "r", "r", "r", "r", "r", "r"],
  );
}

/** One run's accuracy with the two intervals for one test set: images as if independent, and people resampled. */
export function runIntervalsMarkdown(x: ConditionSummary): string {
  return markdownTable(
    [
      "seed",
      "correct",
      "accuracy",
      "Wilson 95% (images independent)",
      "cluster bootstrap 95% (people resampled)",
      "width ratio",
    ],
    x.runs.map((r) => [
      r.seed,
      `${r.correct}/${r.images}`,
      pct(r.accuracy),
      iv(r.wilson),
      iv(r.cluster),
      r.cluster ? ((r.cluster.hi - r.cluster.lo) / (r.wilson.hi - r.wilson.lo)).toFixed(2) : "—",
    ]),
    ["r", "r", "r", "r", "r", "r"],
  );
}

/** The identity-leak table: accuracy per group per split, and the paired random − subject gap. */
export function leakMarkdown(s: StudySummary): string {
  const names: Record<string, string> = {
    sequence: "another frame of its sequence is in training",
    subject: "only its person is in training",
    none: "its person is not in training",
  };
  const table = markdownTable(
    ["split", "test image whose…", "images per run", "test accuracy", "95% t interval"],
    s.splits.flatMap((x) =>
      x.leak.map((l) => [x.split, names[l.group], l.images.mean.toFixed(1), pct(l.accuracy.mean), iv(l.accuracy.t)]),
    ),
    ["l", "l", "r", "r", "r"],
  );
  const gaps = s.gaps.map(
    (g) =>
      `**${g.a} − ${g.b}**, paired by seed over ${g.seeds.length} seeds: ${pct(g.difference.mean)} points, 95% t interval ${iv(g.difference.t)}, bootstrap ${iv(g.difference.bootstrap)}.`,
  );
  return [table, "", ...gaps].join("\n");
}

/** Per-class accuracy over seeds, per split. */
export function perClassStudyMarkdown(s: StudySummary): string {
  const classes = s.splits[0]?.perClass.map((c) => c.class) ?? [];
  return markdownTable(
    ["class", ...s.splits.map((x) => `${x.split}: accuracy [95%]`), ...s.splits.map((x) => `${x.split}: AUC`)],
    classes.map((c, k) => [
      c,
      ...s.splits.map((x) => `${pct(x.perClass[k].accuracy.mean)} ${iv(x.perClass[k].accuracy.t)}`),
      ...s.splits.map((x) => fmt(x.perClass[k].auc.mean, 3)),
    ]),
    ["l", ...s.splits.map(() => "r" as const), ...s.splits.map(() => "r" as const)],
  );
}

/** The facts this notebook's prose cites by name, beside lib/notebooks/facts.ts commonFacts (tied in cell metadata). */
export function proseFacts(): Record<string, number> {
  return {};
}
