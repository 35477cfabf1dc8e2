/**
 * Notebook 01-data's own code (Section 2.1): the notebook's tables and face grids, one sequence's frames, the majority
 * baseline, the shear's answer and the summary. The data pipeline itself is lib/data/ (files, decode, pixels, manifest,
 * dataset) and lib/augment.ts; the data set's structure taken apart is lib/data/manifest.ts fileNameStructure, what
 * decoding does to one file lib/data/decode.ts describeDecoding.
 */
import * as path from "path";
import { CLASSES, PAPER, PAPER_RESULTS, type AugmentConfig } from "../config";
import { listImages, sequenceOf, subjectOf } from "../data/files";
import { decodeImage, type DecodingReport } from "../data/decode";
import { labelsTensor } from "../data/dataset";
import {
  STORED_CHANNELS,
  fileNameStructure,
  manifestCounts,
  readManifest,
  type FileNameStructure,
  type ManifestEntry,
} from "../data/manifest";
import { splitLeakage, trainTestSplit, type Leakage, type Split } from "../split";
import { IDENTITY, augmentationGallery, galleryParams, transformMatrix, type TransformParams } from "../augment";
import type { DataStatus } from "../runs";
import { demoPattern, imageGrid, rgbPicture, type GridCell } from "../display/pictures";
import { markdownTable, pct } from "../display/text";
import { argmax } from "../arrays";

/** What a cell that needs the images says without them (the full status is the notebook's first output). */
export const NEEDS_DATA = "*This cell needs the CK+48 images (see the status at the top of the notebook): skipped.*";

/** Images per class with their share, as a table. */
export function countsMarkdown(counts: number[]): string {
  const total = counts.reduce((a, b) => a + b, 0);
  return markdownTable(
    ["class", "images", "share"],
    [...CLASSES.map((c, i) => [c, counts[i], pct(counts[i] / total)]), ["**total**", total, "100%"]],
    ["l", "r", "r"],
  );
}

/** The file-name structure (notebook 01) as Markdown. */
export function fileNameMarkdown(s: FileNameStructure): string {
  const perSeq = Object.entries(s.imagesPerSequence)
    .map(([n, k]) => `${k} sequences × ${n} image${n === "1" ? "" : "s"}`)
    .join(", ");
  return [
    `\`${path.basename(s.example.file)}\` → subject **${s.example.subject}**, sequence **${s.example.sequence}**, frame **${s.example.frame}** (lib/data/files.ts \`subjectOf\`, \`sequenceOf\`).`,
    "",
    markdownTable(
      ["", "count"],
      [
        ["images", s.images],
        ["subjects (people)", s.subjects],
        ["sequences (one emotion each)", s.sequences],
        ["images per sequence", perSeq],
        ["sequences spread over several classes", s.sequencesInSeveralClasses],
        ...CLASSES.map((c) => [`subjects showing ${c}`, s.subjectsPerClass[c] ?? 0]),
      ],
      ["l", "r"],
    ),
  ].join("\n");
}

/** Sequence and subject overlap of splits, as a table. */
export function leakageMarkdown(rows: Leakage[]): string {
  return markdownTable(
    ["split", "test images", "with a frame of the same sequence in training", "whose person is in training"],
    rows.map((r) => [
      r.mode,
      r.test,
      `${r.testWithSequenceInTrain} (${pct(r.testWithSequenceInTrain / r.test)})`,
      `${r.testWithSubjectInTrain} (${pct(r.testWithSubjectInTrain / r.test)})`,
    ]),
    ["l", "r", "r", "r"],
  );
}

/** The decoding report (notebook 01) as Markdown: stored form, network input, a 4×4 corner in bytes and in [0,1]. */
export function decodingMarkdown(r: DecodingReport): string {
  const grid = (m: number[][], d: number) =>
    m.map((row) => row.map((v) => (d ? v.toFixed(d) : String(v))).join(" ")).join(" / ");
  return [
    `\`${path.basename(path.dirname(r.file))}/${path.basename(r.file)}\`:`,
    "",
    markdownTable(
      ["", "value"],
      [
        [
          "stored",
          `${r.stored.format}, ${r.stored.width}×${r.stored.height}, ${r.stored.channels} channel(s), ${r.stored.bitDepth}`,
        ],
        [
          "network input (lib/data/decode.ts decodeImage)",
          `${r.decodedShape.join("×")} floats in [${r.min.toFixed(3)}, ${r.max.toFixed(3)}]`,
        ],
        ["R = G = B everywhere", r.channelsEqual ? "yes: the grey value is copied to 3 channels" : "no"],
        ["top-left 4×4, stored bytes", grid(r.bytes, 0)],
        ["the same ÷ 255", grid(r.scaled, 3)],
      ],
    ),
  ].join("\n");
}

/** One-hot labels of the 7 classes, made by lib/data/dataset.ts labelsTensor (the function training uses). */
export function oneHotMarkdown(): string {
  const ds = {
    files: [],
    labels: CLASSES.map((_, i) => i),
    subjects: [],
    x: new Float32Array(0),
    size: PAPER.imageSize,
  };
  const t = labelsTensor(ds, ds.labels);
  const rows = t.arraySync() as number[][];
  t.dispose();
  return markdownTable(
    ["class", "index", "one-hot y"],
    CLASSES.map((c, i) => [c, i, `[${rows[i].join(", ")}]`]),
    ["l", "r", "l"],
  );
}

/**
 * The face notebooks 01 and 02 use: image `index` (in name order) of class `cls` (default the first "happy" image),
 * or the synthetic pattern without data.
 */
export async function galleryFace(
  data: DataStatus,
  index = 0,
  cls = "happy",
): Promise<{ image: Float32Array; label: string }> {
  if (!data.present) return { image: demoPattern(), label: "synthetic pattern (CK+48 absent)" };
  const file = faceFile(listImages(data.dir), index, cls);
  return { image: await decodeImage(path.join(data.dir, file)), label: file };
}

/** Image `index` (in name order) of class `cls` among "class/file" paths; an error names the valid range. */
export function faceFile(files: string[], index: number, cls: string): string {
  const own = files.filter((f) => f.startsWith(`${cls}/`)).sort();
  if (!own.length) throw new Error(`no ${cls}/ image: the classes are ${CLASSES.join(", ")}`);
  if (!Number.isInteger(index) || index < 0 || index >= own.length)
    throw new Error(`face index ${index} is outside 0…${own.length - 1} (${own.length} ${cls} images)`);
  return own[index];
}

/** Decode files of a CK+48 folder as grid cells, captioned with the class and file name. */
export async function facesAsCells(
  dataDir: string,
  files: string[],
  caption: (f: string) => string[] = (f) => [f.split("/")[0], path.basename(f, ".png")],
): Promise<GridCell[]> {
  const out: GridCell[] = [];
  for (const f of files)
    out.push({ picture: rgbPicture(await decodeImage(path.join(dataDir, f))), caption: caption(f) });
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// One sequence's frames, people with several sequences, the majority baseline, the shear, the summary
// ---------------------------------------------------------------------------------------------------------------

/** The files of `file`'s sequence (its frames) among "class/file" paths, in frame order. */
export function sequenceFrames(files: string[], file: string): string[] {
  const q = sequenceOf(file);
  return files.filter((f) => sequenceOf(f) === q).sort((a, b) => path.basename(a).localeCompare(path.basename(b)));
}

/** Mean absolute difference of two images with values in [0, 1]: 0 for equal images, 1 for black against white. */
export function meanAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length || !a.length) throw new Error(`images of ${a.length} and ${b.length} values`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

/** One face's sequence beside a split: each frame, its side, and how alike the frames are (vs another person). */
export interface FramesReport {
  frames: { file: string; side: "train" | "test"; image: Float32Array }[];
  /** Mean absolute difference of consecutive frames (1–2, 2–3, …). */
  consecutive: number[];
  /** The same between the first frame and the first image of its class from another person. */
  other: { file: string; difference: number };
}

/** Decode the frames of `file`'s sequence and measure them; `split` says which side each frame is on. */
export async function framesReport(dataDir: string, file: string, split: Split): Promise<FramesReport> {
  const files = listImages(dataDir);
  const test = new Set(split.test);
  const frames: FramesReport["frames"] = [];
  for (const f of sequenceFrames(files, file))
    frames.push({
      file: f,
      side: test.has(f) ? ("test" as const) : ("train" as const),
      image: await decodeImage(path.join(dataDir, f)),
    });
  const cls = file.split("/")[0];
  const otherFile = files.find((f) => f.startsWith(`${cls}/`) && subjectOf(f) !== subjectOf(file));
  if (!otherFile) throw new Error(`no ${cls}/ image of another person`);
  return {
    frames,
    consecutive: frames.slice(1).map((f, i) => meanAbsDifference(frames[i].image, f.image)),
    other: {
      file: otherFile,
      difference: meanAbsDifference(frames[0].image, await decodeImage(path.join(dataDir, otherFile))),
    },
  };
}

/** The frames as grid cells, captioned with the file name and the side of the split. */
export function framesCells(r: FramesReport, seed: number): GridCell[] {
  return r.frames.map((f) => ({
    picture: rgbPicture(f.image),
    caption: [path.basename(f.file, ".png"), `${f.side} (seed ${seed})`],
  }));
}

/** How alike the frames are, as a table: consecutive frames against another person's face of the same class. */
export function framesMarkdown(r: FramesReport): string {
  return markdownTable(
    ["pair", "mean |difference| of the pixels (0–1)"],
    [
      ...r.consecutive.map((d, i) => [
        `frame ${i + 1} and frame ${i + 2} of \`${sequenceOf(r.frames[0].file)}\``,
        d.toFixed(3),
      ]),
      [`frame 1 and \`${path.basename(r.other.file)}\` (another person, same class)`, r.other.difference.toFixed(3)],
    ],
    ["l", "r"],
  );
}

/** Sequences per person: how many people there are with n sequences, and who has the most. */
export function sequencesPerSubject(manifest: ManifestEntry[]): {
  histogram: Record<number, number>;
  several: number;
  most: string;
  mostCount: number;
} {
  const seqs = new Map<string, Set<string>>();
  for (const m of manifest)
    seqs.set(subjectOf(m.path), (seqs.get(subjectOf(m.path)) ?? new Set<string>()).add(sequenceOf(m.path)));
  const histogram: Record<number, number> = {};
  let most = "";
  for (const [s, q] of [...seqs.entries()].sort()) {
    histogram[q.size] = (histogram[q.size] ?? 0) + 1;
    if (!most || q.size > seqs.get(most)!.size) most = s;
  }
  const several = [...seqs.values()].filter((q) => q.size > 1).length;
  return { histogram, several, most, mostCount: seqs.get(most)?.size ?? 0 };
}

/** {@link sequencesPerSubject} as Markdown (exercise 3). */
export function sequencesPerSubjectMarkdown(manifest: ManifestEntry[]): string {
  const s = sequencesPerSubject(manifest);
  const people = Object.values(s.histogram).reduce((a, b) => a + b, 0);
  return [
    `**${s.several} of ${people} people** (${pct(s.several / people)}) have more than one sequence; ${s.most} has the most, ${s.mostCount}. A subject split must keep all of a person's sequences on one side.`,
    "",
    markdownTable(
      ["sequences per person", "people"],
      Object.entries(s.histogram).map(([n, k]) => [n, k]),
      ["r", "r"],
    ),
  ].join("\n");
}

/** Where one face's sequence and person sit in a split, and how often a sequence of its class is cut in two (exercise 2). */
export function faceContextMarkdown(manifest: ManifestEntry[], file: string, split: Split): string {
  const files = manifest.map((m) => m.path);
  const test = new Set(split.test);
  const side = (f: string) => (test.has(f) ? "test" : "train");
  const frames = sequenceFrames(files, file);
  const mine = manifest.filter((m) => subjectOf(m.path) === subjectOf(file));
  const seqs = new Set(mine.map((m) => sequenceOf(m.path)));
  const cls = file.split("/")[0];
  const classSeqs = new Map<string, Set<string>>();
  for (const f of files.filter((x) => x.startsWith(`${cls}/`)))
    classSeqs.set(sequenceOf(f), (classSeqs.get(sequenceOf(f)) ?? new Set<string>()).add(side(f)));
  const cut = [...classSeqs.values()].filter((v) => v.size > 1).length;
  return [
    `\`${file}\`: person **${subjectOf(file)}**, sequence **${sequenceOf(file)}**, frames ${frames.map((f) => `${path.basename(f, ".png").split("_")[2]} (${side(f)})`).join(", ")}.`,
    `${subjectOf(file)} has ${seqs.size} sequence${seqs.size === 1 ? "" : "s"} (${[...new Set(mine.map((m) => m.class))].join(", ")}).`,
    `Of the ${classSeqs.size} ${cls} sequences, ${cut} (${pct(cut / classSeqs.size)}) have frames on both sides of this ${split.mode} split.`,
  ].join(" ");
}

/** The majority-class baseline of a split (exercise 4): the training part's most frequent class, answered always. */
export function majorityBaseline(
  manifest: ManifestEntry[],
  split: Split,
): { class: string; testAccuracy: number; share: number } {
  const classOf = new Map(manifest.map((m) => [m.path, m.class]));
  const count = (fs: string[], c: string) => fs.filter((f) => classOf.get(f) === c).length;
  const best = [...CLASSES].sort((a, b) => count(split.train, b) - count(split.train, a))[0];
  return {
    class: best,
    testAccuracy: count(split.test, best) / split.test.length,
    share:
      count(
        manifest.map((m) => m.path),
        best,
      ) / manifest.length,
  };
}

/** {@link majorityBaseline} as a sentence beside the paper's accuracy. */
export function majorityBaselineMarkdown(manifest: ManifestEntry[], split: Split): string {
  const b = majorityBaseline(manifest, split);
  return `Always answering **${b.class}** (the largest class of the training part, ${pct(b.share)} of all images) is right on **${pct(b.testAccuracy)}** of the ${split.test.length} test images of this ${split.mode} split; the paper's network reaches ${pct(PAPER_RESULTS.testAccuracy)}. A model is only as good as its margin over this baseline, class by class.`;
}

/** How far a pure shear of `deg` degrees moves the farthest pixel of a size × size image (the largest |M·p − p|, at a corner). */
export function shearDisplacement(deg: number, size = PAPER.imageSize): number {
  const m = transformMatrix({ ...IDENTITY, shear: deg }, size, size);
  const corners = [0, size - 1].flatMap((x) => [0, size - 1].map((y) => [x, y]));
  return Math.max(
    ...corners.map(([x, y]) =>
      Math.hypot(m[0][0] * x + m[0][1] * y + m[0][2] - x, m[1][0] * x + m[1][1] * y + m[1][2] - y),
    ),
  );
}

/**
 * Exercise 1's answer: the matrix of a `deg` shear (lib/augment.ts transformMatrix), how far it moves a pixel
 * beside the paper's shear, and the synthetic pattern (never a face: the answer stays in the public book) under both.
 */
export async function shearAnswerMarkdown(deg: number, paperDeg = PAPER.augment.shearRange): Promise<string> {
  const m = transformMatrix({ ...IDENTITY, shear: deg });
  const pattern = demoPattern();
  const cells = augmentationGallery(pattern, [
    { title: "synthetic pattern", params: IDENTITY },
    { title: `shear ${paperDeg}° (paper)`, params: { ...IDENTITY, shear: paperDeg } },
    { title: `shear ${deg}°`, params: { ...IDENTITY, shear: deg } },
  ]);
  const png = await imageGrid(cells, { columns: 3 });
  return [
    `The output→input matrix of a ${deg}° shear (x = column, y = row, about the centre):`,
    "",
    markdownTable(
      ["", "x", "y", "1"],
      m.map((r, i) => [["x′", "y′", "1"][i], ...r.map((v) => v.toFixed(3))]),
      ["l", "r", "r", "r"],
    ),
    "",
    `It moves the farthest pixel by **${shearDisplacement(deg).toFixed(2)} px**; the paper's ${paperDeg}° by ${shearDisplacement(paperDeg).toFixed(2)} px, far below one pixel. ` +
      `An output pixel at row offset dy from the centre samples the input ${m[0][1] < 0 ? "to the right" : "to the left"} for rows above the centre (dy < 0), so there the picture slides ${m[0][1] < 0 ? "left" : "right"} and below the centre ${m[0][1] < 0 ? "right" : "left"}; ` +
      `it samples rows at ${m[1][1].toFixed(3)}·dy, so the picture is stretched vertically by ${(1 / m[1][1]).toFixed(3)}.`,
    "",
    `<img alt="the synthetic pattern under the two shears" src="data:image/png;base64,${png.toString("base64")}">`,
  ].join("\n");
}

/** The gallery's transforms: {@link galleryParams} for `augment`, with the visible shear at `visibleShear` degrees. */
export function galleryEntries(
  augment: AugmentConfig,
  randomDraws: number,
  seed: number,
  visibleShear: number,
): { title: string; params: TransformParams }[] {
  return galleryParams(augment, PAPER.imageSize, randomDraws, seed).map((e) =>
    e.title.startsWith("shear") && !e.title.includes("paper")
      ? { title: `shear ${visibleShear}° (to see it)`, params: { ...IDENTITY, shear: visibleShear } }
      : e,
  );
}

/** The notebook's results, computed: the data set, the identity leak of the seed's split, and what augmentation changes. */
export function dataSummaryMarkdown(
  manifest: ManifestEntry[],
  seed: number,
  augment: AugmentConfig,
  visibleShear: number,
): string {
  const s = fileNameStructure(manifest);
  const counts = CLASSES.map((c) => manifest.filter((m) => m.class === c).length);
  const hi = argmax(counts);
  const lo = argmax(counts.map((n) => -n));
  const files = manifest.map((m) => m.path);
  const [random, subject] = (["random", "subject"] as const).map((mode) => splitLeakage(files, seed, mode));
  const base = majorityBaseline(manifest, trainTestSplit(files, seed, PAPER.testFraction));
  return markdownTable(
    ["", "computed"],
    [
      [
        "images, classes",
        `${s.images} in ${CLASSES.length} classes, from ${counts[lo]} (${CLASSES[lo]}) to ${counts[hi]} (${CLASSES[hi]})`,
      ],
      [
        "people, sequences, frames",
        `${s.subjects} people, ${s.sequences} sequences, ${Object.keys(s.imagesPerSequence).join(" or ")} frames each`,
      ],
      ["always answering the majority class", `${pct(base.testAccuracy)} of the test images (${base.class})`],
      [
        "stored → network input",
        `${STORED_CHANNELS} channel of bytes → ${PAPER.imageSize}×${PAPER.imageSize}×${PAPER.channels} floats in [0, 1] (÷ 255), R = G = B`,
      ],
      [
        `random split, seed ${seed}: test images with a sibling frame in training`,
        `${random.testWithSequenceInTrain} of ${random.test} (${pct(random.testWithSequenceInTrain / random.test)})`,
      ],
      [`subject split, seed ${seed}: the same`, `${subject.testWithSequenceInTrain} of ${subject.test}`],
      [
        "largest pixel displacement of the shear",
        `${shearDisplacement(augment.shearRange).toFixed(2)} px at ${augment.shearRange}°, ${shearDisplacement(visibleShear).toFixed(1)} px at ${visibleShear}°`,
      ],
    ],
    ["l", "l"],
  );
}

/** The facts this notebook's prose cites by name, beside lib/notebooks/facts.ts commonFacts (tied in cell metadata). */
export function proseFacts(): Record<string, number> {
  const counts = manifestCounts(readManifest());
  return {
    "counts.maxOverMin": Math.max(...counts) / Math.min(...counts),
  };
}
