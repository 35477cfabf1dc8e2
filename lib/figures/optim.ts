/**
 * Charts of the optimiser race of notebook 03 (lib/optim.ts raceOptimizers): pure functions data → vega-lite spec.
 */
import type { TopLevelSpec } from "vega-lite";
import { sampleSurface, type OptimizerRace, type Surface } from "../notebooks/03-optim";

/** Chart of an optimiser race (lib/optim raceOptimizers): both paths over the surface, coloured by log10 f. */
export function specOptimizerRace(race: OptimizerRace, surface: Surface, xRange: [number, number] = [-4.5, 1], yRange: [number, number] = [-2, 2]): TopLevelSpec {
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
  const path = [...race.sgd.path.map((p) => ({ ...p, optimizer: sgd })), ...race.rmsprop.path.map((p) => ({ ...p, optimizer: rms }))].filter(
    (p) => p.x >= xRange[0] && p.x <= xRange[1] && p.y >= yRange[0] && p.y <= yRange[1],
  );
  const xs = { domain: xRange, nice: false };
  const ys = { domain: yRange, nice: false };
  const steps = race.sgd.path.length - 1;
  return {
    title: { text: `SGD vs RMSprop on ${race.surface}`, subtitle: `${steps} steps from (${race.sgd.path[0].x}, ${race.sgd.path[0].y}); background: log10 f (darker = higher); cross: the minimum` },
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
          color: { field: "optimizer", type: "nominal", title: null, scale: { domain: [sgd, rms], range: ["#e45756", "#4c78a8"] }, legend: { orient: "bottom" } },
        },
      },
      {
        data: { values: [{ x: race.minimum[0], y: race.minimum[1] }] },
        mark: { type: "point", shape: "cross", size: 200, color: "#f58518", filled: true },
        encoding: { x: { field: "x", type: "quantitative", scale: xs }, y: { field: "y", type: "quantitative", scale: ys } },
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
      color: { field: "optimizer", type: "nominal", title: null, scale: { domain: ["SGD", "RMSprop"], range: ["#e45756", "#4c78a8"] } },
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// 04-train: the protocol's settings, the split, training or loading a run
// ---------------------------------------------------------------------------------------------------------------
