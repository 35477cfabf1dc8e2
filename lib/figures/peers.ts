/**
 * The peers' figure and figures/peers.md (lib/peers/compare.ts PeerComparison), with the literature's numbers beside
 * ours under its folds (lib/peers/literature.ts). Pure: data in, a vega-lite spec or Markdown out.
 */
import type { TopLevelSpec } from "vega-lite";
import type { PeerComparison, Rule, Score } from "../peers/compare";
import { LITERATURE_SPLITS, SHARED_CLASSES } from "../peers/compare";
import { LITERATURE } from "../peers/literature";
import type { Spread } from "../stats";
import { markdownTable, pct } from "../display/text";

/** How each model is named in the figure and tables. */
export const PEER_LABEL: Record<string, string> = {
  "human-emotion": "Human's emotion (FER2013 only)",
  "face-api-expression": "face-api's expressions (has seen CK+)",
};

const OUR_LABEL: Record<string, string> = {
  "subject-cv": "our CNN, unseen people (subject 10-fold CV)",
  subject: "our CNN, unseen people (subject hold-out)",
};

const points = (x: number) => (100 * x).toFixed(1);

/** A score as "71.2% [66.0–76.1]". */
export function scoreText(s: Score): string {
  return s.interval ? `${pct(s.accuracy)} [${points(s.interval.lo)}–${points(s.interval.hi)}]` : pct(s.accuracy);
}

/** A spread over seeds as "77.0% [75.1–78.9]". */
export function spreadText(s: Spread): string {
  return s.t ? `${pct(s.mean)} [${points(s.t.lo)}–${points(s.t.hi)}]` : pct(s.mean);
}

/** Per-class accuracy of each peer (as shipped) and of our CNN on unseen people, with intervals. */
export function specPeers(c: PeerComparison): TopLevelSpec {
  const rule: Rule = "as shipped";
  const all = "all six";
  const values = [
    ...c.peers.flatMap((p) => {
      const s = p.scores[rule];
      return [...s.perClass.map((x) => ({ class: x.class, score: x.score })), { class: all, score: s.overall }].map(
        (x) => ({
          class: x.class,
          model: PEER_LABEL[p.info.name],
          value: x.score.accuracy,
          lo: x.score.interval?.lo ?? x.score.accuracy,
          hi: x.score.interval?.hi ?? x.score.accuracy,
        }),
      );
    }),
    ...c.ours
      .filter((o) => o.split === "subject-cv")
      .flatMap((o) =>
        [...o.scores[rule].perClass, { class: all, pooled: o.scores[rule].pooled }].map((x) => ({
          class: x.class,
          model: OUR_LABEL[o.split],
          value: x.pooled.accuracy,
          lo: x.pooled.interval?.lo ?? x.pooled.accuracy,
          hi: x.pooled.interval?.hi ?? x.pooled.accuracy,
        })),
      ),
  ];
  const models = [...new Set(values.map((v) => v.model))];
  const x = {
    field: "class",
    type: "nominal" as const,
    sort: [...SHARED_CLASSES, all],
    title: null,
    axis: { labelAngle: 0 },
  };
  const color = {
    field: "model",
    type: "nominal" as const,
    sort: models,
    title: null,
    legend: { orient: "bottom" as const, direction: "vertical" as const, labelLimit: 320 },
  };
  const xOffset = { field: "model", sort: models };
  return {
    title: {
      text: "Pretrained npm models beside our CNN, on the same CK+48 images",
      subtitle: [
        `${c.images} images of the six shared classes (contempt has no counterpart); "neutral" (ours: contempt) is a miss.`,
        "95% intervals resampling the people; ours pools the answers of every seed's run.",
      ],
    },
    width: 560,
    height: 240,
    layer: [
      {
        data: { values },
        mark: { type: "rule", strokeWidth: 2 },
        encoding: {
          x,
          xOffset,
          y: { field: "lo", type: "quantitative", scale: { domain: [0, 1] }, title: "accuracy (recall)" },
          y2: { field: "hi" },
          color,
        },
      },
      {
        data: { values },
        mark: { type: "point", filled: true, size: 40 },
        encoding: { x, xOffset, y: { field: "value", type: "quantitative" }, color },
      },
    ],
  };
}

const PROTOCOL: Record<string, string> = {
  "subject-cv-fan": "subject-independent 10-fold on Emotion-FAN's fold list, 7 classes, pooled",
  "subject-cv": "subject-independent 10-fold on our own subject folds, 7 classes, pooled",
  random: "random 80/20 split of the images, as the paper did (the same person on both sides), 7 classes",
};

/** The literature's rows and ours beside them (per image and per sequence), as a Markdown table. */
export function literatureMarkdown(c: Pick<PeerComparison, "literature">): string {
  const rows = [
    ...LITERATURE.map((r) => [r.method, r.input, r.pretraining, r.protocol, pct(r.accuracy, 2), r.source]),
    ...LITERATURE_SPLITS.flatMap((name) => {
      const s = c.literature.find((x) => x.split === name);
      return s
        ? [
            [
              `our reproduction, ${s.runs} seeds, mean [95% t interval]`,
              "one frame",
              "none",
              PROTOCOL[name],
              `${spreadText(s.images)} per image; ${spreadText(s.sequences)} per sequence`,
              `data/runs/study/paper/${name}`,
            ],
          ]
        : [];
    }),
  ];
  return markdownTable(["method", "input", "pretraining", "protocol", "accuracy", "source"], rows, [
    "l",
    "l",
    "l",
    "l",
    "r",
    "l",
  ]);
}

/** The peers' tables under both readings, ours beside them (figures/peers.md and notebook 06). */
export function peersTablesMarkdown(c: PeerComparison): string {
  const head = ["model", ...SHARED_CLASSES, "all six", "answered neutral"];
  const peerRows = (rule: Rule) =>
    c.peers.map((p) => {
      const s = p.scores[rule];
      return [
        `${PEER_LABEL[p.info.name]}, ${p.info.package} ${p.version}`,
        ...s.perClass.map((x) => scoreText(x.score)),
        scoreText(s.overall),
        pct(s.neutral),
      ];
    });
  const ourRows = (rule: Rule) =>
    c.ours.map((o) => [
      `${OUR_LABEL[o.split] ?? o.split}, ${o.runs} seeds pooled`,
      ...o.scores[rule].perClass.map((x) => scoreText(x.pooled)),
      scoreText(o.scores[rule].pooled),
      "—",
    ]);
  const seeds = (rule: Rule) =>
    c.ours
      .map(
        (o) =>
          `${OUR_LABEL[o.split] ?? o.split}: ${spreadText(o.scores[rule].overall)}, single runs ${pct(o.scores[rule].overall.min)}–${pct(o.scores[rule].overall.max)}`,
      )
      .join("; ");
  const align = ["l" as const, ...head.slice(1).map(() => "r" as const)];
  return [
    markdownTable(
      ["model", "trained on", "input", "how to read it"],
      c.peers.map((p) => [PEER_LABEL[p.info.name], p.info.trainedOn, p.info.input, p.info.role]),
      ["l", "l", "l", "l"],
    ),
    "",
    '## As shipped: the highest of all seven outputs wins, and "neutral" is a miss',
    "",
    "Accuracy (recall) per class, with a 95% percentile interval over 10,000 resamples of the people (all answers for a drawn person; seed 0): a peer is one fixed model, so what varies is which people were photographed. Ours pools the answers of every seed's run, each image predicted by a model that never saw its person, and resamples the people the same way; a contempt answer is a miss, as neutral is for the peers.",
    "",
    markdownTable(head, [...peerRows("as shipped"), ...ourRows("as shipped")], align),
    "",
    `Over seeds (the images fixed, the training seed varied), our six-class accuracy is, mean [95% t interval]: ${seeds("as shipped")}.`,
    "",
    "## Six-way: neutral (ours: contempt) ignored, the highest of the six shared outputs wins",
    "",
    markdownTable(head, [...peerRows("six-way"), ...ourRows("six-way")], align),
    "",
    `Over seeds: ${seeds("six-way")}.`,
  ].join("\n");
}

/** figures/peers.md: the peers' tables, ours beside them, and the literature's table. */
export function peersMarkdown(c: PeerComparison): string {
  return [
    "# The models a JavaScript user would pick instead",
    "",
    `Two pretrained expression models ship their weights inside their npm packages (MIT, TensorFlow.js 4.22). Both ran on the ${c.images} CK+48 images of the six classes they share with ours (${c.people} people; contempt has no counterpart), each preprocessed as its package does (lib/peers/models.ts). Made by \`npm run figures\` from \`data/runs/peers/peers.json\` (\`npm run peers\`) and the committed study.`,
    "",
    peersTablesMarkdown(c),
    "",
    "## Beside the literature",
    "",
    "Each row says what the method is fed, what it was pretrained on and how it was scored. A sequence model sees the whole video of an expression and is scored once per sequence; ours sees one frame and is scored per image, and per sequence when the probabilities of a sequence's three frames are averaged.",
    "",
    literatureMarkdown(c),
    "",
    "Single-frame CNNs pretrained on large face data sets are reported in the mid to high 90s on CK+ under subject-independent folds; no row stands for them here, because no paper we could read states which folds it used, and a number whose protocol we cannot name would compare unlike with unlike.",
    "",
  ].join("\n");
}

const peer = (c: PeerComparison, name: string) => c.peers.find((p) => p.info.name === name);
const ours = (c: PeerComparison, split = "subject-cv") => c.ours.find((o) => o.split === split);

/** Notebook 06's summary lines on the literature's folds and the peers, every number from the comparison. */
export function peersSummaryMarkdown(c: Pick<PeerComparison, "literature"> & Partial<PeerComparison>): string {
  const fan = c.literature.find((l) => l.split === "subject-cv-fan");
  const fanPaper = LITERATURE[0];
  const lines = [
    fan
      ? `- **The literature's folds** (Emotion-FAN's list, ${fan.runs} seeds): ${spreadText(fan.images)} per image and ${spreadText(fan.sequences)} per sequence (mean [95% t interval]), against ${pct(fanPaper.accuracy, 2)} per sequence for Emotion-FAN, a pretrained ResNet-18 that sees whole sequences: unlike methods, the same folds.`
      : "",
  ];
  const human = c.peers && peer(c as PeerComparison, "human-emotion");
  const faceApi = c.peers && peer(c as PeerComparison, "face-api-expression");
  const mine = c.ours && ours(c as PeerComparison);
  if (human && faceApi && mine)
    lines.push(
      `- **Pretrained npm models on the same ${c.images} images** (six classes, as shipped): Human's FER2013 model ${scoreText(human.scores["as shipped"].overall)}, face-api's (which has probably seen these faces) ${scoreText(faceApi.scores["as shipped"].overall)}, our CNN on people it never saw ${scoreText(mine.scores["as shipped"].pooled)} (95% intervals resampling the people).`,
    );
  return lines.filter(Boolean).join("\n");
}

/** Exercise: what reading "neutral" as a miss costs each peer, per class, and where it costs most. */
export function neutralAnswer(c: PeerComparison | undefined): string {
  if (!c) return "No peers record is committed yet: `npm run peers` makes one.";
  return c.peers
    .map((p) => {
      const gains = p.scores["six-way"].perClass.map((x, i) => ({
        class: x.class,
        gain: x.score.accuracy - p.scores["as shipped"].perClass[i].score.accuracy,
        neutral: p.scores["as shipped"].perClass[i].neutral,
      }));
      const most = [...gains].sort((a, b) => b.gain - a.gain)[0];
      const all = p.scores["six-way"].overall.accuracy - p.scores["as shipped"].overall.accuracy;
      return `${PEER_LABEL[p.info.name]}: six-way gains ${(100 * all).toFixed(1)} points over all six classes; most on ${most.class}, +${(100 * most.gain).toFixed(1)} points, where ${pct(most.neutral)} of the images were answered "neutral" as shipped.`;
    })
    .join(" ");
}

/** The README's sentence on the peers, every number from the comparison. */
export function peersFinding(c: PeerComparison | undefined): string {
  const human = c && peer(c, "human-emotion");
  const faceApi = c && peer(c, "face-api-expression");
  const mine = c && ours(c);
  if (!c || !human || !faceApi || !mine) return "";
  return `**The models a JavaScript developer would pick from npm instead**, on the same ${c.images} CK+48 images of six classes: \`@vladmandic/human\`'s FER2013-only emotion model gets ${scoreText(human.scores["as shipped"].overall)}, \`@vladmandic/face-api\`'s (trained on data that included most of CK+, so not a fair peer) ${scoreText(faceApi.scores["as shipped"].overall)}, and our CNN on people it never saw ${scoreText(mine.scores["as shipped"].pooled)} (95% intervals resampling the people; [figures/peers.md](figures/peers.md)).`;
}
