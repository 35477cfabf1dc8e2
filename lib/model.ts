/**
 * Section 2.2 / Fig 3 of the paper: the CNN. A factory, so every fold trains a fresh model. The layers come from
 * `PAPER.arch` (lib/config.ts): conv 6@5×5 → maxpool 2 → conv 16@5×5 → maxpool 2 → conv 64@3×3 → maxpool 2 →
 * flatten → dense 128 + dropout → dense 7 softmax; valid padding, ReLU. 86,911 trainable parameters.
 *
 * Notebook 02-model (notebooks/02-model.ipynb) teaches this module: the factory, one face's shapes layer by layer
 * ({@link traceShapes}), the parameter count by hand ({@link parametersByHand}), feature maps ({@link featureMaps}) and
 * dropout in its two modes ({@link dropoutAtWork}).
 */
import { tf, type Tensor, type Tensor4D, type LayersModel } from "./tf";
import { PAPER, NUM_CLASSES, type ProtocolConfig } from "./config";
import type { Sequential, SymbolicTensor } from "@tensorflow/tfjs";

/** One row of the layer table (Fig 3, notebook 2): what a layer is and what it produces. */
export interface LayerSummary {
  name: string;
  /** "Conv2D", "MaxPooling2D", "Flatten", "Dense", "Dropout". */
  kind: string;
  /** Human description, e.g. "6 filters 5×5, ReLU". */
  detail: string;
  /** Output shape without the batch dimension. */
  outputShape: number[];
  params: number;
}

/**
 * Build the paper's CNN (Section 2.2) from `config.arch`: each convolution stage is a valid k×k convolution with
 * ReLU named `conv<i>`, then a max pooling named `pool<i>`; then flatten, `dense1` (ReLU), `dropout` and the 7-way
 * softmax `output`. Kernels are initialised glorot-uniform as Keras does (tfjs-layers defaults to glorot-normal),
 * biases at zero; `seed` makes the initial weights and dropout masks reproducible.
 *
 * @see notebooks/02-model.ipynb
 */
export function createModel(
  seed = 0,
  config: Pick<ProtocolConfig, "arch" | "imageSize" | "channels" | "dropout"> = PAPER,
): Sequential {
  let s = seed * 1000;
  const init = () => tf.initializers.glorotUniform({ seed: s++ });
  const { convs, pool, dense, batchNorm } = config.arch;
  const m = tf.sequential({ name: "fer_cnn" });
  convs.forEach((c, i) => {
    const input = i === 0 ? { inputShape: [config.imageSize, config.imageSize, config.channels] } : {};
    m.add(
      tf.layers.conv2d({
        ...input,
        filters: c.filters,
        kernelSize: c.kernel,
        padding: "valid",
        activation: batchNorm ? "linear" : "relu",
        kernelInitializer: init(),
        name: `conv${i + 1}`,
      }),
    );
    if (batchNorm) {
      // conv → batch norm → ReLU, as Ioffe & Szegedy (2015) place it (the `batchnorm` variant; not in the paper)
      m.add(tf.layers.batchNormalization({ name: `bn${i + 1}` }));
      m.add(tf.layers.activation({ activation: "relu", name: `relu${i + 1}` }));
    }
    m.add(tf.layers.maxPooling2d({ poolSize: pool, name: `pool${i + 1}` }));
  });
  m.add(tf.layers.flatten({ name: "flatten" }));
  m.add(tf.layers.dense({ units: dense, activation: "relu", kernelInitializer: init(), name: "dense1" }));
  m.add(tf.layers.dropout({ rate: config.dropout, seed: s++, name: "dropout" }));
  m.add(tf.layers.dense({ units: NUM_CLASSES, activation: "softmax", kernelInitializer: init(), name: "output" }));
  return m;
}

/** The layer table of a model: kinds, sizes, output shapes and parameter counts (drawn in Fig 3). */
export function summarize(model: LayersModel): LayerSummary[] {
  return model.layers.map((l) => {
    const cfg = l.getConfig() as Record<string, unknown>;
    const kind = l.getClassName();
    const act =
      typeof cfg.activation === "string" && cfg.activation !== "linear"
        ? `, ${cfg.activation === "relu" ? "ReLU" : cfg.activation}`
        : "";
    let detail = "";
    if (kind === "Conv2D") {
      const k = cfg.kernelSize as number[];
      detail = `${cfg.filters} filters ${k[0]}×${k[1]}, ${cfg.padding}${act}`;
    } else if (kind === "MaxPooling2D") {
      const p = cfg.poolSize as number[];
      detail = `${p[0]}×${p[1]}`;
    } else if (kind === "Dense") {
      detail = `${cfg.units} units${act}`;
    } else if (kind === "Dropout") {
      detail = `rate ${cfg.rate}`;
    }
    const shape = l.outputShape as (number | null)[];
    return { name: l.name, kind, detail, outputShape: shape.slice(1) as number[], params: l.countParams() };
  });
}

/** One row of a shape trace: a layer and the shape of the tensor it produced from a real image. */
export interface ShapeStep {
  layer: string;
  kind: string;
  input: number[];
  output: number[];
  /** Values in the output (min, max), to show ReLU at work. */
  min: number;
  max: number;
}

/**
 * Push a batch through the model's layers one at a time and record every tensor's shape and value range.
 *
 * Two habits of tfjs code show here. `layer.apply(x, { training: false })` runs a layer in **inference mode**: dropout
 * passes its input through unchanged (`model.predict` always runs this way; `model.fit` runs with `training: true`).
 * And every tensor holds memory that JavaScript's garbage collector does not free (on the cpu backends an entry in
 * the backend's data store, on WebGL a GPU texture): `tf.tidy(fn)` frees every tensor `fn` made except the one it
 * returns, and `dispose()` frees one tensor by hand, so the trace leaves nothing allocated.
 *
 * @see notebooks/02-model.ipynb
 */
export function traceShapes(model: LayersModel, x: Tensor4D): ShapeStep[] {
  const steps: ShapeStep[] = [];
  let cur: Tensor = x.clone();
  for (const layer of model.layers) {
    const next = tf.tidy(() => layer.apply(cur, { training: false }) as Tensor);
    const [min, max] = tf.tidy(() => [next.min().dataSync()[0], next.max().dataSync()[0]]);
    steps.push({
      layer: layer.name,
      kind: layer.getClassName(),
      input: cur.shape.slice(),
      output: next.shape.slice(),
      min,
      max,
    });
    cur.dispose();
    cur = next;
  }
  cur.dispose();
  return steps;
}

/** One row of the parameter count by hand. */
export interface ParamRow {
  layer: string;
  output: string;
  formula: string;
  params: number;
}

/**
 * Fig 3's 86,911 parameters derived by hand from the paper's architecture (Section 2.2, `config.arch`): a valid k×k
 * convolution of c_in channels to f filters has (k·k·c_in)·f weights + f biases and shrinks the side to s − k + 1;
 * p×p max pooling divides it by p (rounding down) and has no parameters; a dense layer of n_in → n_out has
 * n_in·n_out + n_out. With `padding = "same"` (not the paper's; notebook 02's exercise) each convolution first adds a
 * border of zeros so that its output keeps the side s: its parameter count is unchanged, but every later side, and
 * so the dense layer, grows.
 *
 * @see notebooks/02-model.ipynb
 */
export function parametersByHand(
  config: Pick<ProtocolConfig, "arch" | "imageSize" | "channels"> = PAPER,
  padding: "valid" | "same" = "valid",
): ParamRow[] {
  const rows: ParamRow[] = [];
  const { convs, pool: p, dense, batchNorm } = config.arch;
  let s = config.imageSize;
  let c = config.channels;
  convs.forEach(({ filters: f, kernel: k }, i) => {
    const out = padding === "same" ? s : s - k + 1;
    rows.push({
      layer: `conv${i + 1}`,
      output: `${out}×${out}×${f}`,
      formula: `(${k}·${k}·${c})·${f} + ${f}`,
      params: k * k * c * f + f,
    });
    s = out;
    c = f;
    if (batchNorm) {
      rows.push({
        layer: `bn${i + 1}`,
        output: `${s}×${s}×${f}`,
        formula: `4·${f} (γ, β, moving mean, moving variance)`,
        params: 4 * f,
      });
      rows.push({ layer: `relu${i + 1}`, output: `${s}×${s}×${f}`, formula: "no weights", params: 0 });
    }
    const down = Math.floor(s / p);
    rows.push({
      layer: `pool${i + 1}`,
      output: `${down}×${down}×${c}`,
      formula: `⌊${s}/${p}⌋ = ${down}, no weights`,
      params: 0,
    });
    s = down;
  });
  const flat = s * s * c;
  rows.push({ layer: "flatten", output: `${flat}`, formula: `${s}·${s}·${c} = ${flat}, no weights`, params: 0 });
  rows.push({
    layer: "dense1",
    output: `${dense}`,
    formula: `${flat}·${dense} + ${dense}`,
    params: flat * dense + dense,
  });
  rows.push({ layer: "dropout", output: `${dense}`, formula: "no weights", params: 0 });
  rows.push({
    layer: "output",
    output: `${NUM_CLASSES}`,
    formula: `${dense}·${NUM_CLASSES} + ${NUM_CLASSES}`,
    params: dense * NUM_CLASSES + NUM_CLASSES,
  });
  return rows;
}

/** What a dense layer, a locally connected one and conv1 need to map the input to conv1's output (Section 2.2.1). */
export interface WhyConvolution {
  input: [number, number, number];
  output: [number, number, number];
  kernel: number;
  /** Every output connected to every input: inputs·outputs weights + outputs biases. */
  dense: number;
  /** Local perception without sharing: each output position has its own k·k·c weights and a bias. */
  local: number;
  /** Local perception and parameter sharing: one k·k·c filter (and bias) per output channel, used everywhere. */
  conv: number;
}

/** The parameter counts of {@link WhyConvolution} for the first convolution of `config`. */
export function whyConvolution(
  config: Pick<ProtocolConfig, "arch" | "imageSize" | "channels"> = PAPER,
): WhyConvolution {
  const { filters: f, kernel: k } = config.arch.convs[0];
  const s = config.imageSize;
  const c = config.channels;
  const o = s - k + 1;
  const inputs = s * s * c;
  const outputs = o * o * f;
  return {
    input: [s, s, c],
    output: [o, o, f],
    kernel: k,
    dense: inputs * outputs + outputs,
    local: outputs * (k * k * c + 1),
    conv: f * (k * k * c + 1),
  };
}

/** Glorot-uniform checked on a model's weights: the bound a of every kernel and what the drawn weights look like. */
export interface GlorotRow {
  layer: string;
  /** Inputs and outputs of one unit's window: k·k·c_in and k·k·f for a convolution, n_in and n_out for a dense layer. */
  fanIn: number;
  fanOut: number;
  /** a = √(6 / (fan_in + fan_out)): the weights are drawn uniformly from [−a, a]. */
  limit: number;
  maxAbs: number;
  /** Standard deviation of the drawn weights; a uniform on [−a, a] has a/√3. */
  std: number;
  biasMaxAbs: number;
}

/** {@link GlorotRow} for every convolution and dense layer of `model` (fans as tfjs-layers and Keras compute them). */
export function glorotRows(model: LayersModel): GlorotRow[] {
  return model.layers
    .filter((l) => ["Conv2D", "Dense"].includes(l.getClassName()))
    .map((l) => {
      const [kernel, bias] = l.getWeights();
      const shape = kernel.shape;
      const field = shape.slice(0, -2).reduce((a, b) => a * b, 1);
      const fanIn = field * shape[shape.length - 2];
      const fanOut = field * shape[shape.length - 1];
      const w = kernel.dataSync();
      let sq = 0;
      let maxAbs = 0;
      for (const v of w) {
        sq += v * v;
        maxAbs = Math.max(maxAbs, Math.abs(v));
      }
      const biasMaxAbs = Math.max(...Array.from(bias.dataSync(), Math.abs));
      return {
        layer: l.name,
        fanIn,
        fanOut,
        limit: Math.sqrt(6 / (fanIn + fanOut)),
        maxAbs,
        std: Math.sqrt(sq / w.length),
        biasMaxAbs,
      };
    });
}

/** The activations of one layer for one image: side × side × channels, channel last. */
export interface FeatureMap {
  layer: string;
  shape: [number, number, number];
  data: Float32Array;
}

/** The outputs of the named layers (default: the three convolutions) for one image [1, h, w, 3]. */
export function featureMaps(
  model: LayersModel,
  x: Tensor4D,
  layers: string[] = ["conv1", "conv2", "conv3"],
): FeatureMap[] {
  const probe = tf.model({
    inputs: model.inputs,
    outputs: layers.map((n) => model.getLayer(n).output as SymbolicTensor),
  });
  const outs = tf.tidy(() => {
    const y = probe.predict(x);
    return (Array.isArray(y) ? y : [y]).map((t) => ({
      shape: t.shape.slice(1) as [number, number, number],
      data: t.dataSync() as Float32Array,
    }));
  });
  return outs.map((o, i) => ({ layer: layers[i], shape: o.shape, data: o.data }));
}

/** Dropout and softmax at the end of the network, for one image, in training and in inference mode. */
export interface DropoutAtWork {
  units: number;
  /** dense1 units with a positive (post-ReLU) value for this image. */
  active: number;
  /** Of those, how many the training-mode dropout set to 0. */
  dropped: number;
  /** Output ÷ input of the units dropout kept: 1 / (1 − rate). */
  scale: number;
  /** Inference mode passes every value through unchanged. */
  inferenceUnchanged: boolean;
  probsPredict: number[];
  probsTraining: number[];
}

/** {@link DropoutAtWork} for image batch `x` (one image) on `model` (a model of {@link createModel}'s layer names). */
export function dropoutAtWork(model: LayersModel, x: Tensor): DropoutAtWork {
  const [h] = featureMaps(model, x as never, ["dense1"]);
  const dropout = model.getLayer("dropout");
  const [train, infer, pTrain, pPredict] = tf.tidy(() => {
    const t = tf.tensor2d(h.data, [1, h.data.length]);
    return [
      (dropout.apply(t, { training: true }) as Tensor).dataSync() as Float32Array,
      (dropout.apply(t, { training: false }) as Tensor).dataSync() as Float32Array,
      (model.apply(x, { training: true }) as Tensor).dataSync() as Float32Array,
      (model.predict(x) as Tensor).dataSync() as Float32Array,
    ];
  });
  let active = 0;
  let dropped = 0;
  let ratio = 0;
  h.data.forEach((v, i) => {
    if (v <= 0) return;
    active++;
    if (train[i] === 0) dropped++;
    else ratio += train[i] / v;
  });
  return {
    units: h.data.length,
    active,
    dropped,
    scale: ratio / (active - dropped),
    inferenceUnchanged: infer.every((v, i) => v === h.data[i]),
    probsPredict: Array.from(pPredict),
    probsTraining: Array.from(pTrain),
  };
}

/** The multiply-adds of one training step per image, by layer (see {@link trainingMultiplyAdds}). */
export interface LayerMultiplyAdds {
  layer: string;
  forward: number;
  /** The weight gradient: as many multiply-adds as the forward pass. */
  weightGradient: number;
  /** The input gradient: as many again, except for the first weighted layer, whose input (the image) needs none. */
  inputGradient: number;
}

/**
 * The arithmetic of training one image, for the speed bound of `npm run bench`: the multiply-adds of every
 * convolution (output height × width × filters × k·k·c_in) and dense layer (n_in·n_out), forward, weight gradient and
 * input gradient. Biases, ReLU, pooling, softmax, dropout and the optimizer are left out (under 2% of the total), so
 * time computed from this count is a lower bound. For the paper's CNN: 2,175,008 forward, 5,653,824 in all. With
 * `greyInput` (images whose channels are equal, as CK+48's grey pictures read as RGB), a first convolution's weight
 * gradient counts once per grey value, as the trunk computes it (lib/kernels/trunk.ts equalChannels): ÷ c_in; and so
 * does its forward pass when it has 6 filters, as the paper's (4,492,224 in all for the paper's CNN).
 */
export function trainingMultiplyAdds(model: LayersModel, greyInput = false): LayerMultiplyAdds[] {
  const rows: LayerMultiplyAdds[] = [];
  for (const l of model.layers) {
    const kind = l.getClassName();
    if (kind !== "Conv2D" && kind !== "Dense") continue;
    const out = (l.outputShape as number[]).slice(1);
    const kernel = l.getWeights()[0].shape; // Conv2D [k, k, c_in, f]; Dense [n_in, n_out]
    const perOutput = kernel.slice(0, -1).reduce((a, b) => a * b, 1);
    const forward = out.reduce((a, b) => a * b, 1) * perOutput;
    const first = rows.length === 0;
    const once = first && greyInput && kind === "Conv2D"; // the trunk's work once per grey value
    const perGrey = forward / (kernel[2] as number);
    rows.push({
      layer: l.name,
      forward: once && kernel[3] === 6 ? perGrey : forward,
      weightGradient: once ? perGrey : forward,
      inputGradient: first ? 0 : forward,
    });
  }
  return rows;
}
