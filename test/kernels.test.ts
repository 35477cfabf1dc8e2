/**
 * The `cpu-fast` kernels (lib/kernels) against the stock tfjs cpu kernels on seeded random inputs.
 *
 * Tolerance: max |fast − stock| ≤ TOL · max(1, max |stock|), TOL = 1e-5. Both sum the same float32 products, in a
 * different order (SIMD lanes, tiles), so they differ by rounding only: a few ulps of the largest partial sum.
 * MaxPool / MaxPoolGrad pick the same element, so they must agree exactly (inputs with many ties check the rule).
 */
import { expect } from "chai";
import * as fs from "fs";
import type * as tfjs from "@tensorflow/tfjs";
import { tf, useBackend } from "../lib/tf";
import { filterGradient, kernelStats, layFilter, layFilter6, sumChannels } from "../lib/kernels/conv";
import { matmul2d } from "../lib/kernels/matmul";
import { REPLACED_KERNELS, FAST_BACKEND } from "../lib/kernels";
import { buildWasm, moduleText, SHARED_FLAGS, WASM_MODULE } from "../scripts/build-wasm";
import { createModel } from "../lib/model";
import { Rng } from "../lib/random";
import { fusedRmspropClass } from "../lib/kernels/rmsprop";
import { wasmPeakGflops, secondsAtPeak } from "../lib/kernels/peak";
import { setKernelThreads, workerParts, WORKER_SPIN_MS } from "../lib/kernels/threads";
import { kernelThreads, splitRange } from "../lib/kernels/parallel";
import { equalChannels, spreadChannels, trunkOf, trunkStages } from "../lib/kernels/trunk";
import { wasmArena } from "../lib/kernels/wasm";
import { PAPER } from "../lib/config";

const TOL = 1e-5;

/** Seeded values in [-1, 1); with `levels`, quantised to that many values (ties for max-pooling). */
function randomArray(n: number, seed: number, levels = 0): Float32Array {
  const rng = new Rng(seed);
  const r = () => rng.next();
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = levels > 0 ? Math.floor(r() * levels) / levels : r() * 2 - 1;
  return a;
}

type Inputs = Record<string, { shape: number[]; values: Float32Array }>;

/** Run `f` on `backend` with fresh tensors made from `inputs`; returns the result's shape and values. */
function runOn(
  backend: "cpu" | "cpu-fast",
  inputs: Inputs,
  f: (t: Record<string, tfjs.Tensor>) => tfjs.Tensor,
): { shape: number[]; values: Float32Array } {
  const prev = tf.getBackend();
  useBackend(backend);
  try {
    return tf.tidy(() => {
      const ts: Record<string, tfjs.Tensor> = {};
      for (const [k, v] of Object.entries(inputs)) ts[k] = tf.tensor(v.values, v.shape, "float32");
      const y = f(ts);
      return { shape: y.shape, values: y.dataSync() as Float32Array };
    });
  } finally {
    tf.setBackend(prev);
  }
}

function maxAbs(a: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** Compare fast vs stock; `exact` demands bit-equal values. Returns the relative error for reporting. */
function compare(
  inputs: Inputs,
  f: (t: Record<string, tfjs.Tensor>) => tfjs.Tensor,
  exact = false,
  expectFast = true,
): number {
  const ref = runOn("cpu", inputs, f);
  const before = { ...kernelStats };
  const got = runOn("cpu-fast", inputs, f);
  if (expectFast) expect(kernelStats.fast, "the fast kernel ran").to.be.greaterThan(before.fast);
  else expect(kernelStats.fallback, "the stock kernel was used").to.be.greaterThan(before.fallback);
  expect(got.shape).to.deep.equal(ref.shape);
  expect(got.values.length).to.equal(ref.values.length);
  let err = 0;
  for (let i = 0; i < ref.values.length; i++) {
    const g = got.values[i];
    const r = ref.values[i];
    const d = g === r || (Number.isNaN(g) && Number.isNaN(r)) ? 0 : Math.abs(g - r);
    if (!(d <= err)) err = Number.isNaN(d) ? Infinity : d;
  }
  const scale = Math.max(1, maxAbs(ref.values));
  if (exact) expect(err, "max abs diff (exact)").to.equal(0);
  else expect(err / scale, `max abs diff ${err} vs scale ${scale}`).to.be.at.most(TOL);
  return err / scale;
}

interface ConvCase {
  b: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  k: number;
  s: number;
  pad: "valid" | "same" | number | [[number, number], [number, number], [number, number], [number, number]];
}

/** The grid: kernel 1/3/5 × stride 1/2 × valid/same, each at two shapes (odd sizes, channels 1/3/6/16/64, batch 1–8). */
function convCases(): ConvCase[] {
  const shapes = [
    { b: 1, h: 7, w: 9, cin: 1, cout: 6 },
    { b: 3, h: 11, w: 8, cin: 3, cout: 16 },
    { b: 2, h: 9, w: 9, cin: 6, cout: 64 },
    { b: 8, h: 6, w: 7, cin: 16, cout: 1 },
    { b: 4, h: 10, w: 13, cin: 64, cout: 3 },
  ];
  const out: ConvCase[] = [];
  let i = 0;
  for (const k of [1, 3, 5]) {
    for (const s of [1, 2]) {
      for (const pad of ["valid", "same"] as const) {
        out.push({ ...shapes[i % shapes.length], k, s, pad });
        out.push({ ...shapes[(i + 2) % shapes.length], k, s, pad });
        i++;
      }
    }
  }
  // numeric and explicit padding
  out.push({ b: 2, h: 8, w: 7, cin: 3, cout: 6, k: 3, s: 1, pad: 1 });
  out.push({
    b: 2,
    h: 9,
    w: 8,
    cin: 6,
    cout: 16,
    k: 3,
    s: 2,
    pad: [
      [0, 0],
      [2, 1],
      [0, 2],
      [0, 0],
    ],
  });
  return out;
}

/** The paper's three convolutions at batch 8. */
const PAPER_CONVS: ConvCase[] = [
  { b: 8, h: 48, w: 48, cin: 3, cout: 6, k: 5, s: 1, pad: "valid" },
  { b: 8, h: 22, w: 22, cin: 6, cout: 16, k: 5, s: 1, pad: "valid" },
  { b: 8, h: 9, w: 9, cin: 16, cout: 64, k: 3, s: 1, pad: "valid" },
];

const name = (c: ConvCase) => `b${c.b} ${c.h}×${c.w}×${c.cin}→${c.cout} k${c.k} s${c.s} ${JSON.stringify(c.pad)}`;

function outSize(c: ConvCase): [number, number] {
  const info = tf.backend_util.computeConv2DInfo([c.b, c.h, c.w, c.cin], [c.k, c.k, c.cin, c.cout], c.s, 1, c.pad);
  return [info.outHeight, info.outWidth];
}

describe("cpu-fast kernels vs stock cpu", function () {
  this.timeout(60000);
  let seed = 1;
  const backendBefore = tf.getBackend();
  after(() => {
    tf.setBackend(backendBefore); // other test files share this process
  });

  it("cpu-fast replaces exactly the listed kernels and keeps every other stock kernel", () => {
    useBackend("cpu-fast");
    const stockNames = tf
      .getKernelsForBackend("cpu")
      .map((k) => k.kernelName)
      .sort();
    const fastNames = tf
      .getKernelsForBackend(FAST_BACKEND)
      .map((k) => k.kernelName)
      .sort();
    expect(fastNames).to.deep.equal(stockNames);
    for (const n of stockNames) {
      const same = tf.getKernel(n, FAST_BACKEND).kernelFunc === tf.getKernel(n, "cpu").kernelFunc;
      expect(same, n).to.equal(!REPLACED_KERNELS.includes(n));
    }
  });

  describe("Conv2D / FusedConv2D", () => {
    for (const c of [...convCases(), ...PAPER_CONVS]) {
      it(`conv2d ${name(c)}`, () => {
        const inputs: Inputs = {
          x: { shape: [c.b, c.h, c.w, c.cin], values: randomArray(c.b * c.h * c.w * c.cin, seed++) },
          w: { shape: [c.k, c.k, c.cin, c.cout], values: randomArray(c.k * c.k * c.cin * c.cout, seed++) },
          bias: { shape: [c.cout], values: randomArray(c.cout, seed++) },
        };
        compare(inputs, (t) => tf.conv2d(t.x as tfjs.Tensor4D, t.w as tfjs.Tensor4D, c.s, c.pad));
        compare(inputs, (t) =>
          tf.fused.conv2d({
            x: t.x as tfjs.Tensor4D,
            filter: t.w as tfjs.Tensor4D,
            strides: c.s,
            pad: c.pad,
            bias: t.bias,
            activation: "relu",
          }),
        );
        compare(inputs, (t) =>
          tf.fused.conv2d({
            x: t.x as tfjs.Tensor4D,
            filter: t.w as tfjs.Tensor4D,
            strides: c.s,
            pad: c.pad,
            bias: t.bias,
          }),
        );
        compare(inputs, (t) =>
          tf.fused.conv2d({
            x: t.x as tfjs.Tensor4D,
            filter: t.w as tfjs.Tensor4D,
            strides: c.s,
            pad: c.pad,
            activation: "relu",
          }),
        );
      });
    }
  });

  describe("Conv2DBackpropFilter / Conv2DBackpropInput", () => {
    for (const c of [...convCases(), ...PAPER_CONVS]) {
      it(`backprop ${name(c)}`, () => {
        const [oh, ow] = outSize(c);
        const inputs: Inputs = {
          x: { shape: [c.b, c.h, c.w, c.cin], values: randomArray(c.b * c.h * c.w * c.cin, seed++) },
          w: { shape: [c.k, c.k, c.cin, c.cout], values: randomArray(c.k * c.k * c.cin * c.cout, seed++) },
          dy: { shape: [c.b, oh, ow, c.cout], values: randomArray(c.b * oh * ow * c.cout, seed++) },
        };
        const attrs = {
          strides: c.s,
          pad: c.pad,
          dataFormat: "NHWC",
          dimRoundingMode: undefined,
        } as unknown as tfjs.NamedAttrMap;
        compare(
          inputs,
          (t) =>
            tf
              .engine()
              .runKernel(
                "Conv2DBackpropFilter",
                { x: t.x, dy: t.dy },
                { ...attrs, filterShape: t.w.shape },
              ) as tfjs.Tensor,
        );
        compare(
          inputs,
          (t) =>
            tf
              .engine()
              .runKernel(
                "Conv2DBackpropInput",
                { dy: t.dy, filter: t.w },
                { ...attrs, inputShape: t.x.shape },
              ) as tfjs.Tensor,
        );
      });
    }
  });

  describe("MaxPool / MaxPoolGrad (exact, inputs with ties)", () => {
    const cases: { b: number; h: number; w: number; c: number; f: number; s: number; pad: "valid" | "same" }[] = [
      { b: 8, h: 44, w: 44, c: 6, f: 2, s: 2, pad: "valid" },
      { b: 8, h: 7, w: 7, c: 64, f: 2, s: 2, pad: "valid" },
      { b: 3, h: 9, w: 8, c: 3, f: 3, s: 2, pad: "same" },
      { b: 2, h: 7, w: 5, c: 16, f: 3, s: 1, pad: "valid" },
      { b: 1, h: 5, w: 6, c: 1, f: 2, s: 1, pad: "same" },
      { b: 2, h: 6, w: 6, c: 6, f: 1, s: 1, pad: "valid" },
      { b: 8, h: 30, w: 27, c: 5, f: 3, s: 3, pad: "same" },
      { b: 8, h: 21, w: 19, c: 6, f: 2, s: 2, pad: "same" },
      { b: 4, h: 12, w: 12, c: 16, f: 3, s: 2, pad: "valid" },
    ];
    for (const c of cases) {
      it(`maxPool b${c.b} ${c.h}×${c.w}×${c.c} f${c.f} s${c.s} ${c.pad}`, () => {
        const xs = [c.b, c.h, c.w, c.c];
        const info = tf.backend_util.computePool2DInfo(xs as [number, number, number, number], c.f, c.s, 1, c.pad);
        const ys = info.outShape;
        const inputs: Inputs = {
          x: {
            shape: xs,
            values: randomArray(
              xs.reduce((a, b) => a * b),
              seed++,
              5,
            ),
          },
          dy: {
            shape: ys,
            values: randomArray(
              ys.reduce((a, b) => a * b),
              seed++,
            ),
          },
        };
        compare(inputs, (t) => tf.maxPool(t.x as tfjs.Tensor4D, c.f, c.s, c.pad), true);
        compare(
          inputs,
          (t) => {
            const y = tf.maxPool(t.x as tfjs.Tensor4D, c.f, c.s, c.pad);
            return tf.engine().runKernel("MaxPoolGrad", { dy: t.dy, input: t.x, output: y }, {
              filterSize: c.f,
              strides: c.s,
              pad: c.pad,
              dimRoundingMode: undefined,
            } as unknown as tfjs.NamedAttrMap) as tfjs.Tensor;
          },
          true,
        );
      });
    }
  });

  describe("BatchMatMul / _FusedMatMul", () => {
    const cases: { a: number[]; b: number[]; ta: boolean; tb: boolean }[] = [
      { a: [8, 576], b: [576, 128], ta: false, tb: false },
      { a: [8, 576], b: [8, 128], ta: true, tb: false },
      { a: [8, 128], b: [576, 128], ta: false, tb: true },
      { a: [1, 8, 128], b: [1, 128, 7], ta: false, tb: false },
      { a: [3, 9, 5], b: [3, 7, 9], ta: true, tb: true },
      { a: [2, 3, 4, 6], b: [1, 6, 3], ta: false, tb: false },
      { a: [1, 13], b: [13, 1], ta: false, tb: false },
    ];
    it("matmul2d into a given array: the same values, in that array; an array of another size is refused", () => {
      useBackend(FAST_BACKEND);
      const [x, g] = [randomArray(8 * 576, 61), randomArray(8 * 128, 62)];
      const fresh = matmul2d(x, g, 576, 8, 128, true, false);
      const out = new Float32Array(576 * 128).fill(7);
      expect(matmul2d(x, g, 576, 8, 128, true, false, out)).to.equal(out);
      expect(Array.from(out)).to.deep.equal(Array.from(fresh));
      expect(() => matmul2d(x, g, 576, 8, 128, true, false, new Float32Array(5))).to.throw("not 73728");
    });

    for (const c of cases) {
      it(`matMul ${JSON.stringify(c.a)}${c.ta ? "ᵀ" : ""} · ${JSON.stringify(c.b)}${c.tb ? "ᵀ" : ""}`, () => {
        const n = c.tb ? c.b[c.b.length - 2] : c.b[c.b.length - 1];
        const inputs: Inputs = {
          a: {
            shape: c.a,
            values: randomArray(
              c.a.reduce((p, q) => p * q),
              seed++,
            ),
          },
          b: {
            shape: c.b,
            values: randomArray(
              c.b.reduce((p, q) => p * q),
              seed++,
            ),
          },
          bias: { shape: [n], values: randomArray(n, seed++) },
        };
        compare(inputs, (t) => tf.matMul(t.a, t.b, c.ta, c.tb));
        if (c.a.length === 2 || c.a.length === 3) {
          compare(inputs, (t) =>
            tf.fused.matMul({
              a: t.a as tfjs.Tensor2D,
              b: t.b as tfjs.Tensor2D,
              transposeA: c.ta,
              transposeB: c.tb,
              bias: t.bias,
              activation: "relu",
            }),
          );
        }
      });
    }
  });

  describe("element-wise ops and Sum (exact)", () => {
    const pairs: [number[], number[]][] = [
      [
        [8, 44, 44, 6],
        [8, 44, 44, 6],
      ], // same shape
      [[576, 128], []], // scalar (learning rate, decay)
      [[], [5, 3]], // scalar first
      [[8, 18, 18, 16], [16]], // bias: a trailing-dims row
      [
        [8, 7],
        [8, 1],
      ], // a column (softmax normalisation)
      [
        [8, 1],
        [1, 7],
      ], // column × row: outer broadcast
      [
        [4, 5, 6],
        [5, 6],
      ], // a row of 30 against [4,5,6]
      // ≥ 1024 elements: the WebAssembly paths (same shape, scalar b, scalar a, bias row with a ragged tail)
      [[], [40, 40]],
      [[50, 44, 6], [6]],
      [
        [33, 31],
        [33, 31],
      ],
      [
        [300, 7],
        [300, 1],
      ], // a large column: the plain loop
    ];
    for (const [sa, sb] of pairs) {
      it(`Add/Sub/Multiply/RealDiv ${JSON.stringify(sa)} ∘ ${JSON.stringify(sb)}`, () => {
        const size = (s: number[]) => s.reduce((p, q) => p * q, 1);
        const inputs: Inputs = {
          a: { shape: sa, values: randomArray(size(sa), seed++) },
          b: { shape: sb, values: randomArray(size(sb), seed++) },
        };
        compare(inputs, (t) => tf.add(t.a, t.b), true);
        compare(inputs, (t) => tf.sub(t.a, t.b), true);
        compare(inputs, (t) => tf.mul(t.a, t.b), true);
        compare(inputs, (t) => tf.div(t.a, t.b), true);
      });
    }
    it("a broadcast it does not plan ([2,1,3] ∘ [4,1]) gives the stock result", () => {
      const inputs: Inputs = {
        a: { shape: [2, 1, 3], values: randomArray(6, seed++) },
        b: { shape: [4, 1], values: randomArray(4, seed++) },
      };
      compare(inputs, (t) => tf.mul(t.a, t.b), true, false);
    });
    for (const n of [1000, 93 * 47]) {
      it(`Relu, Step (relu gradient), Sqrt, Square, with NaN, ±0 and negatives (${n} elements)`, () => {
        const v = randomArray(n, seed++);
        v[0] = NaN;
        v[1] = -0;
        v[2] = 0;
        v[3] = -Infinity;
        v[n - 1] = NaN;
        v[n - 2] = -0;
        const inputs: Inputs = { x: { shape: [n], values: v } };
        compare(inputs, (t) => tf.relu(t.x), true);
        compare(inputs, (t) => tf.step(t.x, 0.25), true);
        compare(inputs, (t) => tf.sqrt(tf.abs(t.x)), true);
        compare(inputs, (t) => tf.square(t.x), true);
      });
    }
    it("Sum over leading axes (bias gradient), trailing axes and all axes, with keepDims", () => {
      const inputs: Inputs = { x: { shape: [8, 9, 7, 6], values: randomArray(8 * 9 * 7 * 6, seed++) } };
      compare(inputs, (t) => tf.sum(t.x, [0, 1, 2]), true);
      compare(inputs, (t) => tf.sum(t.x, 0, true), true);
      compare(inputs, (t) => tf.sum(t.x, [2, 3]), true);
      compare(inputs, (t) => tf.sum(t.x, -1, true), true);
      compare(inputs, (t) => tf.sum(t.x), true);
      // an odd row length (the wasm tail) and a small tensor (the plain loop)
      compare({ x: { shape: [50, 7, 5], values: randomArray(1750, seed++) } }, (t) => tf.sum(t.x, 0), true);
      compare({ x: { shape: [8, 7], values: randomArray(56, seed++) } }, (t) => tf.sum(t.x, 0), true);
    });
    it("Sum over middle axes gives the stock result", () => {
      const inputs: Inputs = { x: { shape: [4, 5, 6], values: randomArray(120, seed++) } };
      compare(inputs, (t) => tf.sum(t.x, 1), true, false);
    });
  });

  describe("GatherV2 (exact: the same elements, shape and dtype)", () => {
    // [x shape, indices shape, axis, batchDims]; the first is how training picks a batch of 8 images
    const cases: [number[], number[], number, number][] = [
      [[20, 48, 48, 3], [8], 0, 0],
      [[20, 7], [8], 0, 0],
      [[5, 6, 7], [4], 1, 0],
      [[5, 6, 7], [3, 2], 2, 0],
      [[5, 6, 7], [2, 3], -1, 0],
      [[4, 6, 5], [4, 3], 1, 1],
      [[3, 4, 5, 6], [3, 4, 2], 2, 2],
      [[6], [6], 0, 0],
      [[5, 2], [0], 0, 0],
    ];
    it("gathers like the stock kernel for float32, int32 and bool, any axis and batch dims, repeated indices", () => {
      const rng = new Rng(5);
      for (const [xs, is, axis, batchDims] of cases) {
        const ax = axis < 0 ? xs.length + axis : axis;
        const n = xs.reduce((a, b) => a * b, 1);
        const x = randomArray(n, seed++);
        const ind = Array.from({ length: is.reduce((a, b) => a * b, 1) }, () => Math.floor(rng.next() * xs[ax]));
        for (const dtype of ["float32", "int32", "bool"] as const) {
          const results = (["cpu", "cpu-fast"] as const).map((b) => {
            useBackend(b);
            return tf.tidy(() => {
              const y = tf.gather(
                tf
                  .tensor(x, xs)
                  .mul(dtype === "float32" ? 1 : 10)
                  .cast(dtype),
                tf.tensor(ind, is, "int32"),
                axis,
                batchDims,
              );
              return { shape: y.shape, dtype: y.dtype, values: Array.from(y.dataSync()) };
            });
          });
          expect(results[1], `${xs} ${is} axis ${axis} batchDims ${batchDims} ${dtype}`).to.deep.equal(results[0]);
        }
      }
      const before = kernelStats.fast;
      useBackend("cpu-fast");
      tf.tidy(() => tf.gather(tf.zeros([4, 3]), tf.tensor1d([1, 2], "int32")));
      expect(kernelStats.fast).to.equal(before + 1);
    });

    it("refuses an index out of range with the stock message", () => {
      for (const b of ["cpu", "cpu-fast"] as const) {
        useBackend(b);
        expect(() => tf.tidy(() => tf.gather(tf.zeros([4, 3]), tf.tensor1d([1, 4], "int32"))), b).to.throw(
          "GatherV2: the index value 4 is not in [0, 3]",
        );
      }
    });
  });

  describe("PadV2 (exact: the same elements, shape and dtype)", () => {
    // [x shape, paddings, constant]; the first is the detector's pad before a 3×3 convolution
    const cases: [number[], [number, number][], number][] = [
      [
        [1, 40, 40, 16],
        [
          [0, 0],
          [1, 1],
          [1, 1],
          [0, 0],
        ],
        0,
      ],
      [
        [2, 5, 6, 3],
        [
          [1, 0],
          [0, 2],
          [3, 1],
          [1, 1],
        ],
        0.5,
      ],
      [[7], [[2, 3]], -1],
      [
        [4, 5],
        [
          [0, 0],
          [0, 0],
        ],
        2,
      ],
      [
        [3, 0, 2],
        [
          [1, 1],
          [0, 1],
          [1, 0],
        ],
        1,
      ],
    ];
    it("pads like the stock kernel for float32, int32 and bool, any rank, zero or another constant", () => {
      for (const [xs, pads, value] of cases) {
        const x = randomArray(
          Math.max(
            1,
            xs.reduce((a, b) => a * b, 1),
          ),
          seed++,
        ).slice(
          0,
          xs.reduce((a, b) => a * b, 1),
        );
        for (const dtype of ["float32", "int32", "bool"] as const) {
          const c = dtype === "float32" ? value : Math.abs(Math.round(value));
          const results = (["cpu", "cpu-fast"] as const).map((b) => {
            useBackend(b);
            return tf.tidy(() => {
              const y = tf.pad(
                tf
                  .tensor(x, xs)
                  .mul(dtype === "float32" ? 1 : 10)
                  .cast(dtype),
                pads,
                dtype === "bool" ? Math.min(1, c) : c,
              );
              return { shape: y.shape, dtype: y.dtype, values: Array.from(y.dataSync()) };
            });
          });
          expect(results[1], `${xs} ${JSON.stringify(pads)} ${dtype}`).to.deep.equal(results[0]);
        }
      }
    });
  });

  describe("unsupported configurations give the stock result", () => {
    const x = { shape: [2, 9, 9, 3], values: randomArray(2 * 9 * 9 * 3, 901) };
    const w = { shape: [3, 3, 3, 4], values: randomArray(3 * 3 * 3 * 4, 902) };
    it("dilated conv2d", () => {
      compare(
        { x, w },
        (t) => tf.conv2d(t.x as tfjs.Tensor4D, t.w as tfjs.Tensor4D, 1, "valid", "NHWC", 2),
        false,
        false,
      );
    });
    it("NCHW conv2d", () => {
      compare(
        { x, w: { shape: [3, 3, 9, 4], values: randomArray(3 * 3 * 9 * 4, 903) } },
        (t) => tf.conv2d(t.x as tfjs.Tensor4D, t.w as tfjs.Tensor4D, 1, "valid", "NCHW"),
        false,
        false,
      );
    });
    it("fused conv2d with elu, leakyrelu and prelu activations", () => {
      const alpha = { shape: [4], values: randomArray(4, 904) };
      for (const activation of ["elu", "leakyrelu", "relu6"] as const) {
        compare(
          { x, w },
          (t) =>
            tf.fused.conv2d({
              x: t.x as tfjs.Tensor4D,
              filter: t.w as tfjs.Tensor4D,
              strides: 1,
              pad: "same",
              activation,
              leakyreluAlpha: 0.3,
            }),
          false,
          false,
        );
      }
      compare(
        { x, w, alpha },
        (t) =>
          tf.fused.conv2d({
            x: t.x as tfjs.Tensor4D,
            filter: t.w as tfjs.Tensor4D,
            strides: 1,
            pad: "same",
            activation: "prelu",
            preluActivationWeights: t.alpha,
          }),
        false,
        false,
      );
    });
    it("an empty batch", () => {
      compare(
        { x: { shape: [0, 9, 9, 3], values: new Float32Array(0) }, w },
        (t) => tf.conv2d(t.x as tfjs.Tensor4D, t.w as tfjs.Tensor4D, 1, "same"),
        false,
        false,
      );
    });
    it("fused conv2d with a broadcast (scalar) bias", () => {
      compare(
        { x, w, b: { shape: [], values: new Float32Array([0.25]) } },
        (t) =>
          tf.fused.conv2d({
            x: t.x as tfjs.Tensor4D,
            filter: t.w as tfjs.Tensor4D,
            strides: 1,
            pad: "valid",
            bias: t.b,
            activation: "relu",
          }),
        false,
        false,
      );
    });
  });

  describe("training the paper's CNN", () => {
    it("one step on cpu-fast gives the stock weights (batch 2)", async () => {
      const xs = randomArray(2 * 48 * 48 * 3, 1001).map((v) => (v + 1) / 2);
      const ys = new Float32Array(14);
      ys[3] = 1;
      ys[7 + 5] = 1;
      const train = async (backend: "cpu" | "cpu-fast") => {
        useBackend(backend);
        const m = createModel(0);
        // dropout off: its mask comes from a seeded generator whose state differs between the two models' lives
        (m.getLayer("dropout") as unknown as { rate: number }).rate = 0;
        m.compile({ optimizer: tf.train.rmsprop(0.001, 0.9, 0, 1e-7), loss: "categoricalCrossentropy" });
        const x = tf.tensor4d(xs, [2, 48, 48, 3]);
        const y = tf.tensor2d(ys, [2, 7]);
        const loss = (await m.trainOnBatch(x, y)) as number;
        const weights = m.getWeights().map((t) => t.dataSync().slice() as Float32Array);
        tf.dispose([x, y]);
        m.dispose();
        return { loss, weights };
      };
      const ref = await train("cpu");
      const got = await train("cpu-fast");
      expect(Math.abs(got.loss - ref.loss)).to.be.at.most(1e-5 * Math.max(1, ref.loss));
      expect(got.weights.length).to.equal(ref.weights.length);
      // RMSprop's first step moves each weight by ≈ lr·g/|g|·√10: compare the update, not just the weights.
      for (let i = 0; i < ref.weights.length; i++) {
        let d = 0;
        for (let j = 0; j < ref.weights[i].length; j++)
          d = Math.max(d, Math.abs(got.weights[i][j] - ref.weights[i][j]));
        expect(d, `weight ${i}`).to.be.at.most(1e-5);
      }
    });

    it("predict (FusedConv2D + _FusedMatMul inference path) gives the stock probabilities", () => {
      const xs = randomArray(4 * 48 * 48 * 3, 1003).map((v) => (v + 1) / 2);
      const predict = (backend: "cpu" | "cpu-fast") => {
        useBackend(backend);
        const m = createModel(2);
        const before = { ...kernelStats };
        const p = tf.tidy(
          () => (m.predict(tf.tensor4d(xs, [4, 48, 48, 3])) as tfjs.Tensor).dataSync().slice() as Float32Array,
        );
        const fastRuns = kernelStats.fast - before.fast;
        m.dispose();
        return { p, fastRuns };
      };
      const ref = predict("cpu");
      const got = predict("cpu-fast");
      expect(got.fastRuns, "fast kernels ran").to.be.greaterThan(0);
      expect(got.p.length).to.equal(28);
      for (let i = 0; i < 28; i++) expect(Math.abs(got.p[i] - ref.p[i]), `p[${i}]`).to.be.at.most(1e-5);
    });

    it("does not leak tensors: numTensors after 4 steps equals numTensors after the first", async () => {
      useBackend("cpu-fast");
      const m = createModel(1);
      m.compile({ optimizer: tf.train.rmsprop(0.001, 0.9, 0, 1e-7), loss: "categoricalCrossentropy" });
      const x = tf.tensor4d(randomArray(8 * 48 * 48 * 3, 1002), [8, 48, 48, 3]);
      const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 0], "int32"), 7).toFloat();
      await m.trainOnBatch(x, y);
      const after1 = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) await m.trainOnBatch(x, y);
      expect(tf.memory().numTensors).to.equal(after1);
      tf.dispose([x, y]);
      m.dispose();
    });
  });

  describe("WebAssembly build", () => {
    it("the committed lib/kernels/wasm-binary.ts equals a fresh build of asm/conv.ts", function () {
      this.timeout(60000);
      expect(fs.readFileSync(WASM_MODULE, "utf8")).to.equal(moduleText(buildWasm(), buildWasm(SHARED_FLAGS)));
    });
  });
});

describe("two kernel threads (lib/kernels/threads.ts, parallel.ts) and the trunk (trunk.ts)", function () {
  this.timeout(120_000);
  const backendBefore = tf.getBackend();
  before(() => useBackend("cpu-fast"));
  after(() => {
    setKernelThreads(1);
    tf.setBackend(backendBefore);
  });

  it("splitRange halves a count for two threads (the first part the larger) and keeps it whole for one", () => {
    expect(splitRange(8, 2)).to.deep.equal([
      [0, 4],
      [4, 8],
    ]);
    expect(splitRange(5, 2)).to.deep.equal([
      [0, 3],
      [3, 5],
    ]);
    expect(splitRange(1, 2)).to.deep.equal([[0, 1]]);
    expect(splitRange(8, 1)).to.deep.equal([[0, 8]]);
  });

  it("every convolution gives the same bits on two threads as on one, and the second thread ran its parts", () => {
    let seed = 500;
    for (const c of [...convCases(), ...PAPER_CONVS, { ...PAPER_CONVS[1], b: 5 }]) {
      const [oh, ow] = outSize(c);
      const x = tf.tensor4d(randomArray(c.b * c.h * c.w * c.cin, seed++), [c.b, c.h, c.w, c.cin]);
      const w = tf.tensor4d(randomArray(c.k * c.k * c.cin * c.cout, seed++), [c.k, c.k, c.cin, c.cout]);
      const bias = tf.tensor1d(randomArray(c.cout, seed++));
      const dy = tf.tensor4d(randomArray(c.b * oh * ow * c.cout, seed++), [c.b, oh, ow, c.cout]);
      const attrs = { strides: c.s, pad: c.pad, dataFormat: "NHWC", dimRoundingMode: undefined } as const;
      const run = () =>
        [
          tf.conv2d(x, w, c.s, c.pad),
          tf.fused.conv2d({ x, filter: w, strides: c.s, pad: c.pad, bias, activation: "relu" }),
          tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, { ...attrs, filterShape: w.shape } as never),
          tf.engine().runKernel("Conv2DBackpropInput", { dy, filter: w }, { ...attrs, inputShape: x.shape } as never),
        ].map((t) => {
          const v = Array.from((t as tfjs.Tensor).dataSync());
          (t as tfjs.Tensor).dispose();
          return v;
        });
      setKernelThreads(1);
      const one = run();
      setKernelThreads(2);
      const parts = workerParts();
      const two = run();
      if (c.b > 1) expect(workerParts(), name(c)).to.be.greaterThan(parts);
      expect(two, name(c)).to.deep.equal(one);
      tf.dispose([x, w, bias, dy]);
    }
  });

  it("the second thread takes parts while it polls for them and after it has gone to sleep", async () => {
    const c = PAPER_CONVS[1];
    const x = tf.tensor4d(randomArray(8 * c.h * c.w * c.cin, 90), [8, c.h, c.w, c.cin]);
    const w = tf.tensor4d(randomArray(c.k * c.k * c.cin * c.cout, 91), [c.k, c.k, c.cin, c.cout]);
    const run = () => {
      const t = tf.conv2d(x, w, c.s, c.pad);
      const v = Array.from(t.dataSync());
      t.dispose();
      return v;
    };
    const before = kernelThreads();
    setKernelThreads(1);
    const one = run();
    setKernelThreads(2);
    for (const pauseMs of [0, 0, 5 * WORKER_SPIN_MS + 20, 0, 5 * WORKER_SPIN_MS + 20]) {
      await new Promise((r) => setTimeout(r, pauseMs));
      const parts = workerParts();
      expect(run(), `after ${pauseMs} ms`).to.deep.equal(one);
      expect(workerParts(), `after ${pauseMs} ms`).to.be.greaterThan(parts);
    }
    setKernelThreads(before);
    tf.dispose([x, w]);
  });

  it("finds the paper's trunk: three conv → ReLU → pool stages, with their sizes", () => {
    const m = createModel(0);
    expect(trunkStages(m)).to.deep.equal([
      { H: 48, W: 48, C: 3, K: 5, N: 6, P: 2 },
      { H: 22, W: 22, C: 6, K: 5, N: 16, P: 2 },
      { H: 9, W: 9, C: 16, K: 3, N: 64, P: 2 },
    ]);
    m.dispose();
  });

  it("finds no trunk in a model with batch normalisation, padding, strides, another activation or no Flatten", () => {
    const bn = createModel(0, { ...PAPER, arch: { ...PAPER.arch, batchNorm: true } });
    expect(trunkStages(bn)).to.equal(undefined);
    bn.dispose();
    const variant = (conv: Record<string, unknown>, flatten = true) => {
      const m = tf.sequential();
      m.add(tf.layers.conv2d({ inputShape: [12, 12, 3], filters: 4, kernelSize: 3, activation: "relu", ...conv }));
      m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
      if (flatten) m.add(tf.layers.flatten());
      else m.add(tf.layers.globalAveragePooling2d({}));
      m.add(tf.layers.dense({ units: 2 }));
      const found = trunkStages(m);
      m.dispose();
      return found;
    };
    expect(variant({})).to.deep.equal([{ H: 12, W: 12, C: 3, K: 3, N: 4, P: 2 }]); // the check's own control
    expect(variant({ padding: "same" })).to.equal(undefined);
    expect(variant({ strides: 2 })).to.equal(undefined);
    expect(variant({ activation: "elu" })).to.equal(undefined);
    expect(variant({ useBias: false })).to.equal(undefined);
    expect(variant({}, false)).to.equal(undefined);
  });

  it("equalChannels: grey RGB pixels pass; one changed bit, or -0 beside +0, fails; equalChannels3 agrees", () => {
    const a = wasmArena();
    const rng = new Rng(77);
    for (const pixels of [1, 3, 4, 5, 7, 8, 9, 2304]) {
      const x = new Float32Array(pixels * 3);
      for (let i = 0; i < pixels; i++) x[3 * i] = x[3 * i + 1] = x[3 * i + 2] = rng.next();
      const both = (v: Float32Array) => {
        const p = a.alloc(v.length + 8); // equalChannels3 reads one float past its last vector
        a.view(p, v.length).set(v);
        return [equalChannels(v, 3), a.fn.equalChannels3(p, pixels) === 1];
      };
      expect(both(x), `${pixels} grey pixels`).to.deep.equal([true, true]);
      for (const at of [0, Math.floor(pixels / 2), pixels - 1])
        for (const c of [0, 1, 2]) {
          const y = x.slice();
          const u = new Uint32Array(y.buffer);
          u[3 * at + c] ^= 1; // the lowest bit of one channel of one pixel
          expect(both(y), `${pixels} pixels, pixel ${at} channel ${c}`).to.deep.equal([false, false]);
        }
      const z = x.slice();
      z[3 * (pixels - 1)] = 0;
      z[3 * (pixels - 1) + 1] = -0;
      z[3 * (pixels - 1) + 2] = 0;
      expect(both(z), `${pixels} pixels, -0 beside +0`).to.deep.equal([false, false]);
    }
    expect(equalChannels(new Float32Array([1, 1, 2, 2]), 2)).to.equal(true);
    expect(equalChannels(new Float32Array([1, 1, 2, 3]), 2)).to.equal(false);
    expect(equalChannels(new Float32Array([1, 2]), 1)).to.equal(false); // one channel: nothing to share
  });

  it("convForward6 (6 channels as 12-lane pairs) has convForward's bits, with and without bias and ReLU", () => {
    const a = wasmArena();
    let seed = 400;
    // the paper's first stage on 2 images, and 3×3 over 2 channels on 11×9 (63 pixels: the last tile part-filled)
    for (const c of [
      { B: 2, H: 48, W: 48, C: 3, K: 5 },
      { B: 1, H: 11, W: 9, C: 2, K: 3 },
    ]) {
      const [OH, OW] = [c.H - c.K + 1, c.W - c.K + 1];
      const M = c.B * OH * OW;
      const rows = c.K * c.K * c.C;
      const x = randomArray(c.B * c.H * c.W * c.C, seed++);
      const w = randomArray(rows * 6, seed++);
      const px = a.alloc(x.length + 16),
        pw = a.alloc(rows * 8),
        pw6 = a.alloc(rows * 12),
        pb = a.alloc(8);
      const py = a.alloc(M * 8 + 16),
        py6 = a.alloc(M * 8 + 16);
      a.view(px, x.length).set(x);
      layFilter(a.view(pw, rows * 8), w, rows, 6, 8);
      layFilter6(a.view(pw6, rows * 12), w, rows);
      for (const [bias, relu] of [
        [new Float32Array(8), 0],
        [Float32Array.from([0.1, -0.2, 0.3, -0.4, 0.5, -0.6, 0, 0]), 1],
      ] as const) {
        a.view(pb, 8).set(bias);
        a.fn.convForward(px, pw, pb, py, c.B, c.H, c.W, c.C, OH, OW, 8, c.K, c.K, 1, 1, relu);
        a.fn.convForward6(px, pw6, pb, py6, c.B, c.H, c.W, c.C, OH, OW, c.K, c.K, 1, 1, relu, 0);
        const [y, y6] = [a.view(py, M * 8), a.view(py6, M * 8)];
        const live = (v: Float32Array) => Array.from(v).filter((_, i) => i % 8 < 6);
        expect(live(y6), `${JSON.stringify(c)}, relu ${relu}`).to.deep.equal(live(y));
        expect(
          Array.from(y6)
            .filter((_, i) => i % 8 >= 6)
            .every((v) => v === 0),
        ).to.equal(true);
      }
    }
  });

  it("convForward6 with grey: channel 0 against the filter summed over the channels (sumChannels: tf.sum's bits) is convForward of that plane, bit for bit", () => {
    const a = wasmArena();
    let seed = 420;
    for (const c of [
      { B: 2, H: 48, W: 48, C: 3, K: 5 },
      { B: 1, H: 11, W: 9, C: 2, K: 3 },
    ]) {
      const [OH, OW] = [c.H - c.K + 1, c.W - c.K + 1];
      const M = c.B * OH * OW;
      const E = c.K * c.K;
      const x = randomArray(c.B * c.H * c.W * c.C, seed++); // channels need not be equal: only channel 0 is read
      const w = randomArray(E * c.C * 6, seed++);
      const w1 = sumChannels(w, E, c.C, 6);
      const want = runOn("cpu", { w: { shape: [c.K, c.K, c.C, 6], values: w } }, (t) => tf.sum(t.w, 2));
      expect(Array.from(w1)).to.deep.equal(Array.from(want.values));
      const plane = x.filter((_, i) => i % c.C === 0);
      const px = a.alloc(x.length + 16),
        pp = a.alloc(plane.length + 16),
        pw = a.alloc(E * 8),
        pw1 = a.alloc(E * 12),
        pb = a.alloc(8);
      const py = a.alloc(M * 8 + 16),
        pg = a.alloc(M * 8 + 16);
      a.view(px, x.length).set(x);
      a.view(pp, plane.length).set(plane);
      layFilter(a.view(pw, E * 8), w1, E, 6, 8);
      layFilter6(a.view(pw1, E * 12), w1, E);
      for (const [bias, relu] of [
        [new Float32Array(8), 0],
        [Float32Array.from([0.1, -0.2, 0.3, -0.4, 0.5, -0.6, 0, 0]), 1],
      ] as const) {
        a.view(pb, 8).set(bias);
        a.fn.convForward(pp, pw, pb, py, c.B, c.H, c.W, 1, OH, OW, 8, c.K, c.K, 1, 1, relu);
        a.fn.convForward6(px, pw1, pb, pg, c.B, c.H, c.W, c.C, OH, OW, c.K, c.K, 1, 1, relu, 1);
        const live = (v: Float32Array) => Array.from(v).filter((_, i) => i % 8 < 6);
        expect(live(a.view(pg, M * 8)), `${JSON.stringify(c)}, relu ${relu}`).to.deep.equal(live(a.view(py, M * 8)));
      }
    }
  });

  it("the filter gradient of an input with equal channels, computed once per grey value, has the general kernel's bits", () => {
    const a = wasmArena();
    let seed = 300;
    // the paper's first stage, and 3×3 filters over 2 channels to 5 (12 entries for 9: the last tile part-filled)
    for (const c of [
      { H: 48, W: 48, C: 3, K: 5, N: 6 },
      { H: 11, W: 9, C: 2, K: 3, N: 5 },
    ]) {
      const [OH, OW, NP, E] = [c.H - c.K + 1, c.W - c.K + 1, Math.ceil(c.N / 8) * 8, c.K * c.K];
      const KWCP = Math.ceil((c.K * c.C) / 4) * 4;
      const tiles = Math.ceil(E / 4);
      const images = [0, 1].map(() => {
        const grey = randomArray(c.H * c.W, seed++);
        const x = new Float32Array(c.H * c.W * c.C).map((_, i) => grey[Math.floor(i / c.C)]);
        return { x, dy: randomArray(OH * OW * c.N, seed++) };
      });
      const px = a.alloc(c.H * c.W * c.C + 16),
        pdy = a.alloc(OH * OW * c.N + 16);
      const pdw = a.alloc(c.K * KWCP * NP),
        pg = a.alloc(tiles * 4 * NP);
      images.forEach(({ x, dy }, b) => {
        a.view(px, x.length).set(x);
        a.view(pdy, dy.length).set(dy);
        const zero = b === 0 ? 1 : 0; // the second image's sums go on from the first's
        a.fn.convBackpropFilter(
          px,
          pdy,
          pdw,
          1,
          c.H,
          c.W,
          c.C,
          OH,
          OW,
          c.N,
          NP,
          c.K,
          c.K,
          1,
          1,
          0,
          (c.K * KWCP) / 4,
          zero,
        );
        // in two tile ranges, as two threads would take them
        const mid = Math.floor(tiles / 2);
        a.fn.convBackpropFilterEqualChannels(px, pdy, pg, c.W, c.C, OH, OW, c.N, NP, c.K, c.K, 0, mid, zero);
        a.fn.convBackpropFilterEqualChannels(px, pdy, pg, c.W, c.C, OH, OW, c.N, NP, c.K, c.K, mid, tiles, zero);
      });
      const general = filterGradient(a.view(pdw, c.K * KWCP * NP), c.K, c.K * c.C, c.N, KWCP, NP);
      const once = spreadChannels(a.view(pg, tiles * 4 * NP), E, c.C, c.N, NP);
      expect(Array.from(once), JSON.stringify(c)).to.deep.equal(Array.from(general));
      expect(general.some((v) => v !== 0)).to.equal(true);
    }
  });

  it("work given to the trunk's backward pass runs while the second thread starts it; a failure in it comes after", () => {
    const m = createModel(3);
    const x = tf.tensor4d(
      randomArray(8 * 48 * 48 * 3, 41).map((v) => (v + 1) / 2),
      [8, 48, 48, 3],
    );
    const d = randomArray(8 * 3 * 3 * 64, 42);
    const grads = (during?: () => void) => {
      const t = trunkOf(tf, m)!;
      t.forward(x);
      return t.backward(d, during).map((g) => Array.from(g));
    };
    setKernelThreads(1);
    const want = grads();
    for (const threads of [1, 2]) {
      setKernelThreads(threads);
      const parts = workerParts();
      let ran = 0;
      expect(
        grads(() => ran++),
        `${threads} thread(s)`,
      ).to.deep.equal(want);
      expect(ran).to.equal(1);
      if (threads === 2) expect(workerParts()).to.be.greaterThan(parts);
      expect(() =>
        grads(() => {
          throw new Error("during failed");
        }),
      ).to.throw("during failed");
      expect(grads(), `${threads} thread(s), after a failure`).to.deep.equal(want);
    }
    setKernelThreads(1);
    x.dispose();
    m.dispose();
  });

  it("a reserved buffer outlives the kernel calls that reset the arena after it", () => {
    const a = wasmArena();
    const p = a.reserve(64);
    a.view(p, 64).fill(7);
    tf.tidy(() =>
      tf.conv2d(tf.ones([2, 9, 9, 3]) as tfjs.Tensor4D, tf.ones([3, 3, 3, 8]) as tfjs.Tensor4D, 1, "valid").dataSync(),
    );
    const q = wasmArena().alloc(64);
    expect(q).to.be.greaterThan(p);
    expect(Array.from(a.view(p, 64))).to.deep.equal(Array(64).fill(7));
  });
});

describe("cpu-fast Transform (tf.image.transform, the augmentation's warp)", () => {
  /**
   * Random transforms around the identity, one row of 8 per image: near-affine (small projective terms), or affine
   * (projective terms 0, as the augmentation's: the kernel's fast path for RGB images).
   */
  function transforms(n: number, seed: number, affine = false): Float32Array {
    const r = new Rng(seed);
    const out = new Float32Array(n * 8);
    for (let i = 0; i < n; i++) {
      const t = [
        1 + r.uniform(-0.3, 0.3),
        r.uniform(-0.4, 0.4),
        r.uniform(-8, 8),
        r.uniform(-0.4, 0.4),
        1 + r.uniform(-0.3, 0.3),
        r.uniform(-8, 8),
        affine ? 0 : r.uniform(-0.004, 0.004),
        affine ? 0 : r.uniform(-0.004, 0.004),
      ];
      out.set(t, i * 8);
    }
    return out;
  }
  const modes = ["constant", "nearest", "reflect", "wrap"] as const;
  const cases = [
    { interpolation: "bilinear", fillMode: "nearest", affine: true, C: 3, fill: 0.25 },
    { interpolation: "bilinear", fillMode: "nearest", affine: true, C: 3, fill: 0.1 }, // 0.1 is no float32
    { interpolation: "bilinear", fillMode: "nearest", affine: true, C: 1, fill: 0.25 },
    ...(["bilinear", "nearest"] as const).flatMap((interpolation) =>
      modes.map((fillMode) => ({ interpolation, fillMode, affine: false, C: 3, fill: 0.25 })),
    ),
  ] as const;
  for (const { interpolation, fillMode, affine, C, fill } of cases) {
    const what = `${interpolation}, fill ${fillMode}, ${affine ? "affine" : "projective"}, ${C} channel(s), fill value ${fill}`;
    it(`${what}: every image equals the stock kernel on that image alone, bit for bit`, () => {
      const [B, H, W] = [3, 13, 17];
      const img = randomArray(B * H * W * C, 11);
      const t = transforms(B, 12, affine);
      const fast = runOn(
        "cpu-fast",
        { img: { shape: [B, H, W, C], values: img }, t: { shape: [B, 8], values: t } },
        (x) =>
          tf.image.transform(x.img as tfjs.Tensor4D, x.t as tfjs.Tensor2D, interpolation, fillMode, fill, [11, 19]),
      );
      expect(fast.shape).to.deep.equal([B, 11, 19, C]);
      const per = 11 * 19 * C;
      for (let b = 0; b < B; b++) {
        // the stock kernel is only right for a batch of one (see lib/kernels/transform.ts)
        const ref = runOn(
          "cpu",
          {
            img: { shape: [1, H, W, C], values: img.subarray(b * H * W * C, (b + 1) * H * W * C) },
            t: { shape: [1, 8], values: t.subarray(b * 8, b * 8 + 8) },
          },
          (x) =>
            tf.image.transform(x.img as tfjs.Tensor4D, x.t as tfjs.Tensor2D, interpolation, fillMode, fill, [11, 19]),
        );
        expect(Array.from(fast.values.subarray(b * per, (b + 1) * per))).to.deep.equal(Array.from(ref.values));
      }
    });
  }

  it("one transform row applies to every image of the batch", () => {
    const img = randomArray(2 * 8 * 8 * 1, 3);
    const t = transforms(1, 4);
    const got = runOn("cpu-fast", { img: { shape: [2, 8, 8, 1], values: img }, t: { shape: [1, 8], values: t } }, (x) =>
      tf.image.transform(x.img as tfjs.Tensor4D, x.t as tfjs.Tensor2D, "bilinear", "nearest"),
    );
    const second = runOn(
      "cpu-fast",
      { img: { shape: [1, 8, 8, 1], values: img.subarray(64) }, t: { shape: [1, 8], values: t } },
      (x) => tf.image.transform(x.img as tfjs.Tensor4D, x.t as tfjs.Tensor2D, "bilinear", "nearest"),
    );
    expect(Array.from(got.values.subarray(64))).to.deep.equal(Array.from(second.values));
  });

  it("the stock cpu kernel of tfjs 4.22 warps only the first image of a batch (why this kernel exists)", () => {
    const img = randomArray(2 * 6 * 6 * 1, 5).map((v) => v + 2); // no zeros
    const identity = new Float32Array([1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]);
    const stock = runOn(
      "cpu",
      { img: { shape: [2, 6, 6, 1], values: img }, t: { shape: [2, 8], values: identity } },
      (x) => tf.image.transform(x.img as tfjs.Tensor4D, x.t as tfjs.Tensor2D, "bilinear", "nearest"),
    );
    expect(Array.from(stock.values.subarray(0, 36))).to.deep.equal(Array.from(img.subarray(0, 36)));
    expect(Array.from(stock.values.subarray(36)).every((v) => v === 0)).to.equal(true);
    const fast = runOn(
      "cpu-fast",
      { img: { shape: [2, 6, 6, 1], values: img }, t: { shape: [2, 8], values: identity } },
      (x) => tf.image.transform(x.img as tfjs.Tensor4D, x.t as tfjs.Tensor2D, "bilinear", "nearest"),
    );
    expect(Array.from(fast.values)).to.deep.equal(Array.from(img));
  });
});

describe("fused RMSprop (lib/kernels/rmsprop.ts)", () => {
  it("gives tf.train.rmsprop's float32 bits, step after step, for several shapes and gradient sizes (incl. zero and tiny)", () => {
    const FusedRMSProp = fusedRmspropClass(tf);
    const rng = new Rng(11);
    const shapes = [[5, 5, 3, 6], [6], [576, 128], [7], [3, 3, 16, 64], [1]];
    for (const [lr, rho, eps, momentum] of [
      [0.001, 0.9, 1e-7, 0],
      [0.01, 0.95, 1e-8, 0.5],
    ]) {
      const init = shapes.map((s) =>
        Float32Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => rng.uniform(-1, 1)),
      );
      const stockVars = shapes.map((s, i) => tf.variable(tf.tensor(init[i], s), true, `stock_${lr}_${i}`));
      const fusedVars = shapes.map((s, i) => tf.variable(tf.tensor(init[i], s), true, `fused_${lr}_${i}`));
      const stock = tf.train.rmsprop(lr, rho, momentum, eps);
      const fusedOpt = new FusedRMSProp(lr, rho, momentum, eps);
      for (let step = 0; step < 40; step++) {
        const scale = [1, 1e-3, 1e-6, 0, 10][step % 5];
        const grads = shapes.map((s) =>
          Float32Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => scale * rng.uniform(-1, 1)),
        );
        tf.tidy(() =>
          stock.applyGradients(Object.fromEntries(stockVars.map((v, i) => [v.name, tf.tensor(grads[i], shapes[i])]))),
        );
        tf.tidy(() =>
          fusedOpt.applyGradients(
            Object.fromEntries(fusedVars.map((v, i) => [v.name, tf.tensor(grads[i], shapes[i])])),
          ),
        );
      }
      stockVars.forEach((v, i) =>
        expect(Array.from(fusedVars[i].dataSync()), `shape ${shapes[i]}`).to.deep.equal(Array.from(v.dataSync())),
      );
      tf.dispose([...stockVars, ...fusedVars]);
      stock.dispose();
      fusedOpt.dispose();
    }
  });

  it("gives the stock bits while mean squares decay through the subnormals (the float64 path of β·a)", async () => {
    // Each weight gets one gradient of size 10^-k (k = 11…19) and then 0 or, for some, a tiny or an ordinary one:
    // its mean square shrinks by β every step, through the subnormals (below 2^-126) to 0, in mixed vectors.
    const FusedRMSProp = fusedRmspropClass(tf);
    const rng = new Rng(13);
    const n = 203; // not a multiple of 4: the last vector is part slack
    const stockVar = tf.variable(tf.zeros([n]), true, "subnormal_stock");
    const fusedVar = tf.variable(tf.zeros([n]), true, "subnormal_fused");
    const stock = tf.train.rmsprop(0.001, 0.9, 0, 1e-7);
    const fusedOpt = new FusedRMSProp(0.001, 0.9, 0, 1e-7);
    const first = Float32Array.from({ length: n }, (_, i) => (rng.uniform(-1, 1) < 0 ? -1 : 1) * 10 ** -(11 + (i % 9)));
    let sawSubnormal = 0;
    for (let step = 0; step < 420; step++) {
      const g =
        step === 0
          ? first
          : Float32Array.from({ length: n }, (_, i) => (i % 17 === 0 ? rng.uniform(-1, 1) : i % 23 === 0 ? 1e-25 : 0));
      tf.tidy(() => stock.applyGradients({ [stockVar.name]: tf.tensor1d(g) }));
      fusedOpt.applyArrays([fusedVar], [g]);
      const ms = (await fusedOpt.getWeights())[1].tensor; // [iterations, mean squares, moments]
      sawSubnormal += Array.from(ms.dataSync()).filter((a) => a > 0 && a < 2 ** -126).length;
    }
    expect(sawSubnormal, "mean squares that were subnormal, summed over steps").to.be.greaterThan(1000);
    const states = (o: tfjs.Optimizer) => o.getWeights().then((ws) => ws.map((w) => Array.from(w.tensor.dataSync())));
    return Promise.all([states(stock), states(fusedOpt)]).then(([a, b]) => {
      expect(b, "the optimiser's state").to.deep.equal(a);
      expect(Array.from(fusedVar.dataSync()), "the weights").to.deep.equal(Array.from(stockVar.dataSync()));
      tf.dispose([stockVar, fusedVar]);
      stock.dispose();
      fusedOpt.dispose();
    });
  });

  it("applyArrays gives applyGradients' bits, writes in place, and leaves a clone of a weight as it was", () => {
    const FusedRMSProp = fusedRmspropClass(tf);
    const rng = new Rng(12);
    const shapes = [[5, 5, 3, 6], [6], [576, 128], [7]];
    const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
    const init = shapes.map((s) => Float32Array.from({ length: size(s) }, () => rng.uniform(-1, 1)));
    const stockVars = shapes.map((s, i) => tf.variable(tf.tensor(init[i], s), true, `arrays_stock_${i}`));
    const fusedVars = shapes.map((s, i) => tf.variable(tf.tensor(init[i], s), true, `arrays_fused_${i}`));
    const stock = tf.train.rmsprop(0.001, 0.9, 0, 1e-7);
    const fusedOpt = new FusedRMSProp(0.001, 0.9, 0, 1e-7);
    let kept: tfjs.Tensor | undefined;
    let keptBits: number[] = [];
    const ids = new Set<object>();
    for (let step = 0; step < 30; step++) {
      const grads = shapes.map((s) => Float32Array.from({ length: size(s) }, () => rng.uniform(-1, 1)));
      tf.tidy(() =>
        stock.applyGradients(Object.fromEntries(stockVars.map((v, i) => [v.name, tf.tensor(grads[i], shapes[i])]))),
      );
      if (step === 10) {
        kept = fusedVars[2].clone(); // as BestWeights keeps the best epoch's weights
        keptBits = Array.from(kept.dataSync());
      }
      const before = tf.memory().numTensors;
      fusedOpt.applyArrays(fusedVars, grads);
      if (step > 0) expect(tf.memory().numTensors, "no tensor made or left").to.equal(before);
      if (step > 0 && step !== 11) ids.add(fusedVars[0].dataId); // after the clone, one new tensor, then in place
    }
    stockVars.forEach((v, i) =>
      expect(Array.from(fusedVars[i].dataSync()), `shape ${shapes[i]}`).to.deep.equal(Array.from(v.dataSync())),
    );
    expect(ids.size, "the first variable kept its storage").to.equal(1);
    expect(Array.from(kept!.dataSync()), "the clone").to.deep.equal(keptBits);
    expect(Array.from(kept!.dataSync())).to.not.deep.equal(Array.from(fusedVars[2].dataSync()));
    tf.dispose([...stockVars, ...fusedVars, kept!]);
    stock.dispose();
    fusedOpt.dispose();
  });

  it("keeps each optimiser's state apart in the module's memory: two alternating, a thread switch, setWeights", async () => {
    const FusedRMSProp = fusedRmspropClass(tf);
    const rng = new Rng(14);
    const shapes = [[5, 5, 3, 6], [6], [64]];
    const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
    const init = shapes.map((s) => Float32Array.from({ length: size(s) }, () => rng.uniform(-1, 1)));
    const vars = (tag: string) =>
      shapes.map((s, i) => tf.variable(tf.tensor(init[i], s), true, `resident_${tag}_${i}`));
    // two models trained alternately, each by a fused optimiser and, for reference, by the stock one
    const [fa, fb, sa, sb] = ["fa", "fb", "sa", "sb"].map(vars);
    let ofa = new FusedRMSProp(0.001, 0.9, 0, 1e-7);
    const ofb = new FusedRMSProp(0.001, 0.9, 0, 1e-7);
    const [osa, osb] = [tf.train.rmsprop(0.001, 0.9, 0, 1e-7), tf.train.rmsprop(0.001, 0.9, 0, 1e-7)];
    const stockStep = (o: tfjs.Optimizer, v: tfjs.Variable[], g: Float32Array[]) =>
      tf.tidy(() => o.applyGradients(Object.fromEntries(v.map((x, i) => [x.name, tf.tensor(g[i], shapes[i])]))));
    const states = async (o: tfjs.Optimizer) => (await o.getWeights()).map((w) => Array.from(w.tensor.dataSync()));
    for (let step = 0; step < 24; step++) {
      if (step === 8) setKernelThreads(2); // another arena: the state moves with the owner
      if (step === 12) setKernelThreads(1);
      const saved = async (o: tfjs.Optimizer) =>
        (await o.getWeights()).map((w) => ({ name: w.name, tensor: w.tensor.clone() }));
      if (step === 16) {
        // a state set from outside, on the optimiser whose state is in the module (b stepped last): b and its
        // reference both take a's
        const state = await saved(osa);
        await ofb.setWeights(state.map((w) => ({ ...w, tensor: w.tensor.clone() })));
        await osb.setWeights(state);
      }
      if (step === 20) {
        // a resume: a fresh optimiser takes a's state through getWeights and setWeights
        const state = await saved(ofa);
        ofa.dispose();
        ofa = new FusedRMSProp(0.001, 0.9, 0, 1e-7);
        await ofa.setWeights(state);
      }
      for (const [fused, stock, fv, sv] of [
        [ofa, osa, fa, sa],
        [ofb, osb, fb, sb],
      ] as const) {
        const g = shapes.map((s) => Float32Array.from({ length: size(s) }, () => rng.uniform(-1, 1)));
        fused.applyArrays(fv, g);
        stockStep(stock, sv, g);
      }
      if (step % 5 === 0) expect(await states(ofb), `b's state after step ${step}`).to.deep.equal(await states(osb));
    }
    for (const [fv, sv] of [
      [fa, sa],
      [fb, sb],
    ])
      fv.forEach((v, i) => expect(Array.from(v.dataSync())).to.deep.equal(Array.from(sv[i].dataSync())));
    expect(await states(ofa)).to.deep.equal(await states(osa));
    expect(await states(ofb)).to.deep.equal(await states(osb));
    tf.dispose([...fa, ...fb, ...sa, ...sb]);
    [ofa, ofb, osa, osb].forEach((o) => o.dispose());
    setKernelThreads(1);
  });

  it("keeps the stock state layout: getWeights of both have the same names and bits, and the tensor count stays flat", async () => {
    const FusedRMSProp = fusedRmspropClass(tf);
    const v1 = tf.variable(tf.tensor1d([0.5, -0.25, 2]), true, "state_stock");
    const v2 = tf.variable(tf.tensor1d([0.5, -0.25, 2]), true, "state_fused");
    const a = tf.train.rmsprop(0.001, 0.9, 0, 1e-7);
    const b = new FusedRMSProp(0.001, 0.9, 0, 1e-7);
    const g = [0.1, -3, 1e-5];
    tf.tidy(() => a.applyGradients({ [v1.name]: tf.tensor1d(g) }));
    tf.tidy(() => b.applyGradients({ [v2.name]: tf.tensor1d(g) }));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) tf.tidy(() => b.applyGradients({ [v2.name]: tf.tensor1d(g) }));
    expect(tf.memory().numTensors).to.equal(before);
    tf.tidy(() => {
      for (let i = 0; i < 5; i++) a.applyGradients({ [v1.name]: tf.tensor1d(g) });
    });
    const wa = await a.getWeights();
    const wb = await b.getWeights();
    expect(wb.map((w) => w.name.replace("state_fused", "X"))).to.deep.equal(
      wa.map((w) => w.name.replace("state_stock", "X")),
    );
    wa.forEach((w, i) => expect(Array.from(wb[i].tensor.dataSync())).to.deep.equal(Array.from(w.tensor.dataSync())));
    expect(b.getClassName()).to.equal("RMSProp");
    tf.dispose([v1, v2]);
    a.dispose();
    b.dispose();
  });
});

describe("the WebAssembly SIMD peak (lib/kernels/peak.ts, the speed bound of npm run bench)", () => {
  it("is no lower than what a real convolution reaches, and not wildly higher", () => {
    useBackend(FAST_BACKEND);
    // conv2 of the paper's CNN on 32 images: 32 × 18·18·16 outputs × 5·5·6 multiply-adds = 49.8 MFLOP
    const x = tf.tensor4d(randomArray(32 * 22 * 22 * 6, 1), [32, 22, 22, 6]);
    const w = tf.tensor4d(randomArray(5 * 5 * 6 * 16, 2), [5, 5, 6, 16]);
    const flop = 2 * 32 * 18 * 18 * 16 * 150;
    let best = Infinity;
    for (let r = 0; r < 30; r++) {
      const t0 = process.hrtime.bigint();
      const y = tf.conv2d(x, w, 1, "valid");
      best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
      y.dispose(); // (not through tf.tidy returning dataSync(): tidy walks every element of a returned typed array)
    }
    tf.dispose([x, w]);
    const conv = flop / best / 1e9;
    const peak = wasmPeakGflops();
    // A peak measured too low (a miscount of the operations per round, an unoptimised tier) would let the
    // convolution beat it. This convolution runs at nearly the peak on these machines (both keep the two vector
    // multipliers and two adders busy), so 15% of slack for timing noise between the two measurements.
    expect(conv, `conv ${conv.toFixed(1)} GFLOP/s vs peak ${peak.toFixed(1)}`).to.be.below(peak * 1.15);
    // The convolution (loads, tiles, compaction) reaches a good share of it on these machines, not 1%.
    expect(conv).to.be.above(peak * 0.1);
    expect(secondsAtPeak(8.865e9, 50, 2)).to.be.closeTo(0.08865, 1e-12);
  });
});
