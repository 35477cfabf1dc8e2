/**
 * Saving and loading the best model (Section 3: "checkpoint of the best weights") in tfjs layers format:
 * `model.json` + `weights.bin`. The `file://` IO handler exists only with tfjs-node, so we write through
 * `tf.io.withSaveHandler` ourselves, atomically (a temp folder renamed into place), and read with `tf.io.fromMemory`.
 */
import * as fs from "fs";
import * as path from "path";
import { tf } from "./tf";
import { UserError } from "./errors";
import type { LayersModel } from "@tensorflow/tfjs";
import { runRecordJson, type RunRecord } from "./record";

/** Write `model` to `dir/model.json` + `dir/weights.bin`, replacing `dir` atomically. */
export async function saveModel(model: LayersModel, dir: string): Promise<void> {
  const parent = path.dirname(path.resolve(dir));
  fs.mkdirSync(parent, { recursive: true });
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

/** Load a model saved by saveModel (or by tfjs-node's `file://` handler) from a folder or its model.json. */
export async function loadModel(dirOrJson: string): Promise<LayersModel> {
  const jsonPath = dirOrJson.endsWith(".json") ? dirOrJson : path.join(dirOrJson, "model.json");
  if (!fs.existsSync(jsonPath)) {
    throw new UserError(`no model at ${dirOrJson} (expected ${jsonPath}; make one with npm run reproduce)`);
  }
  let json: { modelTopology: object; weightsManifest: { paths: string[]; weights: import("@tensorflow/tfjs").io.WeightsManifestEntry[] }[] };
  try {
    json = JSON.parse(fs.readFileSync(jsonPath, "utf8"));
  } catch (e) {
    throw new UserError(`${jsonPath} is not valid JSON: ${(e as Error).message}`);
  }
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) throw new UserError(`${jsonPath} is not a tfjs layers model`);
  const base = path.dirname(jsonPath);
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const buffers = json.weightsManifest.flatMap((g) =>
    g.paths.map((p) => {
      const f = path.join(base, p);
      if (!fs.existsSync(f)) throw new UserError(`weights file missing: ${f}`);
      return fs.readFileSync(f);
    }),
  );
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData }));
}

/** Write a file atomically: a temp file in the same folder, then rename (nothing half-written is ever seen). */
export function writeAtomic(file: string, data: string | Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

/** Save a run: `dir/model/` (saveModel) and then `dir/run.json`, each written atomically. Returns run.json's path. */
export async function saveRun(dir: string, record: RunRecord, model: LayersModel): Promise<string> {
  await saveModel(model, path.join(dir, "model"));
  const file = path.join(dir, "run.json");
  writeAtomic(file, runRecordJson(record));
  return file;
}
