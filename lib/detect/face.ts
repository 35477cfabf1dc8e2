/**
 * Faces in an image, with @vladmandic/face-api's TinyFaceDetector (its weights ship inside the npm package, about
 * 190 kB: nothing is downloaded at run time), on our TensorFlow.js. Node: it loads the package's files.
 */
import * as path from "path";
import { z } from "zod";
import { tf, type Tensor3D, type Tensor4D } from "../tf";
import { DATA } from "../paths";
import { loadJsonFile } from "../files";
import { packageDir, requireFaceApi } from "../peers/models";
import { cropFromBox, type Box, type CropFit } from "./crop";

/** The detector's settings: the side its input is resized to (a multiple of 32), and the lowest score kept. */
export const DETECTOR = { package: "@vladmandic/face-api", inputSize: 320, scoreThreshold: 0.5 } as const;

interface Detection {
  score: number;
  box: Box;
}

interface DetectorApi {
  nets: { tinyFaceDetector: { isLoaded: boolean; loadFromDisk(dir: string): Promise<void> } };
  TinyFaceDetectorOptions: new (o: { inputSize: number; scoreThreshold: number }) => unknown;
  detectAllFaces(input: Tensor3D, options: unknown): Promise<{ score: number; box: Box }[]>;
}

/** The faces in an RGB image with values in [0, 1] (H×W×3), largest first: each box in the image's pixels. */
export async function detectFaces(image: Tensor3D, opts: Partial<typeof DETECTOR> = {}): Promise<Detection[]> {
  const o = { ...DETECTOR, ...opts };
  const api = requireFaceApi() as unknown as DetectorApi;
  const net = api.nets.tinyFaceDetector;
  if (!net.isLoaded) await net.loadFromDisk(path.join(packageDir(DETECTOR.package), "model"));
  const scaled = tf.mul(image, 255) as Tensor3D; // face-api's input is 0–255, as its image loaders give
  try {
    const found = await api.detectAllFaces(
      scaled,
      new api.TinyFaceDetectorOptions({ inputSize: o.inputSize, scoreThreshold: o.scoreThreshold }),
    );
    return found
      .map((d) => ({ score: d.score, box: { x: d.box.x, y: d.box.y, width: d.box.width, height: d.box.height } }))
      .sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
  } finally {
    scaled.dispose();
  }
}

/** How scripts/fit-crop.ts sets a CK+48 crop for the detector: upscaled 3×, in a mid-grey canvas 72 px wider on each side. */
export const CANVAS = { upscale: 3, pad: 72 } as const;

/** The canvas a crop is detected in (values in [0, 1]), and where the crop lies in it. */
export function canvasOf(x: Float32Array, side: number): { image: Tensor3D; crop: Box } {
  const s = side * CANVAS.upscale;
  const image = tf.tidy(() => {
    const up = tf.image.resizeBilinear(tf.tensor4d(x, [1, side, side, 3]), [s, s]);
    const p = CANVAS.pad;
    return tf.squeeze(
      tf.pad(
        up,
        [
          [0, 0],
          [p, p],
          [p, p],
          [0, 0],
        ],
        0.5,
      ),
      [0],
    ) as Tensor3D;
  });
  return { image, crop: { x: CANVAS.pad, y: CANVAS.pad, width: s, height: s } };
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

/** One face of a photo: the detector's box and score, the CK+48-like crop, and the 48×48 input made from it. */
export interface PhotoFace {
  score: number;
  box: Box;
  crop: Box;
}

/**
 * The faces of a photo (RGB in [0, 1], height × width × 3), largest first, and their model inputs: each crop cut out
 * with bilinear sampling, made grey (ITU-R 601 luma, copied to the three channels, as CK+48's grey images are read)
 * and resized to 48×48. Parts of a crop outside the photo are black.
 */
export async function photoFaces(
  photo: Tensor3D,
  fit: CropFit,
  size = 48,
): Promise<{ faces: PhotoFace[]; x: Tensor4D }> {
  const [h, w] = photo.shape;
  const found = await detectFaces(photo);
  const faces = found.map((d) => ({ score: d.score, box: d.box, crop: cropFromBox(d.box, fit) }));
  const x = tf.tidy(() => {
    if (!faces.length) return tf.zeros([0, size, size, 3]) as Tensor4D;
    const boxes = faces.map((f) => [
      f.crop.y / h,
      f.crop.x / w,
      (f.crop.y + f.crop.height) / h,
      (f.crop.x + f.crop.width) / w,
    ]);
    const cut = tf.image.cropAndResize(
      tf.expandDims(photo, 0) as Tensor4D,
      tf.tensor2d(boxes, [faces.length, 4]),
      tf.tensor1d(
        faces.map(() => 0),
        "int32",
      ),
      [size, size],
      "bilinear",
    );
    const grey = tf.sum(tf.mul(cut, tf.tensor1d([0.299, 0.587, 0.114])), 3, true);
    return tf.tile(grey, [1, 1, 1, 3]) as Tensor4D;
  });
  return { faces, x };
}
