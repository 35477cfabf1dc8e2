/**
 * Element-wise and reduction kernels for `cpu-fast`: Add, Sub, Multiply, RealDiv, Relu, Step, Sqrt, Square, Sum.
 *
 * Why by hand: once the convolutions are fast, these dominate a training step (bias adds, ReLU gradients and the
 * RMSprop update of the 73,728-weight dense kernel: ~40 calls per step). tfjs' cpu binary ops call the operation
 * through one closure shared by every binary kernel (a megamorphic call per element), and as soon as one operand
 * is broadcast (a scalar learning rate, a bias) they compute every element's index with indexToLoc / locToIndex
 * and two array slices. Its Sum over leading axes (the bias gradient) first transposes the tensor element by
 * element. Here large tensors go through WebAssembly SIMD loops (asm/elementwise.ts: same shape, scalar, bias row), and
 * the rest through one monomorphic loop per op over flat Float32Arrays, broadcasting by strides.
 *
 * Results are bit-identical to stock: the arithmetic is the same JavaScript double operation rounded to float32,
 * and Sum adds in the same order in double precision. float32 only; other dtypes and broadcasts go to stock.
 */
import type * as tfjs from "@tensorflow/tfjs";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { valuesOf, fallback, kernelStats } from "./conv";
import { wasmArena } from "./wasm";

/** Below this many elements the copies into wasm memory cost more than the SIMD loop saves: plain loops. */
const WASM_MIN = 1024;

type Tf = typeof tfjs;
type TensorInfo = tfjs.TensorInfo;
type KernelConfig = tfjs.KernelConfig;
type KernelArgs = Parameters<KernelConfig["kernelFunc"]>[0];

const enum Op {
  Add,
  Sub,
  Mul,
  Div,
}

/** Index of an operand's element for output (o, j) = o*so + j*sj, over an output viewed as [O, I]. */
interface Strided {
  so: number;
  sj: number;
}

/**
 * Plan a broadcast of shapes a and b as an [O, I] loop where each operand is full, a scalar, a row (depends on
 * the inner index only: a trailing-dims operand such as a bias) or a column (depends on the outer index only,
 * e.g. [8,1] against [8,7]). Returns undefined for any other broadcast.
 */
function planBroadcast(
  out: number[],
  a: number[],
  b: number[],
): { O: number; I: number; sa: Strided; sb: Strided } | undefined {
  const size = out.reduce((x, y) => x * y, 1);
  const r = out.length;
  type Kind = { k: "full" } | { k: "scalar" } | { k: "row"; n: number } | { k: "col"; n: number };
  const kind = (s: number[]): Kind | undefined => {
    const p = [...new Array(r - s.length).fill(1), ...s];
    if (p.every((d, i) => d === out[i])) return { k: "full" };
    if (p.every((d) => d === 1)) return { k: "scalar" };
    let lead = 0;
    while (lead < r && p[lead] === 1) lead++;
    if (p.slice(lead).every((d, i) => d === out[lead + i]))
      return { k: "row", n: out.slice(lead).reduce((x, y) => x * y, 1) };
    let trail = r;
    while (trail > 0 && p[trail - 1] === 1) trail--;
    if (p.slice(0, trail).every((d, i) => d === out[i]))
      return { k: "col", n: out.slice(0, trail).reduce((x, y) => x * y, 1) };
    return undefined;
  };
  const ka = kind(a);
  const kb = kind(b);
  if (!ka || !kb) return undefined;
  let I = size;
  let O = 1;
  for (const k of [ka, kb]) {
    if (k.k === "row") {
      if (O !== 1 && O * k.n !== size) return undefined;
      I = k.n;
      O = size / k.n;
    }
  }
  for (const k of [ka, kb]) {
    if (k.k === "col") {
      if (ka.k === "row" || kb.k === "row") {
        if (k.n !== O) return undefined;
      } else {
        O = k.n;
        I = size / k.n;
      }
    }
  }
  const stride = (k: Kind): Strided => {
    switch (k.k) {
      case "full":
        return { so: I, sj: 1 };
      case "scalar":
        return { so: 0, sj: 0 };
      case "row":
        return { so: 0, sj: 1 };
      case "col":
        return { so: 1, sj: 0 };
    }
  };
  return { O, I, sa: stride(ka), sb: stride(kb) };
}

// One function per operation keeps each loop monomorphic. Strides are locals (hoisted out of the loop); the
// common no-broadcast and scalar cases get their own flat loops.
function addLoop(
  a: Float32Array,
  b: Float32Array,
  out: Float32Array,
  O: number,
  I: number,
  aso: number,
  asj: number,
  bso: number,
  bsj: number,
): void {
  const n = out.length;
  if (O === 1 && asj === 1 && bsj === 1) for (let i = 0; i < n; i++) out[i] = a[i] + b[i];
  else if (O === 1 && asj === 1 && bsj === 0) {
    const s = b[0];
    for (let i = 0; i < n; i++) out[i] = a[i] + s;
  } else
    for (let o = 0, k = 0; o < O; o++)
      for (let j = 0, ia = o * aso, ib = o * bso; j < I; j++, ia += asj, ib += bsj) out[k++] = a[ia] + b[ib];
}
function subLoop(
  a: Float32Array,
  b: Float32Array,
  out: Float32Array,
  O: number,
  I: number,
  aso: number,
  asj: number,
  bso: number,
  bsj: number,
): void {
  const n = out.length;
  if (O === 1 && asj === 1 && bsj === 1) for (let i = 0; i < n; i++) out[i] = a[i] - b[i];
  else if (O === 1 && asj === 1 && bsj === 0) {
    const s = b[0];
    for (let i = 0; i < n; i++) out[i] = a[i] - s;
  } else
    for (let o = 0, k = 0; o < O; o++)
      for (let j = 0, ia = o * aso, ib = o * bso; j < I; j++, ia += asj, ib += bsj) out[k++] = a[ia] - b[ib];
}
function mulLoop(
  a: Float32Array,
  b: Float32Array,
  out: Float32Array,
  O: number,
  I: number,
  aso: number,
  asj: number,
  bso: number,
  bsj: number,
): void {
  const n = out.length;
  if (O === 1 && asj === 1 && bsj === 1) for (let i = 0; i < n; i++) out[i] = a[i] * b[i];
  else if (O === 1 && asj === 1 && bsj === 0) {
    const s = b[0];
    for (let i = 0; i < n; i++) out[i] = a[i] * s;
  } else
    for (let o = 0, k = 0; o < O; o++)
      for (let j = 0, ia = o * aso, ib = o * bso; j < I; j++, ia += asj, ib += bsj) out[k++] = a[ia] * b[ib];
}
function divLoop(
  a: Float32Array,
  b: Float32Array,
  out: Float32Array,
  O: number,
  I: number,
  aso: number,
  asj: number,
  bso: number,
  bsj: number,
): void {
  const n = out.length;
  if (O === 1 && asj === 1 && bsj === 1) for (let i = 0; i < n; i++) out[i] = a[i] / b[i];
  else if (O === 1 && asj === 1 && bsj === 0) {
    const s = b[0];
    for (let i = 0; i < n; i++) out[i] = a[i] / s;
  } else
    for (let o = 0, k = 0; o < O; o++)
      for (let j = 0, ia = o * aso, ib = o * bso; j < I; j++, ia += asj, ib += bsj) out[k++] = a[ia] / b[ib];
}
const LOOPS = { [Op.Add]: addLoop, [Op.Sub]: subLoop, [Op.Mul]: mulLoop, [Op.Div]: divLoop };

function binaryKernel(tf: Tf, backendName: string, kernelName: string, op: Op): KernelConfig {
  const stock = tf.getKernel(kernelName, "cpu").kernelFunc;
  const loop = LOOPS[op];
  const kernelFunc = (args: KernelArgs) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    if (a.dtype !== "float32" || b.dtype !== "float32") return fallback(stock, args);
    const shape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const plan = planBroadcast(shape, a.shape, b.shape);
    if (!plan) return fallback(stock, args);
    kernelStats.fast++;
    const backend = args.backend as MathBackendCPU;
    const { O, I, sa, sb } = plan;
    const av = valuesOf(backend, a);
    const bv = valuesOf(backend, b);
    const n = O * I;
    // wasm modes: 0 same shape, 1 b scalar, 2 a scalar, 3 b a row (bias) of a full a
    const mode =
      sa.sj === 1 && sb.sj === 1 && sa.so === I && sb.so === I
        ? 0
        : sa.so === I && sa.sj === 1 && sb.so === 0 && sb.sj === 0
          ? 1
          : sb.so === I && sb.sj === 1 && sa.so === 0 && sa.sj === 0
            ? 2
            : sa.so === I && sa.sj === 1 && sb.so === 0 && sb.sj === 1
              ? 3
              : -1;
    if (n >= WASM_MIN && mode >= 0) {
      const w = wasmArena();
      const pa = w.alloc(av.length);
      const pb = w.alloc(bv.length);
      const po = w.alloc(n);
      w.view(pa, av.length).set(av);
      w.view(pb, bv.length).set(bv);
      w.fn.binary(op, pa, pb, po, n, mode, I);
      return backend.makeTensorInfo(shape, "float32", w.copyOut(po, n));
    }
    const out = new Float32Array(n);
    loop(av, bv, out, O, I, sa.so, sa.sj, sb.so, sb.sj);
    return backend.makeTensorInfo(shape, "float32", out);
  };
  return { kernelName, backendName, kernelFunc };
}

function unaryKernel(
  tf: Tf,
  backendName: string,
  kernelName: string,
  wasmOp: number,
  loop: (x: Float32Array, out: Float32Array, attrs: Record<string, unknown>) => void,
): KernelConfig {
  const stock = tf.getKernel(kernelName, "cpu").kernelFunc;
  const kernelFunc = (args: KernelArgs) => {
    const { x } = args.inputs as { x: TensorInfo };
    if (x.dtype !== "float32") return fallback(stock, args);
    kernelStats.fast++;
    const backend = args.backend as MathBackendCPU;
    const xv = valuesOf(backend, x);
    if (xv.length >= WASM_MIN) {
      const w = wasmArena();
      const px = w.alloc(xv.length);
      const po = w.alloc(xv.length);
      w.view(px, xv.length).set(xv);
      w.fn.unary(
        wasmOp,
        px,
        po,
        xv.length,
        ((args.attrs as Record<string, unknown> | undefined)?.alpha as number | undefined) ?? 0,
      );
      return backend.makeTensorInfo(x.shape, "float32", w.copyOut(po, xv.length));
    }
    const out = new Float32Array(xv.length);
    loop(xv, out, (args.attrs ?? {}) as Record<string, unknown>);
    return backend.makeTensorInfo(x.shape, "float32", out);
  };
  return { kernelName, backendName, kernelFunc };
}

/** Sum over a leading or trailing run of axes, in double precision and stock order. */
function sumKernel(tf: Tf, backendName: string): KernelConfig {
  const stock = tf.getKernel("Sum", "cpu").kernelFunc;
  const kernelFunc = (args: KernelArgs) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
    if (x.dtype !== "float32") return fallback(stock, args);
    const r = x.shape.length;
    const axes = tf.util
      .parseAxisParam(axis, x.shape)
      .slice()
      .sort((p, q) => p - q);
    if (axes.length === 0 || axes.some((v, i) => i > 0 && v === axes[i - 1])) return fallback(stock, args);
    const prefix = axes.every((v, i) => v === i);
    const suffix = axes.every((v, i) => v === r - axes.length + i);
    if (!prefix && !suffix) return fallback(stock, args);
    kernelStats.fast++;
    const backend = args.backend as MathBackendCPU;
    const xv = valuesOf(backend, x);
    const kept = x.shape.filter((_, i) => !axes.includes(i));
    const outSize = kept.reduce((p, q) => p * q, 1);
    const out = new Float32Array(outSize);
    if (suffix) {
      const red = outSize === 0 ? 0 : xv.length / outSize;
      for (let o = 0; o < outSize; o++) {
        let s = 0;
        for (let j = o * red, e = j + red; j < e; j++) s += xv[j];
        out[o] = s;
      }
    } else if (xv.length >= WASM_MIN && outSize > 0) {
      const w = wasmArena();
      const px = w.alloc(xv.length);
      const po = w.alloc(outSize);
      const pacc = w.alloc(2 * outSize);
      w.view(px, xv.length).set(xv);
      w.fn.sumRows(px, po, pacc, xv.length / outSize, outSize);
      out.set(w.view(po, outSize));
    } else {
      const acc = new Float64Array(outSize);
      for (let i = 0; i < xv.length; i += outSize) for (let j = 0; j < outSize; j++) acc[j] += xv[i + j];
      out.set(acc);
    }
    const shape = keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : kept;
    return backend.makeTensorInfo(shape, "float32", out);
  };
  return { kernelName: "Sum", backendName, kernelFunc };
}

/** The element-wise and Sum kernel configs for `backendName`, each falling back to the stock cpu kernel. */
export function elementwiseKernels(tf: Tf, backendName: string): KernelConfig[] {
  return [
    binaryKernel(tf, backendName, "Add", Op.Add),
    binaryKernel(tf, backendName, "Sub", Op.Sub),
    binaryKernel(tf, backendName, "Multiply", Op.Mul),
    binaryKernel(tf, backendName, "RealDiv", Op.Div),
    unaryKernel(tf, backendName, "Relu", 0, (x, o) => {
      for (let i = 0; i < x.length; i++) o[i] = Math.max(0, x[i]);
    }),
    unaryKernel(tf, backendName, "Step", 1, (x, o, attrs) => {
      const alpha = attrs.alpha as number;
      for (let i = 0; i < x.length; i++) {
        const v = x[i];
        o[i] = v !== v ? NaN : v > 0 ? 1 : alpha;
      }
    }),
    unaryKernel(tf, backendName, "Sqrt", 2, (x, o) => {
      for (let i = 0; i < x.length; i++) o[i] = Math.sqrt(x[i]);
    }),
    unaryKernel(tf, backendName, "Square", 3, (x, o) => {
      for (let i = 0; i < x.length; i++) {
        const v = x[i];
        o[i] = v * v;
      }
    }),
    sumKernel(tf, backendName),
  ];
}
