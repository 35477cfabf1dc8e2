/**
 * The prose of notebooks/02-model.ipynb (Sections 2.2–2.2.1, Fig 3): why a convolution, the layers written out, the
 * tables, the checks of initialisation and dropout, the exercises' answers and the summary. The model itself is
 * lib/model.ts (with what it does to one image: featureMaps, dropoutAtWork), the pictures of its feature maps
 * lib/display/pictures.ts featureMapGrid; this file formats what they return and works the notebook's examples.
 */
import * as path from "path";
import { CLASSES, PAPER, PAPER_RESULTS, type ProtocolConfig } from "../config";
import { tf, type LayersModel, type Sequential, type Tensor } from "../tf";
import {
  createModel,
  featureMaps,
  parametersByHand,
  whyConvolution,
  type GlorotRow,
  type WhyConvolution,
  type LayerSummary,
  type ParamRow,
  type ShapeStep,
  type DropoutAtWork,
} from "../model";
import { argmax } from "../arrays";
import { decodeImage } from "../data/decode";
import { listImages } from "../data/files";
import type { DataStatus } from "../runs";
import { demoPattern } from "../display/pictures";
import { markdownTable } from "../display/text";

const n = (v: number) => v.toLocaleString("en-US");

/**
 * The values of the notebook's parameter cell, as committed: its prose is written for them (and its facts are
 * computed from them); test/notebooks-02-model.test.ts checks that the cell still says the same.
 */
export const NOTEBOOK_PARAMETERS = {
  SEED: 0,
  FACE_CLASS: "happy",
  FACE_INDEX: 0,
  CHANNELS_SHOWN: 16,
  EX_CONV3_KERNEL: 5,
  EX_PADDING: "same",
  EX_FILTER_FACTOR: 2,
  EX_SHIFT: 4,
};

/** Image `index` of class `className` (file-name order) from CK+48, or the synthetic pattern when it is absent. */
export async function modelFace(
  data: DataStatus,
  className = "happy",
  index = 0,
): Promise<{ image: Float32Array; label: string }> {
  if (!(CLASSES as readonly string[]).includes(className))
    throw new Error(`FACE_CLASS must be one of ${CLASSES.join(", ")} (got "${className}")`);
  if (!data.present) return { image: demoPattern(), label: "synthetic pattern (CK+48 absent)" };
  const files = listImages(data.dir).filter((f) => f.startsWith(`${className}/`));
  if (!(index >= 0 && index < files.length))
    throw new Error(`FACE_INDEX must be in 0…${files.length - 1} for ${className} (got ${index})`);
  return { image: await decodeImage(path.join(data.dir, files[index])), label: files[index] };
}

/**
 * The paper's CNN (Section 2.2, Fig 3) written out layer by layer, as one would type it from the figure. The same
 * layers, names, initialisers and seeds as {@link createModel}, which builds this network from `PAPER.arch` instead
 * (notebook 02 checks that the two give identical weights). `padding = "same"` is for the notebook's exercise only;
 * the shape comments are for the paper's "valid".
 *
 * @see notebooks/02-model.ipynb
 */
export function paperCnn(seed = 0, padding: "valid" | "same" = "valid"): Sequential {
  // glorot-uniform: weights drawn uniformly from [−a, a], a = √(6 / (fan_in + fan_out)); biases start at 0
  const glorot = (k: number) => tf.initializers.glorotUniform({ seed: 1000 * seed + k });
  const relu = "relu"; // max(0, z), value by value
  return tf.sequential({
    name: "fer_cnn",
    layers: [
      // 48×48×3 → 44×44×6. "valid": no border of zeros, so a 5-wide window fits 48 − 5 + 1 = 44 times across
      tf.layers.conv2d({
        inputShape: [48, 48, 3],
        filters: 6,
        kernelSize: 5,
        padding,
        activation: relu,
        kernelInitializer: glorot(0),
        name: "conv1",
      }),
      tf.layers.maxPooling2d({ poolSize: 2, name: "pool1" }), // → 22×22×6: the largest value of each 2×2 block
      tf.layers.conv2d({
        filters: 16,
        kernelSize: 5,
        padding,
        activation: relu,
        kernelInitializer: glorot(1),
        name: "conv2",
      }), // → 18×18×16
      tf.layers.maxPooling2d({ poolSize: 2, name: "pool2" }), // → 9×9×16
      tf.layers.conv2d({
        filters: 64,
        kernelSize: 3,
        padding,
        activation: relu,
        kernelInitializer: glorot(2),
        name: "conv3",
      }), // → 7×7×64
      tf.layers.maxPooling2d({ poolSize: 2, name: "pool3" }), // → 3×3×64 (7 / 2, rounded down)
      tf.layers.flatten({ name: "flatten" }), // → 576 numbers in a row
      tf.layers.dense({ units: 128, activation: relu, kernelInitializer: glorot(3), name: "dense1" }),
      // training only: each of the 128 values is zeroed with probability 0.5 and the others doubled; inference: unchanged
      tf.layers.dropout({ rate: 0.5, seed: 1000 * seed + 4, name: "dropout" }),
      // 7 logits z, then softmax: p_c = e^{z_c} / Σ_j e^{z_j}, 7 probabilities that sum to 1
      tf.layers.dense({ units: 7, activation: "softmax", kernelInitializer: glorot(5), name: "output" }),
    ],
  });
}

/** Whether two models have the same layers (names, kinds) and bit-identical weights, as a Markdown sentence. */
export function sameModelMarkdown(a: LayersModel, b: LayersModel): string {
  const kinds = (m: LayersModel) => m.layers.map((l) => `${l.name}:${l.getClassName()}`).join(" ");
  const wa = a.getWeights();
  const wb = b.getWeights();
  let diff = wa.length === wb.length ? 0 : Infinity;
  wa.forEach((w, i) => {
    const x = w.dataSync();
    const y = wb[i]?.dataSync();
    if (!y || y.length !== x.length) diff = Infinity;
    else for (let j = 0; j < x.length; j++) diff = Math.max(diff, Math.abs(x[j] - y[j]));
  });
  const same = kinds(a) === kinds(b) && diff === 0;
  return same
    ? `The literal network and \`createModel\`'s have the same ${a.layers.length} layers and the same ${wa.length} weight tensors (${n(a.countParams())} numbers), **bit for bit**: the factory builds exactly this sequence.`
    : `**The literal network and \`createModel\`'s differ** (layers ${kinds(a) === kinds(b) ? "equal" : "differ"}, largest weight difference ${diff}).`;
}

/** {@link WhyConvolution} as a Markdown table, with the ratios to conv1 and to `total`, the CNN's parameter count. */
export function whyConvolutionMarkdown(
  w: WhyConvolution,
  total = parametersByHand().reduce((a, r) => a + r.params, 0),
): string {
  const [s, , c] = w.input;
  const [o, , f] = w.output;
  const k = w.kernel;
  const row = (name: string, formula: string, v: number) => [name, formula, n(v), `${n(Math.round(v / w.conv))}×`];
  return [
    markdownTable(
      ["layer from " + w.input.join("×") + " to " + w.output.join("×"), "parameters", "count", "× conv1"],
      [
        row("dense: every output sees every input", `(${s}·${s}·${c})·(${o}·${o}·${f}) + ${o}·${o}·${f}`, w.dense),
        row("local perception only: one window each, own weights", `${o}·${o}·${f}·(${k}·${k}·${c} + 1)`, w.local),
        row("convolution: local perception + parameter sharing", `${f}·(${k}·${k}·${c} + 1)`, w.conv),
      ],
      ["l", "l", "r", "r"],
    ),
    "",
    `The dense layer alone would have ${n(Math.round(w.dense / total))} times the parameters of the whole CNN ` +
      `(${n(total)}, by hand below).`,
  ].join("\n");
}
/** The layer table of lib/model summarize() as Markdown. */
export function layersMarkdown(layers: LayerSummary[]): string {
  const total = layers.reduce((a, l) => a + l.params, 0);
  return markdownTable(
    ["layer", "kind", "detail", "output", "parameters"],
    [
      ...layers.map((l) => [l.name, l.kind, l.detail, l.outputShape.join("×"), l.params.toLocaleString("en-US")]),
      ["**total**", "", "", "", `**${total.toLocaleString("en-US")}**`],
    ],
    ["l", "l", "l", "l", "r"],
  );
}

/** A shape trace as Markdown. */
export function traceMarkdown(steps: ShapeStep[]): string {
  return markdownTable(
    ["layer", "kind", "input tensor", "output tensor", "output min", "output max"],
    steps.map((s) => [
      s.layer,
      s.kind,
      `[${s.input.join(", ")}]`,
      `[${s.output.join(", ")}]`,
      s.min.toFixed(3),
      s.max.toFixed(3),
    ]),
    ["l", "l", "l", "l", "r", "r"],
  );
}

/** The parameter count by hand as Markdown, with the check against tfjs' model.countParams(). */
export function paramsMarkdown(rows: ParamRow[], countParams: number): string {
  const total = rows.reduce((a, r) => a + r.params, 0);
  const sum = rows
    .filter((r) => r.params)
    .map((r) => r.params.toLocaleString("en-US"))
    .join(" + ");
  return [
    markdownTable(
      ["layer", "output", "by hand", "parameters"],
      rows.map((r) => [r.layer, r.output, r.formula, r.params.toLocaleString("en-US")]),
      ["l", "l", "l", "r"],
    ),
    "",
    `By hand: ${sum} = **${total.toLocaleString("en-US")}**. tfjs \`model.countParams()\`: **${countParams.toLocaleString("en-US")}**. ` +
      (total === countParams ? "They agree." : "**They differ.**") +
      ` The paper (Fig 3): ${PAPER_RESULTS.params.toLocaleString("en-US")}.`,
  ].join("\n");
}

/**
 * Where the parameters sit (notebook 02): the largest layer's share and the convolutions' total, from
 * {@link parametersByHand}'s rows, so the sentence follows the architecture in PAPER.arch.
 */
export function paramShareMarkdown(rows: ParamRow[]): string {
  const total = rows.reduce((a, r) => a + r.params, 0);
  const biggest = rows.reduce((a, r) => (r.params > a.params ? r : a));
  const conv = rows.filter((r) => r.layer.startsWith("conv")).reduce((a, r) => a + r.params, 0);
  return (
    `${Math.round((100 * biggest.params) / total)} % of the parameters (${n(biggest.params)}) sit in \`${biggest.layer}\` ` +
    `(${biggest.formula}). The convolutions, which do the seeing, have ${n(conv)} together.`
  );
}

/** The shapes one face takes through the network, as one line (the Summary of notebook 02). */
export function shapeChain(steps: ShapeStep[]): string {
  const seen: string[] = [steps[0].input.slice(1).join("×")];
  for (const s of steps) if (s.kind !== "Dropout") seen.push(s.output.slice(1).join("×"));
  return seen.join(" → ");
}

/** The glorot check as Markdown. */
export function glorotMarkdown(rows: GlorotRow[]): string {
  const ok = rows.every((r) => r.maxAbs <= r.limit && r.biasMaxAbs === 0);
  return [
    markdownTable(
      [
        "layer",
        "fan_in",
        "fan_out",
        "a = √(6/(fan_in+fan_out))",
        "largest drawn abs(w)",
        "std of w",
        "a/√3",
        "largest abs(bias)",
      ],
      rows.map((r) => [
        r.layer,
        r.fanIn,
        r.fanOut,
        r.limit.toFixed(4),
        r.maxAbs.toFixed(4),
        r.std.toFixed(4),
        (r.limit / Math.sqrt(3)).toFixed(4),
        r.biasMaxAbs,
      ]),
      ["l", "r", "r", "r", "r", "r", "r", "r"],
    ),
    "",
    ok
      ? "Every weight lies inside its layer's [−a, a], the spread matches a uniform's a/√3, and every bias is 0."
      : "**Some weight lies outside its bound, or a bias is not 0.**",
  ].join("\n");
}

/** {@link DropoutAtWork} as Markdown: the two modes side by side and the softmax's sum. */
export function dropoutMarkdown(d: DropoutAtWork): string {
  const sum = d.probsPredict.reduce((a, b) => a + b, 0);
  return [
    `dense1 has ${d.units} units; ${d.active} are positive for this image (ReLU zeroes the rest). In training mode ` +
      `dropout set ${d.dropped} of them to 0 and multiplied the others by ${d.scale.toFixed(4)} (1 / (1 − rate)); in ` +
      `inference mode it ${d.inferenceUnchanged ? "changed nothing" : "**changed values**"}. The softmax's 7 ` +
      `probabilities (\`model.predict\`, inference) sum to ${sum.toFixed(6)}:`,
    "",
    markdownTable(
      ["", ...CLASSES],
      [
        ["`model.predict(x)` (inference)", ...d.probsPredict.map((p) => p.toFixed(4))],
        ["`model.apply(x, { training: true })`", ...d.probsTraining.map((p) => p.toFixed(4))],
      ],
      ["l", ...CLASSES.map(() => "r" as const)],
    ),
  ].join("\n");
}

/**
 * An exercise's answer: the parameters of a variant architecture (by hand and by tfjs on the model built from it)
 * beside the paper's, layer by layer. `padding = "same"` builds {@link paperCnn} with it (the paper's layers only).
 */
export function recountMarkdown(
  config: Pick<ProtocolConfig, "arch" | "imageSize" | "channels" | "dropout">,
  padding: "valid" | "same" = "valid",
): string {
  if (padding === "same" && config.arch !== PAPER.arch)
    throw new Error("'same' padding is built for the paper's layers only");
  const rows = parametersByHand(config, padding);
  const paper = parametersByHand();
  const model = padding === "same" ? paperCnn(0, "same") : createModel(0, config);
  const tfjs = model.countParams();
  model.dispose();
  const total = (r: ParamRow[]) => r.reduce((a, x) => a + x.params, 0);
  const table = markdownTable(
    [
      "layer",
      "paper: output",
      "paper: parameters",
      "variant: output",
      "variant: by hand",
      "variant: parameters",
      "× paper",
    ],
    rows.map((r, i) => {
      const was = paper[i]?.params ?? 0;
      return [
        r.layer,
        paper[i]?.output ?? "",
        n(was),
        r.output,
        r.formula,
        n(r.params),
        was ? (r.params / was).toFixed(2) : "",
      ];
    }),
    ["l", "l", "r", "l", "l", "r", "r"],
  );
  return [
    table,
    "",
    `Variant: **${n(total(rows))}** parameters by hand, ${n(tfjs)} by tfjs \`countParams()\` ` +
      `(${total(rows) === tfjs ? "they agree" : "**they differ**"}); the paper's network has ${n(total(paper))} ` +
      `(× ${(total(rows) / total(paper)).toFixed(3)}).`,
  ].join("\n");
}

/** Translation equivariance of conv1 (parameter sharing at work): the face shifted left by `shift` pixels. */
export interface ShiftCheck {
  shift: number;
  /** Largest difference between conv1's maps of the shifted face and the original maps shifted the same way. */
  aligned: number;
  /** The same, without shifting the original maps back: how much the maps moved. */
  unaligned: number;
  /** Largest change of any class probability, and whether the predicted class stayed. */
  probsChange: number;
  sameClass: boolean;
}

/** {@link ShiftCheck} for a 48×48×3 image on `model` (a fresh {@link createModel}`(0)` when none is given). */
export function shiftEquivariance(image: Float32Array, shift: number, model?: LayersModel): ShiftCheck {
  const s = PAPER.imageSize;
  const shifted = new Float32Array(image.length);
  for (let y = 0; y < s; y++)
    for (let x = 0; x < s; x++)
      for (let c = 0; c < 3; c++) shifted[(y * s + x) * 3 + c] = image[(y * s + Math.min(x + shift, s - 1)) * 3 + c];
  const m = model ?? createModel(0);
  const xa = tf.tensor4d(image, [1, s, s, 3]);
  const xb = tf.tensor4d(shifted, [1, s, s, 3]);
  const [a] = featureMaps(m, xa, ["conv1"]);
  const [b] = featureMaps(m, xb, ["conv1"]);
  const [side, , f] = a.shape;
  let aligned = 0;
  let unaligned = 0;
  for (let y = 0; y < side; y++)
    for (let x = 0; x + shift < side; x++)
      for (let c = 0; c < f; c++) {
        const vb = b.data[(y * side + x) * f + c];
        aligned = Math.max(aligned, Math.abs(vb - a.data[(y * side + x + shift) * f + c]));
        unaligned = Math.max(unaligned, Math.abs(vb - a.data[(y * side + x) * f + c]));
      }
  const [pa, pb] = tf.tidy(() => [xa, xb].map((t) => (m.predict(t) as Tensor).dataSync() as Float32Array));
  xa.dispose();
  xb.dispose();
  if (!model) m.dispose();
  const probsChange = Math.max(...Array.from(pa, (v, i) => Math.abs(v - pb[i])));
  return { shift, aligned, unaligned, probsChange, sameClass: argmax(pa) === argmax(pb) };
}

/** {@link ShiftCheck} as the exercise's answer. */
export function shiftMarkdown(c: ShiftCheck, model = "a fresh model"): string {
  return (
    `Shifted left by ${c.shift} pixels, the face gives conv1 maps that are the original maps shifted by ${c.shift}: ` +
    `the largest difference, where both are defined, is **${c.aligned.toExponential(2)}** (compared without the ` +
    `shift the maps differ by up to ${c.unaligned.toFixed(4)}). The same filter at every position makes the layer ` +
    `*equivariant* to shifts. Pooling and the dense layers are not, so nothing guarantees the same output: with ` +
    `${model} the class probabilities change by up to ${c.probsChange.toExponential(2)} and the predicted class ` +
    `${c.sameClass ? "stays" : "changes"}. A trained network is nearly shift-invariant only because it learnt to be, ` +
    `from the shifted images of the augmentation (notebook 01).`
  );
}

/** The Summary of notebook 02, from what its cells computed. */
export function summaryMarkdown(o: {
  rows: ParamRow[];
  countParams: number;
  why: WhyConvolution;
  glorot: GlorotRow[];
  dropout: DropoutAtWork;
  chain: string;
}): string {
  const total = o.rows.reduce((a, r) => a + r.params, 0);
  const dense1 = o.rows.find((r) => r.layer === "dense1");
  const conv1 = o.glorot.find((r) => r.layer === "conv1");
  return [
    `- **The network:** ${o.chain}.`,
    `- **Parameters:** ${n(total)} by hand, ${n(o.countParams)} by tfjs, ${n(PAPER_RESULTS.params)} in the paper's ` +
      `Fig 3${total === o.countParams && total === PAPER_RESULTS.params ? " (all three agree)" : " (**they differ**)"}; ` +
      `${dense1 ? `${Math.round((100 * dense1.params) / total)} % of them in dense1` : ""}.`,
    `- **Why convolutions:** conv1 has ${n(o.why.conv)} parameters; a dense layer with the same input and output ` +
      `would have ${n(o.why.dense)} (${n(Math.round(o.why.dense / o.why.conv))}×), local windows without sharing ` +
      `${n(o.why.local)}.`,
    `- **Initialisation:** glorot-uniform${conv1 ? ` (conv1: a = ${conv1.limit.toFixed(4)}, largest drawn ${conv1.maxAbs.toFixed(4)})` : ""}; ` +
      `${o.glorot.every((r) => r.maxAbs <= r.limit) ? "every weight within its bound" : "**a weight outside its bound**"}, biases 0.`,
    `- **Dropout:** in training it zeroed ${o.dropout.dropped} of the ${o.dropout.active} active dense1 units and ` +
      `scaled the rest by ${o.dropout.scale.toFixed(2)}; in inference it ${o.dropout.inferenceUnchanged ? "did nothing" : "**changed values**"}.`,
  ].join("\n");
}

/** The facts this notebook's prose cites by name, beside lib/notebooks/facts.ts commonFacts (tied in cell metadata). */
export function proseFacts(): Record<string, number> {
  const why = whyConvolution();
  return {
    "why.inputs": why.input.reduce((a, b) => a * b, 1),
    "why.outputs": why.output.reduce((a, b) => a * b, 1),
    "why.positions": why.output[0] * why.output[1],
    "why.window": why.kernel * why.kernel * why.input[2],
    "why.conv": why.conv,
    "why.dense": why.dense,
    "glorot.conv1.fanIn": why.kernel * why.kernel * why.input[2],
    "glorot.conv1.fanOut": why.kernel * why.kernel * why.output[2],
    "glorot.conv1.limit": Math.sqrt(6 / (why.kernel * why.kernel * (why.input[2] + why.output[2]))),
    "dropout.scale": 1 / (1 - PAPER.dropout),
    "ex.conv3Kernel": NOTEBOOK_PARAMETERS.EX_CONV3_KERNEL,
    "ex.shift": NOTEBOOK_PARAMETERS.EX_SHIFT,
    "ex.filterFactorSquared": NOTEBOOK_PARAMETERS.EX_FILTER_FACTOR ** 2,
  };
}
