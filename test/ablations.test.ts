/**
 * lib/ablations.ts: every variant is PAPER plus its overrides, builds a model whose parameters tfjs counts exactly as
 * parametersByHand derives them from the variant's architecture, gets the optimiser it names, and trains through the
 * study runner (quick setting on a made-up CK+48), with its name and overrides in the run record.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PAPER } from "../lib/config";
import { createModel, parametersByHand } from "../lib/model";
import { createOptimizer } from "../lib/optim";
import { applyOverrides, comparisonTests, variant, variantConfigs, VARIANTS } from "../lib/ablations";
import { loadStudyRuns, runStudy, studyJobs } from "../lib/study";
import { summarizeStudy } from "../lib/summary";
import { holm, mean, sd, tTestP } from "../lib/stats";
import { comparedSplits, holmSentence, readmeComparison } from "../lib/notebooks/07-ablations";
import { makeStudyRuns } from "./fixtures/study";
import { signedPoints } from "../lib/display/text";
import { makeFakeCk48 } from "./fixtures/ck48";

describe("variants", () => {
  it("are PAPER plus their overrides, paper first, names unique, each with a why", () => {
    expect(VARIANTS[0]).to.deep.include({ name: "paper", overrides: {} });
    expect(new Set(VARIANTS.map((v) => v.name)).size).to.equal(VARIANTS.length);
    for (const v of VARIANTS) expect(v.why.length).to.be.greaterThan(20);
    expect(applyOverrides(PAPER, {})).to.deep.equal(PAPER);
    const wide = variantConfigs(["wide"]).wide;
    expect(wide.arch.convs.map((c) => c.filters)).to.deep.equal([12, 32, 128]);
    expect(wide.arch.pool).to.equal(PAPER.arch.pool);
    expect(variantConfigs(["batchnorm"]).batchnorm.arch).to.deep.equal({ ...PAPER.arch, batchNorm: true });
    expect(() => variant("huge")).to.throw(/unknown variant "huge" \(one of: paper, gray/);
  });

  it("each variant's model has exactly the parameters its architecture implies (by hand = tfjs)", () => {
    const expected: Record<string, number> = {};
    for (const v of VARIANTS) {
      const config = applyOverrides(PAPER, v.overrides);
      const m = createModel(0, config);
      const byHand = parametersByHand(config).reduce((a, r) => a + r.params, 0);
      expect(m.countParams(), v.name).to.equal(byHand);
      expected[v.name] = byHand;
      m.dispose();
    }
    expect(expected.paper).to.equal(86911);
    // gray: conv1 has 6·25·1 + 6 weights instead of 6·25·3 + 6
    expect(expected.paper - expected.gray).to.equal(6 * 25 * 2);
    // batchnorm: 4 numbers per filter of each convolution
    expect(expected.batchnorm - expected.paper).to.equal(4 * (6 + 16 + 64));
  });

  it("each variant gets the optimiser it names", () => {
    const cls = (name: string) => {
      const o = createOptimizer(variantConfigs([name])[name]);
      const c = o.getClassName();
      const cfg = o.getConfig();
      o.dispose();
      return { c, cfg };
    };
    expect(cls("paper").c).to.equal("RMSProp");
    expect(cls("adam")).to.deep.include({ c: "Adam" });
    expect(cls("adam").cfg.learningRate).to.equal(0.001);
    expect(cls("sgd-momentum").c).to.equal("Momentum");
    expect(cls("sgd-momentum").cfg).to.deep.include({ learningRate: 0.01, momentum: 0.9 });
    expect(cls("lr-0.0003").cfg.learningRate).to.equal(0.0003);
  });

  describe("through the study runner", function () {
    this.timeout(300_000);
    let dir: string;
    let out: string;
    before(async () => {
      dir = await makeFakeCk48(6);
      out = fs.mkdtempSync(path.join(os.tmpdir(), "fer-variants-"));
    });
    after(() => {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(out, { recursive: true, force: true });
    });

    it("gray, batchnorm and no-augment train; paired seeds give the same split; the record names the variant", async () => {
      const names = ["paper", "gray", "batchnorm", "no-augment"];
      const configs = Object.fromEntries(
        Object.entries(variantConfigs(names)).map(([k, c]) => [k, { ...c, folds: 2, maxEpochs: 1 }]),
      );
      await runStudy({
        dataDir: dir,
        out,
        jobs: studyJobs({ seeds: [0], splits: ["subject"], variants: names }),
        configs,
        quick: true,
        workers: 0,
        verify: false,
      });
      const runs = loadStudyRuns(out);
      expect(runs.map((r) => r.job.variant).sort()).to.deep.equal([...names].sort());
      const paper = runs.find((r) => r.job.variant === "paper")!.record;
      for (const r of runs) {
        expect(r.record.split.test).to.deep.equal(paper.split.test);
        expect(r.record.config.variant).to.equal(r.job.variant);
        expect(r.record.config.overrides).to.deep.equal(variant(r.job.variant).overrides);
      }
      expect(runs.find((r) => r.job.variant === "gray")!.record.config.channels).to.equal(1);
      expect(runs.find((r) => r.job.variant === "no-augment")!.record.config.augmentation).to.equal(false);
      // the same seed and split but no augmentation trains differently
      const noAug = runs.find((r) => r.job.variant === "no-augment")!.record;
      expect(noAug.folds[0].history[0].loss).to.not.equal(paper.folds[0].history[0].loss);
    });
  });
});

describe("variants: the paired tests against paper, corrected for many variants", () => {
  const summary = summarizeStudy(makeStudyRuns([0, 1, 2, 3], { paper: 0, gray: -0.1, wide: 0.03 }));
  const acc = (v: string, seed: number) =>
    summary.splits.find((x) => x.variant === v && x.split === "subject")!.runs.find((r) => r.seed === seed)!.accuracy;
  it("p is the paired t test of the per-seed differences; Holm's p adjusts the split's family", () => {
    const tests = comparisonTests(summary, "subject");
    expect(tests.map((t) => t.variant)).to.deep.equal(["gray", "wide"]);
    const ps = ["gray", "wide"].map((v) => {
      const d = [0, 1, 2, 3].map((s) => acc(v, s) - acc("paper", s));
      return tTestP({ n: d.length, mean: mean(d), sd: sd(d) });
    });
    tests.forEach((t, i) => expect(t.p).to.be.closeTo(ps[i], 1e-12));
    expect(tests.map((t) => t.holm)).to.deep.equal(holm(tests.map((t) => t.p)));
  });
  it("the README sentence and the notebook's names the largest effect and what survives Holm", () => {
    const tests = comparisonTests(summary, "subject");
    const gray = summary.comparisons.find((c) => c.variant === "gray" && c.split === "subject")!.accuracy;
    const text = readmeComparison(summary);
    expect(text).to.include(`(2 variants of one change each, 4 seeds paired on unseen people`);
    expect(text).to.include(`the largest effect is gray's, −${(100 * Math.abs(gray.mean)).toFixed(1)} points`);
    const kept = tests.filter((t) => t.holm < 0.05).map((t) => t.variant);
    for (const v of kept) expect(text).to.match(new RegExp(`${v} \\([+−]\\d+\\.\\d\\)`));
    expect(holmSentence(summary)).to.match(kept.length ? /differences? stands?/ : /no difference/);
    expect(readmeComparison(undefined)).to.match(/not committed yet/);
    expect(comparedSplits(summary)).to.deep.equal(["subject", "random"]);
    // the variants run on the paper's random split too get their own clause, with their own Holm family
    const random = comparisonTests(summary, "random");
    expect(random.map((t) => t.variant)).to.deep.equal(["gray", "wide"]);
    const grayRandom = summary.comparisons.find((c) => c.variant === "gray" && c.split === "random")!.accuracy;
    expect(text).to.include(
      `On the paper's random split (4 seeds): gray ${signedPoints(grayRandom.mean)} [${signedPoints(grayRandom.t!.lo)}, ${signedPoints(grayRandom.t!.hi)}]`,
    );
    expect(text).to.include("after Holm's correction for 2 tests, ");
    expect(
      readmeComparison(
        summarizeStudy(makeStudyRuns([0, 1, 2, 3], { paper: 0, gray: -0.1 }).filter((r) => r.job.split === "subject")),
      ),
    ).to.not.include("random split");
    // gray's interval excludes 0 (p ≈ 0.03) but Holm over two variants does not keep it; alone, it stands
    expect(tests.find((t) => t.variant === "gray")!.p).to.be.below(0.05);
    expect(kept).to.deep.equal([]);
    const alone = summarizeStudy(makeStudyRuns([0, 1, 2, 3], { paper: 0, gray: -0.1 }));
    expect(readmeComparison(alone)).to.match(
      /after Holm's correction for 1 test, gray \(−\d+\.\d\) differs from the paper's configuration\. On the paper's random split/,
    );
    expect(holmSentence(alone)).to.match(/one difference stands: gray \(−\d+\.\d points, Holm p 0\.0\d\d\)\.$/);
  });
});
