/**
 * lib/peers/: how a peer's answer is read (as shipped, six-way), its scores with subject-clustered intervals and ours
 * from confusion matrices (worked by hand), the peers record's checks, and both packages' preprocessing against the
 * packages' own code (face-api in-process; Human's whole pipeline is test/e2e/peers.test.ts).
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { tf, type Tensor4D, type Tensor3D } from "../lib/tf";
import { ROOT } from "../lib/paths";
import {
  FACE_API_MEAN_RGB,
  HUMAN_GREY,
  OUTPUT_CLASS,
  PEERS,
  faceApiInput,
  humanInput,
  loadPeer,
  requireFaceApi,
} from "../lib/peers/models";
import {
  SHARED_CLASSES,
  loadPeers,
  ourScores,
  peerAnswer,
  peerComparison,
  peerScores,
  imageAccuracy,
  sequenceAccuracy,
  type PeerRecord,
} from "../lib/peers/compare";
import { LITERATURE } from "../lib/peers/literature";
import { literatureMarkdown, peersMarkdown, specPeers } from "../lib/figures/peers";
import { renderSvg } from "../lib/render";
import { CLASSES } from "../lib/config";

const installed = (pkg: string) => fs.existsSync(path.join(ROOT, "node_modules", ...pkg.split("/"), "package.json"));

describe("peers: reading a peer's answer", () => {
  const outputs = PEERS["human-emotion"].outputs; // angry disgust fear happy sad surprise neutral
  it("maps every output to a CK+48 class except neutral, and no output to contempt", () => {
    for (const p of Object.values(PEERS)) for (const o of p.outputs) expect(OUTPUT_CLASS, o).to.have.property(o);
    expect(Object.values(OUTPUT_CLASS)).to.not.include("contempt");
    expect(SHARED_CLASSES).to.deep.equal(["anger", "disgust", "fear", "happy", "sadness", "surprise"]);
  });
  it("as shipped, a neutral top answer is no class; six-way, the best shared output wins", () => {
    const p = [0.1, 0, 0, 0.05, 0.3, 0, 0.55];
    expect(peerAnswer(p, outputs, "as shipped")).to.equal(null);
    expect(peerAnswer(p, outputs, "six-way")).to.equal("sadness");
    expect(peerAnswer([0.2, 0.2, 0, 0, 0, 0, 0.1], outputs, "as shipped")).to.equal("anger"); // ties: the first
    expect(peerAnswer([0, 0, 0, 0, 0, 0.9, 0.1], PEERS["face-api-expression"].outputs, "as shipped")).to.equal(
      "disgust",
    );
  });
});

/** A record by hand: 2 people, anger and happy only (plus one contempt image that must be left out). */
function record(): PeerRecord {
  const files = [
    "anger/S001_001_00000001.png",
    "anger/S001_001_00000002.png",
    "anger/S002_001_00000001.png",
    "contempt/S002_002_00000001.png",
    "happy/S001_002_00000001.png",
    "happy/S002_003_00000001.png",
  ];
  const a = (k: number) => [0, 1, 2, 3, 4, 5, 6].map((i) => (i === k ? 0.9 : 0.1 / 6));
  // human-emotion outputs: 0 angry, 3 happy, 4 sad, 6 neutral
  return {
    method: "by hand",
    backend: "cpu",
    files,
    peers: [
      {
        name: "human-emotion",
        package: "@vladmandic/human",
        version: "3.3.6",
        outputs: [...PEERS["human-emotion"].outputs],
        seconds: 1,
        probs: [a(0), a(6), a(4), a(0), a(3), a(3)],
      },
    ],
  };
}

describe("peers: scores by hand", () => {
  it("counts right answers over the six classes, leaves contempt out, and reports the neutral share", () => {
    const s = peerScores(record(), "human-emotion", "as shipped");
    expect(s.overall.images).to.equal(5);
    expect(s.overall.people).to.equal(2);
    expect(s.overall.accuracy).to.be.closeTo(3 / 5, 1e-12); // anger 1 of 3, happy 2 of 2
    const anger = s.perClass.find((c) => c.class === "anger")!;
    expect(anger.score.accuracy).to.be.closeTo(1 / 3, 1e-12);
    expect(anger.neutral).to.be.closeTo(1 / 3, 1e-12);
    expect(s.neutral).to.be.closeTo(1 / 5, 1e-12);
    // Two people: a resample is S001 twice (anger 1 of 2, happy 1 of 1: 2/3), S002 twice (anger wrong, happy
    // right: 1/2) or both (3/5), so the 95 % percentile interval is [1/2, 2/3].
    expect(s.overall.interval!.lo).to.be.closeTo(1 / 2, 1e-12);
    expect(s.overall.interval!.hi).to.be.closeTo(2 / 3, 1e-12);
  });
  it("six-way turns the neutral answer into its best shared class", () => {
    const r = record();
    r.peers[0].probs[1] = [0.3, 0, 0, 0, 0, 0, 0.7]; // neutral first, angry second
    expect(peerScores(r, "human-emotion", "as shipped").overall.accuracy).to.be.closeTo(3 / 5, 1e-12);
    expect(peerScores(r, "human-emotion", "six-way").overall.accuracy).to.be.closeTo(4 / 5, 1e-12);
    expect(peerScores(r, "human-emotion", "six-way").neutral).to.equal(0);
  });
  /** A run whose stored predictions answer `answers[i]` (a class index) for `files[i]`. */
  const run = (files: string[], answers: number[]) => ({
    classes: [...CLASSES],
    test: {
      predictions: files.map((file, i) => ({
        file,
        label: CLASSES.indexOf(file.split("/")[0] as (typeof CLASSES)[number]),
        probs: CLASSES.map((_, k) => (k === answers[i] ? 0.6 : k === 0 ? 0.3 : 0.1 / 5)),
      })),
    },
  });
  const files = ["anger/S001_001_00000001.png", "contempt/S001_002_00000001.png", "happy/S002_001_00000001.png"];
  it("ours: a contempt answer is a miss as shipped; six-way, the next class counts; contempt images left out", () => {
    // run 1: anger called contempt (second choice anger), happy right; run 2: both right
    const runs = [run(files, [1, 1, 4]), run(files, [0, 1, 4])];
    const shipped = ourScores(runs, "as shipped");
    expect(shipped.overall.mean).to.be.closeTo((1 / 2 + 1) / 2, 1e-12);
    expect(shipped.pooled.accuracy).to.be.closeTo(3 / 4, 1e-12);
    expect(shipped.pooled.images).to.equal(2);
    expect(shipped.pooled.people).to.equal(2);
    expect(shipped.perClass.find((c) => c.class === "anger")!.pooled.accuracy).to.be.closeTo(1 / 2, 1e-12);
    expect(ourScores(runs, "six-way").pooled.accuracy).to.equal(1);
    expect(shipped.perClass.map((c) => c.class)).to.deep.equal(SHARED_CLASSES);
  });
  it("per sequence: the frames' probabilities averaged, then the highest class", () => {
    const p = (file: string, probs: number[]) => ({ file, label: 0, probs });
    const r = {
      classes: [...CLASSES],
      test: {
        predictions: [
          // sequence 1: two frames lean weakly to disgust, one strongly to anger: the average says anger (right)
          p("anger/S001_001_00000001.png", [0.4, 0, 0.6, 0, 0, 0, 0]),
          p("anger/S001_001_00000002.png", [0.4, 0, 0.6, 0, 0, 0, 0]),
          p("anger/S001_001_00000003.png", [1, 0, 0, 0, 0, 0, 0]),
          // sequence 2: wrong on every frame
          p("anger/S002_001_00000001.png", [0.1, 0.9, 0, 0, 0, 0, 0]),
        ],
      },
    };
    expect(imageAccuracy([r]).mean).to.be.closeTo(1 / 4, 1e-12);
    expect(sequenceAccuracy([r]).mean).to.be.closeTo(1 / 2, 1e-12);
  });
  it("peers.md and the figure are made from the comparison", async () => {
    const runs = [run(files, [0, 1, 4]), run(files, [2, 1, 4])];
    const c = peerComparison(record(), [{ split: "subject-cv", runs }]);
    const md = peersMarkdown(c);
    expect(md).to.include("60.0% [50.0–66.7]");
    expect(md).to.include("our CNN, unseen people (subject 10-fold CV), 2 seeds pooled");
    const svg = await renderSvg(specPeers(c), { strict: true });
    expect(svg).to.include("<svg");
  });
});

describe("peers: the literature table", () => {
  it("names each method's input, pretraining and protocol; Emotion-FAN's row is on our fold list", () => {
    for (const r of LITERATURE)
      for (const k of ["input", "pretraining", "protocol", "source"] as const) expect(r[k]).to.not.equal("");
    const fan = LITERATURE.find((r) => r.method.startsWith("Emotion-FAN"))!;
    expect(fan.input).to.equal("sequence");
    expect(fan.protocol).to.include("subject-cv-fan");
    expect(fs.existsSync(path.join(ROOT, "data", "folds", "emotion-fan-ck+-10-fold.txt"))).to.equal(true);
    expect(literatureMarkdown({ literature: [] })).to.include("99.69%");
  });
});

describe("peers: the record", () => {
  it("refuses probabilities that do not match its files, naming the file", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fer-peers-"));
    const file = path.join(dir, "peers.json");
    const r = record();
    r.peers[0].probs.pop();
    fs.writeFileSync(file, JSON.stringify(r));
    expect(() => loadPeers(file)).to.throw(/peers\.json: human-emotion has 5 rows of probabilities for 6 files/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe("peers: preprocessing", () => {
  it("Human's input for a one-colour face is (0.2989 r + 0.5870 g + 0.1140 b − 0.5)·2 everywhere", () => {
    const [r, g, b] = [0.2, 0.6, 0.9];
    const face = tf.tidy(() => tf.mul(tf.ones([1, 48, 48, 3]), tf.tensor1d([r, g, b]))) as Tensor4D;
    const x = humanInput(face);
    expect(x.shape).to.deep.equal([1, 64, 64, 1]);
    const want = (HUMAN_GREY[0] * r + HUMAN_GREY[1] * g + HUMAN_GREY[2] * b - 0.5) * 2;
    for (const v of x.dataSync()) expect(v).to.be.closeTo(want, 1e-6);
    tf.dispose([face, x]);
  });

  const faceApi = installed("@vladmandic/face-api") && installed("@tensorflow/tfjs-backend-wasm");
  it("face-api's input, written out, equals the package's own NetInput and normalize", async function () {
    if (!faceApi) return this.skip();
    const api = requireFaceApi();
    const faces = tf.randomUniform([2, 48, 48, 3], 0, 1, "float32", 7) as Tensor4D;
    const mine = faceApiInput(faces);
    const list = tf.unstack(tf.mul(faces, 255)) as Tensor3D[];
    const netInput = await api.toNetInput(list);
    const theirs = tf.div(api.normalize(netInput.toBatchTensor(112, true), [...FACE_API_MEAN_RGB]), 255);
    expect(mine.shape).to.deep.equal([2, 112, 112, 3]);
    expect(tf.max(tf.abs(tf.sub(mine, theirs))).dataSync()[0]).to.be.below(1e-6);
    // A check of the check: feeding [0, 1] instead of 0–255 is far off.
    const wrong = tf.div(
      api.normalize((await api.toNetInput(tf.unstack(faces))).toBatchTensor(112, true), [...FACE_API_MEAN_RGB]),
      255,
    );
    expect(tf.max(tf.abs(tf.sub(mine, wrong))).dataSync()[0]).to.be.above(0.1);
    tf.dispose([faces, mine, theirs, wrong, ...list]);
  });

  it("our batched face-api run equals its one-image predictExpressions, output for output", async function () {
    if (!faceApi) return this.skip();
    this.timeout(60_000);
    const peer = await loadPeer("face-api-expression");
    const faces = tf.randomUniform([2, 48, 48, 3], 0, 1, "float32", 3) as Tensor4D;
    const batch = await peer.predict(faces);
    const api = requireFaceApi() as unknown as {
      nets: { faceExpressionNet: { predictExpressions(t: Tensor3D): Promise<Record<string, number>> } };
    };
    for (let i = 0; i < 2; i++) {
      const one = tf.tidy(() =>
        tf.mul(tf.squeeze(tf.slice(faces, [i, 0, 0, 0], [1, 48, 48, 3]), [0]), 255),
      ) as Tensor3D;
      const e = await api.nets.faceExpressionNet.predictExpressions(one);
      PEERS["face-api-expression"].outputs.forEach((o, k) => expect(batch[i][k], o).to.be.closeTo(e[o], 1e-5));
      one.dispose();
    }
    faces.dispose();
  });
});
