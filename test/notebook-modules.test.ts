/**
 * lib/notebooks/*.ts: the Markdown tables and face grids of the notebooks, on the manifest and a made-up CK+48
 * (notebooks 04 and 05 have their own files, test/notebooks-04-train.test.ts and test/notebooks-05-evaluate.test.ts).
 */
import { makeFakeCk48 } from "./fixtures/ck48";
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { facesAsCells, galleryFace, oneHotMarkdown } from "../lib/notebooks/01-data";
import { dataStatus } from "../lib/runs";

describe("prose: the notebooks' own tables", () => {
  it("one-hot labels come from lib/data labelsTensor in class order", () => {
    const md = oneHotMarkdown();
    expect(md).to.include("| anger | 0 | [1, 0, 0, 0, 0, 0, 0] |");
    expect(md).to.include("| surprise | 6 | [0, 0, 0, 0, 0, 0, 1] |");
  });
});

describe("prose: faces on a made-up CK+48", () => {
  let dir: string;
  before(async () => {
    dir = await makeFakeCk48(3);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("galleryFace takes the first happy image, or the synthetic pattern without data; facesAsCells captions class and name", async () => {
    const f = await galleryFace(dataStatus(dir));
    expect(f.label.startsWith("happy/")).to.equal(true);
    expect(f.image).to.have.length(48 * 48 * 3);
    const g = await galleryFace(dataStatus(path.join(dir, "nope")));
    expect(g.label).to.match(/synthetic/);
    const cells = await facesAsCells(dir, [f.label]);
    expect(cells[0].caption![0]).to.equal("happy");
  });
});
