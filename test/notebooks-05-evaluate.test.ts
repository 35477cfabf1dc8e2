/**
 * lib/notebooks/05-evaluate.ts: the claims table, the per-class and misclassified tables, the summary and the
 * exercises' answers of notebook 05, on a synthetic run and on the committed run of record, against hand computations,
 * closed forms and tfjs' own loss (the run record's `test.loss` is what tfjs' `evaluate` reported).
 */
import { expect } from "chai";
import * as path from "path";
import { PAPER_RUN } from "../lib/paths";
import { loadRun, type RunRecord } from "../lib/record";
import { misclassified } from "../lib/evaluate";
import { makeRun } from "./fixtures/run";
import {
  accuracyInterval,
  claimRows,
  claimsMarkdown,
  confidenceMarkdown,
  evaluationSummary,
  handRocMarkdown,
  lossShare,
  majorityMarkdown,
  missMarkdown,
  missRows,
  perClassMarkdown,
  summaryMarkdown,
  wilsonMarkdown,
} from "../lib/notebooks/05-evaluate";

const record = (): RunRecord => loadRun(path.join(PAPER_RUN, "run.json"));

/** Wilson's score interval at 95 %, written out from its formula (z = 1.959964). */
function wilsonByHand(k: number, n: number): [number, number] {
  const z = 1.959964;
  const p = k / n;
  const c = (p + (z * z) / (2 * n)) / (1 + (z * z) / n);
  const h = (z / (1 + (z * z) / n)) * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  return [c - h, c + h];
}

describe("notebook 05: tables on a synthetic run", () => {
  const run = makeRun({ seed: 3 });

  it("claimRows puts the paper beside ours (— without a run), each claim where the paper makes it; misclassified lists every wrong prediction, most confident first", () => {
    const none = claimRows(undefined, 86911);
    expect(none[0]).to.deep.equal(["test loss (Table 1)", "0.5008", "—"]);
    expect(none[none.length - 1]).to.deep.equal(["trainable parameters (Fig 3)", "86,911", "86,911"]);
    const rows = claimRows(run);
    const labels = rows.map((r) => r[0]);
    expect(labels).to.include("non-anger predicted as anger (Section 3.2)");
    expect(labels).to.include("anger correct (Abstract)");
    expect(labels).to.include("sadness correct (Section 3.2, Fig 7)");
    for (const c of ["disgust", "fear", "happy", "surprise"])
      expect(rows.find((r) => r[0] === `${c} correct (Section 3.2, Fig 7)`)?.[1]).to.equal("> 90%");
    const correct = run.test.confusion.reduce((a, r, i) => a + r[i], 0);
    const misses = misclassified(run);
    expect(misses).to.have.length(run.split.test.length - correct);
    for (let i = 1; i < misses.length; i++) expect(misses[i - 1].pPredicted).to.be.at.least(misses[i].pPredicted);
    for (const m of misses) expect(m.predicted).not.to.equal(m.trueClass);
    expect(missRows(misses)[0].filter((c) => c.startsWith("**"))).to.have.length(1);
    expect(missMarkdown([])).to.match(/No test image/);
    expect(evaluationSummary(run)).to.include(`${correct}/${run.split.test.length}`);
    expect(perClassMarkdown(run).split("\n")).to.have.length(9);
    expect(claimsMarkdown(run)).to.include("| test accuracy (Table 1) |");
  });

  it("summaryMarkdown states k/n with the Wilson interval and says whether the paper's accuracy is inside it", () => {
    const a = accuracyInterval(run);
    const [lo, hi] = wilsonByHand(a.k, a.n);
    expect(a.lo).to.be.closeTo(lo, 1e-6);
    expect(a.hi).to.be.closeTo(hi, 1e-6);
    const md = summaryMarkdown(run);
    expect(md).to.include(`${a.k}/${a.n} = ${(100 * (a.k / a.n)).toFixed(1)}%`);
    expect(md).to.include(`${0.8325 >= a.lo && 0.8325 <= a.hi ? "inside" : "outside"} that interval`);
  });
});

describe("notebook 05: on the run of record", () => {
  it("lossShare: Eq. 1–2 on the stored probabilities give the loss tfjs reported; the misses' share by hand", () => {
    const run = record();
    const l = lossShare(run);
    expect(l.loss).to.be.closeTo(run.test.loss, 1e-4);
    let all = 0;
    let wrong = 0;
    for (const p of run.test.predictions) {
      const loss = -Math.log(Math.min(Math.max(p.probs[p.label], 1e-7), 1 - 1e-7));
      all += loss;
      if (p.probs.indexOf(Math.max(...p.probs)) !== p.label) wrong += loss;
    }
    expect(l.missShare).to.be.closeTo(wrong / all, 1e-4);
    expect(l.misses).to.equal(misclassified(run).length);
  });

  it("majorityMarkdown: the training part's largest class and its share of the test images", () => {
    const run = record();
    const counts = new Map<string, number>();
    for (const f of run.split.train) counts.set(f.split("/")[0], (counts.get(f.split("/")[0]) ?? 0) + 1);
    const [top] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0];
    const inTest = run.split.test.filter((f) => f.startsWith(`${top}/`)).length;
    const md = majorityMarkdown(run);
    expect(md).to.include(`*${top}*`);
    expect(md).to.include(
      `${inTest}/${run.split.test.length} = ${((100 * inTest) / run.split.test.length).toFixed(1)}%`,
    );
    expect(md).to.include("balanced accuracy 14.3%");
  });

  it("confidenceMarkdown: coverage and accuracy above a threshold, counted directly", () => {
    const run = record();
    const sure = run.test.predictions.filter((p) => Math.max(...p.probs) >= 0.9);
    const right = sure.filter((p) => p.probs.indexOf(Math.max(...p.probs)) === p.label).length;
    expect(confidenceMarkdown(run, 0.9)).to.include(`${sure.length} of ${run.test.predictions.length} test images`);
    expect(confidenceMarkdown(run, 0.9)).to.include(`${right} right`);
    expect(confidenceMarkdown(run, 0)).to.include("(100.0% coverage)");
  });
});

describe("notebook 05: the other exercises", () => {
  it("handRocMarkdown: the notebook's four images give AUC 3/4 by hand, the edited scores 4/4, a tie counts half", () => {
    const pos = [true, false, true, false];
    expect(handRocMarkdown([0.9, 0.8, 0.6, 0.3], pos)).to.include("AUC 0.750; pairs in the right order 3 of 4");
    expect(handRocMarkdown([0.9, 0.5, 0.6, 0.3], pos)).to.include("AUC 1.000; pairs in the right order 4 of 4");
    expect(handRocMarkdown([0.9, 0.6, 0.6, 0.3], pos)).to.include("AUC 0.875; pairs in the right order 3.5 of 4");
  });

  it("wilsonMarkdown: the same accuracy at other sizes, the interval narrowing about as 1/√n", () => {
    const md = wilsonMarkdown(178, 197, [50, 1000]);
    const [lo, hi] = wilsonByHand(904, 1000);
    expect(md).to.include(`| 904/1000 | ${(100 * lo).toFixed(1)}%–${(100 * hi).toFixed(1)}% |`);
    expect(md).to.include("| 178/197 (this test set) |");
    expect(md).to.include("| 45/50 |");
  });
});
