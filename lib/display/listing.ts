/**
 * Real source listings for the notebooks (d2l shows the code it teaches): a declaration found in its file with the
 * TypeScript compiler API, as Markdown or side by side as HTML.
 */
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import hljs from "highlight.js/lib/core";
import typescript from "highlight.js/lib/languages/typescript";
import javascript from "highlight.js/lib/languages/javascript";
import bash from "highlight.js/lib/languages/bash";
import json from "highlight.js/lib/languages/json";
import { ROOT } from "../paths";
import { escapeHtml } from "./text";

// highlight.js' core with the few languages the notebooks and the book show, not its 190.
hljs.registerLanguage("typescript", typescript);
hljs.registerLanguage("javascript", javascript);
hljs.registerLanguage("bash", bash);
hljs.registerLanguage("json", json);
hljs.registerAliases(["ts"], { languageName: "typescript" });
hljs.registerAliases(["js"], { languageName: "javascript" });
hljs.registerAliases(["sh"], { languageName: "bash" });

/** Code highlighted as HTML with highlight.js' classes; a language it does not know is escaped as it is. */
export function highlight(code: string, lang = "typescript"): string {
  return hljs.getLanguage(lang) ? hljs.highlight(code, { language: lang }).value : escapeHtml(code);
}

/** Where a declaration was found and its text (TSDoc comment included). */
export interface SourceListing {
  /** The file, relative to the repository root when inside it. */
  file: string;
  /** The name asked for: `fn`, `Class`, `Class.method` or `CONSTANT`. */
  name: string;
  /** 1-based line of the listing's first line (its TSDoc comment when there is one). */
  line: number;
  /** The declaration's text, with its TSDoc comment, de-indented. */
  code: string;
  /** "ts" or "js", for syntax highlighting. */
  lang: "ts" | "js";
}

/**
 * The real source of a declaration in a TypeScript or JavaScript file: a function, a class, a method of a class
 * (`"Class.method"`) or a variable (`export const X = …`), with its TSDoc comment. Parsed with the TypeScript
 * compiler API (a dev dependency: the notebooks are a developer's tool), so it finds declarations whatever their layout, and fails
 * loudly when the name is not there (the notebooks then fail instead of showing stale code).
 */
export function sourceOf(file: string, name: string): SourceListing {
  const text = fs.readFileSync(file, "utf8");
  const js = /\.[cm]?js$/.test(file);
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, js ? ts.ScriptKind.JS : ts.ScriptKind.TS);
  const [outer, inner] = name.split(".");
  const named = (n: ts.Node, want: string) => {
    const id = (n as { name?: ts.Node }).name;
    return !!id && (ts.isIdentifier(id) || ts.isPrivateIdentifier(id)) && id.text === want;
  };
  let found: ts.Node | undefined;
  for (const st of sf.statements) {
    if (
      (ts.isFunctionDeclaration(st) ||
        ts.isClassDeclaration(st) ||
        ts.isInterfaceDeclaration(st) ||
        ts.isTypeAliasDeclaration(st)) &&
      named(st, outer)
    )
      found = st;
    else if (ts.isVariableStatement(st) && st.declarationList.declarations.some((d) => named(d, outer))) found = st;
    if (found) break;
  }
  if (found && inner !== undefined) {
    const cls = found;
    found = ts.isClassDeclaration(cls) ? cls.members.find((m) => named(m, inner)) : undefined;
  }
  if (!found) throw new Error(`sourceOf: no declaration "${name}" in ${file}`);
  const ranges = ts.getLeadingCommentRanges(text, found.getFullStart()) ?? [];
  const doc = ranges.filter((r) => text.startsWith("/**", r.pos)).pop();
  const start = doc ? doc.pos : found.getStart(sf);
  const line = sf.getLineAndCharacterOfPosition(start).line;
  const lineStart = sf.getPositionOfLineAndCharacter(line, 0);
  const lines = text.slice(lineStart, found.getEnd()).split("\n");
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => (l.match(/^\s*/) ?? [""])[0].length));
  const rel = path.relative(ROOT, file);
  return {
    file: rel.startsWith("..") ? file : rel,
    name,
    line: line + 1,
    code: lines.map((l) => l.slice(indent)).join("\n"),
    lang: js ? "js" : "ts",
  };
}

/**
 * Code as a listing that no front end wraps: a `<pre>` whose inline style keeps every line whole and scrolls sideways
 * instead (JupyterLab's rendered Markdown sets `white-space: pre-wrap` on `pre` and `code`, which broke lines inside
 * identifiers; the style is on both),
 * highlighted with highlight.js' classes (the book colours them; a front end without its stylesheet shows plain code).
 */
export function listingHtml(code: string, lang: "ts" | "js"): string {
  const language = lang === "js" ? "javascript" : "typescript";
  return `<pre class="listing" style="white-space: pre; overflow-x: auto; overflow-wrap: normal; word-break: normal;"><code class="hljs language-${language}" style="white-space: pre; overflow-wrap: normal; word-break: normal;">${highlight(code, language)}</code></pre>`;
}

/**
 * A declaration's real source as Markdown for a notebook: where it lives, then the code as a {@link listingHtml}
 * (see {@link sourceOf}). `file` is relative to the repository root, e.g. `lib/model.ts`.
 */
export function showSource(file: string, name: string): string {
  const s = sourceOf(path.isAbsolute(file) ? file : path.join(ROOT, file), name);
  return `\`${s.name}\` in \`${s.file}\`, line ${s.line}:\n\n${listingHtml(s.code, s.lang)}`;
}

/**
 * Two code listings side by side, each in its own column that scrolls sideways (a table squeezed one column to about
 * 30 characters in JupyterLab, so nearly every line broke), with titles.
 */
export function sideBySideHtml(left: { title: string; code: string }, right: { title: string; code: string }): string {
  const col = (c: { title: string; code: string }) =>
    `<div class="side" style="flex: 1 1 0; min-width: 0;"><b>${escapeHtml(c.title)}</b>${listingHtml(c.code, /\.js\b/.test(c.title) ? "js" : "ts")}</div>`;
  return `<div class="side-by-side" style="display: flex; gap: 1rem; align-items: flex-start;">${col(left)}${col(right)}</div>`;
}
