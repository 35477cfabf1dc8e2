/**
 * Every hyper-parameter of the paper's method in one typed object, each with the reason for its value.
 * Commands copy it into the run record (`run.json` → `config`), so a run says exactly how it was made.
 */

/** The seven CK+48 classes in the paper's order (alphabetical, as Keras' `flow_from_directory` lists folders). */
export const CLASSES = ["anger", "contempt", "disgust", "fear", "happy", "sadness", "surprise"] as const;
export type ClassName = (typeof CLASSES)[number];
export const NUM_CLASSES = CLASSES.length;

/** The CNN of Section 2.2 / Fig 3, as data: lib/model.ts builds it, parametersByHand counts it, Fig 3 draws it. */
export interface ArchConfig {
  /** The convolution stages in order: filters and the side of the square kernel (valid padding, ReLU). */
  convs: { filters: number; kernel: number }[];
  /** Side (and stride) of the max-pooling window after every convolution. */
  pool: number;
  /** Units of the hidden dense layer (ReLU), followed by dropout. */
  dense: number;
  /** Batch normalisation between each convolution and its ReLU (not in the paper; the `batchnorm` variant). */
  batchNorm: boolean;
}

/** The optimisers a variant can train with: the paper's RMSprop, Adam, SGD with momentum. */
export type OptimizerName = "rmsprop" | "adam" | "sgd-momentum";

/**
 * Everything a run of the protocol is made with: the data, the network, the training. {@link PAPER} holds the paper's
 * values; each variant of lib/ablations.ts is PAPER with a few fields changed; a run record stores the one it used.
 */
export interface ProtocolConfig {
  /** The network's layers (Section 2.2). */
  arch: ArchConfig;
  /** Side of the square input image in pixels. */
  imageSize: number;
  /** Input channels: the paper reads the grey PNGs as RGB. */
  channels: number;
  /** Fraction of all images held out as the test set. */
  testFraction: number;
  /** Number of cross-validation folds on the training part. */
  folds: number;
  /** Mini-batch size. */
  batchSize: number;
  /** Upper bound on epochs per fold. */
  maxEpochs: number;
  /** Early-stopping patience on validation loss, in epochs. */
  patience: number;
  /** The optimiser (Section 2.2.3: RMSprop). */
  optimizer: OptimizerName;
  /** Learning rate η (Eq. 4 for RMSprop). */
  learningRate: number;
  /** Momentum, for `sgd-momentum` only (RMSprop runs with momentum 0, as Eq. 3–4). */
  momentum: number;
  /** RMSprop decay β of the running mean of squared gradients (Eq. 3). */
  rho: number;
  /** RMSprop ε, added inside the square root (as tfjs does; see lib/optim.ts). */
  epsilon: number;
  /** Dropout rate after the dense-128 layer. */
  dropout: number;
  /** Augment the training batches at all (the `no-augment` variant turns it off). */
  augmentation: boolean;
  /** Augmentation parameters, Keras `ImageDataGenerator` semantics. */
  augment: AugmentConfig;
}

export interface AugmentConfig {
  /** Maximum rotation in degrees (uniform in ±rotationRange). */
  rotationRange: number;
  /** Maximum horizontal shift as a fraction of the width. */
  widthShiftRange: number;
  /** Maximum vertical shift as a fraction of the height. */
  heightShiftRange: number;
  /** Maximum shear angle; Keras ≥2.x reads it in degrees. */
  shearRange: number;
  /** Zoom factor drawn uniformly from [zoomRange[0], zoomRange[1]]. */
  zoomRange: [number, number];
  /** Flip left-right with probability 1/2. */
  horizontalFlip: boolean;
  /** How points outside the image are filled. */
  fillMode: "nearest";
  /** Resampling used for the affine warp. */
  interpolation: "bilinear";
}

export const PAPER: ProtocolConfig = {
  arch: {
    // Section 2.2 / Fig 3: 6 filters of 5×5, then 16 of 5×5, then 64 of 3×3; 86,911 parameters in all with the dense part.
    convs: [
      { filters: 6, kernel: 5 },
      { filters: 16, kernel: 5 },
      { filters: 64, kernel: 3 },
    ],
    // "max pooling" after each convolution; Fig 3's shapes (44 → 22, 18 → 9, 7 → 3) imply 2×2 windows.
    pool: 2,
    // Section 2.2: "a fully connected layer of 128 neurons" with dropout, before the 7-way softmax.
    dense: 128,
    // The paper has no batch normalisation.
    batchNorm: false,
  },
  // CK+48 images are 48×48 and the paper feeds them at that size.
  imageSize: 48,
  // The paper loads the images with 3 channels (Keras default color_mode="rgb"), hence conv1 has 6·(5·5·3)+6 params.
  channels: 3,
  // "80% train / 20% test": 197 of 981 test images; the paper's accuracy 0.8324872 is exactly 164/197.
  testFraction: 0.2,
  // "5-fold cross-validation" on the training part.
  folds: 5,
  // Section 2.3: batch size 8.
  batchSize: 8,
  // Section 2.3: "up to 200 epochs"; early stopping ends every fold long before.
  maxEpochs: 200,
  // Section 2.3: EarlyStopping(monitor="val_loss", patience=8).
  patience: 8,
  // Section 2.2.3: RMSprop, Eq. 3–4.
  optimizer: "rmsprop",
  // Eq. 4 with the Keras RMSprop default learning rate 0.001, as the paper states.
  learningRate: 0.001,
  // Eq. 3–4 have no momentum term (Keras' RMSprop default momentum=0.0).
  momentum: 0,
  // Eq. 3, β = 0.9 (Keras' rho).
  rho: 0.9,
  // Keras' RMSprop epsilon 1e-7. tfjs' default is the backend's float epsilon (1e-7 on float32 backends, 1e-4 on
  // float16 WebGL), so it is set explicitly.
  epsilon: 1e-7,
  // The paper gives dropout after dense-128 but no rate: 0.5 is the usual choice and ours (a stated difference).
  dropout: 0.5,
  // Section 2.3: every training batch goes through ImageDataGenerator.
  augmentation: true,
  augment: {
    // Section 2.3 (augmentation): rotation_range=25.
    rotationRange: 25,
    // width_shift_range=0.1.
    widthShiftRange: 0.1,
    // height_shift_range=0.1.
    heightShiftRange: 0.1,
    // shear_range=0.2 (Keras treats it as degrees: a very mild shear).
    shearRange: 0.2,
    // zoom_range=0.2 → [0.8, 1.2].
    zoomRange: [0.8, 1.2],
    // horizontal_flip=True: faces are roughly symmetric.
    horizontalFlip: true,
    // fill_mode="nearest", the Keras default.
    fillMode: "nearest",
    // Keras' apply_affine_transform uses order-1 (bilinear) spline interpolation.
    interpolation: "bilinear",
  },
};

/**
 * The smoke setting (`--quick` of reproduce and study, `FER_QUICK=1` in the notebooks and CI): the whole pipeline in
 * seconds, its numbers meaningless. The one place it is defined.
 */
export const QUICK = {
  /** Images per class, a seeded sample (lib/data/dataset sampleFiles): 70 images still have every class in a split. */
  perClass: 10,
  /** Cross-validation folds: the fewest that still choose a best fold. */
  folds: 2,
  /** Epochs per fold: two, so early stopping and the best weights have an epoch to compare. */
  maxEpochs: 2,
} as const;

/** The quick setting in words, for `--help` and the notebooks. */
export const QUICK_TEXT = `${QUICK.perClass} images per class, ${QUICK.folds} folds, ${QUICK.maxEpochs} epochs`;

/** A configuration with the quick setting's folds and epochs (its images are chosen by the protocol: `quick`). */
export function quickConfig(config: ProtocolConfig): ProtocolConfig {
  return { ...config, folds: QUICK.folds, maxEpochs: QUICK.maxEpochs };
}

// ---------------------------------------------------------------------------------------------------------------
// What the paper reports, beside what it did: every figure and table puts the paper's claim beside ours.
// Only values the paper states are here; where it states none, the field is absent.
// ---------------------------------------------------------------------------------------------------------------

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
  /**
   * Section 3.2: "13% of non-anger emotions incorrectly classified as anger": a class's false-positive rate, the
   * share of the images of every other class that are predicted as it (lib/evaluate falsePositiveRate).
   */
  falsePositives: { predicted: string; rate: number }[];
  /** Fig 3: trainable parameters. */
  params: number;
  /** The test accuracy as restated: Section 3.1 "83.3%", Abstract and Conclusion "83.24%". */
  restatedAccuracy: { where: string; value: number }[];
  /** Section 3.1: "an average accuracy of 76% on the test set, with a maximum accuracy of 98.9%" during training. */
  crossValidation: { average: number; maximum: number };
  /** Section 3.2: the classes "over 90%" correct. */
  overNinety: string[];
  /** Section 2.1: "980 colour images". */
  images: number;
  /** Section 2.1: anger, surprise and disgust best; contempt and happiness moderate; sadness and fear weakest. */
  ranking: { best: string[]; moderate: string[]; weakest: string[] };
  /** Section 3.3 (Fig 8): these classes' ROC curves lie closer to (0, 1); the others have lower TPR. */
  roc: { closer: string[]; lower: string[] };
}

/** The paper's reported results (Table 1, Fig 3, Fig 7). */
export const PAPER_RESULTS: PaperClaims = {
  testLoss: 0.5008,
  testAccuracy: 0.8325,
  testImages: 197,
  testCorrect: 164,
  perClassAccuracy: { anger: 0.989, sadness: 0.57 },
  falsePositives: [{ predicted: "anger", rate: 0.13 }],
  params: 86911,
  restatedAccuracy: [
    { where: 'Section 3.1 ("accuracy 83.3%")', value: 0.833 },
    { where: 'Abstract, Conclusion ("average accuracy of 83.24%")', value: 0.8324 },
  ],
  crossValidation: { average: 0.76, maximum: 0.989 },
  overNinety: ["anger", "disgust", "fear", "happy", "surprise"],
  images: 980,
  ranking: { best: ["anger", "surprise", "disgust"], moderate: ["contempt", "happy"], weakest: ["sadness", "fear"] },
  roc: { closer: ["anger", "disgust", "happy", "surprise"], lower: ["sadness", "fear"] },
};
