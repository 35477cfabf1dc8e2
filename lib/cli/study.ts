/**
 * `npm run study`: the paper's protocol over many seeds and splits (lib/study.ts), resumable and shardable, then
 * `summary.json`. Flags: see `--help`.
 */
import "./guard";
import * as fs from "fs";
import * as path from "path";
import { backendName } from "../tf";
import { resolveDataDir, RUNS } from "../paths";
import { runCommand, UserError } from "../errors";
import { parse, intFlag } from "./args";
import { STUDY_SPLITS, loadStudyRuns, mergeStudy, parseSeeds, parseShard, runStudy, shardJobs, studyJobs, isFinished } from "../study";
import type { RecordSplit } from "../record";
import { variantConfigs } from "../ablations";
import { Interrupted } from "../train";

export const USAGE =
  "npm run study -- [--seeds 0-9] [--splits random,subject,subject-cv] [--variants paper,...] [--out data/runs/study] [--data DIR] [--resume] [--shard K/N] [--merge] [--workers N] [--quick] [--no-verify]";

const HELP = `usage: ${USAGE}

Runs the paper's protocol for every (split, seed), each into <out>/paper/<split>/seed-<seed>/run.json, then writes
<out>/summary.json (means and 95% intervals over seeds, per class, the identity leak, the random − subject gap).
  --seeds LIST      seeds, e.g. 0-9 or 0,2,5 (default 0-9)
  --splits LIST     of random, subject, subject-cv (default all three)
  --variants LIST   named configurations of lib/ablations.ts (default paper), each <out>/<variant>/<split>/seed-<s>
  --out DIR         the study folder (default data/runs/study)
  --data DIR        CK+48 (default data/CK+48 or $CK48_DIR)
  --resume          continue a study whose folder already holds finished runs (they are skipped)
  --shard K/N       run only every N-th job from the K-th (N machines share a study); no summary is written
  --merge           only (re)write summary.json from the runs on disk
  --workers N       fold worker threads (default one per core)
  --quick           smoke setting: 10 images per class, 2 folds, 2 epochs
  --no-verify       do not check the folder against data/manifest.csv`;

async function main(argv: string[]): Promise<void> {
  const { values } = parse(argv, {
    seeds: { type: "string" },
    splits: { type: "string" },
    variants: { type: "string" },
    out: { type: "string" },
    data: { type: "string" },
    resume: { type: "boolean" },
    shard: { type: "string" },
    merge: { type: "boolean" },
    workers: { type: "string" },
    quick: { type: "boolean" },
    "no-verify": { type: "boolean" },
    help: { type: "boolean" },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const out = path.resolve(values.out ?? path.join(RUNS, "study"));
  if (fs.existsSync(out) && !fs.statSync(out).isDirectory()) throw new UserError(`--out ${out} is a file, not a folder`);
  if (values.merge) {
    const s = mergeStudy(out);
    console.log(`study: wrote ${path.join(out, "summary.json")} from ${s.splits.reduce((a, x) => a + x.runs.length, 0)} run(s)`);
    return;
  }
  const seeds = parseSeeds(values.seeds ?? "0-9");
  const splits = (values.splits ?? STUDY_SPLITS.join(",")).split(",").map((s) => s.trim()) as RecordSplit[];
  for (const s of splits) if (!STUDY_SPLITS.includes(s)) throw new UserError(`--splits: "${s}" is not one of ${STUDY_SPLITS.join(", ")}`);
  const variants = (values.variants ?? "paper").split(",").map((v) => v.trim());
  const configs = variantConfigs(variants);
  let jobs = studyJobs({ seeds, splits, variants });
  const shard = values.shard === undefined ? undefined : parseShard(values.shard);
  if (shard) jobs = shardJobs(jobs, shard.k, shard.n);
  const finished = fs.existsSync(out) ? loadStudyRuns(out).length : 0;
  if (finished > 0 && !values.resume && !shard) {
    throw new UserError(`${out} already holds ${finished} finished run(s) of a study: add --resume to continue it (finished runs are skipped), or choose another --out`);
  }
  const quick = !!values.quick;
  if (quick) for (const v of variants) configs[v] = { ...configs[v], folds: 2, maxEpochs: 2 };
  const workers = values.workers === undefined ? undefined : intFlag("workers", values.workers, 0, 0, 64);
  const dataDir = resolveDataDir(values.data);
  const todo = jobs.filter((j) => !isFinished(out, j)).length;
  console.log(`study: backend ${backendName()}, seeds ${seeds.join(",")}, splits ${splits.join(",")}, variants ${variants.join(",")}${shard ? `, shard ${shard.k}/${shard.n}` : ""}${quick ? ", quick" : ""}; ${todo} of ${jobs.length} run(s) to do`);
  let stop = false;
  const onSignal = (sig: string) => {
    if (stop) process.exit(130); // a second Ctrl-C: stop at once
    stop = true;
    console.error(`study: ${sig}: stopping after the current batch; the finished runs and the current run's last epoch are kept`);
  };
  process.on("SIGINT", () => onSignal("SIGINT"));
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  let r;
  try {
    r = await runStudy({ dataDir, out, jobs, configs, quick, workers, verify: !values["no-verify"], log: (l) => console.log(l), shouldStop: () => stop });
  } catch (e) {
    if (e instanceof Interrupted) {
      console.error(`study: interrupted. Continue with: npm run study -- ${[...argv.filter((a) => a !== "--resume"), "--resume"].join(" ")}`);
      process.exitCode = 130;
      return;
    }
    throw e;
  }
  console.log(`study: ${r.ran} run(s) made, ${r.skipped} already there`);
  if (!shard) {
    mergeStudy(out);
    console.log(`study: wrote ${path.join(out, "summary.json")}`);
  } else {
    console.log(`study: shard ${shard.k}/${shard.n} done; when every shard is, run: npm run study -- --merge --out ${path.relative(process.cwd(), out) || "."}`);
  }
}

if (require.main === module) runCommand("study", () => main(process.argv.slice(2)));
