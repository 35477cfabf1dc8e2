/**
 * lib/save.ts: the best model in tfjs layers format, written atomically, read back with the same predictions.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { saveModel, loadModel } from "../lib/save";
import { createModel } from "../lib/model";
import fc from "fast-check";
import { tf } from "../lib/tf";
import { mutate, mutation } from "./helpers/mutate";
import { settleAsync } from "./helpers/outcome";
import type { Tensor } from "@tensorflow/tfjs";

describe("saving the best model (tfjs layers format)", () => {
  it("reloaded model gives the same predictions; nothing temporary is left", async () => {
    const m = createModel(7);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "fer-save-"));
    const dir = path.join(out, "model");
    await saveModel(m, dir);
    await saveModel(m, dir); // replacing an existing model works too
    expect(fs.readdirSync(out)).to.deep.equal(["model"]);
    expect(fs.readdirSync(dir).sort()).to.deep.equal(["model.json", "weights.bin"]);
    const json = JSON.parse(fs.readFileSync(path.join(dir, "model.json"), "utf8"));
    expect(json.weightsManifest[0].paths).to.deep.equal(["weights.bin"]);
    expect(fs.statSync(path.join(dir, "weights.bin")).size).to.equal(86911 * 4);
    const loaded = await loadModel(dir);
    const x = tf.randomUniform([3, 48, 48, 3], 0, 1, "float32", 2);
    const a = m.predict(x) as Tensor,
      b = loaded.predict(x) as Tensor;
    expect(Array.from(b.dataSync())).to.deep.equal(Array.from(a.dataSync()));
    tf.dispose([x, a, b]);
    m.dispose();
    loaded.dispose();
    fs.rmSync(out, { recursive: true, force: true });
  });

  it("a missing model folder is a one-line user error", async () => {
    let err: Error | undefined;
    await loadModel("/nonexistent/model").catch((e) => (err = e));
    expect(err?.name).to.equal("UserError");
    expect(err?.message).to.match(/no model at \/nonexistent\/model/);
  });
});

describe("loading a model: random damage (fast-check)", function () {
  this.timeout(300_000);
  it("every mutation of model.json, and of weights.bin's length, gives a model or a one-line user error", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fer-fuzz-model-"));
    const m = createModel(0);
    await saveModel(m, dir);
    m.dispose();
    const json = fs.readFileSync(path.join(dir, "model.json"), "utf8");
    const weights = fs.readFileSync(path.join(dir, "weights.bin"));
    const seen = new Set<string>();
    try {
      await fc.assert(
        fc.asyncProperty(mutation, fc.nat(), async (mu, cut) => {
          fs.writeFileSync(path.join(dir, "model.json"), mutate(json, mu));
          fs.writeFileSync(
            path.join(dir, "weights.bin"),
            cut % 4 ? weights : weights.subarray(0, cut % weights.length),
          );
          seen.add(
            await settleAsync(async () => {
              const loaded = await loadModel(dir);
              loaded.dispose();
            }),
          );
        }),
        { numRuns: 80, seed: 24 },
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect([...seen]).to.include("user error");
  });
});
