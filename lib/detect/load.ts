/**
 * The detector and the crop mapping in node: face-api's node build on our TensorFlow.js, its TinyFaceDetector read
 * from the npm package's own files (nothing is downloaded at run time), and the committed fit of scripts/fit-crop.ts.
 */
import * as path from "path";
import { z } from "zod";
import { DATA } from "../paths";
import { loadJsonFile } from "../files";
import { packageDir, requireFaceApi } from "../peers/models";
import { tf } from "../tf";
import { decodePhoto } from "../data/decode";
import { DETECTOR, photoFaceInputs, type FaceApi, type PhotoFace } from "./face";
import type { CropFit } from "./crop";

/** face-api with its TinyFaceDetector loaded from `node_modules/@vladmandic/face-api/model`. */
export async function nodeDetector(): Promise<FaceApi> {
  const api = requireFaceApi() as unknown as FaceApi & {
    nets: { tinyFaceDetector: { isLoaded: boolean; loadFromDisk(dir: string): Promise<void> } };
  };
  const net = api.nets.tinyFaceDetector;
  if (!net.isLoaded) await net.loadFromDisk(detectorDir());
  return api;
}

/** The folder of the detector's weight files inside the installed package. */
export function detectorDir(): string {
  return path.join(packageDir(DETECTOR.package), "model");
}

/** The committed mapping from a detector's box to a CK+48-like crop (scripts/fit-crop.ts). */
export const CROP_FIT_FILE = path.join(DATA, "detect", "crop-fit.json");

/** Read the fitted mapping (a one-line user error when the file is missing or damaged). */
export function loadCropFit(file = CROP_FIT_FILE): CropFit {
  return loadJsonFile(
    file,
    z.object({ fit: z.object({ dx: z.number(), dy: z.number(), scale: z.number() }) }),
    "crop fit",
    "restore it with git checkout, or fit it again with npx tsx scripts/fit-crop.ts",
  ).fit;
}

/** The faces of one photo file, largest first, and the 48×48×3 model input cut from each. */
export interface PhotoFaces {
  image: string;
  faces: PhotoFace[];
  inputs: Float32Array[];
}

/**
 * Find the faces in photo files (`predict --detect`, `explain --detect`): every file is decoded first, so a bad one
 * is a one-line error before the detector loads; then each is searched and its faces cut as CK+48 is cropped.
 */
export async function facesInPhotos(files: readonly string[], size = 48): Promise<PhotoFaces[]> {
  const decoded = [];
  for (const f of files) decoded.push(await decodePhoto(f));
  const fit = loadCropFit();
  const api = await nodeDetector();
  const out: PhotoFaces[] = [];
  for (const [i, d] of decoded.entries()) {
    const photo = tf.tensor3d(d.data, [d.height, d.width, 3]);
    const { faces, inputs } = await photoFaceInputs(api, photo, fit, size);
    photo.dispose();
    out.push({ image: files[i], faces, inputs });
  }
  return out;
}
