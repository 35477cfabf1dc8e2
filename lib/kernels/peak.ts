/**
 * The speed bound of `npm run bench`: how fast can an epoch be on this machine at all? An epoch's arithmetic
 * (lib/model.ts `trainingMultiplyAdds`) divided by the machine's WebAssembly SIMD peak, measured here with a kernel
 * that does nothing but independent multiply-adds in registers (asm/peak.ts). No schedule of the same direct
 * convolutions can beat it; real kernels also load data, and the rest of a step (pooling, softmax, the optimizer,
 * tfjs' bookkeeping) comes on top.
 */
import { wasmArena } from "./wasm";

/** Floating-point operations per round of asm/peak.ts `peakMulAdd`: 12 chains × 4 lanes × (multiply + add). */
export const PEAK_FLOPS_PER_ROUND = 96;

/**
 * This core's WebAssembly SIMD float32 peak in GFLOP/s: the fastest of `reps` timed calls of `iters` rounds, after a
 * warm-up call that lets V8 compile the kernel with its optimising tier.
 */
export function wasmPeakGflops(reps = 10, iters = 4_000_000): number {
  const fn = wasmArena().fn;
  fn.peakMulAdd(iters >> 2, 0.5);
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    fn.peakMulAdd(iters, 0.5);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return (iters * PEAK_FLOPS_PER_ROUND) / best / 1e9;
}

/** The fewest seconds `flop` floating-point operations can take on `cores` cores at `peakGflops` each. */
export function secondsAtPeak(flop: number, peakGflops: number, cores = 1): number {
  return flop / (peakGflops * 1e9 * cores);
}
