/**
 * The study's figures (notebook 06, `npm run figures`): pure functions summary.json → vega-lite spec.
 * - test accuracy over seeds per split: every run a dot, the mean with its 95 % interval, the paper's 0.8325 and the
 *   majority baseline as rules;
 * - per-class accuracy with intervals per split, beside the paper's per-class statements;
 * - the identity leak: accuracy by what the training part holds of a test image's person, with each group's image
 *   count; a group too small to estimate is drawn hollow.
 */
import type { TopLevelSpec } from "vega-lite";
import { PAPER_RESULTS } from "../config";
import type { StudySummary } from "../summary";

const SPLIT_LABEL: Record<string, string> = {
  random: "random 80/20",
  subject: "subject hold-out",
  "subject-cv": "subject 10-fold CV",
  "subject-cv-fan": "Emotion-FAN's 10 folds",
};
const label = (split: string) => SPLIT_LABEL[split] ?? split;

/** Test accuracy over seeds for each split, every run a dot, mean ± 95 % t interval, paper and majority lines. */
export function specStudyAccuracy(s: StudySummary): TopLevelSpec {
  const splits = s.splits.filter((x) => x.variant === "paper");
  const dots = splits.flatMap((x) =>
    x.runs.map((r) => ({ split: label(x.split), seed: r.seed, accuracy: r.accuracy })),
  );
  const means = splits.map((x) => ({
    split: label(x.split),
    mean: x.accuracy.mean,
    lo: x.accuracy.t?.lo ?? x.accuracy.mean,
    hi: x.accuracy.t?.hi ?? x.accuracy.mean,
    n: x.accuracy.n,
  }));
  const order = splits.map((x) => label(x.split));
  const y = { field: "split", type: "nominal" as const, sort: order, title: null, axis: { labelLimit: 220 } };
  return {
    title: {
      text: "Test accuracy over seeds",
      subtitle: [
        "each dot one run (seed); bar: mean with its 95% t interval; random 80/20 is the",
        "paper's protocol; red: the paper's single run; grey: always answering the largest class",
      ],
    },
    width: 460,
    height: 40 * Math.max(1, splits.length) + 20,
    layer: [
      {
        data: { values: dots },
        mark: { type: "circle", size: 40, opacity: 0.55, color: "#4c78a8" },
        encoding: {
          y,
          x: { field: "accuracy", type: "quantitative", scale: { domain: [0.2, 1] }, title: "test accuracy" },
        },
      },
      {
        data: { values: means },
        mark: { type: "rule", strokeWidth: 3, color: "#1f3b5a" },
        encoding: { y, x: { field: "lo", type: "quantitative" }, x2: { field: "hi" } },
      },
      {
        data: { values: means },
        mark: { type: "tick", thickness: 3, size: 22, color: "#1f3b5a" },
        encoding: { y, x: { field: "mean", type: "quantitative" } },
      },
      {
        data: { values: [{ x: PAPER_RESULTS.testAccuracy, what: "paper" }] },
        mark: { type: "rule", color: "#e45756", strokeDash: [4, 3] },
        encoding: { x: { field: "x", type: "quantitative" } },
      },
      {
        data: { values: [{ x: s.majorityBaseline.accuracy }] },
        mark: { type: "rule", color: "#999999", strokeDash: [2, 2] },
        encoding: { x: { field: "x", type: "quantitative" } },
      },
    ],
  };
}

/** Section 3.2's "over 90 %" (of anger, disgust, fear, happiness and surprise), drawn as the per-class chart's dashed rule. */
export const OVER_NINETY = 0.9;

/** Per-class accuracy (recall) with 95 % intervals per split, the paper's statements as red marks. */
export function specStudyPerClass(s: StudySummary): TopLevelSpec {
  const splits = s.splits.filter((x) => x.variant === "paper");
  const values = splits.flatMap((x) =>
    x.perClass.map((c) => ({
      class: c.class,
      split: label(x.split),
      mean: c.accuracy.mean,
      lo: c.accuracy.t?.lo ?? c.accuracy.mean,
      hi: c.accuracy.t?.hi ?? c.accuracy.mean,
    })),
  );
  const paper = Object.entries(PAPER_RESULTS.perClassAccuracy).map(([c, v]) => ({ class: c, value: v, what: "paper" }));
  const classes = splits[0]?.perClass.map((c) => c.class) ?? [];
  const x = { field: "class", type: "nominal" as const, sort: classes, title: null, axis: { labelAngle: 0 } };
  const color = {
    field: "split",
    type: "nominal" as const,
    sort: splits.map((sp) => label(sp.split)),
    title: null,
    legend: { orient: "bottom" as const, labelLimit: 260 },
  };
  return {
    title: {
      text: "Per-class accuracy over seeds",
      subtitle: [
        "mean and 95% t interval per split; red: the paper's stated values",
        `(${paper.map((p) => `${p.class} ${(100 * (p.value ?? NaN)).toFixed(1)}%`).join(", ")}); dashed: the paper's "over 90%"`,
      ],
    },
    width: 520,
    height: 240,
    layer: [
      {
        data: { values },
        mark: { type: "rule", strokeWidth: 2 },
        encoding: {
          x,
          xOffset: { field: "split", sort: splits.map((sp) => label(sp.split)) },
          y: { field: "lo", type: "quantitative", scale: { domain: [0, 1] }, title: "accuracy (recall)" },
          y2: { field: "hi" },
          color,
        },
      },
      {
        data: { values },
        mark: { type: "point", filled: true, size: 40 },
        encoding: {
          x,
          xOffset: { field: "split", sort: splits.map((sp) => label(sp.split)) },
          y: { field: "mean", type: "quantitative" },
          color,
        },
      },
      {
        data: { values: paper },
        mark: { type: "point", shape: "diamond", size: 90, color: "#e45756", filled: true },
        encoding: { x, y: { field: "value", type: "quantitative" } },
      },
      {
        data: { values: [{ y: OVER_NINETY }] },
        mark: { type: "rule", strokeDash: [4, 3], color: "#777777" },
        encoding: { y: { field: "y", type: "quantitative" } },
      },
    ],
  };
}

/** Below this many test images in all (over every run of a split), a leak group is drawn hollow, without an interval. */
export const LEAK_MIN_IMAGES = 20;

/**
 * Test accuracy by identity-leak group (another frame of the sequence in training / only the person / neither), one
 * panel per split (only the groups it has), each group labelled with its test images per run and in all. A group
 * with fewer than `minImages` images in all, or images in one run only (no interval over seeds), is not an estimate:
 * it is drawn as a hollow grey mark labelled "too few", not as a confident dot.
 *
 * @see notebooks/06-study.ipynb
 */
export function specStudyLeak(s: StudySummary, minImages = LEAK_MIN_IMAGES): TopLevelSpec {
  const names: Record<string, string> = {
    sequence: "sibling frame seen",
    subject: "only person seen",
    none: "person unseen",
  };
  const splits = s.splits.filter((x) => x.variant === "paper");
  const values = splits.flatMap((x) =>
    x.leak.map((l) => {
      const total = Math.round(l.images.mean * l.images.n);
      const few = total < minImages || !l.accuracy.t;
      const perRun = `${l.images.mean.toFixed(1)}/run, ${total.toLocaleString("en-US")} in all`;
      return {
        split: label(x.split),
        group: names[l.group],
        mean: l.accuracy.mean,
        lo: l.accuracy.t?.lo ?? l.accuracy.mean,
        hi: l.accuracy.t?.hi ?? l.accuracy.mean,
        total,
        few,
        label: few ? `${perRun}: too few to estimate` : perRun,
      };
    }),
  );
  const y = {
    field: "group",
    type: "nominal" as const,
    sort: Object.values(names),
    title: null,
    axis: { labelLimit: 220, minExtent: 130 },
  };
  return {
    title: {
      text: "The identity leak",
      subtitle: [
        "test accuracy by what training holds of a test image's person (a sibling frame",
        "of its sequence, only another sequence of the person, nothing): mean and 95% t",
        `interval over seeds; label: test images per run and in all; hollow: fewer than ${minImages}`,
        "images in all or in one run only, too few to estimate",
      ],
    },
    spacing: 14,
    vconcat: splits.map((sp, i) => {
      const x = {
        field: "mean",
        type: "quantitative" as const,
        scale: { domain: [0, 1] },
        title: i === splits.length - 1 ? "test accuracy" : null,
      };
      return {
        title: { text: label(sp.split), anchor: "start" as const, fontSize: 11 },
        data: { values: values.filter((v) => v.split === label(sp.split)) },
        width: 420,
        height: { step: 22 },
        layer: [
          {
            mark: { type: "rule", strokeWidth: 3, color: "#4c78a8" },
            encoding: {
              y,
              x: { ...x, field: "lo" },
              x2: { field: "hi" },
              opacity: { condition: { test: "datum.few", value: 0 }, value: 1 },
            },
          },
          {
            mark: { type: "point", size: 60, strokeWidth: 1.5 },
            encoding: {
              y,
              x,
              fill: { condition: { test: "datum.few", value: "transparent" }, value: "#1f3b5a" },
              stroke: { condition: { test: "datum.few", value: "#999999" }, value: "#1f3b5a" },
            },
          },
          {
            mark: { type: "text", dx: -8, align: "right", fontSize: 10 },
            encoding: { y, x: { ...x, field: "lo" }, text: { field: "label", type: "nominal" } },
          },
        ],
      };
    }),
  } as TopLevelSpec;
}
