/**
 * `npm run bench`: seconds per training epoch of the paper's CNN on the `cpu-fast` backend against a sample of stock
 * tfjs, the speed bound, and PyTorch and Keras with `--compare-torch` and `--compare-keras` (lib/bench.ts and
 * lib/bench-peers.ts measure; this prints). Flags: the
 * declaration {@link BENCH}. With `--json` the last output line is the {@link BenchResult} as one JSON object.
 */
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { PAPER } from "../config";
import { loadRun } from "../record";
import { resolveDataDir, DEFAULT_CK48, ROOT, shown } from "../paths";
import { UserError } from "../errors";
import { initBackend } from "../tf";
import * as os from "os";
import { compareKeras, compareTorch, findPython, pythonCandidates, torchProtocol } from "../bench-peers";
import {
  ck48BatchSource,
  randomBatchSource,
  runBench,
  FIXED_COST_BATCHES,
  type BenchOptions,
  type BenchResult,
  type KernelTime,
} from "../bench";
import { defineCommand, defineCli, runCli, type Args } from "./args";
import { DATA_FLAG, ENV } from "./flags";

/** The flags of `npm run bench` (the one declaration: parser, --help, usage line and README table). */
export const BENCH = defineCommand({
  name: "bench",
  summary: "Seconds per training epoch with the project's fast kernels (`cpu-fast`) vs a sample of stock tfjs (`cpu`).",
  details:
    "It times the 784 augmented training images of CK+48 when the data folder is there, else seeded random images.",
  flags: {
    data: {
      ...DATA_FLAG,
      help: "the CK+48 folder to time on",
      defaultText: "$CK48_DIR, else data/CK+48 if present, else random images",
    },
    random: { type: "boolean", help: "time on seeded random images, without augmentation" },
    grey: {
      type: "boolean",
      help: "with --random: give each pixel's three channels one value, as CK+48's grey pictures (the first stage's forward pass and filter gradient are then computed once per grey value; PyTorch and Keras do the same work either way)",
    },
    images: { type: "int", min: 1, max: 100000, help: "random images per epoch (with --random)", defaultText: "784" },
    epochs: { type: "int", min: 1, max: 1000, default: 2, help: "timed epochs on cpu-fast (the time is their mean)" },
    threads: {
      type: "int",
      min: 1,
      max: 2,
      default: 2,
      help: "1: time cpu-fast's kernels on one thread; 2: on one and on two threads (lib/kernels/threads.ts), epochs alternating",
    },
    "stock-steps": {
      type: "int",
      min: 0,
      max: 1000,
      default: 3,
      help: "steps timed on the stock cpu backend (0 skips it)",
    },
    profile: { type: "boolean", help: "add a per-kernel time table of a few steps on both backends" },
    "fixed-cost": {
      type: "boolean",
      help: "also fit step time = fixed + per image × batch over batches 1–16 (random images): the per-step cost that no faster arithmetic removes",
    },
    "compare-tensorflow": {
      type: "boolean",
      help: "also time the same epochs on the tensorflow backend (tfjs-node; bash scripts/tfjs-node-from-wheel.sh builds it offline)",
    },
    "compare-torch": {
      type: "boolean",
      help: "also time PyTorch on the same model, step and random images, 1 and 2 threads, in the same run (the newest torch found; bash scripts/python-peers.sh installs one)",
    },
    "compare-keras": {
      type: "boolean",
      help: "also time Keras 3 on TensorFlow (model.fit, the paper's stack) on the same model and random images, 1 and 2 threads, in the same run (bash scripts/python-peers.sh installs it)",
    },
    "compare-torch-protocol": {
      type: "string",
      arg: "RUN",
      help: "also run the protocol of a run record (npm run reproduce made just before) in PyTorch the same way, folds in parallel on both cores, and give ours ÷ it",
    },
    "protocol-pairs": {
      type: "int",
      arg: "N",
      min: 1,
      max: 10,
      default: 1,
      help: "with --compare-torch-protocol: N pairs of our protocol then PyTorch's; after the first, ours runs again (npm run reproduce with the record's seed, split and folds, into out/bench-protocol/); the ratio is the pairs' median (timings on shared machines drift within minutes)",
    },
    json: { type: "boolean", help: "end with one JSON line" },
  },
  env: {
    CK48_DIR: ENV.CK48_DIR,
    FER_PYTHON:
      "the python with PyTorch or Keras for --compare-torch and --compare-keras (else the newest of out/python-peers, python3, /usr/bin/python3)",
  },
});

/** The speed goal: an epoch in at most this share of PyTorch's fastest. */
const GOAL_RATIO = 0.7;

/** A framework's epochs per thread count, as "1 thread: 0.61 0.47; 2 threads: 0.43". */
function threadSettings(t: { byThreads: Record<string, number[]> }): string {
  return Object.entries(t.byThreads)
    .map(([k, v]) => `${k} thread${k === "1" ? "" : "s"}: ${v.map((x) => x.toFixed(3)).join(" ")}`)
    .join("; ");
}

/** A per-kernel profile as lines: the 20 largest kernels' milliseconds per step, share and calls. */
export function profileLines(title: string, rows: KernelTime[]): string[] {
  const total = rows.reduce((s, r) => s + r[1], 0);
  return [
    "",
    `${title}: kernel ms per step (total ${total.toFixed(2)} ms)`,
    ...rows
      .slice(0, 20)
      .map(
        ([n, ms, c]) =>
          `  ${n.padEnd(24)} ${ms.toFixed(3).padStart(10)} ms  ${((100 * ms) / total).toFixed(1).padStart(5)}%  calls ${c}`,
      ),
  ];
}

/** The bench's report as lines: the epoch on both backends, the speed bound, the fixed cost, PyTorch. */
export function reportLines(r: BenchResult): string[] {
  const L: string[] = [];
  if (r.profile) {
    L.push(...profileLines("cpu-fast (warm)", r.profile.fast));
    if (r.profile.stock) L.push(...profileLines("cpu (stock)", r.profile.stock));
  }
  L.push("", "backend     s/epoch   images/s");
  const spread = (v: number[]) => {
    const s = [...v].sort((x, y) => x - y);
    return `min ${s[0].toFixed(3)}, median ${s[Math.floor((s.length - 1) / 2)].toFixed(3)}`;
  };
  const epochs = `${r.epochs} epoch${r.epochs > 1 ? "s" : ""}`;
  L.push(
    `cpu-fast  ${r.epochSeconds.toFixed(3).padStart(9)}  ${r.imagesPerSecond.toFixed(0).padStart(9)}   (1 thread: mean of ${epochs} after ${r.warmupSteps} warm-up steps; ${spread(r.epochTimes)})`,
  );
  const two = r.twoThreads;
  if (two)
    L.push(
      `cpu-fast  ${two.epochSeconds.toFixed(3).padStart(9)}  ${(r.images / two.epochSeconds).toFixed(0).padStart(9)}   (2 threads: mean of ${epochs}, alternating with 1 thread's; ${spread(two.epochTimes)}; 1 ÷ 2 threads ${(Math.min(...r.epochTimes) / Math.min(...two.epochTimes)).toFixed(2)}×)`,
    );
  if (r.stockEpochSeconds !== null) {
    L.push(
      `cpu       ${r.stockEpochSeconds.toFixed(3).padStart(9)}  ${(r.images / r.stockEpochSeconds).toFixed(0).padStart(9)}   (${r.stockSteps} step${r.stockSteps === 1 ? "" : "s"}, extrapolated)`,
    );
    L.push(`speed-up  ${r.speedup!.toFixed(1)}×`);
  }
  const b = r.bound;
  L.push(
    "",
    `bound: an epoch is ${b.epochGflop.toFixed(2)} GFLOP of multiply-adds (lib/model.ts trainingMultiplyAdds${b.greyInput ? "; grey images: the first convolution and its filter gradient once per grey value" : ""}); at this core's WebAssembly SIMD peak of ${b.peakGflopsPerCore.toFixed(1)} GFLOP/s (measured, asm/peak.ts)`,
    `       it takes at least ${b.floorSeconds.oneCore.toFixed(3)} s on one core, ${b.floorSeconds.twoCores.toFixed(3)} s on two; cpu-fast's fastest one-thread epoch does ${b.achievedGflops.toFixed(1)} GFLOP/s, ${(100 * b.shareOfOneCore).toFixed(0)}% of one core's peak (the goal is ≥ 50%)`,
  );
  const steps = Math.ceil(r.images / PAPER.batchSize);
  const f = r.fixedCost;
  if (f) {
    const byBatch = FIXED_COST_BATCHES.map((n) => `${n}: ${f.msByBatch[n].toFixed(2)}`).join(", ");
    L.push(
      `fixed cost: ms per step by batch size (${byBatch}) ≈ ${f.fixedMs.toFixed(2)} ms + ${f.perImageMs.toFixed(3)} ms per image (least squares);`,
      `       ${f.fixedMs.toFixed(2)} ms × ${steps} steps = ${((f.fixedMs * steps) / 1000).toFixed(3)} s of every epoch is per-step cost, whatever the arithmetic`,
    );
  }
  const tn = r.tensorflow;
  if (tn)
    L.push(
      `tensorflow ${tn.epochSeconds.toFixed(3).padStart(8)}  ${(r.images / tn.epochSeconds).toFixed(0).padStart(9)}   (tfjs-node on libtensorflow ${tn.library}, mean of ${tn.epochTimes.length})`,
      `ours ÷ tensorflow: ${tn.ratio.toFixed(2)} (fastest epoch each, same batches, same run)`,
    );
  const p = r.protocol;
  if (p) {
    L.push(
      `protocol: ${shown(p.run)} took ${p.oursSeconds.toFixed(1)} s; the same ${p.epochs} epochs in PyTorch ${p.torch}, ${p.workers} folds at a time, ${p.torchSeconds.toFixed(1)} s`,
    );
    p.pairs
      .slice(1)
      .forEach((q, i) =>
        L.push(
          `protocol, pair ${i + 2}: ours again ${q.oursSeconds.toFixed(1)} s, PyTorch ${q.torchSeconds.toFixed(1)} s: ${q.ratio.toFixed(2)}`,
        ),
      );
    const over = p.pairs.length > 1 ? `median of ${p.pairs.length} pairs, min ${p.minRatio.toFixed(2)}; ` : "";
    L.push(`ours ÷ pytorch, the protocol: ${p.ratio.toFixed(2)} (${over}the goal is ≤ ${GOAL_RATIO})`);
  }
  const k = r.keras;
  if (k)
    L.push(
      `keras     ${k.epochSeconds.toFixed(3).padStart(9)}  ${(r.images / k.epochSeconds).toFixed(0).padStart(9)}   (Keras ${k.version}, model.fit, best of ${threadSettings(k)})`,
      `ours ÷ keras: ${k.ratio.toFixed(2)} (fastest epoch each)`,
    );
  const t = r.torch;
  if (t) {
    const settings = threadSettings(t);
    L.push(
      `pytorch   ${t.epochSeconds.toFixed(3).padStart(9)}  ${(r.images / t.epochSeconds).toFixed(0).padStart(9)}   (torch ${t.version}, best of ${settings})`,
      `ours ÷ pytorch: ${t.ratio.toFixed(2)} (fastest epoch each, both thread settings; the goal is ≤ ${GOAL_RATIO})`,
    );
    const goal = GOAL_RATIO * t.epochSeconds;
    L.push(
      `the goal, ${goal.toFixed(3)} s per epoch, needs ${((100 * b.floorSeconds.twoCores) / goal).toFixed(0)}% of both cores' WebAssembly peak spent on the layers' multiply-adds alone`,
    );
    if (f)
      L.push(
        `       and allows ${((1000 * goal) / steps).toFixed(2)} ms per step, against a fixed cost of ${f.fixedMs.toFixed(2)} ms per step before any arithmetic`,
      );
  }
  return L;
}

/** Where --protocol-pairs runs our protocol again. */
const PROTOCOL_AGAIN = path.join(ROOT, "out", "bench-protocol");

/**
 * Our protocol of `runFile` once more, as `npm run reproduce` runs it (a fresh process, folds in worker threads), with
 * the record's seed, split, folds, epochs and patience, into {@link PROTOCOL_AGAIN}: returns its run record. The same
 * seed gives the same bits, so PyTorch's reference has the same folds and epochs each time.
 */
function protocolAgain(runFile: string, dataDir: string): (pair: number) => string {
  const record = loadRun(runFile);
  const { seed, config } = record;
  if (config.split !== "random" && config.split !== "subject")
    throw new UserError(
      `--protocol-pairs: ${runFile} is a ${config.split} run; npm run reproduce runs random and subject splits only`,
    );
  if (!fs.existsSync(dataDir))
    throw new UserError(`--protocol-pairs runs our protocol again on CK+48, which is not at ${shown(dataDir)}`);
  const compiled = __filename.endsWith(".js");
  const script = path.join(__dirname, compiled ? "reproduce.js" : "reproduce.ts");
  const flags = [
    ...["--out", PROTOCOL_AGAIN, "--force", "--data", dataDir, "--seed", String(seed), "--split", config.split],
    ...[
      "--folds",
      String(config.folds),
      "--max-epochs",
      String(config.maxEpochs),
      "--patience",
      String(config.patience),
    ],
    ...(config.quick ? ["--quick"] : []),
  ];
  return (pair) => {
    console.log(`protocol, pair ${pair}: our protocol again (npm run reproduce -- --out ${shown(PROTOCOL_AGAIN)})`);
    const r = spawnSync(process.execPath, [...(compiled ? [] : ["--import", "tsx"]), script, ...flags], {
      stdio: ["ignore", "ignore", "pipe"],
      encoding: "utf8",
    });
    if (r.status !== 0)
      throw new UserError(
        `--protocol-pairs: npm run reproduce failed (exit ${r.status}): ${(r.stderr || "").trim().split("\n").pop()}`,
      );
    return path.join(PROTOCOL_AGAIN, "run.json");
  };
}

async function bench(a: Args<typeof BENCH>): Promise<void> {
  if (a.random && a.data !== undefined) throw new UserError("--data and --random exclude each other: give one");
  if (a.grey && !a.random) throw new UserError("--grey applies to --random only (CK+48's pictures are grey already)");
  const opts: BenchOptions = {
    epochs: a.epochs,
    threads: a.threads,
    images: a.images ?? 784,
    stockSteps: a["stock-steps"],
    profile: a.profile,
    fixedCost: a["fixed-cost"],
    tensorflow: a["compare-tensorflow"],
    log: (l) => console.log(l),
  };
  if (a["compare-tensorflow"]) {
    initBackend("tensorflow"); // a missing or broken tfjs-node is one line now, not after the cpu-fast epochs
    initBackend("cpu-fast");
  }
  const protocolRun = a["compare-torch-protocol"];
  if (protocolRun !== undefined && !fs.existsSync(protocolRun))
    throw new UserError(
      `--compare-torch-protocol ${protocolRun}: no such run record (make one with npm run reproduce -- --out DIR, then give DIR/run.json)`,
    );
  const pairs = a["protocol-pairs"];
  if (pairs > 1 && protocolRun === undefined)
    throw new UserError("--protocol-pairs applies to --compare-torch-protocol RUN: give that too");
  const again = pairs > 1 ? protocolAgain(protocolRun!, resolveDataDir(a.data)) : undefined;
  const pythons: { torch?: string; keras?: string } = {};
  for (const [flag, module] of [
    ["compare-torch", "torch"],
    ["compare-keras", "keras"],
    ["compare-torch-protocol", "torch"],
  ] as const) {
    if (!a[flag]) continue;
    if (flag !== "compare-torch-protocol" && !a.random)
      throw new UserError(`--${flag} times random images without augmentation on both sides: add --random`);
    const found = findPython(module);
    if (!found)
      throw new UserError(
        `--${flag}: no python with ${module} (tried ${pythonCandidates().join(", ")}); make one with bash scripts/python-peers.sh, or set FER_PYTHON`,
      );
    pythons[module] = found.python;
  }
  const dir = resolveDataDir(a.data);
  // A folder asked for (--data or CK48_DIR) must be a CK+48 folder; only the default one may be absent.
  const useData = !a.random && (a.data !== undefined || !!process.env.CK48_DIR || fs.existsSync(DEFAULT_CK48));
  if (useData) {
    if (a.images !== undefined)
      throw new UserError("--images applies to --random only (CK+48 has its own training images)");
    const real = await ck48BatchSource(dir);
    opts.source = real.source;
    opts.images = real.images;
    opts.greyInput = real.grey;
    console.log(`data: the ${real.images} training images of the paper's split of ${shown(dir)}, augmented`);
  } else {
    if (a.grey) opts.source = randomBatchSource(opts.images, PAPER.batchSize, 0, true);
    opts.greyInput = !!a.grey;
    console.log(
      `data: ${opts.images} seeded random${a.grey ? " grey" : ""} images (${a.random ? "--random" : `no CK+48 at ${shown(dir)}`})`,
    );
  }
  const r = await runBench(opts);
  if (pythons.torch) r.torch = compareTorch(pythons.torch, r);
  if (pythons.keras) r.keras = compareKeras(pythons.keras, r);
  if (protocolRun !== undefined)
    r.protocol = torchProtocol(pythons.torch!, protocolRun, os.cpus().length, 1, pairs, again);
  for (const line of reportLines(r)) console.log(line);
  if (a.json) console.log(JSON.stringify(r));
}

// The bench switches between cpu-fast and the stock cpu backend itself; it starts on cpu-fast.
export const benchCommand = defineCli(BENCH, bench, { initBackend: () => initBackend("cpu-fast") });

if (require.main === module) runCli(benchCommand);
