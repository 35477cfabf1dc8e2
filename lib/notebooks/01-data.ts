/**
 * Notebook 01-data's own code (Section 2.1): the data set's structure taken apart, what decoding does to one file, and
 * the notebook's tables and face grids. The data pipeline itself is lib/data/ (files, decode, pixels, manifest,
 * dataset) and lib/augment.ts.
 */
import * as path from "path";
import sharp from "sharp";
import { CLASSES, PAPER } from "../config";
import { listImages, sequenceOf, subjectOf } from "../data/files";
import { decodeImage } from "../data/decode";
import { labelsTensor } from "../data/dataset";
import type { ManifestEntry } from "../data/manifest";
import type { Leakage } from "../split";
import type { DataStatus } from "../runs";
import { demoPattern, rgbPicture, type GridCell } from "../display/pictures";
import { markdownTable, pct } from "../display/text";

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

/** The face notebooks 01 and 02 use: the first "happy" image of the data set, or the synthetic pattern without data. */
export async function galleryFace(data: DataStatus): Promise<{ image: Float32Array; label: string }> {
  if (!data.present) return { image: demoPattern(), label: "synthetic pattern (CK+48 absent)" };
  const file = listImages(data.dir).find((f) => f.startsWith("happy/"));
  if (!file) throw new Error(`no happy/ image in ${data.dir}`);
  return { image: await decodeImage(path.join(data.dir, file)), label: file };
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

/** Take the file names of the manifest apart (lib/data/files.ts subjectOf / sequenceOf). */
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

/** Read one image both ways: as stored (sharp metadata, raw bytes) and as the network sees it (lib/data/decode.ts decodeImage). */
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

/** The facts this notebook's prose cites by name, beside lib/notebooks/facts.ts commonFacts (tied in cell metadata). */
export function proseFacts(): Record<string, number> {
  return {};
}
