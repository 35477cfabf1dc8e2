/**
 * lib/train.ts: early stopping and the best weights, through the protocol's quick setting on a made-up CK+48.
 */
import { expect } from "chai";
import * as fs from "fs";
import { runProtocol } from "../lib/protocol";
import { PAPER } from "../lib/config";
import { makeFakeCk48 } from "./fixtures/ck48";

const QUICK = { ...PAPER, folds: 2, maxEpochs: 2 };

describe("training one fold (Section 3)", function () {
  this.timeout(300_000);
  let dir: string;
  before(async () => {
    dir = await makeFakeCk48(6);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("early stopping with patience 1 stops a fold as soon as validation loss fails to improve, keeping the best epoch", async () => {
    const { record, model } = await runProtocol({ dataDir: dir, seed: 4, split: "random", config: { ...QUICK, maxEpochs: 30, patience: 1, folds: 2 }, quick: true, workers: 0, verify: false });
    model.dispose();
    expect(record.folds.some((f) => f.history.length < 30)).to.equal(true);
    for (const f of record.folds) {
      const losses = f.history.map((h) => h.valLoss);
      const bestIdx = losses.indexOf(Math.min(...losses));
      expect(f.bestEpoch).to.equal(bestIdx + 1);
      if (f.history.length < 30) {
        // stopped one epoch after the last improvement
        expect(f.history.length).to.equal(f.bestEpoch + 1);
      }
      expect(f.bestValLoss).to.equal(losses[bestIdx]);
    }
  });
});
