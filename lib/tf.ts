/**
 * The one place that picks the TensorFlow.js backend (names and the default in lib/backend.ts):
 *
 * - `cpu-fast`, the default on every machine, even where `@tensorflow/tfjs-node` is installed: pure
 *   `@tensorflow/tfjs` on the cpu backend with this project's kernels (lib/kernels). Reproducible: `npm run reproduce`
 *   gives data/runs/paper bit for bit.
 * - `cpu`: pure `@tensorflow/tfjs`, stock cpu kernels (slow; the reference the fast kernels are tested against).
 * - `tensorflow`: `@tensorflow/tfjs-node` (native libtensorflow), only when asked for with `FER_BACKEND=tensorflow` or
 *   a command's `--backend tensorflow`; a UserError when it is not installed or does not load.
 *
 * The choice is made once, when this module loads. Every command prints `backendName()` and every run record stores it.
 */
import * as tfjs from "@tensorflow/tfjs";
import { registerFastBackend, FAST_BACKEND } from "./kernels";
import { UserError } from "./errors";
import { requestedBackend, type BackendName } from "./backend";

export { BACKENDS, type BackendName } from "./backend";

/** Loads `@tensorflow/tfjs-node` (throws when it is missing or its native binding does not load). Tests inject a stand-in. */
export type TfjsNodeLoader = () => typeof tfjs;

// A plain require: the package is optional, and a static import would fail where it is not installed.

const loadTfjsNode: TfjsNodeLoader = () => require("@tensorflow/tfjs-node") as typeof tfjs;

/**
 * Pick and activate the backend asked for in `env` (FER_BACKEND; default cpu-fast). `loadNode` is only called when
 * `tensorflow` is asked for, so an installed tfjs-node never changes the default numbers.
 */
export function selectBackend(
  env: NodeJS.ProcessEnv = process.env,
  loadNode: TfjsNodeLoader = loadTfjsNode,
): { tf: typeof tfjs; name: BackendName } {
  const name = requestedBackend(env);
  if (name === "tensorflow") {
    let node: typeof tfjs;
    try {
      node = loadNode();
    } catch (e) {
      const why = ((e as Error).message ?? String(e)).split("\n")[0];
      throw new UserError(
        `backend tensorflow needs @tensorflow/tfjs-node, which is not installed or does not load (${why}): install it with npm install @tensorflow/tfjs-node, or use the default backend cpu-fast`,
      );
    }
    node.setBackend("tensorflow");
    return { tf: node, name };
  }
  if (name === "cpu") {
    tfjs.setBackend("cpu");
    quietCpu(tfjs);
    return { tf: tfjs, name };
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

const chosen = selectBackend();

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
