/**
 * The notebooks (notebooks/*.ipynb): committed without outputs as valid nbformat 4, tslab kernel, no function or class
 * definitions in code cells (everything they compute is in lib/), each ending with "Summary" and "Where we differ from
 * the paper"; their imports resolve to lib/ through the committed notebooks/node_modules/fer-ck48/lib link; every
 * notebook type-checks under the project's strict settings; and `npm run notebooks` really executes them through
 * Jupyter (skipped without python3-nbclient), naming the notebook and cell that fails.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { NOTEBOOKS, ROOT } from "../../lib/paths";
import { findPython } from "../../lib/cli/notebooks";
import { codeCells, type Notebook } from "../fixtures/notebooks";

describe("notebooks: npm run notebooks (headless Jupyter; skipped without python3-nbclient)", function () {
  this.timeout(120000);
  let tmp: string;
  before(function () {
    if (!findPython()) {
      console.log(
        "      (skipped: no Python with nbclient; apt-get install python3-nbclient python3-ipykernel python3-jupyter-client)",
      );
      this.skip();
    }
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fer-notebooks-"));
  });
  after(() => tmp && fs.rmSync(tmp, { recursive: true, force: true }));

  const run = (args: string[]) =>
    spawnSync(process.execPath, [require.resolve("tsx/cli"), path.join(ROOT, "lib", "cli", "notebooks.ts"), ...args], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, FER_QUICK: "1" },
      timeout: 110000,
    });

  it("executes 03-optim through the tslab kernel and leaves the committed notebook untouched", () => {
    const before = fs.readFileSync(path.join(NOTEBOOKS, "03-optim.ipynb"), "utf8");
    const r = run(["03-optim", "--out", tmp]);
    expect(r.status, r.stdout + r.stderr).to.equal(0);
    expect(r.stdout).to.match(/03-optim\.ipynb ok: \d+ cells/);
    expect(fs.readFileSync(path.join(NOTEBOOKS, "03-optim.ipynb"), "utf8")).to.equal(before);
    const executed = JSON.parse(fs.readFileSync(path.join(tmp, "03-optim.ipynb"), "utf8")) as Notebook;
    const outputs = codeCells(executed).flatMap((c) => c.outputs ?? []) as { data?: Record<string, unknown> }[];
    const kinds = new Set(outputs.flatMap((o) => Object.keys(o.data ?? {})));
    expect([...kinds]).to.include.members(["text/markdown", "text/html", "image/svg+xml"]);
  });

  it("fails with exit 1 naming the notebook and the cell, for a type error and for a thrown error", () => {
    const nb = (cells: string[]) => ({
      nbformat: 4,
      nbformat_minor: 5,
      metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" } },
      cells: [
        { cell_type: "markdown", id: "m0", metadata: {}, source: "# broken" },
        ...cells.map((s, i) => ({
          cell_type: "code",
          id: `c${i}`,
          metadata: {},
          source: s,
          outputs: [],
          execution_count: null,
        })),
      ],
    });
    fs.writeFileSync(
      path.join(tmp, "typo.ipynb"),
      JSON.stringify(nb(["const a = 1;", 'const b: number = "two";', "const c = 3;"])),
    );
    fs.writeFileSync(path.join(tmp, "boom.ipynb"), JSON.stringify(nb(['throw new Error("boom in cell");'])));
    const r = run([path.join(tmp, "typo.ipynb"), path.join(tmp, "boom.ipynb"), "--out", path.join(tmp, "out")]);
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(/typo\.ipynb: cell 2 failed: const b: number = "two";/);
    expect(r.stderr).to.match(/Type 'string' is not assignable to type 'number'/);
    expect(r.stderr).to.match(/boom\.ipynb: cell 1 failed: throw new Error/);
    expect(r.stderr).to.match(/boom in cell/);
    expect(r.stdout).to.match(/2 of 2 failed/);
  });

  it("rejects an unknown notebook with exit 2 and one line", () => {
    const r = run(["no-such-notebook"]);
    expect(r.status).to.equal(2);
    expect(r.stderr.trim()).to.match(/^notebooks: notebook not found: no-such-notebook/);
  });
});
