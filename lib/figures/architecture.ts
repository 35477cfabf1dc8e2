/**
 * Fig 3, the CNN architecture (Section 2.2), drawn from the model object itself: `summarize(createModel())` gives the
 * layers, their sizes, output shapes and parameter counts, so the figure changes when lib/model.ts changes.
 */
import type { LayerSummary } from "../model";
import type { Diagram, NodeRole } from "./diagram";
import { htmlText } from "./diagram";

/** 86911 → "86,911" (locale-independent, so figures are the same on every machine). */
export function fmtInt(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

function roleOf(kind: string): NodeRole {
  if (kind === "Conv2D" || kind === "Dense") return "model";
  if (kind === "MaxPooling2D") return "loop";
  return "step";
}

/**
 * Fig 3 as a diagram: an input node, one node per layer (name, kind, detail, output shape, parameters) and the total
 * parameter count (86,911 for the paper's model). `input` is the input shape without the batch dimension.
 */
export function diagramFig3(layers: LayerSummary[], input: number[]): Diagram {
  if (!layers.length) throw new Error("Fig 3 needs at least one layer");
  const total = layers.reduce((s, l) => s + l.params, 0);
  const shape = (s: number[]) => s.join("×");
  const nodes: Diagram["nodes"] = [
    { id: "input", role: "data", html: `<b>Input</b><br/>${htmlText(shape(input))} image` },
    ...layers.map((l) => ({
      id: l.name,
      role: roleOf(l.kind),
      html:
        `<b>${htmlText(l.name)}</b>  ${htmlText(l.kind)}` +
        (l.detail ? `<br/>${htmlText(l.detail)}` : "") +
        `<br/><font color="#555555">output ${htmlText(shape(l.outputShape))}  ·  ${fmtInt(l.params)} params</font>`,
    })),
    { id: "total", role: "note", html: `<b>Total: ${fmtInt(total)} trainable parameters</b>` },
  ];
  const chain = ["input", ...layers.map((l) => l.name)];
  const edges: Diagram["edges"] = chain.slice(1).map((to, i) => ({ from: chain[i], to }));
  edges.push({ from: chain[chain.length - 1], to: "total", kind: "aside" });
  return { title: "Fig 3. CNN architecture", direction: "TB", nodes, edges };
}
