/**
 * What figures/ holds and its page, figures/README.md: the base file name of every figure and table of the paper
 * (Fig 1–8, Table 1) and of the figures beyond it (the study, the comparisons, the regions), each one's title and
 * caption, and the paper's claim beside ours computed from the run. Pure: lib/figures/index.ts makes the files.
 */
import { correctFromConfusion, falsePositiveRate } from "../evaluate";
import type { RunRecord } from "../record";
import type { LayerSummary } from "../model";
import { PAPER, PAPER_RESULTS } from "../config";
import { pct } from "../display/text";
import { fmtInt } from "./architecture";
import { bestEpochs } from "./curves";
import { confusionCells } from "./confusion";
import { rocLabel } from "./roc";
import { table1Markdown } from "./table1";

/** A figure's base file name (without .svg/.png) and its title. */
export const FIGURE_FILES = {
  fig1: "fig1-main-process",
  fig2: "fig2-training-loop",
  fig3: "fig3-architecture",
  fig4: "fig4-detailed-process",
  fig5: "fig5-loss",
  fig6: "fig6-accuracy",
  fig7: "fig7-confusion",
  fig8: "fig8-roc",
  table1: "table1-results",
} as const;

export type FigureId = keyof typeof FIGURE_FILES;

/** The study's files (from `data/runs/study/summary.json`): three charts and the claims ledger. */
export const STUDY_FILES = {
  accuracy: "study-accuracy",
  perClass: "study-per-class",
  leak: "study-leak",
  claims: "claims",
} as const;

/** The comparisons' files (from `data/runs/ablations/summary.json`): the forest plot and the table. */
export const ABLATION_FILES = { forest: "ablations-forest", table: "ablations" } as const;

/** The regions' files (from `data/runs/explain/regions.json`): the heat map and the table. */
export const REGION_FILES = { map: "explain-regions", table: "explain-regions" } as const;

/** The peers' files (from `data/runs/peers/peers.json` and the study): the per-class chart and the tables. */
export const PEER_FILES = { chart: "peers", table: "peers" } as const;

const f4 = (x: number) => x.toFixed(4);

/** Paper's claim and ours, per figure, computed from the run (the README's "Paper | Ours" lines). */
export function claims(
  run: RunRecord,
  layers: LayerSummary[],
): Record<FigureId, { caption: string; paper: string; ours: string }> {
  const bf = run.folds.find((f) => f.index === run.bestFold)!;
  const lossMarks = bestEpochs(run, "loss");
  const accMarks = bestEpochs(run, "accuracy");
  const bestLoss = lossMarks.find((m) => m.best)!;
  const bestAcc = accMarks.find((m) => m.best)!;
  const cells = confusionCells(run);
  const cell = (t: string, pr: string) => cells.find((c) => c.true === t && c.predicted === pr);
  const worstOff = cells
    .filter((c) => c.true !== c.predicted)
    .sort((a, b) => b.fraction - a.fraction || a.true.localeCompare(b.true))[0];
  const diag = run.classes.map((c) => cell(c, c)!);
  const weakest = [...diag].sort((a, b) => a.fraction - b.fraction)[0];
  const total = layers.reduce((a, l) => a + l.params, 0);
  const aucs = run.test.roc.map((c) => rocLabel(c.class, c.auc).replace(" (AUC ", " ").replace(/\)$/, "")).join(", ");
  const defined = run.test.roc.filter((c) => c.auc !== null && Number.isFinite(c.auc));
  const lowAuc = [...defined].sort((a, b) => a.auc - b.auc)[0];
  const correct = correctFromConfusion(run.test.confusion);
  const n = run.test.confusion.reduce((a, r) => a + r.reduce((x, y) => x + y, 0), 0);
  const paperCells = Object.entries(PAPER_RESULTS.perClassAccuracy)
    .map(([c, v]) => `${c} ${pct(v!)} correct`)
    .concat(
      PAPER_RESULTS.falsePositives.map((c) => `${pct(c.rate)} of non-${c.predicted} predicted as ${c.predicted}`),
    );
  const ourCells = Object.keys(PAPER_RESULTS.perClassAccuracy)
    .map((c) => `${c} ${cell(c, c) ? pct(cell(c, c)!.fraction) : "n/a"} correct`)
    .concat(
      PAPER_RESULTS.falsePositives.map(
        (c) =>
          `${pct(falsePositiveRate(run.test.confusion, run.classes.indexOf(c.predicted)))} of non-${c.predicted} predicted as ${c.predicted}`,
      ),
    );
  return {
    fig1: {
      caption:
        "The main process: data, preprocessing, the CNN, training with cross-validation, evaluation, prediction.",
      paper: "Fig 1 (diagram).",
      ours: "Drawn from lib/figures/process.ts; numbers from the config.",
    },
    fig2: {
      caption:
        "The training loop: forward pass, categorical cross-entropy loss (Eq. 1–2), back-propagation, RMSprop update (Eq. 3–4), repeated until early stopping.",
      paper:
        "RMSprop (η = 0.001, β = 0.9), batch size 8, up to 200 epochs, early stopping on validation loss with patience 8 (Section 2.3).",
      ours: `η = ${PAPER.learningRate}, β = ${PAPER.rho}, ε = ${PAPER.epsilon}, batch size ${PAPER.batchSize}, patience ${PAPER.patience}, at most ${PAPER.maxEpochs} epochs (lib/config.ts).`,
    },
    fig3: {
      caption:
        "The CNN, drawn from the model object (`summarize(createModel())`): layers, kernel sizes, output shapes and parameter counts.",
      paper: `${fmtInt(PAPER_RESULTS.params)} trainable parameters.`,
      ours: `${fmtInt(total)} trainable parameters in ${layers.length} layers.`,
    },
    fig4: {
      caption:
        "The detailed process: preprocessing, augmentation, 80/20 split, 5-fold cross-validation with early stopping and checkpoint, best fold, test evaluation.",
      paper: "Fig 4 (diagram).",
      ours: "Drawn from lib/figures/process.ts; numbers from the config.",
    },
    fig5: {
      caption:
        "Training and validation loss per epoch of every fold; the best fold bold, the others faint, its early-stopping epoch dashed.",
      paper: "Loss curves of training (the paper states no per-epoch numbers).",
      ours: `Best fold ${bf.index + 1} of ${run.folds.length}: best epoch ${bf.bestEpoch} of ${bf.history.length} run, validation loss ${f4(bestLoss.value)}; best epochs of all folds: ${lossMarks.map((m) => m.epoch).join(", ")}.`,
    },
    fig6: {
      caption:
        "Training and validation accuracy per epoch of every fold; the best fold bold, the others faint, its early-stopping epoch dashed.",
      paper: "Accuracy curves of training (the paper states no per-epoch numbers).",
      ours: `Best fold ${bf.index + 1}: validation accuracy ${f4(bestAcc.value)} at its best epoch ${bf.bestEpoch}.`,
    },
    fig7: {
      caption:
        "Confusion matrix of the best model on the test set; rows are the true class, percentages are of the row.",
      paper: paperCells.join("; ") + ".",
      ours: `${ourCells.join("; ")}. Weakest class ${weakest.true} (${pct(weakest.fraction)}); largest confusion ${worstOff.true} → ${worstOff.predicted} (${pct(worstOff.fraction)}); ${correct}/${n} correct.`,
    },
    fig8: {
      caption: "One-vs-rest ROC curves of the seven classes on the test set, with each class's AUC.",
      paper: "ROC curves per class (no AUC values stated in the text).",
      ours: `AUC ${aucs}${lowAuc ? `; lowest ${lowAuc.class} (${lowAuc.auc.toFixed(3)})` : ""}.`,
    },
    table1: {
      caption: "Test loss and accuracy of the best model.",
      paper: `Test loss ${PAPER_RESULTS.testLoss}, accuracy ${PAPER_RESULTS.testAccuracy} (${PAPER_RESULTS.testCorrect}/${PAPER_RESULTS.testImages}).`,
      ours: `Test loss ${f4(run.test.loss)}, accuracy ${f4(run.test.accuracy)} (${correct}/${n}).`,
    },
  };
}

const TITLES: Record<FigureId, string> = {
  fig1: "Fig 1. Main process",
  fig2: "Fig 2. Training loop",
  fig3: "Fig 3. CNN architecture",
  fig4: "Fig 4. Detailed process",
  fig5: "Fig 5. Loss per epoch",
  fig6: "Fig 6. Accuracy per epoch",
  fig7: "Fig 7. Confusion matrix",
  fig8: "Fig 8. ROC curves",
  table1: "Table 1. Test results",
};

/** A figure beyond the paper (the study, the comparisons, the regions), listed in figures/README.md when it was made. */
export interface ExtraFigure {
  title: string;
  /** Base name of its SVG/PNG pair. */
  image: string;
  /** Its Markdown page (table, verdicts), if any. */
  doc?: string;
  caption: string;
}

/** The figures beyond the paper, in the order figures/README.md lists them; `made` tells which summaries exist. */
export function extraFigures(made: {
  study: boolean;
  ablations: boolean;
  regions: boolean;
  peers?: boolean;
}): ExtraFigure[] {
  return [
    ...(made.study
      ? [
          {
            title: "Test accuracy over seeds",
            image: STUDY_FILES.accuracy,
            doc: `${STUDY_FILES.claims}.md`,
            caption: `Every run of the study a dot, each split's mean with its 95% interval, the paper's ${PAPER_RESULTS.testAccuracy} and the majority baseline (notebook 06). The claims ledger gives every claim of the paper its verdict.`,
          },
          {
            title: "Per class over seeds",
            image: STUDY_FILES.perClass,
            caption:
              "Per-class test accuracy with 95% intervals over seeds, beside the paper's per-class statements (notebook 06).",
          },
          {
            title: "The identity leak",
            image: STUDY_FILES.leak,
            caption:
              "Test accuracy of images with a sibling frame in training, only their person, or neither, each group with its number of images; a group too small to estimate is drawn hollow (notebook 06).",
          },
        ]
      : []),
    ...(made.ablations
      ? [
          {
            title: "The comparisons the paper promised",
            image: ABLATION_FILES.forest,
            doc: `${ABLATION_FILES.table}.md`,
            caption:
              "Each variant's accuracy minus the paper's configuration, paired by seed on the subject split, with its 95% interval; filled when the difference survives Holm's correction, hollow when the two cannot be told apart (notebook 07).",
          },
        ]
      : []),
    ...(made.regions
      ? [
          {
            title: "What each facial region is worth",
            image: REGION_FILES.map,
            doc: `${REGION_FILES.table}.md`,
            caption:
              "Test accuracy lost per class when a region is replaced by the mean face, over seeds, and the comparison with FACS (notebook 08).",
          },
        ]
      : []),
    ...(made.peers
      ? [
          {
            title: "The models a JavaScript user would pick instead",
            image: PEER_FILES.chart,
            doc: `${PEER_FILES.table}.md`,
            caption:
              "Per-class accuracy of two pretrained npm models (Human's FER2013 model, a fair cross-data-set peer; face-api's, which has probably seen these faces) and of our CNN on people it never saw, on the same CK+48 images, with intervals; the page adds the literature's numbers under the same folds (notebook 06).",
          },
        ]
      : []),
  ];
}

/** `figures/README.md`: every figure embedded with its caption, the paper's claim and ours. Generated; deterministic. */
export function figuresReadme(run: RunRecord, layers: LayerSummary[], extras: ExtraFigure[] = []): string {
  const c = claims(run, layers);
  const L: string[] = [
    "# Figures and tables",
    "",
    "<!-- Generated by `npm run figures`; do not edit by hand. -->",
    "",
    "Every figure and table of the paper, regenerated from code (`npm run figures`) from the run record",
    `(backend ${run.backend}, seed ${run.seed}, ${run.config.split} split${run.config.quick ? ", **quick run: not the paper's protocol**" : ""},`,
    `${run.folds.length} folds, best fold ${run.bestFold + 1}). Each figure is an SVG (linked) and a 2× PNG (shown).`,
    "",
  ];
  for (const id of Object.keys(FIGURE_FILES) as FigureId[]) {
    const base = FIGURE_FILES[id];
    L.push(`## ${TITLES[id]}`, "");
    if (id === "table1") {
      L.push(`[Markdown](${base}.md) · [CSV](${base}.csv)`, "");
      L.push(
        ...table1Markdown(run)
          .split("\n")
          .slice(4)
          .filter((x, i, a) => !(x === "" && i === a.length - 1)),
        "",
      );
    } else {
      L.push(`[![${TITLES[id]}](${base}.png)](${base}.svg)`, "");
    }
    L.push(`*${c[id].caption}*`, "");
    L.push("| | |", "|---|---|", `| **Paper** | ${c[id].paper} |`, `| **Ours** | ${c[id].ours} |`, "");
  }
  if (extras.length) {
    L.push(
      "# Beyond the paper",
      "",
      "Made by the same command from the committed study, comparisons and region analysis (over seeds, with intervals).",
      "",
    );
    for (const e of extras) {
      L.push(
        `## ${e.title}`,
        "",
        `[![${e.title}](${e.image}.png)](${e.image}.svg)`,
        "",
        `*${e.caption}*${e.doc ? ` Table: [${e.doc}](${e.doc}).` : ""}`,
        "",
      );
    }
  }
  return L.join("\n");
}
