/**
 * The augmentation's one batched warp on the tensorflow backend (tfjs-node's ImageProjectiveTransformV3) against the
 * stock cpu backend's warps, on the same images and parameters. A child process of test/e2e/tensorflow.test.ts:
 * prints the largest difference and the number of warped values as JSON.
 */
import { initBackend, tf, useBackend, type Tensor4D } from "../../lib/tf";
import { applyTransforms, drawParams } from "../../lib/augment";
import { Rng } from "../../lib/random";

initBackend("tensorflow");
const rng = new Rng(4);
const params = Array.from({ length: 8 }, () => drawParams(rng));
const values = Float32Array.from({ length: 8 * 48 * 48 * 3 }, (_, i) => ((i * 2654435761) % 1000) / 1000);
const warp = () =>
  tf.tidy(() => Array.from(applyTransforms(tf.tensor4d(values, [8, 48, 48, 3]) as Tensor4D, params).dataSync()));
const onTensorflow = warp();
const backend = tf.getBackend();
useBackend("cpu");
const onCpu = warp();
let max = 0;
for (let i = 0; i < onCpu.length; i++) max = Math.max(max, Math.abs(onCpu[i] - onTensorflow[i]));
console.log(
  JSON.stringify({ backend, max, values: onCpu.length, nonzero: onTensorflow.filter((v) => v !== 0).length }),
);
