/**
 * The charts drawn for notebook 03 alone: the optimiser race (lib/optim.ts raceOptimizers), the weights of RMSprop's
 * moving average, and the per-image losses of the run of record. Pure functions data → vega-lite spec.
 */
import type { TopLevelSpec } from "vega-lite";
import { movingAverageWeights, type OptimizerRace, type Surface } from "../optim";

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

/** Chart of an optimiser race (lib/optim raceOptimizers): both paths over the surface, coloured by log10 f. */
export function specOptimizerRace(
  race: OptimizerRace,
  surface: Surface,
  xRange: [number, number] = [-4.5, 1],
  yRange: [number, number] = [-2, 2],
): TopLevelSpec {
  const n = 31;
  const dx = (xRange[1] - xRange[0]) / (n - 1);
  const dy = (yRange[1] - yRange[0]) / (n - 1);
  const grid = sampleSurface(surface, xRange, yRange, n).map((p) => ({
    x0: Math.max(xRange[0], p.x - dx / 2),
    x1: Math.min(xRange[1], p.x + dx / 2),
    y0: Math.max(yRange[0], p.y - dy / 2),
    y1: Math.min(yRange[1], p.y + dy / 2),
    logf: Math.log10(p.f + 1e-3),
  }));
  const sgd = `SGD (η = ${race.sgd.lr})`;
  const rms = `RMSprop (η = ${race.rmsprop.lr})`;
  const path = [
    ...race.sgd.path.map((p) => ({ ...p, optimizer: sgd })),
    ...race.rmsprop.path.map((p) => ({ ...p, optimizer: rms })),
  ].filter((p) => p.x >= xRange[0] && p.x <= xRange[1] && p.y >= yRange[0] && p.y <= yRange[1]);
  const xs = { domain: xRange, nice: false };
  const ys = { domain: yRange, nice: false };
  const steps = race.sgd.path.length - 1;
  return {
    title: {
      text: `SGD vs RMSprop on ${race.surface}`,
      subtitle: `${steps} steps from (${race.sgd.path[0].x}, ${race.sgd.path[0].y}); background: log10 f (darker = higher); cross: the minimum`,
    },
    width: 520,
    height: 300,
    layer: [
      {
        data: { values: grid },
        mark: { type: "rect" },
        encoding: {
          x: { field: "x0", type: "quantitative", scale: xs, title: "x" },
          x2: { field: "x1" },
          y: { field: "y0", type: "quantitative", scale: ys, title: "y" },
          y2: { field: "y1" },
          color: { field: "logf", type: "quantitative", title: "log10 f", scale: { scheme: "greys" } },
        },
      },
      {
        data: { values: path },
        mark: { type: "line", point: { size: 18, filled: true }, strokeWidth: 2 },
        encoding: {
          x: { field: "x", type: "quantitative", scale: xs },
          y: { field: "y", type: "quantitative", scale: ys },
          order: { field: "step", type: "quantitative" },
          color: {
            field: "optimizer",
            type: "nominal",
            title: null,
            scale: { domain: [sgd, rms], range: ["#e45756", "#4c78a8"] },
            legend: { orient: "bottom" },
          },
        },
      },
      {
        data: { values: [{ x: race.minimum[0], y: race.minimum[1] }] },
        mark: { type: "point", shape: "cross", size: 200, color: "#f58518", filled: true },
        encoding: {
          x: { field: "x", type: "quantitative", scale: xs },
          y: { field: "y", type: "quantitative", scale: ys },
        },
      },
    ],
  };
}

/** f along both paths of a race, per step, on a log scale. */
export function specRaceLoss(race: OptimizerRace): TopLevelSpec {
  const values = [
    ...race.sgd.path.map((p) => ({ step: p.step, f: Math.max(p.f, 1e-12), optimizer: "SGD" })),
    ...race.rmsprop.path.map((p) => ({ step: p.step, f: Math.max(p.f, 1e-12), optimizer: "RMSprop" })),
  ];
  return {
    title: { text: "Value of f per step" },
    width: 520,
    height: 200,
    data: { values },
    mark: { type: "line", strokeWidth: 2 },
    encoding: {
      x: { field: "step", type: "quantitative" },
      y: { field: "f", type: "quantitative", scale: { type: "log" }, title: "f (log scale)" },
      color: {
        field: "optimizer",
        type: "nominal",
        title: null,
        scale: { domain: ["SGD", "RMSprop"], range: ["#e45756", "#4c78a8"] },
      },
    },
  };
}

/**
 * The weights (1 − β) β^k that Eq. 3's moving average E[g²]_t gives the squared gradient of k steps ago, one line per
 * β (lib/optim.ts movingAverageWeights), as d2l's RMSprop chapter draws them; the legend gives each β's memory,
 * about 1/(1 − β) steps.
 */
export function specMovingAverage(betas: readonly number[], steps = 40): TopLevelSpec {
  const name = (b: number) => `β = ${b} (memory ≈ ${Number((1 / (1 - b)).toFixed(1))} steps)`;
  const values = betas.flatMap((b) =>
    movingAverageWeights(b, steps).map((weight, k) => ({ k, weight, beta: name(b) })),
  );
  return {
    title: { text: "Weight of the squared gradient of k steps ago in E[g²]_t (Eq. 3)", subtitle: "(1 − β) β^k" },
    width: 520,
    height: 220,
    data: { values },
    mark: { type: "line", point: { size: 14, filled: true }, strokeWidth: 2 },
    encoding: {
      x: { field: "k", type: "quantitative", title: "k (steps ago)" },
      y: { field: "weight", type: "quantitative", title: "weight" },
      color: {
        field: "beta",
        type: "nominal",
        title: null,
        sort: betas.map(name),
        legend: { orient: "top-right", labelLimit: 0 },
      },
    },
  };
}

/**
 * Every test image's loss (Eq. 1) of a run, largest first, coloured by whether the image was classified right: how
 * few images carry most of Eq. 2's mean.
 */
export function specLossShares(perImage: readonly { loss: number; right: boolean }[]): TopLevelSpec {
  const values = [...perImage]
    .sort((a, b) => b.loss - a.loss)
    .map((p, rank) => ({ rank: rank + 1, loss: p.loss, image: p.right ? "classified right" : "misclassified" }));
  return {
    title: { text: "Per-image loss Lₙ = −ln p(true class) on the test set, largest first" },
    width: 520,
    height: 220,
    data: { values },
    mark: { type: "bar" },
    encoding: {
      x: {
        field: "rank",
        type: "quantitative",
        title: "test image (by loss)",
        scale: { domain: [0, values.length + 1], nice: false },
      },
      y: { field: "loss", type: "quantitative", title: "Lₙ" },
      color: {
        field: "image",
        type: "nominal",
        title: null,
        scale: { domain: ["misclassified", "classified right"], range: ["#e45756", "#4c78a8"] },
        legend: { orient: "top-right" },
      },
    },
  };
}
