/**
 * The flags several commands share, declared once (lib/cli/args.ts makes the parser, `--help` and README.md's table
 * from them), and the environment variables they fall back on. A command that needs another wording spreads one and
 * overrides its `help`.
 */
import { QUICK_TEXT } from "../config";
import { BACKENDS } from "../backend";
import type { BooleanFlag, ChoiceFlag, IntFlag, TextFlag } from "./args";

/** `--data DIR`: the CK+48 folder (lib/paths.ts resolveDataDir). */
export const DATA_FLAG = {
  type: "string",
  arg: "DIR",
  help: "the CK+48 folder (seven class folders)",
  defaultText: "$CK48_DIR, else data/CK+48",
} as const satisfies TextFlag;

/** `--backend`: the TensorFlow.js backend the command starts (lib/tf.ts initBackend; lib/backend.ts names them). */
export const BACKEND_FLAG = {
  type: "choice",
  choices: BACKENDS,
  help: "TensorFlow.js backend: cpu-fast (reproducible, this project's kernels), cpu (stock tfjs kernels, slow) or tensorflow (@tensorflow/tfjs-node, if installed; numbers differ within noise)",
  defaultText: "$FER_BACKEND, else cpu-fast",
} as const satisfies ChoiceFlag;

/** `--workers N`: fold worker threads (lib/folds.ts defaultWorkers gives the default). */
export const WORKERS_FLAG = {
  type: "int",
  min: 0,
  max: 64,
  help: "worker threads for the folds, 0 to train in this thread",
  defaultText: "one per core, 0 with tensorflow",
} as const satisfies IntFlag;

/** `--quick`: the smoke setting (lib/config.ts QUICK). */
export const QUICK_FLAG = { type: "boolean", help: `smoke setting: ${QUICK_TEXT}` } as const satisfies BooleanFlag;

/** `--no-verify`: skip the data folder's check against data/manifest.csv. */
export const NO_VERIFY_FLAG = {
  type: "boolean",
  help: "skip the check of the data folder against data/manifest.csv (for folders that are not CK+48 itself)",
} as const satisfies BooleanFlag;

/** The environment variables the shared flags fall back on, for a command's `env` declaration. */
export const ENV = {
  CK48_DIR: "the CK+48 folder when --data is not given",
  FER_BACKEND: "the backend when --backend is not given",
} as const;
