// The machine's WebAssembly SIMD float32 peak, for the speed bound of `npm run bench` (lib/kernels/peak.ts drives
// it). Part of the WebAssembly module built from asm/index.ts.

/**
 * `iters` rounds of 12 independent f32x4 multiply-then-add chains (a = a·k + x): 96 floating-point operations per
 * round, with no memory traffic, enough chains to hide the latency, and two vector registers to spare. V8 compiles
 * f32x4.mul and f32x4.add to one SSE/AVX instruction each, so this runs at the core's peak for 128-bit vectors, the
 * widest WebAssembly has. Returns a lane of the sum so the loop cannot be dropped.
 */
export function peakMulAdd(iters: i32, x: f32): f32 {
  const m = f32x4.splat(x);
  const k = f32x4.splat(0.999);
  let a0 = f32x4.splat(1), a1 = f32x4.splat(2), a2 = f32x4.splat(3), a3 = f32x4.splat(4), a4 = f32x4.splat(5), a5 = f32x4.splat(6);
  let a6 = f32x4.splat(7), a7 = f32x4.splat(8), a8 = f32x4.splat(9), a9 = f32x4.splat(10), a10 = f32x4.splat(11), a11 = f32x4.splat(12);
  for (let i = 0; i < iters; i++) {
    a0 = f32x4.add(f32x4.mul(a0, k), m); a1 = f32x4.add(f32x4.mul(a1, k), m);
    a2 = f32x4.add(f32x4.mul(a2, k), m); a3 = f32x4.add(f32x4.mul(a3, k), m);
    a4 = f32x4.add(f32x4.mul(a4, k), m); a5 = f32x4.add(f32x4.mul(a5, k), m);
    a6 = f32x4.add(f32x4.mul(a6, k), m); a7 = f32x4.add(f32x4.mul(a7, k), m);
    a8 = f32x4.add(f32x4.mul(a8, k), m); a9 = f32x4.add(f32x4.mul(a9, k), m);
    a10 = f32x4.add(f32x4.mul(a10, k), m); a11 = f32x4.add(f32x4.mul(a11, k), m);
  }
  const s = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7)));
  return f32x4.extract_lane(f32x4.add(s, f32x4.add(f32x4.add(a8, a9), f32x4.add(a10, a11))), 0);
}
