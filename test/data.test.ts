import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import sharp from "sharp";
import { decodeImage, describeDecoding } from "../lib/data/decode";
import {
  describeVerification,
  fileNameStructure,
  makeManifest,
  readManifest,
  verifyFolder,
  STORED_CHANNELS,
  manifestCounts,
  manifestFiles,
} from "../lib/data/manifest";
import { imagesTensor, labelsTensor, loadDataset, indicesOf, sampleFiles } from "../lib/data/dataset";
import { listImages, subjectOf, sequenceOf } from "../lib/data/files";
import { classCounts } from "../lib/data/labels";
import { fanCoverage, fanOuterFolds, parseFanFolds, readFanFolds } from "../lib/data/fan-folds";
import { toModelInput } from "../lib/data/pixels";
import { countsMarkdown, decodingMarkdown, fileNameMarkdown } from "../lib/notebooks/01-data";
import { CLASSES } from "../lib/config";
import { UserError } from "../lib/errors";
import { trainTestSplit, kFold } from "../lib/split";
import { tf } from "../lib/tf";
import { makeFakeCk48, realCk48 } from "./fixtures/ck48";

async function rejects(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a rejection");
}

describe("data (Section 2.1)", () => {
  let dir: string;
  before(async () => {
    dir = await makeFakeCk48(6);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("parses subject and sequence from CK+ file names", () => {
    expect(subjectOf("anger/S010_004_00000017.png")).to.equal("S010");
    expect(sequenceOf("S138_008_00000010.png")).to.equal("S138_008");
    expect(() => subjectOf("anger/face.png")).to.throw(UserError, /S<subject>_<sequence>_<frame>/);
  });

  it("lists class folders in the paper's order, files sorted", () => {
    const files = listImages(dir);
    expect(files.length).to.equal(42);
    expect(files[0].startsWith("anger/")).to.equal(true);
    expect(files[files.length - 1].startsWith("surprise/")).to.equal(true);
    expect(files).to.deep.equal(files.slice().sort());
  });

  it("decodes grey PNG to RGB in [0,1]: three equal channels equal to the grey value / 255", async () => {
    const f = path.join(dir, listImages(dir)[0]);
    const { data: grey, info } = await sharp(f).toColourspace("b-w").raw().toBuffer({ resolveWithObject: true });
    expect(info.channels).to.equal(1);
    const x = await decodeImage(f);
    expect(x.length).to.equal(48 * 48 * 3);
    for (const i of [0, 100, 2303]) {
      expect(x[3 * i]).to.be.closeTo(grey[i] / 255, 1e-7);
      expect(x[3 * i + 1]).to.equal(x[3 * i]);
      expect(x[3 * i + 2]).to.equal(x[3 * i]);
    }
  });

  it("accepts other sizes and colour types (RGBA 64×64 JPEG/PNG) and resizes to 48×48", async () => {
    const f = path.join(dir, "..", `rgba-${path.basename(dir)}.png`);
    await sharp({ create: { width: 64, height: 80, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 1 } } })
      .png()
      .toFile(f);
    const x = await decodeImage(f);
    fs.rmSync(f);
    expect(x.length).to.equal(48 * 48 * 3);
    expect([x[0], x[1], x[2]]).to.deep.equal([1, 0, 0]);
  });

  it("toModelInput, the step after decoding that node and the demo page share: bytes / 255, bit for bit as before", async () => {
    // decodeImage (sharp → toModelInput) gives exactly the floats of sharp's RGB bytes / 255, the loop it replaced.
    const f = path.join(dir, listImages(dir)[0]);
    const raw = await sharp(f).removeAlpha().toColourspace("srgb").raw().toBuffer();
    const x = await decodeImage(f);
    expect(Buffer.from(x.buffer).equals(Buffer.from(Float32Array.from(raw, (b) => b / 255).buffer))).to.equal(true);
    // RGBA (a canvas): alpha dropped. Grey mode: BT.601 luma rounded to a byte; a grey pixel keeps its value exactly.
    const rgba = [255, 0, 0, 7, 0, 255, 0, 255, 0, 0, 255, 0, 10, 20, 30, 255];
    expect(Array.from(toModelInput(rgba, 4))).to.deep.equal(
      [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30].map((b) => Math.fround(b / 255)),
    );
    const grey = Array.from(toModelInput(rgba, 4, true));
    const luma = [76, 150, 29, 18]; // round(0.299·255), round(0.587·255), round(0.114·255), round(0.299·10 + 0.587·20 + 0.114·30)
    expect(grey).to.deep.equal(luma.flatMap((v) => [v, v, v].map((b) => Math.fround(b / 255))));
    const all = Array.from({ length: 256 }, (_, v) => [v, v, v, 255]).flat();
    expect(Array.from(toModelInput(all, 4, true))).to.deep.equal(Array.from(toModelInput(all, 4)));
  });

  it("one-hot labels and images as tensors", async () => {
    const ds = await loadDataset(dir, { verify: false });
    expect(classCounts(ds.labels)).to.deep.equal([6, 6, 6, 6, 6, 6, 6]);
    const y = labelsTensor(ds, [0, 6, 41]);
    expect(y.arraySync()).to.deep.equal([
      [1, 0, 0, 0, 0, 0, 0],
      [0, 1, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0, 1],
    ]);
    const x = imagesTensor(ds, [1, 2]);
    expect(x.shape).to.deep.equal([2, 48, 48, 3]);
    expect(x.max().dataSync()[0]).to.be.at.most(1);
    expect(Array.from(x.slice([1], [1]).dataSync().slice(0, 6))).to.deep.equal(
      Array.from(ds.x.subarray(2 * 6912, 2 * 6912 + 6)),
    );
    tf.dispose([x, y]);
  });

  it("verifies a folder against a manifest and says what is missing, extra and changed", () => {
    const m = makeManifest(dir);
    expect(describeVerification(verifyFolder(dir, m))).to.equal("");
    const changed = m.map((r, i) => (i === 3 ? { ...r, sha256: "0".repeat(64) } : r));
    const dropped = changed.filter((_, i) => i !== 5);
    const withGhost = [
      ...dropped,
      { path: "fear/S999_001_00000001.png", class: "fear", subject: "S999", sha256: "1".repeat(64) },
    ];
    const v = verifyFolder(dir, withGhost);
    expect(v.missing).to.deep.equal(["fear/S999_001_00000001.png"]);
    expect(v.extra).to.deep.equal([m[5].path]);
    expect(v.changed).to.deep.equal([m[3].path]);
    expect(describeVerification(v)).to.match(/^1 missing \(fear\/S999.*\); 1 extra .*; 1 changed /);
  });

  it("refuses a fake folder against the real manifest unless told not to verify", async () => {
    const e = await rejects(loadDataset(dir));
    expect(e).to.be.instanceOf(UserError);
    expect(e.message).to.match(/does not match data\/manifest.csv: 981 missing/);
  });

  it("one-line user errors: missing folder, wrong class folder, missing class folder, corrupt image, non-image file", async () => {
    expect(() => listImages("/nonexistent/ck48")).to.throw(UserError, /CK\+48 folder not found: \/nonexistent\/ck48/);
    fs.mkdirSync(path.join(dir, "neutral"));
    expect(() => listImages(dir)).to.throw(UserError, /unexpected class folder "neutral"/);
    fs.rmdirSync(path.join(dir, "neutral"));
    fs.renameSync(path.join(dir, "fear"), path.join(dir, "..", `fear-${path.basename(dir)}`));
    expect(() => listImages(dir)).to.throw(UserError, /class folder "fear" missing/);
    fs.renameSync(path.join(dir, "..", `fear-${path.basename(dir)}`), path.join(dir, "fear"));
    const bad = path.join(dir, "happy", "S099_001_00000001.png");
    fs.writeFileSync(bad, "not a png");
    const e = await rejects(loadDataset(dir, { verify: false }));
    expect(e).to.be.instanceOf(UserError);
    expect(e.message).to.match(/cannot decode image .*S099_001_00000001\.png/);
    expect(e.message).to.not.include("\n");
    fs.rmSync(bad);
    fs.writeFileSync(path.join(dir, "happy", "notes.txt"), "x");
    expect(() => listImages(dir)).to.throw(UserError, /not an image file: .*notes\.txt/);
    fs.rmSync(path.join(dir, "happy", "notes.txt"));
  });

  it("the committed manifest describes CK+48: 981 images, the paper's class counts, 118 subjects", () => {
    const m = readManifest();
    expect(m.length).to.equal(981);
    expect(CLASSES.map((c) => m.filter((r) => r.class === c).length)).to.deep.equal([135, 54, 177, 75, 207, 84, 249]);
    expect(new Set(m.map((r) => r.subject)).size).to.equal(118);
    expect(m.every((r) => /^[0-9a-f]{64}$/.test(r.sha256) && r.path.startsWith(`${r.class}/`))).to.equal(true);
  });

  describe("on the real CK+48 (when present)", function () {
    const real = realCk48();
    before(function () {
      if (!real) this.skip();
    });
    it("all 981 images verify against the manifest and load as 48×48×3 in [0,1]", async () => {
      const ds = await loadDataset(real!);
      expect(ds.files.length).to.equal(981);
      expect(ds.x.length).to.equal(981 * 48 * 48 * 3);
      expect(classCounts(ds.labels)).to.deep.equal([135, 54, 177, 75, 207, 84, 249]);
      expect(new Set(ds.subjects).size).to.equal(118);
      let lo = Infinity,
        hi = -Infinity;
      for (const v of ds.x) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      expect(lo).to.be.at.least(0);
      expect(hi).to.be.at.most(1);
      expect(hi).to.be.above(0.9);
    });
    it("the paper's split sizes: 784 train / 197 test, folds of 157/157/157/157/156; subject split shares no subject", () => {
      const files = listImages(real!);
      const s = trainTestSplit(files, 0, 0.2);
      expect([s.train.length, s.test.length]).to.deep.equal([784, 197]);
      expect(kFold(s.train, 5, 1).map((f) => f.val.length)).to.deep.equal([157, 157, 157, 157, 156]);
      const subj = trainTestSplit(files, 0, 0.2, "subject");
      const trainSubjects = new Set(subj.train.map(subjectOf));
      expect(subj.test.filter((f) => trainSubjects.has(subjectOf(f)))).to.deep.equal([]);
      expect(subj.test.length).to.be.within(197, 230);
      for (const f of kFold(subj.train, 5, 1, "subject")) {
        const tr = new Set(f.train.map(subjectOf));
        expect(f.val.some((v) => tr.has(subjectOf(v)))).to.equal(false);
      }
    });
  });
});

describe("data: what notebook 01 computes from the manifest", () => {
  const manifest = readManifest();

  it("counts per class and the file-name structure come from the manifest: 981 images, 118 subjects, 327 × 3 frames", () => {
    expect(manifestCounts(manifest)).to.deep.equal([135, 54, 177, 75, 207, 84, 249]);
    const s = fileNameStructure(manifest);
    expect(s.images).to.equal(981);
    expect(s.subjects).to.equal(118);
    expect(s.sequences).to.equal(327);
    expect(s.imagesPerSequence).to.deep.equal({ 3: 327 });
    expect(s.sequencesInSeveralClasses).to.equal(0);
    expect(s.example).to.deep.include({ subject: "S010", sequence: "S010_004" });
    expect(fileNameMarkdown(s)).to.include("| subjects (people) | 118 |");
    expect(countsMarkdown(manifestCounts(manifest))).to.include("| **total** | 981 | 100% |");
  });

  it("sampleFiles takes perClass files of each class, in class order, seeded", () => {
    const files = manifestFiles(manifest);
    const a = sampleFiles(files, 2, 0);
    expect(a).to.have.length(14);
    expect(a.map((f) => f.split("/")[0])).to.deep.equal(CLASSES.flatMap((c) => [c, c]));
    expect(sampleFiles(files, 2, 0)).to.deep.equal(a);
  });
});

describe("data: describeDecoding on a made-up CK+48", () => {
  let dir: string;
  before(async () => {
    dir = await makeFakeCk48(3);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("describeDecoding: a grey PNG → 48×48×3 with R = G = B, bytes ÷ 255", async () => {
    const r = await describeDecoding(path.join(dir, "anger", fs.readdirSync(path.join(dir, "anger"))[0]));
    expect(r.stored.width).to.equal(48);
    expect(r.decodedShape).to.deep.equal([48, 48, 3]);
    expect(r.channelsEqual).to.equal(true);
    for (let y = 0; y < 4; y++)
      for (let x = 0; x < 4; x++) expect(r.scaled[y][x]).to.be.closeTo(r.bytes[y][x] / 255, 1e-6);
    expect(decodingMarkdown(r)).to.include("R = G = B everywhere | yes");
  });
});

describe("data: the stored images", () => {
  it("every CK+48 PNG is stored with STORED_CHANNELS channel(s) (8-bit grey), as the claims ledger says", async function () {
    const dir = realCk48();
    if (!dir) return this.skip();
    const channels = new Set<number>();
    for (const f of listImages(dir)) channels.add((await sharp(path.join(dir, f)).metadata()).channels ?? -1);
    expect([...channels]).to.deep.equal([STORED_CHANNELS]);
  });
});

describe("data: indicesOf", () => {
  it("maps paths to dataset positions and names a missing one", () => {
    const ds = { files: ["anger/a.png", "happy/b.png", "fear/c.png"] };
    expect(indicesOf(ds, ["fear/c.png", "anger/a.png"])).to.deep.equal([2, 0]);
    expect(() => indicesOf(ds, ["sadness/x.png"])).to.throw(/sadness\/x\.png is not in the loaded data set/);
  });
});

describe("data/fan-folds: the literature's published 10 folds (Emotion-FAN)", () => {
  const list = readFanFolds();

  it("parses the list's headers and lines, and refuses a fold with more sequences than its header says", () => {
    const text = "1-fold 2 Angry 1 Happy 1\nS010/002 Angry\nS011/001 Happy\n2-fold 1 Sad 1\nS014/003 Sad\n";
    expect(parseFanFolds(text)).to.deep.equal([
      { fold: 0, sequence: "S010_002", label: "anger" },
      { fold: 0, sequence: "S011_001", label: "happy" },
      { fold: 1, sequence: "S014_003", label: "sadness" },
    ]);
    expect(() => parseFanFolds("1-fold 1 Angry 1\nS010/002 Angry\nS011/001 Angry\n")).to.throw(/more than its 1/);
    expect(() => parseFanFolds("1-fold 1 Angry 1\nS010/002 Cross\n")).to.throw(/unknown class Cross/);
  });

  it("covers CK+48's 327 sequences exactly, with the same classes, and no subject in two folds", () => {
    const files = manifestFiles(readManifest());
    expect(list).to.have.length(327);
    expect(new Set(list.map((s) => s.fold)).size).to.equal(10);
    expect(fanCoverage(files, list)).to.deep.equal([]);
    // a check of the check: a sequence moved to another subject's fold is found
    const moved = list.map((s, i) => (i === 0 ? { ...s, fold: (s.fold + 1) % 10 } : s));
    expect(fanCoverage(files, moved).join(" ")).to.match(/is in folds/);
  });

  it("is the rule its name says: subjects in ascending order, the k-th to fold k mod 10", () => {
    const subjects = [...new Set(list.map((s) => s.sequence.split("_")[0]))].sort();
    expect(subjects).to.have.length(118);
    const foldOf = new Map(list.map((s) => [s.sequence.split("_")[0], s.fold]));
    subjects.forEach((s, k) => expect(foldOf.get(s), s).to.equal(k % 10));
  });

  it("fanOuterFolds tests every image once, in its sequence's fold, training on the rest", () => {
    const files = manifestFiles(readManifest());
    const folds = fanOuterFolds(files, list);
    expect(folds).to.have.length(10);
    expect(folds.flatMap((f) => f.val).sort()).to.deep.equal([...files].sort());
    for (const f of folds) {
      expect(f.train.length + f.val.length).to.equal(files.length);
      const testSubjects = new Set(f.val.map(subjectOf));
      expect(f.train.some((x) => testSubjects.has(subjectOf(x)))).to.equal(false);
    }
    expect(() => fanOuterFolds(["anger/S004_001_00000001.png"], list)).to.throw(/not in the Emotion-FAN/);
  });
});
