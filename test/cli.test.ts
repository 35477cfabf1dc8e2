import { expect } from "chai";
import sharp from "sharp";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ABLATIONS, ROOT, STUDY } from "../lib/paths";
import { findTorchPython, speedBound } from "../lib/cli/bench";
import { linearFit } from "../lib/stats";
import { validateRunRecord } from "../lib/record";
import { tf } from "../lib/tf";
import { createModel } from "../lib/model";
import { saveModel } from "../lib/save";
import { CLASSES } from "../lib/config";
import { COMMANDS, README, withCommandTables, withComparison, withFindings } from "../lib/cli/readme";
import { usage } from "../lib/cli/args";
import { makeFakeCk48, realCk48, writeUnusualImages } from "./fixtures/ck48";

const cliPath = (cli: string) => path.join(ROOT, "lib", "cli", `${cli}.ts`);

/** Run a command the way `npm run` does (tsx), capturing output. */
function run(cli: string, args: string[], env: NodeJS.ProcessEnv = {}, timeout = 300_000) {
  const r = spawnSync(process.execPath, ["--import", "tsx", cliPath(cli), ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, ...env },
    timeout,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** As {@link run}, without waiting (runs at once). */
function runAsync(
  cli: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeout = 300_000,
): Promise<ReturnType<typeof run>> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ["--import", "tsx", cliPath(cli), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      timeout,
    });
    let out = "";
    let err = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr.on("data", (d: Buffer) => (err += d.toString()));
    p.on("close", (code) => resolve({ code, out, err }));
  });
}

/** A user error: exit 2, exactly one line on stderr naming the culprit, no stack trace. */
function expectUserError(r: ReturnType<typeof run>, pattern: RegExp) {
  expect(r.code, r.err).to.equal(2);
  const lines = r.err
    .trim()
    .split("\n")
    .filter((l) => !/^npm warn/.test(l));
  expect(lines.length, r.err).to.equal(1);
  expect(lines[0]).to.match(pattern);
  expect(r.err).to.not.match(/\n\s+at /);
}

/** Every file and folder under `dir` (relative paths, sorted), to check that a failed command wrote nothing. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      out.push(`${path.relative(dir, p)}${e.isDirectory() ? "/" : ` ${fs.statSync(p).size}`}`);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** Copy a folder (the fake data set) to make a damaged variant of it. */
function copyDir(from: string, to: string): string {
  fs.cpSync(from, to, { recursive: true });
  return to;
}

/** Paths the cases use, made once in `before`. */
interface Ctx {
  tmp: string;
  fake: string;
  model: string;
  image: string;
  file: string;
}

/** One bad input: a command line (made after `setup`), the one line it must answer with, exit 2, nothing written. */
interface Case {
  name: string;
  cli: string;
  /** The command line; `dir` is the case's own folder (made by `setup`). */
  args: (c: Ctx, dir: string) => string[];
  error: RegExp;
  env?: NodeJS.ProcessEnv;
  /** Builds the case's input under `dir` (a fresh folder inside ctx.tmp). */
  setup?: (c: Ctx, dir: string) => void | Promise<void>;
  /** Runs only when this holds (e.g. Linux's /proc). */
  when?: () => boolean;
}

const linux = () => process.platform === "linux" && fs.existsSync("/proc/self");

/** The table of bad inputs, each through the real command line. Most fail before TensorFlow.js loads. */
const CASES: Case[] = [
  // explain and study (the same rules as every command)
  {
    name: "explain: unknown method",
    cli: "explain",
    args: () => ["--method", "lime", "x.png"],
    error: /^explain: --method must be one of saliency, smoothgrad, gradcam, occlusion \(got "lime"\)$/,
  },
  {
    name: "explain: unknown class",
    cli: "explain",
    args: () => ["--class", "joy", "x.png"],
    error: /^explain: --class must be one of anger, contempt/,
  },
  { name: "explain: no image", cli: "explain", args: () => [], error: /^explain: no image given/ },
  {
    name: "explain: --regions is not a folder",
    cli: "explain",
    args: (c) => ["--regions", c.file],
    error: /^explain: --regions .*: not a folder/,
  },
  {
    name: "explain: --regions with images",
    cli: "explain",
    args: (c) => ["--regions", c.tmp, c.image],
    error: /^explain: --regions takes no images/,
  },
  {
    name: "study: backwards seed range",
    cli: "study",
    args: () => ["--seeds", "5-1"],
    error: /^study: --seeds: the range "5-1" runs backwards$/,
  },
  {
    name: "study: unknown split",
    cli: "study",
    args: () => ["--splits", "random,loo"],
    error: /^study: --splits: "loo" is not one of random, subject, subject-cv$/,
  },
  {
    name: "study: unknown variant",
    cli: "study",
    args: (c) => ["--variants", "huge", "--data", c.fake, "--no-verify", "--out", path.join(c.tmp, "s")],
    error: /^study: unknown variant "huge"/,
  },
  // Flag values: each answered with the flag's own rule.
  {
    name: "negative number",
    cli: "reproduce",
    args: () => ["--seed", "-3"],
    error: /^reproduce: --seed must be between 0 and 2147483647 \(got -3\)$/,
  },
  {
    name: "negative number with =",
    cli: "bench",
    args: () => ["--epochs=-1"],
    error: /^bench: --epochs must be between 1 and 1000 \(got -1\)$/,
  },
  {
    name: "fractional number",
    cli: "reproduce",
    args: () => ["--folds", "2.5"],
    error: /^reproduce: --folds must be a whole number \(got "2\.5"\)$/,
  },
  {
    name: "number below its range",
    cli: "reproduce",
    args: () => ["--folds", "1"],
    error: /^reproduce: --folds must be between 2 and 20 \(got 1\)$/,
  },
  {
    name: "number above its range",
    cli: "notebooks",
    args: () => ["--timeout", "100000"],
    error: /^notebooks: --timeout must be between 1 and 86400 \(got 100000\)$/,
  },
  {
    name: "zero where at least one",
    cli: "reproduce",
    args: () => ["--patience", "0"],
    error: /^reproduce: --patience must be between 1 and 10000 \(got 0\)$/,
  },
  {
    name: "not a number",
    cli: "bench",
    args: () => ["--stock-steps", "few"],
    error: /^bench: --stock-steps must be a whole number \(got "few"\)$/,
  },
  {
    name: "unknown choice",
    cli: "reproduce",
    args: () => ["--split", "person"],
    error: /^reproduce: --split must be one of random, subject \(got "person"\)$/,
  },
  {
    name: "unknown backend",
    cli: "predict",
    args: () => ["--backend", "gpu", "x.png"],
    error: /^predict: --backend must be one of tensorflow, cpu-fast, cpu \(got "gpu"\)$/,
  },
  {
    name: "misspelt flag",
    cli: "reproduce",
    args: () => ["--sed", "1"],
    error: /^reproduce: Unknown option '--sed': did you mean --seed\? \(npm run reproduce -- --help lists the flags\)$/,
  },
  {
    name: "unknown flag (figures)",
    cli: "figures",
    args: () => ["--bogus"],
    error: /^figures: Unknown option '--bogus'/,
  },
  {
    name: "unknown flag (manifest, once parsed by hand)",
    cli: "manifest",
    args: () => ["--data-dir", "x"],
    error: /^manifest: Unknown option '--data-dir': did you mean --data\?/,
  },
  { name: "unknown short flag", cli: "predict", args: () => ["-x", "a.png"], error: /^predict: Unknown option '-x'/ },
  {
    name: "flag without its value",
    cli: "reproduce",
    args: () => ["--out"],
    error: /^reproduce: --out needs a value \(--out DIR\)$/,
  },
  {
    name: "flag followed by another flag",
    cli: "figures",
    args: () => ["--run", "--out", "x"],
    error: /^figures: --run needs a value \(--run FILE\)$/,
  },
  { name: "empty value", cli: "figures", args: () => ["--out="], error: /^figures: --out needs a value \(DIR\)$/ },
  {
    name: "value for a switch",
    cli: "reproduce",
    args: () => ["--quick=yes"],
    error: /^reproduce: --quick takes no value \(got "yes"\)$/,
  },
  {
    name: "flag given twice",
    cli: "reproduce",
    args: () => ["--seed", "1", "--seed", "2"],
    error: /^reproduce: --seed is given twice$/,
  },
  { name: "stray argument", cli: "manifest", args: () => ["CK+48"], error: /^manifest: unexpected argument "CK\+48"/ },
  {
    name: "no image",
    cli: "predict",
    args: () => ["--json"],
    error: /^predict: no image given \(usage: npm run predict -- /,
  },
  {
    name: "--images without --random",
    cli: "bench",
    args: (c) => ["--data", c.fake, "--images", "16"],
    error: /^bench: --images applies to --random only/,
  },
  {
    name: "--compare-torch without --random",
    cli: "bench",
    args: () => ["--compare-torch"],
    error: /^bench: --compare-torch times random images without augmentation on both sides: add --random$/,
  },
  {
    name: "--compare-torch without PyTorch",
    cli: "bench",
    args: () => ["--compare-torch", "--random"],
    env: { FER_PYTHON: "/nonexistent/python3" },
    error: /^bench: --compare-torch: no python with PyTorch \(tried \/nonexistent\/python3\); install it/,
  },
  {
    name: "--data and --random",
    cli: "bench",
    args: (c) => ["--data", c.fake, "--random"],
    error: /^bench: --data and --random exclude each other/,
  },
  {
    name: "FER_BACKEND unknown",
    cli: "figures",
    args: () => ["--help"],
    env: { FER_BACKEND: "gpu" },
    error: /^figures: FER_BACKEND must be one of tensorflow, cpu-fast, cpu \(got "gpu"\)$/,
  },
  {
    name: "tensorflow asked for, tfjs-node absent",
    cli: "predict",
    args: (c) => ["--backend", "tensorflow", "--model", c.model, c.image],
    error:
      /^predict: backend tensorflow needs @tensorflow\/tfjs-node, which is not installed or does not load .*use the default backend cpu-fast$/,
  },

  // Data folders.
  {
    name: "missing data folder (bench exited 0)",
    cli: "bench",
    args: (c) => ["--data", path.join(c.tmp, "nowhere")],
    error: /^bench: CK\+48 folder not found: .*nowhere \(give --data DIR or set CK48_DIR/,
  },
  {
    name: "missing data folder (manifest)",
    cli: "manifest",
    args: (c) => ["--data", path.join(c.tmp, "nowhere")],
    error: /^manifest: CK\+48 folder not found/,
  },
  {
    name: "data folder is a file",
    cli: "reproduce",
    args: (c) => ["--data", c.file, "--out", path.join(c.tmp, "o")],
    error: /^reproduce: .*a-file\.txt is a file, not a folder: give the CK\+48 folder that holds the 7 class folders/,
  },
  {
    name: "empty data folder",
    cli: "reproduce",
    setup: (_c, d) => fs.mkdirSync(path.join(d, "empty")),
    args: (c, dir) => ["--data", path.join(dir, "empty"), "--out", path.join(c.tmp, "o")],
    error: /^reproduce: .*empty is empty: put the CK\+48 images there/,
  },
  {
    name: "data folder one level too high (the Kaggle archive's CK+48/)",
    cli: "reproduce",
    setup: (c, d) => void copyDir(c.fake, path.join(d, "archive", "CK+48")),
    args: (c, dir) => ["--data", path.join(dir, "archive"), "--out", path.join(c.tmp, "o")],
    error: /^reproduce: .*archive holds no class folders, but .*archive\/CK\+48 does: give --data .*archive\/CK\+48$/,
  },
  {
    name: "data folder one level too low (a class folder)",
    cli: "reproduce",
    args: (c) => ["--data", path.join(c.fake, "fear"), "--out", path.join(c.tmp, "o")],
    error: /^reproduce: .*fear is one class folder: give the folder above it/,
  },
  {
    name: "missing class folder",
    cli: "reproduce",
    setup: (c, d) => fs.rmSync(path.join(copyDir(c.fake, path.join(d, "ck")), "sadness"), { recursive: true }),
    args: (c, dir) => ["--data", path.join(dir, "ck"), "--out", path.join(c.tmp, "o")],
    error: /^reproduce: class folder "sadness" missing in .*: restore it from the CK\+48 archive$/,
  },
  {
    name: "extra class folder",
    cli: "reproduce",
    setup: (c, d) => fs.mkdirSync(path.join(copyDir(c.fake, path.join(d, "ck")), "neutral")),
    args: (c, dir) => ["--data", path.join(dir, "ck"), "--out", path.join(c.tmp, "o")],
    error: /^reproduce: unexpected class folder "neutral" in .*: move it out of the data folder$/,
  },
  {
    name: "empty class folder",
    cli: "reproduce",
    setup: (c, d) => {
      const ck = copyDir(c.fake, path.join(d, "ck"));
      for (const f of fs.readdirSync(path.join(ck, "fear"))) fs.rmSync(path.join(ck, "fear", f));
    },
    args: (c, dir) => ["--data", path.join(dir, "ck"), "--out", path.join(c.tmp, "o")],
    error: /^reproduce: class folder .*fear holds no images/,
  },
  {
    name: "a text file among the images",
    cli: "reproduce",
    setup: (c, d) => fs.writeFileSync(path.join(copyDir(c.fake, path.join(d, "ck")), "happy", "notes.txt"), "x"),
    args: (c, dir) => ["--data", path.join(dir, "ck"), "--out", path.join(c.tmp, "o"), "--no-verify", "--quick"],
    error: /^reproduce: not an image file: .*happy\/notes\.txt \(remove it or move it out of the data folder\)$/,
  },
  {
    name: "a zero-byte image in the data",
    cli: "reproduce",
    setup: (c, d) =>
      fs.writeFileSync(path.join(copyDir(c.fake, path.join(d, "ck")), "happy", "S099_001_00000001.png"), ""),
    args: (c, dir) => ["--data", path.join(dir, "ck"), "--out", path.join(c.tmp, "o"), "--no-verify"],
    error:
      /^reproduce: cannot decode image .*S099_001_00000001\.png: the file is empty \(0 bytes\); replace it with the original image or remove it$/,
  },

  // Output folders.
  {
    name: "--out is a file",
    cli: "reproduce",
    args: (c) => ["--data", c.fake, "--out", c.file],
    error: /^reproduce: --out .*a-file\.txt is a file, not a folder: give a folder$/,
  },
  {
    name: "--out below a file",
    cli: "figures",
    args: (c) => ["--out", path.join(c.file, "figs")],
    error: /^figures: --out .*a-file\.txt\/figs: .*a-file\.txt is a file, not a folder: choose another folder$/,
  },
  {
    name: "--out not writable (figures hung here)",
    cli: "figures",
    when: linux,
    args: () => ["--out", "/proc/fer-ck48-figures"],
    error:
      /^figures: --out \/proc\/fer-ck48-figures: cannot write in \/proc \(ENOENT\): choose a folder you can write to$/,
  },
  {
    name: "--out not writable (reproduce)",
    cli: "reproduce",
    when: linux,
    args: (c) => ["--data", c.fake, "--out", "/proc/fer-ck48/run"],
    error: /^reproduce: --out \/proc\/fer-ck48\/run: cannot write in \/proc/,
  },
  {
    name: "--out of notebooks is a file",
    cli: "notebooks",
    args: (c) => ["--out", c.file],
    error: /^notebooks: --out .* is a file, not a folder/,
  },
  {
    name: "--out holds a finished run",
    cli: "reproduce",
    setup: (_c, d) => void fs.writeFileSync(path.join(d, "run.json"), "{}"),
    args: (c, dir) => ["--data", c.fake, "--out", dir],
    error:
      /^reproduce: .*case holds a finished run \(run\.json\): pass --force to replace it, or choose another --out$/,
  },
  {
    name: "--out locked by a live process",
    cli: "reproduce",
    setup: (_c, d) =>
      fs.writeFileSync(
        path.join(d, ".lock"),
        JSON.stringify({
          pid: process.pid,
          host: os.hostname(),
          started: "2024-01-01T00:00:00.000Z",
          command: "npm run reproduce",
        }),
      ),
    args: (c, dir) => ["--data", c.fake, "--no-verify", "--out", dir],
    error: new RegExp(
      `^reproduce: .*case is in use by process ${process.pid} \\(npm run reproduce, started 2024-01-01T00:00:00.000Z\\): wait for it, choose another --out, or delete .*\\.lock if that process is gone$`,
    ),
  },
  {
    name: "--out locked from another host",
    cli: "reproduce",
    setup: (_c, d) =>
      fs.writeFileSync(
        path.join(d, ".lock"),
        JSON.stringify({
          pid: 1,
          host: "elsewhere.example",
          started: "2024-01-01T00:00:00.000Z",
          command: "npm run reproduce",
        }),
      ),
    args: (c, dir) => ["--data", c.fake, "--no-verify", "--out", dir],
    error: /^reproduce: .*case is in use by process 1 on elsewhere\.example/,
  },

  // Input files: run records, images, model folders.
  {
    name: "--run is a folder",
    cli: "figures",
    setup: (_c, d) => fs.writeFileSync(path.join(d, "run.json"), "{}"),
    args: (c, dir) => ["--run", dir, "--out", path.join(c.tmp, "figs")],
    error: /^figures: --run .*case is a folder, not a file: pass .*case\/run\.json$/,
  },
  {
    name: "image is a folder",
    cli: "predict",
    args: (c) => ["--model", c.model, c.tmp],
    error: /^predict: cannot read .*: EISDIR \(a folder, not an image file\)$/,
  },
  {
    name: "zero-byte image",
    cli: "predict",
    setup: (_c, d) => fs.writeFileSync(path.join(d, "empty.png"), ""),
    args: (c, dir) => ["--model", c.model, path.join(dir, "empty.png")],
    error: /^predict: cannot decode image .*empty\.png: the file is empty \(0 bytes\)/,
  },
  {
    name: "truncated PNG",
    cli: "predict",
    setup: (c, d) => {
      const b = fs.readFileSync(c.image);
      fs.writeFileSync(path.join(d, "cut.png"), b.subarray(0, Math.floor(b.length / 2)));
    },
    args: (c, dir) => ["--model", c.model, path.join(dir, "cut.png")],
    error:
      /^predict: cannot decode image .*cut\.png: .* \(truncated or not an image; replace it with the original or remove it\)$/,
  },
  {
    name: "text file named .jpg",
    cli: "predict",
    setup: (_c, d) => fs.writeFileSync(path.join(d, "face.jpg"), "hello"),
    args: (c, dir) => ["--model", c.model, path.join(dir, "face.jpg")],
    error: /^predict: cannot decode image .*face\.jpg: Input buffer contains unsupported image format/,
  },
  {
    name: "model folder is a file",
    cli: "predict",
    args: (c) => ["--model", c.file, c.image],
    error:
      /^predict: .*a-file\.txt is a file, not a model folder: give the folder that holds model\.json and weights\.bin$/,
  },
  {
    name: "model folder empty",
    cli: "predict",
    args: (c, dir) => ["--model", dir, c.image],
    error: /^predict: no model at .*case \(expected .*model\.json; make one with npm run reproduce\)$/,
  },
  {
    name: "model.json corrupt",
    cli: "predict",
    setup: (c, d) => {
      copyDir(c.model, path.join(d, "m"));
      fs.writeFileSync(path.join(d, "m", "model.json"), '{"modelTopology": {');
    },
    args: (c, dir) => ["--model", path.join(dir, "m"), c.image],
    error:
      /^predict: .*model\.json is not valid JSON \(.*\): save it again with npm run reproduce, or copy the model folder again$/,
  },
  {
    name: "model.json of something else",
    cli: "predict",
    setup: (c, d) => {
      copyDir(c.model, path.join(d, "m"));
      fs.writeFileSync(path.join(d, "m", "model.json"), '{"name": "not a model"}');
    },
    args: (c, dir) => ["--model", path.join(dir, "m"), c.image],
    error: /^predict: .*model\.json is not a tfjs layers model/,
  },
  {
    name: "weights.bin missing",
    cli: "predict",
    setup: (c, d) => fs.rmSync(path.join(copyDir(c.model, path.join(d, "m")), "weights.bin")),
    args: (c, dir) => ["--model", path.join(dir, "m"), c.image],
    error: /^predict: weights file missing: .*weights\.bin \(save it again/,
  },
  {
    name: "weights.bin truncated (printed a stack trace)",
    cli: "predict",
    setup: (c, d) => {
      const w = path.join(copyDir(c.model, path.join(d, "m")), "weights.bin");
      fs.truncateSync(w, 1000);
    },
    args: (c, dir) => ["--model", path.join(dir, "m"), c.image],
    error:
      /^predict: .*weights\.bin holds 1000 bytes but .*model\.json describes 347644: the weights are truncated or from another model; save it again/,
  },
  {
    name: "model with the wrong number of outputs",
    cli: "predict",
    setup: async (_c, d) => {
      const m = tf.sequential({
        layers: [tf.layers.flatten({ inputShape: [48, 48, 3] }), tf.layers.dense({ units: 5, activation: "softmax" })],
      });
      await saveModel(m, path.join(d, "m5"));
      m.dispose();
    },
    args: (c, dir) => ["--model", path.join(dir, "m5"), c.image],
    error:
      /^predict: .*model\.json maps 48×48×3 inputs to 5 outputs, not 48×48×3 images to the 7 classes: give a model made by npm run reproduce$/,
  },
];

describe("command line", function () {
  this.timeout(300_000);
  let fake: string;
  let tmp: string;
  const ctx = {} as Ctx;
  before(async () => {
    fake = await makeFakeCk48(6);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fer-cli-"));
    const m = createModel(0);
    await saveModel(m, path.join(tmp, "model"));
    m.dispose();
    fs.writeFileSync(path.join(tmp, "a-file.txt"), "not a folder");
    Object.assign(ctx, {
      tmp,
      fake,
      model: path.join(tmp, "model"),
      image: path.join(fake, "happy", fs.readdirSync(path.join(fake, "happy"))[0]),
      file: path.join(tmp, "a-file.txt"),
    });
  });
  after(() => {
    fs.rmSync(fake, { recursive: true, force: true });
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe("bad input: one line naming the culprit and what to do, exit 2, no stack trace, nothing written", () => {
    const results = new Map<Case, ReturnType<typeof run>>();
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
      // Three at a time: most cases are a Node start-up and a parse, and the suite should stay quick.
      const queue = [...cases];
      const worker = async () => {
        for (let c = queue.shift(); c; c = queue.shift())
          results.set(c, await runAsync(c.cli, c.args(ctx, dirs.get(c)!), c.env ?? {}, 60_000));
      };
      await Promise.all([worker(), worker(), worker()]);
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
    expect(COMMANDS.map((s) => s.name).sort()).to.deep.equal(commands);
    const runs = await Promise.all(
      COMMANDS.flatMap((spec) => [runAsync(spec.name, ["--help"]), runAsync(spec.name, ["--no-such-flag"])]),
    );
    for (const [i, spec] of COMMANDS.entries()) {
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
    for (const spec of COMMANDS) expect(readme).to.include(usage(spec).replace(/\|/g, "\\|"));
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

  it("the backend is cpu-fast by default even where tfjs-node is installed, and tfjs-node only when asked (stand-in module)", () => {
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

  it("user errors are one line, exit 2, no stack trace, and leave nothing written", () => {
    const out = path.join(tmp, "never");
    expectUserError(
      run("reproduce", ["--data", "/nonexistent/ck", "--out", out]),
      /^reproduce: CK\+48 folder not found: \/nonexistent\/ck/,
    );
    expectUserError(
      run("reproduce", ["--seed", "x", "--out", out]),
      /^reproduce: --seed must be a whole number \(got "x"\)/,
    );
    expectUserError(
      run("reproduce", ["--split", "person", "--out", out]),
      /^reproduce: --split must be one of random, subject/,
    );
    expectUserError(run("reproduce", ["--frobnicate"]), /^reproduce: Unknown option '--frobnicate'/);
    expectUserError(
      run("reproduce", ["--data", fake, "--out", out]),
      /^reproduce: .* does not match data\/manifest\.csv: 981 missing/,
    );
    expect(fs.existsSync(out)).to.equal(false);
    expectUserError(
      run("predict", [
        "--model",
        path.join(tmp, "nomodel"),
        path.join(fake, "anger", fs.readdirSync(path.join(fake, "anger"))[0]),
      ]),
      /^predict: no model at /,
    );
    const bad = path.join(tmp, "corrupt.png");
    fs.writeFileSync(bad, "definitely not an image");
    expectUserError(
      run("predict", ["--model", path.join(tmp, "quick", "model"), bad]),
      /^predict: cannot decode image .*corrupt\.png/,
    );
    expectUserError(
      run("predict", ["--model", path.join(tmp, "quick", "model"), path.join(tmp, "missing.png")]),
      /^predict: cannot read .*missing\.png: ENOENT/,
    );
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
    expect(Object.keys(last)).to.deep.equal([
      "backend",
      "epochSeconds",
      "stockEpochSeconds",
      "speedup",
      "imagesPerSecond",
      "epochTimes",
      "bound",
    ]);
    // 16 images × 5,653,824 multiply-adds × 2
    expect(last.bound.epochGflop).to.equal(0.181);
    expect(last.bound.floorSeconds.oneCore).to.be.below(last.epochTimes[0]);
    expect(r.out).to.match(/bound: an epoch is 0\.18 GFLOP of multiply-adds/);
    expect(last.epochSeconds).to.be.above(0);
    expect(last.epochTimes).to.have.length(1);
    expect(last.epochTimes[0]).to.be.closeTo(last.epochSeconds, 1e-3);
    expect(last.speedup).to.be.above(1);
    expectUserError(run("bench", ["--epochs", "zero"]), /^bench: --epochs must be a whole number \(got "zero"\)$/);
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

  it("speedBound: an epoch's arithmetic at a given peak (hand-computed)", () => {
    const m = createModel(0);
    // 784 images × 5,653,824 multiply-adds × 2 = 8.865 GFLOP; at 50 GFLOP/s: 0.1773 s on one core, 0.0887 on two
    const b = speedBound(m, 784, 0.5, 50);
    m.dispose();
    expect(b).to.deep.equal({
      epochGflop: 8.865,
      peakGflopsPerCore: 50,
      floorSeconds: { oneCore: 0.1773, twoCores: 0.0887 },
      achievedGflops: 17.7,
      shareOfOneCore: 0.355,
    });
  });

  it("bench --compare-torch times PyTorch on the same model in the same run (only where a python has torch)", function () {
    if (!findTorchPython()) this.skip(); // PyTorch is not a dependency (Debian: python3-torch)
    const r = run("bench", [
      "--random",
      "--epochs",
      "1",
      "--images",
      "64",
      "--stock-steps",
      "0",
      "--compare-torch",
      "--json",
    ]);
    expect(r.code, r.err).to.equal(0);
    const last = JSON.parse(r.out.trim().split("\n").pop()!);
    const all = [...last.torch.byThreads["1"], ...last.torch.byThreads["2"]];
    expect(last.torch.epochSeconds).to.equal(Math.min(...all));
    expect(last.torch.ratio).to.be.closeTo(Math.min(...last.epochTimes) / last.torch.epochSeconds, 1e-3);
    expect(r.out).to.match(/ours ÷ pytorch: \d+\.\d\d/);
    const goal = 0.5 * last.torch.epochSeconds;
    const share = Math.round((100 * last.bound.floorSeconds.twoCores) / goal);
    expect(r.out).to.include(
      `the goal, ${goal.toFixed(3)} s per epoch, needs ${share}% of both cores' WebAssembly peak`,
    );
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
