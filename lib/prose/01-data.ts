/**
 * The prose of notebooks/01-data.ipynb (Section 2.1): tables and face grids. The computations are in lib/data.ts
 * and lib/augment.ts; this file formats what they return.
 */
import * as path from "path";
import { CLASSES, PAPER } from "../config";
import { decodeImage, labelsTensor, listImages, type DecodingReport, type FileNameStructure } from "../data";
import type { Leakage } from "../split";
import type { DataStatus } from "../runs";
import { demoPattern, markdownTable, pct, rgbPicture, type GridCell } from "../display";

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
    `\`${path.basename(s.example.file)}\` → subject **${s.example.subject}**, sequence **${s.example.sequence}**, frame **${s.example.frame}** (lib/data \`subjectOf\`, \`sequenceOf\`).`,
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
          "network input (lib/data decodeImage)",
          `${r.decodedShape.join("×")} floats in [${r.min.toFixed(3)}, ${r.max.toFixed(3)}]`,
        ],
        ["R = G = B everywhere", r.channelsEqual ? "yes: the grey value is copied to 3 channels" : "no"],
        ["top-left 4×4, stored bytes", grid(r.bytes, 0)],
        ["the same ÷ 255", grid(r.scaled, 3)],
      ],
    ),
  ].join("\n");
}

/** One-hot labels of the 7 classes, made by lib/data labelsTensor (the function training uses). */
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
