import { expect } from "chai";
import { initBackend } from "../../lib/tf";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runProtocol } from "../../lib/protocol";
import { PAPER, quickConfig } from "../../lib/config";
import { type RunRecord } from "../../lib/record";
import { makeFakeCk48 } from "../fixtures/ck48";

const strip = (r: RunRecord) =>
  r.folds.map((f) => ({ ...f, history: f.history.map(({ seconds: _s, ...rest }) => rest) }));

describe("protocol: interrupted and resumed (quick setting on a made-up CK+48)", function () {
  this.timeout(600_000);
  let dir: string;
  let tmp: string;
  before(async () => {
    dir = await makeFakeCk48(6);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fer-resume-"));
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(tmp, { recursive: true, force: true });
  });
  const config = { ...PAPER, folds: 3, maxEpochs: 5, patience: 3 };
  const noTimes = (r: RunRecord) => ({ ...r, seconds: 0, config: { ...r.config, workers: 0 }, folds: strip(r) });

  for (const workers of [0, 2]) {
    it(`stopped mid-run and resumed from its checkpoint folder, it gives the uninterrupted run (${workers} workers)`, async () => {
      const whole = await runProtocol({
        dataDir: dir,
        seed: 7,
        split: "random",
        config,
        quick: true,
        workers,
        verify: false,
      });
      const wholeWeights = whole.model.getWeights().map((w) => Array.from(w.dataSync()));
      whole.model.dispose();
      const ck = path.join(tmp, `ck-${workers}`);
      let epochs = 0;
      let err: Error | undefined;
      await runProtocol({
        dataDir: dir,
        seed: 7,
        split: "random",
        config,
        quick: true,
        workers,
        verify: false,
        checkpointDir: ck,
        log: (l) => void (/ epoch /.test(l) && epochs++),
        shouldStop: () => epochs >= 4,
      }).catch((e) => (err = e));
      expect(err?.name).to.equal("Interrupted");
      const left = fs.readdirSync(ck).sort();
      expect(left).to.include("run-spec.json");
      expect(left.some((f) => /^fold-\d\.json$/.test(f) || /^fold-\d\.done\.json$/.test(f))).to.equal(true);
      const firstPart = JSON.parse(fs.readFileSync(path.join(ck, "elapsed.json"), "utf8")).seconds as number;
      expect(firstPart).to.be.above(0);
      const t = performance.now();
      const resumed = await runProtocol({
        dataDir: dir,
        seed: 7,
        split: "random",
        config,
        quick: true,
        workers,
        verify: false,
        checkpointDir: ck,
      });
      const secondPart = (performance.now() - t) / 1000;
      // the record's wall time counts both parts (the first up to its last finished epoch), not just the resumed one
      expect(resumed.record.seconds).to.be.above(secondPart);
      expect(resumed.record.seconds).to.be.at.most(firstPart + secondPart);
      expect(noTimes(resumed.record)).to.deep.equal(noTimes(whole.record));
      expect(resumed.model.getWeights().map((w) => Array.from(w.dataSync()))).to.deep.equal(wholeWeights);
      resumed.model.dispose();
      expect(fs.readdirSync(ck).filter((f) => f.endsWith(".done.json"))).to.have.length(3);
    });
  }

  it("refuses a checkpoint folder made by another run", async () => {
    const ck = path.join(tmp, "ck-0");
    let err: Error | undefined;
    await runProtocol({
      dataDir: dir,
      seed: 8,
      split: "random",
      config,
      quick: true,
      workers: 0,
      verify: false,
      checkpointDir: ck,
    }).catch((e) => (err = e));
    expect(err?.name).to.equal("UserError");
    expect(err?.message).to.match(/made by a run with other settings/);
  });
});

describe("protocol: the run record names the backend its folds trained on", function () {
  this.timeout(300_000);
  let dir: string;
  before(async () => {
    dir = await makeFakeCk48(6);
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    initBackend("cpu-fast");
  });
  // A tiny network, so that the stock cpu kernels train it in seconds.
  const tiny = {
    ...quickConfig(PAPER),
    maxEpochs: 1,
    arch: { ...PAPER.arch, convs: PAPER.arch.convs.map((c) => ({ ...c, filters: 2 })), dense: 8 },
  };

  for (const workers of [0, 2]) {
    it(`the stock cpu backend started in this thread is the backend of every fold and of the record (${workers} workers)`, async () => {
      for (const backend of ["cpu", "cpu-fast"] as const) {
        initBackend(backend);
        const { record, model } = await runProtocol({
          dataDir: dir,
          seed: 1,
          split: "random",
          config: tiny,
          quick: true,
          workers,
          verify: false,
        });
        model.dispose();
        expect(record.backend, `${backend}, ${workers} workers`).to.equal(backend);
        expect(record.config.workers).to.equal(workers);
      }
    });
  }
});
