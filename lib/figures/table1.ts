/**
 * Table 1 of the paper: test loss and accuracy of the best model, the paper's values beside ours, plus per-class
 * accuracy (the paper states it for anger and sadness). Pure: run record → rows → Markdown / CSV.
 */
import { correctFromConfusion } from "../evaluate";
import type { RunRecord } from "../record";
import { PAPER_RESULTS, type PaperClaims } from "../config";

/** One row of Table 1: a metric, the paper's value (null where the paper states none) and ours. */
export interface Table1Row {
  /** Machine name, the CSV key: "test_loss", "test_accuracy", "test_correct", "accuracy_<class>". */
  key: string;
  /** Human name for Markdown. */
  metric: string;
  paper: number | null;
  ours: number;
  /** Test images behind the number (whole test set, or the class's support). */
  n: number;
}

/** The rows of Table 1: test loss, accuracy, correct count, then one accuracy row per class. */
export function table1Rows(run: RunRecord, paper: PaperClaims = PAPER_RESULTS): Table1Row[] {
  const t = run.test;
  const n = t.confusion.reduce((a, r) => a + r.reduce((x, y) => x + y, 0), 0);
  const correct = correctFromConfusion(t.confusion);
  const rows: Table1Row[] = [
    { key: "test_loss", metric: "Test loss", paper: paper.testLoss, ours: t.loss, n },
    { key: "test_accuracy", metric: "Test accuracy", paper: paper.testAccuracy, ours: t.accuracy, n },
    { key: "test_correct", metric: "Correct test images", paper: paper.testCorrect, ours: correct, n },
  ];
  for (const c of t.perClass) {
    rows.push({
      key: `accuracy_${c.class}`,
      metric: `Accuracy: ${c.class}`,
      paper: paper.perClassAccuracy[c.class] ?? null,
      ours: c.accuracy,
      n: c.support,
    });
  }
  return rows;
}

function fmt(row: Table1Row, v: number | null): string {
  if (v === null) return "";
  if (row.key === "test_correct") return String(v);
  return v.toFixed(4);
}

/** Table 1 as Markdown: paper vs ours with the difference, then per-class accuracy. */
export function table1Markdown(run: RunRecord, paper: PaperClaims = PAPER_RESULTS): string {
  const rows = table1Rows(run, paper);
  const diff = (r: Table1Row) =>
    r.paper === null ? "" : (r.ours - r.paper >= 0 ? "+" : "−") + fmt(r, Math.abs(r.ours - r.paper));
  const line = (r: Table1Row) =>
    `| ${r.metric} | ${r.n} | ${r.paper === null ? "—" : fmt(r, r.paper)} | ${fmt(r, r.ours)} | ${diff(r) || "—"} |`;
  const head = ["| Metric | Test images | Paper | Ours | Ours − paper |", "|---|---:|---:|---:|---:|"];
  const L = [
    "# Table 1. Test results of the best model",
    "",
    `Best fold ${run.bestFold + 1} of ${run.folds.length}; ${run.config.split} split; seed ${run.seed}; backend ${run.backend}.`,
    "",
    ...head,
    ...rows.slice(0, 3).map(line),
    "",
    `Per-class accuracy (fraction of each class's test images predicted correctly; the paper states it for some classes only: anger's ${(100 * (PAPER_RESULTS.perClassAccuracy.anger ?? NaN)).toFixed(1)} % in the abstract, the others in Section 3.2's text on Fig 7):`,
    "",
    ...head,
    ...rows.slice(3).map(line),
    "",
  ];
  return L.join("\n");
}

function csvField(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Table 1 as CSV: `key,metric,n,paper,ours` (paper empty where the paper states no value); full precision. */
export function table1Csv(run: RunRecord, paper: PaperClaims = PAPER_RESULTS): string {
  const rows = table1Rows(run, paper);
  const L = [
    "key,metric,n,paper,ours",
    ...rows.map((r) =>
      [r.key, csvField(r.metric), String(r.n), r.paper === null ? "" : String(r.paper), String(r.ours)].join(","),
    ),
  ];
  return L.join("\n") + "\n";
}
