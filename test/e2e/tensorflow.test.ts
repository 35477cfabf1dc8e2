/**
 * The tensorflow backend for real: @tensorflow/tfjs-node with its binding built offline against the TensorFlow wheel's
 * libtensorflow (scripts/tfjs-node-from-wheel.sh; CI runs it, then this file). predict gives cpu-fast's classes and
 * probabilities within 1e-4, a quick protocol runs on it and records it, and the augmentation's batched warp on it
 * matches the stock cpu backend's. Skipped, saying why, where the binding does not load.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { makeFakeCk48, realCk48 } from "../fixtures/ck48";
import { run } from "../helpers/cli";
import { tfjsNodeLoads } from "../helpers/tfjs-node";
import { spawnSync } from "child_process";
import { ROOT } from "../../lib/paths";

interface Predicted {
  backend: string;
  predictions: { image: string; predicted: string; probabilities: Record<string, number> }[];
}

describe("the tensorflow backend (tfjs-node on the TensorFlow wheel's libtensorflow)", function () {
  this.timeout(600_000);
  let fake: string;
  before(async function () {
    if (!tfjsNodeLoads()) {
      console.log(
        "      (skipped: @tensorflow/tfjs-node does not load; bash scripts/tfjs-node-from-wheel.sh builds it)",
      );
      return this.skip();
    }
    fake = await makeFakeCk48(6);
  });
  after(() => fake && fs.rmSync(fake, { recursive: true, force: true }));

  it("predict: the same class and probabilities within 1e-4 of cpu-fast", () => {
    const dir = realCk48() ?? fake;
    const images = fs
      .readdirSync(dir)
      .filter((c) => fs.statSync(path.join(dir, c)).isDirectory())
      .flatMap((c) =>
        fs
          .readdirSync(path.join(dir, c))
          .sort()
          .slice(0, 2)
          .map((f) => path.join(dir, c, f)),
      );
    const predict = (backend: string) => {
      const r = run("predict", ["--backend", backend, "--json", ...images]);
      expect(r.code, r.err).to.equal(0);
      return JSON.parse(r.out) as Predicted;
    };
    const fast = predict("cpu-fast");
    const tfn = predict("tensorflow");
    expect(tfn.backend).to.equal("tensorflow");
    expect(tfn.predictions).to.have.length(images.length);
    let max = 0;
    tfn.predictions.forEach((p, i) => {
      expect(p.predicted, p.image).to.equal(fast.predictions[i].predicted);
      for (const [c, v] of Object.entries(p.probabilities))
        max = Math.max(max, Math.abs(v - fast.predictions[i].probabilities[c]));
    });
    expect(max).to.be.below(1e-4);
  });

  it("a quick protocol runs on it, and its run record says so", () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "fer-tf-run-"));
    try {
      const r = run("reproduce", ["--backend", "tensorflow", "--quick", "--data", fake, "--no-verify", "--out", out]);
      expect(r.code, r.err).to.equal(0);
      const rec = JSON.parse(fs.readFileSync(path.join(out, "run.json"), "utf8"));
      expect(rec.backend).to.equal("tensorflow");
      expect(rec.test.accuracy).to.be.within(0, 1);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  it("the augmentation's batched warp matches the stock cpu backend's per-image warps", () => {
    const r = spawnSync(
      process.execPath,
      ["--import", "tsx", path.join(ROOT, "test", "helpers", "tensorflow-warp.ts")],
      {
        cwd: ROOT,
        encoding: "utf8",
      },
    );
    expect(r.status, r.stderr).to.equal(0);
    const w = JSON.parse(r.stdout.trim().split("\n").pop()!) as { backend: string; max: number; nonzero: number };
    expect(w.backend).to.equal("tensorflow");
    expect(w.nonzero).to.be.greaterThan(0);
    expect(w.max).to.be.below(1e-5);
  });

  it("the bench times it as a peer: its epochs beside cpu-fast's, in the same run", () => {
    const r = run("bench", [
      "--random",
      "--images",
      "64",
      "--epochs",
      "1",
      "--stock-steps",
      "0",
      "--compare-tensorflow",
      "--json",
    ]);
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.match(/^tensorflow +\d+\.\d+ +\d+ +\(tfjs-node on libtensorflow 2\.\d+/m);
    const json = JSON.parse(r.out.trim().split("\n").pop()!) as { tensorflow: { ratio: number; epochSeconds: number } };
    expect(json.tensorflow.epochSeconds).to.be.greaterThan(0);
    expect(json.tensorflow.ratio).to.be.greaterThan(0);
  });
});
