/**
 * Notebook 03-optim's own code (Sections 2.2.2–2.2.3, Eq. 1–4): the worked examples, RMSprop step by step beside tfjs,
 * the optimiser race on 2-D surfaces, and the notebook's tables and listings. Eq. 1–4 themselves and the optimiser
 * training uses are lib/optim.ts.
 */
import * as path from "path";
import { tf } from "../tf";
import { CLASSES, PAPER } from "../config";
import { TFJS_RMSPROP_FILE, crossEntropy, oneHot, rmspropInit, rmspropStep, sampleCrossEntropy, sgdStep, type RmspropSettings } from "../optim";
import { ROOT } from "../paths";
import { markdownTable } from "../display/text";
import { sideBySideHtml, sourceOf } from "../display/listing";

// ---------------------------------------------------------------------------------------------------------------
// RMSprop vs SGD on a 2-D test surface (for the notebook chart of Section 2.2.3)
// ---------------------------------------------------------------------------------------------------------------

/** A differentiable function of two variables, to watch optimisers walk on. */
export interface Surface {
  name: string;
  f(x: number, y: number): number;
  grad(x: number, y: number): [number, number];
  /** The minimiser, for the chart. */
  minimum: [number, number];
}

/**
 * f(x, y) = ½ (x² + κ y²): a valley κ times steeper across (y) than along (x). Plain gradient descent must keep η
 * below 2/κ to not diverge across the valley and then crawls along it; RMSprop rescales each coordinate by its own
 * gradient size and walks both at about the same speed (the point of Eq. 4).
 */
export function elongatedQuadratic(kappa = 25): Surface {
  return {
    name: `elongated quadratic ½(x² + ${kappa}y²)`,
    f: (x, y) => 0.5 * (x * x + kappa * y * y),
    grad: (x, y) => [x, kappa * y],
    minimum: [0, 0],
  };
}

/** Rosenbrock's banana valley f(x, y) = (a − x)² + b (y − x²)², minimum at (a, a²). */
export function rosenbrock(a = 1, b = 100): Surface {
  return {
    name: `Rosenbrock (a=${a}, b=${b})`,
    f: (x, y) => (a - x) ** 2 + b * (y - x * x) ** 2,
    grad: (x, y) => [-2 * (a - x) - 4 * b * x * (y - x * x), 2 * b * (y - x * x)],
    minimum: [a, a * a],
  };
}

/** One point of an optimiser's path: the position after `step` steps and the surface value there. */
export interface PathPoint {
  step: number;
  x: number;
  y: number;
  f: number;
}

export interface OptimizerRace {
  surface: string;
  minimum: [number, number];
  sgd: { lr: number; path: PathPoint[] };
  rmsprop: { lr: number; rho: number; epsilon: number; path: PathPoint[] };
}

/**
 * Run plain gradient descent ({@link sgdStep}) and RMSprop ({@link rmspropStep}, Eq. 3–4) from the same start for
 * the same number of full-gradient steps on a 2-D surface, returning both paths (steps 0…`steps`) for a chart.
 * Deterministic: no randomness is involved, so the same arguments always give the same paths.
 */
export function raceOptimizers(
  opts: {
    surface?: Surface;
    start?: [number, number];
    steps?: number;
    sgdLr?: number;
    rmspropLr?: number;
    rho?: number;
    epsilon?: number;
  } = {},
): OptimizerRace {
  const surface = opts.surface ?? elongatedQuadratic();
  const start = opts.start ?? [-4, 1.5];
  const steps = opts.steps ?? 60;
  const sgdLr = opts.sgdLr ?? 0.07;
  const rmspropLr = opts.rmspropLr ?? 0.1;
  const rho = opts.rho ?? PAPER.rho;
  const epsilon = opts.epsilon ?? PAPER.epsilon;
  const point = (step: number, t: ArrayLike<number>): PathPoint => ({
    step,
    x: t[0],
    y: t[1],
    f: surface.f(t[0], t[1]),
  });

  let s: Float64Array = Float64Array.from(start);
  const sgdPath = [point(0, s)];
  for (let k = 1; k <= steps; k++) {
    s = sgdStep(s, surface.grad(s[0], s[1]), sgdLr);
    sgdPath.push(point(k, s));
  }

  let r: Float64Array = Float64Array.from(start);
  let state = rmspropInit(2);
  const rmsPath = [point(0, r)];
  for (let k = 1; k <= steps; k++) {
    ({ theta: r, state } = rmspropStep(r, surface.grad(r[0], r[1]), state, { lr: rmspropLr, rho, epsilon }));
    rmsPath.push(point(k, r));
  }

  return {
    surface: surface.name,
    minimum: surface.minimum,
    sgd: { lr: sgdLr, path: sgdPath },
    rmsprop: { lr: rmspropLr, rho, epsilon, path: rmsPath },
  };
}

/** The surface sampled on an n×n grid over [x0,x1]×[y0,y1] (row-major, y outer), for a contour/heat-map backdrop. */
export function sampleSurface(
  surface: Surface,
  xRange: [number, number],
  yRange: [number, number],
  n = 41,
): { x: number; y: number; f: number }[] {
  const out: { x: number; y: number; f: number }[] = [];
  for (let j = 0; j < n; j++) {
    const y = yRange[0] + ((yRange[1] - yRange[0]) * j) / (n - 1);
    for (let i = 0; i < n; i++) {
      const x = xRange[0] + ((xRange[1] - xRange[0]) * i) / (n - 1);
      out.push({ x, y, f: surface.f(x, y) });
    }
  }
  return out;
}

/** One sample of the Eq. 1 worked example. */
export interface LossRow {
  sample: number;
  trueClass: string;
  pTrue: number;
  /** −log p_true: Eq. 1 for a one-hot y. */
  loss: number;
}

/** Eq. 1 per sample, Eq. 2, and tfjs' numbers for the same batch ({@link lossWorkedExample}). */
export interface LossWorkedExample {
  rows: LossRow[];
  /** Eq. 2: the mean of the per-sample losses. */
  mean: number;
  /** tfjs `tf.metrics.categoricalCrossentropy` per sample. */
  tfjsPerSample: number[];
  tfjsMean: number;
}

/** Eq. 1 per sample and Eq. 2 (their mean) for labelled softmax rows, with tfjs' own numbers for the same batch. */
export function lossWorkedExample(labels: number[], probs: number[][]): LossWorkedExample {
  const y = labels.map((l) => oneHot(l, probs[0].length));
  const rows = labels.map((l, n) => ({
    sample: n + 1,
    trueClass: CLASSES[l] ?? String(l),
    pTrue: probs[n][l],
    loss: sampleCrossEntropy(y[n], probs[n]),
  }));
  const tfjsPerSample = tf.tidy(
    () => tf.metrics.categoricalCrossentropy(tf.tensor2d(y), tf.tensor2d(probs)).arraySync() as number[],
  );
  return {
    rows,
    mean: crossEntropy(y, probs),
    tfjsPerSample,
    tfjsMean: tfjsPerSample.reduce((a, b) => a + b, 0) / tfjsPerSample.length,
  };
}

/** The example batch of notebook 03: three faces' softmax outputs (confident right, unsure, confidently wrong). */
export const EXAMPLE_BATCH = {
  labels: [4, 5, 5],
  probs: [
    [0.01, 0.01, 0.02, 0.01, 0.92, 0.02, 0.01],
    [0.3, 0.05, 0.05, 0.05, 0.05, 0.45, 0.05],
    [0.7, 0.02, 0.05, 0.03, 0.02, 0.1, 0.08],
  ],
};

/** One step of Eq. 3–4 for one parameter, every intermediate written out. */
export interface RmspropRow {
  t: number;
  g: number;
  /** E[g²]_t (Eq. 3). */
  meanSquare: number;
  /** sqrt(E[g²]_t + ε). */
  denom: number;
  /** η g / denom. */
  step: number;
  /** θ_{t+1} (Eq. 4). */
  theta: number;
}

/** Eq. 3–4 on one parameter for a given gradient sequence (lib/optim rmspropStep), every quantity of every step. */
export function rmspropByHand(theta0: number, grads: number[], settings: RmspropSettings): RmspropRow[] {
  let theta: Float64Array = Float64Array.of(theta0);
  let state = rmspropInit(1);
  const rows: RmspropRow[] = [];
  grads.forEach((g, i) => {
    const r = rmspropStep(theta, [g], state, settings);
    const ms = r.state.meanSquare[0];
    const denom =
      settings.epsilonPlacement === "outside" ? Math.sqrt(ms) + settings.epsilon : Math.sqrt(ms + settings.epsilon);
    rows.push({ t: i + 1, g, meanSquare: ms, denom, step: (settings.lr * g) / denom, theta: r.theta[0] });
    theta = r.theta;
    state = r.state;
  });
  return rows;
}

/** The same gradient sequence through tfjs' `tf.train.rmsprop` (what training uses): θ after each step. */
export function rmspropTfjs(theta0: number, grads: number[], settings: RmspropSettings): number[] {
  const opt = tf.train.rmsprop(settings.lr, settings.rho, 0, settings.epsilon);
  const init = tf.tensor1d([theta0]);
  const v = tf.variable(init, true, `notebook_rmsprop_${Date.now()}_${Math.floor(Math.random() * 1e9)}`);
  init.dispose();
  const out: number[] = [];
  try {
    for (const g of grads) {
      tf.tidy(() => opt.applyGradients({ [v.name]: tf.tensor1d([g]) }));
      out.push(v.dataSync()[0]);
    }
  } finally {
    v.dispose();
    opt.dispose();
  }
  return out;
}

/** The Eq. 1–2 worked example as Markdown, ours beside tfjs. */
export function lossMarkdown(w: LossWorkedExample): string {
  return [
    markdownTable(
      ["sample", "true class", "p(true class)", "Eq. 1: −log p", "tfjs categoricalCrossentropy"],
      w.rows.map((r, i) => [
        r.sample,
        r.trueClass,
        r.pTrue.toFixed(2),
        r.loss.toFixed(6),
        w.tfjsPerSample[i].toFixed(6),
      ]),
      ["r", "l", "r", "r", "r"],
    ),
    "",
    `Eq. 2 (the mean): **${w.mean.toFixed(6)}**; tfjs: **${w.tfjsMean.toFixed(6)}**.`,
  ].join("\n");
}

/** Eq. 3–4 step by step as Markdown, with tfjs' θ after the same steps. */
export function rmspropMarkdown(rows: RmspropRow[], tfjsTheta: number[]): string {
  const e = (v: number) => (Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(3) : v.toFixed(6));
  return markdownTable(
    ["t", "g_t", "E[g²]_t (Eq. 3)", "√(E[g²]_t + ε)", "η·g_t / √(…)", "θ_t+1 (Eq. 4)", "θ_t+1 tfjs"],
    rows.map((r, i) => [
      r.t,
      e(r.g),
      e(r.meanSquare),
      e(r.denom),
      e(r.step),
      r.theta.toFixed(8),
      (tfjsTheta[i] ?? NaN).toFixed(8),
    ]),
    ["r", "r", "r", "r", "r", "r", "r"],
  );
}

/** lib/optim rmspropStep beside tfjs' `RMSPropOptimizer.applyGradients` (what training runs), as HTML. */
export function rmspropListingsHtml(): string {
  const ours = sourceOf(path.join(ROOT, "lib", "optim.ts"), "rmspropStep");
  const theirs = sourceOf(TFJS_RMSPROP_FILE, "RMSPropOptimizer.applyGradients");
  const rel = path.relative(ROOT, TFJS_RMSPROP_FILE);
  return sideBySideHtml(
    { title: `ours: ${ours.file}, line ${ours.line}`, code: ours.code },
    { title: `tfjs: ${rel}, line ${theirs.line}`, code: theirs.code },
  );
}

/** Where each optimiser of a race ended, as Markdown. */
export function raceMarkdown(race: OptimizerRace): string {
  const last = (p: { x: number; y: number; f: number }[]) => p[p.length - 1];
  const s = last(race.sgd.path);
  const r = last(race.rmsprop.path);
  return markdownTable(
    ["optimiser", "η", "after step", "x", "y", "f"],
    [
      ["SGD", race.sgd.lr, race.sgd.path.length - 1, s.x.toFixed(4), s.y.toFixed(4), s.f.toExponential(2)],
      ["RMSprop", race.rmsprop.lr, race.rmsprop.path.length - 1, r.x.toFixed(4), r.y.toFixed(4), r.f.toExponential(2)],
    ],
    ["l", "r", "r", "r", "r", "r"],
  );
}

/** The facts this notebook's prose cites by name, beside lib/notebooks/facts.ts commonFacts (tied in cell metadata). */
export function proseFacts(): Record<string, number> {
  return {};
}
