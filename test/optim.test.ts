import { expect } from "chai";
import { tf, useBackend } from "../lib/tf";
import { PAPER } from "../lib/config";
import { Rng } from "../lib/random";
import { lossMarkdown, rmspropMarkdown, EXAMPLE_BATCH, lossWorkedExample } from "../lib/notebooks/03-optim";
import { sampleSurface } from "../lib/figures/optim";
import {
  KERAS_EPSILON,
  sampleCrossEntropy,
  crossEntropyPerSample,
  crossEntropy,
  oneHot,
  rmspropInit,
  rmspropStep,
  sgdStep,
  createOptimizer,
  softmax as libSoftmax,
  movingAverageWeights,
  rmspropByHand,
  rmspropTfjs,
  elongatedQuadratic,
  rosenbrock,
  raceOptimizers,
  type RmspropSettings,
} from "../lib/optim";

/** A seeded stream of uniform numbers in [0, 1) from the project's generator. */
function rng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.next();
}

function softmax(z: number[]): number[] {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

describe("optim: categorical cross-entropy (Section 2.2.2, Eq. 1–2)", () => {
  const yTrue = [
    [1, 0, 0],
    [0, 1, 0],
  ];
  const yPred = [
    [0.7, 0.2, 0.1],
    [0.1, 0.6, 0.3],
  ];

  it("matches a hand-computed example: −log 0.7, −log 0.6 and their mean", () => {
    const per = crossEntropyPerSample(yTrue, yPred);
    expect(per[0]).to.be.closeTo(0.35667494393873245, 1e-12); // −ln 0.7
    expect(per[1]).to.be.closeTo(0.5108256237659907, 1e-12); // −ln 0.6
    expect(crossEntropy(yTrue, yPred)).to.be.closeTo(0.4337502838523616, 1e-12);
  });

  it("clips p to [1e-7, 1 − 1e-7] as Keras does: a zero probability on the true class costs −ln 1e-7", () => {
    expect(KERAS_EPSILON).to.equal(1e-7);
    expect(sampleCrossEntropy([1, 0, 0], [0, 1, 0])).to.be.closeTo(16.11809565095832, 1e-9);
    // Without the clip the textbook formula is infinite.
    expect(sampleCrossEntropy([1, 0, 0], [0, 1, 0], 0)).to.equal(Infinity);
    // A certain, correct prediction costs −ln(1 − 1e-7) ≈ 1e-7, not 0.
    expect(sampleCrossEntropy([0, 1], [0, 1])).to.be.closeTo(1.00000005e-7, 1e-13);
  });

  it("rescales each row to sum to 1 before the log (Keras/tfjs-layers do): [2,1,1] → p = 0.5", () => {
    expect(sampleCrossEntropy([1, 0, 0], [2, 1, 1])).to.be.closeTo(Math.LN2, 1e-12);
  });

  it("rejects shape mismatches and labels outside the class range", () => {
    expect(() => sampleCrossEntropy([1, 0], [0.5, 0.3, 0.2])).to.throw();
    expect(() => crossEntropy([[1, 0]], [])).to.throw();
    expect(() => oneHot(7, 7)).to.throw();
    expect(oneHot(2, 4)).to.deep.equal([0, 0, 1, 0]);
  });

  it("equals tf.metrics.categoricalCrossentropy per sample and tf.losses.softmaxCrossEntropy on the mean (1e-6)", () => {
    const r = rng(1);
    const n = 16;
    const k = 7;
    const logits = Array.from({ length: n }, () => Array.from({ length: k }, () => (r() - 0.5) * 8));
    const labels = Array.from({ length: n }, () => Math.floor(r() * k));
    const y = labels.map((l) => oneHot(l, k));
    const p = logits.map(softmax);

    const ours = crossEntropyPerSample(y, p);
    const theirs = tf.tidy(
      () => tf.metrics.categoricalCrossentropy(tf.tensor2d(y), tf.tensor2d(p)).arraySync() as number[],
    );
    expect(theirs).to.have.length(n);
    for (let i = 0; i < n; i++) expect(ours[i]).to.be.closeTo(theirs[i], 1e-6);

    const mean = tf.tidy(
      () => tf.losses.softmaxCrossEntropy(tf.tensor2d(y), tf.tensor2d(logits)).arraySync() as number,
    );
    expect(crossEntropy(y, p)).to.be.closeTo(mean, 1e-6);
    // Not a tautology: the loss of a different labelling is far away.
    expect(
      crossEntropy(
        labels.map((l) => oneHot((l + 1) % k, k)),
        p,
      ),
    ).to.not.be.closeTo(mean, 1e-2);
  });

  it("equals tfjs where the clip engages (probabilities of 0 and 1e-12)", () => {
    const y = [
      [1, 0, 0],
      [0, 0, 1],
    ];
    const p = [
      [0, 0.5, 0.5],
      [0.3, 0.7 - 1e-12, 1e-12],
    ];
    const ours = crossEntropyPerSample(y, p);
    const theirs = tf.tidy(
      () => tf.metrics.categoricalCrossentropy(tf.tensor2d(y), tf.tensor2d(p)).arraySync() as number[],
    );
    // float32 log of 1e-7 carries ~1e-6 absolute error on a value of 16.1, hence the looser bound here.
    for (let i = 0; i < 2; i++) expect(ours[i]).to.be.closeTo(theirs[i], 1e-5);
    expect(ours[0]).to.be.closeTo(16.118, 1e-3);
  });
});

describe("optim: RMSprop (Section 2.2.3, Eq. 3–4)", () => {
  it("first step by hand: θ − η g / sqrt((1−β) g² + ε)", () => {
    // θ = [1, −2], g = [0.5, −4], η = 0.01, β = 0.9, ε = 1e-7.
    // E[g²]_1 = 0.1·[0.25, 16] = [0.025, 1.6]
    // θ_1 = [1 − 0.01·0.5/sqrt(0.0250001), −2 + 0.01·4/sqrt(1.6000001)] = [0.96837728664…, −1.96837722438…]
    const { theta, state } = rmspropStep([1, -2], [0.5, -4], rmspropInit(2), { lr: 0.01, rho: 0.9, epsilon: 1e-7 });
    expect(state.meanSquare[0]).to.be.closeTo(0.025, 1e-15);
    expect(state.meanSquare[1]).to.be.closeTo(1.6, 1e-15);
    expect(theta[0]).to.be.closeTo(0.9683772866436797, 1e-12);
    expect(theta[1]).to.be.closeTo(-1.9683772243865278, 1e-12);
  });

  it("is pure: the input parameters and state are not modified", () => {
    const theta = [1, 2];
    const state = rmspropInit(2);
    state.meanSquare[0] = 0.5;
    rmspropStep(theta, [1, 1], state, { lr: 0.1, rho: 0.9, epsilon: 1e-7 });
    expect(theta).to.deep.equal([1, 2]);
    expect(Array.from(state.meanSquare)).to.deep.equal([0.5, 0]);
    expect(() => rmspropStep([1, 2], [1], rmspropInit(2), { lr: 0.1, rho: 0.9, epsilon: 1e-7 })).to.throw();
  });

  /**
   * f(θ) = ½ Σ a_i θ_i², ∇f = a ∘ θ. The tiny curvatures give gradients of ~1e-4, where E[g²] ~ 1e-9 ≪ ε, so ε and
   * where it sits change the result; the large ones test the ordinary regime.
   */
  const curvature = [1, 10, 0.1, 100, 1e-3, 2e-3];
  const theta0 = [1, -0.5, 2, 0.3, 0.1, -0.05];
  const STEPS = 12;

  function plainRun(settings: RmspropSettings): number[] {
    let theta: Float64Array = Float64Array.from(theta0);
    let state = rmspropInit(theta.length);
    for (let t = 0; t < STEPS; t++) {
      const g = theta.map((v, i) => curvature[i] * v);
      ({ theta, state } = rmspropStep(theta, g, state, settings));
    }
    return Array.from(theta);
  }

  function tfjsRun(optimizer: ReturnType<typeof createOptimizer>): number[] {
    const before = tf.memory().numTensors;
    const v = tf.variable(tf.tensor1d(theta0), true, `optim_test_${Math.random().toString(36).slice(2)}`);
    const a = tf.tensor1d(curvature);
    for (let t = 0; t < STEPS; t++) {
      const g = tf.mul(a, v);
      optimizer.applyGradients({ [v.name]: g });
      g.dispose();
    }
    const out = Array.from(v.dataSync());
    v.dispose();
    a.dispose();
    optimizer.dispose();
    expect(tf.memory().numTensors).to.be.at.most(before + 1); // + the optimizer's iteration counter at most
    return out;
  }

  it(`equals tf.train.rmsprop over ${STEPS} steps on a quadratic (1e-6), ε inside the root`, () => {
    const settings = { lr: 0.01, rho: 0.9, epsilon: 1e-7 };
    const ours = plainRun(settings);
    const theirs = tfjsRun(tf.train.rmsprop(settings.lr, settings.rho, 0, settings.epsilon));
    for (let i = 0; i < ours.length; i++) expect(ours[i]).to.be.closeTo(theirs[i], 1e-6);
    // The parameters really moved (so equality is not trivially "nothing happened").
    for (let i = 0; i < ours.length; i++) expect(Math.abs(ours[i] - theta0[i])).to.be.greaterThan(1e-4);
  });

  it("ε outside the root (tf.keras TF2 / Keras 2) gives a different result from tfjs — the placement matters", () => {
    const settings = { lr: 0.01, rho: 0.9, epsilon: 1e-7 };
    const inside = plainRun(settings);
    const outside = plainRun({ ...settings, epsilonPlacement: "outside" });
    const theirs = tfjsRun(tf.train.rmsprop(settings.lr, settings.rho, 0, settings.epsilon));
    const maxDiff = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));
    expect(maxDiff(inside, theirs)).to.be.below(1e-6);
    expect(maxDiff(outside, theirs)).to.be.above(1e-3);
    // In the ordinary regime (E[g²] ≫ ε: the first four coordinates) the two placements agree closely.
    for (let i = 0; i < 4; i++) expect(outside[i]).to.be.closeTo(inside[i], 1e-5);
  });

  it("createOptimizer(PAPER) is tf.train.rmsprop(0.001, 0.9, 0, 1e-7) and matches the plain Eq. 3–4 with PAPER", () => {
    const opt = createOptimizer();
    expect(opt.getConfig()).to.deep.include({
      learningRate: 0.001,
      decay: 0.9,
      momentum: 0,
      epsilon: 1e-7,
      centered: false,
    });
    const theirs = tfjsRun(opt);
    const ours = plainRun({ lr: PAPER.learningRate, rho: PAPER.rho, epsilon: PAPER.epsilon });
    for (let i = 0; i < ours.length; i++) expect(ours[i]).to.be.closeTo(theirs[i], 1e-6);
    // tfjs' default ε (1e-8) would give a visibly different path on the small-gradient coordinates.
    const tfjsDefaultEps = plainRun({ lr: PAPER.learningRate, rho: PAPER.rho, epsilon: 1e-8 });
    expect(Math.abs(tfjsDefaultEps[4] - theirs[4])).to.be.above(1e-4);
  });
});

describe("optim: softmax and the moving average of Eq. 3", () => {
  it("softmax equals tfjs' tf.softmax, ignores a shift of every logit and does not overflow", () => {
    const z = [0.3, -1.2, 2.5, 0, 4, -3, 1];
    const ours = libSoftmax(z);
    const theirs = Array.from(tf.tidy(() => tf.softmax(tf.tensor1d(z)).dataSync()));
    ours.forEach((p, i) => expect(p).to.be.closeTo(theirs[i], 1e-7));
    libSoftmax(z.map((v) => v + 1000)).forEach((p, i) => expect(p).to.be.closeTo(ours[i], 1e-12));
    expect(libSoftmax([1000, 0])[0]).to.be.closeTo(1, 1e-12);
    expect(() => libSoftmax([])).to.throw();
  });

  it("movingAverageWeights are the weights of the unrolled Eq. 3: E[g²]_t = Σ_k (1 − β) β^k g²_{t−k}, summing to 1 − β^t", () => {
    const r = rng(7);
    const g = Array.from({ length: 12 }, () => r() * 2 - 1);
    for (const beta of [0, 0.5, 0.9, 0.99]) {
      let state = rmspropInit(1);
      for (const gk of g) state = rmspropStep([0], [gk], state, { lr: 0.1, rho: beta, epsilon: 1e-7 }).state;
      const w = movingAverageWeights(beta, g.length);
      const unrolled = w.reduce((a, wk, k) => a + wk * g[g.length - 1 - k] ** 2, 0);
      expect(state.meanSquare[0]).to.be.closeTo(unrolled, 1e-12);
      expect(w.reduce((a, b) => a + b, 0)).to.be.closeTo(1 - beta ** g.length, 1e-12);
    }
    expect(() => movingAverageWeights(1, 3)).to.throw();
  });
});

describe("optim: which RMSprop class trains", () => {
  it("the fused one on cpu-fast, tfjs' own on the stock cpu backend (the bench's all-stock baseline)", () => {
    const before = tf.getBackend();
    useBackend("cpu-fast");
    const fast = createOptimizer();
    useBackend("cpu");
    const stock = createOptimizer();
    tf.setBackend(before);
    expect(fast.constructor).to.not.equal(tf.RMSPropOptimizer);
    expect(fast).to.be.instanceOf(tf.RMSPropOptimizer);
    expect(stock.constructor).to.equal(tf.RMSPropOptimizer);
    fast.dispose();
    stock.dispose();
  });
});

describe("optim: SGD and the RMSprop-vs-SGD race (notebook 03's chart)", () => {
  it("sgdStep by hand: [1, 2] − 0.1·[3, −4] = [0.7, 2.4]", () => {
    const t = sgdStep([1, 2], [3, -4], 0.1);
    expect(t[0]).to.be.closeTo(0.7, 1e-15);
    expect(t[1]).to.be.closeTo(2.4, 1e-15);
  });

  it("SGD's path on ½(x² + κy²) follows the closed form x_k = x_0(1−η)^k, y_k = y_0(1−ηκ)^k", () => {
    const kappa = 25;
    const race = raceOptimizers({ surface: elongatedQuadratic(kappa), start: [-4, 1.5], steps: 30, sgdLr: 0.07 });
    expect(race.sgd.path).to.have.length(31);
    for (const p of race.sgd.path) {
      expect(p.x).to.be.closeTo(-4 * (1 - 0.07) ** p.step, 1e-12);
      expect(p.y).to.be.closeTo(1.5 * (1 - 0.07 * kappa) ** p.step, 1e-12);
      expect(p.f).to.be.closeTo(0.5 * (p.x * p.x + kappa * p.y * p.y), 1e-12);
    }
  });

  it("RMSprop's path is the repeated rmspropStep, starts at the start, and beats SGD on the elongated valley", () => {
    const race = raceOptimizers();
    const again = raceOptimizers();
    expect(again).to.deep.equal(race); // deterministic
    expect(race.rmsprop.path[0]).to.include({ step: 0, x: -4, y: 1.5 });
    expect(race.sgd.path[0]).to.include({ step: 0, x: -4, y: 1.5 });
    const first = rmspropStep([-4, 1.5], [-4, 25 * 1.5], rmspropInit(2), {
      lr: race.rmsprop.lr,
      rho: race.rmsprop.rho,
      epsilon: race.rmsprop.epsilon,
    });
    expect(race.rmsprop.path[1].x).to.equal(first.theta[0]);
    expect(race.rmsprop.path[1].y).to.equal(first.theta[1]);
    const last = (p: { f: number }[]) => p[p.length - 1].f;
    expect(last(race.rmsprop.path)).to.be.below(last(race.sgd.path));
  });

  it("Rosenbrock's gradient matches central finite differences; its minimum is (1, 1)", () => {
    const s = rosenbrock();
    expect(s.f(1, 1)).to.equal(0);
    for (const [x, y] of [
      [-1.2, 1],
      [0.5, -0.3],
      [2, 3],
    ]) {
      const h = 1e-6;
      const [gx, gy] = s.grad(x, y);
      expect(gx).to.be.closeTo((s.f(x + h, y) - s.f(x - h, y)) / (2 * h), 1e-4);
      expect(gy).to.be.closeTo((s.f(x, y + h) - s.f(x, y - h)) / (2 * h), 1e-4);
    }
  });

  it("sampleSurface covers the grid corners row-major", () => {
    const g = sampleSurface(elongatedQuadratic(4), [-1, 1], [0, 2], 3);
    expect(g).to.have.length(9);
    expect(g[0]).to.deep.equal({ x: -1, y: 0, f: 0.5 });
    expect(g[8]).to.deep.equal({ x: 1, y: 2, f: 0.5 * (1 + 16) });
  });
});

describe("optim: what notebook 03 works by hand", () => {
  it("the Eq. 1–2 worked example equals lib/optim and tfjs", () => {
    const w = lossWorkedExample(EXAMPLE_BATCH.labels, EXAMPLE_BATCH.probs);
    expect(w.rows.map((r) => r.loss)).to.deep.equal(
      EXAMPLE_BATCH.probs.map((p, i) => -Math.log(p[EXAMPLE_BATCH.labels[i]])),
    );
    expect(w.mean).to.be.closeTo(
      crossEntropy(
        EXAMPLE_BATCH.labels.map((l) => oneHot(l, 7)),
        EXAMPLE_BATCH.probs,
      ),
      1e-12,
    );
    expect(w.tfjsMean).to.be.closeTo(w.mean, 1e-6);
    expect(lossMarkdown(w)).to.include("Eq. 2 (the mean)");
  });

  it("RMSprop by hand: first step ≈ 3.16 η, and θ equals tf.train.rmsprop after every step", () => {
    const s = { lr: PAPER.learningRate, rho: PAPER.rho, epsilon: PAPER.epsilon };
    const grads = [0.5, 0.5, -2, 0.01, 0.01];
    const rows = rmspropByHand(1, grads, s);
    expect(1 - rows[0].theta).to.be.closeTo(PAPER.learningRate / Math.sqrt(1 - PAPER.rho), 1e-6);
    expect(rows[0].meanSquare).to.be.closeTo(0.1 * 0.25, 1e-15);
    const before = tf.memory().numTensors;
    const theirs = rmspropTfjs(1, grads, s);
    expect(tf.memory().numTensors).to.equal(before);
    rows.forEach((r, i) => expect(theirs[i]).to.be.closeTo(r.theta, 1e-6));
    const outside = rmspropByHand(1, [1e-4], { ...s, epsilonPlacement: "outside" });
    expect(Math.abs(outside[0].step)).to.be.greaterThan(5 * Math.abs(rmspropByHand(1, [1e-4], s)[0].step));
    expect(rmspropMarkdown(rows, theirs).split("\n")).to.have.length(7);
  });
});
