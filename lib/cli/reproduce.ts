/**
 * `npm run reproduce`: the paper's protocol (Section 2.3), writing `run.json` and `model/` into --out. Flags: the
 * declaration {@link REPRODUCE} below (also `--help` and README.md's command table).
 *
 * Overwrite safety: a folder with `run.json` holds a finished run and is refused without --force; a lock file
 * (lib/lock.ts) keeps two processes out of one --out; `model/` and then `run.json` are written atomically at the
 * end, so `run.json` appears only when the run is complete (with --force, the old one stays until the new run is
 * ready). On a user error nothing is left behind: a folder this run created is removed again.
 */
import * as fs from "fs";
import * as path from "path";
import { PAPER, QUICK, quickConfig } from "../config";
import { checkOutputDir, checkOutsideData, makeDirs, resolveDataDir, ROOT, shown } from "../paths";
import { UserError } from "../errors";
import { activeBackend, initBackend } from "../tf";
import { listImages } from "../data/files";
import { runProtocol } from "../protocol";
import { saveRun } from "../save";
import { Interrupted } from "../checkpoint";
import { defineCommand, defineCli, runCli, type Args } from "./args";
import { BACKEND_FLAG, DATA_FLAG, ENV, NO_VERIFY_FLAG, QUICK_FLAG, WORKERS_FLAG } from "./flags";
import { acquireLock } from "../lock";
import { stopSignals } from "./signals";

/** The flags of `npm run reproduce` (the one declaration: parser, --help, usage line and README table). */
export const REPRODUCE = defineCommand({
  name: "reproduce",
  summary:
    "Runs the paper's protocol and writes `run.json` (the run record) and `model/` (tfjs layers format) into `--out`.",
  details:
    "Folds run in parallel worker threads, one per core. Progress is kept in `--out/checkpoint/` after every epoch: Ctrl-C stops after the current batch and `--resume` continues to exactly the numbers of an uninterrupted run. `run.json` is written last: a folder holding one has a finished run, which is never replaced without `--force`; a lock file keeps two runs out of one folder.",
  flags: {
    data: DATA_FLAG,
    out: {
      type: "string",
      arg: "DIR",
      help: "where run.json and model/ go",
      defaultText: "out/<split>-seed<N>, -quick appended with --quick",
    },
    seed: {
      type: "int",
      min: 0,
      max: 2 ** 31 - 1,
      default: 0,
      help: "seed of the split, shuffles, augmentation and dropout",
    },
    split: {
      type: "choice",
      choices: ["random", "subject"],
      default: "random",
      help: "random: the paper's 80/20 split; subject: every subject on one side of every split",
    },
    folds: {
      type: "int",
      min: 2,
      max: 20,
      help: "cross-validation folds",
      defaultText: `${PAPER.folds}, ${QUICK.folds} with --quick`,
    },
    "max-epochs": {
      type: "int",
      min: 1,
      max: 10000,
      help: "epochs per fold at most",
      defaultText: `${PAPER.maxEpochs}, ${QUICK.maxEpochs} with --quick`,
    },
    patience: {
      type: "int",
      min: 1,
      max: 10000,
      default: PAPER.patience,
      help: "early stopping: epochs without a lower validation loss",
    },
    workers: WORKERS_FLAG,
    quick: QUICK_FLAG,
    "no-verify": NO_VERIFY_FLAG,
    resume: {
      type: "boolean",
      help: "continue the unfinished run in --out from its last finished epoch (same flags as the stopped run)",
    },
    force: { type: "boolean", help: "replace a finished run in --out, or start an unfinished one over" },
    backend: BACKEND_FLAG,
  },
  env: ENV,
});

/** The output folder of a reproduce command line. */
export function outDir(a: Args<typeof REPRODUCE>): string {
  return path.resolve(a.out ?? path.join(ROOT, "out", `${a.split}-seed${a.seed}${a.quick ? "-quick" : ""}`));
}

/** The checkpoint folder of a run in `out`. */
export function checkpointOf(out: string): string {
  return path.join(out, "checkpoint");
}

/**
 * Refuse what --force or --resume would have to allow: a finished run, or (`unfinished`, once the lock is ours: a run
 * in progress is the lock's to report) an unfinished one without --resume.
 */
function refuseFinished(out: string, a: Args<typeof REPRODUCE>, unfinished: boolean): void {
  // A folder (or another non-file) named run.json would make the run fail only after all its training.
  for (const name of ["run.json", "model"]) {
    const p = path.join(out, name);
    const st = fs.existsSync(p) ? fs.lstatSync(p) : undefined;
    if (st && (name === "run.json" ? !st.isFile() : !st.isDirectory()))
      throw new UserError(
        `${shown(p)} is a ${st.isDirectory() ? "folder" : "file"} where the run's ${name} goes: move it away, or choose another --out`,
      );
  }
  if (a.force) return;
  if (fs.existsSync(path.join(out, "run.json"))) {
    throw new UserError(
      `${shown(out)} holds a finished run (run.json): pass --force to replace it, or choose another --out`,
    );
  }
  if (unfinished && fs.existsSync(checkpointOf(out)) && !a.resume) {
    throw new UserError(
      `${shown(out)} holds an unfinished run (checkpoint/): --resume continues it, --force starts it over`,
    );
  }
}

async function reproduce(a: Args<typeof REPRODUCE>): Promise<number | void> {
  const base = a.quick ? quickConfig(PAPER) : PAPER;
  const config = {
    ...base,
    folds: a.folds ?? base.folds,
    maxEpochs: a["max-epochs"] ?? base.maxEpochs,
    patience: a.patience,
  };
  const dataDir = resolveDataDir(a.data);
  const out = outDir(a);
  checkOutputDir(out, "--out");
  checkOutsideData(out, dataDir);
  if (a.resume && a.force)
    throw new UserError(
      "--resume and --force contradict each other: --resume continues the run in --out, --force starts it over",
    );
  if (a.resume && !fs.existsSync(checkpointOf(out)))
    throw new UserError(`--resume: ${shown(out)} holds no unfinished run (no checkpoint/ folder) to continue`);
  refuseFinished(out, a, false);
  listImages(dataDir); // the folder's layout, before anything is written

  const created = !fs.existsSync(out);
  makeDirs(out);
  const lock = acquireLock(out, `npm run reproduce -- ${process.argv.slice(2).join(" ")}`.trim());
  let done = false;
  try {
    if (lock.tookOver)
      console.log(
        `reproduce: took over the lock of process ${lock.tookOver.pid} (started ${lock.tookOver.started}), which is gone`,
      );
    refuseFinished(out, a, true); // and a run that finished between the first check and taking the lock
    const ck = checkpointOf(out);
    if (a.force) fs.rmSync(ck, { recursive: true, force: true });
    console.log(
      `reproduce: backend ${activeBackend()}, seed ${a.seed}, split ${a.split}${a.quick ? ", quick" : ""}, output ${shown(out)}${a.resume ? ", resuming" : ""}`,
    );
    const stop = stopSignals((sig) => console.error(`reproduce: ${sig}: stopping after the current batch`));
    let result;
    try {
      result = await runProtocol({
        dataDir,
        seed: a.seed,
        split: a.split,
        config,
        quick: a.quick,
        workers: a.workers,
        verify: !a["no-verify"],
        log: (l) => console.log(l),
        checkpointDir: ck,
        shouldStop: stop.requested,
      });
    } catch (e) {
      if (e instanceof Interrupted) {
        done = true; // keep the folder: its checkpoint is the point of stopping cleanly
        const args = process.argv.slice(2).filter((x) => x !== "--resume" && x !== "--force");
        console.error(
          `reproduce: stopped; the finished folds and each fold's last epoch are in ${shown(ck)}. Continue with: npm run reproduce -- ${[...args, "--resume"].join(" ")}`,
        );
        return 130;
      }
      throw e;
    } finally {
      stop.remove();
    }
    const { record, model } = result;
    // With --force the old run.json goes only now, so the folder never shows a finished run that is not this one.
    fs.rmSync(path.join(out, "run.json"), { force: true });
    await saveRun(out, record, model);
    model.dispose();
    fs.rmSync(ck, { recursive: true, force: true });
    done = true;
    console.log(`wrote ${path.join(out, "run.json")} and ${path.join(out, "model")}/`);
  } finally {
    lock.release();
    if (!done && created && fs.existsSync(out) && fs.readdirSync(out).length === 0) fs.rmdirSync(out);
  }
}

export const reproduceCommand = defineCli(REPRODUCE, reproduce, { initBackend });

if (require.main === module) runCli(reproduceCommand);
