/**
 * `npm run reproduce -- [--data DIR] [--out DIR] [--seed N] [--split random|subject] [--folds 5] [--max-epochs 200]
 *  [--patience 8] [--workers N] [--quick] [--no-verify]`
 *
 * Runs the paper's protocol (Sections 3–4) and writes `run.json` and `model/` into --out (default
 * `out/<split>-seed<N>`; the runs of record live in data/runs/paper and data/runs/subject).
 */
import "./guard";
import * as fs from "fs";
import * as path from "path";
import { backendName } from "../tf";
import { PAPER } from "../config";
import { resolveDataDir, ROOT } from "../paths";
import { runProtocol } from "../protocol";
import { saveRun } from "../save";
import { runCommand, UserError } from "../errors";
import { parse, intFlag, choiceFlag } from "./args";

export const USAGE = "npm run reproduce -- [--data DIR] [--out DIR] [--seed N] [--split random|subject] [--folds 5] [--max-epochs 200] [--patience 8] [--workers N] [--quick] [--no-verify]";

async function main(argv: string[]): Promise<void> {
  const { values } = parse(argv, {
    data: { type: "string" },
    out: { type: "string" },
    seed: { type: "string" },
    split: { type: "string" },
    folds: { type: "string" },
    "max-epochs": { type: "string" },
    patience: { type: "string" },
    workers: { type: "string" },
    quick: { type: "boolean" },
    "no-verify": { type: "boolean" },
    help: { type: "boolean" },
  });
  if (values.help) {
    console.log(`usage: ${USAGE}`);
    return;
  }
  const quick = !!values.quick;
  const seed = intFlag("seed", values.seed, 0, 0, 2 ** 31 - 1);
  const split = choiceFlag("split", values.split, "random", ["random", "subject"] as const);
  const config = {
    ...PAPER,
    folds: intFlag("folds", values.folds, quick ? 2 : PAPER.folds, 2, 20),
    maxEpochs: intFlag("max-epochs", values["max-epochs"], quick ? 2 : PAPER.maxEpochs, 1, 10000),
    patience: intFlag("patience", values.patience, PAPER.patience, 1, 10000),
  };
  const workers = values.workers === undefined ? undefined : intFlag("workers", values.workers, 0, 0, 64);
  const dataDir = resolveDataDir(values.data);
  const out = path.resolve(values.out ?? path.join(ROOT, "out", `${split}-seed${seed}${quick ? "-quick" : ""}`));
  if (fs.existsSync(out) && !fs.statSync(out).isDirectory()) throw new UserError(`--out ${out} exists and is not a folder`);
  console.log(`reproduce: backend ${backendName()}, seed ${seed}, split ${split}${quick ? ", quick" : ""}, output ${path.relative(process.cwd(), out) || "."}`);
  const { record, model } = await runProtocol({ dataDir, seed, split, config, quick, workers, verify: !values["no-verify"], log: (l) => console.log(l) });
  await saveRun(out, record, model);
  model.dispose();
  console.log(`wrote ${path.join(out, "run.json")} and ${path.join(out, "model")}/`);
}

if (require.main === module) runCommand("reproduce", () => main(process.argv.slice(2)));
