/**
 * lib/display.ts: Markdown tables, number formats, real source listings (TypeScript compiler API) and PNG grids of
 * faces (pixel-exact).
 */
import sharp from "sharp";
import { PAPER } from "../lib/config";
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { TFJS_RMSPROP_FILE } from "../lib/optim";
import { rmspropListingsHtml } from "../lib/notebooks/03-optim";
import { sourceOf, showSource } from "../lib/display/listing";
import {
  type GridCell,
  type Picture,
  demoPattern,
  fitCaption,
  gridSize,
  imageGrid,
  pictureToPng,
  rgbPicture,
} from "../lib/display/pictures";
import { escapeHtml, fmt, markdownTable, pct } from "../lib/display/text";
import { answer } from "../lib/display/teach";
import { renderMarkdown } from "../lib/book/render";
import { textWidth } from "../lib/render";

async function rawPixels(png: Buffer): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

describe("display: tables and listings", () => {
  it("markdownTable aligns, escapes pipes and rejects ragged rows", () => {
    expect(markdownTable(["a", "b"], [[1, "x|y"]], ["l", "r"])).to.equal("| a | b |\n|---|---:|\n| 1 | x\\|y |");
    expect(() => markdownTable(["a", "b"], [[1]])).to.throw(/1 cells, header 2/);
  });

  it("fmt and pct print n/a for missing numbers", () => {
    expect(fmt(0.50079, 4)).to.equal("0.5008");
    expect(fmt(NaN)).to.equal("n/a");
    expect(pct(0.57)).to.equal("57.0%");
    expect(pct(null)).to.equal("n/a");
  });

  it("sourceOf finds a function, a class, a method and a constant with their TSDoc (TypeScript compiler API); the tfjs RMSprop keeps ε inside the root", () => {
    const optim = path.join(__dirname, "..", "lib", "optim.ts");
    const src = sourceOf(optim, "rmspropStep");
    expect(src.code.startsWith("/**")).to.equal(true);
    expect(src.code).to.include("export function rmspropStep(");
    expect(src.code.trimEnd().endsWith("}")).to.equal(true);
    expect(src.file).to.equal(path.join("lib", "optim.ts"));
    // the line number points at the first line of the listing
    expect(fs.readFileSync(optim, "utf8").split("\n")[src.line - 1]).to.equal(src.code.split("\n")[0]);
    expect(() => sourceOf(optim, "noSuchFunction")).to.throw(/no declaration "noSuchFunction"/);
    const cls = sourceOf(path.join(__dirname, "..", "lib", "train.ts"), "BestWeights");
    expect(cls.code).to.match(/^\/\*\*[\s\S]*export class BestWeights \{[\s\S]*putBack[\s\S]*\}$/);
    const konst = sourceOf(path.join(__dirname, "..", "lib", "config.ts"), "PAPER");
    expect(konst.code).to.include("export const PAPER: ProtocolConfig = {");
    const t = sourceOf(TFJS_RMSPROP_FILE, "RMSPropOptimizer.applyGradients");
    expect(t.lang).to.equal("js");
    expect(t.code.startsWith("applyGradients(variableGradients) {")).to.equal(true);
    expect(t.code).to.include("sqrt(add(newAccumulatedMeanSquare, this.epsilon))");
    expect(t.line).to.be.greaterThan(1);
    expect(rmspropListingsHtml()).to.match(/class="side-by-side".*rmspropStep.*rmsprop_optimizer\.js, line \d+/s);
    const listing = showSource("lib/model.ts", "createModel");
    expect(listing).to.match(
      /^`createModel` in `lib\/model\.ts`, line \d+:\n\n<pre class="listing" style="white-space: pre;[^"]*">/,
    );
    expect(listing).to.include('<span class="hljs-keyword">export</span> <span class="hljs-keyword">function</span>');
    // the listing's text is the source, every line whole
    const text = listing
      .replace(/^[^\n]*\n\n/, "")
      .replace(/<[^>]+>/g, "")
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&quot;/g, '"')
      .replace(/&#x27;/g, "'")
      .replace(/&amp;/g, "&");
    expect(text).to.equal(sourceOf(path.join(__dirname, "..", "lib", "model.ts"), "createModel").code);
  });

  it("escapeHtml escapes markup", () => {
    expect(escapeHtml('<a href="x">&</a>')).to.equal("&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;");
  });
});

describe("display: images", () => {
  it("pictureToPng enlarges with nearest-neighbour: every pixel becomes an exact scale×scale block", async () => {
    const p: Picture = { data: [0, 1, 0.5, 0.25], width: 2, height: 2, channels: 1 };
    const img = await rawPixels(await pictureToPng(p, 3));
    expect([img.width, img.height]).to.deep.equal([6, 6]);
    const at = (x: number, y: number) => img.data[(y * 6 + x) * img.channels];
    for (let y = 0; y < 6; y++)
      for (let x = 0; x < 6; x++)
        expect(at(x, y)).to.equal([0, 255, 128, 64][Math.floor(y / 3) * 2 + Math.floor(x / 3)]);
  });

  it("imageGrid has the size gridSize promises and puts each picture's pixels where expected", async () => {
    const face = demoPattern();
    const cells: GridCell[] = [0, 1, 2].map((i) => ({ picture: rgbPicture(face), caption: [`cell ${i}`, "line 2"] }));
    const opts = { columns: 2, scale: 2, title: "t" };
    const g = gridSize(cells, opts);
    const png = await imageGrid(cells, opts);
    const img = await rawPixels(png);
    expect([img.width, img.height]).to.deep.equal([g.width, g.height]);
    expect(g.columns).to.equal(2);
    // Pixel (24, 10) of the pattern (the bar of the "F": 0.95) lands at scale 2 inside the first cell.
    const x0 = 8 + Math.floor((g.cellWidth - 96) / 2);
    const y0 = 22 + 8;
    const at = (x: number, y: number) => img.data[(y * img.width + x) * img.channels];
    expect(at(x0 + 2 * 24 + 1, y0 + 2 * 10 + 1)).to.be.closeTo(Math.round(0.95 * 255), 1);
    expect(at(x0 + 2 * 36 + 1, y0 + 2 * 36 + 1)).to.be.closeTo(Math.round(0.05 * 255), 1);
    expect(() => gridSize([])).to.throw(/no cells/);
  });

  it("imageGrid keeps a caption wider than its cell inside the cell: no ink left or right of it (it was cut off at the left edge)", async () => {
    const long = "anger/S011_004_00000021.png (p = 0.92), a caption far wider than its cell";
    const cells: GridCell[] = [{ picture: rgbPicture(demoPattern()), caption: [long, "short"] }];
    const opts = { scale: 2, minCellWidth: 110 };
    const g = gridSize(cells, opts);
    const img = await rawPixels(await imageGrid(cells, opts));
    const x0 = 8; // GRID_GAP: the cell starts here
    const captionTop = 8 + 96 + 2;
    const inkAt = (x: number) => {
      for (let y = captionTop; y < img.height; y++) if (img.data[(y * img.width + x) * img.channels] < 200) return true;
      return false;
    };
    const ink: number[] = [];
    for (let x = 0; x < img.width; x++) if (inkAt(x)) ink.push(x);
    expect(ink.length, "the caption is drawn").to.be.greaterThan(20);
    expect(ink[0], "first inked column").to.be.at.least(x0);
    expect(ink[ink.length - 1], "last inked column").to.be.below(x0 + g.cellWidth);
  });

  it("fitCaption keeps what fits, shrinks to 9 px what nearly fits, and cuts the rest on the right with an ellipsis", () => {
    expect(fitCaption("saliency", 100)).to.deep.equal({ text: "saliency", fontSize: 11 });
    const near = "S011_004_00000021 (p = 0.9)"; // wider than 140 px at 11 px, narrower at 9 px
    expect(textWidth(near, 11)).to.be.above(140);
    expect(textWidth(near, 9)).to.be.below(140);
    const f = fitCaption(near, 140);
    expect(f.text).to.equal(near);
    expect(f.fontSize).to.be.within(9, 10.5);
    expect(textWidth(f.text, f.fontSize)).to.be.at.most(140);
    const cut = fitCaption("a".repeat(80), 60);
    expect(cut.fontSize).to.equal(9);
    expect(cut.text.endsWith("…")).to.equal(true);
    expect(cut.text.startsWith("aaa")).to.equal(true);
    expect(textWidth(cut.text, 9)).to.be.at.most(60);
    expect(textWidth(cut.text.slice(0, -1) + "a…", 9)).to.be.above(60); // as long as fits: one more letter would not
  });

  it("rgbPicture checks the size; demoPattern is asymmetric (so flips show)", () => {
    expect(() => rgbPicture(new Float32Array(10))).to.throw(/48×48×3/);
    const d = demoPattern();
    const s = PAPER.imageSize;
    let differs = 0;
    for (let y = 0; y < s; y++)
      for (let x = 0; x < s; x++) if (d[(y * s + x) * 3] !== d[(y * s + (s - 1 - x)) * 3]) differs++;
    expect(differs).to.be.greaterThan(100);
  });
});

describe("display/teach: an exercise's answer", () => {
  it("answer collapses computed Markdown in <details>, with blank lines so the Markdown inside renders", () => {
    const html = renderMarkdown(answer("**β = 0**: the loss is 0.25\n"));
    expect(html).to.match(/^<details><summary>Answer \(computed when this cell ran\)<\/summary>/);
    expect(html).to.include("<strong>β = 0</strong>");
    expect(answer("x", "Why?")).to.equal("<details><summary>Why?</summary>\n\nx\n\n</details>");
  });
});
