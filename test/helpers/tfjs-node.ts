/**
 * Whether the real @tensorflow/tfjs-node loads here (its binding built, e.g. by scripts/tfjs-node-from-wheel.sh).
 * Asked in a child process, once: loading it in the test process would register its backend for every test.
 */
import { spawnSync } from "child_process";
import { ROOT } from "../../lib/paths";

let loads: boolean | undefined;

export function tfjsNodeLoads(): boolean {
  loads ??=
    spawnSync(process.execPath, ["-e", "require('@tensorflow/tfjs-node')"], { cwd: ROOT, stdio: "ignore" }).status ===
    0;
  return loads;
}
