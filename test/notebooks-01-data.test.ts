/**
 * lib/notebooks/01-data.ts: the frames of one sequence, people with several sequences, the majority baseline, the
 * shear's displacement and direction, the gallery's entries and the summary, against hand-computed cases, closed
 * forms, sharp's own decoding and tfjs' own warp.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import sharp from "sharp";
import { PAPER } from "../lib/config";
import { readManifest, manifestFiles, type ManifestEntry } from "../lib/data/manifest";
import { IDENTITY, applyTransforms, galleryParams } from "../lib/augment";
import { trainTestSplit, type Split } from "../lib/split";
import { PAPER_RUN } from "../lib/paths";
import { loadRun } from "../lib/record";
import { tf, type Tensor4D } from "../lib/tf";
import {
  dataSummaryMarkdown,
  faceContextMarkdown,
  faceFile,
  framesCells,
  framesMarkdown,
  framesReport,
  galleryEntries,
  majorityBaseline,
  majorityBaselineMarkdown,
  meanAbsDifference,
  proseFacts,
  sequenceFrames,
  sequencesPerSubject,
  sequencesPerSubjectMarkdown,
  shearAnswerMarkdown,
  shearDisplacement,
} from "../lib/notebooks/01-data";
import { makeFakeCk48 } from "./fixtures/ck48";

/** A small hand-made manifest: S001 has two sequences (anger, happy), S002 one (happy), three frames each. */
const entry = (cls: string, subject: string, seq: string, frame: number): ManifestEntry => ({
  path: `${cls}/${subject}_${seq}_${String(frame).padStart(8, "0")}.png`,
  class: cls,
  subject,
  sha256: "",
});
const HAND: ManifestEntry[] = [
  ...[7, 8, 9].map((f) => entry("anger", "S001", "001", f)),
  ...[4, 5, 6].map((f) => entry("happy", "S001", "002", f)),
  ...[1, 2, 3].map((f) => entry("happy", "S002", "001", f)),
];
const paths = HAND.map((m) => m.path);

describe("notebook 01: faces, frames and sequences", () => {
  it("faceFile picks image `index` of a class in name order, and names the valid range when out of it", () => {
    expect(faceFile(paths, 0, "happy")).to.equal("happy/S001_002_00000004.png");
    expect(faceFile(paths, 5, "happy")).to.equal("happy/S002_001_00000003.png");
    expect(() => faceFile(paths, 6, "happy")).to.throw(/outside 0…5 \(6 happy images\)/);
    expect(() => faceFile(paths, 0, "joy")).to.throw(/no joy\/ image/);
  });

  it("sequenceFrames finds the frames of a file's sequence, in frame order, whatever the list's order", () => {
    expect(sequenceFrames([...paths].reverse(), "happy/S001_002_00000005.png")).to.deep.equal([
      "happy/S001_002_00000004.png",
      "happy/S001_002_00000005.png",
      "happy/S001_002_00000006.png",
    ]);
  });

  it("meanAbsDifference: 0 for equal images, 1 for black against white, by hand in between", () => {
    expect(meanAbsDifference([0.2, 0.4], [0.2, 0.4])).to.equal(0);
    expect(meanAbsDifference([0, 0, 0], [1, 1, 1])).to.equal(1);
    expect(meanAbsDifference([0, 0.5, 1, 0.25], [0.5, 0.5, 0, 0.25])).to.be.closeTo((0.5 + 0 + 1 + 0) / 4, 1e-12);
    expect(() => meanAbsDifference([1], [1, 2])).to.throw();
  });

  it("sequencesPerSubject counts people by their number of sequences (hand case; and the real manifest adds up)", () => {
    const s = sequencesPerSubject(HAND);
    expect(s).to.deep.equal({ histogram: { 1: 1, 2: 1 }, several: 1, most: "S001", mostCount: 2 });
    expect(sequencesPerSubjectMarkdown(HAND)).to.match(/^\*\*1 of 2 people\*\* \(50\.0%\)/);
    // On CK+48's manifest: the people and the sequences the histogram implies are the data set's (118, 327).
    const real = sequencesPerSubject(readManifest());
    const h = Object.entries(real.histogram).map(([n, k]) => [Number(n), k]);
    const people = new Set(readManifest().map((m) => m.subject)).size;
    const sequences = new Set(readManifest().map((m) => m.path.split("/")[1].split("_").slice(0, 2).join("_"))).size;
    expect(h.reduce((a, [, k]) => a + k, 0)).to.equal(people);
    expect(h.reduce((a, [n, k]) => a + n * k, 0)).to.equal(sequences);
    expect(real.several).to.equal(people - (real.histogram[1] ?? 0));
  });

  it("faceContextMarkdown says each frame's side, the person's sequences and how many of the class's sequences are cut", () => {
    const split: Split = {
      mode: "random",
      test: ["happy/S001_002_00000005.png"],
      train: paths.filter((p) => p !== "happy/S001_002_00000005.png"),
    };
    const md = faceContextMarkdown(HAND, "happy/S001_002_00000004.png", split);
    expect(md).to.include("frames 00000004 (train), 00000005 (test), 00000006 (train)");
    expect(md).to.include("S001 has 2 sequences (anger, happy)");
    expect(md).to.include("Of the 2 happy sequences, 1 (50.0%) have frames on both sides");
  });

  it("majorityBaseline answers the training part's largest class and scores its share of the test part (by hand)", () => {
    const split: Split = {
      mode: "random",
      train: [...paths.slice(3, 6), paths[0]], // 3 happy, 1 anger
      test: [paths[1], paths[2], paths[6]], // 2 anger, 1 happy
    };
    const b = majorityBaseline(HAND, split);
    expect(b.class).to.equal("happy");
    expect(b.testAccuracy).to.be.closeTo(1 / 3, 1e-12);
    expect(b.share).to.be.closeTo(6 / 9, 1e-12);
    expect(majorityBaselineMarkdown(HAND, split)).to.include("**33.3%** of the 3 test images");
  });

  it("framesReport on a made-up CK+48: the sequence's frames, their sides, and differences as sharp's bytes give them", async function () {
    this.timeout(20000);
    const dir = await makeFakeCk48(6);
    try {
      const file = "anger/S010_001_00000010.png";
      const frames = ["anger/S010_001_00000010.png", "anger/S010_001_00000011.png", "anger/S010_001_00000012.png"];
      const split: Split = { mode: "random", test: [frames[1]], train: [frames[0], frames[2]] };
      const r = await framesReport(dir, file, split);
      expect(r.frames.map((f) => [f.file, f.side])).to.deep.equal([
        [frames[0], "train"],
        [frames[1], "test"],
        [frames[2], "train"],
      ]);
      expect(r.other.file).to.equal("anger/S011_001_00000013.png");
      // Reference: the grey bytes straight from sharp, |a − b| / 255 averaged (the three RGB copies average the same).
      const bytes = async (f: string) => (await sharp(path.join(dir, f)).greyscale().raw().toBuffer()) as Buffer;
      const ref = async (a: string, b: string) => {
        const [x, y] = [await bytes(a), await bytes(b)];
        let s = 0;
        for (let i = 0; i < x.length; i++) s += Math.abs(x[i] - y[i]);
        return s / x.length / 255;
      };
      expect(r.consecutive[0]).to.be.closeTo(await ref(frames[0], frames[1]), 1e-6);
      expect(r.consecutive[1]).to.be.closeTo(await ref(frames[1], frames[2]), 1e-6);
      expect(r.other.difference).to.be.closeTo(await ref(frames[0], r.other.file), 1e-6);
      expect(framesCells(r, 3).map((c) => c.caption)).to.deep.equal([
        ["S010_001_00000010", "train (seed 3)"],
        ["S010_001_00000011", "test (seed 3)"],
        ["S010_001_00000012", "train (seed 3)"],
      ]);
      expect(framesMarkdown(r).split("\n")).to.have.length(5);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("notebook 01: the shear and the gallery", () => {
  it("shearDisplacement is the closed form 2c·sin(s/2) of a shear about the centre c (the corner moves farthest)", () => {
    const c = (PAPER.imageSize - 1) / 2;
    for (const deg of [0.2, 5, 20, -20])
      expect(shearDisplacement(deg)).to.be.closeTo(2 * c * Math.abs(Math.sin((deg * Math.PI) / 180 / 2)), 1e-9);
    expect(shearDisplacement(0)).to.equal(0);
  });

  it("the answer's direction and stretch are what tfjs' warp does to a bright pixel above and below the centre", async () => {
    const n = PAPER.imageSize;
    const img = new Float32Array(n * n * 3);
    for (const y of [3, 44]) img.fill(1, (y * n + 24) * 3, (y * n + 24) * 3 + 3);
    const out = tf.tidy(() =>
      applyTransforms(tf.tensor4d(img, [1, n, n, 3]) as Tensor4D, [{ ...IDENTITY, shear: 20 }]).arraySync(),
    ) as number[][][][];
    const brightest = (rows: number[]) => {
      let best = { v: -1, y: 0, x: 0 };
      for (const y of rows)
        for (let x = 0; x < n; x++) if (out[0][y][x][0] > best.v) best = { v: out[0][y][x][0], y, x };
      return best;
    };
    const top = brightest([0, 1, 2, 3, 4, 5, 6]);
    const bottom = brightest([41, 42, 43, 44, 45, 46, 47]);
    expect(top.x).to.be.below(24); // above the centre the picture slides left
    expect(bottom.x).to.be.above(24); // below it, right
    expect(top.y).to.be.below(3); // stretched vertically: away from the centre
    expect(bottom.y).to.be.above(44);
    const md = await shearAnswerMarkdown(20);
    expect(md).to.include("the picture slides left and below the centre right");
    expect(md).to.include(`stretched vertically by ${(1 / Math.cos((20 * Math.PI) / 180)).toFixed(3)}`);
    expect(md).to.include(`**${shearDisplacement(20).toFixed(2)} px**`);
    const b64 = /data:image\/png;base64,([A-Za-z0-9+/=]+)/.exec(md)?.[1];
    const meta = await sharp(Buffer.from(b64 ?? "", "base64")).metadata();
    expect(meta.format).to.equal("png");
  });

  it("galleryEntries replaces only the visible shear of galleryParams", () => {
    const base = galleryParams(PAPER.augment, PAPER.imageSize, 4, 1);
    const mine = galleryEntries(PAPER.augment, 4, 1, 33);
    expect(mine).to.have.length(base.length);
    const changed = mine.filter((e, i) => JSON.stringify(e) !== JSON.stringify(base[i]));
    expect(changed).to.deep.equal([{ title: "shear 33° (to see it)", params: { ...IDENTITY, shear: 33 } }]);
  });
});

describe("notebook 01: summary and facts", () => {
  it("the summary states the manifest's counts, the seed's leak and the shear displacements", () => {
    const md = dataSummaryMarkdown(readManifest(), 0, PAPER.augment, 20);
    expect(md).to.include("981 in 7 classes, from 54 (contempt) to 249 (surprise)");
    expect(md).to.include("118 people, 327 sequences, 3 frames each");
    expect(md).to.include(`${shearDisplacement(0.2).toFixed(2)} px at 0.2°`);
  });

  it("the notebook's split for seed 0 is the run of record's test set (skipped without the committed run)", function () {
    const file = path.join(PAPER_RUN, "run.json");
    if (!fs.existsSync(file)) return this.skip();
    const run = loadRun(file);
    const split = trainTestSplit(manifestFiles(readManifest()), run.seed, run.config.testFraction);
    expect(split.test).to.deep.equal([...run.split.test].sort());
  });

  it("proseFacts: surprise over contempt, 249 / 54, from the manifest", () => {
    expect(proseFacts()["counts.maxOverMin"]).to.be.closeTo(249 / 54, 1e-12);
  });
});
