/**
 * lib/summary.ts and lib/explain/region-study.ts's loaders: the committed summaries read back checked against their
 * schemas, non-finite numbers (null in JSON) come back as NaN, and a damaged file is one line naming it and the
 * first problem.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ABLATIONS, RUNS, STUDY } from "../lib/paths";
import { UserError } from "../lib/errors";
import { loadSummary, summaryJson } from "../lib/summary";
import { loadRegions } from "../lib/explain/region-study";

describe("summaries read back against their schemas", () => {
  let tmp: string;
  before(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fer-summary-"))));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const f = path.join(tmp, name);
    fs.writeFileSync(f, text);
    return f;
  };

  it("the committed study and comparisons load, and write back to the same bytes", () => {
    for (const file of [path.join(STUDY, "summary.json"), path.join(ABLATIONS, "summary.json")]) {
      const s = loadSummary(file);
      expect(s.splits.length).to.be.above(0);
      expect(summaryJson(s)).to.equal(fs.readFileSync(file, "utf8"));
    }
  });

  it("the committed regions load", () => {
    const r = loadRegions(path.join(RUNS, "explain", "regions.json"));
    expect(r.regions.map((x) => x.name)).to.include("mouth");
    expect(r.effects.length).to.equal(r.classes.length * r.regions.length);
  });

  it("null numbers come back as NaN, null intervals stay null", () => {
    const s = loadSummary(path.join(STUDY, "summary.json"));
    const one = JSON.parse(summaryJson(s));
    one.splits[0].accuracy = { n: 1, mean: 0.5, sd: null, t: null, bootstrap: null, min: 0.5, max: 0.5 };
    const back = loadSummary(write("one.json", JSON.stringify(one)));
    expect(back.splits[0].accuracy.sd).to.be.NaN;
    expect(back.splits[0].accuracy.t).to.equal(null);
    expect(JSON.parse(summaryJson(back)).splits[0].accuracy.sd).to.equal(null);
  });

  it("a damaged summary is one line naming the file and what is wrong", () => {
    const good = JSON.parse(fs.readFileSync(path.join(STUDY, "summary.json"), "utf8"));
    const cases: [string, string, RegExp][] = [
      ["not JSON", "{", /not valid JSON/],
      [
        "a number where a split's name belongs",
        JSON.stringify({ ...good, splits: [{ ...good.splits[0], split: 3 }] }),
        /splits\.0\.split/,
      ],
      ["a missing field", JSON.stringify({ ...good, gaps: undefined }), /gaps/],
      [
        "an unknown split",
        JSON.stringify({ ...good, splits: [{ ...good.splits[0], split: "loo" }] }),
        /splits\.0\.split/,
      ],
    ];
    for (const [what, text, where] of cases) {
      const f = write(`${what}.json`, text);
      let err: unknown;
      try {
        loadSummary(f);
      } catch (e) {
        err = e;
      }
      expect(err, what).to.be.instanceOf(UserError);
      const m = (err as Error).message;
      expect(m, what).to.match(where);
      expect(m, what).to.include(f);
      expect(m.split("\n"), what).to.have.length(1);
    }
    expect(() => loadSummary(path.join(tmp, "absent.json"))).to.throw(UserError, /cannot read study summary .*ENOENT/);
    expect(() => loadRegions(write("r.json", '{"method": 1}'))).to.throw(UserError, /not a valid region summary/);
  });
});
