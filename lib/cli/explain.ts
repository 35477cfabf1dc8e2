/**
 * `npm run explain`: what the network looks at (lib/explain/). For images: an overlay PNG per image (the face as the
 * model sees it, the map over it, the predicted probabilities). With `--regions DIR`: the contribution of each facial
 * region over the runs (with models) of a study folder, written as JSON. Flags: the declaration {@link EXPLAIN} below.
 */
import * as fs from "fs";
import * as path from "path";
import { CLASSES } from "../config";
import { checkOutputDir, DATA, PAPER_RUN, ROOT, makeDirs, resolveDataDir, shown } from "../paths";
import { UserError } from "../errors";
import { tf, activeBackend, initBackend } from "../tf";
import { decodeImage } from "../data/decode";
import { facesInPhotos } from "../detect/load";
import { loadModel } from "../save";
import { writeAtomic } from "../files";
import { loadStudyRuns } from "../study";
import { isCvSplit } from "../split";
import { argmax } from "../arrays";
import { gradCam, occlusion, probabilities, saliency, smoothGrad } from "../explain/attribution";
import { overlay } from "../explain/overlay";
import { regionStudy } from "../explain/region-study";
import { imageGrid, rgbPicture } from "../display/pictures";
import { defineCommand, defineCli, runCli, type Args } from "./args";
import { BACKEND_FLAG, DATA_FLAG, ENV } from "./flags";

export const METHODS = ["saliency", "smoothgrad", "gradcam", "occlusion"] as const;

/** The flags of `npm run explain` (the one declaration: parser, --help, usage line and README table). */
export const EXPLAIN = defineCommand({
  name: "explain",
  summary:
    "Writes an overlay PNG per image (the 48×48 face the model sees, the map of --method over it, the 7 probabilities) and prints where it went.",
  details:
    "Any image predict accepts; with --detect, photos of people: every face found is cropped as CK+48 is and explained (NAME-faceK-METHOD.png). With `--regions DIR` instead: occludes each facial region in the test images of every run with a model in DIR (`npm run study -- --keep-models`) and writes the class × region table over seeds.",
  flags: {
    model: {
      type: "string",
      arg: "DIR",
      help: "the model folder (tfjs layers format)",
      defaultText: "data/runs/paper/model",
    },
    method: {
      type: "choice",
      choices: METHODS,
      default: "gradcam",
      help: "saliency (|∂p/∂x|), smoothgrad (its average over noisy copies), gradcam (conv3), occlusion (8×8 patches, mean-grey fill)",
    },
    class: { type: "choice", choices: CLASSES, help: "the class to explain", defaultText: "the predicted class" },
    out: {
      type: "string",
      arg: "DIR",
      help: "where the PNGs go (with --regions: the JSON file)",
      defaultText: "out/explain (--regions: data/runs/explain/regions.json)",
    },
    regions: {
      type: "string",
      arg: "DIR",
      help: "a study folder whose runs have models: the region analysis instead of images",
    },
    detect: {
      type: "boolean",
      help: "find the faces in each photo first (TinyFaceDetector), crop each as CK+48 is cropped, and explain every face",
    },
    data: { ...DATA_FLAG, help: "the CK+48 folder (for --regions)" },
    backend: BACKEND_FLAG,
  },
  positionals: { name: "IMAGE", help: "image files", min: 0 },
  env: ENV,
});

async function regions(a: Args<typeof EXPLAIN>): Promise<void> {
  const dir = path.resolve(a.regions!);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory())
    throw new UserError(
      `--regions ${shown(dir)}: not a folder (give a study folder made with npm run study -- --keep-models)`,
    );
  const out = path.resolve(a.out ?? path.join(DATA, "runs", "explain", "regions.json"));
  checkOutputDir(path.dirname(out), "--out");
  const runs = loadStudyRuns(dir)
    .filter((r) => !isCvSplit(r.job.split) && fs.existsSync(path.join(dir, r.job.dir, "model", "model.json")))
    .map((r) => ({ seed: r.job.seed, dir: path.join(dir, r.job.dir) }));
  if (!runs.length)
    throw new UserError(
      `--regions ${shown(dir)}: no run with a model (make them with npm run study -- --keep-models --out ${shown(dir)})`,
    );
  const summary = await regionStudy(runs, resolveDataDir(a.data), (l) => console.log(l));
  makeDirs(path.dirname(out));
  writeAtomic(out, JSON.stringify(summary, null, 1) + "\n");
  console.log(`explain: wrote ${shown(out)} (${runs.length} runs, ${summary.regions.length} regions)`);
}

async function images(a: Args<typeof EXPLAIN>): Promise<void> {
  if (!a._.length)
    throw new UserError("no image given (npm run explain -- [--method gradcam] IMAGE...; --help lists the flags)");
  const modelDir = path.resolve(a.model ?? path.join(PAPER_RUN, "model"));
  const out = path.resolve(a.out ?? path.join(ROOT, "out", "explain"));
  checkOutputDir(out, "--out");
  const stem = (f: string) => path.basename(f).replace(/\.[^.]+$/, "");
  const names = new Map<string, string>();
  for (const f of a._) {
    const name = stem(f);
    const first = names.get(name);
    if (first !== undefined)
      throw new UserError(
        `${first} and ${f} would both write ${name}-${a.method}.png: give images with different names, or one --out per folder`,
      );
    names.set(name, f);
  }
  // What is explained: each image as it is, or with --detect each face found in it (every file is checked first).
  const items: { title: string; stem: string; input: Float32Array }[] = [];
  if (a.detect) {
    for (const p of await facesInPhotos(a._.map((f) => path.resolve(f)))) {
      const name = path.basename(p.image);
      if (!p.faces.length) console.log(`${name}: no face found`);
      p.faces.forEach((f, k) =>
        items.push({
          title: `${name}, face ${k + 1} of ${p.faces.length} (crop ${Math.round(f.crop.width)} px at ${Math.round(f.crop.x)}, ${Math.round(f.crop.y)})`,
          stem: `${stem(p.image)}-face${k + 1}`,
          input: p.inputs[k],
        }),
      );
    }
  } else {
    for (const f of a._)
      items.push({ title: path.basename(f), stem: stem(f), input: await decodeImage(path.resolve(f)) });
  }
  if (!items.length) return;
  const decoded = items.map((i) => i.input);
  const model = await loadModel(modelDir);
  const size = Math.round(Math.sqrt(decoded[0].length / 3));
  const x = tf.tensor4d(Float32Array.from(decoded.flatMap((d) => Array.from(d))), [decoded.length, size, size, 3]);
  const probs = probabilities(model, x);
  const classes = probs.map((p) => (a.class ? CLASSES.indexOf(a.class) : argmax(p)));
  const maps =
    a.method === "saliency"
      ? saliency(model, x, classes)
      : a.method === "smoothgrad"
        ? smoothGrad(model, x, classes, { seed: 0 })
        : a.method === "occlusion"
          ? occlusion(model, x, classes, { fill: 0.5 })
          : gradCam(model, x, classes);
  console.log(`explain: backend ${activeBackend()}, model ${shown(modelDir)}, method ${a.method}`);
  makeDirs(out);
  for (let i = 0; i < decoded.length; i++) {
    const top = probs[i]
      .map((p, k) => [p, k] as const)
      .sort((u, v) => v[0] - u[0])
      .slice(0, 3);
    const cells = [
      { picture: rgbPicture(decoded[i], size), caption: ["as the model sees it", `${size}×${size}, RGB in [0, 1]`] },
      {
        picture: overlay(decoded[i], maps[i], size),
        caption: [
          `${a.method}: ${CLASSES[classes[i]]}`,
          top.map(([p, k]) => `${CLASSES[k]} ${p.toFixed(2)}`).join(", "),
        ],
      },
    ];
    const png = await imageGrid(cells, { scale: 4, minCellWidth: 220, title: items[i].title });
    const file = path.join(out, `${items[i].stem}-${a.method}.png`);
    writeAtomic(file, png);
    console.log(`${shown(file)}  predicted ${CLASSES[argmax(probs[i])]} (${Math.max(...probs[i]).toFixed(2)})`);
  }
  x.dispose();
  model.dispose();
}

async function explain(a: Args<typeof EXPLAIN>): Promise<void> {
  if (a.regions !== undefined) {
    if (a._.length || a.detect)
      throw new UserError(
        `--regions takes no ${a.detect ? "--detect" : "images"}: it explains the test images of every run in its folder`,
      );
    return regions(a);
  }
  return images(a);
}

export const explainCommand = defineCli(EXPLAIN, explain, { initBackend });

if (require.main === module) runCli(explainCommand);
