/**
 * The reference for lib/peers/models.ts humanInput: @vladmandic/human's own pipeline (its Node build, detection,
 * face crop and emotion step) on CK+48 faces, beside our preprocessing and our load of its emotion model on the very
 * crop Human handed its emotion step. Run as a child process (test/e2e/peers.test.ts) because Human sets global
 * TensorFlow.js flags and registers kernels, which must not leak into the test process.
 *
 * Prints one JSON line per image: Human's emotions ({score, emotion}, its 2-decimal truncation, above its 0.1
 * cut-off) and ours on the same crop, read the same way.
 */
import * as fs from "fs";
import * as path from "path";
import { createRequire } from "module";
import sharp from "sharp";
import { initBackend, tf, type Tensor, type Tensor4D } from "../../lib/tf";
import { loadPeer, packageDir, PEERS } from "../../lib/peers/models";
import { ROOT } from "../../lib/paths";

interface HumanFace {
  tensor?: Tensor;
  emotion?: { score: number; emotion: string }[];
}
interface HumanApi {
  Human: new (config: object) => {
    load(): Promise<void>;
    detect(input: Tensor): Promise<{ face: HumanFace[] }>;
  };
}

async function main(files: string[]): Promise<void> {
  initBackend("cpu");
  const dir = packageDir(PEERS["human-emotion"].package);
  // Human fetches its models by URL; Node's fetch has no file://, so its model folder is served from memory.
  const realFetch = globalThis.fetch;
  globalThis.fetch = (async (url: string | URL | Request, init?: RequestInit) => {
    const u = String(url);
    if (u.startsWith("pkg:/")) return new Response(fs.readFileSync(path.join(dir, "models", u.slice(5))));
    return realFetch(url, init);
  }) as typeof fetch;
  const req = createRequire(path.join(ROOT, "package.json"));
  const { Human } = req(path.join(dir, "dist", "human.node-wasm.js")) as HumanApi;
  const off = { enabled: false };
  const human = new Human({
    backend: "cpu",
    modelBasePath: "pkg:/",
    warmup: "none",
    debug: false,
    body: off,
    hand: off,
    object: off,
    gesture: off,
    segmentation: off,
    face: { detector: { return: true, rotation: false }, description: off, iris: off, antispoof: off, liveness: off },
  });
  await human.load();
  const ours = await loadPeer("human-emotion");
  const outputs = PEERS["human-emotion"].outputs;
  for (const file of files) {
    // A CK+48 crop is the face alone; Human's detector wants some margin around it, so the crop is upscaled and padded.
    const { data, info } = await sharp(file)
      .removeAlpha()
      .toColourspace("srgb")
      .resize(96, 96)
      .extend({ top: 48, bottom: 48, left: 48, right: 48, background: "#000000" })
      .raw()
      .toBuffer({ resolveWithObject: true });
    const input = tf.tensor4d(new Int32Array(data), [1, info.height, info.width, info.channels], "int32");
    const result = await human.detect(input);
    const face = result.face[0];
    if (!face?.tensor) {
      console.log(JSON.stringify({ file, detected: false }));
      continue;
    }
    const crop = (face.tensor.rank === 3 ? tf.expandDims(face.tensor, 0) : face.tensor) as Tensor4D;
    const probs = (await ours.predict(crop))[0];
    const mine = probs
      .map((p, k) => ({ score: Math.min(0.99, Math.trunc(100 * p) / 100), emotion: outputs[k], p }))
      .filter((e) => e.p > 0.1)
      .sort((a, b) => b.score - a.score);
    const [lo, hi] = [crop.min().dataSync()[0], crop.max().dataSync()[0]];
    console.log(
      JSON.stringify({ file, detected: true, shape: crop.shape, range: [lo, hi], human: face.emotion, ours: mine }),
    );
    tf.dispose([input, crop]);
  }
}

void main(process.argv.slice(2));
