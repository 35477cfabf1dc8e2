/**
 * PadV2 (`tf.pad`) for `cpu-fast`, and for the live demo's cpu backend: how face-api's TinyFaceDetector pads before
 * each of its convolutions (lib/detect/face.ts).
 *
 * Why by hand: tfjs 4.22's cpu PadV2 maps every element through TensorBuffer.indexToLoc and locToIndex, which
 * allocate a location array per element: padding took 112 of 232 ms of a detection on a 600×360 photo, more than
 * all the detector's convolutions. Here each run of the input up to the last padded axis is one block copy into an output filled with the constant.
 * Same output shape, dtype and values; other dtypes and scalars go to the stock kernel. Browser-safe.
 */
import type * as tfjs from "@tensorflow/tfjs";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { fallback, kernelStats } from "./conv";

type Tf = typeof tfjs;
type TensorInfo = tfjs.TensorInfo;
type KernelConfig = tfjs.KernelConfig;
type KernelArgs = Parameters<KernelConfig["kernelFunc"]>[0];
type Values = Float32Array | Int32Array | Uint8Array;

/** The PadV2 kernel config for `backendName`, falling back to `stock` (the cpu backend's own kernel by default). */
export function padKernels(
  tf: Tf,
  backendName: string,
  stock: KernelConfig["kernelFunc"] = tf.getKernel("PadV2", "cpu").kernelFunc,
): KernelConfig[] {
  const kernelFunc = (args: KernelArgs) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { paddings, constantValue } = args.attrs as unknown as {
      paddings: [number, number][];
      constantValue: number;
    };
    const rank = x.shape.length;
    if (!["float32", "int32", "bool"].includes(x.dtype) || rank === 0) return fallback(stock, args);
    const backend = args.backend as MathBackendCPU;
    const src = backend.data.get(x.dataId).values as Values;
    const outShape = x.shape.map((d, i) => paddings[i][0] + d + paddings[i][1]);
    const out = tf.util.getArrayFromDType(x.dtype, tf.util.sizeFromShape(outShape)) as Values;
    if (constantValue !== 0) out.fill(constantValue);
    kernelStats.fast++;
    // Past the last padded axis, a row of the input is one run of the output: copy runs, an odometer over the axes
    // before it giving each run's place.
    let k = rank - 1;
    while (k > 0 && paddings[k][0] === 0 && paddings[k][1] === 0) k--;
    const run = tf.util.sizeFromShape(x.shape.slice(k));
    const runs = run ? tf.util.sizeFromShape(x.shape) / run : 0;
    const strides = new Array<number>(rank).fill(1);
    for (let i = rank - 2; i >= 0; i--) strides[i] = strides[i + 1] * outShape[i + 1];
    const at = new Array<number>(k).fill(0);
    for (let r = 0; r < runs; r++) {
      let to = paddings[k][0] * strides[k];
      for (let i = 0; i < k; i++) to += (at[i] + paddings[i][0]) * strides[i];
      out.set(src.subarray(r * run, (r + 1) * run), to);
      for (let i = k - 1; i >= 0; i--) {
        if (++at[i] < x.shape[i]) break;
        at[i] = 0;
      }
    }
    return backend.makeTensorInfo(outShape, x.dtype, out);
  };
  return [{ kernelName: "PadV2", backendName, kernelFunc }];
}
