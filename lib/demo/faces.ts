/**
 * The live demo's faces: face-api's browser build (without its own copy of TensorFlow.js, so it runs on the page's
 * tfjs and backend), its TinyFaceDetector fetched from the demo server's /detector/, and lib/detect/face.ts'
 * photoFaceInputs, the very function `npm run predict -- --detect` runs. Browser-safe.
 */
import * as faceapi from "@vladmandic/face-api/dist/face-api.esm-nobundle.js";
import { tf, type Tensor3D } from "../tf";
import { toModelInput } from "../data/pixels";
import { photoFaceInputs, type FaceApi, type PhotoFace } from "../detect/face";
import type { CropFit } from "../detect/crop";

/** face-api with its TinyFaceDetector loaded from `url` (the folder holding its manifest and weights). */
export async function loadDetector(url = "detector"): Promise<FaceApi> {
  await faceapi.nets.tinyFaceDetector.load(url);
  return faceapi as unknown as FaceApi;
}

/** The faces of one frame, largest first, with the model input of each (48×48×3 floats) and the time taken. */
export interface FrameFaces {
  faces: PhotoFace[];
  inputs: Float32Array[];
  ms: number;
}

/**
 * Find the faces in RGBA pixels (a canvas' ImageData): the same RGB floats in [0, 1] as predict's decoding
 * (lib/data/pixels.ts toModelInput), then {@link photoFaceInputs}.
 */
export async function frameFaces(
  api: FaceApi,
  rgba: ArrayLike<number>,
  width: number,
  height: number,
  fit: CropFit,
  side = 48,
  now: () => number = () => performance.now(),
): Promise<FrameFaces> {
  const t0 = now();
  const photo = tf.tensor3d(toModelInput(rgba, 4), [height, width, 3]) as Tensor3D;
  try {
    const { faces, inputs } = await photoFaceInputs(api, photo, fit, side);
    return { faces, inputs, ms: now() - t0 };
  } finally {
    photo.dispose();
  }
}
