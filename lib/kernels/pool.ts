/**
 * MaxPool and MaxPoolGrad for `cpu-fast`, plain TypeScript over Float32Array.
 *
 * Why by hand: tfjs' cpu MaxPoolGrad first builds a positions tensor through TensorBuffer.get, then for every
 * input element scans every output window that could contain it, again through TensorBuffer.get/set (~18 ms per
 * training step of the paper's CNN). Here each output window is scanned once, channels innermost (contiguous),
 * and its gradient is added at the window's arg-max: the same tie rule as tfjs (first maximum in row-major window
 * order, strict `>`, so NaN never wins and an all -Infinity window passes no gradient).
 *
 * Supported: float32, NHWC (the only layout tfjs' MaxPool has), dilation 1, any size/stride/padding.
 */
import type * as tfjs from "@tensorflow/tfjs";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { valuesOf, fallback, kernelStats } from "./conv";

type Tf = typeof tfjs;
type TensorInfo = tfjs.TensorInfo;
type KernelConfig = tfjs.KernelConfig;
type PoolInfo = tfjs.backend_util.Conv2DInfo;
type KernelArgs = Parameters<KernelConfig["kernelFunc"]>[0];

/**
 * Scan every pooling window once. For each output pixel, `best`/`pos` hold per channel the maximum and the flat
 * NHWC index of the first element attaining it (-1 if none); `visit(outIndex, c)` is called per channel.
 */
function scanWindows(
  x: Float32Array, info: PoolInfo, best: Float32Array, pos: Int32Array, visit: (outBase: number) => void,
): void {
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  const { strideHeight: SH, strideWidth: SW, effectiveFilterHeight: FH, effectiveFilterWidth: FW } = info;
  const { top, left } = info.padInfo;
  for (let b = 0; b < B; b++) {
    for (let oy = 0; oy < OH; oy++) {
      const r0 = oy * SH - top;
      const rMin = Math.max(0, r0);
      const rMax = Math.min(H, r0 + FH);
      for (let ox = 0; ox < OW; ox++) {
        const c0 = ox * SW - left;
        const cMin = Math.max(0, c0);
        const cMax = Math.min(W, c0 + FW);
        best.fill(-Infinity);
        pos.fill(-1);
        for (let r = rMin; r < rMax; r++) {
          for (let col = cMin; col < cMax; col++) {
            const base = ((b * H + r) * W + col) * C;
            for (let c = 0; c < C; c++) {
              const v = x[base + c];
              if (v > best[c]) {
                best[c] = v;
                pos[c] = base + c;
              }
            }
          }
        }
        visit(((b * OH + oy) * OW + ox) * C);
      }
    }
  }
}

function poolInfo(tf: Tf, shape: number[], attrs: Record<string, unknown>): PoolInfo {
  const { filterSize, strides, pad, dimRoundingMode } = attrs as {
    filterSize: number | [number, number]; strides: number | [number, number];
    pad: "valid" | "same" | number; dimRoundingMode?: "floor" | "round" | "ceil";
  };
  return tf.backend_util.computePool2DInfo(shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
}

/** MaxPool and MaxPoolGrad kernel configs for `backendName`, falling back to the stock cpu kernels. */
export function poolKernels(tf: Tf, backendName: string): KernelConfig[] {
  const stockPool = tf.getKernel("MaxPool", "cpu").kernelFunc;
  const stockGrad = tf.getKernel("MaxPoolGrad", "cpu").kernelFunc;

  const maxPool = (args: KernelArgs) => {
    const { x } = args.inputs as { x: TensorInfo };
    const info = poolInfo(tf, x.shape, args.attrs as Record<string, unknown>);
    if (x.dtype !== "float32" || info.dilationHeight !== 1 || info.dilationWidth !== 1) return fallback(stockPool, args);
    kernelStats.fast++;
    const backend = args.backend as MathBackendCPU;
    const C = info.inChannels;
    const out = new Float32Array(info.batchSize * info.outHeight * info.outWidth * C);
    const best = new Float32Array(C);
    const pos = new Int32Array(C);
    scanWindows(valuesOf(backend, x), info, best, pos, (o) => out.set(best, o));
    return backend.makeTensorInfo(info.outShape, "float32", out);
  };

  const maxPoolGrad = (args: KernelArgs) => {
    const { dy, input } = args.inputs as { dy: TensorInfo; input: TensorInfo };
    const info = poolInfo(tf, input.shape, args.attrs as Record<string, unknown>);
    if (input.dtype !== "float32" || dy.dtype !== "float32" || info.dilationHeight !== 1 || info.dilationWidth !== 1) return fallback(stockGrad, args);
    kernelStats.fast++;
    const backend = args.backend as MathBackendCPU;
    const C = info.inChannels;
    const size = input.shape.reduce((a, b) => a * b, 1);
    // Overlapping windows can send several gradients to one element: sum them in float64 in the stock order
    // (output pixels row-major) and round once, as the stock kernel does; otherwise each element gets at most one.
    const overlap = info.strideHeight < info.effectiveFilterHeight || info.strideWidth < info.effectiveFilterWidth;
    const acc = overlap ? new Float64Array(size) : new Float32Array(size);
    const dyv = valuesOf(backend, dy);
    const best = new Float32Array(C);
    const pos = new Int32Array(C);
    scanWindows(valuesOf(backend, input), info, best, pos, (o) => {
      for (let c = 0; c < C; c++) if (pos[c] >= 0) acc[pos[c]] += dyv[o + c];
    });
    return backend.makeTensorInfo(input.shape, "float32", overlap ? Float32Array.from(acc) : (acc as Float32Array));
  };

  return [
    { kernelName: "MaxPool", backendName, kernelFunc: maxPool },
    { kernelName: "MaxPoolGrad", backendName, kernelFunc: maxPoolGrad },
  ];
}
