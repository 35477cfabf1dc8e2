/**
 * The names of the TensorFlow.js backends and which one is asked for, without loading TensorFlow.js (lib/tf.ts loads
 * it and applies the choice; commands check the choice before they load anything).
 *
 * - `cpu-fast` (the default on every machine): pure `@tensorflow/tfjs` with this project's kernels (lib/kernels),
 *   reproducible bit for bit: the runs of record were made with it.
 * - `cpu`: pure `@tensorflow/tfjs`, stock cpu kernels (slow; the reference the fast kernels are tested against).
 * - `tensorflow`: `@tensorflow/tfjs-node` (native libtensorflow), only when asked for; its numbers differ from
 *   `cpu-fast` within noise.
 */
import { UserError } from "./errors";

export type BackendName = "tensorflow" | "cpu-fast" | "cpu";
/** Every backend name, in the order error messages list them. */
export const BACKENDS = ["tensorflow", "cpu-fast", "cpu"] as const satisfies readonly BackendName[];
/** The backend used unless another is asked for. */
export const DEFAULT_BACKEND: BackendName = "cpu-fast";

/** The backend asked for by `FER_BACKEND` (commands set it from `--backend`), else the default; a UserError for unknown names. */
export function requestedBackend(env: NodeJS.ProcessEnv = process.env): BackendName {
  const v = env.FER_BACKEND;
  if (v === undefined || v === "") return DEFAULT_BACKEND;
  if (!(BACKENDS as readonly string[]).includes(v))
    throw new UserError(`FER_BACKEND must be one of ${BACKENDS.join(", ")} (got "${v}")`);
  return v as BackendName;
}
