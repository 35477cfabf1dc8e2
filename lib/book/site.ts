/**
 * The book (`npm run book`): a static site of every notebook with its outputs, readable without installing anything.
 * A landing page with the headline findings (the README's, from the committed study), one page per notebook, the
 * figures and the claims ledger; a sidebar and previous/next links; KaTeX's stylesheet and fonts and highlight.js'
 * theme copied from node_modules, so no request leaves the site and it works from `file://`. Images (charts, and faces
 * outside the public build) are files named by the hash of their bytes: each is stored once.
 *
 * `book.json` records what the site was built from: a hash of the sources (the notebooks, lib/, the committed runs and
 * figures' pages), so a test can tell that a committed build (docs/) is stale.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { FIGURES, NOTEBOOKS, ROOT, STUDY } from "../paths";
import { escapeHtml } from "../display/text";
import { readmeFindings } from "../findings";
import { committedPeerComparison } from "../peers/compare";
import { peersFinding } from "../figures/peers";
import { findSummary } from "../summary";
import {
  FACES_TAG,
  joined,
  notebookTitle,
  readNotebook,
  renderMarkdown,
  showsFaces,
  type Notebook,
  type NotebookOutput,
  type RenderOptions,
} from "./render";
import { highlight } from "../display/listing";

/** One page of the site: its file, its title in the sidebar, and its HTML body. */
export interface Page {
  file: string;
  title: string;
  body: string;
  /** The notebook it shows, if any (for the links to its source and module). */
  notebook?: string;
}

/** What a build wrote. */
export interface BuiltSite {
  dir: string;
  pages: string[];
  assets: number;
  bytes: number;
  sources: string;
}

/**
 * The files a build depends on: every notebook, every lib/ module, the committed runs, and the figures' pages. Hidden
 * entries are left out (JupyterLab's `.ipynb_checkpoints/`, a `.DS_Store`): they are no source, and a clone has none.
 */
export function bookSources(root: string = ROOT): string[] {
  const out: string[] = [];
  const walk = (d: string, keep: (f: string) => boolean, deep = true) => {
    if (!fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.name.startsWith(".")) continue;
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (deep) walk(p, keep);
      } else if (keep(e.name)) out.push(path.relative(root, p));
    }
  };
  walk(path.join(root, "notebooks"), (f) => f.endsWith(".ipynb"), false);
  walk(path.join(root, "lib"), (f) => /\.(ts|html)$/.test(f));
  walk(path.join(root, "data", "runs"), (f) => f.endsWith(".json"));
  walk(path.join(root, "figures"), (f) => /\.(md|svg)$/.test(f), false);
  return out.sort();
}

/** sha256 over the sources' paths and bytes, in path order: the same sources give the same hash on every clone. */
export function sourcesHash(root: string = ROOT): string {
  const h = crypto.createHash("sha256");
  for (const f of bookSources(root)) {
    h.update(f + "\0");
    h.update(fs.readFileSync(path.join(root, f)));
    h.update("\0");
  }
  return h.digest("hex");
}

/** Where the images of a build go: a file per distinct content, named by its hash. */
class Assets {
  private readonly stored = new Set<string>();
  constructor(private readonly dir: string) {}
  /** Store `bytes` as `assets/<hash>.<ext>` (once) and return its URL relative to a page. */
  add(bytes: Buffer, ext: string): string {
    const name = `${crypto.createHash("sha256").update(bytes).digest("hex").slice(0, 16)}.${ext}`;
    if (!this.stored.has(name)) {
      fs.writeFileSync(path.join(this.dir, name), bytes);
      this.stored.add(name);
    }
    return `assets/${name}`;
  }
  get count(): number {
    return this.stored.size;
  }
}

const EXT: Record<string, string> = {
  "image/png": "png",
  "image/jpeg": "jpg",
  "image/gif": "gif",
  "image/svg+xml": "svg",
};

/** One output as HTML; images become asset files; a face in a public build becomes the note. */
function outputHtml(o: NotebookOutput, faces: boolean, opts: RenderOptions, assets: Assets): string {
  if (o.output_type === "stream") {
    const cls = o.name === "stderr" ? "output stream stderr" : "output stream";
    return `<pre class="${cls}">${escapeHtml(joined(o.text))}</pre>`;
  }
  if (o.output_type === "error") return `<pre class="output error">${escapeHtml(`${o.ename}: ${o.evalue}`)}</pre>`;
  const data = o.data ?? {};
  const image = ["image/png", "image/jpeg", "image/gif", "image/svg+xml"].find((m) => m in data);
  if (image && image !== "image/svg+xml" && faces && opts.public) {
    return `<p class="output faces-note">Faces left out here: CK+48's licence forbids publishing its images, and an average or an overlay of faces counts as a face. Run the notebook with your own copy of the data set to see them.</p>`;
  }
  if ("text/html" in data) return `<div class="output html">${joined(data["text/html"])}</div>`;
  if (image) {
    const raw = joined(data[image]);
    const bytes = image === "image/svg+xml" ? Buffer.from(raw) : Buffer.from(raw.replace(/\s+/g, ""), "base64");
    return `<div class="output image"><img src="${assets.add(bytes, EXT[image])}" alt="output of the cell above"></div>`;
  }
  if ("text/markdown" in data)
    return `<div class="output markdown">${renderMarkdown(joined(data["text/markdown"]))}</div>`;
  if ("text/plain" in data) return `<pre class="output text">${escapeHtml(joined(data["text/plain"]))}</pre>`;
  return "";
}

/** A notebook's page body: its cells in order, Markdown rendered, code highlighted, outputs after their code. */
export function notebookBody(nb: Notebook, opts: RenderOptions, assets: Assets): string {
  return nb.cells
    .map((cell) => {
      const src = joined(cell.source);
      if (cell.cell_type === "markdown") return `<section class="cell markdown">${renderMarkdown(src)}</section>`;
      if (cell.cell_type !== "code") return "";
      const faces = showsFaces(cell);
      const outputs = (cell.outputs ?? []).map((o) => outputHtml(o, faces, opts, assets)).join("\n");
      return (
        `<section class="cell code${faces ? ` ${FACES_TAG}` : ""}">` +
        `<pre class="source"><code class="hljs language-typescript">${highlight(src)}</code></pre>` +
        (outputs ? `<div class="outputs">${outputs}</div>` : "") +
        `</section>`
      );
    })
    .join("\n");
}

/** A Markdown page of the repository (figures/README.md, claims.md, …) as HTML; its links are mended with the rest. */
function markdownPage(file: string): string {
  return renderMarkdown(fs.readFileSync(file, "utf8"));
}

/**
 * Point a page's links and images at the site: a notebook at its page, a figures/*.md at its page, a figure's PNG
 * at its SVG as an asset (sharper, and smaller), any other file of the figures folder as an asset, and a file of the
 * repository at its source (`sourceLink`). Relative links are read from `base`, the folder the Markdown was written
 * for (notebooks/ for a notebook's outputs, figures/ for the figures' pages, the root for the README's findings).
 */
function mendLinks(
  html: string,
  base: string,
  assets: Assets,
  pageOfMd: (abs: string) => string | undefined,
  sourceLink: (repoPath: string) => string,
): string {
  return html.replace(/(src|href)="([^"]+)"/g, (m, attr: string, url: string) => {
    // A picture inlined in computed Markdown (an exercise's answer) becomes a file like every other image, so the
    // book's face check sees it.
    const inline = /^data:image\/(png|jpeg|gif|webp);base64,(.*)$/s.exec(url);
    if (inline)
      return `${attr}="${assets.add(Buffer.from(inline[2].replace(/\s+/g, ""), "base64"), inline[1] === "jpeg" ? "jpg" : inline[1])}"`;
    if (/^([a-z]+:|#|assets\/)/.test(url)) return m;
    const [file, hash] = url.split("#");
    if (/^\d\d-[\w-]+\.html$/.test(file) || /^[\w-]+\.html$/.test(file)) return m; // already a page of the site
    const abs = path.resolve(base, decodeURI(file));
    const anchor = hash ? `#${hash}` : "";
    if (abs.endsWith(".ipynb") && path.dirname(abs) === NOTEBOOKS)
      return `${attr}="${path.basename(abs, ".ipynb")}.html${anchor}"`;
    if (abs.endsWith(".md") && pageOfMd(abs)) return `${attr}="${pageOfMd(abs)}${anchor}"`;
    if (path.dirname(abs) === FIGURES && fs.existsSync(abs)) {
      const svg = abs.replace(/\.png$/, ".svg");
      const f = fs.existsSync(svg) ? svg : abs;
      return `${attr}="${assets.add(fs.readFileSync(f), path.extname(f).slice(1))}"`;
    }
    const rel = path.relative(ROOT, abs);
    if (!rel.startsWith("..") && fs.existsSync(abs)) return `${attr}="${sourceLink(rel)}${anchor}"`;
    return m;
  });
}

/** The page layout: sidebar of every page, the body, previous/next, and where it comes from. */
function layout(page: Page, pages: Page[], sourceLink: (repoPath: string) => string, opts: RenderOptions): string {
  const i = pages.findIndex((p) => p.file === page.file);
  const nav = pages
    .map(
      (p) => `<li${p.file === page.file ? ' class="current"' : ""}><a href="${p.file}">${escapeHtml(p.title)}</a></li>`,
    )
    .join("");
  const prev = pages[i - 1];
  const next = pages[i + 1];
  const nb = page.notebook;
  const module = nb ? nbModule(nb) : undefined;
  const from = nb
    ? `<p class="from">This page is <a href="${sourceLink(`notebooks/${nb}.ipynb`)}">notebooks/${nb}.ipynb</a>, run with its outputs${module ? `; its code is <a href="${sourceLink(module)}">${module}</a> and <a href="${sourceLink(`lib/notebooks/${nb}.ts`)}">lib/notebooks/${nb}.ts</a>` : ""}.${opts.public ? " Public build: the faces are left out." : ""}</p>`
    : "";
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)} · fer-ck48</title>
<link rel="stylesheet" href="assets/katex/katex.min.css">
<link rel="stylesheet" href="assets/highlight.css">
<link rel="stylesheet" href="assets/book.css">
</head>
<body>
<nav class="sidebar"><p class="brand"><a href="index.html">fer-ck48</a></p><ol>${nav}</ol></nav>
<main>
${from}
${page.body}
<nav class="pager">${prev ? `<a class="prev" href="${prev.file}">← ${escapeHtml(prev.title)}</a>` : "<span></span>"}${next ? `<a class="next" href="${next.file}">${escapeHtml(next.title)} →</a>` : ""}</nav>
</main>
</body>
</html>
`;
}

/** The lib module notebook `NN-name` finds its code in (nbdev's rule), if there is one. */
export function nbModule(nb: string): string | undefined {
  const name = nb.replace(/^\d+-/, "");
  for (const c of [`lib/${name}.ts`, `lib/${name}/`]) if (fs.existsSync(path.join(ROOT, c))) return c;
  return undefined;
}

/** The landing page: what the project is, the headline findings (computed, as the README's), and the pages. */
function landing(pages: Page[]): string {
  const summary = findSummary(path.join(STUDY, "summary.json"));
  const list = pages
    .filter((p) => p.notebook)
    .map((p) => `<li><a href="${p.file}">${escapeHtml(p.title)}</a></li>`)
    .join("");
  return `<h1>A reproduction of “CNN-Based Facial Emotion Recognition: Modeling and Evaluation”</h1>
<p>The paper's small CNN trained on CK+48 with its exact protocol, every figure regenerated from code, and notebooks
that walk through every section, here with all their outputs. Written in TypeScript on TensorFlow.js; tested; the
numbers below are computed from the committed runs, not typed.</p>
<h2>What we found</h2>
${renderMarkdown([readmeFindings(summary), peersFinding(committedPeerComparison())].filter(Boolean).join("\n\n"))}
<h2>The notebooks</h2>
<ol class="toc">${list}</ol>
<p>Also: <a href="figures.html">the paper's figures and Table 1</a>, regenerated, each beside the paper's claim, and
<a href="claims.html">the claims ledger</a>: every claim of the paper with its verdict${
    pages.some((p) => p.file === "peers.html")
      ? `; and <a href="peers.html">our CNN beside the literature and the pretrained npm models</a>, on the same images`
      : ""
  }.</p>`;
}

/** The site's stylesheet: readable text, code that scrolls instead of wrapping, outputs set apart. */
export const BOOK_CSS = `:root { --fg: #1d2430; --muted: #5b6575; --line: #dde2ea; --accent: #1f5fbf; --code: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.55 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: var(--fg); display: flex; }
.sidebar { position: sticky; top: 0; height: 100vh; overflow-y: auto; width: 17rem; flex: none; padding: 1rem 1rem 2rem; border-right: 1px solid var(--line); background: #fafbfc; font-size: 0.92rem; }
.sidebar ol { padding-left: 1.2rem; margin: 0; }
.sidebar li { margin: 0.3rem 0; }
.sidebar li.current > a { font-weight: 600; color: var(--fg); }
.brand { font-weight: 700; font-size: 1.1rem; margin: 0 0 1rem; }
main { flex: 1; min-width: 0; max-width: 62rem; padding: 1.5rem 2.5rem 4rem; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
h1 { font-size: 1.8rem; line-height: 1.25; }
h2 { margin-top: 2.2rem; border-bottom: 1px solid var(--line); padding-bottom: 0.2rem; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.9rem; display: block; overflow-x: auto; }
th, td { border: 1px solid var(--line); padding: 0.25rem 0.55rem; vertical-align: top; }
th { background: #f1f4f8; }
pre { background: var(--code); padding: 0.7rem 0.9rem; border-radius: 6px; overflow-x: auto; white-space: pre; font-size: 0.82rem; line-height: 1.4; }
code { font-family: "DejaVu Sans Mono", ui-monospace, SFMono-Regular, Menlo, monospace; }
p code, li code, td code { background: var(--code); padding: 0.05rem 0.3rem; border-radius: 4px; font-size: 0.88em; }
.cell { margin: 1rem 0; }
.cell.code > pre.source { border-left: 3px solid #9fb5d6; }
.outputs { margin: 0.4rem 0 0 0.2rem; padding-left: 0.8rem; border-left: 3px solid #e3e8ef; }
.output img { max-width: 100%; height: auto; }
.output.html table { font-size: 0.85rem; }
.output.html td pre { font-size: 0.78rem; }
.output.stderr, .output.error { color: #a4262c; background: #fdf3f3; }
.faces-note { color: var(--muted); font-style: italic; border: 1px dashed var(--line); padding: 0.6rem 0.8rem; border-radius: 6px; }
.from { color: var(--muted); font-size: 0.88rem; border-bottom: 1px solid var(--line); padding-bottom: 0.6rem; }
.pager { display: flex; justify-content: space-between; margin-top: 3rem; border-top: 1px solid var(--line); padding-top: 1rem; }
details { margin: 0.6rem 0; padding: 0.4rem 0.8rem; border: 1px solid var(--line); border-radius: 6px; }
.katex-display { overflow-x: auto; overflow-y: hidden; }
@media (max-width: 800px) { body { display: block; } .sidebar { position: static; width: auto; height: auto; border-right: 0; border-bottom: 1px solid var(--line); } main { padding: 1rem; } }
`;

/** Copy KaTeX's stylesheet and its woff2 fonts (every browser the site targets reads woff2) into the site. */
function copyKatex(dir: string): void {
  const dist = path.join(path.dirname(require.resolve("katex/package.json")), "dist");
  const to = path.join(dir, "katex");
  fs.mkdirSync(path.join(to, "fonts"), { recursive: true });
  // Only woff2 is shipped: drop the stylesheet's woff and ttf fallbacks so no page asks for a file that is not there.
  const css = fs
    .readFileSync(path.join(dist, "katex.min.css"), "utf8")
    .replace(/,url\(fonts\/[^)]+\.woff\) format\("woff"\)/g, "")
    .replace(/,url\(fonts\/[^)]+\.ttf\) format\("truetype"\)/g, "");
  fs.writeFileSync(path.join(to, "katex.min.css"), css);
  for (const f of fs.readdirSync(path.join(dist, "fonts")))
    if (f.endsWith(".woff2")) fs.copyFileSync(path.join(dist, "fonts", f), path.join(to, "fonts", f));
}

/** highlight.js' GitHub theme, the one stylesheet the highlighted code needs. */
function highlightCss(): string {
  return fs.readFileSync(
    path.join(path.dirname(require.resolve("highlight.js/package.json")), "styles", "github.css"),
    "utf8",
  );
}

/** Everything a build needs: the executed notebooks (paths), where to write, public or not. */
export interface BuildOptions {
  notebooks: string[];
  out: string;
  public: boolean;
  /** How a page links to a file of the repository; default: a relative path from the site folder. */
  sourceLink?: (repoPath: string) => string;
  log?: (line: string) => void;
}

/**
 * Render the site from executed notebooks into `out` (emptied first): index.html, one page per notebook, figures.html,
 * claims.html, assets/ and book.json.
 */
export function buildSite(opts: BuildOptions): BuiltSite {
  const log = opts.log ?? (() => undefined);
  const out = path.resolve(opts.out);
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(path.join(out, "assets"), { recursive: true });
  const assets = new Assets(path.join(out, "assets"));
  const rel = path.relative(out, ROOT) || ".";
  const sourceLink = opts.sourceLink ?? ((p: string) => path.posix.join(rel, p));
  const nbPages: Page[] = opts.notebooks.map((file) => {
    const nb = readNotebook(file);
    const name = path.basename(file, ".ipynb");
    log(`book: rendering ${name}`);
    return {
      file: `${name}.html`,
      title: notebookTitle(nb, name),
      body: notebookBody(nb, opts, assets),
      notebook: name,
    };
  });
  // figures/README.md and the Markdown pages beside it (claims, comparisons, regions, Table 1), each a page.
  const mdPages: [string, string, string][] = [
    ["README.md", "figures.html", "Figures and Table 1"],
    ["claims.md", "claims.html", "The claims ledger"],
    ["ablations.md", "ablations.html", "The comparisons"],
    ["explain-regions.md", "explain-regions.html", "Facial regions"],
    ["peers.md", "peers.html", "The npm models and the literature"],
    ["table1-results.md", "table1-results.html", "Table 1"],
  ];
  const present = mdPages.filter(([f]) => fs.existsSync(path.join(FIGURES, f)));
  const extra: Page[] = present.map(([f, file, title]) => ({ file, title, body: markdownPage(path.join(FIGURES, f)) }));
  const pages: Page[] = [{ file: "index.html", title: "Overview", body: "" }, ...nbPages, ...extra];
  const pageOfMd = (abs: string) => present.find(([f]) => abs === path.join(FIGURES, f))?.[1];
  pages[0].body = landing(pages);
  for (const p of pages) {
    const base = p.notebook ? NOTEBOOKS : p.file === "index.html" ? ROOT : FIGURES;
    p.body = mendLinks(p.body, base, assets, pageOfMd, sourceLink);
  }
  for (const p of pages) fs.writeFileSync(path.join(out, p.file), layout(p, pages, sourceLink, opts));
  fs.writeFileSync(path.join(out, "assets", "book.css"), BOOK_CSS);
  fs.writeFileSync(path.join(out, "assets", "highlight.css"), highlightCss());
  copyKatex(path.join(out, "assets"));
  const sources = sourcesHash();
  fs.writeFileSync(
    path.join(out, "book.json"),
    JSON.stringify({ sources, public: opts.public, pages: pages.map((p) => p.file) }, null, 1) + "\n",
  );
  const bytes = dirBytes(out);
  return { dir: out, pages: pages.map((p) => p.file), assets: assets.count, bytes, sources };
}

/** Bytes of every file under a folder. */
export function dirBytes(dir: string): number {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    n += e.isDirectory() ? dirBytes(p) : fs.statSync(p).size;
  }
  return n;
}
