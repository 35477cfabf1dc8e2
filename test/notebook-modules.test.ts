/**
 * lib/prose/*.ts: the Markdown tables and face grids of the notebooks, on the manifest, a made-up CK+48 and a
 * synthetic run.
 */
import { makeFakeCk48 } from "./fixtures/ck48";
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { makeRun } from "./fixtures/run";
import { misclassified } from "../lib/evaluate";
import { facesAsCells, galleryFace, oneHotMarkdown } from "../lib/notebooks/01-data";
import { foldsMarkdown } from "../lib/notebooks/04-train";
import {
  claimRows,
  claimsMarkdown,
  evaluationSummary,
  missMarkdown,
  missRows,
  perClassMarkdown,
} from "../lib/notebooks/05-evaluate";
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

describe("prose: notebook 05 on a synthetic run", () => {
  const run = makeRun({ seed: 3 });

  it("claimRows puts the paper beside ours (— without a run); misclassified lists every wrong prediction, most confident first", () => {
    const none = claimRows(undefined, 86911);
    expect(none[0]).to.deep.equal(["test loss (Table 1)", "0.5008", "—"]);
    expect(none[none.length - 1]).to.deep.equal(["trainable parameters (Fig 3)", "86,911", "86,911"]);
    const rows = claimRows(run);
    expect(rows.map((r) => r[0])).to.include("non-anger predicted as anger (Section 3.2)");
    const correct = run.test.confusion.reduce((a, r, i) => a + r[i], 0);
    const misses = misclassified(run);
    expect(misses).to.have.length(run.split.test.length - correct);
    for (let i = 1; i < misses.length; i++) expect(misses[i - 1].pPredicted).to.be.at.least(misses[i].pPredicted);
    for (const m of misses) expect(m.predicted).not.to.equal(m.trueClass);
    expect(missRows(misses)[0].filter((c) => c.startsWith("**"))).to.have.length(1);
    expect(missMarkdown([])).to.match(/No test image/);
    expect(evaluationSummary(run)).to.include(`${correct}/${run.split.test.length}`);
    expect(perClassMarkdown(run).split("\n")).to.have.length(9);
    expect(foldsMarkdown(run)).to.include("(best)");
    expect(claimsMarkdown(run)).to.include("| test accuracy (Table 1) |");
  });
});
