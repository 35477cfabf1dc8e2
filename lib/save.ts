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
import { loadJsonFile, readBounded, writeAtomic, writeError } from "./files";
import { z } from "zod";

/** Write `model` to `dir/model.json` + `dir/weights.bin`, replacing `dir` atomically. */
export async function saveModel(model: LayersModel, dir: string): Promise<void> {
  const parent = path.dirname(path.resolve(dir));
  makeDirs(parent);
  let tmp: string;
  try {
    tmp = fs.mkdtempSync(path.join(parent, `.${path.basename(dir)}.tmp-`));
  } catch (e) {
    throw writeError(dir, e);
  }
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
    throw writeError(dir, e);
  }
}

/** Bytes per stored weight value of a weights-manifest entry (its quantized dtype if any, else its dtype). */
function bytesPerValue(w: io.WeightsManifestEntry): number {
  const q = w.quantization?.dtype;
  if (q) return q === "uint8" ? 1 : 2;
  return w.dtype === "bool" ? 1 : 4;
}

/** The largest weights file a model of this project can need (ours is 348 kB; a variant's a few MB). */
const MAX_WEIGHTS_BYTES = 256 * 1024 * 1024;

/** A tfjs layers model.json, as far as loading it needs: a topology, and weight groups of files and entries. */
const MODEL_JSON_SCHEMA = z.object({
  modelTopology: z.record(z.string(), z.unknown()),
  weightsManifest: z.array(
    z.object({
      paths: z.array(
        z
          .string()
          .min(1)
          .refine((p) => !p.split(/[\\/]/).includes(".."), "a path outside the model folder"),
      ),
      weights: z.array(
        z
          .object({
            name: z.string(),
            shape: z.array(z.number().int().nonnegative()).max(8),
            dtype: z.enum(["float32", "int32", "bool", "string", "complex64"]),
          })
          .passthrough(),
      ),
    }),
  ),
});

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
  const json = loadJsonFile(jsonPath, MODEL_JSON_SCHEMA, "model", again);
  const base = path.dirname(jsonPath);
  const specs = json.weightsManifest.flatMap((g) => g.weights) as io.WeightsManifestEntry[];
  const buffers = json.weightsManifest.flatMap((g) =>
    g.paths.map((p) => {
      const f = path.join(base, p);
      if (!fs.existsSync(f)) throw new UserError(`weights file missing: ${f} (${again})`);
      return readBounded(f, "weights file", again, MAX_WEIGHTS_BYTES);
    }),
  );
  const all = Buffer.concat(buffers);
  const expected = specs.reduce((s, w) => s + bytesPerValue(w) * (w.shape ?? []).reduce((a, b) => a * b, 1), 0);
  if (all.byteLength !== expected) {
    const files = json.weightsManifest.flatMap((g) => g.paths).join(", ");
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
