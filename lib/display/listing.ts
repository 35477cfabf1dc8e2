/**
 * Real source listings for the notebooks (d2l shows the code it teaches): a declaration found in its file with the
 * TypeScript compiler API, as Markdown or side by side as HTML.
 */
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { ROOT } from "../paths";
import { escapeHtml } from "./text";

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
 * A declaration's real source as Markdown for a notebook: where it lives, then the code in a fenced block
 * (see {@link sourceOf}). `file` is relative to the repository root, e.g. `lib/model.ts`.
 */
export function showSource(file: string, name: string): string {
  const s = sourceOf(path.isAbsolute(file) ? file : path.join(ROOT, file), name);
  return `\`${s.name}\` in \`${s.file}\`, line ${s.line}:\n\n\`\`\`${s.lang}\n${s.code}\n\`\`\``;
}

/** Two code listings side by side (HTML table of two `<pre>` blocks) with titles. */
export function sideBySideHtml(left: { title: string; code: string }, right: { title: string; code: string }): string {
  const col = (c: { title: string; code: string }) =>
    `<td style="vertical-align:top;text-align:left"><b>${escapeHtml(c.title)}</b><pre style="font-size:11px;line-height:1.3">${escapeHtml(c.code)}</pre></td>`;
  return `<table><tr>${col(left)}${col(right)}</tr></table>`;
}
