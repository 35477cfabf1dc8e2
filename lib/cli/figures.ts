/**
 * `npm run figures`: regenerate every figure and table of the paper (Fig 1–8, Table 1) and `figures/README.md` from a
 * run record. No training, no data set. Flags: the declaration {@link FIGURES_COMMAND} below.
 *
 * Without a run record the diagrams (Fig 1–4) are still written, then the command says how to make a run and exits 2.
 * User errors print one line `figures: <message>` and exit 2, like every command (lib/cli/args.ts runCli).
 */
import * as fs from "fs";
import * as path from "path";
import {
  ABLATIONS,
  FIGURES,
  PAPER_RUN,
  ROOT,
  RUNS,
  STUDY,
  checkInputFile,
  checkOutputDir,
  makeDirs,
  resolveDataDir,
  shown,
} from "../paths";
import { activeBackend, initBackend } from "../tf";
import { writeAtomic } from "../files";
import { loadRun } from "../record";
import { loadSummary } from "../summary";
import { loadRegions } from "../explain/region-study";
import { committedStudy, loadPeers, peerComparison, PEERS_FILE } from "../peers/compare";
import { ledgerFacts } from "../claims";
import {
  buildAblationFigures,
  buildDiagrams,
  buildFaceFigures,
  buildPeerFigures,
  buildRegionFigures,
  buildRunFigures,
  buildStudyFigures,
  modelLayers,
  FiguresError,
  type OutputFile,
} from "../figures";
import { extraFigures, figuresReadme } from "../figures/readme";
import { commandMain, defineCommand, defineCli, runCli, type Args } from "./args";
import { DATA_FLAG } from "./flags";

/** The flags of `npm run figures` (the one declaration: parser, --help, usage line and README table). */
export const FIGURES_COMMAND = defineCommand({
  name: "figures",
  summary: "Regenerates every figure and Table 1 from a run record, in seconds, without training.",
  details: "The diagrams (Fig 1–4) need no run record; Fig 5–8, Table 1 and the figures' README are made from it.",
  flags: {
    run: {
      type: "string",
      arg: "FILE",
      help: "the run record (run.json) to draw",
      defaultText: "data/runs/paper/run.json",
    },
    out: { type: "string", arg: "DIR", help: "where the figures go", defaultText: "figures/" },
    faces: {
      type: "boolean",
      help: "also draw the figures that show faces (class-average maps, a gallery) into <out>/faces/, git-ignored: CK+48's licence forbids committing them",
    },
    data: { ...DATA_FLAG, help: "the CK+48 folder (for --faces)" },
  },
});

function write(out: string, files: OutputFile[], log: (s: string) => void): void {
  for (const f of files) {
    writeAtomic(path.join(out, f.name), f.data);
    log(`  ${shown(path.join(out, f.name))}${f.name.endsWith(".png") ? "" : `  (${Math.round(f.ms)} ms)`}`);
  }
}

async function figures(a: Args<typeof FIGURES_COMMAND>, log: (s: string) => void): Promise<void> {
  const runFile = path.resolve(a.run ?? path.join(PAPER_RUN, "run.json"));
  const out = path.resolve(a.out ?? FIGURES);
  checkOutputDir(out, "--out");
  const runExists = fs.existsSync(runFile);
  if (runExists)
    checkInputFile(
      runFile,
      "--run",
      fs.existsSync(path.join(runFile, "run.json"))
        ? `pass ${shown(path.join(runFile, "run.json"))}`
        : "give a run.json made by npm run reproduce",
    );
  const t0 = performance.now();
  // Validate the run before writing anything, so a bad file leaves the output folder untouched.
  const run = runExists ? loadRun(runFile) : undefined;
  const arch = await modelLayers();
  log(`figures → ${shown(out)} (backend ${activeBackend()}, for Fig 3's model)`);
  write(out, await buildDiagrams(arch), log);
  if (!run) {
    const how =
      runFile === path.join(PAPER_RUN, "run.json")
        ? "make one with `npm run reproduce -- --out data/runs/paper`"
        : "make one with `npm run reproduce -- --out DIR` and pass --run DIR/run.json";
    throw new FiguresError(
      `no run record at ${path.relative(ROOT, runFile).startsWith("..") ? runFile : path.relative(ROOT, runFile)}; ${how} (diagrams fig1–4 were written)`,
    );
  }
  write(out, await buildRunFigures(run), log);
  // The study (notebook 06) and the comparisons (notebook 07), when they are committed.
  const summaryFile = path.join(STUDY, "summary.json");
  if (fs.existsSync(summaryFile))
    write(out, await buildStudyFigures(loadSummary(summaryFile), run, ledgerFacts()), log);
  else log(`  (no ${shown(summaryFile)}: the study's figures and claims.md are skipped; make them with npm run study)`);
  const ablationsFile = path.join(ABLATIONS, "summary.json");
  if (fs.existsSync(ablationsFile)) write(out, await buildAblationFigures(loadSummary(ablationsFile)), log);
  else
    log(
      `  (no ${shown(ablationsFile)}: the comparisons' figures are skipped; make them with npm run study -- --variants …)`,
    );
  const regionsFile = path.join(RUNS, "explain", "regions.json");
  if (fs.existsSync(regionsFile)) write(out, await buildRegionFigures(loadRegions(regionsFile)), log);
  else
    log(
      `  (no ${shown(regionsFile)}: the regions' figures are skipped; make them with npm run explain -- --regions DIR)`,
    );
  if (fs.existsSync(PEERS_FILE)) {
    write(out, await buildPeerFigures(peerComparison(loadPeers(PEERS_FILE), committedStudy())), log);
  } else log(`  (no ${shown(PEERS_FILE)}: the peers' figure and peers.md are skipped; make them with npm run peers)`);
  // figures/README.md last, listing the figures beyond the paper that were made.
  const made = {
    study: fs.existsSync(summaryFile),
    ablations: fs.existsSync(ablationsFile),
    regions: fs.existsSync(regionsFile),
    peers: fs.existsSync(PEERS_FILE),
  };
  writeAtomic(path.join(out, "README.md"), figuresReadme(run, arch.layers, extraFigures(made)));
  log(`  ${shown(path.join(out, "README.md"))}`);
  if (a.faces) {
    const modelDir = path.join(path.dirname(runFile), "model");
    if (!fs.existsSync(path.join(modelDir, "model.json")))
      throw new FiguresError(`--faces needs the run's model at ${shown(modelDir)}`);
    makeDirs(path.join(out, "faces"));
    write(out, await buildFaceFigures(run, modelDir, resolveDataDir(a.data)), log);
  }
  log(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

/**
 * The `figures` command, callable in-process (tests): returns the exit code, 0, or 2 after one line on stderr for a
 * user error (bad flag, unwritable --out, missing or invalid run record). `log` receives progress lines.
 */
export async function figuresMain(
  argv: string[],
  log: (s: string) => void = (s) => process.stdout.write(s + "\n"),
): Promise<number> {
  return commandMain(FIGURES_COMMAND, argv, (a) => figures(a, log), { out: log }, { initBackend });
}

export const figuresCommand = defineCli(FIGURES_COMMAND, (a) => figures(a, (s) => process.stdout.write(s + "\n")), {
  initBackend,
});

if (require.main === module) runCli(figuresCommand);
