/**
 * lib/claims.ts: the ledger's verdicts on a synthetic study whose answers are known, and its Markdown.
 */
import { expect } from "chai";
import { claimsLedger, claimsLedgerMarkdown, singleRun, spreadText } from "../lib/claims";
import { spread } from "../lib/stats";
import { summarizeStudy } from "../lib/summary";
import { PAPER_RESULTS } from "../lib/config";
import { tQuantile } from "../lib/distributions";
import { pct } from "../lib/display/text";
import { makeStudyRuns } from "./fixtures/study";
import { makeRun } from "./fixtures/run";

describe("claims ledger", () => {
  const summary = summarizeStudy(makeStudyRuns());
  const facts = { images: 981, storedChannels: 1, params: PAPER_RESULTS.params };
  const rows = claimsLedger(summary, makeRun({ seed: 0 }), facts);
  const row = (claim: RegExp) => rows.find((r) => claim.test(r.claim))!;

  it("has a row for every claim the issue lists, each with a verdict and a reason", () => {
    for (const c of [
      /test loss/,
      /test accuracy \(164\/197\)/,
      /as restated/,
      /average accuracy of 76%/,
      /highest recognition rate/,
      /anger: "over 90%"/,
      /disgust/,
      /fear/,
      /happy/,
      /surprise/,
      /57% of sad/,
      /non-anger/,
      /ranking/,
      /ROC/,
      /980 colour/,
      /parameters/,
    ]) {
      expect(
        rows.some((r) => c.test(r.claim)),
        String(c),
      ).to.equal(true);
    }
    for (const r of rows) {
      expect(["reproduced", "consistent", "not distinguishable", "not reproduced", "not testable"]).to.include(
        r.verdict,
      );
      expect(r.why.length).to.be.greaterThan(10);
    }
  });

  it("facts are checked exactly: 981 grey images is not '980 colour', 86,911 parameters is reproduced", () => {
    expect(row(/980 colour/).verdict).to.equal("not reproduced");
    expect(row(/parameters/).verdict).to.equal("reproduced");
    expect(
      claimsLedger(summary, undefined, { ...facts, params: 5 }).find((r) => /parameters/.test(r.claim))!.verdict,
    ).to.equal("not reproduced");
  });

  it("one run's number is judged against single runs: inside the mean's interval reproduced, inside the prediction interval consistent, else not reproduced", () => {
    const acc = summary.splits.find((s) => s.split === "random")!.accuracy;
    const r = row(/test accuracy \(164\/197\)/);
    const v = PAPER_RESULTS.testAccuracy;
    // the prediction interval by hand: mean ± t(0.975, n−1) · sd · √(1 + 1/n)
    const half = tQuantile(0.975, acc.n - 1) * acc.sd * Math.sqrt(1 + 1 / acc.n);
    const pi = { lo: acc.mean - half, hi: Math.min(1, acc.mean + half) };
    const inMean = v >= acc.t!.lo && v <= acc.t!.hi;
    const inPi = v >= pi.lo && v <= pi.hi;
    expect(r.verdict).to.equal(inMean ? "reproduced" : inPi ? "consistent" : "not reproduced");
    if (!inMean) expect(r.why).to.match(v > acc.t!.hi ? /above/ : /below/);
    if (inPi && !inMean) expect(r.why).to.include(`prediction interval for one run (${pct(pi.lo)}–${pct(pi.hi)})`);
    expect(r.why).to.match(/percentile of our \d+ runs/);
    expect(r.ours).to.equal(spreadText(acc));
  });

  it("the yardstick decides: a made-up study puts the same claim in each of the three verdicts", () => {
    const base = summary.splits.find((s) => s.split === "random")!;
    const at = (mean: number, sd: number) => {
      const half = tQuantile(0.975, 9) * (sd / Math.sqrt(10));
      const accuracy = { ...base.accuracy, n: 10, mean, sd, t: { lo: mean - half, hi: mean + half } };
      const s = { ...summary, splits: summary.splits.map((c) => (c === base ? { ...base, accuracy } : c)) };
      return claimsLedger(s, undefined, facts).find((x) => /test accuracy \(164\/197\)/.test(x.claim))!.verdict;
    };
    const v = PAPER_RESULTS.testAccuracy;
    expect(at(v + 0.005, 0.02)).to.equal("reproduced"); // inside the mean's interval (±1.4 points)
    expect(at(v + 0.05, 0.03)).to.equal("consistent"); // outside it (±2.1), inside one run's (±7.1)
    expect(at(v + 0.1, 0.01)).to.equal("not reproduced"); // outside one run's (±2.4)
  });

  it("runs far from normal are judged by the bootstrap: the bootstrap interval of the mean, then the central 95% of runs", () => {
    const values = [0.3, 0.32, 0.33, 0.35, 0.36, 0.38, 0.4, 0.41, 0.9, 0.95]; // skewness 1.43
    const s = spread(values, { range: [0, 1] });
    const f = (v: number) => singleRun(s, v, "x", { values });
    expect(f(s.mean).verdict).to.equal("reproduced");
    expect(f(0.85)).to.deep.include({ verdict: "consistent" }); // outside the bootstrap of the mean, inside the runs
    expect(f(0.85).why).to.match(/far from normal \(skewness 1\.43, 0 on a bound\)/);
    expect(f(0.99).verdict).to.equal("not reproduced"); // above the runs' 97.5% quantile (0.9275)
    const normal = [0.8, 0.82, 0.85, 0.9, 0.86, 0.84];
    expect(singleRun(spread(normal), 0.84, "x", { values: normal }).why).to.not.match(/bootstrap/);
  });

  it("the order of classes is judged over resampled seeds: holds, reversed, or a 0.002 gap not distinguishable", () => {
    const base = summary.splits.find((s) => s.split === "random")!;
    const noise = [0.004, -0.006, 0.002, -0.003, 0.005, -0.002, 0.001, -0.004, 0.003, -0.001];
    const roc = (goodAuc: number, weakAuc: number, spread = 1) => {
      const values = (c: string) => {
        const good = PAPER_RESULTS.roc.closer.includes(c);
        const shift = (i: number) => spread * noise[(i + (good ? 0 : 4)) % 10];
        const auc = noise.map((_, i) => (good ? goodAuc : weakAuc) + shift(i));
        return { accuracy: noise.map(() => 0.9), auc, tprAtFpr10: auc };
      };
      const perClass = base.perClass.map((c) => ({ ...c, values: values(c.class) }));
      const s = { ...summary, splits: summary.splits.map((c) => (c === base ? { ...base, perClass } : c)) };
      return claimsLedger(s, undefined, facts).find((x) => /^ROC/.test(x.claim))!;
    };
    expect(roc(0.99, 0.95).verdict).to.equal("reproduced");
    expect(roc(0.95, 0.99).verdict).to.equal("not reproduced");
    const close = roc(0.984, 0.982, 4); // runs that differ by about 1 point: sd of the paired gaps ≈ 0.009
    expect(close.verdict).to.equal("not distinguishable");
    expect(close.why).to.match(/10,000 resamples of our 10 runs/);
    const old = {
      ...summary,
      splits: summary.splits.map((c) => ({ ...c, perClass: c.perClass.map(({ values: _, ...k }) => k) })),
    };
    expect(claimsLedger(old, undefined, facts).find((x) => /^ROC/.test(x.claim))!.verdict).to.equal("not testable");
  });

  it("without a study every statistical claim is not testable, and the Markdown says how to make one", () => {
    const bare = claimsLedger(undefined, undefined, facts);
    expect(bare.filter((r) => r.verdict !== "not testable").map((r) => r.claim)).to.have.length(2);
    expect(claimsLedgerMarkdown(bare, undefined)).to.match(/npm run study/);
    const md = claimsLedgerMarkdown(rows, summary);
    expect(md.split("\n").filter((l) => l.startsWith("|"))).to.have.length(rows.length + 2);
  });

  it("spreadText shows the mean and the t interval in percent, or one seed", () => {
    expect(
      spreadText({ n: 2, mean: 0.8, sd: 0.1, t: { lo: 0.7, hi: 0.9 }, bootstrap: null, min: 0.75, max: 0.85 }),
    ).to.equal("80.0% [70.0, 90.0] (2 seeds)");
    expect(spreadText({ n: 1, mean: 0.8, sd: NaN, t: null, bootstrap: null, min: 0.8, max: 0.8 })).to.equal(
      "80.0% (1 seed)",
    );
  });
});
