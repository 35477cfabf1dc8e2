/**
 * Section 2.1 of the paper: the CK+48 data and its preprocessing.
 *
 * A CK+48 folder holds one sub-folder per class (anger, contempt, disgust, fear, happy, sadness, surprise) of
 * 48×48 face crops named `S<subject>_<sequence>_<frame>.png`. Each image is decoded with sharp, converted to RGB
 * (the paper's Keras loader reads colour_mode="rgb": the grey value is copied to three channels), resized to 48×48
 * when it is not, and scaled to [0, 1]; labels are one-hot over the 7 classes.
 */
import * as fs from "fs";
import * as path from "path";
import * as crypto from "crypto";
import sharp from "sharp";
import { tf } from "./tf";
import { CLASSES, NUM_CLASSES, PAPER } from "./config";
import { MANIFEST } from "./paths";
import { UserError } from "./errors";
import { Rng } from "./random";

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

/** One row of data/manifest.csv. */
export interface ManifestEntry {
  path: string;
  class: string;
  subject: string;
  sha256: string;
}

const IMAGE_EXT = /\.(png|jpe?g|bmp|gif|tiff?|webp)$/i;

/** Subject id from a CK+ file name: "S010_004_00000017.png" → "S010". Throws a UserError for other names. */
export function subjectOf(file: string): string {
  const m = /^(S\d+)_\d+_\d+\.[a-z]+$/i.exec(path.basename(file));
  if (!m) throw new UserError(`file name "${file}" is not of the CK+ form S<subject>_<sequence>_<frame>.png`);
  return m[1];
}

/** Sequence id from a CK+ file name: "S010_004_00000017.png" → "S010_004". */
export function sequenceOf(file: string): string {
  const m = /^(S\d+_\d+)_\d+\./i.exec(path.basename(file));
  if (!m) throw new UserError(`file name "${file}" is not of the CK+ form S<subject>_<sequence>_<frame>.png`);
  return m[1];
}

/** Files that operating systems and archivers leave in folders: ignored with a note (not images, not errors). */
const STRAY = /^(\.DS_Store|Thumbs\.db|desktop\.ini|\._.*|\.directory|__MACOSX)$/i;

/** Notes already printed (listImages runs more than once per folder in a run; a note is said once). */
const noted = new Set<string>();

/** The sub-folders of `dir` (following links). */
function subfolders(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter(
      (e) =>
        e.isDirectory() ||
        (e.isSymbolicLink() && fs.statSync(path.join(dir, e.name), { throwIfNoEntry: false })?.isDirectory()),
    )
    .map((e) => e.name);
}

/**
 * List the images of a CK+48 folder as "class/file" paths, sorted, checking its layout: the folder exists and holds
 * exactly the 7 class folders, each with images. Every problem is a UserError that says what to do (a folder one
 * level too high, as the Kaggle archive unpacks to `CK+48/`, gets the folder below suggested). Stray files
 * (`.DS_Store`, `Thumbs.db`, hidden files) are ignored, and `note` says so once.
 */
export function listImages(dir: string, note: (message: string) => void = (m) => console.log(m)): string[] {
  const expected = `the ${CLASSES.length} class folders ${CLASSES.join(", ")}`;
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch {
    throw new UserError(`CK+48 folder not found: ${dir} (give --data DIR or set CK48_DIR; see data/README.md)`);
  }
  if (!st.isDirectory())
    throw new UserError(`${dir} is a file, not a folder: give the CK+48 folder that holds ${expected}`);
  const folders = subfolders(dir).filter((f) => !STRAY.test(f) && !f.startsWith("."));
  const classFolders = folders.filter((f) => (CLASSES as readonly string[]).includes(f));
  if (classFolders.length === 0) {
    const below = folders.filter((f) =>
      subfolders(path.join(dir, f)).some((g) => (CLASSES as readonly string[]).includes(g)),
    );
    if (below.length)
      throw new UserError(
        `${dir} holds no class folders, but ${path.join(dir, below[0])} does: give --data ${path.join(dir, below[0])}`,
      );
    if ((CLASSES as readonly string[]).includes(path.basename(dir))) {
      throw new UserError(`${dir} is one class folder: give the folder above it, --data ${path.dirname(dir)}`);
    }
    if (fs.readdirSync(dir).filter((f) => !STRAY.test(f)).length === 0)
      throw new UserError(`${dir} is empty: put the CK+48 images there (${expected}; see data/README.md)`);
  }
  const unknown = folders.filter((f) => !(CLASSES as readonly string[]).includes(f));
  if (unknown.length) {
    throw new UserError(
      `unexpected class folder "${unknown[0]}" in ${dir} (expected exactly: ${CLASSES.join(", ")}): move it out of the data folder`,
    );
  }
  const missing = CLASSES.filter((c) => !folders.includes(c));
  if (missing.length)
    throw new UserError(
      `class folder "${missing[0]}" missing in ${dir} (expected: ${CLASSES.join(", ")}): restore it from the CK+48 archive`,
    );
  const files: string[] = [];
  const ignored: string[] = [];
  for (const c of CLASSES) {
    let n = 0;
    for (const e of fs
      .readdirSync(path.join(dir, c), { withFileTypes: true })
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const f = e.name;
      if (STRAY.test(f) || f.startsWith(".")) {
        ignored.push(`${c}/${f}`);
        continue;
      }
      if (e.isDirectory())
        throw new UserError(
          `unexpected folder ${path.join(dir, c, f)} inside a class folder: move it out of the data folder`,
        );
      if (!IMAGE_EXT.test(f))
        throw new UserError(`not an image file: ${path.join(dir, c, f)} (remove it or move it out of the data folder)`);
      files.push(`${c}/${f}`);
      n++;
    }
    if (n === 0)
      throw new UserError(`class folder ${path.join(dir, c)} holds no images: restore them from the CK+48 archive`);
  }
  ignored.push(...fs.readdirSync(dir).filter((f) => STRAY.test(f)));
  const key = `${path.resolve(dir)}\n${ignored.join("\n")}`;
  if (ignored.length && !noted.has(key)) {
    noted.add(key);
    note(
      `note: ignored ${ignored.length} stray file${ignored.length > 1 ? "s" : ""} in ${dir} (${ignored.slice(0, 3).join(", ")}${ignored.length > 3 ? ", …" : ""})`,
    );
  }
  return files;
}

/**
 * Decode one image file (any format and colour type sharp reads: 8 or 16 bits, grey, palette, alpha, CMYK; PNG, JPEG,
 * WebP, GIF, TIFF, …) into RGB floats in [0, 1], size × size × 3, resizing (ignoring aspect ratio, as Keras'
 * `load_img(target_size=…)` does) when it is not size × size. An unreadable, empty, truncated or non-image file is a
 * UserError naming it.
 */
export async function decodeImage(file: string, size: number = PAPER.imageSize): Promise<Float32Array> {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const what = code === "ENOENT" ? " (no such file)" : code === "EISDIR" ? " (a folder, not an image file)" : "";
    throw new UserError(`cannot read ${file}: ${code ?? (e as Error).message}${what}`);
  }
  if (buf.length === 0)
    throw new UserError(
      `cannot decode image ${file}: the file is empty (0 bytes); replace it with the original image or remove it`,
    );
  return decodeImageBuffer(buf, file, size);
}

/** As decodeImage, from bytes already read (`name` only labels errors). */
export async function decodeImageBuffer(
  buf: Buffer,
  name: string,
  size: number = PAPER.imageSize,
): Promise<Float32Array> {
  let raw: { data: Buffer; info: sharp.OutputInfo };
  try {
    let img = sharp(buf, { failOn: "error" }).rotate().removeAlpha().toColourspace("srgb");
    const meta = await sharp(buf).metadata();
    if (meta.width !== size || meta.height !== size) img = img.resize(size, size, { fit: "fill" });
    raw = await img.raw().toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw new UserError(
      `cannot decode image ${name}: ${(e as Error).message.split("\n")[0]} (truncated or not an image; replace it with the original or remove it)`,
    );
  }
  if (raw.info.channels !== 3 || raw.info.width !== size || raw.info.height !== size) {
    throw new UserError(`cannot decode image ${name}: got ${raw.info.width}×${raw.info.height}×${raw.info.channels}`);
  }
  return toModelInput(raw.data, 3);
}

/**
 * The last step of Section 2.1's preprocessing, shared by every decoder (sharp here, a canvas in the browser demo,
 * lib/demo.ts): 8-bit pixels of a side × side image, `channels` bytes each (3: RGB as sharp gives; 4: RGBA as a canvas
 * gives, alpha dropped), become the model's input, RGB floats byte / 255, side × side × 3. With `grey`, each pixel is
 * first replaced on all three channels by its luma rounded to a byte (ITU-R BT.601 weights, 0.299 R + 0.587 G +
 * 0.114 B): the CK+48 faces are grey, so a colour camera picture is made grey as they are; a grey pixel (R = G = B)
 * keeps its value exactly. Pure (no node, no tfjs), so node and the page run the same code.
 */
export function toModelInput(pixels: ArrayLike<number>, channels: 3 | 4, grey = false): Float32Array {
  const n = Math.floor(pixels.length / channels);
  const out = new Float32Array(n * 3);
  for (let p = 0; p < n; p++) {
    const i = p * channels;
    if (grey) {
      const v = Math.round(0.299 * pixels[i] + 0.587 * pixels[i + 1] + 0.114 * pixels[i + 2]) / 255;
      out[p * 3] = out[p * 3 + 1] = out[p * 3 + 2] = v;
    } else {
      out[p * 3] = pixels[i] / 255;
      out[p * 3 + 1] = pixels[i + 1] / 255;
      out[p * 3 + 2] = pixels[i + 2] / 255;
    }
  }
  return out;
}

/** SHA-256 of a file's bytes, hex. */
export function sha256File(file: string): string {
  return crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

/** Read data/manifest.csv (path,class,subject,sha256). */
export function readManifest(file: string = MANIFEST): ManifestEntry[] {
  const lines = fs.readFileSync(file, "utf8").trim().split("\n");
  if (lines[0] !== "path,class,subject,sha256") throw new Error(`${file}: unexpected header "${lines[0]}"`);
  return lines.slice(1).map((l) => {
    const [p, c, s, h] = l.split(",");
    return { path: p, class: c, subject: s, sha256: h };
  });
}

/** Manifest rows for a CK+48 folder (the data/manifest.csv generator). */
export function makeManifest(dir: string): ManifestEntry[] {
  return listImages(dir).map((p) => ({
    path: p,
    class: p.split("/")[0],
    subject: subjectOf(p),
    sha256: sha256File(path.join(dir, p)),
  }));
}

/** Manifest rows as CSV text. */
export function manifestCsv(rows: ManifestEntry[]): string {
  return (
    ["path,class,subject,sha256", ...rows.map((r) => `${r.path},${r.class},${r.subject},${r.sha256}`)].join("\n") + "\n"
  );
}

/** What differs between a folder and the manifest. */
export interface Verification {
  missing: string[];
  extra: string[];
  changed: string[];
}

/** Compare a CK+48 folder with the manifest: files missing, extra, or with other bytes (sha256). */
export function verifyFolder(dir: string, manifest: ManifestEntry[] = readManifest()): Verification {
  const present = new Set(listImages(dir));
  const expected = new Map(manifest.map((m) => [m.path, m.sha256]));
  const missing = [...expected.keys()].filter((p) => !present.has(p));
  const extra = [...present].filter((p) => !expected.has(p));
  const changed = [...present].filter((p) => expected.has(p) && sha256File(path.join(dir, p)) !== expected.get(p));
  return { missing, extra, changed };
}

/** One line that says precisely how a folder differs from the manifest ("" when it matches). */
export function describeVerification(v: Verification): string {
  const part = (n: string, xs: string[]) =>
    xs.length ? `${xs.length} ${n} (${xs.slice(0, 3).join(", ")}${xs.length > 3 ? ", …" : ""})` : "";
  return [part("missing", v.missing), part("extra", v.extra), part("changed", v.changed)].filter(Boolean).join("; ");
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
export function imagesTensor(ds: Dataset, indices: number[]): import("@tensorflow/tfjs").Tensor4D {
  const per = ds.size * ds.size * 3;
  const buf = new Float32Array(indices.length * per);
  indices.forEach((idx, i) => buf.set(ds.x.subarray(idx * per, (idx + 1) * per), i * per));
  return tf.tensor4d(buf, [indices.length, ds.size, ds.size, 3]);
}

/** One-hot labels (Section 2.1) of the given dataset indices as a [n, 7] tensor. */
export function labelsTensor(ds: Dataset, indices: number[]): import("@tensorflow/tfjs").Tensor2D {
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
        .toFloat() as import("@tensorflow/tfjs").Tensor2D,
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
 * Colour channels of the stored CK+48 PNGs: 8-bit grey, one channel (the paper's "colour images" are not; the loader
 * copies the grey value to three channels). test/data.test.ts checks every file of the data set when it is present.
 */
export const STORED_CHANNELS = 1;

/** Number of images per class, in class order. */
export function classCounts(labels: number[]): number[] {
  const c = new Array(NUM_CLASSES).fill(0);
  labels.forEach((l) => c[l]++);
  return c;
}

/** Images per class, in class order, from the manifest (works without the images). */
export function manifestCounts(manifest: ManifestEntry[]): number[] {
  return classCounts(
    manifest.map((m) => {
      const c = (CLASSES as readonly string[]).indexOf(m.class);
      if (c < 0) throw new Error(`manifest: unknown class "${m.class}"`);
      return c;
    }),
  );
}

/** The paths of the manifest rows ("class/file.png"). */
export function manifestFiles(manifest: ManifestEntry[]): string[] {
  return manifest.map((m) => m.path);
}

/** The subject / sequence / frame structure behind the CK+ file names `S<subject>_<sequence>_<frame>.png`. */
export interface FileNameStructure {
  images: number;
  subjects: number;
  sequences: number;
  /** How many sequences contribute n images, by n. */
  imagesPerSequence: Record<number, number>;
  /** Sequences whose images sit in more than one class folder (should be none: a sequence shows one emotion). */
  sequencesInSeveralClasses: number;
  /** Subjects per class. */
  subjectsPerClass: Record<string, number>;
  /** One example name, taken apart. */
  example: { file: string; subject: string; sequence: string; frame: string };
}

/** Take the file names of the manifest apart (lib/data subjectOf / sequenceOf). */
export function fileNameStructure(manifest: ManifestEntry[]): FileNameStructure {
  const seqs = new Map<string, { n: number; classes: Set<string> }>();
  const subjects = new Set<string>();
  const perClass = new Map<string, Set<string>>(CLASSES.map((c) => [c, new Set<string>()]));
  for (const m of manifest) {
    const s = subjectOf(m.path);
    const q = sequenceOf(m.path);
    subjects.add(s);
    perClass.get(m.class)?.add(s);
    const e = seqs.get(q) ?? { n: 0, classes: new Set<string>() };
    e.n++;
    e.classes.add(m.class);
    seqs.set(q, e);
  }
  const imagesPerSequence: Record<number, number> = {};
  for (const e of seqs.values()) imagesPerSequence[e.n] = (imagesPerSequence[e.n] ?? 0) + 1;
  const file = manifest[0].path;
  const base = path.basename(file);
  return {
    images: manifest.length,
    subjects: subjects.size,
    sequences: seqs.size,
    imagesPerSequence,
    sequencesInSeveralClasses: [...seqs.values()].filter((e) => e.classes.size > 1).length,
    subjectsPerClass: Object.fromEntries([...perClass.entries()].map(([c, s]) => [c, s.size])),
    example: {
      file,
      subject: subjectOf(file),
      sequence: sequenceOf(file),
      frame: base.replace(/^S\d+_\d+_(\d+)\..*$/, "$1"),
    },
  };
}

/**
 * `perClass` files of every class, chosen with a seeded shuffle of each class's sorted files, in class order: the
 * sample grid of notebook 01 and (sorted) the `--quick` subset of the protocol.
 */
export function sampleFiles(files: string[], perClass = 6, seed = 0): string[] {
  const rng = new Rng(seed);
  return CLASSES.flatMap((c) => rng.shuffle(files.filter((f) => f.startsWith(`${c}/`)).sort()).slice(0, perClass));
}

/** What decoding does to one file (Section 2.1): its stored form and the network's input. */
export interface DecodingReport {
  file: string;
  stored: { width: number; height: number; channels: number; format: string; bitDepth: string };
  /** Shape of the decoded array: [48, 48, 3]. */
  decodedShape: number[];
  /** True when R = G = B everywhere (the grey value copied to three channels). */
  channelsEqual: boolean;
  min: number;
  max: number;
  /** The top-left 4×4 pixels: stored bytes (0–255) and the network's values (÷255, channel 0). */
  bytes: number[][];
  scaled: number[][];
}

/** Read one image both ways: as stored (sharp metadata, raw bytes) and as the network sees it (lib/data decodeImage). */
export async function describeDecoding(file: string): Promise<DecodingReport> {
  const meta = await sharp(file).metadata();
  const raw = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  const x = await decodeImage(file);
  const size = PAPER.imageSize;
  let equal = true;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < x.length; i += 3) {
    if (x[i] !== x[i + 1] || x[i] !== x[i + 2]) equal = false;
    min = Math.min(min, x[i], x[i + 1], x[i + 2]);
    max = Math.max(max, x[i], x[i + 1], x[i + 2]);
  }
  const ch = raw.info.channels;
  const bytes = [0, 1, 2, 3].map((y) => [0, 1, 2, 3].map((xx) => raw.data[(y * raw.info.width + xx) * ch]));
  const scaled = [0, 1, 2, 3].map((y) => [0, 1, 2, 3].map((xx) => x[(y * size + xx) * 3]));
  return {
    file,
    stored: {
      width: meta.width ?? 0,
      height: meta.height ?? 0,
      channels: meta.channels ?? 0,
      format: meta.format ?? "?",
      bitDepth: String(meta.depth ?? "?"),
    },
    decodedShape: [size, size, 3],
    channelsEqual: equal,
    min,
    max,
    bytes,
    scaled,
  };
}
