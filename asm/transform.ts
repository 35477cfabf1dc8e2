// The augmentation's warp for the `cpu-fast` Transform kernel (lib/kernels/transform.ts drives it). Part of the
// WebAssembly module built from asm/index.ts.

/**
 * Bilinear warp with fill mode "nearest" (coordinates clamped to the image), the case lib/augment.ts uses, of NHWC
 * float32 `img` [B, H, W, C] into `out` [B, OH, OW, C] with 8 float32 transform numbers per image (or one set for
 * all when `perImage` is 0). Scalar float64 arithmetic in the order of operations of transformLoop in
 * lib/kernels/transform.ts (itself the stock kernel's), so every output is bit-identical to it: float64 operations
 * round the same in JavaScript and WebAssembly.
 */
export function warpBilinearClamp(
  img: usize, transforms: usize, out: usize,
  B: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32, perImage: i32, fillValue: f64,
): void {
  const maxX = <f64>(W - 1);
  const maxY = <f64>(H - 1);
  for (let b = 0; b < B; b++) {
    const t: usize = perImage ? transforms + (<usize>b << 5) : transforms;
    const a0 = <f64>load<f32>(t), a1 = <f64>load<f32>(t, 4), a2 = <f64>load<f32>(t, 8);
    const b0 = <f64>load<f32>(t, 12), b1 = <f64>load<f32>(t, 16), b2 = <f64>load<f32>(t, 20);
    const c0 = <f64>load<f32>(t, 24), c1 = <f64>load<f32>(t, 28);
    const base = b * H * W * C;
    let o = out + ((b * OH * OW * C) << 2);
    for (let oy = 0; oy < OH; oy++) {
      const fy = <f64>oy;
      for (let ox = 0; ox < OW; ox++, o += C << 2) {
        const fx = <f64>ox;
        const projection = c0 * fx + c1 * fy + 1;
        if (projection == 0) {
          for (let c = 0; c < C; c++) store<f32>(o + (c << 2), <f32>fillValue);
          continue;
        }
        const x = max(0.0, min((a0 * fx + a1 * fy + a2) / projection, maxX));
        const y = max(0.0, min((b0 * fx + b1 * fy + b2) / projection, maxY));
        const yFloor = floor(y), xFloor = floor(x);
        const yCeil = yFloor + 1, xCeil = xFloor + 1;
        const iyF = <i32>yFloor, ixF = <i32>xFloor;
        const iyC = iyF + 1, ixC = ixF + 1;
        // clamped, so only the ceilings can fall outside the image (then they read fillValue)
        const inYC = iyC < H, inXC = ixC < W;
        const p00 = img + ((base + (iyF * W + ixF) * C) << 2);
        const p01 = img + ((base + (iyF * W + ixC) * C) << 2);
        const p10 = img + ((base + (iyC * W + ixF) * C) << 2);
        const p11 = img + ((base + (iyC * W + ixC) * C) << 2);
        const wx0 = xCeil - x, wx1 = x - xFloor, wy0 = yCeil - y, wy1 = y - yFloor;
        for (let c = 0; c < C; c++) {
          const off = c << 2;
          const v00 = <f64>load<f32>(p00 + off);
          const v01 = inXC ? <f64>load<f32>(p01 + off) : fillValue;
          const v10 = inYC ? <f64>load<f32>(p10 + off) : fillValue;
          const v11 = inYC && inXC ? <f64>load<f32>(p11 + off) : fillValue;
          const valueYFloor = wx0 * v00 + wx1 * v01;
          const valueYCeil = wx0 * v10 + wx1 * v11;
          store<f32>(o + off, <f32>(wy0 * valueYFloor + wy1 * valueYCeil));
        }
      }
    }
  }
}
