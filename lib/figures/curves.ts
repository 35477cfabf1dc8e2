/**
 * Fig 5 (loss) and Fig 6 (accuracy): training and validation curves per epoch for every cross-validation fold.
 * The best fold (the one whose model is evaluated on the test set) is drawn bold, the other folds faint, and the
 * early-stopping epoch (the kept, best epoch) is marked. Pure functions: run record → vega-lite spec.
 */
import type { TopLevelSpec } from "vega-lite";
import type { RunRecord, FoldRecord } from "../record";

/** One point of a curve, as the chart reads it. */
export interface CurvePoint {
  /** 1-based fold number as shown ("fold 1"…). */
  fold: string;
  best: boolean;
  series: "training" | "validation";
  epoch: number;
  value: number;
}

export type CurveMetric = "loss" | "accuracy";

/** Colours of the two series, shared by Fig 5 and Fig 6. */
export const SERIES_COLORS = { training: "#4c78a8", validation: "#f58518" };

function bestFoldOf(run: RunRecord): FoldRecord {
  const f = run.folds.find((x) => x.index === run.bestFold);
  if (!f) throw new Error(`run record: bestFold ${run.bestFold} is not among the folds`);
  return f;
}

/** The long-format data of Fig 5 / Fig 6: one row per fold × series × epoch. */
export function curveData(run: RunRecord, metric: CurveMetric): CurvePoint[] {
  const rows: CurvePoint[] = [];
  for (const f of run.folds) {
    const best = f.index === run.bestFold;
    for (const series of ["training", "validation"] as const) {
      for (const h of f.history) {
        const value =
          metric === "loss" ? (series === "training" ? h.loss : h.valLoss) : series === "training" ? h.acc : h.valAcc;
        rows.push({ fold: `fold ${f.index + 1}`, best, series, epoch: h.epoch, value });
      }
    }
  }
  return rows;
}

/** The early-stopping (best) epoch of every fold with the validation value there (Fig 5/6 markers). */
export function bestEpochs(
  run: RunRecord,
  metric: CurveMetric,
): { fold: string; best: boolean; epoch: number; value: number; label: string }[] {
  return run.folds.map((f) => {
    const h = f.history.find((e) => e.epoch === f.bestEpoch);
    const value = h ? (metric === "loss" ? h.valLoss : h.valAcc) : metric === "loss" ? f.bestValLoss : NaN;
    const best = f.index === run.bestFold;
    return {
      fold: `fold ${f.index + 1}`,
      best,
      epoch: f.bestEpoch,
      value,
      label: best ? `best epoch ${f.bestEpoch} (fold ${f.index + 1})` : "",
    };
  });
}

function curvesSpec(run: RunRecord, metric: CurveMetric, title: string): TopLevelSpec {
  const bf = bestFoldOf(run);
  const data = curveData(run, metric);
  const marks = bestEpochs(run, metric).filter((m) => Number.isFinite(m.value));
  const yTitle = metric === "loss" ? "categorical cross-entropy loss" : "accuracy";
  const epochs = Math.max(1, ...run.folds.map((f) => f.history.length));
  const x = {
    field: "epoch",
    type: "quantitative" as const,
    title: "epoch",
    scale: { domain: [1, epochs], nice: false },
    axis: { tickMinStep: 1 },
  };
  const y = {
    field: "value",
    type: "quantitative" as const,
    title: yTitle,
    scale: metric === "accuracy" ? { domain: [0, 1] } : { zero: true },
  };
  const color = {
    field: "series",
    type: "nominal" as const,
    title: null,
    scale: { domain: ["training", "validation"], range: [SERIES_COLORS.training, SERIES_COLORS.validation] },
    legend: {
      orient: metric === "loss" ? ("top-right" as const) : ("bottom-right" as const),
      symbolType: "stroke",
      symbolStrokeWidth: 2.5,
      symbolOpacity: 1,
      fillColor: "white",
      padding: 4,
    },
  };
  const others = run.folds.length - 1;
  return {
    title: {
      text: title,
      subtitle: [
        `Bold: best fold ${bf.index + 1} (evaluated on the test set)${others > 0 ? `; faint: the other ${others} fold${others > 1 ? "s" : ""}` : ""}.`,
        `Dashed: its early-stopping (best) epoch ${bf.bestEpoch}; dots: each fold's best epoch.`,
      ],
    },
    width: 520,
    height: 300,
    layer: [
      {
        name: "other_folds",
        data: { values: data.filter((d) => !d.best) },
        mark: { type: "line", strokeWidth: 1, opacity: 0.3, clip: true },
        encoding: { x, y, color, detail: { field: "fold", type: "nominal" } },
      },
      {
        name: "best_fold",
        data: { values: data.filter((d) => d.best) },
        mark: { type: "line", strokeWidth: 2.5, clip: true },
        encoding: { x, y, color, detail: { field: "fold", type: "nominal" } },
      },
      {
        name: "best_epoch_rule",
        data: { values: [{ epoch: bf.bestEpoch }] },
        mark: { type: "rule", strokeDash: [5, 4], color: "#333333" },
        encoding: { x: { field: "epoch", type: "quantitative" } },
      },
      {
        name: "fold_best_epochs",
        data: { values: marks },
        mark: { type: "point", shape: "circle", filled: true, color: SERIES_COLORS.validation, clip: true },
        encoding: {
          x: { field: "epoch", type: "quantitative" },
          y: { field: "value", type: "quantitative" },
          size: { condition: { test: "datum.best", value: 80 }, value: 25 },
          opacity: { condition: { test: "datum.best", value: 1 }, value: 0.45 },
        },
      },
      {
        name: "best_epoch_label",
        data: { values: marks.filter((m) => m.best) },
        // At the top of the plot beside the dashed rule, where it cannot cover a curve's minimum.
        mark: { type: "text", align: "left", baseline: "top", dx: 5, fontSize: 11, color: "#333333" },
        encoding: {
          x: { field: "epoch", type: "quantitative" },
          y: { value: 4 },
          text: { field: "label", type: "nominal" },
        },
      },
    ],
  };
}

/** Fig 5: training and validation loss per epoch, all folds; best fold prominent, early-stopping epoch marked. */
export function specFig5(run: RunRecord): TopLevelSpec {
  return curvesSpec(run, "loss", "Fig 5. Training and validation loss per epoch");
}

/** Fig 6: training and validation accuracy per epoch, all folds; best fold prominent, early-stopping epoch marked. */
export function specFig6(run: RunRecord): TopLevelSpec {
  return curvesSpec(run, "accuracy", "Fig 6. Training and validation accuracy per epoch");
}
