/**
 * Pictures for people: pixels in [0, 1] as PNG (sharp), and grids of faces with captions (or of a layer's feature
 * maps), for the notebooks and the figures that show faces (never committed: CK+48's licence).
 */
import sharp from "sharp";
import { PAPER } from "../config";
import { FONT, textWidth } from "../render";
import { escapeHtml } from "./text";
import type { FeatureMap } from "../model";

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
  if (data.length !== size * size * 3)
    throw new Error(`expected ${size}×${size}×3 = ${size * size * 3} values, got ${data.length}`);
  return { data, width: size, height: size, channels: 3 };
}

/** Pixels in [0,1] → 8-bit (clamped, rounded). */
export function toBytes(p: Picture): Buffer {
  const n = p.width * p.height * p.channels;
  if (p.data.length !== n)
    throw new Error(`picture ${p.width}×${p.height}×${p.channels} needs ${n} values, got ${p.data.length}`);
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
export function gridSize(
  cells: GridCell[],
  opts: GridOptions = {},
): { width: number; height: number; columns: number; cellWidth: number; cellHeight: number } {
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

/** The captions' font size in px, and the smallest {@link fitCaption} shrinks a long one to before cutting it. */
const CAPTION_SIZE = 11;
const CAPTION_MIN_SIZE = 9;

/**
 * A caption line fitted to `width` px (DejaVu Sans, measured by lib/render.ts textWidth): as it is at 11 px if it
 * fits; else at the largest size down to 9 px at which it fits; else at 9 px, cut on the right with an ellipsis.
 * (A centred line wider than its cell used to run past both edges, and the grid's left edge cut it off.)
 */
export function fitCaption(line: string, width: number): { text: string; fontSize: number } {
  for (let size = CAPTION_SIZE; size >= CAPTION_MIN_SIZE; size -= 0.5)
    if (textWidth(line, size) <= width) return { text: line, fontSize: size };
  const chars = [...line];
  while (chars.length > 0 && textWidth(chars.join("") + "…", CAPTION_MIN_SIZE) > width) chars.pop();
  return { text: chars.join("").trimEnd() + "…", fontSize: CAPTION_MIN_SIZE };
}

/**
 * A grid of pictures with captions as one PNG (white background, DejaVu Sans captions): the faces of notebooks
 * 01, 02, 05 and 08. Each picture is enlarged with nearest-neighbour, then placed into an SVG with its caption lines
 * (each fitted to its cell by {@link fitCaption}), which sharp/librsvg rasterises.
 */
export async function imageGrid(cells: GridCell[], opts: GridOptions = {}): Promise<Buffer> {
  const scale = opts.scale ?? 2;
  const g = gridSize(cells, opts);
  const top = opts.title ? 22 : 0;
  const parts: string[] = [];
  if (opts.title)
    parts.push(
      `<text x="${GRID_GAP}" y="16" font-family="${FONT}" font-size="13" font-weight="bold">${escapeHtml(opts.title)}</text>`,
    );
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
      const fit = fitCaption(line, g.cellWidth - 2);
      parts.push(
        `<text x="${x0 + g.cellWidth / 2}" y="${y0 + h + 4 + (k + 1) * CAPTION_LINE - 3}" text-anchor="middle" font-family="${FONT}" font-size="${fit.fontSize}">${escapeHtml(fit.text)}</text>`,
      );
    });
  }
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${g.width}" height="${g.height}" viewBox="0 0 ${g.width} ${g.height}">` +
    `<rect width="100%" height="100%" fill="white"/>${parts.join("")}</svg>`;
  return sharp(Buffer.from(svg), { density: 72 })
    .flatten({ background: "#ffffff" })
    .png({ compressionLevel: 9, adaptiveFiltering: false })
    .toBuffer();
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
      const inF =
        (x >= 14 * u && x < 19 * u && y >= 8 * u && y < 40 * u) ||
        (x >= 14 * u && x < 34 * u && y >= 8 * u && y < 13 * u) ||
        (x >= 14 * u && x < 28 * u && y >= 21 * u && y < 26 * u);
      if (inF) v = 0.95;
      if ((x - 36 * u) ** 2 + (y - 36 * u) ** 2 < (4 * u) ** 2) v = 0.05;
      out.fill(v, (y * size + x) * 3, (y * size + x) * 3 + 3);
    }
  }
  return out;
}
