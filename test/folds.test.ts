import { expect } from "chai";
import * as os from "os";
import { foldsBackend, runFoldJobs, type FoldJob, type FoldOutcome } from "../lib/folds";
import { PAPER, quickConfig } from "../lib/config";
import { Rng } from "../lib/random";

describe("lib/folds.ts", () => {
  const outcome = (backend: string) => ({ backend }) as FoldOutcome;
  it("foldsBackend: the one backend every fold names, an error when they differ or there is none", () => {
    expect(foldsBackend([outcome("cpu"), outcome("cpu")])).to.equal("cpu");
    expect(() => foldsBackend([outcome("cpu"), outcome("cpu-fast")])).to.throw("the folds trained on cpu and cpu-fast");
    expect(() => foldsBackend([])).to.throw("the folds trained on no backend");
  });

  describe("a worker left alone with the last fold moves its kernels onto two threads (the same bits)", function () {
    this.timeout(120_000);
    before(function () {
      if (os.availableParallelism() < 2) this.skip(); // no free core to move onto
    });
    const size = 48;
    /** A fold of made-up images: `train` training images, 8 validation and 8 test images, `epochs` epochs. */
    const job = (index: number, train: number, epochs: number): FoldJob => {
      const n = train + 16;
      const rng = new Rng(index + 1);
      return {
        index,
        seed: index,
        backend: "cpu-fast",
        config: { ...quickConfig(PAPER), maxEpochs: epochs, patience: epochs },
        size,
        x: Float32Array.from({ length: n * size * size * 3 }, () => rng.next()),
        labels: Array.from({ length: n }, (_, i) => i % 7),
        train: Array.from({ length: train }, (_, i) => i),
        val: Array.from({ length: 8 }, (_, i) => train + i),
        test: Array.from({ length: 8 }, (_, i) => train + 8 + i),
      };
    };
    const run = async (jobs: FoldJob[], workers: number) => {
      const threads: Record<number, number[]> = {};
      const outcomes = await runFoldJobs(jobs, workers, (fold, _rec, _info, t) => (threads[fold] ??= []).push(t));
      return {
        outcomes: outcomes.map(({ seconds: _s, history, ...o }) => ({
          ...o,
          history: history.map(({ seconds: _e, ...h }) => h),
        })),
        threads,
      };
    };

    it("a single fold on two workers: one worker, both cores, every epoch", async () => {
      const jobs = [job(0, 16, 3)];
      const two = await run(jobs, 2);
      expect(two.threads).to.deep.equal({ 0: [2, 2, 2] });
      const here = await run(jobs, 0);
      expect(here.threads).to.deep.equal({ 0: [1, 1, 1] });
      expect(two.outcomes).to.deep.equal(here.outcomes);
    });

    it("a short fold and a long one on two workers: the long one's last epochs on two threads, the short one's on one", async () => {
      const jobs = [job(0, 8, 1), job(1, 96, 30)];
      const two = await run(jobs, 2);
      expect(two.threads[0]).to.deep.equal([1]);
      expect(two.threads[1]).to.have.length(30);
      expect(two.threads[1].at(-1)).to.equal(2);
      expect(two.threads[1].slice(two.threads[1].indexOf(2))).to.not.include(1); // once moved, it stays
      expect(two.outcomes).to.deep.equal((await run(jobs, 0)).outcomes);
    });
  });
});
