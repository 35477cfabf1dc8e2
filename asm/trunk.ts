// The convolutional trunk of a training step in one call per thread (lib/kernels/trunk.ts drives it): for each stage
// conv (valid, stride 1) → + bias → ReLU → max-pool (window = stride, valid), the forward pass, the backward pass to
// every stage's output gradient, and the filter and bias gradients. Part of the WebAssembly module built from
// asm/index.ts.
//
// Every step is the kernel, or the arithmetic, that the same op runs through tfjs on `cpu-fast`, in the same order:
// the convolution with a zero bias (as tfjs' Conv2D), then the bias added in float32 (Add), ReLU as max(0, x) (Relu),
// max-pooling, the pooling gradient and the ReLU gradient dy · step(x) (MaxPoolGrad, Step, Multiply: one pass,
// poolReluGrad), the bias gradient summed in float64 in row order (Sum). So the trunk gives tfjs' bits, and what it
// saves is tfjs' dispatch, tape and copies. One exception: a batch of grey pictures (SAME) goes through the first
// convolution once per grey value (convForward6's grey case), with the filter summed over the channels.
//
// Threads share the work by taking the next image (forward, backward) or the next task (a stage's filter-gradient
// tile range, or its bias gradient) from a counter, so a thread that starts late simply takes less. Each image has
// its own stretch of every buffer, with slack (vector stores run a little past an image's end, into its own slack,
// never into another image), and every filter-gradient tile sums the images in order, whoever computes it: the bits
// do not depend on the threads.
//
// ctx: i32 words. Header: [0] stages, [1] images, [2] next image, [3] next task. Stage s at word HEADER + s * SW.
import { convForward, convForward6, convBackpropFilter, convBackpropFilterEqualChannels, convBackpropInput } from "./conv";
import { maxPool } from "./pool";
import { upperHalf } from "./simd";

const HEADER = 4;
const STAGE_WORDS = 40;
// geometry: input H×W×C, conv output OH×OW×N (NP = N rounded up to 8), kernel K×K, pool window P, pool output PH×PW
const H = 0, W = 1, C = 2, OH = 3, OW = 4, N = 5, NP = 6, K = 7, P = 8, PH = 9, PW = 10;
// shared buffers: filter [K, K*C, NP] (6 channels: [K, K*C, 12], see convForward6), zero bias [NP], bias [NP], filter transposed [K, N, KWCP],
// filter gradient [K, KWCP, NP], bias gradient [N], float64 scratch [NP]
const WF = 11, ZB = 12, BIAS = 13, WT = 14, DW = 15, DB = 16, ACC = 17;
// per-image buffers, as (first image's byte offset, bytes between images): input [H,W,C] (the previous stage's pool
// output), conv output [OH*OW, NP], ReLU output [OH,OW,N], pool output [PH,PW,N], its gradient, the conv output's
// gradient [OH*OW, N], the input's gradient (stage > 0: the previous stage's pool-output gradient)
const A = 18, Y = 20, R = 22, PO = 24, DPO = 26, DZ = 30, DA = 32;
// 1 when this batch's input has C equal channels (a grey picture read as RGB; stage 0 only): the filter gradient
// is then computed for channel 0 alone, into DW as [K*K rounded up to 4, NP] (lib/kernels/trunk.ts copies it out)
const SAME = 28;
// the first stage's filter summed over its channels, [K, K, 12] (convForward6's grey case), for batches with SAME set; 0: none
const GREY = 29;
// a scratch window per thread (2)
const SPARE = 34;
/** Filter-gradient tasks per stage: its row tiles in this many ranges. */
const TILE_TASKS = 4;

@inline function word(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}

@inline function stage(ctx: usize, s: i32): usize {
  return ctx + (<usize>(HEADER + s * STAGE_WORDS) << 2);
}

/** Image b's stretch of the per-image buffer at word `at` of stage descriptor d. */
@inline function img(d: usize, at: i32, b: i32): usize {
  return <usize>word(d, at) + <usize>(b * word(d, at + 1));
}

/** r[m, n] = max(0, y[m, n] + bias[n]) for m < M, n < N, from rows of NP floats into rows of N. */
function biasRelu(y: usize, bias: usize, r: usize, M: i32, N: i32, NP: i32): void {
  const zero = f32x4.splat(0);
  for (let m = 0; m < M; m++) {
    const py = y + (<usize>(m * NP) << 2);
    const pr = r + (<usize>(m * N) << 2);
    // a vector past N writes the next row's first lanes, which that row then overwrites (the last: slack)
    for (let j = 0; j < N; j += 4) {
      const o = <usize>j << 2;
      v128.store(pr + o, f32x4.max(zero, f32x4.add(v128.load(py + o), v128.load(bias + o))));
    }
  }
}

/** step(r) of four floats: 1 where r > 0, else 0, NaN stays NaN (r = ReLU(z) has z's step). */
@inline function reluStep(v: v128): v128 {
  return v128.bitselect(v, v128.bitselect(f32x4.splat(1), f32x4.splat(0), f32x4.gt(v, f32x4.splat(0))), f32x4.ne(v, v));
}

/** Store the first `live` (≥ 1) of v's lanes at p: a chunk of a pixel's N channels must not spill into the next pixel. */
@inline function storeLanes(p: usize, v: v128, live: i32): void {
  if (live >= 4) v128.store(p, v);
  else {
    if (live >= 2) v128.store64_lane(p, v, 0);
    else v128.store32_lane(p, v, 0);
    if (live == 3) v128.store32_lane(p + 8, v, 2);
  }
}

/** poolReluGrad's window at byte offset `corner` for P = 2, its four elements unrolled (the paper's pooling). */
@inline function poolReluGrad2(r: usize, g: usize, dz: usize, corner: usize, rowBytes: usize, N: i32): void {
  const zero = f32x4.splat(0);
  const pix = <usize>N << 2;
  for (let c = 0; c < N; c += 4) {
    const at = corner + (<usize>c << 2);
    const v0 = v128.load(r + at);
    const v1 = v128.load(r + at + pix);
    const v2 = v128.load(r + at + rowBytes);
    const v3 = v128.load(r + at + rowBytes + pix);
    // first strictly greater, from −Infinity: w_i is set where element i is the arg-max
    const w0 = f32x4.gt(v0, f32x4.splat(-Infinity));
    let best = v128.bitselect(v0, f32x4.splat(-Infinity), w0);
    const g1 = f32x4.gt(v1, best);
    best = v128.bitselect(v1, best, g1);
    const g2 = f32x4.gt(v2, best);
    best = v128.bitselect(v2, best, g2);
    const w3 = f32x4.gt(v3, best);
    const w2 = v128.andnot(g2, w3);
    const w1 = v128.andnot(v128.andnot(g1, g2), w3);
    const w0only = v128.andnot(v128.andnot(v128.andnot(w0, g1), g2), w3);
    const dr = f32x4.add(zero, v128.load(g + (<usize>c << 2)));
    const live = N - c;
    storeLanes(dz + at, f32x4.mul(v128.bitselect(dr, zero, w0only), reluStep(v0)), live);
    storeLanes(dz + at + pix, f32x4.mul(v128.bitselect(dr, zero, w1), reluStep(v1)), live);
    storeLanes(dz + at + rowBytes, f32x4.mul(v128.bitselect(dr, zero, w2), reluStep(v2)), live);
    storeLanes(dz + at + rowBytes + pix, f32x4.mul(v128.bitselect(dr, zero, w3), reluStep(v3)), live);
  }
}

/**
 * One image's ReLU-output gradient through a max-pool (window = stride = P, valid) and the ReLU: dz[y, x, c] =
 * dr · step(r), where dr is the pool-output gradient dpo at the window's arg-max and 0 elsewhere. The same bits as
 * maxPoolGrad into a zeroed dr (0 + dpo at the arg-max: the first element strictly greater than all before it,
 * from −Infinity, so NaN never wins), then dr · step(r) (Step, Multiply), without writing and reading dr. Pixels
 * that no window covers (OH or OW not a multiple of P) get 0 · step(r).
 */
function poolReluGrad(r: usize, dpo: usize, dz: usize, OH: i32, OW: i32, N: i32, PH: i32, PW: i32, P: i32): void {
  const zero = f32x4.splat(0);
  const ninf = f32x4.splat(-Infinity);
  const none = i32x4.splat(-1);
  const rowBytes = <usize>(OW * N) << 2;
  for (let wy = 0; wy < PH; wy++) {
    for (let wx = 0; wx < PW; wx++) {
      const corner = (<usize>((wy * P * OW + wx * P) * N)) << 2; // the window's first pixel
      const g = dpo + (<usize>((wy * PW + wx) * N) << 2);
      if (P == 2) {
        poolReluGrad2(r, g, dz, corner, rowBytes, N);
        continue;
      }
      for (let c = 0; c < N; c += 4) {
        const at = corner + (<usize>c << 2);
        // the arg-max of each lane, as its position k = i * P + j in the window (-1: none)
        let best = ninf;
        let pos = none;
        for (let i = 0; i < P; i++) {
          for (let j = 0; j < P; j++) {
            const v = v128.load(r + at + <usize>i * rowBytes + (<usize>(j * N) << 2));
            const gt = f32x4.gt(v, best);
            best = v128.bitselect(v, best, gt);
            pos = v128.bitselect(i32x4.splat(i * P + j), pos, gt);
          }
        }
        const dr = f32x4.add(zero, v128.load(g + (<usize>c << 2)));
        const live = N - c;
        for (let i = 0; i < P; i++) {
          for (let j = 0; j < P; j++) {
            const o = at + <usize>i * rowBytes + (<usize>(j * N) << 2);
            const won = v128.bitselect(dr, zero, i32x4.eq(pos, i32x4.splat(i * P + j)));
            storeLanes(dz + o, f32x4.mul(won, reluStep(v128.load(r + o))), live);
          }
        }
      }
    }
  }
  // pixels below or right of every window
  for (let y = 0; y < OH; y++) {
    const x0 = y < PH * P ? PW * P : 0;
    for (let x = x0; x < OW; x++) {
      const o = (<usize>((y * OW + x) * N)) << 2;
      for (let c = 0; c < N; c += 4) {
        const q = o + (<usize>c << 2);
        storeLanes(dz + q, f32x4.mul(zero, reluStep(v128.load(r + q))), N - c);
      }
    }
  }
}

/**
 * biasRelu then maxPool for 2×2 windows (stride 2, valid) in one pass: each window's four conv outputs get their
 * bias and ReLU, are stored as r, and their maximum (the first strictly greater, from −Infinity, as maxPool takes
 * it) as the pool output. The same operations as the two passes, so the same bits; pixels no window covers (an odd
 * OH or OW) get their r after.
 */
function biasReluPool2(y: usize, bias: usize, r: usize, po: usize, OH: i32, OW: i32, N: i32, NP: i32, PH: i32, PW: i32): void {
  const zero = f32x4.splat(0);
  const ninf = f32x4.splat(-Infinity);
  const yPix = <usize>NP << 2, yRow = <usize>(OW * NP) << 2;
  const rPix = <usize>N << 2, rRow = <usize>(OW * N) << 2;
  for (let wy = 0; wy < PH; wy++) {
    for (let wx = 0; wx < PW; wx++) {
      const y0 = y + <usize>(2 * wy) * yRow + <usize>(2 * wx) * yPix;
      const r0 = r + <usize>(2 * wy) * rRow + <usize>(2 * wx) * rPix;
      const p0 = po + (<usize>((wy * PW + wx) * N) << 2);
      for (let c = 0; c < N; c += 4) {
        const o = <usize>c << 2;
        const bc = v128.load(bias + o);
        const live = N - c;
        const v0 = f32x4.max(zero, f32x4.add(v128.load(y0 + o), bc));
        const v1 = f32x4.max(zero, f32x4.add(v128.load(y0 + yPix + o), bc));
        const v2 = f32x4.max(zero, f32x4.add(v128.load(y0 + yRow + o), bc));
        const v3 = f32x4.max(zero, f32x4.add(v128.load(y0 + yRow + yPix + o), bc));
        storeLanes(r0 + o, v0, live);
        storeLanes(r0 + rPix + o, v1, live);
        storeLanes(r0 + rRow + o, v2, live);
        storeLanes(r0 + rRow + rPix + o, v3, live);
        let best = v128.bitselect(v0, ninf, f32x4.gt(v0, ninf));
        best = v128.bitselect(v1, best, f32x4.gt(v1, best));
        best = v128.bitselect(v2, best, f32x4.gt(v2, best));
        best = v128.bitselect(v3, best, f32x4.gt(v3, best));
        storeLanes(p0 + o, best, live);
      }
    }
  }
  for (let oy = 0; oy < OH; oy++) {
    for (let ox = oy < 2 * PH ? 2 * PW : 0; ox < OW; ox++) {
      const py = y + (<usize>((oy * OW + ox) * NP) << 2);
      const pr = r + (<usize>((oy * OW + ox) * N) << 2);
      for (let c = 0; c < N; c += 4) {
        const o = <usize>c << 2;
        storeLanes(pr + o, f32x4.max(zero, f32x4.add(v128.load(py + o), v128.load(bias + o))), N - c);
      }
    }
  }
}

/**
 * 1 when each of the `pixels` RGB pixels at p has three bitwise-equal floats (lib/kernels/trunk.ts equalChannels says
 * why), else 0. Four pixels (three vectors) at a time: each float against the next one, where both are of one pixel
 * (floats 0-1, 1-2 of every pixel); the scalar tail does the rest. Reads one float past the vectors' end.
 */
export function equalChannels3(p: usize, pixels: i32): i32 {
  // lanes where float i and i + 1 are of the same pixel, for floats 0-3, 4-7, 8-11 of four pixels
  const m0 = i32x4(-1, -1, 0, -1), m1 = i32x4(-1, 0, -1, -1), m2 = i32x4(0, -1, -1, 0);
  let bad = i32x4.splat(0);
  let q = p;
  const end = p + (<usize>(pixels >> 2) * 48);
  for (; q < end; q += 48) {
    const d0 = v128.xor(v128.load(q), v128.load(q, 4));
    const d1 = v128.xor(v128.load(q, 16), v128.load(q, 20));
    const d2 = v128.xor(v128.load(q, 32), v128.load(q, 36));
    bad = v128.or(bad, v128.or(v128.and(d0, m0), v128.or(v128.and(d1, m1), v128.and(d2, m2))));
  }
  if (v128.any_true(bad)) return 0;
  for (let i = pixels & ~3; i < pixels; i++, q += 12) {
    const v = load<u32>(q);
    if (load<u32>(q, 4) != v || load<u32>(q, 8) != v) return 0;
  }
  return 1;
}

/** The forward pass of images taken from the counter, through every stage. */
export function trunkForward(ctx: usize, thread: i32): void {
  const L = word(ctx, 0);
  const B = word(ctx, 1);
  for (let b = atomic.add<i32>(ctx + 8, 1); b < B; b = atomic.add<i32>(ctx + 8, 1)) {
    for (let s = 0; s < L; s++) {
      const d = stage(ctx, s);
      const oh = word(d, OH), ow = word(d, OW), n = word(d, N), np = word(d, NP), k = word(d, K), p = word(d, P);
      const y = img(d, Y, b), r = img(d, R, b);
      // 6 channels (the first stage): WF holds the filter as convForward6 takes it, [K, K*C, 12]; a grey batch
      // takes GREY, the filter summed over the channels (only stage 0 has SAME or GREY set)
      const grey = word(d, SAME) && word(d, GREY) ? 1 : 0;
      if (n == 6) convForward6(img(d, A, b), word(d, grey ? GREY : WF), word(d, ZB), y, 1, word(d, H), word(d, W), word(d, C), oh, ow, k, k, 1, 1, 0, grey);
      else convForward(img(d, A, b), word(d, WF), word(d, ZB), y, 1, word(d, H), word(d, W), word(d, C), oh, ow, np, k, k, 1, 1, 0);
      if (p == 2) biasReluPool2(y, word(d, BIAS), r, img(d, PO, b), oh, ow, n, np, word(d, PH), word(d, PW));
      else {
        biasRelu(y, word(d, BIAS), r, oh * ow, n, np);
        maxPool(r, img(d, PO, b), 1, oh, ow, n, word(d, PH), word(d, PW), p, p, p, p, 0, 0);
      }
    }
  }
}

/** The backward pass of images taken from the counter, from the last pool's output gradient to every conv output's. */
export function trunkBackward(ctx: usize, thread: i32): void {
  const L = word(ctx, 0);
  const B = word(ctx, 1);
  for (let b = atomic.add<i32>(ctx + 8, 1); b < B; b = atomic.add<i32>(ctx + 8, 1)) {
    for (let s = L - 1; s >= 0; s--) {
      const d = stage(ctx, s);
      const h = word(d, H), w = word(d, W), c = word(d, C), oh = word(d, OH), ow = word(d, OW), n = word(d, N);
      const k = word(d, K), p = word(d, P);
      const dz = img(d, DZ, b);
      poolReluGrad(img(d, R, b), img(d, DPO, b), dz, oh, ow, n, word(d, PH), word(d, PW), p);
      if (s > 0) {
        const da = img(d, DA, b);
        memory.fill(da, 0, (<usize>(h * w * c) + 16) << 2);
        const spare = <usize>word(d, SPARE + thread);
        convBackpropInput(dz, word(d, WT), da, spare, 1, h, w, c, oh, ow, n, k, k, 1, 1);
      }
    }
  }
}

/**
 * The filter gradients (each stage's row tiles in TILE_TASKS ranges, each summed over the images in order) and the
 * bias gradients (float64 sums in row order, rounded once), as tasks taken from the counter.
 */
export function trunkGradients(ctx: usize, thread: i32): void {
  const L = word(ctx, 0);
  const B = word(ctx, 1);
  const tasks = L * (TILE_TASKS + 1);
  for (let t = atomic.add<i32>(ctx + 12, 1); t < tasks; t = atomic.add<i32>(ctx + 12, 1)) {
    const s = t / (TILE_TASKS + 1);
    const q = t - s * (TILE_TASKS + 1);
    const d = stage(ctx, s);
    const h = word(d, H), w = word(d, W), c = word(d, C), oh = word(d, OH), ow = word(d, OW), n = word(d, N);
    if (q < TILE_TASKS) {
      const np = word(d, NP), k = word(d, K), dw = word(d, DW), same = word(d, SAME);
      const tiles = same ? (k * k + 3) >> 2 : (k * ((k * c + 3) & ~3)) >> 2;
      const t0 = (tiles * q) / TILE_TASKS, t1 = (tiles * (q + 1)) / TILE_TASKS;
      if (t1 <= t0) continue;
      for (let b = 0; b < B; b++) {
        if (same) convBackpropFilterEqualChannels(img(d, A, b), img(d, DZ, b), dw, w, c, oh, ow, n, np, k, k, t0, t1, b == 0 ? 1 : 0);
        else convBackpropFilter(img(d, A, b), img(d, DZ, b), dw, 1, h, w, c, oh, ow, n, np, k, k, 1, 1, t0, t1, b == 0 ? 1 : 0);
      }
      continue;
    }
    // eight channels at a time in four float64x2 sums (lanes past N read the next row or the slack, and are
    // dropped), each summed over the images and rows in order
    const acc = <usize>word(d, ACC);
    const rows = oh * ow;
    const rowBytes = <usize>n << 2;
    for (let j = 0; j < n; j += 8) {
      let s0 = f64x2.splat(0), s1 = f64x2.splat(0), s2 = f64x2.splat(0), s3 = f64x2.splat(0);
      for (let b = 0; b < B; b++) {
        let row = img(d, DZ, b) + (<usize>j << 2);
        for (let m = 0; m < rows; m++) {
          const lo = v128.load(row);
          const hi = v128.load(row, 16);
          s0 = f64x2.add(s0, f64x2.promote_low_f32x4(lo));
          s1 = f64x2.add(s1, f64x2.promote_low_f32x4(upperHalf(lo)));
          s2 = f64x2.add(s2, f64x2.promote_low_f32x4(hi));
          s3 = f64x2.add(s3, f64x2.promote_low_f32x4(upperHalf(hi)));
          row += rowBytes;
        }
      }
      const q = acc + (<usize>j << 3);
      v128.store(q, s0);
      v128.store(q, s1, 16);
      v128.store(q, s2, 32);
      v128.store(q, s3, 48);
    }
    const db = <usize>word(d, DB);
    for (let j = 0; j < n; j++) store<f32>(db + (<usize>j << 2), <f32>load<f64>(acc + (<usize>j << 3)));
  }
}
