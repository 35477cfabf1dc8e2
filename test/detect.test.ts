/**
 * lib/detect/: the box-to-crop mapping worked by hand, its least-squares fit recovering a known mapping, IoU by hand,
 * and the committed fit (data/detect/crop-fit.json) checked against its own stored boxes over every image, and
 * against the detector run again on a few real CK+48 images (skipped without CK+48).
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { cropFromBox, fitCrop, iou, type Box } from "../lib/detect/crop";
import { canvasOf, detectFaces } from "../lib/detect/face";
import { nodeDetector } from "../lib/detect/load";
import { loadDataset } from "../lib/data/dataset";
import { DATA, PAPER_RUN } from "../lib/paths";
import { realCk48 } from "./fixtures/ck48";
import * as os from "os";
import { TWO_FACES, writeTwoFaces, writeWall } from "./fixtures/photos";
import { predictFaces } from "../lib/cli/predict";
import { runInProcess } from "./helpers/cli";

const FIT_FILE = path.join(DATA, "detect", "crop-fit.json");

describe("detect: from a detector's box to a CK+48-like crop", () => {
  it("cropFromBox: a 100×80 box at (10, 20) with dx 0.1, dy 0.2, scale 0.5 gives a 45-px square at (46.5, 55.5)", () => {
    // size 90; centre (60, 60) + (9, 18) = (69, 78); side 45
    expect(cropFromBox({ x: 10, y: 20, width: 100, height: 80 }, { dx: 0.1, dy: 0.2, scale: 0.5 })).to.deep.equal({
      x: 46.5,
      y: 55.5,
      width: 45,
      height: 45,
    });
  });
  it("iou: identical boxes 1, disjoint 0, a half-overlap of equal squares 1/3", () => {
    const a: Box = { x: 0, y: 0, width: 2, height: 2 };
    expect(iou(a, a)).to.equal(1);
    expect(iou(a, { x: 5, y: 5, width: 1, height: 1 })).to.equal(0);
    expect(iou(a, { x: 1, y: 0, width: 2, height: 2 })).to.be.closeTo(2 / 6, 1e-12);
  });
  it("fitCrop recovers the mapping that made the crops", () => {
    const f = { dx: -0.03, dy: 0.12, scale: 0.9 };
    const boxes: Box[] = [
      { x: 5, y: 7, width: 50, height: 60 },
      { x: 100, y: 20, width: 80, height: 70 },
      { x: 0, y: 0, width: 30, height: 30 },
    ];
    const got = fitCrop(boxes.map((box) => ({ box, crop: cropFromBox(box, f) })));
    for (const k of ["dx", "dy", "scale"] as const) expect(got[k]).to.be.closeTo(f[k], 1e-12);
  });

  it("the committed fit is the fit of its stored boxes, and rebuilds the crops with its stated IoU", function () {
    if (!fs.existsSync(FIT_FILE)) return this.skip();
    const c = JSON.parse(fs.readFileSync(FIT_FILE, "utf8"));
    const side = 48 * c.canvas.upscale;
    const truth: Box = { x: c.canvas.pad, y: c.canvas.pad, width: side, height: side };
    const found = (c.boxes as { box: Box | null }[]).filter((b) => b.box).map((b) => b.box!);
    expect(c.boxes).to.have.length(981);
    expect(found).to.have.length(c.iou.found);
    const fit = fitCrop(found.map((box) => ({ box, crop: truth })));
    for (const k of ["dx", "dy", "scale"] as const) expect(fit[k]).to.be.closeTo(c.fit[k], 1e-4);
    const ious = found.map((b) => iou(cropFromBox(b, c.fit), truth));
    expect(ious.reduce((a, b) => a + b, 0) / ious.length).to.be.closeTo(c.iou.mean, 1e-3);
    expect(c.iou.mean).to.be.above(0.8);
  });

  it("the detector run again on real CK+48 images gives the stored boxes", async function () {
    const dir = realCk48();
    if (!dir || !fs.existsSync(FIT_FILE)) return this.skip();
    this.timeout(60_000);
    const c = JSON.parse(fs.readFileSync(FIT_FILE, "utf8"));
    const picks = [0, 400, 800].map((i) => c.boxes[i] as { file: string; box: Box | null });
    const ds = await loadDataset(dir, { verify: false, only: picks.map((p) => p.file) });
    for (const [i, p] of ds.files.entries()) {
      const want = picks.find((q) => q.file === p)!;
      const { image } = canvasOf(ds.x.subarray(i * 6912, (i + 1) * 6912), 48);
      const got = (await detectFaces(await nodeDetector(), image)).sort((a, b) => b.score - a.score)[0];
      image.dispose();
      if (!want.box) {
        expect(got, p).to.equal(undefined);
        continue;
      }
      for (const k of ["x", "y", "width", "height"] as const)
        expect(got.box[k], `${p} ${k}`).to.be.closeTo(want.box[k], 0.01);
    }
  });

  describe("predict --detect on a photo made here from CK+48 crops (skipped without CK+48)", function () {
    this.timeout(120_000);
    let tmp: string;
    const placed = TWO_FACES.map((f) => f.box);
    before(async function () {
      const dir = realCk48();
      if (!dir || !fs.existsSync(FIT_FILE)) return this.skip();
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fer-detect-"));
      await writeTwoFaces(dir, path.join(tmp, "two.png"));
      await writeWall(path.join(tmp, "wall.png"));
    });
    after(() => tmp && fs.rmSync(tmp, { recursive: true, force: true }));

    it("finds both faces, largest first, and each crop lands on the face placed there", async () => {
      const [r] = await predictFaces(path.join(PAPER_RUN, "model"), [path.join(tmp, "two.png")]);
      expect(r.faces).to.have.length(2);
      r.faces.forEach((f, k) => {
        expect(iou(f.crop, placed[k]), `face ${k + 1}`).to.be.above(0.6);
        expect(Object.values(f.probabilities).reduce((a, b) => a + b, 0)).to.be.closeTo(1, 1e-5);
      });
    });

    it("explain --detect: one overlay per face, named after its photo and rank; a photo without a face is said", async () => {
      const out = path.join(tmp, "explained");
      const r = await runInProcess("explain", [
        "--detect",
        "--out",
        out,
        path.join(tmp, "two.png"),
        path.join(tmp, "wall.png"),
      ]);
      expect(r.code, r.err).to.equal(0);
      expect(fs.readdirSync(out).sort()).to.deep.equal(["two-face1-gradcam.png", "two-face2-gradcam.png"]);
      expect(r.out).to.match(/^wall\.png: no face found$/m);
      expect(r.out).to.match(/two-face2-gradcam\.png {2}predicted \w+ \(\d\.\d\d\)$/m);
    });

    it("a photo without a face: no face found, exit 0", async () => {
      const r = await runInProcess("predict", ["--detect", path.join(tmp, "wall.png")]);
      expect(r.code, r.err).to.equal(0);
      expect(r.out).to.match(/^wall\.png: no face found$/m);
    });
  });
});
