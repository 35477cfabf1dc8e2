/**
 * TensorFlow.js for the whole project (`import { tf } from "./tf"`), and the one start-up step that picks its backend.
 *
 * Importing this module chooses nothing. {@link initBackend} is called once, explicitly, by whoever starts the work:
 * the command runner before a command's main (lib/cli/args.ts `runCli`, from `--backend` or `FER_BACKEND`), each fold
 * worker with the backend its job names (lib/fold-worker.ts), the first cell of every notebook, and the test suite's
 * setup (test/setup.ts). The backends (names and the default in lib/backend.ts):
 *
 * - `cpu-fast`, the default on every machine, even where `@tensorflow/tfjs-node` is installed: pure
 *   `@tensorflow/tfjs` on the cpu backend with this project's kernels (lib/kernels). Reproducible: `npm run reproduce`
 *   gives data/runs/paper bit for bit.
 * - `cpu`: pure `@tensorflow/tfjs`, stock cpu kernels (slow; the reference the fast kernels are tested against).
 * - `tensorflow`: `@tensorflow/tfjs-node` (native libtensorflow), only when asked for; a UserError when it is not
 *   installed or does not load. It registers its backend on the same TensorFlow.js engine, so `tf` stays the one
 *   namespace.
 *
 * Every command prints {@link activeBackend} and every run record stores the backend its folds trained on.
 */
import * as v8 from "v8";
import * as tfjs from "@tensorflow/tfjs";
import { registerFastBackend, FAST_BACKEND } from "./kernels";
import { UserError } from "./errors";
import { registerTensorflowKernels } from "./tfjs-node-kernels";
import { BACKENDS, requestedBackend, type BackendName } from "./backend";

export { BACKENDS, type BackendName } from "./backend";

/** The TensorFlow.js namespace every module of the project uses. */
export const tf: typeof tfjs = tfjs;

/** Loads `@tensorflow/tfjs-node` for its side effect, registering the `tensorflow` backend (tests inject a stand-in). */
export type TfjsNodeLoader = () => void;

const loadTfjsNode: TfjsNodeLoader = () => {
  // A plain require: the package is optional, and a static import would fail where it is not installed.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require("@tensorflow/tfjs-node");
};

/**
 * Activate a backend for this thread: `name`, else the one `FER_BACKEND` asks for, else cpu-fast. `loadNode` is only
 * called for `tensorflow`, so an installed tfjs-node never changes the default numbers. Returns the active backend.
 * Calling it again switches (tests do); a command calls it once, before its main.
 */
export function initBackend(
  name: BackendName = requestedBackend(),
  loadNode: TfjsNodeLoader = loadTfjsNode,
): BackendName {
  if (!(BACKENDS as readonly string[]).includes(name)) {
    throw new UserError(`backend must be one of ${BACKENDS.join(", ")} (got "${name}")`);
  }
  if (name === "tensorflow") {
    try {
      loadNode();
    } catch (e) {
      const why = ((e as Error).message ?? String(e)).split("\n")[0];
      throw new UserError(
        `backend tensorflow needs @tensorflow/tfjs-node, which is not installed or does not load (${why}): install it with npm install @tensorflow/tfjs-node, or use the default backend cpu-fast`,
      );
    }
    if (!tf.findBackendFactory("tensorflow")) {
      throw new UserError(
        "backend tensorflow: @tensorflow/tfjs-node loaded but registered no backend with this project's @tensorflow/tfjs (two copies of tfjs installed?): run npm ci",
      );
    }
    registerTensorflowKernels(tf);
    tf.setBackend("tensorflow");
  } else if (name === "cpu") {
    tf.setBackend("cpu");
    quietCpu();
  } else {
    optimisedWasmFromTheStart();
    registerFastBackend(tf);
    tf.setBackend(FAST_BACKEND);
  }
  return activeBackend() as BackendName;
}

/**
 * Compile the kernels' WebAssembly (lib/kernels/wasm.ts, compiled in each thread the first time a kernel runs) with
 * V8's optimising compiler at once. Why: V8 starts a module in its baseline compiler (Liftoff) and moves a function
 * to the optimising one only after it has run a while, so each fold worker trained its first epochs on baseline
 * kernels: a protocol's first fold took 0.93, 0.60, 0.60 and 0.50 s for its first four epochs, against 0.46, 0.39,
 * 0.35 and 0.31 s this way (AMD EPYC, 2 cores). The flag is process-wide and read when a module is compiled; it
 * changes no result (the same instructions, compiled better).
 */
function optimisedWasmFromTheStart(): void {
  v8.setFlagsFromString("--no-liftoff");
}

/** tfjs' cpu backend prints a "install tfjs-node" banner on first use; we print our own backend line instead. */
function quietCpu(): void {
  const b = tf.backend() as unknown as { firstUse?: boolean };
  if (b && "firstUse" in b) b.firstUse = false;
}

/**
 * The backend active in this thread, as `tf.getBackend()` names it (`cpu-fast`, `cpu`, `tensorflow`; `webgl` in the
 * demo's page): what commands print and fold outcomes report.
 */
export function activeBackend(): string {
  return tf.getBackend();
}

/** Switch between the two pure-JS backends within this process (tests and the bench compare kernels). Returns the previous one. */
export function useBackend(name: "cpu" | "cpu-fast"): string {
  const prev = tf.getBackend();
  initBackend(name);
  return prev;
}

export type { Tensor, Tensor1D, Tensor2D, Tensor3D, Tensor4D, LayersModel, Sequential, Rank } from "@tensorflow/tfjs";
