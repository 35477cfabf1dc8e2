/**
 * The commands' rules, in-process (lib/cli/args.ts runCommand: the parse, the start-up and the checks a command makes
 * before any work): every bad input of test/fixtures/cli-cases.ts, `--help` of every command, the README's generated
 * blocks. test/e2e/cli.test.ts runs the commands as real processes.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { ROOT, STUDY, ABLATIONS } from "../lib/paths";
import { README, withCommandTables, withComparison, withFindings } from "../lib/cli/readme";
import { COMMANDS } from "../lib/cli/commands";
import { usage } from "../lib/cli/args";
import { CASES, makeCtx, removeCtx, type Case, type Ctx } from "./fixtures/cli-cases";
import { expectUserError, runInProcess, tree, type CommandRun } from "./helpers/cli";

const SPECS = COMMANDS.map((c) => c.spec);

describe("command line (in-process)", function () {
  this.timeout(120_000);
  let fake: string;
  let tmp: string;
  const ctx = {} as Ctx;
  before(async () => {
    Object.assign(ctx, await makeCtx());
    ({ fake, tmp } = ctx);
  });
  after(() => removeCtx(ctx));

  describe("bad input: one line naming the culprit and what to do, exit 2, no stack trace, nothing written", () => {
    const results = new Map<Case, CommandRun>();
    const own = new Map<Case, string[]>();
    let treeBefore: string[] = [];
    let fakeBefore: string[] = [];
    before(async () => {
      const cases = CASES.filter((c) => !c.when || c.when());
      const dirs = new Map<Case, string>();
      for (const [i, c] of cases.entries()) {
        const dir = path.join(ctx.tmp, "cases", String(i).padStart(2, "0"), "case");
        fs.mkdirSync(dir, { recursive: true });
        await c.setup?.(ctx, dir);
        dirs.set(c, dir);
        own.set(c, tree(dir));
      }
      treeBefore = tree(ctx.tmp);
      fakeBefore = tree(ctx.fake);
      // In this process, one after another: a case is a parse and the checks before any work (test/e2e/cli.test.ts
      // runs a few as real processes).
      for (const c of cases) results.set(c, await runInProcess(c.cli, c.args(ctx, dirs.get(c)!), c.env ?? {}));
    });

    for (const c of CASES) {
      it(`${c.cli}: ${c.name}`, function () {
        if (c.when && !c.when()) this.skip();
        const r = results.get(c)!;
        expect(r.code, `${r.err}\n(null: timed out or killed)`).to.not.equal(null);
        expectUserError(r, c.error);
      });
    }

    it("no case wrote anything (the temp folder, each case's own folder and the data set are as before)", () => {
      expect(tree(ctx.tmp)).to.deep.equal(treeBefore);
      expect(tree(ctx.fake)).to.deep.equal(fakeBefore);
    });
  });

  it("every command answers --help from its declaration (usage line and every flag) and rejects an unknown flag in one line", async () => {
    const scripts = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts as Record<
      string,
      string
    >;
    const commands = Object.entries(scripts)
      .filter(([n, s]) => /lib\/cli\//.test(s) && n !== "readme")
      .map(([n]) => n)
      .sort();
    expect(SPECS.map((s) => s.name).sort()).to.deep.equal(commands);
    const runs: CommandRun[] = [];
    for (const spec of SPECS)
      runs.push(await runInProcess(spec.name, ["--help"]), await runInProcess(spec.name, ["--no-such-flag"]));
    for (const [i, spec] of SPECS.entries()) {
      const [help, unknown] = [runs[2 * i], runs[2 * i + 1]];
      expect(help.code, help.err).to.equal(0);
      expect(help.out.split("\n")[0]).to.equal(`usage: ${usage(spec)}`);
      for (const flag of Object.keys(spec.flags)) expect(help.out, `${spec.name} --${flag}`).to.include(`--${flag}`);
      expectUserError(unknown, new RegExp(`^${spec.name}: Unknown option '--no-such-flag'`));
    }
  });

  it("README.md's command tables are the ones the declarations make (npx tsx lib/cli/readme.ts)", () => {
    const readme = fs.readFileSync(README, "utf8");
    expect(readme).to.include("<!-- commands:start");
    expect(withCommandTables(readme), "README.md is stale: run npx tsx lib/cli/readme.ts").to.equal(readme);
    for (const spec of SPECS) expect(readme).to.include(usage(spec).replace(/\|/g, "\\|"));
  });

  it('README.md\'s "What we found" is the one the committed study makes (no number in it is typed by hand)', () => {
    const readme = fs.readFileSync(README, "utf8");
    expect(readme).to.include("<!-- findings:start");
    expect(withFindings(readme), "README.md is stale: run npx tsx lib/cli/readme.ts").to.equal(readme);
    if (fs.existsSync(path.join(STUDY, "summary.json")))
      expect(readme).to.match(/The paper's protocol gives \d+\.\d% \(95% interval/);
  });

  it("README.md's sentence on the comparisons is the one the committed ablation study makes", () => {
    const readme = fs.readFileSync(README, "utf8");
    expect(withComparison(readme), "README.md is stale: run npx tsx lib/cli/readme.ts").to.equal(readme);
    expect(() => withComparison("# a README without the markers\n")).to.throw(
      /^README\.md has no <!-- comparisons:start --> … <!-- comparisons:end --> markers$/,
    );
    expect(() => withFindings("<!-- findings:end --> <!-- findings:start -->")).to.throw(
      /^README\.md has no <!-- findings:start --> … <!-- findings:end --> markers$/,
    );
    if (fs.existsSync(path.join(ABLATIONS, "summary.json")))
      expect(readme).to.match(/\*\*The comparisons the paper promised\*\* \(\d+ variants/);
  });

  it("user errors are one line, exit 2, no stack trace, and leave nothing written", async () => {
    const out = path.join(tmp, "never");
    expectUserError(
      await runInProcess("reproduce", ["--data", "/nonexistent/ck", "--out", out]),
      /^reproduce: CK\+48 folder not found: \/nonexistent\/ck/,
    );
    expectUserError(
      await runInProcess("reproduce", ["--seed", "x", "--out", out]),
      /^reproduce: --seed must be a whole number \(got "x"\)/,
    );
    expectUserError(
      await runInProcess("reproduce", ["--split", "person", "--out", out]),
      /^reproduce: --split must be one of random, subject/,
    );
    expectUserError(await runInProcess("reproduce", ["--frobnicate"]), /^reproduce: Unknown option '--frobnicate'/);
    expectUserError(
      await runInProcess("reproduce", ["--data", fake, "--out", out]),
      /^reproduce: .* does not match data\/manifest\.csv: 981 missing/,
    );
    expect(fs.existsSync(out)).to.equal(false);
    expectUserError(
      await runInProcess("predict", [
        "--model",
        path.join(tmp, "nomodel"),
        path.join(fake, "anger", fs.readdirSync(path.join(fake, "anger"))[0]),
      ]),
      /^predict: no model at /,
    );
    const bad = path.join(tmp, "corrupt.png");
    fs.writeFileSync(bad, "definitely not an image");
    expectUserError(
      await runInProcess("predict", ["--model", ctx.model, bad]),
      /^predict: cannot decode image .*corrupt\.png/,
    );
    expectUserError(
      await runInProcess("predict", ["--model", ctx.model, path.join(tmp, "missing.png")]),
      /^predict: cannot read .*missing\.png: ENOENT/,
    );
    expectUserError(await runInProcess("predict", []), /^predict: no image given/);
  });

  it("FER_BACKEND picks the backend and rejects unknown names", async () => {
    const ok = await runInProcess("predict", ["--help"], { FER_BACKEND: "cpu" });
    expect(ok.code).to.equal(0);
    const bad = await runInProcess("predict", ["--help"], { FER_BACKEND: "gpu" });
    expectUserError(bad, /^predict: FER_BACKEND must be one of tensorflow, cpu-fast, cpu \(got "gpu"\)$/);
    expect(bad.err).to.match(/FER_BACKEND must be one of tensorflow, cpu-fast, cpu/);
  });
});
