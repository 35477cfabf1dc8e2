// Element-wise kernels of the `cpu-fast` backend (lib/kernels/elementwise.ts drives them). Part of the WebAssembly
// module built from asm/index.ts.
// ---------------------------------------------------------------------------------------------------------------
// Element-wise kernels. f32 SIMD arithmetic rounds exactly like JavaScript's double arithmetic rounded to float32
// (for +, −, ×, ÷ and √ a double result rounded to float32 equals the correctly rounded float32 result), so these
// are bit-identical to tfjs' stock kernels. n is the element count; buffers carry slack for the last vector.
import { upperHalf } from "./simd";

/** op: 0 add, 1 sub, 2 mul, 3 div. mode: 0 same shape, 1 b is a scalar, 2 a is a scalar, 3 b repeats every I. */
export function binary(op: i32, a: usize, b: usize, out: usize, n: i32, mode: i32, I: i32): void {
  if (mode == 3) {
    // a full [n/I, I], b a row of I (a bias): vectors within each row, then the row's scalar tail
    const rows = n / I;
    for (let r = 0; r < rows; r++) {
      const pa = a + ((r * I) << 2);
      const po = out + ((r * I) << 2);
      let j = 0;
      for (; j + 4 <= I; j += 4) v128.store(po + (j << 2), binop(op, v128.load(pa + (j << 2)), v128.load(b + (j << 2))));
      for (; j < I; j++) store<f32>(po + (j << 2), binop1(op, load<f32>(pa + (j << 2)), load<f32>(b + (j << 2))));
    }
    return;
  }
  const bytes = n << 2;
  if (mode == 0) {
    for (let i = 0; i < bytes; i += 16) v128.store(out + i, binop(op, v128.load(a + i), v128.load(b + i)));
  } else if (mode == 1) {
    const s = v128.load32_splat(b);
    for (let i = 0; i < bytes; i += 16) v128.store(out + i, binop(op, v128.load(a + i), s));
  } else {
    const s = v128.load32_splat(a);
    for (let i = 0; i < bytes; i += 16) v128.store(out + i, binop(op, s, v128.load(b + i)));
  }
}

@inline function binop(op: i32, x: v128, y: v128): v128 {
  if (op == 0) return f32x4.add(x, y);
  if (op == 1) return f32x4.sub(x, y);
  if (op == 2) return f32x4.mul(x, y);
  return f32x4.div(x, y);
}

@inline function binop1(op: i32, x: f32, y: f32): f32 {
  if (op == 0) return x + y;
  if (op == 1) return x - y;
  if (op == 2) return x * y;
  return x / y;
}

/** op: 0 relu (max(0, x), NaN stays NaN), 1 step (x > 0 ? 1 : alpha, NaN stays NaN), 2 sqrt, 3 square. */
export function unary(op: i32, x: usize, out: usize, n: i32, alpha: f32): void {
  const bytes = n << 2;
  const zero = f32x4.splat(0);
  if (op == 0) {
    // Math.max(0, v): NaN if v is NaN, +0 for ±0 — wasm's f32x4.max has exactly these semantics
    for (let i = 0; i < bytes; i += 16) v128.store(out + i, f32x4.max(zero, v128.load(x + i)));
  } else if (op == 1) {
    const one = f32x4.splat(1);
    const al = f32x4.splat(alpha);
    for (let i = 0; i < bytes; i += 16) {
      const v = v128.load(x + i);
      const r = v128.bitselect(one, al, f32x4.gt(v, zero));
      v128.store(out + i, v128.bitselect(v, r, f32x4.ne(v, v)));
    }
  } else if (op == 2) {
    for (let i = 0; i < bytes; i += 16) v128.store(out + i, f32x4.sqrt(v128.load(x + i)));
  } else {
    for (let i = 0; i < bytes; i += 16) {
      const v = v128.load(x + i);
      v128.store(out + i, f32x4.mul(v, v));
    }
  }
}

/**
 * x · s for four floats, each product in float64 and rounded to float32 (s: float64 splat): the same bits as
 * f32x4.mul (an exact product of two floats, rounded once), without the float32 multiplier's slow path for subnormals.
 */
@inline function mulViaDouble(x: v128, s: v128): v128 {
  const lo = f32x4.demote_f64x2_zero(f64x2.mul(f64x2.promote_low_f32x4(x), s));
  const hi = f32x4.demote_f64x2_zero(f64x2.mul(f64x2.promote_low_f32x4(upperHalf(x)), s));
  return i8x16.shuffle(lo, hi, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
}

/**
 * RMSprop (Eq. 3–4, not centred) for n floats, in place: a ← β·a + (1−β)·g², m ← μ·m + η·g / √(a + ε), v ← v − m,
 * each operation rounded to float32 in the order of tfjs' RMSPropOptimizer (lib/kernels/rmsprop.ts drives it).
 *
 * One product takes a second path: on x86 a float32 multiply that reads or makes a subnormal number takes a
 * microcode assist (WebAssembly cannot flush them to zero), and such mean squares are common: a weight whose
 * gradient stays 0 (a dead ReLU unit's) has its a shrink by β every step, through the subnormals to 0. After 15
 * epochs of CK+48, 12,569 of the 86,911 were subnormal and the update took 8× its time. So four floats with an a
 * whose β·a could be subnormal take β·a through float64 (mulViaDouble: the same bits, as tfjs' own kernels compute
 * it); conversions and additions have no such slow path. Tiny gradients (|g| < 2^-62, whose g² underflows) keep the
 * slow path: none were seen in training.
 */
export function rmsprop(g: usize, v: usize, a: usize, m: usize, n: i32, decay: f32, oneMinusDecay: f32, lr: f32, eps: f32, momentum: f32): void {
  const bytes = n << 2;
  const d = f32x4.splat(decay);
  const od = f32x4.splat(oneMinusDecay);
  const l = f32x4.splat(lr);
  const e = f32x4.splat(eps);
  const mu = f32x4.splat(momentum);
  const dd = f64x2.splat(<f64>decay);
  // a below this may give a subnormal β·a (2^-126 is float32's smallest normal; twice that for margin)
  const limit = f32x4.splat(decay > 0 ? <f32>min(2.350988701644575e-38 / <f64>decay, 1e30) : <f32>1.1754943508222875e-38); // 2^-125 / β, 2^-126
  const zero = f32x4.splat(0);
  for (let i = 0; i < bytes; i += 16) {
    const gk = v128.load(g + i);
    const a0 = v128.load(a + i);
    const tiny = v128.any_true(v128.and(f32x4.lt(a0, limit), f32x4.gt(a0, zero)));
    const decayed = tiny ? mulViaDouble(a0, dd) : f32x4.mul(a0, d);
    const ak = f32x4.add(decayed, f32x4.mul(f32x4.mul(gk, gk), od));
    const step = f32x4.div(f32x4.mul(gk, l), f32x4.sqrt(f32x4.add(ak, e)));
    const mk = f32x4.add(f32x4.mul(v128.load(m + i), mu), step);
    v128.store(a + i, ak);
    v128.store(m + i, mk);
    v128.store(v + i, f32x4.sub(v128.load(v + i), mk));
  }
}

/**
 * dst[c * dstStride + r] = src[r * cols + c] for a row-major [rows, cols] float32 matrix (a transpose into rows of
 * dstStride floats): the transposed operands of lib/kernels/matmul.ts.
 */
export function transpose(src: usize, dst: usize, rows: i32, cols: i32, dstStride: i32): void {
  // 4×4 blocks through shuffles (the dense kernel's 576 × 128: 49 → 16 µs against one element at a time), then the
  // columns and rows past the last whole block one at a time
  const R4 = rows & ~3, C4 = cols & ~3;
  const srcRow = <usize>cols << 2, dstRow = <usize>dstStride << 2;
  for (let r0 = 0; r0 < R4; r0 += 4) {
    const s0 = src + <usize>r0 * srcRow;
    for (let c0 = 0; c0 < C4; c0 += 4) {
      const q = s0 + (<usize>c0 << 2);
      const a = v128.load(q), b = v128.load(q + srcRow), c = v128.load(q + 2 * srcRow), d = v128.load(q + 3 * srcRow);
      const ab01 = v128.shuffle<f32>(a, b, 0, 4, 1, 5), ab23 = v128.shuffle<f32>(a, b, 2, 6, 3, 7);
      const cd01 = v128.shuffle<f32>(c, d, 0, 4, 1, 5), cd23 = v128.shuffle<f32>(c, d, 2, 6, 3, 7);
      const p = dst + <usize>c0 * dstRow + (<usize>r0 << 2);
      v128.store(p, v128.shuffle<f32>(ab01, cd01, 0, 1, 4, 5));
      v128.store(p + dstRow, v128.shuffle<f32>(ab01, cd01, 2, 3, 6, 7));
      v128.store(p + 2 * dstRow, v128.shuffle<f32>(ab23, cd23, 0, 1, 4, 5));
      v128.store(p + 3 * dstRow, v128.shuffle<f32>(ab23, cd23, 2, 3, 6, 7));
    }
    for (let r = r0; r < r0 + 4; r++)
      for (let c = C4; c < cols; c++) store<f32>(dst + (<usize>(c * dstStride + r) << 2), load<f32>(src + (<usize>(r * cols + c) << 2)));
  }
  for (let r = R4; r < rows; r++)
    for (let c = 0; c < cols; c++) store<f32>(dst + (<usize>(c * dstStride + r) << 2), load<f32>(src + (<usize>(r * cols + c) << 2)));
}
