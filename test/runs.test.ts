/**
 * lib/runs.ts: which run the notebooks show and what notebook 04 does (load, train quick or full, nothing), on
 * synthetic run records and a made-up CK+48.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runRecordJson, type RunRecord } from "../lib/record";
import { makeFakeCk48 } from "./fixtures/ck48";
import { makeRun } from "./fixtures/run";
import { planMarkdown } from "../lib/notebooks/04-train";
import {
  type DataStatus,
  type FoundRun,
  LIVE_RUN_DIR,
  NO_RUN_MESSAGE,
  QUICK_RUN_DIR,
  carryOut,
  dataStatus,
  findRun,
  modelDirOf,
  quickMode,
  runStatus,
  trainingPlan,
  trainingTime,
} from "../lib/runs";

describe("runs: finding, planning and making the notebooks' runs", () => {
  let tmp: string;
  let run: RunRecord;
  let runs: { file: string; kind: FoundRun["kind"] }[];
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fer-notebook-"));
    run = makeRun({ seed: 3 });
    runs = [
      { file: path.join(tmp, "record", "run.json"), kind: "record" },
      { file: path.join(tmp, "live", "run.json"), kind: "live" },
      { file: path.join(tmp, "quick", "run.json"), kind: "quick" },
    ];
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const write = (file: string) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, runRecordJson(run));
  };
  const present: DataStatus = { present: true, dir: "/data", images: 981, message: "" };
  const absent: DataStatus = { present: false, dir: "/nowhere", images: 0, message: "" };

  it("findRun prefers the run of record, then a live run, then a quick one, and says which", () => {
    expect(findRun([])).to.equal(undefined);
    write(runs[2].file);
    const q = findRun(runs)!;
    expect(q.kind).to.equal("quick");
    expect(q.note).to.match(/quick run.*say nothing about the paper/);
    write(runs[0].file);
    const r = findRun(runs)!;
    expect(r.kind).to.equal("record");
    expect(runStatus(r)).to.match(/run of record/);
    expect(runStatus(undefined)).to.equal(NO_RUN_MESSAGE);
    expect(modelDirOf(r)).to.equal(undefined);
  });

  it("trainingPlan: load the record by default, retrain on request, quick run under FER_QUICK when there is none", () => {
    expect(trainingPlan({ retrain: false, quick: false, data: present, runs }).action).to.equal("load");
    expect(trainingPlan({ retrain: false, quick: true, data: present, runs }).action).to.equal("load");
    const re = trainingPlan({ retrain: true, quick: true, data: present, runs });
    expect(re).to.deep.include({ action: "train", quick: true, out: QUICK_RUN_DIR });
    expect(trainingPlan({ retrain: true, quick: false, data: present, runs })).to.deep.include({
      action: "train",
      quick: false,
      out: LIVE_RUN_DIR,
    });
    expect(trainingPlan({ retrain: true, quick: false, data: absent, runs }).action).to.equal("none");
    const noRecord = runs.slice(1);
    expect(trainingPlan({ retrain: false, quick: true, data: present, runs: noRecord })).to.deep.include({
      action: "train",
      quick: true,
    });
    const older = trainingPlan({ retrain: false, quick: false, data: present, runs: noRecord });
    expect(older.action).to.equal("load");
    expect(trainingPlan({ retrain: false, quick: true, data: absent, runs: noRecord }).action).to.equal("load");
    const none = trainingPlan({ retrain: false, quick: true, data: absent, runs: [] });
    expect(none.action).to.equal("none");
    expect(planMarkdown(none)).to.match(/nothing to do.*CK\+48 is not available/s);
  });

  it("trainingTime says how long a run trained from its own record; the plan to retrain quotes the run of record's", () => {
    // 123.4 s is the fixture's `seconds`: 2.06 minutes, written to one decimal.
    expect(trainingTime({ ...run, config: { ...run.config, workers: 2 } })).to.equal(
      "2.1 min on synthetic with 2 fold workers",
    );
    expect(trainingTime({ ...run, seconds: 30, config: { ...run.config, workers: 0 } })).to.equal(
      "0.5 min on synthetic in one thread",
    );
    expect(trainingTime({ ...run, config: { ...run.config, workers: undefined } })).to.equal("2.1 min on synthetic");
    write(runs[0].file);
    const full = trainingPlan({ retrain: true, quick: false, data: present, runs });
    expect(full.reason).to.equal(
      "RETRAIN = true: training the full protocol (the run of record took 2.1 min on synthetic)",
    );
    const none = trainingPlan({ retrain: true, quick: false, data: present, runs: runs.slice(1) });
    expect(none.reason).to.equal("RETRAIN = true: training the full protocol");
    // With no record there is no measured time to quote: the message names none.
    expect(NO_RUN_MESSAGE).not.to.match(/minute|\bmin\b|cores/);
    expect(NO_RUN_MESSAGE).to.include("5-fold cross-validation");
  });

  it("quickMode reads FER_QUICK", () => {
    expect(quickMode({ FER_QUICK: "1" })).to.equal(true);
    expect(quickMode({ FER_QUICK: "true" })).to.equal(true);
    expect(quickMode({ FER_QUICK: "0" })).to.equal(false);
    expect(quickMode({})).to.equal(false);
  });

  it("carryOut runs the quick protocol on a made-up CK+48 and saves run.json and model/ into the plan's folder", async function () {
    this.timeout(120000);
    const dir = await makeFakeCk48(10);
    try {
      const out = path.join(tmp, "made");
      const lines: string[] = [];
      const found = await carryOut(
        { action: "train", quick: true, dataDir: dir, out, reason: "test" },
        (l) => lines.push(l),
        { verify: false },
      );
      expect(found?.kind).to.equal("quick");
      expect(found?.record.folds).to.have.length(2);
      expect(fs.existsSync(path.join(out, "run.json"))).to.equal(true);
      expect(modelDirOf(found)).to.equal(path.join(out, "model"));
      expect(lines.some((l) => /fold 1\/2 epoch/.test(l))).to.equal(true);
      expect(await carryOut({ action: "none", reason: "x" })).to.equal(undefined);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("runs: dataStatus on a made-up CK+48", () => {
  let dir: string;
  before(async () => {
    dir = await makeFakeCk48(3);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("dataStatus says present or absent (with what to do), without throwing", () => {
    const ok = dataStatus(dir);
    expect(ok.present).to.equal(true);
    expect(ok.images).to.equal(21);
    const no = dataStatus(path.join(dir, "nope"));
    expect(no.present).to.equal(false);
    expect(no.message).to.match(/not available.*CK48_DIR/s);
  });
});
