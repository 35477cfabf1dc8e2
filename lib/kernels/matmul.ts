/**
 * BatchMatMul and _FusedMatMul for `cpu-fast` on the WebAssembly SIMD convolution kernel (a matrix product is a
 * 1×1 convolution of an [M,1,K] image with a [1,1,K,N] filter).
 *
 * Why by hand: tfjs' cpu BatchMatMul is a blocked scalar loop that costs ~2–3 ms per product of the dense layer
 * (8×576 by 576×128 and its two gradients); the SIMD tile does it in a fraction of that.
 *
 * Supported: float32, equal batch sizes or one side's batch 1, transposes (copied to row-major first),
 * _FusedMatMul with a 1-D bias or none and linear/relu. Anything else goes to the stock kernel.
 */
import type * as tfjs from "@tensorflow/tfjs";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { valuesOf, fallback, kernelStats } from "./conv";
import { wasmArena } from "./wasm";

type Tf = typeof tfjs;
type TensorInfo = tfjs.TensorInfo;
type KernelConfig = tfjs.KernelConfig;
type KernelArgs = Parameters<KernelConfig["kernelFunc"]>[0];

interface Plan {
  batch: number;
  batchA: number;
  batchB: number;
  M: number;
  K: number;
  N: number;
  outShape: number[];
}

function plan(tf: Tf, a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): Plan | undefined {
  if (a.dtype !== "float32" || b.dtype !== "float32" || a.shape.length < 2 || b.shape.length < 2) return undefined;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const M = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const K = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const Kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const N = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (K !== Kb || M * N * K === 0) return undefined;
  const batchA = tf.util.sizeFromShape(a.shape.slice(0, -2));
  const batchB = tf.util.sizeFromShape(b.shape.slice(0, -2));
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) return undefined;
  let outer: number[];
  try {
    outer = tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  } catch {
    return undefined;
  }
  if (tf.util.sizeFromShape(outer) !== Math.max(batchA, batchB)) return undefined;
  return { batch: Math.max(batchA, batchB), batchA, batchB, M, K, N, outShape: [...outer, M, N] };
}

/** out[b] = act(op(A[b]) · op(B[b]) + bias) through asm/conv.ts's convForward. */
function matmul(
  backend: MathBackendCPU,
  a: TensorInfo,
  b: TensorInfo,
  p: Plan,
  transposeA: boolean,
  transposeB: boolean,
  bias: Float32Array | null,
  relu: boolean,
): TensorInfo {
  const out = matmulValues(valuesOf(backend, a), valuesOf(backend, b), p, transposeA, transposeB, bias, relu);
  return backend.makeTensorInfo(p.outShape, "float32", out);
}

/**
 * A row-major [M,K] · [K,N] product as BatchMatMul computes it (`transposeA`: a is [K,M]; `transposeB`: b is [N,K]),
 * into `out` when given (M·N floats): a fresh array of the dense kernel's size (295 KB) cost 32 µs to make, against
 * 6 µs to fill one kept from the step before.
 */
export function matmul2d(
  a: Float32Array,
  b: Float32Array,
  M: number,
  K: number,
  N: number,
  transposeA = false,
  transposeB = false,
  out?: Float32Array,
): Float32Array {
  const p: Plan = { batch: 1, batchA: 1, batchB: 1, M, K, N, outShape: [M, N] };
  return matmulValues(a, b, p, transposeA, transposeB, null, false, out);
}

/** The values of {@link matmul}. */
function matmulValues(
  av: Float32Array,
  bv: Float32Array,
  p: Plan,
  transposeA: boolean,
  transposeB: boolean,
  bias: Float32Array | null,
  relu: boolean,
  into?: Float32Array,
): Float32Array {
  const { M, K, N } = p;
  const NP = Math.ceil(N / 8) * 8;
  if (into && into.length !== p.batch * M * N)
    throw new Error(`matmul: out has ${into.length} floats, not ${p.batch * M * N}`);
  const out = into ?? new Float32Array(p.batch * M * N);
  const ar = wasmArena();
  const pa = ar.alloc(M * K);
  const pw = ar.alloc(K * NP);
  const pb = ar.alloc(NP);
  const py = ar.alloc(M * NP);
  // scratch for a transposed operand (copied in as it is, transposed by the wasm kernel)
  const scratch = Math.max(transposeA ? M * K : 0, transposeB ? K * N : 0);
  const ps = ar.alloc(scratch);
  const S = ar.view(ps, scratch);
  const A = ar.view(pa, M * K);
  const W = ar.view(pw, K * NP);
  const Bv = ar.view(pb, NP);
  const Y = ar.view(py, M * NP);
  Bv.fill(0);
  if (bias) Bv.set(bias);
  let lastB = -1;
  for (let t = 0; t < p.batch; t++) {
    const ia = p.batchA === 1 ? 0 : t;
    const ib = p.batchB === 1 ? 0 : t;
    const sa = av.subarray(ia * M * K, (ia + 1) * M * K);
    if (transposeA) {
      S.set(sa); // [K, M] → A [M, K] in wasm
      ar.fn.transpose(ps, pa, K, M, K);
    } else A.set(sa);
    if (ib !== lastB) {
      const sb = bv.subarray(ib * K * N, (ib + 1) * K * N);
      if (transposeB) {
        if (NP !== N) W.fill(0);
        S.set(sb); // [N, K] → W [K, NP] in wasm
        ar.fn.transpose(ps, pw, N, K, NP);
      } else if (NP === N) W.set(sb);
      else {
        W.fill(0);
        for (let k = 0; k < K; k++) W.set(sb.subarray(k * N, k * N + N), k * NP);
      }
      lastB = ib;
    }
    // x = A as [1, M, 1, K], filter [1, 1, K, NP]: one 1×1 "convolution"
    ar.fn.convForward(pa, pw, pb, py, 1, M, 1, K, M, 1, NP, 1, 1, 1, 1, relu ? 1 : 0);
    ar.fn.compactRows(py, M, N, NP);
    out.set(Y.subarray(0, M * N), t * M * N);
  }
  return out;
}

/** BatchMatMul and _FusedMatMul kernel configs for `backendName`, falling back to the stock cpu kernels. */
export function matmulKernels(tf: Tf, backendName: string): KernelConfig[] {
  const stockMatMul = tf.getKernel("BatchMatMul", "cpu").kernelFunc;
  const stockFused = tf.getKernel("_FusedMatMul", "cpu").kernelFunc;

  const batchMatMul = (args: KernelArgs) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    const p = plan(tf, a, b, !!transposeA, !!transposeB);
    if (!p) return fallback(stockMatMul, args);
    kernelStats.fast++;
    return matmul(args.backend as MathBackendCPU, a, b, p, !!transposeA, !!transposeB, null, false);
  };

  const fusedMatMul = (args: KernelArgs) => {
    const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
    const { transposeA, transposeB, activation } = args.attrs as {
      transposeA: boolean;
      transposeB: boolean;
      activation?: string;
    };
    const act = activation ?? "linear";
    if (!a || !b || preluActivationWeights || (act !== "linear" && act !== "relu")) return fallback(stockFused, args);
    const p = plan(tf, a, b, !!transposeA, !!transposeB);
    if (!p || (bias && (bias.dtype !== "float32" || bias.shape.length !== 1 || bias.shape[0] !== p.N)))
      return fallback(stockFused, args);
    kernelStats.fast++;
    const backend = args.backend as MathBackendCPU;
    return matmul(backend, a, b, p, !!transposeA, !!transposeB, bias ? valuesOf(backend, bias) : null, act === "relu");
  };

  return [
    { kernelName: "BatchMatMul", backendName, kernelFunc: batchMatMul },
    { kernelName: "_FusedMatMul", backendName, kernelFunc: fusedMatMul },
  ];
}
