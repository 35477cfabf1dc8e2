// Convolution kernels of the `cpu-fast` backend (forward, backprop filter, backprop input, output compaction);
// lib/kernels/conv.ts drives them. Part of the WebAssembly module built from asm/index.ts.
//
// Convolution layouts (all float32, NHWC, pointers are byte offsets into this module's memory, caller-managed):
//   x   padded input   [B, Hp, Wp, C]           (zero border already applied by the caller)
//   w   filter         [KH, KW*C, NP]           (tfjs' [KH, KW, C, N] with N zero-padded to NP, a multiple of 8)
//   wt  filter, transposed per row [KH, N, KWCP] (KWCP = KW*C rounded up to 4, zero-padded)
//   y   output         [B*OH*OW, NP]            (compactRows turns it into [B*OH*OW, N])
//   dy  output gradient [B*OH*OW, N]
// The key observation: with NHWC data and a zero-padded input, the im2col row of output pixel (b, oy, ox) for
// filter row ky is the contiguous slice x[b, oy*SH+ky, ox*SW .. ox*SW+KW-1, :] (KW*C floats), so no im2col copy
// is ever made; every kernel is a small register-tiled matrix product over such slices.
// Buffers that are read or written past their logical end by a vector (x, dx) carry 64 bytes of slack.

/** First free byte after the module's static data: the caller's arena starts here. */
export function heapBase(): usize {
  return __heap_base;
}

@inline function fma(acc: v128, a: v128, b: v128): v128 {
  return f32x4.add(acc, f32x4.mul(a, b));
}

/**
 * y[m, n] = act(bias[n] + sum_{ky, k} x[window(m, ky) + k] * w[ky, k, n]) for every output pixel m and n < NP.
 * Tiles of 4 output pixels × 8 channels in 8 SIMD accumulators; the 4 pixels may lie on different rows.
 */
export function convForward(
  x: usize, w: usize, bias: usize, y: usize,
  B: i32, Hp: i32, Wp: i32, C: i32, OH: i32, OW: i32, NP: i32,
  KH: i32, KW: i32, SH: i32, SW: i32, relu: i32,
): void {
  const KWC = KW * C;
  const rowBytes = (Wp * C) << 2;
  const M = B * OH * OW;
  const wRowBytes = NP << 2; // bytes between w[ky, k, :] and w[ky, k+1, :]
  const wKyBytes = (KWC * NP) << 2;
  const zero = f32x4.splat(0);
  const pixBytes = (SW * C) << 2;
  const rowStartBytes = (SH * Wp * C) << 2;
  // (b, oy, ox) of pixel m, advanced incrementally (no division in the loop)
  let cb = 0, cy = 0, cx = 0;
  for (let m = 0; m < M; m += 4) {
    // byte offsets of the 4 windows; past the last pixel, repeat it (those results are not stored)
    const p0 = x + ((((cb * Hp) * Wp * C) << 2) + cy * rowStartBytes + cx * pixBytes);
    cx++; if (cx == OW) { cx = 0; cy++; if (cy == OH) { cy = 0; cb++; } }
    const p1 = m + 1 < M ? x + ((((cb * Hp) * Wp * C) << 2) + cy * rowStartBytes + cx * pixBytes) : p0;
    cx++; if (cx == OW) { cx = 0; cy++; if (cy == OH) { cy = 0; cb++; } }
    const p2 = m + 2 < M ? x + ((((cb * Hp) * Wp * C) << 2) + cy * rowStartBytes + cx * pixBytes) : p0;
    cx++; if (cx == OW) { cx = 0; cy++; if (cy == OH) { cy = 0; cb++; } }
    const p3 = m + 3 < M ? x + ((((cb * Hp) * Wp * C) << 2) + cy * rowStartBytes + cx * pixBytes) : p0;
    cx++; if (cx == OW) { cx = 0; cy++; if (cy == OH) { cy = 0; cb++; } }
    for (let n0 = 0; n0 < NP; n0 += 8) {
      let a00 = zero, a01 = zero, a10 = zero, a11 = zero, a20 = zero, a21 = zero, a30 = zero, a31 = zero;
      for (let ky = 0; ky < KH; ky++) {
        const rowOff = ky * rowBytes;
        let pw = w + ky * wKyBytes + (n0 << 2);
        const end = rowOff + (KWC << 2);
        for (let k = rowOff; k < end; k += 4) {
          const w0 = v128.load(pw);
          const w1 = v128.load(pw, 16);
          const s0 = v128.load32_splat(p0 + k);
          const s1 = v128.load32_splat(p1 + k);
          const s2 = v128.load32_splat(p2 + k);
          const s3 = v128.load32_splat(p3 + k);
          a00 = fma(a00, s0, w0); a01 = fma(a01, s0, w1);
          a10 = fma(a10, s1, w0); a11 = fma(a11, s1, w1);
          a20 = fma(a20, s2, w0); a21 = fma(a21, s2, w1);
          a30 = fma(a30, s3, w0); a31 = fma(a31, s3, w1);
          pw += wRowBytes;
        }
      }
      const b0 = v128.load(bias + (n0 << 2));
      const b1 = v128.load(bias + (n0 << 2), 16);
      a00 = f32x4.add(a00, b0); a01 = f32x4.add(a01, b1);
      a10 = f32x4.add(a10, b0); a11 = f32x4.add(a11, b1);
      a20 = f32x4.add(a20, b0); a21 = f32x4.add(a21, b1);
      a30 = f32x4.add(a30, b0); a31 = f32x4.add(a31, b1);
      if (relu) {
        a00 = f32x4.max(a00, zero); a01 = f32x4.max(a01, zero);
        a10 = f32x4.max(a10, zero); a11 = f32x4.max(a11, zero);
        a20 = f32x4.max(a20, zero); a21 = f32x4.max(a21, zero);
        a30 = f32x4.max(a30, zero); a31 = f32x4.max(a31, zero);
      }
      const py = y + ((m * NP + n0) << 2);
      const rb = NP << 2;
      v128.store(py, a00); v128.store(py, a01, 16);
      if (m + 1 < M) { v128.store(py + rb, a10); v128.store(py + rb, a11, 16); }
      if (m + 2 < M) { v128.store(py + 2 * rb, a20); v128.store(py + 2 * rb, a21, 16); }
      if (m + 3 < M) { v128.store(py + 3 * rb, a30); v128.store(py + 3 * rb, a31, 16); }
    }
  }
}

/**
 * convForward for 6 output channels (the paper's first convolution), into the same y [M, 8] (lanes 6 and 7 zero).
 * convForward computes 6 channels as 8, a quarter of its arithmetic on padding; here two pixels' 12 values are three
 * vectors: [A0 A1 A2 A3], [A4 A5 B0 B1], [B2 B3 B4 B5], against the filter laid out as w6 [KH, KW*C, 12]
 * ([w0 w1 w2 w3 | w4 w5 w0 w1 | w2 w3 w4 w5] per input value, lib/kernels/conv.ts layFilter6). Each lane sums the
 * same products in the same order as convForward's (then + bias, then ReLU), so the bits are its bits. Tiles of 4
 * pixels: two pairs, 6 accumulators.
 *
 * With `grey`, for a grey picture read as C equal channels (lib/kernels/trunk.ts equalChannels): channel 0 of each
 * pixel against the filter summed over the channels, w6 [KH, KW, 12] (lib/kernels/conv.ts sumChannels: the sum in
 * float64, rounded once, as tfjs' Sum). The bits are then convForward's of channel 0 with that filter: a third of
 * the products of the C-channel sums, whose values they equal up to rounding.
 */
export function convForward6(
  x: usize, w6: usize, bias: usize, y: usize,
  B: i32, Hp: i32, Wp: i32, C: i32, OH: i32, OW: i32,
  KH: i32, KW: i32, SH: i32, SW: i32, relu: i32, grey: i32,
): void {
  // Each case compiled on its own (conv6 is inlined twice), its step a constant: with the step a variable in one
  // loop, V8's code was slower in both (RGB 62 -> 66 us per image).
  if (grey) conv6(x, w6, bias, y, B, Hp, Wp, C, OH, OW, KH, KW, SH, SW, relu, true);
  else conv6(x, w6, bias, y, B, Hp, Wp, C, OH, OW, KH, KW, SH, SW, relu, false);
}

@inline function conv6(
  x: usize, w6: usize, bias: usize, y: usize,
  B: i32, Hp: i32, Wp: i32, C: i32, OH: i32, OW: i32,
  KH: i32, KW: i32, SH: i32, SW: i32, relu: i32, grey: bool,
): void {
  const KWC = KW * C;
  const rowBytes = (Wp * C) << 2;
  const M = B * OH * OW;
  // grey: channel 0 of each pixel only, against a filter [KH, KW, 12]
  const wKyBytes = ((grey ? KW : KWC) * 12) << 2;
  const step = grey ? C << 2 : 4;
  const zero = f32x4.splat(0);
  const pixBytes = (SW * C) << 2;
  const rowStartBytes = (SH * Wp * C) << 2;
  // the bias as the accumulators' lanes
  const bLo = v128.load(bias), bHi = v128.load(bias, 16);
  const bias0 = bLo, bias1 = v128.shuffle<f32>(bHi, bLo, 0, 1, 4, 5), bias2 = v128.shuffle<f32>(bLo, bHi, 2, 3, 4, 5);
  let cb = 0, cy = 0, cx = 0;
  for (let m = 0; m < M; m += 4) {
    const p0 = x + ((((cb * Hp) * Wp * C) << 2) + cy * rowStartBytes + cx * pixBytes);
    cx++; if (cx == OW) { cx = 0; cy++; if (cy == OH) { cy = 0; cb++; } }
    const p1 = m + 1 < M ? x + ((((cb * Hp) * Wp * C) << 2) + cy * rowStartBytes + cx * pixBytes) : p0;
    cx++; if (cx == OW) { cx = 0; cy++; if (cy == OH) { cy = 0; cb++; } }
    const p2 = m + 2 < M ? x + ((((cb * Hp) * Wp * C) << 2) + cy * rowStartBytes + cx * pixBytes) : p0;
    cx++; if (cx == OW) { cx = 0; cy++; if (cy == OH) { cy = 0; cb++; } }
    const p3 = m + 3 < M ? x + ((((cb * Hp) * Wp * C) << 2) + cy * rowStartBytes + cx * pixBytes) : p0;
    cx++; if (cx == OW) { cx = 0; cy++; if (cy == OH) { cy = 0; cb++; } }
    let a0 = zero, a1 = zero, a2 = zero, c0 = zero, c1 = zero, c2 = zero;
    for (let ky = 0; ky < KH; ky++) {
      const rowOff = ky * rowBytes;
      let pw = w6 + ky * wKyBytes;
      const end = rowOff + (KWC << 2);
      for (let k = rowOff; k < end; k += step) {
        const w0 = v128.load(pw);
        const w1 = v128.load(pw, 16);
        const w2 = v128.load(pw, 32);
        const s0 = v128.load32_splat(p0 + k);
        const s1 = v128.load32_splat(p1 + k);
        const s2 = v128.load32_splat(p2 + k);
        const s3 = v128.load32_splat(p3 + k);
        a0 = fma(a0, s0, w0); a1 = fma(a1, v128.shuffle<f32>(s0, s1, 0, 0, 4, 4), w1); a2 = fma(a2, s1, w2);
        c0 = fma(c0, s2, w0); c1 = fma(c1, v128.shuffle<f32>(s2, s3, 0, 0, 4, 4), w1); c2 = fma(c2, s3, w2);
        pw += 48;
      }
    }
    a0 = f32x4.add(a0, bias0); a1 = f32x4.add(a1, bias1); a2 = f32x4.add(a2, bias2);
    c0 = f32x4.add(c0, bias0); c1 = f32x4.add(c1, bias1); c2 = f32x4.add(c2, bias2);
    if (relu) {
      a0 = f32x4.max(a0, zero); a1 = f32x4.max(a1, zero); a2 = f32x4.max(a2, zero);
      c0 = f32x4.max(c0, zero); c1 = f32x4.max(c1, zero); c2 = f32x4.max(c2, zero);
    }
    // back to rows of 8: [A0-3] [A4 A5 0 0], [B0-3] [B4 B5 0 0]
    const py = y + (m << 5);
    v128.store(py, a0); v128.store(py, v128.shuffle<f32>(a1, zero, 0, 1, 4, 4), 16);
    if (m + 1 < M) { v128.store(py, v128.shuffle<f32>(a1, a2, 2, 3, 4, 5), 32); v128.store(py, v128.shuffle<f32>(a2, zero, 2, 3, 4, 4), 48); }
    if (m + 2 < M) { v128.store(py, c0, 64); v128.store(py, v128.shuffle<f32>(c1, zero, 0, 1, 4, 4), 80); }
    if (m + 3 < M) { v128.store(py, v128.shuffle<f32>(c1, c2, 2, 3, 4, 5), 96); v128.store(py, v128.shuffle<f32>(c2, zero, 2, 3, 4, 4), 112); }
  }
}

/**
 * dw[ky, k, n] = sum_m x[window(m, ky) + k] * dy[m, n] for k < KWCP, n < NP, with dy unpadded [M, N]: lanes
 * n >= N read the next pixel's (or the slack's) values, and rows k >= KW*C read past the window, so those entries
 * of dw [KH, KWCP, NP] are garbage the caller drops. Tiles of 4 k × 8 n in registers, reduced over all pixels.
 * Only the row tiles t0 <= t < t1 (tile t is rows ky*KWCP + 4t' .. +4 of dw, t = ky*KWCP/4 + t') are computed, so
 * two threads can share one call: every entry of dw is summed over the pixels in the same order whatever the split.
 * With zero == 0 the sums continue from dw's values, so calls over consecutive images give the bits of one call.
 */
export function convBackpropFilter(
  x: usize, dy: usize, dw: usize,
  B: i32, Hp: i32, Wp: i32, C: i32, OH: i32, OW: i32, N: i32, NP: i32,
  KH: i32, KW: i32, SH: i32, SW: i32, t0: i32, t1: i32, zero: i32,
): void {
  const KWC = KW * C;
  const KWCP = (KWC + 3) & ~3;
  const tilesPerRow = KWCP >> 2;
  const stepBytes = (SW * C) << 2; // x bytes between output columns
  const dyRowBytes = N << 2;
  const rb = NP << 2;
  if (zero) memory.fill(dw + ((t0 * 4 * NP) << 2), 0, ((t1 - t0) * 4 * NP) << 2);
  // One image at a time (its x and dy stay in cache across all the tiles), accumulating into dw.
  for (let b = 0; b < B; b++) {
    for (let t = t0; t < t1; t++) {
      const ky = t / tilesPerRow;
      const k0 = (t - ky * tilesPerRow) << 2;
      {
        for (let n0 = 0; n0 < NP; n0 += 8) {
          const pw = dw + (((ky * KWCP + k0) * NP + n0) << 2);
          let a00 = v128.load(pw), a01 = v128.load(pw, 16);
          let a10 = v128.load(pw + rb), a11 = v128.load(pw + rb, 16);
          let a20 = v128.load(pw + 2 * rb), a21 = v128.load(pw + 2 * rb, 16);
          let a30 = v128.load(pw + 3 * rb), a31 = v128.load(pw + 3 * rb, 16);
          let pd = dy + ((((b * OH) * OW) * N + n0) << 2);
          for (let oy = 0; oy < OH; oy++) {
            let pa = x + ((((b * Hp + oy * SH + ky) * Wp * C) + k0) << 2);
            for (let ox = 0; ox < OW; ox++) {
              const d0 = v128.load(pd);
              const d1 = v128.load(pd, 16);
              const s0 = v128.load32_splat(pa);
              const s1 = v128.load32_splat(pa, 4);
              const s2 = v128.load32_splat(pa, 8);
              const s3 = v128.load32_splat(pa, 12);
              a00 = fma(a00, s0, d0); a01 = fma(a01, s0, d1);
              a10 = fma(a10, s1, d0); a11 = fma(a11, s1, d1);
              a20 = fma(a20, s2, d0); a21 = fma(a21, s2, d1);
              a30 = fma(a30, s3, d0); a31 = fma(a31, s3, d1);
              pa += stepBytes;
              pd += dyRowBytes;
            }
          }
          v128.store(pw, a00); v128.store(pw, a01, 16);
          v128.store(pw + rb, a10); v128.store(pw + rb, a11, 16);
          v128.store(pw + 2 * rb, a20); v128.store(pw + 2 * rb, a21, 16);
          v128.store(pw + 3 * rb, a30); v128.store(pw + 3 * rb, a31, 16);
        }
      }
    }
  }
}

/**
 * convBackpropFilter (stride 1, one image) for an input whose C channels are equal copies, as a grey picture read as
 * RGB: every channel's filter gradient is then the same sum, so only channel 0's is computed, for the KH·KW entries
 * e = ky·KW + kx, into g [(KH·KW rounded up to 4), NP]. Tiles of 4 entries (lanes past the last entry repeat it)
 * × 8 n, tiles t0 <= t < t1. Each entry is summed over the pixels in convBackpropFilter's order, so copied to every
 * channel it has that function's bits (the same products, added in the same order), at a third of the work for RGB.
 */
export function convBackpropFilterEqualChannels(
  x: usize, dy: usize, g: usize,
  Wp: i32, C: i32, OH: i32, OW: i32, N: i32, NP: i32, KH: i32, KW: i32, t0: i32, t1: i32, zero: i32,
): void {
  const last = KH * KW - 1;
  const stepBytes = <usize>C << 2;
  const rowBytes = <usize>(Wp * C) << 2;
  const dyRowBytes = <usize>N << 2;
  const rb = <usize>NP << 2;
  if (zero) memory.fill(g + ((t0 * 4 * NP) << 2), 0, ((t1 - t0) * 4 * NP) << 2);
  for (let t = t0; t < t1; t++) {
    // byte offsets of the tile's four entries from the window's corner
    const e0 = min(4 * t, last), e1 = min(4 * t + 1, last), e2 = min(4 * t + 2, last), e3 = min(4 * t + 3, last);
    const o0 = <usize>((e0 / KW) * Wp + e0 % KW) * stepBytes, o1 = <usize>((e1 / KW) * Wp + e1 % KW) * stepBytes;
    const o2 = <usize>((e2 / KW) * Wp + e2 % KW) * stepBytes, o3 = <usize>((e3 / KW) * Wp + e3 % KW) * stepBytes;
    for (let n0 = 0; n0 < NP; n0 += 8) {
      const pw = g + (((4 * t) * NP + n0) << 2);
      let a00 = v128.load(pw), a01 = v128.load(pw, 16);
      let a10 = v128.load(pw + rb), a11 = v128.load(pw + rb, 16);
      let a20 = v128.load(pw + 2 * rb), a21 = v128.load(pw + 2 * rb, 16);
      let a30 = v128.load(pw + 3 * rb), a31 = v128.load(pw + 3 * rb, 16);
      let pd = dy + (<usize>n0 << 2);
      for (let oy = 0; oy < OH; oy++) {
        const pa = x + <usize>oy * rowBytes;
        let p0 = pa + o0, p1 = pa + o1, p2 = pa + o2, p3 = pa + o3;
        for (let ox = 0; ox < OW; ox++) {
          const d0 = v128.load(pd);
          const d1 = v128.load(pd, 16);
          const s0 = v128.load32_splat(p0);
          const s1 = v128.load32_splat(p1);
          const s2 = v128.load32_splat(p2);
          const s3 = v128.load32_splat(p3);
          p0 += stepBytes; p1 += stepBytes; p2 += stepBytes; p3 += stepBytes;
          a00 = fma(a00, s0, d0); a01 = fma(a01, s0, d1);
          a10 = fma(a10, s1, d0); a11 = fma(a11, s1, d1);
          a20 = fma(a20, s2, d0); a21 = fma(a21, s2, d1);
          a30 = fma(a30, s3, d0); a31 = fma(a31, s3, d1);
          pd += dyRowBytes;
        }
      }
      v128.store(pw, a00); v128.store(pw, a01, 16);
      v128.store(pw + rb, a10); v128.store(pw + rb, a11, 16);
      v128.store(pw + 2 * rb, a20); v128.store(pw + 2 * rb, a21, 16);
      v128.store(pw + 3 * rb, a30); v128.store(pw + 3 * rb, a31, 16);
    }
  }
}

/**
 * In place, turn rows of NP floats into rows of N <= NP floats (ascending: each row's copy only overwrites the
 * already-copied tail of the previous destination row or the part of the source already read).
 */
export function compactRows(p: usize, M: i32, N: i32, NP: i32): void {
  if (N == NP) return;
  for (let m = 1; m < M; m++) {
    const src = p + ((m * NP) << 2);
    const dst = p + ((m * N) << 2);
    for (let j = 0; j < NP; j += 4) v128.store(dst + (j << 2), v128.load(src + (j << 2)));
  }
}


/** Add to dx at p0 (and p1) the 4-vector chunk k0.. of pixel(s) dy0 (dy1) times wt rows; see convBackpropInput. */
@inline function bpiPair16(dy0: usize, dy1: usize, pw0: usize, p0: usize, p1: usize, N: i32, wtRowBytes: i32): void {
  const zero = f32x4.splat(0);
  let a0 = zero, a1 = zero, a2 = zero, a3 = zero, b0 = zero, b1 = zero, b2 = zero, b3 = zero;
  let pw = pw0;
  const end = N << 2;
  for (let n = 0; n < end; n += 4) {
    const s = v128.load32_splat(dy0 + n);
    const t = v128.load32_splat(dy1 + n);
    const w0 = v128.load(pw);
    const w1 = v128.load(pw, 16);
    const w2 = v128.load(pw, 32);
    const w3 = v128.load(pw, 48);
    a0 = fma(a0, s, w0); a1 = fma(a1, s, w1); a2 = fma(a2, s, w2); a3 = fma(a3, s, w3);
    b0 = fma(b0, t, w0); b1 = fma(b1, t, w1); b2 = fma(b2, t, w2); b3 = fma(b3, t, w3);
    pw += wtRowBytes;
  }
  v128.store(p0, f32x4.add(v128.load(p0), a0));
  v128.store(p0, f32x4.add(v128.load(p0, 16), a1), 16);
  v128.store(p0, f32x4.add(v128.load(p0, 32), a2), 32);
  v128.store(p0, f32x4.add(v128.load(p0, 48), a3), 48);
  v128.store(p1, f32x4.add(v128.load(p1), b0));
  v128.store(p1, f32x4.add(v128.load(p1, 16), b1), 16);
  v128.store(p1, f32x4.add(v128.load(p1, 32), b2), 32);
  v128.store(p1, f32x4.add(v128.load(p1, 48), b3), 48);
}

@inline function bpiPair4(dy0: usize, dy1: usize, pw0: usize, p0: usize, p1: usize, N: i32, wtRowBytes: i32): void {
  let a0 = f32x4.splat(0), b0 = f32x4.splat(0);
  let pw = pw0;
  const end = N << 2;
  for (let n = 0; n < end; n += 4) {
    const w0 = v128.load(pw);
    a0 = fma(a0, v128.load32_splat(dy0 + n), w0);
    b0 = fma(b0, v128.load32_splat(dy1 + n), w0);
    pw += wtRowBytes;
  }
  v128.store(p0, f32x4.add(v128.load(p0), a0));
  v128.store(p1, f32x4.add(v128.load(p1), b0));
}

/**
 * dx[window(m, ky) + k] += sum_n dy[m, n] * wt[ky, n, k] for every pixel m, ky and k < KWCP (dy unpadded [M, N];
 * dx zeroed by the caller; lanes k >= KW*C add exact zeros past the window, into the next pixel or the slack).
 * Two pixels of a row at a time, so every filter vector loaded serves both; the second pixel's window is added
 * after the first's, so overlapping windows stay correct. A row's odd last pixel is paired with itself, the copy
 * going to a scratch window `spare` (KWCP floats + slack) that is discarded.
 */
export function convBackpropInput(
  dy: usize, wt: usize, dx: usize, spare: usize,
  B: i32, Hp: i32, Wp: i32, C: i32, OH: i32, OW: i32, N: i32,
  KH: i32, KW: i32, SH: i32, SW: i32,
): void {
  const KWC = KW * C;
  const KWCP = (KWC + 3) & ~3;
  const wtKyBytes = (N * KWCP) << 2;
  const wtRowBytes = KWCP << 2;
  const pixBytes = (SW * C) << 2;
  for (let b = 0; b < B; b++) {
    for (let oy = 0; oy < OH; oy++) {
      const dyRow = dy + ((((b * OH + oy) * OW) * N) << 2);
      for (let ox = 0; ox < OW; ox += 2) {
        const pair = ox + 1 < OW;
        const dy0 = dyRow + ((ox * N) << 2);
        const dy1 = pair ? dy0 + (N << 2) : dy0;
        for (let ky = 0; ky < KH; ky++) {
          const p0 = dx + ((((b * Hp + oy * SH + ky) * Wp) * C) << 2) + ox * pixBytes;
          const p1 = pair ? p0 + pixBytes : spare;
          const pwk = wt + ky * wtKyBytes;
          let k0 = 0;
          for (; k0 + 16 <= KWCP; k0 += 16) bpiPair16(dy0, dy1, pwk + (k0 << 2), p0 + (k0 << 2), pair ? p1 + (k0 << 2) : spare, N, wtRowBytes);
          for (; k0 < KWCP; k0 += 4) bpiPair4(dy0, dy1, pwk + (k0 << 2), p0 + (k0 << 2), pair ? p1 + (k0 << 2) : spare, N, wtRowBytes);
        }
      }
    }
  }
}
