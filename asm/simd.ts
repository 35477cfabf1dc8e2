// Small SIMD helpers shared by the kernels (asm/elementwise.ts, asm/trunk.ts). Not re-exported by asm/index.ts:
// they take and return v128, which JavaScript cannot call.

/** The upper half of x's four floats, in its lower half (for f64x2.promote_low_f32x4 of lanes 2–3). */
@inline export function upperHalf(x: v128): v128 {
  return i8x16.shuffle(x, x, 8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15);
}
