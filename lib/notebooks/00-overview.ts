/**
 * The prose of notebooks/00-overview.ipynb: the map of the notebooks. Everything it computes lives in the section
 * modules; this file only formats.
 */
import { markdownTable } from "../display/text";

/** The notebooks and what each covers (the map in 00-overview). */
export const NOTEBOOK_MAP: { file: string; section: string; covers: string; modules: string }[] = [
  {
    file: "00-overview.ipynb",
    section: "—",
    covers: "the paper in brief, results paper vs ours, this map",
    modules: "lib/figures",
  },
  {
    file: "01-data.ipynb",
    section: "2.1",
    covers: "classes and counts, faces, file names, RGB, scaling, one-hot, augmentation",
    modules: "lib/data/, lib/augment.ts",
  },
  {
    file: "02-model.ipynb",
    section: "2.2, 2.2.1",
    covers: "the CNN, shapes layer by layer, 86,911 parameters by hand, Fig 3, feature maps",
    modules: "lib/model.ts",
  },
  {
    file: "03-optim.ipynb",
    section: "2.2.2–2.2.3",
    covers: "cross-entropy (Eq. 1–2), RMSprop (Eq. 3–4) by hand and in tfjs, RMSprop vs SGD",
    modules: "lib/optim.ts",
  },
  {
    file: "04-train.ipynb",
    section: "2.3",
    covers: "the protocol, split and folds, training (or the run of record), Fig 5, Fig 6",
    modules: "lib/split.ts, lib/train.ts, lib/protocol.ts",
  },
  {
    file: "05-evaluate.ipynb",
    section: "3.1–3.3",
    covers: "Table 1, Fig 7, Fig 8, per-class numbers, the paper's claims, misclassified faces",
    modules: "lib/evaluate.ts",
  },
  {
    file: "06-study.ipynb",
    section: "2.3–3.3, over seeds",
    covers: "the protocol over many seeds and three splits, intervals, the identity leak, the claims ledger",
    modules: "lib/study.ts, lib/stats.ts, lib/claims.ts",
  },
  {
    file: "07-ablations.ipynb",
    section: "1 (promised)",
    covers:
      "the comparisons the paper promised: eleven one-change variants against the paper's configuration, paired by seed",
    modules: "lib/ablations.ts",
  },
  {
    file: "08-explain.ipynb",
    section: "1 (promised)",
    covers: "saliency, SmoothGrad, Grad-CAM, occlusion; the sanity check; facial regions and FACS",
    modules: "lib/explain/",
  },
];

/** {@link NOTEBOOK_MAP} as a Markdown table with links. */
export function notebookMapMarkdown(): string {
  return markdownTable(
    ["notebook", "paper section", "what it shows", "lib"],
    NOTEBOOK_MAP.map((n) => [`[${n.file}](${n.file})`, n.section, n.covers, n.modules]),
  );
}

/** The facts this notebook's prose cites by name, beside lib/notebooks/facts.ts commonFacts (tied in cell metadata). */
export function proseFacts(): Record<string, number> {
  return {};
}
