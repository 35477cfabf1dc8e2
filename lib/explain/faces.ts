/**
 * Faces with their maps, for people: one face beside its maps, the class averages, the regions over the mean face,
 * which test images the gallery shows, and one face picked (the notebook's `FACE`, the most confident mistake) with
 * its five maps. Used by notebook 08, `npm run explain` and `npm run figures -- --faces`; drawn at run time from the
 * reader's copy of CK+48, never committed (its licence).
 */
import { imagesTensor, type Dataset } from "../data/dataset";
import { rgbPicture, type GridCell, type Picture } from "../display/pictures";
import { argmax } from "../arrays";
import type { LayersModel, Tensor4D } from "../tf";
import { gradCam, meanImage, occlusion, saliency, smoothGrad } from "./attribution";
import { overlay } from "./overlay";
import type { Region } from "./regions";
import type { MapSettings } from "./sanity";

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

/** The explained test image the model gets wrong with the highest probability (−1 if none). */
export function mostConfidentMistake(probs: number[][], labels: number[]): number {
  let best = -1;
  probs.forEach((p, i) => {
    if (argmax(p) !== labels[i] && (best < 0 || Math.max(...p) > Math.max(...probs[best]))) best = i;
  });
  return best;
}

/** One test face picked by its index among the explained images, with what the model says about it. */
export interface PickedFace {
  index: number;
  /** [1, h, w, c]: dispose it. */
  one: Tensor4D;
  file: string;
  label: number;
  predicted: number;
  /** p(true class) and p(predicted class). */
  pTrue: number;
  pPredicted: number;
}

/** The face `index` of the explained test images (the notebook's `FACE`), or an error naming the valid range. */
export function pickFace(x: Tensor4D, labels: number[], files: string[], probs: number[][], index: number): PickedFace {
  const n = x.shape[0];
  if (!Number.isInteger(index) || index < 0 || index >= n)
    throw new Error(`FACE = ${index}: there are ${n} explained test images, so FACE must be 0 … ${n - 1}`);
  const predicted = argmax(probs[index]);
  return {
    index,
    one: x.slice([index, 0, 0, 0], [1, -1, -1, -1]),
    file: files[index],
    label: labels[index],
    predicted,
    pTrue: probs[index][labels[index]],
    pPredicted: probs[index][predicted],
  };
}

/** Notebook 08's five maps of one face for class `cls`: saliency of p and of the score, SmoothGrad, Grad-CAM, occlusion. */
export function faceMaps(model: LayersModel, one: Tensor4D, cls: number, s: MapSettings): Record<string, Float32Array> {
  return {
    saliency: saliency(model, one, [cls])[0],
    "saliency of the score": saliency(model, one, [cls], { target: "score" })[0],
    smoothgrad: smoothGrad(model, one, [cls], { samples: s.samples, sigma: s.sigma, seed: s.seed ?? 0 })[0],
    "grad-cam": gradCam(model, one, [cls], { featureLayer: s.featureLayer })[0],
    occlusion: occlusion(model, one, [cls], { patch: s.patch, stride: s.stride, fill: s.fill })[0],
  };
}
