/**
 * lib/notebook.ts: what the notebooks compute and draw. Tables, image grids (pixel-exact), the data-set structure from
 * the manifest, the augmentation gallery, shapes and parameters of the model, Eq. 1–4 against tfjs, chart specs
 * (clean vega-lite), and the run/plan logic of notebooks 00, 04 and 05 on a synthetic run and a made-up CK+48.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import sharp from "sharp";
import { tf } from "../lib/tf";
import { CLASSES, PAPER } from "../lib/config";
import { readManifest } from "../lib/data";
import { createModel, summarize } from "../lib/model";
import { compileSpec } from "../lib/render";
import { elongatedQuadratic, raceOptimizers, crossEntropy, oneHot } from "../lib/optim";
import { loadRun } from "../lib/figures";
import type { RunRecord } from "../lib/record";
import * as nb from "../lib/notebook";
import { makeRun } from "./fixtures/run";
import { makeFakeCk48 } from "./fixtures/ck48";

async function rawPixels(png: Buffer): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

describe("notebook helpers: tables and listings", () => {
  it("markdownTable aligns, escapes pipes and rejects ragged rows", () => {
    expect(nb.markdownTable(["a", "b"], [[1, "x|y"]], ["l", "r"])).to.equal("| a | b |\n|---|---:|\n| 1 | x\\|y |");
    expect(() => nb.markdownTable(["a", "b"], [[1]])).to.throw(/1 cells, header 2/);
  });

  it("fmt and pct print n/a for missing numbers", () => {
    expect(nb.fmt(0.50079, 4)).to.equal("0.5008");
    expect(nb.fmt(NaN)).to.equal("n/a");
    expect(nb.pct(0.57)).to.equal("57.0%");
    expect(nb.pct(null)).to.equal("n/a");
  });

  it("sourceOf extracts an exported function with its TSDoc; tfjsRmspropSource finds the plain branch (ε inside the root)", () => {
    const src = nb.sourceOf(path.join(__dirname, "..", "lib", "optim.ts"), "rmspropStep");
    expect(src.startsWith("/**")).to.equal(true);
    expect(src).to.include("export function rmspropStep(");
    expect(src.trimEnd().endsWith("}")).to.equal(true);
    expect(() => nb.sourceOf(path.join(__dirname, "..", "lib", "optim.ts"), "noSuchFunction")).to.throw(/no exported function/);
    const t = nb.tfjsRmspropSource();
    expect(t.code).to.include("sqrt(add(newAccumulatedMeanSquare, this.epsilon))");
    expect(t.firstLine).to.be.greaterThan(1);
    expect(nb.rmspropListingsHtml()).to.match(/<table>.*rmspropStep.*rmsprop_optimizer\.js, line \d+/s);
  });

  it("escapeHtml escapes markup", () => {
    expect(nb.escapeHtml('<a href="x">&</a>')).to.equal("&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;");
  });
});

describe("notebook helpers: images", () => {
  it("pictureToPng enlarges with nearest-neighbour: every pixel becomes an exact scale×scale block", async () => {
    const p: nb.Picture = { data: [0, 1, 0.5, 0.25], width: 2, height: 2, channels: 1 };
    const img = await rawPixels(await nb.pictureToPng(p, 3));
    expect([img.width, img.height]).to.deep.equal([6, 6]);
    const at = (x: number, y: number) => img.data[(y * 6 + x) * img.channels];
    for (let y = 0; y < 6; y++) for (let x = 0; x < 6; x++) expect(at(x, y)).to.equal([0, 255, 128, 64][Math.floor(y / 3) * 2 + Math.floor(x / 3)]);
  });

  it("imageGrid has the size gridSize promises and puts each picture's pixels where expected", async () => {
    const face = nb.demoPattern();
    const cells: nb.GridCell[] = [0, 1, 2].map((i) => ({ picture: nb.rgbPicture(face), caption: [`cell ${i}`, "line 2"] }));
    const opts = { columns: 2, scale: 2, title: "t" };
    const g = nb.gridSize(cells, opts);
    const png = await nb.imageGrid(cells, opts);
    const img = await rawPixels(png);
    expect([img.width, img.height]).to.deep.equal([g.width, g.height]);
    expect(g.columns).to.equal(2);
    // Pixel (24, 10) of the pattern (the bar of the "F": 0.95) lands at scale 2 inside the first cell.
    const x0 = 8 + Math.floor((g.cellWidth - 96) / 2);
    const y0 = 22 + 8;
    const at = (x: number, y: number) => img.data[(y * img.width + x) * img.channels];
    expect(at(x0 + 2 * 24 + 1, y0 + 2 * 10 + 1)).to.be.closeTo(Math.round(0.95 * 255), 1);
    expect(at(x0 + 2 * 36 + 1, y0 + 2 * 36 + 1)).to.be.closeTo(Math.round(0.05 * 255), 1);
    expect(() => nb.gridSize([])).to.throw(/no cells/);
  });

  it("rgbPicture checks the size; demoPattern is asymmetric (so flips show)", () => {
    expect(() => nb.rgbPicture(new Float32Array(10))).to.throw(/48×48×3/);
    const d = nb.demoPattern();
    const s = PAPER.imageSize;
    let differs = 0;
    for (let y = 0; y < s; y++) for (let x = 0; x < s; x++) if (d[(y * s + x) * 3] !== d[(y * s + (s - 1 - x)) * 3]) differs++;
    expect(differs).to.be.greaterThan(100);
  });
});

describe("notebook helpers: 01-data", () => {
  const manifest = readManifest();

  it("counts per class and the file-name structure come from the manifest: 981 images, 118 subjects, 327 × 3 frames", () => {
    expect(nb.manifestCounts(manifest)).to.deep.equal([135, 54, 177, 75, 207, 84, 249]);
    const s = nb.fileNameStructure(manifest);
    expect(s.images).to.equal(981);
    expect(s.subjects).to.equal(118);
    expect(s.sequences).to.equal(327);
    expect(s.imagesPerSequence).to.deep.equal({ 3: 327 });
    expect(s.sequencesInSeveralClasses).to.equal(0);
    expect(s.example).to.deep.include({ subject: "S010", sequence: "S010_004" });
    expect(nb.fileNameMarkdown(s)).to.include("| subjects (people) | 118 |");
    expect(nb.countsMarkdown(nb.manifestCounts(manifest))).to.include("| **total** | 981 | 100% |");
  });

  it("splitLeakage: the random split shares sequences with training, the subject split shares nothing", () => {
    const files = nb.manifestFiles(manifest);
    const r = nb.splitLeakage(files, 0, "random");
    const s = nb.splitLeakage(files, 0, "subject");
    expect(r.test).to.equal(197);
    expect(r.testWithSequenceInTrain).to.be.greaterThan(150);
    expect(s.testWithSequenceInTrain).to.equal(0);
    expect(s.testWithSubjectInTrain).to.equal(0);
    expect(nb.leakageMarkdown([r, s]).split("\n")).to.have.length(4);
  });

  it("sampleFiles takes perClass files of each class, in class order, seeded", () => {
    const files = nb.manifestFiles(manifest);
    const a = nb.sampleFiles(files, 2, 0);
    expect(a).to.have.length(14);
    expect(a.map((f) => f.split("/")[0])).to.deep.equal(CLASSES.flatMap((c) => [c, c]));
    expect(nb.sampleFiles(files, 2, 0)).to.deep.equal(a);
  });

  it("the class-count chart compiles without vega-lite warnings", () => {
    expect(compileSpec(nb.specClassCounts(nb.manifestCounts(manifest))).warnings).to.deep.equal([]);
    expect(() => nb.specClassCounts([1, 2])).to.throw(/7 counts/);
  });

  it("the augmentation gallery: identity returns the image, the flip mirrors it, random draws are captioned", () => {
    const img = nb.demoPattern();
    const entries = nb.galleryParams();
    expect(entries[0].title).to.equal("original");
    expect(entries.filter((e) => e.title.startsWith("random"))).to.have.length(8);
    const before = tf.memory().numTensors;
    const cells = nb.augmentationGallery(img, entries);
    expect(tf.memory().numTensors).to.equal(before);
    expect(cells).to.have.length(entries.length);
    const s = PAPER.imageSize;
    const id = cells[0].picture.data;
    for (let i = 0; i < img.length; i += 97) expect(id[i]).to.be.closeTo(img[i], 1e-5);
    const flip = cells[entries.findIndex((e) => e.title === "horizontal flip")].picture.data;
    for (const [y, x] of [[10, 20], [30, 5], [40, 40]]) expect(flip[(y * s + x) * 3]).to.be.closeTo(img[(y * s + (s - 1 - x)) * 3], 1e-5);
    expect(cells[entries.length - 1].caption!.length).to.be.greaterThan(1);
  });

  it("paramsCaption lists only what is not the identity", () => {
    expect(nb.paramsCaption({ theta: 0, tx: 0, ty: 0, shear: 0, zx: 1, zy: 1, flip: false })).to.deep.equal(["identity"]);
    expect(nb.paramsCaption({ theta: -6, tx: 0, ty: 0, shear: 0, zx: 1, zy: 1, flip: true })).to.deep.equal(["rotate −6.0°", "flipped"]);
  });

  it("one-hot labels come from lib/data labelsTensor in class order", () => {
    const md = nb.oneHotMarkdown();
    expect(md).to.include("| anger | 0 | [1, 0, 0, 0, 0, 0, 0] |");
    expect(md).to.include("| surprise | 6 | [0, 0, 0, 0, 0, 0, 1] |");
  });

  describe("with a made-up CK+48", () => {
    let dir: string;
    before(async () => {
      dir = await makeFakeCk48(3);
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("dataStatus says present or absent (with what to do), without throwing", () => {
      const ok = nb.dataStatus(dir);
      expect(ok.present).to.equal(true);
      expect(ok.images).to.equal(21);
      const no = nb.dataStatus(path.join(dir, "nope"));
      expect(no.present).to.equal(false);
      expect(no.message).to.match(/not available.*CK48_DIR/s);
    });

    it("describeDecoding: a grey PNG → 48×48×3 with R = G = B, bytes ÷ 255", async () => {
      const r = await nb.describeDecoding(path.join(dir, "anger", fs.readdirSync(path.join(dir, "anger"))[0]));
      expect(r.stored.width).to.equal(48);
      expect(r.decodedShape).to.deep.equal([48, 48, 3]);
      expect(r.channelsEqual).to.equal(true);
      for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) expect(r.scaled[y][x]).to.be.closeTo(r.bytes[y][x] / 255, 1e-6);
      expect(nb.decodingMarkdown(r)).to.include("R = G = B everywhere | yes");
    });

    it("galleryFace takes the first happy image, or the synthetic pattern without data; facesAsCells captions class and name", async () => {
      const f = await nb.galleryFace(nb.dataStatus(dir));
      expect(f.label.startsWith("happy/")).to.equal(true);
      expect(f.image).to.have.length(48 * 48 * 3);
      const g = await nb.galleryFace(nb.dataStatus(path.join(dir, "nope")));
      expect(g.label).to.match(/synthetic/);
      const cells = await nb.facesAsCells(dir, [f.label]);
      expect(cells[0].caption![0]).to.equal("happy");
    });
  });
});

describe("notebook helpers: 02-model", () => {
  const model = createModel(0);
  after(() => model.dispose());

  it("parametersByHand derives 86,911 with the same per-layer counts and output shapes as the model", () => {
    const rows = nb.parametersByHand();
    const total = rows.reduce((a, r) => a + r.params, 0);
    expect(total).to.equal(86911);
    expect(total).to.equal(model.countParams());
    const layers = summarize(model);
    expect(rows.map((r) => r.layer)).to.deep.equal(layers.map((l) => l.name));
    expect(rows.map((r) => r.params)).to.deep.equal(layers.map((l) => l.params));
    expect(rows.map((r) => r.output)).to.deep.equal(layers.map((l) => l.outputShape.join("×")));
    expect(nb.paramsMarkdown(rows, model.countParams())).to.include("They agree.");
    expect(nb.paramsMarkdown(rows, 5)).to.include("**They differ.**");
  });

  it("traceShapes follows one image through every layer without leaking tensors", () => {
    const x = tf.tensor4d(nb.demoPattern(), [1, 48, 48, 3]);
    const before = tf.memory().numTensors;
    const steps = nb.traceShapes(model, x);
    expect(tf.memory().numTensors).to.equal(before);
    x.dispose();
    expect(steps.map((s) => s.output)).to.deep.equal([
      [1, 44, 44, 6], [1, 22, 22, 6], [1, 18, 18, 16], [1, 9, 9, 16], [1, 7, 7, 64], [1, 3, 3, 64], [1, 576], [1, 128], [1, 128], [1, 7],
    ]);
    expect(steps[0].input).to.deep.equal([1, 48, 48, 3]);
    expect(steps[0].min).to.equal(0); // ReLU
    expect(nb.traceMarkdown(steps)).to.include("| output | Dense | [1, 128] | [1, 7] |");
    expect(nb.layersMarkdown(summarize(model))).to.include("**86,911**");
  });

  it("featureMaps gives the three convolutions' outputs; featureMapCells stretches each channel to [0, 1]", async () => {
    const x = tf.tensor4d(nb.demoPattern(), [1, 48, 48, 3]);
    const maps = nb.featureMaps(model, x);
    x.dispose();
    expect(maps.map((m) => m.shape)).to.deep.equal([[44, 44, 6], [18, 18, 16], [7, 7, 64]]);
    const cells = nb.featureMapCells(maps[2], 16);
    expect(cells).to.have.length(16);
    for (const c of cells) for (const v of Array.from(c.picture.data)) expect(v).to.be.within(0, 1);
    const png = await nb.featureMapGrid(maps[0]);
    expect((await sharp(png).metadata()).width).to.be.greaterThan(400);
  });
});

describe("notebook helpers: 03-optim", () => {
  it("the Eq. 1–2 worked example equals lib/optim and tfjs", () => {
    const w = nb.lossWorkedExample(nb.EXAMPLE_BATCH.labels, nb.EXAMPLE_BATCH.probs);
    expect(w.rows.map((r) => r.loss)).to.deep.equal(nb.EXAMPLE_BATCH.probs.map((p, i) => -Math.log(p[nb.EXAMPLE_BATCH.labels[i]])));
    expect(w.mean).to.be.closeTo(crossEntropy(nb.EXAMPLE_BATCH.labels.map((l) => oneHot(l, 7)), nb.EXAMPLE_BATCH.probs), 1e-12);
    expect(w.tfjsMean).to.be.closeTo(w.mean, 1e-6);
    expect(nb.lossMarkdown(w)).to.include("Eq. 2 (the mean)");
  });

  it("RMSprop by hand: first step ≈ 3.16 η, and θ equals tf.train.rmsprop after every step", () => {
    const s = { lr: PAPER.learningRate, rho: PAPER.rho, epsilon: PAPER.epsilon };
    const grads = [0.5, 0.5, -2, 0.01, 0.01];
    const rows = nb.rmspropByHand(1, grads, s);
    expect(1 - rows[0].theta).to.be.closeTo(PAPER.learningRate / Math.sqrt(1 - PAPER.rho), 1e-6);
    expect(rows[0].meanSquare).to.be.closeTo(0.1 * 0.25, 1e-15);
    const before = tf.memory().numTensors;
    const theirs = nb.rmspropTfjs(1, grads, s);
    expect(tf.memory().numTensors).to.equal(before);
    rows.forEach((r, i) => expect(theirs[i]).to.be.closeTo(r.theta, 1e-6));
    const outside = nb.rmspropByHand(1, [1e-4], { ...s, epsilonPlacement: "outside" });
    expect(Math.abs(outside[0].step)).to.be.greaterThan(5 * Math.abs(nb.rmspropByHand(1, [1e-4], s)[0].step));
    expect(nb.rmspropMarkdown(rows, theirs).split("\n")).to.have.length(7);
  });

  it("the race charts compile without vega-lite warnings; the table says where each optimiser ended", () => {
    const race = raceOptimizers();
    expect(compileSpec(nb.specOptimizerRace(race, elongatedQuadratic())).warnings).to.deep.equal([]);
    expect(compileSpec(nb.specRaceLoss(race)).warnings).to.deep.equal([]);
    expect(nb.raceMarkdown(race)).to.match(/\| SGD \| 0\.07 \| 60 \|.*\n\| RMSprop \| 0\.1 \| 60 \|/);
  });
});

describe("notebook helpers: runs (00, 04, 05)", () => {
  let tmp: string;
  let run: RunRecord;
  let runs: { file: string; kind: nb.FoundRun["kind"] }[];
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fer-notebook-"));
    run = makeRun({ seed: 3 });
    runs = [
      { file: path.join(tmp, "record", "run.json"), kind: "record" },
      { file: path.join(tmp, "live", "run.json"), kind: "live" },
      { file: path.join(tmp, "quick", "run.json"), kind: "quick" },
    ];
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const write = (file: string) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, nb.runJson(run));
  };
  const present: nb.DataStatus = { present: true, dir: "/data", images: 981, message: "" };
  const absent: nb.DataStatus = { present: false, dir: "/nowhere", images: 0, message: "" };

  it("runJson writes Infinity and NaN as null, and the result loads as a run record", () => {
    expect(nb.runJson({ a: Infinity, b: NaN, c: 1 })).to.equal('{\n "a": null,\n "b": null,\n "c": 1\n}\n');
    write(runs[2].file);
    expect(loadRun(runs[2].file).test.accuracy).to.equal(run.test.accuracy);
  });

  it("findRun prefers the run of record, then a live run, then a quick one, and says which", () => {
    expect(nb.findRun([])).to.equal(undefined);
    const q = nb.findRun(runs)!;
    expect(q.kind).to.equal("quick");
    expect(q.note).to.match(/quick run.*say nothing about the paper/);
    write(runs[0].file);
    const r = nb.findRun(runs)!;
    expect(r.kind).to.equal("record");
    expect(nb.runStatus(r)).to.match(/run of record/);
    expect(nb.runStatus(undefined)).to.equal(nb.NO_RUN_MESSAGE);
    expect(nb.modelDirOf(r)).to.equal(undefined);
  });

  it("trainingPlan: load the record by default, retrain on request, quick run under FER_QUICK when there is none", () => {
    expect(nb.trainingPlan({ retrain: false, quick: false, data: present, runs }).action).to.equal("load");
    expect(nb.trainingPlan({ retrain: false, quick: true, data: present, runs }).action).to.equal("load");
    const re = nb.trainingPlan({ retrain: true, quick: true, data: present, runs });
    expect(re).to.deep.include({ action: "train", quick: true, out: nb.QUICK_RUN_DIR });
    expect(nb.trainingPlan({ retrain: true, quick: false, data: present, runs })).to.deep.include({ action: "train", quick: false, out: nb.LIVE_RUN_DIR });
    expect(nb.trainingPlan({ retrain: true, quick: false, data: absent, runs }).action).to.equal("none");
    const noRecord = runs.slice(1);
    expect(nb.trainingPlan({ retrain: false, quick: true, data: present, runs: noRecord })).to.deep.include({ action: "train", quick: true });
    const older = nb.trainingPlan({ retrain: false, quick: false, data: present, runs: noRecord });
    expect(older.action).to.equal("load");
    expect(nb.trainingPlan({ retrain: false, quick: true, data: absent, runs: noRecord }).action).to.equal("load");
    const none = nb.trainingPlan({ retrain: false, quick: true, data: absent, runs: [] });
    expect(none.action).to.equal("none");
    expect(nb.planMarkdown(none)).to.match(/nothing to do.*CK\+48 is not available/s);
  });

  it("quickMode reads FER_QUICK", () => {
    expect(nb.quickMode({ FER_QUICK: "1" })).to.equal(true);
    expect(nb.quickMode({ FER_QUICK: "true" })).to.equal(true);
    expect(nb.quickMode({ FER_QUICK: "0" })).to.equal(false);
    expect(nb.quickMode({})).to.equal(false);
  });

  it("claimRows puts the paper beside ours (— without a run); misclassified lists every wrong prediction, most confident first", () => {
    const none = nb.claimRows(undefined, 86911);
    expect(none[0]).to.deep.equal(["test loss (Table 1)", "0.5008", "—"]);
    expect(none[none.length - 1]).to.deep.equal(["trainable parameters (Fig 3)", "86,911", "86,911"]);
    const rows = nb.claimRows(run);
    expect(rows.map((r) => r[0])).to.include("sadness predicted as anger (Fig 7)");
    const correct = run.test.confusion.reduce((a, r, i) => a + r[i], 0);
    const misses = nb.misclassified(run);
    expect(misses).to.have.length(run.split.test.length - correct);
    for (let i = 1; i < misses.length; i++) expect(misses[i - 1].pPredicted).to.be.at.least(misses[i].pPredicted);
    for (const m of misses) expect(m.predicted).not.to.equal(m.trueClass);
    expect(nb.missRows(misses)[0].filter((c) => c.startsWith("**"))).to.have.length(1);
    expect(nb.missMarkdown([])).to.match(/No test image/);
    expect(nb.evaluationSummary(run)).to.include(`${correct}/${run.split.test.length}`);
    expect(nb.perClassMarkdown(run).split("\n")).to.have.length(9);
    expect(nb.foldsMarkdown(run)).to.include("(best)");
    expect(nb.claimsMarkdown(run)).to.include("| test accuracy (Table 1) |");
  });

  it("splitSizes and the settings table follow lib/config", () => {
    const s = nb.splitSizes(nb.manifestFiles(readManifest()));
    expect([s.train, s.test]).to.deep.equal([784, 197]);
    expect(s.folds.map((f) => f.val)).to.deep.equal([157, 157, 157, 157, 156]);
    expect(nb.configMarkdown()).to.include("| batch size | 8 |");
    expect(nb.notebookMapMarkdown()).to.include("[05-evaluate.ipynb](05-evaluate.ipynb)");
  });

  it("carryOut runs the quick protocol on a made-up CK+48 and saves run.json and model/ into the plan's folder", async function () {
    this.timeout(120000);
    const dir = await makeFakeCk48(10);
    try {
      const out = path.join(tmp, "made");
      const lines: string[] = [];
      const found = await nb.carryOut({ action: "train", quick: true, dataDir: dir, out, reason: "test" }, (l) => lines.push(l), { verify: false });
      expect(found?.kind).to.equal("quick");
      expect(found?.record.folds).to.have.length(2);
      expect(fs.existsSync(path.join(out, "run.json"))).to.equal(true);
      expect(nb.modelDirOf(found)).to.equal(path.join(out, "model"));
      expect(lines.some((l) => /fold 1\/2 epoch/.test(l))).to.equal(true);
      expect(await nb.carryOut({ action: "none", reason: "x" })).to.equal(undefined);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
