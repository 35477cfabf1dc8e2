/**
 * Diagrams (Fig 1–4) as data: nodes and edges in code, turned into Graphviz DOT here and laid out by Graphviz
 * (lib/render.ts `diagramSvg`). Nothing is positioned by hand.
 */
import { FONT } from "../render";

/** Colour roles of diagram nodes, so all four diagrams share one palette. */
export type NodeRole = "data" | "step" | "model" | "loop" | "decision" | "output" | "note";

export interface DiagramNode {
  id: string;
  /** Plain text; "\n" breaks lines. Ignored when `html` is set. */
  label?: string;
  /** A Graphviz HTML-like label (without the enclosing `<` `>`), for nodes with several styled lines. */
  html?: string;
  role: NodeRole;
  /** Nodes with the same rank are placed side by side. */
  rank?: string;
}

export interface DiagramEdge {
  from: string;
  to: string;
  label?: string;
  /** "back" edges (loops) are drawn dashed and do not constrain the ranking. */
  kind?: "normal" | "back" | "aside";
}

export interface Diagram {
  /** Graph title, drawn at the top. */
  title: string;
  /** Layout direction: top→bottom or left→right. */
  direction: "TB" | "LR";
  nodes: DiagramNode[];
  edges: DiagramEdge[];
  /** Optional boxes around groups of nodes. */
  clusters?: { id: string; label: string; nodes: string[] }[];
}

const STYLE: Record<NodeRole, string> = {
  data: 'shape=cylinder, style=filled, fillcolor="#e8f1fb", color="#4c78a8"',
  step: 'shape=box, style="rounded,filled", fillcolor="#f4f4f4", color="#666666"',
  model: 'shape=box, style="rounded,filled", fillcolor="#fff1dc", color="#f58518"',
  loop: 'shape=box, style="rounded,filled", fillcolor="#e6f4ea", color="#54a24b"',
  decision: 'shape=diamond, style=filled, fillcolor="#fdecea", color="#e45756"',
  output: 'shape=note, style=filled, fillcolor="#f3e8f9", color="#b279a2"',
  note: 'shape=plaintext, fontcolor="#555555"',
};

/** Escape a string for a double-quoted DOT attribute ("\n" stays a line break). */
export function dotString(s: string): string {
  return '"' + s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n") + '"';
}

/** Escape text for a Graphviz HTML-like label. */
export function htmlText(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function rankGroups(nodes: DiagramNode[]): string[][] {
  const ranks = new Map<string, string[]>();
  for (const n of nodes) if (n.rank) ranks.set(n.rank, [...(ranks.get(n.rank) ?? []), n.id]);
  return [...ranks.values()];
}

/** Turn a diagram (Fig 1, 2, 3, 4) into Graphviz DOT. Output is a pure function of the data: same data, same DOT. */
export function toDot(d: Diagram): string {
  const ids = new Set(d.nodes.map((n) => n.id));
  for (const e of d.edges) {
    if (!ids.has(e.from) || !ids.has(e.to))
      throw new Error(`diagram "${d.title}": edge ${e.from} → ${e.to} names an unknown node`);
  }
  const L: string[] = [];
  L.push("digraph G {");
  L.push(
    `  graph [rankdir=${d.direction}, fontname=${dotString(FONT)}, fontsize=16, labelloc=t, labeljust=l, label=${dotString(d.title)}, nodesep=0.35, ranksep=0.4, pad=0.2, bgcolor=white];`,
  );
  L.push(`  node [fontname=${dotString(FONT)}, fontsize=11, margin="0.15,0.07", penwidth=1.2];`);
  L.push(`  edge [fontname=${dotString(FONT)}, fontsize=10, color="#555555", arrowsize=0.7];`);
  const inCluster = new Set<string>();
  const nodeLine = (n: DiagramNode) => {
    const label = n.html !== undefined ? `<${n.html}>` : dotString(n.label ?? n.id);
    return `  ${dotString(n.id)} [label=${label}, ${STYLE[n.role]}];`;
  };
  for (const c of d.clusters ?? []) {
    L.push(`  subgraph ${dotString("cluster_" + c.id)} {`);
    L.push(
      `    graph [label=${dotString(c.label)}, style="rounded,dashed", color="#999999", fontsize=11, labeljust=l];`,
    );
    const members: DiagramNode[] = [];
    for (const id of c.nodes) {
      const n = d.nodes.find((x) => x.id === id);
      if (!n) throw new Error(`diagram "${d.title}": cluster ${c.id} names an unknown node ${id}`);
      L.push("  " + nodeLine(n));
      members.push(n);
      inCluster.add(id);
    }
    // Same-rank groups inside a cluster must be declared inside it, or Graphviz pulls the nodes out of the cluster.
    for (const ids of rankGroups(members)) L.push(`    { rank=same; ${ids.map(dotString).join("; ")}; }`);
    L.push("  }");
  }
  const outside = d.nodes.filter((n) => !inCluster.has(n.id));
  for (const n of outside) L.push(nodeLine(n));
  for (const ids of rankGroups(outside)) L.push(`  { rank=same; ${ids.map(dotString).join("; ")}; }`);
  for (const e of d.edges) {
    const attrs: string[] = [];
    if (e.label) attrs.push(`label=${dotString(" " + e.label + " ")}`);
    if (e.kind === "back") attrs.push('style=dashed, constraint=false, color="#54a24b", fontcolor="#2f6b2a"');
    if (e.kind === "aside") attrs.push("style=dotted, arrowhead=none");
    L.push(`  ${dotString(e.from)} -> ${dotString(e.to)}${attrs.length ? ` [${attrs.join(", ")}]` : ""};`);
  }
  L.push("}");
  return L.join("\n") + "\n";
}
