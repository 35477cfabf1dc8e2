/**
 * The pretrained expression models a JavaScript developer would pick from npm instead of training one, run on CK+48
 * (notebook 06, `npm run peers`, figures/peers.md). Both ship their weights inside their npm package, both are MIT
 * and on TensorFlow.js 4.22. Human is a dev dependency, used only for this comparison; face-api is a dependency, as its
 * TinyFaceDetector finds the faces of `predict --detect` and of the live demo (lib/detect/).
 *
 * - `@vladmandic/human`'s `emotion` model: oarriaga's mini-Xception trained on FER2013 only, so it has never seen a
 *   CK+ face: a cross-data-set peer. Its graph model runs here on our own TensorFlow.js, and {@link humanInput} is
 *   the package's preprocessing (src/gear/emotion.ts), tested against the package's own pipeline.
 * - `@vladmandic/face-api`'s `faceExpressionNet`: its author's training data included most of CK+, so it has
 *   probably seen these very faces: a reference, never a fair peer. It runs through the package's own network code
 *   (its layers are hand-written, not a graph model), which does its own resizing and normalisation;
 *   {@link faceApiInput} writes that out so the notebook can show it, and a test holds it to the package's code.
 */
import * as fs from "fs";
import * as path from "path";
import { createRequire } from "module";
import { tf, type Tensor4D, type Tensor2D } from "../tf";
import type { WeightsManifestEntry } from "@tensorflow/tfjs-core/dist/io/types";
import { ROOT } from "../paths";
import { UserError } from "../errors";

/** One pretrained model: where it comes from, what it was trained on, what it takes and what it answers. */
export interface Peer {
  /** Our name for it. */
  name: PeerName;
  /** The npm package and the version this comparison was made with (package.json pins it). */
  package: string;
  version: string;
  /** The model's files inside the package. */
  model: string;
  /** Its output classes, in the order of its output vector. */
  outputs: readonly string[];
  /** What it is fed, as the package's own code prepares it. */
  input: string;
  /** What it was trained on, and whether it has probably seen CK+ faces. */
  trainedOn: string;
  seenCk: boolean;
  /** How to read its numbers beside ours. */
  role: string;
}

export const PEER_NAMES = ["human-emotion", "face-api-expression"] as const;
export type PeerName = (typeof PEER_NAMES)[number];

export const PEERS: Record<PeerName, Peer> = {
  "human-emotion": {
    name: "human-emotion",
    package: "@vladmandic/human",
    version: "3.3.6",
    model: "models/emotion.json",
    outputs: ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"],
    input: "64×64 grey (0.2989 R + 0.5870 G + 0.1140 B), bilinear resize, scaled to [−1, 1]",
    trainedOn: "FER2013 only (oarriaga/face_classification's mini-Xception)",
    seenCk: false,
    role: "a cross-data-set peer: it has never seen a CK+ face",
  },
  "face-api-expression": {
    name: "face-api-expression",
    package: "@vladmandic/face-api",
    version: "1.7.15",
    model: "model/face_expression_model-weights_manifest.json",
    outputs: ["neutral", "happy", "sad", "angry", "fearful", "disgusted", "surprised"],
    input: "112×112 RGB, bilinear resize, minus the mean colour (122.782, 117.001, 104.298), divided by 255",
    trainedOn: "its author's mix of face data sets, which put about 70 % of CK+ into training",
    seenCk: true,
    role: "a reference that has probably seen these faces, never a fair peer",
  },
};

/** Each peer output that has a CK+48 class, by our class name; "neutral" has none (and contempt has no output). */
export const OUTPUT_CLASS: Record<string, string | null> = {
  angry: "anger",
  disgust: "disgust",
  disgusted: "disgust",
  fear: "fear",
  fearful: "fear",
  happy: "happy",
  sad: "sadness",
  surprise: "surprise",
  surprised: "surprise",
  neutral: null,
};

/** The folder of an installed package, or a one-line error saying how to install it. */
export function packageDir(pkg: string, root = ROOT): string {
  const dir = path.join(root, "node_modules", ...pkg.split("/"));
  if (!fs.existsSync(path.join(dir, "package.json")))
    throw new UserError(`${pkg} is not installed (run npm ci, or npm install ${pkg})`);
  return dir;
}

/** The installed version of a peer's package; a user error when it is not the version the comparison pins. */
export function installedVersion(peer: Peer, root = ROOT): string {
  const v = (
    JSON.parse(fs.readFileSync(path.join(packageDir(peer.package, root), "package.json"), "utf8")) as {
      version: string;
    }
  ).version;
  if (v !== peer.version)
    throw new UserError(`${peer.package} is ${v}, not ${peer.version}: run npm ci to install the pinned version`);
  return v;
}

/** The mean colour face-api subtracts (src/faceFeatureExtractor/FaceFeatureExtractor.ts). */
export const FACE_API_MEAN_RGB = [122.782, 117.001, 104.298] as const;
/** The grey weights Human uses (src/tfjs/constants.ts, MATLAB's rgb2gray). */
export const HUMAN_GREY = [0.2989, 0.587, 0.114] as const;

/**
 * Human's emotion input from faces in [0, 1] (NHWC RGB), op for op as its src/gear/emotion.ts does it: bilinear
 * resize to 64×64 (no corner alignment), weighted sum of the channels, then (g − 0.5)·2.
 *
 * @see notebooks/06-study.ipynb
 */
export function humanInput(faces: Tensor4D, size = 64): Tensor4D {
  return tf.tidy(() => {
    const resized = tf.image.resizeBilinear(faces, [size, size], false);
    const grey = tf.sum(tf.mul(resized, tf.tensor1d(HUMAN_GREY as unknown as number[])), 3, true);
    return tf.mul(tf.sub(grey, tf.scalar(0.5)), tf.scalar(2)) as Tensor4D;
  });
}

/**
 * What face-api's network makes of faces in [0, 1] before its first layer (NetInput.toBatchTensor(112) and
 * FaceFeatureExtractor): pixels back to 0–255, bilinear resize to 112×112 (CK+48's crops are square, so its pad to
 * a square adds nothing), the mean colour subtracted, divided by 255. The package runs this itself; this copy is for
 * reading, and a test holds it to the package's own code.
 */
export function faceApiInput(faces: Tensor4D, size = 112): Tensor4D {
  return tf.tidy(() => {
    const resized = tf.image.resizeBilinear(tf.mul(faces, 255) as Tensor4D, [size, size], false, false);
    return tf.div(tf.sub(resized, tf.tensor1d(FACE_API_MEAN_RGB as unknown as number[])), 255) as Tensor4D;
  });
}

/** A loaded peer: probabilities over its own outputs for faces in [0, 1], and how to free it. */
export interface LoadedPeer {
  peer: Peer;
  version: string;
  predict(faces: Tensor4D): Promise<number[][]>;
  dispose(): void;
}

/** Human's emotion graph model from the package's files, on our TensorFlow.js (nothing fetched). */
async function loadHuman(root: string): Promise<LoadedPeer> {
  const peer = PEERS["human-emotion"];
  const version = installedVersion(peer, root);
  const file = path.join(packageDir(peer.package, root), peer.model);
  const json = JSON.parse(fs.readFileSync(file, "utf8")) as {
    modelTopology: object;
    weightsManifest: { paths: string[]; weights: WeightsManifestEntry[] }[];
  };
  const groups = json.weightsManifest;
  const buffers = groups.flatMap((g) => g.paths.map((p) => fs.readFileSync(path.join(path.dirname(file), p))));
  const weightData = new Uint8Array(Buffer.concat(buffers)).buffer;
  const model = await tf.loadGraphModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: groups.flatMap((g) => g.weights),
      weightData,
    }),
  );
  return {
    peer,
    version,
    predict: async (faces) => {
      const x = humanInput(faces);
      const y = model.execute(x) as Tensor2D; // the model ends in a softmax
      const out = (await y.array()) as number[][];
      tf.dispose([x, y]);
      return out;
    },
    dispose: () => model.dispose(),
  };
}

/** The parts of face-api this module uses (its dist build has no types we can import without its bundle). */
interface FaceApi {
  nets: {
    faceExpressionNet: {
      loadFromDisk(dir: string): Promise<void>;
      forward(input: unknown): Promise<Tensor2D>;
      isLoaded: boolean;
    };
  };
  toNetInput(input: unknown): Promise<{ toBatchTensor(size: number, centre: boolean): Tensor4D }>;
  normalize(x: Tensor4D, meanRgb: number[]): Tensor4D;
}

/**
 * face-api's Node build. It requires `@tensorflow/tfjs` (ours: it runs on our engine and backend) and
 * `@tensorflow/tfjs-backend-wasm` (registered, never selected). Loaded by file path: the package's `exports` map
 * lacks "./" prefixes, so Node refuses its subpaths.
 */
export function requireFaceApi(root = ROOT): FaceApi {
  const dir = packageDir(PEERS["face-api-expression"].package, root);
  packageDir("@tensorflow/tfjs-backend-wasm", root);
  const req = createRequire(path.join(root, "package.json"));
  const backend = tf.getBackend();
  const api = req(path.join(dir, "dist", "face-api.node-wasm.js")) as FaceApi;
  if (backend && tf.getBackend() !== backend) void tf.setBackend(backend);
  return api;
}

async function loadFaceApi(root: string): Promise<LoadedPeer> {
  const peer = PEERS["face-api-expression"];
  const version = installedVersion(peer, root);
  const api = requireFaceApi(root);
  const net = api.nets.faceExpressionNet;
  if (!net.isLoaded) await net.loadFromDisk(path.join(packageDir(peer.package, root), path.dirname(peer.model)));
  return {
    peer,
    version,
    predict: async (faces) => {
      // The package's own input: a list of H×W×3 RGB tensors in 0–255; it resizes and normalises them itself.
      const scaled = tf.mul(faces, 255) as Tensor4D;
      const list = tf.unstack(scaled);
      const y = await net.forward(list);
      const out = (await y.array()) as number[][];
      tf.dispose([scaled, y, ...list]);
      return out;
    },
    dispose: () => undefined, // the package keeps one net for the process; loading it again is a no-op
  };
}

/** Load a peer from its installed package (a user error naming the package when it is missing). */
export function loadPeer(name: PeerName, root = ROOT): Promise<LoadedPeer> {
  return name === "human-emotion" ? loadHuman(root) : loadFaceApi(root);
}
