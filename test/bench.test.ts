import { expect } from "chai";
import { createModel } from "../lib/model";
import { speedBound } from "../lib/bench";

describe("lib/bench.ts", () => {
  it("speedBound: an epoch's arithmetic at a given peak (hand-computed)", () => {
    const m = createModel(0);
    // 784 images × 5,653,824 multiply-adds × 2 = 8.865 GFLOP; at 50 GFLOP/s: 0.1773 s on one core, 0.0887 on two
    const b = speedBound(m, 784, 0.5, 50);
    m.dispose();
    expect(b).to.deep.equal({
      epochGflop: 8.865,
      peakGflopsPerCore: 50,
      floorSeconds: { oneCore: 0.1773, twoCores: 0.0887 },
      achievedGflops: 17.7,
      shareOfOneCore: 0.355,
    });
  });
});
