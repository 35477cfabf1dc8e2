/**
 * Section 2.3 of the paper: the 80/20 train/test split and 5-fold cross-validation of the training part.
 *
 * Deterministic on any machine: files are sorted first, then shuffled with the project's seeded generator. A split
 * is a partition of the images into train and test (a {@link Split}); {@link SplitName} says how it is made:
 * - `random` (the paper's): images are split at random. CK+48 holds the last 3 frames of each sequence, so
 *   near-identical frames of one face land on both sides; this flatters test accuracy.
 * - `subject`: subject-independent. All images of a subject (S010, …) stay on one side of every split.
 * - `subject-cv`: no single test part: subject-independent 10-fold cross-validation tests every image once
 *   (lib/protocol.ts runSubjectCv), the protocol the CK+ literature reports.
 * - `subject-cv-fan`: the same on the literature's published folds (Emotion-FAN's list, lib/data/fan-folds.ts),
 *   the same for every seed.
 */
import { Rng } from "./random";
import { subjectOf, sequenceOf } from "./data/files";
import { PAPER, type ProtocolConfig } from "./config";

/** How a run's test images are chosen, in the order the study and its summary list them. */
export const SPLIT_NAMES = ["random", "subject", "subject-cv", "subject-cv-fan"] as const;
export type SplitName = (typeof SPLIT_NAMES)[number];
/** The cross-validations that test every image once (lib/protocol.ts runSubjectCv): our folds, or Emotion-FAN's. */
export type CvSplit = "subject-cv" | "subject-cv-fan";
/** The splits that hold out one test part (trainTestSplit, kFold): all but the cross-validations. */
export type HoldoutSplit = Exclude<SplitName, CvSplit>;
/** Whether a split is a cross-validation that tests every image once. */
export function isCvSplit(s: SplitName): s is CvSplit {
  return s === "subject-cv" || s === "subject-cv-fan";
}

/** A partition of the images into train and test ("class/file" paths). */
export interface Split {
  mode: HoldoutSplit;
  train: string[];
  test: string[];
}

export interface Fold {
  index: number;
  /** Training part of the fold ("class/file" paths). */
  train: string[];
  /** Held-out validation part of the fold. */
  val: string[];
}

/** Size of the test set: ⌈N·f⌉, as scikit-learn's train_test_split (981 → 197). */
export function testSize(n: number, fraction: number): number {
  return Math.ceil(n * fraction - 1e-9);
}

/** Group files by subject, subjects in sorted order. */
function bySubject(files: string[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const f of files.slice().sort()) {
    const s = subjectOf(f);
    const g = groups.get(s);
    if (g) g.push(f);
    else groups.set(s, [f]);
  }
  return new Map([...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * The train/test split (Section 2.3). `random`: shuffle the sorted files, the first ⌈N·f⌉ are the test set.
 * `subject`: shuffle the subjects and move whole subjects to the test set until it holds ≥ ⌈N·f⌉ images.
 *
 * @see notebooks/04-train.ipynb
 */
export function trainTestSplit(files: string[], seed: number, fraction: number, mode: HoldoutSplit = "random"): Split {
  const rng = new Rng(seed);
  const target = testSize(files.length, fraction);
  if (mode === "random") {
    const shuffled = rng.shuffle(files.slice().sort());
    return { mode, test: shuffled.slice(0, target).sort(), train: shuffled.slice(target).sort() };
  }
  const groups = bySubject(files);
  const test: string[] = [];
  const train: string[] = [];
  for (const s of rng.shuffle([...groups.keys()])) {
    (test.length < target ? test : train).push(...groups.get(s)!);
  }
  return { mode, test: test.sort(), train: train.sort() };
}

/**
 * k-fold cross-validation of the training part (Section 2.3). `random`: shuffle, then k contiguous folds whose sizes
 * differ by at most one (the first N mod k folds one larger, as scikit-learn's KFold). `subject`: subjects are
 * shuffled, then each goes (largest first) to the fold with the fewest images so far, so no subject is in two folds.
 *
 * @see notebooks/04-train.ipynb
 */
export function kFold(files: string[], k: number, seed: number, mode: HoldoutSplit = "random"): Fold[] {
  if (!Number.isInteger(k) || k < 2) throw new Error(`folds must be an integer ≥ 2 (got ${k})`);
  if (files.length < k) throw new Error(`cannot make ${k} folds of ${files.length} images`);
  const rng = new Rng(seed);
  const parts: string[][] = Array.from({ length: k }, () => []);
  if (mode === "random") {
    const shuffled = rng.shuffle(files.slice().sort());
    let start = 0;
    for (let i = 0; i < k; i++) {
      const n = Math.floor(files.length / k) + (i < files.length % k ? 1 : 0);
      parts[i] = shuffled.slice(start, start + n);
      start += n;
    }
  } else {
    const groups = bySubject(files);
    if (groups.size < k) throw new Error(`cannot make ${k} subject folds of ${groups.size} subjects`);
    // Shuffle, then a stable sort by size: equal-sized subjects keep their seeded order.
    const order = rng.shuffle([...groups.keys()]).sort((a, b) => groups.get(b)!.length - groups.get(a)!.length);
    for (const s of order) {
      let best = 0;
      for (let i = 1; i < k; i++) if (parts[i].length < parts[best].length) best = i;
      parts[best].push(...groups.get(s)!);
    }
  }
  return parts.map((val, index) => ({
    index,
    val: val.slice().sort(),
    train: parts
      .filter((_, j) => j !== index)
      .flat()
      .sort(),
  }));
}

/** How much a split lets near-identical frames of one sequence (or one person) sit on both sides. */
export interface Leakage {
  mode: HoldoutSplit;
  test: number;
  /** Test images with another frame of the same sequence in the training part. */
  testWithSequenceInTrain: number;
  /** Test images whose subject also appears in the training part. */
  testWithSubjectInTrain: number;
}

/** Measure sequence and subject overlap between the training and test parts of the paper's 80/20 split. */
export function splitLeakage(
  files: string[],
  seed = 0,
  mode: HoldoutSplit = "random",
  fraction = PAPER.testFraction,
): Leakage {
  const split = trainTestSplit(files, seed, fraction, mode);
  const trainSeq = new Set(split.train.map(sequenceOf));
  const trainSub = new Set(split.train.map(subjectOf));
  return {
    mode,
    test: split.test.length,
    testWithSequenceInTrain: split.test.filter((f) => trainSeq.has(sequenceOf(f))).length,
    testWithSubjectInTrain: split.test.filter((f) => trainSub.has(subjectOf(f))).length,
  };
}

/** How many images each part of the protocol's split and folds holds. */
export interface SplitSizes {
  train: number;
  test: number;
  folds: { train: number; val: number }[];
}

/** Sizes of the paper's split and folds for a list of files (lib/split), as the protocol makes them for `seed`. */
export function splitSizes(
  files: string[],
  seed = 0,
  config: ProtocolConfig = PAPER,
  mode: HoldoutSplit = "random",
): SplitSizes {
  const split = trainTestSplit(files, seed, config.testFraction, mode);
  const folds = kFold(split.train, config.folds, seed + 1, mode);
  return {
    train: split.train.length,
    test: split.test.length,
    folds: folds.map((f) => ({ train: f.train.length, val: f.val.length })),
  };
}
