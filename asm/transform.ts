// The augmentation's warp for the `cpu-fast` Transform kernel (lib/kernels/transform.ts drives it). Part of the
// WebAssembly module built from asm/index.ts.

/**
 * Bilinear warp with fill mode "nearest" (coordinates clamped to the image), the case lib/augment.ts uses, of NHWC
 * float32 `img` [B, H, W, C] into `out` [B, OH, OW, C] with 8 float32 transform numbers per image (or one set for
 * all when `perImage` is 0). Float64 arithmetic in the order of operations of transformLoop in
 * lib/kernels/transform.ts (itself the stock kernel's), so every output is bit-identical to it: float64 operations
 * round the same in JavaScript and WebAssembly. `pad` is scratch for (H + 1) × (W + 1) × 3 float32s, used by the
 * fast path for affine transforms of 3-channel images (the augmentation's), see affine3.
 */
export function warpBilinearClamp(
  img: usize, transforms: usize, out: usize, pad: usize,
  B: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32, perImage: i32, fillValue: f64,
): void {
  const maxX = <f64>(W - 1);
  const maxY = <f64>(H - 1);
  const zero2 = f64x2.splat(0), one2 = f64x2.splat(1), maxX2 = f64x2.splat(maxX), maxY2 = f64x2.splat(maxY);
  for (let b = 0; b < B; b++) {
    const t: usize = perImage ? transforms + (<usize>b << 5) : transforms;
    const a0 = <f64>load<f32>(t), a1 = <f64>load<f32>(t, 4), a2 = <f64>load<f32>(t, 8);
    const b0 = <f64>load<f32>(t, 12), b1 = <f64>load<f32>(t, 16), b2 = <f64>load<f32>(t, 20);
    const c0 = <f64>load<f32>(t, 24), c1 = <f64>load<f32>(t, 28);
    const A0 = f64x2.splat(a0), A1 = f64x2.splat(a1), A2 = f64x2.splat(a2);
    const B0 = f64x2.splat(b0), B1 = f64x2.splat(b1), B2 = f64x2.splat(b2);
    const C0 = f64x2.splat(c0), C1 = f64x2.splat(c1);
    const base = img + ((b * H * W * C) << 2);
    let o = out + ((b * OH * OW * C) << 2);
    // (the padding holds fillValue as float32, so the path also needs it to be one)
    if (C == 3 && c0 == 0 && c1 == 0 && <f64><f32>fillValue == fillValue) {
      affine3(base, t, o, pad, H, W, OH, OW, fillValue);
      continue;
    }
    for (let oy = 0; oy < OH; oy++) {
      const fy = <f64>oy;
      const FY = f64x2.splat(fy);
      let ox = 0;
      // two output pixels at a time, each lane the scalar code's float64 operations in its order (bit-identical)
      for (; ox + 1 < OW; ox += 2, o += C << 3) {
        const FX = f64x2(<f64>ox, <f64>(ox + 1));
        const projection = f64x2.add(f64x2.add(f64x2.mul(C0, FX), f64x2.mul(C1, FY)), one2);
        if (v128.any_true(f64x2.eq(projection, zero2))) {
          pixel(base, o, fillValue, <f64>ox, fy, a0, a1, a2, b0, b1, b2, c0, c1, maxX, maxY, H, W, C);
          pixel(base, o + (C << 2), fillValue, <f64>(ox + 1), fy, a0, a1, a2, b0, b1, b2, c0, c1, maxX, maxY, H, W, C);
          continue;
        }
        const xs = f64x2.div(f64x2.add(f64x2.add(f64x2.mul(A0, FX), f64x2.mul(A1, FY)), A2), projection);
        const ys = f64x2.div(f64x2.add(f64x2.add(f64x2.mul(B0, FX), f64x2.mul(B1, FY)), B2), projection);
        const x = f64x2.max(zero2, f64x2.min(xs, maxX2));
        const y = f64x2.max(zero2, f64x2.min(ys, maxY2));
        const xFloor = f64x2.floor(x), yFloor = f64x2.floor(y);
        const wx0 = f64x2.sub(f64x2.add(xFloor, one2), x), wx1 = f64x2.sub(x, xFloor);
        const wy0 = f64x2.sub(f64x2.add(yFloor, one2), y), wy1 = f64x2.sub(y, yFloor);
        const ixF0 = <i32>f64x2.extract_lane(xFloor, 0), ixF1 = <i32>f64x2.extract_lane(xFloor, 1);
        const iyF0 = <i32>f64x2.extract_lane(yFloor, 0), iyF1 = <i32>f64x2.extract_lane(yFloor, 1);
        const inXC0 = ixF0 + 1 < W, inYC0 = iyF0 + 1 < H, inXC1 = ixF1 + 1 < W, inYC1 = iyF1 + 1 < H;
        const q0 = base + (((iyF0 * W + ixF0) * C) << 2), q1 = base + (((iyF1 * W + ixF1) * C) << 2);
        const row = (W * C) << 2, px = C << 2;
        for (let c = 0; c < C; c++) {
          const off = <usize>(c << 2);
          const v00 = f64x2(<f64>load<f32>(q0 + off), <f64>load<f32>(q1 + off));
          const v01 = f64x2(
            inXC0 ? <f64>load<f32>(q0 + px + off) : fillValue,
            inXC1 ? <f64>load<f32>(q1 + px + off) : fillValue,
          );
          const v10 = f64x2(
            inYC0 ? <f64>load<f32>(q0 + row + off) : fillValue,
            inYC1 ? <f64>load<f32>(q1 + row + off) : fillValue,
          );
          const v11 = f64x2(
            inYC0 && inXC0 ? <f64>load<f32>(q0 + row + px + off) : fillValue,
            inYC1 && inXC1 ? <f64>load<f32>(q1 + row + px + off) : fillValue,
          );
          const yf = f64x2.add(f64x2.mul(wx0, v00), f64x2.mul(wx1, v01));
          const yc = f64x2.add(f64x2.mul(wx0, v10), f64x2.mul(wx1, v11));
          const r = f64x2.add(f64x2.mul(wy0, yf), f64x2.mul(wy1, yc));
          store<f32>(o + off, <f32>f64x2.extract_lane(r, 0));
          store<f32>(o + px + off, <f32>f64x2.extract_lane(r, 1));
        }
      }
      for (; ox < OW; ox++, o += C << 2) {
        pixel(base, o, fillValue, <f64>ox, fy, a0, a1, a2, b0, b1, b2, c0, c1, maxX, maxY, H, W, C);
      }
    }
  }
}

/** One output pixel of warpBilinearClamp, in scalar float64 (odd last columns, and pairs with a zero projection). */
@inline function pixel(
  base: usize, o: usize, fillValue: f64, fx: f64, fy: f64,
  a0: f64, a1: f64, a2: f64, b0: f64, b1: f64, b2: f64, c0: f64, c1: f64, maxX: f64, maxY: f64,
  H: i32, W: i32, C: i32,
): void {
  const projection = c0 * fx + c1 * fy + 1;
  if (projection == 0) {
    for (let c = 0; c < C; c++) store<f32>(o + (c << 2), <f32>fillValue);
    return;
  }
  const x = max(0.0, min((a0 * fx + a1 * fy + a2) / projection, maxX));
  const y = max(0.0, min((b0 * fx + b1 * fy + b2) / projection, maxY));
  const yFloor = floor(y), xFloor = floor(x);
  const yCeil = yFloor + 1, xCeil = xFloor + 1;
  const iyF = <i32>yFloor, ixF = <i32>xFloor;
  const iyC = iyF + 1, ixC = ixF + 1;
  // clamped, so only the ceilings can fall outside the image (then they read fillValue)
  const inYC = iyC < H, inXC = ixC < W;
  const p00 = base + (((iyF * W + ixF) * C) << 2);
  const p01 = base + (((iyF * W + ixC) * C) << 2);
  const p10 = base + (((iyC * W + ixF) * C) << 2);
  const p11 = base + (((iyC * W + ixC) * C) << 2);
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

/** The two float32s at `p` (channels 0 and 1 of a pixel) as float64x2. */
@inline function lanes01(p: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load64_zero(p));
}

/** The float32 at `p + 8` (channel 2 of a pixel) in lane 0 of a float64x2. */
@inline function lane2(p: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load32_zero(p, 8));
}

/**
 * warpBilinearClamp of one 3-channel image `src` [H, W, 3] by the affine transform at `t` (c0 = c1 = 0, so the
 * projection is exactly 1 and the division by it is the identity). The same float64 operations per value, in lanes:
 * the x and y coordinates of a pixel side by side, then its channels 0-1 and channel 2. It first copies the image
 * into `pad` with one more column and row of fillValue, so the right and lower neighbours (which clamping puts
 * outside the image only at its last column and row) need no test: a data-driven branch per pixel cost more than
 * the arithmetic. Latency-bound scalar conversions are avoided too (2.6-2.7x faster than the pair-of-pixels path per batch of 8).
 */
function affine3(src: usize, t: usize, o: usize, pad: usize, H: i32, W: i32, OH: i32, OW: i32, fillValue: f64): void {
  const rowIn = <usize>(W * 12), row = <usize>((W + 1) * 12);
  const fill32 = <f32>fillValue;
  for (let y = 0; y < H; y++) {
    const r = pad + <usize>y * row;
    memory.copy(r, src + <usize>y * rowIn, rowIn);
    store<f32>(r + rowIn, fill32);
    store<f32>(r + rowIn, fill32, 4);
    store<f32>(r + rowIn, fill32, 8);
  }
  for (let i: usize = 0; i < row; i += 4) store<f32>(pad + <usize>H * row + i, fill32);
  const T0 = lanes01(t), T1 = lanes01(t + 8), T2 = lanes01(t + 16); // [a0 a1] [a2 b0] [b1 b2]
  const A0 = v128.shuffle<f64>(T0, T1, 0, 3), A1 = v128.shuffle<f64>(T0, T2, 1, 2), A2 = v128.shuffle<f64>(T1, T2, 0, 3);
  const MAX = f64x2(<f64>(W - 1), <f64>(H - 1));
  const zero2 = f64x2.splat(0), one2 = f64x2.splat(1);
  let FY = zero2;
  for (let oy = 0; oy < OH; oy++, FY = f64x2.add(FY, one2)) {
    const AY = f64x2.mul(A1, FY); // [a1·oy, b1·oy]
    let FX = zero2; // [ox, ox], counted in float64 (exact) rather than converted from an integer per pixel
    for (let ox = 0; ox < OW; ox++, o += 12, FX = f64x2.add(FX, one2)) {
      // lane 0: x = max(0, min(a0·ox + a1·oy + a2, W - 1)); lane 1 the same for y. pmin/pmax are exact here
      // (no NaN, and max(0, -0) is +0 either way).
      const XY = f64x2.pmax(zero2, f64x2.pmin(MAX, f64x2.add(f64x2.add(f64x2.mul(A0, FX), AY), A2)));
      const F = f64x2.floor(XY);
      const W0 = f64x2.sub(f64x2.add(F, one2), XY), W1 = f64x2.sub(XY, F); // [wx0 wy0], [wx1 wy1]
      const I = i32x4.trunc_sat_f64x2_s_zero(F);
      const p00 = pad + <usize>((i32x4.extract_lane(I, 1) * (W + 1) + i32x4.extract_lane(I, 0)) * 12);
      const p01 = p00 + 12, p10 = p00 + row, p11 = p10 + 12;
      const WX0 = v128.shuffle<f64>(W0, W0, 0, 0), WX1 = v128.shuffle<f64>(W1, W1, 0, 0);
      const WY0 = v128.shuffle<f64>(W0, W0, 1, 1), WY1 = v128.shuffle<f64>(W1, W1, 1, 1);
      const r = f64x2.add(
        f64x2.mul(WY0, f64x2.add(f64x2.mul(WX0, lanes01(p00)), f64x2.mul(WX1, lanes01(p01)))),
        f64x2.mul(WY1, f64x2.add(f64x2.mul(WX0, lanes01(p10)), f64x2.mul(WX1, lanes01(p11)))),
      );
      const s = f64x2.add(
        f64x2.mul(WY0, f64x2.add(f64x2.mul(WX0, lane2(p00)), f64x2.mul(WX1, lane2(p01)))),
        f64x2.mul(WY1, f64x2.add(f64x2.mul(WX0, lane2(p10)), f64x2.mul(WX1, lane2(p11)))),
      );
      v128.store64_lane(o, f32x4.demote_f64x2_zero(r), 0);
      v128.store32_lane(o, f32x4.demote_f64x2_zero(s), 0, 8);
    }
  }
}
