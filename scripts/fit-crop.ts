/**
 * Fit the mapping from a face detector's box to a CK+48 crop, on CK+48 itself, and write data/detect/crop-fit.json
 * (the fit, its IoU over all images, and every image's box, so tests check the fit without detecting again).
 *
 *   npx tsx scripts/fit-crop.ts [CK+48 folder]
 *
 * Each 48×48 crop is upscaled to 144×144 and set in a mid-grey canvas of 288×288 (a detector wants some context
 * around a face); the crop's true place there is known, so each detected box gives one (box, crop) pair.
 */
import * as path from "path";
import { initBackend } from "../lib/tf";
import { loadDataset } from "../lib/data/dataset";
import { resolveDataDir, DATA } from "../lib/paths";
import { writeAtomic } from "../lib/files";
import { CANVAS, DETECTOR, canvasOf, detectFaces } from "../lib/detect/face";
import { nodeDetector } from "../lib/detect/load";
import { cropFromBox, fitCrop, iou, type Box } from "../lib/detect/crop";
import { PEERS, installedVersion } from "../lib/peers/models";
import { quantile } from "../lib/stats";

async function main(): Promise<void> {
  initBackend("cpu-fast");
  const ds = await loadDataset(resolveDataDir(process.argv[2]));
  const per = ds.size * ds.size * 3;
  const api = await nodeDetector();
  const boxes: { file: string; score: number | null; box: Box | null }[] = [];
  const t0 = performance.now();
  for (let i = 0; i < ds.files.length; i++) {
    const { image } = canvasOf(ds.x.subarray(i * per, (i + 1) * per), ds.size);
    const found = await detectFaces(api, image);
    image.dispose();
    const best = found.sort((a, b) => b.score - a.score)[0];
    const r = (v: number) => Number(v.toFixed(3));
    boxes.push({
      file: ds.files[i],
      score: best ? r(best.score) : null,
      box: best ? { x: r(best.box.x), y: r(best.box.y), width: r(best.box.width), height: r(best.box.height) } : null,
    });
    if ((i + 1) % 100 === 0)
      console.log(
        `fit-crop: ${i + 1} of ${ds.files.length}, ${((performance.now() - t0) / (i + 1)).toFixed(0)} ms each`,
      );
  }
  const crop = canvasOf(ds.x.subarray(0, per), ds.size);
  crop.image.dispose();
  const pairs = boxes.filter((b) => b.box).map((b) => ({ box: b.box!, crop: crop.crop }));
  const fit = fitCrop(pairs);
  const ious = pairs.map((p) => iou(cropFromBox(p.box, fit), p.crop));
  const out = {
    method: `Each CK+48 crop upscaled ${CANVAS.upscale}× and set in a mid-grey canvas with ${CANVAS.pad} px on every side; TinyFaceDetector's highest-scoring box per image; dx, dy and scale are least-squares (the means of the crops' offsets and sides in box sizes, lib/detect/crop.ts fitCrop).`,
    detector: { ...DETECTOR, version: installedVersion(PEERS["face-api-expression"]) },
    canvas: CANVAS,
    fit: { dx: Number(fit.dx.toFixed(4)), dy: Number(fit.dy.toFixed(4)), scale: Number(fit.scale.toFixed(4)) },
    iou: {
      images: boxes.length,
      found: pairs.length,
      mean: Number((ious.reduce((a, b) => a + b, 0) / ious.length).toFixed(4)),
      min: Number(Math.min(...ious).toFixed(4)),
      p05: Number(quantile(ious, 0.05).toFixed(4)),
    },
    msPerImage: Number(((performance.now() - t0) / boxes.length).toFixed(0)),
    boxes,
  };
  writeAtomic(path.join(DATA, "detect", "crop-fit.json"), JSON.stringify(out, null, 1) + "\n");
  console.log(`fit-crop: ${JSON.stringify({ fit: out.fit, iou: out.iou, msPerImage: out.msPerImage })}`);
}

if (require.main === module) void main();
