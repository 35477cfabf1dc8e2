/**
 * The frameworks the paper's readers know, timed beside ours in the same run (`npm run bench -- --compare-torch`,
 * `--compare-keras`): PyTorch's eager loop (scripts/torch-bench.py) and Keras 3's `model.fit` on TensorFlow, the
 * paper's own stack (scripts/keras-bench.py), on the same model, step and number of random images. Neither is a
 * dependency: `bash scripts/python-peers.sh` makes a virtual environment with both from pip's configured index.
 */
import * as fs from "fs";
import * as path from "path";
import { execFileSync, spawnSync } from "child_process";
import { ROOT } from "./paths";
import { quantile } from "./stats";

/** A framework timed beside ours in the same run: its version, its fastest epoch and thread count, ours ÷ it. */
export interface PeerEpochs {
  version: string;
  epochSeconds: number;
  threads: number;
  byThreads: Record<string, number[]>;
  ratio: number;
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Where scripts/python-peers.sh puts its virtual environment. */
export const PYTHON_PEERS = path.join(ROOT, "out", "python-peers", "bin", "python");

/** The pythons tried, in order: $FER_PYTHON alone when set, else scripts/python-peers.sh's, python3 and Debian's. */
export function pythonCandidates(): string[] {
  if (process.env.FER_PYTHON) return [process.env.FER_PYTHON];
  return [...(fs.existsSync(PYTHON_PEERS) ? [PYTHON_PEERS] : []), "python3", "/usr/bin/python3"];
}

/** Compare dotted versions ("2.13.0+cpu" > "2.9.1"): the numeric parts, left to right. */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string) => v.split(/[.+-]/).map((x) => Number.parseInt(x, 10));
  const [pa, pb] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (Number.isNaN(pa[i]) ? -1 : (pa[i] ?? -1)) - (Number.isNaN(pb[i]) ? -1 : (pb[i] ?? -1));
    if (d) return d;
  }
  return 0;
}

/** The python among {@link pythonCandidates} with the newest `module` (torch, keras), and that version; null if none. */
export function findPython(module: string): { python: string; version: string } | null {
  let best: { python: string; version: string } | null = null;
  for (const py of pythonCandidates()) {
    const r = spawnSync(py, ["-c", `import ${module}; print(${module}.__version__)`], {
      encoding: "utf8",
      env: { ...process.env, KERAS_BACKEND: "tensorflow", TF_CPP_MIN_LOG_LEVEL: "3" },
    });
    const version = r.status === 0 ? r.stdout.trim().split("\n").pop()! : "";
    if (version && (!best || compareVersions(version, best.version) > 0)) best = { python: py, version };
  }
  return best;
}

/** The python with the newest PyTorch, or null (kept for the tests that skip without one). */
export function findTorchPython(): string | null {
  return findPython("torch")?.python ?? null;
}

/** Run one of scripts/'s Python timers and parse the one JSON line it ends with. */
function runScript<T>(
  python: string,
  script: string,
  args: (string | number)[],
  stderr: "inherit" | "ignore" = "inherit",
): T {
  const out = execFileSync(python, [path.join(ROOT, "scripts", script), ...args.map(String)], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", stderr],
  });
  return JSON.parse(out.trim().split("\n").pop()!) as T;
}

/**
 * PyTorch's seconds per epoch of the same model and step on `images` random images (scripts/torch-bench.py), for
 * each thread count; the comparison the speed goal is stated in. Several epochs per setting: the caller takes the min.
 */
export function torchEpochs(
  python: string,
  images: number,
  epochs: number,
): { version: string; byThreads: Record<string, number[]> } {
  const r = runScript<{ torch: string; threads: Record<string, number[]> }>(python, "torch-bench.py", [
    images,
    epochs,
    "1,2",
  ]);
  return { version: r.torch, byThreads: r.threads };
}

/**
 * Keras 3's seconds per epoch of `model.fit` on `images` random images (scripts/keras-bench.py), one process per
 * thread count (TensorFlow's pools are fixed when it starts); the version names Keras and its TensorFlow.
 */
export function kerasEpochs(
  python: string,
  images: number,
  epochs: number,
): { version: string; byThreads: Record<string, number[]> } {
  const byThreads: Record<string, number[]> = {};
  let version = "";
  for (const threads of [1, 2]) {
    // TensorFlow writes its start-up notes on stderr whatever its log level
    const r = runScript<{ keras: string; tensorflow: string; threads: Record<string, number[]> }>(
      python,
      "keras-bench.py",
      [images, epochs, threads],
      "ignore",
    );
    Object.assign(byThreads, r.threads);
    version = `${r.keras} on TensorFlow ${r.tensorflow}`;
  }
  return { version, byThreads };
}

/** A framework's fastest epoch over its thread settings beside ours ({@link PeerEpochs}). */
export function peerEpochs(t: { version: string; byThreads: Record<string, number[]> }, ours: number): PeerEpochs {
  let best = { threads: 1, s: Infinity };
  for (const [k, v] of Object.entries(t.byThreads)) for (const s of v) if (s < best.s) best = { threads: Number(k), s };
  return {
    version: t.version,
    epochSeconds: best.s,
    threads: best.threads,
    byThreads: t.byThreads,
    ratio: round(ours / best.s, 3),
  };
}

/** Our bench's images, epochs and epoch times: what a framework is timed beside. */
type Ours = { images: number; epochs: number; fastestEpoch: number };

/** PyTorch's fastest epoch on the same images beside ours. */
export function compareTorch(python: string, r: Ours): PeerEpochs {
  return peerEpochs(torchEpochs(python, r.images, Math.max(3, r.epochs)), r.fastestEpoch);
}

/** Keras' fastest epoch on the same images beside ours. */
export function compareKeras(python: string, r: Ours): PeerEpochs {
  return peerEpochs(kerasEpochs(python, r.images, Math.max(3, r.epochs)), r.fastestEpoch);
}

/** One pair of protocol timings: a run record's own seconds, then PyTorch's for the same folds, run right after. */
export interface ProtocolPair {
  run: string;
  oursSeconds: number;
  torchSeconds: number;
  /** Ours ÷ PyTorch's. */
  ratio: number;
}

/** PyTorch's time for the protocol of a run record (scripts/torch-protocol.py), beside the record's own time. */
export interface ProtocolRatio {
  torch: string;
  workers: number;
  epochs: number;
  /** The first pair's record, its wall seconds (its `seconds`) and PyTorch's for the same folds and epochs. */
  run: string;
  oursSeconds: number;
  torchSeconds: number;
  /** Ours ÷ PyTorch's: the median over {@link pairs} (with one pair, its ratio). */
  ratio: number;
  /** The lowest of the pairs' ratios. */
  minRatio: number;
  /** Every pair, in the order run. */
  pairs: ProtocolPair[];
}

/**
 * Run the protocol of `runFile` in PyTorch the same way (its folds' epochs and sizes, `workers` processes of one
 * thread) and compare with the record's time. The record should be made just before, on this machine
 * (`npm run reproduce`), so that both are timed in one session. With `pairs` > 1, `again` runs our protocol again
 * (the same folds and epochs: the same seed gives the same bits) and returns its record, PyTorch following each:
 * timings on shared machines drift within minutes, so the ratio is the median of pairs run side by side in time.
 */
export function torchProtocol(
  python: string,
  runFile: string,
  workers: number,
  scale = 1,
  pairs = 1,
  again?: (pair: number) => string,
): ProtocolRatio {
  if (pairs > 1 && !again) throw new Error("torchProtocol: more than one pair needs a way to run ours again");
  const done: ProtocolPair[] = [];
  let torch = "";
  let epochs = 0;
  for (let i = 0; i < pairs; i++) {
    const run = i === 0 ? runFile : again!(i + 1);
    const record = JSON.parse(fs.readFileSync(run, "utf8")) as { seconds: number };
    const r = runScript<{ torch: string; seconds: number; epochs: number }>(
      python,
      "torch-protocol.py",
      [run, workers, scale],
      "ignore",
    );
    torch = r.torch;
    epochs = r.epochs;
    done.push({
      run,
      oursSeconds: round(record.seconds, 1),
      torchSeconds: round(r.seconds, 1),
      ratio: round(record.seconds / r.seconds, 3),
    });
  }
  const ratios = done.map((p) => p.ratio);
  return {
    torch,
    workers,
    epochs,
    run: done[0].run,
    oursSeconds: done[0].oursSeconds,
    torchSeconds: done[0].torchSeconds,
    ratio: round(quantile(ratios, 0.5), 3),
    minRatio: Math.min(...ratios),
    pairs: done,
  };
}
