/**
 * The live demo (lib/demo/, lib/cli/demo.ts): its pure helpers in node, then the real page in Debian's chromium
 * driven by Playwright. An image file gives the probabilities `npm run predict`'s code gives (within 1e-4) and a drawn
 * Grad-CAM overlay; a fake webcam playing a clip the test writes gives predictions that update; a non-image file, a
 * uniform image and a denied camera each give a message on the page. The test writes figures/demo.png from a drawn
 * (synthetic) face: CK+48's licence forbids committing its faces. Skipped, saying why, when /usr/bin/chromium is missing.
 */
import { expect } from "chai";
import { CLASSES, PAPER } from "../lib/config";
import { loadDataset } from "../lib/data/dataset";
import { readManifest } from "../lib/data/manifest";
import { toBytes } from "../lib/display/pictures";
import {
  FACE_CHECK,
  SAMPLE_EXPRESSIONS,
  barChartSvg,
  caveatHtml,
  faceProblem,
  greyStats,
  CROP_SIDE,
  cameraError,
  facesListHtml,
  guideBox,
  modeFor,
  pictureRgba,
  timingText,
} from "../lib/demo/widgets";
import { median } from "../lib/arrays";
import { bundleDemo, demoFacts, isLoopback, requestPath } from "../lib/cli/demo";
import { realCk48 } from "./fixtures/ck48";
import { committedPeerComparison } from "../lib/peers/compare";
import { detectorDir, loadCropFit } from "../lib/detect/load";
import { DETECTOR_FILES } from "../lib/detect/face";
import * as fs from "fs";
import * as path from "path";
import { ROOT } from "../lib/paths";
import { faceGrey } from "./fixtures/faces";

const S = PAPER.imageSize;

describe("demo: the server's request targets and hosts", () => {
  it("a path is served by its pathname; a malformed authority or a non-path target is no path", () => {
    expect(requestPath("/model/model.json?x=1#y")).to.equal("/model/model.json");
    expect(requestPath("/a/../index.html")).to.equal("/index.html");
    expect(requestPath("//[")).to.equal(undefined);
    expect(requestPath("*")).to.equal(undefined);
    expect(requestPath("http://example.com/")).to.equal(undefined);
    expect(requestPath(undefined)).to.equal(undefined);
  });
  it("loopback hosts need no warning; any other does", () => {
    for (const h of ["127.0.0.1", "127.1.2.3", "localhost", "::1"]) expect(isLoopback(h), h).to.equal(true);
    for (const h of ["0.0.0.0", "::", "192.168.1.5", "example.com"]) expect(isLoopback(h), h).to.equal(false);
  });
});

describe("demo: the page's pure helpers", () => {
  it("the guide box is the centred square of the given fraction; the whole of a square image at 1", () => {
    expect(guideBox(48, 48, 1)).to.deep.equal({ x: 0, y: 0, side: 48 });
    expect(guideBox(640, 480, 0.6)).to.deep.equal({ x: 176, y: 96, side: 288 });
    expect(guideBox(30, 100, 1)).to.deep.equal({ x: 0, y: 35, side: 30 });
  });

  it("the face check refuses a uniform or tiny crop, and passes the drawn faces", async () => {
    expect(faceProblem(new Float32Array(S * S * 3).fill(0.5), S)).to.match(/^No clear face: the box is nearly uniform/);
    const noisy = Float32Array.from({ length: S * S * 3 }, (_, i) => (Math.floor(i / 3) % 2 ? 0.2 : 0.8));
    expect(greyStats(noisy).std).to.be.closeTo(0.3, 1e-6);
    expect(faceProblem(noisy, S)).to.equal(null);
    expect(faceProblem(noisy, FACE_CHECK.minSide - 1)).to.match(/^No clear face: the box holds only 23×23 pixels/);
    for (const e of SAMPLE_EXPRESSIONS) {
      const g = await faceGrey(e, S);
      expect(faceProblem(Float32Array.from(Array.from(g).flatMap((v) => [v / 255, v / 255, v / 255])), S), e).to.equal(
        null,
      );
    }
  });

  it("the face check passes every CK+48 face (grey spread ≥ 0.11, as the page says; skipped without CK+48)", async function () {
    const dir = realCk48();
    if (!dir) return this.skip();
    const ds = await loadDataset(dir, { verify: false });
    const per = S * S * 3;
    let least = Infinity;
    for (let i = 0; i < ds.files.length; i++) {
      const x = ds.x.subarray(i * per, (i + 1) * per);
      expect(faceProblem(x, S), ds.files[i]).to.equal(null);
      least = Math.min(least, greyStats(x).std);
    }
    expect(least).to.be.at.least(0.11);
    expect(least).to.be.at.least(2.5 * FACE_CHECK.minStd);
  });

  it("the bar chart: one row per class in the paper's order, bar lengths proportional, the predicted class marked", () => {
    const p = [0.05, 0, 0.1, 0.05, 0.6, 0.1, 0.1];
    const svg = barChartSvg(p);
    const widths = [...svg.matchAll(/class="fill" x="\d+" y="[\d.]+" width="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(widths).to.deep.equal(p.map((v) => Number((250 * v).toFixed(2))));
    expect([...svg.matchAll(/data-class="(\w+)"/g)].map((m) => m[1])).to.deep.equal([...CLASSES]);
    expect(svg.match(/class="bar best" data-class="(\w+)"/)?.[1]).to.equal("happy");
    expect(barChartSvg(null)).to.not.include("best");
  });

  it("pictureRgba gives the bytes lib/display's toBytes gives, with opaque alpha; median", () => {
    const data = Float32Array.from({ length: 4 * 3 }, (_, i) => ((i * 0.11) % 1.2) - 0.05);
    const rgba = pictureRgba({ data, width: 2, height: 2, channels: 3 });
    const rgb = toBytes({ data, width: 2, height: 2, channels: 3 });
    expect(Array.from(rgba)).to.deep.equal(
      [0, 1, 2, 3].flatMap((p) => [rgb[p * 3], rgb[p * 3 + 1], rgb[p * 3 + 2], 255]),
    );
    expect(median([5, 1, 3])).to.equal(3);
    expect(median([4, 1, 3, 2])).to.equal(2.5);
  });

  it("a drawn face or an image already cropped to a face starts in the manual box; a photo or a camera in the chosen mode", () => {
    expect(modeFor({ width: 48, height: 48 }, "largest")).to.equal("manual");
    expect(modeFor({ width: 95, height: 400 }, "all")).to.equal("manual");
    expect(modeFor({ width: 96, height: 96 }, "all")).to.equal("all");
    expect(modeFor({ width: 240, height: 240, drawn: true }, "largest")).to.equal("manual");
    expect(modeFor({ width: 640, height: 480 }, "largest")).to.equal("largest");
  });

  it("the faces list: class and probability of a classified face, a hint for one that is not; the camera's errors", () => {
    const crop = { x: 10.4, y: 20.6, width: 99.5 };
    expect(
      facesListHtml([
        { score: 0.912, crop, predicted: "happy", probabilities: [0.1, 0.9] },
        { score: 0.5, crop },
      ]),
    ).to.equal(
      "<li>1: <b>happy</b> 90.0% <span>crop 100 px at 10, 21; detector score 0.91</span></li>" +
        "<li>2: not classified (choose “find all”) <span>crop 100 px at 10, 21; detector score 0.50</span></li>",
    );
    expect(cameraError("NotAllowedError", "")).to.match(/^Camera permission denied/);
    expect(cameraError("NotReadableError", "")).to.match(/^The camera is busy/);
    expect(cameraError(undefined, "boom")).to.equal(
      "The camera could not start (error: boom); choose an image file instead.",
    );
  });

  it("the README's numbers on the demo are the records' (peers, the detector's weights, the crop side)", function () {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8").replace(/\s+/g, " ");
    const peers = committedPeerComparison();
    if (!peers) return this.skip();
    const f = (x: number) => (100 * x).toFixed(1);
    const said = (s: { accuracy: number; interval: { lo: number; hi: number } | null }) =>
      `${f(s.accuracy)} % [${f(s.interval!.lo)}, ${f(s.interval!.hi)}]`;
    const human = peers.peers.find((p) => !p.info.seenCk)!.scores["as shipped"].overall;
    const ours = peers.ours.find((o) => o.split === "subject-cv")!.scores["as shipped"].pooled;
    expect(readme).to.include(`is right ${said(human)} of the time`);
    expect(readme).to.include(`is right ${said(ours)}`);
    const kb = DETECTOR_FILES.reduce((a, n) => a + fs.statSync(path.join(detectorDir(), n)).size, 0) / 1000;
    expect(readme).to.include(`(${Math.round(kb)} kB for the detector`);
    expect(readme).to.include(`under ${CROP_SIDE} px`);
  });

  it("the timing line adds the frame's steps and gives frames per second from the medians", () => {
    expect(timingText({ detect: 100, predict: 1, cam: 4 }, { detect: 120, predict: 2, cam: 3 }, 7)).to.equal(
      "detection 100.0 + prediction 1.0 + Grad-CAM 4.0 = 105.0 ms this frame; median of the last 7: 125.0 ms (8.0 frames/s)",
    );
    expect(timingText({ predict: 1.25, cam: 3.75 }, { predict: 1, cam: 4 }, 2)).to.equal(
      "prediction 1.3 + Grad-CAM 3.8 = 5.0 ms this frame; median of the last 2: 5.0 ms (200.0 frames/s)",
    );
  });

  it("the caveat's numbers come from the manifest and the committed study", () => {
    const f = demoFacts("m");
    const rows = readManifest();
    expect(f.images).to.equal(981);
    expect(f.subjects).to.equal(118);
    expect(new Set(rows.map((r) => r.subject)).size).to.equal(f.subjects);
    const html = caveatHtml(f);
    expect(html).to.include("981 posed faces of 118 people");
    expect(html).to.include('href="notebooks/06-study.ipynb"');
    if (f.subject) expect(html).to.include(`right ${(100 * f.subject.mean).toFixed(1)}% of the time`);
    // The cross-data-set drop: the peers' comparison (figures/peers.md) when it is committed.
    const peers = committedPeerComparison();
    if (peers) {
      const human = peers.peers.find((p) => !p.info.seenCk)!.scores["as shipped"].overall;
      expect(f.crossData?.accuracy).to.equal(human.accuracy);
      expect(html).to.include(`is right ${(100 * human.accuracy).toFixed(1)}% (`);
      expect(html).to.include("does not make a lab model work in the wild");
    }
    expect(f.cropFit).to.deep.equal(loadCropFit());
  });

  it("the page's bundle holds lib/ code for the browser only: no node paths, no sharp; the cpu-fast kernels and face-api's detector", async () => {
    const { js } = await bundleDemo();
    expect(js).to.not.include("__dirname");
    expect(js).to.not.include("manifest.csv");
    expect(js).to.not.include("tfjs-backend-wasm.wasm"); // face-api's wasm backend is left out
    expect(js).to.include("cpu-fast");
    expect(js).to.include("TinyFaceDetector");
    expect(js).to.include("No clear face"); // lib/demo/widgets.ts itself
    expect(js).to.include("the last layer must be Dense"); // lib/explain/attribution.ts' splitModel (Grad-CAM)
    expect(js.length).to.be.below(2e6);
  });
});
