/**
 * What the CK+ literature reports, beside our accuracy under the same fold list (figures/peers.md, notebook 06).
 *
 * Each row says what the method is fed (one frame or a whole sequence), what it was pretrained on, which protocol
 * it was scored under and where the number comes from, so unlike is not compared with like. Only rows whose source
 * we read are listed: a number from a paper we have not read is not a number we can stand behind.
 */
import { PAPER_RESULTS } from "../config";

export interface LiteratureRow {
  method: string;
  /** "one frame" or "sequence" (the whole video of an expression). */
  input: string;
  pretraining: string;
  protocol: string;
  /** Accuracy in [0, 1] as reported; the unit (sequences or images) is in `protocol`. */
  accuracy: number;
  source: string;
}

export const LITERATURE: readonly LiteratureRow[] = [
  {
    method: "Emotion-FAN (Meng et al., ICIP 2019), frame attention over a ResNet-18",
    input: "sequence",
    pretraining: "ResNet-18 pretrained on MS-Celeb-1M (face recognition); the authors also share one on FER+",
    protocol: "subject-independent 10-fold, the fold list of `subject-cv-fan`, 7 classes, accuracy per sequence",
    accuracy: 0.9969,
    source: "arXiv:1907.00193; Papers with Code lists 99.7; pretraining from the repository's README",
  },
  {
    method: "Chen, the paper we reproduce (Table 1)",
    input: "one frame",
    pretraining: "none",
    protocol: "one random 80/20 split of the images (the same person on both sides), 197 test images",
    accuracy: PAPER_RESULTS.testAccuracy,
    source: "the paper, Table 1",
  },
];
