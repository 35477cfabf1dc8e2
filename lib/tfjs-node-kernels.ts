/**
 * Kernels @tensorflow/tfjs-node 4.22 lacks and this project needs, registered on its `tensorflow` backend by
 * lib/tf.ts initBackend. tfjs-node runs TensorFlow's own ops through its binding; for `Transform` (the
 * augmentation's warp, tf.image.transform) it registers none, so training with augmentation stopped with "Kernel
 * 'Transform' not registered for backend 'tensorflow'". Written here because no published package adds it: the
 * kernel hands the batch to TensorFlow's ImageProjectiveTransformV3, the op tfjs' own Transform copies.
 */
import type * as tfjs from "@tensorflow/tfjs";

type Tensor = tfjs.Tensor;

/** The parts of tfjs-node's backend a kernel uses (it has no types we can import without loading it). */
interface NodeBackend {
  binding: { TF_ATTR_STRING: number; TF_ATTR_TYPE: number; TF_FLOAT: number };
  executeSingleOutput(name: string, attrs: { name: string; type: number; value: unknown }[], inputs: Tensor[]): Tensor;
}

/** Register what is missing on the `tensorflow` backend (idempotent); `tf` is lib/tf.ts's namespace. */
export function registerTensorflowKernels(tf: typeof tfjs): void {
  if (tf.getKernel("Transform", "tensorflow")) return;
  tf.registerKernel({
    kernelName: "Transform",
    backendName: "tensorflow",
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { image, transforms } = inputs as { image: Tensor; transforms: Tensor };
      const a = attrs as unknown as {
        interpolation: string;
        fillMode: string;
        fillValue: number;
        outputShape?: [number, number];
      };
      const b = backend as unknown as NodeBackend;
      const [, h, w] = image.shape;
      const shape = tf.tensor1d(a.outputShape ?? [h, w], "int32");
      const fill = tf.scalar(a.fillValue, "float32");
      try {
        return b.executeSingleOutput(
          "ImageProjectiveTransformV3",
          [
            { name: "dtype", type: b.binding.TF_ATTR_TYPE, value: b.binding.TF_FLOAT },
            { name: "interpolation", type: b.binding.TF_ATTR_STRING, value: a.interpolation.toUpperCase() },
            { name: "fill_mode", type: b.binding.TF_ATTR_STRING, value: a.fillMode.toUpperCase() },
          ],
          [image, transforms, shape, fill],
        );
      } finally {
        tf.dispose([shape, fill]);
      }
    },
  });
}
