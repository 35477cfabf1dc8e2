/**
 * From a face detector's box to a CK+48-like crop, for faces in real photos. CK+48's crops are square and sit
 * higher on the face than a detector's box; the mapping is three numbers fitted on CK+48
 * (scripts/fit-crop.ts, data/detect/crop-fit.json): the crop's centre is the box's centre shifted by (dx, dy) box
 * sizes, its side `scale` box sizes, where a box's size is the mean of its width and height. Pure.
 */

/** An axis-aligned box in pixels: top-left corner and size. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The fitted mapping from a detector's box to a crop. */
export interface CropFit {
  dx: number;
  dy: number;
  scale: number;
}

const size = (b: Box) => (b.width + b.height) / 2;

/** The square crop a box maps to under a fit. */
export function cropFromBox(b: Box, f: CropFit): Box {
  const s = size(b);
  const side = f.scale * s;
  const cx = b.x + b.width / 2 + f.dx * s;
  const cy = b.y + b.height / 2 + f.dy * s;
  return { x: cx - side / 2, y: cy - side / 2, width: side, height: side };
}

/** Intersection over union of two boxes (0 when they do not overlap). */
export function iou(a: Box, b: Box): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (a.width * a.height + b.width * b.height - inter);
}

/**
 * The least-squares fit of the mapping to (box, true crop) pairs, parameter by parameter: each of dx, dy and scale
 * is the crop's offset or side measured in box sizes, so its least-squares value is the mean of those ratios.
 */
export function fitCrop(pairs: readonly { box: Box; crop: Box }[]): CropFit {
  if (!pairs.length) throw new Error("fitCrop: no pairs");
  const m = (f: (p: { box: Box; crop: Box }) => number) => pairs.reduce((a, p) => a + f(p), 0) / pairs.length;
  return {
    dx: m((p) => (p.crop.x + p.crop.width / 2 - (p.box.x + p.box.width / 2)) / size(p.box)),
    dy: m((p) => (p.crop.y + p.crop.height / 2 - (p.box.y + p.box.height / 2)) / size(p.box)),
    scale: m((p) => size(p.crop) / size(p.box)),
  };
}
