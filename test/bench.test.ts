import { expect } from "chai";
import { createModel } from "../lib/model";
import { randomBatchSource, speedBound } from "../lib/bench";
import { tf } from "../lib/tf";
import { equalChannels } from "../lib/kernels/trunk";

describe("lib/bench.ts", () => {
  it("speedBound: an epoch's arithmetic at a given peak (hand-computed)", () => {
    const m = createModel(0);
    // 784 images × 5,653,824 multiply-adds × 2 = 8.865 GFLOP; at 50 GFLOP/s: 0.1773 s on one core, 0.0887 on two
    const b = speedBound(m, 784, 0.5, 50);
    const g = speedBound(m, 784, 0.5, 50, true);
    m.dispose();
    expect(b).to.deep.equal({
      greyInput: false,
      epochGflop: 8.865,
      peakGflopsPerCore: 50,
      floorSeconds: { oneCore: 0.1773, twoCores: 0.0887 },
      achievedGflops: 17.7,
      shareOfOneCore: 0.355,
    });
    // grey images: 784 × 4,492,224 × 2 = 7.0438 GFLOP; in 0.5 s, 14.1 GFLOP/s
    expect([g.greyInput, g.epochGflop, g.achievedGflops, g.floorSeconds.oneCore]).to.deep.equal([
      true,
      7.044,
      14.1,
      0.1409,
    ]);
  });

  it("randomBatchSource: 20 images in batches of 8, 8, 4; with grey, each pixel's channels one value", () => {
    for (const grey of [false, true]) {
      const batches = [...randomBatchSource(20, 8, 3, grey)(0)];
      expect(batches.map((b) => b.xs.shape[0])).to.deep.equal([8, 8, 4]);
      for (const { xs, ys } of batches) {
        const v = xs.dataSync() as Float32Array;
        expect(equalChannels(v, 3), `grey ${grey}`).to.equal(grey);
        expect(v.every((x) => x >= 0 && x < 1)).to.equal(true);
        expect(Array.from(ys.sum(1).dataSync())).to.deep.equal(Array(xs.shape[0]).fill(1)); // one-hot
        tf.dispose([xs, ys]);
      }
    }
  });
});
