/**
 * `npm run figures -- [--run FILE] [--out DIR]`: regenerate every figure and table of the paper (Fig 1–8, Table 1)
 * and `figures/README.md` from a run record (default `data/runs/paper/run.json`). No training, no data set.
 *
 * Without a run record the diagrams (Fig 1–4) are still written, then the command says how to make a run and exits 2.
 * User errors (lib/errors.ts `UserError`) print one line `figures: <message>` to stderr and exit 2, without a stack
 * trace; anything else is a bug: `figures: internal error: …` with the stack, exit 1 (the house convention).
 */
import * as fs from "fs";
import * as path from "path";
import { ABLATIONS, FIGURES, PAPER_RUN, ROOT, STUDY } from "../paths";
import { backendName } from "../tf";
import { writeAtomic } from "../render";
import { UserError } from "../errors";
import type { StudySummary } from "../study";
import { ledgerFacts } from "../claims";
import { parse } from "./args";
import { buildAblationFigures, buildStudyFigures, buildDiagrams, buildRunFigures, figuresReadme, loadRun, modelLayers, FiguresError, type OutputFile } from "../figures";

const USAGE = "usage: npm run figures -- [--run FILE] [--out DIR]";

/** Parsed command line of `npm run figures`. */
export interface FiguresArgs {
  run: string;
  out: string;
  help: boolean;
}

/** Parse `--run FILE`, `--out DIR`, `--help` (Node's util.parseArgs via lib/cli/args.ts); anything else is a UserError. */
export function parseArgs(argv: string[]): FiguresArgs {
  const { values } = parse(argv, { run: { type: "string" }, out: { type: "string" }, help: { type: "boolean", short: "h" } });
  for (const k of ["run", "out"] as const) {
    if (values[k] === "") throw new FiguresError(`--${k} needs a value (${USAGE})`);
  }
  return {
    run: values.run ? path.resolve(values.run) : path.join(PAPER_RUN, "run.json"),
    out: values.out ? path.resolve(values.out) : FIGURES,
    help: values.help === true,
  };
}

function rel(p: string): string {
  const r = path.relative(process.cwd(), p) || ".";
  return r.startsWith("..") ? p : r;
}

function write(out: string, files: OutputFile[], log: (s: string) => void): void {
  for (const f of files) {
    writeAtomic(path.join(out, f.name), f.data);
    log(`  ${rel(path.join(out, f.name))}${f.name.endsWith(".png") ? "" : `  (${Math.round(f.ms)} ms)`}`);
  }
}

/**
 * The `figures` command (Fig 1–8, Table 1, figures/README.md). Returns the exit code: 0, or 2 after one line on
 * stderr for a user error (bad flag, missing or invalid run record).
 * `log` receives progress lines (stdout by default).
 */
export async function figuresMain(argv: string[], log: (s: string) => void = (s) => process.stdout.write(s + "\n")): Promise<number> {
  try {
    const args = parseArgs(argv);
    if (args.help) {
      log(USAGE);
      return 0;
    }
    const t0 = performance.now();
    const runExists = fs.existsSync(args.run);
    // Validate the run before writing anything, so a bad file leaves figures/ untouched.
    const run = runExists ? loadRun(args.run) : undefined;
    const arch = await modelLayers();
    log(`figures → ${rel(args.out)} (backend ${backendName()}, for Fig 3's model)`);
    write(args.out, await buildDiagrams(arch), log);
    if (!run) {
      const how = path.resolve(args.run) === path.join(PAPER_RUN, "run.json") ? "make one with `npm run reproduce -- --out data/runs/paper`" : "make one with `npm run reproduce -- --out DIR` and pass --run DIR/run.json";
      throw new FiguresError(`no run record at ${path.relative(ROOT, args.run).startsWith("..") ? args.run : path.relative(ROOT, args.run)}; ${how} (diagrams fig1–4 were written)`);
    }
    write(args.out, await buildRunFigures(run), log);
    writeAtomic(path.join(args.out, "README.md"), figuresReadme(run, arch.layers));
    log(`  ${rel(path.join(args.out, "README.md"))}`);
    const summaryFile = path.join(STUDY, "summary.json");
    if (fs.existsSync(summaryFile)) {
      const summary = JSON.parse(fs.readFileSync(summaryFile, "utf8")) as StudySummary;
      write(args.out, await buildStudyFigures(summary, run, ledgerFacts()), log);
    } else log(`  (no ${rel(summaryFile)}: the study's figures and claims.md are skipped; make them with npm run study)`);
    const ablationsFile = path.join(ABLATIONS, "summary.json");
    if (fs.existsSync(ablationsFile)) write(args.out, await buildAblationFigures(JSON.parse(fs.readFileSync(ablationsFile, "utf8")) as StudySummary), log);
    else log(`  (no ${rel(ablationsFile)}: the comparisons' figures are skipped; make them with npm run study -- --variants …)`);
    log(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return 0;
  } catch (e) {
    if (e instanceof UserError) {
      process.stderr.write(`figures: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

if (require.main === module) {
  figuresMain(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      // Not a user error: still one line first, then the stack for whoever debugs it.
      process.stderr.write(`figures: internal error: ${(e as Error)?.message ?? String(e)}\n${(e as Error)?.stack ?? ""}\n`);
      process.exit(1);
    },
  );
}
