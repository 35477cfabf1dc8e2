/**
 * Everything the notebooks (notebooks/*.ipynb, one per section of the paper) compute or draw. The notebooks define
 * no functions of their own: each cell calls a function from lib (this module or the section's module) and displays
 * what it returns: Markdown text, an SVG chart (the same vega-lite renderer as figures/), or a PNG of faces.
 *
 * Nothing here depends on tslab or Jupyter: results are plain strings, buffers and objects, so every function is
 * tested in test/notebook.test.ts like the rest of lib.
 *
 * Sections of this file follow the notebooks: status (data, run record), display helpers (tables, images), then
 * 01-data, 02-model, 03-optim, 04-train, 05-evaluate, 00-overview.
 */
import * as fs from "fs";
import * as path from "path";
import sharp from "sharp";
import type { TopLevelSpec } from "vega-lite";
import { tf, type Tensor, type Tensor4D, type LayersModel } from "./tf";
import { CLASSES, NUM_CLASSES, PAPER, type PaperConfig } from "./config";
import { ROOT, PAPER_RUN, resolveDataDir } from "./paths";
import { classCounts, decodeImage, labelsTensor, listImages, sequenceOf, subjectOf, type ManifestEntry } from "./data";
import { applyTransforms, drawParams, IDENTITY, type TransformParams } from "./augment";
import { Rng } from "./random";
import { trainTestSplit, kFold, type SplitMode } from "./split";
import { crossEntropy, oneHot, rmspropInit, rmspropStep, sampleCrossEntropy, type OptimizerRace, type RmspropSettings, type Surface, sampleSurface } from "./optim";
import { argmax } from "./evaluate";
import { runRecordJson, type RunRecord } from "./record";
import { FONT } from "./render";
import { loadRun } from "./figures";
import { confusionCells } from "./figures/confusion";
import { PAPER_RESULTS } from "./figures/paper";
import { runProtocol } from "./protocol";
import { saveRun, loadModel } from "./save";

// ---------------------------------------------------------------------------------------------------------------
// Where things are, and what is present
// ---------------------------------------------------------------------------------------------------------------

/** Everything the notebooks write (git-ignored): executed copies, runs made by notebook 04. */
export const NOTEBOOK_OUT = path.join(ROOT, "out", "notebooks");
/** A quick run made by notebook 04 with FER_QUICK=1 when there is no run of record. */
export const QUICK_RUN_DIR = path.join(NOTEBOOK_OUT, "quick-run");
/** A full run made by notebook 04 with RETRAIN = true. */
export const LIVE_RUN_DIR = path.join(NOTEBOOK_OUT, "live-run");

/** FER_QUICK=1 (or true/yes): every training cell uses the quick setting (10 images per class, 2 folds, 2 epochs). */
export function quickMode(env: NodeJS.ProcessEnv = process.env): boolean {
  return /^(1|true|yes)$/i.test(env.FER_QUICK ?? "");
}

/** Is the CK+48 folder there, and what should the reader do if not. */
export interface DataStatus {
  present: boolean;
  dir: string;
  images: number;
  /** One Markdown paragraph for the notebook. */
  message: string;
}

/** Check the CK+48 folder (lib/paths resolveDataDir: `$CK48_DIR`, else data/CK+48) without throwing. */
export function dataStatus(dir: string = resolveDataDir()): DataStatus {
  try {
    const files = listImages(dir);
    return { present: true, dir, images: files.length, message: `CK+48 found at \`${dir}\`: ${files.length} images.` };
  } catch (e) {
    return {
      present: false,
      dir,
      images: 0,
      message:
        `**CK+48 is not available** (${(e as Error).message}). Cells that need the images say so and skip, or use a ` +
        "synthetic pattern where that still shows the idea. To get them: see data/README.md, then link the folder " +
        "(`ln -s /path/to/CK+48 data/CK+48`) or set `CK48_DIR`; CI links `../shared/data/CK+48`.",
    };
  }
}

/** A run record the notebooks can show, where it came from and how far to trust it. */
export interface FoundRun {
  file: string;
  record: RunRecord;
  kind: "record" | "live" | "quick";
  /** One Markdown paragraph describing the run. */
  note: string;
}

/** The run files the notebooks look for, in order: the run of record, a full run made in notebook 04, a quick one. */
export function runCandidates(): { file: string; kind: FoundRun["kind"] }[] {
  return [
    { file: path.join(PAPER_RUN, "run.json"), kind: "record" },
    { file: path.join(LIVE_RUN_DIR, "run.json"), kind: "live" },
    { file: path.join(QUICK_RUN_DIR, "run.json"), kind: "quick" },
  ];
}

/** Describe a run for the notebooks (Markdown). */
export function describeRun(record: RunRecord, file: string, kind: FoundRun["kind"]): string {
  const rel = path.relative(ROOT, file) || file;
  const what =
    kind === "record"
      ? "the committed **run of record**"
      : kind === "live"
        ? "a run made in notebook 04 (`RETRAIN = true`), not the committed run of record"
        : "a **quick run** (smoke setting: 10 images per class, 2 folds, 2 epochs). It exercises the code, but its numbers say nothing about the paper";
  const mins = (record.seconds / 60).toFixed(1);
  return (
    `Results from \`${rel}\`: ${what}. Backend ${record.backend}, seed ${record.seed}, ${record.config.split} split, ` +
    `${record.folds.length} folds, ${record.split.test.length} test images, ${mins} min of training.`
  );
}

/** The first run record found among {@link runCandidates} (or the given files), or undefined. */
export function findRun(candidates: { file: string; kind: FoundRun["kind"] }[] = runCandidates()): FoundRun | undefined {
  for (const c of candidates) {
    if (!fs.existsSync(c.file)) continue;
    const record = loadRun(c.file);
    return { file: c.file, record, kind: c.kind, note: describeRun(record, c.file, c.kind) };
  }
  return undefined;
}

/** What to tell the reader when there is no run record at all. */
export const NO_RUN_MESSAGE =
  "**No run record yet.** The run of record `data/runs/paper/run.json` is not committed yet. Make one with " +
  "`npm run reproduce -- --out data/runs/paper` (the full protocol; about 4 minutes on 2 cores), or run notebook " +
  "04 with `FER_QUICK=1` (or `RETRAIN = true`) to make a run in `out/notebooks/`. Cells that need a run say so and skip.";

/** The Markdown status line for a found run, or {@link NO_RUN_MESSAGE}. */
export function runStatus(found: FoundRun | undefined): string {
  return found ? found.note : NO_RUN_MESSAGE;
}

/** The saved model that belongs to a found run (`<run folder>/model`), if it is there. */
export function modelDirOf(found: FoundRun | undefined): string | undefined {
  if (!found) return undefined;
  const dir = path.join(path.dirname(found.file), "model");
  return fs.existsSync(path.join(dir, "model.json")) ? dir : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Display helpers: Markdown tables, HTML, source excerpts
// ---------------------------------------------------------------------------------------------------------------

/** Escape text for HTML. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A Markdown table; `align` per column ("l" or "r", default "l"); cells' pipes are escaped. */
export function markdownTable(headers: string[], rows: (string | number)[][], align: ("l" | "r")[] = []): string {
  const cell = (v: string | number) => String(v).replace(/\|/g, "\\|").replace(/\n/g, " ");
  for (const r of rows) if (r.length !== headers.length) throw new Error(`row has ${r.length} cells, header ${headers.length}`);
  return [
    `| ${headers.map(cell).join(" | ")} |`,
    `|${headers.map((_, i) => (align[i] === "r" ? "---:" : "---")).join("|")}|`,
    ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
  ].join("\n");
}

/** A fixed number of decimals, or "n/a" for NaN/null. */
export function fmt(x: number | null | undefined, digits = 4): string {
  return x === null || x === undefined || !Number.isFinite(x) ? "n/a" : x.toFixed(digits);
}

/** A fraction as a percentage with one decimal. */
export function pct(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? "n/a" : `${(x * 100).toFixed(1)}%`;
}

/**
 * The source of an exported function of a TypeScript file (with its TSDoc comment), for printing beside other
 * code. Relies on the project's style: `export function name(` at the start of a line, closed by a line "}".
 */
export function sourceOf(file: string, name: string): string {
  const lines = fs.readFileSync(file, "utf8").split("\n");
  const start = lines.findIndex((l) => new RegExp(`^export (async )?function ${name}\\b`).test(l));
  if (start < 0) throw new Error(`no exported function ${name} in ${file}`);
  let first = start;
  if (lines[start - 1]?.trim() === "*/") {
    while (first > 0 && !lines[first - 1].trim().startsWith("/**")) first--;
    first--;
  }
  const end = lines.findIndex((l, i) => i > start && l === "}");
  if (end < 0) throw new Error(`function ${name} in ${file} has no closing line`);
  return lines.slice(first, end + 1).join("\n");
}

/** The installed tfjs RMSprop source file (the code training really runs). */
export const TFJS_RMSPROP_FILE = path.join(path.dirname(require.resolve("@tensorflow/tfjs-core/package.json")), "dist", "optimizers", "rmsprop_optimizer.js");

/** The non-centred ("Plain gradient") branch of tfjs' `RMSPropOptimizer.applyGradients`, with its line numbers. */
export function tfjsRmspropSource(file: string = TFJS_RMSPROP_FILE): { code: string; firstLine: number; file: string } {
  const lines = fs.readFileSync(file, "utf8").split("\n");
  const start = lines.findIndex((l) => l.includes("// Plain gradient"));
  if (start < 0) throw new Error(`${file}: no "// Plain gradient" branch (tfjs changed?)`);
  const indent = (lines[start - 1].match(/^\s*/) ?? [""])[0];
  const end = lines.findIndex((l, i) => i > start && l.startsWith(indent) && l.trim() === "}" && l.length - 1 === indent.length);
  if (end < 0) throw new Error(`${file}: cannot find the end of the plain-gradient branch`);
  const body = lines.slice(start, end);
  const strip = Math.min(...body.filter((l) => l.trim()).map((l) => (l.match(/^\s*/) ?? [""])[0].length));
  return { code: body.map((l) => l.slice(strip)).join("\n"), firstLine: start + 1, file };
}

/** Two code listings side by side (HTML table of two `<pre>` blocks) with titles. */
export function sideBySideHtml(left: { title: string; code: string }, right: { title: string; code: string }): string {
  const col = (c: { title: string; code: string }) =>
    `<td style="vertical-align:top;text-align:left"><b>${escapeHtml(c.title)}</b><pre style="font-size:11px;line-height:1.3">${escapeHtml(c.code)}</pre></td>`;
  return `<table><tr>${col(left)}${col(right)}</tr></table>`;
}

// ---------------------------------------------------------------------------------------------------------------
// Images: pixels → PNG, grids of faces with captions
// ---------------------------------------------------------------------------------------------------------------

/** An image as the notebooks handle it: row-major pixels in [0, 1], 1 (grey) or 3 (RGB) channels. */
export interface Picture {
  data: ArrayLike<number>;
  width: number;
  height: number;
  channels: 1 | 3;
}

/** One cell of an image grid: a picture and up to a few caption lines under it. */
export interface GridCell {
  picture: Picture;
  caption?: string[];
}

/** A 48×48 RGB face (or any square RGB image of side `size`) as a Picture. */
export function rgbPicture(data: ArrayLike<number>, size: number = PAPER.imageSize): Picture {
  if (data.length !== size * size * 3) throw new Error(`expected ${size}×${size}×3 = ${size * size * 3} values, got ${data.length}`);
  return { data, width: size, height: size, channels: 3 };
}

/** Pixels in [0,1] → 8-bit (clamped, rounded). */
export function toBytes(p: Picture): Buffer {
  const n = p.width * p.height * p.channels;
  if (p.data.length !== n) throw new Error(`picture ${p.width}×${p.height}×${p.channels} needs ${n} values, got ${p.data.length}`);
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(Math.min(1, Math.max(0, p.data[i])) * 255);
  return out;
}

/** A picture as PNG bytes, enlarged `scale` times with nearest-neighbour (pixels stay sharp squares). */
export async function pictureToPng(p: Picture, scale = 1): Promise<Buffer> {
  let img = sharp(toBytes(p), { raw: { width: p.width, height: p.height, channels: p.channels } });
  if (scale !== 1) img = img.resize(Math.round(p.width * scale), Math.round(p.height * scale), { kernel: "nearest" });
  return img.png({ compressionLevel: 9, adaptiveFiltering: false }).toBuffer();
}

/** Layout of {@link imageGrid}. */
export interface GridOptions {
  /** Cells per row (default: all in one row, at most 8). */
  columns?: number;
  /** Enlargement of each picture (default 2: a 48×48 face is drawn 96×96). */
  scale?: number;
  /** Minimum cell width in pixels, to leave room for captions (default 104). */
  minCellWidth?: number;
  /** A title line above the grid. */
  title?: string;
}

const CAPTION_LINE = 14;
const GRID_GAP = 8;

/** The size in pixels of the PNG {@link imageGrid} makes for these cells and options. */
export function gridSize(cells: GridCell[], opts: GridOptions = {}): { width: number; height: number; columns: number; cellWidth: number; cellHeight: number } {
  if (!cells.length) throw new Error("imageGrid: no cells");
  const scale = opts.scale ?? 2;
  const columns = Math.max(1, Math.min(opts.columns ?? Math.min(cells.length, 8), cells.length));
  const pw = Math.max(...cells.map((c) => Math.round(c.picture.width * scale)));
  const ph = Math.max(...cells.map((c) => Math.round(c.picture.height * scale)));
  const lines = Math.max(0, ...cells.map((c) => c.caption?.length ?? 0));
  const cellWidth = Math.max(pw, opts.minCellWidth ?? 104);
  const cellHeight = ph + lines * CAPTION_LINE + (lines ? 4 : 0);
  const rows = Math.ceil(cells.length / columns);
  const top = opts.title ? 22 : 0;
  return {
    width: columns * cellWidth + (columns + 1) * GRID_GAP,
    height: top + rows * cellHeight + (rows + 1) * GRID_GAP,
    columns,
    cellWidth,
    cellHeight,
  };
}

/**
 * A grid of pictures with captions as one PNG (white background, DejaVu Sans captions): the faces of notebooks
 * 01, 02 and 05. Each picture is enlarged with nearest-neighbour, then placed into an SVG with its caption lines,
 * which sharp/librsvg rasterises.
 */
export async function imageGrid(cells: GridCell[], opts: GridOptions = {}): Promise<Buffer> {
  const scale = opts.scale ?? 2;
  const g = gridSize(cells, opts);
  const top = opts.title ? 22 : 0;
  const parts: string[] = [];
  if (opts.title) parts.push(`<text x="${GRID_GAP}" y="16" font-family="${FONT}" font-size="13" font-weight="bold">${escapeHtml(opts.title)}</text>`);
  for (let i = 0; i < cells.length; i++) {
    const c = cells[i];
    const col = i % g.columns;
    const row = Math.floor(i / g.columns);
    const x0 = GRID_GAP + col * (g.cellWidth + GRID_GAP);
    const y0 = top + GRID_GAP + row * (g.cellHeight + GRID_GAP);
    const w = Math.round(c.picture.width * scale);
    const h = Math.round(c.picture.height * scale);
    const png = await pictureToPng(c.picture, scale);
    const href = `data:image/png;base64,${png.toString("base64")}`;
    const xi = x0 + Math.floor((g.cellWidth - w) / 2);
    parts.push(`<image x="${xi}" y="${y0}" width="${w}" height="${h}" href="${href}" xlink:href="${href}"/>`);
    (c.caption ?? []).forEach((line, k) => {
      parts.push(
        `<text x="${x0 + g.cellWidth / 2}" y="${y0 + h + 4 + (k + 1) * CAPTION_LINE - 3}" text-anchor="middle" font-family="${FONT}" font-size="11">${escapeHtml(line)}</text>`,
      );
    });
  }
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${g.width}" height="${g.height}" viewBox="0 0 ${g.width} ${g.height}">` +
    `<rect width="100%" height="100%" fill="white"/>${parts.join("")}</svg>`;
  return sharp(Buffer.from(svg), { density: 72 }).flatten({ background: "#ffffff" }).png({ compressionLevel: 9, adaptiveFiltering: false }).toBuffer();
}

/**
 * A synthetic, asymmetric 48×48 RGB test picture (a grey gradient, an "F" and a dot), used instead of a face when
 * CK+48 is absent: rotations, shifts, zooms and flips are as easy to see on it.
 */
export function demoPattern(size: number = PAPER.imageSize): Float32Array {
  const out = new Float32Array(size * size * 3);
  const u = size / 48;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let v = 0.25 + (0.35 * (x + y)) / (2 * size);
      const inF = (x >= 14 * u && x < 19 * u && y >= 8 * u && y < 40 * u) || (x >= 14 * u && x < 34 * u && y >= 8 * u && y < 13 * u) || (x >= 14 * u && x < 28 * u && y >= 21 * u && y < 26 * u);
      if (inF) v = 0.95;
      if ((x - 36 * u) ** 2 + (y - 36 * u) ** 2 < (4 * u) ** 2) v = 0.05;
      out.fill(v, (y * size + x) * 3, (y * size + x) * 3 + 3);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// 01-data: classes, file names, decoding, augmentation
// ---------------------------------------------------------------------------------------------------------------

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

/** Bar chart of images per class, with the count on each bar. */
export function specClassCounts(counts: number[], title = "CK+48: images per class"): TopLevelSpec {
  if (counts.length !== NUM_CLASSES) throw new Error(`expected ${NUM_CLASSES} counts, got ${counts.length}`);
  const total = counts.reduce((a, b) => a + b, 0);
  const values = CLASSES.map((c, i) => ({ class: c, count: counts[i], share: `${((100 * counts[i]) / total).toFixed(1)}%` }));
  const x = { field: "class", type: "nominal" as const, sort: [...CLASSES], title: null, axis: { labelAngle: 0 } };
  return {
    title: { text: title, subtitle: `${total} images; the largest class is ${(Math.max(...counts) / Math.min(...counts)).toFixed(1)}× the smallest` },
    width: 460,
    height: 240,
    data: { values },
    layer: [
      { mark: { type: "bar", color: "#4c78a8" }, encoding: { x, y: { field: "count", type: "quantitative", title: "images" } } },
      {
        mark: { type: "text", dy: -6, fontSize: 11 },
        encoding: { x, y: { field: "count", type: "quantitative" }, text: { field: "count", type: "quantitative" } },
      },
    ],
  };
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
    example: { file, subject: subjectOf(file), sequence: sequenceOf(file), frame: base.replace(/^S\d+_\d+_(\d+)\..*$/, "$1") },
  };
}

/** How much a split lets near-identical frames of one sequence (or one person) sit on both sides. */
export interface Leakage {
  mode: SplitMode;
  test: number;
  /** Test images with another frame of the same sequence in the training part. */
  testWithSequenceInTrain: number;
  /** Test images whose subject also appears in the training part. */
  testWithSubjectInTrain: number;
}

/** Measure sequence and subject overlap between the training and test parts of the paper's 80/20 split. */
export function splitLeakage(files: string[], seed = 0, mode: SplitMode = "random", fraction = PAPER.testFraction): Leakage {
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

/** `perClass` files of every class, chosen with a seeded shuffle (for the sample grid). */
export function sampleFiles(files: string[], perClass = 6, seed = 0): string[] {
  const rng = new Rng(seed);
  return CLASSES.flatMap((c) => rng.shuffle(files.filter((f) => f.startsWith(`${c}/`)).sort()).slice(0, perClass));
}

/** Decode files of a CK+48 folder as grid cells, captioned with the class and file name. */
export async function facesAsCells(dataDir: string, files: string[], caption: (f: string) => string[] = (f) => [f.split("/")[0], path.basename(f, ".png")]): Promise<GridCell[]> {
  const out: GridCell[] = [];
  for (const f of files) out.push({ picture: rgbPicture(await decodeImage(path.join(dataDir, f))), caption: caption(f) });
  return out;
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
    stored: { width: meta.width ?? 0, height: meta.height ?? 0, channels: meta.channels ?? 0, format: meta.format ?? "?", bitDepth: String(meta.depth ?? "?") },
    decodedShape: [size, size, 3],
    channelsEqual: equal,
    min,
    max,
    bytes,
    scaled,
  };
}

/** Caption lines for a transform's parameters, one per part that is not the identity. */
export function paramsCaption(p: TransformParams): string[] {
  const n = (v: number, d = 1) => v.toFixed(d).replace("-", "−");
  const lines: string[] = [];
  if (p.theta) lines.push(`rotate ${n(p.theta)}°`);
  if (p.tx || p.ty) lines.push(`shift ${n(p.tx)}, ${n(p.ty)} px`);
  if (p.shear) lines.push(`shear ${n(p.shear, 2)}°`);
  if (p.zx !== 1 || p.zy !== 1) lines.push(`zoom ${n(p.zx, 2)} × ${n(p.zy, 2)}`);
  if (p.flip) lines.push("flipped");
  return lines.length ? lines : ["identity"];
}

/** The gallery of notebook 01: each of the paper's transforms alone at its extreme, then random draws. */
export function galleryParams(cfg = PAPER.augment, size = PAPER.imageSize, randomDraws = 8, seed = 0): { title: string; params: TransformParams }[] {
  const I = IDENTITY;
  const hs = cfg.heightShiftRange * size;
  const ws = cfg.widthShiftRange * size;
  const out: { title: string; params: TransformParams }[] = [
    { title: "original", params: I },
    { title: `rotation +${cfg.rotationRange}°`, params: { ...I, theta: cfg.rotationRange } },
    { title: `rotation −${cfg.rotationRange}°`, params: { ...I, theta: -cfg.rotationRange } },
    { title: `tx +${hs.toFixed(1)} px`, params: { ...I, tx: hs } },
    { title: `ty +${ws.toFixed(1)} px`, params: { ...I, ty: ws } },
    { title: `shear ${cfg.shearRange}° (paper)`, params: { ...I, shear: cfg.shearRange } },
    { title: "shear 20° (to see it)", params: { ...I, shear: 20 } },
    { title: `zoom ${cfg.zoomRange[0]}`, params: { ...I, zx: cfg.zoomRange[0], zy: cfg.zoomRange[0] } },
    { title: `zoom ${cfg.zoomRange[1]}`, params: { ...I, zx: cfg.zoomRange[1], zy: cfg.zoomRange[1] } },
    { title: "horizontal flip", params: { ...I, flip: cfg.horizontalFlip } },
  ];
  const rng = new Rng(seed);
  for (let i = 0; i < randomDraws; i++) out.push({ title: `random draw ${i + 1}`, params: drawParams(rng, cfg, size, size) });
  return out;
}

/** Apply each gallery transform (lib/augment applyTransforms) to one RGB image; cells captioned with the parameters. */
export function augmentationGallery(image: Float32Array, entries = galleryParams(), size = PAPER.imageSize): GridCell[] {
  const out = tf.tidy(() => {
    const x = tf.tensor4d(image, [1, size, size, 3]);
    const batch = tf.concat(entries.map(() => x), 0) as Tensor4D;
    return applyTransforms(batch, entries.map((e) => e.params));
  });
  const data = out.dataSync() as Float32Array;
  out.dispose();
  const per = size * size * 3;
  return entries.map((e, i) => ({
    picture: rgbPicture(data.slice(i * per, (i + 1) * per), size),
    caption: [e.title, ...(e.title.startsWith("random") ? paramsCaption(e.params) : [])],
  }));
}

// ---------------------------------------------------------------------------------------------------------------
// 02-model: shapes layer by layer, parameters by hand, feature maps
// ---------------------------------------------------------------------------------------------------------------

/** One row of a shape trace: a layer and the shape of the tensor it produced from a real image. */
export interface ShapeStep {
  layer: string;
  kind: string;
  input: number[];
  output: number[];
  /** Values in the output (min, max), to show ReLU at work. */
  min: number;
  max: number;
}

/** Push a batch through the model's layers one at a time (inference mode) and record every tensor's shape. */
export function traceShapes(model: LayersModel, x: Tensor4D): ShapeStep[] {
  const steps: ShapeStep[] = [];
  let cur: Tensor = x.clone();
  for (const layer of model.layers) {
    const next = tf.tidy(() => layer.apply(cur, { training: false }) as Tensor);
    const [min, max] = tf.tidy(() => [next.min().dataSync()[0], next.max().dataSync()[0]]);
    steps.push({ layer: layer.name, kind: layer.getClassName(), input: cur.shape.slice(), output: next.shape.slice(), min, max });
    cur.dispose();
    cur = next;
  }
  cur.dispose();
  return steps;
}

/** One row of the parameter count by hand. */
export interface ParamRow {
  layer: string;
  output: string;
  formula: string;
  params: number;
}

/**
 * Fig 3's 86,911 parameters derived by hand from the paper's architecture (Section 2.2): a valid k×k convolution of
 * c_in channels to f filters has (k·k·c_in)·f weights + f biases and shrinks the side to s − k + 1; 2×2 max pooling
 * halves it (rounding down) and has no parameters; a dense layer of n_in → n_out has n_in·n_out + n_out.
 */
export function parametersByHand(config: Pick<PaperConfig, "imageSize" | "channels"> = PAPER): ParamRow[] {
  const rows: ParamRow[] = [];
  let s = config.imageSize;
  let c = config.channels;
  const conv = (name: string, f: number, k: number) => {
    const p = k * k * c * f + f;
    rows.push({ layer: name, output: `${s - k + 1}×${s - k + 1}×${f}`, formula: `(${k}·${k}·${c})·${f} + ${f}`, params: p });
    s = s - k + 1;
    c = f;
  };
  const pool = (name: string) => {
    rows.push({ layer: name, output: `${Math.floor(s / 2)}×${Math.floor(s / 2)}×${c}`, formula: `⌊${s}/2⌋ = ${Math.floor(s / 2)}, no weights`, params: 0 });
    s = Math.floor(s / 2);
  };
  conv("conv1", 6, 5);
  pool("pool1");
  conv("conv2", 16, 5);
  pool("pool2");
  conv("conv3", 64, 3);
  pool("pool3");
  const flat = s * s * c;
  rows.push({ layer: "flatten", output: `${flat}`, formula: `${s}·${s}·${c} = ${flat}, no weights`, params: 0 });
  rows.push({ layer: "dense1", output: "128", formula: `${flat}·128 + 128`, params: flat * 128 + 128 });
  rows.push({ layer: "dropout", output: "128", formula: "no weights", params: 0 });
  rows.push({ layer: "output", output: `${NUM_CLASSES}`, formula: `128·${NUM_CLASSES} + ${NUM_CLASSES}`, params: 128 * NUM_CLASSES + NUM_CLASSES });
  return rows;
}

/** The activations of one layer for one image: side × side × channels, channel last. */
export interface FeatureMap {
  layer: string;
  shape: [number, number, number];
  data: Float32Array;
}

/** The outputs of the named layers (default: the three convolutions) for one image [1, h, w, 3]. */
export function featureMaps(model: LayersModel, x: Tensor4D, layers: string[] = ["conv1", "conv2", "conv3"]): FeatureMap[] {
  const probe = tf.model({ inputs: model.inputs, outputs: layers.map((n) => model.getLayer(n).output as import("@tensorflow/tfjs").SymbolicTensor) });
  const outs = tf.tidy(() => {
    const y = probe.predict(x);
    return (Array.isArray(y) ? y : [y]).map((t) => ({ shape: t.shape.slice(1) as [number, number, number], data: t.dataSync() as Float32Array }));
  });
  return outs.map((o, i) => ({ layer: layers[i], shape: o.shape, data: o.data }));
}

/** The channels of a feature map as grey grid cells, each stretched to its own min–max (a flat channel is black). */
export function featureMapCells(map: FeatureMap, maxChannels = 16): GridCell[] {
  const [h, w, c] = map.shape;
  const cells: GridCell[] = [];
  for (let k = 0; k < Math.min(c, maxChannels); k++) {
    const v = new Float32Array(h * w);
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < h * w; i++) {
      v[i] = map.data[i * c + k];
      lo = Math.min(lo, v[i]);
      hi = Math.max(hi, v[i]);
    }
    for (let i = 0; i < v.length; i++) v[i] = hi > lo ? (v[i] - lo) / (hi - lo) : 0;
    cells.push({ picture: { data: v, width: w, height: h, channels: 1 }, caption: [`#${k + 1} max ${hi.toFixed(2)}`] });
  }
  return cells;
}

// ---------------------------------------------------------------------------------------------------------------
// 03-optim: Eq. 1–2 worked, Eq. 3–4 step by step, the tfjs side, the race chart
// ---------------------------------------------------------------------------------------------------------------

/** One sample of the Eq. 1 worked example. */
export interface LossRow {
  sample: number;
  trueClass: string;
  pTrue: number;
  /** −log p_true: Eq. 1 for a one-hot y. */
  loss: number;
}

/** Eq. 1 per sample and Eq. 2 (their mean) for labelled softmax rows, with tfjs' own numbers for the same batch. */
export function lossWorkedExample(labels: number[], probs: number[][]): { rows: LossRow[]; mean: number; tfjsPerSample: number[]; tfjsMean: number } {
  const y = labels.map((l) => oneHot(l, probs[0].length));
  const rows = labels.map((l, n) => ({ sample: n + 1, trueClass: CLASSES[l] ?? String(l), pTrue: probs[n][l], loss: sampleCrossEntropy(y[n], probs[n]) }));
  const tfjsPerSample = tf.tidy(() => tf.metrics.categoricalCrossentropy(tf.tensor2d(y), tf.tensor2d(probs)).arraySync() as number[]);
  return { rows, mean: crossEntropy(y, probs), tfjsPerSample, tfjsMean: tfjsPerSample.reduce((a, b) => a + b, 0) / tfjsPerSample.length };
}

/** The example batch of notebook 03: three faces' softmax outputs (confident right, unsure, confidently wrong). */
export const EXAMPLE_BATCH = {
  labels: [4, 5, 5],
  probs: [
    [0.01, 0.01, 0.02, 0.01, 0.92, 0.02, 0.01],
    [0.3, 0.05, 0.05, 0.05, 0.05, 0.45, 0.05],
    [0.7, 0.02, 0.05, 0.03, 0.02, 0.1, 0.08],
  ],
};

/** One step of Eq. 3–4 for one parameter, every intermediate written out. */
export interface RmspropRow {
  t: number;
  g: number;
  /** E[g²]_t (Eq. 3). */
  meanSquare: number;
  /** sqrt(E[g²]_t + ε). */
  denom: number;
  /** η g / denom. */
  step: number;
  /** θ_{t+1} (Eq. 4). */
  theta: number;
}

/** Eq. 3–4 on one parameter for a given gradient sequence (lib/optim rmspropStep), every quantity of every step. */
export function rmspropByHand(theta0: number, grads: number[], settings: RmspropSettings): RmspropRow[] {
  let theta = Float64Array.of(theta0);
  let state = rmspropInit(1);
  const rows: RmspropRow[] = [];
  grads.forEach((g, i) => {
    const r = rmspropStep(theta, [g], state, settings);
    const ms = r.state.meanSquare[0];
    const denom = settings.epsilonPlacement === "outside" ? Math.sqrt(ms) + settings.epsilon : Math.sqrt(ms + settings.epsilon);
    rows.push({ t: i + 1, g, meanSquare: ms, denom, step: (settings.lr * g) / denom, theta: r.theta[0] });
    theta = r.theta;
    state = r.state;
  });
  return rows;
}

/** The same gradient sequence through tfjs' `tf.train.rmsprop` (what training uses): θ after each step. */
export function rmspropTfjs(theta0: number, grads: number[], settings: RmspropSettings): number[] {
  const opt = tf.train.rmsprop(settings.lr, settings.rho, 0, settings.epsilon);
  const init = tf.tensor1d([theta0]);
  const v = tf.variable(init, true, `notebook_rmsprop_${Date.now()}_${Math.floor(Math.random() * 1e9)}`);
  init.dispose();
  const out: number[] = [];
  try {
    for (const g of grads) {
      tf.tidy(() => opt.applyGradients({ [v.name]: tf.tensor1d([g]) }));
      out.push(v.dataSync()[0]);
    }
  } finally {
    v.dispose();
    opt.dispose();
  }
  return out;
}

/** Chart of an optimiser race (lib/optim raceOptimizers): both paths over the surface, coloured by log10 f. */
export function specOptimizerRace(race: OptimizerRace, surface: Surface, xRange: [number, number] = [-4.5, 1], yRange: [number, number] = [-2, 2]): TopLevelSpec {
  const n = 31;
  const dx = (xRange[1] - xRange[0]) / (n - 1);
  const dy = (yRange[1] - yRange[0]) / (n - 1);
  const grid = sampleSurface(surface, xRange, yRange, n).map((p) => ({
    x0: Math.max(xRange[0], p.x - dx / 2),
    x1: Math.min(xRange[1], p.x + dx / 2),
    y0: Math.max(yRange[0], p.y - dy / 2),
    y1: Math.min(yRange[1], p.y + dy / 2),
    logf: Math.log10(p.f + 1e-3),
  }));
  const sgd = `SGD (η = ${race.sgd.lr})`;
  const rms = `RMSprop (η = ${race.rmsprop.lr})`;
  const path = [...race.sgd.path.map((p) => ({ ...p, optimizer: sgd })), ...race.rmsprop.path.map((p) => ({ ...p, optimizer: rms }))].filter(
    (p) => p.x >= xRange[0] && p.x <= xRange[1] && p.y >= yRange[0] && p.y <= yRange[1],
  );
  const xs = { domain: xRange, nice: false };
  const ys = { domain: yRange, nice: false };
  const steps = race.sgd.path.length - 1;
  return {
    title: { text: `SGD vs RMSprop on ${race.surface}`, subtitle: `${steps} steps from (${race.sgd.path[0].x}, ${race.sgd.path[0].y}); background: log10 f (darker = higher); cross: the minimum` },
    width: 520,
    height: 300,
    layer: [
      {
        data: { values: grid },
        mark: { type: "rect" },
        encoding: {
          x: { field: "x0", type: "quantitative", scale: xs, title: "x" },
          x2: { field: "x1" },
          y: { field: "y0", type: "quantitative", scale: ys, title: "y" },
          y2: { field: "y1" },
          color: { field: "logf", type: "quantitative", title: "log10 f", scale: { scheme: "greys" } },
        },
      },
      {
        data: { values: path },
        mark: { type: "line", point: { size: 18, filled: true }, strokeWidth: 2 },
        encoding: {
          x: { field: "x", type: "quantitative", scale: xs },
          y: { field: "y", type: "quantitative", scale: ys },
          order: { field: "step", type: "quantitative" },
          color: { field: "optimizer", type: "nominal", title: null, scale: { domain: [sgd, rms], range: ["#e45756", "#4c78a8"] }, legend: { orient: "bottom" } },
        },
      },
      {
        data: { values: [{ x: race.minimum[0], y: race.minimum[1] }] },
        mark: { type: "point", shape: "cross", size: 200, color: "#f58518", filled: true },
        encoding: { x: { field: "x", type: "quantitative", scale: xs }, y: { field: "y", type: "quantitative", scale: ys } },
      },
    ],
  };
}

/** f along both paths of a race, per step, on a log scale. */
export function specRaceLoss(race: OptimizerRace): TopLevelSpec {
  const values = [
    ...race.sgd.path.map((p) => ({ step: p.step, f: Math.max(p.f, 1e-12), optimizer: "SGD" })),
    ...race.rmsprop.path.map((p) => ({ step: p.step, f: Math.max(p.f, 1e-12), optimizer: "RMSprop" })),
  ];
  return {
    title: { text: "Value of f per step" },
    width: 520,
    height: 200,
    data: { values },
    mark: { type: "line", strokeWidth: 2 },
    encoding: {
      x: { field: "step", type: "quantitative" },
      y: { field: "f", type: "quantitative", scale: { type: "log" }, title: "f (log scale)" },
      color: { field: "optimizer", type: "nominal", title: null, scale: { domain: ["SGD", "RMSprop"], range: ["#e45756", "#4c78a8"] } },
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// 04-train: the protocol's settings, the split, training or loading a run
// ---------------------------------------------------------------------------------------------------------------

/** The hyper-parameters of lib/config PAPER as table rows (name, value). */
export function configRows(config: PaperConfig = PAPER): [string, string][] {
  const a = config.augment;
  return [
    ["input", `${config.imageSize}×${config.imageSize}×${config.channels}`],
    ["test fraction", String(config.testFraction)],
    ["cross-validation folds", String(config.folds)],
    ["batch size", String(config.batchSize)],
    ["max epochs", String(config.maxEpochs)],
    ["early-stopping patience (val_loss)", String(config.patience)],
    ["RMSprop η, β, ε", `${config.learningRate}, ${config.rho}, ${config.epsilon}`],
    ["dropout after dense-128", String(config.dropout)],
    ["augmentation", `rotation ±${a.rotationRange}°, shift ±${a.widthShiftRange}/${a.heightShiftRange}, shear ${a.shearRange}°, zoom ${a.zoomRange.join("–")}, flip ${a.horizontalFlip}`],
  ];
}

/** Sizes of the paper's split and folds for a list of files (lib/split), as the protocol makes them for `seed`. */
export function splitSizes(files: string[], seed = 0, config: PaperConfig = PAPER, mode: SplitMode = "random"): { train: number; test: number; folds: { train: number; val: number }[] } {
  const split = trainTestSplit(files, seed, config.testFraction, mode);
  const folds = kFold(split.train, config.folds, seed + 1, mode);
  return { train: split.train.length, test: split.test.length, folds: folds.map((f) => ({ train: f.train.length, val: f.val.length })) };
}

/** What notebook 04 will do. */
export type TrainingPlan =
  | { action: "load"; run: FoundRun; reason: string }
  | { action: "train"; quick: boolean; dataDir: string; out: string; reason: string }
  | { action: "none"; reason: string };

/**
 * Decide what notebook 04 does:
 * - `retrain` (its `RETRAIN` variable): train live, quick under FER_QUICK, into out/notebooks/ (needs the data);
 * - otherwise load the run of record;
 * - without one: under FER_QUICK with the data, make a quick run (so CI exercises training); otherwise load a run
 *   an earlier notebook session made, or explain how to get one.
 */
export function trainingPlan(opts: { retrain: boolean; quick: boolean; data: DataStatus; runs?: { file: string; kind: FoundRun["kind"] }[] }): TrainingPlan {
  const runs = opts.runs ?? runCandidates();
  const train = (why: string): TrainingPlan =>
    opts.data.present
      ? { action: "train", quick: opts.quick, dataDir: opts.data.dir, out: opts.quick ? QUICK_RUN_DIR : LIVE_RUN_DIR, reason: why }
      : { action: "none", reason: `${why}, but CK+48 is not available (${opts.data.dir}); nothing to train on.` };
  if (opts.retrain) return train(`RETRAIN = true: training ${opts.quick ? "the quick setting (FER_QUICK=1)" : "the full protocol (about 4 minutes on 2 cores)"}`);
  const record = findRun(runs.filter((r) => r.kind === "record"));
  if (record) return { action: "load", run: record, reason: "Loading the committed run of record (set RETRAIN = true to train live)." };
  if (opts.quick && opts.data.present) return train("No run of record yet and FER_QUICK=1: making a quick run");
  const other = findRun(runs.filter((r) => r.kind !== "record"));
  if (other) return { action: "load", run: other, reason: "No run of record yet: loading the run an earlier session of this notebook made." };
  return { action: "none", reason: opts.data.present ? NO_RUN_MESSAGE : `${NO_RUN_MESSAGE} CK+48 is not available either (${opts.data.dir}), so nothing can be trained here.` };
}

/** JSON for run records, as `npm run reproduce` writes it (lib/record.ts). */
export const runJson = runRecordJson;

/**
 * Carry out a plan: load, or run the protocol (lib/protocol runProtocol; quick = 10 images per class, 2 folds,
 * 2 epochs, in this thread) with progress lines to `log`, then save `run.json` and `model/` into the plan's folder.
 */
export async function carryOut(plan: TrainingPlan, log: (line: string) => void = () => undefined, opts: { verify?: boolean } = {}): Promise<FoundRun | undefined> {
  if (plan.action === "load") return plan.run;
  if (plan.action === "none") return undefined;
  const config: PaperConfig = plan.quick ? { ...PAPER, folds: 2, maxEpochs: 2 } : PAPER;
  const { record, model } = await runProtocol({ dataDir: plan.dataDir, seed: 0, split: "random", config, quick: plan.quick, workers: plan.quick ? 0 : undefined, verify: opts.verify, log });
  let file: string;
  try {
    file = await saveRun(plan.out, record, model);
  } finally {
    model.dispose();
  }
  const kind = plan.quick ? "quick" : "live";
  const saved = loadRun(file);
  return { file, record: saved, kind, note: describeRun(saved, file, kind) };
}

/** One row per fold: epochs run, best epoch, best validation loss, test accuracy of its model. */
export function foldRows(run: RunRecord): (string | number)[][] {
  return run.folds.map((f) => [
    `${f.index + 1}${f.index === run.bestFold ? " (best)" : ""}`,
    f.history.length,
    f.bestEpoch,
    fmt(f.bestValLoss),
    fmt(f.history.find((h) => h.epoch === f.bestEpoch)?.valAcc),
    fmt(f.test.accuracy),
    fmt(f.history.reduce((a, h) => a + h.seconds, 0), 0),
  ]);
}

/** Headers of {@link foldRows}. */
export const FOLD_HEADERS = ["fold", "epochs run", "best epoch", "best val loss", "val acc there", "test accuracy", "seconds"];

// ---------------------------------------------------------------------------------------------------------------
// 05-evaluate and 00-overview: the paper's claims beside ours, misclassified faces
// ---------------------------------------------------------------------------------------------------------------

/** The paper's claims (Table 1, Fig 3, Fig 7) beside ours: [claim, paper, ours]. `run` undefined → ours "—". */
export function claimRows(run: RunRecord | undefined, params?: number): [string, string, string][] {
  const P = PAPER_RESULTS;
  const cells = run ? confusionCells(run) : [];
  const cell = (t: string, p: string) => cells.find((c) => c.true === t && c.predicted === p);
  const n = run ? run.split.test.length : 0;
  const correct = run ? run.test.confusion.reduce((a, r, i) => a + r[i], 0) : 0;
  const ours = (v: string) => (run ? v : "—");
  const rows: [string, string, string][] = [
    ["test loss (Table 1)", fmt(P.testLoss), ours(fmt(run?.test.loss))],
    ["test accuracy (Table 1)", `${fmt(P.testAccuracy)} (${P.testCorrect}/${P.testImages})`, ours(`${fmt(run?.test.accuracy)} (${correct}/${n})`)],
  ];
  for (const [c, v] of Object.entries(P.perClassAccuracy)) rows.push([`${c} correct (Fig 7)`, pct(v), ours(pct(cell(c, c)?.fraction))]);
  for (const c of P.confusions) rows.push([`${c.true} predicted as ${c.predicted} (Fig 7)`, pct(c.fraction), ours(pct(cell(c.true, c.predicted)?.fraction))]);
  if (params !== undefined) rows.push(["trainable parameters (Fig 3)", P.params.toLocaleString("en-US"), params.toLocaleString("en-US")]);
  return rows;
}

/** Per-class numbers of a run (Table 1 / Fig 7 / Fig 8): support, accuracy (= recall), precision, F1, AUC. */
export function perClassRows(run: RunRecord): (string | number)[][] {
  return run.test.perClass.map((c, i) => [c.class, c.support, fmt(c.accuracy, 3), fmt(c.precision, 3), fmt(c.f1, 3), fmt(run.test.roc[i]?.auc, 3)]);
}

/** A misclassified test image: the true and predicted class and the 7 probabilities. */
export interface Miss {
  file: string;
  trueClass: string;
  predicted: string;
  pPredicted: number;
  pTrue: number;
  probs: number[];
}

/** The test images the best model got wrong, most confident mistakes first. */
export function misclassified(run: RunRecord): Miss[] {
  return run.test.predictions
    .map((p) => ({ p, k: argmax(p.probs) }))
    .filter(({ p, k }) => k !== p.label)
    .map(({ p, k }) => ({ file: p.file, trueClass: run.classes[p.label], predicted: run.classes[k], pPredicted: p.probs[k], pTrue: p.probs[p.label], probs: p.probs.slice() }))
    .sort((a, b) => b.pPredicted - a.pPredicted || a.file.localeCompare(b.file));
}

/** Table rows for misclassified images: file, true, predicted, then the 7 probabilities (the largest in bold). */
export function missRows(misses: Miss[]): string[][] {
  return misses.map((m) => {
    const k = argmax(m.probs);
    return [path.basename(m.file), m.trueClass, m.predicted, ...m.probs.map((p, i) => (i === k ? `**${p.toFixed(2)}**` : p.toFixed(2)))];
  });
}

/** Grid cells of misclassified faces (needs the images): "true → predicted", p(predicted), p(true). */
export async function missCells(misses: Miss[], dataDir: string): Promise<GridCell[]> {
  const out: GridCell[] = [];
  for (const m of misses) {
    out.push({
      picture: rgbPicture(await decodeImage(path.join(dataDir, m.file))),
      caption: [`${m.trueClass} → ${m.predicted}`, `p=${m.pPredicted.toFixed(2)}, true ${m.pTrue.toFixed(2)}`],
    });
  }
  return out;
}

/** The notebooks and what each covers (the map in 00-overview). */
export const NOTEBOOK_MAP: { file: string; section: string; covers: string; modules: string }[] = [
  { file: "00-overview.ipynb", section: "—", covers: "the paper in brief, results paper vs ours, this map", modules: "lib/figures" },
  { file: "01-data.ipynb", section: "2.1", covers: "classes and counts, faces, file names, RGB, scaling, one-hot, augmentation", modules: "lib/data.ts, lib/augment.ts" },
  { file: "02-model.ipynb", section: "2.2", covers: "the CNN, shapes layer by layer, 86,911 parameters by hand, Fig 3, feature maps", modules: "lib/model.ts" },
  { file: "03-optim.ipynb", section: "2.3", covers: "cross-entropy (Eq. 1–2), RMSprop (Eq. 3–4) by hand and in tfjs, RMSprop vs SGD", modules: "lib/optim.ts" },
  { file: "04-train.ipynb", section: "3", covers: "the protocol, split and folds, training (or the run of record), Fig 5, Fig 6", modules: "lib/split.ts, lib/train.ts, lib/protocol.ts" },
  { file: "05-evaluate.ipynb", section: "4", covers: "Table 1, Fig 7, Fig 8, per-class numbers, the paper's claims, misclassified faces", modules: "lib/evaluate.ts" },
];

/** {@link NOTEBOOK_MAP} as a Markdown table with links. */
export function notebookMapMarkdown(): string {
  return markdownTable(
    ["notebook", "paper section", "what it shows", "lib"],
    NOTEBOOK_MAP.map((n) => [`[${n.file}](${n.file})`, n.section, n.covers, n.modules]),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Ready-made Markdown for the notebooks' tables (a notebook cell only calls and displays)
// ---------------------------------------------------------------------------------------------------------------

/** The paths of the manifest rows ("class/file.png"). */
export function manifestFiles(manifest: ManifestEntry[]): string[] {
  return manifest.map((m) => m.path);
}

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
  const perSeq = Object.entries(s.imagesPerSequence).map(([n, k]) => `${k} sequences × ${n} image${n === "1" ? "" : "s"}`).join(", ");
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
    rows.map((r) => [r.mode, r.test, `${r.testWithSequenceInTrain} (${pct(r.testWithSequenceInTrain / r.test)})`, `${r.testWithSubjectInTrain} (${pct(r.testWithSubjectInTrain / r.test)})`]),
    ["l", "r", "r", "r"],
  );
}

/** The decoding report (notebook 01) as Markdown: stored form, network input, a 4×4 corner in bytes and in [0,1]. */
export function decodingMarkdown(r: DecodingReport): string {
  const grid = (m: number[][], d: number) => m.map((row) => row.map((v) => (d ? v.toFixed(d) : String(v))).join(" ")).join(" / ");
  return [
    `\`${path.basename(path.dirname(r.file))}/${path.basename(r.file)}\`:`,
    "",
    markdownTable(
      ["", "value"],
      [
        ["stored", `${r.stored.format}, ${r.stored.width}×${r.stored.height}, ${r.stored.channels} channel(s), ${r.stored.bitDepth}`],
        ["network input (lib/data decodeImage)", `${r.decodedShape.join("×")} floats in [${r.min.toFixed(3)}, ${r.max.toFixed(3)}]`],
        ["R = G = B everywhere", r.channelsEqual ? "yes: the grey value is copied to 3 channels" : "no"],
        ["top-left 4×4, stored bytes", grid(r.bytes, 0)],
        ["the same ÷ 255", grid(r.scaled, 3)],
      ],
    ),
  ].join("\n");
}

/** One-hot labels of the 7 classes, made by lib/data labelsTensor (the function training uses). */
export function oneHotMarkdown(): string {
  const ds = { files: [], labels: CLASSES.map((_, i) => i), subjects: [], x: new Float32Array(0), size: PAPER.imageSize };
  const t = labelsTensor(ds, ds.labels);
  const rows = t.arraySync() as number[][];
  t.dispose();
  return markdownTable(["class", "index", "one-hot y"], CLASSES.map((c, i) => [c, i, `[${rows[i].join(", ")}]`]), ["l", "r", "l"]);
}

/** The face notebooks 01 and 02 use: the first "happy" image of the data set, or the synthetic pattern without data. */
export async function galleryFace(data: DataStatus): Promise<{ image: Float32Array; label: string }> {
  if (!data.present) return { image: demoPattern(), label: "synthetic pattern (CK+48 absent)" };
  const file = listImages(data.dir).find((f) => f.startsWith("happy/"));
  if (!file) throw new Error(`no happy/ image in ${data.dir}`);
  return { image: await decodeImage(path.join(data.dir, file)), label: file };
}

/** The layer table of lib/model summarize() as Markdown. */
export function layersMarkdown(layers: import("./model").LayerSummary[]): string {
  const total = layers.reduce((a, l) => a + l.params, 0);
  return markdownTable(
    ["layer", "kind", "detail", "output", "parameters"],
    [...layers.map((l) => [l.name, l.kind, l.detail, l.outputShape.join("×"), l.params.toLocaleString("en-US")]), ["**total**", "", "", "", `**${total.toLocaleString("en-US")}**`]],
    ["l", "l", "l", "l", "r"],
  );
}

/** A shape trace as Markdown. */
export function traceMarkdown(steps: ShapeStep[]): string {
  return markdownTable(
    ["layer", "kind", "input tensor", "output tensor", "output min", "output max"],
    steps.map((s) => [s.layer, s.kind, `[${s.input.join(", ")}]`, `[${s.output.join(", ")}]`, s.min.toFixed(3), s.max.toFixed(3)]),
    ["l", "l", "l", "l", "r", "r"],
  );
}

/** The parameter count by hand as Markdown, with the check against tfjs' model.countParams(). */
export function paramsMarkdown(rows: ParamRow[], countParams: number): string {
  const total = rows.reduce((a, r) => a + r.params, 0);
  const sum = rows.filter((r) => r.params).map((r) => r.params.toLocaleString("en-US")).join(" + ");
  return [
    markdownTable(["layer", "output", "by hand", "parameters"], rows.map((r) => [r.layer, r.output, r.formula, r.params.toLocaleString("en-US")]), ["l", "l", "l", "r"]),
    "",
    `By hand: ${sum} = **${total.toLocaleString("en-US")}**. tfjs \`model.countParams()\`: **${countParams.toLocaleString("en-US")}**. ` +
      (total === countParams ? "They agree." : "**They differ.**") +
      ` The paper (Fig 3): ${PAPER_RESULTS.params.toLocaleString("en-US")}.`,
  ].join("\n");
}

/** One PNG grid of a feature map's channels, enlarged so every map is about 88 px wide. */
export async function featureMapGrid(map: FeatureMap, maxChannels = 16): Promise<Buffer> {
  const scale = Math.max(1, Math.round(88 / map.shape[1]));
  const shown = Math.min(map.shape[2], maxChannels);
  return imageGrid(featureMapCells(map, maxChannels), {
    columns: 8,
    scale,
    title: `${map.layer}: ${map.shape.join("×")} (${shown === map.shape[2] ? "all" : `first ${shown} of`} ${map.shape[2]} channels; each stretched to its own range)`,
  });
}

/** The Eq. 1–2 worked example as Markdown, ours beside tfjs. */
export function lossMarkdown(w: ReturnType<typeof lossWorkedExample>): string {
  return [
    markdownTable(
      ["sample", "true class", "p(true class)", "Eq. 1: −log p", "tfjs categoricalCrossentropy"],
      w.rows.map((r, i) => [r.sample, r.trueClass, r.pTrue.toFixed(2), r.loss.toFixed(6), w.tfjsPerSample[i].toFixed(6)]),
      ["r", "l", "r", "r", "r"],
    ),
    "",
    `Eq. 2 (the mean): **${w.mean.toFixed(6)}**; tfjs: **${w.tfjsMean.toFixed(6)}**.`,
  ].join("\n");
}

/** Eq. 3–4 step by step as Markdown, with tfjs' θ after the same steps. */
export function rmspropMarkdown(rows: RmspropRow[], tfjsTheta: number[]): string {
  const e = (v: number) => (Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(3) : v.toFixed(6));
  return markdownTable(
    ["t", "g_t", "E[g²]_t (Eq. 3)", "√(E[g²]_t + ε)", "η·g_t / √(…)", "θ_t+1 (Eq. 4)", "θ_t+1 tfjs"],
    rows.map((r, i) => [r.t, e(r.g), e(r.meanSquare), e(r.denom), e(r.step), r.theta.toFixed(8), (tfjsTheta[i] ?? NaN).toFixed(8)]),
    ["r", "r", "r", "r", "r", "r", "r"],
  );
}

/** lib/optim rmspropStep beside the branch of tfjs' RMSprop that training runs, as HTML. */
export function rmspropListingsHtml(): string {
  const ours = sourceOf(path.join(ROOT, "lib", "optim.ts"), "rmspropStep");
  const theirs = tfjsRmspropSource();
  const rel = path.relative(ROOT, theirs.file);
  return sideBySideHtml({ title: "ours: lib/optim.ts rmspropStep", code: ours }, { title: `tfjs: ${rel}, line ${theirs.firstLine}`, code: theirs.code });
}

/** Where each optimiser of a race ended, as Markdown. */
export function raceMarkdown(race: OptimizerRace): string {
  const last = (p: { x: number; y: number; f: number }[]) => p[p.length - 1];
  const s = last(race.sgd.path);
  const r = last(race.rmsprop.path);
  return markdownTable(
    ["optimiser", "η", "after step", "x", "y", "f"],
    [
      ["SGD", race.sgd.lr, race.sgd.path.length - 1, s.x.toFixed(4), s.y.toFixed(4), s.f.toExponential(2)],
      ["RMSprop", race.rmsprop.lr, race.rmsprop.path.length - 1, r.x.toFixed(4), r.y.toFixed(4), r.f.toExponential(2)],
    ],
    ["l", "r", "r", "r", "r", "r"],
  );
}

/** The PAPER settings as Markdown. */
export function configMarkdown(config: PaperConfig = PAPER): string {
  return markdownTable(["setting (lib/config.ts PAPER)", "value"], configRows(config));
}

/** Split and fold sizes as Markdown. */
export function splitMarkdown(s: ReturnType<typeof splitSizes>): string {
  return markdownTable(
    ["part", "train", "validation / test"],
    [["80/20 split", s.train, s.test], ...s.folds.map((f, i) => [`fold ${i + 1}`, f.train, f.val])],
    ["l", "r", "r"],
  );
}

/** What notebook 04 is about to do, as Markdown. */
export function planMarkdown(plan: TrainingPlan): string {
  if (plan.action === "load") return `**Plan: load.** ${plan.reason}`;
  if (plan.action === "train") return `**Plan: train.** ${plan.reason}; output \`${path.relative(ROOT, plan.out)}/\`.`;
  return `**Plan: nothing to do.** ${plan.reason}`;
}

/** The per-fold table as Markdown. */
export function foldsMarkdown(run: RunRecord): string {
  return markdownTable(FOLD_HEADERS, foldRows(run), ["l", "r", "r", "r", "r", "r", "r"]);
}

/** The paper's claims beside ours as Markdown. */
export function claimsMarkdown(run: RunRecord | undefined, params?: number): string {
  return markdownTable(["claim", "paper", "ours"], claimRows(run, params), ["l", "r", "r"]);
}

/** Per-class numbers as Markdown. */
export function perClassMarkdown(run: RunRecord): string {
  return markdownTable(["class", "test images", "accuracy (recall)", "precision", "F1", "AUC"], perClassRows(run), ["l", "r", "r", "r", "r", "r"]);
}

/** Misclassified test images as Markdown (file, true, predicted, the 7 probabilities). */
export function missMarkdown(misses: Miss[]): string {
  if (!misses.length) return "No test image was misclassified.";
  return markdownTable(["file", "true", "predicted", ...CLASSES], missRows(misses), ["l", "l", "l", ...CLASSES.map(() => "r" as const)]);
}

/** A few sentences on a run's test results: accuracy, weakest class, largest confusion. */
export function evaluationSummary(run: RunRecord): string {
  const cells = confusionCells(run);
  const diag = cells.filter((c) => c.true === c.predicted && run.test.perClass.find((p) => p.class === c.true)!.support > 0);
  const weakest = [...diag].sort((a, b) => a.fraction - b.fraction)[0];
  const off = cells.filter((c) => c.true !== c.predicted).sort((a, b) => b.fraction - a.fraction)[0];
  const correct = run.test.confusion.reduce((a, r, i) => a + r[i], 0);
  const n = run.split.test.length;
  const misses = n - correct;
  return (
    `The best model (fold ${run.bestFold + 1}) gets ${correct}/${n} test images right (accuracy ${fmt(run.test.accuracy)}, loss ${fmt(run.test.loss)}; ` +
    `paper ${PAPER_RESULTS.testCorrect}/${PAPER_RESULTS.testImages}, ${PAPER_RESULTS.testAccuracy}, ${PAPER_RESULTS.testLoss}). ` +
    `Weakest class: ${weakest?.true ?? "n/a"} (${pct(weakest?.fraction)} correct). Largest confusion: ${off ? `${off.true} → ${off.predicted} (${pct(off.fraction)} of ${off.true})` : "none"}. ` +
    `${misses} misclassified image${misses === 1 ? "" : "s"}.`
  );
}
