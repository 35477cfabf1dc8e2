/** lib/normality.ts: skewness worked by hand, and when runs are too far from normal for t intervals. */
import { expect } from "chai";
import { farFromNormal, skewness } from "../lib/normality";

describe("normality: the shape of a sample of runs", () => {
  it("skewness by hand: {0, 0, 3} has m2 = 2, m3 = 2, g1 = 2/2^1.5 = 0.7071; a pile at a bound is far from normal", () => {
    expect(skewness([0, 0, 3])).to.be.closeTo(1 / Math.SQRT2, 1e-12);
    expect(skewness([1, 2, 3, 4])).to.be.closeTo(0, 1e-12);
    expect(skewness([1, 1])).to.be.NaN;
    expect(farFromNormal([0.9, 0.95, 1, 1, 1, 1], [0, 1])).to.deep.include({ far: true, atBound: 4 });
    expect(farFromNormal([0.8, 0.82, 0.85, 0.9, 0.86, 0.84], [0, 1]).far).to.equal(false);
    expect(farFromNormal([0, 0, 0, 0, 0, 0, 0, 0, 1, 3]).far).to.equal(true); // skewness 2.2
  });
});
