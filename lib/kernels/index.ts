/**
 * Fast cpu kernels (performance issue). A separate backend `cpu-fast` is registered: a fresh MathBackendCPU that
 * carries every stock cpu kernel, with the project's faster kernels in place of the slow ones. The stock `cpu`
 * backend stays untouched, so tests and the benchmark can compare both in one process.
 *
 * Replaced (each hands unsupported configurations to the stock kernel):
 * - conv.ts: Conv2D, FusedConv2D, Conv2DBackpropFilter, Conv2DBackpropInput (WebAssembly SIMD, asm/conv.ts)
 * - pool.ts: MaxPool, MaxPoolGrad (WebAssembly SIMD; TypeScript for small tensors / overlapping windows)
 * - matmul.ts: BatchMatMul, _FusedMatMul (the convolution's WebAssembly tile)
 * - elementwise.ts: Add, Sub, Multiply, RealDiv, Relu, Step, Sqrt, Square, Sum (WebAssembly SIMD for ≥ 1024
 *   elements, TypeScript loops below; bit-identical to stock)
 * - transform.ts: Transform (tf.image.transform; also fixes the stock kernel, which warps only a batch's first image)
 * - gather.ts: GatherV2 (tf.gather, the batches of training: block copies instead of index arithmetic per element)
 * The WebAssembly module is built from asm/index.ts (AssemblyScript, one file per kind of kernel), built by scripts/build-wasm.ts into wasm-binary.ts.
 */
import type * as tfjs from "@tensorflow/tfjs";
import { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { convKernels } from "./conv";
import { poolKernels } from "./pool";
import { matmulKernels } from "./matmul";
import { elementwiseKernels } from "./elementwise";
import { transformKernels } from "./transform";
import { gatherKernels } from "./gather";
import { padKernels } from "./pad";

export const FAST_BACKEND = "cpu-fast";

/** Names of the kernels `cpu-fast` replaces (the rest are the stock cpu kernels). */
export const REPLACED_KERNELS: readonly string[] = [
  "Conv2D",
  "FusedConv2D",
  "Conv2DBackpropFilter",
  "Conv2DBackpropInput",
  "MaxPool",
  "MaxPoolGrad",
  "BatchMatMul",
  "_FusedMatMul",
  "Add",
  "Sub",
  "Multiply",
  "RealDiv",
  "Relu",
  "Step",
  "Sqrt",
  "Square",
  "Sum",
  "Transform",
  "GatherV2",
  "PadV2",
];

let registered = false;

/** Register the `cpu-fast` backend (idempotent): stock cpu kernels plus this folder's replacements. */
export function registerFastBackend(tf: typeof tfjs): void {
  if (registered) return;
  registered = true;
  tf.registerBackend(FAST_BACKEND, () => {
    const b = new MathBackendCPU();
    (b as unknown as { firstUse: boolean }).firstUse = false;
    return b;
  });
  const fast = [
    ...convKernels(tf, FAST_BACKEND),
    ...poolKernels(tf, FAST_BACKEND),
    ...matmulKernels(tf, FAST_BACKEND),
    ...elementwiseKernels(tf, FAST_BACKEND),
    ...transformKernels(tf, FAST_BACKEND),
    ...gatherKernels(tf, FAST_BACKEND),
    ...padKernels(tf, FAST_BACKEND),
  ];
  const replaced = new Set(fast.map((k) => k.kernelName));
  for (const k of tf.getKernelsForBackend("cpu")) {
    if (!replaced.has(k.kernelName)) tf.registerKernel({ ...k, backendName: FAST_BACKEND });
  }
  for (const k of fast) tf.registerKernel(k);
}
