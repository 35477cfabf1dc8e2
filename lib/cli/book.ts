/**
 * `npm run book`: every notebook executed (reading the committed runs: nothing is trained unless a notebook is told
 * to) and rendered with its outputs into a static site (lib/book/site.ts). `--public` leaves out every output of a
 * cell tagged `faces`; `npm run book -- --public --out docs` renews the published book. Flags: {@link BOOK} below.
 */
import * as path from "path";
import { ROOT, checkOutputDir, shown } from "../paths";
import { UserError } from "../errors";
import { buildSite } from "../book/site";
import { describeFailure, notebookFiles, runNotebooks } from "./notebooks";
import { defineCommand, defineCli, runCli, type Args } from "./args";

/** The flags of `npm run book` (the one declaration: parser, --help, usage line and README table). */
export const BOOK = defineCommand({
  name: "book",
  summary: "Executes every notebook and renders them with their outputs as a static site into `--out`.",
  details:
    "The site works offline and from file:// (KaTeX and highlight.js are copied in). --public leaves out the outputs of the cells tagged `faces` (CK+48's licence); `npm run book -- --public --out docs` renews the published book.",
  flags: {
    out: { type: "string", arg: "DIR", help: "where the site goes (emptied first)", defaultText: "out/book" },
    public: { type: "boolean", help: "leave out every CK+48 face (the outputs of cells tagged faces)" },
    executed: {
      type: "string",
      arg: "DIR",
      help: "render the executed notebooks already in DIR instead of running them",
    },
    timeout: { type: "int", arg: "SECONDS", min: 1, max: 86400, default: 900, help: "time limit per cell" },
  },
  positionals: { name: "NOTEBOOK", help: "notebooks to include, by name; default all" },
});

async function book(a: Args<typeof BOOK>): Promise<number> {
  const out = path.resolve(a.out ?? path.join(ROOT, "out", "book"));
  checkOutputDir(out, "--out");
  if (out === ROOT || ROOT.startsWith(out + path.sep))
    throw new UserError(`--out ${shown(out)} would empty the repository: give a folder of its own, e.g. out/book`);
  const sources = notebookFiles(a._);
  const t0 = performance.now();
  let executed: string[];
  if (a.executed !== undefined) {
    const dir = path.resolve(a.executed);
    executed = sources.map((s) => path.join(dir, path.basename(s)));
    notebookFiles(executed); // each must be there: one line naming the first that is not
  } else {
    const dir = path.join(ROOT, "out", "book-executed");
    let i = 0;
    const results = await runNotebooks({
      notebooks: sources,
      out: dir,
      timeout: a.timeout,
      log: (l) => {
        if (l.startsWith("notebooks: running"))
          console.log(`book: notebook ${++i} of ${sources.length}: ${l.slice(19)}`);
        else if (!l.startsWith("notebooks: FAILED")) console.log(l.replace(/^notebooks:/, "book:"));
      },
    });
    const failed = results.find((r) => !r.ok);
    if (failed) throw new UserError(`notebook failed: ${describeFailure(failed).split("\n")[0]}`);
    executed = sources.map((s) => path.join(dir, path.basename(s)));
  }
  const site = buildSite({ notebooks: executed, out, public: a.public, log: (l) => console.log(l) });
  console.log(
    `book: wrote ${site.pages.length} pages and ${site.assets} images to ${shown(out)} (${(site.bytes / 1e6).toFixed(2)} MB${a.public ? ", public: no faces" : ""}) in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
  );
  return 0;
}

export const bookCommand = defineCli(BOOK, book);

if (require.main === module) runCli(bookCommand);
