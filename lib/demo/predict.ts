/**
 * One prediction of the live demo: the same code as the notebooks and `npm run explain` (lib/explain/attribution.ts
 * probabilities and gradCam, lib/explain/overlay.ts), timed. Browser-safe.
 */
import { tf, type LayersModel, type Tensor4D } from "../tf";
import { PAPER } from "../config";
import { argmax } from "../arrays";
import { gradCam, probabilities } from "../explain/attribution";
import { overlay } from "../explain/overlay";
import type { Picture } from "../display/pictures";

// ---------------------------------------------------------------------------------------------------------------
// One prediction: the same code as the notebooks and `npm run explain`
// ---------------------------------------------------------------------------------------------------------------

/** One prediction of the page: the class probabilities, the Grad-CAM overlay and how long each took. */
export interface DemoPrediction {
  probabilities: number[];
  predicted: number;
  /** lib/explain/overlay.ts overlay of the predicted class' Grad-CAM over the input. */
  overlay: Picture;
  /** Milliseconds of the forward pass (data read back included) and of Grad-CAM. */
  msPredict: number;
  msCam: number;
}

/**
 * Predict one model input (side × side × 3 in [0, 1]) and explain the predicted class with Grad-CAM, timing each step
 * (both read their results back, so the time includes the GPU's work on webgl).
 */
export function predictInput(
  model: LayersModel,
  input: Float32Array,
  side: number = PAPER.imageSize,
  now: () => number = () => performance.now(),
): DemoPrediction {
  const x = tf.tensor4d(input, [1, side, side, 3]) as Tensor4D;
  try {
    const t0 = now();
    const probs = probabilities(model, x)[0];
    const t1 = now();
    const predicted = argmax(probs);
    const cam = gradCam(model, x, [predicted])[0];
    const t2 = now();
    return { probabilities: probs, predicted, overlay: overlay(input, cam, side), msPredict: t1 - t0, msCam: t2 - t1 };
  } finally {
    x.dispose();
  }
}

/** The class probabilities of several model inputs in one batch (the other faces of a frame: no Grad-CAM). */
export function predictMany(
  model: LayersModel,
  inputs: readonly Float32Array[],
  side: number = PAPER.imageSize,
): number[][] {
  if (!inputs.length) return [];
  const x = tf.tensor4d(Float32Array.from(inputs.flatMap((i) => Array.from(i))), [
    inputs.length,
    side,
    side,
    3,
  ]) as Tensor4D;
  try {
    return probabilities(model, x);
  } finally {
    x.dispose();
  }
}
