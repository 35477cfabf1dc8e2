/**
 * `npm run predict`: the 7 class probabilities and the predicted class of each image (any size or colour type sharp
 * decodes; it is converted to RGB 48×48 in [0,1] as in training). Flags: the declaration {@link PREDICT} below.
 */
import * as path from "path";
import { CLASSES } from "../config";
import { PAPER_RUN, shown } from "../paths";
import { tf, activeBackend, initBackend, type Tensor } from "../tf";
import { decodeImage } from "../data/decode";
import { loadModel } from "../save";
import { argmax } from "../arrays";
import { defineCommand, defineCli, runCli, type Args } from "./args";
import { BACKEND_FLAG, ENV } from "./flags";

/** The flags of `npm run predict` (the one declaration: parser, --help, usage line and README table). */
export const PREDICT = defineCommand({
  name: "predict",
  summary: "Prints each image's 7 class probabilities and the predicted class.",
  details: "Any size or colour type sharp decodes is accepted (converted to RGB 48×48 in [0,1], as in training).",
  flags: {
    model: {
      type: "string",
      arg: "DIR",
      help: "a saved model folder (model.json + weights.bin)",
      defaultText: "data/runs/paper/model",
    },
    json: { type: "boolean", help: "print one JSON object instead of a table" },
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

async function predict(a: Args<typeof PREDICT>): Promise<void> {
  const modelDir = path.resolve(a.model ?? path.join(PAPER_RUN, "model"));
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
