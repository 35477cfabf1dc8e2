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
 * with the same bits (test/kernels.test.ts; grey pictures' first convolution is the one exception, see
 * {@link equalChannels}), and the images are split between two threads when there are two (threads.ts) without
 * changing them.
 */
import type * as tfjs from "@tensorflow/tfjs";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { wasmArena, type Arena } from "./wasm";
import { kernelThreads, runParts } from "./parallel";
import { copyRows, filterGradient, layFilter, layFilter6, layFilterTransposed, sumChannels } from "./conv";
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
// per-image buffers: (first image's byte offset, bytes between images)
const [A, Y, R, PO, DPO, DZ, DA] = [18, 20, 22, 24, 26, 30, 32];
/** Word 28 of stage 0: 1 when the batch's C > 1 channels are equal copies, see {@link equalChannels}. */
const SAME = 28;
/** Word 29 of stage 0 (6 filters, C > 1): its filter summed over the channels, [K, K, 12] (asm/conv.ts convForward6, grey). */
const GREY = 29;
const SPARE = 34;
/** Floats of slack after each image's stretch of a buffer (vector stores and reads run up to 8 floats past it). */
const IMAGE_SLACK = 16;

const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;

/**
 * Whether every pixel of the NHWC `x` (C channels) has C bitwise-equal values: a grey picture read as RGB, as CK+48's
 * are, and stay through the augmentation's warp (the same arithmetic on each channel). The trunk then computes the
 * first stage's filter gradient once per grey value (asm/conv.ts convBackpropFilterEqualChannels): a third of the
 * work for RGB, the same bits. Bits are compared, not values: equal bits give equal products, while -0 and +0 (equal
 * values) would not. With 6 filters (the paper's) its forward pass, too, is one product per tap: channel 0 against
 * the filter summed over the channels ({@link sumChannels}, asm/conv.ts convForward6 with `grey`), a third of the products.
 * Those sums round otherwise than the C products of each tap (values within float32 rounding, not the same bits),
 * so a grey picture's forward pass is tfjs' Conv2D of channel 0 with the summed filter.
 */
export function equalChannels(x: Float32Array, C: number): boolean {
  if (C < 2) return false;
  const u = new Uint32Array(x.buffer, x.byteOffset, x.length);
  for (let i = 0; i < u.length; i += C) {
    const v = u[i];
    for (let c = 1; c < C; c++) if (u[i + c] !== v) return false;
  }
  return true;
}

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

/** The trunk's buffers in one arena, for up to `capacity` images. */
class Workspace {
  readonly ctx: number;
  private readonly words: Int32Array;
  constructor(
    readonly arena: Arena,
    readonly stages: Stage[],
    readonly capacity: number,
  ) {
    const L = stages.length;
    this.ctx = arena.reserve(HEADER + L * STAGE_WORDS);
    const w = new Int32Array(HEADER + L * STAGE_WORDS);
    w[0] = L;
    // [first image's byte offset, bytes between images] of a per-image buffer of `floats` floats per image
    const perImage = (floats: number): [number, number] => {
      const stride = roundUp(floats + IMAGE_SLACK, 4);
      return [arena.reserve(capacity * stride), stride * 4];
    };
    stages.forEach((s, i) => {
      const z = sizes(s);
      const o = HEADER + i * STAGE_WORDS;
      const put = (at: number, v: number[]) => w.set(v, o + at);
      put(0, [s.H, s.W, s.C, z.OH, z.OW, s.N, z.NP, s.K, s.P, z.PH, z.PW]);
      const KWC = s.K * s.C;
      put(WF, [arena.reserve(s.K * KWC * (s.N === 6 ? 12 : z.NP))]); // 6 channels: asm/conv.ts convForward6's layout
      if (i === 0 && s.N === 6 && s.C > 1) put(GREY, [arena.reserve(s.K * s.K * 12)]); // the filter summed over channels
      put(ZB, [arena.reserve(z.NP)]);
      put(BIAS, [arena.reserve(z.NP)]);
      put(WT, [arena.reserve(s.K * s.N * z.KWCP)]);
      put(DW, [arena.reserve(s.K * z.KWCP * z.NP)]);
      put(DB, [arena.reserve(s.N)]);
      put(ACC, [arena.reserve(2 * z.NP)]); // float64 sums, eight channels at a time
      const pix = z.OH * z.OW;
      if (i === 0) put(A, perImage(s.H * s.W * s.C));
      else w.copyWithin(o + A, o - STAGE_WORDS + PO, o - STAGE_WORDS + PO + 2); // the previous stage's pool output
      put(Y, perImage(pix * z.NP));
      put(R, perImage(pix * s.N));
      put(PO, perImage(z.PH * z.PW * s.N));
      put(DZ, perImage(pix * s.N));
      if (i > 0) {
        put(DA, perImage(s.H * s.W * s.C));
        w.copyWithin(o - STAGE_WORDS + DPO, o + DA, o + DA + 2); // the previous stage's pool-output gradient
      }
      put(SPARE, [arena.reserve(z.KWCP), arena.reserve(z.KWCP)]);
    });
    const last = stages[L - 1];
    const z = sizes(last);
    w.set(perImage(z.PH * z.PW * last.N), HEADER + (L - 1) * STAGE_WORDS + DPO);
    this.words = w;
  }

  /** The byte offset of image `b`'s stretch of the per-image buffer `at` of stage i. */
  imagePtr(i: number, at: number, b: number): number {
    const o = HEADER + i * STAGE_WORDS + at;
    return this.words[o] + b * this.words[o + 1];
  }

  /** Image `b`'s stretch of the per-image buffer `at` of stage i, as a view of `floats` floats. */
  image(i: number, at: number, b: number, floats: number): Float32Array {
    return this.arena.view(this.imagePtr(i, at, b), floats);
  }

  /** Buffer `at` of stage i (a shared one). */
  ptr(i: number, at: number): number {
    return this.words[HEADER + i * STAGE_WORDS + at];
  }

  /** Whether stage 0's input channels are equal copies for this batch (the descriptor's SAME word). */
  get same(): boolean {
    return this.words[HEADER + SAME] === 1;
  }
  set same(v: boolean) {
    this.words[HEADER + SAME] = v ? 1 : 0;
  }

  /** Write the descriptor for a batch of `images`, its counters at 0, into the module's memory. */
  start(images: number): void {
    this.words[1] = images;
    this.words[2] = 0;
    this.words[3] = 0;
    new Int32Array(this.arena.fn.memory.buffer, this.ctx, this.words.length).set(this.words);
  }
}

let workspace: Workspace | undefined;

/** The process's workspace for `stages` with room for `batch` images in the current arena. */
function workspaceFor(stages: Stage[], batch: number): Workspace {
  const arena = wasmArena();
  const fits =
    workspace &&
    workspace.arena === arena &&
    (workspace.stages === stages || JSON.stringify(workspace.stages) === JSON.stringify(stages)) &&
    batch <= workspace.capacity;
  if (!fits) workspace = new Workspace(arena, stages, batch);
  return workspace!;
}

/** Run one of the trunk's calls on every thread: each takes images or tasks from the counters until none is left. */
function onAllThreads(
  ws: Workspace,
  name: "trunkForward" | "trunkBackward" | "trunkGradients",
  during?: () => void,
): void {
  runParts(
    ws.arena.fn,
    name,
    Array.from({ length: kernelThreads() }, (_, t) => [ws.ctx, t]),
    during,
  );
}

/** A model's trunk on the `cpu-fast` backend: forward, then backward, once per training step. */
export class Trunk {
  private ws?: Workspace;
  private batch = 0;

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
    return this.forwardValues(backend.data.get(xs.dataId).values as Float32Array, xs.shape[0]);
  }

  /** {@link forward} of the `B` images [B,H,W,C] in `x`. */
  forwardValues(x: Float32Array, B: number): Float32Array {
    const backend = this.tf.backend() as MathBackendCPU;
    const values = (t: Tensor) => backend.data.get(t.dataId).values as Float32Array;
    this.batch = B;
    const ws = (this.ws = workspaceFor(this.stages, B));
    const s0 = this.stages[0];
    const image = s0.H * s0.W * s0.C;
    let same = s0.C > 1;
    for (let b = 0; b < B; b++) {
      ws.image(0, A, b, image).set(x.subarray(b * image, (b + 1) * image));
      if (!same) continue;
      // RGB, the usual case, in WebAssembly (55k floats a batch: 0.07 ms in JavaScript, ~0.01 there)
      if (s0.C === 3) same = ws.arena.fn.equalChannels3(ws.imagePtr(0, A, b), s0.H * s0.W) === 1;
      else same = equalChannels(x.subarray(b * image, (b + 1) * image), s0.C);
    }
    ws.same = same;
    this.stages.forEach((s, i) =>
      this.loadStage(ws, i, s, values(this.variables[2 * i]), values(this.variables[2 * i + 1])),
    );
    ws.start(B);
    onAllThreads(ws, "trunkForward");
    const last = this.stages.length - 1;
    const per = this.perImage();
    const out = new Float32Array(B * per);
    for (let b = 0; b < B; b++) out.set(ws.image(last, PO, b, per), b * per);
    return out;
  }

  /**
   * The filter and bias gradients (in the order of `variables`, each laid out as its variable) from the gradient of the
   * trunk's output. `during` runs on this thread while the second thread starts the backward pass (lib/train.ts
   * trainStep updates the head's weights there); it must not touch the trunk's weights or buffers.
   */
  backward(d: Float32Array, during?: () => void): Float32Array[] {
    const ws = this.ws!;
    const B = this.batch;
    const last = this.stages.length - 1;
    const per = this.perImage();
    for (let b = 0; b < B; b++) ws.image(last, DPO, b, per).set(d.subarray(b * per, (b + 1) * per));
    ws.start(B);
    onAllThreads(ws, "trunkBackward", during);
    ws.start(B);
    onAllThreads(ws, "trunkGradients");
    const a = ws.arena;
    const grads: Float32Array[] = [];
    this.stages.forEach((s, i) => {
      const { NP: np, KWCP } = sizes(s);
      const dw = a.view(ws.ptr(i, DW), s.K * KWCP * np);
      const out =
        i === 0 && ws.same
          ? spreadChannels(dw, s.K * s.K, s.C, s.N, np)
          : filterGradient(dw, s.K, s.K * s.C, s.N, KWCP, np);
      grads.push(out, a.view(ws.ptr(i, DB), s.N).slice());
    });
    return grads;
  }

  /** Whether the last {@link forward}'s images had equal channels (the first stage's filter gradient per grey value). */
  get equalChannels(): boolean {
    return !!this.ws?.same;
  }

  /** Floats per image of the trunk's output. */
  private perImage(): number {
    const [, ph, pw, n] = this.outShape(1);
    return ph * pw * n;
  }

  /** Lay stage i's filter out for the forward pass ([K, K*C, NP]) and, after the first stage, the input gradient ([K, N, KWCP]). */
  private loadStage(ws: Workspace, i: number, s: Stage, w: Float32Array, bias: Float32Array): void {
    const a = ws.arena;
    const { NP: np, KWCP } = sizes(s);
    const KWC = s.K * s.C;
    if (s.N === 6) layFilter6(a.view(ws.ptr(i, WF), s.K * KWC * 12), w, s.K * KWC);
    else layFilter(a.view(ws.ptr(i, WF), s.K * KWC * np), w, s.K * KWC, s.N, np);
    // a batch of grey pictures: the first stage convolves channel 0 with the filter summed over the channels
    if (i === 0 && ws.same && ws.ptr(0, GREY))
      layFilter6(a.view(ws.ptr(0, GREY), s.K * s.K * 12), sumChannels(w, s.K * s.K, s.C, 6), s.K * s.K);
    // (the first stage's input gradient is never taken)
    if (i > 0) layFilterTransposed(a.view(ws.ptr(i, WT), s.K * s.N * KWCP), w, s.K, KWC, s.N, KWCP);
    const b = a.view(ws.ptr(i, BIAS), np);
    b.fill(0);
    b.set(bias);
  }
}

/**
 * The filter gradient [K, K, C, N] from channel 0's, `g` [E = K·K entries, rows of NP] (the equal-channels case of
 * {@link equalChannels}): every channel gets the same values.
 */
export function spreadChannels(g: Float32Array, E: number, C: number, N: number, NP: number): Float32Array {
  const out = new Float32Array(E * C * N);
  for (let c = 0; c < C; c++) copyRows(out, g, E, N, NP, C * N, 0, c * N);
  return out;
}

/** Each model's stages (or null: none), parsed once: trunkOf runs every training step, and layers never change. */
const parsed = new WeakMap<tfjs.LayersModel, Stage[] | null>();

/** `model`'s trunk when the active backend is `cpu-fast` and the model has one ({@link trunkStages}), else undefined. */
export function trunkOf(tf: Tf, model: tfjs.LayersModel): Trunk | undefined {
  if (tf.getBackend() !== FAST_BACKEND) return undefined;
  let stages = parsed.get(model);
  if (stages === undefined) parsed.set(model, (stages = trunkStages(model) ?? null));
  if (!stages) return undefined;
  const vars = model.trainableWeights
    .slice(0, 2 * stages.length)
    .map((w) => (w as unknown as { read(): Tensor }).read());
  return new Trunk(tf, stages, vars);
}
