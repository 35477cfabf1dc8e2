/**
 * What the paper reports, as numbers, so every figure and table can put the paper's claim beside ours.
 * Only values the paper states are here; where it states none, the field is absent.
 */

export interface PaperClaims {
  /** Table 1: test loss of the best model. */
  testLoss: number;
  /** Table 1: test accuracy of the best model (0.8324872 = 164/197). */
  testAccuracy: number;
  /** Test images (80/20 split of 981). */
  testImages: number;
  /** Correct test predictions implied by the accuracy. */
  testCorrect: number;
  /** Fig 7 / text: per-class accuracy (row-normalised diagonal) where the paper states it. */
  perClassAccuracy: Partial<Record<string, number>>;
  /** Fig 7 / text: off-diagonal confusions the paper states, as fractions of the true class's row. */
  confusions: { true: string; predicted: string; fraction: number }[];
  /** Fig 3: trainable parameters. */
  params: number;
}

/** The paper's reported results (Table 1, Fig 3, Fig 7). */
export const PAPER_RESULTS: PaperClaims = {
  testLoss: 0.5008,
  testAccuracy: 0.8325,
  testImages: 197,
  testCorrect: 164,
  perClassAccuracy: { anger: 0.989, sadness: 0.57 },
  confusions: [{ true: "sadness", predicted: "anger", fraction: 0.13 }],
  params: 86911,
};
