/**
 * The commands as real processes (`npm run` runs them with tsx; the compiled ones in dist/ too): exit codes and the
 * one line on stderr, whole quick runs, Ctrl-C and SIGKILL with --resume, locks, the backends, the bench.
 */
import { expect } from "chai";
import sharp from "sharp";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PAPER_RUN, ROOT } from "../../lib/paths";
import { findPython, findTorchPython, torchProtocol } from "../../lib/bench-peers";
import type { BenchResult } from "../../lib/bench";
import { linearFit } from "../../lib/stats";
import { validateRunRecord } from "../../lib/record";
import { CLASSES } from "../../lib/config";
import { makeFakeCk48, realCk48, writeUnusualImages } from "../fixtures/ck48";
import { CASES, makeCtx, removeCtx, type Ctx } from "../fixtures/cli-cases";
import { cliPath, copyDir, expectUserError, run, runAsync, tree } from "../helpers/cli";
import { tfjsNodeLoads } from "../helpers/tfjs-node";

/** The bad inputs run as real processes: one per kind of failure (a flag rule, a folder, a file, the environment). */
const SPAWNED = ["negative number", "FER_BACKEND unknown", "missing data folder (manifest)", "model.json corrupt"];

/** A tiny bench (one epoch of 64 random images, no stock steps) beside `flag`'s framework: its output and JSON line. */
function tinyBench(flag: string): { r: ReturnType<typeof run>; last: BenchResult } {
  const r = run("bench", ["--random", "--epochs", "1", "--images", "64", "--stock-steps", "0", flag, "--json"]);
  expect(r.code, r.err).to.equal(0);
  return { r, last: JSON.parse(r.out.trim().split("\n").pop()!) };
}

describe("command line (processes)", function () {
  this.timeout(300_000);
  let fake: string;
  let tmp: string;
  const ctx = {} as Ctx;
  before(async () => {
    Object.assign(ctx, await makeCtx());
    ({ fake, tmp } = ctx);
  });
  after(() => removeCtx(ctx));

  it("a few bad inputs as real processes: exit code 2, one line on stderr, no stack trace", async () => {
    const cases = CASES.filter((c) => SPAWNED.includes(c.name));
    expect(cases.map((c) => c.name)).to.deep.equal(SPAWNED);
    for (const c of cases) {
      const dir = fs.mkdtempSync(path.join(tmp, "case-"));
      await c.setup?.(ctx, dir);
      expectUserError(await runAsync(c.cli, c.args(ctx, dir), c.env ?? {}, 60_000), c.error);
    }
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

  it("a finished run is refused without --force; --force with a stale lock takes the lock over and replaces the run", () => {
    const out = path.join(tmp, "quick");
    const runJson = path.join(out, "run.json");
    const before = fs.readFileSync(runJson);
    expectUserError(
      run("reproduce", ["--quick", "--data", fake, "--no-verify", "--out", out, "--seed", "6"]),
      /^reproduce: quick holds a finished run|holds a finished run \(run\.json\): pass --force/,
    );
    expect(fs.readFileSync(runJson).equals(before)).to.equal(true);
    // A lock left by a process that is gone (a finished child's pid, on this host).
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    const pid = Number(dead.stdout);
    fs.writeFileSync(
      path.join(out, ".lock"),
      JSON.stringify({ pid, host: os.hostname(), started: "2024-01-01T00:00:00.000Z", command: "npm run reproduce" }),
    );
    const r = run("reproduce", ["--quick", "--data", fake, "--no-verify", "--out", out, "--seed", "6", "--force"]);
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.include(`took over the lock of process ${pid} (started 2024-01-01T00:00:00.000Z), which is gone`);
    expect(fs.readdirSync(out).sort()).to.deep.equal(["model", "run.json"]);
    const rec = JSON.parse(fs.readFileSync(runJson, "utf8"));
    expect(validateRunRecord(rec)).to.deep.equal([]);
    expect(rec.seed).to.equal(6);
  });

  it("Ctrl-C stops reproduce after a batch with the command to resume; --resume gives exactly the uninterrupted run", async function () {
    const flags = [
      "--quick",
      "--data",
      fake,
      "--no-verify",
      "--seed",
      "4",
      "--max-epochs",
      "40",
      "--patience",
      "40",
      "--workers",
      "0",
    ];
    const whole = path.join(tmp, "whole");
    const w = run("reproduce", [...flags, "--out", whole]);
    expect(w.code, w.err).to.equal(0);
    const out = path.join(tmp, "stopped");
    const stopped = await new Promise<{ code: number | null; err: string }>((resolve) => {
      const p = spawn(process.execPath, ["--import", "tsx", cliPath("reproduce"), ...flags, "--out", out], {
        cwd: ROOT,
      });
      let err = "";
      let sent = false;
      p.stdout.on("data", (d: Buffer) => {
        if (!sent && / epoch +5\//.test(d.toString())) {
          sent = true;
          p.kill("SIGINT");
        }
      });
      p.stderr.on("data", (d: Buffer) => (err += d.toString()));
      p.on("close", (code) => resolve({ code, err }));
    });
    expect(stopped.code, stopped.err).to.equal(130);
    expect(stopped.err).to.match(/Continue with: npm run reproduce -- .*--resume/);
    expect(fs.existsSync(path.join(out, "run.json"))).to.equal(false);
    expect(fs.existsSync(path.join(out, "checkpoint", "run-spec.json"))).to.equal(true);
    // an unfinished run is neither overwritten nor continued by accident
    expectUserError(
      run("reproduce", [...flags, "--out", out]),
      /holds an unfinished run \(checkpoint\/\): --resume continues it, --force starts it over/,
    );
    expectUserError(
      run("reproduce", [...flags, "--out", out, "--resume", "--force"]),
      /--resume and --force contradict/,
    );
    expectUserError(
      run("reproduce", [...flags, "--out", path.join(tmp, "nothing-here"), "--resume"]),
      /holds no unfinished run/,
    );
    const r = run("reproduce", [...flags, "--out", out, "--resume"]);
    expect(r.code, r.err).to.equal(0);
    expect(fs.readdirSync(out).sort()).to.deep.equal(["model", "run.json"]);
    const strip = (file: string) => JSON.parse(fs.readFileSync(file, "utf8"), (k, v) => (k === "seconds" ? 0 : v));
    expect(strip(path.join(out, "run.json"))).to.deep.equal(strip(path.join(whole, "run.json")));
    expect(
      fs
        .readFileSync(path.join(out, "model", "weights.bin"))
        .equals(fs.readFileSync(path.join(whole, "model", "weights.bin"))),
    ).to.equal(true);
  });

  it("after a hard kill (SIGKILL, no chance to clean up), --resume takes over the dead run's lock and gives the uninterrupted run", async function () {
    const flags = [
      "--quick",
      "--data",
      fake,
      "--no-verify",
      "--seed",
      "4",
      "--max-epochs",
      "40",
      "--patience",
      "40",
      "--workers",
      "2",
    ];
    const whole = path.join(tmp, "whole-2w");
    const w = run("reproduce", [...flags, "--out", whole]);
    expect(w.code, w.err).to.equal(0);
    const out = path.join(tmp, "killed");
    const killed = await new Promise<number | null | string>((resolve) => {
      const p = spawn(process.execPath, ["--import", "tsx", cliPath("reproduce"), ...flags, "--out", out], {
        cwd: ROOT,
      });
      let sent = false;
      p.stdout.on("data", (d: Buffer) => {
        if (!sent && / epoch +8\//.test(d.toString())) {
          sent = true;
          p.kill("SIGKILL");
        }
      });
      p.on("close", (code, signal) => resolve(signal ?? code));
    });
    expect(killed).to.equal("SIGKILL");
    expect(fs.existsSync(path.join(out, ".lock"))).to.equal(true);
    expect(fs.existsSync(path.join(out, "run.json"))).to.equal(false);
    const r = run("reproduce", [...flags, "--out", out, "--resume"]);
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.match(/took over the lock of process \d+/);
    const strip = (file: string) => JSON.parse(fs.readFileSync(file, "utf8"), (k, v) => (k === "seconds" ? 0 : v));
    expect(strip(path.join(out, "run.json"))).to.deep.equal(strip(path.join(whole, "run.json")));
    expect(
      fs
        .readFileSync(path.join(out, "model", "weights.bin"))
        .equals(fs.readFileSync(path.join(whole, "model", "weights.bin"))),
    ).to.equal(true);
  });

  it("figures --faces draws the face figures of a run (class averages, gallery) into <out>/faces/", async () => {
    const out = path.join(tmp, "figs-faces");
    const r = run("figures", ["--run", path.join(tmp, "quick", "run.json"), "--out", out, "--faces", "--data", fake]);
    expect(r.code, r.err).to.equal(0);
    for (const f of ["class-averages.png", "gallery.png"])
      expect((await sharp(path.join(out, "faces", f)).metadata()).format, f).to.equal("png");
    expectUserError(run("figures", ["--run", path.join(tmp, "a-file.txt"), "--faces"]), /^figures: /);
  });

  it("the compiled commands (dist/, what npm run uses) give the same results as the TypeScript source, fold workers included", function () {
    const dist = path.join(ROOT, "dist", "lib", "cli");
    if (!fs.existsSync(path.join(dist, "reproduce.js"))) return this.skip(); // npm ci builds it (prepare)
    const fresh = spawnSync(process.execPath, [path.join(ROOT, "scripts", "fresh.js")], { encoding: "utf8" });
    expect(fresh.status, fresh.stderr).to.equal(0);
    const node = (cli: string, args: string[]) =>
      spawnSync(process.execPath, [path.join(dist, `${cli}.js`), ...args], { cwd: ROOT, encoding: "utf8" });
    const flags = ["--quick", "--data", fake, "--no-verify", "--seed", "3", "--workers", "2"];
    const a = node("reproduce", [...flags, "--out", path.join(tmp, "dist-run")]);
    expect(a.status, a.stderr).to.equal(0);
    const b = run("reproduce", [...flags, "--out", path.join(tmp, "src-run")]);
    expect(b.code, b.err).to.equal(0);
    const strip = (dir: string) =>
      JSON.parse(fs.readFileSync(path.join(dir, "run.json"), "utf8"), (k, v) => (k === "seconds" ? 0 : v));
    expect(strip(path.join(tmp, "dist-run"))).to.deep.equal(strip(path.join(tmp, "src-run")));
    const p1 = node("predict", ["--json", "--model", ctx.model, ctx.image]);
    const p2 = run("predict", ["--json", "--model", ctx.model, ctx.image]);
    expect(JSON.parse(p1.stdout)).to.deep.equal(JSON.parse(p2.out));
  });

  it("explain writes an overlay PNG per image with each method and names the prediction", async () => {
    const out = path.join(tmp, "explained");
    for (const method of ["gradcam", "saliency", "occlusion"]) {
      const r = run("explain", ["--model", ctx.model, "--method", method, "--out", out, ctx.image]);
      expect(r.code, r.err).to.equal(0);
      const file = path.join(out, `${path.basename(ctx.image, ".png")}-${method}.png`);
      expect(r.out).to.include(`-${method}.png  predicted `);
      const meta = await sharp(file).metadata();
      expect(meta.format).to.equal("png");
      expect(meta.width).to.be.greaterThan(400);
    }
  });

  it("two runs into one --out: exactly one succeeds, the other stops in one line", async () => {
    const out = path.join(tmp, "race");
    const args = ["--quick", "--data", fake, "--no-verify", "--out", out, "--workers", "0"];
    const [a, b] = await Promise.all([runAsync("reproduce", args), runAsync("reproduce", args)]);
    const codes = [a.code, b.code].sort();
    expect(codes, a.err + b.err).to.deep.equal([0, 2]);
    const loser = a.code === 2 ? a : b;
    expectUserError(
      loser,
      /^reproduce: .*race (is in use by process \d+ \(npm run reproduce -- --quick.*\)|holds a finished run)/,
    );
    expect(fs.readdirSync(out).sort()).to.deep.equal(["model", "run.json"]);
  });

  it("stray files in the data folder (.DS_Store, Thumbs.db) are ignored, with a note", () => {
    const ck = copyDir(fake, path.join(tmp, "stray"));
    fs.writeFileSync(path.join(ck, ".DS_Store"), "junk");
    fs.writeFileSync(path.join(ck, "anger", "Thumbs.db"), "junk");
    fs.writeFileSync(path.join(ck, "fear", "._S010_001_00000010.png"), "junk");
    // reproduce lists the folder (the note), then stops at the manifest check without writing anything.
    const rep = run("reproduce", ["--data", ck, "--out", path.join(tmp, "stray-out")]);
    expect(rep.out).to.match(
      /^note: ignored 3 stray files in .*stray \(anger\/Thumbs\.db, fear\/\._S010_001_00000010\.png, \.DS_Store\)$/m,
    );
    expectUserError(rep, /does not match data\/manifest\.csv: 981 missing/);
  });

  it("images of every kind sharp decodes are accepted: 16-bit, palette, alpha, CMYK, JPEG, WebP, GIF, TIFF, 1×1, 3000×3000", async () => {
    const kinds = await writeUnusualImages(path.join(tmp, "kinds"));
    const sharp = (await import("sharp")).default;
    const ref = path.join(tmp, "kinds", "reference.png");
    await sharp(Buffer.alloc(48 * 48, 100), { raw: { width: 48, height: 48, channels: 1 } })
      .png()
      .toFile(ref);
    const t0 = performance.now();
    const r = run("predict", ["--model", ctx.model, "--json", ref, ...Object.values(kinds)]);
    const seconds = (performance.now() - t0) / 1000;
    expect(r.code, r.err).to.equal(0);
    const preds = JSON.parse(r.out.trim().split("\n").pop()!).predictions as {
      image: string;
      probabilities: Record<string, number>;
    }[];
    expect(preds.length).to.equal(Object.keys(kinds).length + 1);
    // Every kind holds the same grey level as the reference, so the model must see the same input (CMYK goes through
    // a colour profile and may differ).
    for (const p of preds.slice(1)) {
      if (p.image.endsWith("cmyk.jpg")) continue;
      for (const c of CLASSES)
        expect(p.probabilities[c], `${path.basename(p.image)} ${c}`).to.be.closeTo(preds[0].probabilities[c], 1e-6);
    }
    expect(seconds, "decoding 12 images, one of 9 megapixels, should take seconds").to.be.below(60);
  });

  it("the backend is cpu-fast by default even where tfjs-node is installed, and tfjs-node only when asked (stand-in module)", function () {
    if (tfjsNodeLoads()) return this.skip(); // the real one would be found before the stand-in: test/e2e/tensorflow.test.ts
    // A stand-in @tensorflow/tfjs-node, found through NODE_PATH (the real one is not installed here): tfjs with a
    // backend registered under the name "tensorflow" (the cpu kernels), as the real package registers its own.
    const fakeRoot = path.join(tmp, "fake-node-modules");
    const pkg = path.join(fakeRoot, "@tensorflow", "tfjs-node");
    fs.mkdirSync(pkg, { recursive: true });
    const tfjsPath = require.resolve("@tensorflow/tfjs");
    const cpuPath = require.resolve("@tensorflow/tfjs-backend-cpu");
    fs.writeFileSync(
      path.join(pkg, "index.js"),
      `const tf = require(${JSON.stringify(tfjsPath)});
const { MathBackendCPU } = require(${JSON.stringify(cpuPath)});
if (!tf.findBackend("tensorflow")) {
  tf.registerBackend("tensorflow", () => new MathBackendCPU(), 1);
  for (const k of tf.getKernelsForBackend("cpu")) tf.registerKernel({ ...k, backendName: "tensorflow" });
}
process.stderr.write("stand-in tfjs-node loaded\\n");
module.exports = tf;
`,
    );
    fs.writeFileSync(
      path.join(pkg, "package.json"),
      JSON.stringify({ name: "@tensorflow/tfjs-node", main: "index.js" }),
    );
    const env = { NODE_PATH: fakeRoot };
    const img = ctx.image;
    const byDefault = run("predict", ["--model", ctx.model, img], env);
    expect(byDefault.code, byDefault.err).to.equal(0);
    expect(byDefault.out).to.match(/^predict: backend cpu-fast,/m);
    expect(byDefault.err).to.not.include("stand-in tfjs-node loaded");
    for (const ask of [
      { args: ["--backend", "tensorflow"], env },
      { args: [], env: { ...env, FER_BACKEND: "tensorflow" } },
    ]) {
      const r = run("predict", [...ask.args, "--model", ctx.model, img], ask.env);
      expect(r.code, r.err).to.equal(0);
      expect(r.out).to.match(/^predict: backend tensorflow,/m);
      expect(r.err).to.include("stand-in tfjs-node loaded");
    }
    // The flag wins over the environment.
    const both = run("predict", ["--backend", "cpu", "--model", ctx.model, img], { ...env, FER_BACKEND: "tensorflow" });
    expect(both.out).to.match(/^predict: backend cpu,/m);
  });

  it("bench runs in a tiny setting and ends with one JSON line", () => {
    const r = run("bench", ["--random", "--epochs", "1", "--images", "16", "--stock-steps", "1", "--json"]);
    expect(r.code, r.err).to.equal(0);
    const last = JSON.parse(r.out.trim().split("\n").pop()!);
    expect(Object.keys(last)).to.deep.equal([
      "backend",
      "epochSeconds",
      "stockEpochSeconds",
      "speedup",
      "imagesPerSecond",
      "epochTimes",
      "twoThreads",
      "fastestEpoch",
      "bound",
      "images",
      "epochs",
      "stockSteps",
      "warmupSteps",
    ]);
    expect([last.images, last.epochs, last.stockSteps]).to.deep.equal([16, 1, 1]);
    // 16 images × 5,653,824 multiply-adds × 2
    expect(last.bound.epochGflop).to.equal(0.181);
    expect(last.bound.floorSeconds.oneCore).to.be.below(last.epochTimes[0]);
    expect(r.out).to.match(/bound: an epoch is 0\.18 GFLOP of multiply-adds/);
    expect(last.epochSeconds).to.be.above(0);
    expect(last.epochTimes).to.have.length(1);
    expect(last.epochTimes[0]).to.be.closeTo(last.epochSeconds, 1e-3);
    expect(last.speedup).to.be.above(1);
    expect(last.twoThreads.epochTimes).to.have.length(1);
    expect(last.fastestEpoch).to.equal(Math.min(last.epochTimes[0], last.twoThreads.epochTimes[0]));
    expect(r.out).to.match(
      /\(2 threads: mean of 1 epoch, alternating with 1 thread's; min \d\.\d{3}, median \d\.\d{3}; 1 ÷ 2 threads \d+\.\d\d×\)/,
    );
    expectUserError(run("bench", ["--epochs", "zero"]), /^bench: --epochs must be a whole number \(got "zero"\)$/);
    expectUserError(run("bench", ["--threads", "3"]), /^bench: --threads must be/);
  });

  it("bench --fixed-cost fits step time over batch sizes: the intercept is the per-step cost", () => {
    const r = run("bench", [
      "--random",
      "--epochs",
      "1",
      "--images",
      "16",
      "--stock-steps",
      "0",
      "--fixed-cost",
      "--json",
    ]);
    expect(r.code, r.err).to.equal(0);
    const { fixedCost } = JSON.parse(r.out.trim().split("\n").pop()!);
    expect(Object.keys(fixedCost.msByBatch)).to.deep.equal(["1", "2", "4", "8", "16"]);
    const xs = [1, 2, 4, 8, 16];
    const fit = linearFit(
      xs,
      xs.map((b) => fixedCost.msByBatch[b]),
    );
    expect(fixedCost.fixedMs).to.be.closeTo(fit.intercept, 1e-3);
    expect(fixedCost.perImageMs).to.be.closeTo(fit.slope, 1e-4);
    // more images per step cost more time, and a step of one image costs more than its one image's share
    expect(fixedCost.msByBatch["16"]).to.be.above(fixedCost.msByBatch["1"]);
    expect(fixedCost.perImageMs).to.be.above(0);
    expect(fixedCost.fixedMs).to.be.above(0);
    expect(r.out).to.include(`≈ ${fixedCost.fixedMs.toFixed(2)} ms + ${fixedCost.perImageMs.toFixed(3)} ms per image`);
  });

  it("bench --compare-torch times PyTorch on the same model in the same run (only where a python has torch)", function () {
    if (!findTorchPython()) this.skip(); // PyTorch is not a dependency (Debian: python3-torch)
    const { r, last } = tinyBench("--compare-torch");
    const torch = last.torch!;
    const all = [...torch.byThreads["1"], ...torch.byThreads["2"]];
    expect(torch.epochSeconds).to.equal(Math.min(...all));
    expect(torch.ratio).to.be.closeTo(last.fastestEpoch / torch.epochSeconds, 1e-3);
    expect(r.out).to.match(/ours ÷ pytorch: \d+\.\d\d/);
    const goal = 0.7 * torch.epochSeconds;
    const share = Math.round((100 * last.bound.floorSeconds.twoCores) / goal);
    expect(r.out).to.include(
      `the goal, ${goal.toFixed(3)} s per epoch, needs ${share}% of both cores' WebAssembly peak`,
    );
  });

  it("bench --compare-keras times Keras 3's model.fit on the same model in the same run (only where a python has keras)", function () {
    if (!findPython("keras")) this.skip(); // Keras is not a dependency (bash scripts/python-peers.sh)
    this.timeout(300_000);
    const { r, last } = tinyBench("--compare-keras");
    const keras = last.keras!;
    expect(Object.keys(keras.byThreads)).to.deep.equal(["1", "2"]);
    const all = [...keras.byThreads["1"], ...keras.byThreads["2"]];
    expect(all).to.have.length(6);
    expect(keras.epochSeconds).to.equal(Math.min(...all));
    expect(keras.version).to.match(/^3\.\d+\.\d+ on TensorFlow 2\.\d+/);
    expect(r.out).to.match(/ours ÷ keras: \d+\.\d\d/);
  });

  it("the protocol in PyTorch: the run of record's folds and epochs (a 2% share here), folds in parallel, timed (only where a python has torch)", function () {
    const python = findTorchPython();
    if (!python) this.skip();
    this.timeout(300_000);
    const runFile = path.join(PAPER_RUN, "run.json");
    const r = torchProtocol(python!, runFile, 2, 0.02);
    const record = JSON.parse(fs.readFileSync(runFile, "utf8"));
    const epochs = record.folds.reduce(
      (a: number, f: { history: unknown[] }) => a + Math.max(1, Math.round(f.history.length * 0.02)),
      0,
    );
    expect(r.epochs).to.equal(epochs);
    expect(r.torchSeconds).to.be.above(0);
    // torchSeconds is rounded to 0.1 s and the ratio is not: bound the ratio by that rounding (and its own 0.001).
    expect(r.ratio).to.be.within(
      record.seconds / (r.torchSeconds + 0.05) - 0.001,
      record.seconds / (r.torchSeconds - 0.05) + 0.001, // above 0 means at least 0.1 once rounded
    );
  });

  it("the protocol in PyTorch, in pairs: each pair's ratio, their median and min (only where a python has torch)", function () {
    const python = findTorchPython();
    if (!python) this.skip();
    this.timeout(300_000);
    const runFile = path.join(PAPER_RUN, "run.json");
    expect(() => torchProtocol(python!, runFile, 2, 0.02, 2)).to.throw(/more than one pair/);
    const asked: number[] = [];
    const r = torchProtocol(python!, runFile, 2, 0.02, 2, (pair) => {
      asked.push(pair);
      return runFile; // "ours again": the same record, so only PyTorch's time differs between the pairs
    });
    expect(asked).to.deep.equal([2]);
    expect(r.pairs.map((p) => p.run)).to.deep.equal([runFile, runFile]);
    const [a, b] = r.pairs.map((p) => p.ratio);
    expect(r.ratio).to.be.closeTo((a + b) / 2, 0.0005 + 1e-12);
    expect(r.minRatio).to.equal(Math.min(a, b));
    expect(r.oursSeconds).to.equal(r.pairs[0].oursSeconds);
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

/** Mount a tmpfs of `kb` kilobytes at a new folder, or undefined where this machine does not allow it (not root). */
function smallDisk(kb: number): string | undefined {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fer-full-"));
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${kb}k`, "tmpfs", dir], { encoding: "utf8" });
  if (r.status === 0) return dir;
  fs.rmSync(dir, { recursive: true, force: true });
  return undefined;
}

describe("command line: a full disk", function () {
  this.timeout(300_000);
  let disk: string | undefined;
  let fake: string;
  before(async function () {
    disk = smallDisk(96);
    if (!disk) return this.skip(); // mounting needs root; test/files.test.ts injects ENOSPC instead
    fake = await makeFakeCk48(6);
  });
  after(() => {
    if (fake) fs.rmSync(fake, { recursive: true, force: true });
    if (disk) {
      spawnSync("umount", [disk]);
      fs.rmSync(disk, { recursive: true, force: true });
    }
  });
  const temps = (dir: string) => tree(dir).filter((f) => /\.tmp|tmp-/.test(f));
  it("figures into a 96 kB disk: one line naming the file and ENOSPC, and no temp file left", () => {
    const out = path.join(disk!, "figures");
    const r = run("figures", ["--out", out]);
    expectUserError(r, /^figures: cannot write .* \(ENOSPC\): the disk is full: free some space and run again$/);
    expect(temps(disk!)).to.deep.equal([]);
  });
  it("reproduce --quick into it: one line, exit 2, no temp file left", () => {
    const out = path.join(disk!, "run");
    const r = run("reproduce", ["--quick", "--data", fake, "--out", out, "--no-verify", "--workers", "0"]);
    expectUserError(r, /^reproduce: cannot write .* \(ENOSPC\): the disk is full/);
    expect(temps(disk!)).to.deep.equal([]);
  });
});
