/**
 * Notebook 03-optim's own code (Sections 2.2.2–2.2.3, Eq. 1–4): the loss on an example batch and on the run of record,
 * RMSprop step by step beside tfjs, the optimiser race on 2-D surfaces, the exercises' answers, the summary and the
 * notebook's tables and listings. Its worked examples on the real CNN (softmax of its logits, one real RMSprop step)
 * are lib/notebooks/03-optim-cnn.ts; Eq. 1–4 themselves, the race and the optimiser training uses are lib/optim.ts.
 */
import * as path from "path";
import { tf } from "../tf";
import { CLASSES, NUM_CLASSES, PAPER } from "../config";
import {
  KERAS_EPSILON,
  TFJS_RMSPROP_FILE,
  crossEntropy,
  elongatedQuadratic,
  oneHot,
  raceOptimizers,
  rmspropByHand,
  rmspropTfjs,
  sampleCrossEntropy,
  softmax,
  type OptimizerRace,
  type PathPoint,
  type RmspropRow,
  type RmspropSettings,
} from "../optim";
import { argmax, maxDifference } from "../arrays";
import type { RunRecord } from "../record";
import { ROOT } from "../paths";
import { markdownTable } from "../display/text";
import { sideBySideHtml, sourceOf } from "../display/listing";
import type { CnnStep, SoftmaxWorked } from "./03-optim-cnn";

/** The parameter cell as committed: the prose and its facts are written for it (test/notebooks-03-optim.test.ts). */
export const NOTEBOOK_PARAMETERS = {
  GRADS: [0.5, 0.5, -2, 0.01, 0.01],
  BETAS: [0.5, 0.9, 0.99],
  BATCH_SEED: 0,
  MODEL_SEED: 0,
  RACE_STEPS: 60,
  RACE_SGD_LR: 0.07,
  RACE_RMSPROP_LR: 0.1,
  RACE_RHO: 0.9,
  EX_RACE_RHO: 0,
  EX_RACE_LR: 0.001,
  EX_RHO: 0.99,
  EX_LOGIT_SHIFT: 10,
  EX_LOGIT_SCALE: 2,
};

/** One sample of the Eq. 1 worked example; `loss` is −log p_true, Eq. 1 for a one-hot y. */
export interface LossRow {
  sample: number;
  trueClass: string;
  pTrue: number;
  loss: number;
}

/** Eq. 1 per sample, Eq. 2 (`mean`), and tfjs' `tf.metrics.categoricalCrossentropy` for the same batch. */
export interface LossWorkedExample {
  rows: LossRow[];
  mean: number;
  tfjsPerSample: number[];
  tfjsMean: number;
}

/** Eq. 1 per sample and Eq. 2 (their mean) for labelled softmax rows, with tfjs' own numbers for the same batch. */
export function lossWorkedExample(labels: number[], probs: number[][]): LossWorkedExample {
  const y = labels.map((l) => oneHot(l, probs[0].length));
  const rows = labels.map((l, n) => ({
    sample: n + 1,
    trueClass: CLASSES[l] ?? String(l),
    pTrue: probs[n][l],
    loss: sampleCrossEntropy(y[n], probs[n]),
  }));
  const tfjsPerSample = tf.tidy(
    () => tf.metrics.categoricalCrossentropy(tf.tensor2d(y), tf.tensor2d(probs)).arraySync() as number[],
  );
  return {
    rows,
    mean: crossEntropy(y, probs),
    tfjsPerSample,
    tfjsMean: tfjsPerSample.reduce((a, b) => a + b, 0) / tfjsPerSample.length,
  };
}

/** The example batch of notebook 03: three faces' softmax outputs (confident right, unsure, confidently wrong). */
export const EXAMPLE_BATCH = {
  labels: [4, 5, 5],
  probs: [
    [0.01, 0.01, 0.02, 0.01, 0.92, 0.02, 0.01],
    [0.3, 0.05, 0.05, 0.05, 0.05, 0.45, 0.05],
    [0.7, 0.02, 0.05, 0.03, 0.02, 0.1, 0.08],
  ],
};

/** The tiny gradients of the ε-placement example (about √ε, where the two placements part ways). */
export const TINY_GRADS = [1e-4, 1e-4, 1e-4];

/** The Eq. 1–2 worked example as Markdown, ours beside tfjs. */
export function lossMarkdown(w: LossWorkedExample): string {
  return [
    markdownTable(
      ["sample", "true class", "p(true class)", "Eq. 1: −log p", "tfjs categoricalCrossentropy"],
      w.rows.map((r, i) => [
        r.sample,
        r.trueClass,
        r.pTrue.toFixed(2),
        r.loss.toFixed(6),
        w.tfjsPerSample[i].toFixed(6),
      ]),
      ["r", "l", "r", "r", "r"],
    ),
    "",
    `Eq. 2 (the mean): **${w.mean.toFixed(6)}**; tfjs: **${w.tfjsMean.toFixed(6)}**.`,
  ].join("\n");
}

/** Eq. 3–4 step by step as Markdown, with tfjs' θ after the same steps. */
export function rmspropMarkdown(rows: RmspropRow[], tfjsTheta: number[]): string {
  const e = (v: number) => (Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(3) : v.toFixed(6));
  return markdownTable(
    ["t", "g_t", "E[g²]_t (Eq. 3)", "√(E[g²]_t + ε)", "η·g_t / √(…)", "θ_t+1 (Eq. 4)", "θ_t+1 tfjs"],
    rows.map((r, i) => [
      r.t,
      e(r.g),
      e(r.meanSquare),
      e(r.denom),
      e(r.step),
      r.theta.toFixed(8),
      (tfjsTheta[i] ?? NaN).toFixed(8),
    ]),
    ["r", "r", "r", "r", "r", "r", "r"],
  );
}

/** lib/optim rmspropStep beside tfjs' `RMSPropOptimizer.applyGradients` (what training runs on the stock backends), as HTML. */
export function rmspropListingsHtml(): string {
  const ours = sourceOf(path.join(ROOT, "lib", "optim.ts"), "rmspropStep");
  const theirs = sourceOf(TFJS_RMSPROP_FILE, "RMSPropOptimizer.applyGradients");
  const rel = path.relative(ROOT, TFJS_RMSPROP_FILE);
  return sideBySideHtml(
    { title: `ours: ${ours.file}, line ${ours.line}`, code: ours.code },
    { title: `tfjs: ${rel}, line ${theirs.line}`, code: theirs.code },
  );
}

/** Where each optimiser of a race ended, as Markdown. */
export function raceMarkdown(race: OptimizerRace): string {
  const row = (name: string, { lr, path: p }: { lr: number; path: PathPoint[] }) => {
    const [{ x, y, f }, step] = [p[p.length - 1], p.length - 1];
    return [name, lr, step, x.toFixed(4), y.toFixed(4), f.toExponential(2)];
  };
  return markdownTable(
    ["optimiser", "η", "after step", "x", "y", "f"],
    [row("SGD", race.sgd), row("RMSprop", race.rmsprop)],
    ["l", "r", "r", "r", "r", "r"],
  );
}

/** Eq. 1–2 on a run record's stored test probabilities, split into the images it got right and wrong. */
export interface RecordLoss {
  /** Test images; `stored`: `test.loss` as tfjs' `evaluate` reported it (float32); `eq2`: Eq. 2 here (float64). */
  images: number;
  stored: number;
  eq2: number;
  groups: { name: string; images: number; sum: number }[];
  /** The largest per-image losses (Eq. 1), largest first; every image's loss. */
  worst: { file: string; trueClass: string; predicted: string; pTrue: number; loss: number }[];
  perImage: { loss: number; right: boolean }[];
}

/** {@link RecordLoss} of `run` (its `test.predictions`, written by lib/evaluate.ts evaluatePredictions). */
export function recordLoss(run: RunRecord, worst = 5): RecordLoss {
  const rows = run.test.predictions.map((p) => {
    const k = argmax(p.probs);
    const loss = sampleCrossEntropy(oneHot(p.label, p.probs.length), p.probs);
    return {
      file: p.file,
      trueClass: run.classes[p.label],
      predicted: run.classes[k],
      right: k === p.label,
      pTrue: p.probs[p.label],
      loss,
    };
  });
  const group = (name: string, r: typeof rows) => ({ name, images: r.length, sum: r.reduce((a, x) => a + x.loss, 0) });
  const [all, images] = [group("all", rows), rows.length];
  const groups = [
    group(
      "classified right",
      rows.filter((r) => r.right),
    ),
    group(
      "misclassified",
      rows.filter((r) => !r.right),
    ),
    all,
  ];
  const perImage = rows.map((r) => ({ loss: r.loss, right: r.right }));
  return {
    images,
    stored: run.test.loss,
    eq2: all.sum / images,
    groups,
    worst: [...rows].sort((a, b) => b.loss - a.loss).slice(0, worst),
    perImage,
  };
}

/** {@link RecordLoss} as Markdown. */
export function recordLossMarkdown(r: RecordLoss): string {
  const total = r.groups[r.groups.length - 1].sum;
  return [
    `Eq. 2 over the ${r.images} stored rows: **${r.eq2.toFixed(6)}**; the stored \`test.loss\` (tfjs' \`evaluate\` when ` +
      `the run was made, in float32): **${r.stored.toFixed(6)}** (difference ${Math.abs(r.eq2 - r.stored).toExponential(1)}).`,
    "",
    markdownTable(
      ["test images", "images", "share of images", "Σ Lₙ", "share of the loss", "mean Lₙ"],
      r.groups.map((g) => [
        g.name,
        g.images,
        `${((100 * g.images) / r.images).toFixed(1)} %`,
        g.sum.toFixed(3),
        `${((100 * g.sum) / total).toFixed(1)} %`,
        (g.sum / g.images).toFixed(4),
      ]),
      ["l", "r", "r", "r", "r", "r"],
    ),
    "",
    `The ${r.worst.length} largest terms:`,
    "",
    markdownTable(
      ["image", "true class", "predicted", "p(true class)", "Lₙ = −ln p"],
      r.worst.map((w) => [w.file, w.trueClass, w.predicted, w.pTrue.toExponential(2), w.loss.toFixed(3)]),
      ["l", "l", "l", "r", "r"],
    ),
  ].join("\n");
}

/** ln C (a uniform guess over C classes) beside every fold's first-epoch losses, as Markdown. */
export function firstEpochMarkdown(run: RunRecord): string {
  const ln = Math.log(NUM_CLASSES);
  return [
    `A uniform guess, p = 1/${NUM_CLASSES} for every class, costs ln ${NUM_CLASSES} = **${ln.toFixed(4)}** per image.`,
    "",
    markdownTable(
      ["fold", "epoch 1: training loss", "epoch 1: validation loss", `training loss − ln ${NUM_CLASSES}`],
      run.folds.map((f) => [
        f.index + 1,
        f.history[0].loss.toFixed(4),
        f.history[0].valLoss.toFixed(4),
        (f.history[0].loss - ln).toFixed(4),
      ]),
      ["r", "r", "r", "r"],
    ),
  ].join("\n");
}

/** Exercise: a race with other settings ({@link raceMarkdown}), and what β = 0 makes of RMSprop. */
export function raceAnswerMarkdown(race: OptimizerRace): string {
  const [p0, p1] = [race.rmsprop.path[0], race.rmsprop.path[race.rmsprop.path.length - 1]];
  return (
    `${raceMarkdown(race)}\n\nRMSprop (β = ${race.rmsprop.rho}) moved ${Math.hypot(p1.x - p0.x, p1.y - p0.y).toFixed(4)} from ` +
    `the start. With β = 0, E[g²] is just the last g², so every step is η·g/√(g² + ε) ≈ η·sign(g): a fixed length per ` +
    `coordinate whatever the slope, and at the paper's η a short way in total.`
  );
}

/** Exercise: the one-parameter example with another β beside the notebook's. */
export function rhoAnswerMarkdown(grads: number[], settings: RmspropSettings, rho: number): string {
  const [a, b] = [rmspropByHand(1, grads, settings), rmspropByHand(1, grads, { ...settings, rho })];
  const steps = (r: RmspropRow[]) => r.map((x) => (x.step / settings.lr).toFixed(2)).join(", ");
  return [
    `Each step in units of η: β = ${settings.rho}: ${steps(a)}; β = ${rho}: ${steps(b)}. The first step is ` +
      `η/√(1 − β) = ${(1 / Math.sqrt(1 - rho)).toFixed(2)} η with β = ${rho}: the running mean starts at 0 and takes ` +
      `longer to fill, and then it remembers the large gradient for about ${(1 / (1 - rho)).toFixed(0)} steps instead of ` +
      `${(1 / (1 - settings.rho)).toFixed(0)}.`,
    "",
    rmspropMarkdown(b, rmspropTfjs(1, grads, { ...settings, rho })),
  ].join("\n");
}

/** Exercise: ε outside the root (tf.keras) against inside (the paper, tfjs) on the CNN step's real gradients. */
export function epsilonAnswerMarkdown(grads: Float64Array[], settings: RmspropSettings): string {
  let [moved, differ, ratio] = [0, 0, 1];
  for (const gj of grads.flatMap((g) => Array.from(g)).filter((v) => v !== 0)) {
    const v = (1 - settings.rho) * gj * gj; // E[g²]_1: the first step's running mean
    const r = Math.sqrt(v + settings.epsilon) / (Math.sqrt(v) + settings.epsilon); // outside step ÷ inside step
    [moved, differ, ratio] = [moved + 1, differ + (r > 1.01 ? 1 : 0), Math.max(ratio, r)];
  }
  return (
    `Of the ${moved.toLocaleString("en-US")} parameters with a non-zero gradient, ${differ.toLocaleString("en-US")} ` +
    `(${((100 * differ) / moved).toFixed(1)} %) take a first step more than 1 % longer with ε outside the root; the ` +
    `largest is ${ratio.toFixed(1)}× longer. They are the ones with abs(g) of about √(ε/(1 − β)) = ` +
    `${Math.sqrt(settings.epsilon / (1 - settings.rho)).toExponential(1)} or less, where ε inside the root damps the step.`
  );
}

/** Exercise: the probabilities of shifted and scaled logits. */
export function logitsAnswerMarkdown(logits: number[], shift: number, scale: number): string {
  const rows = [
    ["z", softmax(logits)],
    [`z + ${shift}`, softmax(logits.map((z) => z + shift))],
    [`${scale}·z`, softmax(logits.map((z) => scale * z))],
  ] as const;
  return [
    markdownTable(
      ["logits", ...CLASSES],
      rows.map(([name, p]) => [name, ...p.map((v) => v.toFixed(6))]),
      ["l", ...CLASSES.map(() => "r" as const)],
    ),
    "",
    `Adding a constant changes nothing (the factor e^${shift} cancels in the ratio); multiplying by ${scale} makes the ` +
      `largest probability larger and the others smaller (a "temperature" of 1/${scale}).`,
  ].join("\n");
}

/** Exercise: the loss of a model that ignores the image and outputs the training set's class shares. */
export function priorAnswerMarkdown(run: RunRecord, eq2: number): string {
  const label = (f: string) => run.classes.indexOf(f.split("/")[0]);
  const counts = new Array<number>(run.classes.length).fill(0);
  for (const f of run.split.train) counts[label(f)]++;
  const shares = counts.map((c) => c / run.split.train.length);
  const loss = run.split.test.reduce((a, f) => a - Math.log(shares[label(f)]), 0) / run.split.test.length;
  return (
    `Outputting the ${run.split.train.length} training images' class shares (${shares.map((q) => q.toFixed(3)).join(", ")}) ` +
    `for every test image costs **${loss.toFixed(4)}** per image (Eq. 2 over the ${run.split.test.length} test images), ` +
    `below ln ${run.classes.length} = ${Math.log(run.classes.length).toFixed(4)} because the classes are unbalanced, and far ` +
    `above the trained CNN's ${eq2.toFixed(4)}. A first-epoch loss near this value means the network has so far learnt ` +
    `only how common each class is.`
  );
}

/** The Summary of notebook 03, from what its cells computed. */
export function summaryMarkdown(o: {
  worked: LossWorkedExample;
  record?: RecordLoss;
  softmax: SoftmaxWorked;
  byHand: RmspropRow[];
  tfjsTheta: number[];
  step: CnnStep;
  race: OptimizerRace;
}): string {
  const wrong = o.record?.groups.find((g) => g.name === "misclassified");
  const total = o.record?.groups[o.record.groups.length - 1].sum ?? NaN;
  const sgd = o.race.sgd.path[o.race.sgd.path.length - 1].f;
  const rms = o.race.rmsprop.path[o.race.rmsprop.path.length - 1].f;
  const stock = maxDifference(o.step.trained, o.step.stock);
  return [
    `- **Eq. 1–2:** on the example batch ours ${o.worked.mean.toFixed(6)}, tfjs ${o.worked.tfjsMean.toFixed(6)}.` +
      (o.record && wrong
        ? ` On the run of record's ${o.record.images} test images Eq. 2 gives ${o.record.eq2.toFixed(4)} (stored: ` +
          `${o.record.stored.toFixed(4)}); the ${wrong.images} misclassified images (${((100 * wrong.images) / o.record.images).toFixed(1)} % ` +
          `of them) carry ${((100 * wrong.sum) / total).toFixed(1)} % of it.`
        : " No run record: the loss of a real run was not computed."),
    `- **Softmax by hand** on the network's logits equals \`model.predict\` to ` +
      `${Math.max(...o.softmax.byHand.map((p, i) => Math.abs(p - o.softmax.predict[i]))).toExponential(1)}.`,
    `- **Eq. 3–4** on one parameter: θ by hand and tfjs' agree to ${Math.max(...o.byHand.map((r, i) => Math.abs(r.theta - o.tfjsTheta[i]))).toExponential(1)} after ${o.byHand.length} steps. ` +
      `On the CNN (${o.step.grads.reduce((a, g) => a + g.length, 0).toLocaleString("en-US")} parameters, one batch): by hand vs ` +
      `\`${o.step.optimizer}\` ${maxDifference(o.step.byHand, o.step.trained).toExponential(1)}; \`${o.step.optimizer}\` vs ` +
      `tfjs' RMSprop ${stock === 0 ? "bit-identical" : stock.toExponential(1)}; the batch's loss ${o.step.lossBefore.toFixed(4)} → ${o.step.lossAfter.toFixed(4)}.`,
    `- **The race** (η = ${o.race.rmsprop.lr} for RMSprop, ${o.race.sgd.lr} for SGD, ${o.race.sgd.path.length - 1} steps): f ends at ` +
      `${rms.toExponential(2)} for RMSprop and ${sgd.toExponential(2)} for SGD (${(sgd / rms).toFixed(0)}× higher).`,
  ].join("\n");
}

/** The facts this notebook's prose cites by name, beside lib/notebooks/facts.ts commonFacts (tied in cell metadata). */
export function proseFacts(): Record<string, number> {
  const P = NOTEBOOK_PARAMETERS;
  const settings = { lr: PAPER.learningRate, rho: PAPER.rho, epsilon: PAPER.epsilon };
  const rows = rmspropByHand(1, P.GRADS, settings);
  const inside = rmspropByHand(1, TINY_GRADS, settings);
  const ratios = rmspropByHand(1, TINY_GRADS, { ...settings, epsilonPlacement: "outside" }).map(
    (r, i) => r.step / inside[i].step,
  );
  const [start] = raceOptimizers().sgd.path;
  const [y, probs] = [EXAMPLE_BATCH.labels, EXAMPLE_BATCH.probs];
  return {
    ...{ "loss.clip": KERAS_EPSILON, "loss.max": -Math.log(KERAS_EPSILON), ln7: Math.log(NUM_CLASSES) },
    ...{ "example.p.1": probs[1][y[1]], "example.p.2": probs[2][y[2]], "example.pWrong.2": Math.max(...probs[2]) },
    ...{ "example.loss.2": -Math.log(probs[2][y[2]]), "rmsprop.firstStep": 1 / Math.sqrt(1 - PAPER.rho) },
    ...{
      "example.gradRatio": Math.abs(P.GRADS[2] / P.GRADS[3]),
      "example.stepRatio": Math.abs(rows[2].step / rows[3].step),
    },
    ...{ "tiny.grad": TINY_GRADS[0], "tiny.ratio.min": Math.min(...ratios), "tiny.ratio.max": Math.max(...ratios) },
    ...{ "ema.memory": 1 / (1 - PAPER.rho), "epsilon.sqrt": Math.sqrt(PAPER.epsilon), "ex.rho": P.EX_RHO },
    "epsilon.firstStep": Math.sqrt(PAPER.epsilon / (1 - PAPER.rho)),
    ...{ "race.kappa": elongatedQuadratic().grad(0, 1)[1], "race.start.0": start.x, "race.start.1": start.y },
    ...{ "race.steps": P.RACE_STEPS, "race.sgdLr": P.RACE_SGD_LR, "race.rmspropLr": P.RACE_RMSPROP_LR },
    "race.lrFactor": P.RACE_RMSPROP_LR / PAPER.learningRate,
    "race.paperReach": (P.RACE_STEPS * PAPER.learningRate) / Math.sqrt(1 - PAPER.rho),
  };
}
