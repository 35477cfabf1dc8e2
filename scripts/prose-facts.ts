/**
 * A writer's tool for the numbers in the notebooks' prose (lib/notebooks/facts.ts): lists, per Markdown cell, every
 * number with the fact it is tied to, or the facts it could be tied to; `--write` ties each untied number that
 * exactly one fact states, and drops ties whose number is gone. Ambiguous numbers stay for the writer to tie by hand
 * (edit the cell's metadata `facts`). The check itself is test/notebooks.test.ts.
 *
 *   npx tsx scripts/prose-facts.ts [03-optim ...] [--write]
 */
import * as fs from "fs";
import * as path from "path";
import { NOTEBOOKS } from "../lib/paths";
import { candidates, cellFacts, checkProseNumbers, notebookFacts } from "../lib/notebooks/facts";

async function main(): Promise<void> {
  const write = process.argv.includes("--write");
  const asked = process.argv.slice(2).filter((a) => !a.startsWith("--"));
  const names = fs
    .readdirSync(NOTEBOOKS)
    .filter((f) => f.endsWith(".ipynb"))
    .map((f) => f.replace(/\.ipynb$/, ""))
    .filter((n) => asked.length === 0 || asked.includes(n))
    .sort();
  for (const name of names) {
    const file = path.join(NOTEBOOKS, `${name}.ipynb`);
    const nb = JSON.parse(fs.readFileSync(file, "utf8")) as {
      cells: { cell_type: string; source: string | string[]; metadata: Record<string, unknown> }[];
    };
    const facts = notebookFacts(name);
    let changed = false;
    for (const check of checkProseNumbers(nb.cells, facts)) {
      if (check.ok) continue;
      const cell = nb.cells[check.cell];
      const ties = { ...cellFacts(cell) };
      if (check.problem === "unused tie" && write) {
        delete ties[check.written];
        cell.metadata.facts = ties;
        changed = true;
        console.log(`${name} cell ${check.cell}: ${check.written} untied (no longer in the text)`);
        continue;
      }
      const cands = candidates(check.written, facts);
      if (check.problem === "not tied to a fact" && cands.length === 1 && write) {
        ties[check.written] = cands[0];
        cell.metadata.facts = Object.fromEntries(Object.entries(ties).sort(([a], [b]) => a.localeCompare(b)));
        changed = true;
        console.log(`${name} cell ${check.cell}: ${check.written} → ${cands[0]}`);
        continue;
      }
      const shown = cands.length > 8 ? [...cands.slice(0, 8), `… ${cands.length - 8} more`] : cands;
      console.log(
        `${name} cell ${check.cell}: ${check.written}: ${check.problem}` +
          (check.fact ? ` (${check.fact} = ${check.value})` : "") +
          (cands.length ? `; candidates: ${shown.join(", ")}` : "; no fact states it"),
      );
    }
    if (changed) {
      for (const c of nb.cells)
        if (c.metadata.facts && Object.keys(c.metadata.facts as object).length === 0) delete c.metadata.facts;
      fs.writeFileSync(file, JSON.stringify(nb, null, 1) + "\n");
    }
  }
}

if (require.main === module) void main();
