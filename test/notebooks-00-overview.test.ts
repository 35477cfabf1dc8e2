/**
 * lib/notebooks/00-overview.ts: the map of the notebooks against the paper's sections and the notebooks' own titles,
 * the headline over seeds against a hand-computed t interval and the summary's own intervals, the paired gap, the
 * exercises' answers and the summary of every notebook, on a synthetic study and on the committed one.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { NOTEBOOKS } from "../lib/paths";
import { PAPER_RESULTS } from "../lib/config";
import { summarizeStudy, type StudySummary } from "../lib/summary";
import { readmeFindings } from "../lib/findings";
import type { FoundRun } from "../lib/runs";
import {
  NOTEBOOK_MAP,
  committedResults,
  headline,
  headlineMarkdown,
  levelsMarkdown,
  oneRunMarkdown,
  overviewSummaryMarkdown,
  pairedGap,
  pairedMarkdown,
  paperAgainstMarkdown,
} from "../lib/notebooks/00-overview";
import { makeStudyRuns } from "./fixtures/study";
import { makeRun } from "./fixtures/run";

/** The paper's sections, as its table of contents has them (the list), per notebook. */
const SECTIONS: Record<string, string[]> = {
  "01-data": ["2.1"],
  "02-model": ["2.2", "2.2.1"],
  "03-optim": ["2.2.2", "2.2.3"],
  "04-train": ["2.3"],
  "05-evaluate": ["3.1", "3.2", "3.3"],
};
/** "2.2.2–2.2.3" → ["2.2.2", "2.2.3"]; "3.1–3.3" → ["3.1", "3.2", "3.3"]; "2.2–2.2.1" → ["2.2", "2.2.1"]. */
function sections(s: string): string[] {
  return s.split(/,\s*/).flatMap((part) => {
    const m = /^(\d+(?:\.\d+)*)(?:–(\d+(?:\.\d+)*))?/.exec(part.trim());
    if (!m) return [];
    if (!m[2]) return [m[1]];
    const [a, b] = [m[1].split("."), m[2].split(".")];
    if (a.length !== b.length) return [m[1], m[2]]; // "2.2–2.2.1": a section and its first subsection
    const head = a.slice(0, -1).join(".");
    const out: string[] = [];
    for (let i = Number(a[a.length - 1]); i <= Number(b[b.length - 1]); i++)
      out.push(head ? `${head}.${i}` : String(i));
    return out;
  });
}

describe("notebook 00: the map of the notebooks", () => {
  it("lists every notebook once, in order", () => {
    const files = fs.readdirSync(NOTEBOOKS).filter((f) => f.endsWith(".ipynb"));
    expect(NOTEBOOK_MAP.map((n) => n.file)).to.deep.equal(files.sort());
  });

  it("gives notebooks 01–05 the paper's sections: data 2.1, model 2.2/2.2.1, loss 2.2.2, RMSprop 2.2.3, protocol 2.3, results 3.1–3.3", () => {
    for (const [name, want] of Object.entries(SECTIONS)) {
      const row = NOTEBOOK_MAP.find((n) => n.file === `${name}.ipynb`);
      expect(sections(row?.section ?? ""), name).to.deep.equal(want);
    }
  });

  it("agrees with each notebook's own title: every section its title names is in the map", () => {
    let checked = 0;
    for (const n of NOTEBOOK_MAP) {
      const nb = JSON.parse(fs.readFileSync(path.join(NOTEBOOKS, n.file), "utf8")) as { cells: { source: string[] }[] };
      const title = nb.cells[0].source.join("").split("\n")[0];
      const named = /\(Sections? ([\d.–]+(?:,\s*[\d.–]+)*)/.exec(title)?.[1];
      if (!named) continue;
      checked++;
      expect(sections(named), title).not.to.deep.equal([]);
      for (const s of sections(named)) expect(sections(n.section), `${n.file}: ${title}`).to.include(s);
    }
    expect(checked, "titles that name a section").to.be.at.least(4);
  });
});

describe("notebook 00: the headline over seeds", () => {
  const study = summarizeStudy(makeStudyRuns([0, 1, 2, 3, 4]));

  it("headline's interval at 95% is the summary's own t interval (lib/summary), and a hand-computed one for two seeds", () => {
    for (const split of ["random", "subject"] as const) {
      const h = headline(study, split)!;
      const c = study.splits.find((s) => s.split === split)!;
      expect(h.mean).to.be.closeTo(c.accuracy.mean, 1e-12);
      expect(h.interval!.lo).to.be.closeTo(c.accuracy.t!.lo, 1e-12);
      expect(h.interval!.hi).to.be.closeTo(c.accuracy.t!.hi, 1e-12);
    }
    // Two seeds at 0.80 and 0.90: mean 0.85, sd 0.1/√2, t(0.975, 1) = 12.7062; half-width 12.7062·sd/√2 = 0.63531.
    const two = {
      ...study,
      splits: [
        {
          ...study.splits[0],
          runs: [0.8, 0.9].map((accuracy, seed) => ({ ...study.splits[0].runs[0], seed, accuracy })),
        },
      ],
    } as StudySummary;
    const h = headline(two, study.splits[0].split)!;
    expect(h.interval!.lo).to.be.closeTo(0.85 - 0.63531, 1e-4);
    expect(h.interval!.hi).to.equal(1); // clipped: an accuracy cannot exceed 1
    expect(h.paper).to.equal("inside");
  });

  it("says where the paper's accuracy falls, and the interval widens with the level", () => {
    const h = headline(study, "random")!;
    const p = PAPER_RESULTS.testAccuracy;
    expect(h.paper).to.equal(p < h.interval!.lo ? "below" : p > h.interval!.hi ? "above" : "inside");
    const widths = [0.8, 0.95, 0.99].map((l) => {
      const iv = headline(study, "random", l)!.interval!;
      return iv.hi - iv.lo;
    });
    expect(widths[0]).to.be.below(widths[1]);
    expect(widths[1]).to.be.below(widths[2]);
    const md = levelsMarkdown(study, "random", [0.99, 0.9, 0.95, 0.95]);
    expect(
      md
        .split("\n")
        .filter((l) => /^\| \d/.test(l))
        .map((l) => l.split(" | ")[0]),
    ).to.deep.equal(["| 90%", "| 95%", "| 99%"]);
  });

  it("pairedGap is random − subject seed by seed: the summary's paired gap (lib/stats pairedDifference)", () => {
    const g = pairedGap(study, "random", "subject")!;
    const s = study.gaps.find((x) => x.variant === "paper")!;
    expect(g.seeds).to.deep.equal(s.seeds);
    expect(g.mean).to.be.closeTo(s.difference.mean, 1e-12);
    expect(g.interval!.lo).to.be.closeTo(s.difference.t!.lo, 1e-12);
    const acc = (split: string, seed: number) =>
      study.splits.find((c) => c.split === split)!.runs.find((r) => r.seed === seed)!.accuracy;
    expect(g.diffs[2]).to.be.closeTo(acc("random", 2) - acc("subject", 2), 1e-12);
    const md = pairedMarkdown(study, "random", "subject");
    expect(md).to.include(`on **${g.diffs.filter((d) => d > 0).length} of 5** seeds`);
    expect(pairedMarkdown(study, "random", "subject-cv")).to.match(/no seeds run on both/);
  });

  it("a run's Wilson interval is the closed form (Wilson 1927, at 95%)", () => {
    const run = makeRun({ seed: 0 });
    const k = run.test.confusion.reduce((a, row, i) => a + row[i], 0);
    const n = run.test.predictions.length;
    const z = 1.959963985;
    const p = k / n;
    const centre = (p + (z * z) / (2 * n)) / (1 + (z * z) / n);
    const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / (1 + (z * z) / n);
    const md = oneRunMarkdown(run, study);
    expect(md).to.include(`${(100 * (centre - half)).toFixed(1)}%–${(100 * (centre + half)).toFixed(1)}%`);
    expect(headlineMarkdown(study, 0.95, run)).to.include(`(${k}/${n}), Wilson 95% interval`);
    expect(oneRunMarkdown(undefined, study)).to.match(/No run record/);
  });

  it("answers without a study say so instead of failing", () => {
    expect(headlineMarkdown(undefined)).to.match(/No study is committed/);
    expect(paperAgainstMarkdown(undefined, "random")).to.match(/No study/);
    expect(levelsMarkdown(undefined, "random", [0.95])).to.match(/No study/);
  });
});

describe("notebook 00: the summary of every notebook", () => {
  it("has one row per notebook 01–08; what is not committed says so; Eq. 2 on the stored probabilities is the record's loss", () => {
    const record = makeRun({ seed: 0 });
    const run: FoundRun = { file: "x/run.json", record, kind: "record", note: "" };
    const md = overviewSummaryMarkdown({ run, study: summarizeStudy(makeStudyRuns([0, 1, 2])) }, 86911);
    const rows = md.split("\n").slice(2);
    expect(rows.map((r) => r.split(" | ")[0])).to.deep.equal(
      ["01-data", "02-model", "03-optim", "04-train", "05-evaluate", "06-study", "07-ablations", "08-explain"].map(
        (n) => `| ${n}`,
      ),
    );
    expect(rows[2]).to.include(
      `${record.test.loss.toFixed(4)} (the record's test loss ${record.test.loss.toFixed(4)})`,
    );
    expect(rows[6]).to.include("not committed yet");
    expect(rows[7]).to.include("not committed yet");
  });

  it("on the committed study, the headline's numbers are the README's (readmeFindings reads the stored intervals)", function () {
    const c = committedResults();
    if (!c.study) return this.skip();
    const random = c.study.splits.find((s) => s.variant === "paper" && s.split === "random")!;
    const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
    const iv = `${pct(random.accuracy.mean)} (95% interval ${pct(random.accuracy.t!.lo)}–${pct(random.accuracy.t!.hi)}, ${random.accuracy.n} seeds)`;
    expect(readmeFindings(c.study)).to.include(iv);
    expect(overviewSummaryMarkdown(c, 86911)).to.include(`random split ${iv}`);
  });
});
