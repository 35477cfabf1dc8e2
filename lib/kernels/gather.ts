/**
 * GatherV2 (`tf.gather`) for `cpu-fast`: how training picks each batch's images and labels (lib/train.ts).
 *
 * Why by hand: tfjs 4.22's cpu GatherV2 moves one element at a time through TensorBuffer.indexToLoc / locToIndex, which
 * allocate a location array per element: gathering a batch of 8 images (55,296 floats) took 28% of a protocol run's
 * CPU time, and its garbage much of the collector's 11%. Here each gathered slice is one block copy. Same checks
 * (every index in range, the stock message), same output shape and values; dtypes other than float32, int32 and bool
 * go to the stock kernel.
 */
import type * as tfjs from "@tensorflow/tfjs";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { fallback, kernelStats } from "./conv";

type Tf = typeof tfjs;
type TensorInfo = tfjs.TensorInfo;
type KernelConfig = tfjs.KernelConfig;
type KernelArgs = Parameters<KernelConfig["kernelFunc"]>[0];
type Values = Float32Array | Int32Array | Uint8Array;

/** The GatherV2 kernel config for `backendName`, falling back to the stock cpu kernel. */
export function gatherKernels(tf: Tf, backendName: string): KernelConfig[] {
  const stock = tf.getKernel("GatherV2", "cpu").kernelFunc;
  const kernelFunc = (args: KernelArgs) => {
    const { x, indices } = args.inputs as { x: TensorInfo; indices: TensorInfo };
    const { axis, batchDims } = args.attrs as { axis: number; batchDims?: number };
    if (!["float32", "int32", "bool"].includes(x.dtype)) return fallback(stock, args);
    const backend = args.backend as MathBackendCPU;
    const parsedAxis = tf.util.parseAxisParam(axis, x.shape)[0];
    const idx = backend.data.get(indices.dataId).values as Values;
    const axisDim = x.shape[parsedAxis];
    for (let i = 0; i < idx.length; i++) {
      const index = idx[i];
      tf.util.assert(
        index <= axisDim - 1 && index >= 0,
        () => `GatherV2: the index value ${index} is not in [0, ${axisDim - 1}]`,
      );
    }
    const info = tf.backend_util.segment_util.collectGatherOpShapeInfo(
      x as tfjs.Tensor,
      indices as tfjs.Tensor,
      parsedAxis,
      batchDims ?? 0,
    );
    const { batchSize, outerSize, dimSize, sliceSize } = info;
    const perBatch = tf.util.sizeFromShape(indices.shape) / batchSize;
    const src = backend.data.get(x.dataId).values as Values;
    const out = tf.util.getArrayFromDType(x.dtype, tf.util.sizeFromShape(info.outputShape)) as Values;
    kernelStats.fast++;
    // x as [batch, outer, dim, slice], indices as [batch, perBatch], out as [batch, outer, perBatch, slice]
    for (let b = 0; b < batchSize; b++) {
      for (let o = 0; o < outerSize; o++) {
        for (let j = 0; j < perBatch; j++) {
          const from = ((b * outerSize + o) * dimSize + idx[b * perBatch + j]) * sliceSize;
          const to = ((b * outerSize + o) * perBatch + j) * sliceSize;
          if (sliceSize > 16) out.set(src.subarray(from, from + sliceSize), to);
          else for (let k = 0; k < sliceSize; k++) out[to + k] = src[from + k];
        }
      }
    }
    return backend.makeTensorInfo(info.outputShape, x.dtype, out);
  };
  return [{ kernelName: "GatherV2", backendName, kernelFunc }];
}
