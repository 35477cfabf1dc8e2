/**
 * The paper's process diagrams as data: Fig 1 (main process), Fig 2 (the training loop) and Fig 4 (detailed process).
 * Numbers in the labels (split, folds, patience, batch size, augmentation) come from the config, so the diagrams
 * describe what the code does.
 */
import { PAPER, CLASSES, type ProtocolConfig } from "../config";
import type { Diagram } from "./diagram";
import { pct } from "../display/text";

/** CK+48 has 981 images; the paper's 80/20 split holds out ⌈981·0.2⌉ = 197 (scikit-learn rounds the test part up). */
export const CK48_IMAGES = 981;

/** Fig 1, the main process: data → preprocessing → CNN → training → evaluation → prediction. */
export function diagramFig1(config: ProtocolConfig = PAPER): Diagram {
  return {
    title: "Fig 1. Main process",
    direction: "LR",
    nodes: [
      { id: "data", role: "data", label: `CK+48\n${CK48_IMAGES} faces, 48×48\n${CLASSES.length} emotions` },
      { id: "prep", role: "step", label: "Preprocessing\n& augmentation" },
      { id: "model", role: "model", label: "CNN model\n(3 conv + 2 dense)" },
      { id: "train", role: "loop", label: `Training\n${config.folds}-fold CV,\nRMSprop, early stopping` },
      { id: "eval", role: "step", label: "Evaluation\non the test set" },
      { id: "out", role: "output", label: "Emotion\nprediction" },
    ],
    edges: [
      { from: "data", to: "prep" },
      { from: "prep", to: "model" },
      { from: "model", to: "train" },
      { from: "train", to: "eval" },
      { from: "eval", to: "out" },
    ],
  };
}

/** Fig 2, the training loop: forward pass → loss (Eq. 1–2) → back-propagation → RMSprop (Eq. 3–4) → repeat until early stopping. */
export function diagramFig2(config: ProtocolConfig = PAPER): Diagram {
  return {
    title: "Fig 2. Training loop",
    direction: "TB",
    nodes: [
      { id: "batch", role: "data", label: `Mini-batch of ${config.batchSize}\naugmented images` },
      { id: "forward", role: "model", label: "Forward pass\nconv → pool → dense → softmax" },
      { id: "loss", role: "step", label: "Loss (Eq. 1–2)\ncategorical cross-entropy\nL = −Σₖ yₖ log ŷₖ" },
      { id: "backward", role: "step", label: "Back-propagation\ng = ∂L/∂θ" },
      {
        id: "update",
        role: "step",
        label: `RMSprop update (Eq. 3–4)\nv ← βv + (1−β)g²,  β = ${config.rho}\nθ ← θ − η g / √(v + ε),  η = ${config.learningRate}`,
      },
      { id: "epoch", role: "decision", label: "End of\nepoch?" },
      { id: "val", role: "step", label: "Validation loss\non the held-out fold" },
      { id: "stop", role: "decision", label: `No improvement\nfor ${config.patience} epochs?` },
      { id: "best", role: "output", label: "Keep the weights of\nthe best epoch" },
    ],
    edges: [
      { from: "batch", to: "forward" },
      { from: "forward", to: "loss" },
      { from: "loss", to: "backward" },
      { from: "backward", to: "update" },
      { from: "update", to: "epoch" },
      { from: "epoch", to: "batch", label: "no: next batch", kind: "back" },
      { from: "epoch", to: "val", label: "yes" },
      { from: "val", to: "stop" },
      { from: "stop", to: "batch", label: `no: next epoch (≤ ${config.maxEpochs})`, kind: "back" },
      { from: "stop", to: "best", label: "yes: early stop" },
    ],
  };
}

/**
 * Fig 4, the detailed process: CK+48 → preprocessing (RGB, [0,1], one-hot) → augmentation → 80/20 split → 5-fold CV
 * with early stopping and checkpoint → best fold → test evaluation → confusion matrix / ROC → saved model.
 */
export function diagramFig4(config: ProtocolConfig = PAPER): Diagram {
  const test = Math.ceil(CK48_IMAGES * config.testFraction);
  const a = config.augment;
  const folds = Array.from({ length: config.folds }, (_, i) => i);
  return {
    title: "Fig 4. Detailed process",
    direction: "TB",
    nodes: [
      { id: "data", role: "data", label: `CK+48\n${CK48_IMAGES} grey faces 48×48, ${CLASSES.length} classes` },
      {
        id: "prep",
        role: "step",
        label: `Preprocessing\nread as RGB ${config.imageSize}×${config.imageSize}×${config.channels}, scale to [0, 1],\none-hot labels`,
      },
      {
        id: "aug",
        role: "step",
        label:
          `Augmentation (training batches)\nrotation ±${a.rotationRange}°, shift ${a.widthShiftRange}/${a.heightShiftRange},\n` +
          `shear ${a.shearRange}, zoom ${a.zoomRange[0]}–${a.zoomRange[1]}${a.horizontalFlip ? ", horizontal flip" : ""}`,
      },
      {
        id: "split",
        role: "decision",
        label: `${pct(1 - config.testFraction, 0)} / ${pct(config.testFraction, 0)}\nsplit`,
      },
      { id: "trainset", role: "data", label: `Training part\n${CK48_IMAGES - test} images` },
      { id: "testset", role: "data", label: `Test set\n${test} images` },
      ...folds.map((i) => ({
        id: `fold${i}`,
        role: "loop" as const,
        label: `Fold ${i + 1}\ntrain ${config.folds - 1}/${config.folds}, validate 1/${config.folds}`,
        rank: "folds",
      })),
      {
        id: "es",
        role: "step",
        label: `Early stopping (val loss, patience ${config.patience})\n+ checkpoint of the best epoch`,
      },
      { id: "bestfold", role: "decision", label: "Best fold\n(lowest val loss)" },
      { id: "eval", role: "step", label: "Test evaluation\nloss, accuracy (Table 1)" },
      { id: "cm", role: "output", label: "Confusion matrix\n(Fig 7)", rank: "results" },
      { id: "roc", role: "output", label: "ROC curves\n(Fig 8)", rank: "results" },
      { id: "saved", role: "output", label: "Saved model", rank: "results" },
    ],
    clusters: [
      {
        id: "cv",
        label: `${config.folds}-fold cross-validation on the training part`,
        nodes: [...folds.map((i) => `fold${i}`), "es"],
      },
    ],
    edges: [
      { from: "data", to: "prep" },
      { from: "prep", to: "aug" },
      { from: "aug", to: "split" },
      { from: "split", to: "trainset" },
      { from: "split", to: "testset" },
      ...folds.map((i) => ({ from: "trainset", to: `fold${i}` })),
      ...folds.map((i) => ({ from: `fold${i}`, to: "es" })),
      { from: "es", to: "bestfold" },
      { from: "bestfold", to: "eval" },
      { from: "testset", to: "eval" },
      { from: "eval", to: "cm" },
      { from: "eval", to: "roc" },
      { from: "eval", to: "saved" },
    ],
  };
}
