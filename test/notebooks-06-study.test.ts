/**
 * lib/notebooks/06-study.ts: the study notebook's tables, summary and exercise answers, against hand-computed cases
 * and closed forms (Student-t table values, Wilson's interval at a known n), on synthetic summaries and run records;
 * and against the committed study (data/runs/study, run records only, no CK+48).
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { argmax } from "../lib/arrays";
import { claimsLedger, ledgerFacts } from "../lib/claims";
import { STUDY } from "../lib/paths";
import { runRecordJson } from "../lib/record";
import { seedsForHalfWidth, seedsToShrink, spread, tHalfWidth, wilson, wilsonEquivalentN } from "../lib/stats";
import { studyJobs, studyRecord, studyRecords } from "../lib/study";
import { pooledLeak, summarizeStudy, type ConditionSummary, type RunSummary, type StudySummary } from "../lib/summary";
import {
  effectiveImagesAnswer,
  jobsMarkdown,
  leakGroupAnswer,
  leakMarkdown,
  proseFacts,
  seedsAnswer,
  singleRunAnswer,
  summaryMarkdown,
  twoIntervalsMarkdown,
  testPeople,
  widthRatio,
  widthRatioMarkdown,
  widthRatios,
} from "../lib/notebooks/06-study";
import { makeRun } from "./fixtures/run";
import { makeStudyRuns } from "./fixtures/study";

/** The synthetic study of test/fixtures/study.ts (five seeds, random and subject), summarised once for the whole file. */
let cached: StudySummary | undefined;
const fixture = (): StudySummary => (cached ??= summarizeStudy(makeStudyRuns()));

/** A run summary with the given accuracy, Wilson and cluster intervals (the rest is filler). */
function run(seed: number, lo: number, hi: number, clo: number, chi: number, accuracy = 0.8): RunSummary {
  return {
    variant: "paper",
    split: "subject",
    seed,
    images: 200,
    correct: Math.round(200 * accuracy),
    accuracy,
    balancedAccuracy: accuracy,
    macroF1: accuracy,
    loss: 0.5,
    wilson: { lo, hi },
    cluster: { lo: clo, hi: chi },
    epochs: [10],
    foldAccuracies: [accuracy],
    seconds: 60,
  };
}

/** A summary of the paper's configuration with the given conditions (the rest of each condition from a fixture). */
function withRuns(byS: Record<string, RunSummary[]>): StudySummary {
  const base = fixture();
  const template = base.splits[0];
  return {
    ...base,
    splits: Object.entries(byS).map(([split, runs]) => ({ ...template, split, runs }) as ConditionSummary),
  };
}

describe("notebook 06: the cluster bootstrap against Wilson's interval", () => {
  it("the width ratio is the cluster interval's width over Wilson's, per run; per split its range, median and count", () => {
    expect(widthRatio(run(0, 0.75, 0.85, 0.7, 0.9))).to.be.closeTo(2, 1e-12);
    expect(widthRatio({ ...run(0, 0.75, 0.85, 0, 0), cluster: null })).to.be.NaN;
    const s = withRuns({
      random: [run(0, 0.8, 0.9, 0.8, 0.898), run(1, 0.8, 0.9, 0.8, 0.91), run(2, 0.8, 0.9, 0.8, 0.912)],
      subject: [run(0, 0.7, 0.8, 0.65, 0.8), run(1, 0.7, 0.8, 0.65, 0.82)],
    });
    const [r, sub] = widthRatios(s);
    expect(r.split).to.equal("random");
    expect([r.min, r.median, r.max].map((x) => +x.toFixed(6))).to.deep.equal([0.98, 1.1, 1.12]);
    expect(r.wider).to.equal(2);
    expect([sub.min, sub.max].map((x) => +x.toFixed(6))).to.deep.equal([1.5, 1.7]);
    const md = widthRatioMarkdown(s);
    expect(md).to.include(
      "- **random**: the cluster bootstrap is 0.98–1.12× Wilson's width (median 1.10): only slightly wider, if at all (wider in 2 of 3 runs).",
    );
    expect(md).to.include(
      "- **subject**: the cluster bootstrap is 1.50–1.70× Wilson's width (median 1.60): clearly wider in every run.",
    );
  });

  it("the effective number of images is the n at which Wilson's interval is as wide as the cluster bootstrap's", () => {
    // a cluster interval exactly as wide as Wilson's at n = 50 independent images: the effective n is 50
    const at50 = wilson(40, 50);
    const r = { ...run(0, 0, 0, at50.lo, at50.hi), ...{ wilson: wilson(160, 200) } };
    expect(wilsonEquivalentN(0.8, at50.hi - at50.lo)).to.be.closeTo(50, 1e-6);
    // a cluster interval as wide as Wilson's own: the images count as independent
    const own = wilson(160, 200);
    expect(wilsonEquivalentN(0.8, own.hi - own.lo)).to.be.closeTo(200, 1e-6);
    const s = withRuns({ subject: [{ ...r, seed: 4 }] });
    const record = makeRun({ seed: 4 });
    record.test.predictions.forEach((p, i) => (p.file = `anger/S${100 + (i % 10)}_001_0000000${i % 3}.png`));
    expect(testPeople(record)).to.equal(10);
    const text = effectiveImagesAnswer(s, "subject", 4, record);
    expect(text).to.include("**n ≈ 50** independent images");
    expect(text).to.include("(design effect 4.00)");
    expect(text).to.include("They come from 10 people, 20.0 images each on average.");
    expect(effectiveImagesAnswer(s, "subject", 9)).to.match(/no run of seed 9/);
    expect(effectiveImagesAnswer(withRuns({ subject: [{ ...r, cluster: null }] }), "subject", 0)).to.match(
      /with a cluster interval/,
    );
  });
});

describe("notebook 06: how many seeds", () => {
  it("the t half-width is t(n − 1)·sd/√n (table value t(0.975, 9) = 2.262157)", () => {
    expect(tHalfWidth(10, 1)).to.be.closeTo(2.262157 / Math.sqrt(10), 1e-6);
    expect(tHalfWidth(1, 1)).to.be.NaN;
  });

  it("halving the interval of 10 seeds needs 33 (t(0.975, 31) = 2.039513, t(0.975, 32) = 2.036933), whatever the sd", () => {
    const now = 2.262157 / Math.sqrt(10);
    expect(2.039513 / Math.sqrt(32)).to.be.above(now / 2); // 32 seeds are not enough
    expect(2.036933 / Math.sqrt(33)).to.be.at.most(now / 2); // 33 are
    for (const sd of [0.01, 0.05, 0.3]) expect(seedsToShrink({ n: 10, sd }, 0.5).needed).to.equal(33);
    // a fixed half-width of one sd needs n = 7: t(0.975, 6)/√7 = 2.446912/2.645751 ≤ 1 < t(0.975, 5)/√6 = 2.570582/2.449490
    expect(seedsForHalfWidth(1, 1)).to.equal(7);
    const s = fixture();
    const text = seedsAnswer(s, 0.5, 0.01);
    expect(text).to.include("| random | 5 |");
    expect(text).to.include(`${seedsToShrink({ n: 5, sd: s.splits[0].accuracy.sd }, 0.5).needed} (±`);
  });
});

describe("notebook 06: one run against the spread", () => {
  it("places the run among the others and the paper's single run among ours", () => {
    const s = fixture();
    const x = s.splits.find((c) => c.split === "random")!;
    const accs = x.runs.map((r) => r.accuracy);
    const seed = x.runs[2].seed;
    const lower = accs.filter((a) => a < x.runs[2].accuracy).length;
    const text = singleRunAnswer(s, "random", seed);
    expect(text).to.include(`${lower} of the 5 runs ${lower === 1 ? "is" : "are"} lower`);
    expect(text).to.include(`is above ${accs.filter((a) => a < 0.8325).length} of our 5 runs`);
    expect(singleRunAnswer(s, "random", 42)).to.match(/no run of seed 42/);
  });
});

describe("notebook 06: the identity-leak groups", () => {
  /** A run whose six test images are, by construction: two with a sibling frame in training, two whose person only, two unseen. */
  function leakRun(correct: boolean[]) {
    const r = makeRun({ seed: 7 });
    const files = [
      "anger/S001_001_00000001.png",
      "anger/S001_001_00000002.png",
      "fear/S002_002_00000003.png",
      "fear/S002_002_00000004.png",
      "happy/S003_001_00000005.png",
      "happy/S004_001_00000006.png",
    ];
    r.test.predictions = files.map((file, i) => {
      const label = i % 7;
      const probs = [0, 0, 0, 0, 0, 0, 0].map((_, k) => (k === (correct[i] ? label : (label + 1) % 7) ? 0.9 : 0.1 / 6));
      return { file, label, probs };
    });
    r.split = { mode: "random", train: ["anger/S001_001_00000009.png", "fear/S002_001_00000001.png"], test: files };
    return r;
  }

  it("pools images, correct answers, runs and people per group, with Wilson's interval of the pooled accuracy", () => {
    const a = leakRun([true, false, true, true, true, false]);
    const b = leakRun([true, true, false, true, false, false]);
    b.split.train = ["anger/S001_001_00000009.png"]; // in run b, person S002 is unseen
    const g = pooledLeak([a, b]);
    const by = Object.fromEntries(g.map((x) => [x.group, x]));
    expect(by.sequence).to.deep.include({ images: 4, correct: 3, runs: 2, people: 1 });
    expect(by.subject).to.deep.include({ images: 2, correct: 2, runs: 1, people: 1 });
    expect(by.none).to.deep.include({ images: 6, correct: 2, runs: 2, people: 3 });
    expect(by.none.wilson).to.deep.equal(wilson(2, 6));
    expect(argmax(a.test.predictions[1].probs)).to.not.equal(a.test.predictions[1].label);
    const text = leakGroupAnswer([a, b], "random", 5);
    expect(text).to.include("| only its person is in training | 2 | 1 | 1 of 2 | 2/2 = 100.0% |");
    expect(text).to.include("hollow: in one run only, no interval over seeds");
    expect(text).to.include("hollow: fewer than 5 images"); // the sequence group: 4 images in 2 runs
    expect(text).to.match(/The smallest group, "only its person is in training", has 2 images of 1 person in 1 run/);
    expect(leakGroupAnswer([], "random")).to.match(/No run records/);
  });

  it("the leak table says a group too small to estimate is one, and the gap is in signed points", () => {
    const s = structuredClone(fixture());
    s.splits[0].leak.push({ group: "none", images: spread([3, 0, 0, 0, 0]), accuracy: spread([1]) });
    const md = leakMarkdown(s);
    expect(md).to.include(
      "| random | its person is not in training | 0.6 | 3 | 1 of 5 | (100.0%: too few to estimate) | — |",
    );
    expect(md).to.match(
      /\*\*random − subject\*\*, paired by seed over 5 seeds: [+−]\d+\.\d points, 95% t interval \[[+−]/,
    );
  });
});

describe("notebook 06: the jobs, the committed run records, the summary", () => {
  it("lists the jobs seed-major with the shard of each (every N-th job, from the K-th)", () => {
    const md = jobsMarkdown(studyJobs({ seeds: [0, 1], splits: ["random", "subject"] }), 2);
    const rows = md.split("\n").slice(2);
    expect(rows.map((r) => r.split(" | ").slice(1, 3).join(" "))).to.deep.equal([
      "0 random",
      "0 subject",
      "1 random",
      "1 subject",
    ]);
    expect(rows.map((r) => r.slice(-6))).to.deep.equal(["1/2 |", "2/2 |", "1/2 |", "2/2 |"].map((x) => ` ${x}`));
  });

  it("reads the run records of a study folder in seed order, and one by seed", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fer-06-"));
    try {
      for (const seed of [10, 2]) {
        const f = path.join(dir, "paper", "subject", `seed-${seed}`, "run.json");
        fs.mkdirSync(path.dirname(f), { recursive: true });
        fs.writeFileSync(f, runRecordJson(makeRun({ seed })));
      }
      fs.mkdirSync(path.join(dir, "paper", "subject", "seed-5")); // unfinished: no run.json
      expect(studyRecords("subject", dir).map((r) => r.seed)).to.deep.equal([2, 10]);
      expect(studyRecord("subject", 10, dir)?.seed).to.equal(10);
      expect(studyRecord("subject", 5, dir)).to.equal(undefined);
      expect(studyRecords("random", dir)).to.deep.equal([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the summary states the splits, the leak and the ledger's verdicts with their numbers", () => {
    const s = fixture();
    const ledger = claimsLedger(s, undefined, ledgerFacts());
    const md = summaryMarkdown(s, ledger);
    const random = s.splits.find((x) => x.split === "random")!;
    expect(md).to.include(`over 5 seeds: test accuracy ${(100 * random.accuracy.mean).toFixed(1)}%`);
    expect(md).to.match(/the random split scores [+−]\d+\.\d points \[/);
    const n = (v: string) => ledger.filter((c) => c.verdict === v).length;
    expect(md).to.include(
      `${n("reproduced")} reproduced, ${n("consistent")} consistent, ${n("not distinguishable")} not distinguishable, ${n("not reproduced")} not reproduced`,
    );
    expect(summaryMarkdown(undefined, [])).to.match(/No study yet/);
  });

  it("on the committed study: the cluster bootstrap is clearly wider on the subject split, not on the random one", function () {
    if (!fs.existsSync(path.join(STUDY, "summary.json"))) return this.skip();
    const s = JSON.parse(fs.readFileSync(path.join(STUDY, "summary.json"), "utf8")) as StudySummary;
    const by = Object.fromEntries(widthRatios(s).map((w) => [w.split, w]));
    expect(by.subject.min).to.be.above(1.2);
    expect(by.random.min).to.be.below(1.2); // not "clearly wider" (widthRatioMarkdown's verdict)
    expect(by.random.median).to.be.below(by.subject.min);
    expect(studyRecords("random").length).to.equal(s.splits.find((x) => x.split === "random")!.runs.length);
    expect(proseFacts()).to.deep.include({ "figures.overNinety": 0.9 });
  });
});

describe("notebook 06: the two intervals, worked out by hand", () => {
  it("twoIntervalsMarkdown: runs 0.80, 0.84, 0.88, 0.92 (sd 5.16 points), t(0.975, 3) = 3.182446 (t table)", () => {
    const xs = [0.8, 0.84, 0.88, 0.92];
    const s = spread(xs);
    const sdv = Math.sqrt((0.0036 + 0.0004 + 0.0004 + 0.0036) / 3); // 0.05164
    const mean = (3.182446 * sdv) / 2; // t · sd / √4 = 8.2 points
    const one = 3.182446 * sdv * Math.sqrt(1.25); // t · sd · √(1 + 1/4) = 18.4 points
    const md = twoIntervalsMarkdown(s, 0.95);
    expect(md).to.include("t(0.975, 3) = 3.1824");
    expect(md).to.include(`| t · sd / √n | ${(100 * mean).toFixed(1)}% |`);
    expect(md).to.include(`| t · sd · √(1 + 1/n) | ${(100 * one).toFixed(1)}% |`);
    // 0.95 is 0.09 above the mean: outside the mean's ±8.2, inside one run's ±18.4 (its top clipped at 100 %)
    expect(md).to.match(/where the average run lands \|[^\n]*\| outside \|/);
    expect(md).to.match(/what a single run gives \|[^\n]*100\.0% \| inside \|/);
    expect(md).to.include("√(n + 1) = 2.24 times");
    expect(twoIntervalsMarkdown(undefined, 0.8)).to.match(/at least two seeds/);
  });
});
