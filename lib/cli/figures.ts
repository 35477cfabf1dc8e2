/**
 * `npm run figures -- [--run FILE] [--out DIR]`: regenerate every figure and table of the paper (Fig 1–8, Table 1)
 * and `figures/README.md` from a run record (default `data/runs/paper/run.json`). No training, no data set.
 *
 * Without a run record the diagrams (Fig 1–4) are still written, then the command says how to make a run and exits 1.
 * User errors print one line `figures: <message>` to stderr and exit non-zero, without a stack trace.
 */
import * as fs from "fs";
import * as path from "path";
import { FIGURES, PAPER_RUN, ROOT } from "../paths";
import { writeAtomic } from "../render";
import { buildDiagrams, buildRunFigures, figuresReadme, loadRun, modelLayers, FiguresError, type OutputFile } from "../figures";

const USAGE = "usage: npm run figures -- [--run FILE] [--out DIR]";

/** Parsed command line of `npm run figures`. */
export interface FiguresArgs {
  run: string;
  out: string;
  help: boolean;
}

/** Parse `--run FILE`, `--out DIR` (also `--run=FILE`), `--help`; anything else is a `FiguresError`. */
export function parseArgs(argv: string[]): FiguresArgs {
  const a: FiguresArgs = { run: path.join(PAPER_RUN, "run.json"), out: FIGURES, help: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].startsWith("--") && argv[i].includes("=") ? [argv[i].slice(0, argv[i].indexOf("=")), argv[i].slice(argv[i].indexOf("=") + 1)] : [argv[i], undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === "") throw new FiguresError(`${flag} needs a value (${USAGE})`);
      return v;
    };
    if (flag === "--run") a.run = path.resolve(value());
    else if (flag === "--out") a.out = path.resolve(value());
    else if (flag === "--help" || flag === "-h") a.help = true;
    else throw new FiguresError(`unknown argument "${argv[i]}" (${USAGE})`);
  }
  return a;
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
 * The `figures` command (Fig 1–8, Table 1, figures/README.md). Returns the exit code: 0, or 1 with one line on stderr.
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
    log(`figures → ${rel(args.out)}`);
    write(args.out, await buildDiagrams(arch), log);
    if (!run) {
      const how = path.resolve(args.run) === path.join(PAPER_RUN, "run.json") ? "make one with `npm run reproduce`" : "make one with `npm run reproduce` or pass --run FILE";
      throw new FiguresError(`no run record at ${path.relative(ROOT, args.run).startsWith("..") ? args.run : path.relative(ROOT, args.run)}; ${how} (diagrams fig1–4 were written)`);
    }
    write(args.out, await buildRunFigures(run), log);
    writeAtomic(path.join(args.out, "README.md"), figuresReadme(run, arch.layers));
    log(`  ${rel(path.join(args.out, "README.md"))}`);
    log(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return 0;
  } catch (e) {
    if (e instanceof FiguresError) {
      process.stderr.write(`figures: ${e.message}\n`);
      return 1;
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
      process.exit(2);
    },
  );
}
