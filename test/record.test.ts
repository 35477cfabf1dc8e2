/**
 * lib/record.ts: the run-record contract: its JSON form (Infinity and NaN as null) and loadRun's one-line errors.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadRun, runRecordJson } from "../lib/record";
import { makeRun } from "./fixtures/run";
import fc from "fast-check";
import { PAPER_RUN } from "../lib/paths";
import { mutate, mutation } from "./helpers/mutate";
import { settle } from "./helpers/outcome";

describe("run record", () => {
  let tmp: string;
  const run = makeRun({ seed: 3 });
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fer-record-"));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("runRecordJson writes Infinity and NaN as null, and the result loads as a run record", () => {
    expect(runRecordJson({ a: Infinity, b: NaN, c: 1 })).to.equal('{\n "a": null,\n "b": null,\n "c": 1\n}\n');
    const file = path.join(tmp, "run.json");
    fs.writeFileSync(file, runRecordJson(run));
    expect(loadRun(file).test.accuracy).to.equal(run.test.accuracy);
  });

  it("loadRun answers a missing file, bad JSON and a broken contract with one line each", () => {
    const bad = path.join(tmp, "bad.json");
    fs.writeFileSync(bad, "{ not json");
    const broken = path.join(tmp, "broken.json");
    fs.writeFileSync(broken, runRecordJson({ ...run, bestFold: 9 }));
    for (const [file, pattern] of [
      [path.join(tmp, "none.json"), /cannot read run record/],
      [bad, /is not valid JSON/],
      [broken, /not a valid run record: bestFold/],
    ] as const) {
      let err: Error | undefined;
      try {
        loadRun(file);
      } catch (e) {
        err = e as Error;
      }
      expect(err?.name).to.equal("UserError");
      expect(err?.message).to.match(pattern);
      expect(err?.message).to.not.include("\n");
    }
  });
});

describe("record: random damage to a real run.json (fast-check)", function () {
  this.timeout(120_000);
  it("every mutation gives a valid record or a one-line user error, never a crash of the validator", () => {
    const real = path.join(PAPER_RUN, "run.json");
    const text = fs.readFileSync(real, "utf8");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fer-fuzz-run-"));
    const file = path.join(dir, "run.json");
    const seen = new Set<string>();
    try {
      fc.assert(
        fc.property(mutation, (m) => {
          fs.writeFileSync(file, mutate(text, m));
          seen.add(settle(() => loadRun(file)));
        }),
        { numRuns: 300, seed: 22 },
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect([...seen]).to.include("user error"); // the damage was real
  });
});
