/**
 * `npm run predict -- [--model DIR] [--json] IMAGE...`: the 7 class probabilities and the predicted class of each
 * image (any size or colour type sharp decodes; it is converted to RGB 48×48 in [0,1] as in training).
 */
import "./guard";
import * as path from "path";
import { tf, backendName } from "../tf";
import { CLASSES } from "../config";
import { decodeImage } from "../data";
import { loadModel } from "../save";
import { PAPER_RUN } from "../paths";
import { argmax } from "../evaluate";
import { runCommand, UserError } from "../errors";
import { parse } from "./args";

export interface ImagePrediction {
  image: string;
  predicted: string;
  probabilities: Record<string, number>;
}

/** Predict the class probabilities of image files with a saved model. */
export async function predictFiles(modelDir: string, images: string[]): Promise<ImagePrediction[]> {
  const decoded = await Promise.all(images.map((f) => decodeImage(f)));
  const model = await loadModel(modelDir);
  const size = Math.round(Math.sqrt(decoded[0].length / 3));
  const x = tf.tensor4d(Float32Array.from(decoded.flatMap((d) => Array.from(d))), [decoded.length, size, size, 3]);
  const y = model.predict(x) as import("@tensorflow/tfjs").Tensor;
  const probs = y.arraySync() as number[][];
  tf.dispose([x, y]);
  model.dispose();
  return images.map((image, i) => ({
    image,
    predicted: CLASSES[argmax(probs[i])],
    probabilities: Object.fromEntries(CLASSES.map((c, j) => [c, probs[i][j]])),
  }));
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { model: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean" } }, true);
  if (values.help) {
    console.log("usage: npm run predict -- [--model DIR] [--json] IMAGE...");
    return;
  }
  if (positionals.length === 0) throw new UserError("no image given (usage: npm run predict -- [--model DIR] [--json] IMAGE...)");
  const modelDir = path.resolve(values.model ?? path.join(PAPER_RUN, "model"));
  const results = await predictFiles(modelDir, positionals);
  if (values.json) {
    console.log(JSON.stringify({ backend: backendName(), model: modelDir, predictions: results }));
    return;
  }
  console.log(`predict: backend ${backendName()}, model ${path.relative(process.cwd(), modelDir) || modelDir}`);
  const head = ["image".padEnd(24), ...CLASSES.map((c) => c.slice(0, 8).padStart(9)), "  predicted"].join("");
  console.log(head);
  for (const r of results) {
    console.log([path.basename(r.image).slice(0, 23).padEnd(24), ...CLASSES.map((c) => r.probabilities[c].toFixed(4).padStart(9)), `  ${r.predicted}`].join(""));
  }
}

if (require.main === module) runCommand("predict", () => main(process.argv.slice(2)));
