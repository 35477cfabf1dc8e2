/**
 * The prose of notebooks/03-optim.ipynb (Section 2.3, Eq. 1–4): tables and listings. The computations are in
 * lib/optim.ts; this file formats what they return.
 */
import * as path from "path";
import { TFJS_RMSPROP_FILE, type OptimizerRace, type LossWorkedExample, type RmspropRow } from "../optim";
import { ROOT } from "../paths";
import { markdownTable, sideBySideHtml, sourceOf } from "../display";

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

/** lib/optim rmspropStep beside tfjs' `RMSPropOptimizer.applyGradients` (what training runs), as HTML. */
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
  const last = (p: { x: number; y: number; f: number }[]) => p[p.length - 1];
  const s = last(race.sgd.path);
  const r = last(race.rmsprop.path);
  return markdownTable(
    ["optimiser", "η", "after step", "x", "y", "f"],
    [
      ["SGD", race.sgd.lr, race.sgd.path.length - 1, s.x.toFixed(4), s.y.toFixed(4), s.f.toExponential(2)],
      ["RMSprop", race.rmsprop.lr, race.rmsprop.path.length - 1, r.x.toFixed(4), r.y.toFixed(4), r.f.toExponential(2)],
    ],
    ["l", "r", "r", "r", "r", "r"],
  );
}
