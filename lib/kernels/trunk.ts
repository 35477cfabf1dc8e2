/**
 * The convolutional trunk of a training step in WebAssembly (asm/trunk.ts), for models made of stages conv (valid,
 * stride 1, ReLU, bias) → max-pool (window = stride, valid), then Flatten: the paper's CNN and every variant of it
 * without batch normalisation. lib/train.ts `trainStep` runs the trunk here and the rest of the model (Flatten, the
 * dense layers, dropout, the loss) through tfjs, and gives the optimiser all the gradients at once.
 *
 * Why by hand: through tfjs each of the trunk's 26 ops per step is dispatched, taped, and copied into and out of the
 * WebAssembly memory, and the filters are laid out anew for every call; that is about half of a step. Here the
 * activations stay in the module's memory from the forward pass to the backward pass, and the whole trunk is three
 * calls per thread. Each call runs the same kernels and arithmetic as the ops it replaces, so the weights come out
 * with the same bits (test/kernels.test.ts), and the images are split between two threads when there are two
 * (threads.ts) without changing them.
 */
import type * as tfjs from "@tensorflow/tfjs";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { wasmArena, type Arena } from "./wasm";
import { kernelThreads, runParts, splitRange } from "./parallel";
import { FAST_BACKEND } from "./index";

type Tf = typeof tfjs;
type Tensor = tfjs.Tensor;

/** One stage's sizes: input H×W×C, conv K×K to N channels, pool window P. */
export interface Stage {
  H: number;
  W: number;
  C: number;
  K: number;
  N: number;
  P: number;
}

const HEADER = 4;
const STAGE_WORDS = 40;
// word offsets of a stage descriptor (asm/trunk.ts): 0–10 its sizes, then the buffers
const [WF, ZB, BIAS, WT, DW, DB, ACC] = [11, 12, 13, 14, 15, 16, 17];
const [A, Y, R, PO, DPO, DR, DZ, DA, SPARE] = [18, 20, 22, 24, 26, 28, 30, 32, 34];

const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;

/** Sizes derived from a stage. */
function sizes(s: Stage) {
  const OHs = s.H - s.K + 1;
  const OWs = s.W - s.K + 1;
  return {
    OH: OHs,
    OW: OWs,
    NP: roundUp(s.N, 8),
    KWCP: roundUp(s.K * s.C, 4),
    PH: Math.floor(OHs / s.P),
    PW: Math.floor(OWs / s.P),
  };
}

/**
 * The stages of `model`'s trunk, or undefined when the model is not conv→pool stages then Flatten (batch
 * normalisation, other activations, padding or strides: those train through tfjs).
 */
export function trunkStages(model: tfjs.LayersModel): Stage[] | undefined {
  const layers = model.layers;
  const stages: Stage[] = [];
  let shape = (layers[0]?.batchInputShape ?? []).slice(1) as number[];
  let i = 0;
  for (; i + 1 < layers.length && layers[i].getClassName() === "Conv2D"; i += 2) {
    const c = layers[i].getConfig() as Record<string, unknown>;
    const p = layers[i + 1].getConfig() as Record<string, unknown>;
    const k = c.kernelSize as number[];
    const pool = p.poolSize as number[];
    const ok =
      layers[i + 1].getClassName() === "MaxPooling2D" &&
      c.padding === "valid" &&
      (c.strides as number[]).every((v) => v === 1) &&
      (c.dilationRate as number[]).every((v) => v === 1) &&
      c.activation === "relu" &&
      c.useBias === true &&
      c.dataFormat === "channelsLast" &&
      k[0] === k[1] &&
      p.padding === "valid" &&
      pool[0] === pool[1] &&
      (p.strides as number[]).every((v) => v === pool[0]) &&
      shape.length === 3 &&
      shape.every((v) => Number.isInteger(v) && v > 0);
    if (!ok) return undefined;
    const s: Stage = { H: shape[0], W: shape[1], C: shape[2], K: k[0], N: c.filters as number, P: pool[0] };
    const z = sizes(s);
    if (z.PH < 1 || z.PW < 1) return undefined;
    stages.push(s);
    shape = [z.PH, z.PW, s.N];
  }
  if (!stages.length || layers[i]?.getClassName() !== "Flatten") return undefined;
  return stages;
}

/** The trunk's buffers in one arena, for up to `capacity[p]` images in part p. */
class Workspace {
  readonly ctx: number;
  private readonly words: Int32Array;
  constructor(
    readonly arena: Arena,
    readonly stages: Stage[],
    readonly capacity: [number, number],
  ) {
    const L = stages.length;
    this.ctx = arena.reserve(HEADER + L * STAGE_WORDS);
    const w = new Int32Array(HEADER + L * STAGE_WORDS);
    w[0] = L;
    const perPart = (f: (nb: number) => number) => capacity.map((nb) => arena.reserve(Math.max(1, f(nb))));
    stages.forEach((s, i) => {
      const z = sizes(s);
      const o = HEADER + i * STAGE_WORDS;
      w.set([s.H, s.W, s.C, z.OH, z.OW, s.N, z.NP, s.K, s.P, z.PH, z.PW], o);
      const KWC = s.K * s.C;
      w[o + WF] = arena.reserve(s.K * KWC * z.NP);
      w[o + ZB] = arena.reserve(z.NP);
      w[o + BIAS] = arena.reserve(z.NP);
      w[o + WT] = arena.reserve(s.K * s.N * z.KWCP);
      w[o + DW] = arena.reserve(s.K * z.KWCP * z.NP);
      w[o + DB] = arena.reserve(s.N);
      w[o + ACC] = arena.reserve(2 * s.N);
      const pix = z.OH * z.OW;
      const put = (at: number, ps: number[]) => w.set(ps, o + at);
      if (i === 0)
        put(
          A,
          perPart((nb) => nb * s.H * s.W * s.C),
        );
      else w.set(w.subarray(o - STAGE_WORDS + PO, o - STAGE_WORDS + PO + 2), o + A);
      put(
        Y,
        perPart((nb) => nb * pix * z.NP),
      );
      put(
        R,
        perPart((nb) => nb * pix * s.N),
      );
      put(
        PO,
        perPart((nb) => nb * z.PH * z.PW * s.N),
      );
      put(
        DR,
        perPart((nb) => nb * pix * s.N),
      );
      put(
        DZ,
        perPart((nb) => nb * pix * s.N + 8),
      );
      if (i > 0) {
        put(
          DA,
          perPart((nb) => nb * s.H * s.W * s.C + 16),
        );
        w.set(w.subarray(o + DA, o + DA + 2), o - STAGE_WORDS + DPO);
      }
      put(
        SPARE,
        perPart(() => z.KWCP),
      );
    });
    const last = HEADER + (L - 1) * STAGE_WORDS;
    const s = stages[L - 1];
    const z = sizes(s);
    w.set(
      perPart((nb) => nb * z.PH * z.PW * s.N),
      last + DPO,
    );
    this.words = w;
    this.write();
    for (let i = 0; i < L; i++) arena.view(w[HEADER + i * STAGE_WORDS + ZB], sizes(stages[i]).NP).fill(0);
  }

  /** Pointer `at` (+ part) of stage `i`. */
  ptr(i: number, at: number, part = 0): number {
    return this.words[HEADER + i * STAGE_WORDS + at + part];
  }

  /** Set the image counts of the two parts and write the descriptor into the module's memory. */
  setParts(nb0: number, nb1: number): void {
    this.words[1] = nb0;
    this.words[2] = nb1;
    this.write();
  }

  private write(): void {
    new Int32Array(this.arena.fn.memory.buffer, this.ctx, this.words.length).set(this.words);
  }
}

let workspace: Workspace | undefined;

/** The process's workspace for `stages` with room for a batch of `batch` split over this many threads. */
function workspaceFor(stages: Stage[], batch: number): Workspace {
  const arena = wasmArena();
  const parts = splitRange(batch);
  const fits =
    workspace &&
    workspace.arena === arena &&
    JSON.stringify(workspace.stages) === JSON.stringify(stages) &&
    parts.every(([b0, b1], i) => b1 - b0 <= workspace!.capacity[i]) &&
    (parts.length === 2 || workspace.capacity[1] === 0);
  if (!fits) {
    const cap: [number, number] = [parts[0][1] - parts[0][0], parts[1] ? parts[1][1] - parts[1][0] : 0];
    workspace = new Workspace(arena, stages, cap);
  }
  return workspace!;
}

/** A model's trunk on the `cpu-fast` backend: forward, then backward, once per training step. */
export class Trunk {
  private ws?: Workspace;
  private parts: [number, number][] = [];

  constructor(
    private readonly tf: Tf,
    readonly stages: Stage[],
    /** The conv layers' variables, kernel then bias per stage: the model's first 2 × stages trainable weights. */
    private readonly variables: Tensor[],
  ) {}

  /** The shape of the trunk's output for `batch` images: the last pool's [B, PH, PW, N]. */
  outShape(batch: number): [number, number, number, number] {
    const s = this.stages[this.stages.length - 1];
    const z = sizes(s);
    return [batch, z.PH, z.PW, s.N];
  }

  /** The trunk's output for images `xs` [B,H,W,C]: the values of {@link outShape}. */
  forward(xs: tfjs.Tensor4D): Float32Array {
    const backend = this.tf.backend() as MathBackendCPU;
    const values = (t: Tensor) => backend.data.get(t.dataId).values as Float32Array;
    const B = xs.shape[0];
    const ws = (this.ws = workspaceFor(this.stages, B));
    const parts = (this.parts = splitRange(B));
    ws.setParts(parts[0][1] - parts[0][0], parts[1] ? parts[1][1] - parts[1][0] : 0);
    const a = ws.arena;
    const s0 = this.stages[0];
    const image = s0.H * s0.W * s0.C;
    const x = values(xs);
    parts.forEach(([b0, b1], p) => a.view(ws.ptr(0, A, p), (b1 - b0) * image).set(x.subarray(b0 * image, b1 * image)));
    this.stages.forEach((s, i) =>
      this.loadStage(ws, i, s, values(this.variables[2 * i]), values(this.variables[2 * i + 1])),
    );
    runParts(
      a.fn,
      "trunkForward",
      parts.map((_, p) => [ws.ctx, p]),
    );
    const last = this.stages.length - 1;
    const z = sizes(this.stages[last]);
    const per = z.PH * z.PW * this.stages[last].N;
    const out = new Float32Array(B * per);
    parts.forEach(([b0, b1], p) => out.set(a.view(ws.ptr(last, PO, p), (b1 - b0) * per), b0 * per));
    return out;
  }

  /** The filter and bias gradients (in the order of `variables`) from the gradient of the trunk's output. */
  backward(d: Float32Array): Tensor[] {
    const ws = this.ws!;
    const parts = this.parts;
    const a = ws.arena;
    const last = this.stages.length - 1;
    const z = sizes(this.stages[last]);
    const per = z.PH * z.PW * this.stages[last].N;
    parts.forEach(([b0, b1], p) => a.view(ws.ptr(last, DPO, p), (b1 - b0) * per).set(d.subarray(b0 * per, b1 * per)));
    runParts(
      a.fn,
      "trunkBackward",
      parts.map((_, p) => [ws.ctx, p]),
    );
    const threads = kernelThreads();
    runParts(
      a.fn,
      "trunkGradients",
      Array.from({ length: threads }, (_, t) => [ws.ctx, t, threads]),
    );
    const grads: Tensor[] = [];
    this.stages.forEach((s, i) => {
      const { NP: np, KWCP } = sizes(s);
      const KWC = s.K * s.C;
      const dw = a.view(ws.ptr(i, DW), s.K * KWCP * np);
      const out = new Float32Array(s.K * KWC * s.N);
      for (let ky = 0; ky < s.K; ky++) {
        for (let k = 0; k < KWC; k++) {
          const src = (ky * KWCP + k) * np;
          out.set(dw.subarray(src, src + s.N), (ky * KWC + k) * s.N);
        }
      }
      grads.push(this.tf.tensor4d(out, [s.K, s.K, s.C, s.N]));
      grads.push(this.tf.tensor1d(a.view(ws.ptr(i, DB), s.N).slice()));
    });
    return grads;
  }

  /** Lay stage i's filter out for the forward pass ([K, K*C, NP]) and the input gradient ([K, N, KWCP]). */
  private loadStage(ws: Workspace, i: number, s: Stage, w: Float32Array, bias: Float32Array): void {
    const a = ws.arena;
    const { NP: np, KWCP } = sizes(s);
    const KWC = s.K * s.C;
    const rows = s.K * KWC;
    const wf = a.view(ws.ptr(i, WF), rows * np);
    if (np === s.N) wf.set(w);
    else for (let r = 0; r < rows; r++) wf.set(w.subarray(r * s.N, r * s.N + s.N), r * np);
    const wt = a.view(ws.ptr(i, WT), s.K * s.N * KWCP);
    wt.fill(0);
    for (let ky = 0; ky < s.K; ky++) {
      for (let k = 0; k < KWC; k++) {
        const src = (ky * KWC + k) * s.N;
        const dst = ky * s.N * KWCP + k;
        for (let n = 0; n < s.N; n++) wt[dst + n * KWCP] = w[src + n];
      }
    }
    const b = a.view(ws.ptr(i, BIAS), np);
    b.fill(0);
    b.set(bias);
  }
}

/** `model`'s trunk when the active backend is `cpu-fast` and the model has one ({@link trunkStages}), else undefined. */
export function trunkOf(tf: Tf, model: tfjs.LayersModel): Trunk | undefined {
  if (tf.getBackend() !== FAST_BACKEND) return undefined;
  const stages = trunkStages(model);
  if (!stages) return undefined;
  const vars = model.trainableWeights
    .slice(0, 2 * stages.length)
    .map((w) => (w as unknown as { read(): Tensor }).read());
  return new Trunk(tf, stages, vars);
}
