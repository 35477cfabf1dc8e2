/**
 * Named facts for the numbers in the notebooks' prose. A number written in a Markdown cell must be tied, in that cell's
 * metadata (`"facts": { "86,911": "arch.params" }`), to the name of a fact computed here or in the notebook's own
 * module (`proseFacts()` of lib/notebooks/NN-name.ts); test/notebooks.test.ts checks that every number is tied and
 * that its fact still has the value written. Tying each number to its own fact (not to "any known number") is what
 * makes a stale sentence fail: "about 4 minutes" cannot pass because 4 happens to be a kernel size.
 */
import * as fs from "fs";
import * as path from "path";
import { NUM_CLASSES, PAPER, PAPER_RESULTS } from "../config";
import { fileNameStructure, manifestCounts, manifestFiles, readManifest } from "../data/manifest";
import { parametersByHand } from "../model";
import { NOTEBOOKS } from "../paths";
import { SUBJECT_CV_FOLDS } from "../protocol";
import { splitSizes } from "../split";
import { proseFacts as facts00 } from "./00-overview";
import { proseFacts as facts01 } from "./01-data";
import { proseFacts as facts02 } from "./02-model";
import { proseFacts as facts03 } from "./03-optim";
import { proseFacts as facts04 } from "./04-train";
import { proseFacts as facts05 } from "./05-evaluate";
import { proseFacts as facts06 } from "./06-study";
import { proseFacts as facts07 } from "./07-ablations";
import { proseFacts as facts08 } from "./08-explain";

/** Facts by name: a flat record of finite numbers. */
export type Facts = Record<string, number>;

/** Every finite number inside `x` (objects and arrays, recursively), named by its path under `prefix`. */
export function flattenFacts(prefix: string, x: unknown, out: Facts = {}): Facts {
  if (typeof x === "number" && Number.isFinite(x)) out[prefix] = x;
  else if (Array.isArray(x)) x.forEach((v, i) => flattenFacts(`${prefix}.${i}`, v, out));
  else if (x && typeof x === "object")
    for (const [k, v] of Object.entries(x)) flattenFacts(prefix ? `${prefix}.${k}` : k, v, out);
  return out;
}

/**
 * The facts every notebook may cite: the protocol's configuration (`paper.*`), the paper's reported results
 * (`results.*`), the data set as the manifest holds it (`data.*`), the architecture's parameter count by hand
 * (`arch.*`), and a few constants the code uses.
 */
export function commonFacts(): Facts {
  const manifest = readManifest();
  const counts = manifestCounts(manifest);
  const names = fileNameStructure(manifest);
  const images = counts.reduce((a, b) => a + b, 0);
  const sizes = splitSizes(manifestFiles(manifest));
  const rows = parametersByHand();
  const facts: Facts = {
    ...flattenFacts("paper", PAPER),
    ...flattenFacts("results", PAPER_RESULTS),
    "data.classes": NUM_CLASSES,
    ...flattenFacts("data.counts", counts),
    "data.images": images,
    "data.subjects": names.subjects,
    "data.sequences": names.sequences,
    "data.framesPerSequence": Math.max(...Object.keys(names.imagesPerSequence).map(Number)),
    "data.majorityShare": Math.max(...counts) / images,
    "split.train": sizes.train,
    "split.test": sizes.test,
    ...flattenFacts("split.folds", sizes.folds),
    "split.subjectFolds": SUBJECT_CV_FOLDS,
    "arch.params": rows.reduce((a, r) => a + r.params, 0),
    "pixels.max": 255, // 8-bit channel maximum: lib/data/decode.ts divides by it
    "stats.level": 0.95, // the level of every interval in lib/stats
  };
  rows.forEach((r, i) => {
    facts[`arch.layers.${i}.params`] = r.params;
    r.output.split("×").forEach((d, j) => (facts[`arch.layers.${i}.output.${j}`] = Number(d)));
  });
  PAPER.arch.convs.forEach((c, i) => (facts[`arch.convs.${i}.trim`] = c.kernel - 1)); // a valid k×k conv trims k−1
  return facts;
}

/**
 * The numbers of a Markdown text, as written, after removing what is not a number of this kind: formulas, code
 * spans, link targets, numbered-list markers and exercise numbers, the data set's name (CK+48), notebook names, references (Eq. 3, Fig 7, Section 2.1, notebook 04, tfjs 4.22, fold 3),
 * a citation's year, and the trivial 0, 1 and 2.
 */
export function numbersIn(md: string): string[] {
  return (
    md
      .replace(/<!--[\s\S]*?-->/g, " ")
      .replace(/\$\$[\s\S]*?\$\$|\$[^$\n]*\$/g, " ")
      .replace(/`[^`]*`/g, " ")
      .replace(/\]\([^)]*\)/g, "]")
      .replace(/<[^>]+>/g, " ")
      .replace(/^#+ \d+ ·/gm, " ")
      .replace(/SHA-\d+|\d+-D\b/g, " ")
      .replace(/(?<=(?:et al\.|&\s\w+|\b[A-Z][a-z]+)\s\(?)(?:19|20)\d\d\b/g, " ") // "Simonyan et al. 2014", "(Friesen 1978"
      .replace(/^\s*\d+\. /gm, " ")
      .replace(/^\*\*\d+\.\*\* /gm, " ") // an exercise's number
      .replace(/\[\d\d-[a-z-]+\]/g, " ") // a link to a notebook by its name, [01-data](01-data.ipynb)
      .replace(/CK\+48/g, " ")
      .replace(
        /\b(Eq\.|Eqs\.|Section|Sections|Fig|Figs|Table|notebooks?|Notebooks?|TF|Keras|tfjs|Node|fold|epoch|step|Steps?|pool|conv|dense|exercise|Exercise)\s*\d+(?:\.\d+)*(?:\s*[–-]\s*\d+(?:\.\d+)*)?/g,
        " ",
      )
      .match(/(?<![\w.])\d+(?:,\d{3})*(?:\.\d+)?(?:e-?\d+)?/g) ?? []
  ).filter((n) => !["0", "1", "2"].includes(n));
}

/**
 * Whether the number `written` (as in the prose: "86,911", "16.1", "57", "1e-7") states the fact `value`, at the
 * precision written, or as a percentage of it (57 for 0.57). Numbers in exponent form agree within 5 %.
 */
export function states(written: string, value: number): boolean {
  const v = Number(written.replace(/,/g, ""));
  const exp = /e/.test(written);
  const decimals = exp ? 0 : (written.split(".")[1] ?? "").length;
  const tol = exp ? Math.abs(v) * 0.05 : 0.5 * 10 ** -decimals + 1e-9;
  const f = Math.abs(value);
  return Math.abs(f - v) <= tol || Math.abs(100 * f - v) <= tol;
}

/** One number of a Markdown cell, checked against the fact its cell ties it to. */
export interface NumberCheck {
  cell: number;
  written: string;
  fact?: string;
  value?: number;
  ok: boolean;
  problem?: string;
}

/** A cell as the checks read it (nbformat 4). */
interface CellLike {
  cell_type: string;
  source: string | string[];
  metadata: Record<string, unknown>;
}

/** The facts a cell's metadata ties its numbers to: `{ written: factName }`. */
export function cellFacts(c: CellLike): Record<string, string> {
  const f = c.metadata.facts;
  return f && typeof f === "object" ? (f as Record<string, string>) : {};
}

/**
 * Checks every number of every Markdown cell against its tied fact, and every tie against the cell's text (a tie
 * whose number no longer appears is stale too). Returns one entry per number, and one per unused tie.
 */
export function checkProseNumbers(cells: CellLike[], facts: Facts): NumberCheck[] {
  const out: NumberCheck[] = [];
  cells.forEach((c, i) => {
    const ties = cellFacts(c);
    if (c.cell_type !== "markdown") {
      if (Object.keys(ties).length) out.push({ cell: i, written: "", ok: false, problem: "facts on a code cell" });
      return;
    }
    const text = Array.isArray(c.source) ? c.source.join("") : c.source;
    const found = numbersIn(text);
    for (const written of found) {
      const fact = ties[written];
      if (fact === undefined) out.push({ cell: i, written, ok: false, problem: "not tied to a fact" });
      else if (!(fact in facts)) out.push({ cell: i, written, fact, ok: false, problem: `no fact named ${fact}` });
      else {
        const ok = states(written, facts[fact]);
        out.push({ cell: i, written, fact, value: facts[fact], ok, problem: ok ? undefined : "the fact differs" });
      }
    }
    for (const written of Object.keys(ties))
      if (!found.includes(written))
        out.push({ cell: i, written, fact: ties[written], ok: false, problem: "unused tie" });
  });
  return out;
}

/**
 * The facts notebook `name` (e.g. "03-optim") may cite: the common ones and its own module's `proseFacts()`, loaded
 * by name.
 */
export function notebookFacts(name: string): Facts {
  const own = NOTEBOOK_FACTS[name];
  if (!own) throw new Error(`no notebook named ${name}`);
  return { ...commonFacts(), "reading.minutes": readingMinutes(name), ...own() };
}

/**
 * The time to read notebook `name`, for its opening's **Time** line: the words of its Markdown and code cells at 200
 * words a minute (a common figure for technical reading), rounded to 5 minutes, at least 5. Outputs (tables, figures)
 * are not counted, so it is a floor.
 */
export function readingMinutes(name: string): number {
  const nb = JSON.parse(fs.readFileSync(path.join(NOTEBOOKS, `${name}.ipynb`), "utf8")) as {
    cells: { source: string | string[] }[];
  };
  const words = nb.cells
    .map((c) => (Array.isArray(c.source) ? c.source.join("") : c.source))
    .join(" ")
    .split(/\s+/)
    .filter(Boolean).length;
  return Math.max(5, Math.round(words / 200 / 5) * 5);
}

const NOTEBOOK_FACTS: Record<string, () => Facts> = {
  "00-overview": facts00,
  "01-data": facts01,
  "02-model": facts02,
  "03-optim": facts03,
  "04-train": facts04,
  "05-evaluate": facts05,
  "06-study": facts06,
  "07-ablations": facts07,
  "08-explain": facts08,
};

/** The names of the facts whose value `written` states: the candidates to tie an untied number to. */
export function candidates(written: string, facts: Facts): string[] {
  return Object.keys(facts).filter((k) => states(written, facts[k]));
}
