/**
 * lib/study.ts: seed lists, the job list, shards that partition it, resuming by skipping finished runs, and the
 * identity-leak groups of a run's test images (worked by hand on file names).
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PAPER } from "../lib/config";
import {
  isFinished,
  loadStudyRuns,
  parseSeeds,
  parseShard,
  runFile,
  runStudy,
  shardJobs,
  studyJobs,
} from "../lib/study";
import { leakGroups, summarizeStudy, tprAt } from "../lib/summary";
import { makeRun } from "./fixtures/run";
import { makeFakeCk48 } from "./fixtures/ck48";

describe("study: jobs, seeds and shards", () => {
  it("parseSeeds reads ranges and lists and names what is wrong", () => {
    expect(parseSeeds("0-3")).to.deep.equal([0, 1, 2, 3]);
    expect(parseSeeds("0-1, 5,7")).to.deep.equal([0, 1, 5, 7]);
    expect(() => parseSeeds("3-1")).to.throw(/runs backwards/);
    expect(() => parseSeeds("1,1")).to.throw(/listed twice/);
    expect(() => parseSeeds("-2")).to.throw(/not a seed/);
    expect(() => parseSeeds("a")).to.throw(/not a seed/);
  });

  it("jobs are seed-major, one folder each; N shards partition them", () => {
    const jobs = studyJobs({ seeds: [0, 1, 2], splits: ["random", "subject"], variants: ["paper", "gray"] });
    expect(jobs).to.have.length(12);
    expect(jobs.slice(0, 4).map((j) => `${j.seed} ${j.split} ${j.variant}`)).to.deep.equal([
      "0 random paper",
      "0 random gray",
      "0 subject paper",
      "0 subject gray",
    ]);
    expect(jobs[0].dir).to.equal(path.join("paper", "random", "seed-0"));
    for (const n of [1, 2, 3, 5, 12, 13]) {
      const shards = Array.from({ length: n }, (_, k) => shardJobs(jobs, k + 1, n));
      expect(
        shards
          .flat()
          .map((j) => j.dir)
          .sort(),
      ).to.deep.equal(jobs.map((j) => j.dir).sort());
      expect(
        shards.map((s) => s.length).reduce((a, b) => Math.max(a, b)) -
          shards.map((s) => s.length).reduce((a, b) => Math.min(a, b)),
      ).to.be.at.most(1);
    }
    expect(parseShard("2/4")).to.deep.equal({ k: 2, n: 4 });
    expect(() => parseShard("5/4")).to.throw(/1 ≤ K ≤ N/);
    expect(() => parseShard("0/4")).to.throw(/1 ≤ K ≤ N/);
    expect(() => parseShard("1-4")).to.throw(/K\/N/);
  });
});

describe("study: stopped inside a run and resumed (quick setting on a made-up CK+48)", function () {
  this.timeout(300_000);
  let dir: string;
  let tmp: string;
  before(async () => {
    dir = await makeFakeCk48(6);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fer-study-stop-"));
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("keeps the run's checkpoint, continues it, and ends with the uninterrupted summary", async () => {
    const config = { ...PAPER, folds: 2, maxEpochs: 4, patience: 4 };
    const jobs = studyJobs({ seeds: [0, 1], splits: ["random"] });
    const whole = path.join(tmp, "whole");
    await runStudy({
      dataDir: dir,
      out: whole,
      jobs,
      configs: { paper: config },
      quick: true,
      workers: 0,
      verify: false,
    });
    const out = path.join(tmp, "stopped");
    let epochs = 0;
    let err: Error | undefined;
    await runStudy({
      dataDir: dir,
      out,
      jobs,
      configs: { paper: config },
      quick: true,
      workers: 0,
      verify: false,
      verbose: true,
      log: (l) => void (/ epoch /.test(l) && epochs++),
      shouldStop: () => epochs >= 10,
    }).catch((e) => (err = e));
    expect(err?.name).to.equal("Interrupted");
    expect(isFinished(out, jobs[0])).to.equal(true);
    expect(isFinished(out, jobs[1])).to.equal(false);
    expect(fs.existsSync(path.join(out, jobs[1].dir, "checkpoint", "run-spec.json"))).to.equal(true);
    await runStudy({ dataDir: dir, out, jobs, configs: { paper: config }, quick: true, workers: 0, verify: false });
    expect(fs.existsSync(path.join(out, jobs[1].dir, "checkpoint"))).to.equal(false);
    const strip = (s: ReturnType<typeof summarizeStudy>) =>
      JSON.parse(JSON.stringify(s, (k, v) => (k === "seconds" ? undefined : v)));
    expect(strip(summarizeStudy(loadStudyRuns(out)))).to.deep.equal(strip(summarizeStudy(loadStudyRuns(whole))));
  });
});

describe("study: the identity leak of each test image", () => {
  it("sequence when a sibling frame is in training, subject when only the person is, none otherwise", () => {
    const run = makeRun({ seed: 1 });
    const test = ["anger/S010_004_00000017.png", "anger/S011_001_00000014.png", "happy/S012_003_00000010.png"];
    run.split = {
      mode: "random",
      train: ["anger/S010_004_00000018.png", "happy/S011_002_00000020.png", "fear/S099_001_00000001.png"],
      test,
    };
    run.test.predictions = test.map((file) => ({ file, label: 0, probs: [1, 0, 0, 0, 0, 0, 0] }));
    expect(leakGroups(run)).to.deep.equal(["sequence", "subject", "none"]);
    run.split = { ...run.split, mode: "subject-cv" };
    expect(leakGroups(run)).to.deep.equal(["none", "none", "none"]);
  });
});

describe("study: running and resuming (quick setting on a made-up CK+48)", function () {
  this.timeout(300_000);
  let dir: string;
  let out: string;
  before(async () => {
    dir = await makeFakeCk48(6);
    out = fs.mkdtempSync(path.join(os.tmpdir(), "fer-study-"));
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(out, { recursive: true, force: true });
  });

  it("runs each job once into its folder; a second call skips the finished ones; the runs load back with their job", async () => {
    const config = { ...PAPER, folds: 2, maxEpochs: 1 };
    const jobs = studyJobs({ seeds: [0, 1], splits: ["random", "subject-cv"] });
    const lines: string[] = [];
    const first = await runStudy({
      dataDir: dir,
      out,
      jobs: jobs.slice(0, 3),
      configs: { paper: config },
      quick: true,
      workers: 0,
      verify: false,
      log: (l) => lines.push(l),
    });
    expect(first).to.deep.include({ ran: 3, skipped: 0 });
    expect(lines.some((l) => /run 2\/3: .*~.* left/.test(l))).to.equal(true);
    expect(jobs.map((j) => isFinished(out, j))).to.deep.equal([true, true, true, false]);
    const before = fs.statSync(runFile(out, jobs[0])).mtimeMs;
    const second = await runStudy({
      dataDir: dir,
      out,
      jobs,
      configs: { paper: config },
      quick: true,
      workers: 0,
      verify: false,
    });
    expect(second).to.deep.include({ ran: 1, skipped: 3 });
    expect(fs.statSync(runFile(out, jobs[0])).mtimeMs).to.equal(before);
    const runs = loadStudyRuns(out);
    expect(runs.map((r) => r.job.dir).sort()).to.deep.equal(jobs.map((j) => j.dir).sort());
    for (const r of runs) {
      expect(r.record.seed).to.equal(r.job.seed);
      expect(r.record.split.mode).to.equal(r.job.split);
      expect(r.record.config.variant).to.equal("paper");
    }
  });
});

describe("study: the summary", () => {
  it("pairs the random − subject gap by seed and reads TPR at a fixed FPR", () => {
    const mk = (split: "random" | "subject", seed: number, skill: number) => {
      const record = makeRun({ seed, skill });
      // CK+ file names: subject i // 3 (three frames each), so the cluster bootstrap has people to resample
      record.test.predictions.forEach(
        (p, i) => (p.file = `${p.file.split("/")[0]}/S${100 + Math.floor(i / 3)}_001_0000000${i % 3}.png`),
      );
      record.split = { mode: split, train: [] as string[], test: record.test.predictions.map((p) => p.file) };
      return { job: { variant: "paper", split, seed, dir: "" }, record };
    };
    const runs = [
      mk("random", 0, 0.9),
      mk("random", 1, 0.92),
      mk("subject", 0, 0.7),
      mk("subject", 1, 0.75),
      mk("subject", 2, 0.8),
    ];
    const s = summarizeStudy(runs);
    expect(s.splits.map((x) => x.split)).to.deep.equal(["random", "subject"]);
    const gap = s.gaps[0];
    expect(gap.seeds).to.deep.equal([0, 1]);
    const acc = (i: number) => runs[i].record.test.accuracy;
    expect(gap.difference.mean).to.be.closeTo((acc(0) - acc(2) + acc(1) - acc(3)) / 2, 1e-12);
    expect(s.splits[1].accuracy.n).to.equal(3);
    expect(summarizeStudy(runs.slice().reverse())).to.deep.equal(s);
    expect(tprAt({ fpr: [0, 0, 0.05, 0.2, 1], tpr: [0, 0.4, 0.7, 0.9, 1] }, 0.1)).to.equal(0.7);
  });
});
