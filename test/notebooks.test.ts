/**
 * The notebooks (notebooks/*.ipynb): committed without outputs as valid nbformat 4, tslab kernel, no function or class
 * definitions in code cells (everything they compute is in lib/), each ending with "Summary" and "Where we differ from
 * the paper"; their imports resolve to lib/ through the committed notebooks/node_modules/fer-ck48/lib link; every
 * notebook type-checks under the project's strict settings; and `npm run notebooks` really executes them through
 * Jupyter (skipped without python3-nbclient), naming the notebook and cell that fails.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import * as ts from "typescript";
import { NOTEBOOKS, ROOT } from "../lib/paths";
import { findPython, notebookFiles, describeFailure } from "../lib/cli/notebooks";
import { NUM_CLASSES, PAPER, PAPER_RESULTS } from "../lib/config";
import { fileNameStructure } from "../lib/notebooks/01-data";
import { manifestCounts, manifestFiles, readManifest } from "../lib/data/manifest";
import { splitSizes } from "../lib/split";
import { parametersByHand } from "../lib/model";
import { SUBJECT_CV_FOLDS } from "../lib/protocol";
import { sourceOf } from "../lib/display/listing";
import { galleryParams } from "../lib/augment";
import { EXAMPLE_BATCH, raceOptimizers, rmspropByHand } from "../lib/notebooks/03-optim";
import { codeCells, type Cell, type Notebook } from "./fixtures/notebooks";

const EXPECTED = [
  "00-overview",
  "01-data",
  "02-model",
  "03-optim",
  "04-train",
  "05-evaluate",
  "06-study",
  "07-ablations",
  "08-explain",
];
const files = fs
  .readdirSync(NOTEBOOKS)
  .filter((f) => f.endsWith(".ipynb"))
  .sort();
const text = (c: Cell) => (Array.isArray(c.source) ? c.source.join("") : c.source);
const read = (f: string) => JSON.parse(fs.readFileSync(path.join(NOTEBOOKS, f), "utf8")) as Notebook;

/** Function-like and class nodes in a piece of TypeScript: what a notebook must not define. */
function definitions(source: string): string[] {
  const sf = ts.createSourceFile("cell.ts", source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (n: ts.Node) => {
    if (
      ts.isFunctionDeclaration(n) ||
      ts.isFunctionExpression(n) ||
      ts.isArrowFunction(n) ||
      ts.isClassDeclaration(n) ||
      ts.isClassExpression(n) ||
      ts.isMethodDeclaration(n) ||
      ts.isGetAccessor(n) ||
      ts.isSetAccessor(n) ||
      ts.isConstructorDeclaration(n)
    ) {
      const { line } = sf.getLineAndCharacterOfPosition(n.getStart(sf));
      found.push(`${ts.SyntaxKind[n.kind]} at line ${line + 1}: ${n.getText(sf).split("\n")[0].slice(0, 60)}`);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

/** Module specifiers imported by a piece of TypeScript, in order. */
function imports(source: string): string[] {
  const sf = ts.createSourceFile("cell.ts", source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  return sf.statements.filter(ts.isImportDeclaration).map((d) => (d.moduleSpecifier as ts.StringLiteral).text);
}

describe("notebooks: structure", () => {
  it("are the notebooks of the walkthrough, in order", () => {
    expect(files.map((f) => f.replace(/\.ipynb$/, ""))).to.deep.equal(EXPECTED);
  });

  for (const f of files) {
    describe(f, () => {
      const nb = read(f);

      it("is nbformat 4 with the tslab (TypeScript) kernel", () => {
        expect(nb.nbformat).to.equal(4);
        expect(nb.nbformat_minor).to.be.at.least(4);
        expect(nb.metadata.kernelspec?.name).to.equal("tslab");
        expect(nb.metadata.kernelspec?.language).to.equal("typescript");
        expect(nb.cells.length).to.be.greaterThan(4);
        for (const c of nb.cells) {
          expect(["code", "markdown"]).to.include(c.cell_type);
          expect(c.metadata).to.be.an("object");
          expect(typeof c.source === "string" || Array.isArray(c.source)).to.equal(true);
        }
      });

      it("is committed without outputs or execution counts", () => {
        for (const [i, c] of codeCells(nb).entries()) {
          expect(c.outputs, `code cell ${i} outputs`).to.deep.equal([]);
          expect(c.execution_count, `code cell ${i} execution_count`).to.equal(null);
        }
        for (const c of nb.cells.filter((x) => x.cell_type === "markdown")) expect(c).not.to.have.property("outputs");
      });

      it("defines no functions or classes (everything it computes comes from lib/)", () => {
        const defs = codeCells(nb).flatMap((c, i) => definitions(text(c)).map((d) => `code cell ${i}: ${d}`));
        expect(defs).to.deep.equal([]);
      });

      it("ends with 'Summary' and 'Where we differ from the paper'", () => {
        const [a, b] = nb.cells.slice(-2);
        expect(a.cell_type).to.equal("markdown");
        expect(b.cell_type).to.equal("markdown");
        expect(text(a)).to.match(/^## Summary\b/);
        expect(text(b)).to.match(/^## Where we differ from the paper\b/);
        expect(
          text(b)
            .split("\n")
            .filter((l) => l.startsWith("- ")).length,
        ).to.be.at.least(2);
      });

      it("registers tsx before importing lib, and imports lib only as fer-ck48/lib/<existing module>", () => {
        const specs = codeCells(nb).flatMap((c) => imports(text(c)));
        const firstLib = specs.findIndex((s) => s.startsWith("fer-ck48/"));
        expect(firstLib, "imports fer-ck48/lib").to.be.greaterThan(-1);
        expect(specs.indexOf("tsx/cjs"), "tsx/cjs first").to.be.within(0, firstLib - 1);
        for (const s of specs) {
          expect(s, "no relative imports (tslab's rootDir is the notebook folder)").not.to.match(/^\./);
          if (s.startsWith("fer-ck48/")) {
            const rel = s.replace(/^fer-ck48\//, "");
            expect(rel, s).to.match(/^lib\//);
            expect(
              fs.existsSync(path.join(ROOT, `${rel}.ts`)) || fs.existsSync(path.join(ROOT, rel, "index.ts")),
              `${s} exists`,
            ).to.equal(true);
          }
        }
      });
    });
  }

  it("reach lib/ through the committed link notebooks/node_modules/fer-ck48/lib", () => {
    const link = path.join(NOTEBOOKS, "node_modules", "fer-ck48", "lib");
    expect(fs.lstatSync(link).isSymbolicLink()).to.equal(true);
    expect(fs.readlinkSync(link)).to.equal("../../../lib");
    expect(fs.realpathSync(link)).to.equal(fs.realpathSync(path.join(ROOT, "lib")));
  });

  it("are valid nbformat 4 JSON by nbformat's own validator (skipped without python3-nbformat)", function () {
    const py = findPython();
    if (!py) return this.skip();
    const code =
      "import sys, nbformat\nfor f in sys.argv[1:]:\n    nbformat.validate(nbformat.read(f, as_version=4))\nprint('ok')";
    const r = spawnSync(py, ["-c", code, ...files.map((f) => path.join(NOTEBOOKS, f))], { encoding: "utf8" });
    expect(r.stderr).to.equal("");
    expect(r.stdout.trim()).to.equal("ok");
  });
});

describe("notebooks: type-check (strict, the project's TypeScript)", () => {
  it("every notebook's code cells, in order, compile without errors", function () {
    this.timeout(120000);
    // Each notebook becomes one virtual module in notebooks/ (where the kernel runs): its code cells in order.
    const virtual = new Map(
      files.map((f) => [
        path.join(NOTEBOOKS, `__typecheck_${f.replace(/\.ipynb$/, "")}.ts`),
        codeCells(read(f)).map(text).join("\n\n") + "\nexport {};\n",
      ]),
    );
    const options: ts.CompilerOptions = {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext, // top-level await, as tslab allows
      moduleResolution: ts.ModuleResolutionKind.Node10,
      esModuleInterop: true,
      resolveJsonModule: true,
      skipLibCheck: true,
      types: ["node"],
      lib: ["lib.es2022.d.ts"],
    };
    const host = ts.createCompilerHost(options);
    const { fileExists, readFile, getSourceFile } = host;
    host.fileExists = (f) => virtual.has(f) || fileExists.call(host, f);
    host.readFile = (f) => virtual.get(f) ?? readFile.call(host, f);
    host.getSourceFile = (f, lang, onError, create) =>
      virtual.has(f)
        ? ts.createSourceFile(f, virtual.get(f)!, lang)
        : getSourceFile.call(host, f, lang, onError, create);
    const program = ts.createProgram([...virtual.keys()], options, host);
    const problems = [...virtual.keys()].flatMap((f) =>
      ts.getPreEmitDiagnostics(program, program.getSourceFile(f)).map((d) => {
        const pos = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
        return `${path.basename(d.file?.fileName ?? f)}:${pos ? pos.line + 1 : "?"}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
      }),
    );
    // Imports must resolve to lib/ itself (through the link), not to a copy.
    const libFiles = program
      .getSourceFiles()
      .map((s) => s.fileName)
      .filter((n) => n.includes(`${path.sep}lib${path.sep}runs.ts`));
    expect(problems).to.deep.equal([]);
    expect(libFiles.length).to.be.greaterThan(0);
  });
});

describe("notebooks: runner helpers", () => {
  it("notebookFiles lists every notebook in name order, or resolves names", () => {
    expect(notebookFiles([]).map((f) => path.basename(f))).to.deep.equal(files);
    expect(notebookFiles(["02-model"])).to.deep.equal([path.join(NOTEBOOKS, "02-model.ipynb")]);
  });

  it("describeFailure names notebook, cell, source and output", () => {
    const s = describeFailure({
      notebook: "/x/01-data.ipynb",
      ok: false,
      seconds: 1,
      cell: 4,
      source: "\nfoo();\nbar();",
      output: "Error: nope\n  at x",
    });
    expect(s).to.match(/^01-data\.ipynb: cell 4 failed: foo\(\); ⏎ bar\(\);/);
    expect(s).to.include("Error: nope");
  });
});

/**
 * No number in notebook prose that the code does not compute or the data does not hold: every number in a Markdown
 * cell must equal (at the precision written, also as a percentage) one of the facts below, each computed from lib/
 * (the config, the paper's reported results, the manifest, the architecture, the worked examples). References
 * (Eq. 3, Fig 7, Section 2.1, notebook 04, tfjs 4.22), code spans, formulas and the trivial 0, 1, 2 are not numbers
 * of this kind. A sentence whose number drifts from the code fails here, naming the notebook, cell and number.
 */
describe("notebooks: numbers in prose are computed facts", () => {
  const facts: number[] = [0, 1, 2];
  const add = (...xs: unknown[]) => {
    for (const x of xs) {
      if (typeof x === "number" && Number.isFinite(x)) facts.push(Math.abs(x));
      else if (Array.isArray(x)) add(...x);
      else if (x && typeof x === "object") add(...Object.values(x));
    }
  };
  before(() => {
    const manifest = readManifest();
    const files = manifestFiles(manifest);
    const counts = manifestCounts(manifest);
    const names = fileNameStructure(manifest);
    const total = counts.reduce((a, b) => a + b, 0);
    add(
      PAPER,
      PAPER_RESULTS,
      NUM_CLASSES,
      counts,
      total,
      names.subjects,
      names.sequences,
      Object.keys(names.imagesPerSequence).map(Number),
    );
    add(Math.max(...counts) / total); // the majority-class baseline
    add(255); // 8-bit grey maximum: lib/data/decode.ts decodeImage divides by it
    add(0.95, SUBJECT_CV_FOLDS); // the level of every interval (lib/stats), the folds of subject-cv
    const sizes = splitSizes(files);
    add(sizes.train, sizes.test, sizes.folds);
    const rows = parametersByHand();
    const all = rows.reduce((a, r) => a + r.params, 0);
    add(
      rows.map((r) => [r.params, r.output.split("×").map(Number)]),
      all,
    );
    for (const c of PAPER.arch.convs) add(c.kernel - 1); // pixels a valid k×k convolution trims from a side
    add(galleryParams().map((g) => g.params));
    // notebook 03's worked examples
    add(
      EXAMPLE_BATCH.probs,
      -Math.log(PAPER.epsilon),
      EXAMPLE_BATCH.probs.map((p, i) => -Math.log(p[EXAMPLE_BATCH.labels[i]])),
    );
    add(1 / Math.sqrt(1 - PAPER.rho), Math.sqrt(PAPER.epsilon));
    const s = { lr: PAPER.learningRate, rho: PAPER.rho, epsilon: PAPER.epsilon };
    const grads = [0.5, 0.5, -2, 0.01, 0.01];
    const byHand = rmspropByHand(1, grads, s);
    add(Math.abs(grads[2] / grads[3]), Math.abs(byHand[2].step / byHand[3].step));
    const inside = rmspropByHand(1, [1e-4], s)[0].step;
    const outside = rmspropByHand(1, [1e-4], { ...s, epsilonPlacement: "outside" })[0].step;
    add(1e-4, outside / inside);
    const race = raceOptimizers();
    const end = (p: { f: number }[]) => p[p.length - 1].f;
    add(
      race.sgd.path.length - 1,
      race.sgd.path[0].x,
      race.sgd.path[0].y,
      race.sgd.lr,
      race.rmsprop.lr,
      end(race.sgd.path) / end(race.rmsprop.path),
    );
    add(2 / 25, 25); // elongatedQuadratic's default κ = 25 and SGD's stability limit 2/κ
  });

  /** The numbers of a Markdown text, after removing references, code, formulas and version numbers. */
  const numbersIn = (md: string): string[] =>
    md
      .replace(/\$\$[\s\S]*?\$\$|\$[^$\n]*\$/g, " ")
      .replace(/`[^`]*`/g, " ")
      .replace(/\]\([^)]*\)/g, "]")
      .replace(/^#+ \d+ ·/gm, " ")
      .replace(/SHA-\d+|\d+-D\b/g, " ")
      .replace(/(?<=(?:et al\.|&\s\w+|\b[A-Z][a-z]+)\s\(?)(?:19|20)\d\d\b/g, " ") // a citation's year: "Simonyan et al. 2014", "(Friesen 1978"
      .replace(/^\s*\d+\. /gm, " ")
      .replace(
        /\b(Eq\.|Eqs\.|Section|Sections|Fig|Figs|Table|notebooks?|Notebooks?|TF|Keras|tfjs|Node|fold|epoch|step|Steps?|pool|conv|dense)\s*\d+(?:\.\d+)*(?:\s*[–-]\s*\d+(?:\.\d+)*)?/g,
        " ",
      )
      .match(/(?<![\w.])\d+(?:,\d{3})*(?:\.\d+)?(?:e-?\d+)?/g) ?? [];
  const known = (text: string): boolean => {
    const v = Number(text.replace(/,/g, ""));
    const decimals = /e/.test(text) ? 0 : (text.split(".")[1] ?? "").length;
    const tol = /e/.test(text) ? Math.abs(v) * 0.05 : 0.5 * 10 ** -decimals + 1e-9;
    return facts.some((f) => Math.abs(f - v) <= tol || Math.abs(100 * f - v) <= tol);
  };

  it("the extraction finds numbers and skips references (a check of this check)", () => {
    expect(
      numbersIn("Eq. 3–4 and Fig 7 of Section 2.1, notebook 04, tfjs 4.22: 86,911 and `x = 5` and 57 % and 1e-7"),
    ).to.deep.equal(["86,911", "57", "1e-7"]);
    expect(
      numbersIn("Simonyan et al. 2014, (Zeiler & Fergus 2014) and Adebayo et al. (2018) saw 3 faces"),
    ).to.deep.equal(["3"]);
  });

  for (const f of files) {
    it(`${f}: every number in its Markdown cells is computed`, () => {
      const unknown: string[] = [];
      read(f).cells.forEach((c, i) => {
        if (c.cell_type !== "markdown") return;
        for (const n of numbersIn(text(c))) if (!known(n)) unknown.push(`cell ${i}: ${n}`);
      });
      expect(unknown).to.deep.equal([]);
    });
  }
});

/** d2l's rule: a notebook shows the real source of what it teaches, and the source says which notebook teaches it. */
describe("notebooks: the code they teach", () => {
  const shown = (nb: Notebook) =>
    codeCells(nb).flatMap((c) =>
      [...text(c).matchAll(/showSource\("([^"]+)", "([^"]+)"\)/g)].map((m) => ({ file: m[1], name: m[2] })),
    );

  it("the core functions' sources appear in the notebooks", () => {
    const all = files.flatMap((f) => shown(read(f)).map((s) => s.name));
    for (const name of [
      "createModel",
      "transformMatrix",
      "sampleCrossEntropy",
      "trainTestSplit",
      "kFold",
      "trainFold",
      "BestWeights",
      "rocCurve",
      "auc",
    ]) {
      expect(all, name).to.include(name);
    }
  });

  for (const f of files) {
    it(`${f}: every function it shows exists and its TSDoc says @see notebooks/${f}`, () => {
      for (const s of shown(read(f))) {
        const listing = sourceOf(path.join(ROOT, s.file), s.name);
        expect(listing.code, `${s.file} ${s.name}`).to.include(`@see notebooks/${f}`);
      }
    });
  }
});
