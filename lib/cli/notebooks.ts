/**
 * `npm run notebooks`: executes the notebooks (default: every notebooks/*.ipynb, in name order) headless through a real
 * Jupyter client: scripts/run_notebooks.py drives nbclient with the tslab kernel, started from each notebook's own
 * folder with the project's node_modules/.bin/tslab (a private kernel spec: no `tslab install` needed). The committed
 * notebooks are never written; executed copies go to --out. Flags: the declaration {@link NOTEBOOKS_COMMAND} below.
 *
 * Exit 0 when every notebook ran; 1 naming the notebook and cell that failed (a TypeScript error or a thrown error);
 * 2 for user errors (no Python with nbclient, unknown notebook, bad flag). `FER_QUICK=1` makes training cells quick.
 */
import * as fs from "fs";
import * as path from "path";
import * as readline from "readline";
import { spawn, spawnSync } from "child_process";
import { NOTEBOOKS, ROOT, checkOutputDir, shown } from "../paths";
import { UserError } from "../errors";
import { readNotebook } from "../book/render";
import { writeAtomic } from "../files";
import { defineCommand, defineCli, runCli, type Args } from "./args";

/** The flags of `npm run notebooks` (the one declaration: parser, --help, usage line and README table). */
export const NOTEBOOKS_COMMAND = defineCommand({
  name: "notebooks",
  summary: "Executes the notebooks headless through a real Jupyter client (nbclient + tslab).",
  details: "The committed notebooks are never written; executed copies go to `--out`.",
  flags: {
    out: { type: "string", arg: "DIR", help: "where the executed copies go", defaultText: "out/notebooks" },
    timeout: { type: "int", arg: "SECONDS", min: 1, max: 86400, default: 900, help: "time limit per cell" },
    python: {
      type: "string",
      arg: "PYTHON",
      help: "the Python with nbclient to use",
      defaultText: "$FER_PYTHON, else /usr/bin/python3, else python3",
    },
    counts: {
      type: "string",
      arg: "FILE",
      help: "also write the counts as JSON ({passes, failures, pending}: one per notebook), for CI",
    },
  },
  positionals: { name: "NOTEBOOK", help: "notebooks to run, by name (01-data) or path; default all" },
  env: { FER_QUICK: "1 makes the training cells quick", FER_PYTHON: "the Python when --python is not given" },
});

/** The Python driver. */
export const DRIVER = path.join(ROOT, "scripts", "run_notebooks.py");
/** The tslab binary of this checkout. */
export const TSLAB = path.join(ROOT, "node_modules", ".bin", "tslab");
/** Where executed copies go by default (git-ignored). */
export const EXECUTED = path.join(ROOT, "out", "notebooks");

/** Pythons tried in order: $FER_PYTHON, Debian's /usr/bin/python3 (where python3-nbclient lives), python3 on PATH. */
export function pythonCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  return [env.FER_PYTHON, "/usr/bin/python3", "python3"].filter((p): p is string => !!p);
}

/** The first Python that imports nbclient, nbformat and jupyter_client, or undefined. */
export function findPython(candidates: string[] = pythonCandidates()): string | undefined {
  for (const py of candidates) {
    const r = spawnSync(py, ["-c", "import nbclient, nbformat, jupyter_client"], { stdio: "ignore" });
    if (r.status === 0) return py;
  }
  return undefined;
}

/** Notebook files from the command line (names, with or without .ipynb, or paths), default every notebooks/*.ipynb. */
export function notebookFiles(args: string[], dir: string = NOTEBOOKS): string[] {
  if (!args.length) {
    const all = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith(".ipynb"))
      .sort();
    if (!all.length) throw new UserError(`no notebooks in ${dir}`);
    return all.map((f) => path.join(dir, f));
  }
  return args.map((a) => {
    const tries = [a, `${a}.ipynb`, path.join(dir, a), path.join(dir, `${a}.ipynb`)];
    const hit = tries.find((t) => fs.existsSync(t) && fs.statSync(t).isFile());
    if (!hit) throw new UserError(`notebook not found: ${a} (looked in ${path.relative(process.cwd(), dir) || "."})`);
    return path.resolve(hit);
  });
}

/** One event of the driver's protocol (scripts/run_notebooks.py). */
export type DriverEvent =
  | { event: "start"; notebook: string }
  | { event: "cell"; notebook: string; index: number; seconds: number }
  | { event: "done"; notebook: string; seconds: number; cells: number; executed: string }
  | {
      event: "error";
      notebook: string;
      index: number;
      code_cell: number;
      source: string;
      output: string;
      seconds: number;
      executed: string;
    };

/** What happened to one notebook. */
export interface NotebookResult {
  notebook: string;
  ok: boolean;
  seconds: number;
  /** For a failure: 0-based index among all cells, the cell's source and what it printed. */
  cell?: number;
  source?: string;
  output?: string;
  executed?: string;
}

export interface RunOptions {
  notebooks: string[];
  out?: string;
  timeout?: number;
  python?: string;
  tslab?: string;
  /** Progress lines (default: stdout). */
  log?: (line: string) => void;
}

/** One line per failure: which notebook, which cell, and the first lines of what went wrong. */
export function describeFailure(r: NotebookResult): string {
  const src = (r.source ?? "")
    .split("\n")
    .filter((l) => l.trim())
    .slice(0, 3)
    .join(" ⏎ ");
  const out = (r.output ?? "").trim().split("\n").slice(0, 12).join("\n    ");
  return `${path.basename(r.notebook)}: cell ${r.cell} failed: ${src}\n    ${out}`;
}

/** Run the driver on the notebooks; resolves with one result per notebook that started. */
export async function runNotebooks(opts: RunOptions): Promise<NotebookResult[]> {
  const log = opts.log ?? ((l: string) => process.stdout.write(l + "\n"));
  const python = opts.python ?? findPython();
  if (!python) {
    throw new UserError(
      "no Python with nbclient found (tried " +
        pythonCandidates().join(", ") +
        "): apt-get install python3-nbclient python3-ipykernel python3-jupyter-client, or set FER_PYTHON",
    );
  }
  const tslab = opts.tslab ?? TSLAB;
  if (!fs.existsSync(tslab)) throw new UserError(`tslab not found at ${tslab} (run npm ci)`);
  const out = path.resolve(opts.out ?? EXECUTED);
  const args = [DRIVER, "--tslab", tslab, "--out", out, "--timeout", String(opts.timeout ?? 900), ...opts.notebooks];
  const child = spawn(python, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: process.env });
  const results: NotebookResult[] = [];
  const stderr: string[] = [];
  child.stderr.on("data", (d: Buffer) => stderr.push(d.toString()));
  const lines = readline.createInterface({ input: child.stdout });
  lines.on("line", (line) => {
    let e: DriverEvent;
    try {
      e = JSON.parse(line) as DriverEvent;
    } catch {
      log(line);
      return;
    }
    const name = path.basename(e.notebook);
    if (e.event === "start") log(`notebooks: running ${name} …`);
    else if (e.event === "done") {
      results.push({ notebook: e.notebook, ok: true, seconds: e.seconds, executed: e.executed });
      log(`notebooks: ${name} ok: ${e.cells} cells in ${e.seconds.toFixed(1)} s`);
    } else if (e.event === "error") {
      const r: NotebookResult = {
        notebook: e.notebook,
        ok: false,
        seconds: e.seconds,
        cell: e.index,
        source: e.source,
        output: e.output,
        executed: e.executed,
      };
      results.push(r);
      log(`notebooks: FAILED ${describeFailure(r)}`);
    }
  });
  const code = await new Promise<number>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (c) => resolve(c ?? 1));
  });
  if (code !== 0 && !results.some((r) => !r.ok)) {
    throw new Error(
      `the notebook driver exited with ${code}: ${stderr.join("").trim().split("\n").slice(-15).join("\n")}`,
    );
  }
  return results;
}

async function notebooks(a: Args<typeof NOTEBOOKS_COMMAND>): Promise<number> {
  const notebooks = notebookFiles(a._);
  for (const nb of notebooks) readNotebook(nb); // a damaged notebook is one line here, not a Python traceback later
  const out = path.resolve(a.out ?? EXECUTED);
  checkOutputDir(out, "--out");
  if (a.python !== undefined && !findPython([a.python])) {
    throw new UserError(
      `--python ${a.python} does not run or cannot import nbclient, nbformat and jupyter_client: give a Python that can (apt-get install python3-nbclient python3-ipykernel python3-jupyter-client)`,
    );
  }
  const t0 = performance.now();
  const results = await runNotebooks({ notebooks, out, python: a.python, timeout: a.timeout });
  const failed = results.filter((r) => !r.ok);
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  if (a.counts) {
    const counts = {
      passes: results.length - failed.length,
      failures: notebooks.length - (results.length - failed.length),
      pending: 0,
    };
    writeAtomic(
      path.resolve(a.counts),
      JSON.stringify({ ...counts, failed: failed.map((r) => ({ title: r.notebook, message: describeFailure(r) })) }) +
        "\n",
    );
  }
  if (failed.length) {
    process.stderr.write(failed.map((r) => `notebooks: ${describeFailure(r)}\n`).join(""));
    console.log(`notebooks: ${failed.length} of ${notebooks.length} failed (${secs} s)`);
    return 1;
  }
  console.log(
    `notebooks: all ${notebooks.length} ran (${secs} s${process.env.FER_QUICK ? ", FER_QUICK=1" : ""}); executed copies in ${shown(out)}`,
  );
  return 0;
}

export const notebooksCommand = defineCli(NOTEBOOKS_COMMAND, notebooks);

if (require.main === module) runCli(notebooksCommand);
