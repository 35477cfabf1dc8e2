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
  guideBox,
  pictureRgba,
} from "../lib/demo/widgets";
import { median } from "../lib/arrays";
import { bundleDemo, demoFacts, isLoopback, requestPath } from "../lib/cli/demo";
import { realCk48 } from "./fixtures/ck48";
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
  });

  it("the page's bundle holds lib/ code for the browser only: no node paths, no sharp, no cpu-fast kernels", async () => {
    const { js } = await bundleDemo();
    expect(js).to.not.include("__dirname");
    expect(js).to.not.include("manifest.csv");
    expect(js).to.not.include("cpu-fast");
    expect(js).to.include("No clear face"); // lib/demo/widgets.ts itself
    expect(js).to.include("the last layer must be Dense"); // lib/explain/attribution.ts' splitModel (Grad-CAM)
    expect(js.length).to.be.below(2e6);
  });
});
