/**
 * Faces with their maps, for people: one face beside its maps, the class averages, the regions over the mean face,
 * and which test images the gallery shows. Used by notebook 08, `npm run explain` and `npm run figures -- --faces`;
 * drawn at run time from the reader's copy of CK+48, never committed (its licence).
 */
import { imagesTensor, type Dataset } from "../data/dataset";
import { rgbPicture, type GridCell, type Picture } from "../display/pictures";
import { argmax } from "../arrays";
import { meanImage } from "./attribution";
import { overlay } from "./overlay";
import type { Region } from "./regions";

/** One face and its maps side by side: the face (captioned with one line or several), then one overlay per method. */
export function methodCells(
  face: Float32Array,
  maps: Record<string, Float32Array>,
  side: number,
  caption: string | string[],
): GridCell[] {
  return [
    { picture: rgbPicture(face, side), caption: Array.isArray(caption) ? caption : [caption] },
    ...Object.entries(maps).map(([m, map]) => ({ picture: overlay(face, map, side), caption: [m] })),
  ];
}

/** Per class: its mean face, then each method's class-average map over it (null: no correctly classified face). */
export function classAverageCells(
  classes: string[],
  meanFaces: (Float32Array | null)[],
  maps: Record<string, (Float32Array | null)[]>,
  side: number,
): GridCell[] {
  const cells: GridCell[] = [];
  classes.forEach((c, k) => {
    const face = meanFaces[k];
    if (!face) return;
    cells.push({ picture: rgbPicture(face, side), caption: [`${c}: mean face`] });
    for (const [m, list] of Object.entries(maps)) {
      const map = list[k];
      cells.push(
        map
          ? { picture: overlay(face, map, side), caption: [m] }
          : { picture: rgbPicture(face, side), caption: [`${m}: none right`] },
      );
    }
  });
  return cells;
}

/** The mean face of each class (RGB, side × side × 3), from a batch's pixels and labels. */
export function classMeanFaces(
  pixels: Float32Array,
  labels: number[],
  side: number,
  classes = 7,
): (Float32Array | null)[] {
  const per = side * side * 3;
  return Array.from({ length: classes }, (_, k) => {
    const idx = labels.map((l, i) => (l === k ? i : -1)).filter((i) => i >= 0);
    if (!idx.length) return null;
    const m = new Float32Array(per);
    for (const i of idx) for (let p = 0; p < per; p++) m[p] += pixels[i * per + p] / idx.length;
    return m;
  });
}

/** The regions over a grey mean face, each in its own colour, so a reader can judge the boxes. */
export function regionsPicture(meanFace: Float32Array, side: number, regions: Region[]): Picture {
  const colours: [number, number, number][] = [
    [0.9, 0.3, 0.2],
    [0.2, 0.7, 0.3],
    [0.2, 0.4, 0.9],
    [0.9, 0.75, 0.1],
    [0.6, 0.6, 0.6],
  ];
  const out = new Float32Array(side * side * 3);
  for (let p = 0; p < side * side; p++) {
    const g = meanFace[p];
    const r = regions.findIndex((reg) => reg.mask[p]);
    const c = colours[r % colours.length];
    const a = regions[r]?.name === "rest" ? 0 : 0.35;
    for (let ch = 0; ch < 3; ch++) out[p * 3 + ch] = (1 - a) * g + a * c[ch];
  }
  return { data: out, width: side, height: side, channels: 3 };
}

/** The mean face of every image of a data set: RGB (the occlusion fill) and grey (for deriving the regions). */
export function meanFaceOf(ds: Dataset): { rgb: Float32Array; grey: Float32Array } {
  const all = imagesTensor(
    ds,
    ds.files.map((_, i) => i),
  );
  const rgb = meanImage(all);
  all.dispose();
  const side = ds.size;
  return { rgb, grey: Float32Array.from({ length: side * side }, (_, p) => rgb[p * 3]) };
}

/** Whether each prediction is right. */
export function rightOnes(probs: number[][], labels: number[]): boolean[] {
  return probs.map((p, i) => argmax(p) === labels[i]);
}

/** The gallery's images: the first `n` right, then the `n` mistakes made with the highest probability. */
export function galleryIndices(probs: number[][], labels: number[], n = 6): number[] {
  const right = rightOnes(probs, labels);
  const ok = right
    .map((r, i) => (r ? i : -1))
    .filter((i) => i >= 0)
    .slice(0, n);
  const wrong = right
    .map((r, i) => (r ? -1 : i))
    .filter((i) => i >= 0)
    .sort((a, b) => Math.max(...probs[b]) - Math.max(...probs[a]));
  return [...ok, ...wrong.slice(0, n)];
}
