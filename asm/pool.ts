// Max-pooling kernels of the `cpu-fast` backend (lib/kernels/pool.ts drives them). Part of the WebAssembly module
// built from asm/index.ts.
// ---------------------------------------------------------------------------------------------------------------
// Max pooling, NHWC, 4 channels at a time. A window's maximum is the first element (row-major) strictly greater
// than everything before it, starting from -Infinity: NaN never wins and an all -Infinity window has no arg-max,
// as in tfjs. Lanes past the channel count read the next pixel (or slack) and are never used.

/** out[b, oy, ox, c] = max over the window (−Infinity if the window is empty). */
export function maxPool(
  x: usize, out: usize, B: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32,
  FH: i32, FW: i32, SH: i32, SW: i32, top: i32, left: i32,
): void {
  const ninf = f32x4.splat(-Infinity);
  let o = out;
  for (let b = 0; b < B; b++) {
    for (let oy = 0; oy < OH; oy++) {
      const r0 = oy * SH - top;
      const rMin = max(0, r0);
      const rMax = min(H, r0 + FH);
      for (let ox = 0; ox < OW; ox++) {
        const c0 = ox * SW - left;
        const cMin = max(0, c0);
        const cMax = min(W, c0 + FW);
        for (let c = 0; c < C; c += 4) {
          let best = ninf;
          for (let r = rMin; r < rMax; r++) {
            let p = x + ((((b * H + r) * W + cMin) * C + c) << 2);
            for (let col = cMin; col < cMax; col++) {
              const v = v128.load(p);
              best = v128.bitselect(v, best, f32x4.gt(v, best));
              p += C << 2;
            }
          }
          // a full vector store: lanes past C land on the next pixel's channels, which are written after
          v128.store(o + (c << 2), best);
        }
        o += C << 2;
      }
    }
  }
}

/**
 * dx[argmax of each window] += dy (dx zeroed by the caller; windows must not overlap, so each element gets at most
 * one gradient and float32 accumulation is exact).
 */
export function maxPoolGrad(
  x: usize, dy: usize, dx: usize, B: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32,
  FH: i32, FW: i32, SH: i32, SW: i32, top: i32, left: i32,
): void {
  const ninf = f32x4.splat(-Infinity);
  const none = i32x4.splat(-1);
  const lanes = i32x4(0, 1, 2, 3);
  let o = 0;
  for (let b = 0; b < B; b++) {
    for (let oy = 0; oy < OH; oy++) {
      const r0 = oy * SH - top;
      const rMin = max(0, r0);
      const rMax = min(H, r0 + FH);
      for (let ox = 0; ox < OW; ox++) {
        const c0 = ox * SW - left;
        const cMin = max(0, c0);
        const cMax = min(W, c0 + FW);
        for (let c = 0; c < C; c += 4) {
          let best = ninf;
          let pos = none;
          for (let r = rMin; r < rMax; r++) {
            let idx = ((b * H + r) * W + cMin) * C + c;
            for (let col = cMin; col < cMax; col++) {
              const v = v128.load(x + (idx << 2));
              const gt = f32x4.gt(v, best);
              best = v128.bitselect(v, best, gt);
              pos = v128.bitselect(i32x4.add(i32x4.splat(idx), lanes), pos, gt);
              idx += C;
            }
          }
          const live = C - c; // lanes < live are real channels
          const p0 = i32x4.extract_lane(pos, 0);
          if (p0 >= 0) store<f32>(dx + (p0 << 2), load<f32>(dx + (p0 << 2)) + load<f32>(dy + ((o + c) << 2)));
          if (live > 1) {
            const p1 = i32x4.extract_lane(pos, 1);
            if (p1 >= 0) store<f32>(dx + (p1 << 2), load<f32>(dx + (p1 << 2)) + load<f32>(dy + ((o + c + 1) << 2)));
          }
          if (live > 2) {
            const p2 = i32x4.extract_lane(pos, 2);
            if (p2 >= 0) store<f32>(dx + (p2 << 2), load<f32>(dx + (p2 << 2)) + load<f32>(dy + ((o + c + 2) << 2)));
          }
          if (live > 3) {
            const p3 = i32x4.extract_lane(pos, 3);
            if (p3 >= 0) store<f32>(dx + (p3 << 2), load<f32>(dx + (p3 << 2)) + load<f32>(dy + ((o + c + 3) << 2)));
          }
        }
        o += C;
      }
    }
  }
}
