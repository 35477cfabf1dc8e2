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
import { sourceOf } from "../lib/display/listing";
import { checkProseNumbers, notebookFacts, numbersIn, states } from "../lib/notebooks/facts";
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

      it("opens with what you will learn (3–4 objectives), what you need first, the time to read, and what runs without CK+48", () => {
        const first = text(nb.cells[0]);
        expect(nb.cells[0].cell_type).to.equal("markdown");
        expect(first).to.match(/^# \d\d · /);
        const learn = first.split(/\*\*What you will learn\*\*/)[1];
        expect(learn, "**What you will learn**").to.be.a("string");
        const bullets = learn
          .split(/\n\n\*\*/)[0]
          .split("\n")
          .filter((l) => l.startsWith("- "));
        expect(bullets.length, "objectives").to.be.within(3, 4);
        expect(first).to.match(/\*\*What you need first\*\*[^\n]*\n?[^\n]*\]\(/);
        expect(first).to.match(/\*\*Time\*\*/);
        expect(first).to.match(/\*\*Without CK\+48\*\*/);
      });

      it("has a parameter cell (tagged `parameters`, as papermill reads it) right after the start-up cell, and reads the environment nowhere else", () => {
        const code = codeCells(nb);
        const tagged = code.filter((c) => ((c.metadata.tags as string[] | undefined) ?? []).includes("parameters"));
        expect(tagged, "one cell tagged parameters").to.have.length(1);
        expect(code.indexOf(tagged[0]), "the second code cell").to.equal(1);
        const sf = ts.createSourceFile("p.ts", text(tagged[0]), ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
        expect(sf.statements.length, "declares something").to.be.greaterThan(0);
        for (const st of sf.statements) expect(ts.isVariableStatement(st), st.getText(sf).slice(0, 60)).to.equal(true);
        for (const c of code.filter((x) => x !== tagged[0])) expect(text(c)).not.to.match(/process\.env|quickMode\(/);
      });

      it("ends: Summary (with a cell that computes its results), where we differ, 3–5 exercises with computed answers, a questionnaire", () => {
        const heads = nb.cells.map((c) => (c.cell_type === "markdown" ? text(c).split("\n")[0] : ""));
        const at = (h: string) => heads.findIndex((x) => x.startsWith(h));
        const [sum, differ, ex, quiz] = [
          "## Summary",
          "## Where we differ from the paper",
          "## Exercises",
          "## Questionnaire",
        ].map(at);
        expect(
          [sum, differ, ex, quiz].every((i) => i > 0),
          "all four sections",
        ).to.equal(true);
        expect(
          sum < differ && differ < ex && ex < quiz && quiz === nb.cells.length - 1,
          "in this order, the questionnaire last",
        ).to.equal(true);
        const summaryCode = nb.cells.slice(sum + 1, differ).filter((c) => c.cell_type === "code");
        expect(summaryCode.length, "a code cell states the results").to.be.at.least(1);
        expect(text(summaryCode[0])).to.match(/display\.markdown\(/);
        expect(
          text(nb.cells[differ])
            .split("\n")
            .filter((l) => l.startsWith("- ")).length,
        ).to.be.at.least(2);
        const exercises = nb.cells.slice(ex + 1, quiz);
        const prompts = exercises.filter((c) => c.cell_type === "markdown");
        expect(prompts.length, "exercises").to.be.within(3, 5);
        prompts.forEach((p, i) => {
          expect(text(p), `exercise ${i + 1}`).to.match(new RegExp(`^\\*\\*${i + 1}\\.\\*\\* `));
          const next = exercises[exercises.indexOf(p) + 1];
          expect(next?.cell_type, `exercise ${i + 1} is followed by its answer cell`).to.equal("code");
          expect(text(next), `exercise ${i + 1}'s answer is computed and collapsed`).to.match(/\banswer\(/);
        });
        const questions = text(nb.cells[quiz])
          .split("\n")
          .filter((l) => /^\d+\. /.test(l));
        expect(questions.length, "questions").to.be.at.least(5);
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
 * cell is tied, in the cell's metadata `facts`, to one named fact (lib/notebooks/facts.ts and the notebook module's
 * `proseFacts()`), and must state that fact at the precision written. A sentence whose number drifts from the code, a
 * new number nobody tied, or a tie whose number left the text fails here, naming the notebook, cell and number.
 */
describe("notebooks: numbers in prose are their facts", () => {
  it("the extraction finds numbers and skips references (a check of this check)", () => {
    expect(
      numbersIn("Eq. 3–4 and Fig 7 of Section 2.1, notebook 04, tfjs 4.22: 86,911 and `x = 5` and 57 % and 1e-7"),
    ).to.deep.equal(["86,911", "57", "1e-7"]);
    expect(
      numbersIn("Simonyan et al. 2014, (Zeiler & Fergus 2014) and Adebayo et al. (2018) saw 3 faces"),
    ).to.deep.equal(["3"]);
    expect(numbersIn("<details><summary>3 of 8</summary></details> and 1, 2 and 0")).to.deep.equal(["3", "8"]);
  });

  it("a number must state its own fact: a stale or untied number fails (a check of this check)", () => {
    const cell = (source: string, facts: Record<string, string>) => ({
      cell_type: "markdown",
      source,
      metadata: { facts },
    });
    const facts = { "arch.params": 86911, "paper.rho": 0.9, "paper.patience": 8 };
    const ok = checkProseNumbers(
      [cell("86,911 parameters, β = 0.9 (90 %)", { "86,911": "arch.params", "0.9": "paper.rho", "90": "paper.rho" })],
      facts,
    );
    expect(ok.every((c) => c.ok)).to.equal(true);
    const bad = checkProseNumbers(
      [
        cell("about 4 minutes and a patience of 9, with 5 folds", {
          "4": "paper.patience",
          "9": "paper.patience",
          "7": "paper.rho",
        }),
      ],
      facts,
    );
    expect(bad.map((c) => `${c.written}: ${c.problem}`)).to.deep.equal([
      "4: the fact differs",
      "9: the fact differs",
      "5: not tied to a fact",
      "7: unused tie",
    ]);
    expect(states("86,911", 86911)).to.equal(true);
    expect(states("57", 0.5714)).to.equal(true);
    expect(states("3.16", Math.sqrt(10))).to.equal(true);
    expect(states("3.1", Math.sqrt(10))).to.equal(false);
  });

  for (const f of files) {
    it(`${f}: every number in its Markdown cells states the fact it is tied to`, function () {
      this.timeout(20000);
      const facts = notebookFacts(f.replace(/\.ipynb$/, ""));
      const wrong = checkProseNumbers(read(f).cells, facts)
        .filter((c) => !c.ok)
        .map((c) => `cell ${c.cell}: ${c.written}: ${c.problem}${c.fact ? ` (${c.fact} = ${c.value})` : ""}`);
      expect(wrong, "npx tsx scripts/prose-facts.ts lists them with candidate facts").to.deep.equal([]);
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
      "trainStep",
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
