/**
 * Section 2.1 of the paper, the data set in memory: every image of a CK+48 folder decoded to RGB in [0, 1]
 * (lib/data/decode.ts) after the folder is checked against the manifest, and the tensors training takes: images
 * NHWC and one-hot labels over the 7 classes.
 */
import * as path from "path";
import { tf, type Tensor2D, type Tensor4D } from "../tf";
import { CLASSES, NUM_CLASSES, PAPER } from "../config";
import { UserError } from "../errors";
import { Rng } from "../random";
import { listImages, subjectOf } from "./files";
import { decodeImage } from "./decode";
import { describeVerification, verifyFolder } from "./manifest";

/** The decoded data set: images as one flat Float32Array (NHWC, values in [0,1]) plus per-image metadata. */
export interface Dataset {
  /** Image paths relative to the data folder, "class/file.png", sorted. */
  files: string[];
  /** Class index of each image (into CLASSES). */
  labels: number[];
  /** Subject id of each image, e.g. "S010". */
  subjects: string[];
  /** Pixels, N × size × size × 3, in [0, 1]. */
  x: Float32Array;
  /** Image side in pixels (48). */
  size: number;
}

export interface LoadOptions {
  /** Check the folder against data/manifest.csv first (default true; false for folders that are not CK+48 itself). */
  verify?: boolean;
  /** Load only these "class/file" paths (default: all). */
  only?: string[];
  /** Images decoded at once. */
  concurrency?: number;
}

/**
 * Load a CK+48 folder (Section 2.1): verify it against the manifest, decode every image to RGB in [0, 1].
 */
export async function loadDataset(dir: string, opts: LoadOptions = {}): Promise<Dataset> {
  const all = listImages(dir);
  if (opts.verify ?? true) {
    const diff = describeVerification(verifyFolder(dir));
    if (diff)
      throw new UserError(`${dir} does not match data/manifest.csv: ${diff} (pass --no-verify to use it anyway)`);
  }
  let files = all;
  if (opts.only) {
    const have = new Set(all);
    const absent = opts.only.filter((f) => !have.has(f));
    if (absent.length) throw new UserError(`${absent.length} image(s) not in ${dir}: ${absent.slice(0, 3).join(", ")}`);
    files = opts.only.slice().sort();
  }
  const size = PAPER.imageSize;
  const per = size * size * 3;
  const x = new Float32Array(files.length * per);
  const conc = opts.concurrency ?? 16;
  for (let start = 0; start < files.length; start += conc) {
    const chunk = files.slice(start, start + conc);
    const decoded = await Promise.all(chunk.map((f) => decodeImage(path.join(dir, f), size)));
    decoded.forEach((d, i) => x.set(d, (start + i) * per));
  }
  return {
    files,
    labels: files.map((f) => CLASSES.indexOf(f.split("/")[0] as (typeof CLASSES)[number])),
    subjects: files.map(subjectOf),
    x,
    size,
  };
}

/** Images of the given dataset indices as a [n, size, size, 3] tensor. */
export function imagesTensor(ds: Dataset, indices: number[]): Tensor4D {
  const per = ds.size * ds.size * 3;
  const buf = new Float32Array(indices.length * per);
  indices.forEach((idx, i) => buf.set(ds.x.subarray(idx * per, (idx + 1) * per), i * per));
  return tf.tensor4d(buf, [indices.length, ds.size, ds.size, 3]);
}

/**
 * One-hot labels (Section 2.1) of the given dataset indices as a [n, 7] tensor.
 *
 * @see notebooks/01-data.ipynb
 */
export function labelsTensor(ds: Dataset, indices: number[]): Tensor2D {
  return tf.tidy(
    () =>
      tf
        .oneHot(
          tf.tensor1d(
            indices.map((i) => ds.labels[i]),
            "int32",
          ),
          NUM_CLASSES,
        )
        .toFloat() as Tensor2D,
  );
}

/** The dataset positions of "class/file" paths (for imagesTensor/labelsTensor); a UserError names a missing one. */
export function indicesOf(ds: Pick<Dataset, "files">, files: readonly string[]): number[] {
  const at = new Map(ds.files.map((f, i) => [f, i]));
  return files.map((f) => {
    const i = at.get(f);
    if (i === undefined) throw new UserError(`${f} is not in the loaded data set`);
    return i;
  });
}

/**
 * `perClass` files of every class, chosen with a seeded shuffle of each class's sorted files, in class order: the
 * sample grid of notebook 01 and (sorted) the `--quick` subset of the protocol.
 */
export function sampleFiles(files: string[], perClass = 6, seed = 0): string[] {
  const rng = new Rng(seed);
  return CLASSES.flatMap((c) => rng.shuffle(files.filter((f) => f.startsWith(`${c}/`)).sort()).slice(0, perClass));
}
