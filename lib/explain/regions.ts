/**
 * The paper's promised "analysis of the contribution of various facial regions" (notebook 08): facial regions derived
 * from the mean face by stated rules, their occlusion, and what the Facial Action Coding System expects per emotion.
 */
import { tf, type Tensor4D, type LayersModel } from "../tf";
import { argmax } from "../arrays";
import { probabilities, type Fill } from "./attribution";

// ---------------------------------------------------------------------------------------------------------------
// Facial regions, derived from the data
// ---------------------------------------------------------------------------------------------------------------

/** A facial region: a mask over the side × side frame, and the rule that made it. */
export interface Region {
  name: string;
  /** 1 where the region is, row-major side × side. */
  mask: Uint8Array;
  /** Its bounding box (inclusive) for drawing. */
  box: { top: number; bottom: number; left: number; right: number };
}

/** How the regions were derived: the profiles of the mean face and the rows and columns read off them. */
export interface RegionEvidence {
  side: number;
  /** Mean brightness of each row over the central band of columns (the face's middle). */
  rowProfile: number[];
  /** Mean brightness of each column over the eye band. */
  columnProfile: number[];
  eyeRow: number;
  noseRow: number;
  mouthRow: number;
  /** The face's left and right edges and its vertical midline (the bright nose bridge). */
  faceLeft: number;
  faceRight: number;
  midline: number;
}

const argmin = (xs: number[], from: number, to: number) => {
  let best = from;
  for (let i = from; i <= to; i++) if (xs[i] < xs[best]) best = i;
  return best;
};

/**
 * Facial regions of the roughly aligned CK+48 crops, derived from the mean face (a grey image, side × side) by rules
 * stated here and tested on the real data:
 * - the **row profile** (mean brightness of each row over the central half of the columns) has its darkest row in
 *   the upper half at the eyes, and its darkest row in the lower fifth-to-tenth at the mouth; the darkest row between
 *   them (the nostrils) ends the nose;
 * - the **column profile** over the eye band is bright at the nose bridge (the midline) and falls to dark background
 *   at the face's edges (where it drops below the mean of its range);
 * - brows + eyes: rows eye − 7 … eye + 3 across the face; nose: rows eye + 4 … nose + 1, midline ± 6 columns; mouth:
 *   rows nose + 2 … mouth + 5, midline ± 10 columns; cheeks/jaw: rows eye + 4 … bottom across the face, outside nose
 *   and mouth; the rest: everything else (forehead, hair, background).
 *
 * @see notebooks/08-explain.ipynb
 */
export function deriveRegions(
  meanFace: Float32Array | number[],
  side: number,
): { regions: Region[]; evidence: RegionEvidence } {
  const at = (y: number, x: number) => meanFace[y * side + x];
  const c0 = Math.floor(side * 0.25);
  const c1 = Math.ceil(side * 0.75);
  const rowProfile = Array.from({ length: side }, (_, y) => {
    let s = 0;
    for (let x = c0; x < c1; x++) s += at(y, x);
    return s / (c1 - c0);
  });
  const eyeRow = argmin(rowProfile, Math.floor(side * 0.15), Math.floor(side * 0.55));
  const mouthRow = argmin(rowProfile, Math.floor(side * 0.68), Math.floor(side * 0.9));
  const noseRow = argmin(rowProfile, eyeRow + 6, mouthRow - 4);
  const columnProfile = Array.from({ length: side }, (_, x) => {
    let s = 0;
    for (let y = eyeRow - 7; y <= eyeRow + 2; y++) s += at(y, x);
    return s / 10;
  });
  const lo = Math.min(...columnProfile);
  const hi = Math.max(...columnProfile);
  const cut = (lo + hi) / 2;
  const faceLeft = columnProfile.findIndex((v) => v >= cut);
  const faceRight = side - 1 - [...columnProfile].reverse().findIndex((v) => v >= cut);
  let midline = faceLeft;
  for (let x = faceLeft; x <= faceRight; x++) if (columnProfile[x] > columnProfile[midline]) midline = x;
  const clamp = (v: number) => Math.max(0, Math.min(side - 1, v));
  const box = (top: number, bottom: number, left: number, right: number) => ({
    top: clamp(top),
    bottom: clamp(bottom),
    left: clamp(left),
    right: clamp(right),
  });
  const boxes = {
    "brows+eyes": box(eyeRow - 7, eyeRow + 3, faceLeft, faceRight),
    nose: box(eyeRow + 4, noseRow + 1, midline - 6, midline + 6),
    mouth: box(noseRow + 2, mouthRow + 5, midline - 10, midline + 10),
    "cheeks/jaw": box(eyeRow + 4, side - 1, faceLeft, faceRight),
  };
  const taken = new Uint8Array(side * side);
  const regions: Region[] = [];
  for (const [name, b] of Object.entries(boxes)) {
    const mask = new Uint8Array(side * side);
    for (let y = b.top; y <= b.bottom; y++)
      for (let x = b.left; x <= b.right; x++) {
        const p = y * side + x;
        if (!taken[p]) {
          mask[p] = 1;
          taken[p] = 1;
        }
      }
    regions.push({ name, mask, box: b });
  }
  // cheeks/jaw was given last among the face parts, so it is what the nose and mouth boxes leave of its box
  const rest = new Uint8Array(side * side).map((_, p) => (taken[p] ? 0 : 1));
  regions.push({ name: "rest", mask: rest, box: box(0, side - 1, 0, side - 1) });
  return {
    regions,
    evidence: { side, rowProfile, columnProfile, eyeRow, noseRow, mouthRow, faceLeft, faceRight, midline },
  };
}

/** Where a map puts its weight: one row per region, the share of the map's positive mass and of the frame's pixels. */
export interface RegionShare {
  region: string;
  /** Σ over the region of max(0, map) ÷ the same over the frame (0 when the map has no positive value). */
  share: number;
  /** The region's pixels ÷ the frame's: the share a map spread evenly would give it. */
  area: number;
}

/**
 * How much of a map's positive mass falls in each region (the regions partition the frame, so the shares sum to 1).
 * A share well above the region's area share says the map concentrates there; negative values (occlusion's "hiding
 * this helps") count as zero.
 */
export function regionShares(map: ArrayLike<number>, regions: Region[]): RegionShare[] {
  let total = 0;
  for (let p = 0; p < map.length; p++) total += Math.max(0, map[p]);
  return regions.map((r) => {
    let mass = 0;
    let pixels = 0;
    for (let p = 0; p < r.mask.length; p++)
      if (r.mask[p]) {
        mass += Math.max(0, map[p]);
        pixels++;
      }
    return { region: r.name, share: total > 0 ? mass / total : 0, area: pixels / r.mask.length };
  });
}

/** The region holding a map's largest value. */
export function peakRegion(map: Float32Array, regions: Region[]): string {
  const p = argmax(Array.from(map));
  return regions.find((r) => r.mask[p])?.name ?? "?";
}

/** One row of the region table: a class, a region, accuracy intact and occluded, and the mean drop of p(true). */
export interface RegionEffect {
  class: number;
  region: string;
  images: number;
  intact: number;
  occluded: number;
  /** occluded − intact accuracy (negative: the region matters). */
  delta: number;
  /** Mean drop of p(true class) when the region is filled. */
  probDrop: number;
}

/**
 * The contribution of each facial region: for every region, the test images with that region filled (with the mean
 * face by default), and per class the accuracy with it occluded minus the intact accuracy, and the mean drop of
 * p(true class).
 */
export function regionOcclusion(
  model: LayersModel,
  x: Tensor4D,
  labels: number[],
  regions: Region[],
  fill: Fill,
  classes = 7,
): RegionEffect[] {
  const [n, h, w, c] = x.shape;
  const per = h * w * c;
  const data = x.dataSync() as Float32Array;
  const intact = probabilities(model, x);
  const out: RegionEffect[] = [];
  for (const r of regions) {
    const copy = data.slice();
    for (let i = 0; i < n; i++) {
      for (let p = 0; p < h * w; p++) {
        if (!r.mask[p]) continue;
        for (let ch = 0; ch < c; ch++) copy[i * per + p * c + ch] = typeof fill === "number" ? fill : fill[p * c + ch];
      }
    }
    const t = tf.tensor4d(copy, [n, h, w, c]);
    const occ = probabilities(model, t);
    t.dispose();
    for (let k = 0; k < classes; k++) {
      const idx = labels.map((l, i) => (l === k ? i : -1)).filter((i) => i >= 0);
      if (!idx.length) continue;
      const acc = (p: number[][]) => idx.filter((i) => argmax(p[i]) === k).length / idx.length;
      const a0 = acc(intact);
      const a1 = acc(occ);
      out.push({
        class: k,
        region: r.name,
        images: idx.length,
        intact: a0,
        occluded: a1,
        delta: a1 - a0,
        probDrop: idx.reduce((s, i) => s + intact[i][k] - occ[i][k], 0) / idx.length,
      });
    }
  }
  return out;
}

/**
 * What the Facial Action Coding System predicts for each emotion (Ekman & Friesen 1978; the CK+ emotion criteria of
 * Lucey et al. 2010): the action units and the regions they move. Notebook 08 compares it with the occlusion table.
 */
export const FACS: Record<string, { units: string; regions: string[] }> = {
  anger: {
    units: "AU4 brow lowerer, AU5/7 lid raiser/tightener, AU23/24 lip tightener/pressor",
    regions: ["brows+eyes", "mouth"],
  },
  contempt: { units: "AU14 dimpler, on one side", regions: ["mouth", "cheeks/jaw"] },
  disgust: { units: "AU9 nose wrinkler, AU10 upper lip raiser", regions: ["nose", "mouth"] },
  fear: {
    units: "AU1+2+4 brows raised and drawn together, AU5 lid raiser, AU20 lip stretcher, AU26 jaw drop",
    regions: ["brows+eyes", "mouth"],
  },
  happy: { units: "AU6 cheek raiser, AU12 lip corner puller", regions: ["mouth", "cheeks/jaw"] },
  sadness: {
    units: "AU1+4 inner brow raiser and lowerer, AU15 lip corner depressor",
    regions: ["brows+eyes", "mouth"],
  },
  surprise: {
    units: "AU1+2 brow raisers, AU5 lid raiser, AU26/27 jaw drop / mouth stretch",
    regions: ["brows+eyes", "mouth"],
  },
};
