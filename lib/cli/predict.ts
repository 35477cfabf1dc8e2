/**
 * `npm run predict`: the 7 class probabilities and the predicted class of each image (any size or colour type sharp
 * decodes; it is converted to RGB 48×48 in [0,1] as in training). Flags: the declaration {@link PREDICT} below.
 */
import * as path from "path";
import { CLASSES } from "../config";
import { PAPER_RUN, shown } from "../paths";
import { tf, activeBackend, initBackend, type Tensor } from "../tf";
import { decodeImage } from "../data/decode";
import type { PhotoFace } from "../detect/face";
import { facesInPhotos } from "../detect/load";
import { loadModel } from "../save";
import { argmax } from "../arrays";
import { defineCommand, defineCli, runCli, type Args } from "./args";
import { BACKEND_FLAG, ENV } from "./flags";

/** The flags of `npm run predict` (the one declaration: parser, --help, usage line and README table). */
export const PREDICT = defineCommand({
  name: "predict",
  summary: "Prints each image's 7 class probabilities and the predicted class.",
  details:
    "Any size or colour type sharp decodes is accepted (converted to RGB 48×48 in [0,1], as in training). With --detect, photos of people: each face found is cropped as CK+48 is (data/detect/crop-fit.json) and classified; a photo without one says no face found.",
  flags: {
    model: {
      type: "string",
      arg: "DIR",
      help: "a saved model folder (model.json + weights.bin)",
      defaultText: "data/runs/paper/model",
    },
    json: { type: "boolean", help: "print one JSON object instead of a table" },
    detect: {
      type: "boolean",
      help: "find the faces in each photo first (TinyFaceDetector), crop each as CK+48 is cropped, and classify every face",
    },
    backend: BACKEND_FLAG,
  },
  positionals: { name: "IMAGE", help: "image files", min: 1 },
  env: { FER_BACKEND: ENV.FER_BACKEND },
});

/** One image's prediction. */
export interface ImagePrediction {
  image: string;
  predicted: string;
  probabilities: Record<string, number>;
}

/** Predict the class probabilities of image files with a saved model (images are checked before the model loads). */
export async function predictFiles(modelDir: string, images: string[]): Promise<ImagePrediction[]> {
  const decoded = await Promise.all(images.map((f) => decodeImage(f)));
  const model = await loadModel(modelDir);
  const size = Math.round(Math.sqrt(decoded[0].length / 3));
  const x = tf.tensor4d(Float32Array.from(decoded.flatMap((d) => Array.from(d))), [decoded.length, size, size, 3]);
  const y = model.predict(x) as Tensor;
  const probs = y.arraySync() as number[][];
  tf.dispose([x, y]);
  model.dispose();
  return images.map((image, i) => ({
    image,
    predicted: CLASSES[argmax(probs[i])],
    probabilities: Object.fromEntries(CLASSES.map((c, j) => [c, probs[i][j]])),
  }));
}

/** One face found in a photo, and its prediction. */
export interface FacePrediction extends PhotoFace {
  predicted: string;
  probabilities: Record<string, number>;
}

/** Find and classify every face of each photo (`--detect`): largest face first, none for a photo without one. */
export async function predictFaces(
  modelDir: string,
  photos: string[],
): Promise<{ image: string; faces: FacePrediction[] }[]> {
  const found = await facesInPhotos(photos);
  const model = await loadModel(modelDir);
  const out = found.map((p) => {
    const x = tf.tensor4d(Float32Array.from(p.inputs.flatMap((i) => Array.from(i))), [p.inputs.length, 48, 48, 3]);
    const probs = p.inputs.length ? ((model.predict(x) as Tensor).arraySync() as number[][]) : [];
    x.dispose();
    return {
      image: p.image,
      faces: p.faces.map((f, k) => ({
        ...f,
        predicted: CLASSES[argmax(probs[k])],
        probabilities: Object.fromEntries(CLASSES.map((c, j) => [c, probs[k][j]])),
      })),
    };
  });
  model.dispose();
  return out;
}

async function predictDetected(a: Args<typeof PREDICT>, modelDir: string): Promise<void> {
  const results = await predictFaces(modelDir, a._);
  if (a.json) {
    console.log(JSON.stringify({ backend: activeBackend(), model: modelDir, photos: results }));
    return;
  }
  console.log(`predict: backend ${activeBackend()}, model ${shown(modelDir)}, faces found by TinyFaceDetector`);
  const px = (b: { x: number; y: number; width: number; height: number }) =>
    `${Math.round(b.width)}×${Math.round(b.height)} at ${Math.round(b.x)},${Math.round(b.y)}`;
  for (const r of results) {
    if (!r.faces.length) {
      console.log(`${path.basename(r.image)}: no face found`);
      continue;
    }
    r.faces.forEach((f, k) => {
      const top = CLASSES.map((c) => [c, f.probabilities[c]] as const).sort((u, v) => v[1] - u[1]);
      console.log(
        `${path.basename(r.image)} face ${k + 1} of ${r.faces.length} (crop ${px(f.crop)}, score ${f.score.toFixed(2)}): ${f.predicted} ${top[0][1].toFixed(4)}; then ${top[1][0]} ${top[1][1].toFixed(4)}, ${top[2][0]} ${top[2][1].toFixed(4)}`,
      );
    });
  }
}

async function predict(a: Args<typeof PREDICT>): Promise<void> {
  const modelDir = path.resolve(a.model ?? path.join(PAPER_RUN, "model"));
  if (a.detect) return predictDetected(a, modelDir);
  const results = await predictFiles(modelDir, a._);
  if (a.json) {
    console.log(JSON.stringify({ backend: activeBackend(), model: modelDir, predictions: results }));
    return;
  }
  console.log(`predict: backend ${activeBackend()}, model ${shown(modelDir)}`);
  const head = ["image".padEnd(24), ...CLASSES.map((c) => c.slice(0, 8).padStart(9)), "  predicted"].join("");
  console.log(head);
  for (const r of results) {
    console.log(
      [
        path.basename(r.image).slice(0, 23).padEnd(24),
        ...CLASSES.map((c) => r.probabilities[c].toFixed(4).padStart(9)),
        `  ${r.predicted}`,
      ].join(""),
    );
  }
}

export const predictCommand = defineCli(PREDICT, predict, { initBackend });

if (require.main === module) runCli(predictCommand);
