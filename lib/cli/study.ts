/**
 * `npm run study`: the paper's protocol over many seeds, splits and variants (lib/study.ts), resumable and
 * shardable, then `summary.json`. Flags: the declaration {@link STUDY_COMMAND} below (also `--help` and README.md's
 * command table).
 */
import * as fs from "fs";
import * as path from "path";
import { quickConfig } from "../config";
import { checkOutputDir, checkOutsideData, resolveDataDir, STUDY, shown } from "../paths";
import { UserError } from "../errors";
import { activeBackend, initBackend } from "../tf";
import { SPLIT_NAMES, type SplitName } from "../split";
import { listImages } from "../data/files";
import {
  loadStudyRuns,
  mergeStudy,
  parseNames,
  parseSeeds,
  parseShard,
  runStudy,
  shardJobs,
  studyJobs,
  isFinished,
} from "../study";
import { variantConfigs } from "../ablations";
import { Interrupted } from "../checkpoint";
import { defineCommand, defineCli, runCli, type Args } from "./args";
import { BACKEND_FLAG, DATA_FLAG, ENV, NO_VERIFY_FLAG, QUICK_FLAG, WORKERS_FLAG } from "./flags";
import { stopSignals } from "./signals";
import { inUse, liveOwner } from "../lock";

/** The flags of `npm run study` (the one declaration: parser, --help, usage line and README table). */
export const STUDY_COMMAND = defineCommand({
  name: "study",
  summary:
    "Runs the protocol for every (variant, split, seed) into `--out/<variant>/<split>/seed-<s>/run.json`, then writes `summary.json` (means and 95% intervals over seeds, per class, the identity leak, the random − subject gap, each variant against `paper`).",
  details:
    "Finished runs are skipped with --resume, and a stopped run continues from its last epoch; --shard K/N runs every N-th job (N machines share a study), --merge writes the summary from the runs on disk.",
  flags: {
    seeds: { type: "string", arg: "LIST", help: "seeds, e.g. 0-9 or 0,2,5", defaultText: "0-9" },
    splits: {
      type: "string",
      arg: "LIST",
      help: "of random (the paper's), subject (hold-out by person), subject-cv (10-fold by person), subject-cv-fan (Emotion-FAN's published 10 folds)",
      defaultText: "random,subject,subject-cv,subject-cv-fan",
    },
    variants: { type: "string", arg: "LIST", help: "named configurations of lib/ablations.ts", defaultText: "paper" },
    out: { type: "string", arg: "DIR", help: "the study folder", defaultText: "data/runs/study" },
    data: DATA_FLAG,
    resume: { type: "boolean", help: "continue a study whose folder already holds runs (finished ones are skipped)" },
    force: {
      type: "boolean",
      help: "start every unfinished run over: delete its checkpoint (e.g. one made with other settings); finished runs stay",
    },
    shard: { type: "string", arg: "K/N", help: "run only every N-th job from the K-th; no summary is written" },
    merge: { type: "boolean", help: "only (re)write summary.json from the runs on disk" },
    workers: WORKERS_FLAG,
    quick: QUICK_FLAG,
    "no-verify": NO_VERIFY_FLAG,
    "keep-models": {
      type: "boolean",
      help: "also save each run's best model (model/ beside run.json; not for subject-cv), e.g. for npm run explain -- --regions",
    },
    backend: BACKEND_FLAG,
  },
  env: ENV,
});

async function study(a: Args<typeof STUDY_COMMAND>): Promise<number | void> {
  const out = path.resolve(a.out ?? STUDY);
  checkOutputDir(out, "--out");
  if (a.merge) {
    const s = mergeStudy(out);
    console.log(
      `study: wrote ${shown(path.join(out, "summary.json"))} from ${s.splits.reduce((n, x) => n + x.runs.length, 0)} run(s)`,
    );
    return;
  }
  const seeds = parseSeeds(a.seeds ?? "0-9");
  const splits = parseNames("splits", a.splits ?? SPLIT_NAMES.join(",")) as SplitName[];
  for (const s of splits)
    if (!SPLIT_NAMES.includes(s)) throw new UserError(`--splits: "${s}" is not one of ${SPLIT_NAMES.join(", ")}`);
  const variants = parseNames("variants", a.variants ?? "paper");
  const configs = variantConfigs(variants);
  let jobs = studyJobs({ seeds, splits, variants });
  const shard = a.shard === undefined ? undefined : parseShard(a.shard);
  if (shard) jobs = shardJobs(jobs, shard.k, shard.n);
  // Another study at work in this folder is named first: its finished runs are not a reason to say --resume.
  for (const job of jobs) {
    const owner = liveOwner(path.join(out, job.dir));
    if (owner) throw inUse(path.join(out, job.dir), owner);
  }
  const finished = fs.existsSync(out) ? loadStudyRuns(out).length : 0;
  if (finished > 0 && !a.resume && !shard) {
    throw new UserError(
      `${shown(out)} already holds ${finished} finished run(s) of a study: add --resume to continue it (finished runs are skipped), or choose another --out`,
    );
  }
  if (a.quick) for (const v of variants) configs[v] = quickConfig(configs[v]);
  const dataDir = resolveDataDir(a.data);
  checkOutsideData(out, dataDir);
  listImages(dataDir); // the folder's layout, before anything is written
  const todo = jobs.filter((j) => !isFinished(out, j)).length;
  console.log(
    `study: backend ${activeBackend()}, seeds ${seeds.join(",")}, splits ${splits.join(",")}, variants ${variants.join(",")}${shard ? `, shard ${shard.k}/${shard.n}` : ""}${a.quick ? ", quick" : ""}; ${todo} of ${jobs.length} run(s) to do`,
  );
  const stop = stopSignals((sig) =>
    console.error(
      `study: ${sig}: stopping after the current batch; the finished runs and the current run's last epoch are kept`,
    ),
  );
  try {
    const r = await runStudy({
      dataDir,
      out,
      jobs,
      configs,
      quick: a.quick,
      workers: a.workers,
      verify: !a["no-verify"],
      log: (l) => console.log(l),
      shouldStop: stop.requested,
      keepModels: a["keep-models"],
      force: a.force,
      command: `npm run study -- ${process.argv.slice(2).join(" ")}`.trim(),
    });
    console.log(`study: ${r.ran} run(s) made, ${r.skipped} already there`);
  } catch (e) {
    if (e instanceof Interrupted) {
      const args = process.argv.slice(2).filter((x) => x !== "--resume");
      console.error(`study: interrupted. Continue with: npm run study -- ${[...args, "--resume"].join(" ")}`);
      return 130;
    }
    throw e;
  } finally {
    stop.remove();
  }
  if (!shard) {
    mergeStudy(out);
    console.log(`study: wrote ${shown(path.join(out, "summary.json"))}`);
  } else {
    console.log(
      `study: shard ${shard.k}/${shard.n} done; when every shard is, run: npm run study -- --merge --out ${shown(out)}`,
    );
  }
}

export const studyCommand = defineCli(STUDY_COMMAND, study, { initBackend });

if (require.main === module) runCli(studyCommand);
