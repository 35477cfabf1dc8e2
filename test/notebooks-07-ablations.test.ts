/**
 * lib/notebooks/07-ablations.ts and the rule it applies (lib/ablations.ts verdictOf, configDiff): the findings, the
 * forest plot and the summary call a variant better or worse exactly when its Holm-adjusted p is below the level, on
 * synthetic studies and on the committed comparisons; the diff of a variant against PAPER and the parameter count of
 * a new one, against hand-computed values.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { PAPER } from "../lib/config";
import { applyOverrides, comparisonTests, configDiff, HOLM_LEVEL, verdictOf, VARIANTS } from "../lib/ablations";
import { ablationsMarkdown, specForest } from "../lib/figures/ablations";
import { ABLATIONS } from "../lib/paths";
import { holm } from "../lib/stats";
import { loadSummary, summarizeStudy, type StudySummary } from "../lib/summary";
import {
  findingsMarkdown,
  holmLevelsAnswer,
  newVariantAnswer,
  proseFacts,
  splitVerdictsAnswer,
  summaryMarkdown,
  variantDiffAnswer,
} from "../lib/notebooks/07-ablations";
import { makeStudyRuns } from "./fixtures/study";

/** The names listed after a bold lead-in of the findings ("- **worse**: a −1.0 points […]; b …;"). */
function listed(md: string, lead: string): string[] {
  const line = md.split("\n").find((l) => l.startsWith(`- **${lead}**: `));
  if (!line) throw new Error(`no ${lead} line`);
  const body = line.slice(`- **${lead}**: `.length).replace(/[;.]$/, "");
  return body === "none" ? [] : body.split("; ").map((x) => x.split(" ")[0]);
}

// gray 10 points worse on every seed, wide 3 better: gray's unadjusted interval excludes zero (p ≈ 0.03), but with
// two variants Holm does not keep it (test/ablations.test.ts); alone, it stands.
let pair: StudySummary | undefined;
let alone: StudySummary | undefined;
const twoVariants = () => (pair ??= summarizeStudy(makeStudyRuns([0, 1, 2, 3], { paper: 0, gray: -0.1, wide: 0.03 })));
const oneVariant = () => (alone ??= summarizeStudy(makeStudyRuns([0, 1, 2, 3], { paper: 0, gray: -0.1 })));

describe("notebook 07: the rule is one", () => {
  it("verdictOf: better or worse when Holm's p is below the level (strictly), in the direction of the mean", () => {
    expect(verdictOf({ mean: -0.1, holm: 0.01 })).to.equal("worse");
    expect(verdictOf({ mean: 0.1, holm: 0.049 })).to.equal("better");
    expect(verdictOf({ mean: 0.1, holm: 0.05 })).to.equal("cannot be told apart");
    expect(verdictOf({ mean: 0.1, holm: 0.07 }, 0.1)).to.equal("better");
    expect(HOLM_LEVEL).to.equal(0.05);
  });

  it("an interval that excludes zero but does not survive Holm is not called worse, and is named as such", () => {
    const s = twoVariants();
    const gray = comparisonTests(s).find((t) => t.variant === "gray")!;
    expect(gray.p).to.be.below(0.05);
    expect(gray.holm).to.be.at.least(0.05);
    expect(s.comparisons.find((c) => c.variant === "gray" && c.split === "subject")!.accuracy.t!.hi).to.be.below(0);
    const md = findingsMarkdown(s);
    expect(listed(md, "worse")).to.deep.equal([]);
    expect(listed(md, "cannot be told apart")).to.include("gray");
    expect(md).to.include(
      "gray has an unadjusted interval that excludes zero (p < 0.05) but does not survive Holm's adjustment",
    );
    expect(md).to.include("with 2 tests at 0.05, 0.10 such intervals are expected by chance");
    // alone, its Holm p is its own p: worse, and the forest plot fills its mark
    expect(listed(findingsMarkdown(oneVariant()), "worse")).to.deep.equal(["gray"]);
    const forest = (x: StudySummary) =>
      (specForest(x) as unknown as { data: { values: { variant: string; verdict: string }[] } }).data.values;
    expect(forest(oneVariant()).map((v) => v.verdict)).to.deep.equal(["worse"]);
    expect(forest(twoVariants()).map((v) => v.verdict)).to.deep.equal(["cannot be told apart", "cannot be told apart"]);
    // at a looser level the same data call it worse
    expect(listed(findingsMarkdown(s, "subject", 0.2), "worse")).to.deep.equal(gray.holm < 0.2 ? ["gray"] : []);
  });

  it("on the committed comparisons: each verdict list is exactly the variants whose Holm p puts them there", function () {
    const file = path.join(ABLATIONS, "summary.json");
    if (!fs.existsSync(file)) return this.skip();
    const s = loadSummary(file);
    for (const split of ["subject", "random"]) {
      const tests = comparisonTests(s, split);
      const md = findingsMarkdown(s, split);
      const expected = (f: (t: (typeof tests)[number]) => boolean) =>
        tests
          .filter(f)
          .map((t) => t.variant)
          .sort();
      expect(listed(md, "worse").sort(), split).to.deep.equal(expected((t) => t.holm < 0.05 && t.mean < 0));
      expect(listed(md, "better").sort(), split).to.deep.equal(expected((t) => t.holm < 0.05 && t.mean > 0));
      expect(listed(md, "cannot be told apart").sort(), split).to.deep.equal(expected((t) => t.holm >= 0.05));
      const forest = (specForest(s, split) as unknown as { data: { values: { variant: string; verdict: string }[] } })
        .data.values;
      for (const v of forest) expect(v.verdict).to.equal(verdictOf(tests.find((t) => t.variant === v.variant)!));
    }
    const sum = summaryMarkdown(s);
    const kept = comparisonTests(s).filter((t) => t.holm < 0.05);
    expect(sum).to.include(`The other ${comparisonTests(s).length - kept.length} cannot be told apart`);
    expect(proseFacts()).to.deep.include({ "ablations.variants": VARIANTS.length - 1, "ablations.level": 0.05 });
  });

  it("Holm at several levels keeps at least what Bonferroni keeps and at most what no correction keeps", () => {
    const s = twoVariants();
    const tests = comparisonTests(s);
    const adj = holm(tests.map((t) => t.p));
    const md = holmLevelsAnswer(s, "subject", 0.05, [0.05, 0.2]);
    const names = (ok: (i: number) => boolean) =>
      tests
        .filter((_, i) => ok(i))
        .map((t) => t.variant)
        .join(", ") || "none";
    for (const a of [0.05, 0.2])
      expect(md).to.include(
        `| ${+(100 * a).toFixed(2)}% | ${names((i) => tests[i].p < a)} | ${names((i) => tests[i].p * 2 < a)} | ${names((i) => adj[i] < a)} |`,
      );
    expect(holmLevelsAnswer(s, "nowhere")).to.match(/No comparison/);
  });
});

describe("notebook 07: variants, their diffs, another split", () => {
  it("configDiff lists the leaves that differ, arrays element by element", () => {
    expect(configDiff({ a: 1, b: { c: 2, d: [1, 2] } }, { a: 1, b: { c: 3, d: [1, 4] } })).to.deep.equal([
      { field: "b.c", from: 2, to: 3 },
      { field: "b.d.1", from: 2, to: 4 },
    ]);
    expect(configDiff(PAPER, PAPER)).to.deep.equal([]);
    const of = (n: string) =>
      configDiff(PAPER, applyOverrides(PAPER, VARIANTS.find((v) => v.name === n)!.overrides)).map((c) => c.field);
    expect(of("adam")).to.deep.equal(["optimizer"]); // its learning rate is PAPER's own 0.001
    expect(of("sgd-momentum")).to.deep.equal(["optimizer", "learningRate", "momentum"]);
    expect(of("batchnorm")).to.deep.equal(["arch.batchNorm"]);
    const text = variantDiffAnswer("adam");
    expect(text).to.include("Its overrides also name `learningRate`, at the paper's own value");
    expect(text).to.include("| **sgd-momentum** | 3 | `optimizer`, `learningRate`, `momentum` | 86,911 |");
    expect(variantDiffAnswer("nope")).to.match(/There is no variant named nope/);
  });

  it("a new variant: its diff, its parameters by hand, the entry to add and the command", () => {
    // dense 64 instead of 128: the dense layers lose 576·64 + 64 and 64·7 of 86,911 (flatten 3·3·64 = 576)
    const dense = newVariantAnswer({ name: "dense-64", why: "smaller head", overrides: { arch: { dense: 64 } } });
    expect(dense).to.include("**dense-64**: 1 field differs from PAPER (a one-change variant).");
    expect(dense).to.include("| `arch.dense` | 128 | 64 |");
    expect(dense).to.include(
      `Parameters: ${(86911 - 576 * 64 - 64 - 64 * 7).toLocaleString("en-US")} (the paper's 86,911).`,
    );
    // the entry as a listing (a <pre> that JupyterLab does not wrap), highlighted: read as its text
    expect(dense).to.include('<pre class="listing"');
    const text = dense
      .replace(/<[^>]+>/g, "")
      .replace(/&quot;/g, '"')
      .replace(/&#x27;/g, "'");
    expect(text).to.include('{ name: "dense-64", why: "smaller head", overrides: {"arch":{"dense":64}} },');
    expect(dense).to.include(
      "`npm run study -- --variants dense-64 --splits subject --seeds 0-4 --out data/runs/ablations --resume`",
    );
    expect(newVariantAnswer({ name: "wide", overrides: { dropout: 0.1 } })).to.match(/already in `VARIANTS`/);
  });

  it("another split: each variant's verdict there beside the subject split's, each its own Holm family", () => {
    const s = twoVariants();
    const md = splitVerdictsAnswer(s, "random");
    const r = comparisonTests(s, "random");
    for (const t of r) expect(md).to.include(`: **${verdictOf(t)}** |`);
    expect(md).to.include("random split (2 in its Holm family)");
    expect(splitVerdictsAnswer(s, "subject-cv")).to.match(/No comparison on the subject-cv split/);
  });

  it("the summary states the rule and the verdicts; the table can leave out its page's heading", () => {
    const md = summaryMarkdown(oneVariant());
    expect(md).to.include("The rule: better or worse when the paired t test's Holm-adjusted p is below 0.05.");
    expect(md).to.match(
      /\*\*Differ from the paper's configuration\*\*: gray −\d+\.\d points \[.*\] \(Holm p 0\.0\d\d\), worse\./,
    );
    expect(summaryMarkdown(undefined)).to.match(/No comparisons committed yet/);
    const page = ablationsMarkdown(oneVariant(), { paper: 86911, gray: 86611 });
    const table = ablationsMarkdown(oneVariant(), { paper: 86911, gray: 86611 }, false);
    expect(page.startsWith("# The comparisons the paper promised")).to.equal(true);
    expect(table.startsWith("| variant | split |")).to.equal(true);
    expect(page.endsWith(table)).to.equal(true);
  });
});
