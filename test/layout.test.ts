/**
 * The layout rules of CONTRIBUTING.md, checked on the source itself: plain static imports in the commands (start-up
 * work is lib/tf.ts initBackend, called by the runner), no import cycle in lib/, and modules of one idea each (at most
 * 450 lines outside the kernels).
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { ROOT } from "../lib/paths";

const LIB = path.join(ROOT, "lib");

/** Every .ts file under `dir`, relative to the repository root, sorted. */
function sources(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".ts")) out.push(path.relative(ROOT, p));
    }
  };
  walk(dir);
  return out.sort();
}

/** The lib/ modules a file imports (static imports and re-exports, type-only ones included), as repository paths. */
function libImports(file: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, file), "utf8");
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const out: string[] = [];
  for (const st of sf.statements) {
    const spec =
      (ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) &&
      st.moduleSpecifier &&
      ts.isStringLiteral(st.moduleSpecifier)
        ? st.moduleSpecifier.text
        : undefined;
    if (!spec?.startsWith(".")) continue;
    const base = path.resolve(path.dirname(path.join(ROOT, file)), spec);
    const hit = [`${base}.ts`, path.join(base, "index.ts")].find((c) => fs.existsSync(c));
    if (hit) out.push(path.relative(ROOT, hit));
  }
  return out;
}

/** `require(...)` calls in a file, with their line numbers. */
function requires(file: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, file), "utf8");
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const visit = (n: ts.Node) => {
    if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === "require") {
      found.push(`${file}:${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1}: ${n.getText().slice(0, 60)}`);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

/** The cycles of a directed graph (Tarjan's strongly connected components of more than one node, or a self-loop). */
export function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const c: string[] = [];
      for (let w = stack.pop()!; ; w = stack.pop()!) {
        onStack.delete(w);
        c.push(w);
        if (w === v) break;
      }
      if (c.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(c.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe("layout: the rules of CONTRIBUTING.md", () => {
  const files = sources(LIB);

  it("the commands import the library statically: no require() in lib/cli/ (start-up is lib/tf.ts initBackend)", () => {
    // `require.main === module` (is this command the program?) is not a require() call.
    expect(files.filter((f) => f.startsWith("lib/cli/")).flatMap(requires)).to.deep.equal([]);
    // The only require() left in lib/ loads the optional @tensorflow/tfjs-node, which a static import cannot.
    expect(files.flatMap(requires).map((r) => r.replace(/:\d+:/, ":"))).to.deep.equal([
      'lib/tf.ts: require("@tensorflow/tfjs-node")',
    ]);
  });

  it("the import graph of lib/ has no cycle (type-only imports included)", () => {
    const graph = new Map(files.map((f) => [f, libImports(f)]));
    expect(graph.get("lib/study.ts")).to.include("lib/ablations.ts"); // the walk sees real edges
    expect(cycles(graph)).to.deep.equal([]);
  });

  it("the cycle finder finds cycles (a check of this check)", () => {
    const g = new Map([
      ["a", ["b"]],
      ["b", ["c"]],
      ["c", ["a"]],
      ["d", ["d"]],
      ["e", ["a"]],
    ]);
    expect(cycles(g)).to.deep.equal([["a", "b", "c"], ["d"]]);
  });

  it("no module outside lib/kernels/ is over 450 lines", () => {
    const long = files
      .filter((f) => !f.startsWith("lib/kernels/"))
      .map((f) => [f, fs.readFileSync(path.join(ROOT, f), "utf8").split("\n").length - 1] as const)
      .filter(([, n]) => n > 450);
    expect(long).to.deep.equal([]);
  });

  it("one argmax: lib/ computes the predicted class with lib/arrays.ts argmax everywhere (tests may recompute it)", () => {
    const copies = files.filter((f) =>
      /indexOf\(Math\.max\(|function argmax/.test(fs.readFileSync(path.join(ROOT, f), "utf8")),
    );
    expect(copies).to.deep.equal(["lib/arrays.ts"]);
  });
});
