/**
 * The book's pages from executed notebooks (`npm run book`, lib/book/site.ts): Markdown with the paper's equations
 * typeset by KaTeX at build time (no script in the page), code highlighted by highlight.js, and every output a notebook
 * made (Markdown, HTML, SVG charts, PNG images, printed text, errors). Chosen over nbconvert's HTML exporter because the
 * same TypeScript renders the notebooks' own Markdown outputs (tables, listings) and is tested with the rest of lib/,
 * and because the public build must rewrite outputs cell by cell (faces out) before anything is written.
 */
import MarkdownIt from "markdown-it";
import markdownItKatex from "@vscode/markdown-it-katex";
import { z } from "zod";
import { highlight } from "../display/listing";
import { loadJsonFile } from "../files";

/** One cell of an nbformat 4 notebook, as the book reads it. */
export interface NotebookCell {
  cell_type: "markdown" | "code" | "raw";
  source: string | string[];
  metadata: { tags?: string[]; [k: string]: unknown };
  outputs?: NotebookOutput[];
  execution_count?: number | null;
}

/** One output of a code cell: a display (its data by MIME type), a stream, or an error. */
export interface NotebookOutput {
  output_type: "display_data" | "execute_result" | "stream" | "error";
  data?: Record<string, string | string[]>;
  name?: string;
  text?: string | string[];
  ename?: string;
  evalue?: string;
  traceback?: string[];
}

/** An nbformat 4 notebook. */
export interface Notebook {
  cells: NotebookCell[];
  metadata: Record<string, unknown>;
  nbformat: number;
  nbformat_minor: number;
}

const TEXT = z.union([z.string(), z.array(z.string())]);

/** The schema of an nbformat 4 notebook, as far as the project reads one (checked: nbformat's own validator). */
export const NOTEBOOK_SCHEMA = z.object({
  cells: z.array(
    z.object({
      cell_type: z.enum(["markdown", "code", "raw"]),
      source: TEXT,
      metadata: z.record(z.string(), z.unknown()),
      outputs: z
        .array(
          z
            .object({
              output_type: z.enum(["display_data", "execute_result", "stream", "error"]),
              data: z.record(z.string(), z.unknown()).optional(),
              text: TEXT.optional(),
            })
            .passthrough(),
        )
        .optional(),
      execution_count: z.number().int().nullable().optional(),
    }),
  ),
  metadata: z.record(z.string(), z.unknown()),
  nbformat: z.literal(4),
  nbformat_minor: z.number().int().nonnegative(),
});

/** The largest notebook read: ours are under 1 MB stripped and a few MB executed. */
const MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024;

/**
 * Read a notebook, checked against {@link NOTEBOOK_SCHEMA} before anything runs it: a damaged one (truncated, not
 * JSON, cells of the wrong types) is a one-line UserError naming the file and the first problem.
 */
export function readNotebook(file: string): Notebook {
  return loadJsonFile(
    file,
    NOTEBOOK_SCHEMA,
    "notebook",
    "restore it with git checkout, or open and save it again in Jupyter",
    MAX_NOTEBOOK_BYTES,
  ) as unknown as Notebook;
}

/** The tag of a cell whose outputs show CK+48 faces, or averages or overlays of them: left out of a public build. */
export const FACES_TAG = "faces";

/** A cell's or output's text, joined. */
export function joined(s: string | string[] | undefined): string {
  return Array.isArray(s) ? s.join("") : (s ?? "");
}

/** Does this cell show faces (its `faces` tag)? */
export function showsFaces(cell: NotebookCell): boolean {
  return (cell.metadata.tags ?? []).includes(FACES_TAG);
}

const md = MarkdownIt({
  html: true,
  linkify: false,
  typographer: false,
  highlight: (code, lang) => highlight(code, lang || "text"),
}).use(markdownItKatex, { throwOnError: true });

/** Markdown (a notebook's or an output's) as HTML, equations typeset by KaTeX; a bad equation is an error. */
export function renderMarkdown(text: string): string {
  const html = md.render(text);
  // The plugin renders an equation KaTeX cannot parse as an error box (and logs it): a book must not show one.
  const bad = /class="[^"]*katex-error[^"]*" title="([^"]*)"/.exec(html);
  if (bad) throw new Error(`an equation KaTeX cannot typeset: ${bad[1]}`);
  return html;
}

/** How a page is built: public (the faces left out) or not. */
export interface RenderOptions {
  public: boolean;
}

/** The notebook's title: the first heading of its first Markdown cell. */
export function notebookTitle(nb: Notebook, fallback: string): string {
  for (const c of nb.cells) {
    if (c.cell_type !== "markdown") continue;
    const m = /^#\s+(.+)$/m.exec(joined(c.source));
    if (m) return m[1].trim();
  }
  return fallback;
}
