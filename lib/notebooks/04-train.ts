/**
 * The prose of notebooks/04-train.ipynb (Section 2.3): the settings, the split, the plan and the folds as tables, what
 * the learning curves show, the summary, and the exercises' answers, computed from the committed run records (the run
 * of record, the study, the comparisons). The computations are in lib/split.ts, lib/train.ts, lib/protocol.ts and
 * lib/runs.ts; this file formats and replays.
 */
import * as fs from "fs";
import * as path from "path";
import { PAPER, QUICK, type ProtocolConfig } from "../config";
import { PAPER_RUN, ROOT } from "../paths";
import { loadRun, type RunRecord } from "../record";
import { splitSizes, type SplitSizes } from "../split";
import type { TrainingPlan } from "../runs";
import { VARIANTS } from "../ablations";
import { fmt, markdownTable, pct } from "../display/text";
import { mean } from "../stats";

/** The hyper-parameters of lib/config PAPER as table rows (name, value). */
export function configRows(config: ProtocolConfig = PAPER): [string, string][] {
  const a = config.augment;
  return [
    ["input", `${config.imageSize}×${config.imageSize}×${config.channels}`],
    ["test fraction", String(config.testFraction)],
    ["cross-validation folds", String(config.folds)],
    ["batch size", String(config.batchSize)],
    ["max epochs", String(config.maxEpochs)],
    ["early-stopping patience (val_loss)", String(config.patience)],
    ["RMSprop η, β, ε", `${config.learningRate}, ${config.rho}, ${config.epsilon}`],
    ["dropout after dense-128", String(config.dropout)],
    [
      "augmentation",
      `rotation ±${a.rotationRange}°, shift ±${a.widthShiftRange}/${a.heightShiftRange}, shear ${a.shearRange}°, zoom ${a.zoomRange.join("–")}, flip ${a.horizontalFlip}`,
    ],
  ];
}

/** The PAPER settings as Markdown. */
export function configMarkdown(config: ProtocolConfig = PAPER): string {
  return markdownTable(["setting (lib/config.ts PAPER)", "value"], configRows(config));
}

/** Split and fold sizes as Markdown: the holdout split (train / test), then each fold (train / validation). */
export function splitMarkdown(s: SplitSizes): string {
  return markdownTable(
    ["part", "train", "validation / test"],
    [["train / test split", s.train, s.test], ...s.folds.map((f, i) => [`fold ${i + 1}`, f.train, f.val])],
    ["l", "r", "r"],
  );
}

/** What notebook 04 is about to do, as Markdown. */
export function planMarkdown(plan: TrainingPlan): string {
  if (plan.action === "load") return `**Plan: load.** ${plan.reason}`;
  if (plan.action === "train") return `**Plan: train.** ${plan.reason}; output \`${path.relative(ROOT, plan.out)}/\`.`;
  return `**Plan: nothing to do.** ${plan.reason}`;
}

/** One row per fold: epochs run, best epoch, best validation loss, test accuracy of its model. */
export function foldRows(run: RunRecord): (string | number)[][] {
  return run.folds.map((f) => [
    `${f.index + 1}${f.index === run.bestFold ? " (best)" : ""}`,
    f.history.length,
    f.bestEpoch,
    fmt(f.bestValLoss),
    fmt(f.history.find((h) => h.epoch === f.bestEpoch)?.valAcc),
    fmt(f.test.accuracy),
    fmt(
      f.history.reduce((a, h) => a + h.seconds, 0),
      0,
    ),
  ]);
}

/** Headers of {@link foldRows}. */
export const FOLD_HEADERS = [
  "fold",
  "epochs run",
  "best epoch",
  "best val loss",
  "val acc there",
  "test accuracy",
  "seconds",
];

/** The per-fold table as Markdown. */
export function foldsMarkdown(run: RunRecord): string {
  return markdownTable(FOLD_HEADERS, foldRows(run), ["l", "r", "r", "r", "r", "r", "r"]);
}

/** A short training history (the fold trained in plain view in notebook 04) as a table. */
export function historyMarkdown(history: RunRecord["folds"][number]["history"], bestEpoch: number): string {
  return markdownTable(
    ["epoch", "loss", "acc", "val_loss", "val_acc", "seconds"],
    history.map((h) => [
      `${h.epoch}${h.epoch === bestEpoch ? " (best)" : ""}`,
      fmt(h.loss),
      fmt(h.acc, 3),
      fmt(h.valLoss),
      fmt(h.valAcc, 3),
      fmt(h.seconds, 1),
    ]),
    ["l", "r", "r", "r", "r", "r"],
  );
}

// ---------------------------------------------------------------------------------------------------------------
// The loop, the learning curves and the summary
// ---------------------------------------------------------------------------------------------------------------

/** Optimiser steps (batches) in one epoch over `n` training images in batches of `batchSize`: ⌈n / batchSize⌉. */
export function stepsPerEpoch(n: number, batchSize: number): number {
  return Math.ceil(n / batchSize);
}

/** Training images of each fold of a run: its training part less the fold's validation images. */
export function foldTrainSizes(run: RunRecord): number[] {
  return run.folds.map((f) => run.split.train.length - f.val.length);
}

/** Epochs of a history in which the validation loss (accuracy) was below (above) the training loss (accuracy). */
export function gapCounts(history: RunRecord["folds"][number]["history"]): {
  epochs: number;
  valLossBelow: number;
  valAccAbove: number;
} {
  return {
    epochs: history.length,
    valLossBelow: history.filter((h) => h.valLoss < h.loss).length,
    valAccAbove: history.filter((h) => h.valAcc > h.acc).length,
  };
}

/**
 * What Fig 5 and Fig 6 show, computed from the run's histories: in how many epochs the validation loss is below the
 * training loss (and validation accuracy above training accuracy), for the best fold and for all folds; the first
 * epoch's losses beside ln 7 (the loss of a model that gives every class 1/7); and the losses at the best epoch.
 */
export function curvesMarkdown(run: RunRecord): string {
  const bf = run.folds.find((f) => f.index === run.bestFold)!;
  const b = gapCounts(bf.history);
  const all = run.folds
    .map((f) => gapCounts(f.history))
    .reduce((a, c) => ({
      epochs: a.epochs + c.epochs,
      valLossBelow: a.valLossBelow + c.valLossBelow,
      valAccAbove: a.valAccAbove + c.valAccAbove,
    }));
  const first = bf.history[0];
  const at = bf.history.find((h) => h.epoch === bf.bestEpoch)!;
  return [
    `- **Validation loss below training loss** in ${b.valLossBelow} of the best fold's ${b.epochs} epochs, ` +
      `${all.valLossBelow} of all ${all.epochs} epochs of the ${run.folds.length} folds (${pct(all.valLossBelow / all.epochs, 0)}).`,
    `- **Validation accuracy above training accuracy** in ${b.valAccAbove} of ${b.epochs} epochs (best fold), ` +
      `${all.valAccAbove} of ${all.epochs} (all folds).`,
    `- **Epoch 1** (best fold): training loss ${fmt(first.loss, 3)}, validation loss ${fmt(first.valLoss, 3)}; a model ` +
      `that gives each of the ${run.classes.length} classes the same probability has loss ln ${run.classes.length} = ${fmt(Math.log(run.classes.length), 3)}.`,
    `- **At the best epoch ${bf.bestEpoch}**: training loss ${fmt(at.loss, 3)}, validation loss ${fmt(at.valLoss, 3)}; ` +
      `training ran ${bf.history.length - bf.bestEpoch} epochs past it before early stopping (patience ${run.config.patience}).`,
  ].join("\n");
}

/** Notebook 04's summary, with the run's numbers: folds, epochs, the best fold, test accuracies, the curves, the time. */
export function summaryMarkdown(run: RunRecord): string {
  const epochs = run.folds.map((f) => f.history.length);
  const bestEpochs = run.folds.map((f) => f.bestEpoch);
  const bf = run.folds.find((f) => f.index === run.bestFold)!;
  const accs = run.folds.map((f) => f.test.accuracy);
  const sizes = foldTrainSizes(run);
  const steps = [...new Set(sizes.map((n) => stepsPerEpoch(n, run.config.batchSize)))];
  const gaps = run.folds.map((f) => gapCounts(f.history));
  const below = gaps.reduce((a, g) => a + g.valLossBelow, 0);
  const total = gaps.reduce((a, g) => a + g.epochs, 0);
  const stoppedEarly = run.folds.filter((f) => f.history.length < run.config.maxEpochs).length;
  return [
    `- **The run:** seed ${run.seed}, ${run.config.split} split, ${run.split.train.length} training and ${run.split.test.length} test images, ` +
      `${run.folds.length} folds of ${Math.min(...sizes)}–${Math.max(...sizes)} training images: ${steps.join(" or ")} batches of ${run.config.batchSize} an epoch; ` +
      `${(run.seconds / 60).toFixed(1)} min on ${run.backend}.`,
    `- **Early stopping** (patience ${run.config.patience}) ended ${stoppedEarly} of ${run.folds.length} folds before the ${run.config.maxEpochs}-epoch limit, ` +
      `after ${Math.min(...epochs)}–${Math.max(...epochs)} epochs; their best epochs were ${Math.min(...bestEpochs)}–${Math.max(...bestEpochs)}.`,
    `- **The best fold** is fold ${bf.index + 1} (lowest validation loss, ${fmt(bf.bestValLoss)} at epoch ${bf.bestEpoch}); its model gets ` +
      `${pct(bf.test.accuracy)} of the test images right (the ${run.folds.length} fold models: ${pct(Math.min(...accs))}–${pct(Math.max(...accs))}).`,
    `- **The curves:** validation loss below training loss in ${below} of ${total} epochs: dropout and augmentation act only in training.`,
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------------------------
// Exercises: early stopping replayed on stored histories, batch sizes, other split fractions, the loss gap
// ---------------------------------------------------------------------------------------------------------------

/** What early stopping would have done on a recorded history (see {@link replayEarlyStopping}). */
export interface Replay {
  patience: number;
  /** The epoch after which training stops; undefined when the history ends before that is known. */
  stopEpoch: number | undefined;
  /** The best epoch up to the stop (or up to the end of the history, when unknown). */
  bestEpoch: number;
  bestValLoss: number;
  /** False when the history ends (its own early stop) before this patience would have stopped. */
  known: boolean;
}

/**
 * Replay tfjs' `EarlyStopping({ monitor: "val_loss", patience })` on a recorded list of validation losses, as its
 * `onEpochEnd` counts: an epoch improves when its loss is strictly below the best so far (wait back to 0); otherwise
 * the wait grows, and training stops after the epoch at which it reaches `patience`. Patience does not change the
 * training before the stop (same seed, same batches), so for a patience that stops within the history the replay is
 * exact. One that does not stop within it is known only when the history ran to `maxEpochs`; otherwise the run
 * stopped (its own, smaller patience) before this one would have, and what comes after is not in the record.
 */
export function replayEarlyStopping(valLosses: readonly number[], patience: number, maxEpochs: number): Replay {
  let best = Infinity;
  let bestEpoch = 0;
  let wait = 0;
  for (let e = 1; e <= valLosses.length; e++) {
    if (valLosses[e - 1] < best) {
      best = valLosses[e - 1];
      bestEpoch = e;
      wait = 0;
    } else if (++wait >= patience) return { patience, stopEpoch: e, bestEpoch, bestValLoss: best, known: true };
  }
  const ranOut = valLosses.length >= maxEpochs;
  return { patience, stopEpoch: ranOut ? valLosses.length : undefined, bestEpoch, bestValLoss: best, known: ranOut };
}

/** {@link replayEarlyStopping} on one fold's recorded validation losses. */
function replayFold(f: RunRecord["folds"][number], patience: number, maxEpochs: number): Replay {
  const losses = f.history.map((h) => h.valLoss);
  return replayEarlyStopping(losses, patience, maxEpochs);
}

/** One replay as a table cell: "stops after 10, best 8 (0.4123)", or what the record cannot tell. */
function replayCell(r: Replay, epochs: number): string {
  return r.known
    ? `stops after ${r.stopEpoch}, best ${r.bestEpoch} (${fmt(r.bestValLoss)})`
    : `past ${epochs}: not in the record (best so far ${r.bestEpoch})`;
}

/** The variants of lib/ablations.ts that change the early-stopping patience (none, today). */
export function patienceVariants(): string[] {
  return VARIANTS.filter((v) => v.overrides.patience !== undefined).map((v) => v.name);
}

/**
 * Exercise: early stopping with other patiences, replayed on every fold of the run (and the run's own patience for
 * comparison): when each fold would have stopped, its best epoch and validation loss, and which fold would be best.
 */
export function patienceMarkdown(run: RunRecord, patiences: readonly number[]): string {
  const ps = [...new Set([...patiences, run.config.patience])].sort((a, b) => a - b);
  const replays = run.folds.map((f) => ps.map((p) => replayFold(f, p, run.config.maxEpochs)));
  const rows: string[][] = run.folds.map((f, i) => [
    `fold ${f.index + 1}`,
    ...replays[i].map((r) => replayCell(r, f.history.length)),
  ]);
  rows.push([
    "best fold",
    ...ps.map((_, j) => {
      if (!replays.every((r) => r[j].known)) return "not in the record";
      const k = replays.reduce((b, r, i) => (r[j].bestValLoss < replays[b][j].bestValLoss ? i : b), 0);
      return `fold ${run.folds[k].index + 1}`;
    }),
  ]);
  const variants = patienceVariants();
  return [
    markdownTable(["", ...ps.map((p) => `patience ${p}${p === run.config.patience ? " (the run's)" : ""}`)], rows, [
      "l",
      ...ps.map(() => "r" as const),
    ]),
    "",
    `A smaller patience stops on the same history (same seed, same batches), so its column is exact. A larger one ` +
      `would have trained past where the run stopped (${run.config.patience} epochs after its best), and what the validation ` +
      `loss did there is not in the record. ` +
      (variants.length
        ? `The comparisons in data/runs/ablations have a patience variant: ${variants.join(", ")}.`
        : `No variant in data/runs/ablations changes the patience (lib/ablations.ts VARIANTS), so no committed run can say; ` +
          `adding one is exercise material for notebook 07.`),
  ].join("\n");
}

/**
 * The same replay over many runs' folds (the study): for each patience at most the runs' own, the mean epochs
 * trained, the mean best validation loss, and in how many folds the best epoch is the one the runs kept; for a larger
 * patience, in how many folds the record cannot tell.
 */
export function patienceStudyMarkdown(runs: readonly RunRecord[], patiences: readonly number[]): string {
  if (!runs.length) return "No study runs found (data/runs/study).";
  const folds = runs.flatMap((r) => r.folds.map((f) => ({ f, maxEpochs: r.config.maxEpochs, own: r.config.patience })));
  const own = Math.min(...folds.map((x) => x.own));
  const ps = [...new Set([...patiences, own])].sort((a, b) => a - b);
  const rows = ps.map((p) => {
    const rs = folds.map((x) => replayFold(x.f, p, x.maxEpochs));
    const known = rs.filter((r) => r.known);
    return [
      `${p}${p === own ? " (the runs')" : ""}`,
      `${known.length} of ${rs.length}`,
      known.length ? mean(known.map((r) => r.stopEpoch!)).toFixed(1) : "n/a",
      known.length ? fmt(mean(known.map((r) => r.bestValLoss))) : "n/a",
      known.length ? `${rs.filter((r, i) => r.known && r.bestEpoch === folds[i].f.bestEpoch).length}` : "n/a",
    ];
  });
  return markdownTable(
    ["patience", "folds the record can tell", "mean epochs trained", "mean best val loss", "same best epoch as kept"],
    rows,
    ["l", "r", "r", "r", "r"],
  );
}

/**
 * Exercise: the batch size. Steps (batches) per epoch for each batch size over the run's fold sizes, and, from
 * committed comparison runs (e.g. the paper vs the `batch-32` variant on one split), the mean epochs each fold
 * trained and the mean optimiser steps that took.
 */
export function batchSizeMarkdown(
  run: RunRecord,
  batchSizes: readonly number[],
  groups: readonly { name: string; runs: readonly RunRecord[] }[] = [],
): string {
  const sizes = [...new Set(foldTrainSizes(run))].sort((a, b) => a - b);
  const perEpoch = markdownTable(
    ["batch size", ...sizes.map((n) => `steps per epoch, ${n} images`), "images in the last batch"],
    batchSizes.map((b) => [
      b,
      ...sizes.map((n) => stepsPerEpoch(n, b)),
      sizes.map((n) => n - (stepsPerEpoch(n, b) - 1) * b).join(" or "),
    ]),
    ["r", ...sizes.map(() => "r" as const), "r"],
  );
  const stored = groups.filter((g) => g.runs.length);
  if (!stored.length) return perEpoch;
  const rows = stored.map((g) => {
    const folds = g.runs.flatMap((r) =>
      r.folds.map((f) => ({
        epochs: f.history.length,
        steps: f.history.length * stepsPerEpoch(r.split.train.length - f.val.length, r.config.batchSize),
      })),
    );
    return [
      g.name,
      g.runs[0].config.batchSize,
      `${g.runs.length} × ${g.runs[0].folds.length}`,
      mean(folds.map((x) => x.epochs)).toFixed(1),
      Math.round(mean(folds.map((x) => x.steps))),
    ];
  });
  return [
    perEpoch,
    "",
    markdownTable(
      ["committed runs", "batch size", "runs × folds", "mean epochs per fold", "mean optimiser steps per fold"],
      rows,
      ["l", "r", "r", "r", "r"],
    ),
  ].join("\n");
}

/**
 * Exercise: another test fraction. The split and fold sizes lib/split.ts gives for it (seeded as the paper's), beside
 * the paper's; the test part is ⌈n · fraction⌉ (scikit-learn's rounding).
 */
export function splitFractionMarkdown(files: string[], fraction: number, seed = 0): string {
  const ours = splitSizes(files, seed, { ...PAPER, testFraction: fraction });
  return (
    `Test fraction ${fraction}: ⌈${files.length} · ${fraction}⌉ = ${Math.ceil(files.length * fraction)} test images, ` +
    `${ours.train} for training and validation; (the paper's ${PAPER.testFraction}: ` +
    `${splitSizes(files, seed).test}).\n\n${splitMarkdown(ours)}`
  );
}

/**
 * Exercise: why the validation loss sits below the training loss. For each group of committed runs (a variant on a
 * split), the share of all epochs of all folds in which the validation loss was below the training loss.
 */
export function lossGapMarkdown(groups: readonly { name: string; runs: readonly RunRecord[] }[]): string {
  const rows = groups
    .filter((g) => g.runs.length)
    .map((g) => {
      const gaps = g.runs.flatMap((r) => r.folds.map((f) => gapCounts(f.history)));
      const below = gaps.reduce((a, x) => a + x.valLossBelow, 0);
      const epochs = gaps.reduce((a, x) => a + x.epochs, 0);
      return [g.name, `${g.runs.length} × ${g.runs[0].folds.length}`, `${below} of ${epochs}`, pct(below / epochs, 0)];
    });
  if (!rows.length) return "No committed comparison runs found (data/runs/ablations).";
  return markdownTable(["committed runs", "runs × folds", "epochs with val loss < training loss", "share"], rows, [
    "l",
    "r",
    "r",
    "r",
  ]);
}

/**
 * The committed run records of one variant on one split, `<folder>/<variant>/<split>/seed-*\/run.json` (a study or
 * the comparisons), in seed order; none when the folder is not there.
 */
export function storedRuns(folder: string, variant: string, split: string): RunRecord[] {
  const dir = path.join(folder, variant, split);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((d) => /^seed-\d+$/.test(d) && fs.existsSync(path.join(dir, d, "run.json")))
    .sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)))
    .map((d) => loadRun(path.join(dir, d, "run.json")));
}

/** The facts this notebook's prose cites by name, beside lib/notebooks/facts.ts commonFacts (tied in cell metadata). */
export function proseFacts(): Record<string, number> {
  const file = path.join(PAPER_RUN, "run.json");
  const run = fs.existsSync(file) ? loadRun(file) : undefined;
  const sizes = run ? foldTrainSizes(run) : [];
  return {
    "split.trainFraction": 1 - PAPER.testFraction,
    "quick.perClass": QUICK.perClass,
    "variant.batch-32.batchSize": VARIANTS.find((v) => v.name === "batch-32")?.overrides.batchSize ?? NaN,
    ...(run
      ? {
          "record.minutes": run.seconds / 60,
          "record.foldTrainMin": Math.min(...sizes),
          "record.stepsPerEpoch": stepsPerEpoch(Math.min(...sizes), run.config.batchSize),
        }
      : {}),
  };
}
