/**
 * Figures (Fig 1–8, Table 1): specs compile cleanly, rendered SVGs show what the run record says, PNGs decode at
 * 2× size, rendering is byte-identical, the `figures` command handles user errors and regenerates figures/ exactly.
 * Uses a synthetic run record (test/fixtures/run.ts): no training, no data set.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import sharp from "sharp";
import type { TopLevelSpec } from "vega-lite";
import { compileSpec, renderSvg, renderPng, diagramSvg } from "../lib/render";
import { toDot, type Diagram } from "../lib/figures/diagram";
import { diagramFig1, diagramFig2, diagramFig4 } from "../lib/figures/process";
import { diagramFig3 } from "../lib/figures/architecture";
import { specFig5, specFig6 } from "../lib/figures/curves";
import { specFig7 } from "../lib/figures/confusion";
import { specFig8 } from "../lib/figures/roc";
import { table1Markdown, table1Csv } from "../lib/figures/table1";
import { modelLayers, checkRun, DIAGRAM_IDS } from "../lib/figures";
import {
  figuresReadme,
  extraFigures,
  FIGURE_FILES,
  STUDY_FILES,
  ABLATION_FILES,
  REGION_FILES,
  PEER_FILES,
} from "../lib/figures/readme";
import { PEERS_FILE } from "../lib/peers/compare";
import { figuresMain } from "../lib/cli/figures";
import { ABLATIONS, FIGURES, PAPER_RUN, RUNS, STUDY } from "../lib/paths";
import { summarizeStudy } from "../lib/summary";
import { specStudyAccuracy, specStudyLeak, specStudyPerClass } from "../lib/figures/study";
import { makeStudyRuns } from "./fixtures/study";
import { facsSentences, regionsMarkdown, specRegions } from "../lib/figures/explain";
import { deriveRegions } from "../lib/explain/regions";
import { type RegionSummary } from "../lib/explain/region-study";
import { spread } from "../lib/stats";
import { ablationsMarkdown, specForest } from "../lib/figures/ablations";
import type { LayerSummary } from "../lib/model";
import { makeRun } from "./fixtures/run";
import { raceMarkdown } from "../lib/notebooks/03-optim";
import { raceOptimizers, elongatedQuadratic } from "../lib/optim";
import { readManifest, manifestCounts } from "../lib/data/manifest";
import { specClassCounts } from "../lib/figures/data";
import { specOptimizerRace, specRaceLoss } from "../lib/figures/optim";

/** All `<path>`s vega drew for the line marks of a named layer. */
function linePaths(svg: string, layer: string): string[] {
  const out: string[] = [];
  const re = new RegExp(`<g class="mark-line role-mark ${layer}_marks"[^>]*>(.*?)</g>`, "g");
  for (const m of svg.matchAll(re))
    out.push(...(m[1].match(/<path [^>]*aria-roledescription="line mark"[^>]*>/g) ?? []));
  return out;
}

/** Texts of a vega text-mark layer, with their aria labels. */
function texts(svg: string, layer: string): { aria: string; text: string }[] {
  const m = new RegExp(`<g class="mark-text role-mark ${layer}_marks"[^>]*>(.*?)</g>`).exec(svg);
  if (!m) return [];
  return [...m[1].matchAll(/<text aria-label="([^"]*)"[^>]*>([^<]*)<\/text>/g)].map((x) => ({
    aria: x[1],
    text: x[2],
  }));
}

const tmpDirs: string[] = [];
function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "fer-figures-"));
  tmpDirs.push(d);
  return d;
}

/** Run the command in-process, capturing its stderr and progress lines. */
async function cli(argv: string[]): Promise<{ code: number; stderr: string; log: string[] }> {
  const log: string[] = [];
  let stderr = "";
  const orig = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += chunk.toString();
    return true;
  }) as typeof process.stderr.write;
  try {
    const code = await figuresMain(argv, (s) => log.push(s));
    return { code, stderr, log };
  } finally {
    process.stderr.write = orig;
  }
}

describe("figures (Fig 1–8, Table 1)", function () {
  this.timeout(30000);
  const run = makeRun({ seed: 7 });
  let arch: { layers: LayerSummary[]; input: number[] };
  const svgs: Record<string, string> = {};

  after(() => {
    for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
  });

  before(async () => {
    arch = await modelLayers();
    svgs.fig5 = await renderSvg(specFig5(run), { strict: true });
    svgs.fig7 = await renderSvg(specFig7(run), { strict: true });
    svgs.fig8 = await renderSvg(specFig8(run), { strict: true });
  });

  describe("renderer (lib/render.ts)", () => {
    it("compiles Fig 5–8 with vega-lite without a single warning", () => {
      for (const spec of [specFig5(run), specFig6(run), specFig7(run), specFig8(run)]) {
        expect(compileSpec(spec).warnings).to.deep.equal([]);
      }
    });

    it("captures vega-lite warnings (so the check above can fail) and strict rendering rejects them", async () => {
      const bad = {
        data: { values: [{ a: 1, b: "x" }] },
        mark: "bar",
        encoding: { x: { field: "a", type: "quantitative" }, shape: { field: "b", type: "nominal" } },
      } as TopLevelSpec;
      expect(compileSpec(bad).warnings.join(" ")).to.match(/shape/i);
      let err: unknown;
      await renderSvg(bad, { strict: true }).catch((e: unknown) => (err = e));
      expect(String(err)).to.match(/vega-lite warnings/);
    });

    it("sets every text in DejaVu Sans", () => {
      for (const svg of Object.values(svgs)) {
        const fams = new Set([...svg.matchAll(/font-family="([^"]*)"/g)].map((m) => m[1]));
        expect([...fams]).to.deep.equal(["DejaVu Sans"]);
      }
    });

    it("renders a PNG that sharp decodes at 2× the SVG's size", async () => {
      const w = Number(/<svg[^>]* width="(\d+(?:\.\d+)?)"/.exec(svgs.fig8)![1]);
      const h = Number(/<svg[^>]* height="(\d+(?:\.\d+)?)"/.exec(svgs.fig8)![1]);
      const meta = await sharp(await renderPng(svgs.fig8)).metadata();
      expect(meta.format).to.equal("png");
      expect(meta.width).to.equal(Math.round(2 * w));
      expect(meta.height).to.equal(Math.round(2 * h));
      const stats = await sharp(await renderPng(svgs.fig8)).stats();
      // Not blank: the curves and text put dark pixels on the white background.
      expect(stats.channels[0].min).to.be.lessThan(100);
    });

    it("finds real glyphs for the PNGs (librsvg/fontconfig see DejaVu Sans; Debian: fonts-dejavu-core), not boxes", async () => {
      // Without the font, librsvg draws every character as the same "missing glyph" box, so 'iiii' and 'MMMM' come
      // out equally wide; with it, M is several times wider than i.
      const ink = async (t: string) => {
        const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="400" height="40"><rect width="400" height="40" fill="white"/><text x="5" y="28" font-family="DejaVu Sans" font-size="20">${t}</text></svg>`;
        const { info } = await sharp(await renderPng(svg, 1))
          .trim()
          .toBuffer({ resolveWithObject: true });
        return info.width;
      };
      const [thin, wide] = [await ink("iiiiiiii"), await ink("MMMMMMMM")];
      expect(
        wide / thin,
        "PNG text has no real font: install fonts-dejavu-core (and fontconfig-config)",
      ).to.be.greaterThan(2.5);
    });

    it("is deterministic: rendering twice gives byte-identical SVG and PNG (charts and diagrams)", async () => {
      const a = await renderSvg(specFig7(run));
      const b = await renderSvg(specFig7(run));
      expect(a).to.equal(svgs.fig7);
      expect(b).to.equal(a);
      expect((await renderPng(a)).equals(await renderPng(b))).to.equal(true);
      const d1 = await diagramSvg(toDot(diagramFig2()));
      const d2 = await diagramSvg(toDot(diagramFig2()));
      expect(d1).to.equal(d2);
      expect(d1).to.not.match(/Generated by graphviz/);
    });
  });

  describe("Fig 5 and Fig 6 (curves)", () => {
    it("draws one training and one validation line per fold; the best fold separately", async () => {
      expect(linePaths(svgs.fig5, "other_folds")).to.have.length(2 * (run.folds.length - 1));
      expect(linePaths(svgs.fig5, "best_fold")).to.have.length(2);
      const three = makeRun({ seed: 3, folds: 3 });
      const svg = await renderSvg(specFig6(three), { strict: true });
      expect(linePaths(svg, "other_folds")).to.have.length(4);
      expect(linePaths(svg, "best_fold")).to.have.length(2);
    });

    it("marks the best fold's early-stopping epoch", async () => {
      const r = makeRun({ seed: 7, bestFold: 1 });
      const bf = r.folds[1];
      const svg = await renderSvg(specFig5(r), { strict: true });
      expect(texts(svg, "best_epoch_label").map((t) => t.text)).to.deep.equal([`best epoch ${bf.bestEpoch} (fold 2)`]);
      expect(svg).to.include(`aria-label="epoch: ${bf.bestEpoch}"`);
      expect(svg).to.include("best fold 2");
    });
  });

  describe("Fig 7 (confusion matrix)", () => {
    it("has 49 cells whose count texts are the run's confusion matrix (rows = true class)", () => {
      const counts = texts(svgs.fig7, "counts");
      expect(counts).to.have.length(49);
      for (const c of counts) {
        const m = /predicted class: (\w+); true class: (\w+); count: (\d+)/.exec(c.aria)!;
        const [i, j] = [run.classes.indexOf(m[2]), run.classes.indexOf(m[1])];
        expect(Number(c.text), c.aria).to.equal(run.test.confusion[i][j]);
      }
      expect((svgs.fig7.match(/aria-roledescription="rect mark"/g) ?? []).length).to.equal(49);
    });

    it("shows row-normalised percentages (sadness row set to the paper's 57% / 13% → anger)", async () => {
      const r = makeRun({ seed: 7 });
      r.test.confusion[5] = [13, 5, 5, 5, 5, 57, 10];
      const svg = await renderSvg(specFig7(r), { strict: true });
      const row = texts(svg, "percents").filter((t) => /true class: sadness/.test(t.aria));
      expect(row.map((t) => t.text)).to.deep.equal(["13%", "5.0%", "5.0%", "5.0%", "5.0%", "57%", "10%"]);
    });

    it("labels both axes with the seven class names", () => {
      for (const c of run.classes)
        expect((svgs.fig7.match(new RegExp(`>${c}</text>`, "g")) ?? []).length, c).to.equal(2);
    });
  });

  describe("Fig 8 (ROC)", () => {
    it("draws 7 ROC lines plus the chance diagonal, with each class's AUC in the legend", () => {
      expect(linePaths(svgs.fig8, "roc")).to.have.length(7);
      expect(linePaths(svgs.fig8, "chance")).to.have.length(1);
      for (const c of run.test.roc) expect(svgs.fig8).to.include(`>${c.class} (AUC ${c.auc.toFixed(3)})</text>`);
    });

    it("shows 'AUC n/a' for a class whose ROC is undefined (null in run.json) and still passes the run check", async () => {
      const r = JSON.parse(JSON.stringify(makeRun({ seed: 7 }))) as typeof run;
      (r.test.roc[1] as { auc: number | null }).auc = null;
      expect(checkRun(r)).to.equal(undefined);
      const svg = await renderSvg(specFig8(r), { strict: true });
      expect(svg).to.include(">contempt (AUC n/a)</text>");
      expect(figuresReadme(r, arch.layers)).to.include("contempt n/a");
    });
  });

  describe("Fig 1–4 (Graphviz diagrams)", () => {
    it("Fig 3 is drawn from the model: every layer, its shape and parameters, total 86,911", async () => {
      const svg = await diagramSvg(toDot(diagramFig3(arch.layers, arch.input)));
      expect(svg).to.include("86,911");
      expect(arch.layers).to.have.length(10);
      for (const l of arch.layers) {
        expect(svg, l.name).to.include(`>${l.name}</text>`);
        expect(svg, l.kind).to.include(l.kind);
        expect(svg, l.name).to.include(`output ${l.outputShape.join("×")}`);
      }
      expect(svg).to.include("48×48×3");
    });

    it("Fig 3 follows the model: another layer table gives another figure", () => {
      const changed = arch.layers.map((l) =>
        l.name === "dense1" ? { ...l, detail: "64 units, ReLU", outputShape: [64], params: 576 * 64 + 64 } : l,
      );
      const dot = toDot(diagramFig3(changed, arch.input));
      expect(dot).to.include("64 units");
      expect(dot).to.not.include("86,911");
    });

    it("Fig 1, 2, 4 are laid out by Graphviz from their node/edge data", async () => {
      for (const d of [diagramFig1(), diagramFig2(), diagramFig4()]) {
        const svg = await diagramSvg(toDot(d));
        expect((svg.match(/<g id="node\d+" class="node">/g) ?? []).length, d.title).to.equal(d.nodes.length);
        expect((svg.match(/<g id="edge\d+" class="edge">/g) ?? []).length, d.title).to.equal(d.edges.length);
      }
      const fig2 = toDot(diagramFig2());
      for (const s of ["Forward pass", "Eq. 1–2", "Back-propagation", "RMSprop update (Eq. 3–4)", "early stop"])
        expect(fig2).to.include(s);
      const fig4 = toDot(diagramFig4());
      for (const s of [
        "one-hot",
        "Augmentation",
        "80% / 20%",
        "197 images",
        "Fold 5",
        "checkpoint",
        "Best fold",
        "Confusion matrix",
        "ROC",
        "Saved model",
      ])
        expect(fig4).to.include(s);
    });

    it("rejects an edge to a node that does not exist", () => {
      const d: Diagram = {
        title: "t",
        direction: "LR",
        nodes: [{ id: "a", role: "step" }],
        edges: [{ from: "a", to: "b" }],
      };
      expect(() => toDot(d)).to.throw(/unknown node/);
    });
  });

  describe("Table 1 and README", () => {
    it("puts the paper's values beside ours, with per-class accuracy", () => {
      const md = table1Markdown(run);
      expect(md).to.match(/\| Test loss \| 197 \| 0\.5008 \| \d\.\d{4} \|/);
      expect(md).to.include(`| Test accuracy | 197 | 0.8325 | ${run.test.accuracy.toFixed(4)} |`);
      expect(md).to.match(/\| Accuracy: sadness \| \d+ \| 0\.5700 \|/);
      expect(md).to.match(/\| Accuracy: anger \| \d+ \| 0\.9890 \|/);
      const csv = table1Csv(run).trim().split("\n");
      expect(csv[0]).to.equal("key,metric,n,paper,ours");
      expect(csv).to.have.length(3 + 7 + 1);
      expect(csv[2]).to.equal(`test_accuracy,Test accuracy,197,0.8325,${run.test.accuracy}`);
      expect(csv.find((l) => l.startsWith("accuracy_contempt,"))).to.match(/,11,,/);
    });

    it("README embeds every figure with its caption and the paper's claim beside ours", () => {
      const md = figuresReadme(run, arch.layers);
      for (const [id, base] of Object.entries(FIGURE_FILES)) {
        if (id === "table1") expect(md).to.include(`(${base}.csv)`);
        else expect(md).to.include(`(${base}.png)](${base}.svg)`);
      }
      expect((md.match(/\| \*\*Paper\*\* \|/g) ?? []).length).to.equal(9);
      expect((md.match(/\| \*\*Ours\*\* \|/g) ?? []).length).to.equal(9);
      const sad = run.test.perClass[5].accuracy;
      expect(md).to.include(`sadness ${(sad * 100).toFixed(1)}% correct`);
      expect(md).to.include("sadness 57.0% correct");
      expect(md).not.to.include("Beyond the paper");
      // the figures beyond the paper: listed when made, each with its image pair and its table
      const more = figuresReadme(run, arch.layers, extraFigures({ study: true, ablations: false, regions: true }));
      expect(more.slice(0, md.length)).to.equal(md);
      expect(more.match(/^## .*$/gm)!.slice(9)).to.deep.equal([
        "## Test accuracy over seeds",
        "## Per class over seeds",
        "## The identity leak",
        "## What each facial region is worth",
      ]);
      for (const base of [STUDY_FILES.accuracy, STUDY_FILES.perClass, STUDY_FILES.leak, REGION_FILES.map])
        expect(more).to.include(`(${base}.png)](${base}.svg)`);
      expect(more)
        .to.include("[claims.md](claims.md)")
        .and.include("[explain-regions.md](explain-regions.md)")
        .and.not.include(ABLATION_FILES.forest);
      expect(more).to.include("the paper's 0.8325 and");
    });
  });

  describe("npm run figures (lib/cli/figures.ts)", () => {
    it("rejects an unknown flag, a bad run file and a missing run with one line and a non-zero code", async () => {
      const dir = tmpDir();
      const unknown = await cli(["--bogus"]);
      expect(unknown.code).to.equal(2);
      expect(unknown.stderr).to.match(/^figures: .*--bogus.*\n$/);
      fs.writeFileSync(path.join(dir, "bad.json"), "{ not json");
      const bad = await cli(["--run", path.join(dir, "bad.json"), "--out", dir]);
      expect(bad.code).to.equal(2);
      expect(bad.stderr).to.match(/^figures: .*not valid JSON.*\n$/);
      expect(fs.readdirSync(dir)).to.deep.equal(["bad.json"]);
      expect(checkRun({ ...run, bestFold: 9 })).to.match(/bestFold/);
      const missing = await cli(["--run", path.join(dir, "nope.json"), "--out", dir]);
      expect(missing.code).to.equal(2);
      expect(missing.stderr).to.match(/^figures: no run record at .*npm run reproduce.*\n$/);
      // The diagrams need no run and are written anyway.
      for (const id of DIAGRAM_IDS) expect(fs.existsSync(path.join(dir, `${FIGURE_FILES[id]}.png`)), id).to.equal(true);
      expect(fs.existsSync(path.join(dir, "fig5-loss.svg"))).to.equal(false);
    });

    it("writes every figure, table and the README from a run record, no temp files left", async () => {
      const dir = tmpDir();
      const file = path.join(dir, "run.json");
      fs.writeFileSync(file, JSON.stringify(run));
      const out = path.join(dir, "figs");
      const r = await cli(["--run", file, "--out", out]);
      expect(r.stderr).to.equal("");
      expect(r.code).to.equal(0);
      // the study's, the comparisons' and the regions' files when their summaries are committed
      const pair = (b: string) => [`${b}.png`, `${b}.svg`];
      const extra = [
        ...(fs.existsSync(path.join(STUDY, "summary.json"))
          ? [
              ...pair(STUDY_FILES.accuracy),
              ...pair(STUDY_FILES.perClass),
              ...pair(STUDY_FILES.leak),
              `${STUDY_FILES.claims}.md`,
            ]
          : []),
        ...(fs.existsSync(path.join(ABLATIONS, "summary.json"))
          ? [...pair(ABLATION_FILES.forest), `${ABLATION_FILES.table}.md`]
          : []),
        ...(fs.existsSync(path.join(RUNS, "explain", "regions.json"))
          ? [...pair(REGION_FILES.map), `${REGION_FILES.table}.md`]
          : []),
        ...(fs.existsSync(PEERS_FILE) ? [...pair(PEER_FILES.chart), `${PEER_FILES.table}.md`] : []),
      ];
      const expected = Object.entries(FIGURE_FILES)
        .flatMap(([id, b]) => (id === "table1" ? [`${b}.csv`, `${b}.md`] : [`${b}.png`, `${b}.svg`]))
        .concat("README.md", ...extra)
        .sort();
      expect(fs.readdirSync(out).sort()).to.deep.equal(expected);
      expect(fs.readFileSync(path.join(out, "fig7-confusion.svg"), "utf8")).to.equal(svgs.fig7);
    });

    it("committed diagrams (figures/fig1–4) are what the code makes now", async function () {
      const committed = DIAGRAM_IDS.map((id) => path.join(FIGURES, `${FIGURE_FILES[id]}.svg`));
      if (!committed.every((f) => fs.existsSync(f))) this.skip();
      const dir = tmpDir();
      await cli(["--run", path.join(dir, "none.json"), "--out", dir]);
      for (const id of DIAGRAM_IDS) {
        for (const ext of ["svg", "png"]) {
          const name = `${FIGURE_FILES[id]}.${ext}`;
          expect(
            fs.readFileSync(path.join(dir, name)).equals(fs.readFileSync(path.join(FIGURES, name))),
            name,
          ).to.equal(true);
        }
      }
    });

    it("regenerating from data/runs/paper/run.json gives files byte-identical to the committed figures/", async function () {
      const runFile = path.join(PAPER_RUN, "run.json");
      if (!fs.existsSync(runFile)) this.skip();
      const dir = tmpDir();
      const r = await cli(["--run", runFile, "--out", dir]);
      expect(r.code, r.stderr).to.equal(0);
      const made = fs.readdirSync(dir).sort();
      // faces/: git-ignored (npm run figures -- --faces); the screenshots of the live demo and of the book, written
      // by test/e2e/demo.test.ts and test/e2e/book.test.ts
      const committed = fs
        .readdirSync(FIGURES)
        .filter((f) => !f.startsWith(".") && f !== "faces" && f !== "demo.png" && f !== "book.png")
        .sort();
      expect(committed).to.deep.equal(made);
      for (const f of made)
        expect(fs.readFileSync(path.join(dir, f)).equals(fs.readFileSync(path.join(FIGURES, f))), f).to.equal(true);
    });
  });
});

describe("figures: the notebooks' charts", () => {
  const manifest = readManifest();

  it("the class-count chart compiles without vega-lite warnings", () => {
    expect(compileSpec(specClassCounts(manifestCounts(manifest))).warnings).to.deep.equal([]);
    expect(() => specClassCounts([1, 2])).to.throw(/7 counts/);
  });

  it("the race charts compile without vega-lite warnings; the table says where each optimiser ended", () => {
    const race = raceOptimizers();
    expect(compileSpec(specOptimizerRace(race, elongatedQuadratic())).warnings).to.deep.equal([]);
    expect(compileSpec(specRaceLoss(race)).warnings).to.deep.equal([]);
    expect(raceMarkdown(race)).to.match(/\| SGD \| 0\.07 \| 60 \|.*\n\| RMSprop \| 0\.1 \| 60 \|/);
  });
});

describe("figures: the study's charts", () => {
  const summary = summarizeStudy(makeStudyRuns());
  it("compile without vega-lite warnings", () => {
    for (const spec of [specStudyAccuracy(summary), specStudyPerClass(summary), specStudyLeak(summary)])
      expect(compileSpec(spec).warnings).to.deep.equal([]);
  });
  it("every run is a dot and every split has its mean and interval", () => {
    const spec = specStudyAccuracy(summary) as unknown as { layer: { data: { values: unknown[] } }[] };
    expect(spec.layer[0].data.values).to.have.length(10);
    expect(spec.layer[1].data.values).to.have.length(2);
  });
  it("the leak chart labels each group with its images per run and in all, and draws a group too small to estimate hollow, without an interval", async () => {
    const s = summarizeStudy(makeStudyRuns());
    const random = s.splits.find((x) => x.split === "random")!;
    // as in the committed study's "person unseen": 3 test images in one run of five (no interval over seeds)
    random.leak.push({ group: "none", images: spread([3, 0, 0, 0, 0]), accuracy: spread([1]) });
    const spec = specStudyLeak(s);
    expect(compileSpec(spec).warnings).to.deep.equal([]);
    type Row = { group: string; few: boolean; total: number; label: string };
    const panels = (spec as unknown as { vconcat: { data: { values: Row[] } }[] }).vconcat;
    expect(panels).to.have.length(2); // one panel per split, with only the groups it has
    const [seq, tiny] = ["sibling frame seen", "person unseen"].map((g) =>
      panels[0].data.values.find((v) => v.group === g)!,
    );
    expect(tiny).to.deep.include({ few: true, total: 3, label: "0.6/run, 3 in all: too few to estimate" });
    expect(seq).to.deep.include({ few: false, total: 5 * 197, label: "197.0/run, 985 in all" });
    expect(panels[1].data.values.map((v) => v.group)).to.deep.equal(["person unseen"]);
    // enough images but fewer than the threshold asks for: hollow too
    const strict = (specStudyLeak(s, 1000) as unknown as { vconcat: { data: { values: Row[] } }[] }).vconcat;
    expect(strict[0].data.values.find((v) => v.group === "sibling frame seen")!.few).to.equal(true);
    // drawn: the tiny group's symbol has no fill (the root's fill="none"), a grey stroke, and its rule is invisible
    const svg = await renderSvg(spec, { strict: true });
    const symbols = /<g class="mark-symbol role-mark concat_0_layer_1_marks"[^>]*>(.*?)<\/g>/.exec(svg)![1];
    const point = (g: string) => new RegExp(`<path aria-label="[^"]*group: ${g}"[^>]*>`).exec(symbols)![0];
    expect(point("person unseen")).to.not.match(/fill=/);
    expect(point("person unseen")).to.include('stroke="#999999"');
    expect(point("sibling frame seen")).to.include('fill="#1f3b5a"');
    const rules = /<g class="mark-rule role-mark concat_0_layer_0_marks"[^>]*>(.*?)<\/g>/.exec(svg)![1];
    expect(rules.match(/opacity="0"/g)).to.have.length(1);
    expect(svg).to.include("0.6/run, 3 in all: too few to estimate");
  });
});

describe("figures: the comparisons", () => {
  const summary = summarizeStudy(makeStudyRuns([0, 1, 2, 3], { paper: 0, gray: -0.1, wide: 0.03 }));
  it("the forest plot compiles, one row per variant against paper, with a zero line", () => {
    const spec = specForest(summary);
    expect(compileSpec(spec).warnings).to.deep.equal([]);
    const values = (spec as unknown as { data: { values: { variant: string }[] } }).data.values;
    expect(values.map((v) => v.variant)).to.deep.equal(["gray", "wide"]);
    const gray = summary.comparisons.find((c) => c.variant === "gray" && c.split === "subject")!.accuracy;
    expect((values[0] as unknown as { mean: number; lo: number }).mean).to.be.closeTo(100 * gray.mean, 1e-9); // percentage points
    expect((values[0] as unknown as { mean: number; lo: number }).lo).to.be.closeTo(100 * gray.t!.lo, 1e-9);
  });
  it("the paired difference is variant − paper seed by seed, and the table has a row per variant and split", () => {
    const c = summary.comparisons.find((x) => x.variant === "gray" && x.split === "subject")!;
    const acc = (v: string, seed: number) =>
      summary.splits.find((x) => x.variant === v && x.split === "subject")!.runs.find((r) => r.seed === seed)!.accuracy;
    expect(c.accuracy.mean).to.be.closeTo(
      [0, 1, 2, 3].reduce((a, s) => a + acc("gray", s) - acc("paper", s), 0) / 4,
      1e-12,
    );
    expect(c.accuracy.mean).to.be.below(0);
    const md = ablationsMarkdown(summary, { paper: 86911, gray: 86611, wide: 1 });
    expect(md.split("\n").filter((l) => /^\| (paper|gray|wide) \|/.test(l))).to.have.length(6);
    expect(md).to.include("| paper | random | 4 |");
    expect(md).to.match(/\*\*gray\*\*: The PNGs are grey/);
  });
});

describe("figures: the facial regions", () => {
  const face = new Float32Array(48 * 48).fill(0.5);
  for (let x = 0; x < 48; x++) face[18 * 48 + x] = face[36 * 48 + x] = 0.1;
  const { regions, evidence } = deriveRegions(face, 48);
  const classes = ["anger", "contempt", "disgust", "fear", "happy", "sadness", "surprise"];
  const summary: RegionSummary = {
    method: "synthetic",
    classes,
    seeds: [0, 1, 2],
    regions: regions.map((r) => ({ name: r.name, box: r.box, pixels: r.mask.reduce((a, v) => a + v, 0) })),
    evidence,
    effects: classes.flatMap((c, k) =>
      regions.map((r, j) => ({
        class: c,
        region: r.name,
        images: spread([20, 20, 20]),
        delta: spread([-0.1 * j, -0.1 * j - 0.02 * k, -0.1 * j + 0.01]),
        probDrop: spread([0.1, 0.2, 0.15]),
      })),
    ),
    sanity: [{ method: "grad-cam", correlation: spread([0.2, 0.3, 0.25]) }],
  };
  it("the heat map compiles, one cell per class and region, the numbers in points", () => {
    const spec = specRegions(summary);
    expect(compileSpec(spec).warnings).to.deep.equal([]);
    const values = (spec as unknown as { data: { values: { label: string }[] } }).data.values;
    expect(values).to.have.length(7 * regions.length);
    expect(values[1].label).to.equal("−10");
  });
  it("the table has a row per class, the boxes and the sanity check", () => {
    const [table, facs] = regionsMarkdown(summary).split("## Against FACS");
    const md = table + facs;
    expect(
      table.split("\n").filter((l) => /^\| (anger|contempt|disgust|fear|happy|sadness|surprise) \|/.test(l)),
    ).to.have.length(7);
    // FACS: the costliest region apart from "rest" is cheeks/jaw here (−0.1 j grows with the region's index j)
    const rows = facs.split("\n").filter((l) => /^\| (anger|contempt|disgust|fear|happy|sadness|surprise) \|/.test(l));
    expect(rows).to.have.length(7);
    expect(rows.find((l) => l.startsWith("| happy |"))).to.match(
      /^\| happy \| 20\.0 \| cheeks\/jaw \| −32 \[.*\| yes \|$/,
    );
    expect(rows.find((l) => l.startsWith("| anger |"))).to.match(/\| \*\*no\*\* \|$/);
    // a sentence per class from the same numbers: regions whose interval excludes 0 are named, FACS' verdict given
    const happy = facsSentences(summary).find((x) => x.startsWith("**happy**"))!;
    expect(happy).to.match(
      /^\*\*happy\*\*: occluding the cheeks\/jaw costs −32 points \[−\d+, −\d+\]; also nose \(−\d+\), mouth \(−\d+\); as FACS predicts \(AU6/,
    );
    expect(facsSentences(summary).find((x) => x.startsWith("**anger**"))).to.match(
      /; where FACS predicts brows\+eyes and mouth \(AU4/,
    );
    expect(md).to.include(`- ${happy}`);
    expect(md).to.include("| brows+eyes |");
    expect(md).to.match(/grad-cam 0\.25 \[/);
  });
});
