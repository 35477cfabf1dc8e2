/**
 * The one place that picks the TensorFlow.js backend.
 *
 * - `tensorflow`: `@tensorflow/tfjs-node` (native libtensorflow) when it is installed and loads: first choice.
 * - `cpu-fast`: pure `@tensorflow/tfjs` on the cpu backend with this project's fast kernels (lib/kernels).
 * - `cpu`: pure `@tensorflow/tfjs`, stock cpu kernels (slow; the reference the fast kernels are tested against).
 *
 * `FER_BACKEND=tensorflow|cpu-fast|cpu` forces one. Every command prints `backendName()` and every run record stores it.
 */
import * as tfjs from "@tensorflow/tfjs";
import { registerFastBackend, FAST_BACKEND } from "./kernels";
import { UserError } from "./errors";

export type BackendName = "tensorflow" | "cpu-fast" | "cpu";
export const BACKENDS: readonly BackendName[] = ["tensorflow", "cpu-fast", "cpu"];

function tryTfjsNode(): typeof tfjs | undefined {
  try {
    // A plain require inside try: the package is optional and its native binding may be missing or broken.
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    return require("@tensorflow/tfjs-node") as typeof tfjs;
  } catch {
    return undefined;
  }
}

function select(): { tf: typeof tfjs; name: BackendName } {
  const forced = process.env.FER_BACKEND;
  if (forced !== undefined && forced !== "" && !BACKENDS.includes(forced as BackendName)) {
    throw new UserError(`FER_BACKEND must be one of ${BACKENDS.join(", ")} (got "${forced}")`);
  }
  if (forced === "tensorflow" || !forced) {
    const node = tryTfjsNode();
    if (node) {
      node.setBackend("tensorflow");
      return { tf: node, name: "tensorflow" };
    }
    if (forced === "tensorflow") {
      throw new UserError("FER_BACKEND=tensorflow but @tensorflow/tfjs-node is not installed or does not load");
    }
  }
  if (forced === "cpu") {
    tfjs.setBackend("cpu");
    quietCpu(tfjs);
    return { tf: tfjs, name: "cpu" };
  }
  registerFastBackend(tfjs);
  tfjs.setBackend(FAST_BACKEND);
  return { tf: tfjs, name: "cpu-fast" };
}

/** tfjs' cpu backend prints a "install tfjs-node" banner on first use; we print our own backend line instead. */
function quietCpu(t: typeof tfjs): void {
  const b = t.backend() as unknown as { firstUse?: boolean };
  if (b && "firstUse" in b) b.firstUse = false;
}

const chosen = select();

/** The TensorFlow.js namespace every module of the project uses (`import { tf } from "./tf"`). */
export const tf: typeof tfjs = chosen.tf;

/** The name of the backend in use, as printed by commands and stored in run records. */
export function backendName(): BackendName {
  return chosen.name;
}

/** Switch backend within this process (tests compare kernels across backends). Returns the previous one. */
export function useBackend(name: "cpu" | "cpu-fast"): string {
  const prev = tf.getBackend();
  if (name === "cpu-fast") registerFastBackend(tf);
  tf.setBackend(name === "cpu-fast" ? FAST_BACKEND : "cpu");
  quietCpu(tf);
  return prev;
}

export type { Tensor, Tensor1D, Tensor2D, Tensor3D, Tensor4D, LayersModel, Sequential, Rank } from "@tensorflow/tfjs";
