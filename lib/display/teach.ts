/**
 * The pieces a notebook teaches with beyond tables and listings: an exercise's computed answer, collapsed until the
 * student opens it (HTML `<details>`, which JupyterLab, the classic Notebook and the book all render).
 */

/**
 * A collapsed answer: `markdown` (computed by the caller, never typed) inside `<details>`, with `title` as the line
 * a student clicks. The blank lines let the Markdown inside render as Markdown.
 */
export function answer(markdown: string, title = "Answer (computed when this cell ran)"): string {
  return `<details><summary>${title}</summary>\n\n${markdown.trim()}\n\n</details>`;
}
