/**
 * Fast cpu kernels (performance issue). A separate backend `cpu-fast` is registered: a fresh MathBackendCPU that
 * carries every stock cpu kernel, with the project's faster kernels in place of the slow ones. The stock `cpu`
 * backend stays untouched, so tests and the benchmark can compare both in one process.
 */
import type * as tfjs from "@tensorflow/tfjs";
import { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";

export const FAST_BACKEND = "cpu-fast";

let registered = false;

/** Register the `cpu-fast` backend (idempotent). */
export function registerFastBackend(tf: typeof tfjs): void {
  if (registered) return;
  registered = true;
  tf.registerBackend(FAST_BACKEND, () => {
    const b = new MathBackendCPU();
    (b as unknown as { firstUse: boolean }).firstUse = false;
    return b;
  });
  for (const k of tf.getKernelsForBackend("cpu")) {
    tf.registerKernel({ ...k, backendName: FAST_BACKEND });
  }
}
