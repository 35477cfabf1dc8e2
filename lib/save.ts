/**
 * Saving and loading the best model (Section 2.3: "checkpoint of the best weights") in tfjs layers format:
 * `model.json` + `weights.bin`. The `file://` IO handler exists only with tfjs-node, so we write through
 * `tf.io.withSaveHandler` ourselves, atomically (a temp folder renamed into place), and read with `tf.io.fromMemory`.
 */
import * as fs from "fs";
import * as path from "path";
import { tf } from "./tf";
import { UserError } from "./errors";
import { makeDirs, shown } from "./paths";
import { NUM_CLASSES, PAPER } from "./config";
import type { LayersModel, io } from "@tensorflow/tfjs";
import { runRecordJson, type RunRecord } from "./record";
import { writeAtomic } from "./files";

/** Write `model` to `dir/model.json` + `dir/weights.bin`, replacing `dir` atomically. */
export async function saveModel(model: LayersModel, dir: string): Promise<void> {
  const parent = path.dirname(path.resolve(dir));
  makeDirs(parent);
  const tmp = fs.mkdtempSync(path.join(parent, `.${path.basename(dir)}.tmp-`));
  try {
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        const weightData = artifacts.weightData as ArrayBuffer;
        const json = {
          modelTopology: artifacts.modelTopology,
          format: "layers-model",
          generatedBy: artifacts.generatedBy,
          convertedBy: null,
          weightsManifest: [{ paths: ["weights.bin"], weights: artifacts.weightSpecs }],
        };
        fs.writeFileSync(path.join(tmp, "model.json"), JSON.stringify(json));
        fs.writeFileSync(path.join(tmp, "weights.bin"), Buffer.from(weightData));
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
      }),
    );
    fs.chmodSync(tmp, 0o755); // mkdtemp makes it private; a saved model is an ordinary folder
    const old = fs.existsSync(dir) ? `${tmp}-old` : undefined;
    if (old) fs.renameSync(dir, old);
    fs.renameSync(tmp, dir);
    if (old) fs.rmSync(old, { recursive: true, force: true });
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** Bytes per stored weight value of a weights-manifest entry (its quantized dtype if any, else its dtype). */
function bytesPerValue(w: io.WeightsManifestEntry): number {
  const q = w.quantization?.dtype;
  if (q) return q === "uint8" ? 1 : 2;
  return w.dtype === "bool" ? 1 : 4;
}

/**
 * Load a model saved by saveModel (or by tfjs-node's `file://` handler) from a folder or its model.json. A missing,
 * corrupt or truncated model, or one that does not map a 48×48×3 image to the 7 classes, is a UserError that names
 * the file and says what to do.
 */
export async function loadModel(dirOrJson: string): Promise<LayersModel> {
  const jsonPath = dirOrJson.endsWith(".json") ? dirOrJson : path.join(dirOrJson, "model.json");
  const again = "save it again with npm run reproduce, or copy the model folder again";
  if (!dirOrJson.endsWith(".json") && fs.existsSync(dirOrJson) && !fs.statSync(dirOrJson).isDirectory()) {
    throw new UserError(
      `${shown(dirOrJson)} is a file, not a model folder: give the folder that holds model.json and weights.bin`,
    );
  }
  if (!fs.existsSync(jsonPath)) {
    throw new UserError(`no model at ${dirOrJson} (expected ${jsonPath}; make one with npm run reproduce)`);
  }
  let json: {
    modelTopology: object;
    weightsManifest: { paths: string[]; weights: io.WeightsManifestEntry[] }[];
  };
  try {
    json = JSON.parse(fs.readFileSync(jsonPath, "utf8"));
  } catch (e) {
    throw new UserError(`${jsonPath} is not valid JSON (${(e as Error).message.split("\n")[0]}): ${again}`);
  }
  if (!json || !json.modelTopology || !Array.isArray(json.weightsManifest))
    throw new UserError(`${jsonPath} is not a tfjs layers model (no modelTopology or weightsManifest): ${again}`);
  const base = path.dirname(jsonPath);
  const specs = json.weightsManifest.flatMap((g) => g.weights ?? []);
  const buffers = json.weightsManifest.flatMap((g) =>
    (g.paths ?? []).map((p) => {
      const f = path.join(base, p);
      if (!fs.existsSync(f)) throw new UserError(`weights file missing: ${f} (${again})`);
      return fs.readFileSync(f);
    }),
  );
  const all = Buffer.concat(buffers);
  const expected = specs.reduce((s, w) => s + bytesPerValue(w) * (w.shape ?? []).reduce((a, b) => a * b, 1), 0);
  if (all.byteLength !== expected) {
    const files = json.weightsManifest.flatMap((g) => g.paths ?? []).join(", ");
    throw new UserError(
      `${path.join(base, files)} holds ${all.byteLength} bytes but ${shown(jsonPath)} describes ${expected}: the weights are truncated or from another model; ${again}`,
    );
  }
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  let model: LayersModel;
  try {
    model = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData }),
    );
  } catch (e) {
    throw new UserError(
      `cannot build the model of ${shown(jsonPath)} (${(e as Error).message.split("\n")[0]}): ${again}`,
    );
  }
  const input = (model.inputs[0]?.shape ?? []).slice(1).join("×");
  const output = model.outputs.length === 1 ? model.outputs[0].shape[model.outputs[0].shape.length - 1] : undefined;
  const want = `${PAPER.imageSize}×${PAPER.imageSize}×${PAPER.channels}`;
  if (input !== want || output !== NUM_CLASSES) {
    const outputs = model.outputs.map((o) => o.shape[o.shape.length - 1]).join("+");
    model.dispose();
    throw new UserError(
      `${shown(jsonPath)} maps ${input || "?"} inputs to ${outputs} outputs, not ${want} images to the ${NUM_CLASSES} classes: give a model made by npm run reproduce`,
    );
  }
  return model;
}

/** Save a run: `dir/model/` (saveModel) and then `dir/run.json`, each written atomically. Returns run.json's path. */
export async function saveRun(dir: string, record: RunRecord, model: LayersModel): Promise<string> {
  await saveModel(model, path.join(dir, "model"));
  const file = path.join(dir, "run.json");
  writeAtomic(file, runRecordJson(record));
  return file;
}
