/**
 * Faces in an image, with @vladmandic/face-api's TinyFaceDetector, and the CK+48-like model input of each face.
 * Browser-safe: the same functions run in `npm run predict -- --detect` (lib/detect/load.ts loads the detector from
 * the npm package's files) and in the live demo's page (lib/demo/faces.ts loads it from the demo server), so the page
 * and the shell give the same boxes and probabilities.
 */
import { tf, type Tensor3D, type Tensor4D } from "../tf";
import { cropFromBox, type Box, type CropFit } from "./crop";

/** The detector's settings: the side its input is resized to (a multiple of 32), and the lowest score kept. */
export const DETECTOR = { package: "@vladmandic/face-api", inputSize: 320, scoreThreshold: 0.5 } as const;

/** The weight files of the detector inside the package's `model/` folder (197 kB). */
export const DETECTOR_FILES = ["tiny_face_detector_model-weights_manifest.json", "tiny_face_detector_model.bin"];

/** One face the detector found: its score and box, in the image's pixels. */
export interface Detection {
  score: number;
  box: Box;
}

/** What this project uses of face-api, once its TinyFaceDetector is loaded (node's build or the browser's). */
export interface FaceApi {
  TinyFaceDetectorOptions: new (o: { inputSize: number; scoreThreshold: number }) => unknown;
  detectAllFaces(input: Tensor3D, options: unknown): Promise<{ score: number; box: Box }[]>;
}

/**
 * The faces in an RGB image with values in [0, 1] (H×W×3), largest first: each box in the image's pixels.
 *
 * A photo larger than the detector's input is first resized (bilinear, aspect kept) so that its longer side is the
 * input size: face-api would pad the full photo to a square and normalise it before shrinking it to the same size,
 * and that padding and arithmetic on every pixel of a 640×480 frame took longer than the network itself (in node,
 * 73 of 195 ms in PadV2 for a 600×360 photo). The network sees the same pixels at the same scale either way.
 */
export async function detectFaces(
  api: FaceApi,
  image: Tensor3D,
  opts: Partial<typeof DETECTOR> = {},
): Promise<Detection[]> {
  const o = { ...DETECTOR, ...opts };
  const [h, w] = image.shape;
  const k = Math.min(1, o.inputSize / Math.max(h, w));
  const scaled = tf.tidy(() => {
    const small = k < 1 ? tf.image.resizeBilinear(image, [Math.round(h * k), Math.round(w * k)]) : image;
    return tf.mul(small, 255) as Tensor3D; // face-api's input is 0–255, as its image loaders give
  });
  try {
    const found = await api.detectAllFaces(
      scaled,
      new api.TinyFaceDetectorOptions({ inputSize: o.inputSize, scoreThreshold: o.scoreThreshold }),
    );
    const [sh, sw] = scaled.shape;
    const [ky, kx] = [h / sh, w / sw];
    return found
      .map((d) => ({
        score: d.score,
        box: { x: d.box.x * kx, y: d.box.y * ky, width: d.box.width * kx, height: d.box.height * ky },
      }))
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

/** One face of a photo: the detector's box and score, and the CK+48-like crop the model input is cut from. */
export interface PhotoFace {
  score: number;
  box: Box;
  crop: Box;
}

/**
 * The model inputs of crops of a photo (RGB in [0, 1], height × width × 3): each crop cut out with bilinear sampling,
 * made grey (ITU-R 601 luma, copied to the three channels, as CK+48's grey images are read) and resized to
 * size × size. Parts of a crop outside the photo are black.
 */
export function cutFaces(photo: Tensor3D, crops: readonly Box[], size = 48): Tensor4D {
  const [h, w] = photo.shape;
  return tf.tidy(() => {
    if (!crops.length) return tf.zeros([0, size, size, 3]) as Tensor4D;
    const boxes = crops.map((c) => [c.y / h, c.x / w, (c.y + c.height) / h, (c.x + c.width) / w]);
    const cut = tf.image.cropAndResize(
      tf.expandDims(photo, 0) as Tensor4D,
      tf.tensor2d(boxes, [crops.length, 4]),
      tf.tensor1d(
        crops.map(() => 0),
        "int32",
      ),
      [size, size],
      "bilinear",
    );
    const grey = tf.sum(tf.mul(cut, tf.tensor1d([0.299, 0.587, 0.114])), 3, true);
    return tf.tile(grey, [1, 1, 1, 3]) as Tensor4D;
  });
}

/** The faces of a photo (RGB in [0, 1], height × width × 3), largest first, and their model inputs ({@link cutFaces}). */
export async function photoFaces(
  api: FaceApi,
  photo: Tensor3D,
  fit: CropFit,
  size = 48,
): Promise<{ faces: PhotoFace[]; x: Tensor4D }> {
  const found = await detectFaces(api, photo);
  const faces = found.map((d) => ({ score: d.score, box: d.box, crop: cropFromBox(d.box, fit) }));
  return {
    faces,
    x: cutFaces(
      photo,
      faces.map((f) => f.crop),
      size,
    ),
  };
}

/** {@link photoFaces} with each face's model input read back as an array of its own (size × size × 3; the tensor freed). */
export async function photoFaceInputs(
  api: FaceApi,
  photo: Tensor3D,
  fit: CropFit,
  size = 48,
): Promise<{ faces: PhotoFace[]; inputs: Float32Array[] }> {
  const { faces, x } = await photoFaces(api, photo, fit, size);
  const all = (await x.data()) as Float32Array;
  x.dispose();
  const n = size * size * 3;
  return { faces, inputs: faces.map((_, k) => all.slice(k * n, (k + 1) * n)) };
}
