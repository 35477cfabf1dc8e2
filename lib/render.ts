/**
 * The one renderer behind every figure (Fig 1–8): vega-lite spec → SVG, Graphviz DOT → SVG, SVG → PNG.
 *
 * No browser: vega-lite compiles the spec to a vega spec, a headless `vega.View` (renderer "none") draws it to an SVG
 * string, Graphviz compiled to WebAssembly (`@viz-js/viz`) lays out the diagrams, and sharp (libvips + librsvg +
 * fontconfig) rasterises SVG to PNG. Text is set in "DejaVu Sans" everywhere so the output is the same on every
 * machine that has that font (Debian: `fonts-dejavu-core`); without it librsvg falls back to another face and the
 * PNGs (not the SVGs) change.
 *
 * Deterministic: no timestamps, fixed fonts, vega's SVG id counters reset before each render, PNGs without metadata.
 *
 * Text widths: vega measures text with a browser canvas, and without one guesses 0.8 em per character, about 40% too
 * wide for DejaVu Sans, which left charts with wide empty margins. {@link textWidth} gives vega the font's own advance
 * widths (lib/font-widths.ts, generated from the font files by scripts/font-widths.py), as vl-convert does with its
 * fonts; the layout then fits the text librsvg draws.
 */
import * as vl from "vega-lite";
import * as vega from "vega";
import sharp from "sharp";
import type { TopLevelSpec } from "vega-lite";
import { instance, type Viz } from "@viz-js/viz";
import { DEJAVU_WIDTHS } from "./font-widths";

/** The one font of every figure (vega config and Graphviz `fontname`). */
export const FONT = "DejaVu Sans";

/** Vega-lite config shared by every chart: fixed font, white background, no embedded timestamps. */
export const VEGA_CONFIG = {
  font: FONT,
  background: "white",
  padding: 8,
  title: {
    font: FONT,
    fontSize: 15,
    anchor: "start" as const,
    subtitleFont: FONT,
    subtitleFontSize: 11,
    subtitleColor: "#555",
  },
  axis: { labelFont: FONT, titleFont: FONT, labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFont: FONT, titleFont: FONT, labelFontSize: 11, titleFontSize: 12 },
  header: { labelFont: FONT, titleFont: FONT },
  text: { font: FONT },
  view: { stroke: "#ccc" },
};

/** Add the shared config (fonts, background) to a chart spec; the spec's own config entries win. */
export function withConfig(spec: TopLevelSpec): TopLevelSpec {
  const own = (spec as { config?: Record<string, unknown> }).config ?? {};
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    ...spec,
    config: { ...VEGA_CONFIG, ...own },
  } as TopLevelSpec;
}

/** Result of compiling a vega-lite chart spec: the vega spec and every warning vega-lite logged. */
export interface Compiled {
  vega: vega.Spec;
  warnings: string[];
}

/**
 * Compile a vega-lite spec (Fig 5–8) to vega, capturing vega-lite's log instead of printing it, so callers (tests,
 * the `figures` command) can treat a warning as a failure.
 */
export function compileSpec(spec: TopLevelSpec): Compiled {
  const warnings: string[] = [];
  let level = 0;
  const logger = {
    level(l?: number) {
      if (l === undefined) return level as never;
      level = l;
      return logger as never;
    },
    error(...a: readonly unknown[]) {
      warnings.push(`error: ${a.join(" ")}`);
      return logger as never;
    },
    warn(...a: readonly unknown[]) {
      warnings.push(a.join(" "));
      return logger as never;
    },
    info() {
      return logger as never;
    },
    debug() {
      return logger as never;
    },
  };
  const out = vl.compile(withConfig(spec), { logger });
  return { vega: out.spec as vega.Spec, warnings };
}

type FontTable = (typeof DEJAVU_WIDTHS)["regular"];

function advance(f: FontTable, code: number): number {
  for (const [first, widths] of f.ranges) {
    const w = widths[code - first];
    if (code >= first && w !== undefined) return w >= 0 ? w : f.missing;
  }
  return f.missing;
}

/** The width in px of `text` set in DejaVu Sans (Bold when `bold`) at `fontSize` px: the sum of advance widths, no kerning. */
export function textWidth(text: string, fontSize: number, bold = false): number {
  const f = bold ? DEJAVU_WIDTHS.bold : DEJAVU_WIDTHS.regular;
  let units = 0;
  for (const ch of text) units += advance(f, ch.codePointAt(0)!);
  return (units * fontSize) / f.unitsPerEm;
}

/** Vega's text item fields that set a width (vega-scenegraph's `textMetrics.width(item, text)` contract). */
interface TextItem {
  fontSize?: number | string;
  fontWeight?: string | number;
  limit?: number;
}

/** The measure vega calls for every text mark: trimmed, vega's default size 11, bold from weight, capped at `limit` (vega truncates there). */
function vegaTextWidth(item: TextItem, text: unknown): number {
  const s = text == null ? "" : String(text).trim();
  const size = item.fontSize != null ? +item.fontSize || 0 : 11;
  if (size <= 0 || !s) return 0;
  const w = item.fontWeight === "bold" || item.fontWeight === "bolder" || +(item.fontWeight ?? 400) >= 600;
  const width = textWidth(s, size, w);
  return item.limit && item.limit > 0 ? Math.min(width, item.limit) : width;
}
(vega as unknown as { textMetrics: { width: (item: TextItem, text: unknown) => number } }).textMetrics.width =
  vegaTextWidth;

/** Options of {@link renderSvg}. */
export interface RenderOptions {
  /** Throw when vega-lite warns (the `figures` command and tests do); otherwise warnings go to stderr. */
  strict?: boolean;
}

/**
 * Render a vega-lite chart spec (Fig 5–8) to an SVG string with a headless vega View; no browser, no canvas.
 * Byte-identical for the same spec.
 */
export async function renderSvg(spec: TopLevelSpec, opts: RenderOptions = {}): Promise<string> {
  const { vega: vspec, warnings } = compileSpec(spec);
  if (warnings.length) {
    if (opts.strict) throw new Error(`vega-lite warnings: ${warnings.join("; ")}`);
    for (const w of warnings) process.stderr.write(`vega-lite: ${w}\n`);
  }
  // Clip-path and gradient ids come from module-level counters: reset them so a second render gives the same bytes.
  (vega as unknown as { resetSVGDefIds?: () => void }).resetSVGDefIds?.();
  const view = new vega.View(vega.parse(vspec), { renderer: "none", logLevel: vega.Error });
  try {
    const svg = await view.toSVG();
    return svg.endsWith("\n") ? svg : svg + "\n";
  } finally {
    view.finalize();
  }
}

let vizInstance: Promise<Viz> | undefined;

/**
 * Lay out a Graphviz DOT graph (Fig 1–4) with Graphviz compiled to WebAssembly and return the SVG. The layout is
 * Graphviz's, never positioned by hand; Graphviz's version comment is removed so the bytes depend on the graph only.
 */
export async function diagramSvg(dot: string): Promise<string> {
  vizInstance ??= instance();
  const viz = await vizInstance;
  const r = viz.render(dot, { format: "svg" });
  if (r.status !== "success") {
    throw new Error(`graphviz: ${r.errors.map((e) => e.message).join("; ")}`);
  }
  for (const e of r.errors) {
    // Graphviz-in-WebAssembly has no font files: it estimates text widths from built-in metrics, which cover ASCII
    // only, and says so for every other character (×, →, Σ). The estimate (a space's width) is close enough.
    if (/no value for width of non-ASCII character/.test(e.message)) continue;
    process.stderr.write(`graphviz ${e.level ?? "warning"}: ${e.message.trim()}\n`);
  }
  return r.output.replace(/<!-- Generated by graphviz[^]*?-->\n/, "");
}

/**
 * Rasterise an SVG (any figure) to PNG with sharp/librsvg at `scale`× its nominal size (default 2, for sharp text on
 * high-density screens and print). No metadata, so the bytes are reproducible.
 */
export async function renderPng(svg: string, scale = 2): Promise<Buffer> {
  return sharp(Buffer.from(svg), { density: 72 * scale })
    .flatten({ background: "#ffffff" })
    .png({ compressionLevel: 9, adaptiveFiltering: false })
    .toBuffer();
}
