import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "../lib/paths";
import { validateRunRecord } from "../lib/record";
import { makeFakeCk48, realCk48 } from "./fixtures/ck48";

/** Run a command the way `npm run` does (tsx), capturing output. */
function run(cli: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, "lib", "cli", `${cli}.ts`), ...args], {
    cwd: ROOT, encoding: "utf8", env: { ...process.env, ...env }, timeout: 300_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A user error: exit 2, exactly one line on stderr naming the culprit, no stack trace. */
function expectUserError(r: ReturnType<typeof run>, pattern: RegExp) {
  expect(r.code, r.err).to.equal(2);
  const lines = r.err.trim().split("\n").filter((l) => !/^npm warn/.test(l));
  expect(lines.length, r.err).to.equal(1);
  expect(lines[0]).to.match(pattern);
  expect(r.err).to.not.match(/\n\s+at /);
}

describe("command line", function () {
  this.timeout(300_000);
  let fake: string;
  let tmp: string;
  before(async () => {
    fake = await makeFakeCk48(6);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fer-cli-"));
  });
  after(() => {
    fs.rmSync(fake, { recursive: true, force: true });
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("reproduce --quick writes a valid run.json and model/, then predict reads that model", () => {
    const out = path.join(tmp, "quick");
    const r = run("reproduce", ["--quick", "--data", fake, "--no-verify", "--out", out, "--seed", "5"]);
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.match(/backend (cpu-fast|cpu|tensorflow)/);
    expect(r.out).to.match(/fold 2\/2 epoch\s+2\/2/);
    const rec = JSON.parse(fs.readFileSync(path.join(out, "run.json"), "utf8"));
    expect(validateRunRecord(rec)).to.deep.equal([]);
    expect(rec.seed).to.equal(5);
    expect(rec.config.quick).to.equal(true);
    expect(fs.readdirSync(out).sort()).to.deep.equal(["model", "run.json"]);
    const img = path.join(fake, "happy", fs.readdirSync(path.join(fake, "happy"))[0]);
    const p = run("predict", ["--model", path.join(out, "model"), "--json", img, img]);
    expect(p.code, p.err).to.equal(0);
    const last = JSON.parse(p.out.trim().split("\n").pop()!);
    expect(last.predictions.length).to.equal(2);
    const probs = Object.values(last.predictions[0].probabilities) as number[];
    expect(probs.length).to.equal(7);
    expect(probs.reduce((a, b) => a + b, 0)).to.be.closeTo(1, 1e-5);
    const table = run("predict", ["--model", path.join(out, "model"), img]);
    expect(table.out).to.match(/anger\s+contempt\s+disgust\s+fear\s+happy\s+sadness\s+surprise\s+predicted/);
  });

  it("user errors are one line, exit 2, no stack trace, and leave nothing written", () => {
    const out = path.join(tmp, "never");
    expectUserError(run("reproduce", ["--data", "/nonexistent/ck", "--out", out]), /^reproduce: CK\+48 folder not found: \/nonexistent\/ck/);
    expectUserError(run("reproduce", ["--seed", "x", "--out", out]), /^reproduce: --seed must be a whole number \(got "x"\)/);
    expectUserError(run("reproduce", ["--split", "person", "--out", out]), /^reproduce: --split must be one of random, subject/);
    expectUserError(run("reproduce", ["--frobnicate"]), /^reproduce: Unknown option '--frobnicate'/);
    expectUserError(run("reproduce", ["--data", fake, "--out", out]), /^reproduce: .* does not match data\/manifest\.csv: 981 missing/);
    expect(fs.existsSync(out)).to.equal(false);
    expectUserError(run("predict", ["--model", path.join(tmp, "nomodel"), path.join(fake, "anger", fs.readdirSync(path.join(fake, "anger"))[0])]), /^predict: no model at /);
    const bad = path.join(tmp, "corrupt.png");
    fs.writeFileSync(bad, "definitely not an image");
    expectUserError(run("predict", ["--model", path.join(tmp, "quick", "model"), bad]), /^predict: cannot decode image .*corrupt\.png/);
    expectUserError(run("predict", ["--model", path.join(tmp, "quick", "model"), path.join(tmp, "missing.png")]), /^predict: cannot read .*missing\.png: ENOENT/);
    expectUserError(run("predict", []), /^predict: no image given/);
  });

  it("FER_BACKEND picks the backend and rejects unknown names", () => {
    const ok = run("predict", ["--help"], { FER_BACKEND: "cpu" });
    expect(ok.code).to.equal(0);
    const bad = run("predict", ["--help"], { FER_BACKEND: "gpu" });
    expectUserError(bad, /^predict: FER_BACKEND must be one of tensorflow, cpu-fast, cpu \(got "gpu"\)$/);
    expect(bad.err).to.match(/FER_BACKEND must be one of tensorflow, cpu-fast, cpu/);
  });

  it("bench runs in a tiny setting and ends with one JSON line", () => {
    const r = run("bench", ["--random", "--epochs", "1", "--images", "16", "--stock-steps", "1", "--json"]);
    expect(r.code, r.err).to.equal(0);
    const last = JSON.parse(r.out.trim().split("\n").pop()!);
    expect(Object.keys(last)).to.deep.equal(["backend", "epochSeconds", "stockEpochSeconds", "speedup", "imagesPerSecond"]);
    expect(last.epochSeconds).to.be.above(0);
    expect(last.speedup).to.be.above(1);
    expectUserError(run("bench", ["--epochs", "zero"]), /^bench: --epochs must be a whole number \(got "zero"\)$/);
  });

  describe("on the real CK+48 (when present)", function () {
    const real = realCk48();
    before(function () {
      if (!real) this.skip();
    });
    it("reproduce --quick verifies the folder and yields a valid run record", () => {
      const out = path.join(tmp, "real-quick");
      const r = run("reproduce", ["--quick", "--data", real!, "--out", out]);
      expect(r.code, r.err).to.equal(0);
      const rec = JSON.parse(fs.readFileSync(path.join(out, "run.json"), "utf8"));
      expect(validateRunRecord(rec)).to.deep.equal([]);
      expect(rec.split.train.length + rec.split.test.length).to.equal(70);
      expect(rec.split.test.length).to.equal(14);
    });
  });
});
