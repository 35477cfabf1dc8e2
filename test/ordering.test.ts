/**
 * lib/ordering.ts: margins of class orders on hand-made runs, their intervals over resampled seeds (a clear order
 * holds, a reversed one is reversed, a 0.002 gap in noise cannot be told), and each class's rank range.
 */
import { expect } from "chai";
import { marginInterval, orderMargin, orderVerdict, rankRanges } from "../lib/ordering";

describe("ordering: claims about the order of classes", () => {
  it("the margin is the lowest of the better classes' means minus the highest of the worse ones'", () => {
    const v = { a: [0.9, 0.8], b: [0.7, 0.7], c: [0.6, 0.4] };
    expect(orderMargin(v, ["a", "b"], ["c"])).to.be.closeTo(0.7 - 0.5, 1e-12);
    expect(orderMargin(v, ["c"], ["a"])).to.be.closeTo(0.5 - 0.85, 1e-12);
  });
  it("a clear order holds, its reverse is reversed, and a 0.002 gap in noise is not distinguishable", () => {
    const noise = [0.01, -0.02, 0.015, -0.005, 0.02, -0.01, 0.0, -0.015, 0.01, -0.005];
    const clear = { good: noise.map((e) => 0.98 + e), weak: noise.map((e) => 0.8 - e) };
    const iv = marginInterval(clear, ["good"], ["weak"]).interval;
    expect(orderVerdict(iv)).to.equal("holds");
    expect(orderVerdict(marginInterval(clear, ["weak"], ["good"]).interval)).to.equal("reversed");
    const close = { good: noise.map((e) => 0.984 + e), weak: noise.map((_, i) => 0.982 + noise[(i + 3) % 10]) };
    const m = marginInterval(close, ["good"], ["weak"]);
    expect(m.margin).to.be.closeTo(0.002, 1e-9);
    expect(m.interval!.lo).to.be.below(0);
    expect(m.interval!.hi).to.be.above(0);
    expect(orderVerdict(m.interval)).to.equal("not distinguishable");
    expect(marginInterval({ a: [1], b: [0] }, ["a"], ["b"]).interval).to.equal(null);
    expect(() => marginInterval({ a: [1, 2], b: [0] }, ["a"], ["b"])).to.throw(/different numbers of runs/);
  });
  it("rank ranges: a class always first has the range 1–1; two classes that swap span 2–3", () => {
    const r = rankRanges({
      top: [0.99, 0.98, 0.99, 0.97],
      x: [0.5, 0.7, 0.5, 0.7],
      y: [0.7, 0.5, 0.7, 0.5],
    });
    expect(r.top).to.deep.equal({ rank: 1, lo: 1, hi: 1 });
    expect(r.x.rank).to.equal(2); // equal means: both share the better rank
    expect(r.y.rank).to.equal(2);
    expect([r.x.lo, r.x.hi]).to.deep.equal([2, 3]);
  });
});
