/**
 * The study (notebook 06): the paper's protocol run over many seeds and several splits, so every claim gets a
 * distribution instead of one draw. A study is a list of jobs (variant × split × seed), each the full protocol
 * written into its own folder by the same run-record writer as `npm run reproduce`. A job whose `run.json` exists is
 * finished and skipped, so an interrupted study continues where it stopped; `shard` gives every N-th job to one of N
 * machines (a Slurm array, a Kubernetes Indexed Job, a CI matrix), and the merge reads whatever runs are on disk.
 *
 * Seeds are fixed in advance and paired: seed s gives every split and variant the same seed, hence (for the same
 * split) the same test set, folds and batch order.
 */
import * as fs from "fs";
import * as path from "path";
import { PAPER, type ProtocolConfig } from "./config";
import { UserError } from "./errors";
import { isCvSplit, SPLIT_NAMES, type SplitName } from "./split";
import { runProtocol, runSubjectCv } from "./protocol";
import { loadRun, runRecordJson, type RunRecord } from "./record";
import { saveRun } from "./save";
import { writeAtomic } from "./files";
import { VARIANTS } from "./ablations";
import { fmtSeconds } from "./display/text";
import { loadSummary, summarizeStudy, summaryJson, type RunKey, type StudySummary } from "./summary";
import { STUDY, makeDirs } from "./paths";
import { acquireLock } from "./lock";
import type { LayersModel } from "./tf";

/** One protocol run of a study. */
export interface StudyJob extends RunKey {
  /** Its folder, relative to the study's folder: `<variant>/<split>/seed-<seed>`. */
  dir: string;
}

/** The largest seed: the same rule as `reproduce --seed` (seeds are fed to 32-bit generators, so 2³¹ − 1). */
export const MAX_SEED = 2 ** 31 - 1;

/** The most seeds one study may list: each is a run of minutes, so more is a typo, not a plan. */
export const MAX_SEEDS = 10_000;

/**
 * Parse a seed list: `0-9`, `0,3,7` or a mix (`0-2,5`); whole numbers from 0 to {@link MAX_SEED}, no duplicates, in
 * the order given, at most {@link MAX_SEEDS} of them (a range is measured before it is expanded). A bad list is a
 * UserError naming the culprit.
 */
export function parseSeeds(text: string): number[] {
  const out: number[] = [];
  const seen = new Set<number>();
  for (const part of text.split(",").map((p) => p.trim())) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new UserError(`--seeds: "${part}" is not a seed or a range like 0-9 (seeds are whole numbers ≥ 0)`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    for (const x of [a, b])
      if (!Number.isSafeInteger(x) || x > MAX_SEED)
        throw new UserError(
          `--seeds: ${m[2] === undefined ? "seed" : "the range"} "${part}" goes past ${MAX_SEED}, the largest seed`,
        );
    if (b < a) throw new UserError(`--seeds: the range "${part}" runs backwards`);
    if (out.length + (b - a + 1) > MAX_SEEDS)
      throw new UserError(
        `--seeds: "${text.slice(0, 40)}" lists more than ${MAX_SEEDS} seeds, the most one study takes`,
      );
    for (let s = a; s <= b; s++) {
      if (seen.has(s)) throw new UserError(`--seeds: seed ${s} is listed twice`);
      seen.add(s);
      out.push(s);
    }
  }
  if (!out.length) throw new UserError("--seeds: no seed given");
  return out;
}

/** A comma list of names (--splits, --variants): trimmed, none empty, none twice; a UserError names the culprit. */
export function parseNames(flag: string, text: string): string[] {
  const out = text.split(",").map((x) => x.trim());
  for (const [i, x] of out.entries()) {
    if (!x) throw new UserError(`--${flag}: an empty name in "${text}"`);
    if (out.indexOf(x) !== i) throw new UserError(`--${flag}: "${x}" is listed twice`);
  }
  return out;
}

/**
 * The jobs of a study, seed-major (every split and variant of seed 0, then seed 1, …), so that an interrupted study
 * has paired results for the seeds it finished.
 *
 * @see notebooks/06-study.ipynb
 */
export function studyJobs(opts: {
  seeds: number[];
  splits: readonly SplitName[];
  variants?: readonly string[];
}): StudyJob[] {
  const variants = opts.variants ?? ["paper"];
  const jobs: StudyJob[] = [];
  for (const seed of opts.seeds) {
    for (const split of opts.splits) {
      for (const variant of variants)
        jobs.push({ variant, split, seed, dir: path.join(variant, split, `seed-${seed}`) });
    }
  }
  return jobs;
}

/**
 * Shard K of N (1-based): every N-th job starting at the K-th. The N shards partition the jobs, so N machines can
 * share a study with no coordination beyond a common output folder (or a merge of their folders).
 *
 * @see notebooks/06-study.ipynb
 */
export function shardJobs<T>(jobs: readonly T[], k: number, n: number): T[] {
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(k) || k < 1 || k > n)
    throw new UserError(`--shard must be K/N with 1 ≤ K ≤ N (got ${k}/${n})`);
  return jobs.filter((_, i) => i % n === k - 1);
}

/** Parse `--shard K/N`. */
export function parseShard(text: string): { k: number; n: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new UserError(`--shard must look like K/N, e.g. 1/4 (got "${text}")`);
  const k = Number(m[1]);
  const n = Number(m[2]);
  shardJobs([], k, n);
  return { k, n };
}

/** Where a job's run record lives. */
export function runFile(out: string, job: StudyJob): string {
  return path.join(out, job.dir, "run.json");
}

/** A finished job is one whose run.json is on disk (it is written last, atomically). */
export function isFinished(out: string, job: StudyJob): boolean {
  return fs.existsSync(runFile(out, job));
}

export interface StudyOptions {
  dataDir: string;
  out: string;
  jobs: StudyJob[];
  /** The configuration of each variant (default: `paper` → PAPER). */
  configs?: Record<string, ProtocolConfig>;
  quick?: boolean;
  workers?: number;
  verify?: boolean;
  log?: (line: string) => void;
  /** Progress lines of the protocol inside each job (default: none, only the study's own lines). */
  verbose?: boolean;
  /** Polled during training: true stops after the current batch (the job's checkpoint stands; rerun to continue). */
  shouldStop?: () => boolean;
  /** Also save each held-out run's best model (`model/` beside run.json), e.g. for notebook 08's regions over seeds. */
  keepModels?: boolean;
  /** Delete each unfinished run's checkpoint before running it (a stopped run made with other settings). */
  force?: boolean;
  /** What the lock of each run folder says is running it (lib/lock.ts); default "a study". */
  command?: string;
}

/**
 * Run the jobs that are not finished yet, one after another (each uses the worker threads itself), writing each
 * run's `run.json` (no weights: a study keeps run records only). Progress: which run of how many, and the time left
 * for the whole study estimated from the runs made so far.
 */
export async function runStudy(opts: StudyOptions): Promise<{ ran: number; skipped: number; seconds: number }> {
  const log = opts.log ?? (() => undefined);
  const todo = opts.jobs.filter((j) => !isFinished(opts.out, j));
  const skipped = opts.jobs.length - todo.length;
  log(`study: ${opts.jobs.length} run(s), ${skipped} already finished, ${todo.length} to run; output ${opts.out}`);
  const t0 = performance.now();
  let ran = 0;
  for (const job of todo) {
    const config = opts.configs?.[job.variant] ?? (job.variant === "paper" ? PAPER : undefined);
    if (!config) throw new UserError(`no configuration for variant "${job.variant}"`);
    const done = (performance.now() - t0) / 1000;
    const eta = ran ? ` ~${fmtSeconds((done / ran) * (todo.length - ran))} left` : "";
    log(`study: run ${skipped + ran + 1}/${opts.jobs.length}: ${job.dir}${eta}`);
    const checkpointDir = path.join(opts.out, job.dir, "checkpoint");
    // One process per run folder: a second study into the same --out stops here with the owner's details (shards of
    // one study run different jobs, so they never meet).
    makeDirs(path.join(opts.out, job.dir));
    const lock = acquireLock(path.join(opts.out, job.dir), opts.command ?? "a study");
    try {
      if (isFinished(opts.out, job)) {
        log(`study: ${job.dir}: finished by another process meanwhile`);
        continue;
      }
      if (opts.force) fs.rmSync(checkpointDir, { recursive: true, force: true });
      await runJob(opts, job, config, checkpointDir, log);
      ran++;
    } finally {
      lock.release();
    }
  }
  return { ran, skipped, seconds: (performance.now() - t0) / 1000 };
}

/** One job of a study: its protocol, then its run.json (and model), then its checkpoint removed. */
async function runJob(
  opts: StudyOptions,
  job: StudyJob,
  config: ProtocolConfig,
  checkpointDir: string,
  log: (line: string) => void,
): Promise<void> {
  {
    const common = {
      dataDir: opts.dataDir,
      seed: job.seed,
      config,
      quick: opts.quick,
      workers: opts.workers,
      verify: opts.verify,
      log: opts.verbose ? log : undefined,
      checkpointDir,
      shouldStop: opts.shouldStop,
    };
    let record: RunRecord;
    let model: LayersModel | undefined;
    if (isCvSplit(job.split)) record = (await runSubjectCv(common, job.split)).record;
    else {
      const r = await runProtocol({ ...common, split: job.split });
      if (opts.keepModels) model = r.model;
      else r.model.dispose();
      record = r.record;
    }
    record.config.variant = job.variant;
    const known = VARIANTS.find((v) => v.name === job.variant);
    if (known) record.config.overrides = known.overrides;
    const file = runFile(opts.out, job);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    if (model) {
      await saveRun(path.dirname(file), record, model); // model/ first, run.json last
      model.dispose();
    } else writeAtomic(file, runRecordJson(record));
    fs.rmSync(checkpointDir, { recursive: true, force: true });
    log(`study: ${job.dir}: test accuracy ${record.test.accuracy.toFixed(4)} (${fmtSeconds(record.seconds)})`);
  }
}

/** The finished runs of a study folder (every `run.json` under it), with their job. */
export function loadStudyRuns(out: string): { job: StudyJob; record: RunRecord }[] {
  const found: { job: StudyJob; record: RunRecord }[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === "run.json") {
        const rel = path.relative(out, path.dirname(p)).split(path.sep);
        const m = rel.length === 3 ? /^seed-(\d+)$/.exec(rel[2]) : null;
        if (!m || !(SPLIT_NAMES as readonly string[]).includes(rel[1])) continue;
        found.push({
          job: { variant: rel[0], split: rel[1] as SplitName, seed: Number(m[1]), dir: rel.join(path.sep) },
          record: loadRun(p),
        });
      }
    }
  };
  if (!fs.existsSync(out)) throw new UserError(`no study at ${out}`);
  walk(out);
  return found;
}

/** Write `summary.json` of a study folder (atomically) and return it. */
export function mergeStudy(out: string): StudySummary {
  const summary = summarizeStudy(loadStudyRuns(out));
  writeAtomic(path.join(out, "summary.json"), summaryJson(summary));
  return summary;
}

/** A study summary found on disk, with its folder and kind (notebooks 06 and 07 show it). */
export interface FoundStudy {
  summary: StudySummary;
  dir: string;
  kind: "committed" | "quick";
}

/** Read a study summary (the committed one, data/runs/study/summary.json, by default; checked: lib/summary.ts loadSummary), or undefined. */
export function findStudy(
  dirs: { dir: string; kind: FoundStudy["kind"] }[] = [{ dir: STUDY, kind: "committed" }],
): FoundStudy | undefined {
  for (const d of dirs) {
    const file = path.join(d.dir, "summary.json");
    if (fs.existsSync(file)) return { summary: loadSummary(file), dir: d.dir, kind: d.kind };
  }
  return undefined;
}

/**
 * The committed run records of one split of a study (`<dir>/<variant>/<split>/seed-N/run.json`), in seed order;
 * empty when the study does not have them. They hold every test prediction, so the exercises can recount what the
 * summary pooled.
 */
export function studyRecords(split: string, dir = STUDY, variant = "paper"): RunRecord[] {
  const base = path.join(dir, variant, split);
  if (!fs.existsSync(base)) return [];
  return fs
    .readdirSync(base)
    .map((d) => ({ d, seed: /^seed-(\d+)$/.exec(d)?.[1] }))
    .filter((x) => x.seed !== undefined && fs.existsSync(path.join(base, x.d, "run.json")))
    .sort((a, b) => Number(a.seed) - Number(b.seed))
    .map((x) => loadRun(path.join(base, x.d, "run.json")));
}

/** The committed run record of one seed of a split of a study, or undefined when there is none. */
export function studyRecord(split: string, seed: number, dir = STUDY, variant = "paper"): RunRecord | undefined {
  const file = path.join(dir, variant, split, `seed-${seed}`, "run.json");
  return fs.existsSync(file) ? loadRun(file) : undefined;
}
