// The convolutional trunk of a training step in one call per thread (lib/kernels/trunk.ts drives it): for each stage
// conv (valid, stride 1) → + bias → ReLU → max-pool (window = stride, valid), the forward pass, the backward pass to
// every stage's output gradient, and the filter and bias gradients. Part of the WebAssembly module built from
// asm/index.ts.
//
// Every step is the kernel, or the arithmetic, that the same op runs through tfjs on `cpu-fast`, in the same order:
// the convolution with a zero bias (as tfjs' Conv2D), then the bias added in float32 (Add), ReLU as max(0, x) (Relu),
// the pooling kernels, the ReLU gradient dy · step(x) (Step, Multiply), the bias gradient summed in float64 in row
// order (Sum). So the trunk gives tfjs' bits, and what it saves is tfjs' dispatch, tape and copies.
//
// Images are split into two parts (part 1 may be empty), each with its own buffers (vector stores run a little past a
// buffer's end, into its slack, never into the other part's images), so two threads can run the two parts at once.
// The filter gradients sum the images of part 0, then those of part 1, in order, whichever thread runs them.
//
// ctx: i32 words. Header: [0] stages, [1] images in part 0, [2] images in part 1. Stage s at word HEADER + s * SW.
import { convForward, convBackpropFilter, convBackpropInput } from "./conv";
import { maxPool, maxPoolGrad } from "./pool";

const HEADER = 4;
const STAGE_WORDS = 40;
// geometry: input H×W×C, conv output OH×OW×N (NP = N rounded up to 8), kernel K×K, pool window P, pool output PH×PW
const H = 0, W = 1, C = 2, OH = 3, OW = 4, N = 5, NP = 6, K = 7, P = 8, PH = 9, PW = 10;
// buffers shared by the parts: filter [K, K*C, NP], zero bias [NP], bias [N], filter transposed [K, N, KWCP],
// filter gradient [K, KWCP, NP], bias gradient [N], float64 scratch [N]
const WF = 11, ZB = 12, BIAS = 13, WT = 14, DW = 15, DB = 16, ACC = 17;
// per-part buffers (word + part): input [nb,H,W,C] (the previous stage's pool output), conv output [nb*OH*OW, NP],
// ReLU output [nb,OH,OW,N], pool output [nb,PH,PW,N], its gradient, the ReLU output's gradient, the conv output's
// gradient [nb*OH*OW, N], the input's gradient (stage > 0; the previous stage's pool-output gradient), a scratch window
const A = 18, Y = 20, R = 22, PO = 24, DPO = 26, DR = 28, DZ = 30, DA = 32, SPARE = 34;

@inline function word(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}

@inline function stage(ctx: usize, s: i32): usize {
  return ctx + (<usize>(HEADER + s * STAGE_WORDS) << 2);
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

/** dz = dr · step(r) over n floats (step: 1 where r > 0, else 0, NaN stays NaN; r = ReLU(z) has z's step). */
function reluGrad(dr: usize, r: usize, dz: usize, n: i32): void {
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  const bytes = <usize>n << 2;
  for (let i: usize = 0; i < bytes; i += 16) {
    const v = v128.load(r + i);
    const s = v128.bitselect(v, v128.bitselect(one, zero, f32x4.gt(v, zero)), f32x4.ne(v, v));
    v128.store(dz + i, f32x4.mul(v128.load(dr + i), s));
  }
}

/** Forward pass of part `part`'s images through every stage. */
export function trunkForward(ctx: usize, part: i32): void {
  const nb = word(ctx, 1 + part);
  if (nb == 0) return;
  const L = word(ctx, 0);
  for (let s = 0; s < L; s++) {
    const d = stage(ctx, s);
    const oh = word(d, OH), ow = word(d, OW), n = word(d, N), np = word(d, NP), k = word(d, K), p = word(d, P);
    const y = word(d, Y + part), r = word(d, R + part);
    convForward(word(d, A + part), word(d, WF), word(d, ZB), y, nb, word(d, H), word(d, W), word(d, C), oh, ow, np, k, k, 1, 1, 0);
    biasRelu(y, word(d, BIAS), r, nb * oh * ow, n, np);
    maxPool(r, word(d, PO + part), nb, oh, ow, n, word(d, PH), word(d, PW), p, p, p, p, 0, 0);
  }
}

/** Backward pass of part `part`'s images from the last stage's pool-output gradient to every conv output's gradient. */
export function trunkBackward(ctx: usize, part: i32): void {
  const nb = word(ctx, 1 + part);
  if (nb == 0) return;
  const L = word(ctx, 0);
  for (let s = L - 1; s >= 0; s--) {
    const d = stage(ctx, s);
    const h = word(d, H), w = word(d, W), c = word(d, C), oh = word(d, OH), ow = word(d, OW), n = word(d, N);
    const k = word(d, K), p = word(d, P);
    const r = word(d, R + part), dr = word(d, DR + part), dz = word(d, DZ + part);
    const size = nb * oh * ow * n;
    memory.fill(dr, 0, <usize>size << 2);
    maxPoolGrad(r, word(d, DPO + part), dr, nb, oh, ow, n, word(d, PH), word(d, PW), p, p, p, p, 0, 0);
    reluGrad(dr, r, dz, size);
    if (s > 0) {
      const da = word(d, DA + part);
      memory.fill(da, 0, (<usize>(nb * h * w * c) + 16) << 2);
      convBackpropInput(dz, word(d, WT), da, word(d, SPARE + part), nb, h, w, c, oh, ow, n, k, k, 1, 1);
    }
  }
}

/**
 * The filter gradients (the row tiles of thread `part` of `parts`) and, on the last thread, the bias gradients
 * (float64 sums in row order, part 0's rows then part 1's, rounded once), of every stage.
 */
export function trunkGradients(ctx: usize, part: i32, parts: i32): void {
  const L = word(ctx, 0);
  const nb0 = word(ctx, 1), nb1 = word(ctx, 2);
  for (let s = 0; s < L; s++) {
    const d = stage(ctx, s);
    const h = word(d, H), w = word(d, W), c = word(d, C), oh = word(d, OH), ow = word(d, OW), n = word(d, N);
    const np = word(d, NP), k = word(d, K), dw = word(d, DW);
    const tiles = (k * ((k * c + 3) & ~3)) >> 2;
    const half = (tiles + 1) >> 1;
    const t0 = parts == 1 || part == 0 ? 0 : half;
    const t1 = parts == 1 || part == 1 ? tiles : half;
    convBackpropFilter(word(d, A), word(d, DZ), dw, nb0, h, w, c, oh, ow, n, np, k, k, 1, 1, t0, t1, 1);
    if (nb1 > 0) convBackpropFilter(word(d, A + 1), word(d, DZ + 1), dw, nb1, h, w, c, oh, ow, n, np, k, k, 1, 1, t0, t1, 0);
    if (part != parts - 1) continue;
    const acc = <usize>word(d, ACC);
    memory.fill(acc, 0, <usize>n << 3);
    for (let q = 0; q < 2; q++) {
      const rows = (q == 0 ? nb0 : nb1) * oh * ow;
      const dz = <usize>word(d, DZ + q);
      for (let m = 0; m < rows; m++) {
        const row = dz + (<usize>(m * n) << 2);
        for (let j = 0; j < n; j++) {
          const a = acc + (<usize>j << 3);
          store<f64>(a, load<f64>(a) + <f64>load<f32>(row + (<usize>j << 2)));
        }
      }
    }
    const db = <usize>word(d, DB);
    for (let j = 0; j < n; j++) store<f32>(db + (<usize>j << 2), <f32>load<f64>(acc + (<usize>j << 3)));
  }
}
