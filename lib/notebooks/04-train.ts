/**
 * The prose of notebooks/04-train.ipynb (Section 2.3): the settings, the split, the plan and the folds as tables. The
 * computations are in lib/split.ts, lib/train.ts, lib/protocol.ts and lib/runs.ts; this file formats.
 */
import * as path from "path";
import { PAPER, type ProtocolConfig } from "../config";
import { ROOT } from "../paths";
import type { RunRecord } from "../record";
import type { SplitSizes } from "../split";
import type { TrainingPlan } from "../runs";
import { fmt, markdownTable } from "../display/text";

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

/** Split and fold sizes as Markdown. */
export function splitMarkdown(s: SplitSizes): string {
  return markdownTable(
    ["part", "train", "validation / test"],
    [["80/20 split", s.train, s.test], ...s.folds.map((f, i) => [`fold ${i + 1}`, f.train, f.val])],
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

/** The facts this notebook's prose cites by name, beside lib/notebooks/facts.ts commonFacts (tied in cell metadata). */
export function proseFacts(): Record<string, number> {
  return {};
}
