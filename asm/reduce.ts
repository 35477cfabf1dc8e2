// The Sum kernel of the `cpu-fast` backend (lib/kernels/elementwise.ts drives it). Part of the WebAssembly module
// built from asm/index.ts.

/**
 * out[j] = sum over rows r of x[r*I + j] (a Sum over leading axes, e.g. a bias gradient), accumulated in float64
 * in row order, exactly as tfjs' Sum (a JavaScript number per output, added row by row), then rounded to float32.
 * acc is scratch for I float64s.
 */
export function sumRows(x: usize, out: usize, acc: usize, rows: i32, I: i32): void {
  memory.fill(acc, 0, I << 3);
  const rowBytes = I << 2;
  for (let r = 0; r < rows; r++) {
    const p = x + r * rowBytes;
    let j = 0;
    for (; j + 2 <= I; j += 2) {
      const q = acc + (j << 3);
      v128.store(q, f64x2.add(v128.load(q), f64x2.promote_low_f32x4(v128.load64_zero(p + (j << 2)))));
    }
    if (j < I) store<f64>(acc + (j << 3), load<f64>(acc + (j << 3)) + <f64>load<f32>(p + (j << 2)));
  }
  for (let j = 0; j < I; j++) store<f32>(out + (j << 2), <f32>load<f64>(acc + (j << 3)));
}
