/**
 * Conv2D, FusedConv2D, Conv2DBackpropFilter and Conv2DBackpropInput for `cpu-fast`, on the WebAssembly SIMD
 * kernels of asm/conv.ts.
 *
 * Why by hand: tfjs' cpu Conv2DBackpropFilter reads every element through TensorBuffer.get (index arithmetic and a
 * bounds check per multiply-add: ~95% of a training step), its Conv2DBackpropInput does the same, and its Conv2D,
 * although it loops over flat arrays, is scalar JavaScript with an inner loop over the (often 6- or 16-wide) output
 * channels. Here each convolution is a register-tiled product of NHWC slices in 128-bit SIMD (see asm/conv.ts).
 *
 * With two kernel threads (threads.ts) each call is cut in two (parallel.ts): the forward pass and the input gradient
 * by images, the filter gradient by rows of the filter, so every output is summed in the same order as in one call.
 *
 * Supported: float32, NHWC, dilation 1, any stride, valid / same / explicit / numeric padding; FusedConv2D with
 * a 1-D bias (or none) and linear or relu activation. Anything else goes to the stock cpu kernel.
 */
import type * as tfjs from "@tensorflow/tfjs";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { wasmArena } from "./wasm";
import { runParts, splitRange } from "./parallel";

type Tf = typeof tfjs;
type TensorInfo = tfjs.TensorInfo;
type KernelConfig = tfjs.KernelConfig;
type ConvInfo = tfjs.backend_util.Conv2DInfo;
type KernelArgs = Parameters<KernelConfig["kernelFunc"]>[0];

/** How often the replacement kernels ran their own code vs. handed over to the stock kernel (tests read it). */
export const kernelStats = { fast: 0, fallback: 0 };

/** The float32 values of a tensor on the cpu backend. */
export function valuesOf(backend: MathBackendCPU, t: TensorInfo): Float32Array {
  return backend.data.get(t.dataId).values as Float32Array;
}

/** Run the stock kernel for a configuration the fast one does not handle. */
export function fallback(stock: KernelConfig["kernelFunc"], args: KernelArgs): ReturnType<KernelConfig["kernelFunc"]> {
  kernelStats.fallback++;
  return stock(args);
}

function roundUp(n: number, m: number): number {
  return Math.ceil(n / m) * m;
}

/** True when the geometry is one the wasm kernels handle (NHWC float32, dilation 1). */
function supported(info: ConvInfo, dataFormat: unknown, ...ts: (TensorInfo | undefined)[]): boolean {
  return (
    (dataFormat === undefined || dataFormat === "NHWC") &&
    info.dataFormat === "channelsLast" &&
    info.dilationHeight === 1 &&
    info.dilationWidth === 1 &&
    // empty or degenerate shapes: let the stock kernel produce (or reject) them
    Math.min(info.batchSize, info.outHeight, info.outWidth, info.inChannels, info.outChannels) > 0 &&
    ts.every((t) => t === undefined || t.dtype === "float32")
  );
}

/** Copy NHWC `src` [B,H,W,C] into a zeroed [B,Hp,Wp,C] buffer at offset (top, left). */
function padInto(dst: Float32Array, src: Float32Array, info: ConvInfo, Hp: number, Wp: number): void {
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C } = info;
  const { top, left } = info.padInfo;
  if (Hp === H && Wp === W) {
    dst.set(src);
    return;
  }
  dst.fill(0);
  const row = W * C;
  for (let b = 0; b < B; b++) {
    for (let y = 0; y < H; y++) {
      const s = (b * H + y) * row;
      dst.set(src.subarray(s, s + row), ((b * Hp + y + top) * Wp + left) * C);
    }
  }
}

/** The sizes every convolution kernel below needs: shapes, strides, padded input size, channel count padded to 8. */
function geometry(info: ConvInfo) {
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, outChannels: N } = info;
  const { filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW } = info;
  const { top, bottom, left, right } = info.padInfo;
  return {
    B,
    H,
    W,
    C,
    OH,
    OW,
    N,
    KH,
    KW,
    SH,
    SW,
    top,
    left,
    Hp: H + top + bottom,
    Wp: W + left + right,
    NP: roundUp(N, 8),
    M: B * OH * OW,
  };
}

/**
 * Copy `rows` rows of `n` floats from `src` (rows `from` floats apart, starting at `s0`) into `dst` (`to` apart, from
 * `d0`). Rows this short go by index: a subarray and a set per row cost more than the copy (the first stage's 6
 * channels: 29 µs a step for the filter gradient's 80 rows that way).
 */
export function copyRows(
  dst: Float32Array,
  src: Float32Array,
  rows: number,
  n: number,
  from: number,
  to: number,
  s0 = 0,
  d0 = 0,
): void {
  for (let r = 0; r < rows; r++) {
    const s = s0 + r * from;
    const d = d0 + r * to;
    if (n >= 32) dst.set(src.subarray(s, s + n), d);
    else for (let j = 0; j < n; j++) dst[d + j] = src[s + j];
  }
}

/** The forward kernel's filter layout: `w` [KH,KW,C,N] into `dst` [KH, KW*C, NP], channels zero-padded to NP. */
export function layFilter(dst: Float32Array, w: Float32Array, rows: number, N: number, NP: number): void {
  if (NP === N) return dst.set(w);
  dst.fill(0);
  copyRows(dst, w, rows, N, N, NP);
}

/**
 * asm/conv.ts convForward6's filter layout for 6 output channels: `w` [KH,KW,C,6] into `dst` [KH, KW*C, 12], each
 * input value's 6 weights twice (the three vectors [w0 w1 w2 w3], [w4 w5 w0 w1], [w2 w3 w4 w5]).
 */
export function layFilter6(dst: Float32Array, w: Float32Array, rows: number): void {
  for (let r = 0; r < rows; r++)
    for (let j = 0; j < 6; j++) {
      const v = w[r * 6 + j];
      dst[r * 12 + j] = v;
      dst[r * 12 + 6 + j] = v;
    }
}

/**
 * A filter [E, C, N] (tfjs' [KH, KW, C, N], E = KH·KW) summed over its C channels into [E, N]: each sum in float64 in
 * channel order, rounded once, as tfjs' Sum over that axis. Convolving a grey picture read as C equal channels is
 * then one product per tap instead of C (lib/kernels/trunk.ts).
 */
export function sumChannels(w: Float32Array, E: number, C: number, N: number): Float32Array {
  const out = new Float32Array(E * N);
  for (let e = 0; e < E; e++)
    for (let n = 0; n < N; n++) {
      let t = 0;
      for (let c = 0; c < C; c++) t += w[(e * C + c) * N + n];
      out[e * N + n] = t;
    }
  return out;
}

/** The input gradient's filter layout: `w` [KH,KW,C,N] into `dst` [KH, N, KWCP], transposed per row, zero-padded. */
export function layFilterTransposed(
  dst: Float32Array,
  w: Float32Array,
  KH: number,
  KWC: number,
  N: number,
  KWCP: number,
): void {
  dst.fill(0);
  for (let ky = 0; ky < KH; ky++) {
    for (let k = 0; k < KWC; k++) {
      const s = (ky * KWC + k) * N;
      const d = ky * N * KWCP + k;
      for (let n = 0; n < N; n++) dst[d + n * KWCP] = w[s + n];
    }
  }
}

/** The filter gradient's kernel layout [KH, KWCP, NP] back to tfjs' [KH,KW,C,N], dropping the padding's garbage. */
export function filterGradient(
  dw: Float32Array,
  KH: number,
  KWC: number,
  N: number,
  KWCP: number,
  NP: number,
): Float32Array {
  const out = new Float32Array(KH * KWC * N);
  for (let ky = 0; ky < KH; ky++) copyRows(out, dw, KWC, N, NP, N, ky * KWCP * NP, ky * KWC * N);
  return out;
}

/** Forward convolution (+ optional bias and relu) of NHWC `x` with `filter` [KH,KW,C,N]. */
function convForward(
  backend: MathBackendCPU,
  x: TensorInfo,
  filter: TensorInfo,
  info: ConvInfo,
  bias: Float32Array | null,
  relu: boolean,
): TensorInfo {
  const { B, C, OH, OW, N, KH, KW, SH, SW, Hp, Wp, NP, M } = geometry(info);
  const rows = KH * KW * C;
  const a = wasmArena();
  const px = a.alloc(B * Hp * Wp * C);
  const pw = a.alloc(rows * NP);
  const pb = a.alloc(NP);
  const py = a.alloc(M * NP);
  padInto(a.view(px, B * Hp * Wp * C), valuesOf(backend, x), info, Hp, Wp);
  layFilter(a.view(pw, rows * NP), valuesOf(backend, filter), rows, N, NP);
  const bv = a.view(pb, NP);
  bv.fill(0);
  if (bias) bv.set(bias);
  const parts = splitRange(B).map(([b0, b1]) => [
    px + b0 * Hp * Wp * C * 4,
    pw,
    pb,
    py + b0 * OH * OW * NP * 4,
    b1 - b0,
    ...[Hp, Wp, C, OH, OW, NP, KH, KW, SH, SW, relu ? 1 : 0],
  ]);
  runParts(a.fn, "convForward", parts);
  a.fn.compactRows(py, M, N, NP);
  return backend.makeTensorInfo([B, OH, OW, N], "float32", a.copyOut(py, M * N));
}

/** Gradient of a convolution with respect to its filter: [KH,KW,C,N] from x [B,H,W,C] and dy [B,OH,OW,N]. */
function convBackpropFilter(backend: MathBackendCPU, x: TensorInfo, dy: TensorInfo, info: ConvInfo): TensorInfo {
  const { B, C, OH, OW, N, KH, KW, SH, SW, Hp, Wp, NP, M } = geometry(info);
  const KWC = KW * C;
  const KWCP = roundUp(KWC, 4);
  const a = wasmArena();
  const px = a.alloc(B * Hp * Wp * C);
  const pdy = a.alloc(M * N + 8); // the last pixel's tile reads up to NP - N floats past the end
  const pdw = a.alloc(KH * KWCP * NP);
  padInto(a.view(px, B * Hp * Wp * C), valuesOf(backend, x), info, Hp, Wp);
  a.view(pdy, M * N).set(valuesOf(backend, dy));
  const parts = splitRange((KH * KWCP) / 4).map((t) => [
    px,
    pdy,
    pdw,
    ...[B, Hp, Wp, C, OH, OW, N, NP, KH, KW, SH, SW],
    ...t,
    1,
  ]);
  runParts(a.fn, "convBackpropFilter", parts);
  const out = filterGradient(a.view(pdw, KH * KWCP * NP), KH, KWC, N, KWCP, NP);
  return backend.makeTensorInfo([KH, KW, C, N], "float32", out);
}

/** Gradient of a convolution with respect to its input: [B,H,W,C] from dy [B,OH,OW,N] and filter [KH,KW,C,N]. */
function convBackpropInput(backend: MathBackendCPU, dy: TensorInfo, filter: TensorInfo, info: ConvInfo): TensorInfo {
  const { B, H, W, C, OH, OW, N, KH, KW, SH, SW, top, left, Hp, Wp, M } = geometry(info);
  const KWC = KW * C;
  const KWCP = roundUp(KWC, 4);
  const a = wasmArena();
  const pdy = a.alloc(M * N);
  const pwt = a.alloc(KH * N * KWCP);
  // One dx buffer (and scratch window) per part: the kernel adds exact zeros just past an image's last window, which
  // must not land in another thread's image.
  const ranges = splitRange(B);
  const image = Hp * Wp * C;
  const pdx = ranges.map(([b0, b1]) => a.alloc((b1 - b0) * image));
  const spare = ranges.map(() => a.alloc(KWCP));
  a.view(pdy, M * N).set(valuesOf(backend, dy));
  layFilterTransposed(a.view(pwt, KH * N * KWCP), valuesOf(backend, filter), KH, KWC, N, KWCP);
  const dxv = ranges.map(([b0, b1], i) => a.view(pdx[i], (b1 - b0) * image + 16)); // + the slack the kernel may touch
  for (const v of dxv) v.fill(0);
  const parts = ranges.map(([b0, b1], i) => [
    pdy + b0 * OH * OW * N * 4,
    pwt,
    pdx[i],
    spare[i],
    b1 - b0,
    ...[Hp, Wp, C, OH, OW, N, KH, KW, SH, SW],
  ]);
  runParts(a.fn, "convBackpropInput", parts);
  let out: Float32Array;
  if (Hp === H && Wp === W && ranges.length === 1) out = a.copyOut(pdx[0], B * H * W * C);
  else {
    out = new Float32Array(B * H * W * C);
    const row = W * C;
    ranges.forEach(([b0, b1], i) => {
      for (let b = b0; b < b1; b++) {
        for (let y = 0; y < H; y++) {
          const s = (((b - b0) * Hp + y + top) * Wp + left) * C;
          out.set(dxv[i].subarray(s, s + row), (b * H + y) * row);
        }
      }
    });
  }
  return backend.makeTensorInfo([B, H, W, C], "float32", out);
}

/** The four convolution kernel configs for `backendName`, each falling back to the stock cpu kernel. */
export function convKernels(tf: Tf, backendName: string): KernelConfig[] {
  const stock = (name: string) => tf.getKernel(name, "cpu").kernelFunc;
  const bu = tf.backend_util;
  type Attrs = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

  const stockConv = stock("Conv2D");
  const conv2D = (args: KernelArgs) => {
    const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo };
    const { strides, pad, dataFormat, dilations, dimRoundingMode } = args.attrs as Attrs;
    const fmt = bu.convertConv2DDataFormat(dataFormat ?? "NHWC");
    const info = bu.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      strides,
      dilations,
      pad,
      dimRoundingMode,
      false,
      fmt,
    );
    if (!supported(info, dataFormat, x, filter)) return fallback(stockConv, args);
    kernelStats.fast++;
    return convForward(args.backend as MathBackendCPU, x, filter, info, null, false);
  };

  const stockFused = stock("FusedConv2D");
  const fusedConv2D = (args: KernelArgs) => {
    const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
    const { strides, pad, dataFormat, dilations, dimRoundingMode, activation } = args.attrs as Attrs;
    const act = activation ?? "linear";
    if (!x || !filter || preluActivationWeights || (act !== "linear" && act !== "relu"))
      return fallback(stockFused, args);
    const fmt = bu.convertConv2DDataFormat(dataFormat ?? "NHWC");
    const info = bu.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      strides,
      dilations,
      pad,
      dimRoundingMode,
      false,
      fmt,
    );
    if (!supported(info, dataFormat, x, filter, bias)) return fallback(stockFused, args);
    if (bias && !(bias.shape.length === 1 && bias.shape[0] === info.outChannels)) return fallback(stockFused, args);
    kernelStats.fast++;
    const backend = args.backend as MathBackendCPU;
    return convForward(backend, x, filter, info, bias ? valuesOf(backend, bias) : null, act === "relu");
  };

  const stockFilter = stock("Conv2DBackpropFilter");
  const backpropFilter = (args: KernelArgs) => {
    const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } = args.attrs as Attrs;
    const fmt = bu.convertConv2DDataFormat(dataFormat ?? "NHWC");
    const info = bu.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filterShape,
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      fmt,
    );
    if (!supported(info, dataFormat, x, dy)) return fallback(stockFilter, args);
    kernelStats.fast++;
    return convBackpropFilter(args.backend as MathBackendCPU, x, dy, info);
  };

  const stockInput = stock("Conv2DBackpropInput");
  const backpropInput = (args: KernelArgs) => {
    const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = args.attrs as Attrs;
    const fmt = bu.convertConv2DDataFormat(dataFormat ?? "NHWC");
    const info = bu.computeConv2DInfo(
      inputShape,
      filter.shape as [number, number, number, number],
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      fmt,
    );
    if (!supported(info, dataFormat, dy, filter)) return fallback(stockInput, args);
    kernelStats.fast++;
    return convBackpropInput(args.backend as MathBackendCPU, dy, filter, info);
  };

  return [
    { kernelName: "Conv2D", backendName, kernelFunc: conv2D },
    { kernelName: "FusedConv2D", backendName, kernelFunc: fusedConv2D },
    { kernelName: "Conv2DBackpropFilter", backendName, kernelFunc: backpropFilter },
    { kernelName: "Conv2DBackpropInput", backendName, kernelFunc: backpropInput },
  ];
}
