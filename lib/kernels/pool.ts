/**
 * MaxPool and MaxPoolGrad for `cpu-fast`: WebAssembly SIMD over 4 channels at a time (asm/pool.ts), plain
 * TypeScript for small tensors and for overlapping windows' gradients (summed in float64 like tfjs).
 *
 * Why by hand: tfjs' cpu MaxPoolGrad first builds a positions tensor through TensorBuffer.get, then for every
 * input element scans every output window that could contain it, again through TensorBuffer.get/set (~18 ms per
 * training step of the paper's CNN). Here each output window is scanned once per channel over flat arrays,
 * and its gradient is added at the window's arg-max: the same tie rule as tfjs (first maximum in row-major window
 * order, strict `>`, so NaN never wins and an all -Infinity window passes no gradient).
 *
 * Supported: float32, NHWC (the only layout tfjs' MaxPool has), dilation 1, any size/stride/padding.
 */
import type * as tfjs from "@tensorflow/tfjs";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { valuesOf, fallback, kernelStats } from "./conv";
import { wasmArena } from "./wasm";

type Tf = typeof tfjs;
type TensorInfo = tfjs.TensorInfo;
type KernelConfig = tfjs.KernelConfig;
type PoolInfo = tfjs.backend_util.Conv2DInfo;
type KernelArgs = Parameters<KernelConfig["kernelFunc"]>[0];

/** Max-pool forward: every output element is the maximum of its window (-Infinity for an empty window). */
function maxPoolLoop(x: Float32Array, out: Float32Array, info: PoolInfo): void {
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  const { strideHeight: SH, strideWidth: SW, effectiveFilterHeight: FH, effectiveFilterWidth: FW } = info;
  const { top, left } = info.padInfo;
  let o = 0;
  for (let b = 0; b < B; b++) {
    for (let oy = 0; oy < OH; oy++) {
      const r0 = oy * SH - top;
      const rMin = Math.max(0, r0);
      const rMax = Math.min(H, r0 + FH);
      for (let ox = 0; ox < OW; ox++) {
        const c0 = ox * SW - left;
        const cMin = Math.max(0, c0);
        const cMax = Math.min(W, c0 + FW);
        for (let c = 0; c < C; c++, o++) {
          let best = -Infinity;
          for (let r = rMin; r < rMax; r++) {
            for (let i = ((b * H + r) * W + cMin) * C + c, e = i + (cMax - cMin) * C; i < e; i += C) {
              const v = x[i];
              if (v > best) best = v;
            }
          }
          out[o] = best;
        }
      }
    }
  }
}

/** Max-pool gradient: each window's dy goes to the first element (row-major) holding its maximum. */
function maxPoolGradLoop(x: Float32Array, dy: Float32Array, dx: Float32Array | Float64Array, info: PoolInfo): void {
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  const { strideHeight: SH, strideWidth: SW, effectiveFilterHeight: FH, effectiveFilterWidth: FW } = info;
  const { top, left } = info.padInfo;
  let o = 0;
  for (let b = 0; b < B; b++) {
    for (let oy = 0; oy < OH; oy++) {
      const r0 = oy * SH - top;
      const rMin = Math.max(0, r0);
      const rMax = Math.min(H, r0 + FH);
      for (let ox = 0; ox < OW; ox++) {
        const c0 = ox * SW - left;
        const cMin = Math.max(0, c0);
        const cMax = Math.min(W, c0 + FW);
        for (let c = 0; c < C; c++, o++) {
          let best = -Infinity;
          let pos = -1;
          for (let r = rMin; r < rMax; r++) {
            for (let i = ((b * H + r) * W + cMin) * C + c, e = i + (cMax - cMin) * C; i < e; i += C) {
              const v = x[i];
              if (v > best) {
                best = v;
                pos = i;
              }
            }
          }
          if (pos >= 0) dx[pos] += dy[o];
        }
      }
    }
  }
}

/** Below this many elements the copies into wasm memory cost more than the plain loop saves. */
const WASM_MIN = 1024;

/** The geometry arguments of asm/conv.ts's maxPool / maxPoolGrad. */
function geometry(
  info: PoolInfo,
): [number, number, number, number, number, number, number, number, number, number, number, number] {
  return [
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.effectiveFilterHeight,
    info.effectiveFilterWidth,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.top,
    info.padInfo.left,
  ];
}

/** Empty or degenerate shapes go to the stock kernel. */
function empty(info: PoolInfo): boolean {
  return Math.min(info.batchSize, info.outHeight, info.outWidth, info.inChannels) <= 0;
}

function poolInfo(tf: Tf, shape: number[], attrs: Record<string, unknown>): PoolInfo {
  const { filterSize, strides, pad, dimRoundingMode } = attrs as {
    filterSize: number | [number, number];
    strides: number | [number, number];
    pad: "valid" | "same" | number;
    dimRoundingMode?: "floor" | "round" | "ceil";
  };
  return tf.backend_util.computePool2DInfo(
    shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
}

/** MaxPool and MaxPoolGrad kernel configs for `backendName`, falling back to the stock cpu kernels. */
export function poolKernels(tf: Tf, backendName: string): KernelConfig[] {
  const stockPool = tf.getKernel("MaxPool", "cpu").kernelFunc;
  const stockGrad = tf.getKernel("MaxPoolGrad", "cpu").kernelFunc;

  const maxPool = (args: KernelArgs) => {
    const { x } = args.inputs as { x: TensorInfo };
    const info = poolInfo(tf, x.shape, args.attrs as Record<string, unknown>);
    if (x.dtype !== "float32" || info.dilationHeight !== 1 || info.dilationWidth !== 1 || empty(info))
      return fallback(stockPool, args);
    kernelStats.fast++;
    const backend = args.backend as MathBackendCPU;
    const n = info.batchSize * info.outHeight * info.outWidth * info.inChannels;
    const xv = valuesOf(backend, x);
    if (n < WASM_MIN) {
      const out = new Float32Array(n);
      maxPoolLoop(xv, out, info);
      return backend.makeTensorInfo(info.outShape, "float32", out);
    }
    const a = wasmArena();
    const px = a.alloc(xv.length);
    const po = a.alloc(n);
    a.view(px, xv.length).set(xv);
    a.fn.maxPool(px, po, ...geometry(info));
    return backend.makeTensorInfo(info.outShape, "float32", a.copyOut(po, n));
  };

  const maxPoolGrad = (args: KernelArgs) => {
    const { dy, input } = args.inputs as { dy: TensorInfo; input: TensorInfo };
    const info = poolInfo(tf, input.shape, args.attrs as Record<string, unknown>);
    if (
      input.dtype !== "float32" ||
      dy.dtype !== "float32" ||
      info.dilationHeight !== 1 ||
      info.dilationWidth !== 1 ||
      empty(info)
    )
      return fallback(stockGrad, args);
    kernelStats.fast++;
    const backend = args.backend as MathBackendCPU;
    const size = input.shape.reduce((a, b) => a * b, 1);
    // Overlapping windows can send several gradients to one element: sum them in float64 in the stock order
    // (output pixels row-major) and round once, as the stock kernel does; otherwise each element gets at most one.
    const overlap = info.strideHeight < info.effectiveFilterHeight || info.strideWidth < info.effectiveFilterWidth;
    if (!overlap && size >= WASM_MIN) {
      const xv = valuesOf(backend, input);
      const dyv = valuesOf(backend, dy);
      const a = wasmArena();
      const px = a.alloc(size);
      const pdy = a.alloc(dyv.length);
      const pdx = a.alloc(size);
      a.view(px, size).set(xv);
      a.view(pdy, dyv.length).set(dyv);
      a.view(pdx, size).fill(0);
      a.fn.maxPoolGrad(px, pdy, pdx, ...geometry(info));
      return backend.makeTensorInfo(input.shape, "float32", a.copyOut(pdx, size));
    }
    const acc = overlap ? new Float64Array(size) : new Float32Array(size);
    maxPoolGradLoop(valuesOf(backend, input), valuesOf(backend, dy), acc, info);
    return backend.makeTensorInfo(input.shape, "float32", overlap ? Float32Array.from(acc) : (acc as Float32Array));
  };

  return [
    { kernelName: "MaxPool", backendName, kernelFunc: maxPool },
    { kernelName: "MaxPoolGrad", backendName, kernelFunc: maxPoolGrad },
  ];
}
